//! `TPM2B_` sized buffers (Part 2, §10.4) and the hash algorithm selector (`TPMI_ALG_HASH`).

use crate::codec::{Codec, Reader};
use crate::constants::alg;
use crate::rc::Rc;
use serde::{Deserialize, Serialize};

/// A `TPM2B_` byte buffer whose size may not exceed `MAX` (`TPM_RC_SIZE` otherwise).
#[derive(Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Tpm2b<const MAX: usize>(#[serde(with = "serde_bytes")] pub Vec<u8>);

impl<const MAX: usize> Tpm2b<MAX> {
    pub const MAX: usize = MAX;

    /// Builds a buffer, refusing contents larger than the spec maximum.
    pub fn new(b: &[u8]) -> Result<Self, Rc> {
        if b.len() > MAX {
            return Err(Rc::SIZE);
        }
        Ok(Tpm2b(b.to_vec()))
    }

    pub fn empty() -> Self {
        Tpm2b(Vec::new())
    }

    /// Reads this buffer's wire form without copying: the bytes borrowed from the input.
    pub fn read_ref<'a>(r: &mut Reader<'a>) -> Result<&'a [u8], Rc> {
        let n = r.u16()? as usize;
        if n > MAX {
            return Err(Rc::SIZE);
        }
        r.take(n)
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Wraps bytes the caller knows fit (digests, generated values).
impl<const MAX: usize> From<Vec<u8>> for Tpm2b<MAX> {
    fn from(v: Vec<u8>) -> Self {
        debug_assert!(v.len() <= MAX);
        Tpm2b(v)
    }
}

impl<const MAX: usize> std::fmt::Debug for Tpm2b<MAX> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tpm2b(")?;
        for b in &self.0 {
            write!(f, "{b:02x}")?;
        }
        write!(f, ")")
    }
}

impl<const MAX: usize> Codec for Tpm2b<MAX> {
    fn encode(&self, out: &mut Vec<u8>) {
        (self.0.len() as u16).encode(out);
        out.extend_from_slice(&self.0);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        let n = r.u16()? as usize;
        if n > MAX {
            return Err(Rc::SIZE);
        }
        Ok(Tpm2b(r.take(n)?.to_vec()))
    }
}

/// Size of the largest digest (`sizeof(TPMU_HA)`; SHA-512).
pub const MAX_DIGEST_SIZE: usize = 64;
/// `MAX_DIGEST_BUFFER` and `MAX_NV_BUFFER_SIZE` as libtpms reports them.
pub const MAX_DIGEST_BUFFER: usize = 1024;
pub const MAX_NV_BUFFER_SIZE: usize = 1024;
/// `MAX_NV_INDEX_SIZE` (`TPM_PT_NV_INDEX_MAX`): the largest NV index data, as libtpms has it.
pub const MAX_NV_INDEX_SIZE: usize = 2048;

pub type Tpm2bDigest = Tpm2b<MAX_DIGEST_SIZE>;
pub type Tpm2bNonce = Tpm2bDigest;
pub type Tpm2bAuth = Tpm2bDigest;
/// `TPM2B_DATA`: up to `sizeof(TPMT_HA)`.
pub type Tpm2bData = Tpm2b<{ MAX_DIGEST_SIZE + 2 }>;
pub type Tpm2bEvent = Tpm2b<1024>;
pub type Tpm2bMaxBuffer = Tpm2b<MAX_DIGEST_BUFFER>;
pub type Tpm2bMaxNvBuffer = Tpm2b<MAX_NV_BUFFER_SIZE>;
pub type Tpm2bTimeout = Tpm2b<8>;
/// `TPM2B_NAME`: up to `sizeof(TPMU_NAME)` (a `TPMT_HA`).
pub type Tpm2bName = Tpm2b<{ MAX_DIGEST_SIZE + 2 }>;

/// The hash algorithms this TPM implements (`TPMI_ALG_HASH`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum HashAlg {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl HashAlg {
    /// All implemented hashes, in algorithm-ID order (the order of PCR banks).
    pub const ALL: [HashAlg; 4] = [
        HashAlg::Sha1,
        HashAlg::Sha256,
        HashAlg::Sha384,
        HashAlg::Sha512,
    ];

    pub fn id(self) -> u16 {
        match self {
            HashAlg::Sha1 => alg::SHA1,
            HashAlg::Sha256 => alg::SHA256,
            HashAlg::Sha384 => alg::SHA384,
            HashAlg::Sha512 => alg::SHA512,
        }
    }

    pub fn from_id(id: u16) -> Option<HashAlg> {
        match id {
            alg::SHA1 => Some(HashAlg::Sha1),
            alg::SHA256 => Some(HashAlg::Sha256),
            alg::SHA384 => Some(HashAlg::Sha384),
            alg::SHA512 => Some(HashAlg::Sha512),
            _ => None,
        }
    }

    pub fn digest_size(self) -> usize {
        match self {
            HashAlg::Sha1 => 20,
            HashAlg::Sha256 => 32,
            HashAlg::Sha384 => 48,
            HashAlg::Sha512 => 64,
        }
    }

    pub fn block_size(self) -> usize {
        match self {
            HashAlg::Sha1 | HashAlg::Sha256 => 64,
            HashAlg::Sha384 | HashAlg::Sha512 => 128,
        }
    }
}

/// `TPMI_ALG_HASH` without `+`: `TPM_RC_HASH` for anything but an implemented hash.
impl Codec for HashAlg {
    fn encode(&self, out: &mut Vec<u8>) {
        self.id().encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        HashAlg::from_id(r.u16()?).ok_or(Rc::HASH)
    }
}

/// `TPMI_ALG_HASH+`: an implemented hash or `TPM_ALG_NULL` (`None`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OptHashAlg(pub Option<HashAlg>);

impl Codec for OptHashAlg {
    fn encode(&self, out: &mut Vec<u8>) {
        match self.0 {
            Some(h) => h.encode(out),
            None => alg::NULL.encode(out),
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        match r.u16()? {
            alg::NULL => Ok(OptHashAlg(None)),
            id => HashAlg::from_id(id)
                .map(|h| OptHashAlg(Some(h)))
                .ok_or(Rc::HASH),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tpm2b_limits() {
        assert_eq!(Tpm2bDigest::from_bytes(&[0, 65]), Err(Rc::SIZE));
        assert_eq!(Tpm2bDigest::from_bytes(&[0, 2, 1]), Err(Rc::INSUFFICIENT));
        assert_eq!(Tpm2bDigest::from_bytes(&[0, 1, 7]).unwrap().0, vec![7]);
    }

    #[test]
    fn hash_selector() {
        assert_eq!(HashAlg::from_bytes(&[0, 0x10]), Err(Rc::HASH));
        assert_eq!(OptHashAlg::from_bytes(&[0, 0x10]), Ok(OptHashAlg(None)));
        assert_eq!(HashAlg::from_bytes(&[0, 0x0b]), Ok(HashAlg::Sha256));
    }
}
