//! k·G on P-256 for secret k, with inlined field arithmetic of our own: the hot path of every
//! P-256 signature and key generation.
//!
//! The RustCrypto `p256` field operations are correct and constant-time but called out of
//! line (addition costs about as much as multiplication), so a point addition there costs
//! about 1 µs; here the same complete formula runs on 4×64-bit Montgomery limbs in a few
//! hundred nanoseconds. The scheme is `comb.rs`'s (signed base-2^6 digits, one table of 32
//! affine multiples per position, built with the crate's arithmetic; 43 mixed additions, no
//! doubling), the result is checked to be on the curve by the crate before it is used.
//!
//! Constant time in k: no branch and no memory index depends on k or on any value derived
//! from it. The digits come from masked arithmetic; every look-up reads all 32 entries of its
//! position and keeps one with `subtle` masks; the final subtractions of the field operations
//! are masked; the inversion of Z is Fermat's (a fixed public exponent).

use super::arith::Nist;
use super::comb::{multiples, recode, HALF, W};
use elliptic_curve::point::AffineCoordinates;
use elliptic_curve::subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use elliptic_curve::Scalar;
use p256::NistP256;
use std::sync::OnceLock;
use zeroize::Zeroize;

/// A field element: little-endian 64-bit limbs, in Montgomery form (x·2^256 mod p), < p.
type Fe = [u64; 4];

/// p = 2^256 − 2^224 + 2^192 + 2^96 − 1.
const P: Fe = [
    0xffff_ffff_ffff_ffff,
    0x0000_0000_ffff_ffff,
    0x0000_0000_0000_0000,
    0xffff_ffff_0000_0001,
];
/// 2^512 mod p (for conversion into Montgomery form).
const R2: Fe = [
    0x0000_0000_0000_0003,
    0xffff_fffb_ffff_ffff,
    0xffff_ffff_ffff_fffe,
    0x0000_0004_ffff_fffd,
];
/// The curve coefficient b, big-endian.
const B_BE: [u8; 32] = [
    0x5a, 0xc6, 0x35, 0xd8, 0xaa, 0x3a, 0x93, 0xe7, 0xb3, 0xeb, 0xbd, 0x55, 0x76, 0x98, 0x86, 0xbc,
    0x65, 0x1d, 0x06, 0xb0, 0xcc, 0x53, 0xb0, 0xf6, 0x3b, 0xce, 0x3c, 0x3e, 0x27, 0xd2, 0x60, 0x4b,
];

/// t − m over four limbs and the borrow out (0 or 1).
#[inline(always)]
fn sub4(t: &Fe, m: &Fe) -> (Fe, u64) {
    let mut out = [0u64; 4];
    let mut borrow = 0u64;
    for i in 0..4 {
        let (d, b1) = t[i].overflowing_sub(m[i]);
        let (d, b2) = d.overflowing_sub(borrow);
        out[i] = d;
        borrow = u64::from(b1 | b2);
    }
    (out, borrow)
}

/// For t + hi·2^256 < 2p: the value mod p (masked, not branched).
#[inline(always)]
fn reduce_once(t: &Fe, hi: u64) -> Fe {
    let (d, borrow) = sub4(t, &P);
    // t is kept exactly when hi = 0 and t − p borrowed.
    let keep_t = (borrow & (hi ^ 1)).wrapping_neg();
    let mut out = [0u64; 4];
    for i in 0..4 {
        out[i] = (t[i] & keep_t) | (d[i] & !keep_t);
    }
    out
}

#[inline(always)]
fn add(a: &Fe, b: &Fe) -> Fe {
    let mut s = [0u64; 4];
    let mut carry = 0u64;
    for i in 0..4 {
        let (x, c1) = a[i].overflowing_add(b[i]);
        let (x, c2) = x.overflowing_add(carry);
        s[i] = x;
        carry = u64::from(c1 | c2);
    }
    reduce_once(&s, carry)
}

#[inline(always)]
fn sub(a: &Fe, b: &Fe) -> Fe {
    let (d, borrow) = sub4(a, b);
    let mask = borrow.wrapping_neg();
    let mut out = [0u64; 4];
    let mut carry = 0u64;
    for i in 0..4 {
        let (x, c1) = d[i].overflowing_add(P[i] & mask);
        let (x, c2) = x.overflowing_add(carry);
        out[i] = x;
        carry = u64::from(c1 | c2);
    }
    out
}

/// a·b·2^−256 mod p (CIOS; −p⁻¹ mod 2^64 = 1 because p ≡ −1 mod 2^64).
#[inline(always)]
fn mul(a: &Fe, b: &Fe) -> Fe {
    let mut t = [0u64; 6];
    for &bi in b {
        let mut c = 0u64;
        for j in 0..4 {
            let s = u128::from(t[j]) + u128::from(a[j]) * u128::from(bi) + u128::from(c);
            t[j] = s as u64;
            c = (s >> 64) as u64;
        }
        let s = u128::from(t[4]) + u128::from(c);
        t[4] = s as u64;
        t[5] = (s >> 64) as u64;
        let q = t[0];
        let s = u128::from(t[0]) + u128::from(q) * u128::from(P[0]);
        let mut c = (s >> 64) as u64;
        for j in 1..4 {
            let s = u128::from(t[j]) + u128::from(q) * u128::from(P[j]) + u128::from(c);
            t[j - 1] = s as u64;
            c = (s >> 64) as u64;
        }
        let s = u128::from(t[4]) + u128::from(c);
        t[3] = s as u64;
        t[4] = t[5] + (s >> 64) as u64;
    }
    reduce_once(&[t[0], t[1], t[2], t[3]], t[4])
}

#[inline(always)]
fn triple(a: &Fe) -> Fe {
    add(&add(a, a), a)
}

/// a^(2^n) (n squarings).
#[inline(always)]
fn sqr_n(a: &Fe, n: usize) -> Fe {
    let mut x = *a;
    for _ in 0..n {
        x = mul(&x, &x);
    }
    x
}

/// a^(p−2) = a⁻¹ (a ≠ 0) by a fixed addition chain (255 squarings, 13 multiplications).
/// p − 2 from the top: 32 ones, 31 zeros, a one, 96 zeros, 94 ones, a zero, a one.
fn invert(a: &Fe) -> Fe {
    // x_k = a^(2^k − 1).
    let x2 = mul(&sqr_n(a, 1), a);
    let x4 = mul(&sqr_n(&x2, 2), &x2);
    let x8 = mul(&sqr_n(&x4, 4), &x4);
    let x16 = mul(&sqr_n(&x8, 8), &x8);
    let x32 = mul(&sqr_n(&x16, 16), &x16);
    let mut acc = mul(&sqr_n(&x32, 32), a);
    acc = sqr_n(&acc, 96);
    acc = mul(&sqr_n(&acc, 32), &x32);
    acc = mul(&sqr_n(&acc, 32), &x32);
    acc = mul(&sqr_n(&acc, 16), &x16);
    acc = mul(&sqr_n(&acc, 8), &x8);
    acc = mul(&sqr_n(&acc, 4), &x4);
    acc = mul(&sqr_n(&acc, 2), &x2);
    mul(&sqr_n(&acc, 2), a)
}

fn to_mont(x: &Fe) -> Fe {
    mul(x, &R2)
}

fn from_mont(x: &Fe) -> Fe {
    mul(x, &[1, 0, 0, 0])
}

fn one() -> Fe {
    to_mont(&[1, 0, 0, 0])
}

/// A canonical big-endian coordinate (below p) in Montgomery form.
fn from_be(b: &[u8]) -> Fe {
    let mut x = [0u64; 4];
    for (i, limb) in x.iter_mut().enumerate() {
        let at = 32 - 8 * (i + 1);
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[at..at + 8]);
        *limb = u64::from_be_bytes(w);
    }
    to_mont(&x)
}

fn to_be(x: &Fe) -> [u8; 32] {
    let v = from_mont(x);
    let mut out = [0u8; 32];
    for (i, limb) in v.iter().enumerate() {
        out[32 - 8 * (i + 1)..32 - 8 * i].copy_from_slice(&limb.to_be_bytes());
    }
    out
}

/// A point in projective coordinates (X : Y : Z), x = X/Z, y = Y/Z; the identity is (0 : 1 : 0).
#[derive(Clone, Copy)]
struct Proj {
    x: Fe,
    y: Fe,
    z: Fe,
}

/// An affine table entry.
#[derive(Clone, Copy, Default)]
struct Entry {
    x: Fe,
    y: Fe,
}

struct Table {
    entries: Vec<Entry>,
    positions: usize,
    b: Fe,
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let (points, positions) = multiples::<NistP256>();
        let entries = points
            .iter()
            .map(|p| Entry {
                x: from_be(p.x().as_slice()),
                y: from_be(p.y().as_slice()),
            })
            .collect();
        Table {
            entries,
            positions,
            b: from_be(&B_BE),
        }
    })
}

/// lhs + (x, y), or lhs unchanged when `skip` (a zero digit): the complete mixed addition
/// for a = −3 of Renes, Costello and Batina (2015, algorithm 5), as the `primeorder` crate.
#[inline(always)]
fn add_mixed(lhs: &Proj, rhs: &Entry, b: &Fe, skip: Choice) -> Proj {
    let xx = mul(&lhs.x, &rhs.x);
    let yy = mul(&lhs.y, &rhs.y);
    let xy_pairs = sub(
        &mul(&add(&lhs.x, &lhs.y), &add(&rhs.x, &rhs.y)),
        &add(&xx, &yy),
    );
    let yz_pairs = add(&mul(&rhs.y, &lhs.z), &lhs.y);
    let xz_pairs = add(&mul(&rhs.x, &lhs.z), &lhs.x);
    let bz3_part = triple(&sub(&xz_pairs, &mul(b, &lhs.z)));
    let yy_m_bzz3 = sub(&yy, &bz3_part);
    let yy_p_bzz3 = add(&yy, &bz3_part);
    let z3 = triple(&lhs.z);
    let bxz3_part = triple(&sub(&mul(b, &xz_pairs), &add(&z3, &xx)));
    let xx3_m_zz3 = sub(&triple(&xx), &z3);
    let out = Proj {
        x: sub(&mul(&yy_p_bzz3, &xy_pairs), &mul(&yz_pairs, &bxz3_part)),
        y: add(&mul(&yy_p_bzz3, &yy_m_bzz3), &mul(&xx3_m_zz3, &bxz3_part)),
        z: add(&mul(&yy_m_bzz3, &yz_pairs), &mul(&xy_pairs, &xx3_m_zz3)),
    };
    let mut r = out;
    for i in 0..4 {
        r.x[i].conditional_assign(&lhs.x[i], skip);
        r.y[i].conditional_assign(&lhs.y[i], skip);
        r.z[i].conditional_assign(&lhs.z[i], skip);
    }
    r
}

/// d·(entries[0]) for |d| ≤ 32, reading every entry; the Choice is set for d = 0.
#[inline(always)]
fn select(entries: &[Entry], d: i8) -> (Entry, Choice) {
    let mask = d >> 7;
    let abs = ((d ^ mask) - mask) as u8;
    let mut t = Entry::default();
    for (j, e) in entries.iter().enumerate() {
        let hit = abs.ct_eq(&(j as u8 + 1));
        for i in 0..4 {
            t.x[i].conditional_assign(&e.x[i], hit);
            t.y[i].conditional_assign(&e.y[i], hit);
        }
    }
    let neg_y = sub(&[0; 4], &t.y);
    let negative = Choice::from((mask & 1) as u8);
    for (y, n) in t.y.iter_mut().zip(&neg_y) {
        y.conditional_assign(n, negative);
    }
    (t, abs.ct_eq(&0))
}

/// k·G for k in [1, n − 1] as big-endian affine (x, y). `C` must be P-256 (the caller
/// checks `C::CURVE`); it is generic only so that the caller's scalar type fits.
pub(super) fn mul_g<C: Nist>(k: &Scalar<C>) -> ([u8; 32], [u8; 32]) {
    let t = table();
    let mut digits = recode::<C>(k, t.positions);
    let one = one();
    let mut acc = Proj {
        x: [0; 4],
        y: one,
        z: [0; 4],
    };
    for (i, &d) in digits.iter().enumerate() {
        let (e, zero) = select(&t.entries[i * HALF..(i + 1) * HALF], d);
        acc = add_mixed(&acc, &e, &t.b, zero);
    }
    digits.zeroize();
    let zinv = invert(&acc.z);
    let out = (to_be(&mul(&acc.x, &zinv)), to_be(&mul(&acc.y, &zinv)));
    acc.x.zeroize();
    acc.y.zeroize();
    acc.z.zeroize();
    out
}

const _: () = assert!(W == 6 && HALF == 32);

#[cfg(test)]
mod tests {
    use super::*;
    use elliptic_curve::group::Group;
    use elliptic_curve::ops::Reduce;
    use p256::{FieldBytes, ProjectivePoint, Scalar};

    #[test]
    fn montgomery_round_trip_and_products() {
        let x = [
            0x1234_5678_9abc_def0,
            0xffff_ffff_0000_0000,
            7,
            0xffff_ffff_0000_0000,
        ];
        assert_eq!(from_mont(&to_mont(&x)), x);
        // (p − 1)² = 1, and a·a⁻¹ = 1.
        let m1 = to_mont(&[P[0] - 1, P[1], P[2], P[3]]);
        assert_eq!(from_mont(&mul(&m1, &m1)), [1, 0, 0, 0]);
        let a = to_mont(&x);
        assert_eq!(from_mont(&mul(&a, &invert(&a))), [1, 0, 0, 0]);
        for seed in 1..50u64 {
            let v = to_mont(&[
                seed.wrapping_mul(0x9e37_79b9_7f4a_7c15),
                seed,
                !seed,
                seed << 7,
            ]);
            assert_eq!(from_mont(&mul(&v, &invert(&v))), [1, 0, 0, 0], "{seed}");
        }
        // Additions that wrap past p and subtractions below zero.
        assert_eq!(from_mont(&add(&m1, &one())), [0; 4]);
        assert_eq!(sub(&[0; 4], &one()), m1);
    }

    #[test]
    fn matches_the_crate() {
        let mut samples = vec![
            Scalar::ONE,
            Scalar::ONE.double(),
            -Scalar::ONE,
            -Scalar::ONE.double(),
            Scalar::from(32u64),
            Scalar::from(33u64),
            Scalar::from(u64::MAX),
        ];
        for fill in [0x55u8, 0xaa, 0xff, 0x7f, 0x80, 0x20, 0x3f, 0x01] {
            let fb = FieldBytes::from_fn(|_| fill);
            samples.push(<Scalar as Reduce<FieldBytes>>::reduce(&fb));
        }
        let mut x = 0x0fed_cba9_8765_4321u64;
        for _ in 0..200 {
            let fb = FieldBytes::from_fn(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            });
            samples.push(<Scalar as Reduce<FieldBytes>>::reduce(&fb));
        }
        for k in samples {
            let expect = (ProjectivePoint::generator() * k).to_affine();
            let (gx, gy) = mul_g::<NistP256>(&k);
            assert_eq!(&gx[..], expect.x().as_slice(), "{k:?}");
            assert_eq!(&gy[..], expect.y().as_slice(), "{k:?}");
        }
    }
}
