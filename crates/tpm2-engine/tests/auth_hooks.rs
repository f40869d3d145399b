//! Authorization-layer rules added with the NV commands (Part 4 `CheckAuthSession` and
//! `ParseSessionBuffer`), as swtpm 0.7.1 answers them.

mod util;
use tpm2_types::constants::{cc, pt, rh};
use tpm2_types::{HashAlg, Rc};
use util::*;

#[test]
fn a_password_session_must_authorize_a_handle() {
    let mut tpm = started();
    let r = run(&mut tpm, &Cmd::new(cc::GET_RANDOM).pw(b"").u16(8));
    assert_eq!(r.rc, Rc::HANDLE.session(1));
    let extend = Cmd::new(cc::PCR_EXTEND)
        .handle(16)
        .pw(b"")
        .pw(b"")
        .u32(1)
        .u16(HashAlg::Sha256.id())
        .raw(&[0; 32]);
    assert_eq!(run(&mut tpm, &extend).rc, Rc::HANDLE.session(2));
}

#[test]
fn sequence_objects_are_exempt_from_dictionary_attack() {
    let mut tpm = started();
    let r = run(
        &mut tpm,
        &Cmd::new(cc::HASH_SEQUENCE_START)
            .b(b"sq")
            .u16(HashAlg::Sha256.id()),
    )
    .ok();
    let h = u32::from_be_bytes(r.body[..4].try_into().unwrap());
    for _ in 0..2 {
        let r = run(
            &mut tpm,
            &Cmd::new(cc::SEQUENCE_UPDATE).handle(h).pw(b"bad").b(b"x"),
        );
        assert_eq!(r.rc, Rc::BAD_AUTH.session(1));
    }
    let r = run(
        &mut tpm,
        &Cmd::new(cc::GET_CAPABILITY)
            .u32(6)
            .u32(pt::LOCKOUT_COUNTER)
            .u32(1),
    )
    .ok();
    assert_eq!(&r.body[r.body.len() - 4..], &[0, 0, 0, 0]);
}

#[test]
fn a_pcr_with_a_policy_needs_a_policy_session() {
    let mut tpm = started();
    let extend = |pcr: u32| {
        Cmd::new(cc::PCR_EXTEND)
            .handle(pcr)
            .pw(b"")
            .u32(1)
            .u16(HashAlg::Sha256.id())
            .raw(&[0; 32])
    };
    // PCR 20 is not extendable from locality 0, which the handler says...
    assert_eq!(run(&mut tpm, &extend(20)).rc, Rc::LOCALITY);
    let set = Cmd::new(cc::PCR_SET_AUTH_POLICY)
        .handle(rh::PLATFORM)
        .pw(b"")
        .b(&[0; 32])
        .u16(HashAlg::Sha256.id())
        .u32(20);
    run(&mut tpm, &set).ok();
    // ...but once its group has a policy, the password is refused before that.
    assert_eq!(run(&mut tpm, &extend(20)).rc, Rc::AUTH_TYPE);
    assert_eq!(
        run(&mut tpm, &extend(21)).rc,
        Rc::AUTH_TYPE,
        "the whole policy group"
    );
    assert_eq!(run(&mut tpm, &extend(16)).rc, Rc::SUCCESS);
}
