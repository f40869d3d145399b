//! NV memory accounting shared by NV indices and (later) persistent objects.
//!
//! The model is libtpms's NV layout, so that what fits in a ferrotpm fits in a swtpm and
//! `TPM_RC_NV_SPACE` comes at the same point. Every number below was measured on a fresh
//! swtpm 0.7.1 / libtpms 0.9.2 (68 indices of 2048 bytes fit and a 69th of 1900 bytes;
//! `TPM_PT_HR_PERSISTENT_AVAIL` 65 and `TPM_PT_NV_COUNTERS_AVAIL` 25 when empty; the
//! thresholds at which those drop):
//! - one shared area of `NV_DYNAMIC_SIZE` bytes holds every index and persistent object;
//!   an index takes `INDEX_ENTRY` bytes plus its data (an orderly index's data lives in
//!   the RAM index area instead);
//! - defining an index leaves room for `MIN_EVICT_OBJECTS` persistent objects and, unless
//!   the index is a counter, for `MIN_COUNTER_INDICES` counters (the PC Client
//!   minimums) — libtpms `NvTestSpace`;
//! - orderly index data takes `RAM_HEADER` + dataSize of the `RAM_INDEX_SPACE` area.
//!
//! The authValue and authPolicy sizes do not matter: an index's header has room for the
//! largest of each.

use crate::Tpm;
use tpm2_types::constants::{nt, nv_attr};
use tpm2_types::nv::TpmsNvPublic;

pub use tpm2_types::MAX_NV_INDEX_SIZE;

/// Bytes shared by NV indices and persistent objects.
pub const NV_DYNAMIC_SIZE: usize = 171_200;
/// The size field that links one entry to the next.
const LINK: usize = 4;
/// The end-of-list marker (it also carries the counter floor in libtpms).
const LIST_TERMINATOR: usize = 12;
/// An index's stored header (`sizeof(NV_INDEX)`: public area and authValue at maximum size).
const INDEX_HEADER: usize = 148;
/// NV bytes an index takes besides its data.
pub const INDEX_ENTRY: usize = LINK + INDEX_HEADER;
/// NV bytes one counter index takes (`NV_INDEX_COUNTER_SIZE`).
const COUNTER_ENTRY: usize = INDEX_ENTRY + 8;
/// NV bytes one persistent object takes (`NV_EVICT_OBJECT_SIZE`).
pub const EVICT_OBJECT_SIZE: usize = 2608;
/// Persistent objects and counters the TPM keeps room for (`TPM_PT_HR_PERSISTENT_MIN`).
pub const MIN_EVICT_OBJECTS: usize = 7;
pub const MIN_COUNTER_INDICES: usize = 8;
/// The RAM area holding orderly indices' data (`RAM_INDEX_SPACE`) and its per-index header.
pub const RAM_INDEX_SPACE: usize = 512;
const RAM_HEADER: usize = 12;

fn is_counter(p: &TpmsNvPublic) -> bool {
    p.nv_type() == nt::COUNTER
}

/// NV bytes an index with this public area occupies.
pub fn index_bytes(p: &TpmsNvPublic) -> usize {
    if p.has(nv_attr::ORDERLY) {
        INDEX_ENTRY
    } else {
        INDEX_ENTRY + p.data_size as usize
    }
}

/// Persistent objects stored (`TPM2_EvictControl`).
fn persistent_objects(tpm: &Tpm) -> usize {
    tpm.perm.persistent.len()
}

fn counters(tpm: &Tpm) -> usize {
    tpm.perm
        .nv
        .values()
        .filter(|ix| is_counter(&ix.public))
        .count()
}

/// Free bytes of the shared NV area.
pub fn free(tpm: &Tpm) -> usize {
    let used: usize = tpm
        .perm
        .nv
        .values()
        .map(|ix| index_bytes(&ix.public))
        .sum::<usize>()
        + persistent_objects(tpm) * EVICT_OBJECT_SIZE;
    NV_DYNAMIC_SIZE.saturating_sub(used)
}

/// Free bytes of the RAM index area.
pub fn ram_free(tpm: &Tpm) -> usize {
    let used: usize = tpm
        .perm
        .nv
        .values()
        .filter(|ix| ix.public.has(nv_attr::ORDERLY))
        .map(|ix| RAM_HEADER + ix.public.data_size as usize)
        .sum();
    RAM_INDEX_SPACE.saturating_sub(used)
}

fn evict_reserve(tpm: &Tpm) -> usize {
    MIN_EVICT_OBJECTS.saturating_sub(persistent_objects(tpm)) * EVICT_OBJECT_SIZE
}

fn counter_reserve(tpm: &Tpm) -> usize {
    MIN_COUNTER_INDICES.saturating_sub(counters(tpm)) * COUNTER_ENTRY
}

/// Whether an index with this public area can be defined (else `TPM_RC_NV_SPACE`).
pub fn index_fits(tpm: &Tpm, p: &TpmsNvPublic) -> bool {
    let remain = free(tpm);
    let mut reserved = LINK + LIST_TERMINATOR + evict_reserve(tpm);
    if !is_counter(p) {
        reserved += counter_reserve(tpm);
    }
    // The size tested is the stored entry without its link field (libtpms NvTestSpace).
    let size = index_bytes(p) - LINK;
    let nv_ok = reserved < remain && size + reserved <= remain;
    let ram_ok = !p.has(nv_attr::ORDERLY) || RAM_HEADER + p.data_size as usize <= ram_free(tpm);
    nv_ok && ram_ok
}

/// `TPM_PT_HR_PERSISTENT_AVAIL`: persistent objects that still fit. (libtpms deducts the
/// list terminator only together with a counter reservation; so does this.)
pub fn persistent_avail(tpm: &Tpm) -> u32 {
    let mut avail = free(tpm);
    if counters(tpm) < MIN_COUNTER_INDICES {
        avail = avail.saturating_sub(LIST_TERMINATOR + counter_reserve(tpm));
    }
    (avail / EVICT_OBJECT_SIZE) as u32
}

/// `TPM_PT_NV_COUNTERS_AVAIL`: counter indices that still fit, in NV and, since any of
/// them may be orderly, in the RAM index area.
pub fn counters_avail(tpm: &Tpm) -> u32 {
    let mut avail = free(tpm);
    if persistent_objects(tpm) < MIN_EVICT_OBJECTS {
        avail = avail.saturating_sub(LIST_TERMINATOR + evict_reserve(tpm));
    }
    let nv = avail / COUNTER_ENTRY;
    let ram = ram_free(tpm) / (RAM_HEADER + 8);
    nv.min(ram) as u32
}
