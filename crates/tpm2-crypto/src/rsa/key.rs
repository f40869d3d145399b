//! RSA keys and the raw operations: RSAEP/RSAVP1 (RFC 8017 §5.1.1, §5.2.2) and the blinded
//! CRT RSADP/RSASP1 (§5.1.2, §5.2.1) with a fault check.

use super::mont::{from_limbs, limbs, Mont};
use super::{RsaError, MAX_BITS, MIN_BITS};
use crate::RandomSource;
use crypto_bigint::{BoxedUint, ConcatenatingMul, Gcd, NonZero, Odd, Resize};
use subtle::{ConstantTimeEq, ConstantTimeLess};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Attempts at drawing a usable blinding factor before giving up with [`RsaError::Random`].
const BLIND_TRIES: usize = 64;

/// Storage precision for a `bits`-bit value: whole 64-bit limbs.
pub(super) fn precision(bits: u32) -> u32 {
    bits.div_ceil(64) * 64
}

/// Big-endian bytes to an integer of `prec` bits; `None` if it does not fit.
pub(super) fn from_be(bytes: &[u8], prec: u32) -> Option<BoxedUint> {
    BoxedUint::from_be_slice(bytes, prec).ok()
}

/// I2OSP (§4.1): the low `len` octets of `x`, big-endian (the caller knows `x` fits).
pub(super) fn i2osp(x: &BoxedUint, len: usize) -> Vec<u8> {
    let full = x.to_be_bytes();
    let mut out = vec![0u8; len];
    if full.len() >= len {
        out.copy_from_slice(&full[full.len() - len..]);
    } else {
        out[len - full.len()..].copy_from_slice(&full);
    }
    let mut full = full;
    full.zeroize();
    out
}

/// Leading zero octets dropped (variable time: used on lengths only).
fn strip(b: &[u8]) -> &[u8] {
    let z = b.iter().take_while(|&&x| x == 0).count();
    &b[z..]
}

fn uint(v: u64, prec: u32) -> BoxedUint {
    BoxedUint::from(v).resize_unchecked(prec)
}

/// An RSA public key (n, e).
#[derive(Clone)]
pub struct RsaPublicKey {
    n: Odd<BoxedUint>,
    e: u32,
    bits: u32,
    mont: Mont,
}

impl core::fmt::Debug for RsaPublicKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let n: String = self.modulus().iter().map(|b| format!("{b:02x}")).collect();
        f.debug_struct("RsaPublicKey")
            .field("bits", &self.bits)
            .field("e", &self.e)
            .field("n", &n)
            .finish()
    }
}

impl RsaPublicKey {
    /// A public key from a big-endian modulus (leading zeros allowed; odd, 1024..=4096 bits)
    /// and an odd exponent ≥ 3 (the engine maps the TPM's exponent 0 to 65537 itself).
    pub fn new(modulus: &[u8], exponent: u32) -> Result<Self, RsaError> {
        let m = strip(modulus);
        if m.is_empty() || m.len() > (MAX_BITS / 8) as usize {
            return Err(RsaError::KeySize);
        }
        let bits = (m.len() as u32 - 1) * 8 + (8 - m[0].leading_zeros());
        if !(MIN_BITS..=MAX_BITS).contains(&bits) {
            return Err(RsaError::KeySize);
        }
        if exponent < 3 || exponent.is_multiple_of(2) {
            return Err(RsaError::Exponent);
        }
        if m[m.len() - 1] & 1 == 0 {
            return Err(RsaError::Modulus);
        }
        let n = from_be(m, precision(bits)).ok_or(RsaError::KeySize)?;
        let n = Odd::new(n).into_option().ok_or(RsaError::Modulus)?;
        let mont = Mont::new(&n);
        Ok(RsaPublicKey {
            n,
            e: exponent,
            bits,
            mont,
        })
    }

    /// The modulus, big-endian, exactly [`Self::size_bytes`] long.
    pub fn modulus(&self) -> Vec<u8> {
        i2osp(self.n.as_ref(), self.size_bytes())
    }

    pub fn exponent(&self) -> u32 {
        self.e
    }

    /// The modulus length in bits.
    pub fn bits(&self) -> u32 {
        self.bits
    }

    /// k, the modulus length in octets.
    pub fn size_bytes(&self) -> usize {
        self.bits.div_ceil(8) as usize
    }

    pub(super) fn prec(&self) -> u32 {
        self.n.bits_precision()
    }

    /// OS2IP of an input of at most k octets that must be below n (shorter input is
    /// left-padded); [`RsaError::ValueTooLarge`] otherwise.
    pub(super) fn to_int(&self, x: &[u8]) -> Result<BoxedUint, RsaError> {
        if x.len() > self.size_bytes() {
            return Err(RsaError::ValueTooLarge);
        }
        let v = from_be(x, self.prec()).ok_or(RsaError::ValueTooLarge)?;
        if !bool::from(v.ct_lt(self.n.as_ref())) {
            return Err(RsaError::ValueTooLarge);
        }
        Ok(v)
    }

    /// x^e mod n for x < n, as limbs (e is public: its length shows in the timing).
    fn public_limbs(&self, x: &[u64]) -> Vec<u64> {
        let m = &self.mont;
        m.retrieve(&m.pow_public(&m.to_mont(x), self.e))
    }

    /// RSAEP / RSAVP1: x^e mod n for x < n.
    pub(super) fn public_op(&self, x: &BoxedUint) -> BoxedUint {
        let y = self.public_limbs(&limbs(x, self.mont.len()));
        from_limbs(&y, self.prec())
    }

    /// RSAEP on octets: `m` (at most k octets, below n as an integer) to the k-octet c.
    pub fn encrypt_raw(&self, m: &[u8]) -> Result<Vec<u8>, RsaError> {
        let x = self.to_int(m)?;
        Ok(i2osp(&self.public_op(&x), self.size_bytes()))
    }
}

/// An RSA private key, held as the CRT quintuple (RFC 8017 §3.2) with p > q. Secret parts
/// are zeroized on drop.
#[derive(Clone)]
pub struct RsaPrivateKey {
    public: RsaPublicKey,
    p: Odd<BoxedUint>,
    q: Odd<BoxedUint>,
    /// e⁻¹ mod (p−1) and e⁻¹ mod (q−1), as limbs.
    dp: Vec<u64>,
    dq: Vec<u64>,
    /// q⁻¹ mod p, in Montgomery form modulo p.
    qinv: Vec<u64>,
    mp: Mont,
    mq: Mont,
}

impl Drop for RsaPrivateKey {
    fn drop(&mut self) {
        self.p.zeroize();
        self.q.zeroize();
        self.dp.zeroize();
        self.dq.zeroize();
        self.qinv.zeroize();
        // The Montgomery contexts zeroize themselves.
    }
}

impl core::fmt::Debug for RsaPrivateKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RsaPrivateKey")
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

/// Every component of a private key, big-endian (n, e, d, p, q, dP, dQ, qInv of the PKCS #1
/// `RSAPrivateKey`, RFC 8017 appendix A.1.2), for export; zeroized on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct RsaComponents {
    pub n: Vec<u8>,
    pub e: u32,
    /// e⁻¹ mod λ(n), λ(n) = lcm(p−1, q−1).
    pub d: Vec<u8>,
    pub p: Vec<u8>,
    pub q: Vec<u8>,
    pub dp: Vec<u8>,
    pub dq: Vec<u8>,
    pub qinv: Vec<u8>,
}

impl RsaPrivateKey {
    /// A private key from the modulus, the exponent and one prime factor, as the TPM stores
    /// it in `TPMT_SENSITIVE`: q = n / p must leave no remainder, both factors must exceed
    /// 2^64, the larger must fit in ⌈k/2⌉ octets, and e must be invertible modulo p−1 and
    /// q−1. Either factor may be given; [`Self::prime`] returns the larger.
    pub fn from_prime(modulus: &[u8], exponent: u32, prime: &[u8]) -> Result<Self, RsaError> {
        let public = RsaPublicKey::new(modulus, exponent)?;
        let pr = strip(prime);
        if pr.is_empty() || pr.len() > public.size_bytes() {
            return Err(RsaError::BadPrime);
        }
        let a = Zeroizing::new(from_be(pr, public.prec()).ok_or(RsaError::BadPrime)?);
        let a_nz = NonZero::new((*a).clone())
            .into_option()
            .ok_or(RsaError::BadPrime)?;
        let (b, rem) = public.n.as_ref().div_rem(&a_nz);
        let b = Zeroizing::new(b);
        if !rem.is_zero().to_bool() {
            return Err(RsaError::BadPrime);
        }
        Self::from_factors(public, &a, &b)
    }

    /// The key from its two factors (a · b = n, any order, any precision).
    pub(super) fn from_factors(
        public: RsaPublicKey,
        a: &BoxedUint,
        b: &BoxedUint,
    ) -> Result<Self, RsaError> {
        let half_bytes = public.size_bytes().div_ceil(2);
        let pp = precision(8 * half_bytes as u32);
        let (big, small) = if a.cmp_vartime(b).is_gt() {
            (a, b)
        } else {
            (b, a)
        };
        // q > 2^64 keeps e below both p−1 and q−1; p must fit the stored prime's size.
        if small.bit_width() <= 64 || big.bit_width() > 8 * half_bytes as u32 || big == small {
            return Err(RsaError::BadPrime);
        }
        let fit = |x: &BoxedUint| {
            let x = x.clone().try_resize(pp).ok_or(RsaError::BadPrime)?;
            Odd::new(x).into_option().ok_or(RsaError::BadPrime)
        };
        let p = fit(big)?;
        let q = fit(small)?;
        let e = uint(public.e.into(), pp);
        let inv_mod_minus_one = |x: &Odd<BoxedUint>| -> Result<BoxedUint, RsaError> {
            let m = x.as_ref().wrapping_sub(uint(1, pp));
            let m = NonZero::new(m).into_option().ok_or(RsaError::BadPrime)?;
            e.invert_mod(&m).into_option().ok_or(RsaError::Exponent)
        };
        let nl = (pp / 64) as usize;
        let dp = Zeroizing::new(inv_mod_minus_one(&p)?);
        let dq = Zeroizing::new(inv_mod_minus_one(&q)?);
        let qinv = q
            .as_ref()
            .invert_odd_mod(&p)
            .into_option()
            .ok_or(RsaError::BadPrime)?;
        let qinv = Zeroizing::new(qinv);
        let mp = Mont::new(&p);
        let mq = Mont::new(&q);
        let mut qinv_l = limbs(&qinv, nl);
        let qinv_m = mp.to_mont(&qinv_l);
        qinv_l.zeroize();
        Ok(RsaPrivateKey {
            public,
            p,
            q,
            dp: limbs(&dp, nl),
            dq: limbs(&dq, nl),
            qinv: qinv_m,
            mp,
            mq,
        })
    }

    pub fn public(&self) -> &RsaPublicKey {
        &self.public
    }

    /// The prime p (the larger factor) to store, big-endian, ⌈k/2⌉ octets: exactly
    /// `size_bytes() / 2` for every key size the TPM uses.
    pub fn prime(&self) -> Vec<u8> {
        i2osp(self.p.as_ref(), self.public.size_bytes().div_ceil(2))
    }

    /// d = e⁻¹ mod lcm(p−1, q−1) (FIPS 186-5 A.1.1), at the modulus's precision.
    pub(super) fn private_exponent(&self) -> Result<Zeroizing<BoxedUint>, RsaError> {
        let pp = self.p.bits_precision();
        let one = uint(1, pp);
        let p1 = Zeroizing::new(self.p.as_ref().wrapping_sub(&one));
        let q1 = Zeroizing::new(self.q.as_ref().wrapping_sub(&one));
        let g = p1.gcd(&q1);
        let g = NonZero::new(g).into_option().ok_or(RsaError::BadPrime)?;
        let (p1g, _) = p1.div_rem(&g);
        let lambda = Zeroizing::new(p1g.concatenating_mul(&*q1));
        let lambda = NonZero::new((*lambda).clone())
            .into_option()
            .ok_or(RsaError::BadPrime)?;
        let e = uint(self.public.e.into(), lambda.bits_precision());
        let d = e
            .invert_mod(&lambda)
            .into_option()
            .ok_or(RsaError::Exponent)?;
        let d = d.try_resize(self.public.prec()).ok_or(RsaError::BadPrime)?;
        Ok(Zeroizing::new(d))
    }

    /// All components for export (computes d).
    pub fn components(&self) -> Result<RsaComponents, RsaError> {
        let k = self.public.size_bytes();
        let h = k.div_ceil(2);
        let d = self.private_exponent()?;
        let pp = self.p.bits_precision();
        let plain = |l: &[u64]| Zeroizing::new(from_limbs(l, pp));
        let qinv = Zeroizing::new(self.mp.retrieve(&self.qinv));
        Ok(RsaComponents {
            n: self.public.modulus(),
            e: self.public.e,
            d: i2osp(&d, k),
            p: i2osp(self.p.as_ref(), h),
            q: i2osp(self.q.as_ref(), h),
            dp: i2osp(&plain(&self.dp), h),
            dq: i2osp(&plain(&self.dq), h),
            qinv: i2osp(&plain(&qinv), h),
        })
    }

    /// A blinding pair (r^e, r⁻¹) mod n, both in Montgomery form, for a random r in
    /// [1, n) prime to n. Each attempt draws k octets in one `fill` and clears the bits above
    /// n's length.
    fn blinding(&self, rng: &mut dyn RandomSource) -> Result<(Vec<u64>, Vec<u64>), RsaError> {
        let pubk = &self.public;
        let mn = &pubk.mont;
        let k = pubk.size_bytes();
        let mut buf = Zeroizing::new(vec![0u8; k]);
        for _ in 0..BLIND_TRIES {
            rng.fill(&mut buf);
            buf[0] &= 0xff >> (8 * k as u32 - pubk.bits);
            let Some(r) = from_be(&buf, pubk.prec()) else {
                continue;
            };
            let r = Zeroizing::new(r);
            if r.is_zero().to_bool() || !bool::from(r.ct_lt(pubk.n.as_ref())) {
                continue;
            }
            let Some(rinv) = r.invert_odd_mod(&pubk.n).into_option() else {
                continue;
            };
            let rinv = Zeroizing::new(rinv);
            let mut rl = limbs(&r, mn.len());
            let mut rinv_l = limbs(&rinv, mn.len());
            let rm = Zeroizing::new(mn.to_mont(&rl));
            let out = (mn.pow_public(&rm, pubk.e), mn.to_mont(&rinv_l));
            rl.zeroize();
            rinv_l.zeroize();
            return Ok(out);
        }
        Err(RsaError::Random)
    }

    /// RSADP / RSASP1 on an integer c < n: blinded CRT with Garner's recombination, then
    /// the result is re-encrypted and compared with c before it is released.
    pub(super) fn private_op(
        &self,
        c: &BoxedUint,
        rng: &mut dyn RandomSource,
    ) -> Result<Zeroizing<BoxedUint>, RsaError> {
        let pubk = &self.public;
        let mn = &pubk.mont;
        let (mut re, mut rinv) = self.blinding(rng)?;
        // c·r^e mod n (a plain value times a Montgomery form gives a plain value).
        let mut blinded_l = mn.mul(&limbs(c, mn.len()), &re);
        re.zeroize();
        let blinded = Zeroizing::new(from_limbs(&blinded_l, pubk.prec()));
        blinded_l.zeroize();

        let pp = self.p.bits_precision();
        let half = |m: &Mont, x: &BoxedUint, d: &[u64]| {
            let mut xl = limbs(x, m.len());
            let mut xm = m.to_mont(&xl);
            let mut ym = m.pow(&xm, d, 64 * m.len());
            let y = m.retrieve(&ym);
            xl.zeroize();
            xm.zeroize();
            ym.zeroize();
            Zeroizing::new(y)
        };
        let cp = Zeroizing::new(blinded.rem(self.p.as_nz_ref()));
        let cq = Zeroizing::new(blinded.rem(self.q.as_nz_ref()));
        let m1 = Zeroizing::new(from_limbs(&half(&self.mp, &cp, &self.dp), pp));
        let m2 = Zeroizing::new(from_limbs(&half(&self.mq, &cq, &self.dq), pp));
        // h = (m1 − m2)·qInv mod p; m2 < q < p, so both operands are reduced.
        let diff = Zeroizing::new(m1.sub_mod(&m2, self.p.as_nz_ref()));
        let mut diff_l = limbs(&diff, self.mp.len());
        let mut h_l = self.mp.mul(&diff_l, &self.qinv);
        diff_l.zeroize();
        let h = Zeroizing::new(from_limbs(&h_l, pp));
        h_l.zeroize();
        let hq = Zeroizing::new(h.concatenating_mul(self.q.as_ref()));
        let (sum, _) = hq.carrying_add(&*m2, crypto_bigint::Limb::ZERO);
        // m2 + h·q ≤ p·q − 1 = n − 1: it fits the modulus's precision.
        let m = Zeroizing::new(sum.resize_unchecked(pubk.prec()));

        let mut ml = limbs(&m, mn.len());
        let mut out_l = mn.mul(&ml, &rinv);
        rinv.zeroize();
        ml.zeroize();
        let check = pubk.public_limbs(&out_l);
        let out = Zeroizing::new(from_limbs(&out_l, pubk.prec()));
        out_l.zeroize();
        if !bool::from(from_limbs(&check, pubk.prec()).ct_eq(c)) {
            return Err(RsaError::Fault);
        }
        Ok(out)
    }

    /// RSADP on octets: c (at most k octets, below n) to the k-octet m.
    pub fn decrypt_raw(&self, c: &[u8], rng: &mut dyn RandomSource) -> Result<Vec<u8>, RsaError> {
        let x = self.public.to_int(c)?;
        let m = self.private_op(&x, rng)?;
        Ok(i2osp(&m, self.public.size_bytes()))
    }
}
