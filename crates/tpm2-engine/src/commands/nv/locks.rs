//! TPM2_NV_WriteLock, TPM2_NV_GlobalWriteLock and TPM2_NV_ReadLock (Part 3, §31.11,
//! §31.12, §31.14). Locks are attribute bits (`WRITELOCKED`, `READLOCKED`); which ones a
//! startup releases is `startup::nv_startup_clear`.

use super::{read_access, write_access};
use crate::dispatch::Command;
use crate::Tpm;
use tpm2_types::constants::nv_attr;
use tpm2_types::Rc;

/// Sets `WRITELOCKED` on an index with `WRITEDEFINE` (locked until deleted, once
/// written) or `WRITE_STCLEAR` (locked until the next TPM Reset or Restart). An index
/// already locked is no error, whoever asks; a caller without write access is.
pub fn write_lock(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    c.params.end()?;
    let (auth, h) = (c.handle(0), c.handle(1));
    let a = tpm.nv_index(h)?.public.attributes;
    match write_access(auth, h, a) {
        Ok(()) => {}
        Err(rc) if rc == Rc::NV_LOCKED => return Ok(()),
        Err(rc) => return Err(rc),
    }
    if a & (nv_attr::WRITEDEFINE | nv_attr::WRITE_STCLEAR) == 0 {
        return Err(Rc::ATTRIBUTES.handle(2));
    }
    tpm.nv_index_mut(h)?.public.attributes |= nv_attr::WRITELOCKED;
    Ok(())
}

/// Write-locks every index with `GLOBALLOCK` (until the next TPM Reset or Restart),
/// including indices of a disabled hierarchy.
pub fn global_write_lock(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    c.params.end()?;
    let unlocked = |a: u32| a & nv_attr::GLOBALLOCK != 0 && a & nv_attr::WRITELOCKED == 0;
    if tpm
        .perm
        .nv
        .values()
        .any(|ix| unlocked(ix.public.attributes))
    {
        for ix in tpm.perm_mut().nv.values_mut() {
            if unlocked(ix.public.attributes) {
                ix.public.attributes |= nv_attr::WRITELOCKED;
            }
        }
    }
    Ok(())
}

/// Sets `READLOCKED` on an index with `READ_STCLEAR`. Already locked is no error; an
/// unwritten index may be locked too; a caller without read access may not.
pub fn read_lock(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    c.params.end()?;
    let (auth, h) = (c.handle(0), c.handle(1));
    let a = tpm.nv_index(h)?.public.attributes;
    match read_access(auth, h, a) {
        Err(rc) if rc == Rc::NV_AUTHORIZATION => return Err(rc),
        Err(rc) if rc == Rc::NV_LOCKED => return Ok(()),
        _ => {}
    }
    if a & nv_attr::READ_STCLEAR == 0 {
        return Err(Rc::ATTRIBUTES.handle(2));
    }
    tpm.nv_index_mut(h)?.public.attributes |= nv_attr::READLOCKED;
    Ok(())
}
