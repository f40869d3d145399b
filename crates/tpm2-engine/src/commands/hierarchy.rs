//! Hierarchy commands (Part 3, §24): TPM2_HierarchyControl, TPM2_SetPrimaryPolicy,
//! TPM2_ChangePPS, TPM2_ChangeEPS, TPM2_Clear, TPM2_ClearControl,
//! TPM2_HierarchyChangeAuth. (TPM2_CreatePrimary lives with the object commands.)

use crate::dispatch::auth::trim_zeros;
use crate::dispatch::handles::hierarchy_of;
use crate::dispatch::Command;
use crate::state::{DictionaryAttack, Hierarchy, PolicyDigest, Secret, SEED_SIZE};
use crate::Tpm;
use tpm2_types::constants::{nv_attr, rh};
use tpm2_types::structures::read_yes_no;
use tpm2_types::{OptHashAlg, Rc, Reader, Tpm2bAuth, Tpm2bDigest};

impl Tpm {
    /// Flushes the loaded transient objects of a hierarchy (the reference
    /// `ObjectFlushHierarchy`), as disabling the hierarchy or replacing its seed requires.
    pub(crate) fn flush_hierarchy(&mut self, h: Hierarchy) {
        self.vol.objects.retain(|_, o| o.hierarchy() != h);
    }

    /// Everything derived from a hierarchy's primary seed or proof value is void once
    /// they are replaced (TPM2_Clear, TPM2_ChangePPS, TPM2_ChangeEPS): the hierarchy's
    /// loaded objects are flushed, and MAC keys cached from proof values are dropped so
    /// no state keyed with an old proof stays in memory. Caches of primary keys hook in
    /// here.
    pub(crate) fn seed_changed(&mut self, h: Hierarchy) {
        self.flush_hierarchy(h);
        self.rt.mac_cache.clear();
        self.rt.primary_cache.clear();
    }

    fn fresh_secret(&mut self) -> Secret {
        Secret(self.random_vec(SEED_SIZE))
    }
}

/// `TPMI_RH_ENABLES`: the hierarchies (and platform NV) an enable can name.
fn read_enables(r: &mut Reader<'_>) -> Result<u32, Rc> {
    match r.u32()? {
        h @ (rh::OWNER | rh::ENDORSEMENT | rh::PLATFORM | rh::PLATFORM_NV) => Ok(h),
        _ => Err(Rc::VALUE),
    }
}

/// TPM2_HierarchyControl (Part 3, §24.2). The platform may change every enable; the
/// owner and the endorsement hierarchy may only disable themselves (a disabled
/// hierarchy's handle is refused with `TPM_RC_HIERARCHY` before this runs, so it cannot
/// re-enable itself). Anything else is `TPM_RC_AUTH_TYPE`. Disabling a hierarchy
/// flushes its objects.
pub fn hierarchy_control(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let enable = c.params.read_with(read_enables)?;
    let state = c.params.read_with(read_yes_no)?;
    c.params.end()?;
    let auth = c.handle(0);
    let allowed = match enable {
        rh::OWNER | rh::ENDORSEMENT => auth == rh::PLATFORM || auth == enable,
        _ => auth == rh::PLATFORM,
    };
    if !allowed {
        return Err(Rc::AUTH_TYPE);
    }
    let sc = &mut tpm.vol.state_clear;
    let flag = match enable {
        rh::PLATFORM => &mut sc.ph_enable,
        rh::PLATFORM_NV => &mut sc.ph_enable_nv,
        rh::OWNER => &mut sc.sh_enable,
        _ => &mut sc.eh_enable,
    };
    if *flag != state {
        *flag = state;
        if !state {
            // TPM_RH_PLATFORM_NV names no hierarchy: its NV indices just become
            // inaccessible.
            if let Some(h) = hierarchy_of(enable) {
                tpm.flush_hierarchy(h);
            }
        }
    }
    Ok(())
}

/// TPM2_SetPrimaryPolicy (Part 3, §24.3): the digest must have the size of `hashAlg`'s
/// digest (none for `TPM_ALG_NULL`), else `TPM_RC_SIZE` on `authPolicy`. The platform
/// policy is volatile (cleared by TPM2_Startup(CLEAR)); the others persist.
pub fn set_primary_policy(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let policy = c.params.read_with(Tpm2bDigest::read_ref)?;
    let alg: OptHashAlg = c.params.read()?;
    c.params.end()?;
    if policy.len() != alg.0.map_or(0, |a| a.digest_size()) {
        return Err(Rc::SIZE.param(1));
    }
    let value = PolicyDigest {
        alg: alg.0,
        digest: policy.to_vec(),
    };
    match c.handle(0) {
        rh::OWNER => tpm.perm_mut().owner_policy = value,
        rh::ENDORSEMENT => tpm.perm_mut().endorsement_policy = value,
        rh::LOCKOUT => tpm.perm_mut().lockout_policy = value,
        // TPMI_RH_HIERARCHY_POLICY: the remaining value is the platform.
        _ => tpm.vol.state_clear.platform_policy = value,
    }
    Ok(())
}

/// TPM2_ChangePPS (Part 3, §24.4): a new platform seed and phProof; the platform policy
/// and the PCR policies return to the Empty Buffer; platform objects are flushed.
/// platformAuth and platform NV indices stay (as in libtpms).
pub fn change_pps(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    c.params.end()?;
    let (pps, proof) = (tpm.fresh_secret(), tpm.fresh_secret());
    let p = tpm.perm_mut();
    p.pps = pps;
    p.ph_proof = proof;
    p.pcr_policy = PolicyDigest::default();
    tpm.vol.state_clear.platform_policy = PolicyDigest::default();
    tpm.seed_changed(Hierarchy::Platform);
    Ok(())
}

/// TPM2_ChangeEPS (Part 3, §24.5): a new endorsement seed and ehProof; the endorsement
/// hierarchy is enabled, its authValue and policy return to the Empty Buffer, its objects
/// are flushed.
pub fn change_eps(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    c.params.end()?;
    change_eps_now(tpm);
    Ok(())
}

/// The effects of TPM2_ChangeEPS once it is authorized (also a PPI ChangeEPS).
pub(crate) fn change_eps_now(tpm: &mut Tpm) {
    let (eps, proof) = (tpm.fresh_secret(), tpm.fresh_secret());
    let p = tpm.perm_mut();
    p.eps = eps;
    p.eh_proof = proof;
    p.endorsement_auth = Secret::default();
    p.endorsement_policy = PolicyDigest::default();
    tpm.vol.state_clear.eh_enable = true;
    tpm.seed_changed(Hierarchy::Endorsement);
}

/// TPM2_Clear (Part 3, §24.6): refused with `TPM_RC_DISABLED` while `disableClear` is
/// set. Otherwise it removes the Owner: new SPS, shProof and ehProof; storage and
/// endorsement hierarchies enabled; owner, endorsement and lockout authValues and policies
/// emptied; their objects flushed; NV indices not created by the platform deleted;
/// dictionary-attack state back to its defaults (which also frees a blocked lockoutAuth,
/// as in libtpms); Clock, resetCount and restartCount zero and Clock safe; PCR authValues
/// emptied and `pcrUpdateCounter` advanced, so policies built on it fail from now on.
pub fn clear(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    c.params.end()?;
    if tpm.perm.disable_clear {
        return Err(Rc::DISABLED);
    }
    clear_owner(tpm);
    Ok(())
}

/// The effects of TPM2_Clear once it is authorized (also a PPI Clear, `crate::ppi`).
pub(crate) fn clear_owner(tpm: &mut Tpm) {
    // A TPM Clear after Shutdown(STATE) makes it void (probed on libtpms).
    tpm.invalidate_orderly_shutdown();
    let (sps, sh_proof, eh_proof) = (tpm.fresh_secret(), tpm.fresh_secret(), tpm.fresh_secret());
    let p = tpm.perm_mut();
    p.sps = sps;
    p.sh_proof = sh_proof;
    p.eh_proof = eh_proof;
    p.owner_auth = Secret::default();
    p.endorsement_auth = Secret::default();
    p.lockout_auth = Secret::default();
    p.owner_policy = PolicyDigest::default();
    p.endorsement_policy = PolicyDigest::default();
    p.lockout_policy = PolicyDigest::default();
    p.nv.retain(|_, ix| ix.public.has(nv_attr::PLATFORMCREATE));
    // Persistent objects of the owner and endorsement hierarchies go too (Part 3, §24.6).
    p.persistent
        .retain(|_, o| o.hierarchy == Hierarchy::Platform);
    p.da = DictionaryAttack::default();
    p.clock = 0;
    p.clock_safe = true;
    p.reset_count = 0;
    p.restart_count = 0;
    let v = &mut tpm.vol;
    v.state_clear.sh_enable = true;
    v.state_clear.eh_enable = true;
    v.state_clear.pcr_auth = Secret::default();
    v.state_reset.clear_count = v.state_reset.clear_count.wrapping_add(1);
    tpm.seed_changed(Hierarchy::Owner);
    tpm.seed_changed(Hierarchy::Endorsement);
    tpm.pcr_changed(0);
}

/// TPM2_ClearControl (Part 3, §24.7): sets or clears `disableClear`. With lockoutAuth it
/// may only be set; clearing it needs platformAuth (`TPM_RC_AUTH_FAIL` otherwise, which
/// is not a failed authorization and counts for nothing).
pub fn clear_control(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let disable = c.params.read_with(read_yes_no)?;
    c.params.end()?;
    if c.handle(0) == rh::LOCKOUT && !disable {
        return Err(Rc::AUTH_FAIL);
    }
    if tpm.perm.disable_clear != disable {
        tpm.perm_mut().disable_clear = disable;
    }
    Ok(())
}

/// TPM2_HierarchyChangeAuth (Part 3, §24.8): the new authValue is stored without its
/// trailing zeros. Its size limit, the context integrity hash's digest (SHA-512), is the
/// TPM2B_AUTH bound and so enforced at unmarshal (`TPM_RC_SIZE` on `newAuth`).
/// platformAuth is volatile (cleared by TPM2_Startup(CLEAR)); the others persist.
pub fn hierarchy_change_auth(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let new_auth = c.params.read_with(Tpm2bAuth::read_ref)?;
    c.params.end()?;
    let value = Secret(trim_zeros(new_auth).to_vec());
    match c.handle(0) {
        rh::OWNER => tpm.perm_mut().owner_auth = value,
        rh::ENDORSEMENT => tpm.perm_mut().endorsement_auth = value,
        rh::LOCKOUT => tpm.perm_mut().lockout_auth = value,
        // TPMI_RH_HIERARCHY_AUTH: the remaining value is the platform.
        _ => tpm.vol.state_clear.platform_auth = value,
    }
    Ok(())
}
