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
    let orderly = tpm.perm.orderly != Orderly::None;
    let saved = tpm.perm_mut().saved.take();

    if !orderly {
        // Non-orderly: Clock may have gone back.
        tpm.perm_mut().clock_safe = false;
    }
    // Dictionary-attack effects of any startup (src/da.rs).
    tpm.da_startup(orderly);

    let pcr0 = tpm.vol.hcrtm.then(|| tpm.vol.pcrs.clone());
    let mut pcrs = PcrBanks::new(&tpm.perm.pcr_allocated, c.locality);
    match (kind, saved) {
        (StartupKind::Reset, _) | (_, None) => {
            let p = tpm.perm_mut();
            p.reset_count = p.reset_count.wrapping_add(1);
            p.restart_count = 0;
            // state_reset and state_clear are fresh from _TPM_Init.
            tpm.vol.state_clear = StateClear::default();
        }
        (StartupKind::Restart, Some(s)) => {
            tpm.perm_mut().restart_count = tpm.perm.restart_count.wrapping_add(1);
            tpm.vol.state_reset = s.state_reset;
            tpm.vol.state_clear = StateClear::default();
        }
        (StartupKind::Resume, Some(s)) => {
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
    if kind != StartupKind::Resume {
        nv_startup_clear(tpm);
    }
    tpm.perm_mut().orderly = Orderly::None;
    tpm.vol.started = true;
    tpm.vol.orderly_startup = orderly;
    tpm.vol.startup_locality = c.locality;
    Ok(())
}

/// NV effects of `TPM2_Startup(CLEAR)` (Part 3, §31): read and write locks that last until
/// the next startup are released, `TPMA_NV_CLEAR_STCLEAR` indices lose `WRITTEN`.
fn nv_startup_clear(tpm: &mut Tpm) {
    let needs = tpm.perm.nv.values().any(|ix| {
        let a = ix.public.attributes;
        (a & nv_attr::READLOCKED != 0 && a & nv_attr::READ_STCLEAR != 0)
            || (a & nv_attr::WRITELOCKED != 0
                && a & (nv_attr::WRITE_STCLEAR | nv_attr::GLOBALLOCK) != 0
                && a & nv_attr::WRITEDEFINE == 0)
            || (a & nv_attr::CLEAR_STCLEAR != 0 && a & nv_attr::WRITTEN != 0)
    });
    if !needs {
        return;
    }
    for ix in tpm.perm_mut().nv.values_mut() {
        let a = &mut ix.public.attributes;
        if *a & nv_attr::READ_STCLEAR != 0 {
            *a &= !nv_attr::READLOCKED;
        }
        if *a & (nv_attr::WRITE_STCLEAR | nv_attr::GLOBALLOCK) != 0
            && *a & nv_attr::WRITEDEFINE == 0
        {
            *a &= !nv_attr::WRITELOCKED;
        }
        if *a & nv_attr::CLEAR_STCLEAR != 0 {
            *a &= !nv_attr::WRITTEN;
        }
    }
}

pub fn shutdown(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let su_type = read_su(c)?;
    c.params.end()?;
    let save = su_type == su::STATE && !tpm.vol.pcr_reconfigured;
    let saved = save.then(|| SavedState {
        state_clear: tpm.vol.state_clear.clone(),
        state_reset: tpm.vol.state_reset.clone(),
        pcrs: tpm.vol.pcrs.clone(),
    });
    let p = tpm.perm_mut();
    // After PCR_Allocate a Shutdown(STATE) is recorded as CLEAR: the next startup must be a
    // TPM Reset so the new allocation takes effect.
    p.orderly = if save { Orderly::State } else { Orderly::Clear };
    p.saved = saved;
    Ok(())
}
