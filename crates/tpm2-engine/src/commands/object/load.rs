//! TPM2_Load (Part 3, §12.2), TPM2_LoadExternal (§12.3), TPM2_ReadPublic (§12.4),
//! TPM2_Unseal (§12.7), TPM2_ObjectChangeAuth (§12.8).

use crate::dispatch::handles::hierarchy_of;
use crate::dispatch::Command;
use crate::object::keys::Key;
use crate::object::protect::Protector;
use crate::object::template::{check_public, Parent};
use crate::object::Object;
use crate::state::{Hierarchy, TransientObject};
use crate::Tpm;
use std::sync::Arc;
use tpm2_types::constants::{alg, ht, obj_attr, rh};
use tpm2_types::object::{Tpm2bPublic, TpmtSensitive, Unique, MAX_PRIVATE};
use tpm2_types::{Rc, Tpm2b, Tpm2bAuth, Tpm2bName};

type Tpm2bPrivate = Tpm2b<MAX_PRIVATE>;

/// Checks that a sensitive area (parameter 1) belongs to its public area (parameter 2)
/// and parses the key, with libtpms's codes: another type or an authValue longer than
/// the nameAlg's digest `TPM_RC_TYPE`/`TPM_RC_SIZE` on the sensitive area, a symmetric
/// key of the wrong size `TPM_RC_KEY_SIZE` on it, a key that does not match the public
/// area `TPM_RC_BINDING` (from the key check, without a parameter number), an unusable
/// public key `TPM_RC_KEY` on the public area.
pub(crate) fn bind(public: &tpm2_types::object::TpmtPublic, s: &TpmtSensitive) -> Result<Key, Rc> {
    if s.type_alg != public.type_alg() {
        return Err(Rc::TYPE.param(1));
    }
    let limit = public.name_alg.map_or(0, |h| h.digest_size());
    if s.auth.len() > limit {
        return Err(Rc::SIZE.param(1));
    }
    if let tpm2_types::object::PublicParms::SymCipher(d) = &public.parms {
        if s.sensitive.len() * 8 != d.key_bits as usize {
            return Err(Rc::KEY_SIZE.param(1));
        }
    }
    if let Unique::Digest(u) = &public.unique {
        // KEYEDHASH and SYMCIPHER: unique = H(seedValue || sensitive), or an HMAC for a
        // parent.
        let Some(name_alg) = public.name_alg else {
            return Err(Rc::BINDING);
        };
        let want = crate::object::derive::symmetric_unique(
            public,
            name_alg,
            s.seed.as_slice(),
            &s.sensitive,
        );
        if u.as_slice() != want.as_slice() {
            return Err(Rc::BINDING);
        }
    }
    Key::from_object(public, Some(s)).map_err(public_key_error)
}

/// The code of a key check for a public area (parameter 2): a point off the curve is
/// `TPM_RC_KEY` there, as libtpms reports it; `TPM_RC_BINDING` has no number.
fn public_key_error(rc: Rc) -> Rc {
    if rc == Rc::BINDING {
        rc
    } else if rc == Rc::ECC_POINT {
        Rc::KEY.param(2)
    } else {
        rc.param(2)
    }
}

/// TPM2_Load: a child wrapped by Create, under the storage parent at handle 1.
pub fn load(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let private: Tpm2bPrivate = c.params.read()?;
    let public: Tpm2bPublic = c.params.read()?;
    c.params.end()?;
    let parent_h = c.handle(0);
    let parent = tpm.object_at(parent_h, 1)?;
    if !parent.is_storage() {
        return Err(Rc::TYPE.handle(1));
    }
    if tpm.free_object_slots() == 0 {
        return Err(Rc::OBJECT_MEMORY);
    }
    let parent = tpm.object_at(parent_h, 1)?;
    check_public(&public.0, Parent::Object(parent), 2, false)?;
    let protector = Protector::of(parent).ok_or(Rc::TYPE.handle(1))?;
    // The integrity value's size must fit in the private (libtpms: TPM_RC_SIZE).
    let p = private.as_slice();
    let integrity = p
        .get(..2)
        .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]) as usize);
    if p.len() < 2 || integrity > p.len() - 2 {
        return Err(Rc::SIZE.param(1));
    }
    let name = crate::object::public_name(&public.0);
    let sensitive = protector
        .unwrap(&name, private.as_slice())
        // A private too short for its integrity value: TPM_RC_SIZE, as libtpms.
        .map_err(|e| if e == Rc::INSUFFICIENT { Rc::SIZE } else { e }.param(1))?;
    let key = bind(&public.0, &sensitive)?;
    let object = Object::new(
        public.0,
        Some(sensitive),
        parent.hierarchy,
        &parent.qualified_name.clone(),
    );
    let _ = object.key.set(Arc::new(key));
    let name = object.name.clone();
    let h = tpm.load_object(object)?;
    c.out_handle = Some(h);
    c.put(&Tpm2bName::from(name));
    Ok(())
}

/// TPM2_LoadExternal: a public key, or a whole key that is not protected by this TPM
/// (then only in the NULL hierarchy and never fixed to a TPM or a parent).
pub fn load_external(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let sensitive: Option<TpmtSensitive> = c.params.read_with(|r| {
        let n = r.u16()?;
        if n == 0 {
            return Ok(None);
        }
        let mut sub = r.sub(n as usize)?;
        let s = <TpmtSensitive as tpm2_types::Codec>::read(&mut sub)?;
        if !sub.is_empty() {
            return Err(Rc::SIZE);
        }
        Ok(Some(s))
    })?;
    let public: Tpm2bPublic = c.params.read_with(|r| Tpm2bPublic::read_opt(r, true))?;
    let hierarchy_h = c.params.read_with(|r| match r.u32()? {
        h @ (rh::OWNER | rh::ENDORSEMENT | rh::PLATFORM | rh::NULL) => Ok(h),
        _ => Err(Rc::VALUE),
    })?;
    c.params.end()?;
    let hierarchy = hierarchy_of(hierarchy_h).ok_or(Rc::VALUE.param(3))?;
    if !tpm.hierarchy_enabled(hierarchy) {
        return Err(Rc::HIERARCHY.param(3));
    }
    let public = public.0;
    if sensitive.is_some() {
        if public.has(obj_attr::FIXED_TPM) || public.has(obj_attr::FIXED_PARENT) {
            return Err(Rc::ATTRIBUTES.param(2));
        }
        if hierarchy != Hierarchy::Null {
            return Err(Rc::HIERARCHY.param(3));
        }
    }
    check_public(&public, Parent::None, 2, false)?;
    if tpm.free_object_slots() == 0 {
        return Err(Rc::OBJECT_MEMORY);
    }
    let key = match &sensitive {
        Some(s) => bind(&public, s)?,
        None => Key::from_object(&public, None).map_err(public_key_error)?,
    };
    let mut object = Object::new(public, sensitive, hierarchy, &hierarchy_h.to_be_bytes());
    object.external = true;
    let _ = object.key.set(Arc::new(key));
    let h = tpm.load_object(object)?;
    // An object without a nameAlg has an empty Name here (libtpms returns the Name it
    // computed: none); authorizations name it by its handle.
    let name = tpm.object(h).map(|o| o.name.clone()).unwrap_or_default();
    c.out_handle = Some(h);
    c.put(&Tpm2bName::from(name));
    Ok(())
}

/// TPM2_ReadPublic: public area, Name and qualified Name (not of a sequence object).
pub fn read_public(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    c.params.end()?;
    let h = c.handle(0);
    if let Some(TransientObject::Sequence(_)) = tpm.vol.objects.get(&h) {
        return Err(Rc::SEQUENCE.handle(1));
    }
    let o = tpm.object_at(h, 1)?;
    let (public, name, qn) = (o.public.clone(), o.name.clone(), o.qualified_name.clone());
    c.put(&Tpm2bPublic(public));
    c.put(&Tpm2bName::from(name));
    c.put(&Tpm2bName::from(qn));
    Ok(())
}

/// TPM2_Unseal: the data of a sealed data object (a KEYEDHASH object that is neither a
/// signing nor a decryption key).
pub fn unseal(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    c.params.end()?;
    let o = tpm.object_at(c.handle(0), 1)?;
    if o.public.type_alg() != alg::KEYEDHASH {
        return Err(Rc::TYPE.handle(1));
    }
    if o.has(obj_attr::RESTRICTED) || o.has(obj_attr::DECRYPT) || o.has(obj_attr::SIGN_ENCRYPT) {
        return Err(Rc::ATTRIBUTES.handle(1));
    }
    let data = o
        .sensitive
        .as_ref()
        .map(|s| s.sensitive.clone())
        .unwrap_or_default();
    c.put(&Tpm2b::<{ tpm2_types::object::MAX_SYM_DATA }>(data));
    Ok(())
}

/// TPM2_ObjectChangeAuth: the object's sensitive area with a new authValue, wrapped again
/// under its parent (the loaded object keeps its old authValue).
pub fn object_change_auth(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let new_auth: Tpm2bAuth = c.params.read()?;
    c.params.end()?;
    let (oh, ph) = (c.handle(0), c.handle(1));
    if (oh >> 24) as u8 != ht::TRANSIENT {
        return Err(Rc::HANDLE.handle(1));
    }
    let o = tpm.object_at(oh, 1)?;
    if o.primary || o.external {
        return Err(Rc::TYPE.handle(1));
    }
    let name_alg = o.public.name_alg.ok_or(Rc::TYPE.handle(1))?;
    if crate::dispatch::auth::trim_zeros(new_auth.as_slice()).len() > name_alg.digest_size() {
        return Err(Rc::SIZE.param(1));
    }
    // The parent must be the object's parent: its qualified name and the object's Name
    // give the object's qualified name.
    let parent_qn = tpm.parent_qualified_name(ph);
    if crate::object::qualified_name(&o.public, &parent_qn, &o.name) != o.qualified_name {
        return Err(Rc::TYPE.handle(2));
    }
    let mut sensitive = o.sensitive.clone().ok_or(Rc::TYPE.handle(1))?;
    sensitive.auth = new_auth;
    let name = o.name.clone();
    let parent = tpm.object_at(ph, 2)?;
    let protector = Protector::of(parent).ok_or(Rc::TYPE.handle(2))?;
    let private = protector.wrap(&name, &sensitive);
    c.put(&Tpm2bPrivate::from(private));
    Ok(())
}
