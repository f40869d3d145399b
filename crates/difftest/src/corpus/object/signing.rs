//! Sign and VerifySignature.

use super::*;

/// Sign and VerifySignature.
pub(super) fn signing(k: &mut Corpus) {
    let p256 = ecc_curve::NIST_P256;
    let d32 = [0x5a; 32];
    let ecdsa = || c(primary(OWNER, &ecdsa_key()));
    let anysig = || c(primary(OWNER, &ecc_any_sign()));
    let cases: Vec<(&str, Step, Cmd)> = vec![
        ("ecdsa/null", ecdsa(), sign(T0, &d32, null())),
        (
            "ecdsa/same",
            ecdsa(),
            sign(T0, &d32, sch(alg::ECDSA, alg::SHA256)),
        ),
        (
            "ecdsa/other-hash",
            ecdsa(),
            sign(T0, &[1; 48], sch(alg::ECDSA, alg::SHA384)),
        ),
        (
            "ecdsa/ecschnorr",
            ecdsa(),
            sign(T0, &d32, sch(alg::ECSCHNORR, alg::SHA256)),
        ),
        (
            "ecdsa/rsassa",
            ecdsa(),
            sign(T0, &d32, sch(alg::RSASSA, alg::SHA256)),
        ),
        (
            "ecdsa/hmac",
            ecdsa(),
            sign(T0, &d32, sch(alg::HMAC, alg::SHA256)),
        ),
        (
            "ecdsa/scheme-0x99",
            ecdsa(),
            sign(T0, &d32, sch(0x99, alg::SHA256)),
        ),
        (
            "ecdsa/scheme-ecdh",
            ecdsa(),
            sign(T0, &d32, sch(alg::ECDH, alg::SHA256)),
        ),
        (
            "ecdsa/hash-null",
            ecdsa(),
            sign(T0, &d32, sch(alg::ECDSA, alg::NULL)),
        ),
        ("ecdsa/digest-20", ecdsa(), sign(T0, &[1; 20], null())),
        ("ecdsa/digest-31", ecdsa(), sign(T0, &[1; 31], null())),
        ("ecdsa/digest-33", ecdsa(), sign(T0, &[1; 33], null())),
        ("ecdsa/digest-64", ecdsa(), sign(T0, &[1; 64], null())),
        ("ecdsa/digest-0", ecdsa(), sign(T0, &[], null())),
        ("ecdsa/digest-65", ecdsa(), sign(T0, &[1; 65], null())),
        ("any/null", anysig(), sign(T0, &d32, null())),
        (
            "any/ecdsa-sha256",
            anysig(),
            sign(T0, &d32, sch(alg::ECDSA, alg::SHA256)),
        ),
        (
            "any/ecdsa-sha1",
            anysig(),
            sign(T0, &[1; 20], sch(alg::ECDSA, alg::SHA1)),
        ),
        (
            "any/ecdsa-sha384",
            anysig(),
            sign(T0, &[1; 48], sch(alg::ECDSA, alg::SHA384)),
        ),
        (
            "any/ecdsa-sha512",
            anysig(),
            sign(T0, &[1; 64], sch(alg::ECDSA, alg::SHA512)),
        ),
        (
            "any/ecdsa-sha384-digest-32",
            anysig(),
            sign(T0, &d32, sch(alg::ECDSA, alg::SHA384)),
        ),
        (
            "any/ecschnorr",
            anysig(),
            sign(T0, &d32, sch(alg::ECSCHNORR, alg::SHA256)),
        ),
        (
            "any/rsapss",
            anysig(),
            sign(T0, &d32, sch(alg::RSAPSS, alg::SHA256)),
        ),
        (
            "restricted/null-ticket",
            c(primary(
                OWNER,
                &ecc_t(
                    SIGNING | a::RESTRICTED,
                    null(),
                    sch(alg::ECDSA, alg::SHA256),
                    p256,
                ),
            )),
            sign(T0, &d32, null()),
        ),
        (
            "restricted/bogus-ticket",
            c(primary(
                OWNER,
                &ecc_t(
                    SIGNING | a::RESTRICTED,
                    null(),
                    sch(alg::ECDSA, alg::SHA256),
                    p256,
                ),
            )),
            Cmd::new(cc::SIGN)
                .h(T0)
                .pw(b"")
                .b(&d32)
                .raw(&null())
                .u16(st::HASHCHECK)
                .u32(OWNER)
                .b(&[0; 32]),
        ),
        (
            "ticket-tag-creation",
            ecdsa(),
            Cmd::new(cc::SIGN)
                .h(T0)
                .pw(b"")
                .b(&d32)
                .raw(&null())
                .u16(st::CREATION)
                .u32(NULL)
                .b(&[]),
        ),
        (
            "ticket-hierarchy-bad",
            ecdsa(),
            Cmd::new(cc::SIGN)
                .h(T0)
                .pw(b"")
                .b(&d32)
                .raw(&null())
                .u16(st::HASHCHECK)
                .u32(0x4000_0003)
                .b(&[]),
        ),
        (
            "key/decrypt",
            c(primary(OWNER, &ecdh_key())),
            sign(T0, &d32, sch(alg::ECDSA, alg::SHA256)),
        ),
        (
            "key/x509sign",
            c(primary(OWNER, &ecdsa_key().attrs(SIGNING | a::X509_SIGN))),
            sign(T0, &d32, null()),
        ),
        (
            "key/storage",
            c(primary(OWNER, &ecc_srk(p256))),
            sign(T0, &d32, null()),
        ),
        (
            "key/sealed",
            c(primary_data(OWNER, &sealed(), b"", b"x")),
            sign(T0, &d32, null()),
        ),
        (
            "key/aes",
            c(primary(OWNER, &symc(SIGNING | a::DECRYPT, cfb128()))),
            sign(T0, &d32, null()),
        ),
        (
            "key/public-only",
            {
                let (x, y) = p256_point(7);
                let t = ecc_t(
                    EXT | a::SIGN_ENCRYPT,
                    null(),
                    sch(alg::ECDSA, alg::SHA256),
                    p256,
                )
                .unique([b2(&x), b2(&y)].concat());
                c(load_external_cmd(&[0, 0], &t.bytes(), NULL))
            },
            sign(T0, &d32, null()),
        ),
        (
            "hmac/null",
            c(primary_data(
                OWNER,
                &hmac_key().attrs(SIGNING & !a::SENSITIVE_DATA_ORIGIN),
                b"",
                b"k",
            )),
            sign(T0, &d32, null()),
        ),
        (
            "hmac/sha1",
            c(primary_data(
                OWNER,
                &hmac_key().attrs(SIGNING & !a::SENSITIVE_DATA_ORIGIN),
                b"",
                b"k",
            )),
            sign(T0, &[1; 20], sch(alg::HMAC, alg::SHA1)),
        ),
        (
            "hmac/any-sha384",
            c(primary_data(
                OWNER,
                &keyed(SIGNING & !a::SENSITIVE_DATA_ORIGIN, null()),
                b"",
                b"k",
            )),
            sign(T0, &[1; 48], sch(alg::HMAC, alg::SHA384)),
        ),
        (
            "hmac/any-null",
            c(primary_data(
                OWNER,
                &keyed(SIGNING & !a::SENSITIVE_DATA_ORIGIN, null()),
                b"",
                b"k",
            )),
            sign(T0, &d32, null()),
        ),
        (
            "rsa/rsassa-null",
            c(primary(
                OWNER,
                &rsa(SIGNING, null(), sch(alg::RSASSA, alg::SHA256), 1024),
            )),
            sign(T0, &d32, null()),
        ),
        (
            "rsa/rsassa-rsapss",
            c(primary(
                OWNER,
                &rsa(SIGNING, null(), sch(alg::RSASSA, alg::SHA256), 1024),
            )),
            sign(T0, &d32, sch(alg::RSAPSS, alg::SHA256)),
        ),
        (
            "rsa/any-rsapss-sha512",
            c(primary(OWNER, &rsa(SIGNING, null(), null(), 1024))),
            sign(T0, &[1; 64], sch(alg::RSAPSS, alg::SHA512)),
        ),
        (
            "rsa/any-ecdsa",
            c(primary(OWNER, &rsa(SIGNING, null(), null(), 1024))),
            sign(T0, &d32, sch(alg::ECDSA, alg::SHA256)),
        ),
        (
            "rsa/any-null",
            c(primary(OWNER, &rsa(SIGNING, null(), null(), 1024))),
            sign(T0, &d32, null()),
        ),
    ];
    for (name, setup, cmd) in cases {
        k.case(format!("object/sign/{name}"), vec![setup, c(cmd)]);
    }
    k.mutated(
        "object/sign/mutated",
        vec![ecdsa()],
        0,
        sign(T0, &d32, null()),
    );
    // VerifySignature of each TPM's own signature, intact and damaged.
    let verify = |digest: &[u8], sig: Part| {
        reff(
            cc::VERIFY_SIGNATURE,
            &[T0],
            &[],
            vec![Part::Raw(b2(digest)), sig],
        )
    };
    let all = |s| Part::All { step: s };
    let keys: Vec<(&str, Step, Cmd)> = vec![
        ("ecdsa", ecdsa(), sign(T0, &d32, null())),
        (
            "ecschnorr",
            anysig(),
            sign(T0, &d32, sch(alg::ECSCHNORR, alg::SHA256)),
        ),
        (
            "rsassa",
            c(primary(OWNER, &rsa(SIGNING, null(), null(), 1024))),
            sign(T0, &d32, sch(alg::RSASSA, alg::SHA256)),
        ),
        (
            "rsapss",
            c(primary(OWNER, &rsa(SIGNING, null(), null(), 1024))),
            sign(T0, &d32, sch(alg::RSAPSS, alg::SHA256)),
        ),
        (
            "hmac",
            c(primary_data(
                OWNER,
                &hmac_key().attrs(SIGNING & !a::SENSITIVE_DATA_ORIGIN),
                b"",
                b"k",
            )),
            sign(T0, &d32, null()),
        ),
    ];
    for (name, setup, s) in keys {
        k.case(
            format!("object/verify/{name}"),
            vec![
                setup.clone(),
                c(s.clone()),
                verify(&d32, all(2)),
                verify(&[0x5b; 32], all(2)),
                verify(&d32, flip(all(2), -1)),
                verify(&d32, flip(all(2), 7)),
                verify(&[0x5a; 20], all(2)),
            ],
        );
        // The signature alg changed (a scheme the key does not have).
        k.case(
            format!("object/verify/{name}/scheme-changed"),
            vec![setup, c(s), verify(&d32, flip(all(2), 1))],
        );
    }
    // Verification in the NULL hierarchy (a NULL ticket) and with a public-only key.
    k.case(
        "object/verify/null-hierarchy",
        vec![
            c(primary(NULL, &ecdsa_key())),
            c(sign(T0, &d32, null())),
            verify(&d32, all(2)),
        ],
    );
    let sig_null = |h: u32, s: Vec<u8>| Cmd::new(cc::VERIFY_SIGNATURE).h(h).b(&d32).raw(&s);
    k.case(
        "object/verify/sig-null",
        vec![ecdsa(), c(sig_null(T0, null()))],
    );
    k.case(
        "object/verify/sig-0x99",
        vec![
            ecdsa(),
            c(sig_null(T0, u16s(&[0x99, alg::SHA256, 0, 0, 0, 0]))),
        ],
    );
    k.case(
        "object/verify/ecdsa-empty",
        vec![
            ecdsa(),
            c(sig_null(T0, u16s(&[alg::ECDSA, alg::SHA256, 0, 0]))),
        ],
    );
    k.case(
        "object/verify/rsassa-on-ecc",
        vec![
            ecdsa(),
            c(sig_null(
                T0,
                [u16s(&[alg::RSASSA, alg::SHA256]), b2(&[1; 128])].concat(),
            )),
        ],
    );
    k.case(
        "object/verify/hmac-short",
        vec![
            c(primary_data(
                OWNER,
                &hmac_key().attrs(SIGNING & !a::SENSITIVE_DATA_ORIGIN),
                b"",
                b"k",
            )),
            c(sig_null(
                T0,
                [u16s(&[alg::HMAC, alg::SHA256]), vec![0; 20]].concat(),
            )),
        ],
    );
    k.case(
        "object/verify/decrypt-key",
        vec![
            c(primary(OWNER, &ecdh_key())),
            c(sig_null(
                T0,
                [u16s(&[alg::ECDSA, alg::SHA256]), b2(&[1; 32]), b2(&[1; 32])].concat(),
            )),
        ],
    );
    k.case(
        "object/verify/storage-key",
        vec![
            c(primary(OWNER, &ecc_srk(p256))),
            c(sig_null(
                T0,
                [u16s(&[alg::ECDSA, alg::SHA256]), b2(&[1; 32]), b2(&[1; 32])].concat(),
            )),
        ],
    );
    k.one(
        "object/verify/no-key",
        sig_null(
            T0,
            [u16s(&[alg::ECDSA, alg::SHA256]), b2(&[1; 32]), b2(&[1; 32])].concat(),
        ),
    );
    k.mutated(
        "object/verify/mutated",
        vec![ecdsa()],
        0,
        sig_null(
            T0,
            [u16s(&[alg::ECDSA, alg::SHA256]), b2(&[1; 32]), b2(&[1; 32])].concat(),
        ),
    );
}
