//! The sensitive area of an object wrapped under its parent (Part 1, §23–24, "Protected
//! Storage"): `TPM2B_PRIVATE = TPM2B_DIGEST(integrity) || CFB(TPM2B_SENSITIVE)`.
//!
//! - symKey = KDFa(parent nameAlg, parent seedValue, "STORAGE", Name, ∅, keyBits), with
//!   a zero IV (the key is unique to the Name);
//! - HMACkey = KDFa(parent nameAlg, parent seedValue, "INTEGRITY", ∅, ∅, digest bits);
//! - integrity = HMAC(HMACkey, encrypted sensitive || Name).

use super::Object;
use tpm2_crypto::kdf::kdfa;
use tpm2_crypto::sym::aes_cfb;
use tpm2_crypto::{ct_eq, hmac};
use tpm2_types::object::{sized, SymDef, TpmtSensitive};
use tpm2_types::{Codec, HashAlg, Rc, Reader};
use zeroize::Zeroizing;

/// What a parent protects its children with.
pub struct Protector<'a> {
    pub name_alg: HashAlg,
    pub seed: &'a [u8],
    pub sym: SymDef,
}

impl<'a> Protector<'a> {
    /// The protector of a storage parent (`None` if it is not one).
    pub fn of(parent: &'a Object) -> Option<Protector<'a>> {
        if !parent.is_storage() {
            return None;
        }
        Some(Protector {
            name_alg: parent.public.name_alg?,
            seed: parent.sensitive.as_ref()?.seed.as_slice(),
            sym: parent.public.parms.symmetric()?,
        })
    }

    fn sym_key(&self, name: &[u8]) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(kdfa(
            self.name_alg,
            self.seed,
            b"STORAGE",
            name,
            b"",
            self.sym.key_bits as u32,
        ))
    }

    fn hmac_key(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(kdfa(
            self.name_alg,
            self.seed,
            b"INTEGRITY",
            b"",
            b"",
            self.name_alg.digest_size() as u32 * 8,
        ))
    }

    /// The `TPM2B_PRIVATE` body for a child's sensitive area.
    pub fn wrap(&self, name: &[u8], sensitive: &TpmtSensitive) -> Vec<u8> {
        let mut enc = Zeroizing::new(Vec::new());
        sized(&mut enc, |o| sensitive.encode(o));
        aes_cfb(&self.sym_key(name), &[0; 16], &mut enc, true);
        let mac = hmac(self.name_alg, &self.hmac_key(), &[&enc, name]);
        let mut out = Vec::with_capacity(2 + mac.len() + enc.len());
        (mac.len() as u16).encode(&mut out);
        out.extend_from_slice(&mac);
        out.extend_from_slice(&enc);
        out
    }

    /// The sensitive area from a `TPM2B_PRIVATE` body: a wrong integrity value is
    /// `TPM_RC_INTEGRITY`, a decrypted area that does not unmarshal `TPM_RC_SENSITIVE`.
    pub fn unwrap(&self, name: &[u8], private: &[u8]) -> Result<TpmtSensitive, Rc> {
        let mut r = Reader::new(private);
        let n = r.u16().map_err(|_| Rc::INSUFFICIENT)? as usize;
        if n != self.name_alg.digest_size() {
            return Err(Rc::INTEGRITY);
        }
        let mac = r.take(n).map_err(|_| Rc::INSUFFICIENT)?;
        let enc = r.rest();
        let want = hmac(self.name_alg, &self.hmac_key(), &[enc, name]);
        if !ct_eq(&want, mac) {
            return Err(Rc::INTEGRITY);
        }
        let mut plain = Zeroizing::new(enc.to_vec());
        aes_cfb(&self.sym_key(name), &[0; 16], &mut plain, false);
        let mut r = Reader::new(&plain);
        let n = r.u16().map_err(|_| Rc::SENSITIVE)? as usize;
        if n != r.left() {
            return Err(Rc::SENSITIVE);
        }
        let s = TpmtSensitive::read(&mut r).map_err(|_| Rc::SENSITIVE)?;
        if !r.is_empty() {
            return Err(Rc::SENSITIVE);
        }
        Ok(s)
    }
}
