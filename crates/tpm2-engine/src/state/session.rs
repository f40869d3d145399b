//! Authorization sessions as volatile state (Part 1, §19.6 and §19.7): what
//! `TPM2_StartAuthSession` creates and every use of the session updates.
//!
//! The fields marked "state version 2" were added after version 1. Postcard is not
//! self-describing, so a version-1 volatile body is read through its own layout
//! (`state::v1`) and converted, with those fields at their defaults.

use super::Secret;
use serde::{Deserialize, Serialize};
use tpm2_types::HashAlg;

/// `TPM_SE`: the kind of session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionType {
    Hmac,
    Policy,
    /// A policy session that only computes a policy digest; it can authorize nothing.
    Trial,
}

/// The session's parameter-encryption algorithm (`TPMT_SYM_DEF`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SessionSymmetric {
    Null,
    /// AES in CFB mode with a 128- or 256-bit key.
    AesCfb(u16),
    /// XOR obfuscation with this hash.
    Xor(HashAlg),
}

/// What an HMAC session was bound to: the entity's Name and its authValue at the time
/// (Part 1, §19.6.11: a later change of the authValue ends the binding).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoundEntity {
    pub name: Vec<u8>,
    pub auth: Secret,
}

/// The policy assertions a policy session has collected (Part 1, §19.7).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyState {
    /// `policyDigest`, the size of the session hash.
    pub digest: Vec<u8>,
    /// `TPM2_PolicyCommandCode`.
    pub command_code: Option<u32>,
    /// `TPM2_PolicyLocality`: a `TPMA_LOCALITY` (0: not set).
    pub locality: u8,
    /// `pcrUpdateCounter` when `TPM2_PolicyPCR` ran.
    pub pcr_counter: Option<u32>,
    /// `TPM2_PolicyAuthValue`: the authorization carries an HMAC with the authValue.
    pub auth_value_needed: bool,
    /// `TPM2_PolicyPassword`: the authorization carries the authValue in the clear.
    pub password_needed: bool,
    /// What the authorized command must match (the reference's `u1` of a policy
    /// session): a cpHash, a nameHash or a template hash. (State version 2.)
    pub bound_hash: Option<BoundHash>,
    /// Time (`Volatile::time_ms`) after which the session no longer authorizes (0: no
    /// limit), set by TPM2_PolicySigned/Secret/Ticket with an expiration. (State version 2.)
    pub timeout: u64,
    /// `TPM2_PolicyPhysicalPresence`. (State version 2.)
    pub pp_required: bool,
    /// `TPM2_PolicyNvWritten`: the state `TPMA_NV_WRITTEN` must have. (State version 2.)
    pub nv_written: Option<bool>,
}

/// The hash a policy session binds the authorized command to (one at a time, Part 1,
/// §19.7.9 and Part 3, §23.13–§23.15, §23.21).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BoundHash {
    /// `TPM2_PolicyCpHash`, or the cpHashA of PolicySigned/PolicySecret/PolicyTicket.
    Cp(#[serde(with = "serde_bytes")] Vec<u8>),
    /// `TPM2_PolicyNameHash` or `TPM2_PolicyDuplicationSelect`: H(Name1 || Name2 ...).
    Name(#[serde(with = "serde_bytes")] Vec<u8>),
    /// `TPM2_PolicyTemplate`: H(inPublic) of a Create/CreatePrimary/CreateLoaded.
    Template(#[serde(with = "serde_bytes")] Vec<u8>),
}

impl BoundHash {
    pub fn bytes(&self) -> &[u8] {
        match self {
            BoundHash::Cp(d) | BoundHash::Name(d) | BoundHash::Template(d) => d,
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AuthSession {
    pub kind: SessionType,
    /// `authHash`: the session's hash for HMACs, KDFs and the policy digest.
    pub hash: HashAlg,
    /// `sessionKey` (empty for an unbound, unsalted session).
    pub key: Secret,
    /// The TPM's current nonce (as long as the caller's first nonce).
    pub nonce_tpm: Vec<u8>,
    pub symmetric: SessionSymmetric,
    /// HMAC sessions only; cleared when the session becomes an audit session.
    pub bound: Option<BoundEntity>,
    /// Bound to an entity subject to dictionary-attack protection: every failure counts.
    pub da_bound: bool,
    /// Bound to lockoutAuth: a failure blocks lockoutAuth.
    pub lockout_bound: bool,
    /// The audit digest once the session has been used for audit.
    pub audit: Option<Vec<u8>>,
    pub policy: PolicyState,
    /// `Volatile::time_ms` when the session started (policy expirations count from it).
    /// (State version 2.)
    pub start_time: u64,
}

impl AuthSession {
    pub fn is_policy(&self) -> bool {
        self.kind != SessionType::Hmac
    }

    /// Back to a fresh policy: zero digest, no assertions (Part 3, §23.2; the nonce and
    /// the binding stay).
    pub fn reset_policy(&mut self) {
        self.policy = PolicyState {
            digest: vec![0; self.hash.digest_size()],
            ..PolicyState::default()
        };
    }
}
