//! Command and session audit: TPM2_SetCommandCodeAuditStatus (Part 3, §21.2),
//! TPM2_GetCommandAuditDigest (§18.6) and TPM2_GetSessionAuditDigest (§18.5). The
//! digests themselves are kept by the dispatcher (`dispatch/respond.rs`).

use crate::dispatch::table;
use crate::dispatch::Command;
use crate::Tpm;
use tpm2_crypto::Hasher;
use tpm2_types::attest::Attested;
use tpm2_types::constants::{alg, cc, rh};
use tpm2_types::object::Scheme;
use tpm2_types::{HashAlg, Rc, Reader, Tpm2b, Tpm2bData};

/// `MAX_CAP_CC`: the most command codes a `TPML_CC` holds (Part 2, §10.9.2).
pub const MAX_CAP_CC: usize = (1024 - 8) / 4;

/// `TPML_CC`: a count above `MAX_CAP_CC` is `TPM_RC_SIZE`.
fn read_cc_list(r: &mut Reader<'_>) -> Result<Vec<u32>, Rc> {
    let n = r.u32()? as usize;
    if n > MAX_CAP_CC {
        return Err(Rc::SIZE);
    }
    (0..n).map(|_| r.u32()).collect()
}

/// `TPMI_ALG_HASH+`: an implemented hash or `TPM_ALG_NULL` (`None`); else `TPM_RC_HASH`.
fn read_hash_or_null(r: &mut Reader<'_>) -> Result<Option<HashAlg>, Rc> {
    match r.u16()? {
        alg::NULL => Ok(None),
        id => HashAlg::from_id(id).map(Some).ok_or(Rc::HASH),
    }
}

/// TPM2_SetCommandCodeAuditStatus (auth: owner or platform). A new auditAlg (not NULL,
/// not the current one) is only accepted with both lists empty (`TPM_RC_VALUE` on
/// auditAlg); it clears the audit digest, and this command is then not recorded. Otherwise
/// the commands of setList are audited and those of clearList no longer are; codes the
/// TPM does not implement are ignored, and TPM_CC_SetCommandCodeAuditStatus stays audited.
pub fn set_command_code_audit_status(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let audit_alg = c.params.read_with(read_hash_or_null)?;
    let set_list = c.params.read_with(read_cc_list)?;
    let clear_list = c.params.read_with(read_cc_list)?;
    c.params.end()?;
    if let Some(new) = audit_alg.filter(|a| *a != tpm.perm.audit.alg) {
        if !set_list.is_empty() || !clear_list.is_empty() {
            return Err(Rc::VALUE.param(1));
        }
        tpm.perm_mut().audit.alg = new;
        // The marker the dispatcher's command audit turns into a cleared digest.
        tpm.vol.command_audit_digest = vec![0];
        return Ok(());
    }
    let mut commands = tpm.perm.audit.commands.clone();
    for code in set_list {
        if table::lookup(code).is_some() {
            commands.insert(code);
        }
    }
    for code in clear_list {
        if code != cc::SET_COMMAND_CODE_AUDIT_STATUS {
            commands.remove(&code);
        }
    }
    if commands != tpm.perm.audit.commands {
        tpm.perm_mut().audit.commands = commands;
    }
    Ok(())
}

/// commandDigest of `TPMS_COMMAND_AUDIT_INFO`: the audit hash over the audited command
/// codes in ascending order, each a big-endian `TPM_CC`.
fn command_list_digest(tpm: &Tpm) -> Vec<u8> {
    let mut h = Hasher::new(tpm.perm.audit.alg);
    for code in &tpm.perm.audit.commands {
        h.update(&code.to_be_bytes());
    }
    h.finish()
}

/// TPM2_GetCommandAuditDigest (privacy admin: endorsement). `TPMS_COMMAND_AUDIT_INFO`
/// signed by signHandle; a signed report clears the audit digest (an unsigned one leaves
/// it, Part 3, §18.6).
pub fn get_command_audit_digest(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let qualifying: Tpm2bData = c.params.read()?;
    let in_scheme: Scheme = c.params.read()?;
    c.params.end()?;
    let signer = tpm.attest_signer(c.handle(1), 2, in_scheme, 2)?;
    let a = &tpm.perm.audit;
    let attested = Attested::CommandAudit {
        audit_counter: a.counter,
        digest_alg: a.alg.id(),
        audit_digest: Tpm2b(tpm.vol.command_audit_digest.clone()),
        command_digest: Tpm2b(command_list_digest(tpm)),
    };
    let attest = tpm.fill_attest(&signer, qualifying, attested);
    tpm.sign_attest(&signer, &attest, c)?;
    if c.handle(1) != rh::NULL {
        tpm.vol.command_audit_digest.clear();
    }
    Ok(())
}

/// TPM2_GetSessionAuditDigest (privacy admin: endorsement). The audit digest of
/// sessionHandle, an HMAC session that has been used for audit (`TPM_RC_TYPE` on handle 3
/// otherwise), and whether it is the exclusive audit session.
pub fn get_session_audit_digest(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let qualifying: Tpm2bData = c.params.read()?;
    let in_scheme: Scheme = c.params.read()?;
    c.params.end()?;
    let signer = tpm.attest_signer(c.handle(1), 2, in_scheme, 2)?;
    let h = c.handle(2);
    let digest = tpm
        .session(h)
        .and_then(|s| s.audit.clone())
        .ok_or(Rc::TYPE.handle(3))?;
    let attested = Attested::SessionAudit {
        exclusive_session: tpm.vol.exclusive_audit == Some(h),
        session_digest: Tpm2b(digest),
    };
    let attest = tpm.fill_attest(&signer, qualifying, attested);
    tpm.sign_attest(&signer, &attest, c)
}
