//! Dictionary-attack commands and lockoutAuth (Part 3, §25; Part 1, §19.8). Response
//! codes are the ones swtpm 0.7.1 (libtpms 0.9.2) gives.

mod hutil;
mod util;
use hutil::*;
use tpm2_engine::Tpm;
use tpm2_types::constants::{alg, cc, permanent_attr as pa, pt, rh, su};
use tpm2_types::Rc;
use util::*;

// ---- Dictionary attack ---------------------------------------------------------------
// Lockout of DA-protected entities (NV indices without TPMA_NV_NO_DA) is exercised by the
// unit tests of src/da.rs until the NV commands that authorize indices exist.

#[test]
fn da_parameters_and_lock_reset() {
    let mut tpm = started();
    assert_eq!(
        da(&mut tpm),
        [0, 3, 1000, 1000],
        "libtpms' manufacturing values"
    );
    assert_eq!(da_params(&mut tpm, b"", 5, 10, 20), Rc::SUCCESS);
    assert_eq!(da(&mut tpm), [0, 5, 10, 20]);
    let dap = |h: u32| Cmd::new(cc::DICTIONARY_ATTACK_PARAMETERS).handle(h).pw(b"");
    let short = dap(rh::LOCKOUT).u32(1).u32(2);
    assert_eq!(run(&mut tpm, &short).rc, Rc::INSUFFICIENT.param(3));
    let long = dap(rh::LOCKOUT).u32(1).u32(2).u32(3).u8(0);
    assert_eq!(run(&mut tpm, &long).rc, Rc::SIZE);
    for h in [rh::OWNER, rh::PLATFORM] {
        assert_eq!(
            run(&mut tpm, &dap(h).u32(1).u32(2).u32(3)).rc,
            Rc::VALUE.handle(1)
        );
        assert_eq!(
            simple(&mut tpm, cc::DICTIONARY_ATTACK_LOCK_RESET, h, b""),
            Rc::VALUE.handle(1)
        );
    }
    let long = Cmd::new(cc::DICTIONARY_ATTACK_LOCK_RESET)
        .handle(rh::LOCKOUT)
        .pw(b"")
        .u8(0);
    assert_eq!(run(&mut tpm, &long).rc, Rc::SIZE);
    assert_eq!(
        da(&mut tpm),
        [0, 5, 10, 20],
        "nothing changed by the refused commands"
    );
    // The parameters persist.
    assert_eq!(power_cycle(&mut tpm, None, su::CLEAR), Rc::SUCCESS);
    assert_eq!(da(&mut tpm), [0, 5, 10, 20]);
    assert_eq!(
        simple(&mut tpm, cc::DICTIONARY_ATTACK_LOCK_RESET, rh::LOCKOUT, b""),
        Rc::SUCCESS
    );
}

#[test]
fn lockout_auth_failure_blocks_it_until_lockout_recovery() {
    let (mut tpm, clock) = timed();
    assert_eq!(da_params(&mut tpm, b"", 3, 1000, 10), Rc::SUCCESS);
    assert_eq!(change_auth(&mut tpm, rh::LOCKOUT, b"", b"L"), Rc::SUCCESS);
    let reset =
        |tpm: &mut Tpm, pw: &[u8]| simple(tpm, cc::DICTIONARY_ATTACK_LOCK_RESET, rh::LOCKOUT, pw);
    // lockoutAuth is protected by its own rule: one failure blocks it (Part 1, §19.8.3).
    assert_eq!(reset(&mut tpm, b"bad"), Rc::AUTH_FAIL.session(1));
    assert_eq!(reset(&mut tpm, b"L"), Rc::LOCKOUT);
    assert_eq!(change_auth(&mut tpm, rh::LOCKOUT, b"L", b""), Rc::LOCKOUT);
    assert_eq!(da_params(&mut tpm, b"L", 3, 1000, 1), Rc::LOCKOUT);
    assert_eq!(clear_control(&mut tpm, rh::LOCKOUT, 1), Rc::LOCKOUT);
    assert_eq!(simple(&mut tpm, cc::CLEAR, rh::LOCKOUT, b"L"), Rc::LOCKOUT);
    // It counts nothing for other entities.
    assert_eq!(da(&mut tpm)[0], 0);
    assert_eq!(prop(&mut tpm, pt::PERMANENT) & pa::IN_LOCKOUT, 0);
    // Refused attempts while blocked are no failures: the wait runs from the failure.
    advance(&clock, 5_000);
    assert_eq!(reset(&mut tpm, b"bad"), Rc::LOCKOUT);
    advance(&clock, 4_999);
    assert_eq!(reset(&mut tpm, b"L"), Rc::LOCKOUT);
    advance(&clock, 1);
    assert_eq!(reset(&mut tpm, b"L"), Rc::SUCCESS);
    // The recovery is measured with the current lockoutRecovery.
    assert_eq!(reset(&mut tpm, b"bad"), Rc::AUTH_FAIL.session(1));
    advance(&clock, 9_000);
    assert_eq!(reset(&mut tpm, b"L"), Rc::LOCKOUT);
    advance(&clock, 1_000);
    assert_eq!(reset(&mut tpm, b"L"), Rc::SUCCESS);
}

#[test]
fn lockout_recovery_zero_waits_for_a_startup() {
    let (mut tpm, clock) = timed();
    assert_eq!(da_params(&mut tpm, b"", 3, 1000, 0), Rc::SUCCESS);
    let reset =
        |tpm: &mut Tpm, pw: &[u8]| simple(tpm, cc::DICTIONARY_ATTACK_LOCK_RESET, rh::LOCKOUT, pw);
    assert_eq!(reset(&mut tpm, b"bad"), Rc::AUTH_FAIL.session(1));
    advance(&clock, 86_400_000);
    assert_eq!(reset(&mut tpm, b""), Rc::LOCKOUT);
    // Any startup frees it, TPM Resume included (as libtpms).
    assert_eq!(
        power_cycle(&mut tpm, Some(su::STATE), su::STATE),
        Rc::SUCCESS
    );
    assert_eq!(reset(&mut tpm, b""), Rc::SUCCESS);
    // With lockoutRecovery non-zero, a blocked lockoutAuth survives a power cycle and
    // its wait restarts with Time.
    assert_eq!(da_params(&mut tpm, b"", 3, 1000, 5), Rc::SUCCESS);
    assert_eq!(reset(&mut tpm, b"bad"), Rc::AUTH_FAIL.session(1));
    advance(&clock, 4_000);
    assert_eq!(
        power_cycle(&mut tpm, Some(su::CLEAR), su::CLEAR),
        Rc::SUCCESS
    );
    advance(&clock, 4_000);
    assert_eq!(reset(&mut tpm, b""), Rc::LOCKOUT);
    advance(&clock, 1_000);
    assert_eq!(reset(&mut tpm, b""), Rc::SUCCESS);
}

#[test]
fn clear_frees_a_blocked_lockout_auth() {
    let mut tpm = started();
    let reset =
        |tpm: &mut Tpm, pw: &[u8]| simple(tpm, cc::DICTIONARY_ATTACK_LOCK_RESET, rh::LOCKOUT, pw);
    assert_eq!(reset(&mut tpm, b"bad"), Rc::AUTH_FAIL.session(1));
    assert_eq!(reset(&mut tpm, b""), Rc::LOCKOUT);
    assert_eq!(simple(&mut tpm, cc::CLEAR, rh::PLATFORM, b""), Rc::SUCCESS);
    assert_eq!(reset(&mut tpm, b""), Rc::SUCCESS);
}

#[test]
fn hierarchy_and_sequence_failures_are_not_counted() {
    let mut tpm = started();
    for _ in 0..5 {
        assert_eq!(
            change_auth(&mut tpm, rh::OWNER, b"bad", b""),
            Rc::BAD_AUTH.session(1)
        );
        assert_eq!(
            change_auth(&mut tpm, rh::PLATFORM, b"bad", b""),
            Rc::BAD_AUTH.session(1)
        );
    }
    // Sequence objects are DA-exempt too (swtpm: TPM_RC_BAD_AUTH).
    let r = run(
        &mut tpm,
        &Cmd::new(cc::HASH_SEQUENCE_START).b(b"s").u16(alg::SHA256),
    )
    .ok();
    let seq = u32::from_be_bytes(r.body[..4].try_into().unwrap());
    for _ in 0..5 {
        let c = Cmd::new(cc::SEQUENCE_UPDATE)
            .handle(seq)
            .pw(b"x")
            .b(b"data");
        assert_eq!(run(&mut tpm, &c).rc, Rc::BAD_AUTH.session(1));
    }
    assert_eq!(da(&mut tpm)[0], 0);
    assert_eq!(prop(&mut tpm, pt::PERMANENT) & pa::IN_LOCKOUT, 0);
    assert_eq!(change_auth(&mut tpm, rh::OWNER, b"", b""), Rc::SUCCESS);
}
