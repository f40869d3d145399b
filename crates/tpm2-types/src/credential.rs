//! Wire types of credential protection (Part 1, §24) and duplication (Part 1, §23.3):
//! `TPM2B_ID_OBJECT` and the label strings of the secrets they use.

use crate::buffers::{Tpm2b, MAX_DIGEST_SIZE};

/// `sizeof(TPMS_ID_OBJECT)`: `TPM2B_DIGEST integrityHMAC || TPM2B_DIGEST encIdentity`.
pub const MAX_ID_OBJECT: usize = 2 * (2 + MAX_DIGEST_SIZE);

/// `TPM2B_ID_OBJECT`: `integrityHMAC` (a sized HMAC) followed by `encIdentity` (the
/// CFB-encrypted `TPM2B_DIGEST` credential, not sized again).
pub type Tpm2bIdObject = Tpm2b<MAX_ID_OBJECT>;

/// The label of a credential's seed (`IDENTITY_STRING`, with its terminating zero).
pub const IDENTITY: &[u8] = b"IDENTITY\0";
/// The label of a duplication blob's outer-wrapper seed (`DUPLICATE_STRING`).
pub const DUPLICATE: &[u8] = b"DUPLICATE\0";
