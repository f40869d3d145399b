//! NV memory accounting shared by NV indices and (later) persistent objects.

use crate::Tpm;

/// Largest NV index data (`MAX_NV_INDEX_SIZE`, `TPM_PT_NV_INDEX_MAX`).
pub const MAX_NV_INDEX_SIZE: usize = 2048;
/// NV memory available to indices and persistent objects.
pub const NV_MEMORY_SIZE: usize = 128 * 1024;
/// Bookkeeping bytes charged per index on top of its public area, auth and data.
const INDEX_OVERHEAD: usize = 32;
/// What one persistent object is charged (`TPM_PT_MAX_OBJECT_CONTEXT`).
const PERSISTENT_OBJECT_COST: usize = 2692;

/// NV bytes an index with this public area and auth size occupies.
pub fn index_cost(data_size: usize, policy_size: usize, auth_size: usize) -> usize {
    INDEX_OVERHEAD + 14 + policy_size + auth_size + data_size
}

/// NV bytes in use.
pub fn used(tpm: &Tpm) -> usize {
    tpm.perm
        .nv
        .values()
        .map(|ix| {
            index_cost(
                ix.public.data_size as usize,
                ix.public.auth_policy.len(),
                ix.auth.0.len(),
            )
        })
        .sum()
}

pub fn free(tpm: &Tpm) -> usize {
    NV_MEMORY_SIZE.saturating_sub(used(tpm))
}

/// `TPM_PT_HR_PERSISTENT_AVAIL`: persistent objects that still fit.
pub fn persistent_avail(tpm: &Tpm) -> u32 {
    (free(tpm) / PERSISTENT_OBJECT_COST) as u32
}

/// `TPM_PT_NV_COUNTERS_AVAIL`: counter indices that still fit.
pub fn counters_avail(tpm: &Tpm) -> u32 {
    (free(tpm) / index_cost(8, 0, 0)) as u32
}
