//! TPM2_FlushContext (Part 3, §28.4) for the transient objects that exist so far.

use crate::dispatch::Command;
use crate::Tpm;
use tpm2_types::constants::ht;
use tpm2_types::Rc;

pub fn flush_context(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    // TPMI_DH_CONTEXT: a transient object or a session.
    let h: u32 = c.params.read_with(|r| {
        let h = r.u32()?;
        match (h >> 24) as u8 {
            ht::TRANSIENT | ht::HMAC_SESSION | ht::POLICY_SESSION => Ok(h),
            _ => Err(Rc::VALUE),
        }
    })?;
    c.params.end()?;
    if tpm.vol.objects.remove(&h).is_none() {
        return Err(Rc::HANDLE.param(1));
    }
    Ok(())
}
