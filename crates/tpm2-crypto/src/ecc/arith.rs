//! The curve-generic arithmetic behind [`super`]: one implementation for the three NIST
//! curves on the RustCrypto `CurveArithmetic` traits. Secret scalars are multiplied with the
//! crates' constant-time routines (`Mul`, `mul_by_generator`) or, for k·G on P-256, our
//! fixed-base table (`fast256.rs`); only public values (signature verification) use the
//! variable-time ones.

use super::{EccCurve, EccError, EccPoint};
use crate::hash::Hasher;
use crate::RandomSource;
use elliptic_curve::array::typenum::Unsigned;
use elliptic_curve::ff::{Field, PrimeField};
use elliptic_curve::group::{Curve as _, Group};
use elliptic_curve::ops::{MulByGeneratorVartime, Reduce};
use elliptic_curve::point::AffineCoordinates;
use elliptic_curve::subtle::ConstantTimeEq;
use elliptic_curve::{
    AffinePoint, CurveArithmetic, FieldBytes, FieldBytesSize, ProjectivePoint, Scalar,
};
use tpm2_types::HashAlg;
use zeroize::{Zeroize, Zeroizing};

/// How many fresh nonces a signing operation draws before it gives up (each retry has a
/// probability below 2^-32 with a working random source; the bound only stops a broken one,
/// such as a source that returns zeros, from looping forever).
const MAX_TRIES: usize = 64;

/// A NIST curve of the RustCrypto crates, tied to its TPM identity.
pub(super) trait Nist: CurveArithmetic {
    const CURVE: EccCurve;
}

impl Nist for p256::NistP256 {
    const CURVE: EccCurve = EccCurve::NistP256;
}
impl Nist for p384::NistP384 {
    const CURVE: EccCurve = EccCurve::NistP384;
}
impl Nist for p521::NistP521 {
    const CURVE: EccCurve = EccCurve::NistP521;
}

fn key_bytes<C: Nist>() -> usize {
    FieldBytesSize::<C>::USIZE
}

/// `b` as a big-endian integer of exactly `len` octets: shorter input is left-padded with
/// zeros; longer input is refused.
fn left_pad(b: &[u8], len: usize) -> Option<Zeroizing<Vec<u8>>> {
    if b.len() > len {
        return None;
    }
    let mut out = Zeroizing::new(vec![0u8; len]);
    out[len - b.len()..].copy_from_slice(b);
    Some(out)
}

fn field_bytes<C: Nist>(b: &[u8]) -> FieldBytes<C> {
    // `b` is always key_bytes long here.
    let mut fb = FieldBytes::<C>::default();
    fb.copy_from_slice(b);
    fb
}

/// A private scalar in [1, n-1] from its big-endian octets (at most key_bytes).
fn scalar<C: Nist>(d: &[u8]) -> Result<Zeroizing<Scalar<C>>, EccError> {
    let padded = left_pad(d, key_bytes::<C>()).ok_or(EccError::Scalar)?;
    let mut fb = field_bytes::<C>(&padded);
    let s = Scalar::<C>::from_repr(fb);
    fb.zeroize();
    let valid = s.is_some() & !s.unwrap_or(Scalar::<C>::ZERO).is_zero();
    if bool::from(valid) {
        Ok(Zeroizing::new(s.unwrap_or(Scalar::<C>::ZERO)))
    } else {
        Err(EccError::Scalar)
    }
}

/// A public integer in [1, n-1] (signature components); `None` otherwise.
fn public_scalar<C: Nist>(v: &[u8]) -> Option<Scalar<C>> {
    let padded = left_pad(v, key_bytes::<C>())?;
    let s = Option::<Scalar<C>>::from(Scalar::<C>::from_repr(field_bytes::<C>(&padded)))?;
    if bool::from(s.is_zero()) {
        None
    } else {
        Some(s)
    }
}

fn affine_to_point<C: Nist>(a: &AffinePoint<C>) -> EccPoint {
    EccPoint {
        x: a.x().as_slice().to_vec(),
        y: a.y().as_slice().to_vec(),
    }
}

/// The affine point (x, y), checked: coordinates of at most key_bytes octets, each below p,
/// and on the curve (which excludes the identity, as it has no affine coordinates).
pub(super) fn point<C: Nist>(p: &EccPoint) -> Result<AffinePoint<C>, EccError> {
    let kb = key_bytes::<C>();
    let x = left_pad(&p.x, kb).ok_or(EccError::Point)?;
    let y = left_pad(&p.y, kb).ok_or(EccError::Point)?;
    let a = AffinePoint::<C>::from_coordinates(&field_bytes::<C>(&x), &field_bytes::<C>(&y));
    Option::<AffinePoint<C>>::from(a).ok_or(EccError::Point)
}

/// `d`·G as an affine point (never the identity for d in [1, n-1]). P-256 runs on our
/// fixed-base table (`fast256.rs`), whose result must be a curve point (the crate checks the
/// equation) or the crate's multiplication answers; P-384 and P-521 use the crate's
/// (`comb.rs` measured ~20 % faster signatures for them, but its tables take milliseconds to
/// build, which one-shot tools such as `ferrotpm setup` would pay for one key).
fn mul_g<C: Nist>(d: &Scalar<C>) -> AffinePoint<C> {
    if C::CURVE == EccCurve::NistP256 {
        let (x, y) = super::fast256::mul_g::<C>(d);
        let a = AffinePoint::<C>::from_coordinates(&field_bytes::<C>(&x), &field_bytes::<C>(&y));
        if let Some(a) = Option::<AffinePoint<C>>::from(a) {
            return a;
        }
    }
    ProjectivePoint::<C>::mul_by_generator(d).to_affine()
}

/// Key pair from `rng`: FIPS 186-5 A.2.1 (extra random bits). See [`super::generate`].
pub(super) fn generate<C: Nist>(rng: &mut dyn RandomSource) -> (Zeroizing<Vec<u8>>, EccPoint) {
    let kb = key_bytes::<C>();
    let curve = C::CURVE;
    let order_bits = curve.key_bits() as usize;
    // N + 64 bits, as ceil((N + 64) / 8) octets with the excess high bits cleared.
    let c_bytes = (order_bits + 64).div_ceil(8);
    let mut c = Zeroizing::new(vec![0u8; c_bytes]);
    rng.fill(&mut c);
    let excess = c_bytes * 8 - (order_bits + 64);
    c[0] &= 0xffu8 >> excess;
    let mut n_minus_1 = curve.n();
    decrement(&mut n_minus_1);
    let mut d = Zeroizing::new(vec![0u8; kb]);
    match curve {
        EccCurve::NistP256 => {
            mod_plus_one::<{ crypto_bigint::U320::LIMBS }>(&c, &n_minus_1, &mut d)
        }
        EccCurve::NistP384 => {
            mod_plus_one::<{ crypto_bigint::U448::LIMBS }>(&c, &n_minus_1, &mut d)
        }
        EccCurve::NistP521 => {
            mod_plus_one::<{ crypto_bigint::U640::LIMBS }>(&c, &n_minus_1, &mut d)
        }
    }
    // d is in [1, n-1] by construction.
    let s = scalar::<C>(&d).unwrap_or_else(|_| Zeroizing::new(Scalar::<C>::ONE));
    let q = affine_to_point::<C>(&mul_g::<C>(&s));
    (d, q)
}

/// Big-endian `v -= 1` (v > 0: here v = n).
fn decrement(v: &mut [u8]) {
    for b in v.iter_mut().rev() {
        let (r, borrow) = b.overflowing_sub(1);
        *b = r;
        if !borrow {
            break;
        }
    }
}

/// `out = (c mod m) + 1`, big-endian, with a `LIMBS`-limb integer wide enough for `c`.
/// The division is constant-time in `c` (variable only in the public modulus `m`).
fn mod_plus_one<const LIMBS: usize>(c: &[u8], m: &[u8], out: &mut [u8]) {
    use crypto_bigint::{Limb, NonZero, Uint};
    let width = LIMBS * Limb::BYTES;
    let mut buf = Zeroizing::new(vec![0u8; width]);
    buf[width - c.len()..].copy_from_slice(c);
    let mut x = Uint::<LIMBS>::from_be_slice(&buf);
    let mut mbuf = vec![0u8; width];
    mbuf[width - m.len()..].copy_from_slice(m);
    let modulus = Uint::<LIMBS>::from_be_slice(&mbuf);
    let Some(modulus) = Option::<NonZero<Uint<LIMBS>>>::from(NonZero::new(modulus)) else {
        return;
    };
    let mut r = x.rem_vartime(&modulus).wrapping_add(&Uint::ONE);
    let mut enc = r.to_be_bytes();
    let bytes: &[u8] = enc.as_ref();
    out.copy_from_slice(&bytes[width - out.len()..]);
    x.zeroize();
    r.zeroize();
    enc.zeroize();
}

pub(super) fn public_key<C: Nist>(d: &[u8]) -> Result<EccPoint, EccError> {
    let s = scalar::<C>(d)?;
    Ok(affine_to_point::<C>(&mul_g::<C>(&s)))
}

/// bits2int(digest) mod n (FIPS 186-5 §6.4.1 step 4-5, SEC 1 §4.1.3): the leftmost
/// min(N, 8·len) bits of the digest as an integer, reduced modulo n.
fn digest_scalar<C: Nist>(digest: &[u8]) -> Scalar<C> {
    let kb = key_bytes::<C>();
    let order_bits = C::CURVE.key_bits() as usize;
    let mut e = vec![0u8; kb];
    if digest.len() * 8 > order_bits {
        // Leftmost N bits: the first ceil(N/8) octets, shifted right by the excess.
        let take = order_bits.div_ceil(8);
        let shift = take * 8 - order_bits;
        e[kb - take..].copy_from_slice(&digest[..take]);
        if shift > 0 {
            let mut carry = 0u8;
            for b in e.iter_mut() {
                let next = *b << (8 - shift);
                *b = (*b >> shift) | carry;
                carry = next;
            }
        }
    } else {
        e[kb - digest.len()..].copy_from_slice(digest);
    }
    // e < 2^N < 2n, so the crates' reduction (one conditional subtraction) is exact.
    <Scalar<C> as Reduce<FieldBytes<C>>>::reduce(&field_bytes::<C>(&e))
}

/// x(R) mod n (x < p < 2n for these curves).
fn x_mod_n<C: Nist>(r: &AffinePoint<C>) -> Scalar<C> {
    <Scalar<C> as Reduce<FieldBytes<C>>>::reduce(&r.x())
}

fn scalar_bytes<C: Nist>(s: &Scalar<C>) -> Vec<u8> {
    let fb: FieldBytes<C> = (*s).into();
    fb.as_slice().to_vec()
}

/// A per-message secret k in [1, n-1] by rejection sampling (FIPS 186-5 A.3.2): key_bytes
/// random octets, the bits above N cleared, retried while the value is 0 or >= n.
fn nonce<C: Nist>(rng: &mut dyn RandomSource) -> Result<Zeroizing<Scalar<C>>, EccError> {
    let kb = key_bytes::<C>();
    let excess = kb * 8 - C::CURVE.key_bits() as usize;
    let mut buf = Zeroizing::new(vec![0u8; kb]);
    for _ in 0..MAX_TRIES {
        rng.fill(&mut buf);
        buf[0] &= 0xffu8 >> excess;
        if let Ok(k) = scalar::<C>(&buf) {
            return Ok(k);
        }
    }
    Err(EccError::NoResult)
}

/// ECDSA signature generation with a given nonce (FIPS 186-5 §6.4.1 steps 3-9): `None` if
/// r or s came out zero (the caller draws another k).
pub(super) fn ecdsa_sign_k<C: Nist>(
    d: &Scalar<C>,
    digest: &[u8],
    k: &Scalar<C>,
) -> Option<(Vec<u8>, Vec<u8>)> {
    let big_r = mul_g::<C>(k);
    let r = x_mod_n::<C>(&big_r);
    let e = digest_scalar::<C>(digest);
    let k_inv = Zeroizing::new(Option::<Scalar<C>>::from(k.invert())?);
    let s = *k_inv * (e + r * d);
    if bool::from(r.is_zero() | s.is_zero()) {
        return None;
    }
    Some((scalar_bytes::<C>(&r), scalar_bytes::<C>(&s)))
}

pub(super) fn ecdsa_sign<C: Nist>(
    d: &[u8],
    digest: &[u8],
    rng: &mut dyn RandomSource,
) -> Result<(Vec<u8>, Vec<u8>), EccError> {
    let d = scalar::<C>(d)?;
    for _ in 0..MAX_TRIES {
        let k = nonce::<C>(rng)?;
        if let Some(sig) = ecdsa_sign_k::<C>(&d, digest, &k) {
            return Ok(sig);
        }
    }
    Err(EccError::NoResult)
}

/// ECDSA signature verification (FIPS 186-5 §6.4.2).
pub(super) fn ecdsa_verify<C: Nist>(q: &EccPoint, digest: &[u8], r: &[u8], s: &[u8]) -> bool {
    let Ok(q) = point::<C>(q) else {
        return false;
    };
    let (Some(r), Some(s)) = (public_scalar::<C>(r), public_scalar::<C>(s)) else {
        return false;
    };
    let Some(w) = Option::<Scalar<C>>::from(s.invert()) else {
        return false;
    };
    let e = digest_scalar::<C>(digest);
    let u1 = e * w;
    let u2 = r * w;
    let big_r = ProjectivePoint::<C>::mul_by_generator_and_mul_add_vartime(
        &u1,
        &u2,
        &ProjectivePoint::<C>::from(q),
    );
    if bool::from(big_r.is_identity()) {
        return false;
    }
    bool::from(x_mod_n::<C>(&big_r.to_affine()).ct_eq(&r))
}

/// The TPM's EC-Schnorr challenge: H(x || digest) with x as key_bytes octets, truncated to
/// its first key_bytes octets when the hash is longer, as a key_bytes integer.
fn schnorr_challenge<C: Nist>(hash: HashAlg, x: &[u8], digest: &[u8]) -> Vec<u8> {
    let kb = key_bytes::<C>();
    let mut h = Hasher::new(hash).with(x).with(digest).finish();
    h.truncate(kb);
    let mut out = vec![0u8; kb];
    out[kb - h.len()..].copy_from_slice(&h);
    out
}

/// EC-Schnorr with a given nonce; `None` when this k cannot give a signature (r not below n,
/// r = 0 or s = 0).
pub(super) fn ecschnorr_sign_k<C: Nist>(
    hash: HashAlg,
    d: &Scalar<C>,
    digest: &[u8],
    k: &Scalar<C>,
) -> Option<(Vec<u8>, Vec<u8>)> {
    let big_r = mul_g::<C>(k);
    let r_bytes = schnorr_challenge::<C>(hash, big_r.x().as_slice(), digest);
    // A verifier refuses r >= n (Part 4 CryptEccValidateSignature), so such an r is not
    // emitted; the next k is tried instead.
    let r = public_scalar::<C>(&r_bytes)?;
    let s = *k + r * d;
    if bool::from(s.is_zero()) {
        return None;
    }
    Some((r_bytes, scalar_bytes::<C>(&s)))
}

pub(super) fn ecschnorr_sign<C: Nist>(
    hash: HashAlg,
    d: &[u8],
    digest: &[u8],
    rng: &mut dyn RandomSource,
) -> Result<(Vec<u8>, Vec<u8>), EccError> {
    let d = scalar::<C>(d)?;
    for _ in 0..MAX_TRIES {
        let k = nonce::<C>(rng)?;
        if let Some(sig) = ecschnorr_sign_k::<C>(hash, &d, digest, &k) {
            return Ok(sig);
        }
    }
    Err(EccError::NoResult)
}

pub(super) fn ecschnorr_verify<C: Nist>(
    hash: HashAlg,
    q: &EccPoint,
    digest: &[u8],
    r: &[u8],
    s: &[u8],
) -> bool {
    let Ok(q) = point::<C>(q) else {
        return false;
    };
    let (Some(r_s), Some(s)) = (public_scalar::<C>(r), public_scalar::<C>(s)) else {
        return false;
    };
    // E = [s]G - [r]Q.
    let big_e = ProjectivePoint::<C>::mul_by_generator_and_mul_add_vartime(
        &s,
        &(-r_s),
        &ProjectivePoint::<C>::from(q),
    );
    if bool::from(big_e.is_identity()) {
        return false;
    }
    let ex = schnorr_challenge::<C>(hash, big_e.to_affine().x().as_slice(), digest);
    let Some(r) = left_pad(r, key_bytes::<C>()) else {
        return false;
    };
    ex[..] == r[..]
}

/// Z = d·peer (SP 800-56A §5.7.1.2, cofactor 1), the peer point validated first.
pub(super) fn ecdh_zgen<C: Nist>(d: &[u8], peer: &EccPoint) -> Result<EccPoint, EccError> {
    let peer = point::<C>(peer)?;
    let d = scalar::<C>(d)?;
    let z = ProjectivePoint::<C>::from(peer) * *d;
    if bool::from(z.is_identity()) {
        return Err(EccError::Point);
    }
    Ok(affine_to_point::<C>(&z.to_affine()))
}

pub(super) fn ecdh_keygen<C: Nist>(
    peer: &EccPoint,
    rng: &mut dyn RandomSource,
) -> Result<(EccPoint, EccPoint), EccError> {
    point::<C>(peer)?;
    let (d, q) = generate::<C>(rng);
    let z = ecdh_zgen::<C>(&d, peer)?;
    Ok((q, z))
}

/// The scalar of `d` for the test-only fixed-nonce entry points.
pub(super) fn parse_scalar<C: Nist>(d: &[u8]) -> Result<Zeroizing<Scalar<C>>, EccError> {
    scalar::<C>(d)
}
