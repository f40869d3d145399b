//! The typed writes: TPM2_NV_Increment, TPM2_NV_Extend and TPM2_NV_SetBits (Part 3,
//! §31.8–31.10).

use super::{nv_type, read_u64, write_access};
use crate::dispatch::Command;
use crate::Tpm;
use tpm2_crypto::digest;
use tpm2_types::constants::{nt, nv_attr};
use tpm2_types::{Rc, Tpm2bMaxNvBuffer};

/// Common start of the typed writes: the write access checks, then the index type
/// (`TPM_RC_ATTRIBUTES` on `nvIndex`, handle 2).
fn typed_write_access(tpm: &Tpm, c: &Command<'_>, want: u32) -> Result<(), Rc> {
    let (auth, h) = (c.handle(0), c.handle(1));
    let a = tpm.nv_index(h)?.public.attributes;
    write_access(auth, h, a)?;
    if nv_type(a) != want {
        return Err(Rc::ATTRIBUTES.handle(2));
    }
    Ok(())
}

/// Adds one to a counter. A counter's first increment starts from the largest value any
/// deleted counter had, so a counter value is never repeated (Part 3, §31.2).
pub fn increment(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    c.params.end()?;
    typed_write_access(tpm, c, nt::COUNTER)?;
    let h = c.handle(1);
    let ix = tpm.nv_index(h)?;
    let current = if ix.public.has(nv_attr::WRITTEN) {
        read_u64(ix).ok_or(Rc::NV_UNINITIALIZED)?
    } else {
        tpm.perm.nv_max_counter
    };
    tpm.nv_write_u64(h, current.wrapping_add(1))
}

/// `new = H_nameAlg(old || data)`, where an unwritten index counts as all zeros.
pub fn extend(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let data: Tpm2bMaxNvBuffer = c.params.read()?;
    c.params.end()?;
    typed_write_access(tpm, c, nt::EXTEND)?;
    let h = c.handle(1);
    let ix = tpm.nv_index(h)?;
    let alg = ix.public.name_alg;
    let old = if ix.public.has(nv_attr::WRITTEN) {
        ix.data.clone()
    } else {
        vec![0; alg.digest_size()]
    };
    let new = digest(alg, &[&old, data.as_slice()]);
    tpm.nv_write_data(h, 0, &new)
}

/// ORs `bits` into a bit field; an unwritten index counts as zero (so `bits` 0 is how to
/// initialize one).
pub fn set_bits(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let bits: u64 = c.params.read()?;
    c.params.end()?;
    typed_write_access(tpm, c, nt::BITS)?;
    let h = c.handle(1);
    let ix = tpm.nv_index(h)?;
    let old = if ix.public.has(nv_attr::WRITTEN) {
        read_u64(ix).ok_or(Rc::NV_UNINITIALIZED)?
    } else {
        0
    };
    tpm.nv_write_u64(h, old | bits)
}
