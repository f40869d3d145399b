//! Montgomery squaring by product scanning (the "FIPS" method of Koç, Acar and Kaliski,
//! 1996) for the limb counts RSA uses most (8, 16 and 24 limbs: the primes of 1024-, 2048-
//! and 3072-bit keys). Output column k of a² + q·m is summed in a three-word accumulator:
//! the cross products aᵢ·aₖ₋ᵢ (i < k − i) once and doubled, the square a²ₖ/₂, and the
//! reduction products qᵢ·mₖ₋ᵢ; for k < N the quotient digit qₖ is chosen so that the
//! column's low word vanishes. Every column is a separate instance of [`column`] with the
//! column index as a constant, so all loops have constant bounds and unroll into straight
//! code (about 1.45× faster than the row-wise squaring of `mont.rs` at 16 limbs). Constant
//! time: no branch or index depends on a value, and the final subtraction is masked.

use super::mont::{select_smaller, sub_into};

/// A 192-bit accumulator (lo, hi, top).
#[derive(Clone, Copy, Default)]
struct Acc {
    lo: u64,
    hi: u64,
    top: u64,
}

impl Acc {
    /// self += a·b.
    #[inline(always)]
    fn mac(&mut self, a: u64, b: u64) {
        let p = u128::from(a) * u128::from(b);
        let (lo, c1) = self.lo.overflowing_add(p as u64);
        // The high half of a product is at most 2^64 − 2, so adding the carry cannot wrap.
        let (hi, c2) = self.hi.overflowing_add((p >> 64) as u64 + u64::from(c1));
        self.lo = lo;
        self.hi = hi;
        self.top += u64::from(c2);
    }

    /// self += 2·x.
    #[inline(always)]
    fn add_double(&mut self, x: &Acc) {
        let top = (x.top << 1) | (x.hi >> 63);
        let (lo, c1) = self.lo.overflowing_add(x.lo << 1);
        let (hi, c2) = self.hi.overflowing_add((x.hi << 1) | (x.lo >> 63));
        let (hi, c3) = hi.overflowing_add(u64::from(c1));
        self.lo = lo;
        self.hi = hi;
        self.top += top + u64::from(c2) + u64::from(c3);
    }

    /// Returns the low word and shifts the accumulator down by one word.
    #[inline(always)]
    fn shift(&mut self) -> u64 {
        let r = self.lo;
        self.lo = self.hi;
        self.hi = self.top;
        self.top = 0;
        r
    }
}

/// Column K of the N-limb Montgomery squaring (0 ≤ K < 2N − 1). The accumulator never
/// overflows: a column sums at most 2N + 1 products below 2^128 plus a carry below 2^(128+6).
#[inline(always)]
fn column<const N: usize, const K: usize>(
    a: &[u64; N],
    m: &[u64; N],
    inv: u64,
    q: &mut [u64; N],
    out: &mut [u64; N],
    acc: &mut Acc,
) {
    let first = if K >= N { K + 1 - N } else { 0 };
    let mut cross = Acc::default();
    let mut i = first;
    while i < K - i {
        cross.mac(a[i], a[K - i]);
        i += 1;
    }
    acc.add_double(&cross);
    if K.is_multiple_of(2) {
        acc.mac(a[K / 2], a[K / 2]);
    }
    let mut i = first;
    while i < K.min(N) {
        acc.mac(q[i], m[K - i]);
        i += 1;
    }
    if K < N {
        let qk = acc.lo.wrapping_mul(inv);
        q[K] = qk;
        acc.mac(qk, m[0]);
        acc.shift();
    } else {
        out[K - N] = acc.shift();
    }
}

/// Defines `$name(a, m, inv) = a²·R⁻¹ mod m` for `$n` limbs (a < m, inv = −m⁻¹ mod 2^64);
/// the literals are the column indices 0..2n−1 (macro_rules cannot count).
macro_rules! squaring {
    ($name:ident, $n:literal, $($k:literal)*) => {
        pub(super) fn $name(a: &[u64; $n], m: &[u64; $n], inv: u64) -> [u64; $n] {
            let mut q = [0u64; $n];
            let mut t = [0u64; $n];
            let mut acc = Acc::default();
            $(column::<$n, $k>(a, m, inv, &mut q, &mut t, &mut acc);)*
            t[$n - 1] = acc.shift();
            // t + acc.lo·R < 2m, with acc.lo ∈ {0, 1}.
            let mut out = [0u64; $n];
            let borrow = sub_into(&t, m, &mut out);
            select_smaller(&mut out, &t, borrow, acc.lo);
            zeroize::Zeroize::zeroize(&mut q);
            zeroize::Zeroize::zeroize(&mut t);
            out
        }
    };
}

squaring!(sqr8, 8, 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14);
squaring!(sqr16, 16,
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30);
squaring!(sqr24, 24,
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23
    24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46);
