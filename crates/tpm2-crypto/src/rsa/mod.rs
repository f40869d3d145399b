//! RSA: our own key generation, CRT private operation with blinding, and the paddings.
//!
//! - [`RsaPrivateKey::generate`] is a pure function of the bytes the random source yields
//!   (its derivation is specified in `keygen.rs`), so a primary key derived from a seed
//!   through a deterministic DRBG is the same forever.
//! - The private operation (RFC 8017 §5.1.2 with the CRT of §3.2) blinds its input, runs on
//!   constant-time Montgomery arithmetic (`mont.rs`: fixed-window exponentiation whose
//!   timing does not depend on the exponent's value; crypto-bigint does the parsing,
//!   divisions and inversions), and re-encrypts its result before releasing it, so a CRT
//!   fault cannot leak a factor.
//! - Paddings: RSAES-OAEP (§7.1), RSAES-PKCS1-v1_5 (§7.2), RSASSA-PKCS1-v1_5 (§8.2, the
//!   DigestInfo of §9.2) and RSASSA-PSS (§8.1, EMSA-PSS of §9.1), with MGF1 (appendix B.2.1).
//!   Decryption checks padding without secret-dependent branches and fails with one error.

mod key;
mod keygen;
mod mont;
mod padding;
mod ps;

pub use key::{RsaComponents, RsaPrivateKey, RsaPublicKey};
pub use padding::mgf1;

/// Smallest and largest modulus sizes this module handles, in bits.
pub const MIN_BITS: u32 = 1024;
pub const MAX_BITS: u32 = 4096;

/// What can go wrong. Decryption failures are deliberately one variant with no detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RsaError {
    /// Modulus size outside 1024..=4096 bits (for generation: not 1024, 2048, 3072 or 4096).
    KeySize,
    /// The modulus is even.
    Modulus,
    /// Public exponent even or below 3, or not invertible modulo p−1 and q−1.
    Exponent,
    /// `from_prime`: the prime does not divide n, or the factors are unusable.
    BadPrime,
    /// The message is too long for the padding and key size.
    MessageTooLong,
    /// An input is longer than the modulus or, as an integer, not below n.
    ValueTooLarge,
    /// Padding check failed on decryption (RFC 8017's single "decryption error").
    Decryption,
    /// The key is too small for this hash's signature encoding.
    Signature,
    /// A digest whose length is not the hash's size.
    DigestSize,
    /// The random source kept yielding unusable values (for example all zeros).
    Random,
    /// The private operation produced a wrong result (fault) and nothing was released.
    Fault,
}

impl core::fmt::Display for RsaError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let s = match self {
            RsaError::KeySize => "unsupported RSA key size",
            RsaError::Modulus => "RSA modulus is even",
            RsaError::Exponent => "unusable RSA public exponent",
            RsaError::BadPrime => "prime does not factor the modulus",
            RsaError::MessageTooLong => "message too long",
            RsaError::ValueTooLarge => "value not below the modulus",
            RsaError::Decryption => "decryption error",
            RsaError::Signature => "key too small for the signature encoding",
            RsaError::DigestSize => "digest size does not match the hash",
            RsaError::Random => "random source yielded no usable value",
            RsaError::Fault => "RSA private operation failed its check",
        };
        f.write_str(s)
    }
}

impl std::error::Error for RsaError {}
