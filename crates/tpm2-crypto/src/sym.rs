//! Session parameter encryption (Part 1, §21): AES in CFB mode and the XOR obfuscation
//! (Part 1, §11.4.6.3), both keyed through KDFa from the session key and the nonces.

use crate::kdf::kdfa;
use aes::cipher::{BlockEncrypt, KeyInit};
use tpm2_types::HashAlg;
use zeroize::Zeroize;

const BLOCK: usize = 16;

/// AES-CFB-128 over `data` in place (`encrypt`: ciphertext feeds back as it is made;
/// otherwise the incoming ciphertext does). `key` is 16 or 32 bytes; anything else does
/// nothing (the caller only builds keys of the sizes it accepted).
pub fn aes_cfb(key: &[u8], iv: &[u8; BLOCK], data: &mut [u8], encrypt: bool) {
    match key.len() {
        16 => cfb(&aes::Aes128::new(key.into()), iv, data, encrypt),
        32 => cfb(&aes::Aes256::new(key.into()), iv, data, encrypt),
        _ => {}
    }
}

fn cfb<C: BlockEncrypt + aes::cipher::BlockSizeUser<BlockSize = aes::cipher::consts::U16>>(
    cipher: &C,
    iv: &[u8; BLOCK],
    data: &mut [u8],
    encrypt: bool,
) {
    let mut feedback = *iv;
    for chunk in data.chunks_mut(BLOCK) {
        let mut ks = aes::Block::clone_from_slice(&feedback);
        cipher.encrypt_block(&mut ks);
        let mut next = [0u8; BLOCK];
        for (i, b) in chunk.iter_mut().enumerate() {
            let c_in = *b;
            *b ^= ks[i];
            next[i] = if encrypt { *b } else { c_in };
        }
        feedback = next;
        ks.zeroize();
    }
    feedback.zeroize();
}

/// The symmetric algorithm of a session (`TPMT_SYM_DEF` as accepted by StartAuthSession).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamCipher {
    /// AES-CFB with a 128- or 256-bit key.
    AesCfb { key_bits: u16 },
    /// XOR obfuscation.
    Xor,
}

/// Encrypts (`encrypt`) or decrypts `data` in place for a session with hash `session_hash`:
/// `key` is sessionKey || authValue; `nonce_newer`/`nonce_older` are the nonces of the
/// direction (command: nonceCaller, nonceTPM; response: nonceTPM, nonceCaller).
/// CFB: KDFa(hash, key, "CFB", newer, older, keyBits + 128) gives the key then the IV.
/// XOR: the data is XORed with KDFa(hash, key, "XOR", newer, older, 8·len), where hash
/// is the session's (Part 1, §21.3; libtpms alike: the hash in the `TPMT_SYM_DEF` only
/// selects XOR).
pub fn param_crypt(
    cipher: ParamCipher,
    session_hash: HashAlg,
    key: &[u8],
    nonce_newer: &[u8],
    nonce_older: &[u8],
    data: &mut [u8],
    encrypt: bool,
) {
    match cipher {
        ParamCipher::AesCfb { key_bits } => {
            let kb = key_bits as usize / 8;
            let bits = key_bits as u32 + (BLOCK as u32) * 8;
            let mut m = kdfa(session_hash, key, b"CFB", nonce_newer, nonce_older, bits);
            let mut iv = [0u8; BLOCK];
            iv.copy_from_slice(&m[kb..kb + BLOCK]);
            aes_cfb(&m[..kb], &iv, data, encrypt);
            m.zeroize();
            iv.zeroize();
        }
        ParamCipher::Xor => {
            let bits = (data.len() as u32) * 8;
            if bits == 0 {
                return;
            }
            let mut mask = kdfa(session_hash, key, b"XOR", nonce_newer, nonce_older, bits);
            for (d, m) in data.iter_mut().zip(&mask) {
                *d ^= m;
            }
            mask.zeroize();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn cfb_known_answer() {
        // NIST SP 800-38A F.3.13 (CFB128-AES128.Encrypt), first two blocks.
        let key = hex("2b7e151628aed2a6abf7158809cf4f3c");
        let iv: [u8; 16] = hex("000102030405060708090a0b0c0d0e0f").try_into().unwrap();
        let plain = hex("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51");
        let mut d = plain.clone();
        aes_cfb(&key, &iv, &mut d, true);
        assert_eq!(
            d,
            hex("3b3fd92eb72dad20333449f8e83cfb4ac8a64537a0b3a93fcde3cdad9f1ce58b")
        );
        aes_cfb(&key, &iv, &mut d, false);
        assert_eq!(d, plain);
        // A partial last block is the prefix of the full one.
        let mut p = plain[..20].to_vec();
        aes_cfb(&key, &iv, &mut p, true);
        assert_eq!(p, hex("3b3fd92eb72dad20333449f8e83cfb4ac8a64537"));
    }

    #[test]
    fn param_crypt_round_trips() {
        for c in [
            ParamCipher::AesCfb { key_bits: 128 },
            ParamCipher::AesCfb { key_bits: 256 },
            ParamCipher::Xor,
        ] {
            let mut d = b"attack at dawn, twice: attack at dawn".to_vec();
            param_crypt(c, HashAlg::Sha256, b"k", b"n1", b"n2", &mut d, true);
            assert_ne!(&d[..], b"attack at dawn, twice: attack at dawn");
            param_crypt(c, HashAlg::Sha256, b"k", b"n1", b"n2", &mut d, false);
            assert_eq!(&d[..], b"attack at dawn, twice: attack at dawn");
        }
        // XOR is the KDFa mask itself.
        let mut z = vec![0u8; 5];
        param_crypt(
            ParamCipher::Xor,
            HashAlg::Sha256,
            b"k",
            b"u",
            b"v",
            &mut z,
            true,
        );
        assert_eq!(z, kdfa(HashAlg::Sha256, b"k", b"XOR", b"u", b"v", 40));
    }
}
