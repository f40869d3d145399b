//! Objects: CreatePrimary in every hierarchy with the common templates, the template
//! rules (unmarshalling selectors and the attribute/scheme/symmetric rules of Part 1 §27
//! with their parameter numbers), Create/Load/Unseal/ObjectChangeAuth under a primary,
//! LoadExternal, the key commands (Sign, VerifySignature, RSA_Encrypt/Decrypt, ECDH,
//! EncryptDecrypt(2), HMAC), TestParms, ECC_Parameters, contexts, EvictControl and the
//! object slot limit.
//!
//! Keys the TPMs generate differ (different seeds), so later steps that need a blob from
//! an earlier one take it from that TPM's own response ([`Step::Ref`]); keys with
//! caller-chosen bits (symmetric and HMAC keys, sealed data, LoadExternal) give
//! byte-identical answers.

use super::{c, Corpus, Part, RefCmd, Step};
use crate::cmd::Cmd;
use tpm2_crypto::digest;
use tpm2_crypto::ecc::{self, EccCurve};
use tpm2_types::constants::{alg, cap, cc, ecc_curve, obj_attr as a, rh, st};
use tpm2_types::HashAlg;

const OWNER: u32 = rh::OWNER;
const ENDORSEMENT: u32 = rh::ENDORSEMENT;
const PLATFORM: u32 = rh::PLATFORM;
const NULL: u32 = rh::NULL;
const T0: u32 = 0x8000_0000;
const T1: u32 = 0x8000_0001;
const T2: u32 = 0x8000_0002;

/// Attributes of the usual templates.
const BASE: u32 = a::FIXED_TPM | a::FIXED_PARENT | a::SENSITIVE_DATA_ORIGIN | a::USER_WITH_AUTH;
const STORAGE: u32 = BASE | a::RESTRICTED | a::DECRYPT;
const SIGNING: u32 = BASE | a::SIGN_ENCRYPT;
const DECRYPTING: u32 = BASE | a::DECRYPT;
const SEALED: u32 = a::FIXED_TPM | a::FIXED_PARENT | a::USER_WITH_AUTH;
/// The TCG EK templates (EK Credential Profile 2.x, low range): adminWithPolicy, no
/// userWithAuth, and the PolicySecret(endorsement) policy.
const EK: u32 = a::FIXED_TPM
    | a::FIXED_PARENT
    | a::SENSITIVE_DATA_ORIGIN
    | a::ADMIN_WITH_POLICY
    | a::RESTRICTED
    | a::DECRYPT;
const EK_POLICY: [u8; 32] = [
    0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
    0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
];

/// A public area as raw pieces, so any of them can be malformed.
#[derive(Clone)]
struct T {
    ty: u16,
    name_alg: u16,
    attrs: u32,
    policy: Vec<u8>,
    parms: Vec<u8>,
    unique: Vec<u8>,
}

impl T {
    fn body(&self) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&self.ty.to_be_bytes());
        v.extend_from_slice(&self.name_alg.to_be_bytes());
        v.extend_from_slice(&self.attrs.to_be_bytes());
        v.extend(b2(&self.policy));
        v.extend_from_slice(&self.parms);
        v.extend_from_slice(&self.unique);
        v
    }

    /// `TPM2B_PUBLIC`.
    fn bytes(&self) -> Vec<u8> {
        b2(&self.body())
    }

    fn attrs(mut self, attrs: u32) -> T {
        self.attrs = attrs;
        self
    }

    fn name_alg(mut self, h: u16) -> T {
        self.name_alg = h;
        self
    }

    fn policy(mut self, p: &[u8]) -> T {
        self.policy = p.to_vec();
        self
    }

    fn unique(mut self, u: Vec<u8>) -> T {
        self.unique = u;
        self
    }
}

fn b2(d: &[u8]) -> Vec<u8> {
    let mut v = (d.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(d);
    v
}

fn u16s(v: &[u16]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_be_bytes()).collect()
}

fn aes(bits: u16, mode: u16) -> Vec<u8> {
    u16s(&[alg::AES, bits, mode])
}

fn null() -> Vec<u8> {
    u16s(&[alg::NULL])
}

fn cfb128() -> Vec<u8> {
    aes(128, alg::CFB)
}

/// A scheme with a hash.
fn sch(s: u16, h: u16) -> Vec<u8> {
    u16s(&[s, h])
}

fn rsa_parms(sym: Vec<u8>, scheme: Vec<u8>, bits: u16, exponent: u32) -> Vec<u8> {
    let mut v = sym;
    v.extend(scheme);
    v.extend_from_slice(&bits.to_be_bytes());
    v.extend_from_slice(&exponent.to_be_bytes());
    v
}

fn ecc_parms(sym: Vec<u8>, scheme: Vec<u8>, curve: u16, kdf: Vec<u8>) -> Vec<u8> {
    let mut v = sym;
    v.extend(scheme);
    v.extend_from_slice(&curve.to_be_bytes());
    v.extend(kdf);
    v
}

fn rsa(attrs: u32, sym: Vec<u8>, scheme: Vec<u8>, bits: u16) -> T {
    T {
        ty: alg::RSA,
        name_alg: alg::SHA256,
        attrs,
        policy: Vec::new(),
        parms: rsa_parms(sym, scheme, bits, 0),
        unique: b2(&[]),
    }
}

fn rsa_e(attrs: u32, bits: u16, exponent: u32) -> T {
    let mut t = rsa(attrs, null(), null(), bits);
    t.parms = rsa_parms(null(), null(), bits, exponent);
    t
}

fn ecc_t(attrs: u32, sym: Vec<u8>, scheme: Vec<u8>, curve: u16) -> T {
    T {
        ty: alg::ECC,
        name_alg: alg::SHA256,
        attrs,
        policy: Vec::new(),
        parms: ecc_parms(sym, scheme, curve, null()),
        unique: [b2(&[]), b2(&[])].concat(),
    }
}

fn keyed(attrs: u32, scheme: Vec<u8>) -> T {
    T {
        ty: alg::KEYEDHASH,
        name_alg: alg::SHA256,
        attrs,
        policy: Vec::new(),
        parms: scheme,
        unique: b2(&[]),
    }
}

fn symc(attrs: u32, sym: Vec<u8>) -> T {
    T {
        ty: alg::SYMCIPHER,
        name_alg: alg::SHA256,
        attrs,
        policy: Vec::new(),
        parms: sym,
        unique: b2(&[]),
    }
}

fn rsa_srk(bits: u16) -> T {
    rsa(STORAGE, cfb128(), null(), bits)
}

fn ecc_srk(curve: u16) -> T {
    let sym = if curve == ecc_curve::NIST_P256 {
        cfb128()
    } else {
        aes(256, alg::CFB)
    };
    ecc_t(STORAGE, sym, null(), curve)
}

fn ek_rsa() -> T {
    rsa(EK, cfb128(), null(), 2048)
        .policy(&EK_POLICY)
        .unique(b2(&[0; 256]))
}

fn ek_ecc() -> T {
    ecc_t(EK, cfb128(), null(), ecc_curve::NIST_P256)
        .policy(&EK_POLICY)
        .unique([b2(&[0; 32]), b2(&[0; 32])].concat())
}

fn ecdsa_key() -> T {
    ecc_t(
        SIGNING,
        null(),
        sch(alg::ECDSA, alg::SHA256),
        ecc_curve::NIST_P256,
    )
}

fn ecc_any_sign() -> T {
    ecc_t(SIGNING, null(), null(), ecc_curve::NIST_P256)
}

fn ecdh_key() -> T {
    ecc_t(DECRYPTING, null(), null(), ecc_curve::NIST_P256)
}

fn sealed() -> T {
    keyed(SEALED, null())
}

fn hmac_key() -> T {
    keyed(SIGNING, sch(alg::HMAC, alg::SHA256))
}

/// `TPM2B_SENSITIVE_CREATE`.
fn sens(auth: &[u8], data: &[u8]) -> Vec<u8> {
    b2(&[b2(auth), b2(data)].concat())
}

fn create_primary_raw(h: u32, sensitive: &[u8], public: &[u8]) -> Cmd {
    Cmd::new(cc::CREATE_PRIMARY)
        .h(h)
        .pw(b"")
        .raw(sensitive)
        .raw(public)
        .b(&[])
        .u32(0)
}

fn primary(h: u32, t: &T) -> Cmd {
    create_primary_raw(h, &sens(&[], &[]), &t.bytes())
}

/// A primary with caller-chosen sensitive data (sensitiveDataOrigin must be clear).
fn primary_data(h: u32, t: &T, auth: &[u8], data: &[u8]) -> Cmd {
    create_primary_raw(h, &sens(auth, data), &t.bytes())
}

fn create(parent: u32, t: &T, auth: &[u8], data: &[u8]) -> Cmd {
    Cmd::new(cc::CREATE)
        .h(parent)
        .pw(b"")
        .raw(&sens(auth, data))
        .raw(&t.bytes())
        .b(&[])
        .u32(0)
}

fn flush(h: u32) -> Step {
    c(Cmd::new(cc::FLUSH_CONTEXT).h(h))
}

fn read_public(h: u32) -> Step {
    c(Cmd::new(cc::READ_PUBLIC).h(h))
}

fn handles_cap(first: u32) -> Step {
    c(Cmd::new(cc::GET_CAPABILITY)
        .u32(cap::HANDLES)
        .u32(first)
        .u32(16))
}

fn reff(code: u32, handles: &[u32], pws: &[&[u8]], parts: Vec<Part>) -> Step {
    Step::Ref(RefCmd {
        loc: 0,
        code,
        handles: handles.to_vec(),
        pws: pws.iter().map(|p| p.to_vec()).collect(),
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

/// TPM2_Load of the private and public of step `step` (a Create).
fn load_from(parent: u32, step: usize) -> Step {
    reff(
        cc::LOAD,
        &[parent],
        &[b""],
        vec![field(step, 0), field(step, 1)],
    )
}

/// A NULL hash-check ticket.
fn null_ticket() -> Vec<u8> {
    let mut v = st::HASHCHECK.to_be_bytes().to_vec();
    v.extend_from_slice(&NULL.to_be_bytes());
    v.extend(b2(&[]));
    v
}

fn sign(h: u32, digest: &[u8], scheme: Vec<u8>) -> Cmd {
    Cmd::new(cc::SIGN)
        .h(h)
        .pw(b"")
        .b(digest)
        .raw(&scheme)
        .raw(&null_ticket())
}

const HIERARCHIES: [(&str, u32); 4] = [
    ("owner", OWNER),
    ("endorsement", ENDORSEMENT),
    ("platform", PLATFORM),
    ("null", NULL),
];

pub fn add(k: &mut Corpus) {
    let first = k.cases.len();
    primaries(k);
    templates(k);
    sensitive(k);
    create_load(k);
    change_auth(k);
    load_external(k);
    signing(k);
    rsa_crypt(k);
    ecdh(k);
    symmetric(k);
    hmac(k);
    test_parms(k);
    ecc_parameters(k);
    contexts(k);
    evict(k);
    slots(k);
    mutations(k);
    for case in &mut k.cases[first..] {
        warm_up(&mut case.steps);
    }
}

/// The first authorization of a DA-protected entity after manufacture is answered
/// `TPM_RC_RETRY` (libtpms records `daUsed` first; the engine does the same). Every
/// case starts by spending that on a sealed NULL-hierarchy primary, so the case's own
/// steps are what they test; [`Step::Ref`] step numbers move along.
fn warm_up(steps: &mut Vec<Step>) {
    let w = vec![
        c(primary_data(NULL, &sealed(), b"", b"w")),
        c(Cmd::new(cc::UNSEAL).h(T0).pw(b"")),
        flush(T0),
    ];
    let n = w.len();
    for s in steps.iter_mut() {
        if let Step::Ref(r) = s {
            for p in &mut r.parts {
                shift(p, n);
            }
        }
    }
    steps.splice(0..0, w);
}

fn shift(p: &mut Part, n: usize) {
    match p {
        Part::Raw(_) => {}
        Part::Field { step, .. } | Part::All { step } => *step += n,
        Part::Flip { part, .. } => shift(part, n),
    }
}

/// The common templates in each hierarchy, then ReadPublic and FlushContext.
fn primaries(k: &mut Corpus) {
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
fn templates(k: &mut Corpus) {
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
fn sensitive(k: &mut Corpus) {
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

/// Create and Load under an ECC storage primary (0x80000000).
fn create_load(k: &mut Corpus) {
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
fn change_auth(k: &mut Corpus) {
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

/// The public point of a fixed P-256 scalar.
fn p256_point(d: u8) -> (Vec<u8>, Vec<u8>) {
    let p = ecc::public_key(
        EccCurve::from_id(ecc_curve::NIST_P256).expect("P-256"),
        &[d; 32],
    )
    .expect("a valid scalar");
    (p.x, p.y)
}

/// `TPM2B_SENSITIVE`.
fn sensitive_area(ty: u16, auth: &[u8], seed: &[u8], key: &[u8]) -> Vec<u8> {
    let mut v = ty.to_be_bytes().to_vec();
    v.extend(b2(auth));
    v.extend(b2(seed));
    v.extend(b2(key));
    b2(&v)
}

fn load_external_cmd(sensitive: &[u8], public: &[u8], h: u32) -> Cmd {
    Cmd::new(cc::LOAD_EXTERNAL)
        .raw(sensitive)
        .raw(public)
        .u32(h)
}

/// An external AES key with these bits (unique = H(seed || key)).
fn ext_aes(key: &[u8], attrs: u32, mode: u16) -> (Vec<u8>, Vec<u8>) {
    let seed = [0x33u8; 32];
    let unique = digest(HashAlg::Sha256, &[&seed, key]);
    let bits = (key.len() * 8) as u16;
    let t = symc(attrs, aes(bits, mode)).unique(b2(&unique));
    (sensitive_area(alg::SYMCIPHER, b"", &seed, key), t.bytes())
}

fn ext_hmac(key: &[u8], attrs: u32, scheme: Vec<u8>) -> (Vec<u8>, Vec<u8>) {
    let seed = [0x44u8; 32];
    let unique = digest(HashAlg::Sha256, &[&seed, key]);
    let t = keyed(attrs, scheme).unique(b2(&unique));
    (sensitive_area(alg::KEYEDHASH, b"", &seed, key), t.bytes())
}

const EXT: u32 = a::USER_WITH_AUTH;

fn load_external(k: &mut Corpus) {
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

/// Sign and VerifySignature.
fn signing(k: &mut Corpus) {
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
fn rsa_crypt(k: &mut Corpus) {
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
fn ecdh(k: &mut Corpus) {
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
fn symmetric(k: &mut Corpus) {
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
fn hmac(k: &mut Corpus) {
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
fn test_parms(k: &mut Corpus) {
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

fn ecc_parameters(k: &mut Corpus) {
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

fn context_load(parts: Vec<Part>) -> Step {
    reff(cc::CONTEXT_LOAD, &[], &[], parts)
}

/// ContextSave/ContextLoad of objects.
fn contexts(k: &mut Corpus) {
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
fn evict(k: &mut Corpus) {
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
fn slots(k: &mut Corpus) {
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
fn mutations(k: &mut Corpus) {
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
