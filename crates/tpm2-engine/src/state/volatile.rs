//! Volatile state: lost at `_TPM_Init`, partly preserved by `TPM2_Shutdown(STATE)`.

use super::{PolicyDigest, Secret};
use crate::pcr::PcrBanks;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tpm2_types::HashAlg;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Volatile {
    /// `TPM2_Startup` has run since `_TPM_Init`.
    pub started: bool,
    /// The last `TPM2_Startup` followed an orderly `TPM2_Shutdown` (`TPMA_STARTUP_CLEAR.orderly`).
    pub orderly_startup: bool,
    /// `TPM2_PCR_Allocate` succeeded since `_TPM_Init`: the next startup must be a TPM Reset.
    pub pcr_reconfigured: bool,
    /// An H-CRTM sequence (`_TPM_Hash_End` before `TPM2_Startup`) set PCR 0.
    pub hcrtm: bool,
    /// The locality `TPM2_Startup` came from (sets PCR 0's initial value, PC Client §3.2).
    pub startup_locality: u8,
    pub state_clear: StateClear,
    pub state_reset: StateReset,
    pub pcrs: PcrBanks,
    /// Loaded transient objects (sequence objects for now), by handle.
    pub objects: BTreeMap<u32, TransientObject>,
    /// A `_TPM_Hash_Start` sequence in progress.
    pub drtm: Option<Vec<HashState>>,
    /// `TPMS_TIME_INFO.time`: milliseconds since `_TPM_Init`.
    pub time_ms: u64,
    /// Whether the self-test has run since `_TPM_Init`.
    pub self_tested: bool,
    /// `time_ms` DA self-healing counts from: the last failure of a DA-protected entity,
    /// moved on by each healed `recoveryTime` (`None`: `_TPM_Init`).
    pub da_heal_timer: Option<u64>,
    /// `time_ms` of the last failed lockoutAuth (`None`: `_TPM_Init`); `lockoutRecovery`
    /// counts from it.
    pub lockout_timer: Option<u64>,
    /// `TPM2_ClockRateAdjust` setting: how far the divisor of the platform's milliseconds is
    /// from `CLOCK_NOMINAL` (positive: Time and Clock run slower; 0: nominal).
    pub clock_rate: i32,
    /// Loaded authorization sessions by handle (`0x02xxxxxx` HMAC, `0x03xxxxxx` policy and
    /// trial); the low bits are the session's slot, unique across both kinds.
    pub sessions: BTreeMap<u32, super::AuthSession>,
    /// The audit session that has audited every command since it was started or reset
    /// (`TPMA_SESSION.auditExclusive`).
    pub exclusive_audit: Option<u32>,
    /// The sequence number of the last `TPM2_ContextSave` (Part 1, §30.2: `contextCounter`;
    /// kept by TPM Resume and Restart, through `TPM2_Shutdown(STATE)`). (State version 2.)
    pub context_counter: u64,
    /// Sessions saved by `TPM2_ContextSave` and not loaded: their handle and the sequence
    /// number of the one context that may load them again (the reference's
    /// `contextArray`). (State version 2.)
    pub saved_sessions: BTreeMap<u32, u64>,
    /// The command audit digest (state-reset data, Part 1 "Command Audit"): empty while
    /// cleared, else the size of the audit hash. Within one command, one byte marks a
    /// digest cleared by an audit algorithm change (that command is not recorded).
    /// (State version 3.)
    #[serde(with = "serde_bytes")]
    pub command_audit_digest: Vec<u8>,
}

/// State cleared by `TPM2_Startup(CLEAR)` and kept by TPM Resume (Part 1, §36.7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateClear {
    pub ph_enable: bool,
    pub sh_enable: bool,
    pub eh_enable: bool,
    pub ph_enable_nv: bool,
    pub platform_auth: Secret,
    pub platform_policy: PolicyDigest,
    /// The authValue of the PCR authorization group (PCRs 20–22 share one).
    pub pcr_auth: Secret,
}

impl Default for StateClear {
    fn default() -> Self {
        StateClear {
            ph_enable: true,
            sh_enable: true,
            eh_enable: true,
            ph_enable_nv: true,
            platform_auth: Secret::default(),
            platform_policy: PolicyDigest::default(),
            pcr_auth: Secret::default(),
        }
    }
}

/// State cleared by a TPM Reset and kept by TPM Restart and Resume (Part 1, §36.7).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StateReset {
    pub null_proof: Secret,
    pub null_seed: Secret,
    /// `pcrUpdateCounter` of `TPM2_PCR_Read`.
    pub pcr_update_counter: u32,
    /// Counts `TPM2_Clear` and similar events for context validity.
    pub clear_count: u32,
}

/// A running hash in serializable form.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct HashState {
    pub alg: HashAlg,
    #[serde(with = "serde_bytes")]
    pub state: Vec<u8>,
}

/// An object in a transient slot.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum TransientObject {
    Sequence(SequenceObject),
    /// A key or data object. (Added in state version 2.)
    Key(Box<crate::object::Object>),
}

impl TransientObject {
    /// The hierarchy the object belongs to (flushed with it when the hierarchy is disabled
    /// or its seed changes). Sequence objects are in the null hierarchy, as the reference
    /// implementation places them.
    pub fn hierarchy(&self) -> super::Hierarchy {
        match self {
            TransientObject::Sequence(_) => super::Hierarchy::Null,
            TransientObject::Key(o) => o.hierarchy,
        }
    }
}

/// A hash or event sequence (Part 3, §17).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SequenceObject {
    pub kind: SequenceKind,
    pub auth: Secret,
    /// One running hash for a hash sequence; one per implemented hash for an event sequence.
    pub hashes: Vec<HashState>,
    /// Whether a hash sequence may produce a ticket, decided by its first block of data:
    /// at least 4 bytes, not starting with `TPM_GENERATED_VALUE` (Part 4, SequenceUpdate
    /// and `TicketIsSafe`). `None` until the first block arrives.
    pub ticket_safe: Option<bool>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SequenceKind {
    Hash,
    Event,
    /// An HMAC sequence (`TPM2_HMAC_Start`): `hashes[0]` runs over (K ⊕ ipad) || data,
    /// `hashes[1]` holds (K ⊕ opad) for the outer hash. (State version 2.)
    Hmac,
}
