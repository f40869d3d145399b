//! Contexts, EvictControl, the slot limit and mechanical malformations.

use super::*;

fn context_load(parts: Vec<Part>) -> Step {
    reff(cc::CONTEXT_LOAD, &[], &[], parts)
}

/// ContextSave/ContextLoad of objects.
pub(super) fn contexts(k: &mut Corpus) {
    let p256 = ecc_curve::NIST_P256;
    let srk = || c(primary(OWNER, &ecc_srk(p256)));
    let save = |h: u32| c(Cmd::new(cc::CONTEXT_SAVE).h(h));
    let all = |s| Part::All { step: s };
    k.case(
        "object/context/round-trip",
        vec![
            srk(),
            save(T0),
            flush(T0),
            context_load(vec![all(2)]),
            read_public(T0),
            context_load(vec![all(2)]),
            save(T0),
            save(T1),
        ],
    );
    k.case(
        "object/context/child-round-trip",
        vec![
            srk(),
            c(create(T0, &sealed(), b"", b"ctx data")),
            load_from(T0, 2),
            save(T1),
            flush(T1),
            context_load(vec![all(4)]),
            c(Cmd::new(cc::UNSEAL).h(T1).pw(b"")),
        ],
    );
    k.case(
        "object/context/null-hierarchy",
        vec![
            c(primary(NULL, &ecc_srk(p256))),
            save(T0),
            flush(T0),
            context_load(vec![all(2)]),
        ],
    );
    k.case(
        "object/context/stclear",
        vec![
            c(primary(OWNER, &ecc_srk(p256).attrs(STORAGE | a::ST_CLEAR))),
            save(T0),
            flush(T0),
            context_load(vec![all(2)]),
        ],
    );
    // Damage: the sequence, the saved handle, the hierarchy, the blob.
    for (name, at) in [
        ("sequence", 7isize),
        ("saved-handle", 11),
        ("blob-mac", 20),
        ("blob-end", -1),
        ("blob-middle", 60),
    ] {
        k.case(
            format!("object/context/damaged-{name}"),
            vec![
                srk(),
                save(T0),
                flush(T0),
                context_load(vec![flip(all(2), at)]),
            ],
        );
    }
    for (name, h) in [
        ("owner", OWNER),
        ("endorsement", ENDORSEMENT),
        ("bad", 0x4000_0003),
    ] {
        let mut parts = vec![Part::Flip {
            part: Box::new(all(2)),
            at: 12,
            mask: 0,
        }];
        // Replace the hierarchy field (bytes 12..16) with `h`.
        let hb = h.to_be_bytes();
        let orig = rh::OWNER.to_be_bytes();
        for i in 0..4 {
            parts = vec![Part::Flip {
                part: Box::new(parts.remove(0)),
                at: 12 + i as isize,
                mask: hb[i] ^ orig[i],
            }];
        }
        k.case(
            format!("object/context/hierarchy-{name}"),
            vec![srk(), save(T0), flush(T0), context_load(parts)],
        );
    }
    k.case(
        "object/context/truncated",
        vec![
            srk(),
            save(T0),
            flush(T0),
            context_load(vec![Part::Raw(all_prefix())]),
        ],
    );
    k.case(
        "object/context/after-restart",
        vec![
            srk(),
            save(T0),
            c(Cmd::new(cc::SHUTDOWN).u16(0)),
            Step::Init,
            c(Cmd::new(cc::STARTUP).u16(0)),
            context_load(vec![all(2)]),
        ],
    );
    k.case(
        "object/context/after-resume",
        vec![
            srk(),
            save(T0),
            c(Cmd::new(cc::SHUTDOWN).u16(1)),
            Step::Init,
            c(Cmd::new(cc::STARTUP).u16(1)),
            context_load(vec![all(2)]),
        ],
    );
    k.case(
        "object/context/slots-full",
        vec![
            srk(),
            save(T0),
            c(primary(OWNER, &ecc_srk(p256))),
            c(primary(OWNER, &ecc_srk(p256))),
            context_load(vec![all(2)]),
        ],
    );
    k.one(
        "object/context/save-absent",
        Cmd::new(cc::CONTEXT_SAVE).h(T0),
    );
    k.one(
        "object/context/save-owner",
        Cmd::new(cc::CONTEXT_SAVE).h(OWNER),
    );
    k.case(
        "object/context/save-persistent",
        vec![
            srk(),
            c(Cmd::new(cc::EVICT_CONTROL)
                .h(OWNER)
                .h(T0)
                .pw(b"")
                .u32(0x8100_0001)),
            c(Cmd::new(cc::CONTEXT_SAVE).h(0x8100_0001)),
        ],
    );
    k.mutated(
        "object/context/save-mutated",
        vec![srk()],
        0,
        Cmd::new(cc::CONTEXT_SAVE).h(T0),
    );
}

/// A context prefix: sequence, saved handle and hierarchy only.
fn all_prefix() -> Vec<u8> {
    let mut v = 1u64.to_be_bytes().to_vec();
    v.extend_from_slice(&0x8000_0000u32.to_be_bytes());
    v.extend_from_slice(&OWNER.to_be_bytes());
    v
}

fn evict_cmd(auth: u32, obj: u32, persistent: u32) -> Cmd {
    Cmd::new(cc::EVICT_CONTROL)
        .h(auth)
        .h(obj)
        .pw(b"")
        .u32(persistent)
}

/// EvictControl and the handles it leaves.
pub(super) fn evict(k: &mut Corpus) {
    let p256 = ecc_curve::NIST_P256;
    let srk = || c(primary(OWNER, &ecc_srk(p256)));
    let p1 = 0x8100_0001;
    k.case(
        "object/evict/round-trip",
        vec![
            srk(),
            c(evict_cmd(OWNER, T0, p1)),
            handles_cap(0x8100_0000),
            read_public(p1),
            c(create(p1, &sealed(), b"", b"under a persistent parent")),
            c(evict_cmd(OWNER, T0, p1)),
            c(evict_cmd(OWNER, T0, 0x8100_0002)),
            handles_cap(0x8100_0000),
            c(evict_cmd(OWNER, p1, p1)),
            handles_cap(0x8100_0000),
            read_public(p1),
        ],
    );
    let cases: Vec<(&str, Vec<Step>)> = vec![
        (
            "platform-range-by-owner",
            vec![srk(), c(evict_cmd(OWNER, T0, 0x8180_0000))],
        ),
        (
            "owner-range-by-platform",
            vec![srk(), c(evict_cmd(PLATFORM, T0, p1))],
        ),
        (
            "platform-object-by-owner",
            vec![
                c(primary(PLATFORM, &ecc_srk(p256))),
                c(evict_cmd(OWNER, T0, p1)),
            ],
        ),
        (
            "platform-object-by-platform",
            vec![
                c(primary(PLATFORM, &ecc_srk(p256))),
                c(evict_cmd(PLATFORM, T0, 0x8180_0001)),
                handles_cap(0x8100_0000),
            ],
        ),
        (
            "endorsement-object",
            vec![
                c(primary(ENDORSEMENT, &ek_ecc())),
                c(evict_cmd(OWNER, T0, 0x8101_0001)),
                handles_cap(0x8100_0000),
            ],
        ),
        (
            "null-object",
            vec![
                c(primary(NULL, &ecc_srk(p256))),
                c(evict_cmd(OWNER, T0, p1)),
            ],
        ),
        (
            "stclear-object",
            vec![
                c(primary(OWNER, &ecc_srk(p256).attrs(STORAGE | a::ST_CLEAR))),
                c(evict_cmd(OWNER, T0, p1)),
            ],
        ),
        ("transient-target", vec![srk(), c(evict_cmd(OWNER, T0, T1))]),
        (
            "nv-target",
            vec![srk(), c(evict_cmd(OWNER, T0, 0x0150_0000))],
        ),
        (
            "last-owner-handle",
            vec![srk(), c(evict_cmd(OWNER, T0, 0x817F_FFFF))],
        ),
        (
            "last-handle",
            vec![srk(), c(evict_cmd(PLATFORM, T0, 0x81FF_FFFF))],
        ),
        ("absent-object", vec![c(evict_cmd(OWNER, T0, p1))]),
        ("absent-persistent", vec![c(evict_cmd(OWNER, p1, p1))]),
        (
            "persistent-other-handle",
            vec![
                srk(),
                c(evict_cmd(OWNER, T0, p1)),
                c(evict_cmd(OWNER, p1, 0x8100_0002)),
            ],
        ),
        (
            "lockout-auth",
            vec![srk(), c(evict_cmd(rh::LOCKOUT, T0, p1))],
        ),
        (
            "endorsement-auth",
            vec![srk(), c(evict_cmd(ENDORSEMENT, T0, p1))],
        ),
        (
            "child-object",
            vec![
                srk(),
                c(create(T0, &sealed(), b"", b"child")),
                load_from(T0, 2),
                c(evict_cmd(OWNER, T1, p1)),
                handles_cap(0x8100_0000),
                c(Cmd::new(cc::UNSEAL).h(p1).pw(b"")),
            ],
        ),
        (
            "external-object",
            vec![
                c(load_external_cmd(
                    &[0, 0],
                    &{
                        let (x, y) = p256_point(7);
                        ecc_t(
                            EXT | a::SIGN_ENCRYPT,
                            null(),
                            sch(alg::ECDSA, alg::SHA256),
                            p256,
                        )
                        .unique([b2(&x), b2(&y)].concat())
                        .bytes()
                    },
                    OWNER,
                )),
                c(evict_cmd(OWNER, T0, p1)),
            ],
        ),
        (
            "after-clear",
            vec![
                srk(),
                c(evict_cmd(OWNER, T0, p1)),
                c(Cmd::new(cc::CLEAR).h(PLATFORM).pw(b"")),
                handles_cap(0x8100_0000),
            ],
        ),
        (
            "owner-disabled",
            vec![
                srk(),
                c(evict_cmd(OWNER, T0, p1)),
                c(Cmd::new(cc::HIERARCHY_CONTROL)
                    .h(PLATFORM)
                    .pw(b"")
                    .u32(OWNER)
                    .u8(0)),
                read_public(p1),
                handles_cap(0x8100_0000),
            ],
        ),
        (
            "flush-persistent",
            vec![srk(), c(evict_cmd(OWNER, T0, p1)), flush(p1)],
        ),
    ];
    for (name, steps) in cases {
        k.case(format!("object/evict/{name}"), steps);
    }
    k.mutated(
        "object/evict/mutated",
        vec![srk()],
        0,
        evict_cmd(OWNER, T0, p1),
    );
}

/// The three object slots (shared with sequences).
pub(super) fn slots(k: &mut Corpus) {
    let p256 = ecc_curve::NIST_P256;
    let srk = || c(primary(OWNER, &ecc_srk(p256)));
    k.case(
        "object/slots/primaries",
        vec![
            srk(),
            srk(),
            srk(),
            c(primary(OWNER, &ecc_srk(p256))),
            handles_cap(0x8000_0000),
            flush(T1),
            srk(),
            handles_cap(0x8000_0000),
        ],
    );
    k.case(
        "object/slots/sequence",
        vec![
            srk(),
            srk(),
            c(Cmd::new(cc::HASH_SEQUENCE_START).b(b"").u16(alg::SHA256)),
            srk(),
            read_public(T2),
        ],
    );
    k.case(
        "object/slots/load-external",
        vec![srk(), srk(), srk(), {
            let (s, p) = ext_aes(&[9; 16], EXT | a::SIGN_ENCRYPT | a::DECRYPT, alg::CFB);
            c(load_external_cmd(&s, &p, NULL))
        }],
    );
    k.case(
        "object/slots/flush-absent",
        vec![srk(), flush(T1), flush(0x80FF_FFFF), flush(T0), flush(T0)],
    );
}

/// Mechanical malformations of the creating commands.
pub(super) fn mutations(k: &mut Corpus) {
    let p256 = ecc_curve::NIST_P256;
    k.mutated(
        "object/primary/mutated",
        vec![],
        0,
        primary(OWNER, &ecc_srk(p256)),
    );
    k.mutated(
        "object/create/mutated",
        vec![c(primary(OWNER, &ecc_srk(p256)))],
        0,
        create(T0, &sealed(), b"pw", b"data"),
    );
    k.mutated(
        "object/read-public/mutated",
        vec![c(primary(OWNER, &ecc_srk(p256)))],
        0,
        Cmd::new(cc::READ_PUBLIC).h(T0),
    );
    k.mutated(
        "object/unseal/mutated",
        vec![c(primary_data(OWNER, &sealed(), b"", b"x"))],
        0,
        Cmd::new(cc::UNSEAL).h(T0).pw(b""),
    );
    k.case(
        "object/read-public/absent",
        vec![
            read_public(T0),
            read_public(0x8100_0001),
            read_public(OWNER),
        ],
    );
    k.case(
        "object/read-public/sequence",
        vec![
            c(Cmd::new(cc::HASH_SEQUENCE_START).b(b"").u16(alg::SHA256)),
            read_public(T0),
        ],
    );
}
