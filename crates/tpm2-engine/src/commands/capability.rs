//! TPM2_GetCapability (Part 3, §30.2) and the property values it reports.

use crate::dispatch::table::COMMANDS;
use crate::dispatch::Command;
use crate::pcr::pc_client;
use crate::Tpm;
use tpm2_types::capability::*;
use tpm2_types::constants::{
    alg, alg_attr, cap, cc_attr, ht, permanent_attr, pt, rh, startup_clear_attr,
};
use tpm2_types::structures::{TpmlPcrSelection, TpmsPcrSelection, TpmsTaggedPcrSelect};
use tpm2_types::{HashAlg, PcrBitmap, Rc};

/// `MAX_CAP_BUFFER` and the list limits derived from it (Part 2, §10.10).
pub const MAX_CAP_BUFFER: u32 = 1024;
const MAX_CAP_DATA: usize = MAX_CAP_BUFFER as usize - 8;
const MAX_CAP_ALGS: usize = MAX_CAP_DATA / 6;
const MAX_CAP_HANDLES: usize = MAX_CAP_DATA / 4;
const MAX_TPM_PROPERTIES: usize = MAX_CAP_DATA / 8;
const MAX_PCR_PROPERTIES: usize = MAX_CAP_DATA / 5;
const MAX_ECC_CURVES: usize = MAX_CAP_DATA / 2;
const MAX_TAGGED_POLICIES: usize = MAX_CAP_DATA / 70;

/// Object and session slots (PC Client minimums, as libtpms has them).
pub const MAX_LOADED_OBJECTS: usize = 3;
pub use crate::session::{MAX_ACTIVE_SESSIONS, MAX_LOADED_SESSIONS};

/// The library specification revision whose command set is implemented (1.59) and its
/// publication date; the PC Client profile revision (PTP 1.05).
const SPEC_REVISION: u32 = 159;
const SPEC_DAY_OF_YEAR: u32 = 312;
const SPEC_YEAR: u32 = 2019;
const TPM_PS_PC_CLIENT: u32 = 1;
const PS_REVISION: u32 = 105;

const fn be4(s: &[u8; 4]) -> u32 {
    u32::from_be_bytes(*s)
}

/// Implemented algorithms and their `TPMA_ALGORITHM` (the values libtpms reports).
/// `TPM_ALG_NULL` is not listed (as libtpms).
pub(crate) fn algorithms() -> Vec<TpmsAlgProperty> {
    let asym = alg_attr::ASYMMETRIC;
    let hash = alg_attr::HASH;
    let sym = alg_attr::SYMMETRIC;
    let object = alg_attr::OBJECT;
    let sign = alg_attr::SIGNING;
    let enc = alg_attr::ENCRYPTING;
    let method = alg_attr::METHOD;
    [
        (alg::RSA, asym | object),
        (alg::SHA1, hash),
        (alg::HMAC, hash | sign),
        (alg::AES, sym),
        (alg::MGF1, hash | method),
        (alg::KEYEDHASH, hash | object | sign | enc),
        (alg::XOR, hash | sym),
        (alg::SHA256, hash),
        (alg::SHA384, hash),
        (alg::SHA512, hash),
        (alg::RSASSA, asym | sign),
        (alg::RSAES, asym | enc),
        (alg::RSAPSS, asym | sign),
        (alg::OAEP, asym | enc),
        (alg::ECDSA, asym | sign),
        (alg::ECDH, asym | method),
        (alg::ECSCHNORR, asym | sign),
        (alg::KDF1_SP800_56A, hash | method),
        (alg::KDF1_SP800_108, hash | method),
        (alg::ECC, asym | object),
        (alg::SYMCIPHER, object),
        (alg::CTR, sym | enc),
        (alg::OFB, sym | enc),
        (alg::CBC, sym | enc),
        (alg::CFB, sym | enc),
        (alg::ECB, sym | enc),
    ]
    .iter()
    .map(|&(alg, attributes)| TpmsAlgProperty { alg, attributes })
    .collect()
}

/// Takes entries at or after `from` (by `key`), at most `count` (and at most `max`);
/// reports whether more remain.
fn page<T: Clone>(
    items: &[T],
    key: impl Fn(&T) -> u32,
    from: u32,
    count: u32,
    max: usize,
) -> (Vec<T>, bool) {
    let start: Vec<&T> = items.iter().filter(|i| key(i) >= from).collect();
    let n = (count as usize).min(max);
    let more = start.len() > n;
    (start.into_iter().take(n).cloned().collect(), more)
}

pub fn get_capability(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let capability: u32 = c.params.read()?;
    let property: u32 = c.params.read()?;
    let count: u32 = c.params.read()?;
    c.params.end()?;
    let p2 = |rc: Rc| rc.param(2);
    let (data, more) = match capability {
        cap::ALGS => {
            let (v, m) = page(
                &algorithms(),
                |a| a.alg as u32,
                property & 0xFFFF,
                count,
                MAX_CAP_ALGS,
            );
            (TpmsCapabilityData::Algorithms(v), m)
        }
        cap::HANDLES => {
            let hs = tpm.handles_of_type(property).ok_or(p2(Rc::HANDLE))?;
            // Loaded (and saved) sessions are listed by slot, HMAC and policy handles
            // together, from the range asked for.
            let range = property & 0xFF00_0000;
            let key = |h: &u32| {
                if crate::session::is_session_handle(*h) {
                    range | crate::session::slot(*h)
                } else {
                    *h
                }
            };
            let (v, m) = page(&hs, key, property, count, MAX_CAP_HANDLES);
            (TpmsCapabilityData::Handles(v), m)
        }
        cap::COMMANDS => {
            // A property with the vendor bit (TPMA_CC.V) lists vendor commands only, and
            // this TPM has none (Part 4, CommandCapGetCCList).
            let all: Vec<u32> = if property & cc_attr::V != 0 {
                Vec::new()
            } else {
                COMMANDS.iter().map(|d| d.tpma_cc()).collect()
            };
            let (v, m) = page(
                &all,
                |a| a & 0xFFFF,
                property & 0xFFFF,
                count,
                MAX_CAP_HANDLES,
            );
            (TpmsCapabilityData::Commands(v), m)
        }
        // No command requires physical presence.
        cap::PP_COMMANDS => (TpmsCapabilityData::PpCommands(Vec::new()), false),
        cap::AUDIT_COMMANDS => {
            // The audited TPM_CCs from property on (Part 3, §30.2); none is a vendor one.
            let all: Vec<u32> = if property & cc_attr::V != 0 {
                Vec::new()
            } else {
                tpm.perm.audit.commands.iter().copied().collect()
            };
            let (v, m) = page(
                &all,
                |a| a & 0xFFFF,
                property & 0xFFFF,
                count,
                MAX_CAP_HANDLES,
            );
            (TpmsCapabilityData::AuditCommands(v), m)
        }
        cap::PCRS => {
            if property != 0 {
                return Err(p2(Rc::VALUE));
            }
            // A count of 0 gets an empty list and moreData YES (Part 4,
            // PCRCapGetAllocation).
            if count == 0 {
                (TpmsCapabilityData::Pcrs(TpmlPcrSelection(Vec::new())), true)
            } else {
                (TpmsCapabilityData::Pcrs(tpm.pcr_allocation_report()), false)
            }
        }
        cap::TPM_PROPERTIES => {
            // Only properties in the group of `property` (a 256-value block) are returned
            // (Part 3, §30.2.1); below TPM_PT_FIXED counts as TPM_PT_FIXED.
            let property = property.max(pt::FIXED);
            let mut props = tpm.properties();
            props.retain(|p| p.property >> 8 == property >> 8);
            let (v, m) = page(&props, |p| p.property, property, count, MAX_TPM_PROPERTIES);
            (TpmsCapabilityData::TpmProperties(v), m)
        }
        cap::PCR_PROPERTIES => {
            let props: Vec<TpmsTaggedPcrSelect> = pc_client::properties()
                .into_iter()
                .map(|(tag, select)| TpmsTaggedPcrSelect { tag, select })
                .collect();
            let (v, m) = page(&props, |p| p.tag, property, count, MAX_PCR_PROPERTIES);
            (TpmsCapabilityData::PcrProperties(v), m)
        }
        cap::ECC_CURVES => {
            let (v, m) = page(
                &tpm2_types::object::ECC_CURVES,
                |c| *c as u32,
                property,
                count,
                MAX_ECC_CURVES,
            );
            (TpmsCapabilityData::EccCurves(v), m)
        }
        cap::AUTH_POLICIES => {
            if (property >> 24) as u8 != ht::PERMANENT {
                return Err(p2(Rc::VALUE));
            }
            let pols = tpm.auth_policies();
            let (v, m) = page(&pols, |p| p.handle, property, count, MAX_TAGGED_POLICIES);
            (TpmsCapabilityData::AuthPolicies(v), m)
        }
        cap::ACT => {
            // Authenticated countdown timers are not implemented: the handle range is
            // accepted and empty.
            if !(0x4000_0110..=0x4000_011F).contains(&property) {
                return Err(p2(Rc::VALUE));
            }
            (TpmsCapabilityData::Handles(Vec::new()), false)
        }
        _ => return Err(Rc::VALUE.param(1)),
    };
    c.put(&(more as u8));
    if capability == cap::ACT {
        // TPML_ACT_DATA: capability tag and an empty list.
        c.put(&cap::ACT);
        c.put(&0u32);
    } else {
        c.put(&data);
    }
    Ok(())
}

impl Tpm {
    /// Handles of the type named by the top octet of `property`, ascending; `None` for a
    /// type that cannot be listed.
    fn handles_of_type(&self, property: u32) -> Option<Vec<u32>> {
        Some(match (property >> 24) as u8 {
            ht::PCR => (0..tpm2_types::structures::IMPLEMENTATION_PCR as u32).collect(),
            ht::NV_INDEX => self.perm.nv.keys().copied().collect(),
            // TPM_HT_LOADED_SESSION and TPM_HT_SAVED_SESSION.
            ht::HMAC_SESSION => self.loaded_session_handles(),
            ht::POLICY_SESSION => self.saved_session_handles(),
            ht::PERMANENT => vec![
                rh::OWNER,
                rh::NULL,
                rh::PW,
                rh::LOCKOUT,
                rh::ENDORSEMENT,
                rh::PLATFORM,
                rh::PLATFORM_NV,
            ],
            ht::TRANSIENT => self.vol.objects.keys().copied().collect(),
            ht::PERSISTENT => self.perm.persistent.keys().copied().collect(),
            _ => return None,
        })
    }

    /// Every implemented bank, with the PCRs allocated to it (an empty bitmap for a bank
    /// that is not allocated), as `TPM_CAP_PCRS` reports.
    pub(crate) fn pcr_allocation_report(&self) -> TpmlPcrSelection {
        TpmlPcrSelection(
            HashAlg::ALL
                .iter()
                .map(|&hash| TpmsPcrSelection {
                    hash,
                    select: self
                        .perm
                        .pcr_allocated
                        .iter()
                        .find(|s| s.hash == hash)
                        .map(|s| s.select)
                        .unwrap_or(PcrBitmap::default()),
                })
                .collect(),
        )
    }

    fn auth_policies(&self) -> Vec<TpmsTaggedPolicy> {
        let p = &self.perm;
        [
            (rh::OWNER, &p.owner_policy),
            (rh::LOCKOUT, &p.lockout_policy),
            (rh::ENDORSEMENT, &p.endorsement_policy),
            (rh::PLATFORM, &self.vol.state_clear.platform_policy),
        ]
        .iter()
        .map(|(handle, pol)| TpmsTaggedPolicy {
            handle: *handle,
            hash_alg: pol.alg.map_or(alg::NULL, |a| a.id()),
            digest: pol.digest.clone(),
        })
        .collect()
    }

    fn permanent_attributes(&self) -> u32 {
        let p = &self.perm;
        let mut a = permanent_attr::TPM_GENERATED_EPS;
        if !p.owner_auth.0.is_empty() {
            a |= permanent_attr::OWNER_AUTH_SET;
        }
        if !p.endorsement_auth.0.is_empty() {
            a |= permanent_attr::ENDORSEMENT_AUTH_SET;
        }
        if !p.lockout_auth.0.is_empty() {
            a |= permanent_attr::LOCKOUT_AUTH_SET;
        }
        if p.disable_clear {
            a |= permanent_attr::DISABLE_CLEAR;
        }
        if self.in_lockout() {
            a |= permanent_attr::IN_LOCKOUT;
        }
        a
    }

    fn startup_clear_attributes(&self) -> u32 {
        let sc = &self.vol.state_clear;
        let mut a = 0;
        for (on, bit) in [
            (sc.ph_enable, startup_clear_attr::PH_ENABLE),
            (sc.sh_enable, startup_clear_attr::SH_ENABLE),
            (sc.eh_enable, startup_clear_attr::EH_ENABLE),
            (sc.ph_enable_nv, startup_clear_attr::PH_ENABLE_NV),
            (self.vol.orderly_startup, startup_clear_attr::ORDERLY),
        ] {
            if on {
                a |= bit;
            }
        }
        a
    }

    /// All `TPM_PT` properties, ascending.
    fn properties(&self) -> Vec<TpmsTaggedProperty> {
        let objects = self.vol.objects.len() as u32;
        let version = env!("CARGO_PKG_VERSION");
        let mut parts = version.split('.').map(|x| x.parse::<u32>().unwrap_or(0));
        let (major, minor, patch) = (
            parts.next().unwrap_or(0),
            parts.next().unwrap_or(0),
            parts.next().unwrap_or(0),
        );
        let da = &self.perm.da;
        let nv_counters = self
            .perm
            .nv
            .values()
            .filter(|ix| ix.public.nv_type() == tpm2_types::constants::nt::COUNTER)
            .count() as u32;
        let max_cmd = self.rt.max_command_size as u32;
        let loaded = self.sessions_loaded();
        let total = COMMANDS.len() as u32;
        let list: [(u32, u32); 67] = [
            (pt::FAMILY_INDICATOR, be4(b"2.0\0")),
            (pt::LEVEL, 0),
            (pt::REVISION, SPEC_REVISION),
            (pt::DAY_OF_YEAR, SPEC_DAY_OF_YEAR),
            (pt::YEAR, SPEC_YEAR),
            (pt::MANUFACTURER, be4(b"FERR")),
            (pt::VENDOR_STRING_1, be4(b"SW  ")),
            (pt::VENDOR_STRING_2, be4(b" TPM")),
            (pt::VENDOR_STRING_3, be4(b"ferr")),
            (pt::VENDOR_STRING_4, be4(b"otpm")),
            (pt::VENDOR_TPM_TYPE, 1),
            (pt::FIRMWARE_VERSION_1, (major << 16) | minor),
            (pt::FIRMWARE_VERSION_2, patch << 16),
            (
                pt::INPUT_BUFFER,
                tpm2_types::buffers::MAX_DIGEST_BUFFER as u32,
            ),
            (pt::HR_TRANSIENT_MIN, MAX_LOADED_OBJECTS as u32),
            (pt::HR_PERSISTENT_MIN, 7),
            (pt::HR_LOADED_MIN, MAX_LOADED_SESSIONS),
            (pt::ACTIVE_SESSIONS_MAX, MAX_ACTIVE_SESSIONS),
            (
                pt::PCR_COUNT,
                tpm2_types::structures::IMPLEMENTATION_PCR as u32,
            ),
            (
                pt::PCR_SELECT_MIN,
                tpm2_types::structures::PCR_SELECT_SIZE as u32,
            ),
            (pt::CONTEXT_GAP_MAX, 0xFFFF),
            (pt::NV_COUNTERS_MAX, 0),
            (
                pt::NV_INDEX_MAX,
                crate::commands::nv_limits::MAX_NV_INDEX_SIZE as u32,
            ),
            (pt::MEMORY, 0x6),
            (pt::CLOCK_UPDATE, 1 << crate::tpm::CLOCK_UPDATE_SHIFT),
            (pt::CONTEXT_HASH, alg::SHA512 as u32),
            (pt::CONTEXT_SYM, alg::AES as u32),
            (pt::CONTEXT_SYM_SIZE, 256),
            (pt::ORDERLY_COUNT, 255),
            (pt::MAX_COMMAND_SIZE, max_cmd),
            (pt::MAX_RESPONSE_SIZE, max_cmd),
            (pt::MAX_DIGEST, 64),
            (pt::MAX_OBJECT_CONTEXT, 2692),
            (pt::MAX_SESSION_CONTEXT, 404),
            (pt::PS_FAMILY_INDICATOR, TPM_PS_PC_CLIENT),
            (pt::PS_LEVEL, 0),
            (pt::PS_REVISION, PS_REVISION),
            (pt::PS_DAY_OF_YEAR, 0),
            (pt::PS_YEAR, 0),
            (pt::SPLIT_MAX, 128),
            (pt::TOTAL_COMMANDS, total),
            (pt::LIBRARY_COMMANDS, total),
            (pt::VENDOR_COMMANDS, 0),
            (
                pt::NV_BUFFER_MAX,
                tpm2_types::buffers::MAX_NV_BUFFER_SIZE as u32,
            ),
            (pt::MODES, 0),
            (pt::MAX_CAP_BUFFER, MAX_CAP_BUFFER),
            (pt::PERMANENT, self.permanent_attributes()),
            (pt::STARTUP_CLEAR, self.startup_clear_attributes()),
            (pt::HR_NV_INDEX, self.perm.nv.len() as u32),
            (pt::HR_LOADED, loaded),
            (pt::HR_LOADED_AVAIL, MAX_LOADED_SESSIONS - loaded),
            (pt::HR_ACTIVE, self.sessions_active()),
            (
                pt::HR_ACTIVE_AVAIL,
                MAX_ACTIVE_SESSIONS.saturating_sub(self.sessions_active()),
            ),
            (
                pt::HR_TRANSIENT_AVAIL,
                MAX_LOADED_OBJECTS as u32 - objects.min(MAX_LOADED_OBJECTS as u32),
            ),
            (pt::HR_PERSISTENT, self.perm.persistent.len() as u32),
            (
                pt::HR_PERSISTENT_AVAIL,
                crate::commands::nv_limits::persistent_avail(self),
            ),
            (pt::NV_COUNTERS, nv_counters),
            (
                pt::NV_COUNTERS_AVAIL,
                crate::commands::nv_limits::counters_avail(self),
            ),
            (pt::ALGORITHM_SET, 0),
            (
                pt::LOADED_CURVES,
                tpm2_types::object::ECC_CURVES.len() as u32,
            ),
            (pt::LOCKOUT_COUNTER, da.failed_tries),
            (pt::MAX_AUTH_FAIL, da.max_tries),
            (pt::LOCKOUT_INTERVAL, da.recovery_time),
            (pt::LOCKOUT_RECOVERY, da.lockout_recovery),
            (pt::NV_WRITE_RECOVERY, 0),
            (pt::AUDIT_COUNTER_0, (self.perm.audit.counter >> 32) as u32),
            (pt::AUDIT_COUNTER_1, self.perm.audit.counter as u32),
        ];
        list.iter()
            .map(|&(property, value)| TpmsTaggedProperty { property, value })
            .collect()
    }
}
