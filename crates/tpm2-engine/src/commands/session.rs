//! TPM2_StartAuthSession and TPM2_PolicyRestart (Part 3, §11).

use crate::dispatch::auth::trim_zeros;
use crate::dispatch::Command;
use crate::state::{AuthSession, BoundEntity, PolicyState, Secret, SessionSymmetric, SessionType};
use crate::Tpm;
use tpm2_crypto::kdf::kdfa;
use tpm2_types::constants::{alg, ht, nt, rh, se};
use tpm2_types::{Codec, HashAlg, Rc, Reader, Tpm2bNonce};

/// `TPM2B_ENCRYPTED_SECRET`: at most `sizeof(TPMU_ENCRYPTED_SECRET)`, the largest RSA
/// modulus (4096 bits).
const MAX_ENCRYPTED_SECRET: usize = tpm2_types::object::MAX_RSA_KEY_BYTES;

/// `TPM_SE`: `TPM_RC_VALUE` for anything but HMAC, policy and trial.
fn read_session_type(r: &mut Reader<'_>) -> Result<SessionType, Rc> {
    match r.u8()? {
        se::HMAC => Ok(SessionType::Hmac),
        se::POLICY => Ok(SessionType::Policy),
        se::TRIAL => Ok(SessionType::Trial),
        _ => Err(Rc::VALUE),
    }
}

/// `TPMT_SYM_DEF+` as unmarshalled: the algorithm (`TPM_RC_SYMMETRIC` if not
/// implemented), its key size (`TPM_RC_VALUE`: AES takes 128 or 256 bits) or hash for
/// XOR (`TPM_RC_HASH`), and the mode (`TPMI_ALG_SYM_MODE+`: `TPM_RC_MODE` for anything
/// that is not a block mode or NULL). Whether the mode is CFB is the command's check,
/// made later; the mode is returned alongside.
fn read_symmetric(r: &mut Reader<'_>) -> Result<(SessionSymmetric, u16), Rc> {
    match r.u16()? {
        alg::NULL => Ok((SessionSymmetric::Null, alg::NULL)),
        alg::XOR => {
            let h = HashAlg::from_id(r.u16()?).ok_or(Rc::HASH)?;
            Ok((SessionSymmetric::Xor(h), alg::NULL))
        }
        alg::AES => {
            let bits = r.u16()?;
            if bits != 128 && bits != 256 {
                return Err(Rc::VALUE);
            }
            let mode = r.u16()?;
            if !matches!(
                mode,
                alg::CTR | alg::OFB | alg::CBC | alg::CFB | alg::ECB | alg::NULL
            ) {
                return Err(Rc::MODE);
            }
            Ok((SessionSymmetric::AesCfb(bits), mode))
        }
        _ => Err(Rc::SYMMETRIC),
    }
}

/// TPM2_StartAuthSession (Part 3, §11.1). With a `tpmKey` (a loaded RSA or ECC decryption
/// key) the session is salted: the salt is the secret `encryptedSalt` carries for that
/// key (Part 1, §B.10.3 and §C.6.1: RSA-OAEP with the key's nameAlg and the label
/// "SECRET"; for ECC, an ephemeral point QeU whose shared x-coordinate Z gives
/// KDFe(nameAlg, Z, "SECRET", QeU.x, QsV.x, digest bits)). The session key is
/// KDFa(authHash, authValue(bind) || salt, "ATH", nonceTPM, nonceCaller, digest size) when
/// the session is bound or salted, empty otherwise (Part 1, §19.6.8). nonceTPM has the
/// size of nonceCaller.
pub fn start_auth_session(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let nonce_caller: Tpm2bNonce = c.params.read()?;
    let salt = c.params.read_with(|r| {
        let n = r.u16()? as usize;
        if n > MAX_ENCRYPTED_SECRET {
            return Err(Rc::SIZE);
        }
        r.take(n)
    })?;
    let kind = c.params.read_with(read_session_type)?;
    let (symmetric, mode) = c.params.read_with(read_symmetric)?;
    let hash: HashAlg = c.params.read()?;
    c.params.end()?;
    let (tpm_key, bind) = (c.handle(0), c.handle(1));

    let n = nonce_caller.len();
    if n < 16 || n > hash.digest_size() {
        return Err(Rc::SIZE.param(1));
    }
    let salt = if tpm_key == rh::NULL {
        if !salt.is_empty() {
            return Err(Rc::VALUE.param(2));
        }
        Vec::new()
    } else {
        tpm.decrypt_salt(tpm_key, salt)?
    };
    // A PIN index cannot be bound to: its authValue is a PIN, not a key.
    if (bind >> 24) as u8 == ht::NV_INDEX {
        let t = tpm.nv_index(bind)?.public.nv_type();
        if t == nt::PIN_FAIL || t == nt::PIN_PASS {
            return Err(Rc::HANDLE.handle(2));
        }
    }
    // A block cipher encrypts parameters in CFB mode only.
    if matches!(symmetric, SessionSymmetric::AesCfb(_)) && mode != alg::CFB {
        return Err(Rc::MODE.param(4));
    }

    let nonce_tpm = tpm.random_vec(n);
    let auth = if bind == rh::NULL {
        Vec::new()
    } else {
        trim_zeros(tpm.entity_auth(bind)).to_vec()
    };
    let key = if bind != rh::NULL || tpm_key != rh::NULL {
        let bits = (hash.digest_size() * 8) as u32;
        let mut secret = zeroize::Zeroizing::new(auth.clone());
        secret.extend_from_slice(&salt);
        kdfa(
            hash,
            &secret,
            b"ATH",
            &nonce_tpm,
            nonce_caller.as_slice(),
            bits,
        )
    } else {
        Vec::new()
    };
    let da_bound = bind != rh::NULL && !tpm.da_exempt(bind);
    let bound = (bind != rh::NULL && kind == SessionType::Hmac).then(|| BoundEntity {
        name: tpm.entity_name(bind),
        auth: Secret(auth),
    });
    let mut s = AuthSession {
        kind,
        hash,
        key: Secret(key),
        nonce_tpm,
        symmetric,
        bound,
        da_bound,
        lockout_bound: da_bound && bind == rh::LOCKOUT,
        audit: None,
        policy: PolicyState::default(),
        start_time: tpm.vol.time_ms,
    };
    if kind != SessionType::Hmac {
        s.reset_policy();
    }
    let nonce = Tpm2bNonce::from(s.nonce_tpm.clone());
    let h = tpm.session_insert(s)?;
    c.out_handle = Some(h);
    nonce.encode(&mut c.out);
    Ok(())
}

/// TPM2_PolicyRestart (Part 3, §23.2): the policy starts over; nonce and binding stay.
pub fn policy_restart(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    c.params.end()?;
    policy_session(tpm, c.handle(0))?.reset_policy();
    Ok(())
}

/// The policy or trial session a `TPMI_SH_POLICY` handle names (the dispatcher has seen
/// that its slot is loaded; an HMAC session in that slot is not one).
pub(crate) fn policy_session(tpm: &mut Tpm, h: u32) -> Result<&mut AuthSession, Rc> {
    tpm.session_mut(h).ok_or(Rc::HANDLE.handle(1))
}

impl Tpm {
    /// The salt of a salted session: `encryptedSalt` decrypted with the loaded key at
    /// handle 1 (`TPM_RC_KEY` for a key that is not RSA or ECC, `TPM_RC_ATTRIBUTES` for one
    /// that does not decrypt, `TPM_RC_VALUE` on parameter 2 for a secret it cannot open).
    fn decrypt_salt(&mut self, h: u32, encrypted: &[u8]) -> Result<Vec<u8>, Rc> {
        use crate::object::keys::Key;
        use tpm2_types::constants::obj_attr;
        let o = self.object(h).ok_or(Rc::KEY.handle(1))?.clone();
        if !matches!(o.public.type_alg(), alg::RSA | alg::ECC) || o.sensitive.is_none() {
            return Err(Rc::KEY.handle(1));
        }
        if !o.has(obj_attr::DECRYPT) {
            return Err(Rc::ATTRIBUTES.handle(1));
        }
        if encrypted.is_empty() {
            return Err(Rc::VALUE.param(2));
        }
        let name_alg = o.public.name_alg.ok_or(Rc::KEY.handle(1))?;
        let key = o.key()?;
        match &*key {
            Key::RsaPrivate(k) => k
                .decrypt_oaep(name_alg, b"SECRET\0", encrypted, &mut self.rt.drbg)
                .map_err(|_| Rc::VALUE.param(2)),
            Key::Ecc {
                curve,
                q,
                d: Some(d),
            } => {
                let point = tpm2_types::object::EccPoint::from_bytes(encrypted)
                    .map_err(|_| Rc::VALUE.param(2))?;
                let qe = tpm2_crypto::ecc::EccPoint {
                    x: point.x.0.clone(),
                    y: point.y.0.clone(),
                };
                let z = tpm2_crypto::ecc::ecdh_zgen(*curve, d, &qe)
                    .map_err(|_| Rc::ECC_POINT.param(2))?;
                Ok(tpm2_crypto::kdf::kdfe(
                    name_alg,
                    &z.x,
                    b"SECRET",
                    &qe.x,
                    &q.x,
                    (name_alg.digest_size() * 8) as u32,
                ))
            }
            _ => Err(Rc::KEY.handle(1)),
        }
    }
}
