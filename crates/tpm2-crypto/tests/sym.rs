//! AES modes of TPM2_EncryptDecrypt: NIST SP 800-38A Appendix F known answers, the ivOut
//! rules, partial blocks, and interoperability with `openssl enc` (which must be installed:
//! those tests fail without it).

use std::process::Command;
use tpm2_crypto::sym::{aes_crypt, SymError, SymMode};

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// One SP 800-38A example: mode, key, IV, plaintext, ciphertext.
struct Vector {
    name: &'static str,
    mode: SymMode,
    key: &'static str,
    iv: &'static str,
    ct: &'static str,
}

const KEY128: &str = "2b7e151628aed2a6abf7158809cf4f3c";
const KEY256: &str = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";
const IV: &str = "000102030405060708090a0b0c0d0e0f";
const CTR_IV: &str = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
/// The plaintext of every F.1-F.5 example (four blocks).
const PLAIN: &str = "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51 \
                     30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710";

/// NIST SP 800-38A (2001), Appendix F: F.1.1/F.1.5 (ECB-AES128/256), F.2.1/F.2.5 (CBC),
/// F.3.13/F.3.17 (CFB128), F.4.1/F.4.5 (OFB), F.5.1/F.5.5 (CTR), the encrypt direction (the
/// decrypt examples are the same data read backwards).
const VECTORS: &[Vector] = &[
    Vector {
        name: "F.1.1 ECB-AES128",
        mode: SymMode::Ecb,
        key: KEY128,
        iv: "",
        ct: "3ad77bb40d7a3660a89ecaf32466ef97 f5d3d58503b9699de785895a96fdbaaf \
             43b1cd7f598ece23881b00e3ed030688 7b0c785e27e8ad3f8223207104725dd4",
    },
    Vector {
        name: "F.1.5 ECB-AES256",
        mode: SymMode::Ecb,
        key: KEY256,
        iv: "",
        ct: "f3eed1bdb5d2a03c064b5a7e3db181f8 591ccb10d410ed26dc5ba74a31362870 \
             b6ed21b99ca6f4f9f153e7b1beafed1d 23304b7a39f9f3ff067d8d8f9e24ecc7",
    },
    Vector {
        name: "F.2.1 CBC-AES128",
        mode: SymMode::Cbc,
        key: KEY128,
        iv: IV,
        ct: "7649abac8119b246cee98e9b12e9197d 5086cb9b507219ee95db113a917678b2 \
             73bed6b8e3c1743b7116e69e22229516 3ff1caa1681fac09120eca307586e1a7",
    },
    Vector {
        name: "F.2.5 CBC-AES256",
        mode: SymMode::Cbc,
        key: KEY256,
        iv: IV,
        ct: "f58c4c04d6e5f1ba779eabfb5f7bfbd6 9cfc4e967edb808d679f777bc6702c7d \
             39f23369a9d9bacfa530e26304231461 b2eb05e2c39be9fcda6c19078c6a9d1b",
    },
    Vector {
        name: "F.3.13 CFB128-AES128",
        mode: SymMode::Cfb,
        key: KEY128,
        iv: IV,
        ct: "3b3fd92eb72dad20333449f8e83cfb4a c8a64537a0b3a93fcde3cdad9f1ce58b \
             26751f67a3cbb140b1808cf187a4f4df c04b05357c5d1c0eeac4c66f9ff7f2e6",
    },
    Vector {
        name: "F.3.17 CFB128-AES256",
        mode: SymMode::Cfb,
        key: KEY256,
        iv: IV,
        ct: "dc7e84bfda79164b7ecd8486985d3860 39ffed143b28b1c832113c6331e5407b \
             df10132415e54b92a13ed0a8267ae2f9 75a385741ab9cef82031623d55b1e471",
    },
    Vector {
        name: "F.4.1 OFB-AES128",
        mode: SymMode::Ofb,
        key: KEY128,
        iv: IV,
        ct: "3b3fd92eb72dad20333449f8e83cfb4a 7789508d16918f03f53c52dac54ed825 \
             9740051e9c5fecf64344f7a82260edcc 304c6528f659c77866a510d9c1d6ae5e",
    },
    Vector {
        name: "F.4.5 OFB-AES256",
        mode: SymMode::Ofb,
        key: KEY256,
        iv: IV,
        ct: "dc7e84bfda79164b7ecd8486985d3860 4febdc6740d20b3ac88f6ad82a4fb08d \
             71ab47a086e86eedf39d1c5bba97c408 0126141d67f37be8538f5a8be740e484",
    },
    Vector {
        name: "F.5.1 CTR-AES128",
        mode: SymMode::Ctr,
        key: KEY128,
        iv: CTR_IV,
        ct: "874d6191b620e3261bef6864990db6ce 9806f66b7970fdff8617187bb9fffdff \
             5ae4df3edbd5d35e5b4f09020db03eab 1e031dda2fbe03d1792170a0f3009cee",
    },
    Vector {
        name: "F.5.5 CTR-AES256",
        mode: SymMode::Ctr,
        key: KEY256,
        iv: CTR_IV,
        ct: "601ec313775789a5b7a7f504bbf3d228 f443e3ca4d62b59aca84e990cacaf5c5 \
             2b0930daa23de94ce87017ba2d84988d dfc9c58db67aada613c2dd08457941a6",
    },
];

/// ivOut after the whole message, by the TPM2_EncryptDecrypt rules.
fn expected_iv_out(v: &Vector, ct: &[u8]) -> Vec<u8> {
    match v.mode {
        SymMode::Ecb => vec![0; 16],
        SymMode::Cbc | SymMode::Cfb => ct[48..].to_vec(),
        // OFB: the last keystream block = last ciphertext block ^ last plaintext block.
        SymMode::Ofb => ct[48..]
            .iter()
            .zip(&unhex(PLAIN)[48..])
            .map(|(c, p)| c ^ p)
            .collect(),
        // CTR: the initial counter + 4.
        SymMode::Ctr => unhex("f0f1f2f3f4f5f6f7f8f9fafbfcfdff03"),
    }
}

#[test]
fn sp800_38a_known_answers() {
    for v in VECTORS {
        let (key, iv, ct) = (unhex(v.key), unhex(v.iv), unhex(v.ct));
        let mut d = unhex(PLAIN);
        let iv_out = aes_crypt(v.mode, &key, &iv, &mut d, true).unwrap();
        assert_eq!(d, ct, "{} encrypt", v.name);
        assert_eq!(iv_out.to_vec(), expected_iv_out(v, &ct), "{} ivOut", v.name);
        let iv_out = aes_crypt(v.mode, &key, &iv, &mut d, false).unwrap();
        assert_eq!(d, unhex(PLAIN), "{} decrypt", v.name);
        assert_eq!(
            iv_out.to_vec(),
            expected_iv_out(v, &ct),
            "{} ivOut (decrypt)",
            v.name
        );
    }
}

#[test]
fn mode_identifiers() {
    for (m, id) in [
        (SymMode::Ctr, 0x40),
        (SymMode::Ofb, 0x41),
        (SymMode::Cbc, 0x42),
        (SymMode::Cfb, 0x43),
        (SymMode::Ecb, 0x44),
    ] {
        assert_eq!(m.id(), id);
        assert_eq!(SymMode::from_id(id), Some(m));
    }
    assert_eq!(SymMode::from_id(0x0010), None);
    assert_eq!(SymMode::from_id(0x0006), None);
}

#[test]
fn argument_errors() {
    let mut d = vec![0u8; 32];
    for k in [0usize, 8, 15, 17, 31, 33, 64] {
        assert_eq!(
            aes_crypt(SymMode::Cfb, &vec![0; k], &[0; 16], &mut d, true),
            Err(SymError::KeySize)
        );
    }
    for iv in [0usize, 8, 15, 17, 32] {
        for m in [SymMode::Cfb, SymMode::Ctr, SymMode::Ofb, SymMode::Cbc] {
            assert_eq!(
                aes_crypt(m, &[0; 16], &vec![0; iv], &mut d, true),
                Err(SymError::Iv),
                "{m:?} iv {iv}"
            );
        }
        // ECB has no IV: any is ignored.
        assert!(aes_crypt(SymMode::Ecb, &[0; 16], &vec![0; iv], &mut d, true).is_ok());
    }
    for m in [SymMode::Cbc, SymMode::Ecb] {
        let mut odd = vec![0u8; 17];
        assert_eq!(
            aes_crypt(m, &[0; 32], &[0; 16], &mut odd, true),
            Err(SymError::Size)
        );
        assert_eq!(odd, vec![0u8; 17], "refused data is untouched");
    }
    // AES-192 is there too (SP 800-38A F.2.3, first block).
    let mut b = unhex("6bc1bee22e409f96e93d7e117393172a");
    aes_crypt(
        SymMode::Cbc,
        &unhex("8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b"),
        &unhex(IV),
        &mut b,
        true,
    )
    .unwrap();
    assert_eq!(b, unhex("4f021db243bc633d7178183a9fa071e8"));
}

#[test]
fn empty_data_returns_the_iv() {
    let iv: Vec<u8> = (1..=16).collect();
    for m in [
        SymMode::Cfb,
        SymMode::Ctr,
        SymMode::Ofb,
        SymMode::Cbc,
        SymMode::Ecb,
    ] {
        let out = aes_crypt(m, &[7; 16], &iv, &mut [], true).unwrap();
        assert_eq!(out.to_vec(), iv, "{m:?}");
    }
}

#[test]
fn partial_blocks() {
    let key = unhex(KEY128);
    let plain = unhex(PLAIN);
    for (m, iv) in [
        (SymMode::Cfb, IV),
        (SymMode::Ctr, CTR_IV),
        (SymMode::Ofb, IV),
    ] {
        let iv = unhex(iv);
        let mut full = plain.clone();
        aes_crypt(m, &key, &iv, &mut full, true).unwrap();
        for len in [1usize, 15, 17, 20, 31, 33, 63] {
            let mut d = plain[..len].to_vec();
            let iv_out = aes_crypt(m, &key, &iv, &mut d, true).unwrap();
            assert_eq!(
                d,
                full[..len],
                "{m:?} {len}: a prefix of the full ciphertext"
            );
            let back_iv = aes_crypt(m, &key, &iv, &mut d, false).unwrap();
            assert_eq!(d, plain[..len], "{m:?} {len}: round trip");
            assert_eq!(iv_out, back_iv, "{m:?} {len}: same ivOut both ways");
            let last = (len - 1) / 16 * 16;
            let tail = len - last;
            let want: Vec<u8> = match m {
                // CFB: the partial ciphertext block, zero-filled (reference CryptSymmetric*).
                SymMode::Cfb => [full[last..len].to_vec(), vec![0; 16 - tail]].concat(),
                // CTR: the counter after the blocks used, the partial one included.
                SymMode::Ctr => {
                    let n = u128::from_be_bytes(iv[..].try_into().unwrap());
                    (n.wrapping_add((last / 16 + 1) as u128))
                        .to_be_bytes()
                        .to_vec()
                }
                // OFB: the whole keystream block of the partial block.
                SymMode::Ofb => full[last..last + 16]
                    .iter()
                    .zip(&plain[last..last + 16])
                    .map(|(c, p)| c ^ p)
                    .collect(),
                _ => unreachable!(),
            };
            assert_eq!(iv_out.to_vec(), want, "{m:?} {len}: ivOut");
        }
    }
}

#[test]
fn iv_out_chains_calls() {
    // Two calls with ivOut carried over equal one call, for a first part of whole blocks.
    let key = unhex(KEY256);
    let plain: Vec<u8> = (0..100u8).collect();
    for m in [
        SymMode::Cfb,
        SymMode::Ctr,
        SymMode::Ofb,
        SymMode::Cbc,
        SymMode::Ecb,
    ] {
        let total = if matches!(m, SymMode::Cbc | SymMode::Ecb) {
            96
        } else {
            100
        };
        for encrypt in [true, false] {
            let mut one = plain[..total].to_vec();
            let iv_one = aes_crypt(m, &key, &unhex(IV), &mut one, encrypt).unwrap();
            for split in [16usize, 32, 48, 80] {
                let mut two = plain[..total].to_vec();
                let (a, b) = two.split_at_mut(split);
                let iv_a = aes_crypt(m, &key, &unhex(IV), a, encrypt).unwrap();
                let iv_b = aes_crypt(m, &key, &iv_a, b, encrypt).unwrap();
                assert_eq!(two, one, "{m:?} split {split} encrypt {encrypt}");
                assert_eq!(iv_b, iv_one, "{m:?} split {split}: final ivOut");
            }
        }
    }
}

#[test]
fn ctr_counter_wraps() {
    let key = unhex(KEY128);
    let iv = [0xffu8; 16];
    let mut d = vec![0u8; 32];
    let out = aes_crypt(SymMode::Ctr, &key, &iv, &mut d, true).unwrap();
    let mut want = [0u8; 16];
    want[15] = 1;
    assert_eq!(out, want);
    // The second block used counter 0.
    let mut z = vec![0u8; 16];
    aes_crypt(SymMode::Ecb, &key, &[], &mut z, true).unwrap();
    assert_eq!(d[16..], z[..]);
}

fn openssl_enc(cipher: &str, key: &[u8], iv: Option<&[u8]>, data: &[u8], decrypt: bool) -> Vec<u8> {
    let dir = std::env::temp_dir().join(format!("tpm2-crypto-sym-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let input = dir.join(format!("{cipher}-{}-{decrypt}.in", data.len()));
    std::fs::write(&input, data).unwrap();
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let mut cmd = Command::new("openssl");
    cmd.args(["enc", &format!("-{cipher}"), "-nopad", "-K", &hex(key)]);
    if let Some(iv) = iv {
        cmd.args(["-iv", &hex(iv)]);
    }
    if decrypt {
        cmd.arg("-d");
    }
    cmd.arg("-in").arg(&input);
    let out = cmd
        .output()
        .expect("the openssl command-line tool is required by this test");
    let _ = std::fs::remove_file(&input);
    assert!(
        out.status.success(),
        "openssl enc -{cipher}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn matches_openssl_enc() {
    let data: Vec<u8> = (0..77u8)
        .map(|i| i.wrapping_mul(37).wrapping_add(5))
        .collect();
    let iv: Vec<u8> = (0..16u8).map(|i| 0xf0 ^ i).collect();
    for (bits, key) in [
        (128, unhex(KEY128)),
        (
            192,
            unhex("8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b"),
        ),
        (256, unhex(KEY256)),
    ] {
        for (m, name, whole) in [
            (SymMode::Cbc, "cbc", true),
            (SymMode::Ecb, "ecb", true),
            (SymMode::Cfb, "cfb", false),
            (SymMode::Ofb, "ofb", false),
            (SymMode::Ctr, "ctr", false),
        ] {
            let len = if whole { 64 } else { data.len() };
            let cipher = format!("aes-{bits}-{name}");
            let ivarg = if m == SymMode::Ecb {
                None
            } else {
                Some(&iv[..])
            };
            let mut ours = data[..len].to_vec();
            aes_crypt(m, &key, &iv, &mut ours, true).unwrap();
            let theirs = openssl_enc(&cipher, &key, ivarg, &data[..len], false);
            assert_eq!(ours, theirs, "{cipher} encrypt");
            let mut back = ours.clone();
            aes_crypt(m, &key, &iv, &mut back, false).unwrap();
            assert_eq!(
                back,
                openssl_enc(&cipher, &key, ivarg, &ours, true),
                "{cipher} decrypt"
            );
            assert_eq!(back, data[..len]);
        }
    }
}
