//! Secret sharing with an asymmetric key (Part 1, §11.4.10, Part 4 `CryptSecretEncrypt` /
//! `CryptSecretDecrypt`) and the outer wrapper of Part 1 §23.3.2.3, shared by
//! credential protection (label "IDENTITY") and duplication (label "DUPLICATE").
//!
//! - RSA: seed = nameAlg-digest-size random octets, secret = RSAES-OAEP(nameAlg, label
//!   with its zero octet, seed);
//! - ECC: an ephemeral key pair (de, Qe) on the key's curve, Z = ECDH(de, Q), seed =
//!   KDFe(nameAlg, Z.x, label, Qe.x, Q.x, digest bits), secret = TPMS_ECC_POINT(Qe).
//!
//! The outer wrapper under a seed (`ProduceOuterWrap` / `UnwrapOuter`, no IV):
//! symKey = KDFa(hash, seed, "STORAGE", Name, ∅, keyBits) with AES-CFB and a zero IV,
//! HMACkey = KDFa(hash, seed, "INTEGRITY", ∅, ∅, digest bits),
//! blob = TPM2B_DIGEST(HMAC(HMACkey, encrypted || Name)) || encrypted.

use crate::object::keys::Key;
use crate::object::Object;
use crate::Tpm;
use tpm2_crypto::kdf::{kdfa, kdfe};
use tpm2_crypto::sym::aes_cfb;
use tpm2_crypto::{ct_eq, hmac};
use tpm2_types::constants::alg;
use tpm2_types::object::{EccPoint, SymDef};
use tpm2_types::{Codec, HashAlg, Rc, Reader, Tpm2b};
use zeroize::Zeroizing;

fn kdfe_label(label: &[u8]) -> &[u8] {
    label.strip_suffix(&[0]).unwrap_or(label)
}

impl Tpm {
    /// A new seed shared with the public key of `o`: (seed, encrypted secret). A key that is
    /// not RSA or ECC is `TPM_RC_TYPE` (the caller numbers it).
    pub(crate) fn share_secret(
        &mut self,
        o: &Object,
        label: &[u8],
    ) -> Result<(Zeroizing<Vec<u8>>, Vec<u8>), Rc> {
        let name_alg = o.public.name_alg.ok_or(Rc::TYPE)?;
        let key = o.key()?;
        match &*key {
            Key::RsaPublic(_) | Key::RsaPrivate(_) => {
                let public = key.rsa_public().ok_or(Rc::TYPE)?;
                let seed = Zeroizing::new(self.random_vec(name_alg.digest_size()));
                let mut r = |b: &mut [u8]| self.random(b);
                let secret = public
                    .encrypt_oaep(name_alg, label, &seed, &mut r)
                    .map_err(|_| Rc::SIZE)?;
                Ok((seed, secret))
            }
            Key::Ecc { curve, q, .. } => {
                let mut r = |b: &mut [u8]| self.random(b);
                let (de, qe) = tpm2_crypto::ecc::generate(*curve, &mut r);
                let z = tpm2_crypto::ecc::ecdh_zgen(*curve, &de, q).map_err(|_| Rc::ECC_POINT)?;
                let seed = Zeroizing::new(kdfe(
                    name_alg,
                    &z.x,
                    kdfe_label(label),
                    &qe.x,
                    &q.x,
                    (name_alg.digest_size() * 8) as u32,
                ));
                let point = EccPoint {
                    x: Tpm2b(qe.x.clone()),
                    y: Tpm2b(qe.y.clone()),
                };
                Ok((seed, point.to_bytes()))
            }
            Key::Bits(_) => Err(Rc::TYPE),
        }
    }

    /// The seed in `secret`, decrypted with the private key of `o` (the codes are the
    /// caller's to number): an undecryptable secret `TPM_RC_VALUE`, an RSA
    /// ciphertext of the wrong size (or empty) `TPM_RC_SIZE`, a point that
    /// does not unmarshal `TPM_RC_INSUFFICIENT`/`TPM_RC_SIZE`, one off the curve
    /// `TPM_RC_ECC_POINT`.
    pub(crate) fn recover_secret(
        &mut self,
        o: &Object,
        label: &[u8],
        secret: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, Rc> {
        let name_alg = o.public.name_alg.ok_or(Rc::KEY)?;
        let key = o.key()?;
        match &*key {
            Key::RsaPrivate(k) => {
                // A ciphertext of another size than the modulus (also an empty one):
                // TPM_RC_SIZE (libtpms `CryptRsaDecrypt`).
                if secret.len() != k.public().size_bytes() {
                    return Err(Rc::SIZE);
                }
                k.decrypt_oaep(name_alg, label, secret, &mut self.rt.drbg)
                    .map(Zeroizing::new)
                    .map_err(|_| Rc::VALUE)
            }
            Key::Ecc {
                curve,
                q,
                d: Some(d),
            } => {
                let mut r = Reader::new(secret);
                let point = EccPoint::read(&mut r)?;
                if !r.is_empty() {
                    return Err(Rc::SIZE);
                }
                let qe = tpm2_crypto::ecc::EccPoint {
                    x: point.x.0.clone(),
                    y: point.y.0.clone(),
                };
                let z = tpm2_crypto::ecc::ecdh_zgen(*curve, d, &qe).map_err(|_| Rc::ECC_POINT)?;
                Ok(Zeroizing::new(kdfe(
                    name_alg,
                    &z.x,
                    kdfe_label(label),
                    &qe.x,
                    &q.x,
                    (name_alg.digest_size() * 8) as u32,
                )))
            }
            _ => Err(Rc::KEY),
        }
    }
}

/// The outer wrapper of Part 1 §23.3.2.3 (also the credential protection of §24.4).
pub struct Outer<'a> {
    pub hash: HashAlg,
    pub seed: &'a [u8],
    pub sym: SymDef,
}

impl Outer<'_> {
    fn sym_key(&self, name: &[u8]) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(kdfa(
            self.hash,
            self.seed,
            b"STORAGE",
            name,
            b"",
            self.sym.key_bits as u32,
        ))
    }

    fn hmac_key(&self) -> Zeroizing<Vec<u8>> {
        Zeroizing::new(kdfa(
            self.hash,
            self.seed,
            b"INTEGRITY",
            b"",
            b"",
            self.hash.digest_size() as u32 * 8,
        ))
    }

    /// `TPM2B_DIGEST(integrity) || CFB(data)`.
    pub fn wrap(&self, name: &[u8], data: &[u8]) -> Vec<u8> {
        let mut enc = data.to_vec();
        aes_cfb(&self.sym_key(name), &[0; 16], &mut enc, true);
        let mac = hmac(self.hash, &self.hmac_key(), &[&enc, name]);
        let mut out = Vec::with_capacity(2 + mac.len() + enc.len());
        (mac.len() as u16).encode(&mut out);
        out.extend_from_slice(&mac);
        out.extend_from_slice(&enc);
        out
    }

    /// The data inside an outer wrapper: an integrity that does not unmarshal
    /// `TPM_RC_INSUFFICIENT`/`TPM_RC_SIZE`, a wrong one `TPM_RC_INTEGRITY`.
    pub fn unwrap(&self, name: &[u8], blob: &[u8]) -> Result<Zeroizing<Vec<u8>>, Rc> {
        let mut r = Reader::new(blob);
        let mac = tpm2_types::Tpm2bDigest::read(&mut r)?;
        let enc = r.rest();
        let want = hmac(self.hash, &self.hmac_key(), &[enc, name]);
        if !ct_eq(&want, mac.as_slice()) {
            return Err(Rc::INTEGRITY);
        }
        let mut plain = Zeroizing::new(enc.to_vec());
        aes_cfb(&self.sym_key(name), &[0; 16], &mut plain, false);
        Ok(plain)
    }
}

/// Whether `o` is an RSA or ECC key.
pub(crate) fn is_asymmetric(o: &Object) -> bool {
    matches!(o.public.type_alg(), alg::RSA | alg::ECC)
}
