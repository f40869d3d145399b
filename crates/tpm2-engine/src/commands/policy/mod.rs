//! Enhanced authorization (Part 3, §23): the policy commands that extend a policy or
//! trial session's policyDigest and record what the authorization must then satisfy
//! (checked by the dispatcher, `dispatch::policy`).
//!
//! - this file: the digest-only assertions and the helpers the others share (the
//!   reference's `PolicyParameterChecks`, `PolicyContextUpdate`, `ComputeAuthTimeout`,
//!   `TicketComputeAuth`);
//! - `authorize.rs`: PolicySigned, PolicySecret, PolicyTicket, PolicyAuthorize,
//!   PolicyAuthorizeNV;
//! - `conditions.rs`: PolicyNV, PolicyCounterTimer, PolicyCpHash, PolicyNameHash,
//!   PolicyDuplicationSelect, PolicyPhysicalPresence, PolicyNvWritten, PolicyTemplate.

pub mod authorize;
pub mod conditions;

use super::session::policy_session;
use crate::dispatch::Command;
use crate::state::{AuthSession, BoundHash, SessionType};
use crate::Tpm;
use tpm2_crypto::Hasher;
use tpm2_types::constants::cc;
use tpm2_types::structures::{TpmlDigest, TpmlPcrSelection};
use tpm2_types::{Codec, Rc, Tpm2bDigest};

/// The timeout field's top bit: the authorization also ends at the next TPM Reset (a
/// ticket made without nonceTPM), as the reference encodes it.
const EXPIRES_ON_RESET: u64 = 1 << 63;

/// `PolicyContextUpdate`: policyDigest := H(policyDigest || code || name), then, with a
/// policyRef, H(policyDigest || policyRef); a non-empty cpHashA becomes the session's
/// cpHash; a timeout replaces a later one.
fn context_update(
    s: &mut AuthSession,
    code: u32,
    name: &[u8],
    policy_ref: Option<&[u8]>,
    cp: &[u8],
    timeout: u64,
) {
    extend(s, code, &[name]);
    if let Some(r) = policy_ref {
        s.policy.digest = Hasher::new(s.hash).with(&s.policy.digest).with(r).finish();
    }
    if !cp.is_empty() {
        s.policy.bound_hash = Some(BoundHash::Cp(cp.to_vec()));
    }
    if timeout != 0 && (s.policy.timeout == 0 || s.policy.timeout > timeout) {
        s.policy.timeout = timeout;
    }
}

/// `ComputeAuthTimeout`: no limit for expiration 0; otherwise |expiration| seconds after
/// the session started (with nonceTPM) or as an absolute Time in seconds (without it,
/// plus the current millisecond so it never ends early).
fn auth_timeout(s: &AuthSession, now: u64, expiration: i32, nonce_empty: bool) -> u64 {
    if expiration == 0 {
        return 0;
    }
    let ms = u64::from(expiration.unsigned_abs()) * 1000;
    if nonce_empty {
        ms + now % 1000
    } else {
        s.start_time.saturating_add(ms)
    }
}

/// `PolicyParameterChecks`: a given nonceTPM must be the session's (`TPM_RC_NONCE`), a
/// timeout must not have passed (`TPM_RC_EXPIRED`), a given cpHashA must have the digest
/// size (`TPM_RC_SIZE`) and agree with a hash already bound (`TPM_RC_CPHASH`). The
/// parameter numbers are the command's.
fn parameter_checks(
    s: &AuthSession,
    now: u64,
    timeout: u64,
    cp: &[u8],
    nonce: Option<(&[u8], usize)>,
    cp_param: usize,
    exp_param: usize,
) -> Result<(), Rc> {
    if let Some((n, p)) = nonce {
        if !n.is_empty() && n != s.nonce_tpm.as_slice() {
            return Err(Rc::NONCE.param(p));
        }
    }
    if timeout != 0 && timeout < now {
        return Err(Rc::EXPIRED.param(exp_param));
    }
    if !cp.is_empty() {
        if cp.len() != s.policy.digest.len() {
            return Err(Rc::SIZE.param(cp_param));
        }
        if s.policy
            .bound_hash
            .as_ref()
            .is_some_and(|b| b.bytes() != cp)
        {
            return Err(Rc::CPHASH);
        }
    }
    Ok(())
}

impl Tpm {
    /// What a time-limited ticket is bound to besides its timeout (the reference's
    /// `g_timeEpoch`): Time restarts at every `_TPM_Init`, and a TPM Reset makes a new
    /// null proof, a Restart or Resume increments restartCount and TPM2_Clear clearCount,
    /// so no two start-ups share this value.
    fn time_epoch(&self) -> Vec<u8> {
        let mut e = tpm2_crypto::digest(
            tpm2_types::HashAlg::Sha256,
            &[self.vol.state_reset.null_proof.as_slice()],
        );
        e.truncate(8);
        e.extend_from_slice(&self.perm.restart_count.to_be_bytes());
        e.extend_from_slice(&self.vol.state_reset.clear_count.to_be_bytes());
        e
    }

    /// A `TPMT_TK_AUTH` digest (`TicketComputeAuth`): HMAC with the hierarchy's proof over
    /// tag || cpHashA || policyRef || authName || timeout [|| epoch [|| resetCount]].
    #[allow(clippy::too_many_arguments)]
    fn auth_ticket(
        &mut self,
        tag: u16,
        hierarchy: u32,
        timeout: u64,
        expires_on_reset: bool,
        cp: &[u8],
        policy_ref: &[u8],
        name: &[u8],
    ) -> Vec<u8> {
        let epoch = self.time_epoch();
        let reset = self.perm.reset_count;
        let proof = self.hierarchy_proof(hierarchy).to_vec();
        let mut m = self.rt.keyed_mac(&proof);
        m.update(&tag.to_be_bytes());
        m.update(cp);
        m.update(policy_ref);
        m.update(name);
        m.update(&timeout.to_be_bytes());
        if timeout != 0 {
            m.update(&epoch);
            if expires_on_reset {
                m.update(&reset.to_be_bytes());
            }
        }
        m.finish()
    }
}

/// policyDigest := H(policyDigest || commandCode || `data`) (Part 3, §23.1).
fn extend(s: &mut AuthSession, code: u32, data: &[&[u8]]) {
    let mut h = Hasher::new(s.hash)
        .with(&s.policy.digest)
        .with(&code.to_be_bytes());
    for d in data {
        h.update(d);
    }
    s.policy.digest = h.finish();
}

/// TPM2_PolicyGetDigest (Part 3, §23.19).
pub fn get_digest(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    c.params.end()?;
    let d = Tpm2bDigest::from(policy_session(tpm, c.handle(0))?.policy.digest.clone());
    c.put(&d);
    Ok(())
}

/// TPM2_PolicyAuthValue (Part 3, §23.17): the authorization must carry an HMAC keyed with
/// the entity's authValue (a preceding PolicyPassword is superseded).
pub fn auth_value(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    c.params.end()?;
    let s = policy_session(tpm, c.handle(0))?;
    extend(s, cc::POLICY_AUTH_VALUE, &[]);
    s.policy.auth_value_needed = true;
    s.policy.password_needed = false;
    Ok(())
}

/// TPM2_PolicyPassword (Part 3, §23.18): the authValue itself goes in the HMAC field. The
/// digest is extended exactly as PolicyAuthValue extends it, so either satisfies the
/// same policy.
pub fn password(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    c.params.end()?;
    let s = policy_session(tpm, c.handle(0))?;
    extend(s, cc::POLICY_AUTH_VALUE, &[]);
    s.policy.password_needed = true;
    s.policy.auth_value_needed = false;
    Ok(())
}

/// TPM2_PolicyCommandCode (Part 3, §23.11): only this command may be authorized. A code
/// this TPM does not implement is `TPM_RC_POLICY_CC`; a different code than one already
/// asserted is `TPM_RC_VALUE`.
pub fn command_code(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let code: u32 = c.params.read()?;
    c.params.end()?;
    let s = policy_session(tpm, c.handle(0))?;
    if s.policy.command_code.is_some_and(|x| x != code) {
        return Err(Rc::VALUE.param(1));
    }
    if crate::dispatch::table::lookup(code).is_none() {
        return Err(Rc::POLICY_CC.param(1));
    }
    extend(s, cc::POLICY_COMMAND_CODE, &[&code.to_be_bytes()]);
    s.policy.command_code = Some(code);
    Ok(())
}

/// TPM2_PolicyLocality (Part 3, §23.13): a `TPMA_LOCALITY` — a set of localities 0–4 or
/// one extended locality (32–255). Zero is `TPM_RC_RANGE`; a second assertion narrows a
/// set to the intersection (empty: `TPM_RC_RANGE`), and an extended locality only
/// repeats itself. The digest takes the locality as given.
pub fn locality(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let loc: u8 = c.params.read()?;
    c.params.end()?;
    let s = policy_session(tpm, c.handle(0))?;
    let range = Rc::RANGE.param(1);
    if loc == 0 {
        return Err(range);
    }
    let prev = s.policy.locality;
    let mut now = loc;
    if prev != 0 {
        if prev > 31 || loc > 31 {
            if prev != loc {
                return Err(range);
            }
        } else {
            now = prev & loc;
            if now == 0 {
                return Err(range);
            }
        }
    }
    extend(s, cc::POLICY_LOCALITY, &[&[loc]]);
    s.policy.locality = now;
    Ok(())
}

/// TPM2_PolicyPCR (Part 3, §23.7): the digest of the selected PCRs (session hash over
/// their values, banks in the order given, PCRs ascending; PCRs not allocated are left
/// out). A policy session checks a given pcrDigest against it (`TPM_RC_VALUE`) and
/// records `pcrUpdateCounter`: a PCR change before the authorization is then
/// `TPM_RC_PCR_CHANGED` (as it is here, if one happened since an earlier PolicyPCR). A
/// trial session takes the given digest as is.
/// policyDigest := H(policyDigest || TPM_CC_PolicyPCR || pcrs || pcrDigest).
pub fn pcr(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let given: Tpm2bDigest = c.params.read()?;
    let pcrs: TpmlPcrSelection = c.params.read()?;
    c.params.end()?;
    let h = c.handle(0);
    let counter = tpm.vol.state_reset.pcr_update_counter;
    let (hash, trial, recorded) = {
        let s = policy_session(tpm, h)?;
        (s.hash, s.kind == SessionType::Trial, s.policy.pcr_counter)
    };
    let mut d = Hasher::new(hash);
    for sel in &pcrs.0 {
        for p in sel.select.iter() {
            if let Some(v) = tpm.vol.pcrs.value(sel.hash, p) {
                d.update(v);
            }
        }
    }
    let mut digest = d.finish();
    if trial {
        if !given.is_empty() {
            digest = given.0;
        }
    } else {
        if recorded.is_some_and(|r| r != counter) {
            return Err(Rc::PCR_CHANGED);
        }
        if !given.is_empty() && given.as_slice() != digest.as_slice() {
            return Err(Rc::VALUE.param(1));
        }
    }
    let s = policy_session(tpm, h)?;
    extend(s, cc::POLICY_PCR, &[&pcrs.to_bytes(), &digest]);
    if !trial {
        s.policy.pcr_counter = Some(counter);
    }
    Ok(())
}

/// TPM2_PolicyOR (Part 3, §23.6): a policy session's digest must be one of the list
/// (`TPM_RC_VALUE`; a trial session's need not); then
/// policyDigest := H(0…0 || TPM_CC_PolicyOR || digest₁ || … || digestₙ), 2 ≤ n ≤ 8.
pub fn or(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let list = c.params.read_with(TpmlDigest::read_policy_or)?;
    c.params.end()?;
    let s = policy_session(tpm, c.handle(0))?;
    if s.kind != SessionType::Trial && !list.0.iter().any(|d| d.as_slice() == s.policy.digest) {
        return Err(Rc::VALUE.param(1));
    }
    let parts: Vec<&[u8]> = list.0.iter().map(|d| d.as_slice()).collect();
    s.policy.digest = vec![0; s.hash.digest_size()];
    extend(s, cc::POLICY_OR, &parts);
    Ok(())
}
