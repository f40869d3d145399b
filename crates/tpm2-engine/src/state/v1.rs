//! The version-1 volatile body, read through its own layout (postcard is not
//! self-describing: fields added inside a nested structure cannot be defaulted by
//! appending bytes). Only `AuthSession`/`PolicyState` changed inside; version 2 appended
//! the context counter and the saved sessions at the end of `Volatile`.

use super::{
    AuthSession, BoundEntity, HashState, PolicyState, Secret, SessionSymmetric, SessionType,
    StateClear, StateReset, TransientObject, Volatile,
};
use crate::pcr::PcrBanks;
use serde::Deserialize;
use std::collections::BTreeMap;
use tpm2_types::HashAlg;

#[derive(Deserialize)]
struct PolicyStateV1 {
    digest: Vec<u8>,
    command_code: Option<u32>,
    locality: u8,
    pcr_counter: Option<u32>,
    auth_value_needed: bool,
    password_needed: bool,
}

#[derive(Deserialize)]
struct AuthSessionV1 {
    kind: SessionType,
    hash: HashAlg,
    key: Secret,
    nonce_tpm: Vec<u8>,
    symmetric: SessionSymmetric,
    bound: Option<BoundEntity>,
    da_bound: bool,
    lockout_bound: bool,
    audit: Option<Vec<u8>>,
    policy: PolicyStateV1,
}

#[derive(Deserialize)]
pub(super) struct VolatileV1 {
    started: bool,
    orderly_startup: bool,
    pcr_reconfigured: bool,
    hcrtm: bool,
    startup_locality: u8,
    state_clear: StateClear,
    state_reset: StateReset,
    pcrs: PcrBanks,
    objects: BTreeMap<u32, TransientObject>,
    drtm: Option<Vec<HashState>>,
    time_ms: u64,
    self_tested: bool,
    da_heal_timer: Option<u64>,
    lockout_timer: Option<u64>,
    clock_rate: i32,
    sessions: BTreeMap<u32, AuthSessionV1>,
    exclusive_audit: Option<u32>,
}

impl From<AuthSessionV1> for AuthSession {
    fn from(s: AuthSessionV1) -> Self {
        let p = s.policy;
        AuthSession {
            kind: s.kind,
            hash: s.hash,
            key: s.key,
            nonce_tpm: s.nonce_tpm,
            symmetric: s.symmetric,
            bound: s.bound,
            da_bound: s.da_bound,
            lockout_bound: s.lockout_bound,
            audit: s.audit,
            policy: PolicyState {
                digest: p.digest,
                command_code: p.command_code,
                locality: p.locality,
                pcr_counter: p.pcr_counter,
                auth_value_needed: p.auth_value_needed,
                password_needed: p.password_needed,
                ..PolicyState::default()
            },
            // Expirations count from here: the session is treated as started at Time 0,
            // which can only make a relative expiration earlier, never later.
            start_time: 0,
        }
    }
}

impl From<VolatileV1> for Volatile {
    fn from(v: VolatileV1) -> Self {
        Volatile {
            started: v.started,
            orderly_startup: v.orderly_startup,
            pcr_reconfigured: v.pcr_reconfigured,
            hcrtm: v.hcrtm,
            startup_locality: v.startup_locality,
            state_clear: v.state_clear,
            state_reset: v.state_reset,
            pcrs: v.pcrs,
            objects: v.objects,
            drtm: v.drtm,
            time_ms: v.time_ms,
            self_tested: v.self_tested,
            da_heal_timer: v.da_heal_timer,
            lockout_timer: v.lockout_timer,
            clock_rate: v.clock_rate,
            sessions: v.sessions.into_iter().map(|(h, s)| (h, s.into())).collect(),
            exclusive_audit: v.exclusive_audit,
            context_counter: 0,
            saved_sessions: BTreeMap::new(),
            command_audit_digest: Vec::new(),
        }
    }
}
