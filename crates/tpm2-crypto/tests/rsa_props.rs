//! Property tests on a few cached keys: round trips, tampering, and hostile inputs (errors,
//! never panics).

use proptest::prelude::*;
use std::sync::OnceLock;
use tpm2_crypto::rsa::{mgf1, RsaError, RsaPrivateKey, RsaPublicKey};
use tpm2_crypto::CtrDrbg;
use tpm2_types::HashAlg;

fn keys() -> &'static [RsaPrivateKey] {
    static KEYS: OnceLock<Vec<RsaPrivateKey>> = OnceLock::new();
    KEYS.get_or_init(|| {
        [(1024u16, 65537u32, 1u8), (2048, 65537, 2), (1024, 3, 3)]
            .into_iter()
            .map(|(bits, e, seed)| {
                RsaPrivateKey::generate(bits, e, &mut CtrDrbg::new(&[seed; 48])).unwrap()
            })
            .collect()
    })
}

fn hash_of(i: u8) -> HashAlg {
    HashAlg::ALL[usize::from(i) % 4]
}

fn rng(seed: u64) -> CtrDrbg {
    CtrDrbg::new(&seed.to_be_bytes())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn signatures_round_trip(k in 0usize..3, h in 0u8..4, seed: u64, data: Vec<u8>, flip: usize) {
        let key = &keys()[k];
        let hash = hash_of(h);
        let digest = tpm2_crypto::digest(hash, &[&data]);
        let mut r = rng(seed);
        let sig = key.sign_pkcs1v15(hash, &digest, &mut r).unwrap();
        prop_assert_eq!(sig.len(), key.public().size_bytes());
        prop_assert!(key.public().verify_pkcs1v15(hash, &digest, &sig));
        prop_assert!(!key.public().verify_pss(hash, &digest, &sig));
        let mut bad = sig.clone();
        bad[flip % sig.len()] ^= 0x01;
        prop_assert!(!key.public().verify_pkcs1v15(hash, &digest, &bad));

        let pss = key.sign_pss(hash, &digest, &mut r).unwrap();
        prop_assert!(key.public().verify_pss(hash, &digest, &pss));
        prop_assert!(!key.public().verify_pkcs1v15(hash, &digest, &pss));
        let mut bad = pss.clone();
        bad[flip % pss.len()] ^= 0x80;
        prop_assert!(!key.public().verify_pss(hash, &digest, &bad));
        let mut other = digest.clone();
        other[0] ^= 1;
        prop_assert!(!key.public().verify_pss(hash, &other, &pss));
        // A signature for another hash of the same size is not accepted either.
        prop_assert!(!key.public().verify_pss(hash_of(h + 1), &digest, &pss));
    }

    #[test]
    fn encryption_round_trips(k in 0usize..3, h in 0u8..4, seed: u64,
                              msg in proptest::collection::vec(any::<u8>(), 0..64),
                              label in proptest::collection::vec(any::<u8>(), 0..16)) {
        let key = &keys()[k];
        let public = key.public();
        let hash = hash_of(h);
        let mut r = rng(seed);
        let room = public.size_bytes() as isize - 2 * hash.digest_size() as isize - 2;
        let res = public.encrypt_oaep(hash, &label, &msg, &mut r);
        if (msg.len() as isize) <= room {
            let ct = res.unwrap();
            prop_assert_eq!(key.decrypt_oaep(hash, &label, &ct, &mut r).unwrap(), msg.clone());
            let mut wrong = label.clone();
            wrong.push(0);
            prop_assert_eq!(key.decrypt_oaep(hash, &wrong, &ct, &mut r), Err(RsaError::Decryption));
        } else {
            prop_assert_eq!(res, Err(RsaError::MessageTooLong));
        }
        let ct = public.encrypt_pkcs1v15(&msg, &mut r).unwrap();
        prop_assert_eq!(key.decrypt_pkcs1v15(&ct, &mut r).unwrap(), msg.clone());
        // Raw: a short input is left-padded; the output is k octets.
        let c = public.encrypt_raw(&msg).unwrap();
        let m = key.decrypt_raw(&c, &mut r).unwrap();
        prop_assert_eq!(m.len(), public.size_bytes());
        prop_assert_eq!(&m[m.len() - msg.len()..], &msg[..]);
        prop_assert!(m[..m.len() - msg.len()].iter().all(|&b| b == 0));
    }

    #[test]
    fn hostile_inputs_give_errors(k in 0usize..3, h in 0u8..4, seed: u64,
                                  junk in proptest::collection::vec(any::<u8>(), 0..600)) {
        let key = &keys()[k];
        let public = key.public();
        let hash = hash_of(h);
        let mut r = rng(seed);
        let size = public.size_bytes();
        let _ = key.decrypt_oaep(hash, &junk, &junk, &mut r);
        let _ = key.decrypt_pkcs1v15(&junk, &mut r);
        prop_assert!(!public.verify_pkcs1v15(hash, &junk, &junk));
        prop_assert!(!public.verify_pss(hash, &junk, &junk));
        if junk.len() > size {
            prop_assert_eq!(key.decrypt_raw(&junk, &mut r), Err(RsaError::ValueTooLarge));
            prop_assert_eq!(public.encrypt_raw(&junk), Err(RsaError::ValueTooLarge));
            prop_assert_eq!(key.decrypt_oaep(hash, b"", &junk, &mut r), Err(RsaError::ValueTooLarge));
        }
        if junk.len() != hash.digest_size() {
            prop_assert_eq!(key.sign_pkcs1v15(hash, &junk, &mut r), Err(RsaError::DigestSize));
            prop_assert_eq!(key.sign_pss(hash, &junk, &mut r), Err(RsaError::DigestSize));
        }
        // Arbitrary moduli and primes: an error or a key, never a panic.
        if let Ok(p) = RsaPublicKey::new(&junk, 65537) {
            prop_assert!((1024..=4096).contains(&p.bits()));
        }
        let _ = RsaPrivateKey::from_prime(&public.modulus(), public.exponent(), &junk);
        let _ = RsaPrivateKey::from_prime(&junk, 65537, &junk[..junk.len() / 2]);
    }
}

#[test]
fn inputs_at_and_above_the_modulus() {
    let key = &keys()[0];
    let public = key.public();
    let n = public.modulus();
    let mut r = rng(1);
    assert_eq!(key.decrypt_raw(&n, &mut r), Err(RsaError::ValueTooLarge));
    assert_eq!(public.encrypt_raw(&n), Err(RsaError::ValueTooLarge));
    let mut n_minus_1 = n.clone();
    *n_minus_1.last_mut().unwrap() -= 1;
    assert_eq!(key.decrypt_raw(&n_minus_1, &mut r).unwrap(), n_minus_1);
    assert_eq!(key.decrypt_raw(&[], &mut r).unwrap(), vec![0; n.len()]);
    assert_eq!(key.decrypt_raw(&[1], &mut r).unwrap()[n.len() - 1], 1);
    assert!(!public.verify_pkcs1v15(HashAlg::Sha1, &[0; 20], &n));
    assert!(!public.verify_pss(HashAlg::Sha1, &[0; 20], &n));
    // Signatures must be exactly k octets.
    let d = [9u8; 32];
    let sig = key.sign_pkcs1v15(HashAlg::Sha256, &d, &mut r).unwrap();
    let mut longer = vec![0];
    longer.extend_from_slice(&sig);
    assert!(!public.verify_pkcs1v15(HashAlg::Sha256, &d, &longer));
    assert!(!public.verify_pkcs1v15(HashAlg::Sha256, &d, &sig[1..]));
    // 0 and 1 decrypt without trouble but are not valid paddings.
    assert_eq!(
        key.decrypt_oaep(HashAlg::Sha1, b"", &[0], &mut r),
        Err(RsaError::Decryption)
    );
    assert_eq!(
        key.decrypt_pkcs1v15(&[1], &mut r),
        Err(RsaError::Decryption)
    );
}

#[test]
fn public_key_validation() {
    let key = &keys()[1];
    let n = key.public().modulus();
    let mut padded = vec![0; 5];
    padded.extend_from_slice(&n);
    let p = RsaPublicKey::new(&padded, 65537).unwrap();
    assert_eq!(p.modulus(), n);
    assert_eq!(p.bits(), 2048);
    assert_eq!(
        RsaPublicKey::new(&n, 65536).unwrap_err(),
        RsaError::Exponent
    );
    assert_eq!(RsaPublicKey::new(&n, 1).unwrap_err(), RsaError::Exponent);
    let mut even = n.clone();
    *even.last_mut().unwrap() &= 0xfe;
    assert_eq!(
        RsaPublicKey::new(&even, 65537).unwrap_err(),
        RsaError::Modulus
    );
    assert_eq!(
        RsaPublicKey::new(&n[..127], 65537).unwrap_err(),
        RsaError::KeySize
    );
    assert_eq!(
        RsaPublicKey::new(&[], 65537).unwrap_err(),
        RsaError::KeySize
    );
    assert_eq!(
        RsaPublicKey::new(&[0xff; 513], 65537).unwrap_err(),
        RsaError::KeySize
    );
    assert!(RsaPublicKey::new(&[0xff; 512], 65537).is_ok());
    // An exponent sharing a factor with p−1 or q−1 is refused at import.
    let prime = key.prime();
    assert!(RsaPrivateKey::from_prime(&n, 65537, &prime).is_ok());
    for e in [3u32, 5, 7, 11, 13] {
        match RsaPrivateKey::from_prime(&n, e, &prime) {
            Ok(k) => {
                let d = [1u8; 20];
                let sig = k.sign_pkcs1v15(HashAlg::Sha1, &d, &mut rng(5)).unwrap();
                assert!(k.public().verify_pkcs1v15(HashAlg::Sha1, &d, &sig));
            }
            Err(err) => assert_eq!(err, RsaError::Exponent, "e = {e}"),
        }
    }
}

#[test]
fn debug_hides_secrets() {
    let key = &keys()[0];
    let text = format!("{key:?}");
    let prime: String = key.prime().iter().map(|b| format!("{b:02x}")).collect();
    assert!(!text.contains(&prime[..16]));
    assert!(text.contains("RsaPrivateKey"));
}

#[test]
fn mgf1_sha1_known_value() {
    // The widely quoted MGF1-SHA-1 examples: ("foo", 3) and ("bar", 5).
    let direct = tpm2_crypto::digest(HashAlg::Sha1, &[b"foo", &[0, 0, 0, 0]]);
    assert_eq!(mgf1(HashAlg::Sha1, b"foo", 3), direct[..3].to_vec());
    assert_eq!(mgf1(HashAlg::Sha1, b"foo", 3), vec![0x1a, 0xc9, 0x07]);
    assert_eq!(
        mgf1(HashAlg::Sha1, b"bar", 5),
        vec![0xbc, 0x0c, 0x65, 0x5e, 0x01]
    );
}
