//! Create/Load/Unseal, ObjectChangeAuth and LoadExternal.

use super::*;

/// Create and Load under an ECC storage primary (0x80000000).
pub(super) fn create_load(k: &mut Corpus) {
    let p256 = ecc_curve::NIST_P256;
    let srk = || c(primary(OWNER, &ecc_srk(p256)));
    // Valid children of each kind, loaded, read, used where that is deterministic.
    let kids: Vec<(&str, T, &[u8], &[u8])> = vec![
        ("ecdsa", ecdsa_key(), b"", b""),
        ("ecc-storage", ecc_srk(p256), b"", b""),
        (
            "rsa1024-sign",
            rsa(SIGNING, null(), sch(alg::RSASSA, alg::SHA256), 1024),
            b"",
            b"",
        ),
        ("sealed", sealed(), b"pw", b"the sealed data"),
        (
            "hmac-given",
            hmac_key().attrs(SIGNING & !a::SENSITIVE_DATA_ORIGIN),
            b"",
            b"key",
        ),
        (
            "aes-given",
            symc((SIGNING | a::DECRYPT) & !a::SENSITIVE_DATA_ORIGIN, cfb128()),
            b"",
            &[4; 16],
        ),
        ("aes-storage", symc(STORAGE, cfb128()), b"", b""),
        (
            "duplicable",
            ecdsa_key().attrs(SIGNING & !a::FIXED_TPM & !a::FIXED_PARENT),
            b"",
            b"",
        ),
        (
            "fixedparent-only",
            ecdsa_key().attrs(SIGNING & !a::FIXED_TPM),
            b"",
            b"",
        ),
        (
            "fixedtpm-only",
            ecdsa_key().attrs(SIGNING & !a::FIXED_PARENT),
            b"",
            b"",
        ),
        ("sha384-name", ecdsa_key().name_alg(alg::SHA384), b"", b""),
    ];
    for (name, t, auth, data) in &kids {
        k.case(
            format!("object/create/{name}"),
            vec![
                srk(),
                c(create(T0, t, auth, data)),
                load_from(T0, 2),
                read_public(T1),
                flush(T1),
            ],
        );
    }
    // Unseal with the right and a wrong password, then a non-sealed object.
    k.case(
        "object/unseal/passwords",
        vec![
            srk(),
            c(create(T0, &sealed(), b"pw", b"the sealed data")),
            load_from(T0, 2),
            c(Cmd::new(cc::UNSEAL).h(T1).pw(b"pw")),
            c(Cmd::new(cc::UNSEAL).h(T1).pw(b"wrong")),
            c(Cmd::new(cc::UNSEAL).h(T1).pw(b"")),
            c(Cmd::new(cc::UNSEAL).h(T0).pw(b"")),
        ],
    );
    k.case(
        "object/unseal/primary-sealed",
        vec![
            c(primary_data(OWNER, &sealed(), b"", b"primary data")),
            c(Cmd::new(cc::UNSEAL).h(T0).pw(b"")),
        ],
    );
    k.case(
        "object/unseal/hmac-key",
        vec![
            c(primary(OWNER, &hmac_key())),
            c(Cmd::new(cc::UNSEAL).h(T0).pw(b"")),
        ],
    );
    k.one(
        "object/unseal/no-object",
        Cmd::new(cc::UNSEAL).h(T0).pw(b""),
    );
    // Damaged blobs.
    let damaged: Vec<(&str, Vec<Part>)> = vec![
        ("private-hmac", vec![flip(field(2, 0), 6), field(2, 1)]),
        (
            "private-ciphertext",
            vec![flip(field(2, 0), -3), field(2, 1)],
        ),
        ("private-size-byte", vec![flip(field(2, 0), 2), field(2, 1)]),
        ("public-unique", vec![field(2, 0), flip(field(2, 1), -3)]),
        ("public-attributes", vec![field(2, 0), flip(field(2, 1), 9)]),
        ("public-name-alg", vec![field(2, 0), flip(field(2, 1), 5)]),
        ("private-empty", vec![Part::Raw(vec![0, 0]), field(2, 1)]),
        ("private-short", vec![Part::Raw(b2(&[1; 20])), field(2, 1)]),
        ("public-empty", vec![field(2, 0), Part::Raw(vec![0, 0])]),
    ];
    for (name, parts) in damaged {
        k.case(
            format!("object/load/{name}"),
            vec![
                srk(),
                c(create(T0, &ecdsa_key(), b"", b"")),
                reff(cc::LOAD, &[T0], &[b""], parts),
            ],
        );
    }
    // Another public area with the private of the first child.
    k.case(
        "object/load/other-public",
        vec![
            srk(),
            c(create(T0, &ecdsa_key(), b"", b"")),
            c(create(T0, &ecdsa_key(), b"", b"")),
            reff(cc::LOAD, &[T0], &[b""], vec![field(2, 0), field(3, 1)]),
        ],
    );
    // A different parent (another key from the same hierarchy).
    k.case(
        "object/load/wrong-parent",
        vec![
            srk(),
            c(create(T0, &ecdsa_key(), b"", b"")),
            c(primary(
                OWNER,
                &ecc_srk(p256).unique([b2(b"x"), b2(b"y")].concat()),
            )),
            load_from(T1, 2),
        ],
    );
    // Parents that are not storage keys.
    for (name, t) in [
        ("signing", ecdsa_key()),
        ("ecdh", ecdh_key()),
        ("sealed", sealed()),
        ("aes", symc(SIGNING | a::DECRYPT, cfb128())),
        ("ek", ek_ecc()),
    ] {
        let data: &[u8] = if name == "sealed" { b"x" } else { b"" };
        k.case(
            format!("object/create/parent-{name}"),
            vec![
                c(primary_data(OWNER, &t, b"", data)),
                c(create(T0, &ecdsa_key(), b"", b"")),
            ],
        );
    }
    k.case(
        "object/load/parent-signing",
        vec![
            srk(),
            c(create(T0, &ecdsa_key(), b"", b"")),
            c(primary(OWNER, &ecdsa_key())),
            load_from(T1, 2),
        ],
    );
    k.one(
        "object/create/parent-absent",
        create(T0, &ecdsa_key(), b"", b""),
    );
    k.one(
        "object/create/parent-hierarchy",
        create(OWNER, &ecdsa_key(), b"", b""),
    );
    // fixedTPM/fixedParent rules under an object parent, and under a duplicable parent.
    k.case(
        "object/create/under-duplicable",
        vec![
            srk(),
            c(create(
                T0,
                &ecc_srk(p256).attrs(STORAGE & !a::FIXED_TPM & !a::FIXED_PARENT),
                b"",
                b"",
            )),
            load_from(T0, 2),
            c(create(T1, &ecdsa_key(), b"", b"")),
            c(create(
                T1,
                &ecdsa_key().attrs(SIGNING & !a::FIXED_TPM),
                b"",
                b"",
            )),
            c(create(
                T1,
                &ecdsa_key().attrs(SIGNING & !a::FIXED_TPM & !a::FIXED_PARENT),
                b"",
                b"",
            )),
        ],
    );
    // Template rules through Create (parameter numbers are the same as CreatePrimary's).
    for (name, t) in [
        ("reserved-bit", ecdsa_key().attrs(SIGNING | 1 << 3)),
        (
            "restricted-sign-decrypt",
            ecc_srk(p256).attrs(STORAGE | a::SIGN_ENCRYPT),
        ),
        ("storage-no-sym", ecc_t(STORAGE, null(), null(), p256)),
        (
            "curve-p192",
            ecc_t(SIGNING, null(), null(), ecc_curve::NIST_P192),
        ),
        ("rsa-4096", rsa(SIGNING, null(), null(), 4096)),
        ("policy-20", ecdsa_key().policy(&[1; 20])),
        ("namealg-null", ecdsa_key().name_alg(alg::NULL)),
        ("storage-sha1-name", ecc_srk(p256).name_alg(alg::SHA1)),
        ("storage-sha384-name", ecc_srk(p256).name_alg(alg::SHA384)),
        ("storage-sha512-name", ecc_srk(p256).name_alg(alg::SHA512)),
        ("sign-sha1-name", ecdsa_key().name_alg(alg::SHA1)),
        (
            "sealed-sha1-name",
            sealed().attrs(SEALED).name_alg(alg::SHA1),
        ),
    ] {
        k.case(
            format!("object/create/{name}"),
            vec![srk(), c(create(T0, &t, b"", b""))],
        );
    }
    // Load a child twice (two handles), and a fourth object (no slot).
    k.case(
        "object/load/twice-and-full",
        vec![
            srk(),
            c(create(T0, &sealed(), b"", b"d")),
            load_from(T0, 2),
            load_from(T0, 2),
            load_from(T0, 2),
            read_public(T2),
        ],
    );
    // RSA storage parent: children of an RSA-2048 SRK.
    k.case(
        "object/create/under-rsa-srk",
        vec![
            c(primary(OWNER, &rsa_srk(2048))),
            c(create(T0, &sealed(), b"", b"rsa parent")),
            load_from(T0, 2),
            c(Cmd::new(cc::UNSEAL).h(T1).pw(b"")),
        ],
    );
    // A symmetric storage parent.
    k.case(
        "object/create/under-aes-parent",
        vec![
            c(primary(OWNER, &symc(STORAGE, cfb128()))),
            c(create(T0, &sealed(), b"", b"aes parent")),
            load_from(T0, 2),
            c(Cmd::new(cc::UNSEAL).h(T1).pw(b"")),
        ],
    );
    // Name and creation data of the same child, through ReadPublic after Load.
    k.case(
        "object/create/creation-data",
        vec![
            srk(),
            c(Cmd::new(cc::CREATE)
                .h(T0)
                .pw(b"")
                .raw(&sens(b"", b"x"))
                .raw(&sealed().bytes())
                .b(b"outside")
                .u32(1)
                .u16(alg::SHA256)
                .u8(3)
                .raw(&[1, 0, 0])),
        ],
    );
}

/// ObjectChangeAuth, then Load of the new private.
pub(super) fn change_auth(k: &mut Corpus) {
    let p256 = ecc_curve::NIST_P256;
    let srk = || c(primary(OWNER, &ecc_srk(p256)));
    let oca = |h: u32, p: u32, pw: &[u8], new: &[u8]| {
        c(Cmd::new(cc::OBJECT_CHANGE_AUTH).h(h).h(p).pw(pw).b(new))
    };
    k.case(
        "object/change-auth/round-trip",
        vec![
            srk(),
            c(create(T0, &sealed(), b"old", b"secret")),
            load_from(T0, 2),
            oca(T1, T0, b"old", b"new"),
            c(Cmd::new(cc::UNSEAL).h(T1).pw(b"old")),
            flush(T1),
            reff(cc::LOAD, &[T0], &[b""], vec![field(4, 0), field(2, 1)]),
            c(Cmd::new(cc::UNSEAL).h(T1).pw(b"new")),
            c(Cmd::new(cc::UNSEAL).h(T1).pw(b"old")),
        ],
    );
    let setup = || {
        vec![
            srk(),
            c(create(T0, &sealed(), b"old", b"secret")),
            load_from(T0, 2),
        ]
    };
    for (name, step) in [
        ("wrong-password", oca(T1, T0, b"bad", b"new")),
        ("new-auth-32", oca(T1, T0, b"old", &[1; 32])),
        ("new-auth-33", oca(T1, T0, b"old", &[1; 33])),
        (
            "new-auth-trailing-zeros",
            oca(T1, T0, b"old", &[[1u8; 32].as_slice(), &[0; 2]].concat()),
        ),
        ("parent-is-self", oca(T1, T1, b"old", b"new")),
        ("parent-hierarchy", oca(T1, OWNER, b"old", b"new")),
        ("parent-absent", oca(T1, T2, b"old", b"new")),
        ("primary", oca(T0, OWNER, b"", b"new")),
        ("primary-null-parent", oca(T0, NULL, b"", b"new")),
    ] {
        let mut s = setup();
        s.push(step);
        k.case(format!("object/change-auth/{name}"), s);
    }
    let mut s = setup();
    s.push(c(primary(
        OWNER,
        &ecc_srk(p256).unique([b2(b"o"), b2(b"")].concat()),
    )));
    s.push(oca(T1, T2, b"old", b"new"));
    k.case("object/change-auth/other-parent", s);
    k.mutated(
        "object/change-auth/mutated",
        setup(),
        0,
        Cmd::new(cc::OBJECT_CHANGE_AUTH)
            .h(T1)
            .h(T0)
            .pw(b"old")
            .b(b"new"),
    );
}

pub(super) fn load_external(k: &mut Corpus) {
    let (x, y) = p256_point(7);
    let point = [b2(&x), b2(&y)].concat();
    let pubkey = |attrs: u32, scheme: Vec<u8>| {
        ecc_t(attrs, null(), scheme, ecc_curve::NIST_P256).unique(point.clone())
    };
    let ecdsa_pub = pubkey(EXT | a::SIGN_ENCRYPT, sch(alg::ECDSA, alg::SHA256));
    for (hname, h) in HIERARCHIES {
        k.case(
            format!("object/load-external/public/{hname}"),
            vec![
                c(load_external_cmd(&[0, 0], &ecdsa_pub.bytes(), h)),
                read_public(T0),
            ],
        );
    }
    let cases: Vec<(&str, Vec<u8>, Vec<u8>, u32)> = vec![
        (
            "public-fixedtpm",
            vec![0, 0],
            pubkey(SIGNING, sch(alg::ECDSA, alg::SHA256)).bytes(),
            OWNER,
        ),
        (
            "public-name-alg-null",
            vec![0, 0],
            ecdsa_pub.clone().name_alg(alg::NULL).bytes(),
            NULL,
        ),
        (
            "public-bad-point",
            vec![0, 0],
            ecdsa_pub
                .clone()
                .unique([b2(&[1]), b2(&[1])].concat())
                .bytes(),
            NULL,
        ),
        (
            "public-empty-point",
            vec![0, 0],
            ecdsa_pub
                .clone()
                .unique([b2(&[]), b2(&[])].concat())
                .bytes(),
            NULL,
        ),
        (
            "public-restricted-decrypt",
            vec![0, 0],
            ecc_t(
                EXT | a::RESTRICTED | a::DECRYPT,
                cfb128(),
                null(),
                ecc_curve::NIST_P256,
            )
            .unique(point.clone())
            .bytes(),
            OWNER,
        ),
        (
            "public-rsa-no-modulus",
            vec![0, 0],
            rsa(EXT | a::SIGN_ENCRYPT, null(), null(), 2048).bytes(),
            NULL,
        ),
        (
            "public-rsa-short-modulus",
            vec![0, 0],
            rsa(EXT | a::SIGN_ENCRYPT, null(), null(), 2048)
                .unique(b2(&[0xC3; 128]))
                .bytes(),
            NULL,
        ),
        (
            "public-rsa-modulus",
            vec![0, 0],
            rsa(EXT | a::SIGN_ENCRYPT, null(), null(), 1024)
                .unique(b2(&[0xC3; 128]))
                .bytes(),
            NULL,
        ),
        ("hierarchy-bad", vec![0, 0], ecdsa_pub.bytes(), 0x4000_0003),
        (
            "hierarchy-lockout",
            vec![0, 0],
            ecdsa_pub.bytes(),
            rh::LOCKOUT,
        ),
        (
            "ecc-private",
            sensitive_area(alg::ECC, b"", b"", &[7; 32]),
            ecdsa_pub.bytes(),
            NULL,
        ),
        (
            "ecc-private-owner",
            sensitive_area(alg::ECC, b"", b"", &[7; 32]),
            ecdsa_pub.bytes(),
            OWNER,
        ),
        (
            "ecc-private-wrong",
            sensitive_area(alg::ECC, b"", b"", &[8; 32]),
            ecdsa_pub.bytes(),
            NULL,
        ),
        (
            "ecc-private-type-mismatch",
            sensitive_area(alg::RSA, b"", b"", &[7; 32]),
            ecdsa_pub.bytes(),
            NULL,
        ),
        (
            "ecc-private-fixedtpm",
            sensitive_area(alg::ECC, b"", b"", &[7; 32]),
            pubkey(SIGNING, sch(alg::ECDSA, alg::SHA256)).bytes(),
            NULL,
        ),
        (
            "ecc-private-fixedparent",
            sensitive_area(alg::ECC, b"", b"", &[7; 32]),
            pubkey(
                EXT | a::FIXED_PARENT | a::SIGN_ENCRYPT,
                sch(alg::ECDSA, alg::SHA256),
            )
            .bytes(),
            NULL,
        ),
        (
            "ecc-private-name-alg-null",
            sensitive_area(alg::ECC, b"", b"", &[7; 32]),
            ecdsa_pub.clone().name_alg(alg::NULL).bytes(),
            NULL,
        ),
        (
            "ecc-private-auth-33",
            sensitive_area(alg::ECC, &[1; 33], b"", &[7; 32]),
            ecdsa_pub.bytes(),
            NULL,
        ),
        (
            "sensitive-trailing",
            b2(&[&sensitive_area(alg::ECC, b"", b"", &[7; 32])[2..], &[0]].concat()),
            ecdsa_pub.bytes(),
            NULL,
        ),
        (
            "sensitive-type-0x99",
            sensitive_area(0x99, b"", b"", &[7; 32]),
            ecdsa_pub.bytes(),
            NULL,
        ),
        {
            let (s, p) = ext_aes(&[9; 16], EXT | a::SIGN_ENCRYPT | a::DECRYPT, alg::CFB);
            ("aes", s, p, NULL)
        },
        {
            let (s, _) = ext_aes(&[9; 16], EXT | a::SIGN_ENCRYPT | a::DECRYPT, alg::CFB);
            let (_, p) = ext_aes(&[8; 16], EXT | a::SIGN_ENCRYPT | a::DECRYPT, alg::CFB);
            ("aes-wrong-unique", s, p, NULL)
        },
        {
            let (s, _) = ext_aes(&[9; 32], EXT | a::SIGN_ENCRYPT | a::DECRYPT, alg::CFB);
            let (_, p) = ext_aes(&[9; 16], EXT | a::SIGN_ENCRYPT | a::DECRYPT, alg::CFB);
            ("aes-key-size", s, p, NULL)
        },
        {
            let (s, p) = ext_hmac(
                b"external hmac key",
                EXT | a::SIGN_ENCRYPT,
                sch(alg::HMAC, alg::SHA256),
            );
            ("hmac", s, p, NULL)
        },
        {
            let (s, p) = ext_hmac(b"sealed", EXT, null());
            ("sealed", s, p, NULL)
        },
    ];
    for (name, s, p, h) in cases {
        k.case(
            format!("object/load-external/{name}"),
            vec![c(load_external_cmd(&s, &p, h)), read_public(T0)],
        );
    }
    k.case(
        "object/load-external/sealed-unseal",
        vec![
            {
                let (s, p) = ext_hmac(b"sealed", EXT, null());
                c(load_external_cmd(&s, &p, NULL))
            },
            c(Cmd::new(cc::UNSEAL).h(T0).pw(b"")),
        ],
    );
    k.mutated(
        "object/load-external/mutated",
        vec![],
        0,
        load_external_cmd(&[0, 0], &ecdsa_pub.bytes(), OWNER),
    );
}
