//! Symmetric primitives (Part 3, §15): TPM2_EncryptDecrypt, TPM2_EncryptDecrypt2,
//! TPM2_HMAC.

use crate::dispatch::Command;
use crate::object::keys::Key;
use crate::Tpm;
use tpm2_crypto::hmac;
use tpm2_crypto::sym::{aes_crypt, SymMode};
use tpm2_types::constants::obj_attr;
use tpm2_types::object::{read_selector, KeyedHashScheme, PublicParms, Tpm2bIv, SYM_MODES};
use tpm2_types::structures::read_yes_no;
use tpm2_types::{OptHashAlg, Rc, Tpm2bDigest, Tpm2bMaxBuffer};

/// Parameter numbers of the two command forms.
struct Numbers {
    mode: usize,
    iv: usize,
    data: usize,
}

fn encrypt_decrypt_common(
    tpm: &mut Tpm,
    c: &mut Command<'_>,
    decrypt: bool,
    mode: Option<u16>,
    iv: Tpm2bIv,
    data: Tpm2bMaxBuffer,
    n: Numbers,
) -> Result<(), Rc> {
    let o = tpm.object_at(c.handle(0), 1)?;
    let PublicParms::SymCipher(def) = &o.public.parms else {
        return Err(Rc::KEY.handle(1));
    };
    if o.has(obj_attr::RESTRICTED) {
        return Err(Rc::ATTRIBUTES.handle(1));
    }
    // Decryption needs `decrypt`, encryption `sign` (Part 3, §15.2).
    let allowed = if decrypt {
        o.has(obj_attr::DECRYPT)
    } else {
        o.has(obj_attr::SIGN_ENCRYPT)
    };
    if !allowed {
        return Err(Rc::ATTRIBUTES.handle(1));
    }
    let mode = match (def.mode, mode) {
        (Some(k), None) => k,
        (Some(k), Some(m)) if k == m => k,
        (None, Some(m)) => m,
        _ => return Err(Rc::MODE.param(n.mode)),
    };
    let mode = SymMode::from_id(mode).ok_or(Rc::MODE.param(n.mode))?;
    // ECB takes no IV; every other mode one block.
    if (mode == SymMode::Ecb && !iv.is_empty()) || (mode != SymMode::Ecb && iv.len() != 16) {
        return Err(Rc::SIZE.param(n.iv));
    }
    if matches!(mode, SymMode::Cbc | SymMode::Ecb) && !data.len().is_multiple_of(16) {
        return Err(Rc::SIZE.param(n.data));
    }
    let key = o.key()?;
    let Key::Bits(k) = &*key else {
        return Err(Rc::KEY.handle(1));
    };
    let mut out = data.0.clone();
    let iv_in = if mode == SymMode::Ecb {
        vec![0; 16]
    } else {
        iv.0.clone()
    };
    let mut iv_out =
        aes_crypt(mode, k, &iv_in, &mut out, !decrypt).map_err(|_| Rc::SIZE.param(n.data))?;
    if mode == SymMode::Cfb {
        let ciphertext = if decrypt { &data.0 } else { &out };
        cfb_partial_iv(k, &iv_in, ciphertext, &mut iv_out).map_err(|_| Rc::SIZE.param(n.data))?;
    }
    c.put(&Tpm2bMaxBuffer::from(out));
    if mode == SymMode::Ecb {
        c.put(&Tpm2bIv::from(iv.0));
    } else {
        c.put(&Tpm2bIv::from(iv_out.to_vec()));
    }
    Ok(())
}

/// ivOut of CFB after a partial last block of m octets: libtpms (OpenSSL's CFB state)
/// returns the m ciphertext octets followed by the unused rest of that block's keystream,
/// E(previous ciphertext block)[m..16]; `aes_crypt` zeroes the rest (the reference code's
/// choice), so the keystream tail is put back here.
fn cfb_partial_iv(
    key: &[u8],
    iv_in: &[u8],
    ciphertext: &[u8],
    iv_out: &mut [u8; 16],
) -> Result<(), tpm2_crypto::sym::SymError> {
    let m = ciphertext.len() % 16;
    if m == 0 {
        return Ok(());
    }
    let last = ciphertext.len() - m;
    let mut ks: Vec<u8> = if last == 0 {
        iv_in.to_vec()
    } else {
        ciphertext[last - 16..last].to_vec()
    };
    aes_crypt(SymMode::Ecb, key, &[0; 16], &mut ks, true)?;
    iv_out[m..].copy_from_slice(&ks[m..]);
    Ok(())
}

fn read_mode(r: &mut tpm2_types::Reader<'_>) -> Result<Option<u16>, Rc> {
    read_selector(r, &SYM_MODES, true, Rc::MODE)
}

/// TPM2_EncryptDecrypt: decrypt, mode, ivIn, inData.
pub fn encrypt_decrypt(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let decrypt = c.params.read_with(read_yes_no)?;
    let mode = c.params.read_with(read_mode)?;
    let iv: Tpm2bIv = c.params.read()?;
    let data: Tpm2bMaxBuffer = c.params.read()?;
    c.params.end()?;
    let n = Numbers {
        mode: 2,
        iv: 3,
        data: 4,
    };
    encrypt_decrypt_common(tpm, c, decrypt, mode, iv, data, n)
}

/// TPM2_EncryptDecrypt2: inData first, so it can be the encrypted parameter.
pub fn encrypt_decrypt2(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let data: Tpm2bMaxBuffer = c.params.read()?;
    let decrypt = c.params.read_with(read_yes_no)?;
    let mode = c.params.read_with(read_mode)?;
    let iv: Tpm2bIv = c.params.read()?;
    c.params.end()?;
    let n = Numbers {
        data: 1,
        mode: 3,
        iv: 4,
    };
    encrypt_decrypt_common(tpm, c, decrypt, mode, iv, data, n)
}

/// TPM2_HMAC with a loaded HMAC key.
pub fn hmac_command(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let buffer: Tpm2bMaxBuffer = c.params.read()?;
    // TPMI_ALG_MAC_SCHEME+ (a hash, or NULL): anything else is TPM_RC_SYMMETRIC.
    let hash: OptHashAlg = c.params.read_with(|r| {
        let id = r.u16()?;
        if id == tpm2_types::constants::alg::NULL {
            return Ok(OptHashAlg(None));
        }
        tpm2_types::HashAlg::from_id(id)
            .map(|h| OptHashAlg(Some(h)))
            .ok_or(Rc::SYMMETRIC)
    })?;
    c.params.end()?;
    let o = tpm.object_at(c.handle(0), 1)?;
    // The MAC first (libtpms's CryptSelectMac): the key's HMAC scheme, which the caller
    // may repeat, or the caller's hash for a key without one; none is TPM_RC_VALUE.
    let scheme = match &o.public.parms {
        PublicParms::KeyedHash(s) => *s,
        PublicParms::Rsa(_) | PublicParms::Ecc(_) => return Err(Rc::TYPE.handle(1)),
        PublicParms::SymCipher(_) => return Err(Rc::VALUE.param(2)),
    };
    let h = match (scheme, hash.0) {
        (KeyedHashScheme::Hmac(k), None) => k,
        (KeyedHashScheme::Hmac(k), Some(g)) if k == g => g,
        (KeyedHashScheme::Null, Some(g)) => g,
        _ => return Err(Rc::VALUE.param(2)),
    };
    if o.has(obj_attr::RESTRICTED) {
        return Err(Rc::ATTRIBUTES.handle(1));
    }
    if !o.has(obj_attr::SIGN_ENCRYPT) {
        return Err(Rc::KEY.handle(1));
    }
    let key = o.key()?;
    let Key::Bits(k) = &*key else {
        return Err(Rc::TYPE.handle(1));
    };
    let mac = hmac(h, k, &[buffer.as_slice()]);
    c.put(&Tpm2bDigest::from(mac));
    Ok(())
}
