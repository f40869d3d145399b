//! Behaviours found by the differential test against swtpm 0.7.1 / libtpms 0.9.2 and fixed
//! in the engine; each expected value is what the real swtpm answers.

mod util;
use tpm2_engine::Tpm;
use tpm2_types::constants::{cap, cc, pt, rh, su};
use tpm2_types::{Codec, Rc, Reader};
use util::*;

fn with_tag(c: &Cmd, tag: u16) -> Vec<u8> {
    let mut b = c.build();
    b[0..2].copy_from_slice(&tag.to_be_bytes());
    b
}

fn rc_of(tpm: &mut Tpm, locality: u8, bytes: &[u8]) -> Rc {
    let out = tpm.execute(locality, bytes).response;
    Rc(u32::from_be_bytes([out[6], out[7], out[8], out[9]]))
}

#[test]
fn bad_tags_defined_st_values_are_bad_tag() {
    let mut tpm = started();
    let c = Cmd::new(cc::GET_RANDOM).u16(4);
    // Defined TPM_ST values that are not command tags: TPM_RC_BAD_TAG.
    for tag in [0x00C4u16, 0x8000, 0x8014, 0x801A, 0x8021, 0x8025] {
        assert_eq!(
            rc_of(&mut tpm, 0, &with_tag(&c, tag)),
            Rc::BAD_TAG,
            "tag {tag:#x}"
        );
    }
    // Values that are not TPM_ST at all: TPM_RC_VALUE.
    for tag in [0x0000u16, 0x00C1, 0x8003, 0x801B, 0x801C, 0x8029, 0xFFFF] {
        assert_eq!(
            rc_of(&mut tpm, 0, &with_tag(&c, tag)),
            Rc::VALUE,
            "tag {tag:#x}"
        );
    }
}

#[test]
fn startup_when_started_is_initialize_before_its_parameter() {
    let mut tpm = started();
    assert_eq!(
        run(&mut tpm, &Cmd::new(cc::STARTUP).u16(7)).rc,
        Rc::INITIALIZE
    );
    assert_eq!(run(&mut tpm, &Cmd::new(cc::STARTUP)).rc, Rc::INITIALIZE);
}

#[test]
fn authorization_area_size_errors() {
    let mut tpm = started();
    // authorizationSize cut short: TPM_RC_INSUFFICIENT.
    let mut b = Cmd::new(cc::PCR_RESET).handle(16).pw(b"").build();
    b.truncate(15);
    let n = b.len() as u32;
    b[2..6].copy_from_slice(&n.to_be_bytes());
    assert_eq!(rc_of(&mut tpm, 0, &b), Rc::INSUFFICIENT);
    // authorizationSize beyond the command: TPM_RC_SIZE.
    let mut b = Cmd::new(cc::PCR_RESET).handle(16).pw(b"").build();
    b[14..18].copy_from_slice(&100u32.to_be_bytes());
    assert_eq!(rc_of(&mut tpm, 0, &b), Rc::SIZE);
    // A SESSIONS tag on a command whose parameters cannot be an authorization size.
    let c = Cmd::new(cc::GET_RANDOM).u16(8);
    assert_eq!(rc_of(&mut tpm, 0, &with_tag(&c, 0x8002)), Rc::INSUFFICIENT);
    // A fourth session: TPM_RC_SIZE for session 4.
    let c = Cmd::new(cc::PCR_RESET)
        .handle(16)
        .pw(b"")
        .pw(b"")
        .pw(b"")
        .pw(b"");
    assert_eq!(run(&mut tpm, &c).rc, Rc::SIZE.session(4));
}

#[test]
fn surplus_password_session_is_a_handle_error() {
    let mut tpm = started();
    let c = Cmd::new(cc::GET_RANDOM).pw(b"").u16(4);
    assert_eq!(run(&mut tpm, &c).rc, Rc::HANDLE.session(1));
    // Sessions are checked in order (Part 4 `ParseSessionBuffer`; swtpm alike): a wrong
    // first password is reported before the surplus second session.
    let c = Cmd::new(cc::PCR_RESET).handle(16).pw(b"x").pw(b"");
    assert_eq!(run(&mut tpm, &c).rc, Rc::BAD_AUTH.session(1));
    let c = Cmd::new(cc::PCR_RESET).handle(16).pw(b"").pw(b"");
    assert_eq!(run(&mut tpm, &c).rc, Rc::HANDLE.session(2));
}

#[test]
fn pcr_reset_refused_at_locality_4() {
    let mut tpm = started();
    for pcr in [16u32, 17, 20, 23] {
        let r = run_at(&mut tpm, 4, &Cmd::new(cc::PCR_RESET).handle(pcr).pw(b""));
        assert_eq!(r.rc, Rc::LOCALITY, "PCR {pcr}");
    }
    let r = run_at(&mut tpm, 2, &Cmd::new(cc::PCR_RESET).handle(20).pw(b""));
    assert_eq!(r.rc, Rc::SUCCESS);
}

#[test]
fn pcr_set_auth_value_outside_group_is_plain_value() {
    let mut tpm = started();
    let r = run(
        &mut tpm,
        &Cmd::new(cc::PCR_SET_AUTH_VALUE).handle(0).pw(b"").b(b"x"),
    );
    assert_eq!(r.rc, Rc::VALUE);
}

fn allocate(tpm: &mut Tpm, banks: &[(u16, [u8; 3])]) -> Resp {
    let mut c = Cmd::new(cc::PCR_ALLOCATE)
        .handle(rh::PLATFORM)
        .pw(b"")
        .u32(banks.len() as u32);
    for (alg, sel) in banks {
        c = c.u16(*alg).u8(3).raw(sel);
    }
    run(tpm, &c)
}

#[test]
fn pcr_allocate_partial_banks_but_keeps_crtm_pcrs() {
    let mut tpm = started();
    // A partial bank is fine.
    let r = allocate(&mut tpm, &[(0x000B, [0xFF, 0xFF, 0x00])]);
    assert_eq!(r.rc, Rc::SUCCESS);
    // Taking PCR 0 or PCR 17 out of every bank is TPM_RC_PCR.
    let none = [0u8; 3];
    let all: Vec<(u16, [u8; 3])> = [4u16, 0xB, 0xC, 0xD].iter().map(|a| (*a, none)).collect();
    assert_eq!(allocate(&mut tpm, &all).rc, Rc::PCR);
    let mut no17 = all.clone();
    no17[1].1 = [0xFF, 0xFF, 0x00];
    assert_eq!(allocate(&mut tpm, &no17).rc, Rc::PCR);
    let mut keep = all.clone();
    keep[3].1 = [0x01, 0x00, 0x02];
    assert_eq!(allocate(&mut tpm, &keep).rc, Rc::SUCCESS);
}

#[test]
fn shutdown_state_after_allocate_is_type() {
    let mut tpm = started();
    assert_eq!(allocate(&mut tpm, &[(0x0004, [0; 3])]).rc, Rc::SUCCESS);
    assert_eq!(
        run(&mut tpm, &Cmd::new(cc::SHUTDOWN).u16(su::STATE)).rc,
        Rc::TYPE.param(1)
    );
    assert_eq!(
        run(&mut tpm, &Cmd::new(cc::SHUTDOWN).u16(su::CLEAR)).rc,
        Rc::SUCCESS
    );
}

fn update_counter(tpm: &mut Tpm) -> u32 {
    let c = Cmd::new(cc::PCR_READ)
        .u32(1)
        .u16(0x000B)
        .u8(3)
        .raw(&[1, 0, 0]);
    run(tpm, &c).ok().reader().u32().unwrap()
}

#[test]
fn startup_counts_pcr_initialisation_as_changes() {
    // TPM Reset: every PCR outside the no-increment set (16, 21, 22, 23) counts once.
    let mut tpm = started();
    assert_eq!(update_counter(&mut tpm), 20);
    // TPM Resume keeps the counter and re-initialises only PCRs 16-23: +4.
    run(&mut tpm, &Cmd::new(cc::SHUTDOWN).u16(su::STATE)).ok();
    tpm.init();
    run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::STATE)).ok();
    assert_eq!(update_counter(&mut tpm), 24);
    // TPM Restart keeps the counter and re-initialises every PCR: +20.
    run(&mut tpm, &Cmd::new(cc::SHUTDOWN).u16(su::STATE)).ok();
    tpm.init();
    run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    assert_eq!(update_counter(&mut tpm), 44);
}

#[test]
fn resume_needs_the_same_startup_locality_and_hcrtm_state() {
    let mut tpm = started();
    run(&mut tpm, &Cmd::new(cc::SHUTDOWN).u16(su::STATE)).ok();
    tpm.init();
    let r = run_at(&mut tpm, 3, &Cmd::new(cc::STARTUP).u16(su::STATE));
    assert_eq!(r.rc, Rc::LOCALITY);
    // A new H-CRTM sequence makes the saved state unusable.
    tpm.hash_start();
    tpm.hash_end();
    assert_eq!(
        run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::STATE)).rc,
        Rc::VALUE.param(1)
    );
    run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    // Started at locality 3, resumed at locality 3.
    run(&mut tpm, &Cmd::new(cc::SHUTDOWN).u16(su::CLEAR)).ok();
    tpm.init();
    run_at(&mut tpm, 3, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    run(&mut tpm, &Cmd::new(cc::SHUTDOWN).u16(su::STATE)).ok();
    tpm.init();
    assert_eq!(
        run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::STATE)).rc,
        Rc::LOCALITY
    );
    assert_eq!(
        run_at(&mut tpm, 3, &Cmd::new(cc::STARTUP).u16(su::STATE)).rc,
        Rc::SUCCESS
    );
}

fn properties(tpm: &mut Tpm, from: u32, count: u32) -> (u8, Vec<u32>) {
    let c = Cmd::new(cc::GET_CAPABILITY)
        .u32(cap::TPM_PROPERTIES)
        .u32(from)
        .u32(count);
    let r = run(tpm, &c).ok();
    let mut rd: Reader<'_> = r.reader();
    let more = rd.u8().unwrap();
    let _cap = rd.u32().unwrap();
    let n = rd.u32().unwrap();
    let props = (0..n)
        .map(|_| {
            let p = rd.u32().unwrap();
            let _v = rd.u32().unwrap();
            p
        })
        .collect();
    (more, props)
}

#[test]
fn tpm_properties_stay_in_their_group() {
    let mut tpm = started();
    let (more, props) = properties(&mut tpm, 0, 1000);
    assert_eq!(more, 0);
    assert!(props.iter().all(|p| p >> 8 == 1), "fixed group only");
    assert_eq!(props.last(), Some(&pt::MAX_CAP_BUFFER));
    let (more, props) = properties(&mut tpm, pt::MAX_CAP_BUFFER, 5);
    assert_eq!((more, props), (0, vec![pt::MAX_CAP_BUFFER]));
    let (more, props) = properties(&mut tpm, pt::MAX_CAP_BUFFER + 1, 5);
    assert_eq!((more, props.len()), (0, 0));
    let (_, props) = properties(&mut tpm, pt::VAR, 1000);
    assert!(props.iter().all(|p| p >> 8 == 2));
}

#[test]
fn algorithms_do_not_list_null() {
    let mut tpm = started();
    let r = run(
        &mut tpm,
        &Cmd::new(cc::GET_CAPABILITY).u32(cap::ALGS).u32(0x10).u32(1),
    )
    .ok();
    let mut rd = r.reader();
    let _more = rd.u8().unwrap();
    let _cap = rd.u32().unwrap();
    assert_eq!(rd.u32().unwrap(), 1);
    assert_eq!(
        rd.u16().unwrap(),
        0x0014,
        "the next algorithm after NULL (RSASSA)"
    );
}

#[test]
fn incremental_self_test_refuses_unimplemented_algorithms() {
    let mut tpm = started();
    for alg in [0x7777u16, 0x0010] {
        let r = run(
            &mut tpm,
            &Cmd::new(cc::INCREMENTAL_SELF_TEST).u32(1).u16(alg),
        );
        assert_eq!(r.rc, Rc::VALUE.param(1), "alg {alg:#x}");
    }
    let r = run(
        &mut tpm,
        &Cmd::new(cc::INCREMENTAL_SELF_TEST).u32(1).u16(0x000B),
    );
    assert_eq!(r.rc, Rc::SUCCESS);
}

/// Completes a SHA-256 sequence fed with `updates` then `last`; returns the ticket's
/// hierarchy.
fn sequence_ticket(updates: &[&[u8]], last: &[u8]) -> u32 {
    let mut tpm = started();
    let r = run(
        &mut tpm,
        &Cmd::new(cc::HASH_SEQUENCE_START).b(b"").u16(0x000B),
    )
    .ok();
    let h = u32::from_be_bytes([r.body[0], r.body[1], r.body[2], r.body[3]]);
    for u in updates {
        run(
            &mut tpm,
            &Cmd::new(cc::SEQUENCE_UPDATE).handle(h).pw(b"").b(u),
        )
        .ok();
    }
    let c = Cmd::new(cc::SEQUENCE_COMPLETE)
        .handle(h)
        .pw(b"")
        .b(last)
        .u32(rh::OWNER);
    let r = run(&mut tpm, &c).ok();
    let mut rd = r.reader();
    let _digest = tpm2_types::Tpm2bDigest::read(&mut rd).unwrap();
    let _tag = rd.u16().unwrap();
    rd.u32().unwrap()
}

#[test]
fn sequence_ticket_depends_on_the_first_block() {
    assert_eq!(sequence_ticket(&[b"abcdef"], b""), rh::OWNER);
    assert_eq!(sequence_ticket(&[], b"abcd"), rh::OWNER);
    // A first block shorter than TPM_GENERATED_VALUE is not safe to vouch for.
    assert_eq!(sequence_ticket(&[b"abc"], b"defgh"), rh::NULL);
    assert_eq!(sequence_ticket(&[b""], b"abcdefgh"), rh::NULL);
    assert_eq!(sequence_ticket(&[], b"ab"), rh::NULL);
    assert_eq!(
        sequence_ticket(&[&[0xFF, 0x54, 0x43, 0x47, 1]], b""),
        rh::NULL
    );
    // TPM2_Hash vouches for short data.
    let mut tpm = started();
    let r = run(
        &mut tpm,
        &Cmd::new(cc::HASH).b(b"ab").u16(0x000B).u32(rh::OWNER),
    )
    .ok();
    assert_eq!(&r.body[34 + 2..34 + 6], &rh::OWNER.to_be_bytes());
}

#[test]
fn sequence_password_failures_are_not_dictionary_attacks() {
    let mut tpm = started();
    let r = run(
        &mut tpm,
        &Cmd::new(cc::HASH_SEQUENCE_START).b(b"pw").u16(0x000B),
    )
    .ok();
    let h = u32::from_be_bytes([r.body[0], r.body[1], r.body[2], r.body[3]]);
    let r = run(
        &mut tpm,
        &Cmd::new(cc::SEQUENCE_UPDATE).handle(h).pw(b"no").b(b"x"),
    );
    assert_eq!(r.rc, Rc::BAD_AUTH.session(1));
    let c = Cmd::new(cc::GET_CAPABILITY)
        .u32(cap::TPM_PROPERTIES)
        .u32(pt::LOCKOUT_COUNTER)
        .u32(1);
    let r = run(&mut tpm, &c).ok();
    assert_eq!(&r.body[r.body.len() - 4..], &[0, 0, 0, 0]);
}

/// moreData and the raw list of a GetCapability response.
fn capability(tpm: &mut Tpm, capability: u32, property: u32, count: u32) -> (u8, Vec<u8>) {
    let c = Cmd::new(cc::GET_CAPABILITY)
        .u32(capability)
        .u32(property)
        .u32(count);
    let r = run(tpm, &c).ok();
    (r.body[0], r.body[5..].to_vec())
}

#[test]
fn pcr_allocation_with_count_zero_is_empty_with_more() {
    let mut tpm = started();
    assert_eq!(capability(&mut tpm, cap::PCRS, 0, 0), (1, vec![0, 0, 0, 0]));
    let (more, list) = capability(&mut tpm, cap::PCRS, 0, 1);
    assert_eq!((more, &list[..4]), (0, &[0, 0, 0, 4][..]));
}

#[test]
fn vendor_command_range_is_empty() {
    let mut tpm = started();
    assert_eq!(
        capability(&mut tpm, cap::COMMANDS, 0x2000_0000, 100),
        (0, vec![0, 0, 0, 0])
    );
    assert_eq!(
        capability(&mut tpm, cap::COMMANDS, 0x2000_0000, 0),
        (0, vec![0, 0, 0, 0])
    );
    let (more, _) = capability(&mut tpm, cap::COMMANDS, 0, 0);
    assert_eq!(more, 1);
}
