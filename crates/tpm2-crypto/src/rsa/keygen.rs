//! Key generation, a pure function of the bytes the random source yields.
//!
//! The TPM derives primary keys from a seed through a deterministic DRBG, and the same
//! template must give the same key forever, so every step below is ours and fixed; it uses
//! only exact integer arithmetic (nothing from crypto-bigint's random or prime helpers).
//! "Draw L octets" means exactly one call `rng.fill(buf)` with a buffer of L octets; draws
//! happen in the order written.
//!
//! `generate(bits, e)`, with `half = bits / 2`:
//! 1. p = FindPrime.
//! 2. q = FindPrime; if |p − q| ≤ 2^(half−100) (FIPS 186-5 A.1.3 step 5.4), or if
//!    d = e⁻¹ mod lcm(p−1, q−1) ≤ 2^half (FIPS 186-5 A.1.1), discard q and repeat step 2
//!    (at most 64 times, then [`RsaError::Random`]).
//! 3. The larger factor becomes p, the prime the TPM stores; the smaller is q.
//!
//! FindPrime (at most 64 windows, then [`RsaError::Random`]):
//! 1. Draw half/8 octets, read them as a big-endian integer c₀, and set its two top bits
//!    and its low bit (c₀ |= 3·2^(half−2) + 1). Both factors are then ≥ 1.5·2^(half−1),
//!    so p·q has exactly `bits` bits.
//! 2. Sieve the window of odd candidates c₀ + 2j, 0 ≤ j < 4096: strike j when c₀ + 2j is
//!    divisible by one of the odd primes below 2^16 (3, 5, 7, …, 65521: 6541 primes), or
//!    when gcd(c₀ + 2j − 1, e) ≠ 1 (so e is invertible modulo p−1).
//! 3. For each unstruck j in increasing order, stopping the window at the first j with
//!    c₀ + 2j ≥ 2^half, test w = c₀ + 2j: first 2^(w−1) mod w = 1 (a base-2 Fermat test,
//!    which draws nothing and which every prime passes), then Miller–Rabin (FIPS 186-5
//!    B.3.1) with R rounds: R = 5, 4, 4 for half = 1024, 1536, 2048 (FIPS 186-5 table B.1,
//!    error ≤ 2^−112, 2^−128, 2^−144) and R = 7 for half = 512 (1024-bit keys, outside
//!    FIPS 186-5). Each round draws its base b as half/8 octets, big-endian, drawn again
//!    while b ≤ 1 or b ≥ w − 1 (at most 64 draws per base, then [`RsaError::Random`]). The
//!    rounds stop at the first base that proves w composite; the first w to pass all R
//!    rounds is the prime.
//! 4. If the window holds no prime, go back to 1 with a fresh draw.

use super::key::{from_be, i2osp, precision};
use super::mont::{limbs, Mont};
use super::{RsaError, RsaPrivateKey, RsaPublicKey};
use crate::RandomSource;
use crypto_bigint::{BoxedUint, ConcatenatingMul, Odd, Resize};
use std::sync::OnceLock;
use zeroize::{Zeroize, Zeroizing};

/// Small primes used by the sieve: every odd prime below this bound.
const SIEVE_BOUND: usize = 1 << 16;
/// Odd candidates per window.
const WINDOW: usize = 4096;
const MAX_WINDOWS: usize = 64;
const MAX_Q_TRIES: usize = 64;
const MAX_BASE_DRAWS: usize = 64;

/// The sieve's table: the odd primes below [`SIEVE_BOUND`], and for each pair of
/// consecutive ones their product m (below 2^32) with its reciprocal ⌊(2^64 − 1)/m⌋.
struct SieveTable {
    primes: Vec<u32>,
    pairs: Vec<(u64, u64)>,
}

fn table() -> &'static SieveTable {
    static TABLE: OnceLock<SieveTable> = OnceLock::new();
    TABLE.get_or_init(|| {
        let primes = small_primes();
        let pairs = primes
            .chunks(2)
            .map(|pair| {
                let m: u64 = pair.iter().map(|&s| u64::from(s)).product();
                (m, u64::MAX / m)
            })
            .collect();
        SieveTable { primes, pairs }
    })
}

/// The odd primes below [`SIEVE_BOUND`] (sieve of Eratosthenes).
fn small_primes() -> Vec<u32> {
    let mut composite = vec![false; SIEVE_BOUND];
    let mut out = Vec::new();
    for i in 2..SIEVE_BOUND {
        if composite[i] {
            continue;
        }
        if i > 2 {
            out.push(i as u32);
        }
        let mut j = i * i;
        while j < SIEVE_BOUND {
            composite[j] = true;
            j += i;
        }
    }
    out
}

/// Big-endian octets as 32-bit words, most significant first (left-padded).
fn words32(be: &[u8]) -> Vec<u64> {
    let pad = (4 - be.len() % 4) % 4;
    let mut bytes = vec![0u8; pad];
    bytes.extend_from_slice(be);
    let out = bytes
        .chunks_exact(4)
        .map(|c| u64::from(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
        .collect();
    bytes.zeroize();
    out
}

/// The integer modulo `m` (m < 2^32).
fn rem_u32(words: &[u64], m: u64) -> u64 {
    words.iter().fold(0u64, |r, &w| ((r << 32) | w) % m)
}

/// x mod m for m < 2^32, with `recip` = ⌊(2^64 − 1)/m⌋ (Barrett: the quotient estimate is
/// at most two short, so the result is exact).
fn barrett(x: u64, m: u64, recip: u64) -> u64 {
    let q = ((u128::from(x) * u128::from(recip)) >> 64) as u64;
    let mut r = x - q * m;
    while r >= m {
        r -= m;
    }
    r
}

/// The integer modulo each small prime, reducing by each pair's product first.
fn residues(words: &[u64], table: &SieveTable) -> Vec<u32> {
    let mut out = Vec::with_capacity(table.primes.len());
    for (pair, &(m, recip)) in table.primes.chunks(2).zip(&table.pairs) {
        let r = words
            .iter()
            .fold(0u64, |r, &w| barrett((r << 32) | w, m, recip));
        out.extend(pair.iter().map(|&s| (r % u64::from(s)) as u32));
    }
    out
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Miller–Rabin rounds for a `half`-bit prime (see the module documentation).
fn mr_rounds(half: u32) -> u32 {
    match half {
        0..=512 => 7,
        513..=1024 => 5,
        _ => 4,
    }
}

/// Step 3 of FindPrime on the odd w > 3: the base-2 Fermat test, then FIPS 186-5 B.3.1
/// Miller–Rabin with `rounds` random bases.
fn probable_prime(
    w: &Odd<BoxedUint>,
    rounds: u32,
    rng: &mut dyn RandomSource,
) -> Result<bool, RsaError> {
    let prec = w.bits_precision();
    let wbits = w.bit_width();
    let wlen = wbits.div_ceil(8) as usize;
    let one = BoxedUint::one_with_precision(prec);
    let w1 = Zeroizing::new(w.as_ref().wrapping_sub(&one));
    let a = w1.trailing_zeros();
    let mont = Mont::new(w);
    let n = mont.len();
    if mont.pow2(&limbs(&w1, n), 64 * n)[..] != mont.one()[..] {
        return Ok(false);
    }
    let m = Zeroizing::new(limbs(&w1.shr(a), n));
    let minus_one = Zeroizing::new(mont.to_mont(&limbs(&w1, n)));
    let mut buf = Zeroizing::new(vec![0u8; wlen]);
    'rounds: for _ in 0..rounds {
        let mut base = None;
        for _ in 0..MAX_BASE_DRAWS {
            rng.fill(&mut buf);
            // A string of wlen bits (a no-op for the key sizes, whose halves are whole octets).
            buf[0] &= 0xff >> (8 * wlen as u32 - wbits);
            let b = Zeroizing::new(from_be(&buf, prec).ok_or(RsaError::Random)?);
            if b.cmp_vartime(&one).is_gt() && b.cmp_vartime(&*w1).is_lt() {
                base = Some(b);
                break;
            }
        }
        let b = base.ok_or(RsaError::Random)?;
        let mut z = Zeroizing::new(mont.pow(&mont.to_mont(&limbs(&b, n)), &m, 64 * n));
        if z[..] == mont.one()[..] || z[..] == minus_one[..] {
            continue;
        }
        for _ in 1..a {
            z = Zeroizing::new(mont.mul(&z, &z));
            if z[..] == minus_one[..] {
                continue 'rounds;
            }
            if z[..] == mont.one()[..] {
                return Ok(false);
            }
        }
        return Ok(false);
    }
    Ok(true)
}

/// FindPrime of the module documentation: a `half`-bit probable prime w with
/// gcd(w − 1, e) = 1.
fn find_prime(half: u32, e: u32, rng: &mut dyn RandomSource) -> Result<BoxedUint, RsaError> {
    let table = table();
    let primes = &table.primes;
    let rounds = mr_rounds(half);
    let mut buf = Zeroizing::new(vec![0u8; (half / 8) as usize]);
    let e = u64::from(e);
    for _ in 0..MAX_WINDOWS {
        rng.fill(&mut buf);
        buf[0] |= 0xc0;
        let last = buf.len() - 1;
        buf[last] |= 1;
        let c0 = Zeroizing::new(from_be(&buf, half).ok_or(RsaError::KeySize)?);
        let mut words = words32(&buf);
        let mut res = residues(&words, table);
        let re = rem_u32(&words, e);
        words.zeroize();

        let mut struck = vec![false; WINDOW];
        for (&s, &r) in primes.iter().zip(res.iter()) {
            let s = u64::from(s);
            // c₀ + 2j ≡ 0 (mod s)  ⇔  j ≡ (s − r)·2⁻¹ (mod s), with 2⁻¹ = (s + 1)/2.
            let mut j = ((s - u64::from(r)) % s) * s.div_ceil(2) % s;
            while (j as usize) < WINDOW {
                struck[j as usize] = true;
                j += s;
            }
        }
        res.zeroize();

        for (j, _) in struck.iter().enumerate().filter(|(_, &s)| !s) {
            // (c₀ + 2j − 1) mod e, for the gcd with e.
            let t = (re + 2 * j as u64 + e - 1) % e;
            if gcd(t, e) != 1 {
                continue;
            }
            let step = BoxedUint::from(2 * j as u64).resize_unchecked(half);
            let (w, overflow) = c0.overflowing_add(&step);
            if overflow.to_bool() {
                break;
            }
            let Some(w) = Odd::new(w).into_option() else {
                continue;
            };
            if probable_prime(&w, rounds, rng)? {
                return Ok(w.get());
            }
        }
    }
    Err(RsaError::Random)
}

impl RsaPrivateKey {
    /// A new key of `bits` bits (1024, 2048, 3072 or 4096) and public exponent `exponent`
    /// (odd, ≥ 3), derived from `rng` exactly as the module documentation of `keygen.rs`
    /// specifies: the same bytes always give the same key.
    pub fn generate(
        bits: u16,
        exponent: u32,
        rng: &mut dyn RandomSource,
    ) -> Result<Self, RsaError> {
        let bits = u32::from(bits);
        if ![1024, 2048, 3072, 4096].contains(&bits) {
            return Err(RsaError::KeySize);
        }
        if exponent < 3 || exponent.is_multiple_of(2) {
            return Err(RsaError::Exponent);
        }
        let half = bits / 2;
        let p = Zeroizing::new(find_prime(half, exponent, rng)?);
        let min_diff = BoxedUint::one_with_precision(half).shl(half - 100);
        let min_d = BoxedUint::one_with_precision(precision(bits)).shl(half);
        for _ in 0..MAX_Q_TRIES {
            let q = Zeroizing::new(find_prime(half, exponent, rng)?);
            let diff = if p.cmp_vartime(&*q).is_gt() {
                p.wrapping_sub(&*q)
            } else {
                q.wrapping_sub(&*p)
            };
            if diff.cmp_vartime(&min_diff).is_le() {
                continue;
            }
            let n = p.concatenating_mul(&*q);
            let n = n.resize_unchecked(precision(bits));
            let public = RsaPublicKey::new(&i2osp(&n, (bits / 8) as usize), exponent)?;
            let key = RsaPrivateKey::from_factors(public, &p, &q)?;
            if key.private_exponent()?.cmp_vartime(&min_d).is_le() {
                continue;
            }
            return Ok(key);
        }
        Err(RsaError::Random)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_prime_table() {
        let p = &table().primes;
        assert_eq!(p.len(), 6541);
        assert_eq!(&p[..5], &[3, 5, 7, 11, 13]);
        assert_eq!(*p.last().unwrap(), 65521);
    }

    #[test]
    fn residues_match_direct_reduction() {
        let be: Vec<u8> = (1..=64u8).map(|i| i.wrapping_mul(37)).collect();
        let words = words32(&be);
        let primes = &table().primes;
        let res = residues(&words, table());
        let x = from_be(&be, 512).unwrap();
        for (&s, &r) in primes.iter().zip(&res).step_by(97) {
            let nz = crypto_bigint::NonZero::new(BoxedUint::from(u64::from(s)))
                .into_option()
                .unwrap();
            let direct = x.rem(&nz);
            assert_eq!(direct, BoxedUint::from(u64::from(r)), "mod {s}");
        }
        // Odd length input is left-padded.
        assert_eq!(rem_u32(&words32(&[1, 0, 0, 0, 0]), 1 << 31), 0);
        assert_eq!(
            rem_u32(&words32(&[1, 0, 0, 0, 5]), 7),
            (256 * 256 * 256 * 256 + 5) % 7
        );
    }

    #[test]
    fn miller_rabin_known_values() {
        // 2^521 − 1 is a Mersenne prime; 2^512 − 1 is composite.
        let mut seed = 0u8;
        let mut rng = |out: &mut [u8]| {
            for b in out.iter_mut() {
                seed = seed.wrapping_mul(101).wrapping_add(89);
                *b = seed;
            }
        };
        let m521 = BoxedUint::one_with_precision(576)
            .shl(521)
            .wrapping_sub(BoxedUint::one_with_precision(576));
        let m521 = Odd::new(m521).into_option().unwrap();
        assert!(probable_prime(&m521, 5, &mut rng).unwrap());
        let c = BoxedUint::max(512);
        let c = Odd::new(c).into_option().unwrap();
        assert!(!probable_prime(&c, 5, &mut rng).unwrap());
        // A degenerate source cannot hang the base search.
        let mut zeros = |out: &mut [u8]| out.fill(0);
        assert_eq!(probable_prime(&m521, 5, &mut zeros), Err(RsaError::Random));
    }
}
