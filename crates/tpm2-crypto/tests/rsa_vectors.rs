//! Known-answer tests from published vectors (see tests/data/rsa/SOURCES.md): the RSA
//! Laboratories PKCS #1 v2.1 examples (signing and encryption reproduced exactly with the
//! published salt or seed) and a subset of Project Wycheproof.

use std::collections::HashMap;
use tpm2_crypto::digest;
use tpm2_crypto::rsa::{RsaError, RsaPrivateKey, RsaPublicKey};
use tpm2_types::HashAlg;

type Section = HashMap<String, String>;

fn unhex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn load(name: &str) -> Vec<(String, Section)> {
    let path = format!("{}/tests/data/rsa/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut out: Vec<(String, Section)> = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(h) = line.strip_prefix('[') {
            out.push((h.trim_end_matches(']').to_string(), Section::new()));
            continue;
        }
        let (k, v) = line.split_once('=').expect("name = value");
        out.last_mut()
            .expect("a section first")
            .1
            .insert(k.trim().to_string(), v.trim().to_string());
    }
    out
}

fn hash_alg(s: &str) -> HashAlg {
    match s {
        "sha1" => HashAlg::Sha1,
        "sha256" => HashAlg::Sha256,
        other => panic!("hash {other}"),
    }
}

fn bytes(sec: &Section, k: &str) -> Vec<u8> {
    unhex(sec.get(k).unwrap_or_else(|| panic!("missing {k}")))
}

fn key_of(sec: &Section) -> RsaPrivateKey {
    let e = u32::from_str_radix(&sec["e"], 16).unwrap();
    RsaPrivateKey::from_prime(&bytes(sec, "n"), e, &bytes(sec, "p")).expect("key")
}

/// A random source that yields `first` and then a fixed pseudo-random stream (the
/// blinding factor does not change any result).
fn scripted(first: Vec<u8>) -> impl FnMut(&mut [u8]) {
    let mut queue = first;
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    move |out: &mut [u8]| {
        for b in out.iter_mut() {
            *b = if queue.is_empty() {
                // xorshift64
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            } else {
                queue.remove(0)
            };
        }
    }
}

fn other_rng() -> impl FnMut(&mut [u8]) {
    scripted(Vec::new())
}

#[test]
fn pkcs1v21_examples() {
    let sections = load("pkcs1v21_examples.txt");
    let keys: HashMap<&str, RsaPrivateKey> = sections
        .iter()
        .filter(|(name, _)| name.contains("key"))
        .map(|(name, sec)| (name.as_str(), key_of(sec)))
        .collect();
    let mut checked = 0;
    for (name, sec) in &sections {
        let Some(key_name) = sec.get("key") else {
            continue;
        };
        let key = &keys[key_name.as_str()];
        let public = key.public();
        let hash = hash_alg(&sec["hash"]);
        let msg = bytes(sec, "msg");
        if name.starts_with("pss") {
            let (m_hash, sig) = (digest(hash, &[&msg]), bytes(sec, "sig"));
            assert!(public.verify_pss(hash, &m_hash, &sig), "{name}: verify");
            let ours = key
                .sign_pss(hash, &m_hash, &mut scripted(bytes(sec, "salt")))
                .unwrap();
            assert_eq!(ours, sig, "{name}: sign with the published salt");
            let mut bad = sig.clone();
            bad[40] ^= 0x10;
            assert!(!public.verify_pss(hash, &m_hash, &bad), "{name}: tampered");
        } else if name.starts_with("pkcs1v15") {
            let (m_hash, sig) = (digest(hash, &[&msg]), bytes(sec, "sig"));
            assert!(
                public.verify_pkcs1v15(hash, &m_hash, &sig),
                "{name}: verify"
            );
            let ours = key.sign_pkcs1v15(hash, &m_hash, &mut other_rng()).unwrap();
            assert_eq!(ours, sig, "{name}: deterministic signature");
        } else if name.starts_with("oaep") {
            let ct = bytes(sec, "ct");
            let ours = public
                .encrypt_oaep(hash, b"", &msg, &mut scripted(bytes(sec, "seed")))
                .unwrap();
            assert_eq!(ours, ct, "{name}: encrypt with the published seed");
            let plain = key.decrypt_oaep(hash, b"", &ct, &mut other_rng()).unwrap();
            assert_eq!(plain, msg, "{name}: decrypt");
        } else {
            panic!("unknown section {name}");
        }
        checked += 1;
    }
    assert_eq!(checked, 7);
}

#[test]
fn pkcs1v21_key_import() {
    let sections = load("pkcs1v21_examples.txt");
    let key1 = &sections.iter().find(|(n, _)| n == "key1").unwrap().1;
    let (n, p, q) = (bytes(key1, "n"), bytes(key1, "p"), bytes(key1, "q"));
    // Either factor may be given; the larger one is what the TPM stores.
    let a = RsaPrivateKey::from_prime(&n, 65537, &p).unwrap();
    let b = RsaPrivateKey::from_prime(&n, 65537, &q).unwrap();
    assert_eq!(a.prime(), p);
    assert_eq!(b.prime(), p);
    let c = a.components().unwrap();
    assert_eq!((c.p.clone(), c.q.clone()), (p.clone(), q.clone()));
    // Leading zeros are accepted in every input.
    let mut padded = vec![0, 0];
    padded.extend_from_slice(&q);
    assert!(RsaPrivateKey::from_prime(&n, 65537, &padded).is_ok());
    // The 1025-bit key: k = 129 octets and a 513-bit prime in ⌈k/2⌉ = 65 octets.
    let key2 = &sections.iter().find(|(n, _)| n == "key2").unwrap().1;
    let k2 = key_of(key2);
    assert_eq!(k2.public().bits(), 1025);
    assert_eq!(k2.public().size_bytes(), 129);
    assert_eq!(k2.prime().len(), 65);
    // A non-factor, 1, n itself and an over-long prime are refused.
    let mut wrong = p.clone();
    wrong[63] ^= 2;
    assert_eq!(
        RsaPrivateKey::from_prime(&n, 65537, &wrong).unwrap_err(),
        RsaError::BadPrime
    );
    assert_eq!(
        RsaPrivateKey::from_prime(&n, 65537, &[1]).unwrap_err(),
        RsaError::BadPrime
    );
    assert_eq!(
        RsaPrivateKey::from_prime(&n, 65537, &n).unwrap_err(),
        RsaError::BadPrime
    );
    assert_eq!(
        RsaPrivateKey::from_prime(&n, 65537, &[]).unwrap_err(),
        RsaError::BadPrime
    );
    let long = vec![1u8; 129];
    assert_eq!(
        RsaPrivateKey::from_prime(&n, 65537, &long).unwrap_err(),
        RsaError::BadPrime
    );
}

#[test]
fn wycheproof_subset() {
    let sections = load("wycheproof_2048.txt");
    let key = key_of(&sections[0].1);
    assert_eq!(key.prime(), bytes(&sections[0].1, "p")[1..].to_vec());
    let public: &RsaPublicKey = key.public();
    assert_eq!(public.bits(), 2048);
    let (mut valid, mut invalid) = (0, 0);
    for (name, sec) in &sections[1..] {
        let hash = hash_alg(&sec["hash"]);
        let msg = bytes(sec, "msg");
        let ok = sec["result"] == "valid";
        if name.starts_with("oaep") {
            let label = bytes(sec, "label");
            let got = key.decrypt_oaep(hash, &label, &bytes(sec, "ct"), &mut other_rng());
            if ok {
                assert_eq!(got.as_deref(), Ok(&msg[..]), "{name}");
            } else {
                let err = got.expect_err(name);
                assert!(
                    matches!(err, RsaError::Decryption | RsaError::ValueTooLarge),
                    "{name}: {err:?}"
                );
            }
        } else {
            let m_hash = digest(hash, &[&msg]);
            let sig = bytes(sec, "sig");
            let verdict = if name.starts_with("pss") {
                public.verify_pss(hash, &m_hash, &sig)
            } else {
                if ok {
                    let ours = key.sign_pkcs1v15(hash, &m_hash, &mut other_rng()).unwrap();
                    assert_eq!(ours, sig, "{name}: deterministic signature");
                }
                public.verify_pkcs1v15(hash, &m_hash, &sig)
            };
            assert_eq!(verdict, ok, "{name}");
        }
        if ok {
            valid += 1;
        } else {
            invalid += 1;
        }
    }
    assert_eq!((valid, invalid), (9, 8));
}
