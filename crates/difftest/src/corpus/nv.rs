//! NV indices: define (ordinary, counter, bits, extend, PIN; owner and platform), write,
//! read, increment, extend, set bits, write/read/global locks, undefine, read public —
//! and their errors (bad attributes, sizes, offsets, handles, passwords, locks).

use super::{c, Corpus, Step};
use crate::cmd::Cmd;
use tpm2_types::constants::{cc, nv_attr as a, rh, su};

const SHA256: u16 = 0x000B;
const IX: u32 = 0x0150_0001;
const PIX: u32 = 0x0140_0001;

const OWNER_RW: u32 = a::OWNERWRITE | a::OWNERREAD | a::AUTHWRITE | a::AUTHREAD | a::NO_DA;
const PLATFORM_RW: u32 =
    a::PPWRITE | a::PPREAD | a::AUTHWRITE | a::AUTHREAD | a::PLATFORMCREATE | a::NO_DA;
const COUNTER: u32 = 1 << 4;
const BITS: u32 = 2 << 4;
const EXTEND: u32 = 4 << 4;
const PIN_FAIL: u32 = 8 << 4;
const PIN_PASS: u32 = 9 << 4;

fn public(index: u32, attrs: u32, size: u16) -> Vec<u8> {
    let mut p = Vec::new();
    p.extend_from_slice(&index.to_be_bytes());
    p.extend_from_slice(&SHA256.to_be_bytes());
    p.extend_from_slice(&attrs.to_be_bytes());
    p.extend_from_slice(&0u16.to_be_bytes());
    p.extend_from_slice(&size.to_be_bytes());
    p
}

fn define_by(h: u32, index: u32, attrs: u32, size: u16, auth: &[u8]) -> Cmd {
    Cmd::new(cc::NV_DEFINE_SPACE)
        .h(h)
        .pw(b"")
        .b(auth)
        .b(&public(index, attrs, size))
}

fn define(index: u32, attrs: u32, size: u16) -> Cmd {
    define_by(rh::OWNER, index, attrs, size, b"nvpw")
}

fn write(auth: u32, index: u32, pw: &[u8], data: &[u8], offset: u16) -> Cmd {
    Cmd::new(cc::NV_WRITE)
        .h(auth)
        .h(index)
        .pw(pw)
        .b(data)
        .u16(offset)
}

fn read(auth: u32, index: u32, pw: &[u8], size: u16, offset: u16) -> Cmd {
    Cmd::new(cc::NV_READ)
        .h(auth)
        .h(index)
        .pw(pw)
        .u16(size)
        .u16(offset)
}

fn two(code: u32, auth: u32, index: u32, pw: &[u8]) -> Cmd {
    Cmd::new(code).h(auth).h(index).pw(pw)
}

fn read_public(index: u32) -> Cmd {
    Cmd::new(cc::NV_READ_PUBLIC).h(index)
}

fn undefine(auth: u32, index: u32) -> Cmd {
    Cmd::new(cc::NV_UNDEFINE_SPACE).h(auth).h(index).pw(b"")
}

pub fn add(k: &mut Corpus) {
    defines(k);
    ordinary(k);
    counters_bits_extend(k);
    locks(k);
    undefines(k);
}

fn defines(k: &mut Corpus) {
    k.mutated("nv/define/ordinary", vec![], 0, define(IX, OWNER_RW, 32));
    k.case(
        "nv/define/platform",
        vec![
            c(define_by(rh::PLATFORM, PIX, PLATFORM_RW, 16, b"")),
            c(read_public(PIX)),
        ],
    );
    let kinds = [
        ("counter", COUNTER, 8),
        ("bits", BITS, 8),
        ("extend", EXTEND, 32),
        (
            "pin-fail",
            PIN_FAIL | a::OWNERWRITE | a::OWNERREAD | a::NO_DA,
            8,
        ),
        (
            "pin-pass",
            PIN_PASS | a::OWNERWRITE | a::OWNERREAD | a::NO_DA,
            8,
        ),
    ];
    for (name, t, size) in kinds {
        let attrs = if name.starts_with("pin") {
            t
        } else {
            OWNER_RW | t
        };
        k.case(
            format!("nv/define/{name}"),
            vec![c(define(IX, attrs, size)), c(read_public(IX))],
        );
    }
    k.one(
        "nv/define/counter-wrong-size",
        define(IX, OWNER_RW | COUNTER, 4),
    );
    k.one(
        "nv/define/extend-wrong-size",
        define(IX, OWNER_RW | EXTEND, 20),
    );
    k.one("nv/define/too-big", define(IX, OWNER_RW, 2049));
    k.one("nv/define/max-size", define(IX, OWNER_RW, 2048));
    k.one("nv/define/zero-size", define(IX, OWNER_RW, 0));
    k.one(
        "nv/define/no-write-attr",
        define(IX, a::OWNERREAD | a::AUTHREAD, 8),
    );
    k.one(
        "nv/define/no-read-attr",
        define(IX, a::OWNERWRITE | a::AUTHWRITE, 8),
    );
    k.one(
        "nv/define/reserved-bits",
        define(IX, OWNER_RW | (1 << 20), 8),
    );
    k.one("nv/define/bad-type", define(IX, OWNER_RW | (3 << 4), 8));
    k.one(
        "nv/define/written-set",
        define(IX, OWNER_RW | a::WRITTEN, 8),
    );
    k.one(
        "nv/define/platformcreate-by-owner",
        define(IX, OWNER_RW | a::PLATFORMCREATE, 8),
    );
    k.one(
        "nv/define/clear-stclear-counter",
        define(IX, OWNER_RW | COUNTER | a::CLEAR_STCLEAR, 8),
    );
    k.one(
        "nv/define/policy-delete-owner",
        define(IX, OWNER_RW | a::POLICY_DELETE, 8),
    );
    k.one("nv/define/bad-index", define(0x0200_0001, OWNER_RW, 8));
    k.one(
        "nv/define/auth-too-long",
        define_by(rh::OWNER, IX, OWNER_RW, 8, &[1; 65]),
    );
    k.one(
        "nv/define/endorsement",
        define_by(rh::ENDORSEMENT, IX, OWNER_RW, 8, b""),
    );
    k.one(
        "nv/define/public-size-zero",
        Cmd::new(cc::NV_DEFINE_SPACE)
            .h(rh::OWNER)
            .pw(b"")
            .b(b"")
            .u16(0),
    );
    k.one(
        "nv/define/public-size-lies",
        Cmd::new(cc::NV_DEFINE_SPACE)
            .h(rh::OWNER)
            .pw(b"")
            .b(b"")
            .u16(20)
            .raw(&public(IX, OWNER_RW, 8)),
    );
    k.one(
        "nv/define/wrong-owner-password",
        Cmd::new(cc::NV_DEFINE_SPACE)
            .h(rh::OWNER)
            .pw(b"x")
            .b(b"")
            .b(&public(IX, OWNER_RW, 8)),
    );
    k.case(
        "nv/define/twice",
        vec![c(define(IX, OWNER_RW, 8)), c(define(IX, OWNER_RW, 8))],
    );
    k.case(
        "nv/define/many",
        (0..10).map(|i| c(define(IX + i, OWNER_RW, 64))).collect(),
    );
    k.one("nv/read-public/missing", read_public(IX));
    k.one("nv/read-public/not-nv", read_public(rh::OWNER));
}

fn ordinary(k: &mut Corpus) {
    let setup = vec![c(define(IX, OWNER_RW, 32))];
    k.mutated(
        "nv/write/auth",
        setup.clone(),
        0,
        write(IX, IX, b"nvpw", b"hello", 0),
    );
    let written = {
        let mut s = setup.clone();
        s.push(c(write(rh::OWNER, IX, b"", &[0x5A; 32], 0)));
        s
    };
    k.mutated(
        "nv/read/owner",
        written.clone(),
        0,
        read(rh::OWNER, IX, b"", 32, 0),
    );
    let cases: Vec<(&str, Cmd)> = vec![
        ("nv/read/before-write", read(IX, IX, b"nvpw", 4, 0)),
        ("nv/write/offset", write(IX, IX, b"nvpw", b"tail", 28)),
        ("nv/write/past-end", write(IX, IX, b"nvpw", b"tail!", 28)),
        ("nv/write/offset-past-end", write(IX, IX, b"nvpw", b"", 33)),
        ("nv/write/wrong-password", write(IX, IX, b"bad", b"x", 0)),
        (
            "nv/write/platform-auth",
            write(rh::PLATFORM, IX, b"", b"x", 0),
        ),
        (
            "nv/write/endorsement-auth",
            write(rh::ENDORSEMENT, IX, b"", b"x", 0),
        ),
        ("nv/write/other-index-auth", write(IX + 1, IX, b"", b"x", 0)),
        (
            "nv/write/missing-index",
            write(rh::OWNER, IX + 7, b"", b"x", 0),
        ),
        (
            "nv/write/too-much",
            write(rh::OWNER, IX, b"", &[1; 1025], 0),
        ),
        (
            "nv/write/increment-ordinary",
            two(cc::NV_INCREMENT, rh::OWNER, IX, b""),
        ),
        (
            "nv/write/extend-ordinary",
            Cmd::new(cc::NV_EXTEND).h(rh::OWNER).h(IX).pw(b"").b(b"x"),
        ),
        (
            "nv/write/setbits-ordinary",
            Cmd::new(cc::NV_SET_BITS).h(rh::OWNER).h(IX).pw(b"").u64(1),
        ),
    ];
    for (name, cmd) in cases {
        k.case(name, [setup.clone(), vec![c(cmd)]].concat());
    }
    let reads: Vec<(&str, Cmd)> = vec![
        ("nv/read/partial", read(IX, IX, b"nvpw", 8, 4)),
        ("nv/read/past-end", read(IX, IX, b"nvpw", 8, 30)),
        ("nv/read/zero", read(IX, IX, b"nvpw", 0, 0)),
        ("nv/read/wrong-password", read(IX, IX, b"nope", 4, 0)),
        ("nv/read/platform-auth", read(rh::PLATFORM, IX, b"", 4, 0)),
        ("nv/read/too-much", read(IX, IX, b"nvpw", 1025, 0)),
    ];
    for (name, cmd) in reads {
        k.case(name, [written.clone(), vec![c(cmd)]].concat());
    }
    k.case(
        "nv/write/da-counts",
        [
            vec![c(define(IX, OWNER_RW & !a::NO_DA, 8))],
            vec![
                c(write(IX, IX, b"bad", b"x", 0)),
                c(write(IX, IX, b"bad", b"x", 0)),
            ],
            vec![c(write(IX, IX, b"nvpw", b"x", 0))],
        ]
        .concat(),
    );
    k.case(
        "nv/write/writeall",
        vec![
            c(define(IX, OWNER_RW | a::WRITEALL, 8)),
            c(write(IX, IX, b"nvpw", b"abc", 0)),
            c(write(IX, IX, b"nvpw", b"abcdefgh", 0)),
            c(write(IX, IX, b"nvpw", b"abc", 0)),
        ],
    );
    k.case(
        "nv/write/platform-index",
        vec![
            c(define_by(rh::PLATFORM, PIX, PLATFORM_RW, 16, b"")),
            c(write(rh::PLATFORM, PIX, b"", b"platform", 0)),
            c(write(rh::OWNER, PIX, b"", b"owner", 0)),
            c(read(rh::PLATFORM, PIX, b"", 8, 0)),
        ],
    );
}

fn counters_bits_extend(k: &mut Corpus) {
    let ctr = vec![c(define(IX, OWNER_RW | COUNTER, 8))];
    k.mutated(
        "nv/increment",
        ctr.clone(),
        0,
        two(cc::NV_INCREMENT, IX, IX, b"nvpw"),
    );
    k.case(
        "nv/increment/read",
        [
            ctr.clone(),
            vec![
                c(read(IX, IX, b"nvpw", 8, 0)),
                c(two(cc::NV_INCREMENT, rh::OWNER, IX, b"")),
                c(two(cc::NV_INCREMENT, rh::OWNER, IX, b"")),
                c(read(IX, IX, b"nvpw", 8, 0)),
                c(write(IX, IX, b"nvpw", &[0; 8], 0)),
            ],
        ]
        .concat(),
    );
    let bits = vec![c(define(IX, OWNER_RW | BITS, 8))];
    k.mutated(
        "nv/setbits",
        bits.clone(),
        0,
        Cmd::new(cc::NV_SET_BITS)
            .h(IX)
            .h(IX)
            .pw(b"nvpw")
            .u64(0x8000_0000_0000_0001),
    );
    k.case(
        "nv/setbits/accumulate",
        [
            bits,
            vec![
                c(Cmd::new(cc::NV_SET_BITS).h(IX).h(IX).pw(b"nvpw").u64(1)),
                c(Cmd::new(cc::NV_SET_BITS).h(IX).h(IX).pw(b"nvpw").u64(0x10)),
                c(Cmd::new(cc::NV_SET_BITS).h(IX).h(IX).pw(b"nvpw").u64(0)),
                c(read(IX, IX, b"nvpw", 8, 0)),
                c(read(IX, IX, b"nvpw", 4, 4)),
            ],
        ]
        .concat(),
    );
    let ext = vec![c(define(IX, OWNER_RW | EXTEND, 32))];
    k.mutated(
        "nv/extend",
        ext.clone(),
        0,
        Cmd::new(cc::NV_EXTEND)
            .h(IX)
            .h(IX)
            .pw(b"nvpw")
            .b(b"measurement"),
    );
    k.case(
        "nv/extend/twice-read",
        [
            ext,
            vec![
                c(Cmd::new(cc::NV_EXTEND).h(IX).h(IX).pw(b"nvpw").b(b"one")),
                c(Cmd::new(cc::NV_EXTEND)
                    .h(IX)
                    .h(IX)
                    .pw(b"nvpw")
                    .b(&[2; 1024])),
                c(read(IX, IX, b"nvpw", 32, 0)),
                c(write(IX, IX, b"nvpw", &[0; 32], 0)),
            ],
        ]
        .concat(),
    );
    k.case(
        "nv/pin-pass",
        vec![
            c(define(
                IX,
                PIN_PASS | a::OWNERWRITE | a::OWNERREAD | a::NO_DA,
                8,
            )),
            c(write(rh::OWNER, IX, b"", &[0, 0, 0, 1, 0, 0, 0, 5], 0)),
            c(read(rh::OWNER, IX, b"", 8, 0)),
        ],
    );
}

fn locks(k: &mut Corpus) {
    let lockable = OWNER_RW | a::WRITE_STCLEAR | a::READ_STCLEAR;
    let setup = vec![
        c(define(IX, lockable, 8)),
        c(write(IX, IX, b"nvpw", b"locked!!", 0)),
    ];
    k.mutated(
        "nv/write-lock",
        setup.clone(),
        0,
        two(cc::NV_WRITE_LOCK, IX, IX, b"nvpw"),
    );
    k.case(
        "nv/write-lock/effects",
        [
            setup.clone(),
            vec![
                c(two(cc::NV_WRITE_LOCK, rh::OWNER, IX, b"")),
                c(write(IX, IX, b"nvpw", b"x", 0)),
                c(read_public(IX)),
                c(Cmd::new(cc::SHUTDOWN).u16(su::CLEAR)),
                Step::Init,
                c(Cmd::new(cc::STARTUP).u16(su::CLEAR)),
                c(write(IX, IX, b"nvpw", b"x", 0)),
            ],
        ]
        .concat(),
    );
    k.case(
        "nv/read-lock/effects",
        [
            setup.clone(),
            vec![
                c(two(cc::NV_READ_LOCK, IX, IX, b"nvpw")),
                c(read(IX, IX, b"nvpw", 8, 0)),
                c(Cmd::new(cc::SHUTDOWN).u16(su::STATE)),
                Step::Init,
                c(Cmd::new(cc::STARTUP).u16(su::STATE)),
                c(read(IX, IX, b"nvpw", 8, 0)),
            ],
        ]
        .concat(),
    );
    k.case(
        "nv/write-lock/not-lockable",
        vec![
            c(define(IX, OWNER_RW, 8)),
            c(two(cc::NV_WRITE_LOCK, IX, IX, b"nvpw")),
        ],
    );
    k.case(
        "nv/read-lock/not-lockable",
        vec![
            c(define(IX, OWNER_RW, 8)),
            c(two(cc::NV_READ_LOCK, IX, IX, b"nvpw")),
        ],
    );
    k.case(
        "nv/write-define",
        vec![
            c(define(IX, OWNER_RW | a::WRITEDEFINE, 8)),
            c(write(IX, IX, b"nvpw", b"once", 0)),
            c(two(cc::NV_WRITE_LOCK, IX, IX, b"nvpw")),
            c(write(IX, IX, b"nvpw", b"twice", 0)),
        ],
    );
    k.mutated(
        "nv/global-lock",
        vec![
            c(define(IX, OWNER_RW | a::GLOBALLOCK, 8)),
            c(define(IX + 1, OWNER_RW, 8)),
        ],
        0,
        Cmd::new(cc::NV_GLOBAL_WRITE_LOCK).h(rh::OWNER).pw(b""),
    );
    k.case(
        "nv/global-lock/effects",
        vec![
            c(define(IX, OWNER_RW | a::GLOBALLOCK, 8)),
            c(define(IX + 1, OWNER_RW, 8)),
            c(Cmd::new(cc::NV_GLOBAL_WRITE_LOCK).h(rh::PLATFORM).pw(b"")),
            c(write(IX, IX, b"nvpw", b"x", 0)),
            c(write(IX + 1, IX + 1, b"nvpw", b"x", 0)),
        ],
    );
    k.one(
        "nv/global-lock/endorsement",
        Cmd::new(cc::NV_GLOBAL_WRITE_LOCK)
            .h(rh::ENDORSEMENT)
            .pw(b""),
    );
}

fn undefines(k: &mut Corpus) {
    k.mutated(
        "nv/undefine",
        vec![c(define(IX, OWNER_RW, 8))],
        0,
        undefine(rh::OWNER, IX),
    );
    k.one("nv/undefine/missing", undefine(rh::OWNER, IX));
    k.case(
        "nv/undefine/platform-index-by-owner",
        vec![
            c(define_by(rh::PLATFORM, PIX, PLATFORM_RW, 8, b"")),
            c(undefine(rh::OWNER, PIX)),
            c(undefine(rh::PLATFORM, PIX)),
        ],
    );
    k.case(
        "nv/undefine/policy-delete",
        vec![
            c(define_by(
                rh::PLATFORM,
                PIX,
                PLATFORM_RW | a::POLICY_DELETE,
                8,
                b"",
            )),
            c(undefine(rh::PLATFORM, PIX)),
            c(Cmd::new(cc::NV_UNDEFINE_SPACE_SPECIAL)
                .h(PIX)
                .h(rh::PLATFORM)
                .pw(b"")
                .pw(b"")),
        ],
    );
    k.case(
        "nv/undefine/then-use",
        vec![
            c(define(IX, OWNER_RW, 8)),
            c(undefine(rh::OWNER, IX)),
            c(read(IX, IX, b"nvpw", 1, 0)),
            c(read_public(IX)),
        ],
    );
    k.case(
        "nv/change-auth-with-password",
        vec![
            c(define(IX, OWNER_RW, 8)),
            c(Cmd::new(cc::NV_CHANGE_AUTH).h(IX).pw(b"nvpw").b(b"new")),
        ],
    );
    k.case(
        "nv/cleared-by-clear",
        vec![
            c(define(IX, OWNER_RW, 8)),
            c(define_by(rh::PLATFORM, PIX, PLATFORM_RW, 8, b"")),
            c(Cmd::new(cc::CLEAR).h(rh::LOCKOUT).pw(b"")),
        ],
    );
    k.case(
        "nv/orderly-counter-restart",
        vec![
            c(define(IX, OWNER_RW | COUNTER | a::ORDERLY, 8)),
            c(two(cc::NV_INCREMENT, IX, IX, b"nvpw")),
            c(Cmd::new(cc::SHUTDOWN).u16(su::CLEAR)),
            Step::Init,
            c(Cmd::new(cc::STARTUP).u16(su::CLEAR)),
            c(read(IX, IX, b"nvpw", 8, 0)),
        ],
    );
    k.case(
        "nv/clear-stclear",
        vec![
            c(define(IX, OWNER_RW | a::CLEAR_STCLEAR, 8)),
            c(write(IX, IX, b"nvpw", b"12345678", 0)),
            c(Cmd::new(cc::SHUTDOWN).u16(su::CLEAR)),
            Step::Init,
            c(Cmd::new(cc::STARTUP).u16(su::CLEAR)),
            c(read(IX, IX, b"nvpw", 8, 0)),
        ],
    );
}
