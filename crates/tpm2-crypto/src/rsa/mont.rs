//! Montgomery arithmetic on 64-bit limbs (little-endian), R = 2^(64·limbs): the multiplication
//! is CIOS (Koç, Acar and Kaliski, "Analyzing and comparing Montgomery multiplication
//! algorithms", 1996) and exponentiation uses fixed 4-bit windows. Constant time: loop
//! bounds depend only on sizes, the final subtraction and the table look-ups are masked
//! (`subtle`), and every buffer is ours and zeroized. crypto-bigint does the set-up
//! divisions; this is the hot path of Miller–Rabin and of the CRT.

use super::ps;
use crypto_bigint::{BoxedUint, ConcatenatingMul, NonZero, Odd};
use subtle::{ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroize;

/// Window width of [`Mont::pow`], in bits (divides 64, so a window never straddles limbs).
const WINDOW: usize = 4;

/// Little-endian 64-bit limbs of `x`, exactly `n` of them (`x` must fit).
pub(super) fn limbs(x: &BoxedUint, n: usize) -> Vec<u64> {
    let mut le = x.to_le_bytes();
    let mut out = vec![0u64; n];
    for (o, chunk) in out.iter_mut().zip(le.chunks(8)) {
        let mut b = [0u8; 8];
        b[..chunk.len()].copy_from_slice(chunk);
        *o = u64::from_le_bytes(b);
    }
    le.zeroize();
    out
}

/// The integer of little-endian limbs, at `prec` bits of precision.
pub(super) fn from_limbs(l: &[u64], prec: u32) -> BoxedUint {
    let mut le: Vec<u8> = l.iter().flat_map(|w| w.to_le_bytes()).collect();
    let x = BoxedUint::from_le_slice(&le, prec).expect("limbs fit the precision");
    le.zeroize();
    x
}

/// Arithmetic modulo an odd m.
#[derive(Clone)]
pub(super) struct Mont {
    m: Vec<u64>,
    /// −m⁻¹ mod 2^64.
    inv: u64,
    /// R² mod m.
    r2: Vec<u64>,
    /// R mod m (1 in Montgomery form).
    one: Vec<u64>,
}

impl Drop for Mont {
    fn drop(&mut self) {
        self.m.zeroize();
        self.inv.zeroize();
        self.r2.zeroize();
        self.one.zeroize();
    }
}

impl Mont {
    /// Set-up for the odd modulus `m`, whose precision (a multiple of 64) fixes the limbs.
    pub(super) fn new(m: &Odd<BoxedUint>) -> Mont {
        let prec = m.bits_precision();
        let n = (prec / 64) as usize;
        let ml = limbs(m.as_ref(), n);
        // m⁻¹ mod 2^64 by Newton's iteration (each step doubles the correct low bits).
        let mut x: u64 = 1;
        for _ in 0..6 {
            x = x.wrapping_mul(2u64.wrapping_sub(ml[0].wrapping_mul(x)));
        }
        let nz: &NonZero<BoxedUint> = m.as_nz_ref();
        let r = BoxedUint::one_with_precision(prec + 64).shl(prec);
        let r_mod = r.rem(nz);
        let mut r_sq = r_mod.concatenating_mul(&r_mod);
        let r2 = r_sq.rem(nz);
        r_sq.zeroize();
        Mont {
            one: limbs(&r_mod, n),
            r2: limbs(&r2, n),
            m: ml,
            inv: x.wrapping_neg(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.m.len()
    }

    pub(super) fn one(&self) -> &[u64] {
        &self.one
    }

    /// out = a·b·R⁻¹ mod m, for a, b < m. Common sizes run a fixed-length copy of the loop.
    fn mul_into(&self, a: &[u64], b: &[u64], out: &mut [u64]) {
        macro_rules! fixed {
            ($($n:literal)*) => {
                match self.m.len() {
                    $($n => {
                        let r = cios::<$n>(
                            a[..$n].try_into().unwrap(),
                            b[..$n].try_into().unwrap(),
                            self.m[..].try_into().unwrap(),
                            self.inv,
                        );
                        out[..$n].copy_from_slice(&r);
                    })*
                    _ => cios_slice(a, b, &self.m, self.inv, out),
                }
            };
        }
        fixed!(8 16 24 32 48 64);
    }

    /// out = a²·R⁻¹ mod m, for a < m: product scanning (`ps.rs`) for 8, 16 and 24 limbs.
    fn sqr_into(&self, a: &[u64], out: &mut [u64]) {
        macro_rules! unrolled {
            ($($n:literal $f:path)*) => {
                match self.m.len() {
                    $($n => {
                        let r = $f(a[..$n].try_into().unwrap(), self.m[..].try_into().unwrap(), self.inv);
                        out[..$n].copy_from_slice(&r);
                        return;
                    })*
                    _ => {}
                }
            };
        }
        unrolled!(8 ps::sqr8 16 ps::sqr16 24 ps::sqr24);
        macro_rules! fixed {
            ($($n:literal $m:literal)*) => {
                match self.m.len() {
                    $($n => {
                        let r = sqr::<$n, $m>(
                            a[..$n].try_into().unwrap(),
                            self.m[..].try_into().unwrap(),
                            self.inv,
                        );
                        out[..$n].copy_from_slice(&r);
                    })*
                    _ => self.mul_into(a, a, out),
                }
            };
        }
        fixed!(32 64 48 96 64 128);
    }

    /// a·b·R⁻¹ mod m.
    pub(super) fn mul(&self, a: &[u64], b: &[u64]) -> Vec<u64> {
        let n = self.len();
        let mut out = vec![0u64; n];
        self.mul_into(a, b, &mut out);
        out
    }

    /// x·R mod m, for x < m.
    pub(super) fn to_mont(&self, x: &[u64]) -> Vec<u64> {
        self.mul(x, &self.r2)
    }

    /// x·R⁻¹ mod m: out of Montgomery form.
    pub(super) fn retrieve(&self, x: &[u64]) -> Vec<u64> {
        let mut unit = vec![0u64; self.len()];
        unit[0] = 1;
        self.mul(x, &unit)
    }

    /// base^exp in Montgomery form (base in Montgomery form), over the low `exp_bits` bits of
    /// `exp`: the same squarings, multiplications and masked look-ups for every exponent value.
    pub(super) fn pow(&self, base: &[u64], exp: &[u64], exp_bits: usize) -> Vec<u64> {
        let n = self.len();
        let mut table = vec![0u64; n << WINDOW];
        table[..n].copy_from_slice(&self.one);
        table[n..2 * n].copy_from_slice(&base[..n]);
        for i in 2..1 << WINDOW {
            let (done, rest) = table.split_at_mut(i * n);
            self.mul_into(&done[(i - 1) * n..], base, &mut rest[..n]);
        }
        let mut acc = self.one.clone();
        let mut tmp = vec![0u64; n];
        let mut sel = vec![0u64; n];
        for w in (0..exp_bits.div_ceil(WINDOW)).rev() {
            for _ in 0..WINDOW {
                self.sqr_into(&acc, &mut tmp);
                std::mem::swap(&mut acc, &mut tmp);
            }
            let bit = w * WINDOW;
            let word = exp.get(bit / 64).copied().unwrap_or(0);
            let mut idx = (word >> (bit % 64)) & ((1 << WINDOW) - 1);
            if bit + WINDOW > exp_bits {
                idx &= (1 << (exp_bits - bit)) - 1;
            }
            sel.fill(0);
            for (i, entry) in table.chunks_exact(n).enumerate() {
                let hit = (i as u64).ct_eq(&idx);
                for (s, &e) in sel.iter_mut().zip(entry) {
                    s.conditional_assign(&e, hit);
                }
            }
            self.mul_into(&acc, &sel, &mut tmp);
            std::mem::swap(&mut acc, &mut tmp);
            idx.zeroize();
        }
        table.zeroize();
        tmp.zeroize();
        sel.zeroize();
        acc
    }

    /// 2^exp in Montgomery form over the low `exp_bits` bits of `exp`: squarings and masked
    /// modular doublings only (a cheap Fermat test), the same work for every exponent value.
    pub(super) fn pow2(&self, exp: &[u64], exp_bits: usize) -> Vec<u64> {
        let n = self.len();
        let mut acc = self.one.clone();
        let mut tmp = vec![0u64; n];
        let mut dbl = vec![0u64; n];
        let mut red = vec![0u64; n];
        for bit in (0..exp_bits).rev() {
            self.sqr_into(&acc, &mut tmp);
            std::mem::swap(&mut acc, &mut tmp);
            let mut carry = 0u64;
            for (d, &a) in dbl.iter_mut().zip(&acc) {
                *d = (a << 1) | carry;
                carry = a >> 63;
            }
            let borrow = sub_into(&dbl, &self.m, &mut red);
            select_smaller(&mut red, &dbl, borrow, carry);
            let set = (((exp.get(bit / 64).copied().unwrap_or(0)) >> (bit % 64)) & 1).ct_eq(&1);
            for (a, &r) in acc.iter_mut().zip(&red) {
                a.conditional_assign(&r, set);
            }
        }
        tmp.zeroize();
        dbl.zeroize();
        red.zeroize();
        acc
    }

    /// base^e in Montgomery form for a public exponent (square-and-multiply; the timing
    /// depends on e only).
    pub(super) fn pow_public(&self, base: &[u64], e: u32) -> Vec<u64> {
        let mut acc = base[..self.len()].to_vec();
        for i in (0..31 - e.leading_zeros()).rev() {
            acc = self.mul(&acc, &acc);
            if (e >> i) & 1 == 1 {
                acc = self.mul(&acc, base);
            }
        }
        acc
    }
}

/// CIOS for N limbs: a·b·R⁻¹ mod m (a, b < m; inv = −m⁻¹ mod 2^64).
#[inline(always)]
fn cios<const N: usize>(a: &[u64; N], b: &[u64; N], m: &[u64; N], inv: u64) -> [u64; N] {
    let mut t = [0u64; N];
    let (mut t_n, mut t_n1);
    t_n = 0u64;
    for &bi in b {
        let mut c: u64 = 0;
        for j in 0..N {
            let s = u128::from(t[j]) + u128::from(a[j]) * u128::from(bi) + u128::from(c);
            t[j] = s as u64;
            c = (s >> 64) as u64;
        }
        let s = u128::from(t_n) + u128::from(c);
        t_n = s as u64;
        t_n1 = (s >> 64) as u64;
        let q = t[0].wrapping_mul(inv);
        let s = u128::from(t[0]) + u128::from(q) * u128::from(m[0]);
        let mut c = (s >> 64) as u64;
        for j in 1..N {
            let s = u128::from(t[j]) + u128::from(q) * u128::from(m[j]) + u128::from(c);
            t[j - 1] = s as u64;
            c = (s >> 64) as u64;
        }
        let s = u128::from(t_n) + u128::from(c);
        t[N - 1] = s as u64;
        t_n = t_n1 + (s >> 64) as u64;
    }
    let mut out = [0u64; N];
    let borrow = sub_into(&t, m, &mut out);
    select_smaller(&mut out, &t, borrow, t_n);
    t.zeroize();
    out
}

/// Squaring for N limbs (M = 2N): the cross products once and doubled, the squares added,
/// then Montgomery reduction of the 2N-limb product (a < m).
#[inline(always)]
fn sqr<const N: usize, const M: usize>(a: &[u64; N], m: &[u64; N], inv: u64) -> [u64; N] {
    let mut t = [0u64; M];
    for i in 0..N {
        let mut c = 0u64;
        for j in i + 1..N {
            let s = u128::from(t[i + j]) + u128::from(a[i]) * u128::from(a[j]) + u128::from(c);
            t[i + j] = s as u64;
            c = (s >> 64) as u64;
        }
        t[i + N] = c;
    }
    let mut carry = 0u64;
    for x in t[..2 * N].iter_mut() {
        let v = *x;
        *x = (v << 1) | carry;
        carry = v >> 63;
    }
    let mut c = 0u64;
    for i in 0..N {
        let sq = u128::from(a[i]) * u128::from(a[i]);
        let s = u128::from(t[2 * i]) + u128::from(sq as u64) + u128::from(c);
        t[2 * i] = s as u64;
        let s = u128::from(t[2 * i + 1]) + (sq >> 64) + (s >> 64);
        t[2 * i + 1] = s as u64;
        c = (s >> 64) as u64;
    }
    // Montgomery reduction: add q·m·2^(64i) to clear limb i, N times.
    let mut top = 0u64;
    for i in 0..N {
        let q = t[i].wrapping_mul(inv);
        let mut c = 0u64;
        for j in 0..N {
            let s = u128::from(t[i + j]) + u128::from(q) * u128::from(m[j]) + u128::from(c);
            t[i + j] = s as u64;
            c = (s >> 64) as u64;
        }
        let s = u128::from(t[i + N]) + u128::from(c) + u128::from(top);
        t[i + N] = s as u64;
        top = (s >> 64) as u64;
    }
    let mut out = [0u64; N];
    let borrow = sub_into(&t[N..2 * N], m, &mut out);
    select_smaller(&mut out, &t[N..2 * N], borrow, top);
    t.zeroize();
    out
}

/// The same for any length, on slices.
fn cios_slice(a: &[u64], b: &[u64], m: &[u64], inv: u64, out: &mut [u64]) {
    let n = m.len();
    let mut t = vec![0u64; n];
    let mut t_n = 0u64;
    for &bi in &b[..n] {
        let mut c: u64 = 0;
        for (tj, &aj) in t.iter_mut().zip(&a[..n]) {
            let s = u128::from(*tj) + u128::from(aj) * u128::from(bi) + u128::from(c);
            *tj = s as u64;
            c = (s >> 64) as u64;
        }
        let s = u128::from(t_n) + u128::from(c);
        t_n = s as u64;
        let t_n1 = (s >> 64) as u64;
        let q = t[0].wrapping_mul(inv);
        let s = u128::from(t[0]) + u128::from(q) * u128::from(m[0]);
        let mut c = (s >> 64) as u64;
        for j in 1..n {
            let s = u128::from(t[j]) + u128::from(q) * u128::from(m[j]) + u128::from(c);
            t[j - 1] = s as u64;
            c = (s >> 64) as u64;
        }
        let s = u128::from(t_n) + u128::from(c);
        t[n - 1] = s as u64;
        t_n = t_n1 + (s >> 64) as u64;
    }
    let borrow = sub_into(&t, m, &mut out[..n]);
    select_smaller(&mut out[..n], &t, borrow, t_n);
    t.zeroize();
}

/// out = t − m (low limbs); returns the borrow (0 or 1).
#[inline(always)]
pub(super) fn sub_into(t: &[u64], m: &[u64], out: &mut [u64]) -> u64 {
    let mut borrow = 0u64;
    for ((o, &tj), &mj) in out.iter_mut().zip(t).zip(m) {
        let (d, b1) = tj.overflowing_sub(mj);
        let (d, b2) = d.overflowing_sub(borrow);
        *o = d;
        borrow = u64::from(b1 | b2);
    }
    borrow
}

/// The CIOS result t (with top limb t_n ∈ {0, 1}) is below 2m: keep t when t − m borrowed
/// out of t (t < m), else keep t − m, already in `out`. Masked, not branched.
#[inline(always)]
pub(super) fn select_smaller(out: &mut [u64], t: &[u64], borrow: u64, t_n: u64) {
    let keep_t = (borrow & (t_n ^ 1)).ct_eq(&1);
    for (o, &tj) in out.iter_mut().zip(t) {
        o.conditional_assign(&tj, keep_t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
    use crypto_bigint::Resize;

    fn sample(bytes: usize, seed: u64) -> Vec<u8> {
        let mut x = seed;
        (0..bytes)
            .map(|_| {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (x >> 56) as u8
            })
            .collect()
    }

    #[test]
    fn agrees_with_crypto_bigint() {
        for (bits, seed) in [
            (64u32, 1u64),
            (512, 2),
            (1024, 3),
            (1088, 4),
            (1536, 6),
            (2048, 5),
        ] {
            let mut mb = sample((bits / 8) as usize, seed);
            mb[0] |= 0x80;
            *mb.last_mut().unwrap() |= 1;
            let m = Odd::new(BoxedUint::from_be_slice(&mb, bits).unwrap())
                .into_option()
                .unwrap();
            let n = (bits / 64) as usize;
            let mont = Mont::new(&m);
            let params = BoxedMontyParams::new(m.clone());
            let mut xb = sample((bits / 8) as usize, seed + 100);
            xb[0] &= 0x7f;
            let x = BoxedUint::from_be_slice(&xb, bits).unwrap();
            let e =
                BoxedUint::from_be_slice(&sample((bits / 8) as usize, seed + 200), bits).unwrap();
            let expect = BoxedMontyForm::new(x.clone(), &params).pow(&e).retrieve();
            let xm = mont.to_mont(&limbs(&x, n));
            let got = mont.retrieve(&mont.pow(&xm, &limbs(&e, n), bits as usize));
            assert_eq!(from_limbs(&got, bits), expect, "{bits}-bit pow");
            // Short exponents, including a partial last window.
            for ebits in [1usize, 3, 5, 17] {
                let eb = BoxedUint::from(0x1_2345u64 & ((1 << ebits) - 1)).resize_unchecked(bits);
                let expect = BoxedMontyForm::new(x.clone(), &params)
                    .pow_bounded_exp(&eb, ebits as u32)
                    .retrieve();
                let got = mont.retrieve(&mont.pow(&xm, &limbs(&eb, n), ebits));
                assert_eq!(
                    from_limbs(&got, bits),
                    expect,
                    "{bits}-bit, {ebits}-bit exponent"
                );
            }
            let expect = BoxedMontyForm::new(x.clone(), &params)
                .pow_bounded_exp(&BoxedUint::from(65537u32), 17)
                .retrieve();
            let got = mont.retrieve(&mont.pow_public(&xm, 65537));
            assert_eq!(from_limbs(&got, bits), expect, "{bits}-bit public pow");
            // 2^e by doublings.
            let two = BoxedUint::from(2u32).resize_unchecked(bits);
            let expect = BoxedMontyForm::new(two, &params).pow(&e).retrieve();
            let got = mont.retrieve(&mont.pow2(&limbs(&e, n), bits as usize));
            assert_eq!(from_limbs(&got, bits), expect, "{bits}-bit pow2");
            let mut sq = vec![0u64; n];
            mont.sqr_into(&xm, &mut sq);
            assert_eq!(sq, mont.mul(&xm, &xm), "{bits}-bit square");
            // m − 1 squared is 1.
            let m1 = limbs(&m.as_ref().wrapping_sub(BoxedUint::one()), n);
            let sq = mont.retrieve(&mont.mul(&mont.to_mont(&m1), &mont.to_mont(&m1)));
            assert_eq!(from_limbs(&sq, bits), BoxedUint::one_with_precision(bits));
        }
    }
}
