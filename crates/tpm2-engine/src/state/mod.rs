//! The TPM's state, split as Part 1 (§36) splits it:
//! - [`Permanent`]: kept across power cycles (seeds, proofs, hierarchy auth, DA, clock,
//!   PCR allocation, NV indices, the data saved by `TPM2_Shutdown(STATE)`).
//! - [`Volatile`]: lost at `_TPM_Init` (PCR values, enables, loaded objects, sequences);
//!   serialized only when the host asks (the control channel's volatile blob).
//!
//! Both serialize through [`blob`] into our own versioned, checksummed format.

pub mod blob;
mod permanent;
mod ppi;
mod session;
mod v1;
mod volatile;

pub use permanent::*;
pub use ppi::*;
pub use session::*;
pub use volatile::*;

use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Secret bytes (seeds, proofs, authorization values): zeroized on drop, never printed.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(transparent)]
pub struct Secret(#[serde(with = "serde_bytes")] pub Vec<u8>);

impl Secret {
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({} bytes)", self.0.len())
    }
}

/// An authorization policy digest: `TPM_ALG_NULL` (no policy) or a hash and its digest.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyDigest {
    pub alg: Option<tpm2_types::HashAlg>,
    #[serde(with = "serde_bytes")]
    pub digest: Vec<u8>,
}

/// The four hierarchies (Part 1, §13).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Hierarchy {
    Platform,
    Owner,
    Endorsement,
    Null,
}
