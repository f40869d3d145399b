//! The RFC 8017 encryption and signature schemes over the raw operations of `key.rs`.

use super::key::i2osp;
use super::{RsaError, RsaPrivateKey, RsaPublicKey};
use crate::hash::digest;
use crate::RandomSource;
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq, ConstantTimeGreater};
use tpm2_types::HashAlg;
use zeroize::Zeroizing;

/// Attempts at replacing a zero octet of the PKCS #1 v1.5 padding string.
const PS_TRIES: usize = 64;

/// MGF1 (RFC 8017 appendix B.2.1): Hash(seed ‖ C) for the 32-bit counters C = 0, 1, …,
/// concatenated and cut to `len` octets.
pub fn mgf1(hash: HashAlg, seed: &[u8], len: usize) -> Vec<u8> {
    let h = hash.digest_size();
    let mut out = Vec::with_capacity(len + h);
    let mut counter: u32 = 0;
    while out.len() < len {
        out.extend_from_slice(&digest(hash, &[seed, &counter.to_be_bytes()]));
        counter = counter.wrapping_add(1);
    }
    out.truncate(len);
    out
}

fn xor_mask(hash: HashAlg, seed: &[u8], data: &mut [u8]) {
    let mask = Zeroizing::new(mgf1(hash, seed, data.len()));
    for (d, m) in data.iter_mut().zip(mask.iter()) {
        *d ^= m;
    }
}

/// The DER DigestInfo prefix of each hash (RFC 8017 §9.2, note 1).
fn digest_info_prefix(hash: HashAlg) -> &'static [u8] {
    match hash {
        HashAlg::Sha1 => &[
            0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
            0x14,
        ],
        HashAlg::Sha256 => &[
            0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x05, 0x00, 0x04, 0x20,
        ],
        HashAlg::Sha384 => &[
            0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x02, 0x05, 0x00, 0x04, 0x30,
        ],
        HashAlg::Sha512 => &[
            0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x03, 0x05, 0x00, 0x04, 0x40,
        ],
    }
}

/// EMSA-PKCS1-v1_5 (§9.2) of a digest into k octets: 00 01 FF… 00 ‖ DigestInfo.
fn emsa_pkcs1(hash: HashAlg, digest: &[u8], k: usize) -> Result<Vec<u8>, RsaError> {
    if digest.len() != hash.digest_size() {
        return Err(RsaError::DigestSize);
    }
    let prefix = digest_info_prefix(hash);
    let t_len = prefix.len() + digest.len();
    if k < t_len + 11 {
        return Err(RsaError::Signature);
    }
    let mut em = vec![0xffu8; k];
    em[0] = 0;
    em[1] = 1;
    em[k - t_len - 1] = 0;
    em[k - t_len..k - digest.len()].copy_from_slice(prefix);
    em[k - digest.len()..].copy_from_slice(digest);
    Ok(em)
}

/// The PSS salt length: the hash's size, or the largest that fits when the key is too small
/// (emLen − hLen − 2), as the TPM reference implementation chooses.
fn pss_salt_len(hash: HashAlg, em_len: usize) -> Result<usize, RsaError> {
    let h = hash.digest_size();
    if em_len < h + 2 {
        return Err(RsaError::Signature);
    }
    Ok(h.min(em_len - h - 2))
}

/// H = Hash(0x00 × 8 ‖ mHash ‖ salt) (§9.1.1 steps 5–6).
fn pss_hash(hash: HashAlg, m_hash: &[u8], salt: &[u8]) -> Vec<u8> {
    digest(hash, &[&[0u8; 8], m_hash, salt])
}

/// EMSA-PSS-ENCODE (§9.1.1) into emLen = ⌈emBits/8⌉ octets. The salt is one draw.
fn pss_encode(
    hash: HashAlg,
    m_hash: &[u8],
    em_bits: u32,
    rng: &mut dyn RandomSource,
) -> Result<Vec<u8>, RsaError> {
    let h_len = hash.digest_size();
    if m_hash.len() != h_len {
        return Err(RsaError::DigestSize);
    }
    let em_len = em_bits.div_ceil(8) as usize;
    let s_len = pss_salt_len(hash, em_len)?;
    let mut salt = vec![0u8; s_len];
    if s_len > 0 {
        rng.fill(&mut salt);
    }
    let h = pss_hash(hash, m_hash, &salt);
    let db_len = em_len - h_len - 1;
    let mut em = vec![0u8; em_len];
    em[db_len - s_len - 1] = 0x01;
    em[db_len - s_len..db_len].copy_from_slice(&salt);
    xor_mask(hash, &h, &mut em[..db_len]);
    em[0] &= 0xff >> (8 * em_len as u32 - em_bits);
    em[db_len..em_len - 1].copy_from_slice(&h);
    em[em_len - 1] = 0xbc;
    Ok(em)
}

/// EMSA-PSS-VERIFY (§9.1.2) with the salt length read from the encoding (any length).
fn pss_verify(hash: HashAlg, m_hash: &[u8], em: &[u8], em_bits: u32) -> bool {
    let h_len = hash.digest_size();
    let em_len = em.len();
    if m_hash.len() != h_len || em_len < h_len + 2 || em[em_len - 1] != 0xbc {
        return false;
    }
    let db_len = em_len - h_len - 1;
    let top_mask = 0xffu8 >> (8 * em_len as u32 - em_bits);
    if em[0] & !top_mask != 0 {
        return false;
    }
    let h = &em[db_len..em_len - 1];
    let mut db = em[..db_len].to_vec();
    xor_mask(hash, h, &mut db);
    db[0] &= top_mask;
    let Some(one) = db.iter().position(|&b| b != 0) else {
        return false;
    };
    if db[one] != 0x01 {
        return false;
    }
    crate::ct_eq(&pss_hash(hash, m_hash, &db[one + 1..]), h)
}

/// EME-OAEP decoding (§7.1.2 step 3) of the k-octet EM, without secret-dependent branches
/// until the single verdict.
fn oaep_decode(hash: HashAlg, label: &[u8], em: &[u8]) -> Result<Vec<u8>, RsaError> {
    let h_len = hash.digest_size();
    let k = em.len();
    if k < 2 * h_len + 2 {
        return Err(RsaError::Decryption);
    }
    let mut seed = Zeroizing::new(em[1..1 + h_len].to_vec());
    let mut db = Zeroizing::new(em[1 + h_len..].to_vec());
    xor_mask(hash, &db, &mut seed);
    xor_mask(hash, &seed, &mut db);
    let l_hash = digest(hash, &[label]);
    let mut good = em[0].ct_eq(&0) & db[..h_len].ct_eq(&l_hash);
    let rest = &db[h_len..];
    let mut found = Choice::from(0);
    let mut bad = Choice::from(0);
    let mut index = 0u32;
    for (i, &b) in rest.iter().enumerate() {
        let is_one = b.ct_eq(&1);
        let is_zero = b.ct_eq(&0);
        index.conditional_assign(&(i as u32), !found & is_one);
        bad |= !found & !is_one & !is_zero;
        found |= is_one;
    }
    good &= found & !bad;
    if !bool::from(good) {
        return Err(RsaError::Decryption);
    }
    Ok(rest[index as usize + 1..].to_vec())
}

/// EME-PKCS1-v1_5 decoding (§7.2.2 step 3): 00 02 PS(≥ 8 nonzero) 00 M, checked without
/// secret-dependent branches until the single verdict (which, with M's length, is all the
/// result reveals).
fn pkcs1_decode(em: &[u8]) -> Result<Vec<u8>, RsaError> {
    let k = em.len();
    if k < 11 {
        return Err(RsaError::Decryption);
    }
    let mut good = em[0].ct_eq(&0) & em[1].ct_eq(&2);
    let mut found = Choice::from(0);
    let mut index = 0u32;
    for (i, &b) in em.iter().enumerate().skip(2) {
        let is_zero = b.ct_eq(&0);
        index.conditional_assign(&(i as u32), !found & is_zero);
        found |= is_zero;
    }
    good &= found & index.ct_gt(&9);
    if !bool::from(good) {
        return Err(RsaError::Decryption);
    }
    Ok(em[index as usize + 1..].to_vec())
}

impl RsaPublicKey {
    /// emBits = modBits − 1 for the PSS encoding.
    fn em_bits(&self) -> u32 {
        self.bits() - 1
    }

    /// RSAVP1 on a signature of exactly k octets that is below n.
    fn verify_raw(&self, sig: &[u8]) -> Option<Vec<u8>> {
        if sig.len() != self.size_bytes() {
            return None;
        }
        let s = self.to_int(sig).ok()?;
        Some(i2osp(&self.public_op(&s), self.size_bytes()))
    }

    /// RSAES-OAEP-ENCRYPT (§7.1.1) with MGF1 over the same hash; the seed is one draw of
    /// hLen octets.
    pub fn encrypt_oaep(
        &self,
        hash: HashAlg,
        label: &[u8],
        msg: &[u8],
        rng: &mut dyn RandomSource,
    ) -> Result<Vec<u8>, RsaError> {
        let k = self.size_bytes();
        let h_len = hash.digest_size();
        if k < 2 * h_len + 2 || msg.len() > k - 2 * h_len - 2 {
            return Err(RsaError::MessageTooLong);
        }
        let mut em = Zeroizing::new(vec![0u8; k]);
        let (seed, db) = em[1..].split_at_mut(h_len);
        db[..h_len].copy_from_slice(&digest(hash, &[label]));
        db[db.len() - msg.len() - 1] = 0x01;
        let db_len = db.len();
        db[db_len - msg.len()..].copy_from_slice(msg);
        rng.fill(seed);
        xor_mask(hash, seed, db);
        xor_mask(hash, db, seed);
        self.encrypt_raw(&em)
    }

    /// RSAES-PKCS1-V1_5-ENCRYPT (§7.2.1). The padding string is one draw of k − mLen − 3
    /// octets; each zero octet in it is then replaced, in order, by one-octet draws until
    /// nonzero.
    pub fn encrypt_pkcs1v15(
        &self,
        msg: &[u8],
        rng: &mut dyn RandomSource,
    ) -> Result<Vec<u8>, RsaError> {
        let k = self.size_bytes();
        if msg.len() + 11 > k {
            return Err(RsaError::MessageTooLong);
        }
        let mut em = Zeroizing::new(vec![0u8; k]);
        em[1] = 2;
        let ps_end = k - msg.len() - 1;
        rng.fill(&mut em[2..ps_end]);
        for b in em[2..ps_end].iter_mut() {
            let mut tries = 0;
            while *b == 0 {
                if tries == PS_TRIES {
                    return Err(RsaError::Random);
                }
                let mut one = [0u8];
                rng.fill(&mut one);
                *b = one[0];
                tries += 1;
            }
        }
        em[ps_end + 1..].copy_from_slice(msg);
        self.encrypt_raw(&em)
    }

    /// RSASSA-PKCS1-V1_5-VERIFY (§8.2.2): the signature must be exactly k octets; the
    /// expected encoding is rebuilt and compared.
    pub fn verify_pkcs1v15(&self, hash: HashAlg, digest: &[u8], sig: &[u8]) -> bool {
        let Ok(expected) = emsa_pkcs1(hash, digest, self.size_bytes()) else {
            return false;
        };
        match self.verify_raw(sig) {
            Some(em) => crate::ct_eq(&em, &expected),
            None => false,
        }
    }

    /// RSASSA-PSS-VERIFY (§8.1.2) with MGF1 over the same hash and the salt length taken
    /// from the encoding; the signature must be exactly k octets.
    pub fn verify_pss(&self, hash: HashAlg, digest: &[u8], sig: &[u8]) -> bool {
        let Some(m) = self.verify_raw(sig) else {
            return false;
        };
        let em_bits = self.em_bits();
        let em_len = em_bits.div_ceil(8) as usize;
        // I2OSP(m, emLen): when emLen < k the leading octet must be zero.
        let (lead, em) = m.split_at(m.len() - em_len);
        lead.iter().all(|&b| b == 0) && pss_verify(hash, digest, em, em_bits)
    }
}

impl RsaPrivateKey {
    /// RSASP1 on an encoded message, released only after the fault check.
    fn sign_raw(&self, em: &[u8], rng: &mut dyn RandomSource) -> Result<Vec<u8>, RsaError> {
        let x = self.public().to_int(em)?;
        let s = self.private_op(&x, rng)?;
        Ok(i2osp(&s, self.public().size_bytes()))
    }

    /// RSAES-OAEP-DECRYPT (§7.1.2), MGF1 over the same hash. Every padding failure gives
    /// the same [`RsaError::Decryption`]; c longer than k octets or not below n gives
    /// [`RsaError::ValueTooLarge`] (that depends on public values only).
    pub fn decrypt_oaep(
        &self,
        hash: HashAlg,
        label: &[u8],
        c: &[u8],
        rng: &mut dyn RandomSource,
    ) -> Result<Vec<u8>, RsaError> {
        let em = Zeroizing::new(self.decrypt_raw(c, rng)?);
        oaep_decode(hash, label, &em)
    }

    /// RSAES-PKCS1-V1_5-DECRYPT (§7.2.2).
    pub fn decrypt_pkcs1v15(
        &self,
        c: &[u8],
        rng: &mut dyn RandomSource,
    ) -> Result<Vec<u8>, RsaError> {
        let em = Zeroizing::new(self.decrypt_raw(c, rng)?);
        pkcs1_decode(&em)
    }

    /// RSASSA-PKCS1-V1_5-SIGN (§8.2.1) of a digest of `hash` (its length must match).
    pub fn sign_pkcs1v15(
        &self,
        hash: HashAlg,
        digest: &[u8],
        rng: &mut dyn RandomSource,
    ) -> Result<Vec<u8>, RsaError> {
        let em = emsa_pkcs1(hash, digest, self.public().size_bytes())?;
        self.sign_raw(&em, rng)
    }

    /// RSASSA-PSS-SIGN (§8.1.1), MGF1 over the same hash, salt length = hLen or, when the
    /// key is too small, emLen − hLen − 2. The salt is drawn before the blinding factor.
    pub fn sign_pss(
        &self,
        hash: HashAlg,
        digest: &[u8],
        rng: &mut dyn RandomSource,
    ) -> Result<Vec<u8>, RsaError> {
        let em = pss_encode(hash, digest, self.public().em_bits(), rng)?;
        self.sign_raw(&em, rng)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mgf1_shape() {
        let m = mgf1(HashAlg::Sha256, b"seed", 70);
        assert_eq!(m.len(), 70);
        assert_eq!(
            &m[..32],
            &digest(HashAlg::Sha256, &[b"seed", &[0, 0, 0, 0]])[..]
        );
        assert_eq!(
            &m[32..64],
            &digest(HashAlg::Sha256, &[b"seed", &[0, 0, 0, 1]])[..]
        );
        assert!(mgf1(HashAlg::Sha1, b"", 0).is_empty());
    }

    #[test]
    fn pkcs1_encoding_layout() {
        let d = [7u8; 32];
        let em = emsa_pkcs1(HashAlg::Sha256, &d, 128).unwrap();
        assert_eq!(&em[..2], &[0, 1]);
        assert_eq!(em[128 - 32 - 19 - 1], 0);
        assert!(em[2..128 - 52].iter().all(|&b| b == 0xff));
        assert_eq!(
            emsa_pkcs1(HashAlg::Sha256, &d[..31], 128),
            Err(RsaError::DigestSize)
        );
        assert_eq!(
            emsa_pkcs1(HashAlg::Sha512, &[0; 64], 93),
            Err(RsaError::Signature)
        );
    }

    #[test]
    fn pss_round_trip_and_salt_lengths() {
        let mut ctr = 0u8;
        let mut rng = |o: &mut [u8]| {
            for b in o.iter_mut() {
                ctr = ctr.wrapping_add(1);
                *b = ctr;
            }
        };
        for (bits, hash) in [
            (1023, HashAlg::Sha512),
            (1024, HashAlg::Sha256),
            (2047, HashAlg::Sha1),
        ] {
            let h = digest(hash, &[b"msg"]);
            let em = pss_encode(hash, &h, bits, &mut rng).unwrap();
            assert_eq!(em.len(), (bits as usize).div_ceil(8));
            assert!(pss_verify(hash, &h, &em, bits));
            assert!(!pss_verify(hash, &digest(hash, &[b"other"]), &em, bits));
            let mut bad = em.clone();
            bad[5] ^= 1;
            assert!(!pss_verify(hash, &h, &bad, bits));
        }
        // 1024-bit key, SHA-512: emLen 128 leaves room for a 62-octet salt only.
        assert_eq!(pss_salt_len(HashAlg::Sha512, 128), Ok(62));
        assert_eq!(pss_salt_len(HashAlg::Sha256, 256), Ok(32));
        assert_eq!(pss_salt_len(HashAlg::Sha512, 65), Err(RsaError::Signature));
    }

    #[test]
    fn decoders_reject_garbage_without_panicking() {
        for len in [0usize, 1, 10, 11, 41, 42, 128] {
            let em = vec![0u8; len];
            assert!(pkcs1_decode(&em).is_err());
            assert!(oaep_decode(HashAlg::Sha1, b"", &em).is_err());
            assert!(!pss_verify(
                HashAlg::Sha1,
                &[0; 20],
                &em,
                (len as u32 * 8).max(1)
            ));
        }
        // 00 02, 8 nonzero octets, 00, message.
        let mut em = vec![0u8, 2, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0xaa, 0xbb];
        assert_eq!(pkcs1_decode(&em).unwrap(), vec![0xaa, 0xbb]);
        em[9] = 0; // padding string of 7 octets only
        assert_eq!(pkcs1_decode(&em), Err(RsaError::Decryption));
    }
}
