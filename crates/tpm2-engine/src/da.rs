//! Dictionary-attack protection (Part 1, §19.8): failed tries of DA-protected entities,
//! self-healing over Time, lockout mode, the separate lockout of lockoutAuth, and what
//! `TPM2_Startup` does to them. Timing follows the reference implementation (and libtpms):
//! each failure restarts its timer, and both timers restart at `_TPM_Init`.

use crate::Tpm;
use tpm2_types::constants::rh;
use tpm2_types::Rc;

impl Tpm {
    /// Lockout mode: `failedTries` has reached `maxTries` (with `maxTries` 0 the TPM is
    /// always in lockout for DA-protected entities).
    pub(crate) fn in_lockout(&self) -> bool {
        self.perm.da.failed_tries >= self.perm.da.max_tries
    }

    /// Runs before the authorization of `h` is checked: `TPM_RC_LOCKOUT` while lockoutAuth
    /// is blocked (for `TPM_RH_LOCKOUT`) or the TPM is in lockout (for a DA-protected
    /// entity). A DA-protected check is recorded in `daUsed`, so that from now on a
    /// non-orderly shutdown counts as a failed try (Part 1, §19.8.6).
    pub(crate) fn da_check(&mut self, h: u32) -> Result<(), Rc> {
        self.da_tick();
        if h == rh::LOCKOUT {
            if self.perm.da.lockout_auth_blocked {
                return Err(Rc::LOCKOUT);
            }
        } else if self.is_da_protected(h) {
            if self.in_lockout() {
                return Err(Rc::LOCKOUT);
            }
            if !self.perm.da_used {
                self.perm_mut().da_used = true;
            }
        }
        Ok(())
    }

    /// Records a failed authorization of `h` and returns the code to report:
    /// `TPM_RC_AUTH_FAIL` for lockoutAuth (which is then blocked) and for DA-protected
    /// entities (one more failed try, unless `recoveryTime` 0 disabled counting),
    /// `TPM_RC_BAD_AUTH` for DA-exempt ones.
    pub(crate) fn da_failure(&mut self, h: u32) -> Rc {
        let now = self.vol.time_ms;
        if h == rh::LOCKOUT {
            self.perm_mut().da.lockout_auth_blocked = true;
            self.vol.lockout_timer = Some(now);
            Rc::AUTH_FAIL
        } else if self.is_da_protected(h) {
            if self.perm.da.recovery_time != 0 {
                let d = &mut self.perm_mut().da;
                d.failed_tries = d.failed_tries.saturating_add(1);
            }
            self.vol.da_heal_timer = Some(now);
            Rc::AUTH_FAIL
        } else {
            Rc::BAD_AUTH
        }
    }

    /// Self-healing, run as Time advances: one failed try is forgotten per `recoveryTime`
    /// seconds since the heal timer (all at once when `recoveryTime` is 0: DA protection
    /// is off); a blocked lockoutAuth is freed `lockoutRecovery` seconds after its last
    /// failure (never by time when `lockoutRecovery` is 0: only a startup frees it).
    pub(crate) fn da_tick(&mut self) {
        let now = self.vol.time_ms;
        let da = &self.perm.da;
        if da.failed_tries != 0 {
            if da.recovery_time == 0 {
                self.perm_mut().da.failed_tries = 0;
            } else {
                let step = u64::from(da.recovery_time) * 1000;
                let from = self.vol.da_heal_timer.unwrap_or(0);
                let healed = now.saturating_sub(from) / step;
                if healed > 0 {
                    let left = u64::from(da.failed_tries).saturating_sub(healed) as u32;
                    self.perm_mut().da.failed_tries = left;
                    self.vol.da_heal_timer = Some(from.saturating_add(healed * step));
                }
            }
        }
        let da = &self.perm.da;
        if da.lockout_auth_blocked && da.lockout_recovery != 0 {
            let from = self.vol.lockout_timer.unwrap_or(0);
            if now.saturating_sub(from) / 1000 >= u64::from(da.lockout_recovery) {
                self.perm_mut().da.lockout_auth_blocked = false;
            }
        }
    }

    /// DA effects of every `TPM2_Startup` (`orderly`: the TPM was shut down with
    /// `TPM2_Shutdown`): with `lockoutRecovery` 0 a blocked lockoutAuth is freed; after a
    /// non-orderly shutdown during which a DA-protected authorization was checked, one
    /// failed try is counted (unless counting is off or the TPM is already in lockout).
    pub(crate) fn da_startup(&mut self, orderly: bool) {
        let p = self.perm_mut();
        if p.da.lockout_recovery == 0 {
            p.da.lockout_auth_blocked = false;
        }
        if !orderly && p.da_used && p.da.recovery_time != 0 && p.da.failed_tries < p.da.max_tries {
            p.da.failed_tries += 1;
        }
        p.da_used = false;
    }

    /// `TPM2_DictionaryAttackLockReset`: lockout mode ends, failures are forgotten.
    pub(crate) fn da_reset(&mut self) {
        self.perm_mut().da.failed_tries = 0;
    }
}
