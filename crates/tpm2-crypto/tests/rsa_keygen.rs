//! Key generation: golden vectors (the derivation must never change), properties of the
//! generated keys, and a timing report (`--ignored`, release mode).

use std::time::{Duration, Instant};
use tpm2_crypto::rsa::{RsaError, RsaPrivateKey};
use tpm2_crypto::CtrDrbg;
use tpm2_types::HashAlg;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The DRBG every golden vector starts from: entropy 00 01 02 … 2f.
fn golden_drbg() -> CtrDrbg {
    let entropy: Vec<u8> = (0u8..48).collect();
    CtrDrbg::new(&entropy)
}

const GOLDEN_1024_N: &str = "a6ae4a66adb70216d79e36425be92b2116e1e0a77a7174d9efa790f92e95dbcf\
    5d68b20a142c0b736076170680555014eb1ff978f7f0df0280f8a262f07c886f5c12f580b6770173355a51950aa8\
    805b72c541e6f7df46cffa6d0190b085db104abf18979d281a0d2efc20c2d7e8a73746c9af59847ba9e00e292ee9\
    46f1086f";
const GOLDEN_1024_P: &str = "d76a7b2118b1f76aad8ac369da2babef94caf44b1e05cb56f2f218711d64b4a2\
    58e3ea91419ecebb707cbbfb0a8b92aa30013eee5fd0ce4d0c9464059a669227";
const GOLDEN_2048_N: &str = "98bcacdd7e56704c3b7037ba2bfd14406b8d3e100a6f581392ca3cd5dd2a1df9\
    f02198da00212e1772f43ab8526442787f5a6bd6a0d6c1547c4c76dbafe6ab9c2ffbbf30a7e733794baaef1c1392\
    41258ca1468e1c23925d8675d130369464959596f8ae42700a922c4361e10f6ac451ca947695e1180fd9b74c2e1d\
    8c967d871c7065215001804e47cd88ff5237cd3af680b170ed46e748f86c9a0acf2a316afd50fc4c0c28ab9ccb10\
    c202eb3259f2f9647587835404df12824b472ef6aedd3f8106817c7bea484bea289cc01dd160b47e3ae691701edb\
    537d28ab0e39648a71633a3a19aff5af044189205509b019ae3a017a997d4e85a91b6c77f232af55";
const GOLDEN_2048_P: &str = "c61550234d158c5ec95595fe04ef7a25767f2e24cc2bc479d09d86dc9abcfde7\
    056a8c266f9ef97ed08541dbd2e1ffa19810f5392d076276ef41277c3ab6e94a4e3b7dcc104a05bb089d338bf55c\
    72cab375389a94bb920bd5d6dc9e7f2ec6fde028b6f5724bb039f3652ad98df8ce6c97013210b84bbe81388c3d14\
    1d6197f3";

/// The derivation is frozen: a change here changes every TPM's primary RSA keys.
#[test]
fn golden_keys() {
    for (bits, n, p) in [
        (1024u16, GOLDEN_1024_N, GOLDEN_1024_P),
        (2048, GOLDEN_2048_N, GOLDEN_2048_P),
    ] {
        let k = RsaPrivateKey::generate(bits, 65537, &mut golden_drbg()).unwrap();
        assert_eq!(hex(&k.public().modulus()), n, "{bits}-bit modulus");
        assert_eq!(hex(&k.prime()), p, "{bits}-bit prime");
    }
}

#[test]
fn generation_is_a_function_of_the_random_bytes() {
    let a = RsaPrivateKey::generate(1024, 65537, &mut CtrDrbg::new(&[7; 48])).unwrap();
    let b = RsaPrivateKey::generate(1024, 65537, &mut CtrDrbg::new(&[7; 48])).unwrap();
    let c = RsaPrivateKey::generate(1024, 65537, &mut CtrDrbg::new(&[8; 48])).unwrap();
    assert_eq!(a.public().modulus(), b.public().modulus());
    assert_eq!(a.prime(), b.prime());
    assert_ne!(a.public().modulus(), c.public().modulus());
    // The exponent is part of the derivation (it filters candidates).
    let d = RsaPrivateKey::generate(1024, 3, &mut CtrDrbg::new(&[7; 48])).unwrap();
    assert_eq!(d.public().exponent(), 3);
}

#[test]
fn generated_key_shape() {
    for (bits, e) in [(1024u16, 65537u32), (1024, 3), (2048, 65537), (3072, 17)] {
        let key = RsaPrivateKey::generate(bits, e, &mut CtrDrbg::new(&[bits as u8; 48])).unwrap();
        let public = key.public();
        assert_eq!(public.bits(), u32::from(bits));
        assert_eq!(public.size_bytes(), usize::from(bits) / 8);
        assert_eq!(public.modulus().len(), usize::from(bits) / 8);
        assert_eq!(public.exponent(), e);
        let prime = key.prime();
        assert_eq!(prime.len(), usize::from(bits) / 16);
        assert!(prime[0] >= 0xc0, "top two bits set");
        assert_eq!(prime[prime.len() - 1] & 1, 1);
        let c = key.components().unwrap();
        assert!(c.p > c.q, "p is the larger factor");
        assert!(c.q[0] >= 0xc0);
        // The stored prime alone rebuilds the same key.
        let again = RsaPrivateKey::from_prime(&public.modulus(), e, &prime).unwrap();
        assert_eq!(again.components().unwrap().d, c.d);
        let d = [0x11u8; 32];
        let sig = key
            .sign_pkcs1v15(HashAlg::Sha256, &d, &mut CtrDrbg::new(&[1; 48]))
            .unwrap();
        assert!(again.public().verify_pkcs1v15(HashAlg::Sha256, &d, &sig));
    }
}

#[test]
fn generation_rejects_bad_parameters() {
    let mut r = CtrDrbg::new(&[0; 48]);
    for bits in [0u16, 512, 1023, 1536, 2047, 4097, 8192] {
        assert_eq!(
            RsaPrivateKey::generate(bits, 65537, &mut r).unwrap_err(),
            RsaError::KeySize
        );
    }
    for e in [0u32, 1, 2, 4, 65536] {
        assert_eq!(
            RsaPrivateKey::generate(2048, e, &mut r).unwrap_err(),
            RsaError::Exponent
        );
    }
}

#[test]
fn degenerate_random_sources_end_with_an_error() {
    let mut zeros = |out: &mut [u8]| out.fill(0);
    assert_eq!(
        RsaPrivateKey::generate(1024, 65537, &mut zeros).unwrap_err(),
        RsaError::Random
    );
    let mut ones = |out: &mut [u8]| out.fill(0xff);
    assert_eq!(
        RsaPrivateKey::generate(1024, 65537, &mut ones).unwrap_err(),
        RsaError::Random
    );
    let key = RsaPrivateKey::generate(1024, 65537, &mut CtrDrbg::new(&[3; 48])).unwrap();
    // No usable blinding factor: nothing is computed.
    assert_eq!(
        key.sign_pkcs1v15(HashAlg::Sha1, &[0; 20], &mut zeros)
            .unwrap_err(),
        RsaError::Random
    );
}

/// CPU time of this thread so far (Linux `schedstat`), so that the timing report is not
/// skewed by other processes; falls back to wall time elsewhere.
fn cpu_time() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Runs `f` and returns (wall time, CPU time).
fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration, Option<Duration>) {
    let (c0, t0) = (cpu_time(), Instant::now());
    let out = f();
    let wall = t0.elapsed();
    let cpu = c0.and_then(|c0| Some(cpu_time()? - c0));
    (out, wall, cpu)
}

fn median(v: &[Duration]) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v[v.len() / 2]
}

/// Release-mode timing report (run with `--release -- --ignored --nocapture`): the median of
/// `generate(2048, 65537)` over 31 seeds, one PKCS #1 v1.5 signature and one OAEP decryption.
#[test]
#[ignore]
fn keygen_timing() {
    let (mut walls, mut cpus) = (Vec::new(), Vec::new());
    for seed in 0u8..31 {
        let mut drbg = CtrDrbg::new(&[seed; 48]);
        let (key, wall, cpu) = timed(|| RsaPrivateKey::generate(2048, 65537, &mut drbg).unwrap());
        assert_eq!(key.public().bits(), 2048);
        walls.push(wall);
        cpus.extend(cpu);
    }
    println!("generate(2048, 65537), 31 seeds: wall {walls:?}");
    println!("  median wall {:?}", median(&walls));
    if !cpus.is_empty() {
        println!("  cpu {cpus:?}\n  median cpu {:?}", median(&cpus));
    }
    let key = RsaPrivateKey::generate(2048, 65537, &mut CtrDrbg::new(&[99; 48])).unwrap();
    let mut rng = CtrDrbg::new(&[1; 48]);
    let d = [5u8; 32];
    let c = key
        .public()
        .encrypt_oaep(HashAlg::Sha256, b"", b"secret", &mut rng)
        .unwrap();
    let n = 50u32;
    let (_, wall, cpu) = timed(|| {
        for _ in 0..n {
            key.sign_pkcs1v15(HashAlg::Sha256, &d, &mut rng).unwrap();
        }
    });
    println!(
        "sign_pkcs1v15(2048, SHA-256): wall {:?}, cpu {:?}",
        wall / n,
        cpu.map(|c| c / n)
    );
    let (_, wall, cpu) = timed(|| {
        for _ in 0..n {
            key.decrypt_oaep(HashAlg::Sha256, b"", &c, &mut rng)
                .unwrap();
        }
    });
    println!(
        "decrypt_oaep(2048, SHA-256): wall {:?}, cpu {:?}",
        wall / n,
        cpu.map(|c| c / n)
    );
}
