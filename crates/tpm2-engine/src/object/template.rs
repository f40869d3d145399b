//! The rules a public area must follow to be created or loaded (Part 1, §27 object
//! attributes; Part 3 TPM2_Create/CreatePrimary/Load "Error Returns"). Each check returns
//! the code of the spec; the caller's parameter number is added here.

use super::Object;
use tpm2_types::constants::{alg, obj_attr as a};
use tpm2_types::object::{KeyedHashScheme, PublicParms, Scheme, TpmtPublic};
use tpm2_types::Rc;

/// Where the object comes from, for the `fixedTPM`/`fixedParent` rule.
pub enum Parent<'a> {
    /// A primary object (its parent, the hierarchy, is fixed to this TPM).
    Hierarchy,
    Object(&'a Object),
    /// `TPM2_LoadExternal`: no parent.
    None,
}

/// Checks a public area; `p` is its parameter number.
pub fn check_public(public: &TpmtPublic, parent: Parent<'_>, p: usize) -> Result<(), Rc> {
    let at = |rc: Rc| rc.param(p);
    let has = |bit| public.has(bit);
    if let Some(h) = public.name_alg {
        let n = public.auth_policy.len();
        if n != 0 && n != h.digest_size() {
            return Err(at(Rc::SIZE));
        }
    }
    // fixedTPM implies fixedParent; under a parent that is not fixedTPM nothing is.
    let parent_fixed = match parent {
        Parent::Hierarchy => true,
        Parent::Object(o) => o.has(a::FIXED_TPM),
        Parent::None => !has(a::FIXED_TPM) || has(a::FIXED_PARENT),
    };
    if parent_fixed {
        if has(a::FIXED_TPM) != has(a::FIXED_PARENT) && !matches!(parent, Parent::None) {
            return Err(at(Rc::ATTRIBUTES));
        }
    } else if has(a::FIXED_TPM) {
        return Err(at(Rc::ATTRIBUTES));
    }
    let restricted = has(a::RESTRICTED);
    let sign = has(a::SIGN_ENCRYPT);
    let decrypt = has(a::DECRYPT);
    if restricted && sign && decrypt {
        return Err(at(Rc::ATTRIBUTES));
    }
    if has(a::X509_SIGN) && (!sign || restricted) {
        return Err(at(Rc::ATTRIBUTES));
    }
    match &public.parms {
        PublicParms::KeyedHash(s) => {
            if decrypt {
                // Derivation parents (KDF schemes) are not implemented.
                return Err(at(Rc::ATTRIBUTES));
            }
            match (sign, s) {
                (true, KeyedHashScheme::Hmac(_)) => {}
                (true, KeyedHashScheme::Null) if !restricted => {}
                (false, KeyedHashScheme::Null) if !restricted => {}
                _ => return Err(at(Rc::SCHEME)),
            }
        }
        PublicParms::SymCipher(s) => {
            // `sign` is "encrypt" for a symmetric key; a restricted one only decrypts
            // (a storage parent).
            if (!sign && !decrypt) || (restricted && sign) {
                return Err(at(Rc::ATTRIBUTES));
            }
            if restricted && s.mode != Some(alg::CFB) {
                return Err(at(Rc::SYMMETRIC));
            }
        }
        PublicParms::Rsa(_) | PublicParms::Ecc(_) => {
            if !sign && !decrypt {
                return Err(at(Rc::ATTRIBUTES));
            }
            let (sym, scheme) = match &public.parms {
                PublicParms::Rsa(r) => {
                    if r.exponent != 0 && (r.exponent < 3 || r.exponent % 2 == 0) {
                        return Err(at(Rc::VALUE));
                    }
                    (r.symmetric, r.scheme)
                }
                PublicParms::Ecc(e) => {
                    if e.kdf.0.is_some() {
                        return Err(at(Rc::KDF));
                    }
                    (e.symmetric, e.scheme)
                }
                _ => unreachable!("matched above"),
            };
            let is_rsa = public.type_alg() == alg::RSA;
            if restricted && decrypt {
                match sym {
                    Some(s) if s.mode == Some(alg::CFB) => {}
                    _ => return Err(at(Rc::SYMMETRIC)),
                }
                if !scheme.is_null() {
                    return Err(at(Rc::SCHEME));
                }
                return Ok(());
            }
            if sym.is_some() {
                return Err(at(Rc::SYMMETRIC));
            }
            let ok = match scheme {
                Scheme::Null => !restricted,
                Scheme::Rsassa(_) | Scheme::Rsapss(_) => is_rsa && sign && !decrypt,
                Scheme::Ecdsa(_) | Scheme::Ecschnorr(_) => !is_rsa && sign && !decrypt,
                Scheme::Rsaes | Scheme::Oaep(_) => is_rsa && decrypt && !sign,
                Scheme::Ecdh(_) => !is_rsa && decrypt && !sign,
                Scheme::Hmac(_) => false,
            };
            if !ok {
                return Err(at(Rc::SCHEME));
            }
        }
    }
    Ok(())
}

/// Checks the sensitive data given to `TPM2_Create`/`CreatePrimary` against the template
/// (`sensitiveDataOrigin` SET exactly when the TPM makes the secret; asymmetric keys
/// accept no data; a symmetric key must have the template's size).
pub fn check_sensitive_data(
    public: &TpmtPublic,
    data_len: usize,
    p_sens: usize,
    p_pub: usize,
) -> Result<(), Rc> {
    let origin = public.has(a::SENSITIVE_DATA_ORIGIN);
    let data_object = matches!(public.parms, PublicParms::KeyedHash(_))
        && !public.has(a::SIGN_ENCRYPT)
        && !public.has(a::DECRYPT);
    if data_object {
        return if origin {
            Err(Rc::ATTRIBUTES.param(p_pub))
        } else {
            Ok(())
        };
    }
    if data_len == 0 {
        return if origin {
            Ok(())
        } else {
            Err(Rc::ATTRIBUTES.param(p_pub))
        };
    }
    match &public.parms {
        PublicParms::Rsa(_) | PublicParms::Ecc(_) => return Err(Rc::SIZE.param(p_sens)),
        PublicParms::SymCipher(s) if data_len * 8 != s.key_bits as usize => {
            return Err(Rc::KEY_SIZE.param(p_sens))
        }
        _ => {}
    }
    if origin {
        return Err(Rc::ATTRIBUTES.param(p_pub));
    }
    Ok(())
}
