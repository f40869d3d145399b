//! EncryptDecrypt(2), HMAC, TestParms and ECC_Parameters.

use super::*;

fn ed(h: u32, decrypt: u8, mode: u16, iv: &[u8], data: &[u8]) -> Cmd {
    Cmd::new(cc::ENCRYPT_DECRYPT)
        .h(h)
        .pw(b"")
        .u8(decrypt)
        .u16(mode)
        .b(iv)
        .b(data)
}

fn ed2(h: u32, decrypt: u8, mode: u16, iv: &[u8], data: &[u8]) -> Cmd {
    Cmd::new(cc::ENCRYPT_DECRYPT2)
        .h(h)
        .pw(b"")
        .b(data)
        .u8(decrypt)
        .u16(mode)
        .b(iv)
}

/// name, setup, decrypt, mode, ivIn, inData.
type SymCase = (&'static str, Step, u8, u16, Vec<u8>, Vec<u8>);

/// EncryptDecrypt and EncryptDecrypt2 with keys of caller-chosen bits (exact output).
pub(super) fn symmetric(k: &mut Corpus) {
    let given = (SIGNING | a::DECRYPT) & !a::SENSITIVE_DATA_ORIGIN;
    let key = |mode: u16, attrs: u32, bits: u16| {
        c(primary_data(
            OWNER,
            &symc(attrs, aes(bits, mode)),
            b"",
            &vec![0x2b; bits as usize / 8],
        ))
    };
    let iv = [0x11u8; 16];
    let d32 = [0x77u8; 32];
    let cases: Vec<SymCase> = vec![
        (
            "cfb/encrypt",
            key(alg::CFB, given, 128),
            0,
            alg::NULL,
            iv.to_vec(),
            d32.to_vec(),
        ),
        (
            "cfb/decrypt",
            key(alg::CFB, given, 128),
            1,
            alg::NULL,
            iv.to_vec(),
            d32.to_vec(),
        ),
        (
            "cfb/same-mode",
            key(alg::CFB, given, 128),
            0,
            alg::CFB,
            iv.to_vec(),
            d32.to_vec(),
        ),
        (
            "cfb/other-mode",
            key(alg::CFB, given, 128),
            0,
            alg::CBC,
            iv.to_vec(),
            d32.to_vec(),
        ),
        (
            "cfb/odd-length",
            key(alg::CFB, given, 128),
            0,
            alg::NULL,
            iv.to_vec(),
            vec![1; 17],
        ),
        (
            "cfb/empty",
            key(alg::CFB, given, 128),
            0,
            alg::NULL,
            iv.to_vec(),
            vec![],
        ),
        (
            "cfb/iv-15",
            key(alg::CFB, given, 128),
            0,
            alg::NULL,
            vec![1; 15],
            d32.to_vec(),
        ),
        (
            "cfb/iv-0",
            key(alg::CFB, given, 128),
            0,
            alg::NULL,
            vec![],
            d32.to_vec(),
        ),
        (
            "cfb/iv-17",
            key(alg::CFB, given, 128),
            0,
            alg::NULL,
            vec![1; 17],
            d32.to_vec(),
        ),
        (
            "cfb/mode-0x99",
            key(alg::CFB, given, 128),
            0,
            0x99,
            iv.to_vec(),
            d32.to_vec(),
        ),
        (
            "cfb/decrypt-2",
            key(alg::CFB, given, 128),
            2,
            alg::NULL,
            iv.to_vec(),
            d32.to_vec(),
        ),
        (
            "aes256/cfb",
            key(alg::CFB, given, 256),
            0,
            alg::NULL,
            iv.to_vec(),
            d32.to_vec(),
        ),
        (
            "null/null",
            key(alg::NULL, given, 128),
            0,
            alg::NULL,
            iv.to_vec(),
            d32.to_vec(),
        ),
        (
            "null/cbc",
            key(alg::NULL, given, 128),
            0,
            alg::CBC,
            iv.to_vec(),
            d32.to_vec(),
        ),
        (
            "null/cbc-decrypt",
            key(alg::NULL, given, 128),
            1,
            alg::CBC,
            iv.to_vec(),
            d32.to_vec(),
        ),
        (
            "null/cbc-15",
            key(alg::NULL, given, 128),
            0,
            alg::CBC,
            iv.to_vec(),
            vec![1; 15],
        ),
        (
            "null/ecb",
            key(alg::NULL, given, 128),
            0,
            alg::ECB,
            vec![],
            d32.to_vec(),
        ),
        (
            "null/ecb-iv",
            key(alg::NULL, given, 128),
            0,
            alg::ECB,
            iv.to_vec(),
            d32.to_vec(),
        ),
        (
            "null/ecb-17",
            key(alg::NULL, given, 128),
            0,
            alg::ECB,
            vec![],
            vec![1; 17],
        ),
        (
            "null/ctr",
            key(alg::NULL, given, 128),
            0,
            alg::CTR,
            iv.to_vec(),
            vec![1; 37],
        ),
        (
            "null/ofb",
            key(alg::NULL, given, 128),
            1,
            alg::OFB,
            iv.to_vec(),
            vec![1; 37],
        ),
        (
            "null/cfb",
            key(alg::NULL, given, 128),
            1,
            alg::CFB,
            iv.to_vec(),
            vec![1; 37],
        ),
        (
            "null/ctr-iv-8",
            key(alg::NULL, given, 128),
            0,
            alg::CTR,
            vec![1; 8],
            vec![1; 37],
        ),
        (
            "encrypt-only/decrypt",
            key(alg::CFB, given & !a::DECRYPT, 128),
            1,
            alg::NULL,
            iv.to_vec(),
            d32.to_vec(),
        ),
        (
            "encrypt-only/encrypt",
            key(alg::CFB, given & !a::DECRYPT, 128),
            0,
            alg::NULL,
            iv.to_vec(),
            d32.to_vec(),
        ),
        (
            "decrypt-only/encrypt",
            key(alg::CFB, given & !a::SIGN_ENCRYPT, 128),
            0,
            alg::NULL,
            iv.to_vec(),
            d32.to_vec(),
        ),
        (
            "decrypt-only/decrypt",
            key(alg::CFB, given & !a::SIGN_ENCRYPT, 128),
            1,
            alg::NULL,
            iv.to_vec(),
            d32.to_vec(),
        ),
        (
            "storage/encrypt",
            c(primary(OWNER, &symc(STORAGE, cfb128()))),
            0,
            alg::NULL,
            iv.to_vec(),
            d32.to_vec(),
        ),
        (
            "not-symmetric",
            c(primary(OWNER, &ecdsa_key())),
            0,
            alg::NULL,
            iv.to_vec(),
            d32.to_vec(),
        ),
        (
            "hmac-key",
            c(primary(OWNER, &hmac_key())),
            0,
            alg::NULL,
            iv.to_vec(),
            d32.to_vec(),
        ),
    ];
    for (name, setup, dec, mode, iv, data) in cases {
        k.case(
            format!("object/encrypt-decrypt/{name}"),
            vec![setup.clone(), c(ed(T0, dec, mode, &iv, &data))],
        );
        k.case(
            format!("object/encrypt-decrypt2/{name}"),
            vec![setup, c(ed2(T0, dec, mode, &iv, &data))],
        );
    }
    // Encrypt, then decrypt the output with the IV out, through Ref.
    k.case(
        "object/encrypt-decrypt/chained-iv",
        vec![
            key(alg::CBC, given, 128),
            c(ed(T0, 0, alg::NULL, &iv, &d32)),
            reff(
                cc::ENCRYPT_DECRYPT,
                &[T0],
                &[b""],
                vec![
                    Part::Raw(vec![0]),
                    Part::Raw(u16s(&[alg::NULL])),
                    field(2, 1),
                    Part::Raw(b2(&d32)),
                ],
            ),
        ],
    );
    k.mutated(
        "object/encrypt-decrypt/mutated",
        vec![key(alg::CFB, given, 128)],
        0,
        ed(T0, 0, alg::NULL, &iv, &d32),
    );
    k.mutated(
        "object/encrypt-decrypt2/mutated",
        vec![key(alg::CFB, given, 128)],
        0,
        ed2(T0, 0, alg::NULL, &iv, &d32),
    );
}

fn hmac_cmd(h: u32, data: &[u8], hash: u16) -> Cmd {
    Cmd::new(cc::HMAC).h(h).pw(b"").b(data).u16(hash)
}

/// TPM2_HMAC with keys of caller-chosen bits.
pub(super) fn hmac(k: &mut Corpus) {
    let given = SIGNING & !a::SENSITIVE_DATA_ORIGIN;
    let key = |s: Vec<u8>| c(primary_data(OWNER, &keyed(given, s), b"", b"an hmac key"));
    let cases: Vec<(&str, Step, u16, Vec<u8>)> = vec![
        (
            "sha256/null",
            key(sch(alg::HMAC, alg::SHA256)),
            alg::NULL,
            b"data".to_vec(),
        ),
        (
            "sha256/same",
            key(sch(alg::HMAC, alg::SHA256)),
            alg::SHA256,
            b"data".to_vec(),
        ),
        (
            "sha256/sha1",
            key(sch(alg::HMAC, alg::SHA256)),
            alg::SHA1,
            b"data".to_vec(),
        ),
        (
            "sha256/hash-0x99",
            key(sch(alg::HMAC, alg::SHA256)),
            0x99,
            b"data".to_vec(),
        ),
        (
            "sha256/empty",
            key(sch(alg::HMAC, alg::SHA256)),
            alg::NULL,
            vec![],
        ),
        (
            "sha256/1024",
            key(sch(alg::HMAC, alg::SHA256)),
            alg::NULL,
            vec![3; 1024],
        ),
        (
            "sha256/1025",
            key(sch(alg::HMAC, alg::SHA256)),
            alg::NULL,
            vec![3; 1025],
        ),
        ("any/sha384", key(null()), alg::SHA384, b"data".to_vec()),
        ("any/sha512", key(null()), alg::SHA512, b"data".to_vec()),
        ("any/sha1", key(null()), alg::SHA1, b"data".to_vec()),
        ("any/null", key(null()), alg::NULL, b"data".to_vec()),
        (
            "sha512-key/null",
            key(sch(alg::HMAC, alg::SHA512)),
            alg::NULL,
            b"data".to_vec(),
        ),
        (
            "sealed",
            c(primary_data(OWNER, &sealed(), b"", b"x")),
            alg::SHA256,
            b"data".to_vec(),
        ),
        (
            "aes-key",
            c(primary(OWNER, &symc(SIGNING | a::DECRYPT, cfb128()))),
            alg::SHA256,
            b"data".to_vec(),
        ),
        (
            "ecc-key",
            c(primary(OWNER, &ecdsa_key())),
            alg::SHA256,
            b"data".to_vec(),
        ),
        (
            "restricted",
            c(primary(
                OWNER,
                &keyed(SIGNING | a::RESTRICTED, sch(alg::HMAC, alg::SHA256)),
            )),
            alg::NULL,
            b"data".to_vec(),
        ),
    ];
    for (name, setup, hash, data) in cases {
        k.case(
            format!("object/hmac/{name}"),
            vec![setup, c(hmac_cmd(T0, &data, hash))],
        );
    }
    k.mutated(
        "object/hmac/mutated",
        vec![key(sch(alg::HMAC, alg::SHA256))],
        0,
        hmac_cmd(T0, b"data", alg::NULL),
    );
}

/// TestParms of supported and unsupported parameter sets.
pub(super) fn test_parms(k: &mut Corpus) {
    let p256 = ecc_curve::NIST_P256;
    let mut v: Vec<(&str, Vec<u8>)> = Vec::new();
    let mut rsa_p = |name: &'static str, sym: Vec<u8>, s: Vec<u8>, bits: u16, e: u32| {
        v.push((
            name,
            [u16s(&[alg::RSA]), rsa_parms(sym, s, bits, e)].concat(),
        ));
    };
    rsa_p("rsa-1024", null(), null(), 1024, 0);
    rsa_p("rsa-2048", null(), null(), 2048, 0);
    rsa_p("rsa-3072", null(), null(), 3072, 0);
    rsa_p("rsa-4096", null(), null(), 4096, 0);
    rsa_p("rsa-512", null(), null(), 512, 0);
    rsa_p("rsa-2047", null(), null(), 2047, 0);
    rsa_p("rsa-exp-3", null(), null(), 2048, 3);
    rsa_p("rsa-exp-2", null(), null(), 2048, 2);
    rsa_p("rsa-storage", cfb128(), null(), 2048, 0);
    rsa_p("rsa-sym-192", aes(192, alg::CFB), null(), 2048, 0);
    rsa_p("rsa-sym-mode-null", aes(128, alg::NULL), null(), 2048, 0);
    rsa_p("rsa-rsassa", null(), sch(alg::RSASSA, alg::SHA256), 2048, 0);
    rsa_p(
        "rsa-oaep-sha512",
        null(),
        sch(alg::OAEP, alg::SHA512),
        2048,
        0,
    );
    rsa_p("rsa-rsaes", null(), u16s(&[alg::RSAES]), 2048, 0);
    rsa_p("rsa-ecdsa", null(), sch(alg::ECDSA, alg::SHA256), 2048, 0);
    rsa_p("rsa-hash-0x99", null(), sch(alg::RSAPSS, 0x99), 2048, 0);
    let mut ecc_p = |name: &'static str, sym: Vec<u8>, s: Vec<u8>, curve: u16, kdf: Vec<u8>| {
        v.push((
            name,
            [u16s(&[alg::ECC]), ecc_parms(sym, s, curve, kdf)].concat(),
        ));
    };
    for (name, curve) in [
        ("ecc-p192", ecc_curve::NIST_P192),
        ("ecc-p224", ecc_curve::NIST_P224),
        ("ecc-p256", p256),
        ("ecc-p384", ecc_curve::NIST_P384),
        ("ecc-p521", ecc_curve::NIST_P521),
        ("ecc-bn256", ecc_curve::BN_P256),
        ("ecc-bn638", ecc_curve::BN_P638),
        ("ecc-sm2", ecc_curve::SM2_P256),
        ("ecc-curve-0x99", 0x99),
    ] {
        ecc_p(name, null(), null(), curve, null());
    }
    ecc_p(
        "ecc-ecdsa",
        null(),
        sch(alg::ECDSA, alg::SHA384),
        p256,
        null(),
    );
    ecc_p(
        "ecc-ecdaa",
        null(),
        u16s(&[alg::ECDAA, alg::SHA256, 1]),
        p256,
        null(),
    );
    ecc_p(
        "ecc-sm2-scheme",
        null(),
        sch(alg::SM2, alg::SM3_256),
        p256,
        null(),
    );
    ecc_p(
        "ecc-ecmqv",
        null(),
        sch(alg::ECMQV, alg::SHA256),
        p256,
        null(),
    );
    ecc_p(
        "ecc-ecschnorr",
        null(),
        sch(alg::ECSCHNORR, alg::SHA256),
        p256,
        null(),
    );
    ecc_p(
        "ecc-rsassa",
        null(),
        sch(alg::RSASSA, alg::SHA256),
        p256,
        null(),
    );
    ecc_p(
        "ecc-kdf-sp800-108",
        null(),
        null(),
        p256,
        sch(alg::KDF1_SP800_108, alg::SHA256),
    );
    ecc_p(
        "ecc-kdf-kdf2",
        null(),
        null(),
        p256,
        sch(alg::KDF2, alg::SHA256),
    );
    ecc_p(
        "ecc-kdf-mgf1",
        null(),
        null(),
        p256,
        sch(alg::MGF1, alg::SHA256),
    );
    ecc_p("ecc-storage", cfb128(), null(), p256, null());
    ecc_p(
        "ecc-sym-tdes",
        u16s(&[alg::TDES, 128, alg::CFB]),
        null(),
        p256,
        null(),
    );
    let mut other = |name: &'static str, b: Vec<u8>| v.push((name, b));
    other("keyed-null", u16s(&[alg::KEYEDHASH, alg::NULL]));
    other(
        "keyed-hmac-sha256",
        u16s(&[alg::KEYEDHASH, alg::HMAC, alg::SHA256]),
    );
    other(
        "keyed-hmac-sha3",
        u16s(&[alg::KEYEDHASH, alg::HMAC, alg::SHA3_256]),
    );
    other(
        "keyed-xor",
        u16s(&[alg::KEYEDHASH, alg::XOR, alg::SHA256, alg::KDF1_SP800_108]),
    );
    other(
        "keyed-xor-mgf1",
        u16s(&[alg::KEYEDHASH, alg::XOR, alg::SHA256, alg::MGF1]),
    );
    other("keyed-0x99", u16s(&[alg::KEYEDHASH, 0x99, alg::SHA256]));
    other(
        "symc-aes-128-cfb",
        u16s(&[alg::SYMCIPHER, alg::AES, 128, alg::CFB]),
    );
    other(
        "symc-aes-192-cfb",
        u16s(&[alg::SYMCIPHER, alg::AES, 192, alg::CFB]),
    );
    other(
        "symc-aes-256-ctr",
        u16s(&[alg::SYMCIPHER, alg::AES, 256, alg::CTR]),
    );
    other(
        "symc-aes-128-null",
        u16s(&[alg::SYMCIPHER, alg::AES, 128, alg::NULL]),
    );
    other(
        "symc-aes-64",
        u16s(&[alg::SYMCIPHER, alg::AES, 64, alg::CFB]),
    );
    other("symc-null", u16s(&[alg::SYMCIPHER, alg::NULL]));
    other(
        "symc-camellia",
        u16s(&[alg::SYMCIPHER, alg::CAMELLIA, 128, alg::CFB]),
    );
    other(
        "symc-tdes",
        u16s(&[alg::SYMCIPHER, alg::TDES, 128, alg::CFB]),
    );
    other("symc-sm4", u16s(&[alg::SYMCIPHER, alg::SM4, 128, alg::CFB]));
    other(
        "symc-mode-0x99",
        u16s(&[alg::SYMCIPHER, alg::AES, 128, 0x99]),
    );
    other("type-null", u16s(&[alg::NULL]));
    other("type-0x99", u16s(&[0x99, 0]));
    other("type-aes", u16s(&[alg::AES, 128, alg::CFB]));
    other(
        "rsa-trailing",
        [
            u16s(&[alg::RSA]),
            rsa_parms(null(), null(), 2048, 0),
            vec![0],
        ]
        .concat(),
    );
    other(
        "rsa-short",
        [
            u16s(&[alg::RSA]),
            rsa_parms(null(), null(), 2048, 0)[..7].to_vec(),
        ]
        .concat(),
    );
    for (name, b) in v {
        k.one(
            format!("object/test-parms/{name}"),
            Cmd::new(cc::TEST_PARMS).raw(&b),
        );
    }
    k.mutated(
        "object/test-parms/mutated",
        vec![],
        0,
        Cmd::new(cc::TEST_PARMS)
            .raw(&[u16s(&[alg::ECC]), ecc_parms(null(), null(), p256, null())].concat()),
    );
}

pub(super) fn ecc_parameters(k: &mut Corpus) {
    for (name, curve) in [
        ("p192", ecc_curve::NIST_P192),
        ("p224", ecc_curve::NIST_P224),
        ("p256", ecc_curve::NIST_P256),
        ("p384", ecc_curve::NIST_P384),
        ("p521", ecc_curve::NIST_P521),
        ("bn256", ecc_curve::BN_P256),
        ("bn638", ecc_curve::BN_P638),
        ("sm2", ecc_curve::SM2_P256),
        ("none", 0),
        ("0x99", 0x99),
    ] {
        k.one(
            format!("object/ecc-parameters/{name}"),
            Cmd::new(cc::ECC_PARAMETERS).u16(curve),
        );
    }
    k.mutated(
        "object/ecc-parameters/mutated",
        vec![],
        0,
        Cmd::new(cc::ECC_PARAMETERS).u16(ecc_curve::NIST_P256),
    );
}
