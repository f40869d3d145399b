//! Fixed-base scalar multiplication k·G for secret k (key generation, nonces): one table of
//! affine multiples of G per window position, built once per process. `fast256.rs` runs this
//! scheme for P-256 on its own field arithmetic; [`Comb`] is the curve-generic version on the
//! crates' arithmetic (about 20 % faster than their `mul_by_generator` for P-384 and P-521,
//! not used because its tables take milliseconds to build), kept as the reference the
//! tests check the recoding and the tables with.
//!
//! k (below n < 2^N) is written in signed base 2^W: k = Σ d_i·2^(W·i) with every digit d_i in
//! [−2^(W−1), 2^(W−1)] (P = N/W + 1 positions; the top one takes the last carry). Position i
//! holds j·2^(W·i)·G for j = 1 … 2^(W−1), so k·G = Σ d_i·(2^(W·i)·G): P mixed additions and no
//! doubling, against the crate's table (radix 16: 2·33 full additions and 4 doublings).
//!
//! Constant time in k: the digits come from masked shifts and additions; each look-up reads
//! every entry of its position and keeps one by `conditional_assign`, the sign is applied by
//! a conditional negation, and a zero digit selects the identity, which the crate's complete
//! mixed addition (Renes–Costello–Batina) absorbs by a masked assignment. All field
//! arithmetic is the crate's. The tables depend only on the curve (public).

use super::arith::Nist;
use elliptic_curve::ff::PrimeField;
use elliptic_curve::group::{Curve as _, Group};
#[cfg(test)]
use elliptic_curve::subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use elliptic_curve::{AffinePoint, ProjectivePoint, Scalar};
use zeroize::Zeroize;

/// Window width in bits: 2^(W−1) = 32 entries per position.
pub(super) const W: usize = 6;
pub(super) const HALF: usize = 1 << (W - 1);

/// The multiples of G for every window position of one curve.
#[cfg(test)]
pub(super) struct Comb<C: Nist> {
    /// Position i, entry j − 1 (j = 1 … HALF): j·2^(W·i)·G.
    table: Vec<AffinePoint<C>>,
    positions: usize,
}

/// Window positions for an N-bit order: N/W full windows and one for the final carry.
fn positions<C: Nist>() -> usize {
    Scalar::<C>::NUM_BITS as usize / W + 1
}

/// The affine multiples of every position, position-major, and the number of positions
/// (HALF·P additions and one batched inversion).
pub(super) fn multiples<C: Nist>() -> (Vec<AffinePoint<C>>, usize) {
    let positions = positions::<C>();
    let mut proj = Vec::with_capacity(positions * HALF);
    let mut base = ProjectivePoint::<C>::generator();
    for _ in 0..positions {
        let mut acc = base;
        proj.push(acc);
        for _ in 1..HALF {
            acc += base;
            proj.push(acc);
        }
        for _ in 0..W {
            base = base.double();
        }
    }
    let mut table = vec![AffinePoint::<C>::default(); proj.len()];
    ProjectivePoint::<C>::batch_normalize(&proj, &mut table);
    (table, positions)
}

#[cfg(test)]
impl<C: Nist> Comb<C> {
    /// Builds the table.
    pub(super) fn new() -> Self {
        let (table, positions) = multiples::<C>();
        Comb { table, positions }
    }

    /// k·G, constant time in k.
    pub(super) fn mul(&self, k: &Scalar<C>) -> ProjectivePoint<C> {
        let mut digits = recode::<C>(k, self.positions);
        let mut acc = ProjectivePoint::<C>::identity();
        for (i, &d) in digits.iter().enumerate() {
            let entries = &self.table[i * HALF..(i + 1) * HALF];
            acc += select::<C>(entries, d);
        }
        digits.zeroize();
        acc
    }
}

/// d·(entries[0]) for a digit |d| ≤ HALF, reading every entry.
#[cfg(test)]
fn select<C: Nist>(entries: &[AffinePoint<C>], d: i8) -> AffinePoint<C> {
    // |d| and the sign without branches: mask = −1 for d < 0, else 0.
    let mask = d >> 7;
    let abs = ((d ^ mask) - mask) as u8;
    let mut t = AffinePoint::<C>::default();
    for (j, e) in entries.iter().enumerate() {
        t.conditional_assign(e, abs.ct_eq(&(j as u8 + 1)));
    }
    let neg = -t;
    t.conditional_assign(&neg, Choice::from((mask & 1) as u8));
    t
}

/// The signed base-2^W digits of k, least significant first (see the module documentation).
pub(super) fn recode<C: Nist>(k: &Scalar<C>, positions: usize) -> Vec<i8> {
    let mut repr = k.to_repr();
    let be: &[u8] = repr.as_ref();
    let len = be.len();
    let bit = |i: usize| -> u8 {
        // Bit i of the big-endian octets (public index, secret value).
        if i / 8 < len {
            (be[len - 1 - i / 8] >> (i % 8)) & 1
        } else {
            0
        }
    };
    let mut digits = vec![0i8; positions];
    for (p, d) in digits.iter_mut().enumerate() {
        let mut v = 0u8;
        for b in 0..W {
            v |= bit(p * W + b) << b;
        }
        *d = v as i8;
    }
    AsMut::<[u8]>::as_mut(&mut repr).zeroize();
    // Re-centre [0, 2^W) to [−2^(W−1), 2^(W−1)): the carry is 1 exactly when d ≥ 2^(W−1).
    for p in 0..positions - 1 {
        let carry = (digits[p] + HALF as i8) >> W;
        digits[p] -= carry << W;
        digits[p + 1] += carry;
    }
    digits
}

#[cfg(test)]
mod tests {
    use super::*;
    use elliptic_curve::ff::Field;
    use elliptic_curve::ops::Reduce;
    use elliptic_curve::FieldBytes;

    fn check<C: Nist>() {
        let comb = Comb::<C>::new();
        let mut samples = vec![
            Scalar::<C>::ONE,
            Scalar::<C>::ONE.double(),
            -Scalar::<C>::ONE,
            -Scalar::<C>::ONE.double(),
            Scalar::<C>::from(31u64),
            Scalar::<C>::from(32u64),
            Scalar::<C>::from(33u64),
            Scalar::<C>::from(u64::MAX),
            Scalar::<C>::ZERO,
        ];
        // Digits at the boundaries: all windows 0x1f, 0x20, 0x3f; alternating bytes.
        for fill in [0x55u8, 0xaa, 0xff, 0x7f, 0x80, 0x20, 0x3f, 0x01] {
            let fb = FieldBytes::<C>::from_fn(|_| fill);
            samples.push(<Scalar<C> as Reduce<FieldBytes<C>>>::reduce(&fb));
        }
        let mut x = 0x0123_4567_89ab_cdefu64;
        for _ in 0..64 {
            let fb = FieldBytes::<C>::from_fn(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            });
            samples.push(<Scalar<C> as Reduce<FieldBytes<C>>>::reduce(&fb));
        }
        for k in samples {
            let expect = (ProjectivePoint::<C>::generator() * k).to_affine();
            assert_eq!(comb.mul(&k).to_affine(), expect, "{k:?}");
        }
    }

    #[test]
    fn comb_matches_the_crates_multiplication() {
        check::<p256::NistP256>();
        check::<p384::NistP384>();
        check::<p521::NistP521>();
    }

    #[test]
    fn digits_reassemble_the_scalar() {
        let k = -Scalar::<p256::NistP256>::from(12345u64);
        let d = recode::<p256::NistP256>(&k, positions::<p256::NistP256>());
        assert!(d.iter().all(|&d| (-(HALF as i8)..=HALF as i8).contains(&d)));
        let mut sum = Scalar::<p256::NistP256>::ZERO;
        for &di in d.iter().rev() {
            for _ in 0..W {
                sum = sum.double();
            }
            let v = Scalar::<p256::NistP256>::from(u64::from(di.unsigned_abs()));
            sum += if di < 0 { -v } else { v };
        }
        assert_eq!(sum, k);
    }
}
