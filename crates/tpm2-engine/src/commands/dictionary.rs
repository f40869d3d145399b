//! Dictionary-attack commands (Part 3, §25); the accounting itself is in `src/da.rs`.

use crate::dispatch::Command;
use crate::Tpm;
use tpm2_types::Rc;

/// TPM2_DictionaryAttackLockReset (Part 3, §25.2): `failedTries` to zero, which ends
/// lockout mode. Needs lockoutAuth, so it cannot undo a blocked lockoutAuth.
pub fn lock_reset(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    c.params.end()?;
    tpm.da_reset();
    Ok(())
}

/// TPM2_DictionaryAttackParameters (Part 3, §25.3): sets `maxTries`, `recoveryTime` and
/// `lockoutRecovery` (seconds of Time). `failedTries` is kept, even above the new
/// `maxTries` (the errata removed the reset; libtpms keeps it); a `recoveryTime` of 0
/// turns DA protection off and forgets the failures at once.
pub fn parameters(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let max_tries: u32 = c.params.read()?;
    let recovery_time: u32 = c.params.read()?;
    let lockout_recovery: u32 = c.params.read()?;
    c.params.end()?;
    let da = &mut tpm.perm_mut().da;
    da.max_tries = max_tries;
    da.recovery_time = recovery_time;
    da.lockout_recovery = lockout_recovery;
    // Self-healing under the new parameters, as the next command would run it.
    tpm.da_tick();
    Ok(())
}
