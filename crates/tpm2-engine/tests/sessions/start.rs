//! TPM2_StartAuthSession (Part 3, §11.1), the session table, TPM2_FlushContext of
//! sessions (Part 3, §28.4) and the capabilities that report them (Part 3, §30.2).

use super::*;
use tpm2_types::constants::alg;

/// StartAuthSession without a tpmKey; the session is flushed again.
fn sas(tpm: &mut Tpm, bind: u32, nonce: &[u8], salt: &[u8], kind: u8, sym: &[u8], hash: u16) -> Rc {
    let (rc, h, _) = start_raw(tpm, NULL, bind, &sas_params(nonce, salt, kind, sym, hash));
    if rc.is_success() {
        assert_eq!(flush(tpm, h), Rc::SUCCESS);
    }
    rc
}

fn sym(a: u16, rest: &[u16]) -> Vec<u8> {
    let mut v = a.to_be_bytes().to_vec();
    for r in rest {
        v.extend_from_slice(&r.to_be_bytes());
    }
    v
}

#[test]
fn handles_nonces_and_limits() {
    let mut tpm = started();
    // nonceTPM has the size of nonceCaller (16 up to the digest size); handles take the
    // lowest free slot, HMAC sessions in 0x02, policy and trial sessions in 0x03.
    let nonce = [7u8; 20];
    let p = sas_params(&nonce, &[], se::HMAC, &sym(alg::NULL, &[]), alg::SHA256);
    let (rc, h0, n0) = start_raw(&mut tpm, NULL, NULL, &p);
    assert_eq!((rc, h0, n0.len()), (Rc::SUCCESS, 0x0200_0000, 20));
    let p = sas_params(&[1; 16], &[], se::POLICY, &sym(alg::NULL, &[]), alg::SHA1);
    let (_, h1, n1) = start_raw(&mut tpm, NULL, NULL, &p);
    assert_eq!((h1, n1.len()), (0x0300_0001, 16));
    let p = sas_params(&[1; 64], &[], se::TRIAL, &sym(alg::NULL, &[]), alg::SHA512);
    let (_, h2, _) = start_raw(&mut tpm, NULL, NULL, &p);
    assert_eq!(h2, 0x0300_0002);
    // Three are loaded: TPM_RC_SESSION_MEMORY for a fourth (TPM_PT_HR_LOADED_MIN).
    let p = sas_params(&[1; 16], &[], se::HMAC, &sym(alg::NULL, &[]), alg::SHA256);
    assert_eq!(start_raw(&mut tpm, NULL, NULL, &p).0, Rc::SESSION_MEMORY);
    assert_eq!(property(&mut tpm, pt::HR_LOADED), 3);
    assert_eq!(property(&mut tpm, pt::HR_LOADED_AVAIL), 0);
    assert_eq!(property(&mut tpm, pt::HR_ACTIVE), 3);
    assert_eq!(property(&mut tpm, pt::HR_ACTIVE_AVAIL), 61);
    // TPM_HT_LOADED_SESSION lists both kinds by slot; nothing is saved.
    assert_eq!(handles(&mut tpm, 0x0200_0000), vec![h0, h1, h2]);
    assert_eq!(handles(&mut tpm, 0x0200_0001), vec![h1, h2]);
    assert!(handles(&mut tpm, 0x0300_0000).is_empty());
    // Flushing frees the slot, which the next session takes.
    assert_eq!(flush(&mut tpm, h1), Rc::SUCCESS);
    assert_eq!(flush(&mut tpm, h1), Rc::HANDLE.param(1));
    let (_, again, _) = start_raw(&mut tpm, NULL, NULL, &p);
    assert_eq!(again, 0x0200_0001);
    // FlushContext finds a session by its slot, whichever range the handle names (as
    // libtpms); beyond the 64 slots the handle is not a session handle.
    assert_eq!(flush(&mut tpm, 0x0300_0001), Rc::SUCCESS);
    assert_eq!(flush(&mut tpm, 0x0200_0040), Rc::VALUE.param(1));
    assert_eq!(property(&mut tpm, pt::HR_LOADED), 2);
    // Every startup loses loaded sessions.
    run(&mut tpm, &Cmd::new(cc::SHUTDOWN).u16(su::CLEAR)).ok();
    tpm.init();
    run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    assert!(handles(&mut tpm, 0x0200_0000).is_empty());
}

#[test]
fn parameter_errors() {
    let mut tpm = started();
    let null = sym(alg::NULL, &[]);
    let s256 = alg::SHA256;
    let mut t = |nonce: &[u8], salt: &[u8], kind: u8, s: &[u8], hash: u16| {
        sas(&mut tpm, NULL, nonce, salt, kind, s, hash)
    };
    // nonceCaller: 16 octets up to the digest size of authHash.
    assert_eq!(t(&[1; 15], &[], 0, &null, s256), Rc::SIZE.param(1));
    assert_eq!(t(&[], &[], 0, &null, s256), Rc::SIZE.param(1));
    assert_eq!(t(&[1; 33], &[], 0, &null, s256), Rc::SIZE.param(1));
    assert_eq!(t(&[1; 65], &[], 0, &null, s256), Rc::SIZE.param(1));
    assert_eq!(t(&[1; 20], &[], 0, &null, alg::SHA1), Rc::SUCCESS);
    assert_eq!(t(&[1; 21], &[], 0, &null, alg::SHA1), Rc::SIZE.param(1));
    assert_eq!(t(&[1; 64], &[], 0, &null, alg::SHA512), Rc::SUCCESS);
    // A salt needs a tpmKey.
    assert_eq!(t(&[1; 16], b"x", 0, &null, s256), Rc::VALUE.param(2));
    // TPM_SE.
    assert_eq!(t(&[1; 16], &[], 2, &null, s256), Rc::VALUE.param(3));
    assert_eq!(t(&[1; 16], &[], 4, &null, s256), Rc::VALUE.param(3));
    // TPMT_SYM_DEF: AES-128/256 in CFB, XOR with a hash.
    let cases: &[(Vec<u8>, Rc)] = &[
        (sym(alg::AES, &[128, alg::CFB]), Rc::SUCCESS),
        (sym(alg::AES, &[256, alg::CFB]), Rc::SUCCESS),
        (sym(alg::XOR, &[alg::SHA256]), Rc::SUCCESS),
        (sym(alg::AES, &[128, alg::CBC]), Rc::MODE.param(4)),
        (sym(alg::AES, &[128, alg::NULL]), Rc::MODE.param(4)),
        (sym(alg::AES, &[192, alg::CFB]), Rc::VALUE.param(4)),
        (sym(alg::AES, &[100, alg::CFB]), Rc::VALUE.param(4)),
        (sym(alg::XOR, &[alg::NULL]), Rc::HASH.param(4)),
        (sym(alg::SM4, &[128, alg::CFB]), Rc::SYMMETRIC.param(4)),
        (sym(0x99, &[]), Rc::SYMMETRIC.param(4)),
    ];
    for (s, want) in cases {
        assert_eq!(t(&[1; 16], &[], 0, s, s256), *want, "{s:02x?}");
    }
    // The mode is unmarshalled as TPMI_ALG_SYM_MODE+ (other values: TPM_RC_MODE at
    // once); CFB is required later, after the nonce and salt checks.
    let cbc = sym(alg::AES, &[128, alg::CBC]);
    assert_eq!(t(&[1; 15], &[], 0, &cbc, s256), Rc::SIZE.param(1));
    assert_eq!(t(&[1; 16], b"x", 0, &cbc, s256), Rc::VALUE.param(2));
    let bad = sym(alg::AES, &[128, 0x99]);
    assert_eq!(t(&[1; 15], &[], 0, &bad, s256), Rc::MODE.param(4));
    // authHash: a hash, not NULL.
    assert_eq!(t(&[1; 16], &[], 0, &null, alg::NULL), Rc::HASH.param(5));
    assert_eq!(t(&[1; 16], &[], 0, &null, alg::SM3_256), Rc::HASH.param(5));
    // Trailing bytes; a missing authHash.
    let mut p = sas_params(&[1; 16], &[], 0, &null, s256);
    p.push(0);
    assert_eq!(start_raw(&mut tpm, NULL, NULL, &p).0, Rc::SIZE);
    let p = sas_params(&[1; 16], &[], 0, &null, s256);
    let short = &p[..p.len() - 2];
    assert_eq!(
        start_raw(&mut tpm, NULL, NULL, short).0,
        Rc::INSUFFICIENT.param(5)
    );
}

#[test]
fn handle_errors() {
    let mut tpm = started();
    let ok = sas_params(&[1; 16], &[], 0, &sym(alg::NULL, &[]), alg::SHA256);
    let mut t = |key: u32, bind: u32| {
        let (rc, h, _) = start_raw(&mut tpm, key, bind, &ok);
        if rc.is_success() {
            flush(&mut tpm, h);
        }
        rc
    };
    // tpmKey: TPMI_DH_OBJECT+. Without objects a transient handle is not loaded and a
    // persistent one does not exist.
    assert_eq!(t(0x8000_0000, NULL), Rc(Rc::REFERENCE_H0.0));
    assert_eq!(t(0x8100_0000, NULL), Rc::HANDLE.handle(1));
    assert_eq!(t(rh::OWNER, NULL), Rc::VALUE.handle(1));
    assert_eq!(t(0x0100_0001, NULL), Rc::VALUE.handle(1));
    // bind: TPMI_DH_ENTITY+.
    for h in [rh::OWNER, rh::LOCKOUT, rh::ENDORSEMENT, rh::PLATFORM, 5, 23] {
        assert_eq!(t(NULL, h), Rc::SUCCESS, "bind {h:#x}");
    }
    for h in [
        rh::PW,
        0x4000_0010,
        0x4000_010F,
        rh::SRK,
        rh::PLATFORM_NV,
        24,
        0x0200_0000,
    ] {
        assert_eq!(t(NULL, h), Rc::VALUE.handle(2), "bind {h:#x}");
    }
    assert_eq!(t(NULL, 0x8000_0000), Rc(Rc::REFERENCE_H0.0 + 1));
    assert_eq!(t(NULL, 0x8100_0000), Rc::HANDLE.handle(2));
    assert_eq!(t(NULL, 0x0100_0001), Rc::HANDLE.handle(2));
    // A PIN index cannot be bound to; an ordinary one can.
    let pin = nv_attr::OWNERREAD | nv_attr::OWNERWRITE | nv_attr::NO_DA | (8 << 4);
    define(&mut tpm, 0x0100_0010, pin, 8, b"", b"");
    define(
        &mut tpm,
        0x0100_0011,
        nv_attr::OWNERREAD | nv_attr::OWNERWRITE,
        8,
        b"pw",
        b"",
    );
    let mut t = |key: u32, bind: u32| {
        let (rc, h, _) = start_raw(&mut tpm, key, bind, &ok);
        if rc.is_success() {
            flush(&mut tpm, h);
        }
        rc
    };
    assert_eq!(t(NULL, 0x0100_0010), Rc::HANDLE.handle(2));
    assert_eq!(t(NULL, 0x0100_0011), Rc::SUCCESS);
    // A disabled hierarchy cannot be bound to.
    let c = Cmd::new(cc::HIERARCHY_CONTROL)
        .handle(rh::PLATFORM)
        .pw(b"")
        .u32(rh::ENDORSEMENT)
        .u8(0);
    run(&mut tpm, &c).ok();
    let (rc, _, _) = start_raw(&mut tpm, NULL, rh::ENDORSEMENT, &ok);
    assert_eq!(rc, Rc::HIERARCHY.handle(2));
    // A salted session needs an asymmetric key: a sequence object is none.
    run(
        &mut tpm,
        &Cmd::new(cc::HASH_SEQUENCE_START).b(b"").u16(alg::SHA256),
    )
    .ok();
    let (rc, _, _) = start_raw(&mut tpm, 0x8000_0000, NULL, &ok);
    assert_eq!(rc, Rc::KEY.handle(1));
}

#[test]
fn sessions_are_volatile_state() {
    // A volatile blob keeps loaded sessions (and their nonces): the session still
    // authorizes after a restore.
    let mut tpm = started();
    let mut s = hmac_session(&mut tpm);
    let perm = tpm.permanent_blob();
    let vol = tpm.volatile_blob();
    let mut back = Tpm::restore(Box::new(SimPlatform::new(9)), &perm, Some(&vol)).unwrap();
    let o = call(
        &mut back,
        cc::PCR_RESET,
        &[16],
        &[hname(16)],
        &mut [Use::S(&mut s, CONT, Some(b""))],
        &[],
        false,
    );
    assert_eq!(o.rc, Rc::SUCCESS);
    assert_eq!(handles(&mut back, 0x0200_0000), vec![s.handle]);
}
