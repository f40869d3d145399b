//! TPM2_NV_DefineSpace, TPM2_NV_UndefineSpace, TPM2_NV_UndefineSpaceSpecial and
//! TPM2_NV_ChangeAuth (Part 3, §31.3–31.5 and §31.15).

use super::{nv_type, required_size};
use crate::commands::nv_limits;
use crate::dispatch::auth::trim_zeros;
use crate::dispatch::Command;
use crate::state::{NvIndex, Secret};
use crate::Tpm;
use tpm2_types::constants::{nt, nv_attr, rh};
use tpm2_types::nv::{Tpm2bNvPublic, TpmsNvPublic};
use tpm2_types::{Rc, Tpm2bAuth, MAX_NV_BUFFER_SIZE, MAX_NV_INDEX_SIZE};

/// The attribute rules of TPM2_NV_DefineSpace, in libtpms's order (each failure blames
/// `publicInfo`, parameter 2, except a creator that could not delete the index, which
/// blames `authHandle`).
fn check_attributes(auth_handle: u32, p: &TpmsNvPublic) -> Result<(), Rc> {
    let a = p.attributes;
    let has = |bit: u32| a & bit != 0;
    let attr = Rc::ATTRIBUTES.param(2);
    let size = Rc::SIZE.param(2);
    // Only the implemented types; each with its size.
    match required_size(p) {
        Err(()) => return Err(attr),
        Ok(None) if p.data_size as usize > MAX_NV_INDEX_SIZE => return Err(size),
        Ok(Some(n)) if p.data_size as usize != n => return Err(size),
        Ok(_) => {}
    }
    match nv_type(a) {
        // A counter is never cleared.
        nt::COUNTER if has(nv_attr::CLEAR_STCLEAR) => return Err(attr),
        // A PIN Fail index must be exempt from DA (its failures are counted by the index).
        nt::PIN_FAIL if !has(nv_attr::NO_DA) => return Err(attr),
        // A PIN index cannot be written with its own authValue (it is unusable until
        // written), nor be locked for good.
        nt::PIN_FAIL | nt::PIN_PASS
            if has(nv_attr::AUTHWRITE) || has(nv_attr::GLOBALLOCK) || has(nv_attr::WRITEDEFINE) =>
        {
            return Err(attr)
        }
        _ => {}
    }
    // State bits are the TPM's to set.
    if has(nv_attr::WRITTEN) || has(nv_attr::WRITELOCKED) || has(nv_attr::READLOCKED) {
        return Err(attr);
    }
    // There must be a way to read and a way to write the index.
    if a & (nv_attr::OWNERREAD | nv_attr::PPREAD | nv_attr::AUTHREAD | nv_attr::POLICYREAD) == 0 {
        return Err(attr);
    }
    if a & (nv_attr::OWNERWRITE | nv_attr::PPWRITE | nv_attr::AUTHWRITE | nv_attr::POLICYWRITE) == 0
    {
        return Err(attr);
    }
    if has(nv_attr::CLEAR_STCLEAR) && has(nv_attr::WRITEDEFINE) {
        return Err(attr);
    }
    // The creator must be able to delete the index: PLATFORMCREATE exactly when defined
    // with platformAuth.
    if has(nv_attr::PLATFORMCREATE) != (auth_handle == rh::PLATFORM) {
        return Err(Rc::ATTRIBUTES.handle(1));
    }
    // POLICY_DELETE indices are the platform's (TPM2_NV_UndefineSpaceSpecial).
    if has(nv_attr::POLICY_DELETE) && auth_handle != rh::PLATFORM {
        return Err(attr);
    }
    // WRITEALL needs the whole index in one TPM2_NV_Write.
    if has(nv_attr::WRITEALL) && p.data_size as usize > MAX_NV_BUFFER_SIZE {
        return Err(size);
    }
    Ok(())
}

pub fn define_space(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let auth: Tpm2bAuth = c.params.read()?;
    let public: Tpm2bNvPublic = c.params.read()?;
    c.params.end()?;
    let auth_handle = c.handle(0);
    let p = public.0;
    let name_size = p.name_alg.digest_size();
    if !p.auth_policy.is_empty() && p.auth_policy.len() != name_size {
        return Err(Rc::SIZE.param(2));
    }
    let auth = trim_zeros(auth.as_slice());
    if auth.len() > name_size {
        return Err(Rc::SIZE.param(1));
    }
    // ownerAuth cannot be given while shEnable is CLEAR, but platformAuth can while
    // phEnableNV is CLEAR.
    if auth_handle == rh::PLATFORM && !tpm.vol.state_clear.ph_enable_nv {
        return Err(Rc::HIERARCHY.handle(1));
    }
    check_attributes(auth_handle, &p)?;
    if tpm.perm.nv.contains_key(&p.nv_index) {
        return Err(Rc::NV_DEFINED);
    }
    if !nv_limits::index_fits(tpm, &p) {
        return Err(Rc::NV_SPACE);
    }
    let index = NvIndex {
        public: p,
        auth: Secret(auth.to_vec()),
        data: Vec::new(),
    };
    tpm.perm_mut().nv.insert(index.public.nv_index, index);
    Ok(())
}

pub fn undefine_space(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    c.params.end()?;
    let (auth_handle, h) = (c.handle(0), c.handle(1));
    let ix = tpm.nv_index(h)?;
    // POLICY_DELETE indices go only through TPM2_NV_UndefineSpaceSpecial.
    if ix.public.has(nv_attr::POLICY_DELETE) {
        return Err(Rc::ATTRIBUTES.handle(2));
    }
    // The owner may delete only what the owner created; the platform may delete either.
    if auth_handle == rh::OWNER && ix.public.has(nv_attr::PLATFORMCREATE) {
        return Err(Rc::NV_AUTHORIZATION);
    }
    tpm.nv_delete(h);
    Ok(())
}

/// Deletes a `POLICY_DELETE` index. The index authorization has the ADMIN role, so the
/// dispatcher admits only a policy session for it (a password is `TPM_RC_AUTH_TYPE`).
pub fn undefine_space_special(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    c.params.end()?;
    let h = c.handle(0);
    if !tpm.nv_index(h)?.public.has(nv_attr::POLICY_DELETE) {
        return Err(Rc::ATTRIBUTES.handle(1));
    }
    tpm.nv_delete(h);
    Ok(())
}

/// Changes an index's authValue (ADMIN role: a policy session only, as above). Trailing
/// zeros are removed; what is left may not be longer than the nameAlg digest.
pub fn change_auth(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let new_auth: Tpm2bAuth = c.params.read()?;
    c.params.end()?;
    let h = c.handle(0);
    let new_auth = trim_zeros(new_auth.as_slice());
    if new_auth.len() > tpm.nv_index(h)?.public.name_alg.digest_size() {
        return Err(Rc::SIZE.param(1));
    }
    tpm.nv_index_mut(h)?.auth = Secret(new_auth.to_vec());
    Ok(())
}
