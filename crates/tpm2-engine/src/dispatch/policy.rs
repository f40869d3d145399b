//! Authorization with a policy session (Part 1, §19.7): which entities have a usable
//! authPolicy, and whether what the session asserted satisfies it for this command.

use super::auth::{AuthCtx, Role};
use crate::state::PolicyDigest;
use crate::Tpm;
use tpm2_types::constants::{cc, ht, nv_attr, rh};
use tpm2_types::{HashAlg, Rc};

/// The NV commands that write (their index authorization uses `POLICYWRITE`).
fn is_nv_write(code: u32) -> bool {
    matches!(
        code,
        cc::NV_WRITE | cc::NV_INCREMENT | cc::NV_SET_BITS | cc::NV_EXTEND | cc::NV_WRITE_LOCK
    )
}

impl Tpm {
    /// The authPolicy of an entity and its hash (`TPM_ALG_NULL` and empty when it has
    /// none): hierarchies and lockout as set by `TPM2_SetPrimaryPolicy`, NV indices their
    /// own, PCRs of a policy group the group's.
    pub(crate) fn entity_auth_policy(&self, h: u32) -> (Option<HashAlg>, &[u8]) {
        fn from(p: &PolicyDigest) -> (Option<HashAlg>, &[u8]) {
            (p.alg, p.digest.as_slice())
        }
        match (h >> 24) as u8 {
            ht::PERMANENT => match h {
                rh::OWNER => from(&self.perm.owner_policy),
                rh::ENDORSEMENT => from(&self.perm.endorsement_policy),
                rh::LOCKOUT => from(&self.perm.lockout_policy),
                rh::PLATFORM => from(&self.vol.state_clear.platform_policy),
                _ => (None, &[]),
            },
            ht::NV_INDEX => match self.perm.nv.get(&h) {
                Some(ix) => (Some(ix.public.name_alg), ix.public.auth_policy.as_slice()),
                None => (None, &[]),
            },
            ht::PCR if crate::pcr::pc_client::POLICY.is_set(h as usize) => {
                from(&self.perm.pcr_policy)
            }
            ht::TRANSIENT | ht::PERSISTENT => match self.object(h) {
                Some(o) => (o.public.name_alg, o.public.auth_policy.as_slice()),
                None => (None, &[]),
            },
            _ => (None, &[]),
        }
    }

    /// Whether a policy may authorize `h` (Part 4 `IsAuthPolicyAvailable`): a hierarchy
    /// or lockout with a policy set; an NV index with a policy whose attributes allow it
    /// for this use (`POLICYWRITE` for writes, `POLICYREAD` for the rest, always for the
    /// ADMIN role); a PCR in a policy group. Never a sequence object.
    pub(crate) fn auth_policy_available(&self, h: u32, role: Role, code: u32) -> bool {
        match (h >> 24) as u8 {
            ht::PERMANENT => !self.entity_auth_policy(h).1.is_empty(),
            ht::NV_INDEX => {
                let Some(ix) = self.perm.nv.get(&h) else {
                    return false;
                };
                if ix.public.auth_policy.is_empty() {
                    false
                } else if role != Role::User {
                    true
                } else if is_nv_write(code) {
                    ix.public.has(nv_attr::POLICYWRITE)
                } else {
                    ix.public.has(nv_attr::POLICYREAD)
                }
            }
            ht::PCR => crate::pcr::pc_client::POLICY.is_set(h as usize),
            ht::TRANSIENT | ht::PERSISTENT => self
                .object(h)
                .is_some_and(|o| !o.public.auth_policy.is_empty()),
            _ => false,
        }
    }

    /// Whether policy session `sh` satisfies the authPolicy of `h` for this command
    /// (Part 4 `CheckPolicyAuthSession`): PCRs unchanged since `TPM2_PolicyPCR`
    /// (`TPM_RC_PCR_CHANGED`), the digest and its hash equal to the entity's
    /// (`TPM_RC_POLICY_FAIL`), the command code asserted (`TPM_RC_POLICY_CC`; ADMIN and DUP
    /// roles need one), the locality asserted (`TPM_RC_LOCALITY`).
    pub(crate) fn check_policy(
        &self,
        ctx: &AuthCtx<'_>,
        sh: u32,
        h: u32,
        role: Role,
        locality: u8,
    ) -> Result<(), Rc> {
        let Some(s) = self.session(sh) else {
            return Err(Rc::HANDLE);
        };
        let p = &s.policy;
        if p.pcr_counter
            .is_some_and(|c| c != self.vol.state_reset.pcr_update_counter)
        {
            return Err(Rc::PCR_CHANGED);
        }
        let (alg, digest) = self.entity_auth_policy(h);
        if !tpm2_crypto::ct_eq(&p.digest, digest) || alg != Some(s.hash) {
            return Err(Rc::POLICY_FAIL);
        }
        match p.command_code {
            Some(c) if c != ctx.code => return Err(Rc::POLICY_CC),
            None if role != Role::User => return Err(Rc::POLICY_FAIL),
            _ => {}
        }
        if p.locality != 0 {
            // TPMA_LOCALITY: bits 0–4 for localities 0–4, or an extended locality (> 31).
            let ok = if locality < 5 {
                p.locality <= 31 && p.locality & (1 << locality) != 0
            } else {
                locality > 31 && p.locality == locality
            };
            if !ok {
                return Err(Rc::LOCALITY);
            }
        }
        Ok(())
    }
}
