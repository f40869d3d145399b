//! ECC over the NIST prime curves P-256, P-384 and P-521: key generation, ECDSA, the TPM's
//! EC-Schnorr, and the ECDH primitive (Part 1, §11.2.3 and Annex C), on the RustCrypto
//! `p256`/`p384`/`p521` arithmetic. Integers and coordinates are big-endian octet strings;
//! outputs are always `key_bytes` long, inputs may omit leading zero octets.

mod arith;
mod comb;
mod fast256;
mod params;

use crate::RandomSource;
use tpm2_types::HashAlg;
use zeroize::Zeroizing;

/// A curve this TPM implements (`TPM_ECC_CURVE`, Part 2 §6.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EccCurve {
    NistP256,
    NistP384,
    NistP521,
}

impl EccCurve {
    /// All implemented curves, in `TPM_ECC_CURVE` order.
    pub const ALL: [EccCurve; 3] = [EccCurve::NistP256, EccCurve::NistP384, EccCurve::NistP521];

    /// `TPM_ECC_NIST_P256` (0x0003), `_P384` (0x0004), `_P521` (0x0005).
    pub fn id(self) -> u16 {
        match self {
            EccCurve::NistP256 => 0x0003,
            EccCurve::NistP384 => 0x0004,
            EccCurve::NistP521 => 0x0005,
        }
    }

    pub fn from_id(id: u16) -> Option<Self> {
        match id {
            0x0003 => Some(EccCurve::NistP256),
            0x0004 => Some(EccCurve::NistP384),
            0x0005 => Some(EccCurve::NistP521),
            _ => None,
        }
    }

    /// Octets of a coordinate or scalar: 32, 48, 66.
    pub fn key_bytes(self) -> usize {
        match self {
            EccCurve::NistP256 => 32,
            EccCurve::NistP384 => 48,
            EccCurve::NistP521 => 66,
        }
    }

    /// Bits of the prime and of the order: 256, 384, 521.
    pub fn key_bits(self) -> u16 {
        match self {
            EccCurve::NistP256 => 256,
            EccCurve::NistP384 => 384,
            EccCurve::NistP521 => 521,
        }
    }

    fn params(self) -> &'static params::Params {
        match self {
            EccCurve::NistP256 => &params::P256,
            EccCurve::NistP384 => &params::P384,
            EccCurve::NistP521 => &params::P521,
        }
    }

    /// The field prime p (`TPMS_ALGORITHM_DETAIL_ECC.p`), key_bytes long.
    pub fn p(self) -> Vec<u8> {
        params::unhex(self.params().p)
    }

    /// The coefficient a = p - 3.
    pub fn a(self) -> Vec<u8> {
        params::unhex(self.params().a)
    }

    /// The coefficient b.
    pub fn b(self) -> Vec<u8> {
        params::unhex(self.params().b)
    }

    /// x of the base point G.
    pub fn gx(self) -> Vec<u8> {
        params::unhex(self.params().gx)
    }

    /// y of the base point G.
    pub fn gy(self) -> Vec<u8> {
        params::unhex(self.params().gy)
    }

    /// The order n of G.
    pub fn n(self) -> Vec<u8> {
        params::unhex(self.params().n)
    }

    /// The cofactor h = 1, as one octet.
    pub fn h(self) -> Vec<u8> {
        vec![1]
    }
}

/// An affine point (`TPMS_ECC_POINT`): big-endian x and y.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EccPoint {
    pub x: Vec<u8>,
    pub y: Vec<u8>,
}

/// Why an ECC operation refused its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EccError {
    /// Not a point of the curve: a coordinate longer than key_bytes or not below p, not on
    /// the curve, or a result that is the identity (`TPM_RC_ECC_POINT`).
    Point,
    /// A private key that is longer than key_bytes, zero, or not below n (`TPM_RC_KEY`).
    Scalar,
    /// A signature that does not verify (`TPM_RC_SIGNATURE`). The verify functions answer
    /// `bool`; this is for callers that turn a `false` into an error.
    Signature,
    /// The random source gave no usable nonce in many tries (`TPM_RC_NO_RESULT`).
    NoResult,
}

macro_rules! dispatch {
    ($curve:expr, $f:ident($($arg:expr),*)) => {
        match $curve {
            EccCurve::NistP256 => arith::$f::<p256::NistP256>($($arg),*),
            EccCurve::NistP384 => arith::$f::<p384::NistP384>($($arg),*),
            EccCurve::NistP521 => arith::$f::<p521::NistP521>($($arg),*),
        }
    };
}

/// A key pair from the random source: returns the private scalar d (key_bytes octets) and
/// Q = dG.
///
/// The key is a pure function of the octets `rng` yields, and this rule is fixed (primary
/// keys are re-derived from their seed and must never change): exactly
/// ceil((N + 64) / 8) octets are drawn once, N the bit length of n (40, 56, 74 octets for
/// P-256, P-384, P-521); the excess high bits of the first octet are cleared (7 bits for
/// P-521, none otherwise) giving an (N + 64)-bit big-endian integer c; d = (c mod (n - 1)) + 1
/// (FIPS 186-5 A.2.1, "extra random bits"; as the TCG reference `BnEccGetPrivate`).
pub fn generate(curve: EccCurve, rng: &mut dyn RandomSource) -> (Zeroizing<Vec<u8>>, EccPoint) {
    dispatch!(curve, generate(rng))
}

/// Q = dG for a private key d in [1, n-1] of at most key_bytes octets.
pub fn public_key(curve: EccCurve, d: &[u8]) -> Result<EccPoint, EccError> {
    dispatch!(curve, public_key(d))
}

/// Checks a public point (SP 800-56A §5.6.2.3.3 partial validation; with cofactor 1 every
/// curve point is in the subgroup): each coordinate at most key_bytes octets (shorter means
/// leading zeros omitted) and below p, and the point on the curve (the identity has no
/// affine coordinates, so it is refused).
pub fn validate_point(curve: EccCurve, p: &EccPoint) -> Result<(), EccError> {
    fn check<C: arith::Nist>(p: &EccPoint) -> Result<(), EccError> {
        arith::point::<C>(p).map(|_| ())
    }
    match curve {
        EccCurve::NistP256 => check::<p256::NistP256>(p),
        EccCurve::NistP384 => check::<p384::NistP384>(p),
        EccCurve::NistP521 => check::<p521::NistP521>(p),
    }
}

/// ECDSA (FIPS 186-5 §6.4.1) of a digest of any length: the digest becomes an integer by
/// bits2int (its leftmost N bits when longer than n, e.g. SHA-512 with P-256) reduced mod n.
/// The nonce k is drawn from `rng` by rejection sampling (FIPS 186-5 A.3.2). Returns
/// (r, s), each key_bytes octets.
pub fn ecdsa_sign(
    curve: EccCurve,
    d: &[u8],
    digest: &[u8],
    rng: &mut dyn RandomSource,
) -> Result<(Vec<u8>, Vec<u8>), EccError> {
    dispatch!(curve, ecdsa_sign(d, digest, rng))
}

/// ECDSA verification (FIPS 186-5 §6.4.2): false unless Q is a valid point, r and s are in
/// [1, n-1] (at most key_bytes octets each) and the signature matches.
pub fn ecdsa_verify(curve: EccCurve, q: &EccPoint, digest: &[u8], r: &[u8], s: &[u8]) -> bool {
    dispatch!(curve, ecdsa_verify(q, digest, r, s))
}

/// The TPM's EC-Schnorr signature (`TPM_ALG_ECSCHNORR`; Part 1 Annex C and the TCG
/// reference `BnSignEcSchnorr`, as libtpms): with k random in [1, n-1] and R = kG,
/// r = H(x_R || digest), x_R as key_bytes octets and H the scheme's `hash`, keeping only the
/// first key_bytes octets of a longer hash (no reduction mod n); s = (k + r·d) mod n.
/// A k giving r >= n is discarded (verifiers refuse such an r), as one giving r = 0 or s = 0.
/// Returns (r, s), each key_bytes octets.
pub fn ecschnorr_sign(
    curve: EccCurve,
    hash: HashAlg,
    d: &[u8],
    digest: &[u8],
    rng: &mut dyn RandomSource,
) -> Result<(Vec<u8>, Vec<u8>), EccError> {
    dispatch!(curve, ecschnorr_sign(hash, d, digest, rng))
}

/// EC-Schnorr verification: r and s in [1, n-1], E = sG - rQ not the identity, and r equal
/// to H(x_E || digest) truncated as in [`ecschnorr_sign`].
pub fn ecschnorr_verify(
    curve: EccCurve,
    hash: HashAlg,
    q: &EccPoint,
    digest: &[u8],
    r: &[u8],
    s: &[u8],
) -> bool {
    dispatch!(curve, ecschnorr_verify(hash, q, digest, r, s))
}

/// The ECC CDH primitive (SP 800-56A §5.7.1.2, cofactor 1): Z = d·peer, with the peer point
/// validated first ([`validate_point`]). Z.x is the shared secret (TPM2_ECDH_ZGen returns
/// the whole point).
pub fn ecdh_zgen(curve: EccCurve, d: &[u8], peer: &EccPoint) -> Result<EccPoint, EccError> {
    dispatch!(curve, ecdh_zgen(d, peer))
}

/// TPM2_ECDH_KeyGen: an ephemeral key pair from `rng` ([`generate`]) and Z = d_e·peer.
/// Returns (Q_e, Z).
pub fn ecdh_keygen(
    curve: EccCurve,
    peer: &EccPoint,
    rng: &mut dyn RandomSource,
) -> Result<(EccPoint, EccPoint), EccError> {
    dispatch!(curve, ecdh_keygen(peer, rng))
}

/// Test support: signatures with a caller-chosen nonce k (known-answer vectors such as
/// RFC 6979's fixed k). Never use these with a real key.
#[doc(hidden)]
pub mod fixed_nonce {
    use super::{arith, EccCurve, EccError};
    use tpm2_types::HashAlg;

    /// (r, s).
    type Signature = (Vec<u8>, Vec<u8>);

    fn with<C: arith::Nist, R>(
        d: &[u8],
        k: &[u8],
        f: impl FnOnce(&elliptic_curve::Scalar<C>, &elliptic_curve::Scalar<C>) -> Option<R>,
    ) -> Result<Option<R>, EccError> {
        let d = arith::parse_scalar::<C>(d)?;
        let k = arith::parse_scalar::<C>(k)?;
        Ok(f(&d, &k))
    }

    /// ECDSA with nonce `k`; `Ok(None)` if this k gives r = 0 or s = 0.
    pub fn ecdsa_sign(
        curve: EccCurve,
        d: &[u8],
        digest: &[u8],
        k: &[u8],
    ) -> Result<Option<Signature>, EccError> {
        match curve {
            EccCurve::NistP256 => with::<p256::NistP256, _>(d, k, |d, k| {
                arith::ecdsa_sign_k::<p256::NistP256>(d, digest, k)
            }),
            EccCurve::NistP384 => with::<p384::NistP384, _>(d, k, |d, k| {
                arith::ecdsa_sign_k::<p384::NistP384>(d, digest, k)
            }),
            EccCurve::NistP521 => with::<p521::NistP521, _>(d, k, |d, k| {
                arith::ecdsa_sign_k::<p521::NistP521>(d, digest, k)
            }),
        }
    }

    /// EC-Schnorr with nonce `k`; `Ok(None)` if this k gives r >= n, r = 0 or s = 0.
    pub fn ecschnorr_sign(
        curve: EccCurve,
        hash: HashAlg,
        d: &[u8],
        digest: &[u8],
        k: &[u8],
    ) -> Result<Option<Signature>, EccError> {
        match curve {
            EccCurve::NistP256 => with::<p256::NistP256, _>(d, k, |d, k| {
                arith::ecschnorr_sign_k::<p256::NistP256>(hash, d, digest, k)
            }),
            EccCurve::NistP384 => with::<p384::NistP384, _>(d, k, |d, k| {
                arith::ecschnorr_sign_k::<p384::NistP384>(hash, d, digest, k)
            }),
            EccCurve::NistP521 => with::<p521::NistP521, _>(d, k, |d, k| {
                arith::ecschnorr_sign_k::<p521::NistP521>(hash, d, digest, k)
            }),
        }
    }
}
