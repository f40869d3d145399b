//! TPM2_Duplicate (Part 3, §13.1), TPM2_Rewrap (§13.2) and TPM2_Import (§13.3): duplication blobs (Part 1,
//! §23.3).
//!
//! A duplication blob, built from the marshalled `TPM2B_SENSITIVE` s of the object with
//! Name N and nameAlg H:
//! - inner wrapper (symmetricAlg not NULL): innerIntegrity = H(s || N), then
//!   CFB(innerKey, zero IV, TPM2B_DIGEST(innerIntegrity) || s), innerKey being
//!   encryptionKeyIn or, if that is empty, a random key the TPM returns;
//! - outer wrapper (new parent not NULL): seed shared with the new parent under
//!   "DUPLICATE", then with its nameAlg and symmetric definition the wrapper of
//!   `secret::Outer` (KDFa "STORAGE" over N for the key, "INTEGRITY" for the HMAC).
//!
//! Rewrap replaces the outer wrapper (old parent's seed → new parent's seed).
//! Import removes the outer then the inner wrapper and wraps the sensitive area under
//! its parent as Create does (`Protector::wrap`).

use super::object::load::bind;
use super::secret::{is_asymmetric, Outer};
use crate::dispatch::Command;
use crate::object::protect::Protector;
use crate::object::public_name;
use crate::object::template::{check_public, Parent};
use crate::Tpm;
use tpm2_crypto::sym::aes_cfb;
use tpm2_crypto::{ct_eq, digest};
use tpm2_types::constants::{alg, obj_attr, rh};
use tpm2_types::credential::DUPLICATE;
use tpm2_types::object::{
    sized, SymDef, Tpm2bEncryptedSecret, Tpm2bPublic, TpmtSensitive, MAX_PRIVATE,
};
use tpm2_types::{Codec, HashAlg, Rc, Reader, Tpm2b, Tpm2bData, Tpm2bDigest};
use zeroize::Zeroizing;

type Tpm2bPrivate = Tpm2b<MAX_PRIVATE>;

fn inner_key_bytes(sym: &SymDef) -> usize {
    sym.key_bits as usize / 8
}

/// TPM2_Duplicate: the object at handle 1 (DUP role) wrapped for the new parent at
/// handle 2 (or `TPM_RH_NULL`: no outer wrapper).
pub fn duplicate(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let key_in: Tpm2bData = c.params.read()?;
    let sym = c.params.read_with(|r| SymDef::read_opt(r, true))?;
    c.params.end()?;
    let (oh, ph) = (c.handle(0), c.handle(1));
    let o = tpm.object_at(oh, 1)?.clone();
    if o.has(obj_attr::FIXED_PARENT) {
        return Err(Rc::ATTRIBUTES.handle(1));
    }
    let name_alg = o.public.name_alg.ok_or(Rc::TYPE.handle(1))?;
    let sensitive = o.sensitive.clone().ok_or(Rc::TYPE.handle(1))?;
    let parent = if ph == rh::NULL {
        None
    } else {
        // A storage key by its attributes (Part 4 `ObjectIsStorage`): the new parent is
        // usually a public key loaded with LoadExternal.
        let p = tpm.object_at(ph, 2)?;
        if !storage_by_attributes(p) {
            return Err(Rc::TYPE.handle(2));
        }
        Some(p.clone())
    };
    if o.has(obj_attr::ENCRYPTED_DUPLICATION) {
        if sym.is_none() {
            return Err(Rc::SYMMETRIC.param(2));
        }
        if parent.is_none() {
            return Err(Rc::HIERARCHY.handle(2));
        }
    }
    match &sym {
        None if !key_in.is_empty() => return Err(Rc::SIZE.param(1)),
        Some(s) if !key_in.is_empty() && key_in.len() != inner_key_bytes(s) => {
            return Err(Rc::SIZE.param(1))
        }
        _ => {}
    }
    let outer = match &parent {
        Some(p) => {
            let (seed, secret) = tpm.share_secret(p, DUPLICATE).map_err(|e| e.handle(2))?;
            Some((seed, secret, p.public.name_alg, p.public.parms.symmetric()))
        }
        None => None,
    };
    let mut data = Zeroizing::new(Vec::new());
    sized(&mut data, |out| sensitive.encode(out));
    let mut key_out = Vec::new();
    if let Some(s) = &sym {
        data = inner_wrap(&o.name, name_alg, &data);
        let key = if key_in.is_empty() {
            let k = tpm.random_vec(inner_key_bytes(s));
            key_out = k.clone();
            Zeroizing::new(k)
        } else {
            Zeroizing::new(key_in.as_slice().to_vec())
        };
        aes_cfb(&key, &[0; 16], &mut data, true);
    }
    let (blob, secret) = match outer {
        Some((seed, secret, Some(hash), Some(psym))) => {
            let w = Outer {
                hash,
                seed: &seed,
                sym: psym,
            };
            (w.wrap(&o.name, &data), secret)
        }
        Some(_) => return Err(Rc::TYPE.handle(2)),
        None => (data.to_vec(), Vec::new()),
    };
    c.put(&Tpm2bData::from(key_out));
    c.put(&Tpm2bPrivate::from(blob));
    c.put(&Tpm2bEncryptedSecret::from(secret));
    Ok(())
}

/// TPM2B_DIGEST(H(s || N)) || s.
fn inner_wrap(name: &[u8], h: HashAlg, s: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::new());
    Tpm2bDigest::from(digest(h, &[s, name])).encode(&mut out);
    out.extend_from_slice(s);
    out
}

/// The sensitive area inside a (decrypted) inner wrapper.
fn inner_unwrap<'a>(name: &[u8], h: HashAlg, data: &'a [u8]) -> Result<&'a [u8], Rc> {
    let mut r = Reader::new(data);
    let integrity = Tpm2bDigest::read(&mut r)?;
    let s = r.rest();
    if !ct_eq(integrity.as_slice(), &digest(h, &[s, name])) {
        return Err(Rc::INTEGRITY);
    }
    Ok(s)
}

/// A marshalled `TPM2B_SENSITIVE` that must fill `data` exactly.
fn read_sensitive(data: &[u8]) -> Result<TpmtSensitive, Rc> {
    let mut r = Reader::new(data);
    let n = r.u16()? as usize;
    if n + 2 != data.len() {
        return Err(Rc::SIZE);
    }
    let s = TpmtSensitive::read(&mut r)?;
    if !r.is_empty() {
        return Err(Rc::SIZE);
    }
    Ok(s)
}

/// The codes of the load check (`bind`) for Import: the sensitive area is parameter 3.
fn renumber(rc: Rc) -> Rc {
    if rc.is_format_one() && rc == rc.base().param(1) {
        rc.base().param(3)
    } else {
        rc
    }
}

/// TPM2_Import: a duplication blob made for the parent at handle 1, returned as a
/// `TPM2B_PRIVATE` that TPM2_Load accepts.
pub fn import(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let key: Tpm2bData = c.params.read()?;
    let public: Tpm2bPublic = c.params.read()?;
    let dup: Tpm2bPrivate = c.params.read()?;
    let seed_in: Tpm2bEncryptedSecret = c.params.read()?;
    let sym = c.params.read_with(|r| SymDef::read_opt(r, true))?;
    c.params.end()?;
    let public = public.0;
    if public.has(obj_attr::FIXED_TPM) || public.has(obj_attr::FIXED_PARENT) {
        return Err(Rc::ATTRIBUTES.param(2));
    }
    let parent = tpm.object_at(c.handle(0), 1)?.clone();
    if !parent.is_storage() {
        return Err(Rc::TYPE.handle(1));
    }
    match &sym {
        Some(s) if key.len() != inner_key_bytes(s) => return Err(Rc::SIZE.param(1)),
        None if !key.is_empty() => return Err(Rc::SIZE.param(1)),
        None if public.has(obj_attr::ENCRYPTED_DUPLICATION) => return Err(Rc::ATTRIBUTES.param(1)),
        _ => {}
    }
    let seed = if !seed_in.is_empty() {
        if parent.public.type_alg() == alg::SYMCIPHER {
            return Err(Rc::TYPE.handle(1));
        }
        Some(
            tpm.recover_secret(&parent, DUPLICATE, seed_in.as_slice())
                .map_err(|e| e.param(4))?,
        )
    } else {
        if public.has(obj_attr::ENCRYPTED_DUPLICATION) {
            return Err(Rc::ATTRIBUTES.param(4));
        }
        None
    };
    let name = public_name(&public);
    let Some(name_alg) = public.name_alg else {
        return Err(Rc::HASH.param(2));
    };
    let mut data = Zeroizing::new(dup.as_slice().to_vec());
    if let Some(seed) = &seed {
        let hash = parent.public.name_alg.ok_or(Rc::TYPE.handle(1))?;
        let psym = parent.public.parms.symmetric().ok_or(Rc::TYPE.handle(1))?;
        let w = Outer {
            hash,
            seed,
            sym: psym,
        };
        data = w.unwrap(&name, &data).map_err(|e| e.param(3))?;
    }
    let sensitive = if sym.is_some() {
        aes_cfb(key.as_slice(), &[0; 16], &mut data, false);
        let s = inner_unwrap(&name, name_alg, &data).map_err(|e| e.param(3))?;
        read_sensitive(s)
    } else {
        read_sensitive(&data)
    }
    .map_err(|e| e.param(3))?;
    if parent.has(obj_attr::FIXED_TPM) {
        check_public(&public, Parent::Object(&parent), 2, false)?;
        bind(&public, &sensitive).map_err(renumber)?;
    }
    let protector = Protector::of(&parent).ok_or(Rc::TYPE.handle(1))?;
    let private = protector.wrap(&name, &sensitive);
    c.put(&Tpm2bPrivate::from(private));
    Ok(())
}

/// A storage key by its attributes (Part 4 `ObjectIsStorage`), also a public-only one.
fn storage_by_attributes(p: &crate::object::Object) -> bool {
    is_asymmetric(p)
        && p.has(obj_attr::RESTRICTED)
        && p.has(obj_attr::DECRYPT)
        && !p.has(obj_attr::SIGN_ENCRYPT)
}

/// TPM2_Rewrap (Part 3, §13.2): a duplication blob's outer wrapper moved from the old
/// parent at handle 1 (or none: `TPM_RH_NULL`) to the new parent at handle 2 (or none);
/// the inner wrapper, if any, is left as it is.
pub fn rewrap(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let dup: Tpm2bPrivate = c.params.read()?;
    let name: tpm2_types::Tpm2bName = c.params.read()?;
    let seed_in: Tpm2bEncryptedSecret = c.params.read()?;
    c.params.end()?;
    let (oh, nh) = (c.handle(0), c.handle(1));
    if seed_in.is_empty() != (oh == rh::NULL) {
        return Err(Rc::HANDLE.handle(1));
    }
    let inner = if oh != rh::NULL {
        let old = tpm.object_at(oh, 1)?.clone();
        if !storage_by_attributes(&old) || old.sensitive.is_none() {
            return Err(Rc::TYPE.handle(1));
        }
        let seed = tpm
            .recover_secret(&old, DUPLICATE, seed_in.as_slice())
            .map_err(|_| Rc::VALUE.param(3))?;
        let hash = old.public.name_alg.ok_or(Rc::TYPE.handle(1))?;
        let sym = old.public.parms.symmetric().ok_or(Rc::TYPE.handle(1))?;
        let w = Outer {
            hash,
            seed: &seed,
            sym,
        };
        w.unwrap(name.as_slice(), dup.as_slice())
            .map_err(|e| e.param(1))?
    } else {
        Zeroizing::new(dup.as_slice().to_vec())
    };
    let (blob, secret) = if nh != rh::NULL {
        let np = tpm.object_at(nh, 2)?.clone();
        if !storage_by_attributes(&np) {
            return Err(Rc::TYPE.handle(2));
        }
        let hash = np.public.name_alg.ok_or(Rc::TYPE.handle(2))?;
        let sym = np.public.parms.symmetric().ok_or(Rc::TYPE.handle(2))?;
        let (seed, secret) = tpm.share_secret(&np, DUPLICATE).map_err(|e| e.handle(2))?;
        if inner.len() + 2 + hash.digest_size() > MAX_PRIVATE {
            return Err(Rc::SIZE.param(1));
        }
        let w = Outer {
            hash,
            seed: &seed,
            sym,
        };
        (w.wrap(name.as_slice(), &inner), secret)
    } else {
        (inner.to_vec(), Vec::new())
    };
    c.put(&Tpm2bPrivate::from(blob));
    c.put(&Tpm2bEncryptedSecret::from(secret));
    Ok(())
}
