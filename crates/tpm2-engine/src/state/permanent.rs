//! Permanent state: what survives a power cycle (Part 1, §36.3 "persistent data").

use super::{PolicyDigest, Secret, StateClear, StateReset};
use crate::pcr::PcrBanks;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use tpm2_types::nv::TpmsNvPublic;
use tpm2_types::{HashAlg, TpmsPcrSelection};

/// Bytes of each primary seed and proof value (the size of the largest digest).
pub const SEED_SIZE: usize = 64;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Permanent {
    pub eps: Secret,
    pub sps: Secret,
    pub pps: Secret,
    pub ph_proof: Secret,
    pub sh_proof: Secret,
    pub eh_proof: Secret,
    pub owner_auth: Secret,
    pub endorsement_auth: Secret,
    pub lockout_auth: Secret,
    pub owner_policy: PolicyDigest,
    pub endorsement_policy: PolicyDigest,
    pub lockout_policy: PolicyDigest,
    /// The policy of the PCR policy group (PCRs 20–22 share one), `TPM2_PCR_SetAuthPolicy`.
    pub pcr_policy: PolicyDigest,
    /// `TPMA_PERMANENT.disableClear`, set by `TPM2_ClearControl`.
    pub disable_clear: bool,
    pub da: DictionaryAttack,
    /// `TPMS_CLOCK_INFO.clock` as last stored, in milliseconds.
    pub clock: u64,
    /// `TPMS_CLOCK_INFO.safe`: no greater Clock value has been reported (cleared by a
    /// non-orderly shutdown, set again by `TPM2_Clear`).
    pub clock_safe: bool,
    /// A DA-protected authorization was checked since the last startup, so a non-orderly
    /// shutdown counts as a failed try (Part 1, §19.8.6).
    pub da_used: bool,
    pub reset_count: u32,
    pub restart_count: u32,
    /// How the TPM last went down; `None` while running (a crash leaves it so).
    pub orderly: Orderly,
    /// PCR banks as allocated by `TPM2_PCR_Allocate`; they take effect at the next TPM Reset.
    pub pcr_allocated: Vec<TpmsPcrSelection>,
    pub nv: BTreeMap<u32, NvIndex>,
    /// The largest value any deleted NV counter index held: a new counter's first
    /// `TPM2_NV_Increment` starts above it (Part 3, §31.2; libtpms's `maxCount`).
    pub nv_max_counter: u64,
    /// What `TPM2_Shutdown(STATE)` saved, consumed by the next `TPM2_Startup`.
    pub saved: Option<SavedState>,
    /// The TPM-established flag (PTP §6.5.2.4: persists until reset at locality 3 or 4).
    pub tpm_established: bool,
    /// Persistent objects (`TPM2_EvictControl`), by handle. (Added in state version 2.)
    pub persistent: BTreeMap<u32, crate::object::Object>,
    /// Command audit: the list, the algorithm and the counter. (State version 3.)
    pub audit: CommandAudit,
    /// Physical Presence Interface: the queued request, the last result, the flags.
    /// (State version 4.)
    pub ppi: super::PpiState,
}

/// The persistent part of command audit (Part 1, "Command Audit"; Part 3, §21.2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandAudit {
    /// `auditHashAlg`: the hash of the audit digest, the cpHash/rpHash and commandDigest.
    pub alg: HashAlg,
    /// The audited command codes; `TPM_CC_SetCommandCodeAuditStatus` is always one.
    pub commands: BTreeSet<u32>,
    /// `auditCounter`: incremented when the digest is extended from its cleared state.
    pub counter: u64,
    /// The command audit digest `TPM2_Shutdown(STATE)` saved, restored by TPM Restart and
    /// TPM Resume (it is state-reset data: a TPM Reset clears it). Empty: cleared.
    #[serde(with = "serde_bytes")]
    pub saved_digest: Vec<u8>,
}

impl Default for CommandAudit {
    /// As manufactured: only TPM2_SetCommandCodeAuditStatus audited, with the hash
    /// libtpms manufactures with, counter 0.
    fn default() -> Self {
        CommandAudit {
            alg: DEFAULT_AUDIT_ALG,
            commands: BTreeSet::from([tpm2_types::constants::cc::SET_COMMAND_CODE_AUDIT_STATUS]),
            counter: 0,
            saved_digest: Vec::new(),
        }
    }
}

/// The audit hash of a manufactured TPM (libtpms's `CONTEXT_INTEGRITY_HASH_ALG`).
pub const DEFAULT_AUDIT_ALG: HashAlg = HashAlg::Sha512;

/// Dictionary-attack protection (Part 1, §19.8).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct DictionaryAttack {
    pub failed_tries: u32,
    pub max_tries: u32,
    /// Seconds for one failure to be forgotten (`0`: DA protection disabled).
    pub recovery_time: u32,
    /// Seconds lockoutAuth stays blocked after a failure (`0`: until the next TPM Reset).
    pub lockout_recovery: u32,
    /// Whether lockoutAuth is currently blocked by a failed attempt.
    pub lockout_auth_blocked: bool,
}

impl Default for DictionaryAttack {
    /// The values libtpms manufactures with (TPM_PT_MAX_AUTH_FAIL etc. of a fresh swtpm).
    fn default() -> Self {
        DictionaryAttack {
            failed_tries: 0,
            max_tries: 3,
            recovery_time: 1000,
            lockout_recovery: 1000,
            lockout_auth_blocked: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Orderly {
    /// Running, or went down without `TPM2_Shutdown`.
    None,
    Clear,
    State,
}

/// One NV index: its public area (whose attributes carry `WRITTEN` and the lock bits),
/// authorization value and data. `data` is empty until the index is first written, then
/// exactly `dataSize` bytes (a PIN index keeps its bytes when a startup clears `WRITTEN`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NvIndex {
    pub public: TpmsNvPublic,
    pub auth: Secret,
    #[serde(with = "serde_bytes")]
    pub data: Vec<u8>,
}

/// The data `TPM2_Shutdown(STATE)` preserves for `TPM2_Startup(STATE)` (TPM Resume) and, in
/// part, for `TPM2_Startup(CLEAR)` (TPM Restart).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SavedState {
    pub state_clear: StateClear,
    pub state_reset: StateReset,
    /// Values of the PCRs in the PC Client "save" set (TPM_PT_PCR_SAVE).
    pub pcrs: PcrBanks,
    /// How the TPM was started before this shutdown: after an H-CRTM sequence, or else
    /// from locality 3. A TPM Resume must start the same way.
    pub hcrtm: bool,
    pub locality3: bool,
}
