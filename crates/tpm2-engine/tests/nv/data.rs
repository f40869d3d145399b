//! Reading and writing data of each index type (Part 3, §31.7-31.10, §31.13).

use super::*;

#[test]
fn write_and_read_access() {
    let mut tpm = started();
    let i1 = 0x0100_0001; // owner read/write only
    let i2 = 0x0100_0002; // index authorization only
    assert_eq!(define_auth(&mut tpm, i1, OW, 16, b"ixpw"), Rc::SUCCESS);
    assert_eq!(
        define_auth(
            &mut tpm,
            i2,
            a::AUTHWRITE | a::AUTHREAD | a::NO_DA,
            16,
            b"ixpw"
        ),
        Rc::SUCCESS
    );
    // The index's own authValue needs AUTHWRITE/AUTHREAD (checked before the password).
    assert_eq!(
        write_pw(&mut tpm, i1, i1, b"a", 0, b"ixpw"),
        Rc::AUTH_UNAVAILABLE
    );
    assert_eq!(
        write_pw(&mut tpm, i1, i1, b"a", 0, b"bad"),
        Rc::AUTH_UNAVAILABLE
    );
    assert_eq!(
        read_pw(&mut tpm, i1, i1, 1, 0, b"ixpw"),
        Err(Rc::AUTH_UNAVAILABLE)
    );
    // platformAuth needs PPWRITE/PPREAD; ownerAuth OWNERWRITE/OWNERREAD.
    assert_eq!(write(&mut tpm, PLATFORM, i1, b"a", 0), Rc::NV_AUTHORIZATION);
    assert_eq!(
        read(&mut tpm, PLATFORM, i1, 1, 0),
        Err(Rc::NV_AUTHORIZATION)
    );
    assert_eq!(write(&mut tpm, OWNER, i2, b"a", 0), Rc::NV_AUTHORIZATION);
    // The authorization check precedes the "not written" one.
    assert_eq!(read(&mut tpm, OWNER, i2, 1, 0), Err(Rc::NV_AUTHORIZATION));
    assert_eq!(
        read_pw(&mut tpm, i2, i2, 1, 0, b"ixpw"),
        Err(Rc::NV_UNINITIALIZED)
    );
    // Another index's authorization does not write this one.
    assert_eq!(
        define_auth(
            &mut tpm,
            0x0100_0003,
            a::AUTHWRITE | a::AUTHREAD | a::NO_DA,
            8,
            b""
        ),
        Rc::SUCCESS
    );
    assert_eq!(
        write(&mut tpm, 0x0100_0003, i2, b"a", 0),
        Rc::NV_AUTHORIZATION
    );
    assert_eq!(
        write(&mut tpm, 0x0100_0099, i2, b"a", 0),
        Rc::HANDLE.handle(1)
    );
    assert_eq!(
        read(&mut tpm, OWNER, 0x0100_0099, 1, 0),
        Err(Rc::HANDLE.handle(2))
    );
    assert_eq!(
        read(&mut tpm, OWNER, 0x8100_0000, 1, 0),
        Err(Rc::VALUE.handle(2))
    );
    assert_eq!(
        read(&mut tpm, rh::LOCKOUT, i1, 1, 0),
        Err(Rc::VALUE.handle(1))
    );
    // A wrong password for an NO_DA index: TPM_RC_BAD_AUTH, nothing counted.
    assert_eq!(
        write_pw(&mut tpm, i2, i2, b"abc", 0, b"bad"),
        Rc::BAD_AUTH.session(1)
    );
    assert_eq!(property(&mut tpm, pt::LOCKOUT_COUNTER), 0);
    // Ranges: offset beyond the index is VALUE (parameter 2), data beyond it NV_RANGE.
    assert_eq!(write_pw(&mut tpm, i2, i2, b"abc", 0, b"ixpw"), Rc::SUCCESS);
    assert_eq!(
        write_pw(&mut tpm, i2, i2, b"", 17, b"ixpw"),
        Rc::VALUE.param(2)
    );
    assert_eq!(write_pw(&mut tpm, i2, i2, b"", 16, b"ixpw"), Rc::SUCCESS);
    assert_eq!(write_pw(&mut tpm, i2, i2, b"ab", 15, b"ixpw"), Rc::NV_RANGE);
    assert_eq!(
        write_pw(&mut tpm, i2, i2, &[0; 1025], 0, b"ixpw"),
        Rc::SIZE.param(1)
    );
    assert_eq!(
        read_pw(&mut tpm, i2, i2, 1025, 0, b"ixpw"),
        Err(Rc::VALUE.param(1))
    );
    assert_eq!(
        read_pw(&mut tpm, i2, i2, 1025, 17, b"ixpw"),
        Err(Rc::VALUE.param(1))
    );
    assert_eq!(
        read_pw(&mut tpm, i2, i2, 0, 17, b"ixpw"),
        Err(Rc::VALUE.param(2))
    );
    assert_eq!(read_pw(&mut tpm, i2, i2, 2, 15, b"ixpw"), Err(Rc::NV_RANGE));
    // The first write of a (non-orderly) index leaves the rest erased (0xFF).
    let mut want = b"abc".to_vec();
    want.extend_from_slice(&[0xFF; 13]);
    assert_eq!(read_pw(&mut tpm, i2, i2, 16, 0, b"ixpw"), Ok(want));
    assert_eq!(write(&mut tpm, OWNER, i1, b"abcd", 2), Rc::SUCCESS);
    assert_eq!(
        read(&mut tpm, OWNER, i1, 8, 0),
        Ok(b"\xff\xffabcd\xff\xff".to_vec())
    );
    assert_eq!(read(&mut tpm, OWNER, i1, 2, 3), Ok(b"bc".to_vec()));
    assert_eq!(read(&mut tpm, OWNER, i1, 0, 16), Ok(vec![]));
}

#[test]
fn writeall_and_empty_writes() {
    let mut tpm = started();
    let w = 0x0100_0030;
    assert_eq!(define(&mut tpm, w, OW | a::WRITEALL, 8), Rc::SUCCESS);
    assert_eq!(write(&mut tpm, OWNER, w, b"abc", 0), Rc::NV_RANGE);
    assert_eq!(write(&mut tpm, OWNER, w, b"", 8), Rc::NV_RANGE);
    assert_eq!(write(&mut tpm, OWNER, w, b"abcdefgh", 0), Rc::SUCCESS);
    assert_eq!(write(&mut tpm, OWNER, w, b"abc", 0), Rc::NV_RANGE);
    // An empty write still makes an index written (the rest erased).
    let y = 0x0100_0032;
    assert_eq!(define(&mut tpm, y, OW, 4), Rc::SUCCESS);
    assert_eq!(write(&mut tpm, OWNER, y, b"", 2), Rc::SUCCESS);
    assert_ne!(attrs(&mut tpm, y) & a::WRITTEN, 0);
    assert_eq!(read(&mut tpm, OWNER, y, 4, 0), Ok(vec![0xFF; 4]));
    let z = 0x0100_0031;
    assert_eq!(define(&mut tpm, z, OW, 0), Rc::SUCCESS);
    assert_eq!(write(&mut tpm, OWNER, z, b"", 0), Rc::SUCCESS);
    assert_eq!(read(&mut tpm, OWNER, z, 0, 0), Ok(vec![]));
}

#[test]
fn counters() {
    let mut tpm = started();
    let (c1, c2, c3, c4) = (0x0100_0001, 0x0100_0002, 0x0100_0003, 0x0100_0004);
    let inc = |tpm: &mut Tpm, h| simple(tpm, cc::NV_INCREMENT, OWNER, h, b"");
    assert_eq!(define(&mut tpm, c1, OW | ty(nt::COUNTER), 8), Rc::SUCCESS);
    assert_eq!(read(&mut tpm, OWNER, c1, 8, 0), Err(Rc::NV_UNINITIALIZED));
    for _ in 0..5 {
        assert_eq!(inc(&mut tpm, c1), Rc::SUCCESS);
    }
    assert_eq!(read_u64(&mut tpm, c1), 5);
    assert_eq!(attrs(&mut tpm, c1), OW | ty(nt::COUNTER) | a::WRITTEN);
    // A new counter starts above every *deleted* counter; counters still defined do not
    // count (libtpms keeps only the deleted maximum).
    assert_eq!(define(&mut tpm, c2, OW | ty(nt::COUNTER), 8), Rc::SUCCESS);
    inc(&mut tpm, c2);
    assert_eq!(read_u64(&mut tpm, c2), 1);
    assert_eq!(undefine(&mut tpm, OWNER, c1), Rc::SUCCESS);
    assert_eq!(define(&mut tpm, c3, OW | ty(nt::COUNTER), 8), Rc::SUCCESS);
    inc(&mut tpm, c3);
    assert_eq!(read_u64(&mut tpm, c3), 6);
    // Deleting an unwritten counter changes nothing.
    assert_eq!(define(&mut tpm, c4, OW | ty(nt::COUNTER), 8), Rc::SUCCESS);
    assert_eq!(undefine(&mut tpm, OWNER, c4), Rc::SUCCESS);
    for _ in 0..10 {
        inc(&mut tpm, c3);
    }
    assert_eq!(undefine(&mut tpm, OWNER, c3), Rc::SUCCESS);
    assert_eq!(define(&mut tpm, c4, OW | ty(nt::COUNTER), 8), Rc::SUCCESS);
    inc(&mut tpm, c4);
    assert_eq!(read_u64(&mut tpm, c4), 17);
    // Only NV_Increment changes a counter; other types refuse NV_Increment.
    assert_eq!(write(&mut tpm, OWNER, c4, &[0; 8], 0), Rc::ATTRIBUTES);
    assert_eq!(
        write(&mut tpm, OWNER, c4, &[0; 1], 99),
        Rc::ATTRIBUTES,
        "type before range"
    );
    assert_eq!(define(&mut tpm, 0x0100_0010, OW, 8), Rc::SUCCESS);
    assert_eq!(inc(&mut tpm, 0x0100_0010), Rc::ATTRIBUTES.handle(2));
    // The counter floor is permanent state.
    let perm = tpm.take_permanent_blob();
    let mut back = Tpm::restore(Box::new(SimPlatform::new(3)), &perm, None).unwrap();
    run(&mut back, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    assert_eq!(undefine(&mut back, OWNER, c4), Rc::SUCCESS);
    assert_eq!(define(&mut back, c1, OW | ty(nt::COUNTER), 8), Rc::SUCCESS);
    inc(&mut back, c1);
    assert_eq!(read_u64(&mut back, c1), 18);
}

#[test]
fn bit_fields() {
    let mut tpm = started();
    let (b, b2) = (0x0100_0010, 0x0100_0011);
    let set = |tpm: &mut Tpm, h, bits: u64| {
        run(
            tpm,
            &Cmd::new(cc::NV_SET_BITS)
                .handle(OWNER)
                .handle(h)
                .pw(b"")
                .put(&bits),
        )
        .rc
    };
    assert_eq!(define(&mut tpm, b, OW | ty(nt::BITS), 8), Rc::SUCCESS);
    assert_eq!(read(&mut tpm, OWNER, b, 8, 0), Err(Rc::NV_UNINITIALIZED));
    assert_eq!(set(&mut tpm, b, 0x8001), Rc::SUCCESS);
    assert_eq!(set(&mut tpm, b, 0x0100_0000_0000_0000), Rc::SUCCESS);
    assert_eq!(set(&mut tpm, b, 0), Rc::SUCCESS);
    assert_eq!(read_u64(&mut tpm, b), 0x0100_0000_0000_8001);
    assert_eq!(read(&mut tpm, OWNER, b, 4, 4), Ok(vec![0, 0, 0x80, 0x01]));
    // Setting no bits initializes an index to zero.
    assert_eq!(define(&mut tpm, b2, OW | ty(nt::BITS), 8), Rc::SUCCESS);
    assert_eq!(set(&mut tpm, b2, 0), Rc::SUCCESS);
    assert_eq!(read_u64(&mut tpm, b2), 0);
    assert_eq!(write(&mut tpm, OWNER, b, &[1], 0), Rc::ATTRIBUTES);
    assert_eq!(define(&mut tpm, 0x0100_0012, OW, 8), Rc::SUCCESS);
    assert_eq!(set(&mut tpm, 0x0100_0012, 1), Rc::ATTRIBUTES.handle(2));
}

#[test]
fn extend_indices() {
    let mut tpm = started();
    let (e, e1) = (0x0100_0020, 0x0100_0021);
    let ext = |tpm: &mut Tpm, h, d: &[u8]| {
        run(
            tpm,
            &Cmd::new(cc::NV_EXTEND).handle(OWNER).handle(h).pw(b"").b(d),
        )
        .rc
    };
    let hex = |v: Vec<u8>| v.iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert_eq!(define(&mut tpm, e, OW | ty(nt::EXTEND), 32), Rc::SUCCESS);
    assert_eq!(ext(&mut tpm, e, b"abc"), Rc::SUCCESS);
    // SHA-256(0^32 || "abc"), as swtpm computes it.
    let want = "365aa7d8f7f9402c4b9434502b4cc89ddb09fe50d7cd95b493b834c62d5a5370";
    assert_eq!(hex(read(&mut tpm, OWNER, e, 32, 0).unwrap()), want);
    assert_eq!(ext(&mut tpm, e, b""), Rc::SUCCESS);
    let want = "e68b0c72b1aff9488294900ba6cc1e99075122a8d0c122eb42da506f9c2321a4";
    assert_eq!(hex(read(&mut tpm, OWNER, e, 32, 0).unwrap()), want);
    // A SHA-1 extend index is 20 bytes and extends with SHA-1.
    let p = public(e1, OW | ty(nt::EXTEND), 20, HashAlg::Sha1, &[]);
    assert_eq!(define_full(&mut tpm, OWNER, b"", &p), Rc::SUCCESS);
    assert_eq!(ext(&mut tpm, e1, b"abc"), Rc::SUCCESS);
    let want = "826eb434a3b998d52e8f8d6ff97418cb60d5256e";
    assert_eq!(hex(read(&mut tpm, OWNER, e1, 20, 0).unwrap()), want);
    assert_eq!(write(&mut tpm, OWNER, e, b"x", 0), Rc::ATTRIBUTES);
    assert_eq!(ext(&mut tpm, e, &[0; 1025]), Rc::SIZE.param(1));
    assert_eq!(ext(&mut tpm, e, &[0; 1024]), Rc::SUCCESS);
    assert_eq!(define(&mut tpm, 0x0100_0022, OW, 8), Rc::SUCCESS);
    assert_eq!(ext(&mut tpm, 0x0100_0022, b"x"), Rc::ATTRIBUTES.handle(2));
}

#[test]
fn policy_only_indices() {
    // An index writable and readable only with its policy: hierarchy authorizations pass
    // the authorization layer and are refused by the command (TPM_RC_NV_AUTHORIZATION);
    // a password for the index itself is refused before its value is looked at
    // (TPM_RC_AUTH_UNAVAILABLE), as libtpms decides.
    let mut tpm = started();
    let i = 0x0100_0001;
    let p = public(
        i,
        a::POLICYWRITE | a::POLICYREAD | a::NO_DA,
        8,
        HashAlg::Sha256,
        &[0x11; 32],
    );
    assert_eq!(define_full(&mut tpm, OWNER, b"pw", &p), Rc::SUCCESS);
    assert_eq!(write(&mut tpm, OWNER, i, b"x", 0), Rc::NV_AUTHORIZATION);
    assert_eq!(write(&mut tpm, PLATFORM, i, b"x", 0), Rc::NV_AUTHORIZATION);
    assert_eq!(
        write_pw(&mut tpm, i, i, b"x", 0, b"pw"),
        Rc::AUTH_UNAVAILABLE
    );
    assert_eq!(
        read_pw(&mut tpm, i, i, 1, 0, b"pw"),
        Err(Rc::AUTH_UNAVAILABLE)
    );
    assert_eq!(read(&mut tpm, OWNER, i, 1, 0), Err(Rc::NV_AUTHORIZATION));
    assert_eq!(
        simple(&mut tpm, cc::NV_WRITE_LOCK, OWNER, i, b""),
        Rc::NV_AUTHORIZATION
    );
    assert_eq!(
        simple(&mut tpm, cc::NV_READ_LOCK, i, i, b"pw"),
        Rc::AUTH_UNAVAILABLE
    );
    // Defining one without a policy is allowed (it can then never be used).
    let p = public(
        0x0100_0002,
        a::POLICYWRITE | a::POLICYREAD | a::NO_DA,
        8,
        HashAlg::Sha256,
        &[],
    );
    assert_eq!(define_full(&mut tpm, OWNER, b"", &p), Rc::SUCCESS);
}
