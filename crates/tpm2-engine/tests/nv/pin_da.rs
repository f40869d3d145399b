//! PIN indices and dictionary-attack protection of index authorizations (Part 1, §37
//! and §19.8).

use super::*;

#[test]
fn pin_fail_index() {
    // TPMS_NV_PIN_COUNTER_PARAMETERS: pinCount (high 4 bytes) counts failures up to
    // pinLimit (low 4); a success resets it; at the limit the authValue is unavailable.
    let mut tpm = started();
    let pf = 0x0100_0001;
    assert_eq!(
        define_auth(&mut tpm, pf, OW | ty(nt::PIN_FAIL), 8, b"pin"),
        Rc::SUCCESS
    );
    assert_eq!(
        read_pw(&mut tpm, pf, pf, 8, 0, b"pin"),
        Err(Rc::AUTH_UNAVAILABLE),
        "unwritten"
    );
    assert_eq!(
        write(&mut tpm, OWNER, pf, &[0, 0, 0, 0, 0, 0, 0, 2], 0),
        Rc::SUCCESS
    );
    assert_eq!(
        read_pw(&mut tpm, pf, pf, 8, 0, b"bad"),
        Err(Rc::BAD_AUTH.session(1))
    );
    assert_eq!(read_u64(&mut tpm, pf), 1 << 32 | 2);
    assert_eq!(
        read_pw(&mut tpm, pf, pf, 8, 0, b"pin"),
        Ok(vec![0, 0, 0, 0, 0, 0, 0, 2])
    );
    assert_eq!(
        read_pw(&mut tpm, pf, pf, 8, 0, b"bad"),
        Err(Rc::BAD_AUTH.session(1))
    );
    assert_eq!(
        read_pw(&mut tpm, pf, pf, 8, 0, b"bad"),
        Err(Rc::BAD_AUTH.session(1))
    );
    assert_eq!(read_u64(&mut tpm, pf), 2 << 32 | 2);
    assert_eq!(
        read_pw(&mut tpm, pf, pf, 8, 0, b"pin"),
        Err(Rc::AUTH_UNAVAILABLE)
    );
    assert_eq!(
        read_pw(&mut tpm, pf, pf, 8, 0, b"bad"),
        Err(Rc::AUTH_UNAVAILABLE)
    );
    assert_eq!(
        property(&mut tpm, pt::LOCKOUT_COUNTER),
        0,
        "NO_DA: nothing counted"
    );
    // The owner may raise the limit with an ordinary (partial) write.
    assert_eq!(write(&mut tpm, OWNER, pf, &[0, 0, 0, 5], 4), Rc::SUCCESS);
    assert_eq!(read_u64(&mut tpm, pf), 2 << 32 | 5);
    // The index's own authValue cannot write it (no AUTHWRITE on a PIN index).
    assert_eq!(
        write_pw(&mut tpm, pf, pf, b"x", 0, b"pin"),
        Rc::AUTH_UNAVAILABLE
    );
    assert_eq!(
        simple(&mut tpm, cc::NV_INCREMENT, OWNER, pf, b""),
        Rc::ATTRIBUTES.handle(2)
    );
}

#[test]
fn pin_pass_index() {
    let mut tpm = started();
    let pp = 0x0100_0002;
    // DA-protected and without AUTHREAD: a PIN index's authValue is governed by the PIN.
    assert_eq!(
        define_auth(&mut tpm, pp, OW & !a::NO_DA | ty(nt::PIN_PASS), 8, b"pin"),
        Rc::SUCCESS
    );
    assert_eq!(
        write(&mut tpm, OWNER, pp, &[0, 0, 0, 0, 0, 0, 0, 2], 0),
        Rc::SUCCESS
    );
    // First use of a DA-protected authValue after startup: TPM_RC_RETRY, nothing counted.
    assert_eq!(read_pw(&mut tpm, pp, pp, 8, 0, b"pin"), Err(Rc::RETRY));
    // Each success counts, and the read returns the count after this use.
    assert_eq!(
        read_pw(&mut tpm, pp, pp, 8, 0, b"pin"),
        Ok(vec![0, 0, 0, 1, 0, 0, 0, 2])
    );
    assert_eq!(
        read_pw(&mut tpm, pp, pp, 8, 0, b"pin"),
        Ok(vec![0, 0, 0, 2, 0, 0, 0, 2])
    );
    assert_eq!(
        read_pw(&mut tpm, pp, pp, 8, 0, b"pin"),
        Err(Rc::AUTH_UNAVAILABLE)
    );
    assert_eq!(
        write(&mut tpm, OWNER, pp, &[0, 0, 0, 0, 0, 0, 0, 5], 0),
        Rc::SUCCESS
    );
    // A failure does not count, but is a DA failure.
    assert_eq!(
        read_pw(&mut tpm, pp, pp, 8, 0, b"bad"),
        Err(Rc::AUTH_FAIL.session(1))
    );
    assert_eq!(read_u64(&mut tpm, pp), 5);
    assert_eq!(property(&mut tpm, pt::LOCKOUT_COUNTER), 1);
    // The count is kept even when the command then fails.
    assert_eq!(read_pw(&mut tpm, pp, pp, 9, 0, b"pin"), Err(Rc::NV_RANGE));
    assert_eq!(
        simple(&mut tpm, cc::NV_READ_LOCK, pp, pp, b"pin"),
        Rc::ATTRIBUTES.handle(2)
    );
    assert_eq!(read_u64(&mut tpm, pp), 2 << 32 | 5);
    // A pinCount at or above the limit makes the authValue unavailable.
    assert_eq!(
        write(&mut tpm, OWNER, pp, &[0, 0, 0, 3, 0, 0, 0, 1], 0),
        Rc::SUCCESS
    );
    assert_eq!(
        read_pw(&mut tpm, pp, pp, 8, 0, b"pin"),
        Err(Rc::AUTH_UNAVAILABLE)
    );
}

#[test]
fn dictionary_attack_on_index_auth() {
    let mut tpm = started();
    let i = 0x0100_0001;
    let rw = a::OWNERWRITE | a::OWNERREAD | a::AUTHREAD | a::AUTHWRITE;
    assert_eq!(define_auth(&mut tpm, i, rw, 8, b"pw"), Rc::SUCCESS);
    assert_eq!(write(&mut tpm, OWNER, i, b"12345678", 0), Rc::SUCCESS);
    // The first authValue check of a DA-protected entity after startup: TPM_RC_RETRY
    // (swtpm records that DA is in use first), then normal service.
    assert_eq!(read_pw(&mut tpm, i, i, 8, 0, b"pw"), Err(Rc::RETRY));
    assert_eq!(
        read_pw(&mut tpm, i, i, 8, 0, b"pw"),
        Ok(b"12345678".to_vec())
    );
    // A non-orderly shutdown while DA was in use counts as one failure.
    restart(&mut tpm, None, su::CLEAR);
    assert_eq!(property(&mut tpm, pt::LOCKOUT_COUNTER), 1);
    assert_eq!(read_pw(&mut tpm, i, i, 8, 0, b"pw"), Err(Rc::RETRY));
    restart(&mut tpm, Some(su::CLEAR), su::CLEAR);
    assert_eq!(
        property(&mut tpm, pt::LOCKOUT_COUNTER),
        1,
        "orderly: nothing added"
    );
    // Even a wrong password is answered RETRY first.
    assert_eq!(write_pw(&mut tpm, i, i, b"x", 0, b"bad"), Rc::RETRY);
    assert_eq!(
        write_pw(&mut tpm, i, i, b"x", 0, b"bad"),
        Rc::AUTH_FAIL.session(1)
    );
    assert_eq!(
        write_pw(&mut tpm, i, i, b"x", 0, b"bad"),
        Rc::AUTH_FAIL.session(1)
    );
    assert_eq!(property(&mut tpm, pt::LOCKOUT_COUNTER), 3);
    // In lockout (maxTries 3) the index's authValue cannot be used at all; ownerAuth,
    // exempt from DA, still writes it.
    assert_eq!(write_pw(&mut tpm, i, i, b"x", 0, b"pw"), Rc::LOCKOUT);
    let r = run(
        &mut tpm,
        &Cmd::new(cc::NV_CHANGE_AUTH).handle(i).pw(b"pw").b(b""),
    );
    assert_eq!(r.rc, Rc::LOCKOUT, "lockout before the role check");
    assert_eq!(write(&mut tpm, OWNER, i, b"x", 0), Rc::SUCCESS);
}

#[test]
fn pin_index_keeps_its_data_across_clear_stclear() {
    // A CLEAR_STCLEAR PIN index becomes unwritten at TPM Reset, but a partial write then
    // shows its old bytes (libtpms clears only ordinary indices on a first write): here
    // the old pinCount 3 survives a write of the limit alone.
    let mut tpm = started();
    let p = 0x0100_0002;
    let attrs = OW | ty(nt::PIN_FAIL) | a::CLEAR_STCLEAR;
    assert_eq!(define(&mut tpm, p, attrs, 8), Rc::SUCCESS);
    assert_eq!(
        write(&mut tpm, OWNER, p, &[0, 0, 0, 3, 0, 0, 0, 9], 0),
        Rc::SUCCESS
    );
    restart(&mut tpm, Some(su::CLEAR), su::CLEAR);
    assert_eq!(read(&mut tpm, OWNER, p, 8, 0), Err(Rc::NV_UNINITIALIZED));
    // The kept bytes survive a state round trip too.
    let perm = tpm.take_permanent_blob();
    let mut tpm = Tpm::restore(Box::new(SimPlatform::new(4)), &perm, None).unwrap();
    run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    assert_eq!(write(&mut tpm, OWNER, p, &[0, 0, 0, 7], 4), Rc::SUCCESS);
    assert_eq!(read_u64(&mut tpm, p), 3 << 32 | 7);
    // A never-written PIN index reads as erased NV (0xFF) around a partial first write.
    // (libtpms shows whatever its NV memory held there: 0x00 if never used, 0xFF if
    // reclaimed; ferrotpm always uses the latter.)
    let q = 0x0100_0003;
    assert_eq!(define(&mut tpm, q, OW | ty(nt::PIN_PASS), 8), Rc::SUCCESS);
    assert_eq!(write(&mut tpm, OWNER, q, &[9], 7), Rc::SUCCESS);
    assert_eq!(read_u64(&mut tpm, q), 0xFFFF_FFFF_FFFF_FF09);
}

#[test]
fn dictionary_attack_use_after_shutdown() {
    // After TPM2_Shutdown the first DA-protected authValue use is again TPM_RC_RETRY, and
    // it makes the shutdown non-orderly: the next startup counts a failure and advances
    // orderly counters (as swtpm).
    let mut tpm = started();
    let (d, oc) = (0x0100_0003, 0x0100_0002);
    let rw = a::OWNERWRITE | a::OWNERREAD | a::AUTHREAD | a::AUTHWRITE;
    assert_eq!(define(&mut tpm, d, rw, 8), Rc::SUCCESS);
    assert_eq!(
        define(&mut tpm, oc, OW | a::ORDERLY | ty(nt::COUNTER), 8),
        Rc::SUCCESS
    );
    assert_eq!(
        simple(&mut tpm, cc::NV_INCREMENT, OWNER, oc, b""),
        Rc::SUCCESS
    );
    assert_eq!(write(&mut tpm, d, d, b"x", 0), Rc::RETRY);
    assert_eq!(write(&mut tpm, d, d, b"x", 0), Rc::SUCCESS);
    run(&mut tpm, &Cmd::new(cc::SHUTDOWN).u16(su::CLEAR)).ok();
    assert_eq!(write(&mut tpm, d, d, b"x", 0), Rc::RETRY);
    tpm.init();
    run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    assert_eq!(read_u64(&mut tpm, oc), 0xFF);
    assert_eq!(property(&mut tpm, pt::LOCKOUT_COUNTER), 1);
}
