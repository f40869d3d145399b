//! Times RSA key generation as a primary derivation runs it: a deterministic DRBG per
//! template, one key each. Prints every key's time (the fastest of `reps` runs, which
//! filters out the noise of a busy machine; the work itself is the same every run) and a
//! fingerprint of its modulus (these must not change when the arithmetic does), then the
//! median, min and max over the templates and a fingerprint of all the moduli.
//!
//! `cargo run --release -p tpm2-crypto --example rsa_keygen_time [templates] [reps] [bits]`
//! (defaults: 16 templates, 1 run each, 2048 bits).

use std::time::Instant;
use tpm2_crypto::rsa::RsaPrivateKey;
use tpm2_crypto::{digest, CtrDrbg};
use tpm2_types::HashAlg;

fn main() {
    let mut args = std::env::args().skip(1);
    let templates: u32 = args
        .next()
        .map_or(16, |s| s.parse().expect("template count"));
    let reps: u32 = args.next().map_or(1, |s| s.parse().expect("repetitions"));
    let bits: u16 = args.next().map_or(2048, |s| s.parse().expect("key bits"));
    let tag = digest(HashAlg::Sha256, &[b"ferrotpm keygen bench"]);
    let mut times = Vec::new();
    let mut all = Vec::new();
    for t in 0..templates {
        // A distinct "seed and template" per key, as the DRBG's entropy.
        let mut entropy = [0u8; 48];
        entropy[..4].copy_from_slice(&t.to_be_bytes());
        entropy[4..36].copy_from_slice(&tag);
        let mut best = f64::MAX;
        let mut modulus = Vec::new();
        for _ in 0..reps.max(1) {
            let mut drbg = CtrDrbg::new(&entropy);
            let start = Instant::now();
            let key = RsaPrivateKey::generate(bits, 65537, &mut drbg).expect("keygen");
            best = best.min(start.elapsed().as_secs_f64() * 1e3);
            modulus = key.public().modulus();
        }
        let fp = digest(HashAlg::Sha256, &[&modulus]);
        println!(
            "template {t:2}: {best:8.2} ms  n fingerprint {}",
            hex(&fp[..8])
        );
        all.extend_from_slice(&fp);
        times.push(best);
    }
    times.sort_by(f64::total_cmp);
    let mid = times.len() / 2;
    let median = if times.len() % 2 == 1 {
        times[mid]
    } else {
        (times[mid - 1] + times[mid]) / 2.0
    };
    let total: f64 = times.iter().sum();
    let fp = digest(HashAlg::Sha256, &[&all]);
    println!(
        "RSA-{bits}, {templates} templates, best of {reps}: median {median:.2} ms, min {:.2}, max {:.2}, total {total:.1} ms; all keys {}",
        times[0],
        times[times.len() - 1],
        hex(&fp[..8])
    );
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
