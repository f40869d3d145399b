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
    if mode != SymMode::Ecb && iv.len() != 16 {
        return Err(Rc::SIZE.param(n.iv));
    }
    if matches!(mode, SymMode::Cbc | SymMode::Ecb) && !data.len().is_multiple_of(16) {
        return Err(Rc::SIZE.param(n.data));
    }
    let key = o.key()?;
    let Key::Bits(k) = &*key else {
        return Err(Rc::KEY.handle(1));
    };
    let mut out = data.0;
    let iv_in = if mode == SymMode::Ecb {
        vec![0; 16]
    } else {
        iv.0.clone()
    };
    let iv_out =
        aes_crypt(mode, k, &iv_in, &mut out, !decrypt).map_err(|_| Rc::SIZE.param(n.data))?;
    c.put(&Tpm2bMaxBuffer::from(out));
    if mode == SymMode::Ecb {
        c.put(&Tpm2bIv::from(iv.0));
    } else {
        c.put(&Tpm2bIv::from(iv_out.to_vec()));
    }
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
    let hash: OptHashAlg = c.params.read()?;
    c.params.end()?;
    let o = tpm.object_at(c.handle(0), 1)?;
    let PublicParms::KeyedHash(scheme) = &o.public.parms else {
        return Err(Rc::TYPE.handle(1));
    };
    if o.has(obj_attr::RESTRICTED) || !o.has(obj_attr::SIGN_ENCRYPT) {
        return Err(Rc::ATTRIBUTES.handle(1));
    }
    let h = match (scheme, hash.0) {
        (KeyedHashScheme::Hmac(k), None) => *k,
        (KeyedHashScheme::Hmac(k), Some(g)) if *k == g => g,
        (KeyedHashScheme::Null, Some(g)) => g,
        _ => return Err(Rc::VALUE.param(2)),
    };
    let key = o.key()?;
    let Key::Bits(k) = &*key else {
        return Err(Rc::TYPE.handle(1));
    };
    let mac = hmac(h, k, &[buffer.as_slice()]);
    c.put(&Tpm2bDigest::from(mac));
    Ok(())
}
