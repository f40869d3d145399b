//! Locks, startup effects, orderly indices and persistence (Part 3, §31.11-31.12,
//! §31.14; Part 1, §37).

use super::*;

#[test]
fn write_locks() {
    let mut tpm = started();
    let (wd, ws, wds) = (0x0100_0001, 0x0100_0002, 0x0100_0005);
    let lock = |tpm: &mut Tpm, auth, h| simple(tpm, cc::NV_WRITE_LOCK, auth, h, b"");
    assert_eq!(define(&mut tpm, wd, OW | a::WRITEDEFINE, 8), Rc::SUCCESS);
    assert_eq!(define(&mut tpm, ws, OW | a::WRITE_STCLEAR, 8), Rc::SUCCESS);
    assert_eq!(
        define(&mut tpm, wds, OW | a::WRITEDEFINE | a::WRITE_STCLEAR, 8),
        Rc::SUCCESS
    );
    assert_eq!(define(&mut tpm, 0x0100_0009, OW, 8), Rc::SUCCESS);
    // Without WRITEDEFINE or WRITE_STCLEAR an index cannot be locked.
    assert_eq!(lock(&mut tpm, OWNER, 0x0100_0009), Rc::ATTRIBUTES.handle(2));
    assert_eq!(lock(&mut tpm, PLATFORM, 0x0100_0009), Rc::NV_AUTHORIZATION);
    // An unwritten index can be locked.
    assert_eq!(lock(&mut tpm, OWNER, wd), Rc::SUCCESS);
    assert_eq!(attrs(&mut tpm, wd), OW | a::WRITEDEFINE | a::WRITELOCKED);
    assert_eq!(write(&mut tpm, OWNER, wd, b"x", 0), Rc::NV_LOCKED);
    // Locking again is no error, even by someone who may not write (the lock is checked
    // first).
    assert_eq!(lock(&mut tpm, OWNER, wd), Rc::SUCCESS);
    assert_eq!(lock(&mut tpm, PLATFORM, wd), Rc::SUCCESS);
    assert_eq!(lock(&mut tpm, OWNER, ws), Rc::SUCCESS);
    assert_eq!(
        write(&mut tpm, PLATFORM, ws, b"x", 0),
        Rc::NV_LOCKED,
        "lock before authorization"
    );
    assert_eq!(write(&mut tpm, OWNER, wds, b"abc", 0), Rc::SUCCESS);
    assert_eq!(lock(&mut tpm, OWNER, wds), Rc::SUCCESS);
    // Typed writes are write operations too.
    let c = 0x0100_0006;
    assert_eq!(
        define(&mut tpm, c, OW | ty(nt::COUNTER) | a::WRITE_STCLEAR, 8),
        Rc::SUCCESS
    );
    assert_eq!(lock(&mut tpm, OWNER, c), Rc::SUCCESS);
    assert_eq!(
        simple(&mut tpm, cc::NV_INCREMENT, OWNER, c, b""),
        Rc::NV_LOCKED
    );
    // TPM Resume keeps every lock.
    restart(&mut tpm, Some(su::STATE), su::STATE);
    for h in [wd, ws, wds, c] {
        assert_ne!(
            attrs(&mut tpm, h) & a::WRITELOCKED,
            0,
            "{h:#x} after resume"
        );
    }
    // TPM Restart (and Reset) release them, except on a *written* WRITEDEFINE index.
    restart(&mut tpm, Some(su::STATE), su::CLEAR);
    assert_eq!(
        attrs(&mut tpm, wd) & a::WRITELOCKED,
        0,
        "unwritten WRITEDEFINE"
    );
    assert_eq!(attrs(&mut tpm, ws) & a::WRITELOCKED, 0);
    assert_ne!(
        attrs(&mut tpm, wds) & a::WRITELOCKED,
        0,
        "written WRITEDEFINE"
    );
    assert_eq!(attrs(&mut tpm, c) & a::WRITELOCKED, 0);
    assert_eq!(read(&mut tpm, OWNER, wds, 3, 0), Ok(b"abc".to_vec()));
    restart(&mut tpm, Some(su::CLEAR), su::CLEAR);
    assert_ne!(
        attrs(&mut tpm, wds) & a::WRITELOCKED,
        0,
        "survives a TPM Reset too"
    );
    // Only deleting it ends the lock.
    assert_eq!(undefine(&mut tpm, OWNER, wds), Rc::SUCCESS);
}

#[test]
fn global_write_lock() {
    let mut tpm = started();
    let (g, o) = (0x0100_0003, 0x0100_0004);
    let pp = a::PPWRITE | a::PPREAD | a::PLATFORMCREATE | a::NO_DA | a::GLOBALLOCK;
    assert_eq!(define(&mut tpm, g, OW | a::GLOBALLOCK, 8), Rc::SUCCESS);
    assert_eq!(
        define(&mut tpm, o, OW | a::GLOBALLOCK | a::ORDERLY, 8),
        Rc::SUCCESS
    );
    assert_eq!(define_platform(&mut tpm, 0x0140_0001, pp, 8), Rc::SUCCESS);
    assert_eq!(define(&mut tpm, 0x0100_0005, OW, 8), Rc::SUCCESS);
    assert_eq!(write(&mut tpm, OWNER, g, b"a", 0), Rc::SUCCESS);
    let glock =
        |tpm: &mut Tpm, h| run(tpm, &Cmd::new(cc::NV_GLOBAL_WRITE_LOCK).handle(h).pw(b"")).rc;
    assert_eq!(glock(&mut tpm, rh::ENDORSEMENT), Rc::VALUE.handle(1));
    assert_eq!(glock(&mut tpm, OWNER), Rc::SUCCESS);
    for h in [g, o, 0x0140_0001] {
        assert_ne!(attrs(&mut tpm, h) & a::WRITELOCKED, 0, "{h:#x}");
    }
    assert_eq!(attrs(&mut tpm, 0x0100_0005) & a::WRITELOCKED, 0);
    assert_eq!(write(&mut tpm, OWNER, g, b"a", 0), Rc::NV_LOCKED);
    assert_eq!(glock(&mut tpm, PLATFORM), Rc::SUCCESS);
    restart(&mut tpm, Some(su::CLEAR), su::CLEAR);
    assert_eq!(
        write(&mut tpm, OWNER, g, b"a", 0),
        Rc::SUCCESS,
        "released at startup"
    );
}

#[test]
fn read_locks_and_clear_stclear() {
    let mut tpm = started();
    let (rs, ru, cs) = (0x0100_0004, 0x0100_0007, 0x0100_0006);
    let rlock = |tpm: &mut Tpm, auth, h| simple(tpm, cc::NV_READ_LOCK, auth, h, b"");
    assert_eq!(define(&mut tpm, rs, OW | a::READ_STCLEAR, 8), Rc::SUCCESS);
    assert_eq!(define(&mut tpm, ru, OW | a::READ_STCLEAR, 8), Rc::SUCCESS);
    assert_eq!(define(&mut tpm, cs, OW | a::CLEAR_STCLEAR, 8), Rc::SUCCESS);
    assert_eq!(rlock(&mut tpm, OWNER, cs), Rc::ATTRIBUTES.handle(2));
    assert_eq!(rlock(&mut tpm, PLATFORM, rs), Rc::NV_AUTHORIZATION);
    assert_eq!(write(&mut tpm, OWNER, rs, b"a", 0), Rc::SUCCESS);
    assert_eq!(rlock(&mut tpm, OWNER, rs), Rc::SUCCESS);
    assert_eq!(read(&mut tpm, OWNER, rs, 1, 0), Err(Rc::NV_LOCKED));
    assert_eq!(rlock(&mut tpm, OWNER, rs), Rc::SUCCESS);
    assert_eq!(
        rlock(&mut tpm, PLATFORM, rs),
        Rc::SUCCESS,
        "already locked: no error"
    );
    assert_eq!(
        write(&mut tpm, OWNER, rs, b"b", 0),
        Rc::SUCCESS,
        "reads only"
    );
    // An unwritten index can be read-locked (NV_UNINITIALIZED is no obstacle).
    assert_eq!(rlock(&mut tpm, OWNER, ru), Rc::SUCCESS);
    assert_eq!(read(&mut tpm, OWNER, ru, 1, 0), Err(Rc::NV_LOCKED));
    assert_eq!(write(&mut tpm, OWNER, cs, b"a", 0), Rc::SUCCESS);
    restart(&mut tpm, Some(su::STATE), su::STATE);
    assert_ne!(
        attrs(&mut tpm, rs) & a::READLOCKED,
        0,
        "resume keeps read locks"
    );
    assert_ne!(
        attrs(&mut tpm, cs) & a::WRITTEN,
        0,
        "resume keeps CLEAR_STCLEAR data"
    );
    restart(&mut tpm, Some(su::STATE), su::CLEAR);
    assert_eq!(attrs(&mut tpm, rs), OW | a::READ_STCLEAR | a::WRITTEN);
    assert_eq!(read(&mut tpm, OWNER, rs, 1, 0), Ok(b"b".to_vec()));
    assert_eq!(attrs(&mut tpm, ru), OW | a::READ_STCLEAR);
    // CLEAR_STCLEAR: TPM Restart or Reset makes the index unwritten.
    assert_eq!(attrs(&mut tpm, cs), OW | a::CLEAR_STCLEAR);
    assert_eq!(read(&mut tpm, OWNER, cs, 1, 0), Err(Rc::NV_UNINITIALIZED));
}

#[test]
fn orderly_indices() {
    let mut tpm = started();
    let (o, oc, ob) = (0x0100_0001, 0x0100_0002, 0x0100_0003);
    let inc = |tpm: &mut Tpm, h| simple(tpm, cc::NV_INCREMENT, OWNER, h, b"");
    assert_eq!(define(&mut tpm, o, OW | a::ORDERLY, 8), Rc::SUCCESS);
    assert_eq!(
        define(&mut tpm, oc, OW | a::ORDERLY | ty(nt::COUNTER), 8),
        Rc::SUCCESS
    );
    assert_eq!(
        define(&mut tpm, ob, OW | a::ORDERLY | ty(nt::BITS), 8),
        Rc::SUCCESS
    );
    // A first partial write leaves the rest of an orderly index zero (not 0xFF).
    assert_eq!(write(&mut tpm, OWNER, o, b"ab", 2), Rc::SUCCESS);
    assert_eq!(
        read(&mut tpm, OWNER, o, 8, 0),
        Ok(b"\0\0ab\0\0\0\0".to_vec())
    );
    for _ in 0..3 {
        inc(&mut tpm, oc);
    }
    let set = Cmd::new(cc::NV_SET_BITS)
        .handle(OWNER)
        .handle(ob)
        .pw(b"")
        .put(&5u64);
    run(&mut tpm, &set).ok();
    // TPM Restart keeps everything.
    restart(&mut tpm, Some(su::STATE), su::CLEAR);
    assert_eq!(
        read(&mut tpm, OWNER, o, 8, 0),
        Ok(b"\0\0ab\0\0\0\0".to_vec())
    );
    assert_eq!(read_u64(&mut tpm, ob), 5);
    // TPM Reset: orderly indices other than counters lose their data.
    restart(&mut tpm, Some(su::CLEAR), su::CLEAR);
    assert_eq!(attrs(&mut tpm, o), OW | a::ORDERLY);
    assert_eq!(read(&mut tpm, OWNER, o, 8, 0), Err(Rc::NV_UNINITIALIZED));
    assert_eq!(attrs(&mut tpm, ob) & a::WRITTEN, 0);
    assert_eq!(read_u64(&mut tpm, oc), 3);
    inc(&mut tpm, oc);
    // After a non-orderly shutdown an orderly counter jumps to the end of its
    // MAX_ORDERLY_COUNT (255) block; a non-orderly counter does not.
    let c = 0x0100_0004;
    assert_eq!(define(&mut tpm, c, OW | ty(nt::COUNTER), 8), Rc::SUCCESS);
    inc(&mut tpm, c);
    restart(&mut tpm, None, su::CLEAR);
    assert_eq!(read_u64(&mut tpm, oc), 0xFF);
    assert_eq!(read_u64(&mut tpm, c), 1);
    inc(&mut tpm, oc);
    assert_eq!(read_u64(&mut tpm, oc), 0x100);
    restart(&mut tpm, None, su::CLEAR);
    assert_eq!(read_u64(&mut tpm, oc), 0x1FF);
    // Unwritten orderly counters stay unwritten.
    let oc2 = 0x0100_0005;
    assert_eq!(
        define(&mut tpm, oc2, OW | a::ORDERLY | ty(nt::COUNTER), 8),
        Rc::SUCCESS
    );
    restart(&mut tpm, None, su::CLEAR);
    assert_eq!(attrs(&mut tpm, oc2) & a::WRITTEN, 0);
}

#[test]
fn nv_survives_state_round_trip() {
    let mut tpm = started();
    let (o, c, p, l) = (0x0100_0001, 0x0100_0002, 0x0140_0003, 0x0100_0004);
    assert_eq!(
        define_auth(&mut tpm, o, OW | a::AUTHREAD, 16, b"secret"),
        Rc::SUCCESS
    );
    assert_eq!(write(&mut tpm, OWNER, o, b"persist me", 3), Rc::SUCCESS);
    assert_eq!(define(&mut tpm, c, OW | ty(nt::COUNTER), 8), Rc::SUCCESS);
    assert_eq!(
        simple(&mut tpm, cc::NV_INCREMENT, OWNER, c, b""),
        Rc::SUCCESS
    );
    let pp = a::PPWRITE | a::PPREAD | a::PLATFORMCREATE | a::NO_DA;
    assert_eq!(
        define_platform(&mut tpm, p, pp | ty(nt::EXTEND), 32),
        Rc::SUCCESS
    );
    assert_eq!(define(&mut tpm, l, OW | a::WRITEDEFINE, 8), Rc::SUCCESS);
    assert_eq!(write(&mut tpm, OWNER, l, &[1; 8], 0), Rc::SUCCESS);
    assert_eq!(
        simple(&mut tpm, cc::NV_WRITE_LOCK, OWNER, l, b""),
        Rc::SUCCESS
    );
    let before: Vec<_> = [o, c, p, l]
        .iter()
        .map(|&h| read_public(&mut tpm, h).unwrap())
        .collect();
    assert!(tpm.permanent_dirty());
    let perm = tpm.take_permanent_blob();
    // A power cycle: permanent state only, then _TPM_Init and Startup(CLEAR).
    let mut back = Tpm::restore(Box::new(SimPlatform::new(9)), &perm, None).unwrap();
    run(&mut back, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    let after: Vec<_> = [o, c, p, l]
        .iter()
        .map(|&h| read_public(&mut back, h).unwrap())
        .collect();
    assert_eq!(after, before, "public areas and Names");
    let mut want = vec![0xFF; 3];
    want.extend_from_slice(b"persist me");
    want.extend_from_slice(&[0xFF; 3]);
    assert_eq!(read_pw(&mut back, o, o, 16, 0, b"secret"), Ok(want));
    assert_eq!(read_u64(&mut back, c), 1);
    assert_eq!(write(&mut back, OWNER, l, &[2; 8], 0), Rc::NV_LOCKED);
    assert_eq!(
        read(&mut back, PLATFORM, p, 32, 0),
        Err(Rc::NV_UNINITIALIZED)
    );
}

#[test]
fn orderly_changes_after_shutdown_cancel_it() {
    // Orderly data changed after TPM2_Shutdown(STATE) was not saved by it, so the shutdown
    // stops counting as orderly: no TPM Resume, and orderly counters advance (libtpms).
    let setup = || {
        let mut tpm = started();
        assert_eq!(define(&mut tpm, 0x0100_0001, OW, 8), Rc::SUCCESS);
        assert_eq!(
            define(&mut tpm, 0x0100_0002, OW | a::ORDERLY, 8),
            Rc::SUCCESS
        );
        let oc = OW | a::ORDERLY | ty(nt::COUNTER);
        assert_eq!(define(&mut tpm, 0x0100_0004, oc, 8), Rc::SUCCESS);
        assert_eq!(
            simple(&mut tpm, cc::NV_INCREMENT, OWNER, 0x0100_0004, b""),
            Rc::SUCCESS
        );
        run(&mut tpm, &Cmd::new(cc::SHUTDOWN).u16(su::STATE)).ok();
        tpm
    };
    // Other changes leave it orderly.
    let mut tpm = setup();
    assert_eq!(write(&mut tpm, OWNER, 0x0100_0001, b"y", 0), Rc::SUCCESS);
    assert_eq!(
        define(&mut tpm, 0x0100_0009, OW | a::ORDERLY, 8),
        Rc::SUCCESS
    );
    tpm.init();
    run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::STATE)).ok();
    assert_eq!(read_u64(&mut tpm, 0x0100_0004), 1);
    // An orderly index's data does not.
    let mut tpm = setup();
    assert_eq!(write(&mut tpm, OWNER, 0x0100_0002, b"z", 0), Rc::SUCCESS);
    tpm.init();
    let r = run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::STATE));
    assert_eq!(r.rc, Rc::VALUE.param(1));
    run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    assert_eq!(read_u64(&mut tpm, 0x0100_0004), 0xFF);
    assert_eq!(
        read(&mut tpm, OWNER, 0x0100_0002, 1, 0),
        Err(Rc::NV_UNINITIALIZED)
    );
}
