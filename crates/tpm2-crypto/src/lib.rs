//! Cryptography for the TPM engine: hashes, HMAC, the TPM's KDFa, and the DRBG.
//! Pure Rust (RustCrypto primitives); comparisons of secrets are constant-time.
#![forbid(unsafe_code)]

pub mod drbg;
pub mod ecc;
pub mod hash;
pub mod kdf;
pub mod rsa;
pub mod sym;

pub use drbg::CtrDrbg;
pub use hash::{digest, hmac, Hasher, HmacState};

/// Constant-time equality for authorization values and MACs.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Where key generation, signing nonces, blinding and padding take their random bytes.
/// Key generation is a pure function of the bytes this yields, so a deterministic source
/// (a KDFa-seeded DRBG) gives the same primary key every time.
pub trait RandomSource {
    fn fill(&mut self, out: &mut [u8]);
}

impl RandomSource for CtrDrbg {
    fn fill(&mut self, out: &mut [u8]) {
        self.generate(out);
    }
}

impl<F: FnMut(&mut [u8])> RandomSource for F {
    fn fill(&mut self, out: &mut [u8]) {
        self(out)
    }
}
