//! Objects (Part 1, §25–27): keys and sealed data as the TPM holds them, their Names,
//! where they live (transient slots, persistent handles) and what authorizes them.
//!
//! - [`template`]: the public-area rules for creating and loading (`TPM_RC_ATTRIBUTES`,
//!   `TPM_RC_SCHEME`, ...).
//! - [`protect`]: the sensitive area wrapped under a parent (`TPM2B_PRIVATE`).
//! - [`derive`]: primary keys as a pure function of a seed and a template, and their cache.
//! - [`derivation`]: children of a derivation parent (TPM2_CreateLoaded).
//! - [`keys`]: the cryptographic key an object holds, parsed once per object.

pub mod derivation;
pub mod derive;
pub mod keys;
pub mod protect;
pub mod template;

use crate::state::{Hierarchy, TransientObject};
use crate::Tpm;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, OnceLock};
use tpm2_crypto::Hasher;
use tpm2_types::constants::{alg, ht, obj_attr, rh};
use tpm2_types::object::{TpmtPublic, TpmtSensitive};
use tpm2_types::{Codec, Rc};

/// An object loaded in a transient slot or stored at a persistent handle.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Object {
    pub public: TpmtPublic,
    /// `None` for a public-only object (`TPM2_LoadExternal` without a sensitive area).
    pub sensitive: Option<TpmtSensitive>,
    #[serde(with = "serde_bytes")]
    pub name: Vec<u8>,
    #[serde(with = "serde_bytes")]
    pub qualified_name: Vec<u8>,
    pub hierarchy: Hierarchy,
    /// A primary object (its parent is a hierarchy).
    pub primary: bool,
    /// Loaded with `TPM2_LoadExternal`: not protected by any parent.
    pub external: bool,
    /// The key parsed from the public and sensitive areas (an RSA key's CRT values take
    /// a while to compute); rebuilt on first use after a state load.
    #[serde(skip)]
    pub key: OnceLock<Arc<keys::Key>>,
}

/// The Name of an object (Part 1, §16): `nameAlg || H_nameAlg(TPMT_PUBLIC)`.
pub fn public_name(public: &TpmtPublic) -> Vec<u8> {
    match public.name_alg {
        None => Vec::new(),
        Some(h) => {
            let mut out = h.id().to_be_bytes().to_vec();
            out.extend(Hasher::new(h).with(&public.to_bytes()).finish());
            out
        }
    }
}

/// The qualified Name of a child of a parent with qualified name `parent_qn` (Part 1,
/// §26.5): `nameAlg || H_nameAlg(parentQN || Name)`. A hierarchy's qualified name is its
/// handle.
pub fn qualified_name(public: &TpmtPublic, parent_qn: &[u8], name: &[u8]) -> Vec<u8> {
    match public.name_alg {
        None => Vec::new(),
        Some(h) => {
            let mut out = h.id().to_be_bytes().to_vec();
            out.extend(Hasher::new(h).with(parent_qn).with(name).finish());
            out
        }
    }
}

/// The handle that names a hierarchy (the parent of its primary objects).
pub fn hierarchy_handle(h: Hierarchy) -> u32 {
    match h {
        Hierarchy::Platform => rh::PLATFORM,
        Hierarchy::Owner => rh::OWNER,
        Hierarchy::Endorsement => rh::ENDORSEMENT,
        Hierarchy::Null => rh::NULL,
    }
}

impl Object {
    pub fn new(
        public: TpmtPublic,
        sensitive: Option<TpmtSensitive>,
        hierarchy: Hierarchy,
        parent_qn: &[u8],
    ) -> Object {
        let name = public_name(&public);
        let qualified_name = qualified_name(&public, parent_qn, &name);
        Object {
            public,
            sensitive,
            name,
            qualified_name,
            hierarchy,
            primary: false,
            external: false,
            key: OnceLock::new(),
        }
    }

    pub fn has(&self, bit: u32) -> bool {
        self.public.has(bit)
    }

    /// A storage parent (Part 1, §27.1): a restricted decryption key that cannot sign.
    pub fn is_storage(&self) -> bool {
        self.has(obj_attr::RESTRICTED)
            && self.has(obj_attr::DECRYPT)
            && !self.has(obj_attr::SIGN_ENCRYPT)
            && self.sensitive.is_some()
            && matches!(self.public.type_alg(), alg::RSA | alg::ECC | alg::SYMCIPHER)
    }

    /// The authValue (empty for a public-only object).
    pub fn auth(&self) -> &[u8] {
        self.sensitive.as_ref().map_or(&[], |s| s.auth.as_slice())
    }

    /// The key, parsed once.
    pub fn key(&self) -> Result<Arc<keys::Key>, Rc> {
        if let Some(k) = self.key.get() {
            return Ok(k.clone());
        }
        let k = Arc::new(keys::Key::from_object(
            &self.public,
            self.sensitive.as_ref(),
        )?);
        Ok(self.key.get_or_init(|| k).clone())
    }
}

/// Where a handle's object is.
impl Tpm {
    /// The object behind a transient or persistent handle.
    pub(crate) fn object(&self, h: u32) -> Option<&Object> {
        match (h >> 24) as u8 {
            ht::TRANSIENT => match self.vol.objects.get(&h) {
                Some(TransientObject::Key(o)) => Some(o),
                _ => None,
            },
            ht::PERSISTENT => self.perm.persistent.get(&h),
            _ => None,
        }
    }

    /// The object behind handle `h`, which the dispatcher found present; `TPM_RC_HANDLE`
    /// on handle `n` if it is not a key or data object (a sequence).
    pub(crate) fn object_at(&self, h: u32, n: usize) -> Result<&Object, Rc> {
        self.object(h).ok_or(Rc::HANDLE.handle(n))
    }

    /// Whether a persistent object's hierarchy is enabled (its handle is usable).
    pub(crate) fn persistent_accessible(&self, h: u32) -> bool {
        self.perm
            .persistent
            .get(&h)
            .is_some_and(|o| self.hierarchy_enabled(o.hierarchy))
    }

    /// Loads an object into a free transient slot.
    pub(crate) fn load_object(&mut self, o: Object) -> Result<u32, Rc> {
        self.load_transient(TransientObject::Key(Box::new(o)))
    }

    /// The qualified name of a parent handle (a hierarchy or a loaded object).
    pub(crate) fn parent_qualified_name(&self, h: u32) -> Vec<u8> {
        match self.object(h) {
            Some(o) => o.qualified_name.clone(),
            None => h.to_be_bytes().to_vec(),
        }
    }
}
