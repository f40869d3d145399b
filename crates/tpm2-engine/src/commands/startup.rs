//! TPM2_Startup and TPM2_Shutdown (Part 3, §9): TPM Reset, Restart and Resume.

use crate::dispatch::Command;
use crate::pcr::{pc_client, PcrBanks};
use crate::state::{Orderly, SavedState, StateClear};
use crate::Tpm;
use tpm2_types::constants::{nv_attr, su};
use tpm2_types::structures::IMPLEMENTATION_PCR;
use tpm2_types::Rc;

/// `TPM_SU` parameter: `TPM_RC_VALUE` for anything but CLEAR and STATE.
fn read_su(c: &mut Command<'_>) -> Result<u16, Rc> {
    c.params.read_with(|r| match r.u16()? {
        v @ (su::CLEAR | su::STATE) => Ok(v),
        _ => Err(Rc::VALUE),
    })
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum StartupKind {
    Reset,
    Restart,
    Resume,
}

pub fn startup(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let su_type = read_su(c)?;
    c.params.end()?;
    if tpm.vol.started {
        return Err(Rc::INITIALIZE);
    }
    // PC Client: Startup comes from locality 0, or 3 for an H-CRTM platform.
    if c.locality != 0 && c.locality != 3 {
        return Err(Rc::LOCALITY);
    }
    let had_state = tpm.perm.orderly == Orderly::State && tpm.perm.saved.is_some();
    let kind = match su_type {
        su::STATE if had_state && !tpm.vol.pcr_reconfigured => StartupKind::Resume,
        su::STATE => return Err(Rc::VALUE.param(1)),
        _ if had_state => StartupKind::Restart,
        _ => StartupKind::Reset,
    };
    if kind == StartupKind::Resume {
        // A Resume must start the way the startup before the Shutdown(STATE) did: a changed
        // H-CRTM state makes the saved state unusable (TPM_RC_VALUE), a changed startup
        // locality is TPM_RC_LOCALITY (Part 3, §9.3.1; libtpms keeps both flags).
        let (hcrtm, locality3) = tpm
            .perm
            .saved
            .as_ref()
            .map_or((false, false), |s| (s.hcrtm, s.locality3));
        if hcrtm != tpm.vol.hcrtm {
            return Err(Rc::VALUE.param(1));
        }
        if locality3 != (!tpm.vol.hcrtm && c.locality == 3) {
            return Err(Rc::LOCALITY);
        }
    }
    let orderly = tpm.perm.orderly != Orderly::None;
    let saved = tpm.perm_mut().saved.take();

    if !orderly {
        // Non-orderly: Clock may have gone back.
        tpm.perm_mut().clock_safe = false;
    }
    // Dictionary-attack effects of any startup (src/da.rs).
    tpm.da_startup(orderly);
    if kind == StartupKind::Reset {
        // The boot a PPI request waited for (src/ppi.rs): it runs before this boot's
        // PCR banks are set up, as if firmware had run it and reset the platform.
        tpm.ppi_execute_pending();
    }

    let pcr0 = tpm.vol.hcrtm.then(|| tpm.vol.pcrs.clone());
    let mut pcrs = PcrBanks::new(&tpm.perm.pcr_allocated, c.locality);
    match (kind, saved) {
        (StartupKind::Reset, _) | (_, None) => {
            tpm.vol.state_reset.pcr_update_counter = 0;
            let p = tpm.perm_mut();
            p.reset_count = p.reset_count.wrapping_add(1);
            p.restart_count = 0;
            // state_reset and state_clear are fresh from _TPM_Init.
            tpm.vol.state_clear = StateClear::default();
            // A TPM Reset clears the command audit digest (state-reset data).
            tpm.vol.command_audit_digest.clear();
            if !tpm.perm.audit.saved_digest.is_empty() {
                tpm.perm_mut().audit.saved_digest.clear();
            }
        }
        (StartupKind::Restart, Some(s)) => {
            tpm.vol.command_audit_digest = std::mem::take(&mut tpm.perm_mut().audit.saved_digest);
            tpm.perm_mut().restart_count = tpm.perm.restart_count.wrapping_add(1);
            tpm.vol.state_reset = s.state_reset;
            tpm.vol.state_clear = StateClear::default();
        }
        (StartupKind::Resume, Some(s)) => {
            tpm.vol.command_audit_digest = std::mem::take(&mut tpm.perm_mut().audit.saved_digest);
            tpm.perm_mut().restart_count = tpm.perm.restart_count.wrapping_add(1);
            tpm.vol.state_reset = s.state_reset;
            tpm.vol.state_clear = s.state_clear;
            for bank in &mut pcrs.banks {
                if let Some(old) = s.pcrs.bank(bank.alg) {
                    for pcr in (0..IMPLEMENTATION_PCR).filter(|p| pc_client::SAVE.is_set(*p)) {
                        bank.get_mut(pcr).copy_from_slice(old.get(pcr));
                    }
                }
            }
        }
    }
    if let Some(h) = pcr0 {
        // The H-CRTM measurement made before Startup stays in PCR 0.
        for bank in &mut pcrs.banks {
            if let Some(old) = h.bank(bank.alg) {
                bank.get_mut(0).copy_from_slice(old.get(0));
            }
        }
    }
    tpm.vol.pcrs = pcrs;
    tpm.sessions_startup();
    // Every PCR set to its initial value counts as a change (Part 4, PCRStartup).
    for pcr in 0..IMPLEMENTATION_PCR {
        if !(kind == StartupKind::Resume && pc_client::SAVE.is_set(pcr)) {
            tpm.pcr_changed(pcr);
        }
    }
    if kind != StartupKind::Resume {
        nv_startup_clear(tpm, kind == StartupKind::Reset, orderly);
    }
    tpm.perm_mut().orderly = Orderly::None;
    tpm.vol.started = true;
    tpm.vol.orderly_startup = orderly;
    tpm.vol.startup_locality = c.locality;
    Ok(())
}

/// NV effects of a TPM Reset or TPM Restart (`TPM2_Startup(CLEAR)`; Part 1, §37, Part 2
/// `TPMA_NV`, and libtpms `NvSetStartupAttributes`; a TPM Resume changes nothing):
/// - every read lock is released (only `READ_STCLEAR` indices can be read-locked);
/// - an index other than a counter loses `WRITTEN` (and its data) if it has
///   `CLEAR_STCLEAR`, or, on a TPM Reset, if it is orderly (its data lived in RAM);
/// - every write lock is released except on a written `WRITEDEFINE` index;
/// - after a non-orderly shutdown, a written orderly counter gets its low bits
///   (`MAX_ORDERLY_COUNT`) set, so that no value it may have reached is repeated.
fn nv_startup_clear(tpm: &mut Tpm, reset: bool, orderly_shutdown: bool) {
    use super::nv::{nv_type, MAX_ORDERLY_COUNT};
    use tpm2_types::constants::nt;
    let after = |a: u32| -> u32 {
        let mut a = a & !nv_attr::READLOCKED;
        let clears = a & nv_attr::CLEAR_STCLEAR != 0 || (reset && a & nv_attr::ORDERLY != 0);
        if nv_type(a) != nt::COUNTER && clears {
            a &= !nv_attr::WRITTEN;
        }
        if a & nv_attr::WRITTEN == 0 || a & nv_attr::WRITEDEFINE == 0 {
            a &= !nv_attr::WRITELOCKED;
        }
        a
    };
    let bump = |a: u32| {
        !orderly_shutdown
            && nv_type(a) == nt::COUNTER
            && a & nv_attr::ORDERLY != 0
            && a & nv_attr::WRITTEN != 0
    };
    let needs = tpm.perm.nv.values().any(|ix| {
        let a = ix.public.attributes;
        after(a) != a || bump(a)
    });
    if !needs {
        return;
    }
    for ix in tpm.perm_mut().nv.values_mut() {
        let a = ix.public.attributes;
        if bump(a) {
            if let Some(v) = ix.data.get_mut(..8) {
                let n = u64::from_be_bytes(v.try_into().unwrap_or([0; 8])) | MAX_ORDERLY_COUNT;
                v.copy_from_slice(&n.to_be_bytes());
            }
        }
        ix.public.attributes = after(a);
        // Data that can no longer be read is dropped; a PIN index keeps it, since a later
        // partial write shows it (as in libtpms, which clears only ordinary indices).
        let pin = matches!(nv_type(a), nt::PIN_FAIL | nt::PIN_PASS);
        if ix.public.attributes & nv_attr::WRITTEN == 0 && !pin {
            ix.data.clear();
        }
    }
}

pub fn shutdown(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let su_type = read_su(c)?;
    c.params.end()?;
    // After PCR_Allocate the next startup must be a TPM Reset (Part 3, §9.4: TPM_RC_TYPE).
    if su_type == su::STATE && tpm.vol.pcr_reconfigured {
        return Err(Rc::TYPE.param(1));
    }
    let save = su_type == su::STATE;
    let saved = save.then(|| SavedState {
        state_clear: tpm.vol.state_clear.clone(),
        state_reset: tpm.vol.state_reset.clone(),
        pcrs: tpm.vol.pcrs.clone(),
        hcrtm: tpm.vol.hcrtm,
        locality3: !tpm.vol.hcrtm && tpm.vol.startup_locality == 3,
    });
    let audit_digest = if save {
        tpm.vol.command_audit_digest.clone()
    } else {
        Vec::new()
    };
    let p = tpm.perm_mut();
    p.orderly = if save { Orderly::State } else { Orderly::Clear };
    p.saved = saved;
    p.audit.saved_digest = audit_digest;
    // A DA-protected authorization after this must record DA use again (and so cancel
    // the orderly shutdown), as swtpm does.
    p.da_used = false;
    Ok(())
}
