//! The cryptography of HMAC and policy sessions (Part 1, §19.6): entity Names, cpHash
//! and rpHash, the command and response HMACs, and parameter encryption (Part 1, §21).

use crate::state::{AuthSession, SessionSymmetric};
use crate::Tpm;
use tpm2_crypto::sym::{param_crypt, ParamCipher};
use tpm2_crypto::{Hasher, HmacState};
use tpm2_types::constants::ht;
use tpm2_types::{HashAlg, Rc};

impl Tpm {
    /// The Name of the entity a handle refers to (Part 1, §16): the handle itself for
    /// PCRs, permanent handles and sessions; `nameAlg || H(TPMS_NV_PUBLIC)` for an NV
    /// index (as it is now: `TPMA_NV_WRITTEN` is part of it); the Empty Buffer for a
    /// sequence object (its nameAlg is `TPM_ALG_NULL`, as libtpms has it).
    pub(crate) fn entity_name(&self, h: u32) -> Vec<u8> {
        match (h >> 24) as u8 {
            ht::NV_INDEX => match self.perm.nv.get(&h) {
                Some(ix) => crate::commands::nv::index_name(&ix.public),
                None => h.to_be_bytes().to_vec(),
            },
            ht::TRANSIENT | ht::PERSISTENT => match self.object(h) {
                // An object with nameAlg NULL (a public key loaded without one) is named
                // by its handle.
                Some(o) if o.name.is_empty() => h.to_be_bytes().to_vec(),
                Some(o) => o.name.clone(),
                None => Vec::new(),
            },
            _ => h.to_be_bytes().to_vec(),
        }
    }
}

/// cpHash = H(commandCode || Name1 || ... || parameters) (Part 1, §18.7).
pub fn cp_hash(alg: HashAlg, code: u32, names: &[Vec<u8>], params: &[u8]) -> Vec<u8> {
    let mut h = Hasher::new(alg).with(&code.to_be_bytes());
    for n in names {
        h.update(n);
    }
    h.update(params);
    h.finish()
}

/// rpHash = H(responseCode (0) || commandCode || parameters) (Part 1, §18.8).
pub fn rp_hash(alg: HashAlg, code: u32, params: &[u8]) -> Vec<u8> {
    Hasher::new(alg)
        .with(&0u32.to_be_bytes())
        .with(&code.to_be_bytes())
        .with(params)
        .finish()
}

/// The HMAC key of a session use: sessionKey || authValue (the authValue only when the
/// use includes it, Part 1, §19.6.8 and §19.6.11).
pub fn hmac_key(s: &AuthSession, auth: Option<&[u8]>) -> Vec<u8> {
    let mut k = s.key.0.clone();
    if let Some(a) = auth {
        k.extend_from_slice(a);
    }
    k
}

/// An HMAC over `parts` with the session hash; an empty key with an empty caller HMAC is
/// the empty HMAC (the reference's rule for unbound, unsalted sessions with an Empty
/// authValue, Part 1, §19.6.17).
pub fn session_hmac(s: &AuthSession, key: &[u8], caller_empty: bool, parts: &[&[u8]]) -> Vec<u8> {
    if key.is_empty() && caller_empty {
        return Vec::new();
    }
    let mut m = HmacState::new(s.hash, key);
    for p in parts {
        m.update(p);
    }
    m.finish()
}

/// The cipher a session encrypts parameters with (`None` for `TPM_ALG_NULL`).
pub fn cipher(s: &AuthSession) -> Option<ParamCipher> {
    match s.symmetric {
        SessionSymmetric::Null => None,
        SessionSymmetric::AesCfb(bits) => Some(ParamCipher::AesCfb { key_bits: bits }),
        SessionSymmetric::Xor(_) => Some(ParamCipher::Xor),
    }
}

/// Decrypts the first parameter (a `TPM2B`: its two size octets stay) in place:
/// `TPM_RC_INSUFFICIENT` without a size field, `TPM_RC_SIZE` for a size beyond the
/// parameters (the caller adds the session number).
pub fn decrypt_first(
    s: &AuthSession,
    key: &[u8],
    nonce_caller: &[u8],
    params: &mut [u8],
) -> Result<(), Rc> {
    let Some(c) = cipher(s) else {
        return Err(Rc::SYMMETRIC);
    };
    if params.len() < 2 {
        return Err(Rc::INSUFFICIENT);
    }
    let n = u16::from_be_bytes([params[0], params[1]]) as usize;
    let data = params.get_mut(2..2 + n).ok_or(Rc::SIZE)?;
    param_crypt(c, s.hash, key, nonce_caller, &s.nonce_tpm, data, false);
    Ok(())
}

/// Encrypts the first response parameter (a `TPM2B`) in place with the new nonceTPM.
pub fn encrypt_first(s: &AuthSession, key: &[u8], nonce_caller: &[u8], params: &mut [u8]) {
    let Some(c) = cipher(s) else { return };
    if params.len() < 2 {
        return;
    }
    let n = u16::from_be_bytes([params[0], params[1]]) as usize;
    if let Some(data) = params.get_mut(2..2 + n) {
        param_crypt(c, s.hash, key, &s.nonce_tpm, nonce_caller, data, true);
    }
}
