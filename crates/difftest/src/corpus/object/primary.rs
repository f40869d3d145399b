//! Primaries in every hierarchy, template validation and the sensitive-data rules.

use super::*;

/// The common templates in each hierarchy, then ReadPublic and FlushContext.
pub(super) fn primaries(k: &mut Corpus) {
    let all: Vec<(&str, T, &[u8])> = vec![
        ("ecc256-srk", ecc_srk(ecc_curve::NIST_P256), b""),
        ("ek-ecc", ek_ecc(), b""),
        ("ecdsa", ecdsa_key(), b""),
        ("sealed", sealed(), b"sealed secret"),
        ("hmac", hmac_key(), b""),
        ("aes128-cfb", symc(SIGNING | a::DECRYPT, cfb128()), b""),
    ];
    let owner_only: Vec<(&str, T, &[u8])> = vec![
        ("rsa2048-srk", rsa_srk(2048), b""),
        ("ek-rsa", ek_rsa(), b""),
        ("ecc384-srk", ecc_srk(ecc_curve::NIST_P384), b""),
        ("ecc521-srk", ecc_srk(ecc_curve::NIST_P521), b""),
        (
            "rsassa",
            rsa(SIGNING, null(), sch(alg::RSASSA, alg::SHA256), 2048),
            b"",
        ),
        (
            "rsapss-1024",
            rsa(SIGNING, null(), sch(alg::RSAPSS, alg::SHA256), 1024),
            b"",
        ),
        (
            "rsa-oaep-1024",
            rsa(DECRYPTING, null(), sch(alg::OAEP, alg::SHA256), 1024),
            b"",
        ),
        (
            "rsa-rsaes-1024",
            rsa(DECRYPTING, null(), u16s(&[alg::RSAES]), 1024),
            b"",
        ),
        ("rsa3072-sign", rsa(SIGNING, null(), null(), 3072), b""),
        (
            "ecschnorr",
            ecc_t(
                SIGNING,
                null(),
                sch(alg::ECSCHNORR, alg::SHA256),
                ecc_curve::NIST_P256,
            ),
            b"",
        ),
        (
            "ecdsa-p384-sha384",
            ecc_t(
                SIGNING,
                null(),
                sch(alg::ECDSA, alg::SHA384),
                ecc_curve::NIST_P384,
            ),
            b"",
        ),
        (
            "ecdh",
            ecc_t(
                DECRYPTING,
                null(),
                sch(alg::ECDH, alg::SHA256),
                ecc_curve::NIST_P256,
            ),
            b"",
        ),
        ("ecc-null-scheme", ecc_any_sign(), b""),
        (
            "ecc-sign-decrypt",
            ecc_t(SIGNING | a::DECRYPT, null(), null(), ecc_curve::NIST_P256),
            b"",
        ),
        (
            "aes256-cfb",
            symc(SIGNING | a::DECRYPT, aes(256, alg::CFB)),
            b"",
        ),
        (
            "aes128-null-mode",
            symc(SIGNING | a::DECRYPT, aes(128, alg::NULL)),
            b"",
        ),
        ("aes128-storage", symc(STORAGE, cfb128()), b""),
        (
            "hmac-sha384",
            keyed(SIGNING, sch(alg::HMAC, alg::SHA384)),
            b"",
        ),
        ("hmac-null-scheme", keyed(SIGNING, null()), b""),
        ("sealed-empty", sealed(), b""),
        ("sealed-128", sealed(), &[7; 128]),
        ("sealed-sha1", sealed().name_alg(alg::SHA1), b"x"),
        ("sealed-sha512", sealed().name_alg(alg::SHA512), b"x"),
        (
            "ecc-sha384-name",
            ecc_srk(ecc_curve::NIST_P256).name_alg(alg::SHA384),
            b"",
        ),
        (
            "ecc-policy-32",
            ecc_srk(ecc_curve::NIST_P256).policy(&[9; 32]),
            b"",
        ),
        (
            "ecc-stclear",
            ecc_srk(ecc_curve::NIST_P256).attrs(STORAGE | a::ST_CLEAR),
            b"",
        ),
        (
            "ecc-noda",
            ecc_srk(ecc_curve::NIST_P256).attrs(STORAGE | a::NO_DA),
            b"",
        ),
        (
            "ecc-unique",
            ecc_srk(ecc_curve::NIST_P256).unique([b2(b"abc"), b2(b"def")].concat()),
            b"",
        ),
        (
            "rsa1024-unique-short",
            rsa_srk(1024).unique(b2(&[1; 16])),
            b"",
        ),
    ];
    for (hname, h) in HIERARCHIES {
        let list = if h == OWNER {
            all.iter().chain(owner_only.iter()).collect::<Vec<_>>()
        } else {
            all.iter().collect()
        };
        for (name, t, data) in list {
            let cp = if data.is_empty() {
                primary(h, t)
            } else {
                primary_data(h, t, b"", data)
            };
            k.case(
                format!("object/primary/{hname}/{name}"),
                vec![c(cp), read_public(T0), flush(T0), read_public(T0)],
            );
        }
    }
    // The same template twice gives the same key: the Names agree within each TPM.
    k.case(
        "object/primary/twice",
        vec![
            c(primary(OWNER, &ecc_srk(ecc_curve::NIST_P256))),
            c(primary(OWNER, &ecc_srk(ecc_curve::NIST_P256))),
            read_public(T1),
        ],
    );
    // A primary with an authValue, used with the right and a wrong password.
    k.case(
        "object/primary/auth",
        vec![
            c(primary_data(
                OWNER,
                &ecc_srk(ecc_curve::NIST_P256),
                b"pw",
                b"",
            )),
            c(create(T0, &sealed(), b"", b"x").raw(&[])),
            c(Cmd::new(cc::CREATE)
                .h(T0)
                .pw(b"pw")
                .raw(&sens(b"", b"x"))
                .raw(&sealed().bytes())
                .b(&[])
                .u32(0)),
        ],
    );
    // Hierarchy authorization.
    k.case(
        "object/primary/wrong-hierarchy-password",
        vec![c(create_primary_raw(
            OWNER,
            &sens(&[], &[]),
            &ecc_srk(ecc_curve::NIST_P256).bytes(),
        )
        .pw(b"x"))],
    );
    k.one(
        "object/primary/bad-hierarchy-handle",
        primary(0x4000_0003, &ecc_srk(ecc_curve::NIST_P256)),
    );
    k.one(
        "object/primary/lockout-handle",
        primary(rh::LOCKOUT, &ecc_srk(ecc_curve::NIST_P256)),
    );
    // Disabled hierarchies.
    k.case(
        "object/primary/owner-disabled",
        vec![
            c(Cmd::new(cc::HIERARCHY_CONTROL)
                .h(PLATFORM)
                .pw(b"")
                .u32(OWNER)
                .u8(0)),
            c(primary(OWNER, &ecc_srk(ecc_curve::NIST_P256))),
        ],
    );
    // Creation data: outsideInfo and a PCR selection.
    k.one(
        "object/primary/creation-pcrs",
        Cmd::new(cc::CREATE_PRIMARY)
            .h(OWNER)
            .pw(b"")
            .raw(&sens(&[], &[]))
            .raw(&ecc_srk(ecc_curve::NIST_P256).bytes())
            .b(b"outside info")
            .u32(2)
            .u16(alg::SHA256)
            .u8(3)
            .raw(&[0x03, 0, 0x80])
            .u16(alg::SHA1)
            .u8(3)
            .raw(&[0xff, 0, 0]),
    );
    k.one(
        "object/primary/creation-pcr-bad-hash",
        Cmd::new(cc::CREATE_PRIMARY)
            .h(OWNER)
            .pw(b"")
            .raw(&sens(&[], &[]))
            .raw(&ecc_srk(ecc_curve::NIST_P256).bytes())
            .b(&[])
            .u32(1)
            .u16(0x99)
            .u8(3)
            .raw(&[1, 0, 0]),
    );
    k.one(
        "object/primary/outside-info-65",
        Cmd::new(cc::CREATE_PRIMARY)
            .h(OWNER)
            .pw(b"")
            .raw(&sens(&[], &[]))
            .raw(&ecc_srk(ecc_curve::NIST_P256).bytes())
            .b(&[1; 65])
            .u32(0),
    );
}

/// Template validation: each case one CreatePrimary (owner) of a broken template.
pub(super) fn templates(k: &mut Corpus) {
    let p256 = ecc_curve::NIST_P256;
    let es = ecc_srk(p256);
    let mut v: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut t = |name: &'static str, t: T| v.push((name, t.bytes()));
    // Selectors of the public area.
    t(
        "type-0x99",
        T {
            ty: 0x99,
            ..es.clone()
        },
    );
    t(
        "type-null",
        T {
            ty: alg::NULL,
            ..es.clone()
        },
    );
    t(
        "type-aes",
        T {
            ty: alg::AES,
            ..es.clone()
        },
    );
    t("namealg-null", es.clone().name_alg(alg::NULL));
    t("namealg-0x99", es.clone().name_alg(0x99));
    t("namealg-sm3", es.clone().name_alg(alg::SM3_256));
    t("namealg-sha1", es.clone().name_alg(alg::SHA1));
    t("namealg-sha512", es.clone().name_alg(alg::SHA512));
    for (name, bit) in [
        ("reserved-0", 1u32),
        ("reserved-3", 1 << 3),
        ("reserved-8", 1 << 8),
        ("reserved-9", 1 << 9),
        ("reserved-12", 1 << 12),
        ("reserved-15", 1 << 15),
        ("reserved-20", 1 << 20),
        ("reserved-31", 1 << 31),
    ] {
        t(name, es.clone().attrs(STORAGE | bit));
    }
    // authPolicy sizes.
    t("policy-20", es.clone().policy(&[1; 20]));
    t("policy-31", es.clone().policy(&[1; 31]));
    t("policy-33", es.clone().policy(&[1; 33]));
    t("policy-64", es.clone().policy(&[1; 64]));
    t("policy-65", es.clone().policy(&[1; 65]));
    t(
        "policy-sha1-20",
        es.clone().name_alg(alg::SHA1).policy(&[1; 20]),
    );
    t(
        "policy-sha1-32",
        es.clone().name_alg(alg::SHA1).policy(&[1; 32]),
    );
    // Symmetric definitions.
    let ecc_sym = |s: Vec<u8>| ecc_t(STORAGE, s, null(), p256);
    t("sym-0x99", ecc_sym(u16s(&[0x99, 128, alg::CFB])));
    t("sym-tdes", ecc_sym(u16s(&[alg::TDES, 128, alg::CFB])));
    t(
        "sym-camellia",
        ecc_sym(u16s(&[alg::CAMELLIA, 128, alg::CFB])),
    );
    t("sym-sm4", ecc_sym(u16s(&[alg::SM4, 128, alg::CFB])));
    t("sym-xor", ecc_sym(u16s(&[alg::XOR, alg::SHA256])));
    t("sym-aes-192", ecc_sym(aes(192, alg::CFB)));
    t("sym-aes-256", ecc_sym(aes(256, alg::CFB)));
    t("sym-aes-100", ecc_sym(aes(100, alg::CFB)));
    t("sym-aes-0", ecc_sym(aes(0, alg::CFB)));
    t("sym-mode-0x99", ecc_sym(aes(128, 0x99)));
    t("sym-mode-null", ecc_sym(aes(128, alg::NULL)));
    t("sym-mode-cbc", ecc_sym(aes(128, alg::CBC)));
    t("sym-mode-ctr", ecc_sym(aes(128, alg::CTR)));
    t("sym-mode-ecb", ecc_sym(aes(128, alg::ECB)));
    t("sym-null-storage", ecc_sym(null()));
    t(
        "sym-on-signing-key",
        ecc_t(SIGNING, cfb128(), sch(alg::ECDSA, alg::SHA256), p256),
    );
    t(
        "sym-on-decrypt-key",
        ecc_t(DECRYPTING, cfb128(), null(), p256),
    );
    t(
        "rsa-sym-mode-null",
        rsa(STORAGE, aes(128, alg::NULL), null(), 2048),
    );
    t("rsa-sym-null", rsa(STORAGE, null(), null(), 2048));
    // Schemes of RSA keys.
    let rs = |s: Vec<u8>, attrs: u32| rsa(attrs, null(), s, 2048);
    t("rsa-scheme-0x99", rs(u16s(&[0x99, alg::SHA256]), SIGNING));
    t(
        "rsa-scheme-ecdsa",
        rs(sch(alg::ECDSA, alg::SHA256), SIGNING),
    );
    t("rsa-scheme-hmac", rs(sch(alg::HMAC, alg::SHA256), SIGNING));
    t("rsa-scheme-hash-0x99", rs(sch(alg::RSASSA, 0x99), SIGNING));
    t(
        "rsa-scheme-hash-null",
        rs(sch(alg::RSASSA, alg::NULL), SIGNING),
    );
    t(
        "rsa-oaep-hash-null",
        rs(sch(alg::OAEP, alg::NULL), DECRYPTING),
    );
    t(
        "rsa-rsassa-on-decrypt",
        rs(sch(alg::RSASSA, alg::SHA256), DECRYPTING),
    );
    t("rsa-oaep-on-sign", rs(sch(alg::OAEP, alg::SHA256), SIGNING));
    t("rsa-rsaes-on-sign", rs(u16s(&[alg::RSAES]), SIGNING));
    t(
        "rsa-rsassa-sign-decrypt",
        rs(sch(alg::RSASSA, alg::SHA256), SIGNING | a::DECRYPT),
    );
    t(
        "rsa-scheme-storage",
        rsa(STORAGE, cfb128(), sch(alg::OAEP, alg::SHA256), 2048),
    );
    t(
        "rsa-restricted-sign-null",
        rs(null(), SIGNING | a::RESTRICTED),
    );
    // Schemes of ECC keys.
    let ec = |s: Vec<u8>, attrs: u32| ecc_t(attrs, null(), s, p256);
    t("ecc-scheme-0x99", ec(sch(0x99, alg::SHA256), SIGNING));
    t(
        "ecc-scheme-rsassa",
        ec(sch(alg::RSASSA, alg::SHA256), SIGNING),
    );
    t(
        "ecc-scheme-ecdaa",
        ec(u16s(&[alg::ECDAA, alg::SHA256, 0]), SIGNING),
    );
    t("ecc-scheme-sm2", ec(sch(alg::SM2, alg::SM3_256), SIGNING));
    t(
        "ecc-scheme-ecmqv",
        ec(sch(alg::ECMQV, alg::SHA256), DECRYPTING),
    );
    t("ecc-scheme-hmac", ec(sch(alg::HMAC, alg::SHA256), SIGNING));
    t("ecc-scheme-hash-0x99", ec(sch(alg::ECDSA, 0x99), SIGNING));
    t(
        "ecc-ecdsa-on-decrypt",
        ec(sch(alg::ECDSA, alg::SHA256), DECRYPTING),
    );
    t("ecc-ecdh-on-sign", ec(sch(alg::ECDH, alg::SHA256), SIGNING));
    t(
        "ecc-scheme-storage",
        ecc_t(STORAGE, cfb128(), sch(alg::ECDH, alg::SHA256), p256),
    );
    t(
        "ecc-restricted-sign-null",
        ec(null(), SIGNING | a::RESTRICTED),
    );
    t(
        "ecc-restricted-sign-ecdsa",
        ec(sch(alg::ECDSA, alg::SHA256), SIGNING | a::RESTRICTED),
    );
    // Curves and KDFs.
    for (name, curve) in [
        ("curve-0", 0u16),
        ("curve-0x99", 0x99),
        ("curve-p192", ecc_curve::NIST_P192),
        ("curve-p224", ecc_curve::NIST_P224),
        ("curve-bn256", ecc_curve::BN_P256),
        ("curve-bn638", ecc_curve::BN_P638),
        ("curve-sm2", ecc_curve::SM2_P256),
    ] {
        t(
            name,
            ecc_t(SIGNING, null(), sch(alg::ECDSA, alg::SHA256), curve),
        );
    }
    let kdf = |k: Vec<u8>| T {
        parms: ecc_parms(null(), sch(alg::ECDSA, alg::SHA256), p256, k),
        ..ecdsa_key()
    };
    t("kdf-sp800-108", kdf(sch(alg::KDF1_SP800_108, alg::SHA256)));
    t("kdf-sp800-56a", kdf(sch(alg::KDF1_SP800_56A, alg::SHA256)));
    t("kdf-mgf1", kdf(sch(alg::MGF1, alg::SHA256)));
    t("kdf-kdf2", kdf(sch(alg::KDF2, alg::SHA256)));
    t("kdf-0x99", kdf(sch(0x99, alg::SHA256)));
    // RSA key sizes and exponents (1024-bit keys where a key is generated).
    for (name, bits) in [
        ("rsa-bits-0", 0u16),
        ("rsa-bits-512", 512),
        ("rsa-bits-1000", 1000),
        ("rsa-bits-1024", 1024),
        ("rsa-bits-1536", 1536),
        ("rsa-bits-4096", 4096),
        ("rsa-bits-8192", 8192),
    ] {
        t(name, rsa(SIGNING, null(), null(), bits));
    }
    for (name, e) in [
        ("rsa-exp-1", 1u32),
        ("rsa-exp-2", 2),
        ("rsa-exp-3", 3),
        ("rsa-exp-17", 17),
        ("rsa-exp-65536", 65536),
        ("rsa-exp-65537", 65537),
        ("rsa-exp-65539", 65539),
        ("rsa-exp-ffffffff", 0xFFFF_FFFF),
    ] {
        t(name, rsa_e(SIGNING, 1024, e));
    }
    // fixedTPM / fixedParent of a primary.
    t(
        "fixedtpm-only",
        es.clone().attrs(STORAGE & !a::FIXED_PARENT),
    );
    t(
        "fixedparent-only",
        es.clone().attrs(STORAGE & !a::FIXED_TPM),
    );
    t(
        "neither-fixed",
        es.clone().attrs(STORAGE & !a::FIXED_TPM & !a::FIXED_PARENT),
    );
    t(
        "encrypted-duplication-fixed",
        es.clone().attrs(STORAGE | a::ENCRYPTED_DUPLICATION),
    );
    // sign / decrypt / restricted combinations.
    t(
        "rsa-restricted-sign-decrypt",
        rsa(STORAGE | a::SIGN_ENCRYPT, cfb128(), null(), 2048),
    );
    t(
        "ecc-restricted-sign-decrypt",
        es.clone().attrs(STORAGE | a::SIGN_ENCRYPT),
    );
    t("ecc-no-sign-no-decrypt", ec(null(), BASE));
    t("rsa-no-sign-no-decrypt", rs(null(), BASE));
    t("ecc-restricted-only", ec(null(), BASE | a::RESTRICTED));
    t(
        "x509sign",
        ec(sch(alg::ECDSA, alg::SHA256), SIGNING | a::X509_SIGN),
    );
    t(
        "x509sign-restricted",
        ec(
            sch(alg::ECDSA, alg::SHA256),
            SIGNING | a::X509_SIGN | a::RESTRICTED,
        ),
    );
    t("x509sign-decrypt", ec(null(), DECRYPTING | a::X509_SIGN));
    // KEYEDHASH objects.
    t("keyed-scheme-0x99", keyed(SIGNING, sch(0x99, alg::SHA256)));
    t(
        "keyed-hmac-hash-null",
        keyed(SIGNING, sch(alg::HMAC, alg::NULL)),
    );
    t("keyed-hmac-hash-0x99", keyed(SIGNING, sch(alg::HMAC, 0x99)));
    t(
        "keyed-xor-sign",
        keyed(SIGNING, u16s(&[alg::XOR, alg::SHA256, alg::KDF1_SP800_108])),
    );
    t(
        "keyed-xor-kdf-0x99",
        keyed(SIGNING, u16s(&[alg::XOR, alg::SHA256, 0x99])),
    );
    t(
        "keyed-derivation-parent",
        keyed(STORAGE, u16s(&[alg::XOR, alg::SHA256, alg::KDF1_SP800_108])),
    );
    t("keyed-decrypt", keyed(DECRYPTING, null()));
    t(
        "keyed-restricted-hmac",
        keyed(SIGNING | a::RESTRICTED, sch(alg::HMAC, alg::SHA256)),
    );
    t(
        "keyed-restricted-null",
        keyed(SIGNING | a::RESTRICTED, null()),
    );
    t(
        "keyed-sign-decrypt",
        keyed(SIGNING | a::DECRYPT, sch(alg::HMAC, alg::SHA256)),
    );
    t(
        "sealed-hmac-scheme",
        keyed(
            SEALED | a::SENSITIVE_DATA_ORIGIN,
            sch(alg::HMAC, alg::SHA256),
        ),
    );
    t("sealed-restricted", keyed(SEALED | a::RESTRICTED, null()));
    // SYMCIPHER objects.
    t("symc-null", symc(SIGNING | a::DECRYPT, null()));
    t("symc-neither", symc(BASE, cfb128()));
    t(
        "symc-restricted-sign",
        symc(STORAGE | a::SIGN_ENCRYPT, cfb128()),
    );
    t("symc-restricted-cbc", symc(STORAGE, aes(128, alg::CBC)));
    t(
        "symc-restricted-null-mode",
        symc(STORAGE, aes(128, alg::NULL)),
    );
    t(
        "symc-aes-192",
        symc(SIGNING | a::DECRYPT, aes(192, alg::CFB)),
    );
    t("symc-encrypt-only", symc(SIGNING, aes(128, alg::CTR)));
    t("symc-decrypt-only", symc(DECRYPTING, aes(128, alg::OFB)));
    // Size fields of the public area.
    let mut trailing = es.body();
    trailing.push(0);
    v.push(("public-trailing-byte", b2(&trailing)));
    let body = es.body();
    v.push(("public-short-by-one", b2(&body[..body.len() - 1])));
    v.push(("public-size-0", vec![0, 0]));
    // The unique field: sizes the TPM ignores or refuses.
    v.push((
        "ecc-unique-too-big",
        es.clone().unique([b2(&[1; 67]), b2(&[])].concat()).bytes(),
    ));
    v.push((
        "rsa-unique-513",
        rsa_srk(2048).unique(b2(&[1; 513])).bytes(),
    ));
    v.push((
        "sym-unique-65",
        symc(SIGNING | a::DECRYPT, cfb128())
            .unique(b2(&[1; 65]))
            .bytes(),
    ));
    for (name, public) in v {
        k.one(
            format!("object/template/{name}"),
            create_primary_raw(OWNER, &sens(&[], &[]), &public),
        );
    }
}

/// A full-size authValue followed by zeros (trimmed before the size check).
const AUTH_TRAILING_ZEROS: [u8; 36] = {
    let mut v = [0u8; 36];
    let mut i = 0;
    while i < 32 {
        v[i] = 1;
        i += 1;
    }
    v
};

/// The sensitive data rules of Create and CreatePrimary.
pub(super) fn sensitive(k: &mut Corpus) {
    let p256 = ecc_curve::NIST_P256;
    let cases: Vec<(&str, T, &[u8], &[u8])> = vec![
        (
            "sealed-origin-set-data",
            sealed().attrs(SEALED | a::SENSITIVE_DATA_ORIGIN),
            b"",
            b"x",
        ),
        (
            "sealed-origin-set-empty",
            sealed().attrs(SEALED | a::SENSITIVE_DATA_ORIGIN),
            b"",
            b"",
        ),
        ("sealed-origin-clear-empty", sealed(), b"", b""),
        ("sealed-129", sealed(), b"", &[1; 129]),
        ("ecc-with-data", ecdsa_key(), b"", b"data"),
        (
            "ecc-origin-clear-no-data",
            ecdsa_key().attrs(SIGNING & !a::SENSITIVE_DATA_ORIGIN),
            b"",
            b"",
        ),
        (
            "ecc-origin-clear-data",
            ecdsa_key().attrs(SIGNING & !a::SENSITIVE_DATA_ORIGIN),
            b"",
            b"d",
        ),
        (
            "rsa-with-data",
            rsa(SIGNING, null(), null(), 1024),
            b"",
            b"data",
        ),
        (
            "aes-origin-clear-16",
            symc((SIGNING | a::DECRYPT) & !a::SENSITIVE_DATA_ORIGIN, cfb128()),
            b"",
            &[3; 16],
        ),
        (
            "aes-origin-clear-15",
            symc((SIGNING | a::DECRYPT) & !a::SENSITIVE_DATA_ORIGIN, cfb128()),
            b"",
            &[3; 15],
        ),
        (
            "aes-origin-clear-32",
            symc((SIGNING | a::DECRYPT) & !a::SENSITIVE_DATA_ORIGIN, cfb128()),
            b"",
            &[3; 32],
        ),
        (
            "aes-origin-clear-empty",
            symc((SIGNING | a::DECRYPT) & !a::SENSITIVE_DATA_ORIGIN, cfb128()),
            b"",
            b"",
        ),
        (
            "aes-origin-set-16",
            symc(SIGNING | a::DECRYPT, cfb128()),
            b"",
            &[3; 16],
        ),
        (
            "aes256-origin-clear-16",
            symc(
                (SIGNING | a::DECRYPT) & !a::SENSITIVE_DATA_ORIGIN,
                aes(256, alg::CFB),
            ),
            b"",
            &[3; 16],
        ),
        (
            "hmac-origin-clear-data",
            hmac_key().attrs(SIGNING & !a::SENSITIVE_DATA_ORIGIN),
            b"",
            b"hmac key",
        ),
        (
            "hmac-origin-clear-128",
            hmac_key().attrs(SIGNING & !a::SENSITIVE_DATA_ORIGIN),
            b"",
            &[5; 128],
        ),
        ("hmac-origin-set-data", hmac_key(), b"", b"hmac key"),
        (
            "hmac-origin-clear-32",
            hmac_key().attrs(SIGNING & !a::SENSITIVE_DATA_ORIGIN),
            b"",
            &[5; 32],
        ),
        (
            "hmac-origin-clear-33",
            hmac_key().attrs(SIGNING & !a::SENSITIVE_DATA_ORIGIN),
            b"",
            &[5; 33],
        ),
        (
            "hmac-origin-clear-64",
            hmac_key().attrs(SIGNING & !a::SENSITIVE_DATA_ORIGIN),
            b"",
            &[5; 64],
        ),
        (
            "hmac-origin-clear-65",
            hmac_key().attrs(SIGNING & !a::SENSITIVE_DATA_ORIGIN),
            b"",
            &[5; 65],
        ),
        (
            "hmac-origin-clear-empty",
            hmac_key().attrs(SIGNING & !a::SENSITIVE_DATA_ORIGIN),
            b"",
            b"",
        ),
        ("auth-32", ecc_srk(p256), &[1; 32], b""),
        ("auth-33", ecc_srk(p256), &[1; 33], b""),
        ("auth-64", ecc_srk(p256), &[1; 64], b""),
        (
            "auth-sha1-21",
            ecc_srk(p256).name_alg(alg::SHA1),
            &[1; 21],
            b"",
        ),
        (
            "auth-trailing-zeros",
            ecc_srk(p256),
            &AUTH_TRAILING_ZEROS,
            b"",
        ),
    ];
    for (name, t, auth, data) in &cases {
        k.one(
            format!("object/sensitive/primary/{name}"),
            primary_data(OWNER, t, auth, data),
        );
        k.case(
            format!("object/sensitive/create/{name}"),
            vec![
                c(primary(OWNER, &ecc_srk(p256))),
                c(create(T0, t, auth, data)),
            ],
        );
    }
    k.one(
        "object/sensitive/size-0",
        create_primary_raw(OWNER, &[0, 0], &ecc_srk(p256).bytes()),
    );
    k.one(
        "object/sensitive/trailing-byte",
        create_primary_raw(OWNER, &b2(&[0, 0, 0, 0, 0]), &ecc_srk(p256).bytes()),
    );
    k.one(
        "object/sensitive/short",
        create_primary_raw(OWNER, &b2(&[0, 0, 0]), &ecc_srk(p256).bytes()),
    );
}
