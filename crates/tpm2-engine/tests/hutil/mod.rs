//! Helpers shared by the hierarchy, dictionary-attack and clock tests.
#![allow(dead_code)]

use crate::util::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use tpm2_engine::state::blob::{self, BlobKind};
use tpm2_engine::state::Permanent;
use tpm2_engine::{SimPlatform, Tpm};
use tpm2_types::constants::{cap, cc, pt, rh, su};
use tpm2_types::structures::TpmsTimeInfo;
use tpm2_types::{Codec, Rc};

/// A started TPM and the handle that moves its platform clock (milliseconds).
pub fn timed() -> (Tpm, Arc<AtomicU64>) {
    let p = SimPlatform::new(11);
    let clock = p.clock();
    let mut tpm = Tpm::manufacture(Box::new(p));
    run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    (tpm, clock)
}

/// Moves the platform clock on by `ms`.
pub fn advance(clock: &AtomicU64, ms: u64) {
    clock.fetch_add(ms, Ordering::Relaxed);
}

/// One `TPM_PT` property from GetCapability.
pub fn prop(tpm: &mut Tpm, p: u32) -> u32 {
    let r = run(
        tpm,
        &Cmd::new(cc::GET_CAPABILITY)
            .u32(cap::TPM_PROPERTIES)
            .u32(p)
            .u32(1),
    )
    .ok();
    let mut rd = r.reader();
    let (_more, _cap, n) = (rd.u8().unwrap(), rd.u32().unwrap(), rd.u32().unwrap());
    assert_eq!(n, 1);
    assert_eq!(rd.u32().unwrap(), p);
    rd.u32().unwrap()
}

/// `[failedTries, maxTries, recoveryTime, lockoutRecovery]` as GetCapability reports them.
pub fn da(tpm: &mut Tpm) -> [u32; 4] {
    [
        prop(tpm, pt::LOCKOUT_COUNTER),
        prop(tpm, pt::MAX_AUTH_FAIL),
        prop(tpm, pt::LOCKOUT_INTERVAL),
        prop(tpm, pt::LOCKOUT_RECOVERY),
    ]
}

/// TPM2_ReadClock's `TPMS_TIME_INFO`.
pub fn read_clock(tpm: &mut Tpm) -> TpmsTimeInfo {
    let r = run(tpm, &Cmd::new(cc::READ_CLOCK)).ok();
    let mut rd = r.reader();
    let t = TpmsTimeInfo::read(&mut rd).unwrap();
    assert!(rd.is_empty());
    t
}

pub fn change_auth(tpm: &mut Tpm, h: u32, old: &[u8], new: &[u8]) -> Rc {
    run(
        tpm,
        &Cmd::new(cc::HIERARCHY_CHANGE_AUTH).handle(h).pw(old).b(new),
    )
    .rc
}

/// A command with one handle, a password session and no parameters.
pub fn simple(tpm: &mut Tpm, code: u32, h: u32, pw: &[u8]) -> Rc {
    run(tpm, &Cmd::new(code).handle(h).pw(pw)).rc
}

pub fn clear_control(tpm: &mut Tpm, h: u32, disable: u8) -> Rc {
    run(
        tpm,
        &Cmd::new(cc::CLEAR_CONTROL).handle(h).pw(b"").u8(disable),
    )
    .rc
}

pub fn clock_set(tpm: &mut Tpm, h: u32, t: u64) -> Rc {
    run(
        tpm,
        &Cmd::new(cc::CLOCK_SET)
            .handle(h)
            .pw(b"")
            .raw(&t.to_be_bytes()),
    )
    .rc
}

pub fn da_params(tpm: &mut Tpm, pw: &[u8], max: u32, recovery: u32, lockout: u32) -> Rc {
    let c = Cmd::new(cc::DICTIONARY_ATTACK_PARAMETERS)
        .handle(rh::LOCKOUT)
        .pw(pw)
        .u32(max)
        .u32(recovery)
        .u32(lockout);
    run(tpm, &c).rc
}

/// `TPM2_Shutdown(shutdown)` if given, `_TPM_Init`, `TPM2_Startup(startup)`.
pub fn power_cycle(tpm: &mut Tpm, shutdown: Option<u16>, startup: u16) -> Rc {
    if let Some(s) = shutdown {
        run(tpm, &Cmd::new(cc::SHUTDOWN).u16(s)).ok();
    }
    tpm.init();
    run(tpm, &Cmd::new(cc::STARTUP).u16(startup)).rc
}

/// The permanent state, decoded from its blob.
pub fn perm_state(tpm: &Tpm) -> Permanent {
    blob::decode(BlobKind::Permanent, &tpm.permanent_blob()).unwrap()
}
