//! Clocks and timers (Part 3, §29): ReadClock, ClockSet, ClockRateAdjust, and Clock across
//! orderly and non-orderly power cycles. Response codes are the ones swtpm 0.7.1 (libtpms
//! 0.9.2) gives.

mod hutil;
mod util;
use hutil::*;
use tpm2_engine::Tpm;
use tpm2_types::constants::startup_clear_attr as sca;
use tpm2_types::constants::{cc, pt, rh, su};
use tpm2_types::structures::TpmsClockInfo;
use tpm2_types::Rc;
use util::*;

fn rate_adjust(tpm: &mut Tpm, step: i8) -> Rc {
    run(
        tpm,
        &Cmd::new(cc::CLOCK_RATE_ADJUST)
            .handle(rh::OWNER)
            .pw(b"")
            .u8(step as u8),
    )
    .rc
}

// ---- TPM2_ReadClock, TPM2_ClockSet, TPM2_ClockRateAdjust -----------------------------

#[test]
fn read_clock_reports_time_clock_and_counts() {
    let (mut tpm, clock) = timed();
    let t = read_clock(&mut tpm);
    assert_eq!((t.time, t.clock_info.clock), (0, 0));
    let ci = t.clock_info;
    assert_eq!((ci.reset_count, ci.restart_count, ci.safe), (1, 0, true));
    advance(&clock, 1234);
    let t = read_clock(&mut tpm);
    assert_eq!((t.time, t.clock_info.clock), (1234, 1234));
    assert_eq!(run(&mut tpm, &Cmd::new(cc::READ_CLOCK).u8(0)).rc, Rc::SIZE);
}

#[test]
fn clock_set_only_moves_forward_and_not_past_the_maximum() {
    let (mut tpm, clock) = timed();
    advance(&clock, 500);
    assert_eq!(clock_set(&mut tpm, rh::OWNER, 1_000_000), Rc::SUCCESS);
    let t = read_clock(&mut tpm);
    assert_eq!(
        (t.time, t.clock_info.clock),
        (500, 1_000_000),
        "Time is not set"
    );
    assert_eq!(clock_set(&mut tpm, rh::OWNER, 999_999), Rc::VALUE.param(1));
    assert_eq!(
        clock_set(&mut tpm, rh::OWNER, 1_000_000),
        Rc::SUCCESS,
        "equal is allowed"
    );
    assert_eq!(clock_set(&mut tpm, rh::PLATFORM, 2_000_000), Rc::SUCCESS);
    // TPMI_RH_PROVISION.
    for h in [rh::ENDORSEMENT, rh::LOCKOUT, rh::NULL] {
        assert_eq!(clock_set(&mut tpm, h, 3_000_000), Rc::VALUE.handle(1));
    }
    let short = Cmd::new(cc::CLOCK_SET).handle(rh::OWNER).pw(b"").u32(7);
    assert_eq!(run(&mut tpm, &short).rc, Rc::INSUFFICIENT.param(1));
    // Clock may not be set past 0xFFFF000000000000 (Part 3, §29.2).
    let max = 0xFFFF_0000_0000_0000u64;
    assert_eq!(clock_set(&mut tpm, rh::OWNER, max + 1), Rc::VALUE.param(1));
    assert_eq!(clock_set(&mut tpm, rh::OWNER, u64::MAX), Rc::VALUE.param(1));
    assert_eq!(clock_set(&mut tpm, rh::OWNER, max), Rc::SUCCESS);
    assert_eq!(clock_set(&mut tpm, rh::OWNER, max), Rc::SUCCESS);
    advance(&clock, 10);
    assert_eq!(
        read_clock(&mut tpm).clock_info.clock,
        max + 10,
        "and it keeps running"
    );
}

#[test]
fn clock_is_monotonic_across_power_cycles() {
    let (mut tpm, clock) = timed();
    let mut last = 0;
    let mut check = |tpm: &mut Tpm| {
        let c = read_clock(tpm).clock_info.clock;
        assert!(c >= last, "Clock went back from {last} to {c}");
        last = c;
        c
    };
    advance(&clock, 5_000);
    assert_eq!(check(&mut tpm), 5_000);
    // TPM Reset after an orderly shutdown: Time restarts, Clock goes on, still safe.
    assert_eq!(
        power_cycle(&mut tpm, Some(su::CLEAR), su::CLEAR),
        Rc::SUCCESS
    );
    let t = read_clock(&mut tpm);
    assert_eq!(
        (t.time, t.clock_info.clock, t.clock_info.safe),
        (0, 5_000, true)
    );
    assert_eq!(
        (t.clock_info.reset_count, t.clock_info.restart_count),
        (2, 0)
    );
    advance(&clock, 100);
    assert_eq!(check(&mut tpm), 5_100);
    // TPM Resume and TPM Restart count restarts.
    assert_eq!(
        power_cycle(&mut tpm, Some(su::STATE), su::STATE),
        Rc::SUCCESS
    );
    assert_eq!(read_clock(&mut tpm).clock_info.restart_count, 1);
    assert_eq!(
        power_cycle(&mut tpm, Some(su::STATE), su::CLEAR),
        Rc::SUCCESS
    );
    let ci = read_clock(&mut tpm).clock_info;
    assert_eq!((ci.reset_count, ci.restart_count), (2, 2));
    for step in [1, 7, 4_095, 1, 10_000] {
        advance(&clock, step);
        check(&mut tpm);
    }
}

#[test]
fn non_orderly_startup_makes_clock_unsafe_until_it_is_stored_again() {
    let (mut tpm, clock) = timed();
    advance(&clock, 1_000);
    // (Clock advances as commands run: read it before the power goes.)
    assert!(read_clock(&mut tpm).clock_info.safe);
    assert_eq!(power_cycle(&mut tpm, None, su::CLEAR), Rc::SUCCESS);
    let t = read_clock(&mut tpm);
    assert_eq!((t.clock_info.clock, t.clock_info.safe), (1_000, false));
    assert_eq!(t.clock_info.reset_count, 2);
    assert_eq!(prop(&mut tpm, pt::STARTUP_CLEAR) & sca::ORDERLY, 0);
    // Unsafe survives an orderly cycle: nothing stored Clock since.
    assert_eq!(
        power_cycle(&mut tpm, Some(su::CLEAR), su::CLEAR),
        Rc::SUCCESS
    );
    assert!(!read_clock(&mut tpm).clock_info.safe);
    assert_ne!(prop(&mut tpm, pt::STARTUP_CLEAR) & sca::ORDERLY, 0);
    // Moving within the same update interval (2^12 ms) does not store it (swtpm alike)...
    assert_eq!(clock_set(&mut tpm, rh::OWNER, 1_100), Rc::SUCCESS);
    advance(&clock, 2_995);
    assert_eq!(
        read_clock(&mut tpm).clock_info,
        TpmsClockInfo {
            clock: 4_095,
            reset_count: 3,
            restart_count: 0,
            safe: false,
        }
    );
    // ... reaching the next multiple does, and no greater Clock can have been reported.
    advance(&clock, 1);
    assert!(read_clock(&mut tpm).clock_info.safe);
    // ClockSet past an interval does the same.
    assert_eq!(power_cycle(&mut tpm, None, su::CLEAR), Rc::SUCCESS);
    assert!(!read_clock(&mut tpm).clock_info.safe);
    assert_eq!(
        clock_set(&mut tpm, rh::PLATFORM, 4_096 + 5_000),
        Rc::SUCCESS
    );
    assert!(read_clock(&mut tpm).clock_info.safe);
}

#[test]
fn clock_is_stored_once_per_update_interval() {
    let (mut tpm, clock) = timed();
    let read = Cmd::new(cc::READ_CLOCK).build();
    tpm.take_permanent_blob();
    advance(&clock, 4_000);
    assert!(!tpm.execute(0, &read).permanent_changed);
    advance(&clock, 95);
    assert!(
        !tpm.execute(0, &read).permanent_changed,
        "4095 ms: same interval"
    );
    advance(&clock, 1);
    assert!(tpm.execute(0, &read).permanent_changed, "4096 ms: stored");
    let stored = perm_state(&tpm);
    assert_eq!(stored.clock, 4_096);
}

#[test]
fn clock_rate_adjust_steps_and_bounds() {
    let (mut tpm, clock) = timed();
    // TPM_CLOCK_ADJUST is -3..=3; this sequence nets to the nominal rate.
    for step in -3..=3 {
        assert_eq!(rate_adjust(&mut tpm, step), Rc::SUCCESS);
    }
    for step in [4, -4, 127, -128] {
        assert_eq!(rate_adjust(&mut tpm, step), Rc::VALUE.param(1));
    }
    let c = Cmd::new(cc::CLOCK_RATE_ADJUST)
        .handle(rh::ENDORSEMENT)
        .pw(b"")
        .u8(0);
    assert_eq!(run(&mut tpm, &c).rc, Rc::VALUE.handle(1));
    let c = Cmd::new(cc::CLOCK_RATE_ADJUST)
        .handle(rh::PLATFORM)
        .pw(b"")
        .u8(0);
    assert_eq!(run(&mut tpm, &c).rc, Rc::SUCCESS);
    let span = |tpm: &mut Tpm, real: u64| {
        let a = read_clock(tpm);
        advance(&clock, real);
        let b = read_clock(tpm);
        (b.time - a.time, b.clock_info.clock - a.clock_info.clock)
    };
    assert_eq!(span(&mut tpm, 30_000), (30_000, 30_000));
    // Coarse steps are 1% (300/30000): one slower step.
    assert_eq!(rate_adjust(&mut tpm, -3), Rc::SUCCESS);
    assert_eq!(span(&mut tpm, 30_300), (30_000, 30_000));
    // Many steps saturate at ±1/6: slowest 30000 per 35000, fastest 30000 per 25000.
    for _ in 0..20 {
        assert_eq!(rate_adjust(&mut tpm, -3), Rc::SUCCESS);
    }
    assert_eq!(span(&mut tpm, 35_000), (30_000, 30_000));
    for _ in 0..40 {
        assert_eq!(rate_adjust(&mut tpm, 3), Rc::SUCCESS);
    }
    assert_eq!(span(&mut tpm, 25_000), (30_000, 30_000));
    // Back from -5000 by 16 coarse, one medium and one fine slower step: the divisor is
    // 30000 - 200 + 30 + 1 = 29831. Platform time arriving 1 ms at a time loses nothing
    // to rounding.
    for _ in 0..16 {
        assert_eq!(rate_adjust(&mut tpm, -3), Rc::SUCCESS);
    }
    assert_eq!(rate_adjust(&mut tpm, -2), Rc::SUCCESS);
    assert_eq!(rate_adjust(&mut tpm, -1), Rc::SUCCESS);
    let a = read_clock(&mut tpm);
    let poke = Cmd::new(cc::GET_TEST_RESULT).build();
    for _ in 0..29_831 {
        advance(&clock, 1);
        tpm.execute(0, &poke);
    }
    let b = read_clock(&mut tpm);
    assert_eq!(b.clock_info.clock - a.clock_info.clock, 30_000);
    // The setting is volatile.
    assert_eq!(
        power_cycle(&mut tpm, Some(su::CLEAR), su::CLEAR),
        Rc::SUCCESS
    );
    assert_eq!(span(&mut tpm, 1_000), (1_000, 1_000));
}
