//! TPM2_FlushContext (Part 3, §28.4): transient objects and sessions.

use crate::dispatch::Command;
use crate::Tpm;
use tpm2_types::constants::ht;
use tpm2_types::Rc;

pub fn flush_context(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    // TPMI_DH_CONTEXT: a transient object or a session.
    let h: u32 = c.params.read_with(|r| {
        let h = r.u32()?;
        match (h >> 24) as u8 {
            ht::TRANSIENT => Ok(h),
            ht::HMAC_SESSION | ht::POLICY_SESSION
                if crate::session::slot(h) < crate::session::MAX_ACTIVE_SESSIONS =>
            {
                Ok(h)
            }
            _ => Err(Rc::VALUE),
        }
    })?;
    c.params.end()?;
    // A session is found by its slot, whichever range the handle is in (as the reference
    // `SessionFlush` does).
    let gone = if crate::session::is_session_handle(h) {
        let slot = crate::session::slot(h);
        match tpm
            .vol
            .sessions
            .keys()
            .find(|k| crate::session::slot(**k) == slot)
        {
            Some(&k) => tpm.session_flush(k),
            None => false,
        }
    } else {
        tpm.vol.objects.remove(&h).is_some()
    };
    if gone {
        Ok(())
    } else {
        Err(Rc::HANDLE.param(1))
    }
}
