//! Dictionary-attack protection on objects (Part 1, §19.8): bad passwords for a
//! DA-protected key lock the TPM out after maxTries, a `noDA` object is unaffected and
//! keeps answering, one failure heals per recoveryTime, and DictionaryAttackLockReset
//! with lockoutAuth ends the lockout at once.

mod hutil;
mod outil;
mod util;
use hutil::*;
use outil::*;
use tpm2_engine::{SimPlatform, Tpm};
use tpm2_types::constants::{cc, obj_attr as a, pt, rh, su};
use tpm2_types::Rc;
use util::*;

fn unseal(tpm: &mut Tpm, h: u32, pw: &[u8]) -> Rc {
    go(tpm, &Cmd::new(cc::UNSEAL).handle(h).pw(pw)).rc
}

#[test]
fn objects_lock_out_heal_and_reset() {
    let platform = SimPlatform::new(11);
    let clock = platform.clock();
    let mut tpm = Tpm::manufacture(Box::new(platform));
    run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    // maxTries 3, recoveryTime 10 s, lockoutRecovery 20 s.
    go(
        &mut tpm,
        &Cmd::new(cc::DICTIONARY_ATTACK_PARAMETERS)
            .handle(rh::LOCKOUT)
            .pw(b"")
            .u32(3)
            .u32(10)
            .u32(20),
    )
    .ok();
    let (parent, _) = primary(&mut tpm, rh::OWNER, &ecc_srk());
    let (private, public) = try_create(&mut tpm, parent, &sealed(), b"pw", b"data").unwrap();
    let guarded = load(&mut tpm, parent, &private, &public).unwrap();
    let mut t = sealed();
    t.attributes |= a::NO_DA;
    let (private, public) = try_create(&mut tpm, parent, &t, b"pw", b"free").unwrap();
    let free = load(&mut tpm, parent, &private, &public).unwrap();

    // A noDA object's failures do not count.
    for _ in 0..5 {
        assert_eq!(unseal(&mut tpm, free, b"bad"), Rc::BAD_AUTH.session(1));
    }
    assert_eq!(prop(&mut tpm, pt::LOCKOUT_COUNTER), 0);
    // Three failures of a DA-protected one lock the TPM out.
    for i in 1..=3 {
        assert_eq!(unseal(&mut tpm, guarded, b"bad"), Rc::AUTH_FAIL.session(1));
        assert_eq!(prop(&mut tpm, pt::LOCKOUT_COUNTER), i);
    }
    assert_eq!(unseal(&mut tpm, guarded, b"pw"), Rc::LOCKOUT);
    // The noDA object still works.
    assert_eq!(unseal(&mut tpm, free, b"pw"), Rc::SUCCESS);
    // One failure heals per recoveryTime: after 10 s one more try is allowed.
    advance(&clock, 9_000);
    assert_eq!(unseal(&mut tpm, guarded, b"pw"), Rc::LOCKOUT);
    advance(&clock, 1_000);
    assert_eq!(prop(&mut tpm, pt::LOCKOUT_COUNTER), 2);
    assert_eq!(unseal(&mut tpm, guarded, b"pw"), Rc::SUCCESS);
    assert_eq!(unseal(&mut tpm, guarded, b"bad"), Rc::AUTH_FAIL.session(1));
    assert_eq!(unseal(&mut tpm, guarded, b"pw"), Rc::LOCKOUT);
    // lockoutAuth resets the counter at once.
    go(
        &mut tpm,
        &Cmd::new(cc::DICTIONARY_ATTACK_LOCK_RESET)
            .handle(rh::LOCKOUT)
            .pw(b""),
    )
    .ok();
    assert_eq!(prop(&mut tpm, pt::LOCKOUT_COUNTER), 0);
    assert_eq!(unseal(&mut tpm, guarded, b"pw"), Rc::SUCCESS);
}
