//! Startup/Shutdown and restarts, self-test, random numbers, hashing and hash/event
//! sequences, FlushContext, unknown command codes and header-level malformations.

use super::{at, c, raw, Corpus, Step};
use crate::cmd::Cmd;
use tpm2_types::constants::{cc, rh, su, TPM_GENERATED_VALUE};

const SHA1: u16 = 0x0004;
const SHA256: u16 = 0x000B;
const SHA384: u16 = 0x000C;
const SHA512: u16 = 0x000D;
const NULL: u16 = 0x0010;
pub const HASHES: [(u16, &str); 4] = [
    (SHA1, "sha1"),
    (SHA256, "sha256"),
    (SHA384, "sha384"),
    (SHA512, "sha512"),
];

fn startup(su: u16) -> Cmd {
    Cmd::new(cc::STARTUP).u16(su)
}

fn shutdown(su: u16) -> Cmd {
    Cmd::new(cc::SHUTDOWN).u16(su)
}

fn get_random(n: u16) -> Cmd {
    Cmd::new(cc::GET_RANDOM).u16(n)
}

fn extend16() -> Cmd {
    Cmd::new(cc::PCR_EXTEND)
        .h(3)
        .pw(b"")
        .u32(1)
        .u16(SHA256)
        .raw(&[0x5A; 32])
}

pub fn add(k: &mut Corpus) {
    startup_shutdown(k);
    self_test(k);
    random(k);
    hashing(k);
    sequences(k);
    unknown_and_header(k);
}

fn startup_shutdown(k: &mut Corpus) {
    k.one("startup/again-clear", startup(su::CLEAR));
    k.one("startup/again-state", startup(su::STATE));
    k.one("startup/again-bad-su", startup(2));
    k.mutated(
        "startup/after-init-clear",
        vec![Step::Init],
        0,
        startup(su::CLEAR),
    );
    k.case(
        "startup/after-init-bad-su",
        vec![
            Step::Init,
            c(startup(2)),
            c(startup(0xFFFF)),
            c(startup(su::CLEAR)),
        ],
    );
    k.case(
        "startup/after-init-state-without-shutdown",
        vec![Step::Init, c(startup(su::STATE)), c(startup(su::CLEAR))],
    );
    for loc in 0..=4u8 {
        k.case(
            format!("startup/locality{loc}"),
            vec![Step::Init, at(loc, startup(su::CLEAR)), c(get_random(4))],
        );
    }
    k.case(
        "startup/before-startup-commands",
        vec![
            Step::Init,
            c(get_random(8)),
            c(Cmd::new(cc::GET_CAPABILITY).u32(6).u32(0x100).u32(4)),
            c(Cmd::new(cc::PCR_READ)
                .u32(1)
                .u16(SHA256)
                .u8(3)
                .raw(&[1, 0, 0])),
            c(Cmd::new(cc::SELF_TEST).u8(1)),
            c(Cmd::new(cc::GET_TEST_RESULT)),
            c(shutdown(su::CLEAR)),
            c(Cmd::new(cc::GET_RANDOM)),
            c(Cmd::new(0x0000_0150)),
            c(startup(su::CLEAR)),
        ],
    );
    k.mutated("shutdown/clear", vec![], 0, shutdown(su::CLEAR));
    k.one("shutdown/state", shutdown(su::STATE));
    k.one("shutdown/bad-su", shutdown(7));
    k.case(
        "shutdown/twice",
        vec![c(shutdown(su::STATE)), c(shutdown(su::CLEAR))],
    );
    k.case(
        "shutdown/then-commands",
        vec![c(shutdown(su::CLEAR)), c(get_random(4)), c(extend16())],
    );
    for loc in [1u8, 2, 3, 4] {
        k.case(
            format!("shutdown/locality{loc}"),
            vec![at(loc, shutdown(su::CLEAR))],
        );
    }
    // TPM Resume: PCRs 0-15 survive Shutdown(STATE) + Startup(STATE).
    k.case(
        "restart/resume",
        vec![
            c(extend16()),
            c(shutdown(su::STATE)),
            Step::Init,
            c(startup(su::STATE)),
            c(extend16()),
        ],
    );
    // TPM Restart: Shutdown(STATE) + Startup(CLEAR) resets PCRs.
    k.case(
        "restart/restart",
        vec![
            c(extend16()),
            c(shutdown(su::STATE)),
            Step::Init,
            c(startup(su::CLEAR)),
        ],
    );
    k.case(
        "restart/reset",
        vec![
            c(extend16()),
            c(shutdown(su::CLEAR)),
            Step::Init,
            c(startup(su::CLEAR)),
        ],
    );
    k.case(
        "restart/state-after-clear",
        vec![
            c(shutdown(su::CLEAR)),
            Step::Init,
            c(startup(su::STATE)),
            c(startup(su::CLEAR)),
        ],
    );
    k.case(
        "restart/no-shutdown",
        vec![
            c(extend16()),
            Step::Init,
            c(startup(su::STATE)),
            c(startup(su::CLEAR)),
        ],
    );
    k.case(
        "restart/resume-twice",
        vec![
            c(extend16()),
            c(shutdown(su::STATE)),
            Step::Init,
            c(startup(su::STATE)),
            c(shutdown(su::STATE)),
            Step::Init,
            c(startup(su::STATE)),
        ],
    );
    k.case(
        "restart/resume-locality3",
        vec![
            c(shutdown(su::STATE)),
            Step::Init,
            at(3, startup(su::STATE)),
        ],
    );
    // A Resume must start like the startup before the Shutdown(STATE): same H-CRTM state,
    // same locality (0 or 3).
    let crtm = || Step::HashSequence(b"crtm".to_vec());
    k.case(
        "restart/resume-after-hcrtm",
        vec![
            Step::Init,
            crtm(),
            c(startup(su::CLEAR)),
            c(shutdown(su::STATE)),
            Step::Init,
            c(startup(su::STATE)),
            c(startup(su::CLEAR)),
        ],
    );
    k.case(
        "restart/resume-after-hcrtm-with-hcrtm",
        vec![
            Step::Init,
            crtm(),
            c(startup(su::CLEAR)),
            c(shutdown(su::STATE)),
            Step::Init,
            crtm(),
            c(startup(su::STATE)),
        ],
    );
    k.case(
        "restart/resume-with-new-hcrtm",
        vec![
            c(shutdown(su::STATE)),
            Step::Init,
            crtm(),
            c(startup(su::STATE)),
            c(startup(su::CLEAR)),
        ],
    );
    k.case(
        "restart/resume-loc3-loc3",
        vec![
            Step::Init,
            at(3, startup(su::CLEAR)),
            c(shutdown(su::STATE)),
            Step::Init,
            at(3, startup(su::STATE)),
        ],
    );
    k.case(
        "restart/resume-loc3-loc0",
        vec![
            Step::Init,
            at(3, startup(su::CLEAR)),
            c(shutdown(su::STATE)),
            Step::Init,
            c(startup(su::STATE)),
            at(3, startup(su::STATE)),
        ],
    );
    k.case(
        "restart/init-twice",
        vec![Step::Init, Step::Init, c(startup(su::CLEAR)), c(extend16())],
    );
}

fn self_test(k: &mut Corpus) {
    k.mutated("selftest/full", vec![], 0, Cmd::new(cc::SELF_TEST).u8(1));
    k.one("selftest/partial", Cmd::new(cc::SELF_TEST).u8(0));
    k.one("selftest/bad-yes-no", Cmd::new(cc::SELF_TEST).u8(2));
    k.mutated(
        "selftest/get-test-result",
        vec![],
        0,
        Cmd::new(cc::GET_TEST_RESULT),
    );
    k.case(
        "selftest/result-after-test",
        vec![
            c(Cmd::new(cc::SELF_TEST).u8(1)),
            c(Cmd::new(cc::GET_TEST_RESULT)),
        ],
    );
    let list = |algs: &[u16]| {
        let mut cmd = Cmd::new(cc::INCREMENTAL_SELF_TEST).u32(algs.len() as u32);
        for a in algs {
            cmd = cmd.u16(*a);
        }
        cmd
    };
    k.one("selftest/incremental-empty", list(&[]));
    k.mutated("selftest/incremental-sha256", vec![], 0, list(&[SHA256]));
    k.one(
        "selftest/incremental-hashes",
        list(&[SHA1, SHA256, SHA384, SHA512]),
    );
    k.one("selftest/incremental-unknown-alg", list(&[0x7777]));
    k.one("selftest/incremental-null", list(&[NULL]));
    k.one(
        "selftest/incremental-count-too-big",
        Cmd::new(cc::INCREMENTAL_SELF_TEST).u32(65).u16(SHA256),
    );
    k.case(
        "selftest/incremental-after-full",
        vec![c(Cmd::new(cc::SELF_TEST).u8(1)), c(list(&[SHA256]))],
    );
}

fn random(k: &mut Corpus) {
    for n in [0u16, 1, 16, 32, 48, 64, 65, 128, 0xFFFF] {
        k.one(format!("random/get{n}"), get_random(n));
    }
    k.mutated("random/get8", vec![], 0, get_random(8));
    for loc in 1..=4u8 {
        k.case(
            format!("random/locality{loc}"),
            vec![at(loc, get_random(20))],
        );
    }
    for n in [0usize, 1, 64, 128] {
        k.one(
            format!("random/stir{n}"),
            Cmd::new(cc::STIR_RANDOM).b(&vec![n as u8; n]),
        );
    }
    k.one(
        "random/stir-oversized",
        Cmd::new(cc::STIR_RANDOM).b(&[1; 129]),
    );
    k.mutated(
        "random/stir16",
        vec![],
        0,
        Cmd::new(cc::STIR_RANDOM).b(&[7; 16]),
    );
    k.one(
        "random/stir-size-lies",
        Cmd::new(cc::STIR_RANDOM).u16(20).raw(&[1; 10]),
    );
}

fn hash_cmd(data: &[u8], alg: u16, hierarchy: u32) -> Cmd {
    Cmd::new(cc::HASH).b(data).u16(alg).u32(hierarchy)
}

fn hashing(k: &mut Corpus) {
    for (alg, name) in HASHES {
        k.one(format!("hash/{name}/empty"), hash_cmd(b"", alg, rh::NULL));
        k.one(
            format!("hash/{name}/abc-owner"),
            hash_cmd(b"abc", alg, rh::OWNER),
        );
        k.one(
            format!("hash/{name}/max"),
            hash_cmd(&[0x11; 1024], alg, rh::ENDORSEMENT),
        );
    }
    k.mutated(
        "hash/sha256/owner",
        vec![],
        0,
        hash_cmd(b"ferrotpm", SHA256, rh::OWNER),
    );
    k.one("hash/platform", hash_cmd(b"x", SHA256, rh::PLATFORM));
    k.one("hash/oversized", hash_cmd(&[0; 1025], SHA256, rh::NULL));
    k.one("hash/alg-null", hash_cmd(b"x", NULL, rh::NULL));
    k.one("hash/alg-unknown", hash_cmd(b"x", 0x7777, rh::NULL));
    k.one("hash/alg-rsa", hash_cmd(b"x", 0x0001, rh::NULL));
    k.one(
        "hash/hierarchy-lockout",
        hash_cmd(b"x", SHA256, rh::LOCKOUT),
    );
    k.one("hash/hierarchy-pcr", hash_cmd(b"x", SHA256, 0));
    k.one("hash/hierarchy-nv", hash_cmd(b"x", SHA256, 0x0150_0000));
    let generated = TPM_GENERATED_VALUE.to_be_bytes();
    k.one(
        "hash/generated-owner",
        hash_cmd(&generated, SHA256, rh::OWNER),
    );
    k.one(
        "hash/size-lies",
        Cmd::new(cc::HASH)
            .u16(8)
            .raw(b"abc")
            .u16(SHA256)
            .u32(rh::NULL),
    );
}

const SEQ: u32 = 0x8000_0000;

fn seq_start(auth: &[u8], alg: u16) -> Cmd {
    Cmd::new(cc::HASH_SEQUENCE_START).b(auth).u16(alg)
}

fn seq_update(h: u32, pw: &[u8], data: &[u8]) -> Cmd {
    Cmd::new(cc::SEQUENCE_UPDATE).h(h).pw(pw).b(data)
}

fn seq_complete(h: u32, pw: &[u8], data: &[u8], hier: u32) -> Cmd {
    Cmd::new(cc::SEQUENCE_COMPLETE)
        .h(h)
        .pw(pw)
        .b(data)
        .u32(hier)
}

fn event_complete(pcr: u32, h: u32, data: &[u8]) -> Cmd {
    Cmd::new(cc::EVENT_SEQUENCE_COMPLETE)
        .h(pcr)
        .h(h)
        .pw(b"")
        .pw(b"")
        .b(data)
}

fn sequences(k: &mut Corpus) {
    for (alg, name) in HASHES {
        k.case(
            format!("seq/hash-{name}"),
            vec![
                c(seq_start(b"", alg)),
                c(seq_update(SEQ, b"", b"abc")),
                c(seq_complete(SEQ, b"", b"def", rh::OWNER)),
            ],
        );
    }
    k.mutated("seq/start", vec![], 0, seq_start(b"pw", SHA256));
    k.mutated(
        "seq/update",
        vec![c(seq_start(b"pw", SHA384))],
        0,
        seq_update(SEQ, b"pw", b"data"),
    );
    k.mutated(
        "seq/complete",
        vec![c(seq_start(b"", SHA256))],
        0,
        seq_complete(SEQ, b"", b"tail", rh::NULL),
    );
    k.mutated(
        "seq/event-complete",
        vec![c(seq_start(b"", NULL))],
        0,
        event_complete(5, SEQ, b"event"),
    );
    k.one("seq/start-bad-alg", seq_start(b"", 0x7777));
    k.one("seq/start-auth-too-long", seq_start(&[1; 65], SHA256));
    k.case(
        "seq/hash-generated",
        vec![
            c(seq_start(b"", SHA256)),
            c(seq_update(SEQ, b"", &TPM_GENERATED_VALUE.to_be_bytes())),
            c(seq_complete(SEQ, b"", b"", rh::OWNER)),
        ],
    );
    // Ticket or not: decided by the first block of data.
    let ticket_cases: [(&str, Vec<&[u8]>); 5] = [
        ("seq/ticket-long-first-update", vec![b"abcdef", b""]),
        ("seq/ticket-short-first-update", vec![b"abc", b"defgh"]),
        ("seq/ticket-empty-first-update", vec![b"", b"abcdefgh"]),
        ("seq/ticket-complete-only-long", vec![b"abcdef"]),
        ("seq/ticket-complete-only-short", vec![b"ab"]),
    ];
    for (name, blocks) in ticket_cases {
        let mut steps = vec![c(seq_start(b"", SHA256))];
        let (last, updates) = blocks
            .split_last()
            .map_or((&b""[..], &[][..]), |(l, u)| (*l, u));
        for u in updates {
            steps.push(c(seq_update(SEQ, b"", u)));
        }
        steps.push(c(seq_complete(SEQ, b"", last, rh::ENDORSEMENT)));
        k.case(name, steps);
    }
    k.case(
        "seq/wrong-password",
        vec![
            c(seq_start(b"secret", SHA256)),
            c(seq_update(SEQ, b"wrong", b"x")),
            c(seq_update(SEQ, b"secret\0\0", b"x")),
            c(seq_complete(SEQ, b"secret", b"", rh::NULL)),
        ],
    );
    k.case(
        "seq/event-to-pcrs",
        vec![
            c(seq_start(b"", NULL)),
            c(seq_update(SEQ, b"", b"boot")),
            c(event_complete(0, SEQ, b"loader")),
            c(seq_start(b"", NULL)),
            c(event_complete(rh::NULL, SEQ, b"")),
            c(seq_start(b"", NULL)),
            c(event_complete(17, SEQ, b"drtm")),
            at(4, event_complete(17, SEQ, b"drtm")),
        ],
    );
    k.case(
        "seq/mode-mismatch",
        vec![
            c(seq_start(b"", NULL)),
            c(seq_complete(SEQ, b"", b"", rh::NULL)),
            c(seq_start(b"", SHA1)),
            c(event_complete(3, 0x8000_0001, b"")),
        ],
    );
    k.case(
        "seq/too-many",
        vec![
            c(seq_start(b"", SHA256)),
            c(seq_start(b"", SHA256)),
            c(seq_start(b"", SHA256)),
            c(seq_start(b"", SHA256)),
            c(Cmd::new(cc::GET_CAPABILITY).u32(1).u32(0x8000_0000).u32(8)),
        ],
    );
    k.case(
        "seq/flush",
        vec![
            c(seq_start(b"", SHA256)),
            c(Cmd::new(cc::FLUSH_CONTEXT).u32(SEQ)),
            c(Cmd::new(cc::FLUSH_CONTEXT).u32(SEQ)),
            c(seq_update(SEQ, b"", b"gone")),
        ],
    );
    k.mutated(
        "seq/flush-missing",
        vec![],
        0,
        Cmd::new(cc::FLUSH_CONTEXT).u32(0x8000_0002),
    );
    k.one(
        "seq/flush-permanent",
        Cmd::new(cc::FLUSH_CONTEXT).u32(rh::OWNER),
    );
    k.one(
        "seq/flush-session",
        Cmd::new(cc::FLUSH_CONTEXT).u32(0x0200_0000),
    );
    k.one(
        "seq/flush-persistent",
        Cmd::new(cc::FLUSH_CONTEXT).u32(0x8100_0000),
    );
    k.one("seq/update-missing", seq_update(SEQ, b"", b"x"));
    k.one("seq/update-bad-handle", seq_update(rh::OWNER, b"", b"x"));
    k.one(
        "seq/complete-bad-hierarchy",
        seq_complete(SEQ, b"", b"", 0x4000_0005),
    );
    k.case(
        "seq/complete-bad-hierarchy-loaded",
        vec![
            c(seq_start(b"", SHA256)),
            c(seq_complete(SEQ, b"", b"", rh::LOCKOUT)),
        ],
    );
    k.case(
        "seq/survive-resume",
        vec![
            c(seq_start(b"", SHA256)),
            c(shutdown(su::STATE)),
            Step::Init,
            c(startup(su::STATE)),
            c(seq_update(SEQ, b"", b"x")),
        ],
    );
}

fn unknown_and_header(k: &mut Corpus) {
    for code in [
        0u32,
        0x11E,
        0x123,
        0x15A,
        0x198,
        0x199,
        0x1FF,
        0x2000_0000,
        0xFFFF_FFFF,
    ] {
        k.one(format!("unknown/cc={code:#x}"), Cmd::new(code).u32(0));
    }
    // swtpm's own vendor command (set locality), refused without --locality allow-set-locality.
    k.one("unknown/swtpm-set-locality", Cmd::new(0x2000_1000).u8(1));
    k.case("header/only-tag", vec![raw(vec![0x80, 0x01])]);
    k.case(
        "header/nine-bytes",
        vec![raw(vec![0x80, 0x01, 0, 0, 0, 9, 0, 0, 1])],
    );
    k.case(
        "header/size-zero",
        vec![raw(vec![0x80, 0x01, 0, 0, 0, 0, 0, 0, 1, 0x7B, 0, 8])],
    );
    k.case(
        "header/size-nine",
        vec![raw(vec![0x80, 0x01, 0, 0, 0, 9, 0, 0, 1, 0x7B])],
    );
    k.case(
        "header/oversized-command",
        vec![raw({
            let mut b = Cmd::new(cc::GET_RANDOM).u16(8).build();
            b.resize(4097, 0);
            crate::cmd::fix_size(&mut b);
            b
        })],
    );
    k.case(
        "header/max-size-command",
        vec![raw({
            let mut b = Cmd::new(cc::STIR_RANDOM).b(&[1; 8]).build();
            b.resize(4096, 0);
            crate::cmd::fix_size(&mut b);
            b
        })],
    );
    for tag in [0x0000u16, 0x8000, 0x8004, 0x00C4, 0xFFFF] {
        let mut b = get_random(4).build();
        b[0..2].copy_from_slice(&tag.to_be_bytes());
        k.case(format!("header/tag={tag:04x}"), vec![raw(b)]);
    }
    // A bad tag together with other errors: which check wins.
    let mut b = Cmd::new(0x199).build();
    b[0..2].copy_from_slice(&0x8003u16.to_be_bytes());
    b[2..6].copy_from_slice(&99u32.to_be_bytes());
    k.case("header/bad-tag-size-and-code", vec![raw(b)]);
    let mut b = Cmd::new(0x199).u32(0).build();
    b[2..6].copy_from_slice(&99u32.to_be_bytes());
    k.case("header/bad-size-and-code", vec![raw(b)]);
}
