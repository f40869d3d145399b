//! Dictionary-attack accounting (Part 1, §19.8): failed tries, self-healing, lockout.

use crate::Tpm;

impl Tpm {
    /// Lockout mode: `failedTries` has reached `maxTries` (with `maxTries` 0 the TPM is
    /// always in lockout for DA-protected entities).
    pub(crate) fn in_lockout(&self) -> bool {
        self.perm.da.failed_tries >= self.perm.da.max_tries
    }

    /// Counts one failed authorization of a DA-protected entity. With `recoveryTime` 0
    /// DA protection is off and nothing is counted.
    pub(crate) fn da_record_failure(&mut self) {
        if self.perm.da.recovery_time == 0 {
            return;
        }
        let d = &mut self.perm_mut().da;
        d.failed_tries = d.failed_tries.saturating_add(1);
        if self.vol.da_heal_at.is_none() {
            self.vol.da_heal_at = Some(self.vol.time_ms + self.perm.da.recovery_time as u64 * 1000);
        }
    }

    /// Self-healing: one failure forgotten per `recoveryTime` seconds of powered time; a
    /// blocked lockoutAuth freed after `lockoutRecovery` seconds.
    pub(crate) fn da_tick(&mut self) {
        let now = self.vol.time_ms;
        if let Some(at) = self.vol.lockout_unblock_at {
            if now >= at {
                self.vol.lockout_unblock_at = None;
                if self.perm.da.lockout_auth_blocked {
                    self.perm_mut().da.lockout_auth_blocked = false;
                }
            }
        }
        let step = self.perm.da.recovery_time as u64 * 1000;
        if self.perm.da.failed_tries == 0 || step == 0 {
            self.vol.da_heal_at = None;
            return;
        }
        let mut at = match self.vol.da_heal_at {
            Some(at) => at,
            None => {
                self.vol.da_heal_at = Some(now + step);
                return;
            }
        };
        let mut healed = 0u32;
        while now >= at && healed < self.perm.da.failed_tries {
            healed += 1;
            at += step;
        }
        if healed > 0 {
            let d = &mut self.perm_mut().da;
            d.failed_tries -= healed;
            self.vol.da_heal_at = (self.perm.da.failed_tries > 0).then_some(at);
        }
    }
}
