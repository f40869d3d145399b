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

/// Checks a public area; `p` is its parameter number. `creating`: the TPM is about to
/// generate the key (Create/CreatePrimary), whose RSA exponent [`check_generation`]
/// checks instead.
pub fn check_public(
    public: &TpmtPublic,
    parent: Parent<'_>,
    p: usize,
    creating: bool,
) -> Result<(), Rc> {
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
    // A non-duplicable storage key has its parent's nameAlg (Part 3, TPM2_Create:
    // TPM_RC_HASH).
    if let Parent::Object(o) = parent {
        let storage = has(a::RESTRICTED) && has(a::DECRYPT);
        if storage && has(a::FIXED_TPM) && public.name_alg != o.public.name_alg {
            return Err(at(Rc::HASH));
        }
    }
    // An object that cannot be duplicated has no use for encryptedDuplication.
    if has(a::FIXED_TPM) && has(a::ENCRYPTED_DUPLICATION) {
        return Err(at(Rc::ATTRIBUTES));
    }
    let restricted = has(a::RESTRICTED);
    let sign = has(a::SIGN_ENCRYPT);
    let decrypt = has(a::DECRYPT);
    // A restricted key signs or decrypts, not both and not neither; only a data object
    // (KEYEDHASH) may do neither. These come before the type-specific scheme checks, as
    // in libtpms. (x509sign only matters when sign is SET: Part 2, §8.3.3.1.)
    if sign == decrypt && (restricted || (!sign && public.type_alg() != alg::KEYEDHASH)) {
        return Err(at(Rc::ATTRIBUTES));
    }
    match &public.parms {
        PublicParms::KeyedHash(s) => {
            // Neither or both: no scheme; a signing key: HMAC; a decryption key: XOR,
            // and a restricted one (a derivation parent) with KDF1_SP800_108, the KDF
            // its children are derived with (as libtpms).
            let ok = match (sign, decrypt, s) {
                (true, true, KeyedHashScheme::Null)
                | (false, false, KeyedHashScheme::Null)
                | (true, false, KeyedHashScheme::Hmac(_)) => true,
                (false, true, KeyedHashScheme::Xor { kdf, .. }) => {
                    !restricted || *kdf == Some(alg::KDF1_SP800_108)
                }
                _ => false,
            };
            if !ok {
                return Err(at(Rc::SCHEME));
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
            if restricted {
                check_parent_symmetric(public, &parent).map_err(at)?;
            }
        }
        PublicParms::Rsa(_) | PublicParms::Ecc(_) => {
            if !sign && !decrypt {
                return Err(at(Rc::ATTRIBUTES));
            }
            let (sym, scheme) = match &public.parms {
                PublicParms::Rsa(r) => {
                    if !creating && r.exponent != 0 && (r.exponent < 3 || r.exponent % 2 == 0) {
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
                return check_parent_symmetric(public, &parent).map_err(at);
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

/// A storage key below an object protects its children with the same symmetric
/// definition as its parent (`TPM_RC_SYMMETRIC`, as libtpms; a derivation parent has
/// none, so a derived object is never a storage parent).
fn check_parent_symmetric(public: &TpmtPublic, parent: &Parent<'_>) -> Result<(), Rc> {
    match parent {
        Parent::Object(o) if o.public.parms.symmetric() != public.parms.symmetric() => {
            Err(Rc::SYMMETRIC)
        }
        _ => Ok(()),
    }
}

/// The RSA exponent of a key the TPM is to generate: 0 (2^16 + 1) or a prime of at
/// least 2^16 + 1, as libtpms requires (`TPM_RC_RANGE`, from the key generation and so
/// without a parameter number; Part 2, §12.2.3.5 lets the TPM restrict the exponents it
/// generates keys for).
pub fn check_generation(public: &TpmtPublic) -> Result<(), Rc> {
    if let PublicParms::Rsa(r) = &public.parms {
        let e = r.exponent;
        if e != 0 && (e < 65537 || !is_prime(e)) {
            return Err(Rc::RANGE);
        }
    }
    Ok(())
}

fn is_prime(n: u32) -> bool {
    if n < 2 {
        return false;
    }
    let n = n as u64;
    let mut d = 2u64;
    while d * d <= n {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 1;
    }
    true
}

/// The sensitive data rules of `TPM2_Create` and `TPM2_CreatePrimary` (libtpms's
/// `CreateChecks`): the caller must give data when `sensitiveDataOrigin` is CLEAR and,
/// for an ordinary object, only then (a primary's data is also an input to the
/// derivation, so it may come with either); a data object never has it SET; an asymmetric
/// key always has it SET (the data then only seeds the derivation). libtpms checks
/// these before the template itself ([`check_public`]).
pub fn check_create_sensitive(
    public: &TpmtPublic,
    data_len: usize,
    primary: bool,
    p_pub: usize,
) -> Result<(), Rc> {
    let origin = public.has(a::SENSITIVE_DATA_ORIGIN);
    let (sign, decrypt) = (public.has(a::SIGN_ENCRYPT), public.has(a::DECRYPT));
    if !origin && data_len == 0 {
        return Err(Rc::ATTRIBUTES.param(p_pub));
    }
    // An ordinary object takes data only when the TPM does not make the secret.
    if !primary && origin && data_len != 0 {
        return Err(Rc::ATTRIBUTES.param(p_pub));
    }
    match &public.parms {
        PublicParms::KeyedHash(_) if !sign && !decrypt && origin => {
            return Err(Rc::ATTRIBUTES.param(p_pub))
        }
        PublicParms::KeyedHash(_) | PublicParms::SymCipher(_)
            if public.has(a::RESTRICTED)
                && !origin
                && (public.has(a::FIXED_PARENT) || public.has(a::FIXED_TPM)) =>
        {
            return Err(Rc::ATTRIBUTES.param(p_pub));
        }
        PublicParms::Rsa(_) | PublicParms::Ecc(_) if !origin => {
            return Err(Rc::ATTRIBUTES.param(p_pub))
        }
        _ => {}
    }
    Ok(())
}

/// The sizes of the data a creation takes from the caller (checked when the
/// key is made, after the template, so without a parameter number): a symmetric key of
/// the template's size (`TPM_RC_KEY_SIZE`), an HMAC key no longer than its hash's
/// block (`TPM_RC_SIZE`, as libtpms).
pub fn check_primary_data(public: &TpmtPublic, data_len: usize) -> Result<(), Rc> {
    if public.has(a::SENSITIVE_DATA_ORIGIN) {
        return Ok(());
    }
    match &public.parms {
        PublicParms::SymCipher(s) if data_len * 8 != s.key_bits as usize => Err(Rc::KEY_SIZE),
        PublicParms::KeyedHash(KeyedHashScheme::Hmac(h)) if data_len > h.block_size() => {
            Err(Rc::SIZE)
        }
        _ => Ok(()),
    }
}
