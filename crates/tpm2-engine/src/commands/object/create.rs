//! TPM2_Create (Part 3, §12.1), TPM2_CreatePrimary (§24.1) and TPM2_CreateLoaded (§12.9),
//! and the creation data and ticket the first two return.

use crate::dispatch::handles::hierarchy_of;
use crate::dispatch::Command;
use crate::object::derivation::{
    check_derived_attributes, derive_object, is_derivation_parent, parent_kdf_hash, parse_template,
    Derive,
};
use crate::object::derive::make_object;
use crate::object::protect::Protector;
use crate::object::template::{
    check_create_sensitive, check_generation, check_primary_data, check_public, Parent,
};
use crate::object::{hierarchy_handle, Object};
use crate::state::Hierarchy;
use crate::Tpm;
use tpm2_crypto::Hasher;
use tpm2_types::constants::{alg, obj_attr, st};
use tpm2_types::object::{sized, CreationData, SensitiveCreate, Tpm2bPublic, TpmtPublic};
use tpm2_types::structures::{TpmlPcrSelection, TpmtTicket};
use tpm2_types::{Codec, HashAlg, Rc, Tpm2b, Tpm2bData, Tpm2bDigest};

/// The parameters every creating command starts with.
struct CreateIn {
    sensitive: SensitiveCreate,
    public: Tpm2bPublic,
    outside_info: Tpm2bData,
    creation_pcr: TpmlPcrSelection,
}

fn read_create_in(c: &mut Command<'_>) -> Result<CreateIn, Rc> {
    let sensitive = c.params.read()?;
    let public = c.params.read()?;
    let outside_info = c.params.read()?;
    let creation_pcr = c.params.read()?;
    c.params.end()?;
    Ok(CreateIn {
        sensitive,
        public,
        outside_info,
        creation_pcr,
    })
}

impl Tpm {
    /// The digest of the selected PCRs' current values (PCRs of unallocated banks are
    /// skipped), concatenated in selection order.
    pub(crate) fn pcr_select_digest(&self, alg: HashAlg, sel: &TpmlPcrSelection) -> Vec<u8> {
        let mut d = Hasher::new(alg);
        for s in &sel.0 {
            for p in s.select.iter() {
                if let Some(v) = self.vol.pcrs.value(s.hash, p) {
                    d.update(v);
                }
            }
        }
        d.finish()
    }

    /// The primary seed of a hierarchy.
    pub(crate) fn primary_seed(&self, h: Hierarchy) -> &[u8] {
        match h {
            Hierarchy::Platform => self.perm.pps.as_slice(),
            Hierarchy::Owner => self.perm.sps.as_slice(),
            Hierarchy::Endorsement => self.perm.eps.as_slice(),
            Hierarchy::Null => self.vol.state_reset.null_seed.as_slice(),
        }
    }

    /// A creation ticket (Part 2, §10.7.3): `HMAC(proof, TPM_ST_CREATION || Name ||
    /// creationHash)`.
    pub(crate) fn creation_ticket(
        &mut self,
        hierarchy: u32,
        name: &[u8],
        hash: &[u8],
    ) -> TpmtTicket {
        let proof = self.hierarchy_proof(hierarchy).to_vec();
        let mut m = self.rt.keyed_mac(&proof);
        m.update(&st::CREATION.to_be_bytes());
        m.update(name);
        m.update(hash);
        TpmtTicket {
            tag: st::CREATION,
            hierarchy,
            digest: Tpm2bDigest::from(m.finish()),
        }
    }

    /// Writes creationData, creationHash and creationTicket of a new object.
    #[allow(clippy::too_many_arguments)]
    fn put_creation(
        &mut self,
        c: &mut Command<'_>,
        object: &Object,
        parent: u32,
        locality: u8,
        input: &CreateIn,
    ) {
        let name_alg = object.public.name_alg.unwrap_or(HashAlg::Sha256);
        let (parent_name_alg, parent_name, parent_qn) = match self.object(parent) {
            Some(p) => (
                p.public.name_alg.map_or(alg::NULL, |h| h.id()),
                p.name.clone(),
                p.qualified_name.clone(),
            ),
            None => (
                alg::NULL,
                parent.to_be_bytes().to_vec(),
                parent.to_be_bytes().to_vec(),
            ),
        };
        let data = CreationData {
            pcr_select: input.creation_pcr.clone(),
            pcr_digest: Tpm2b(self.pcr_select_digest(name_alg, &input.creation_pcr)),
            locality: 1 << locality.min(4),
            parent_name_alg,
            parent_name: Tpm2b(parent_name),
            parent_qualified_name: Tpm2b(parent_qn),
            outside_info: input.outside_info.clone(),
        };
        let bytes = data.to_bytes();
        let hash = Hasher::new(name_alg).with(&bytes).finish();
        let hierarchy = hierarchy_handle(object.hierarchy);
        let ticket = self.creation_ticket(hierarchy, &object.name, &hash);
        sized(&mut c.out, |o| o.extend_from_slice(&bytes));
        c.put(&Tpm2bDigest::from(hash));
        c.put(&ticket);
    }

    /// Makes a child of the storage parent at handle 1: the validated template, a fresh
    /// secret, its sensitive area wrapped under the parent.
    fn create_child(&mut self, parent_h: u32, input: &CreateIn) -> Result<(Object, Vec<u8>), Rc> {
        let parent = self.object_at(parent_h, 1)?;
        if !parent.is_storage() {
            return Err(Rc::TYPE.handle(1));
        }
        let public = &input.public.0;
        check_create_sensitive(public, input.sensitive.data.len(), false, 2)?;
        check_public(public, Parent::Object(parent), 2, true)?;
        check_auth_size(public, &input.sensitive)?;
        check_primary_data(public, input.sensitive.data.len())?;
        check_generation(public)?;
        let hierarchy = parent.hierarchy;
        let parent_qn = parent.qualified_name.clone();
        let (public, mut sensitive) = {
            let rng = &mut self.rt.drbg;
            make_object(public, input.sensitive.data.as_slice(), rng)?
        };
        sensitive.auth = input.sensitive.user_auth.clone();
        let object = Object::new(public, Some(sensitive), hierarchy, &parent_qn);
        let parent = self.object_at(parent_h, 1)?;
        let protector = Protector::of(parent).ok_or(Rc::TYPE.handle(1))?;
        let private = protector.wrap(&object.name, object.sensitive.as_ref().ok_or(Rc::FAILURE)?);
        Ok((object, private))
    }
}

/// The new object's authValue, trailing zeros removed, is no longer than its nameAlg's
/// digest (`TPM_RC_SIZE` on inSensitive).
fn check_auth_size(public: &TpmtPublic, s: &SensitiveCreate) -> Result<(), Rc> {
    let limit = public.name_alg.map_or(0, |h| h.digest_size());
    if crate::dispatch::auth::trim_zeros(s.user_auth.as_slice()).len() > limit {
        return Err(Rc::SIZE.param(1));
    }
    Ok(())
}

/// TPM2_Create: a child object returned wrapped (not loaded).
pub fn create(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let input = read_create_in(c)?;
    let parent = c.handle(0);
    let (object, private) = tpm.create_child(parent, &input)?;
    c.put(&Tpm2b::<{ tpm2_types::object::MAX_PRIVATE }>(private));
    c.put(&Tpm2bPublic(object.public.clone()));
    tpm.put_creation(c, &object, parent, c.locality, &input);
    Ok(())
}

/// TPM2_CreatePrimary: a primary object derived from the hierarchy's seed, loaded.
pub fn create_primary(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let input = read_create_in(c)?;
    let handle = c.handle(0);
    let object = tpm.make_primary(handle, &input)?;
    let h = tpm.load_object(object.clone())?;
    c.out_handle = Some(h);
    c.put(&Tpm2bPublic(object.public.clone()));
    tpm.put_creation(c, &object, handle, c.locality, &input);
    c.put(&Tpm2b::<{ tpm2_types::MAX_DIGEST_SIZE + 2 }>(
        object.name.clone(),
    ));
    Ok(())
}

impl Tpm {
    /// The primary object `input` asks of the hierarchy at handle 1 (checked, derived;
    /// not yet loaded, but a slot is known to be free).
    fn make_primary(&mut self, handle: u32, input: &CreateIn) -> Result<Object, Rc> {
        let hierarchy = hierarchy_of(handle).ok_or(Rc::HIERARCHY.handle(1))?;
        let public = &input.public.0;
        check_create_sensitive(public, input.sensitive.data.len(), true, 2)?;
        check_public(public, Parent::Hierarchy, 2, true)?;
        check_auth_size(public, &input.sensitive)?;
        check_primary_data(public, input.sensitive.data.len())?;
        check_generation(public)?;
        if self.free_object_slots() == 0 {
            return Err(Rc::OBJECT_MEMORY);
        }
        let seed = self.primary_seed(hierarchy).to_vec();
        let derived = self.derive_primary(&seed, public, input.sensitive.data.as_slice())?;
        let mut sensitive = derived.sensitive;
        sensitive.auth = input.sensitive.user_auth.clone();
        let mut object = Object::new(
            derived.public,
            Some(sensitive),
            hierarchy,
            &handle.to_be_bytes(),
        );
        object.primary = true;
        let _ = object.key.set(derived.parsed);
        Ok(object)
    }
}

/// TPM2_CreateLoaded (Part 3, §12.9): a primary object (the parent is a hierarchy), a
/// child of a storage parent, or a derived object (the parent is a derivation parent),
/// created and loaded in one command; no creation data. In the reference's order: the
/// parent's kind (`TPM_RC_TYPE` on it), a free slot, the template (a `TPM2B_TEMPLATE`
/// read by the parent's kind, errors on parameter 2), the authValue's size, then the
/// checks of the kind of creation.
pub fn create_loaded(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let sensitive: SensitiveCreate = c.params.read()?;
    let template: Tpm2b<{ tpm2_types::object::MAX_PUBLIC }> = c.params.read()?;
    c.params.end()?;
    let parent = c.handle(0);
    let derivation = match hierarchy_of(parent) {
        Some(_) => false,
        None => {
            let p = tpm.object_at(parent, 1)?;
            let derivation = is_derivation_parent(p);
            if !derivation && !p.is_storage() {
                return Err(Rc::TYPE.handle(1));
            }
            derivation
        }
    };
    if tpm.free_object_slots() == 0 {
        return Err(Rc::OBJECT_MEMORY);
    }
    let (public, derive) =
        parse_template(template.as_slice(), derivation).map_err(|e| e.param(2))?;
    check_auth_size(&public, &sensitive)?;
    let (object, private) = if derivation {
        // A derived object is re-made from its parent, never loaded from a blob: no
        // private area.
        let object = tpm.make_derived(parent, &public, derive, &sensitive)?;
        (object, Vec::new())
    } else {
        let input = CreateIn {
            sensitive,
            public: Tpm2bPublic(public),
            outside_info: Tpm2bData::empty(),
            creation_pcr: TpmlPcrSelection(Vec::new()),
        };
        if hierarchy_of(parent).is_some() {
            (tpm.make_primary(parent, &input)?, Vec::new())
        } else {
            tpm.create_child(parent, &input)?
        }
    };
    let (public, name) = (object.public.clone(), object.name.clone());
    let h = tpm.load_object(object)?;
    c.out_handle = Some(h);
    c.put(&Tpm2b::<{ tpm2_types::object::MAX_PRIVATE }>(private));
    c.put(&Tpm2bPublic(public));
    c.put(&Tpm2b::<{ tpm2_types::MAX_DIGEST_SIZE + 2 }>(name));
    Ok(())
}

impl Tpm {
    /// The child `public` (its unique field read as `derive`) of the derivation parent at
    /// handle 1, made from the parent's sensitive value (Part 3, §12.9: RSA is
    /// `TPM_RC_TYPE`, `sensitiveDataOrigin` SET `TPM_RC_ATTRIBUTES` without a number; then the rules of any child and of a
    /// derived one; a malformed `TPMS_DERIVE` in `inSensitive.data` is its unmarshalling
    /// code without a parameter number).
    fn make_derived(
        &mut self,
        parent_h: u32,
        public: &TpmtPublic,
        mut derive: Derive,
        sensitive: &SensitiveCreate,
    ) -> Result<Object, Rc> {
        let parent = self.object_at(parent_h, 1)?;
        if public.type_alg() == alg::RSA {
            return Err(Rc::TYPE.param(2));
        }
        if public.has(obj_attr::SENSITIVE_DATA_ORIGIN) {
            // Without a parameter number, as the reference returns it.
            return Err(Rc::ATTRIBUTES);
        }
        check_derived_attributes(public, parent).map_err(|e| e.param(2))?;
        check_public(public, Parent::Object(parent), 2, true)?;
        derive.complete_from(sensitive.data.as_slice())?;
        let hash = parent_kdf_hash(parent)?;
        let key = parent
            .sensitive
            .as_ref()
            .ok_or(Rc::FAILURE)?
            .sensitive
            .as_slice();
        let (public, mut s) = derive_object(hash, key, public, &derive)?;
        s.auth = sensitive.user_auth.clone();
        Ok(Object::new(
            public,
            Some(s),
            parent.hierarchy,
            &parent.qualified_name,
        ))
    }
}

impl Tpm {
    /// Free transient object slots.
    pub(crate) fn free_object_slots(&self) -> usize {
        crate::commands::capability::MAX_LOADED_OBJECTS.saturating_sub(self.vol.objects.len())
    }
}
