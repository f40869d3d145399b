//! Signing and signature verification (Part 3, §20): TPM2_Sign, TPM2_VerifySignature,
//! and the scheme selection they share with the attestation commands.

use crate::dispatch::Command;
use crate::object::keys::Key;
use crate::object::{hierarchy_handle, Object};
use crate::Tpm;
use tpm2_crypto::{ct_eq, ecc, hmac};
use tpm2_types::constants::{alg, obj_attr, rh, st};
use tpm2_types::object::{KeyedHashScheme, PublicParms, Scheme, Signature};
use tpm2_types::structures::TpmtTicket;
use tpm2_types::{Rc, Tpm2b, Tpm2bDigest};

/// The key's own scheme (`TPM_ALG_NULL` when the key leaves the choice to the caller).
pub fn key_scheme(o: &Object) -> Scheme {
    match &o.public.parms {
        PublicParms::Rsa(p) => p.scheme,
        PublicParms::Ecc(p) => p.scheme,
        PublicParms::KeyedHash(KeyedHashScheme::Hmac(h)) => Scheme::Hmac(*h),
        _ => Scheme::Null,
    }
}

/// Whether a signing scheme can be used with this key type.
fn scheme_fits(o: &Object, s: Scheme) -> bool {
    match o.public.type_alg() {
        alg::RSA => matches!(s, Scheme::Rsassa(_) | Scheme::Rsapss(_)),
        alg::ECC => matches!(s, Scheme::Ecdsa(_) | Scheme::Ecschnorr(_)),
        alg::KEYEDHASH => matches!(s, Scheme::Hmac(_)),
        _ => false,
    }
}

/// The signing scheme for a command (`CryptSelectSignScheme`): the key's, which the
/// caller may repeat; or the caller's when the key has none. `TPM_RC_SCHEME` on
/// parameter `p` otherwise.
pub fn select_sign_scheme(o: &Object, given: Scheme, p: usize) -> Result<Scheme, Rc> {
    let own = key_scheme(o);
    let s = match (own, given) {
        (Scheme::Null, Scheme::Null) => return Err(Rc::SCHEME.param(p)),
        (Scheme::Null, g) => g,
        (k, Scheme::Null) => k,
        (k, g) if k == g => k,
        _ => return Err(Rc::SCHEME.param(p)),
    };
    if !scheme_fits(o, s) {
        return Err(Rc::SCHEME.param(p));
    }
    Ok(s)
}

impl Tpm {
    /// Signs `digest` with the object's key under `scheme` (already selected).
    pub(crate) fn sign_digest(
        &mut self,
        o: &Object,
        scheme: Scheme,
        digest: &[u8],
    ) -> Result<Signature, Rc> {
        let key = o.key()?;
        let hash = scheme.hash().ok_or(Rc::SCHEME)?;
        let rng = &mut self.rt.drbg;
        Ok(match (&*key, scheme) {
            (Key::RsaPrivate(k), Scheme::Rsassa(h)) => Signature::Rsa {
                scheme,
                sig: Tpm2b(k.sign_pkcs1v15(h, digest, rng).map_err(|_| Rc::VALUE)?),
            },
            (Key::RsaPrivate(k), Scheme::Rsapss(h)) => Signature::Rsa {
                scheme,
                sig: Tpm2b(k.sign_pss(h, digest, rng).map_err(|_| Rc::VALUE)?),
            },
            (
                Key::Ecc {
                    curve, d: Some(d), ..
                },
                Scheme::Ecdsa(_),
            ) => {
                let (r, s) = ecc::ecdsa_sign(*curve, d, digest, rng).map_err(|_| Rc::VALUE)?;
                Signature::Ecc {
                    scheme,
                    r: Tpm2b(r),
                    s: Tpm2b(s),
                }
            }
            (
                Key::Ecc {
                    curve, d: Some(d), ..
                },
                Scheme::Ecschnorr(h),
            ) => {
                let (r, s) =
                    ecc::ecschnorr_sign(*curve, h, d, digest, rng).map_err(|_| Rc::VALUE)?;
                Signature::Ecc {
                    scheme,
                    r: Tpm2b(r),
                    s: Tpm2b(s),
                }
            }
            (Key::Bits(k), Scheme::Hmac(h)) => Signature::Hmac {
                hash: h,
                digest: hmac(h, k, &[digest]),
            },
            _ => {
                let _ = hash;
                return Err(Rc::KEY);
            }
        })
    }

    /// A hash-check ticket is valid for `digest` (restricted signing keys sign only
    /// digests of data the TPM hashed and found safe).
    fn hashcheck_valid(&mut self, t: &TpmtTicket, digest: &[u8]) -> bool {
        if t.tag != st::HASHCHECK || t.hierarchy == rh::NULL {
            return false;
        }
        let proof = self.hierarchy_proof(t.hierarchy).to_vec();
        let mut m = self.rt.keyed_mac(&proof);
        m.update(&st::HASHCHECK.to_be_bytes());
        m.update(digest);
        ct_eq(&m.finish(), t.digest.as_slice())
    }
}

/// TPM2_Sign.
pub fn sign(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let digest: Tpm2bDigest = c.params.read()?;
    let in_scheme: Scheme = c.params.read()?;
    // TPMT_TK_HASHCHECK: the tag must be TPM_ST_HASHCHECK (TPM_RC_TAG), the hierarchy a
    // TPMI_RH_HIERARCHY+ (TPM_RC_VALUE).
    let validation: TpmtTicket = c.params.read_with(|r| {
        if r.u16()? != st::HASHCHECK {
            return Err(Rc::TAG);
        }
        let hierarchy = match r.u32()? {
            h @ (rh::OWNER | rh::ENDORSEMENT | rh::PLATFORM | rh::NULL) => h,
            _ => return Err(Rc::VALUE),
        };
        Ok(TpmtTicket {
            tag: st::HASHCHECK,
            hierarchy,
            digest: tpm2_types::Codec::read(r)?,
        })
    })?;
    c.params.end()?;
    let o = tpm.object_at(c.handle(0), 1)?.clone();
    // A signing key: `sign` SET on an asymmetric or HMAC key (for a SYMCIPHER key the
    // bit means encrypt), with its private part.
    let signing_type = o.public.type_alg() != alg::SYMCIPHER;
    if !o.has(obj_attr::SIGN_ENCRYPT) || o.sensitive.is_none() || !signing_type {
        return Err(Rc::KEY.handle(1));
    }
    // An x509sign key signs only in TPM2_CertifyX509 (Part 2, §8.3.3.1).
    if o.has(obj_attr::X509_SIGN) {
        return Err(Rc::ATTRIBUTES.handle(1));
    }
    let scheme = select_sign_scheme(&o, in_scheme, 2)?;
    let hash = scheme.hash().ok_or(Rc::SCHEME.param(2))?;
    if digest.len() != hash.digest_size() {
        return Err(Rc::SIZE.param(1));
    }
    if o.has(obj_attr::RESTRICTED) && !tpm.hashcheck_valid(&validation, digest.as_slice()) {
        return Err(Rc::TICKET.param(3));
    }
    let sig = tpm.sign_digest(&o, scheme, digest.as_slice())?;
    c.put(&sig);
    Ok(())
}

/// Checks `sig` over `digest` with the object's public key.
pub(crate) fn verify(o: &Object, digest: &[u8], sig: &Signature) -> Result<bool, Rc> {
    let key = o.key()?;
    Ok(match (&*key, sig) {
        (Key::RsaPublic(_) | Key::RsaPrivate(_), Signature::Rsa { scheme, sig }) => {
            let Some(public) = key.rsa_public() else {
                return Ok(false);
            };
            match scheme {
                Scheme::Rsassa(h) => public.verify_pkcs1v15(*h, digest, sig.as_slice()),
                Scheme::Rsapss(h) => public.verify_pss(*h, digest, sig.as_slice()),
                _ => false,
            }
        }
        (Key::Ecc { curve, q, .. }, Signature::Ecc { scheme, r, s }) => match scheme {
            Scheme::Ecdsa(_) => ecc::ecdsa_verify(*curve, q, digest, r.as_slice(), s.as_slice()),
            Scheme::Ecschnorr(h) => {
                ecc::ecschnorr_verify(*curve, *h, q, digest, r.as_slice(), s.as_slice())
            }
            _ => false,
        },
        (Key::Bits(k), Signature::Hmac { hash, digest: mac }) => {
            !k.is_empty() && ct_eq(&hmac(*hash, k, &[digest]), mac)
        }
        _ => return Err(Rc::SCHEME),
    })
}

/// TPM2_VerifySignature: a verified ticket `HMAC(proof, TPM_ST_VERIFIED || digest ||
/// keyName)` (the NULL ticket for a key of the NULL hierarchy).
pub fn verify_signature(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let digest: Tpm2bDigest = c.params.read()?;
    let sig: Signature = c.params.read()?;
    c.params.end()?;
    let h = c.handle(0);
    let o = tpm.object_at(h, 1)?.clone();
    if !o.has(obj_attr::SIGN_ENCRYPT) {
        return Err(Rc::ATTRIBUTES.handle(1));
    }
    if let Signature::Null = sig {
        return Err(Rc::SCHEME.param(2));
    }
    let ok = verify(&o, digest.as_slice(), &sig).map_err(|e| e.param(2))?;
    if !ok {
        return Err(Rc::SIGNATURE.param(2));
    }
    let hierarchy = hierarchy_handle(o.hierarchy);
    let ticket = if hierarchy == rh::NULL {
        TpmtTicket::null(st::VERIFIED)
    } else {
        let name = tpm.entity_name(h);
        let proof = tpm.hierarchy_proof(hierarchy).to_vec();
        let mut m = tpm.rt.keyed_mac(&proof);
        m.update(&st::VERIFIED.to_be_bytes());
        m.update(digest.as_slice());
        m.update(&name);
        TpmtTicket {
            tag: st::VERIFIED,
            hierarchy,
            digest: Tpm2bDigest::from(m.finish()),
        }
    };
    c.put(&ticket);
    Ok(())
}
