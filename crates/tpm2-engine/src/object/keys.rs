//! The cryptographic key an object's public and sensitive areas describe.

use tpm2_crypto::ecc::{self, EccCurve};
use tpm2_crypto::rsa::{RsaPrivateKey, RsaPublicKey};
use tpm2_types::constants::alg;
use tpm2_types::object::{PublicParms, TpmtPublic, TpmtSensitive, Unique};
use tpm2_types::Rc;
use zeroize::Zeroizing;

/// The RSA exponent a public area with exponent 0 has (Part 2, §12.2.3.5).
pub const DEFAULT_RSA_EXPONENT: u32 = 65537;

pub enum Key {
    RsaPublic(RsaPublicKey),
    RsaPrivate(Box<RsaPrivateKey>),
    Ecc {
        curve: EccCurve,
        q: ecc::EccPoint,
        d: Option<Zeroizing<Vec<u8>>>,
    },
    /// A SYMCIPHER key, an HMAC key or sealed data (the `sensitive` bytes); empty for a
    /// public-only object.
    Bits(Zeroizing<Vec<u8>>),
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match self {
            Key::RsaPublic(_) => "RSA public",
            Key::RsaPrivate(_) => "RSA private",
            Key::Ecc { d: None, .. } => "ECC public",
            Key::Ecc { .. } => "ECC private",
            Key::Bits(_) => "symmetric",
        };
        write!(f, "Key({kind})")
    }
}

pub fn rsa_exponent(e: u32) -> u32 {
    if e == 0 {
        DEFAULT_RSA_EXPONENT
    } else {
        e
    }
}

pub fn curve_of(id: u16) -> Result<EccCurve, Rc> {
    EccCurve::from_id(id).ok_or(Rc::CURVE)
}

impl Key {
    /// The RSA public key of an RSA key, private or public-only.
    pub fn rsa_public(&self) -> Option<&RsaPublicKey> {
        match self {
            Key::RsaPublic(p) => Some(p),
            Key::RsaPrivate(k) => Some(k.public()),
            _ => None,
        }
    }

    /// Builds the key; a sensitive area that does not belong to the public area is
    /// `TPM_RC_BINDING`, an unusable public key `TPM_RC_KEY` (the caller numbers them).
    pub fn from_object(public: &TpmtPublic, sensitive: Option<&TpmtSensitive>) -> Result<Key, Rc> {
        match (&public.parms, &public.unique) {
            (PublicParms::Rsa(p), Unique::Rsa(n)) => {
                let e = rsa_exponent(p.exponent);
                if n.len() * 8 != p.key_bits as usize {
                    return Err(Rc::KEY);
                }
                match sensitive {
                    None => Ok(Key::RsaPublic(
                        RsaPublicKey::new(n.as_slice(), e).map_err(|_| Rc::KEY)?,
                    )),
                    Some(s) => Ok(Key::RsaPrivate(Box::new(
                        RsaPrivateKey::from_prime(n.as_slice(), e, &s.sensitive)
                            .map_err(|_| Rc::BINDING)?,
                    ))),
                }
            }
            (PublicParms::Ecc(p), Unique::Ecc(q)) => {
                let curve = curve_of(p.curve)?;
                let q = ecc::EccPoint {
                    x: q.x.0.clone(),
                    y: q.y.0.clone(),
                };
                ecc::validate_point(curve, &q).map_err(|_| Rc::ECC_POINT)?;
                let d = match sensitive {
                    None => None,
                    Some(s) => {
                        let mine = ecc::public_key(curve, &s.sensitive).map_err(|_| Rc::BINDING)?;
                        if !same_point(&mine, &q) {
                            return Err(Rc::BINDING);
                        }
                        Some(Zeroizing::new(s.sensitive.clone()))
                    }
                };
                Ok(Key::Ecc { curve, q, d })
            }
            _ if matches!(public.type_alg(), alg::KEYEDHASH | alg::SYMCIPHER) => Ok(Key::Bits(
                Zeroizing::new(sensitive.map(|s| s.sensitive.clone()).unwrap_or_default()),
            )),
            _ => Err(Rc::TYPE),
        }
    }
}

impl Key {
    /// The key of an object this TPM has just made from `template`'s parameters (a fresh
    /// or derived primary): the same as [`Key::from_object`], without re-deriving an ECC
    /// public point from the private scalar that produced it a moment ago (a second
    /// fixed-base multiplication per ECC primary).
    pub fn from_generated(public: &TpmtPublic, sensitive: &TpmtSensitive) -> Result<Key, Rc> {
        match (&public.parms, &public.unique) {
            (PublicParms::Ecc(p), Unique::Ecc(q)) => Ok(Key::Ecc {
                curve: curve_of(p.curve)?,
                q: ecc::EccPoint {
                    x: q.x.0.clone(),
                    y: q.y.0.clone(),
                },
                d: Some(Zeroizing::new(sensitive.sensitive.clone())),
            }),
            _ => Key::from_object(public, Some(sensitive)),
        }
    }
}

/// Coordinates compared as integers (leading zeros do not matter).
pub fn same_point(a: &ecc::EccPoint, b: &ecc::EccPoint) -> bool {
    fn strip(v: &[u8]) -> &[u8] {
        let n = v.iter().take_while(|b| **b == 0).count();
        &v[n..]
    }
    strip(&a.x) == strip(&b.x) && strip(&a.y) == strip(&b.y)
}
