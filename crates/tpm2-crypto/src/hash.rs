//! Hashing and HMAC over the implemented hash algorithms.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::digest::common::hazmat::SerializableState;
use sha2::{Digest, Sha256, Sha384, Sha512};
use tpm2_types::HashAlg;

/// A running hash of any implemented algorithm.
#[derive(Clone)]
pub enum Hasher {
    Sha1(Sha1),
    Sha256(Sha256),
    Sha384(Sha384),
    Sha512(Sha512),
}

impl Hasher {
    pub fn new(alg: HashAlg) -> Self {
        match alg {
            HashAlg::Sha1 => Hasher::Sha1(Sha1::new()),
            HashAlg::Sha256 => Hasher::Sha256(Sha256::new()),
            HashAlg::Sha384 => Hasher::Sha384(Sha384::new()),
            HashAlg::Sha512 => Hasher::Sha512(Sha512::new()),
        }
    }

    pub fn alg(&self) -> HashAlg {
        match self {
            Hasher::Sha1(_) => HashAlg::Sha1,
            Hasher::Sha256(_) => HashAlg::Sha256,
            Hasher::Sha384(_) => HashAlg::Sha384,
            Hasher::Sha512(_) => HashAlg::Sha512,
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha1(h) => h.update(data),
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha384(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
        }
    }

    /// Chainable update.
    pub fn with(mut self, data: &[u8]) -> Self {
        self.update(data);
        self
    }

    /// The running state as bytes, so a hash sequence survives a context save or a state
    /// file (the layout is the RustCrypto core state; it is versioned with our state format).
    pub fn export_state(&self) -> Vec<u8> {
        match self {
            Hasher::Sha1(h) => h.serialize().to_vec(),
            Hasher::Sha256(h) => h.serialize().to_vec(),
            Hasher::Sha384(h) => h.serialize().to_vec(),
            Hasher::Sha512(h) => h.serialize().to_vec(),
        }
    }

    /// Rebuilds a hasher from [`Hasher::export_state`]; `None` if the bytes are not a state.
    pub fn import_state(alg: HashAlg, state: &[u8]) -> Option<Hasher> {
        fn de<H: SerializableState>(b: &[u8]) -> Option<H> {
            let arr = hybrid_array::Array::try_from(b).ok()?;
            H::deserialize(&arr).ok()
        }
        Some(match alg {
            HashAlg::Sha1 => Hasher::Sha1(de(state)?),
            HashAlg::Sha256 => Hasher::Sha256(de(state)?),
            HashAlg::Sha384 => Hasher::Sha384(de(state)?),
            HashAlg::Sha512 => Hasher::Sha512(de(state)?),
        })
    }

    /// Writes the digest into the first `alg.digest_size()` bytes of `out` (no allocation).
    pub fn finish_into(self, out: &mut [u8]) {
        match self {
            Hasher::Sha1(h) => out[..20].copy_from_slice(&h.finalize()),
            Hasher::Sha256(h) => out[..32].copy_from_slice(&h.finalize()),
            Hasher::Sha384(h) => out[..48].copy_from_slice(&h.finalize()),
            Hasher::Sha512(h) => out[..64].copy_from_slice(&h.finalize()),
        }
    }

    pub fn finish(self) -> Vec<u8> {
        match self {
            Hasher::Sha1(h) => h.finalize().to_vec(),
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::Sha384(h) => h.finalize().to_vec(),
            Hasher::Sha512(h) => h.finalize().to_vec(),
        }
    }
}

/// The PCR extend operation in place: `pcr = H(pcr || digest)`. Uses the concrete hash
/// types so no hasher state is moved around (this is the hottest path of a measured boot).
pub fn extend_in_place(alg: HashAlg, pcr: &mut [u8], digest: &[u8]) {
    fn ext<D: Digest>(pcr: &mut [u8], d: &[u8]) {
        let mut h = D::new();
        h.update(&*pcr);
        h.update(d);
        pcr.copy_from_slice(&h.finalize());
    }
    match alg {
        HashAlg::Sha1 => ext::<Sha1>(pcr, digest),
        HashAlg::Sha256 => ext::<Sha256>(pcr, digest),
        HashAlg::Sha384 => ext::<Sha384>(pcr, digest),
        HashAlg::Sha512 => ext::<Sha512>(pcr, digest),
    }
}

/// One-shot digest of the concatenation of `parts`.
pub fn digest(alg: HashAlg, parts: &[&[u8]]) -> Vec<u8> {
    let mut h = Hasher::new(alg);
    for p in parts {
        h.update(p);
    }
    h.finish()
}

/// A running HMAC of any implemented algorithm.
#[derive(Clone)]
pub enum HmacState {
    Sha1(Hmac<Sha1>),
    Sha256(Hmac<Sha256>),
    Sha384(Hmac<Sha384>),
    Sha512(Hmac<Sha512>),
}

impl HmacState {
    pub fn new(alg: HashAlg, key: &[u8]) -> Self {
        // HMAC accepts keys of any length; new_from_slice cannot fail for it.
        fn mk<M: Mac + hmac::digest::KeyInit>(key: &[u8]) -> M {
            match <M as hmac::digest::KeyInit>::new_from_slice(key) {
                Ok(m) => m,
                Err(_) => <M as hmac::digest::KeyInit>::new(&Default::default()),
            }
        }
        match alg {
            HashAlg::Sha1 => HmacState::Sha1(mk(key)),
            HashAlg::Sha256 => HmacState::Sha256(mk(key)),
            HashAlg::Sha384 => HmacState::Sha384(mk(key)),
            HashAlg::Sha512 => HmacState::Sha512(mk(key)),
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        match self {
            HmacState::Sha1(m) => m.update(data),
            HmacState::Sha256(m) => m.update(data),
            HmacState::Sha384(m) => m.update(data),
            HmacState::Sha512(m) => m.update(data),
        }
    }

    pub fn finish(self) -> Vec<u8> {
        match self {
            HmacState::Sha1(m) => m.finalize().into_bytes().to_vec(),
            HmacState::Sha256(m) => m.finalize().into_bytes().to_vec(),
            HmacState::Sha384(m) => m.finalize().into_bytes().to_vec(),
            HmacState::Sha512(m) => m.finalize().into_bytes().to_vec(),
        }
    }
}

/// One-shot HMAC of the concatenation of `parts`.
pub fn hmac(alg: HashAlg, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = HmacState::new(alg, key);
    for p in parts {
        m.update(p);
    }
    m.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn known_answers() {
        assert_eq!(
            hex(&digest(HashAlg::Sha256, &[b"abc"])),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&digest(HashAlg::Sha1, &[b"a", b"bc"])),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        // RFC 4231 test case 2.
        assert_eq!(
            hex(&hmac(
                HashAlg::Sha256,
                b"Jefe",
                &[b"what do ya want for nothing?"]
            )),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn state_round_trip() {
        for a in HashAlg::ALL {
            let h = Hasher::new(a).with(b"part one, ");
            let mut back = Hasher::import_state(a, &h.export_state()).unwrap();
            back.update(b"part two");
            assert_eq!(back.finish(), digest(a, &[b"part one, part two"]));
            assert!(Hasher::import_state(a, &[1, 2, 3]).is_none());
        }
    }

    #[test]
    fn sizes_match_types() {
        for a in HashAlg::ALL {
            assert_eq!(digest(a, &[]).len(), a.digest_size());
        }
    }
}
