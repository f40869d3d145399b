//! Cryptography for the TPM engine: hashes, HMAC, the TPM's KDFa, and the DRBG.
//! Pure Rust (RustCrypto primitives); comparisons of secrets are constant-time.
#![forbid(unsafe_code)]

pub mod drbg;
pub mod hash;
pub mod kdf;
pub mod sym;

pub use drbg::CtrDrbg;
pub use hash::{digest, hmac, Hasher, HmacState};

/// Constant-time equality for authorization values and MACs.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}
