//! TPM2_CreateLoaded under a derivation parent (Part 3, §12.9): a restricted decryption
//! KEYEDHASH object whose seedValue keys the KDF a derived object's secrets come from.
//!
//! The same derivation parent is imported into both TPMs (a plain duplicate: no inner or
//! outer wrap, so the seedValue is ours), so a derived object is the same in both and
//! is compared exactly: LoadExternal of its outPublic returns the Name over the whole
//! public area (the derived unique field included), and HMAC, Unseal and EncryptDecrypt
//! with derived secrets return exact bytes. Error paths are compared by their codes.

use super::*;
use crate::corpus::Part;
use tpm2_crypto::hmac;

const SEED: [u8; 32] = [0x5a; 32];
const KEY: [u8; 32] = [0x6b; 32];
/// A derived object's usual attributes: fixedParent SET (required), fixedTPM as the
/// imported parent (CLEAR), sensitiveDataOrigin CLEAR (required).
const DERIVED: u32 = a::FIXED_PARENT | a::USER_WITH_AUTH;

fn xor(h: u16, kdf: u16) -> Vec<u8> {
    u16s(&[alg::XOR, h, kdf])
}

/// A derivation parent with our seedValue, duplicable so it can be imported. The unique
/// field of a parent (restricted and decrypt) is HMAC(seedValue, sensitive), not the
/// hash of the two (Part 1, "Symmetric Object unique"; the reference's
/// `CryptComputeSymmetricUnique`).
fn parent_t(scheme: Vec<u8>) -> T {
    let unique = hmac(HashAlg::Sha256, &SEED, &[&KEY]);
    keyed(a::RESTRICTED | a::DECRYPT | a::USER_WITH_AUTH, scheme).unique(b2(&unique))
}

/// SRK (T0), Import of the parent, Load (T1), flush of the SRK: 4 steps.
fn base_with(parent: &T) -> Vec<Step> {
    let dup = sensitive_area(alg::KEYEDHASH, b"", &SEED, &KEY);
    vec![
        c(primary(OWNER, &ecc_srk(ecc_curve::NIST_P256))),
        c(Cmd::new(cc::IMPORT)
            .h(T0)
            .pw(b"")
            .b(&[])
            .raw(&parent.bytes())
            .b(&dup)
            .b(&[])
            .raw(&null())),
        reff(
            cc::LOAD,
            &[T0],
            &[b""],
            vec![field(2, 0), Part::Raw(parent.bytes())],
        ),
        flush(T0),
    ]
}

fn base() -> Vec<Step> {
    base_with(&parent_t(xor(alg::SHA256, alg::KDF1_SP800_108)))
}

/// `TPMS_DERIVE`.
fn derive(label: &[u8], context: &[u8]) -> Vec<u8> {
    [b2(label), b2(context)].concat()
}

/// A template whose unique field is `TPMS_DERIVE(label, context)`.
fn dt(t: T, label: &[u8], context: &[u8]) -> T {
    t.unique(derive(label, context))
}

fn create_loaded_raw(parent: u32, sensitive: &[u8], template: &[u8]) -> Cmd {
    Cmd::new(cc::CREATE_LOADED)
        .h(parent)
        .pw(b"")
        .raw(sensitive)
        .raw(template)
}

fn cl(parent: u32, t: &T, auth: &[u8], data: &[u8]) -> Cmd {
    create_loaded_raw(parent, &sens(auth, data), &t.bytes())
}

/// LoadExternal (NULL hierarchy, public only) of the outPublic of step `step`: its Name
/// covers the whole public area.
fn public_name_of(step: usize) -> Step {
    reff(
        cc::LOAD_EXTERNAL,
        &[],
        &[],
        vec![
            Part::Raw(vec![0, 0]),
            field(step, 1),
            Part::Raw(NULL.to_be_bytes().to_vec()),
        ],
    )
}

fn ecdsa_t(curve: u16) -> T {
    ecc_t(
        a::SIGN_ENCRYPT | DERIVED,
        null(),
        sch(alg::ECDSA, alg::SHA256),
        curve,
    )
}

pub(super) fn derived(k: &mut Corpus) {
    let p256 = ecc_curve::NIST_P256;
    let d32 = [0x11u8; 32];
    // Valid derived objects of each kind: created (step 5), their public area by Name
    // (6), then used (7...).
    let verify = |s: usize| {
        reff(
            cc::VERIFY_SIGNATURE,
            &[T0],
            &[],
            vec![Part::Raw(b2(&d32)), Part::All { step: s }],
        )
    };
    let hmac_cmd = c(Cmd::new(cc::HMAC)
        .h(T0)
        .pw(b"")
        .b(b"derived data")
        .u16(alg::NULL));
    let enc = c(Cmd::new(cc::ENCRYPT_DECRYPT)
        .h(T0)
        .pw(b"")
        .u8(0)
        .u16(alg::NULL)
        .b(&[0; 16])
        .b(&[0x42; 32]));
    let signs = vec![c(sign(T0, &d32, null())), verify(7)];
    let kinds: Vec<(&str, T, Vec<u8>, Vec<Step>)> = vec![
        (
            "ecdsa-p256",
            dt(ecdsa_t(p256), b"label", b"context"),
            vec![],
            signs.clone(),
        ),
        (
            "ecdsa-p384",
            dt(ecdsa_t(ecc_curve::NIST_P384), b"l", b"c"),
            vec![],
            signs.clone(),
        ),
        (
            "ecc-any-sign",
            dt(
                ecc_t(a::SIGN_ENCRYPT | DERIVED, null(), null(), p256),
                b"",
                b"",
            ),
            vec![],
            vec![],
        ),
        (
            "ecdh",
            dt(ecc_t(a::DECRYPT | DERIVED, null(), null(), p256), b"e", b""),
            vec![],
            vec![],
        ),
        (
            "ecc-storage",
            dt(
                ecc_t(a::RESTRICTED | a::DECRYPT | DERIVED, cfb128(), null(), p256),
                b"storage",
                b"x",
            ),
            vec![],
            vec![c(create(T0, &sealed().attrs(a::USER_WITH_AUTH), b"", b"s"))],
        ),
        (
            "sha384-name",
            dt(ecdsa_t(p256).name_alg(alg::SHA384), b"label", b"context"),
            vec![],
            signs.clone(),
        ),
        (
            "hmac",
            dt(
                keyed(a::SIGN_ENCRYPT | DERIVED, sch(alg::HMAC, alg::SHA256)),
                b"hmac",
                b"1",
            ),
            vec![],
            vec![hmac_cmd.clone()],
        ),
        (
            "hmac-sha384",
            dt(
                keyed(a::SIGN_ENCRYPT | DERIVED, sch(alg::HMAC, alg::SHA384)),
                b"hmac",
                b"1",
            ),
            vec![],
            vec![hmac_cmd.clone()],
        ),
        (
            "sealed",
            dt(keyed(DERIVED, null()), b"seal", b"ed"),
            vec![],
            vec![c(Cmd::new(cc::UNSEAL).h(T0).pw(b"pw"))],
        ),
        (
            "aes128",
            dt(
                symc(a::SIGN_ENCRYPT | a::DECRYPT | DERIVED, aes(128, alg::CFB)),
                b"aes",
                b"",
            ),
            vec![],
            vec![enc.clone()],
        ),
        (
            "aes-storage",
            dt(
                symc(a::RESTRICTED | a::DECRYPT | DERIVED, aes(128, alg::CFB)),
                b"aes",
                b"storage",
            ),
            vec![],
            vec![c(create(T0, &sealed().attrs(a::USER_WITH_AUTH), b"", b"s"))],
        ),
        (
            "aes256",
            dt(
                symc(a::SIGN_ENCRYPT | a::DECRYPT | DERIVED, aes(256, alg::CFB)),
                b"aes",
                b"256",
            ),
            vec![],
            vec![enc.clone()],
        ),
        (
            "max-labels",
            dt(ecdsa_t(p256), &[0x31; 32], &[0x32; 32]),
            vec![],
            vec![],
        ),
        (
            "label-with-zero",
            dt(ecdsa_t(p256), b"lab\0", b"c"),
            vec![],
            vec![],
        ),
        // Label and context from inSensitive.data where the template's are empty.
        (
            "labels-from-sensitive",
            dt(ecdsa_t(p256), b"", b""),
            derive(b"slabel", b"scontext"),
            vec![],
        ),
        (
            "context-from-sensitive",
            dt(ecdsa_t(p256), b"plabel", b""),
            derive(b"slabel", b"scontext"),
            vec![],
        ),
        (
            "template-precedence",
            dt(ecdsa_t(p256), b"plabel", b"pcontext"),
            [derive(b"slabel", b"scontext"), vec![1, 2, 3]].concat(),
            vec![],
        ),
    ];
    for (name, t, data, uses) in kinds {
        let auth: &[u8] = if name == "sealed" { b"pw" } else { b"" };
        let mut steps = base();
        steps.push(c(cl(T1, &t, auth, &data)));
        steps.push(public_name_of(5));
        steps.extend(uses);
        k.case(format!("object/derived/{name}"), steps);
    }
    // The same label and context twice give the same object; another context another.
    let t = dt(ecdsa_t(p256), b"label", b"context");
    let mut steps = base();
    steps.extend([
        c(cl(T1, &t, b"", b"")),
        c(cl(T1, &t, b"", b"")),
        flush(T0),
        flush(T2),
        c(cl(T1, &dt(ecdsa_t(p256), b"label", b"other"), b"", b"")),
        read_public(T0),
    ]);
    k.case("object/derived/twice", steps);
    // A parent with other XOR hashes; one with another KDF is no derivation parent
    // (`TPM_RC_SCHEME` on the Import's objectPublic).
    for (name, scheme) in [
        ("parent-sha384", xor(alg::SHA384, alg::KDF1_SP800_108)),
        ("parent-sha1", xor(alg::SHA1, alg::KDF1_SP800_108)),
        ("parent-kdf-null", xor(alg::SHA256, alg::NULL)),
        ("parent-kdf-mgf1", xor(alg::SHA256, alg::MGF1)),
    ] {
        let mut steps = base_with(&parent_t(scheme));
        if name.contains("kdf") {
            steps.truncate(2);
        } else {
            steps.push(c(cl(T1, &dt(ecdsa_t(p256), b"a", b"b"), b"", b"")));
            steps.push(public_name_of(5));
        }
        k.case(format!("object/derived/{name}"), steps);
    }
    errors(k);
    random_parents(k);
}

/// Refused derivations, each code compared.
fn errors(k: &mut Corpus) {
    let p256 = ecc_curve::NIST_P256;
    let ok = || dt(ecdsa_t(p256), b"l", b"c");
    let template = |t: &T| t.bytes();
    // A KDF in an ECC signing key's parameters is refused.
    let mut ecc_kdf = ok();
    ecc_kdf.parms = ecc_parms(
        null(),
        sch(alg::ECDSA, alg::SHA256),
        p256,
        sch(alg::KDF1_SP800_108, alg::SHA256),
    );
    let cases: Vec<(&str, Vec<u8>, Vec<u8>)> = vec![
        (
            "rsa",
            sens(b"", b""),
            template(&dt(
                rsa(
                    a::SIGN_ENCRYPT | DERIVED,
                    null(),
                    sch(alg::RSASSA, alg::SHA256),
                    2048,
                ),
                b"l",
                b"c",
            )),
        ),
        (
            "rsa-bad-parms",
            sens(b"", b""),
            template(&dt(
                rsa(a::SIGN_ENCRYPT | DERIVED, null(), null(), 1000),
                b"l",
                b"c",
            )),
        ),
        (
            "sensitive-data-origin",
            sens(b"", b""),
            template(&ok().attrs(DERIVED | a::SIGN_ENCRYPT | a::SENSITIVE_DATA_ORIGIN)),
        ),
        (
            "no-fixed-parent",
            sens(b"", b""),
            template(&ok().attrs(a::USER_WITH_AUTH | a::SIGN_ENCRYPT)),
        ),
        (
            "fixed-tpm",
            sens(b"", b""),
            template(&ok().attrs(DERIVED | a::SIGN_ENCRYPT | a::FIXED_TPM)),
        ),
        (
            "sign-and-decrypt",
            sens(b"", b""),
            template(&ok().attrs(DERIVED | a::SIGN_ENCRYPT | a::DECRYPT)),
        ),
        (
            "bad-scheme",
            sens(b"", b""),
            template(&dt(
                ecc_t(
                    a::SIGN_ENCRYPT | DERIVED,
                    null(),
                    sch(alg::ECDH, alg::SHA256),
                    p256,
                ),
                b"l",
                b"c",
            )),
        ),
        (
            "label-33",
            sens(b"", b""),
            template(&dt(ecdsa_t(p256), &[1; 33], b"c")),
        ),
        (
            "context-33",
            sens(b"", b""),
            template(&dt(ecdsa_t(p256), b"l", &[1; 33])),
        ),
        ("ecc-point-unique", sens(b"", b""), template(&ecdsa_t(p256))),
        (
            "ecc-point-32",
            sens(b"", b""),
            template(&ecdsa_t(p256).unique([b2(&[2; 32]), b2(&[3; 32])].concat())),
        ),
        (
            "derive-truncated",
            sens(b"", b""),
            template(&ecdsa_t(p256).unique(vec![0, 1, b'l', 0])),
        ),
        (
            "derive-trailing",
            sens(b"", b""),
            template(&ok().unique([derive(b"l", b"c"), vec![0]].concat())),
        ),
        (
            "digest-unique-keyedhash",
            sens(b"", b""),
            template(
                &keyed(a::SIGN_ENCRYPT | DERIVED, sch(alg::HMAC, alg::SHA256)).unique(b2(&[7; 32])),
            ),
        ),
        ("empty-template", sens(b"", b""), b2(&[])),
        ("auth-too-long", sens(&[1; 33], b""), template(&ok())),
        (
            "auth-too-long-bad-template",
            sens(&[1; 33], b""),
            template(&ok().unique(vec![0, 40])),
        ),
        (
            "sensitive-derive-truncated",
            sens(b"", &[0, 5, 1]),
            template(&dt(ecdsa_t(p256), b"", b"")),
        ),
        (
            "sensitive-derive-label-33",
            sens(b"", &[[0, 33].as_slice(), &[1; 33], &[0, 0]].concat()),
            template(&dt(ecdsa_t(p256), b"", b"")),
        ),
        (
            "sensitive-derive-ignored-when-full",
            sens(b"", &[0, 5, 1]),
            template(&dt(ecdsa_t(p256), b"l", b"c")),
        ),
        ("ecc-kdf", sens(b"", b""), template(&ecc_kdf)),
        (
            "bad-curve",
            sens(b"", b""),
            template(&dt(
                ecc_t(
                    a::SIGN_ENCRYPT | DERIVED,
                    null(),
                    sch(alg::ECDSA, alg::SHA256),
                    0x0777,
                ),
                b"l",
                b"c",
            )),
        ),
        (
            "aes-wrong-bits",
            sens(b"", b""),
            template(&dt(
                symc(a::SIGN_ENCRYPT | a::DECRYPT | DERIVED, aes(100, alg::CFB)),
                b"l",
                b"c",
            )),
        ),
    ];
    for (name, s, t) in cases {
        let mut steps = base();
        steps.push(c(create_loaded_raw(T1, &s, &t)));
        k.case(format!("object/derived/error/{name}"), steps);
    }
    // Other commands refuse a derivation parent as a parent; full slots.
    let mut steps = base();
    steps.extend([
        c(create(T1, &ecdsa_key(), b"", b"")),
        c(Cmd::new(cc::CREATE_LOADED)
            .h(T1)
            .pw(b"")
            .raw(&sens(b"", b""))
            .raw(&dt(ecdsa_t(p256), b"l", b"c").bytes())),
        c(cl(T1, &dt(ecdsa_t(p256), b"l", b"c"), b"", b"")),
        c(cl(T1, &dt(ecdsa_t(p256), b"l", b"c"), b"", b"")),
        c(cl(T1, &dt(ecdsa_t(p256), b"l", b"c"), b"", b"")),
    ]);
    k.case("object/derived/error/create-and-slots", steps);
    // A derived object is not a derivation parent or storage parent for CreateLoaded.
    let mut steps = base();
    steps.extend([
        c(cl(T1, &dt(ecdsa_t(p256), b"l", b"c"), b"", b"")),
        c(cl(T0, &dt(ecdsa_t(p256), b"l", b"c"), b"", b"")),
    ]);
    k.case("object/derived/error/signing-parent", steps);
}

/// Derivation parents the TPMs make themselves (their seeds differ, so the derived
/// objects are compared by shape), and CreateLoaded's other parents.
fn random_parents(k: &mut Corpus) {
    let p256 = ecc_curve::NIST_P256;
    let dp = keyed(
        a::FIXED_TPM
            | a::FIXED_PARENT
            | a::SENSITIVE_DATA_ORIGIN
            | a::USER_WITH_AUTH
            | a::RESTRICTED
            | a::DECRYPT,
        xor(alg::SHA256, alg::KDF1_SP800_108),
    );
    let fixed = a::FIXED_TPM | a::FIXED_PARENT | a::USER_WITH_AUTH;
    let child = |attrs: u32| {
        dt(
            ecc_t(
                attrs | a::SIGN_ENCRYPT,
                null(),
                sch(alg::ECDSA, alg::SHA256),
                p256,
            ),
            b"l",
            b"c",
        )
    };
    k.case(
        "object/derived/created-parent",
        vec![
            c(primary(OWNER, &ecc_srk(p256))),
            c(cl(T0, &dp, b"", b"")),
            c(cl(T1, &child(fixed), b"", b"")),
            c(sign(T2, &[0x11; 32], null())),
            flush(T2),
            c(cl(T1, &child(DERIVED), b"", b"")),
            c(cl(T1, &child(fixed & !a::FIXED_PARENT), b"", b"")),
        ],
    );
    // A derivation parent as a primary object.
    k.case(
        "object/derived/primary-parent",
        vec![
            c(primary(OWNER, &dp)),
            c(cl(T0, &child(fixed), b"", b"")),
            read_public(T1),
        ],
    );
    // CreateLoaded's template rules under a storage parent and a hierarchy.
    for (name, h, t) in [
        ("storage/empty-template", T0, b2(&[])),
        (
            "storage/trailing",
            T0,
            b2(&[ecdsa_key().body(), vec![0]].concat()),
        ),
        ("storage/ecdsa", T0, ecdsa_key().bytes()),
        ("storage/derive-unique", T0, child(fixed).bytes()),
        ("primary/empty-template", OWNER, b2(&[])),
        ("primary/ecdsa", OWNER, ecdsa_key().bytes()),
        (
            "storage/other-symmetric",
            T0,
            ecc_t(STORAGE, aes(256, alg::CFB), null(), p256).bytes(),
        ),
        (
            "storage/xor-parent-mgf1",
            T0,
            keyed(
                STORAGE & !a::SENSITIVE_DATA_ORIGIN,
                xor(alg::SHA256, alg::MGF1),
            )
            .bytes(),
        ),
    ] {
        k.case(
            format!("object/createloaded/{name}"),
            vec![
                c(primary(OWNER, &ecc_srk(p256))),
                c(create_loaded_raw(h, &sens(b"", b""), &t)),
            ],
        );
    }
    k.case(
        "object/createloaded/auth-too-long-bad-template",
        vec![
            c(primary(OWNER, &ecc_srk(p256))),
            c(create_loaded_raw(
                T0,
                &sens(&[1; 33], b""),
                &ecdsa_key().attrs(0).bytes(),
            )),
        ],
    );
}
