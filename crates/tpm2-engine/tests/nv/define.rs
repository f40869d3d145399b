//! Defining, reading the public area of and deleting indices (Part 3, §31.3-31.6).

use super::*;

#[test]
fn define_read_public_and_name() {
    let mut tpm = started();
    let h = 0x0100_0001;
    let attrs_in = a::OWNERWRITE | a::OWNERREAD | a::AUTHREAD | a::AUTHWRITE;
    assert_eq!(define_auth(&mut tpm, h, attrs_in, 32, b"pw"), Rc::SUCCESS);
    assert_eq!(
        define_auth(&mut tpm, h, attrs_in, 32, b"pw"),
        Rc::NV_DEFINED
    );
    let (p, name) = read_public(&mut tpm, h).unwrap();
    assert_eq!(p, public(h, attrs_in, 32, HashAlg::Sha256, &[]));
    // Name = nameAlg || SHA-256(TPMS_NV_PUBLIC), the value swtpm returns for this index.
    let want = "000b4eb66fadbd34409b81bd551c1d04592cc80c43177f346cd46e7095bdc4c140a3";
    let hex: String = name.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, want);
    // The Name covers the attributes, so it changes once the index is written.
    assert_eq!(write(&mut tpm, OWNER, h, b"x", 0), Rc::SUCCESS);
    let (p2, name2) = read_public(&mut tpm, h).unwrap();
    assert_eq!(p2.attributes, attrs_in | a::WRITTEN);
    assert_ne!(name2, name);
    assert_eq!(
        read_public(&mut tpm, 0x0100_0099).unwrap_err(),
        Rc::HANDLE.handle(1)
    );
    // TPM_CAP_HANDLES lists it; TPM_PT_HR_NV_INDEX counts it.
    assert_eq!(property(&mut tpm, pt::HR_NV_INDEX), 1);
}

#[test]
fn define_space_consistency_rules() {
    let mut tpm = started();
    let rw = a::OWNERWRITE | a::OWNERREAD;
    let p2 = |rc: Rc| rc.param(2);
    let h = 0x0100_0010;
    // (attributes, size, expected) with ownerAuth; codes and order as swtpm reports them.
    let cases: &[(u32, u16, Rc)] = &[
        (rw | ty(3), 8, p2(Rc::ATTRIBUTES)),     // unknown type
        (rw | ty(nt::COUNTER), 4, p2(Rc::SIZE)), // counter is 8 bytes
        (rw | ty(nt::BITS), 9, p2(Rc::SIZE)),
        (rw | ty(nt::PIN_PASS), 4, p2(Rc::SIZE)),
        (rw | ty(nt::EXTEND), 20, p2(Rc::SIZE)), // SHA-256 extend is 32
        (
            rw | ty(nt::COUNTER) | a::CLEAR_STCLEAR,
            8,
            p2(Rc::ATTRIBUTES),
        ),
        (rw | ty(nt::COUNTER) | a::CLEAR_STCLEAR, 4, p2(Rc::SIZE)), // size before type rules
        (rw | ty(nt::PIN_FAIL), 8, p2(Rc::ATTRIBUTES)),             // PIN Fail needs NO_DA
        (rw | ty(nt::PIN_PASS) | a::AUTHWRITE, 8, p2(Rc::ATTRIBUTES)),
        (rw | ty(nt::PIN_PASS) | a::GLOBALLOCK, 8, p2(Rc::ATTRIBUTES)),
        (
            rw | ty(nt::PIN_PASS) | a::WRITEDEFINE,
            8,
            p2(Rc::ATTRIBUTES),
        ),
        (rw | a::WRITTEN, 8, p2(Rc::ATTRIBUTES)),
        (rw | a::WRITELOCKED, 8, p2(Rc::ATTRIBUTES)),
        (rw | a::READLOCKED, 8, p2(Rc::ATTRIBUTES)),
        (a::OWNERWRITE, 8, p2(Rc::ATTRIBUTES)), // no way to read
        (a::OWNERREAD, 8, p2(Rc::ATTRIBUTES)),  // no way to write
        (
            rw | a::CLEAR_STCLEAR | a::WRITEDEFINE,
            8,
            p2(Rc::ATTRIBUTES),
        ),
        (rw | a::PLATFORMCREATE, 8, Rc::ATTRIBUTES.handle(1)), // owner cannot create it
        (a::OWNERWRITE | a::PLATFORMCREATE, 8, p2(Rc::ATTRIBUTES)), // read rule first
        (rw | a::POLICY_DELETE, 8, p2(Rc::ATTRIBUTES)),        // only the platform's
        (rw | a::WRITEALL, 1025, p2(Rc::SIZE)),                // above MAX_NV_BUFFER_SIZE
        (rw | 1 << 8, 8, p2(Rc::RESERVED_BITS)),
        (rw | 1 << 20, 8, p2(Rc::RESERVED_BITS)),
        (rw, 2049, p2(Rc::SIZE)), // MAX_NV_INDEX_SIZE
    ];
    for (i, &(attrs_in, size, want)) in cases.iter().enumerate() {
        assert_eq!(
            define(&mut tpm, h, attrs_in, size),
            want,
            "case {i}: {attrs_in:#x}/{size}"
        );
    }
    assert_eq!(property(&mut tpm, pt::HR_NV_INDEX), 0, "nothing defined");
    // Sizes and auth: authPolicy must be empty or a nameAlg digest; the authValue (without
    // trailing zeros) at most a nameAlg digest; TPM2B_AUTH itself at most 64 bytes.
    let p = public(h, rw, 8, HashAlg::Sha256, &[7; 20]);
    assert_eq!(define_full(&mut tpm, OWNER, b"", &p), p2(Rc::SIZE));
    let p = public(h, rw | ty(3), 8, HashAlg::Sha256, &[7; 5]);
    assert_eq!(
        define_full(&mut tpm, OWNER, b"", &p),
        p2(Rc::SIZE),
        "policy before type"
    );
    let p = public(h, rw | ty(3), 8, HashAlg::Sha256, &[]);
    assert_eq!(
        define_full(&mut tpm, OWNER, &[1; 40], &p),
        Rc::SIZE.param(1),
        "auth before type"
    );
    let p = public(h, rw, 8, HashAlg::Sha1, &[]);
    assert_eq!(
        define_full(&mut tpm, OWNER, &[1; 21], &p),
        Rc::SIZE.param(1)
    );
    assert_eq!(
        define_full(&mut tpm, OWNER, &[1; 65], &p),
        Rc::SIZE.param(1)
    );
    // Trailing zeros do not count (and are not stored).
    let mut long = vec![1; 32];
    long.extend_from_slice(&[0; 10]);
    let p = public(h, rw | a::AUTHWRITE | a::NO_DA, 8, HashAlg::Sha256, &[]);
    assert_eq!(define_full(&mut tpm, OWNER, &long, &p), Rc::SUCCESS);
    assert_eq!(write_pw(&mut tpm, h, h, b"x", 0, &[1; 32]), Rc::SUCCESS);
    assert_eq!(
        write_pw(&mut tpm, h, h, b"x", 0, &[1; 31]),
        Rc::BAD_AUTH.session(1)
    );
    // Index range and nameAlg are checked when publicInfo is unmarshalled.
    let p = public(0x0200_0000, rw, 8, HashAlg::Sha256, &[]);
    assert_eq!(define_full(&mut tpm, OWNER, b"", &p), p2(Rc::VALUE));
    let mut raw = public(0x0100_0011, rw, 8, HashAlg::Sha256, &[]).to_bytes();
    raw[4..6].copy_from_slice(&0x0010u16.to_be_bytes());
    let mut pub2b = (raw.len() as u16).to_be_bytes().to_vec();
    pub2b.extend_from_slice(&raw);
    let r = run(
        &mut tpm,
        &Cmd::new(cc::NV_DEFINE_SPACE)
            .handle(OWNER)
            .pw(b"")
            .b(b"")
            .raw(&pub2b),
    );
    assert_eq!(r.rc, p2(Rc::HASH));
    // A zero or wrong TPM2B size, and trailing bytes.
    let r = run(
        &mut tpm,
        &Cmd::new(cc::NV_DEFINE_SPACE)
            .handle(OWNER)
            .pw(b"")
            .b(b"")
            .u16(0),
    );
    assert_eq!(r.rc, p2(Rc::SIZE));
    let r = run(
        &mut tpm,
        &Cmd::new(cc::NV_DEFINE_SPACE)
            .handle(OWNER)
            .pw(b"")
            .b(b"")
            .raw(&pub2b)
            .u8(0),
    );
    assert_eq!(r.rc, p2(Rc::HASH));
    let good = nv_public_2b(&public(0x0100_0012, rw, 8, HashAlg::Sha256, &[]));
    let r = run(
        &mut tpm,
        &Cmd::new(cc::NV_DEFINE_SPACE)
            .handle(OWNER)
            .pw(b"")
            .b(b"")
            .raw(&good)
            .u8(0),
    );
    assert_eq!(r.rc, Rc::SIZE, "trailing byte: no parameter number");
    // Handles: endorsement is not TPMI_RH_PROVISION; authorization is required.
    let r = run(
        &mut tpm,
        &Cmd::new(cc::NV_DEFINE_SPACE)
            .handle(rh::ENDORSEMENT)
            .pw(b"")
            .b(b"")
            .raw(&good),
    );
    assert_eq!(r.rc, Rc::VALUE.handle(1));
    let r = run(
        &mut tpm,
        &Cmd::new(cc::NV_DEFINE_SPACE)
            .handle(OWNER)
            .b(b"")
            .raw(&good),
    );
    assert_eq!(r.rc, Rc::AUTH_MISSING);
    // Every type, at its size; 0-byte and top-of-range indices are fine.
    assert_eq!(define(&mut tpm, 0x0100_0020, rw, 0), Rc::SUCCESS);
    assert_eq!(define(&mut tpm, 0x01FF_FFFF, rw, 2048), Rc::SUCCESS);
    assert_eq!(
        define(&mut tpm, 0x0100_0021, rw | a::WRITEALL, 1024),
        Rc::SUCCESS
    );
    assert_eq!(
        define(&mut tpm, 0x0100_0022, rw | ty(nt::COUNTER), 8),
        Rc::SUCCESS
    );
    assert_eq!(
        define(&mut tpm, 0x0100_0023, rw | ty(nt::BITS), 8),
        Rc::SUCCESS
    );
    assert_eq!(
        define(&mut tpm, 0x0100_0024, rw | ty(nt::EXTEND), 32),
        Rc::SUCCESS
    );
    assert_eq!(
        define(&mut tpm, 0x0100_0025, rw | ty(nt::PIN_FAIL) | a::NO_DA, 8),
        Rc::SUCCESS
    );
    assert_eq!(
        define(&mut tpm, 0x0100_0026, rw | ty(nt::PIN_PASS), 8),
        Rc::SUCCESS
    );
    // "Already defined" comes after the attribute rules.
    assert_eq!(
        define(&mut tpm, 0x0100_0022, rw | a::WRITTEN, 8),
        p2(Rc::ATTRIBUTES)
    );
    assert_eq!(define(&mut tpm, 0x0100_0022, rw, 8), Rc::NV_DEFINED);
}

#[test]
fn platform_indices() {
    let mut tpm = started();
    let pp = a::PPWRITE | a::PPREAD | a::PLATFORMCREATE | a::NO_DA;
    // platformAuth must create PLATFORMCREATE indices, and only those.
    assert_eq!(
        define_platform(&mut tpm, 0x0140_0001, a::PPWRITE | a::PPREAD, 8),
        Rc::ATTRIBUTES.handle(1)
    );
    assert_eq!(define_platform(&mut tpm, 0x0140_0001, pp, 8), Rc::SUCCESS);
    // Any handle in the NV range will do for either creator.
    assert_eq!(define_platform(&mut tpm, 0x0100_0002, pp, 8), Rc::SUCCESS);
    // POLICY_DELETE: the platform's, and only with PLATFORMCREATE (creator rule first).
    assert_eq!(
        define_platform(
            &mut tpm,
            0x0140_0003,
            a::PPWRITE | a::PPREAD | a::POLICY_DELETE,
            8
        ),
        Rc::ATTRIBUTES.handle(1)
    );
    assert_eq!(
        define_platform(&mut tpm, 0x0140_0003, pp | a::POLICY_DELETE, 8),
        Rc::SUCCESS
    );
    // The owner may not delete the platform's index; the platform may delete either.
    assert_eq!(undefine(&mut tpm, OWNER, 0x0140_0001), Rc::NV_AUTHORIZATION);
    assert_eq!(define(&mut tpm, 0x0100_0004, OW, 8), Rc::SUCCESS);
    assert_eq!(undefine(&mut tpm, PLATFORM, 0x0100_0004), Rc::SUCCESS);
    assert_eq!(undefine(&mut tpm, PLATFORM, 0x0140_0001), Rc::SUCCESS);
    assert_eq!(
        undefine(&mut tpm, PLATFORM, 0x0140_0001),
        Rc::HANDLE.handle(2)
    );
    // A POLICY_DELETE index goes only through TPM2_NV_UndefineSpaceSpecial.
    assert_eq!(
        undefine(&mut tpm, PLATFORM, 0x0140_0003),
        Rc::ATTRIBUTES.handle(2)
    );
}

#[test]
fn admin_role_commands_refuse_passwords() {
    // NV_ChangeAuth and NV_UndefineSpaceSpecial authorize the index in the ADMIN role,
    // which only a policy session can give: a password is TPM_RC_AUTH_TYPE (no session
    // number), as in swtpm.
    let mut tpm = started();
    let pp = a::PPWRITE | a::PPREAD | a::PLATFORMCREATE | a::NO_DA | a::AUTHREAD;
    assert_eq!(
        define_platform(&mut tpm, 0x0140_0003, pp | a::POLICY_DELETE, 8),
        Rc::SUCCESS
    );
    let r = run(
        &mut tpm,
        &Cmd::new(cc::NV_UNDEFINE_SPACE_SPECIAL)
            .handle(0x0140_0003)
            .handle(PLATFORM)
            .pw(b"")
            .pw(b""),
    );
    assert_eq!(r.rc, Rc::AUTH_TYPE);
    let r = run(
        &mut tpm,
        &Cmd::new(cc::NV_CHANGE_AUTH)
            .handle(0x0140_0003)
            .pw(b"")
            .b(b"new"),
    );
    assert_eq!(r.rc, Rc::AUTH_TYPE);
    assert!(read_public(&mut tpm, 0x0140_0003).is_ok(), "still defined");
    // Nor with the missing second session.
    let r = run(
        &mut tpm,
        &Cmd::new(cc::NV_UNDEFINE_SPACE_SPECIAL)
            .handle(0x0140_0003)
            .handle(PLATFORM)
            .pw(b""),
    );
    assert_eq!(r.rc, Rc::AUTH_MISSING);
}
