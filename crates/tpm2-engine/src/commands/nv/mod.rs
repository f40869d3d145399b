//! NV indices (Part 1, §37; Part 3, §31): what the NV command handlers share — index
//! lookup, the read and write access checks, data updates that keep `TPMA_NV_WRITTEN`
//! right, index Names, deletion, and the two hooks the authorization layer calls
//! (authValue availability and PIN index counting).
//!
//! # How `TPMA_NV_ORDERLY` is honoured
//! Every change to an index is part of permanent state, which the daemon makes durable
//! before it releases the response; that is more than `TPMA_NV_ORDERLY` asks for (an
//! orderly index need only be saved by an orderly `TPM2_Shutdown`). What an orderly index
//! must still show, and does here, as libtpms shows it:
//! - a TPM Reset clears `TPMA_NV_WRITTEN` of orderly indices other than counters (their
//!   data is treated as lost with the RAM that held it) — `startup::nv_startup_clear`;
//! - after a non-orderly shutdown an orderly counter has its low bits
//!   (`MAX_ORDERLY_COUNT`) set, so it never repeats a value (Part 3, §31.2);
//! - a first partial write leaves the rest of an orderly ordinary index zero, where a
//!   non-orderly one reads as erased NV (0xFF);
//! - orderly data changed after an orderly `TPM2_Shutdown` makes that shutdown
//!   non-orderly (no TPM Resume follows; orderly counters advance);
//! - orderly indices are charged to the RAM index area (see `nv_limits`).
//!
//! One libtpms effect is not reproduced: lock bits set on an orderly index after
//! `TPM2_Shutdown` are forgotten by libtpms at the next startup (they were only in RAM);
//! here they stay set.

pub mod counters;
pub mod define;
pub mod locks;
pub mod read_write;

use crate::state::{NvIndex, Orderly};
use crate::Tpm;
use tpm2_crypto::digest;
use tpm2_types::constants::{cc, nt, nv_attr, rh};
use tpm2_types::nv::TpmsNvPublic;
use tpm2_types::{Codec, Rc, MAX_NV_INDEX_SIZE};

/// `MAX_ORDERLY_COUNT` (`TPM_PT_ORDERLY_COUNT`): the low counter bits an orderly counter may
/// lose in a non-orderly shutdown.
pub const MAX_ORDERLY_COUNT: u64 = 0xFF;

/// The index type (`TPM_NT`) of a set of attributes.
pub fn nv_type(attributes: u32) -> u32 {
    (attributes & nv_attr::TPM_NT_MASK) >> nv_attr::TPM_NT_SHIFT
}

fn is_pin(attributes: u32) -> bool {
    matches!(nv_type(attributes), nt::PIN_FAIL | nt::PIN_PASS)
}

/// Commands that change an index's data or write-lock it: their index authorization
/// needs `TPMA_NV_AUTHWRITE`, everything else `TPMA_NV_AUTHREAD` (Part 4,
/// `IsWriteOperation`).
fn is_write_operation(code: u32) -> bool {
    matches!(
        code,
        cc::NV_WRITE | cc::NV_INCREMENT | cc::NV_SET_BITS | cc::NV_EXTEND | cc::NV_WRITE_LOCK
    )
}

/// The data size an index of this type must have (`None`: any size up to
/// `MAX_NV_INDEX_SIZE`), or `Err` for a type this TPM does not implement.
pub fn required_size(p: &TpmsNvPublic) -> Result<Option<usize>, ()> {
    match nv_type(p.attributes) {
        nt::ORDINARY => Ok(None),
        nt::EXTEND => Ok(Some(p.name_alg.digest_size())),
        nt::COUNTER | nt::BITS | nt::PIN_FAIL | nt::PIN_PASS => Ok(Some(8)),
        _ => Err(()),
    }
}

/// Consistency of a stored index (state files are checked before use).
pub fn validate_index(ix: &NvIndex) -> Result<(), String> {
    let p = &ix.public;
    let size = p.data_size as usize;
    match required_size(p) {
        Err(()) => return Err(format!("unknown index type {}", nv_type(p.attributes))),
        Ok(Some(n)) if n != size => return Err(format!("size {size}, its type needs {n}")),
        Ok(_) if size > MAX_NV_INDEX_SIZE => return Err(format!("size {size} is too large")),
        Ok(_) => {}
    }
    if ix.auth.0.len() > p.name_alg.digest_size() {
        return Err("authValue longer than its nameAlg digest".into());
    }
    let written = p.has(nv_attr::WRITTEN);
    if written && ix.data.len() != size {
        return Err(format!(
            "written, but holds {} of {size} bytes",
            ix.data.len()
        ));
    }
    // An unwritten PIN index may keep the data it had when a startup cleared WRITTEN.
    let stale_ok = is_pin(p.attributes) && ix.data.len() == size;
    if !written && !ix.data.is_empty() && !stale_ok {
        return Err("unwritten, but holds data".into());
    }
    Ok(())
}

/// The Name of an index: `nameAlg || H_nameAlg(TPMS_NV_PUBLIC)` (Part 1, §16).
pub fn index_name(p: &TpmsNvPublic) -> Vec<u8> {
    let mut name = p.name_alg.id().to_be_bytes().to_vec();
    name.extend_from_slice(&digest(p.name_alg, &[&p.to_bytes()]));
    name
}

/// Access checks of the NV write commands (Part 4 `NvWriteAccessChecks`): a
/// write lock first, then whether `auth` may write: ownerAuth needs `OWNERWRITE`,
/// platformAuth `PPWRITE`, and any other authorization must be the index's own (whose
/// `AUTHWRITE`/`POLICYWRITE` the authorization layer has already checked).
pub fn write_access(auth: u32, h: u32, attributes: u32) -> Result<(), Rc> {
    if attributes & nv_attr::WRITELOCKED != 0 {
        return Err(Rc::NV_LOCKED);
    }
    let allowed = match auth {
        rh::OWNER => attributes & nv_attr::OWNERWRITE != 0,
        rh::PLATFORM => attributes & nv_attr::PPWRITE != 0,
        _ => auth == h,
    };
    if allowed {
        Ok(())
    } else {
        Err(Rc::NV_AUTHORIZATION)
    }
}

/// Access checks of the NV read commands (Part 4 `NvReadAccessChecks`): a read lock, then the
/// reader's right (`OWNERREAD`, `PPREAD`, or the index itself), then — only after that,
/// so that `TPM2_NV_ReadLock` sees the authorization error first — whether the index has
/// been written.
pub fn read_access(auth: u32, h: u32, attributes: u32) -> Result<(), Rc> {
    if attributes & nv_attr::READLOCKED != 0 {
        return Err(Rc::NV_LOCKED);
    }
    let allowed = match auth {
        rh::OWNER => attributes & nv_attr::OWNERREAD != 0,
        rh::PLATFORM => attributes & nv_attr::PPREAD != 0,
        _ => auth == h,
    };
    if !allowed {
        return Err(Rc::NV_AUTHORIZATION);
    }
    if attributes & nv_attr::WRITTEN == 0 {
        return Err(Rc::NV_UNINITIALIZED);
    }
    Ok(())
}

/// The 8-octet value of a written counter, bit field or PIN index.
pub fn read_u64(ix: &NvIndex) -> Option<u64> {
    let b: [u8; 8] = ix.data.get(..8)?.try_into().ok()?;
    Some(u64::from_be_bytes(b))
}

impl Tpm {
    /// A defined index (the dispatcher has checked that handles name accessible indices;
    /// `TPM_RC_HANDLE` should never be seen).
    pub(crate) fn nv_index(&self, h: u32) -> Result<&NvIndex, Rc> {
        self.perm.nv.get(&h).ok_or(Rc::HANDLE)
    }

    /// A defined index, for changing (marks permanent state dirty).
    pub(crate) fn nv_index_mut(&mut self, h: u32) -> Result<&mut NvIndex, Rc> {
        self.perm_mut().nv.get_mut(&h).ok_or(Rc::HANDLE)
    }

    /// Writes `bytes` at `offset` and sets `TPMA_NV_WRITTEN`. A first write fills what it
    /// does not cover: erased NV (0xFF) for a non-orderly index, zeros for an orderly one
    /// (as libtpms). A PIN index that lost `WRITTEN` at startup (`CLEAR_STCLEAR`) keeps
    /// its old data under a partial write, as in libtpms (which clears only ordinary
    /// indices). The caller has checked the range.
    pub(crate) fn nv_write_data(&mut self, h: u32, offset: usize, bytes: &[u8]) -> Result<(), Rc> {
        // Orderly data changed after an orderly TPM2_Shutdown is not in what that
        // shutdown saved: the shutdown no longer counts as orderly (libtpms
        // `g_clearOrderly`), so no TPM Resume follows and orderly counters advance.
        let orderly = self.nv_index(h)?.public.has(nv_attr::ORDERLY);
        if orderly && self.perm.orderly != Orderly::None {
            self.perm_mut().orderly = Orderly::None;
        }
        let ix = self.nv_index_mut(h)?;
        let size = ix.public.data_size as usize;
        let stale = is_pin(ix.public.attributes) && ix.data.len() == size;
        if !ix.public.has(nv_attr::WRITTEN) && !stale {
            let fill = if ix.public.has(nv_attr::ORDERLY) {
                0x00
            } else {
                0xFF
            };
            ix.data = vec![fill; size];
        }
        ix.public.attributes |= nv_attr::WRITTEN;
        let end = offset.checked_add(bytes.len()).filter(|e| *e <= size);
        match end.and_then(|e| ix.data.get_mut(offset..e)) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                Ok(())
            }
            None => Err(Rc::NV_RANGE),
        }
    }

    /// Stores the 8-octet value of a counter, bit field or PIN index.
    pub(crate) fn nv_write_u64(&mut self, h: u32, v: u64) -> Result<(), Rc> {
        self.nv_write_data(h, 0, &v.to_be_bytes())
    }

    /// Deletes an index. A written counter's value raises the floor for new counters
    /// (Part 3, §31.2: no counter may repeat a value a deleted one had).
    pub(crate) fn nv_delete(&mut self, h: u32) {
        let Some(ix) = self.perm_mut().nv.remove(&h) else {
            return;
        };
        if nv_type(ix.public.attributes) == nt::COUNTER {
            if let Some(v) = read_u64(&ix) {
                let p = self.perm_mut();
                p.nv_max_counter = p.nv_max_counter.max(v);
            }
        }
    }

    /// Whether the authValue of index `h` may authorize command `code` (Part 4,
    /// `IsAuthValueAvailable`): writes need `AUTHWRITE`; other uses need `AUTHREAD`,
    /// except a PIN index, whose authValue is usable once written while
    /// `pinCount < pinLimit`. `TPM_RC_AUTH_UNAVAILABLE` otherwise.
    pub(crate) fn nv_auth_value_available(&self, h: u32, code: u32) -> bool {
        let Some(ix) = self.perm.nv.get(&h) else {
            return false;
        };
        let a = ix.public.attributes;
        if is_write_operation(code) {
            a & nv_attr::AUTHWRITE != 0
        } else if is_pin(a) {
            a & nv_attr::WRITTEN != 0 && read_u64(ix).is_some_and(|v| (v >> 32) < (v & 0xFFFF_FFFF))
        } else {
            a & nv_attr::AUTHREAD != 0
        }
    }

    /// PIN index bookkeeping after index `h`'s authValue was checked (Part 1, §37; Part 4
    /// `CheckAuthSession`): a written PIN Fail index counts a failure and is
    /// reset by a success; a written PIN Pass index counts each success. The count is
    /// kept even if the command then fails.
    pub(crate) fn nv_pin_after_auth(&mut self, h: u32, ok: bool) {
        let Some(ix) = self.perm.nv.get(&h) else {
            return;
        };
        let a = ix.public.attributes;
        let Some(v) = read_u64(ix).filter(|_| a & nv_attr::WRITTEN != 0) else {
            return;
        };
        let (count, limit) = ((v >> 32) as u32, v & 0xFFFF_FFFF);
        let count = match (nv_type(a), ok) {
            (nt::PIN_FAIL, false) => count.wrapping_add(1),
            (nt::PIN_FAIL, true) => 0,
            (nt::PIN_PASS, true) => count.wrapping_add(1),
            _ => return,
        };
        // The index exists and is written, so this cannot fail.
        let _ = self.nv_write_u64(h, (count as u64) << 32 | limit);
    }
}

#[cfg(test)]
mod tests;
