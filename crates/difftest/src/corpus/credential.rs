//! Credential protection and duplication: MakeCredential → ActivateCredential on each
//! TPM's own keys (the blob and secret referenced from its own response), damaged blobs
//! and secrets, the key checks of both commands, Import of blobs computed here (no outer
//! wrapper, with and without an inner wrapper, so the bytes are fixed), Import's checks,
//! Duplicate without a policy session, and malformations.

use super::{c, Corpus, Part, RefCmd, Step};
use crate::cmd::Cmd;
use tpm2_crypto::digest;
use tpm2_crypto::sym::aes_cfb;
use tpm2_types::constants::{alg, cc, ecc_curve, obj_attr as a, rh};
use tpm2_types::object::*;
use tpm2_types::{Codec, HashAlg, Tpm2b};

const T0: u32 = 0x8000_0000;
const T1: u32 = 0x8000_0001;
const T2: u32 = 0x8000_0002;
const SHA256: HashAlg = HashAlg::Sha256;
const BASE: u32 = a::FIXED_TPM | a::FIXED_PARENT | a::SENSITIVE_DATA_ORIGIN | a::USER_WITH_AUTH;

fn public(ty: u16, attrs: u32, parms: PublicParms) -> TpmtPublic {
    TpmtPublic {
        name_alg: Some(SHA256),
        attributes: attrs,
        auth_policy: Tpm2b::empty(),
        parms,
        unique: Unique::empty_for(ty),
    }
}

fn rsa_key(attrs: u32, sym: Option<SymDef>, scheme: Scheme) -> TpmtPublic {
    public(
        alg::RSA,
        attrs,
        PublicParms::Rsa(RsaParms {
            symmetric: sym,
            scheme,
            key_bits: 2048,
            exponent: 0,
        }),
    )
}

fn ecc_key(attrs: u32, sym: Option<SymDef>, scheme: Scheme) -> TpmtPublic {
    public(
        alg::ECC,
        attrs,
        PublicParms::Ecc(EccParms {
            symmetric: sym,
            scheme,
            curve: ecc_curve::NIST_P256,
            kdf: KdfScheme(None),
        }),
    )
}

fn storage(rsa: bool) -> TpmtPublic {
    let attrs = BASE | a::RESTRICTED | a::DECRYPT;
    if rsa {
        rsa_key(attrs, Some(SymDef::AES_128_CFB), Scheme::Null)
    } else {
        ecc_key(attrs, Some(SymDef::AES_128_CFB), Scheme::Null)
    }
}

fn primary(h: u32, t: &TpmtPublic) -> Cmd {
    Cmd::new(cc::CREATE_PRIMARY)
        .h(h)
        .pw(b"")
        .raw(&[0, 4, 0, 0, 0, 0])
        .raw(&Tpm2bPublic(t.clone()).to_bytes())
        .b(&[])
        .u32(0)
}

fn reff(code: u32, handles: &[u32], pws: usize, parts: Vec<Part>) -> Step {
    Step::Ref(RefCmd {
        loc: 0,
        code,
        handles: handles.to_vec(),
        pws: vec![Vec::new(); pws],
        parts,
    })
}

fn field(step: usize, index: usize) -> Part {
    Part::Field { step, index }
}

fn flip(p: Part, at: isize) -> Part {
    Part::Flip {
        part: Box::new(p),
        at,
        mask: 0x5a,
    }
}

fn b2(d: &[u8]) -> Vec<u8> {
    let mut v = (d.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(d);
    v
}

fn case(k: &mut Corpus, name: &str, mut steps: Vec<Step>) {
    super::with_da_warm_up(&mut steps);
    k.case(name, steps);
}

pub fn add(k: &mut Corpus) {
    credentials(k);
    imports(k);
    duplicates(k);
}

fn credentials(k: &mut Corpus) {
    let ak = rsa_key(
        BASE | a::RESTRICTED | a::SIGN_ENCRYPT,
        None,
        Scheme::Rsassa(SHA256),
    );
    for (kind, rsa) in [("rsa", true), ("ecc", false)] {
        // Steps (1-based, after the warm-up): 1 EK-like key, 2 AK-like key (a primary
        // too), 3 ReadPublic(AK), 4 MakeCredential.
        let setup = vec![
            c(primary(rh::ENDORSEMENT, &storage(rsa))),
            c(primary(rh::ENDORSEMENT, &ak)),
            c(Cmd::new(cc::READ_PUBLIC).h(T1)),
            reff(
                cc::MAKE_CREDENTIAL,
                &[T0],
                0,
                vec![Part::Raw(b2(b"a credential")), field(3, 1)],
            ),
        ];
        let activate = |blob: Part, secret: Part, obj: u32, key: u32| {
            reff(cc::ACTIVATE_CREDENTIAL, &[obj, key], 2, vec![blob, secret])
        };
        let with = |s: Step| {
            let mut v = setup.clone();
            v.push(s);
            v
        };
        case(
            k,
            &format!("credential/{kind}/activate"),
            with(activate(field(4, 0), field(4, 1), T1, T0)),
        );
        for (n, at) in [("hmac", 4), ("identity", -1), ("size", 2)] {
            case(
                k,
                &format!("credential/{kind}/damaged-{n}"),
                with(activate(flip(field(4, 0), at), field(4, 1), T1, T0)),
            );
        }
        case(
            k,
            &format!("credential/{kind}/damaged-secret"),
            with(activate(field(4, 0), flip(field(4, 1), 8), T1, T0)),
        );
        case(
            k,
            &format!("credential/{kind}/empty-secret"),
            with(activate(field(4, 0), Part::Raw(b2(b"")), T1, T0)),
        );
        case(
            k,
            &format!("credential/{kind}/empty-blob"),
            with(activate(Part::Raw(b2(b"")), field(4, 1), T1, T0)),
        );
        case(
            k,
            &format!("credential/{kind}/other-object"),
            with(activate(field(4, 0), field(4, 1), T0, T0)),
        );
        case(
            k,
            &format!("credential/{kind}/key-not-decrypt"),
            with(activate(field(4, 0), field(4, 1), T1, T1)),
        );
        // MakeCredential's checks.
        let ek = c(primary(rh::ENDORSEMENT, &storage(rsa)));
        let name = [&[0x00, 0x0b][..], &[0x33; 32]].concat();
        for (n, h, cred) in [
            ("make/ok", T0, vec![7u8; 32]),
            ("make/cred-33", T0, vec![7u8; 33]),
            ("make/cred-empty", T0, vec![]),
            ("make/not-restricted", T1, vec![1]),
            ("make/no-object", T2, vec![1]),
        ] {
            let unrestricted = if rsa {
                rsa_key(BASE | a::DECRYPT, None, Scheme::Null)
            } else {
                ecc_key(BASE | a::DECRYPT, None, Scheme::Null)
            };
            case(
                k,
                &format!("credential/{kind}/{n}"),
                vec![
                    ek.clone(),
                    c(primary(rh::OWNER, &unrestricted)),
                    c(Cmd::new(cc::MAKE_CREDENTIAL).h(h).b(&cred).b(&name)),
                ],
            );
        }
        let mut setup = super::da_warm_up();
        setup.push(ek);
        k.mutated(
            &format!("credential/{kind}/make-mut"),
            setup,
            0,
            Cmd::new(cc::MAKE_CREDENTIAL).h(T0).b(&[5; 20]).b(&name),
        );
    }
}

/// A sealed data object and its sensitive area (fixed bytes).
fn sealed_pair(attrs: u32) -> (TpmtPublic, TpmtSensitive) {
    let s = TpmtSensitive {
        type_alg: alg::KEYEDHASH,
        auth: Tpm2b::empty(),
        seed: Tpm2b(vec![0x44; 32]),
        sensitive: b"imported secret".to_vec(),
    };
    let mut p = public(
        alg::KEYEDHASH,
        attrs,
        PublicParms::KeyedHash(KeyedHashScheme::Null),
    );
    p.unique = Unique::Digest(Tpm2b(digest(SHA256, &[&s.seed.0, &s.sensitive])));
    (p, s)
}

fn name_of(p: &TpmtPublic) -> Vec<u8> {
    let mut n = SHA256.id().to_be_bytes().to_vec();
    n.extend(digest(SHA256, &[&p.to_bytes()]));
    n
}

/// The duplication blob without an outer wrapper: TPM2B_SENSITIVE, inner-wrapped with
/// `key` (AES-128-CFB, zero IV, innerIntegrity = H(TPM2B_SENSITIVE || Name)) if given.
fn blob(p: &TpmtPublic, s: &TpmtSensitive, key: Option<&[u8]>) -> Vec<u8> {
    let plain = b2(&s.to_bytes());
    match key {
        None => plain,
        Some(k) => {
            let mut v = b2(&digest(SHA256, &[&plain, &name_of(p)]));
            v.extend_from_slice(&plain);
            aes_cfb(k, &[0; 16], &mut v, true);
            v
        }
    }
}

fn import_cmd(
    parent: u32,
    key: &[u8],
    p: &TpmtPublic,
    dup: &[u8],
    seed: &[u8],
    sym: Option<SymDef>,
) -> Cmd {
    let mut sd = Vec::new();
    SymDef::encode_opt(&sym, &mut sd);
    Cmd::new(cc::IMPORT)
        .h(parent)
        .pw(b"")
        .b(key)
        .raw(&Tpm2bPublic(p.clone()).to_bytes())
        .b(dup)
        .b(seed)
        .raw(&sd)
}

fn imports(k: &mut Corpus) {
    let key = [0x21u8; 16];
    let aes = Some(SymDef::AES_128_CFB);
    for (kind, rsa) in [("rsa", true), ("ecc", false)] {
        let srk = c(primary(rh::OWNER, &storage(rsa)));
        let (p, s) = sealed_pair(a::USER_WITH_AUTH);
        for (n, inner) in [("plain", false), ("inner", true)] {
            let dup = blob(&p, &s, inner.then_some(&key[..]));
            let (kb, sym): (&[u8], _) = if inner { (&key, aes) } else { (&[], None) };
            // 1 SRK, 2 Import, 3 Load, 4 Unseal.
            case(
                k,
                &format!("duplication/{kind}/import-{n}"),
                vec![
                    srk.clone(),
                    c(import_cmd(T0, kb, &p, &dup, &[], sym)),
                    reff(
                        cc::LOAD,
                        &[T0],
                        1,
                        vec![field(2, 0), Part::Raw(Tpm2bPublic(p.clone()).to_bytes())],
                    ),
                    c(Cmd::new(cc::UNSEAL).h(T1).pw(b"")),
                ],
            );
        }
        let dup = blob(&p, &s, Some(&key));
        let plain = blob(&p, &s, None);
        let mut damaged = dup.clone();
        *damaged.last_mut().unwrap() ^= 1;
        let mut wrong_key = key;
        wrong_key[3] ^= 1;
        let (fixed, _) = sealed_pair(a::USER_WITH_AUTH | a::FIXED_PARENT);
        let (encdup, _) = sealed_pair(a::USER_WITH_AUTH | a::ENCRYPTED_DUPLICATION);
        let mut no_name_alg = p.clone();
        no_name_alg.name_alg = None;
        let cases: Vec<(&str, Cmd)> = vec![
            (
                "damaged-inner",
                import_cmd(T0, &key, &p, &damaged, &[], aes),
            ),
            (
                "wrong-inner-key",
                import_cmd(T0, &wrong_key, &p, &dup, &[], aes),
            ),
            ("key-size", import_cmd(T0, &key[..15], &p, &dup, &[], aes)),
            (
                "key-without-sym",
                import_cmd(T0, &key, &p, &plain, &[], None),
            ),
            (
                "fixed-parent",
                import_cmd(T0, &[], &fixed, &plain, &[], None),
            ),
            (
                "enc-dup-no-inner",
                import_cmd(T0, &[], &encdup, &plain, &[], None),
            ),
            (
                "enc-dup-no-outer",
                import_cmd(T0, &key, &encdup, &dup, &[], aes),
            ),
            ("bad-seed", import_cmd(T0, &[], &p, &plain, &[1; 16], None)),
            (
                "trailing",
                import_cmd(T0, &[], &p, &[plain.clone(), vec![0]].concat(), &[], None),
            ),
            (
                "short",
                import_cmd(T0, &[], &p, &plain[..plain.len() - 1], &[], None),
            ),
            ("not-storage", import_cmd(T1, &[], &p, &plain, &[], None)),
            (
                "no-name-alg",
                import_cmd(T0, &[], &no_name_alg, &plain, &[], None),
            ),
        ];
        let signer = if rsa {
            rsa_key(BASE | a::SIGN_ENCRYPT, None, Scheme::Null)
        } else {
            ecc_key(BASE | a::SIGN_ENCRYPT, None, Scheme::Null)
        };
        for (n, cmd) in cases {
            case(
                k,
                &format!("duplication/{kind}/import-{n}"),
                vec![srk.clone(), c(primary(rh::OWNER, &signer)), c(cmd)],
            );
        }
        // Rewrap: no outer wrapper in, none or the SRK's out; its checks.
        let rewrap = |o: u32, n: u32, seed: &[u8]| {
            Cmd::new(cc::REWRAP)
                .h(o)
                .h(n)
                .pw(b"")
                .b(&dup)
                .b(&name_of(&p))
                .b(seed)
        };
        for (n, cmd) in [
            ("null-null", rewrap(rh::NULL, rh::NULL, &[])),
            ("to-srk", rewrap(rh::NULL, T0, &[])),
            ("old-without-seed", rewrap(T0, rh::NULL, &[])),
            ("seed-without-old", rewrap(rh::NULL, T0, &[1; 64])),
            ("bad-seed", rewrap(T0, rh::NULL, &[1; 64])),
            ("new-not-storage", rewrap(rh::NULL, T1, &[])),
            ("old-not-storage", rewrap(T1, rh::NULL, &[1; 64])),
        ] {
            case(
                k,
                &format!("duplication/{kind}/rewrap-{n}"),
                vec![srk.clone(), c(primary(rh::OWNER, &signer)), c(cmd)],
            );
        }
        let mut setup = super::da_warm_up();
        setup.push(srk.clone());
        k.mutated(
            &format!("duplication/{kind}/import-mut"),
            setup,
            0,
            import_cmd(T0, &key, &p, &dup, &[], aes),
        );
    }
}

/// Duplicate's checks that come before the policy session (a password session cannot
/// authorize the DUP role).
fn duplicates(k: &mut Corpus) {
    let mut sd = Vec::new();
    SymDef::encode_opt(&None, &mut sd);
    duplicates_with_policy(k, &sd);
    for (n, obj, parent) in [
        ("password", T0, rh::NULL),
        ("no-object", T2, rh::NULL),
        ("bad-parent", T0, 0x8100_0123),
    ] {
        case(
            k,
            &format!("duplication/duplicate-{n}"),
            vec![
                c(primary(rh::OWNER, &storage(true))),
                c(Cmd::new(cc::DUPLICATE)
                    .h(obj)
                    .h(parent)
                    .pw(b"")
                    .b(&[])
                    .raw(&sd)),
            ],
        );
    }
}

/// Duplicate in the DUP role, through PolicyCommandCode(TPM2_Duplicate) (Part 3, §13.1):
/// a child of the storage primary that may leave its parent, duplicated without wrappers,
/// with both, with the wrong policy and with a password; and the attribute checks. The
/// blobs hold each TPM's own random key, so they are compared by size.
fn duplicates_with_policy(k: &mut Corpus, null_sym: &[u8]) {
    use super::policy::{cmd_code, ext, session, with_policy};
    let dup_policy = ext(
        &[0; 32],
        cc::POLICY_COMMAND_CODE,
        &cc::DUPLICATE.to_be_bytes(),
    );
    let child = |attrs: u32| {
        let mut t = ecc_key(
            attrs | a::SENSITIVE_DATA_ORIGIN | a::USER_WITH_AUTH | a::SIGN_ENCRYPT,
            None,
            Scheme::Ecdsa(SHA256),
        );
        t.auth_policy = Tpm2b::new(&dup_policy).expect("a digest");
        t
    };
    let mut aes = Vec::new();
    SymDef::encode_opt(&Some(SymDef::AES_128_CFB), &mut aes);
    // Steps: 1 CreatePrimary (T0), 2 Create, 3 Load (T1), 4 a policy session, 5 its
    // assertion, 6 Duplicate.
    let setup = |t: &TpmtPublic, code: u32| {
        vec![
            c(primary(rh::OWNER, &storage(true))),
            c(Cmd::new(cc::CREATE)
                .h(T0)
                .pw(b"")
                .raw(&[0, 4, 0, 0, 0, 0])
                .raw(&Tpm2bPublic(t.clone()).to_bytes())
                .b(&[])
                .u32(0)),
            reff(cc::LOAD, &[T0], 1, vec![field(2, 0), field(2, 1)]),
            session(1),
            cmd_code(code),
        ]
    };
    let dup = |new_parent: u32, sym: &[u8], policy: bool| {
        let cmd = Cmd::new(cc::DUPLICATE).h(T1).h(new_parent);
        let cmd = if policy {
            with_policy(cmd, 1, &[])
        } else {
            cmd.pw(b"")
        };
        c(cmd.b(&[]).raw(sym))
    };
    let cases = [
        (
            "no-wrappers",
            child(0),
            cc::DUPLICATE,
            dup(rh::NULL, null_sym, true),
        ),
        (
            "inner-and-outer",
            child(0),
            cc::DUPLICATE,
            dup(T0, &aes, true),
        ),
        (
            "outer-only",
            child(0),
            cc::DUPLICATE,
            dup(T0, null_sym, true),
        ),
        (
            "wrong-policy",
            child(0),
            cc::UNSEAL,
            dup(rh::NULL, null_sym, true),
        ),
        (
            "password-for-dup-role",
            child(0),
            cc::DUPLICATE,
            dup(rh::NULL, null_sym, false),
        ),
        (
            "fixed-parent",
            child(a::FIXED_PARENT),
            cc::DUPLICATE,
            dup(rh::NULL, null_sym, true),
        ),
        (
            "encrypted-duplication-without-wrappers",
            child(a::ENCRYPTED_DUPLICATION),
            cc::DUPLICATE,
            dup(rh::NULL, null_sym, true),
        ),
        (
            "encrypted-duplication-with-both",
            child(a::ENCRYPTED_DUPLICATION),
            cc::DUPLICATE,
            dup(T0, &aes, true),
        ),
        (
            "new-parent-not-storage",
            child(0),
            cc::DUPLICATE,
            dup(T1, null_sym, true),
        ),
    ];
    for (name, t, code, step) in cases {
        let mut steps = setup(&t, code);
        steps.push(step);
        case(k, &format!("duplication/policy/{name}"), steps);
    }
}
