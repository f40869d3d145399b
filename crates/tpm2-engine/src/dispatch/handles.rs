//! Handle interface types (`TPMI_` handle types of Part 2) and the entity rules the
//! dispatcher applies to them: value checks, presence, authorization values, DA exemption.

use crate::state::Hierarchy;
use crate::Tpm;
use tpm2_types::constants::{ht, nv_attr, rh};
use tpm2_types::structures::IMPLEMENTATION_PCR;
use tpm2_types::Rc;

/// The `TPMI_` type of a command handle; decides which values unmarshal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandleType {
    /// `TPMI_RH_HIERARCHY_AUTH`: owner, endorsement, platform, lockout.
    HierarchyAuth,
    /// `TPMI_RH_HIERARCHY_POLICY`: the same four (ACT handles are not implemented).
    HierarchyPolicy,
    /// `TPMI_RH_HIERARCHY`: owner, endorsement, platform (+ null when allowed).
    Hierarchy { null: bool },
    /// `TPMI_RH_PLATFORM`.
    Platform,
    /// `TPMI_RH_PROVISION`: owner or platform.
    Provision,
    /// `TPMI_RH_CLEAR`: lockout or platform.
    Clear,
    /// `TPMI_RH_LOCKOUT`.
    Lockout,
    /// `TPMI_RH_NV_AUTH`: platform, owner or an NV index.
    NvAuth,
    /// `TPMI_RH_NV_INDEX`.
    NvIndex,
    /// `TPMI_DH_PCR` (+ null when allowed).
    Pcr { null: bool },
    /// `TPMI_DH_OBJECT`: a transient or persistent object (+ null when allowed).
    Object { null: bool },
    /// `TPMI_DH_ENTITY`: anything with an authValue — the hierarchies and lockout,
    /// objects, NV indices, PCRs (+ null when allowed).
    Entity { null: bool },
    /// `TPMI_SH_POLICY`: a policy session handle.
    PolicySession,
    /// `TPMI_SH_HMAC`: an HMAC session handle.
    HmacSession,
    /// `TPMI_RH_ENDORSEMENT`: the endorsement hierarchy only.
    Endorsement,
    /// `TPMI_DH_CONTEXT`: a transient object or a session.
    Context,
    /// `TPMI_DH_PARENT+`: a transient or persistent object, or a hierarchy (owner,
    /// endorsement, platform, null).
    Parent,
}

impl HandleType {
    /// Whether `h` is a value of this type (`TPM_RC_VALUE` otherwise).
    pub fn accepts(self, h: u32) -> bool {
        use HandleType::*;
        let top = (h >> 24) as u8;
        match self {
            HierarchyAuth | HierarchyPolicy => {
                matches!(h, rh::OWNER | rh::ENDORSEMENT | rh::PLATFORM | rh::LOCKOUT)
            }
            Hierarchy { null } => {
                matches!(h, rh::OWNER | rh::ENDORSEMENT | rh::PLATFORM) || (null && h == rh::NULL)
            }
            Platform => h == rh::PLATFORM,
            Provision => matches!(h, rh::OWNER | rh::PLATFORM),
            Clear => matches!(h, rh::LOCKOUT | rh::PLATFORM),
            Lockout => h == rh::LOCKOUT,
            NvAuth => matches!(h, rh::OWNER | rh::PLATFORM) || top == ht::NV_INDEX,
            NvIndex => top == ht::NV_INDEX,
            Pcr { null } => (h as usize) < IMPLEMENTATION_PCR || (null && h == rh::NULL),
            Object { null } => {
                top == ht::TRANSIENT || top == ht::PERSISTENT || (null && h == rh::NULL)
            }
            Entity { null } => {
                matches!(h, rh::OWNER | rh::ENDORSEMENT | rh::PLATFORM | rh::LOCKOUT)
                    || (null && h == rh::NULL)
                    || matches!(top, ht::TRANSIENT | ht::PERSISTENT | ht::NV_INDEX)
                    || (h as usize) < IMPLEMENTATION_PCR
            }
            HmacSession => {
                top == ht::HMAC_SESSION
                    && crate::session::slot(h) < crate::session::MAX_ACTIVE_SESSIONS
            }
            Endorsement => h == rh::ENDORSEMENT,
            PolicySession => {
                top == ht::POLICY_SESSION
                    && crate::session::slot(h) < crate::session::MAX_ACTIVE_SESSIONS
            }
            Parent => {
                matches!(top, ht::TRANSIENT | ht::PERSISTENT)
                    || matches!(h, rh::OWNER | rh::ENDORSEMENT | rh::PLATFORM | rh::NULL)
            }
            Context => {
                top == ht::TRANSIENT
                    || (matches!(top, ht::HMAC_SESSION | ht::POLICY_SESSION)
                        && crate::session::slot(h) < crate::session::MAX_ACTIVE_SESSIONS)
            }
        }
    }
}

/// The hierarchy a permanent handle names.
pub fn hierarchy_of(h: u32) -> Option<Hierarchy> {
    match h {
        rh::OWNER => Some(Hierarchy::Owner),
        rh::ENDORSEMENT => Some(Hierarchy::Endorsement),
        rh::PLATFORM => Some(Hierarchy::Platform),
        rh::NULL => Some(Hierarchy::Null),
        _ => None,
    }
}

impl Tpm {
    /// Whether a hierarchy is enabled (`TPMA_STARTUP_CLEAR`).
    pub(crate) fn hierarchy_enabled(&self, h: Hierarchy) -> bool {
        let sc = &self.vol.state_clear;
        match h {
            Hierarchy::Platform => sc.ph_enable,
            Hierarchy::Owner => sc.sh_enable,
            Hierarchy::Endorsement => sc.eh_enable,
            Hierarchy::Null => true,
        }
    }

    /// Whether an NV index is accessible: defined, and its hierarchy's NV is enabled
    /// (platform indices need `phEnableNV`, others `shEnable`).
    pub(crate) fn nv_index_accessible(&self, h: u32) -> bool {
        match self.perm.nv.get(&h) {
            None => false,
            Some(ix) => {
                if ix.public.has(nv_attr::PLATFORMCREATE) {
                    self.vol.state_clear.ph_enable_nv
                } else {
                    self.vol.state_clear.sh_enable
                }
            }
        }
    }

    /// Checks that the entity a handle names is present and usable
    /// (`EntityGetLoadStatus`): `Ok` or the code before the handle number is added.
    pub(crate) fn entity_status(&self, h: u32) -> Result<(), Rc> {
        match (h >> 24) as u8 {
            ht::PERMANENT => match h {
                rh::OWNER | rh::ENDORSEMENT | rh::PLATFORM | rh::NULL => {
                    let hier = hierarchy_of(h).ok_or(Rc::HANDLE)?;
                    if self.hierarchy_enabled(hier) {
                        Ok(())
                    } else {
                        Err(Rc::HIERARCHY)
                    }
                }
                rh::LOCKOUT => Ok(()),
                _ => Err(Rc::VALUE),
            },
            ht::NV_INDEX => {
                if self.nv_index_accessible(h) {
                    Ok(())
                } else {
                    Err(Rc::HANDLE)
                }
            }
            ht::PCR => Ok(()),
            ht::HMAC_SESSION | ht::POLICY_SESSION => {
                if self.session_slot_loaded(h) {
                    Ok(())
                } else {
                    Err(Rc::REFERENCE_H0)
                }
            }
            ht::TRANSIENT => {
                if self.vol.objects.contains_key(&h) {
                    Ok(())
                } else {
                    Err(Rc::REFERENCE_H0)
                }
            }
            // A persistent object whose hierarchy is disabled is not there
            // (`ObjectLoadEvict`).
            ht::PERSISTENT => {
                if self.persistent_accessible(h) {
                    Ok(())
                } else {
                    Err(Rc::HANDLE)
                }
            }
            _ => Err(Rc::HANDLE),
        }
    }

    /// The authValue of an entity (before trailing zeros are removed).
    pub(crate) fn entity_auth(&self, h: u32) -> &[u8] {
        match (h >> 24) as u8 {
            ht::PERMANENT => match h {
                rh::OWNER => self.perm.owner_auth.as_slice(),
                rh::ENDORSEMENT => self.perm.endorsement_auth.as_slice(),
                rh::LOCKOUT => self.perm.lockout_auth.as_slice(),
                rh::PLATFORM => self.vol.state_clear.platform_auth.as_slice(),
                _ => &[],
            },
            ht::NV_INDEX => self.perm.nv.get(&h).map_or(&[], |ix| ix.auth.as_slice()),
            ht::PCR if crate::pcr::pc_client::AUTH.is_set(h as usize) => {
                self.vol.state_clear.pcr_auth.as_slice()
            }
            ht::TRANSIENT => match self.vol.objects.get(&h) {
                Some(crate::state::TransientObject::Sequence(s)) => s.auth.as_slice(),
                Some(crate::state::TransientObject::Key(o)) => o.auth(),
                None => &[],
            },
            ht::PERSISTENT => self.perm.persistent.get(&h).map_or(&[], |o| o.auth()),
            _ => &[],
        }
    }

    /// Whether an authorization failure for this entity counts toward lockout
    /// (Part 1, §19.8.2: hierarchy authorizations and PCRs are exempt; NV indices with
    /// `TPMA_NV_NO_DA` are exempt; lockoutAuth has its own rule). Hash and event sequence
    /// objects are created with `noDA` set (Part 4, ObjectCreateHashSequence).
    pub(crate) fn is_da_protected(&self, h: u32) -> bool {
        match (h >> 24) as u8 {
            ht::PERMANENT | ht::PCR => false,
            ht::TRANSIENT | ht::PERSISTENT => match self.object(h) {
                Some(o) => !o.has(tpm2_types::constants::obj_attr::NO_DA),
                None => !matches!(
                    self.vol.objects.get(&h),
                    Some(crate::state::TransientObject::Sequence(_))
                ),
            },
            ht::NV_INDEX => self
                .perm
                .nv
                .get(&h)
                .is_some_and(|ix| !ix.public.has(nv_attr::NO_DA)),
            _ => true,
        }
    }
}
