//! RSA_Encrypt/RSA_Decrypt and ECDH.

use super::*;

fn rsa_cmd(code: u32, h: u32, data: &[u8], scheme: Vec<u8>, label: &[u8]) -> Cmd {
    let c = Cmd::new(code).h(h);
    let c = if code == cc::RSA_DECRYPT {
        c.pw(b"")
    } else {
        c
    };
    c.b(data).raw(&scheme).b(label)
}

/// RSA_Encrypt and RSA_Decrypt with 1024-bit keys.
pub(super) fn rsa_crypt(k: &mut Corpus) {
    let any = || c(primary(OWNER, &rsa(DECRYPTING, null(), null(), 1024)));
    let oaep = || {
        c(primary(
            OWNER,
            &rsa(DECRYPTING, null(), sch(alg::OAEP, alg::SHA256), 1024),
        ))
    };
    let enc = |s: Vec<u8>, m: &[u8], l: &[u8]| c(rsa_cmd(cc::RSA_ENCRYPT, T0, m, s, l));
    let dec_ref = |s: Vec<u8>, l: &[u8]| {
        reff(
            cc::RSA_DECRYPT,
            &[T0],
            &[b""],
            vec![field(2, 0), Part::Raw(s), Part::Raw(b2(l))],
        )
    };
    let rsaes = || u16s(&[alg::RSAES]);
    // Round trips: the plaintext must come back identically. (Decrypting swtpm's random
    // OAEP output as PKCS#1 v1.5 would succeed about once in 256 runs, so no such step.)
    k.case(
        "object/rsa/raw-round-trip",
        vec![any(), enc(null(), &[0x42; 100], b""), dec_ref(null(), b"")],
    );
    k.case(
        "object/rsa/rsaes-round-trip",
        vec![any(), enc(rsaes(), b"message", b""), dec_ref(rsaes(), b"")],
    );
    k.case(
        "object/rsa/oaep-round-trip",
        vec![
            any(),
            enc(sch(alg::OAEP, alg::SHA256), b"message", b"label\0"),
            dec_ref(sch(alg::OAEP, alg::SHA256), b"label\0"),
            dec_ref(sch(alg::OAEP, alg::SHA256), b"other\0"),
            dec_ref(sch(alg::OAEP, alg::SHA256), b""),
            dec_ref(sch(alg::OAEP, alg::SHA1), b"label\0"),
        ],
    );
    k.case(
        "object/rsa/oaep-key-round-trip",
        vec![
            oaep(),
            enc(null(), b"message", b""),
            dec_ref(null(), b""),
            dec_ref(sch(alg::OAEP, alg::SHA256), b""),
            dec_ref(sch(alg::OAEP, alg::SHA1), b""),
            dec_ref(rsaes(), b""),
        ],
    );
    let cases: Vec<(&str, Step, Cmd)> = vec![
        (
            "encrypt/label-no-zero",
            any(),
            rsa_cmd(
                cc::RSA_ENCRYPT,
                T0,
                b"m",
                sch(alg::OAEP, alg::SHA256),
                b"label",
            ),
        ),
        (
            "encrypt/label-zero-only",
            any(),
            rsa_cmd(
                cc::RSA_ENCRYPT,
                T0,
                b"m",
                sch(alg::OAEP, alg::SHA256),
                b"\0",
            ),
        ),
        (
            "encrypt/label-inner-zero",
            any(),
            rsa_cmd(
                cc::RSA_ENCRYPT,
                T0,
                b"m",
                sch(alg::OAEP, alg::SHA256),
                b"a\0b\0",
            ),
        ),
        (
            "encrypt/label-rsaes",
            any(),
            rsa_cmd(cc::RSA_ENCRYPT, T0, b"m", rsaes(), b"label\0"),
        ),
        (
            "encrypt/label-65",
            any(),
            rsa_cmd(
                cc::RSA_ENCRYPT,
                T0,
                b"m",
                sch(alg::OAEP, alg::SHA256),
                &[[1u8; 64].as_slice(), &[0]].concat(),
            ),
        ),
        (
            "encrypt/scheme-rsassa",
            any(),
            rsa_cmd(
                cc::RSA_ENCRYPT,
                T0,
                b"m",
                sch(alg::RSASSA, alg::SHA256),
                b"",
            ),
        ),
        (
            "encrypt/scheme-0x99",
            any(),
            rsa_cmd(cc::RSA_ENCRYPT, T0, b"m", sch(0x99, alg::SHA256), b""),
        ),
        (
            "encrypt/oaep-hash-0x99",
            any(),
            rsa_cmd(cc::RSA_ENCRYPT, T0, b"m", sch(alg::OAEP, 0x99), b""),
        ),
        (
            "encrypt/oaep-hash-null",
            any(),
            rsa_cmd(cc::RSA_ENCRYPT, T0, b"m", sch(alg::OAEP, alg::NULL), b""),
        ),
        (
            "encrypt/oaep-too-long",
            any(),
            rsa_cmd(
                cc::RSA_ENCRYPT,
                T0,
                &[1; 63],
                sch(alg::OAEP, alg::SHA256),
                b"",
            ),
        ),
        (
            "encrypt/oaep-max",
            any(),
            rsa_cmd(
                cc::RSA_ENCRYPT,
                T0,
                &[1; 62],
                sch(alg::OAEP, alg::SHA256),
                b"",
            ),
        ),
        (
            "encrypt/oaep-sha512-too-long",
            any(),
            rsa_cmd(
                cc::RSA_ENCRYPT,
                T0,
                &[1; 1],
                sch(alg::OAEP, alg::SHA512),
                b"",
            ),
        ),
        (
            "encrypt/rsaes-too-long",
            any(),
            rsa_cmd(cc::RSA_ENCRYPT, T0, &[1; 118], rsaes(), b""),
        ),
        (
            "encrypt/rsaes-max",
            any(),
            rsa_cmd(cc::RSA_ENCRYPT, T0, &[1; 117], rsaes(), b""),
        ),
        (
            "encrypt/raw-too-long",
            any(),
            rsa_cmd(cc::RSA_ENCRYPT, T0, &[1; 129], null(), b""),
        ),
        (
            "encrypt/raw-modulus-size",
            any(),
            rsa_cmd(cc::RSA_ENCRYPT, T0, &[0xff; 128], null(), b""),
        ),
        (
            "encrypt/raw-empty",
            any(),
            rsa_cmd(cc::RSA_ENCRYPT, T0, b"", null(), b""),
        ),
        (
            "encrypt/oaep-empty",
            any(),
            rsa_cmd(cc::RSA_ENCRYPT, T0, b"", sch(alg::OAEP, alg::SHA256), b""),
        ),
        (
            "encrypt/key-oaep-given-rsaes",
            oaep(),
            rsa_cmd(cc::RSA_ENCRYPT, T0, b"m", rsaes(), b""),
        ),
        (
            "encrypt/key-oaep-given-oaep-sha1",
            oaep(),
            rsa_cmd(cc::RSA_ENCRYPT, T0, b"m", sch(alg::OAEP, alg::SHA1), b""),
        ),
        (
            "encrypt/key-oaep-given-same",
            oaep(),
            rsa_cmd(cc::RSA_ENCRYPT, T0, b"m", sch(alg::OAEP, alg::SHA256), b""),
        ),
        (
            "encrypt/signing-key",
            c(primary(OWNER, &rsa(SIGNING, null(), null(), 1024))),
            rsa_cmd(cc::RSA_ENCRYPT, T0, b"m", null(), b""),
        ),
        (
            "encrypt/storage-key",
            c(primary(OWNER, &rsa_srk(2048))),
            rsa_cmd(cc::RSA_ENCRYPT, T0, b"m", rsaes(), b""),
        ),
        (
            "encrypt/ecc-key",
            c(primary(OWNER, &ecdh_key())),
            rsa_cmd(cc::RSA_ENCRYPT, T0, b"m", null(), b""),
        ),
        (
            "encrypt/no-key",
            c(Cmd::new(cc::GET_RANDOM).u16(1)),
            rsa_cmd(cc::RSA_ENCRYPT, T0, b"m", null(), b""),
        ),
        (
            "decrypt/size-127",
            any(),
            rsa_cmd(cc::RSA_DECRYPT, T0, &[1; 127], null(), b""),
        ),
        (
            "decrypt/size-129",
            any(),
            rsa_cmd(cc::RSA_DECRYPT, T0, &[1; 129], null(), b""),
        ),
        (
            "decrypt/size-0",
            any(),
            rsa_cmd(cc::RSA_DECRYPT, T0, &[], null(), b""),
        ),
        (
            "decrypt/above-modulus",
            any(),
            rsa_cmd(cc::RSA_DECRYPT, T0, &[0xff; 128], null(), b""),
        ),
        (
            "decrypt/bad-oaep",
            any(),
            rsa_cmd(
                cc::RSA_DECRYPT,
                T0,
                &[1; 128],
                sch(alg::OAEP, alg::SHA256),
                b"",
            ),
        ),
        (
            "decrypt/bad-rsaes",
            any(),
            rsa_cmd(cc::RSA_DECRYPT, T0, &[1; 128], rsaes(), b""),
        ),
        (
            "decrypt/label-no-zero",
            any(),
            rsa_cmd(
                cc::RSA_DECRYPT,
                T0,
                &[1; 128],
                sch(alg::OAEP, alg::SHA256),
                b"x",
            ),
        ),
        (
            "decrypt/scheme-rsapss",
            any(),
            rsa_cmd(
                cc::RSA_DECRYPT,
                T0,
                &[1; 128],
                sch(alg::RSAPSS, alg::SHA256),
                b"",
            ),
        ),
        (
            "decrypt/key-oaep-given-rsaes",
            oaep(),
            rsa_cmd(cc::RSA_DECRYPT, T0, &[1; 128], rsaes(), b""),
        ),
        (
            "decrypt/signing-key",
            c(primary(OWNER, &rsa(SIGNING, null(), null(), 1024))),
            rsa_cmd(cc::RSA_DECRYPT, T0, &[1; 128], null(), b""),
        ),
        (
            "decrypt/storage-key",
            c(primary(OWNER, &rsa_srk(2048))),
            rsa_cmd(cc::RSA_DECRYPT, T0, &[1; 256], null(), b""),
        ),
        (
            "decrypt/ecc-key",
            c(primary(OWNER, &ecdh_key())),
            rsa_cmd(cc::RSA_DECRYPT, T0, &[1; 32], null(), b""),
        ),
        (
            "decrypt/public-only",
            c(load_external_cmd(
                &[0, 0],
                &rsa(EXT | a::DECRYPT, null(), null(), 1024)
                    .unique(b2(&[0xC3; 128]))
                    .bytes(),
                NULL,
            )),
            rsa_cmd(cc::RSA_DECRYPT, T0, &[1; 128], null(), b""),
        ),
        (
            "encrypt/public-only",
            c(load_external_cmd(
                &[0, 0],
                &rsa(EXT | a::DECRYPT, null(), null(), 1024)
                    .unique(b2(&[0xC3; 128]))
                    .bytes(),
                NULL,
            )),
            rsa_cmd(cc::RSA_ENCRYPT, T0, &[1; 127], null(), b""),
        ),
    ];
    for (name, setup, cmd) in cases {
        k.case(format!("object/rsa/{name}"), vec![setup, c(cmd)]);
    }
    k.mutated(
        "object/rsa/encrypt-mutated",
        vec![any()],
        0,
        rsa_cmd(
            cc::RSA_ENCRYPT,
            T0,
            b"m",
            sch(alg::OAEP, alg::SHA256),
            b"l\0",
        ),
    );
    k.mutated(
        "object/rsa/decrypt-mutated",
        vec![any()],
        0,
        rsa_cmd(cc::RSA_DECRYPT, T0, &[1; 127], null(), b""),
    );
}

fn zgen(h: u32, point: &[u8]) -> Cmd {
    Cmd::new(cc::ECDH_ZGEN).h(h).pw(b"").b(point)
}

/// ECDH_KeyGen and ECDH_ZGen.
pub(super) fn ecdh(k: &mut Corpus) {
    let p256 = ecc_curve::NIST_P256;
    let key = || c(primary(OWNER, &ecdh_key()));
    let (x, y) = p256_point(3);
    let good = [b2(&x), b2(&y)].concat();
    k.case(
        "object/ecdh/keygen-zgen",
        vec![
            key(),
            c(Cmd::new(cc::ECDH_KEY_GEN).h(T0)),
            reff(cc::ECDH_ZGEN, &[T0], &[b""], vec![field(2, 1)]),
        ],
    );
    let mut x1 = x.clone();
    x1[31] ^= 1;
    let cases: Vec<(&str, Step, Cmd)> = vec![
        ("zgen/valid", key(), zgen(T0, &good)),
        (
            "zgen/off-curve",
            key(),
            zgen(T0, &[b2(&x1), b2(&y)].concat()),
        ),
        (
            "zgen/one-one",
            key(),
            zgen(T0, &[b2(&[1]), b2(&[1])].concat()),
        ),
        (
            "zgen/empty-coordinates",
            key(),
            zgen(T0, &[b2(&[]), b2(&[])].concat()),
        ),
        ("zgen/point-size-0", key(), zgen(T0, &[])),
        (
            "zgen/x-too-big",
            key(),
            zgen(T0, &[b2(&[1; 67]), b2(&y)].concat()),
        ),
        (
            "zgen/x-not-reduced",
            key(),
            zgen(T0, &[b2(&[0xff; 32]), b2(&y)].concat()),
        ),
        (
            "zgen/p384-sized",
            key(),
            zgen(T0, &[b2(&[1; 48]), b2(&[1; 48])].concat()),
        ),
        (
            "zgen/trailing-in-point",
            key(),
            zgen(T0, &[b2(&x), b2(&y), vec![0]].concat()),
        ),
        (
            "zgen/leading-zero",
            key(),
            zgen(T0, &[b2(&[[0u8].as_slice(), &x].concat()), b2(&y)].concat()),
        ),
        (
            "zgen/signing-key",
            c(primary(OWNER, &ecdsa_key())),
            zgen(T0, &good),
        ),
        (
            "zgen/storage-key",
            c(primary(OWNER, &ecc_srk(p256))),
            zgen(T0, &good),
        ),
        (
            "zgen/sign-decrypt-key",
            c(primary(
                OWNER,
                &ecc_t(SIGNING | a::DECRYPT, null(), null(), p256),
            )),
            zgen(T0, &good),
        ),
        (
            "zgen/ecdh-scheme-key",
            c(primary(
                OWNER,
                &ecc_t(DECRYPTING, null(), sch(alg::ECDH, alg::SHA256), p256),
            )),
            zgen(T0, &good),
        ),
        (
            "zgen/rsa-key",
            c(primary(OWNER, &rsa(DECRYPTING, null(), null(), 1024))),
            zgen(T0, &good),
        ),
        (
            "zgen/p384-key",
            c(primary(
                OWNER,
                &ecc_t(DECRYPTING, null(), null(), ecc_curve::NIST_P384),
            )),
            zgen(T0, &good),
        ),
        (
            "keygen/signing-key",
            c(primary(OWNER, &ecdsa_key())),
            Cmd::new(cc::ECDH_KEY_GEN).h(T0),
        ),
        (
            "keygen/storage-key",
            c(primary(OWNER, &ecc_srk(p256))),
            Cmd::new(cc::ECDH_KEY_GEN).h(T0),
        ),
        (
            "keygen/rsa-key",
            c(primary(OWNER, &rsa(DECRYPTING, null(), null(), 1024))),
            Cmd::new(cc::ECDH_KEY_GEN).h(T0),
        ),
        (
            "keygen/public-only",
            c(load_external_cmd(
                &[0, 0],
                &ecc_t(EXT | a::DECRYPT, null(), null(), p256)
                    .unique(good.clone())
                    .bytes(),
                NULL,
            )),
            Cmd::new(cc::ECDH_KEY_GEN).h(T0),
        ),
        (
            "zgen/public-only",
            c(load_external_cmd(
                &[0, 0],
                &ecc_t(EXT | a::DECRYPT, null(), null(), p256)
                    .unique(good.clone())
                    .bytes(),
                NULL,
            )),
            zgen(T0, &good),
        ),
        (
            "keygen/p521",
            c(primary(
                OWNER,
                &ecc_t(DECRYPTING, null(), null(), ecc_curve::NIST_P521),
            )),
            Cmd::new(cc::ECDH_KEY_GEN).h(T0),
        ),
    ];
    for (name, setup, cmd) in cases {
        k.case(format!("object/ecdh/{name}"), vec![setup, c(cmd)]);
    }
    // ZGen with the known private key of an external key: the shared point is fixed.
    k.case(
        "object/ecdh/zgen-external",
        vec![
            c(load_external_cmd(
                &sensitive_area(alg::ECC, b"", b"", &[7; 32]),
                &ecc_t(EXT | a::DECRYPT, null(), null(), p256)
                    .unique({
                        let (x, y) = p256_point(7);
                        [b2(&x), b2(&y)].concat()
                    })
                    .bytes(),
                NULL,
            )),
            c(zgen(T0, &good)),
        ],
    );
    k.mutated("object/ecdh/zgen-mutated", vec![key()], 0, zgen(T0, &good));
}
