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

/// A block cipher mode of TPM2_EncryptDecrypt and symmetric objects (`TPMI_ALG_SYM_MODE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymMode {
    Cfb,
    Ctr,
    Ofb,
    Cbc,
    Ecb,
}

impl SymMode {
    /// `TPM_ALG_CTR` (0x0040), `_OFB` (0x0041), `_CBC` (0x0042), `_CFB` (0x0043),
    /// `_ECB` (0x0044).
    pub fn id(self) -> u16 {
        match self {
            SymMode::Ctr => 0x0040,
            SymMode::Ofb => 0x0041,
            SymMode::Cbc => 0x0042,
            SymMode::Cfb => 0x0043,
            SymMode::Ecb => 0x0044,
        }
    }

    pub fn from_id(id: u16) -> Option<Self> {
        match id {
            0x0040 => Some(SymMode::Ctr),
            0x0041 => Some(SymMode::Ofb),
            0x0042 => Some(SymMode::Cbc),
            0x0043 => Some(SymMode::Cfb),
            0x0044 => Some(SymMode::Ecb),
            _ => None,
        }
    }
}

/// Why [`aes_crypt`] refused its input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymError {
    /// The key is not 16, 24 or 32 octets.
    KeySize,
    /// CBC or ECB data that is not a whole number of blocks (`TPM_RC_SIZE`).
    Size,
    /// An IV that is not one block long (any mode but ECB, which has none).
    Iv,
}

enum AesKey {
    A128(aes::Aes128),
    A192(aes::Aes192),
    A256(aes::Aes256),
}

impl AesKey {
    fn new(key: &[u8]) -> Result<Self, SymError> {
        match key.len() {
            16 => Ok(AesKey::A128(aes::Aes128::new(key.into()))),
            24 => Ok(AesKey::A192(aes::Aes192::new(key.into()))),
            32 => Ok(AesKey::A256(aes::Aes256::new(key.into()))),
            _ => Err(SymError::KeySize),
        }
    }

    fn encrypt(&self, block: &mut [u8; BLOCK]) {
        let b = aes::Block::from_mut_slice(block);
        match self {
            AesKey::A128(c) => c.encrypt_block(b),
            AesKey::A192(c) => c.encrypt_block(b),
            AesKey::A256(c) => c.encrypt_block(b),
        }
    }

    fn decrypt(&self, block: &mut [u8; BLOCK]) {
        use aes::cipher::BlockDecrypt;
        let b = aes::Block::from_mut_slice(block);
        match self {
            AesKey::A128(c) => c.decrypt_block(b),
            AesKey::A192(c) => c.decrypt_block(b),
            AesKey::A256(c) => c.decrypt_block(b),
        }
    }
}

/// AES (key of 16, 24 or 32 octets) in `mode` over `data` in place, starting from `iv`;
/// returns ivOut as TPM2_EncryptDecrypt defines it (Part 3 §15.2; the TCG reference
/// `CryptSymmetricEncrypt`/`CryptSymmetricDecrypt`, Part 4), so that a message encrypted in
/// pieces of whole blocks, each call given the previous ivOut, equals one call over the
/// whole:
/// - CBC: the last ciphertext block; data must be whole blocks.
/// - ECB: no chaining; data must be whole blocks; `iv` is ignored (TPM2_EncryptDecrypt
///   takes an empty one) and returned unchanged if it is one block, else zeros.
/// - CFB (CFB-128, SP 800-38A §6.3): the last ciphertext block; after a partial last block
///   of m octets, its m ciphertext octets followed by 16 - m zero octets.
/// - CTR (SP 800-38A §6.5, the whole block a big-endian counter that wraps): the counter
///   of the next block; a partial last block consumes a whole counter value.
/// - OFB (SP 800-38A §6.4): the last keystream block (whole, even after a partial block).
///
/// Empty data changes nothing and returns `iv`.
pub fn aes_crypt(
    mode: SymMode,
    key: &[u8],
    iv: &[u8],
    data: &mut [u8],
    encrypt: bool,
) -> Result<[u8; BLOCK], SymError> {
    let cipher = AesKey::new(key)?;
    if mode == SymMode::Ecb {
        if !data.len().is_multiple_of(BLOCK) {
            return Err(SymError::Size);
        }
        for chunk in data.chunks_exact_mut(BLOCK) {
            let block: &mut [u8; BLOCK] = chunk.try_into().map_err(|_| SymError::Size)?;
            if encrypt {
                cipher.encrypt(block);
            } else {
                cipher.decrypt(block);
            }
        }
        return Ok(iv.try_into().unwrap_or([0u8; BLOCK]));
    }
    let mut chain: [u8; BLOCK] = iv.try_into().map_err(|_| SymError::Iv)?;
    if mode == SymMode::Cbc && !data.len().is_multiple_of(BLOCK) {
        return Err(SymError::Size);
    }
    let mut ks = [0u8; BLOCK];
    for chunk in data.chunks_mut(BLOCK) {
        match mode {
            SymMode::Cbc => {
                let block: &mut [u8; BLOCK] = chunk.try_into().map_err(|_| SymError::Size)?;
                if encrypt {
                    for (b, c) in block.iter_mut().zip(&chain) {
                        *b ^= c;
                    }
                    cipher.encrypt(block);
                    chain = *block;
                } else {
                    let c_in = *block;
                    cipher.decrypt(block);
                    for (b, c) in block.iter_mut().zip(&chain) {
                        *b ^= c;
                    }
                    chain = c_in;
                }
            }
            SymMode::Cfb => {
                ks = chain;
                cipher.encrypt(&mut ks);
                let mut next = [0u8; BLOCK];
                for (i, b) in chunk.iter_mut().enumerate() {
                    let c_in = *b;
                    *b ^= ks[i];
                    next[i] = if encrypt { *b } else { c_in };
                }
                chain = next;
            }
            SymMode::Ctr => {
                ks = chain;
                cipher.encrypt(&mut ks);
                for byte in chain.iter_mut().rev() {
                    *byte = byte.wrapping_add(1);
                    if *byte != 0 {
                        break;
                    }
                }
                for (b, k) in chunk.iter_mut().zip(&ks) {
                    *b ^= k;
                }
            }
            SymMode::Ofb => {
                cipher.encrypt(&mut chain);
                for (b, k) in chunk.iter_mut().zip(&chain) {
                    *b ^= k;
                }
            }
            SymMode::Ecb => {}
        }
    }
    ks.zeroize();
    Ok(chain)
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
