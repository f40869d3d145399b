//! PCRs: Extend, Event, Read, Reset at every locality and PCR; Allocate with its restart;
//! SetAuthValue / SetAuthPolicy; DRTM and H-CRTM sequences; bad handles and selectors.

use super::core::HASHES;
use super::{at, c, Corpus, Step};
use crate::cmd::Cmd;
use tpm2_types::constants::{cc, rh, su};

const SHA1: u16 = 0x0004;
const SHA256: u16 = 0x000B;
const SHA384: u16 = 0x000C;
const SHA512: u16 = 0x000D;

fn size_of(alg: u16) -> usize {
    match alg {
        SHA1 => 20,
        SHA256 => 32,
        SHA384 => 48,
        _ => 64,
    }
}

/// PCR_Extend of `pcr` with one digest per listed bank.
fn extend(pcr: u32, algs: &[u16]) -> Cmd {
    let mut cmd = Cmd::new(cc::PCR_EXTEND)
        .h(pcr)
        .pw(b"")
        .u32(algs.len() as u32);
    for (i, a) in algs.iter().enumerate() {
        cmd = cmd.u16(*a).raw(&vec![0x10 + i as u8; size_of(*a)]);
    }
    cmd
}

fn event(pcr: u32, data: &[u8]) -> Cmd {
    Cmd::new(cc::PCR_EVENT).h(pcr).pw(b"").b(data)
}

/// PCR_Read of one selection list given as (alg, sizeofSelect, bitmap) entries.
fn read(sel: &[(u16, &[u8])]) -> Cmd {
    let mut cmd = Cmd::new(cc::PCR_READ).u32(sel.len() as u32);
    for (alg, bits) in sel {
        cmd = cmd.u16(*alg).u8(bits.len() as u8).raw(bits);
    }
    cmd
}

fn reset(pcr: u32) -> Cmd {
    Cmd::new(cc::PCR_RESET).h(pcr).pw(b"")
}

fn allocate(sel: &[(u16, &[u8])]) -> Cmd {
    let mut cmd = Cmd::new(cc::PCR_ALLOCATE)
        .h(rh::PLATFORM)
        .pw(b"")
        .u32(sel.len() as u32);
    for (alg, bits) in sel {
        cmd = cmd.u16(*alg).u8(bits.len() as u8).raw(bits);
    }
    cmd
}

fn restart() -> Vec<Step> {
    vec![
        c(Cmd::new(cc::SHUTDOWN).u16(su::CLEAR)),
        Step::Init,
        c(Cmd::new(cc::STARTUP).u16(su::CLEAR)),
    ]
}

pub fn add(k: &mut Corpus) {
    extend_and_event(k);
    reads(k);
    resets(k);
    allocation(k);
    auth(k);
    drtm(k);
}

fn extend_and_event(k: &mut Corpus) {
    let all = [SHA1, SHA256, SHA384, SHA512];
    for loc in 0..=4u8 {
        let steps = (0..24).map(|p| at(loc, extend(p, &[SHA256]))).collect();
        k.case(format!("pcr/extend/locality{loc}"), steps);
        let steps = (0..24).map(|p| at(loc, event(p, b"event"))).collect();
        k.case(format!("pcr/event/locality{loc}"), steps);
    }
    for (alg, name) in HASHES {
        k.one(format!("pcr/extend/{name}"), extend(7, &[alg]));
    }
    k.mutated("pcr/extend/all-banks", vec![], 0, extend(8, &all));
    k.one("pcr/extend/none", extend(8, &[]));
    k.one("pcr/extend/same-bank-twice", extend(8, &[SHA256, SHA256]));
    k.one(
        "pcr/extend/five-digests",
        extend(8, &[SHA1, SHA256, SHA384, SHA512, SHA1]),
    );
    k.one(
        "pcr/extend/count-huge",
        Cmd::new(cc::PCR_EXTEND).h(8).pw(b"").u32(0x100).u16(SHA1),
    );
    k.one(
        "pcr/extend/alg-null",
        Cmd::new(cc::PCR_EXTEND)
            .h(8)
            .pw(b"")
            .u32(1)
            .u16(0x10)
            .raw(&[0; 32]),
    );
    k.one(
        "pcr/extend/alg-unknown",
        Cmd::new(cc::PCR_EXTEND)
            .h(8)
            .pw(b"")
            .u32(1)
            .u16(0x7777)
            .raw(&[0; 32]),
    );
    k.one(
        "pcr/extend/digest-short",
        Cmd::new(cc::PCR_EXTEND)
            .h(8)
            .pw(b"")
            .u32(1)
            .u16(SHA256)
            .raw(&[0; 31]),
    );
    k.one("pcr/extend/handle-null", extend(rh::NULL, &[SHA256]));
    k.one("pcr/extend/handle-24", extend(24, &[SHA256]));
    k.one("pcr/extend/handle-owner", extend(rh::OWNER, &[SHA256]));
    k.one("pcr/extend/handle-nv", extend(0x0100_0000, &[SHA256]));
    k.one(
        "pcr/extend/handle-transient",
        extend(0x8000_0000, &[SHA256]),
    );
    k.one("pcr/extend/wrong-password", extend(5, &[SHA256]).pw(b"x"));
    k.one(
        "pcr/extend/bad-password",
        Cmd::new(cc::PCR_EXTEND)
            .h(5)
            .pw(b"x")
            .u32(1)
            .u16(SHA256)
            .raw(&[0; 32]),
    );
    k.one(
        "pcr/extend/no-session",
        Cmd::new(cc::PCR_EXTEND).h(5).u32(0),
    );
    k.mutated("pcr/event/data", vec![], 0, event(9, b"measured data"));
    k.one("pcr/event/empty", event(9, b""));
    k.one("pcr/event/max", event(9, &[3; 1024]));
    k.one("pcr/event/oversized", event(9, &[3; 1025]));
    k.one("pcr/event/null", event(rh::NULL, b"not extended"));
    k.one("pcr/event/handle-24", event(24, b"x"));
}

fn reads(k: &mut Corpus) {
    let one: &[u8] = &[0x01, 0, 0];
    let all: &[u8] = &[0xFF, 0xFF, 0xFF];
    k.mutated("pcr/read/sha256-pcr0", vec![], 0, read(&[(SHA256, one)]));
    k.one("pcr/read/empty-list", read(&[]));
    k.one("pcr/read/empty-bitmap", read(&[(SHA256, &[0, 0, 0])]));
    k.one("pcr/read/all-sha1", read(&[(SHA1, all)]));
    k.one(
        "pcr/read/all-banks-all",
        read(&[(SHA1, all), (SHA256, all), (SHA384, all), (SHA512, all)]),
    );
    k.one(
        "pcr/read/mixed",
        read(&[(SHA512, &[0x80, 0, 0x81]), (SHA1, &[0x03, 0, 0])]),
    );
    k.one(
        "pcr/read/same-bank-twice",
        read(&[(SHA256, one), (SHA256, &[0, 1, 0])]),
    );
    k.one("pcr/read/five-entries", read(&[(SHA1, one); 5]));
    k.one("pcr/read/select-size-1", read(&[(SHA256, &[1])]));
    k.one("pcr/read/select-size-2", read(&[(SHA256, &[1, 0])]));
    k.one("pcr/read/select-size-4", read(&[(SHA256, &[1, 0, 0, 0])]));
    k.one("pcr/read/select-size-0", read(&[(SHA256, &[])]));
    k.one("pcr/read/alg-null", read(&[(0x0010, one)]));
    k.one("pcr/read/alg-unknown", read(&[(0x7777, one)]));
    k.one("pcr/read/alg-sm3", read(&[(0x0012, one)]));
    k.one(
        "pcr/read/count-huge",
        Cmd::new(cc::PCR_READ).u32(0xFFFF_FFFF),
    );
    k.case(
        "pcr/read/counter-advances",
        vec![
            c(read(&[(SHA256, one)])),
            c(extend(0, &[SHA256])),
            c(extend(16, &[SHA256])),
            c(extend(1, &[SHA1, SHA256, SHA384, SHA512])),
            c(event(2, b"e")),
            c(read(&[(SHA256, one)])),
        ],
    );
}

fn resets(k: &mut Corpus) {
    for loc in 0..=4u8 {
        let steps = (0..24).map(|p| at(loc, reset(p))).collect();
        k.case(format!("pcr/reset/locality{loc}"), steps);
    }
    k.mutated(
        "pcr/reset/pcr16",
        vec![c(extend(16, &[SHA256]))],
        0,
        reset(16),
    );
    k.one("pcr/reset/null", reset(rh::NULL));
    k.one("pcr/reset/handle-24", reset(24));
    k.case(
        "pcr/reset/after-extend-loc2",
        vec![
            at(2, extend(21, &[SHA1])),
            at(2, reset(21)),
            at(2, extend(21, &[SHA384])),
        ],
    );
}

fn allocation(k: &mut Corpus) {
    let all: &[u8] = &[0xFF, 0xFF, 0xFF];
    let none: &[u8] = &[0, 0, 0];
    k.mutated(
        "pcr/allocate/sha256-only",
        vec![],
        0,
        allocate(&[(SHA1, none), (SHA384, none), (SHA512, none)]),
    );
    let mut steps = vec![c(allocate(&[(SHA1, none), (SHA384, none), (SHA512, none)]))];
    steps.extend(restart());
    steps.push(c(extend(4, &[SHA1, SHA256])));
    steps.push(c(Cmd::new(cc::GET_CAPABILITY).u32(5).u32(0).u32(8)));
    k.case("pcr/allocate/sha256-only-restart", steps);
    k.one(
        "pcr/allocate/same",
        allocate(&[(SHA1, all), (SHA256, all), (SHA384, all), (SHA512, all)]),
    );
    k.one("pcr/allocate/empty-list", allocate(&[]));
    k.one(
        "pcr/allocate/partial-bank",
        allocate(&[(SHA256, &[0xFF, 0xFF, 0])]),
    );
    k.one(
        "pcr/allocate/nothing",
        allocate(&[(SHA1, none), (SHA256, none), (SHA384, none), (SHA512, none)]),
    );
    k.one("pcr/allocate/alg-unknown", allocate(&[(0x7777, all)]));
    k.one("pcr/allocate/alg-null", allocate(&[(0x0010, all)]));
    k.one(
        "pcr/allocate/select-size-4",
        allocate(&[(SHA256, &[0xFF, 0xFF, 0xFF, 0xFF])]),
    );
    k.one(
        "pcr/allocate/owner",
        Cmd::new(cc::PCR_ALLOCATE).h(rh::OWNER).pw(b"").u32(0),
    );
    k.one(
        "pcr/allocate/wrong-password",
        Cmd::new(cc::PCR_ALLOCATE).h(rh::PLATFORM).pw(b"x").u32(0),
    );
    k.case(
        "pcr/allocate/then-shutdown-state",
        vec![
            c(allocate(&[(SHA1, none)])),
            c(Cmd::new(cc::SHUTDOWN).u16(su::STATE)),
            Step::Init,
            c(Cmd::new(cc::STARTUP).u16(su::STATE)),
            c(Cmd::new(cc::STARTUP).u16(su::CLEAR)),
        ],
    );
    k.case(
        "pcr/allocate/twice",
        vec![
            c(allocate(&[(SHA1, none)])),
            c(allocate(&[(SHA1, all), (SHA512, none)])),
        ],
    );
}

fn auth(k: &mut Corpus) {
    let set_auth = |pcr: u32, auth: &[u8]| Cmd::new(cc::PCR_SET_AUTH_VALUE).h(pcr).pw(b"").b(auth);
    k.mutated(
        "pcr/set-auth-value/pcr20",
        vec![],
        0,
        set_auth(20, b"pcrpw"),
    );
    for pcr in [0u32, 16, 21, 22, 23] {
        k.one(format!("pcr/set-auth-value/pcr{pcr}"), set_auth(pcr, b"pw"));
    }
    k.one("pcr/set-auth-value/too-long", set_auth(20, &[1; 65]));
    k.case(
        "pcr/set-auth-value/use",
        vec![
            c(set_auth(20, b"pcrpw")),
            at(2, extend(20, &[SHA256])),
            at(2, Cmd::new(cc::PCR_EXTEND).h(20).pw(b"pcrpw").u32(0)),
            at(2, Cmd::new(cc::PCR_EXTEND).h(21).pw(b"pcrpw").u32(0)),
            at(2, Cmd::new(cc::PCR_RESET).h(22).pw(b"pcrpw")),
            at(2, Cmd::new(cc::PCR_RESET).h(22).pw(b"wrong")),
            c(Cmd::new(cc::PCR_SET_AUTH_VALUE).h(21).pw(b"pcrpw").b(b"")),
        ],
    );
    let set_policy = |alg: u16, digest: &[u8], pcr: u32| {
        Cmd::new(cc::PCR_SET_AUTH_POLICY)
            .h(rh::PLATFORM)
            .pw(b"")
            .b(digest)
            .u16(alg)
            .u32(pcr)
    };
    k.mutated(
        "pcr/set-auth-policy/pcr20",
        vec![],
        0,
        set_policy(SHA256, &[7; 32], 20),
    );
    k.one("pcr/set-auth-policy/pcr0", set_policy(SHA256, &[7; 32], 0));
    k.one(
        "pcr/set-auth-policy/pcr24",
        set_policy(SHA256, &[7; 32], 24),
    );
    k.one(
        "pcr/set-auth-policy/wrong-size",
        set_policy(SHA256, &[7; 20], 21),
    );
    k.one("pcr/set-auth-policy/null", set_policy(0x0010, &[], 22));
    k.one(
        "pcr/set-auth-policy/null-with-digest",
        set_policy(0x0010, &[1; 4], 22),
    );
    k.one(
        "pcr/set-auth-policy/bad-alg",
        set_policy(0x7777, &[7; 32], 20),
    );
    k.one(
        "pcr/set-auth-policy/owner",
        Cmd::new(cc::PCR_SET_AUTH_POLICY)
            .h(rh::OWNER)
            .pw(b"")
            .b(&[])
            .u16(0x10)
            .u32(20),
    );
    k.case(
        "pcr/set-auth-policy/reported",
        vec![
            c(set_policy(SHA384, &[9; 48], 21)),
            c(Cmd::new(cc::GET_CAPABILITY).u32(9).u32(0x4000_0000).u32(10)),
            c(Cmd::new(cc::GET_CAPABILITY).u32(7).u32(0x13).u32(2)),
        ],
    );
}

fn drtm(k: &mut Corpus) {
    k.case(
        "drtm/after-startup",
        vec![Step::HashSequence(b"secure loader".to_vec())],
    );
    k.case("drtm/empty", vec![Step::HashSequence(Vec::new())]);
    k.case("drtm/large", vec![Step::HashSequence(vec![0x42; 5000])]);
    k.case(
        "drtm/twice-then-extend",
        vec![
            Step::HashSequence(b"one".to_vec()),
            Step::HashSequence(b"two".to_vec()),
            at(4, extend(18, &[SHA256])),
            at(2, reset(18)),
            at(4, reset(17)),
        ],
    );
    k.case(
        "drtm/hcrtm-before-startup",
        vec![
            Step::Init,
            Step::HashSequence(b"crtm".to_vec()),
            c(Cmd::new(cc::STARTUP).u16(su::CLEAR)),
        ],
    );
    k.case(
        "drtm/hcrtm-then-startup-loc3",
        vec![
            Step::Init,
            Step::HashSequence(b"crtm".to_vec()),
            at(3, Cmd::new(cc::STARTUP).u16(su::CLEAR)),
        ],
    );
    k.case(
        "drtm/survives-resume",
        vec![
            Step::HashSequence(b"x".to_vec()),
            c(Cmd::new(cc::SHUTDOWN).u16(su::STATE)),
            Step::Init,
            c(Cmd::new(cc::STARTUP).u16(su::STATE)),
        ],
    );
}
