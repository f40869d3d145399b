//! The policy assertions that carry an authorization (Part 3, §23.3–§23.5, §23.16,
//! §23.22): a signature, another entity's authorization, a ticket standing for either,
//! and a policy approved by a key or by an NV index.

use super::{
    auth_timeout, context_update, parameter_checks, policy_session, AuthSession, EXPIRES_ON_RESET,
};
use crate::dispatch::Command;
use crate::object::hierarchy_handle;
use crate::state::SessionType;
use crate::Tpm;
use tpm2_crypto::{ct_eq, Hasher};
use tpm2_types::constants::{cc, ht, nt, nv_attr, rh, st};
use tpm2_types::object::Signature;
use tpm2_types::structures::{TpmtHa, TpmtTicket};
use tpm2_types::{Codec, HashAlg, Rc, Reader, Tpm2bDigest, Tpm2bName, Tpm2bNonce, Tpm2bTimeout};

/// Whether a `TPM_ST` value is defined (`TPM_RC_VALUE` from its unmarshaller otherwise).
fn st_defined(tag: u16) -> bool {
    matches!(
        tag,
        st::RSP_COMMAND
            | st::NULL
            | st::NO_SESSIONS
            | st::SESSIONS
            | st::ATTEST_NV..=st::ATTEST_CREATION
            | st::ATTEST_NV_DIGEST
            | st::CREATION..=st::AUTH_SIGNED
            | st::FU_MANIFEST
    )
}

/// A ticket with one of `tags` (`TPM_RC_TAG` for another defined `TPM_ST`) and a
/// `TPMI_RH_HIERARCHY+` (`TPM_RC_VALUE`).
fn read_ticket(r: &mut Reader<'_>, tags: &[u16]) -> Result<TpmtTicket, Rc> {
    let tag = r.u16()?;
    if !st_defined(tag) {
        return Err(Rc::VALUE);
    }
    if !tags.contains(&tag) {
        return Err(Rc::TAG);
    }
    let hierarchy = r.u32()?;
    if !matches!(
        hierarchy,
        rh::OWNER | rh::ENDORSEMENT | rh::PLATFORM | rh::NULL
    ) {
        return Err(Rc::VALUE);
    }
    let digest = Tpm2bDigest::read(r)?;
    Ok(TpmtTicket {
        tag,
        hierarchy,
        digest,
    })
}

/// `INT32`.
fn read_i32(r: &mut Reader<'_>) -> Result<i32, Rc> {
    Ok(r.u32()? as i32)
}

impl Tpm {
    /// The hierarchy an entity belongs to (`EntityGetHierarchy`): platform, endorsement
    /// and null for themselves, the owner for the other permanent handles and PCRs, an NV
    /// index's by `PLATFORMCREATE`, an object's own.
    fn entity_hierarchy(&self, h: u32) -> u32 {
        match (h >> 24) as u8 {
            ht::PERMANENT => match h {
                rh::PLATFORM | rh::ENDORSEMENT | rh::NULL => h,
                _ => rh::OWNER,
            },
            ht::NV_INDEX => match self.perm.nv.get(&h) {
                Some(ix) if ix.public.has(nv_attr::PLATFORMCREATE) => rh::PLATFORM,
                _ => rh::OWNER,
            },
            ht::TRANSIENT | ht::PERSISTENT => self
                .object(h)
                .map_or(rh::NULL, |o| hierarchy_handle(o.hierarchy)),
            _ => rh::OWNER,
        }
    }

    /// The response of PolicySigned/PolicySecret: for a negative expiration in a policy
    /// session, the timeout (with [`EXPIRES_ON_RESET`] when no nonceTPM was given) and a
    /// ticket that can stand for the assertion in PolicyTicket; otherwise an empty timeout
    /// and the NULL ticket.
    #[allow(clippy::too_many_arguments)]
    fn assertion_response(
        &mut self,
        c: &mut Command<'_>,
        make: bool,
        tag: u16,
        hierarchy: u32,
        timeout: u64,
        nonce_empty: bool,
        cp: &[u8],
        policy_ref: &[u8],
        name: &[u8],
    ) {
        if !make {
            c.put(&Tpm2bTimeout::empty());
            c.put(&TpmtTicket::null(tag));
            return;
        }
        let timeout = timeout & !EXPIRES_ON_RESET;
        let digest = self.auth_ticket(tag, hierarchy, timeout, nonce_empty, cp, policy_ref, name);
        let flagged = if nonce_empty {
            timeout | EXPIRES_ON_RESET
        } else {
            timeout
        };
        c.put(&Tpm2bTimeout::from(flagged.to_be_bytes().to_vec()));
        c.put(&TpmtTicket {
            tag,
            hierarchy,
            digest: Tpm2bDigest::from(digest),
        });
    }
}

/// The session behind the policy handle, copied (for checks that also read the TPM).
fn session_copy(tpm: &mut Tpm, h: u32) -> Result<AuthSession, Rc> {
    Ok(policy_session(tpm, h)?.clone())
}

/// TPM2_PolicySigned (Part 3, §23.3): a signature by `authObject` over
/// aHash = H_sig(nonceTPM || expiration || cpHashA || policyRef) (checked only in a policy
/// session: nonce `TPM_RC_NONCE`, expiration `TPM_RC_EXPIRED`, cpHashA `TPM_RC_SIZE` /
/// `TPM_RC_CPHASH`, a scheme without a hash `TPM_RC_SCHEME`, a bad signature
/// `TPM_RC_SIGNATURE`); then
/// policyDigest := H(H(policyDigest || TPM_CC_PolicySigned || authObject.Name) || policyRef).
pub fn signed(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let nonce: Tpm2bNonce = c.params.read()?;
    let cp: Tpm2bDigest = c.params.read()?;
    let policy_ref: Tpm2bNonce = c.params.read()?;
    let expiration = c.params.read_with(read_i32)?;
    // TPMT_SIGNATURE (no NULL).
    let sig = c.params.read_with(|r| match Signature::read(r)? {
        Signature::Null => Err(Rc::SCHEME),
        s => Ok(s),
    })?;
    c.params.end()?;
    let (key, sh) = (c.handle(0), c.handle(1));
    let s = session_copy(tpm, sh)?;
    let trial = s.kind == SessionType::Trial;
    let now = tpm.vol.time_ms;
    let mut timeout = 0;
    if !trial {
        timeout = auth_timeout(&s, now, expiration, nonce.is_empty());
        parameter_checks(
            &s,
            now,
            timeout,
            cp.as_slice(),
            Some((nonce.as_slice(), 1)),
            2,
            4,
        )?;
        let hash = match &sig {
            Signature::Rsa { scheme, .. } | Signature::Ecc { scheme, .. } => scheme.hash(),
            Signature::Hmac { hash, .. } => Some(*hash),
            Signature::Null => None,
        }
        .ok_or(Rc::SCHEME.param(5))?;
        let a_hash = Hasher::new(hash)
            .with(nonce.as_slice())
            .with(&expiration.to_be_bytes())
            .with(cp.as_slice())
            .with(policy_ref.as_slice())
            .finish();
        let o = tpm.object_at(key, 1)?.clone();
        if !crate::commands::signature::verify(&o, &a_hash, &sig).map_err(|e| e.param(5))? {
            return Err(Rc::SIGNATURE.param(5));
        }
    }
    let name = tpm.entity_name(key);
    let s = policy_session(tpm, sh)?;
    context_update(
        s,
        cc::POLICY_SIGNED,
        &name,
        Some(policy_ref.as_slice()),
        cp.as_slice(),
        timeout,
    );
    let hierarchy = tpm.entity_hierarchy(key);
    tpm.assertion_response(
        c,
        expiration < 0 && !trial,
        st::AUTH_SIGNED,
        hierarchy,
        timeout,
        nonce.is_empty(),
        cp.as_slice(),
        policy_ref.as_slice(),
        &name,
    );
    Ok(())
}

/// TPM2_PolicySecret (Part 3, §23.4): `authHandle` was authorized for this command (by
/// the dispatcher; a policy session doing so must itself require the authValue,
/// `TPM_RC_MODE`). The nonce, expiration and cpHashA are checked as for PolicySigned;
/// policyDigest := H(H(policyDigest || TPM_CC_PolicySecret || authHandle.Name) ||
/// policyRef). No ticket for a PIN Pass index.
pub fn secret(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let nonce: Tpm2bNonce = c.params.read()?;
    let cp: Tpm2bDigest = c.params.read()?;
    let policy_ref: Tpm2bNonce = c.params.read()?;
    let expiration = c.params.read_with(read_i32)?;
    c.params.end()?;
    let (entity, sh) = (c.handle(0), c.handle(1));
    let s = session_copy(tpm, sh)?;
    let trial = s.kind == SessionType::Trial;
    let now = tpm.vol.time_ms;
    let mut timeout = 0;
    if !trial {
        timeout = auth_timeout(&s, now, expiration, nonce.is_empty());
        parameter_checks(
            &s,
            now,
            timeout,
            cp.as_slice(),
            Some((nonce.as_slice(), 1)),
            2,
            4,
        )?;
    }
    let name = tpm.entity_name(entity);
    let s = policy_session(tpm, sh)?;
    context_update(
        s,
        cc::POLICY_SECRET,
        &name,
        Some(policy_ref.as_slice()),
        cp.as_slice(),
        timeout,
    );
    let pin_pass = (entity >> 24) as u8 == ht::NV_INDEX
        && tpm
            .perm
            .nv
            .get(&entity)
            .is_some_and(|ix| ix.public.nv_type() == nt::PIN_PASS);
    let hierarchy = tpm.entity_hierarchy(entity);
    tpm.assertion_response(
        c,
        expiration < 0 && !trial && !pin_pass,
        st::AUTH_SECRET,
        hierarchy,
        timeout,
        nonce.is_empty(),
        cp.as_slice(),
        policy_ref.as_slice(),
        &name,
    );
    Ok(())
}

/// TPM2_PolicyTicket (Part 3, §23.5): a ticket from PolicySigned/PolicySecret in place of
/// the assertion. Not in a trial session (`TPM_RC_ATTRIBUTES`); the timeout is 8 octets
/// (`TPM_RC_SIZE`) and not past (`TPM_RC_EXPIRED`), cpHashA as for PolicySigned; a
/// ticket that does not match is `TPM_RC_TICKET`. The digest is then updated as the
/// assertion would have updated it.
pub fn ticket(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let timeout_buf: Tpm2bTimeout = c.params.read()?;
    let cp: Tpm2bDigest = c.params.read()?;
    let policy_ref: Tpm2bNonce = c.params.read()?;
    let auth_name: Tpm2bName = c.params.read()?;
    let t = c
        .params
        .read_with(|r| read_ticket(r, &[st::AUTH_SIGNED, st::AUTH_SECRET]))?;
    c.params.end()?;
    let sh = c.handle(0);
    let s = session_copy(tpm, sh)?;
    if s.kind == SessionType::Trial {
        return Err(Rc::ATTRIBUTES.handle(1));
    }
    let raw: [u8; 8] = timeout_buf
        .as_slice()
        .try_into()
        .map_err(|_| Rc::SIZE.param(1))?;
    let raw = u64::from_be_bytes(raw);
    let expires_on_reset = raw & EXPIRES_ON_RESET != 0;
    let timeout = raw & !EXPIRES_ON_RESET;
    parameter_checks(&s, tpm.vol.time_ms, timeout, cp.as_slice(), None, 2, 1)?;
    let want = tpm.auth_ticket(
        t.tag,
        t.hierarchy,
        timeout,
        expires_on_reset,
        cp.as_slice(),
        policy_ref.as_slice(),
        auth_name.as_slice(),
    );
    if !ct_eq(&want, t.digest.as_slice()) {
        return Err(Rc::TICKET.param(5));
    }
    let code = if t.tag == st::AUTH_SIGNED {
        cc::POLICY_SIGNED
    } else {
        cc::POLICY_SECRET
    };
    let s = policy_session(tpm, sh)?;
    context_update(
        s,
        code,
        auth_name.as_slice(),
        Some(policy_ref.as_slice()),
        cp.as_slice(),
        timeout,
    );
    Ok(())
}

/// TPM2_PolicyAuthorize (Part 3, §23.16): the current policyDigest is `approvedPolicy`
/// (`TPM_RC_VALUE`), approved by the key named `keySign`: `checkTicket` is the
/// `TPMT_TK_VERIFIED` TPM2_VerifySignature gave for aHash = H_nameAlg(approvedPolicy ||
/// policyRef) (`TPM_RC_VALUE`). A keySign whose nameAlg is not a hash is `TPM_RC_HASH`,
/// one of the wrong length `TPM_RC_SIZE`. In a trial session nothing is checked but the
/// Name. Then policyDigest := H(H(0…0 || TPM_CC_PolicyAuthorize || keySign) || policyRef).
pub fn authorize(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let approved: Tpm2bDigest = c.params.read()?;
    let policy_ref: Tpm2bNonce = c.params.read()?;
    let key_sign: Tpm2bName = c.params.read()?;
    let t = c.params.read_with(|r| read_ticket(r, &[st::VERIFIED]))?;
    c.params.end()?;
    let sh = c.handle(0);
    let name = key_sign.as_slice();
    let alg = name
        .get(..2)
        .and_then(|b| HashAlg::from_id(u16::from_be_bytes([b[0], b[1]])))
        .ok_or(Rc::HASH.param(3))?;
    if name.len() - 2 != alg.digest_size() {
        return Err(Rc::SIZE.param(3));
    }
    let s = session_copy(tpm, sh)?;
    if s.kind != SessionType::Trial {
        if approved.as_slice() != s.policy.digest.as_slice() {
            return Err(Rc::VALUE.param(1));
        }
        let a_hash = Hasher::new(alg)
            .with(approved.as_slice())
            .with(policy_ref.as_slice())
            .finish();
        // TicketComputeVerified: HMAC(proof, TPM_ST_VERIFIED || aHash || keyName).
        let proof = tpm.hierarchy_proof(t.hierarchy).to_vec();
        let mut m = tpm.rt.keyed_mac(&proof);
        m.update(&st::VERIFIED.to_be_bytes());
        m.update(&a_hash);
        m.update(name);
        if !ct_eq(&m.finish(), t.digest.as_slice()) {
            return Err(Rc::VALUE.param(4));
        }
    }
    let s = policy_session(tpm, sh)?;
    s.policy.digest = vec![0; s.hash.digest_size()];
    context_update(
        s,
        cc::POLICY_AUTHORIZE,
        name,
        Some(policy_ref.as_slice()),
        &[],
        0,
    );
    Ok(())
}

/// TPM2_PolicyAuthorizeNV (Part 3, §23.22): the NV index (read with `authHandle`'s right:
/// `TPM_RC_NV_AUTHORIZATION`, `TPM_RC_NV_LOCKED`, `TPM_RC_NV_UNINITIALIZED`) holds a
/// `TPMT_HA` with the session's hash (`TPM_RC_HASH`) and the current policyDigest
/// (`TPM_RC_VALUE`). Then policyDigest := H(0…0 || TPM_CC_PolicyAuthorizeNV || nvIndex.Name).
pub fn authorize_nv(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    c.params.end()?;
    let (auth, nv, sh) = (c.handle(0), c.handle(1), c.handle(2));
    let s = session_copy(tpm, sh)?;
    if s.kind != SessionType::Trial {
        let ix = tpm.nv_index(nv)?;
        crate::commands::nv::read_access(auth, nv, ix.public.attributes)?;
        // At most a TPMT_HA's worth of the index, unmarshalled as one.
        let n = (ix.public.data_size as usize).min(2 + tpm2_types::buffers::MAX_DIGEST_SIZE);
        let data = ix.data.get(..n).unwrap_or(&ix.data);
        let ha = TpmtHa::read(&mut Reader::new(data))?;
        if ha.hash != s.hash {
            return Err(Rc::HASH);
        }
        if ha.digest != s.policy.digest {
            return Err(Rc::VALUE);
        }
    }
    let name = tpm.entity_name(nv);
    let s = policy_session(tpm, sh)?;
    s.policy.digest = vec![0; s.hash.digest_size()];
    context_update(s, cc::POLICY_AUTHORIZE_NV, &name, None, &[], 0);
    Ok(())
}
