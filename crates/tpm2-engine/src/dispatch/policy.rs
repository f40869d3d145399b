//! Authorization with a policy session (Part 1, §19.7): which entities have a usable
//! authPolicy, and whether what the session asserted satisfies it for this command.

use super::auth::{AuthCtx, Role};
use crate::state::{BoundHash, PolicyDigest};
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
    /// (Part 4 `CheckPolicyAuthSession`, in its order): TPM2_PolicySecret authorized by a
    /// policy that does not use the authValue (`TPM_RC_MODE`); PCRs unchanged since
    /// `TPM2_PolicyPCR` (`TPM_RC_PCR_CHANGED`); the digest and its hash equal to the
    /// entity's (`TPM_RC_POLICY_FAIL`); not past a PolicySigned/Secret/Ticket expiration
    /// (`TPM_RC_EXPIRED`); the command code asserted (`TPM_RC_POLICY_CC`; ADMIN and DUP
    /// roles need one); the locality (`TPM_RC_LOCALITY`); physical presence, which this
    /// platform never asserts (`TPM_RC_PP`); the bound cpHash, nameHash or template hash
    /// and the NV written state (`TPM_RC_POLICY_FAIL`).
    pub(crate) fn check_policy(
        &self,
        ctx: &mut AuthCtx<'_>,
        sh: u32,
        h: u32,
        role: Role,
        locality: u8,
    ) -> Result<(), Rc> {
        let Some(s) = self.session(sh) else {
            return Err(Rc::HANDLE);
        };
        let p = &s.policy;
        if ctx.code == cc::POLICY_SECRET && !p.password_needed && !p.auth_value_needed {
            return Err(Rc::MODE);
        }
        if p.pcr_counter
            .is_some_and(|c| c != self.vol.state_reset.pcr_update_counter)
        {
            return Err(Rc::PCR_CHANGED);
        }
        let (alg, digest) = self.entity_auth_policy(h);
        if !tpm2_crypto::ct_eq(&p.digest, digest) || alg != Some(s.hash) {
            return Err(Rc::POLICY_FAIL);
        }
        if p.timeout != 0 && p.timeout < self.vol.time_ms {
            return Err(Rc::EXPIRED);
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
        if p.pp_required {
            return Err(Rc::PP);
        }
        let ok = match &p.bound_hash {
            None => true,
            Some(BoundHash::Cp(want)) => {
                let (hash, want) = (s.hash, want.clone());
                tpm2_crypto::ct_eq(&ctx.cp_hash(self, hash), &want)
            }
            Some(BoundHash::Name(want)) => {
                let mut d = tpm2_crypto::Hasher::new(s.hash);
                for x in &ctx.handles[..ctx.n_handles] {
                    d.update(&self.entity_name(*x));
                }
                tpm2_crypto::ct_eq(&d.finish(), want)
            }
            Some(BoundHash::Template(want)) => {
                template_hash(ctx.code, ctx.params, s.hash).is_some_and(|d| d == *want)
            }
        };
        if !ok {
            return Err(Rc::POLICY_FAIL);
        }
        if let Some(w) = p.nv_written {
            let written = match self.perm.nv.get(&h) {
                Some(ix) if (h >> 24) as u8 == ht::NV_INDEX => ix.public.has(nv_attr::WRITTEN),
                _ => return Err(Rc::POLICY_FAIL),
            };
            if written != w {
                return Err(Rc::POLICY_FAIL);
            }
        }
        Ok(())
    }
}

/// The template hash of a creating command (`CompareTemplateHash`): H(inPublic), the
/// second parameter, skipping the first (a `TPM2B`) — the parameters as received. `None`
/// for any other command or parameters too short to hold them.
fn template_hash(code: u32, params: &[u8], alg: HashAlg) -> Option<Vec<u8>> {
    if !matches!(code, cc::CREATE | cc::CREATE_PRIMARY | cc::CREATE_LOADED) {
        return None;
    }
    let mut r = tpm2_types::Reader::new(params);
    let n = r.u16().ok()? as usize;
    r.take(n).ok()?;
    let m = r.u16().ok()? as usize;
    let public = r.take(m).ok()?;
    Some(tpm2_crypto::digest(alg, &[public]))
}
