//! The policy assertions that put conditions on the authorized command or on TPM state
//! (Part 3, §23.9–§23.15, §23.20, §23.21).

use super::{extend, policy_session};
use crate::dispatch::Command;
use crate::state::{BoundHash, SessionType};
use crate::Tpm;
use std::cmp::Ordering;
use tpm2_crypto::Hasher;
use tpm2_types::constants::cc;
use tpm2_types::{Codec, Rc, Reader, Tpm2bDigest, Tpm2bName};

/// `TPM_EO` (Part 2, §6.8): the comparisons of PolicyNV and PolicyCounterTimer.
mod eo {
    pub const EQ: u16 = 0x0000;
    pub const NEQ: u16 = 0x0001;
    pub const SIGNED_GT: u16 = 0x0002;
    pub const UNSIGNED_GT: u16 = 0x0003;
    pub const SIGNED_LT: u16 = 0x0004;
    pub const UNSIGNED_LT: u16 = 0x0005;
    pub const SIGNED_GE: u16 = 0x0006;
    pub const UNSIGNED_GE: u16 = 0x0007;
    pub const SIGNED_LE: u16 = 0x0008;
    pub const UNSIGNED_LE: u16 = 0x0009;
    pub const BITSET: u16 = 0x000A;
    pub const BITCLEAR: u16 = 0x000B;
}

/// `TPM_EO`: `TPM_RC_VALUE` beyond `TPM_EO_BITCLEAR`.
fn read_eo(r: &mut Reader<'_>) -> Result<u16, Rc> {
    let v = r.u16()?;
    if v <= eo::BITCLEAR {
        Ok(v)
    } else {
        Err(Rc::VALUE)
    }
}

/// `TPMI_YES_NO`: `TPM_RC_VALUE` for anything but 0 and 1.
fn read_yes_no(r: &mut Reader<'_>) -> Result<bool, Rc> {
    match r.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(Rc::VALUE),
    }
}

/// Two big-endian integers of the same length compared as two's complement.
fn signed_cmp(a: &[u8], b: &[u8]) -> Ordering {
    let neg = |x: &[u8]| x.first().is_some_and(|v| v & 0x80 != 0);
    match (neg(a), neg(b)) {
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        _ => a.cmp(b),
    }
}

/// Whether `a` (operandA, from the TPM) and `b` (operandB) satisfy `op`; both have
/// `b`'s length.
fn condition(op: u16, a: &[u8], b: &[u8]) -> bool {
    match op {
        eo::EQ => a == b,
        eo::NEQ => a != b,
        eo::SIGNED_GT => signed_cmp(a, b).is_gt(),
        eo::UNSIGNED_GT => a > b,
        eo::SIGNED_LT => signed_cmp(a, b).is_lt(),
        eo::UNSIGNED_LT => a < b,
        eo::SIGNED_GE => signed_cmp(a, b).is_ge(),
        eo::UNSIGNED_GE => a >= b,
        eo::SIGNED_LE => signed_cmp(a, b).is_le(),
        eo::UNSIGNED_LE => a <= b,
        eo::BITSET => a.iter().zip(b).all(|(x, y)| x & y == *y),
        eo::BITCLEAR => a.iter().zip(b).all(|(x, y)| x & y == 0),
        _ => false,
    }
}

/// args = H(operandB || offset || operation), the argument digest of PolicyNV and
/// PolicyCounterTimer.
fn args_hash(alg: tpm2_types::HashAlg, operand: &[u8], offset: u16, op: u16) -> Vec<u8> {
    Hasher::new(alg)
        .with(operand)
        .with(&offset.to_be_bytes())
        .with(&op.to_be_bytes())
        .finish()
}

/// TPM2_PolicyNV (Part 3, §23.9): the NV index's data at `offset` compared with
/// `operandB` (checked in a policy session only: the read right as for TPM2_NV_Read,
/// `offset` beyond the data `TPM_RC_VALUE`, `operandB` past the end `TPM_RC_SIZE`, a
/// false condition `TPM_RC_POLICY`). policyDigest := H(policyDigest || TPM_CC_PolicyNV ||
/// args || nvIndex.Name).
pub fn nv(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let operand: Tpm2bDigest = c.params.read()?;
    let offset: u16 = c.params.read()?;
    let op = c.params.read_with(read_eo)?;
    c.params.end()?;
    let (auth, h, sh) = (c.handle(0), c.handle(1), c.handle(2));
    let trial = policy_session(tpm, sh)?.kind == SessionType::Trial;
    if !trial {
        let ix = tpm.nv_index(h)?;
        crate::commands::nv::read_access(auth, h, ix.public.attributes)?;
        let (size, offset) = (ix.public.data_size as usize, offset as usize);
        if offset > size {
            return Err(Rc::VALUE.param(2));
        }
        if size - offset < operand.len() {
            return Err(Rc::SIZE.param(1));
        }
        let a = ix
            .data
            .get(offset..offset + operand.len())
            .ok_or(Rc::SIZE.param(1))?;
        if !condition(op, a, operand.as_slice()) {
            return Err(Rc::POLICY);
        }
    }
    let name = tpm.entity_name(h);
    let s = policy_session(tpm, sh)?;
    let args = args_hash(s.hash, operand.as_slice(), offset, op);
    extend(s, cc::POLICY_NV, &[&args, &name]);
    Ok(())
}

/// TPM2_PolicyCounterTimer (Part 3, §23.10): the marshalled `TPMS_TIME_INFO` at `offset`
/// compared with `operandB`. An offset beyond it is `TPM_RC_VALUE`, an operand past its
/// end `TPM_RC_RANGE` (both checked in trial sessions too); a false condition in a policy
/// session `TPM_RC_POLICY`. policyDigest := H(policyDigest || TPM_CC_PolicyCounterTimer ||
/// args).
pub fn counter_timer(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let operand: Tpm2bDigest = c.params.read()?;
    let offset: u16 = c.params.read()?;
    let op = c.params.read_with(read_eo)?;
    c.params.end()?;
    let sh = c.handle(0);
    let info = tpm.time_info().to_bytes();
    let at = offset as usize;
    if at > info.len() {
        return Err(Rc::VALUE.param(2));
    }
    if at + operand.len() > info.len() {
        return Err(Rc::RANGE);
    }
    let s = policy_session(tpm, sh)?;
    if s.kind != SessionType::Trial
        && !condition(op, &info[at..at + operand.len()], operand.as_slice())
    {
        return Err(Rc::POLICY);
    }
    let args = args_hash(s.hash, operand.as_slice(), offset, op);
    extend(s, cc::POLICY_COUNTER_TIMER, &[&args]);
    Ok(())
}

/// TPM2_PolicyCpHash (Part 3, §23.13): the authorized command must have this cpHash. Its
/// size must be the session hash's (`TPM_RC_SIZE`); a different cpHash or another kind of
/// bound hash already set is `TPM_RC_CPHASH`.
/// policyDigest := H(policyDigest || TPM_CC_PolicyCpHash || cpHashA).
pub fn cp_hash(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let cp: Tpm2bDigest = c.params.read()?;
    c.params.end()?;
    let s = policy_session(tpm, c.handle(0))?;
    if cp.len() != s.hash.digest_size() {
        return Err(Rc::SIZE.param(1));
    }
    match &s.policy.bound_hash {
        Some(BoundHash::Cp(d)) if d.as_slice() == cp.as_slice() => {}
        Some(_) => return Err(Rc::CPHASH),
        None => {}
    }
    extend(s, cc::POLICY_CP_HASH, &[cp.as_slice()]);
    s.policy.bound_hash = Some(BoundHash::Cp(cp.0));
    Ok(())
}

/// TPM2_PolicyNameHash (Part 3, §23.14): the authorized command's handles must have
/// these Names (nameHash = H(Name1 || Name2 || …)); size as for PolicyCpHash, any bound
/// hash already set `TPM_RC_CPHASH`.
/// policyDigest := H(policyDigest || TPM_CC_PolicyNameHash || nameHash).
pub fn name_hash(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let nh: Tpm2bDigest = c.params.read()?;
    c.params.end()?;
    let s = policy_session(tpm, c.handle(0))?;
    if nh.len() != s.hash.digest_size() {
        return Err(Rc::SIZE.param(1));
    }
    if s.policy.bound_hash.is_some() {
        return Err(Rc::CPHASH);
    }
    extend(s, cc::POLICY_NAME_HASH, &[nh.as_slice()]);
    s.policy.bound_hash = Some(BoundHash::Name(nh.0));
    Ok(())
}

/// TPM2_PolicyDuplicationSelect (Part 3, §23.15): only TPM2_Duplicate of `objectName` to
/// `newParentName` (a bound hash already set: `TPM_RC_CPHASH`; a command code:
/// `TPM_RC_COMMAND_CODE`). nameHash := H(objectName || newParentName);
/// policyDigest := H(policyDigest || TPM_CC_PolicyDuplicationSelect || [objectName] ||
/// newParentName || includeObject).
pub fn duplication_select(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let object: Tpm2bName = c.params.read()?;
    let parent: Tpm2bName = c.params.read()?;
    let include = c.params.read_with(read_yes_no)?;
    c.params.end()?;
    let s = policy_session(tpm, c.handle(0))?;
    if s.policy.bound_hash.is_some() {
        return Err(Rc::CPHASH);
    }
    if s.policy.command_code.is_some() {
        return Err(Rc::COMMAND_CODE);
    }
    let nh = Hasher::new(s.hash)
        .with(object.as_slice())
        .with(parent.as_slice())
        .finish();
    let obj: &[u8] = if include { object.as_slice() } else { &[] };
    extend(
        s,
        cc::POLICY_DUPLICATION_SELECT,
        &[obj, parent.as_slice(), &[include as u8]],
    );
    s.policy.bound_hash = Some(BoundHash::Name(nh));
    s.policy.command_code = Some(cc::DUPLICATE);
    Ok(())
}

/// TPM2_PolicyPhysicalPresence (Part 3, §23.12): the authorization needs physical
/// presence asserted on the platform (this one has none: `TPM_RC_PP` when used, as
/// libtpms answers). policyDigest := H(policyDigest || TPM_CC_PolicyPhysicalPresence).
pub fn physical_presence(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    c.params.end()?;
    let s = policy_session(tpm, c.handle(0))?;
    extend(s, cc::POLICY_PHYSICAL_PRESENCE, &[]);
    s.policy.pp_required = true;
    Ok(())
}

/// TPM2_PolicyNvWritten (Part 3, §23.20): the authorized NV index must (not) have been
/// written; a contradicting second assertion is `TPM_RC_VALUE`.
/// policyDigest := H(policyDigest || TPM_CC_PolicyNvWritten || writtenSet).
pub fn nv_written(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let written = c.params.read_with(read_yes_no)?;
    c.params.end()?;
    let s = policy_session(tpm, c.handle(0))?;
    if s.policy.nv_written.is_some_and(|w| w != written) {
        return Err(Rc::VALUE.param(1));
    }
    s.policy.nv_written = Some(written);
    extend(s, cc::POLICY_NV_WRITTEN, &[&[written as u8]]);
    Ok(())
}

/// TPM2_PolicyTemplate (Part 3, §23.21): the object a TPM2_Create/CreatePrimary/
/// CreateLoaded makes must have this template (H(inPublic)). A different template hash
/// than one set is `TPM_RC_VALUE`, another bound hash `TPM_RC_CPHASH`, a wrong size
/// `TPM_RC_SIZE`. policyDigest := H(policyDigest || TPM_CC_PolicyTemplate || templateHash).
pub fn template(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let th: Tpm2bDigest = c.params.read()?;
    c.params.end()?;
    let s = policy_session(tpm, c.handle(0))?;
    match &s.policy.bound_hash {
        Some(BoundHash::Template(d)) if d.as_slice() != th.as_slice() => {
            return Err(Rc::VALUE.param(1));
        }
        Some(BoundHash::Template(_)) | None => {}
        Some(_) => return Err(Rc::CPHASH),
    }
    if th.len() != s.hash.digest_size() {
        return Err(Rc::SIZE.param(1));
    }
    extend(s, cc::POLICY_TEMPLATE, &[th.as_slice()]);
    s.policy.bound_hash = Some(BoundHash::Template(th.0));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons() {
        assert!(condition(eo::SIGNED_LT, &[0xFF], &[0x01]));
        assert!(condition(eo::UNSIGNED_GT, &[0xFF], &[0x01]));
        assert!(condition(eo::SIGNED_GE, &[0x00, 0x02], &[0x00, 0x02]));
        assert!(condition(eo::BITSET, &[0b1110], &[0b0110]));
        assert!(!condition(eo::BITCLEAR, &[0b1110], &[0b0110]));
        assert!(condition(eo::BITCLEAR, &[0b1000], &[0b0110]));
        assert!(condition(eo::EQ, &[], &[]));
    }
}
