//! HMAC, policy and trial sessions: TPM2_StartAuthSession parameters and handles, session
//! limits, FlushContext and PolicyRestart of sessions, session-area rules (with empty
//! HMACs where the session key and authValue are empty, so the bytes are fixed), and
//! HMAC authorization with each TPM's own nonces ([`Step::Auth`]): bound sessions, NV
//! Names, dictionary-attack accounting, continueSession, parameter encryption.

use super::{c, AuthCmd, AuthUse, Corpus, StartSpec, Step};
use crate::cmd::Cmd;
use tpm2_crypto::digest;
use tpm2_types::constants::{alg, cc, nv_attr, rh};
use tpm2_types::nv::TpmsNvPublic;
use tpm2_types::{Codec, HashAlg, Tpm2bDigest};

const NULL: u32 = rh::NULL;
const OWNER: u32 = rh::OWNER;
const PLATFORM: u32 = rh::PLATFORM;
const H0: u32 = 0x0200_0000;

fn sym(a: u16, rest: &[u16]) -> Vec<u8> {
    let mut v = a.to_be_bytes().to_vec();
    for r in rest {
        v.extend_from_slice(&r.to_be_bytes());
    }
    v
}

/// A StartAuthSession command (fixed bytes).
fn sas(key: u32, bind: u32, nonce: &[u8], salt: &[u8], kind: u8, s: &[u8], hash: u16) -> Cmd {
    Cmd::new(cc::START_AUTH_SESSION)
        .h(key)
        .h(bind)
        .b(nonce)
        .b(salt)
        .u8(kind)
        .raw(s)
        .u16(hash)
}

/// An unbound, unsalted SHA-256 session of `kind` (fixed bytes).
fn plain(kind: u8) -> Step {
    c(sas(
        NULL,
        NULL,
        &[0x11; 16],
        &[],
        kind,
        &sym(alg::NULL, &[]),
        alg::SHA256,
    ))
}

/// A session remembered by the runner for [`Step::Auth`].
fn start(bind: u32, bind_auth: &[u8], kind: u8, s: Vec<u8>) -> Step {
    Step::StartSession(StartSpec {
        bind,
        bind_auth: bind_auth.to_vec(),
        kind,
        sym: s,
        hash: alg::SHA256,
        nonce: vec![0x22; 32],
    })
}

fn auth(
    code: u32,
    handles: &[u32],
    names: &[Vec<u8>],
    params: Vec<u8>,
    uses: Vec<AuthUse>,
) -> Step {
    Step::Auth(AuthCmd {
        code,
        handles: handles.to_vec(),
        names: names.to_vec(),
        params,
        uses,
    })
}

/// Session `index` with `attrs`, its HMAC key including `a` (if given).
fn s(index: usize, attrs: u8, a: Option<&[u8]>) -> AuthUse {
    AuthUse::Session {
        index,
        attrs,
        auth: a.map(|x| x.to_vec()),
        crypt_auth: a.unwrap_or(b"").to_vec(),
    }
}

fn hn(h: u32) -> Vec<u8> {
    h.to_be_bytes().to_vec()
}

fn b2(d: &[u8]) -> Vec<u8> {
    let mut v = (d.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(d);
    v
}

fn change_auth(h: u32, old: &[u8], new: &[u8]) -> Step {
    c(Cmd::new(cc::HIERARCHY_CHANGE_AUTH).h(h).pw(old).b(new))
}

fn nv_public(h: u32, attrs: u32, size: u16) -> TpmsNvPublic {
    TpmsNvPublic {
        nv_index: h,
        name_alg: HashAlg::Sha256,
        attributes: attrs,
        auth_policy: Tpm2bDigest::empty(),
        data_size: size,
    }
}

fn nv_define(p: &TpmsNvPublic, a: &[u8]) -> Step {
    c(Cmd::new(cc::NV_DEFINE_SPACE)
        .h(OWNER)
        .pw(b"")
        .b(a)
        .raw(&tpm2_types::nv::Tpm2bNvPublic(p.clone()).to_bytes()))
}

fn nv_name(p: &TpmsNvPublic) -> Vec<u8> {
    let mut n = p.name_alg.id().to_be_bytes().to_vec();
    n.extend_from_slice(&digest(p.name_alg, &[&p.to_bytes()]));
    n
}

fn start_params(k: &mut Corpus) {
    let null = sym(alg::NULL, &[]);
    let s256 = alg::SHA256;
    let mut one = |name: &str, nonce: &[u8], salt: &[u8], kind: u8, sy: &[u8], hash: u16| {
        k.one(
            format!("session/start/{name}"),
            sas(NULL, NULL, nonce, salt, kind, sy, hash),
        );
    };
    one("hmac", &[1; 16], &[], 0, &null, s256);
    one("policy", &[1; 16], &[], 1, &null, s256);
    one("trial", &[1; 16], &[], 3, &null, s256);
    one("nonce-15", &[1; 15], &[], 0, &null, s256);
    one("nonce-0", &[], &[], 0, &null, s256);
    one("nonce-33", &[1; 33], &[], 0, &null, s256);
    one("nonce-65", &[1; 65], &[], 0, &null, s256);
    one("sha1-nonce-20", &[1; 20], &[], 0, &null, alg::SHA1);
    one("sha1-nonce-21", &[1; 21], &[], 0, &null, alg::SHA1);
    one("sha512-nonce-64", &[1; 64], &[], 0, &null, alg::SHA512);
    one("salt-without-key", &[1; 16], b"x", 0, &null, s256);
    one("salt-385", &[1; 16], &[7; 385], 0, &null, s256);
    one("type-2", &[1; 16], &[], 2, &null, s256);
    one("type-4", &[1; 16], &[], 4, &null, s256);
    for (name, sy) in [
        ("aes128-cfb", sym(alg::AES, &[128, alg::CFB])),
        ("aes256-cfb", sym(alg::AES, &[256, alg::CFB])),
        ("aes192-cfb", sym(alg::AES, &[192, alg::CFB])),
        ("aes100-cfb", sym(alg::AES, &[100, alg::CFB])),
        ("aes128-cbc", sym(alg::AES, &[128, alg::CBC])),
        ("aes128-ctr", sym(alg::AES, &[128, alg::CTR])),
        ("aes128-null", sym(alg::AES, &[128, alg::NULL])),
        ("aes128-mode99", sym(alg::AES, &[128, 0x99])),
        ("xor-sha256", sym(alg::XOR, &[alg::SHA256])),
        ("xor-null", sym(alg::XOR, &[alg::NULL])),
        ("tdes-cfb", sym(alg::TDES, &[128, alg::CFB])),
        ("camellia-cfb", sym(alg::CAMELLIA, &[128, alg::CFB])),
        ("sm4-cfb", sym(alg::SM4, &[128, alg::CFB])),
        ("sym-99", sym(0x99, &[])),
    ] {
        one(&format!("sym/{name}"), &[1; 16], &[], 0, &sy, s256);
    }
    one("hash-null", &[1; 16], &[], 0, &null, alg::NULL);
    one("hash-sm3", &[1; 16], &[], 0, &null, alg::SM3_256);
    one("hash-99", &[1; 16], &[], 0, &null, 0x99);
    // Which check comes first: the mode at unmarshal or in the action.
    one(
        "nonce-15-aes-cbc",
        &[1; 15],
        &[],
        0,
        &sym(alg::AES, &[128, alg::CBC]),
        s256,
    );
    one(
        "nonce-15-aes-mode99",
        &[1; 15],
        &[],
        0,
        &sym(alg::AES, &[128, 0x99]),
        s256,
    );
    one(
        "salt-aes-ecb",
        &[1; 16],
        b"x",
        0,
        &sym(alg::AES, &[128, alg::ECB]),
        s256,
    );
    k.mutated(
        "session/start/mutated",
        vec![],
        0,
        sas(NULL, NULL, &[1; 16], &[], 0, &null, s256),
    );
    // tpmKey (TPMI_DH_OBJECT+) and bind (TPMI_DH_ENTITY+) handles.
    for key in [0x8000_0000u32, 0x8100_0000, 0x8180_0000, OWNER, 0x0100_0001] {
        k.one(
            format!("session/start/tpmkey-{key:08x}"),
            sas(key, NULL, &[1; 16], &[], 0, &null, s256),
        );
    }
    for bind in [
        OWNER,
        rh::LOCKOUT,
        rh::ENDORSEMENT,
        PLATFORM,
        rh::PW,
        0x4000_0010,
        0x4000_010F,
        rh::SRK,
        rh::PLATFORM_NV,
        0x8000_0000,
        0x8100_0000,
        0x0100_0001,
        5,
        23,
        24,
        0x100,
        H0,
        0x0300_0000,
    ] {
        k.one(
            format!("session/start/bind-{bind:08x}"),
            sas(NULL, bind, &[1; 16], &[], 0, &null, s256),
        );
    }
    let pin = nv_public(
        0x0100_0010,
        nv_attr::OWNERREAD | nv_attr::OWNERWRITE | nv_attr::NO_DA | (8 << 4),
        8,
    );
    let ord = nv_public(0x0100_0011, nv_attr::OWNERREAD | nv_attr::OWNERWRITE, 8);
    k.case(
        "session/start/bind-nv",
        vec![
            nv_define(&pin, b""),
            nv_define(&ord, b"pw"),
            c(sas(NULL, 0x0100_0010, &[1; 16], &[], 0, &null, s256)),
            c(sas(NULL, 0x0100_0011, &[1; 16], &[], 0, &null, s256)),
        ],
    );
    k.case(
        "session/start/bind-disabled-hierarchy",
        vec![
            c(Cmd::new(cc::HIERARCHY_CONTROL)
                .h(PLATFORM)
                .pw(b"")
                .u32(rh::ENDORSEMENT)
                .u8(0)),
            c(sas(NULL, rh::ENDORSEMENT, &[1; 16], &[], 0, &null, s256)),
        ],
    );
    k.case(
        "session/start/tpmkey-sequence",
        vec![
            c(Cmd::new(cc::HASH_SEQUENCE_START).b(b"").u16(alg::SHA256)),
            c(sas(0x8000_0000, NULL, &[1; 16], &[], 0, &null, s256)),
        ],
    );
}

fn table(k: &mut Corpus) {
    let handles = |from: u32| c(Cmd::new(cc::GET_CAPABILITY).u32(1).u32(from).u32(64));
    let flush = |h: u32| c(Cmd::new(cc::FLUSH_CONTEXT).u32(h));
    k.case(
        "session/limit",
        vec![
            plain(0),
            plain(1),
            plain(3),
            plain(0),
            handles(H0),
            handles(0x0200_0001),
            handles(0x0300_0000),
        ],
    );
    k.case(
        "session/flush",
        vec![
            plain(0),
            plain(1),
            flush(0x0300_0001),
            flush(0x0300_0001),
            flush(0x0300_0000),
            flush(0x0200_0040),
            flush(0x0200_0005),
            handles(H0),
            plain(3),
            handles(H0),
        ],
    );
    let restart = |h: u32| c(Cmd::new(cc::POLICY_RESTART).h(h));
    k.case(
        "session/policy-restart",
        vec![
            plain(0),
            plain(1),
            restart(0x0300_0001),
            restart(0x0300_0000),
            restart(H0),
            restart(0x0300_0005),
            restart(0x0300_0040),
        ],
    );
    k.case(
        "session/startup-flushes",
        vec![
            plain(0),
            plain(1),
            Step::Init,
            c(Cmd::new(cc::STARTUP).u16(0)),
            handles(H0),
        ],
    );
}

/// Session-area rules with fixed bytes: an unbound, unsalted session authorizing an
/// entity with an Empty authValue may send an empty HMAC.
fn area(k: &mut Corpus) {
    let reset = || Cmd::new(cc::PCR_RESET).h(16);
    let gr = || Cmd::new(cc::GET_RANDOM);
    let n = [0x33u8; 16];
    let one = |cmd: Cmd| c(cmd);
    let cases: Vec<(&str, Vec<Step>)> = vec![
        (
            "empty-hmac",
            vec![plain(0), one(reset().session(H0, &n, 1, &[]))],
        ),
        (
            "continue-clear",
            vec![
                plain(0),
                one(reset().session(H0, &n, 0, &[])),
                one(reset().session(H0, &n, 1, &[])),
            ],
        ),
        (
            "short-nonce",
            vec![plain(0), one(reset().session(H0, &[], 1, &[]))],
        ),
        (
            "wrong-hmac",
            vec![plain(0), one(reset().session(H0, &n, 1, &[1; 32]))],
        ),
        (
            "trial",
            vec![plain(3), one(reset().session(0x0300_0000, &n, 1, &[]))],
        ),
        (
            "policy-handle-for-hmac",
            vec![plain(0), one(reset().session(0x0300_0000, &n, 1, &[]))],
        ),
        (
            "twice",
            vec![
                plain(0),
                one(reset().session(H0, &n, 1, &[]).session(H0, &n, 0x81, &[])),
            ],
        ),
        (
            "unloaded-second",
            vec![
                plain(0),
                one(reset()
                    .session(H0, &n, 1, &[])
                    .session(0x0200_0030, &n, 0x81, &[])),
            ],
        ),
        (
            "beyond-slots",
            vec![one(reset().session(0x0200_0040, &n, 1, &[]))],
        ),
        (
            "audit-getrandom",
            vec![plain(0), one(gr().session(H0, &n, 0x81, &[]).u16(4))],
        ),
        (
            "no-use-getrandom",
            vec![plain(0), one(gr().session(H0, &n, 1, &[]).u16(4))],
        ),
        (
            "decrypt-getrandom",
            vec![plain(0), one(gr().session(H0, &n, 0x21, &[]).u16(4))],
        ),
        (
            "encrypt-null-sym",
            vec![plain(0), one(gr().session(H0, &n, 0x41, &[]).u16(4))],
        ),
        (
            "decrypt-null-sym",
            vec![
                plain(0),
                one(Cmd::new(cc::HIERARCHY_CHANGE_AUTH)
                    .h(PLATFORM)
                    .session(H0, &n, 0x21, &[])
                    .b(b"")),
            ],
        ),
        (
            "audit-policy",
            vec![
                plain(1),
                one(gr().session(0x0300_0000, &n, 0x81, &[]).u16(4)),
            ],
        ),
        (
            "audit-and-auth",
            vec![plain(0), one(reset().session(H0, &n, 0x81, &[]))],
        ),
        (
            "pw-then-audit",
            vec![plain(0), one(reset().pw(b"").session(H0, &n, 0x81, &[]))],
        ),
        (
            "pw-wrong-then-trial",
            vec![
                plain(3),
                one(reset().pw(b"x").session(0x0300_0000, &n, 1, &[])),
            ],
        ),
        (
            "audit-exclusive",
            vec![
                plain(0),
                one(gr().session(H0, &n, 0x81, &[]).u16(4)),
                one(gr().session(H0, &n, 0x83, &[]).u16(4)),
                one(gr().u16(4)),
                one(gr().session(H0, &n, 0x83, &[]).u16(4)),
                one(gr().session(H0, &n, 0x81, &[]).u16(4)),
                one(gr().session(H0, &n, 0x85, &[]).u16(4)),
            ],
        ),
        (
            "flush-with-session",
            vec![
                plain(0),
                one(Cmd::new(cc::FLUSH_CONTEXT)
                    .session(H0, &n, 0x81, &[])
                    .u32(H0)),
            ],
        ),
    ];
    for (name, steps) in cases {
        k.case(format!("session/area/{name}"), steps);
    }
    k.mutated(
        "session/area/mutated",
        vec![plain(0)],
        0,
        reset().session(H0, &n, 1, &[]),
    );
}

/// HMACs computed per TPM.
fn hmac_cases(k: &mut Corpus) {
    let null = || sym(alg::NULL, &[]);
    let hca = |h: u32, new: &[u8], uses: Vec<AuthUse>| {
        auth(cc::HIERARCHY_CHANGE_AUTH, &[h], &[hn(h)], b2(new), uses)
    };
    k.case(
        "session/hmac/platform",
        vec![
            change_auth(PLATFORM, b"", b"plat"),
            start(NULL, b"", 0, null()),
            hca(PLATFORM, b"plat", vec![s(0, 1, Some(b"plat"))]),
            hca(PLATFORM, b"plat", vec![s(0, 1, Some(b"nope"))]),
            hca(PLATFORM, b"plat", vec![s(0, 1, Some(b"plat"))]),
            auth(
                cc::HIERARCHY_CHANGE_AUTH,
                &[PLATFORM],
                &[hn(OWNER)],
                b2(b"plat"),
                vec![s(0, 1, Some(b"plat"))],
            ),
            hca(PLATFORM, b"plat", vec![s(0, 0, Some(b"plat"))]),
            hca(PLATFORM, b"plat", vec![s(0, 1, Some(b"plat"))]),
        ],
    );
    k.case(
        "session/hmac/bound-owner",
        vec![
            change_auth(OWNER, b"", b"abc"),
            change_auth(PLATFORM, b"", b"plat"),
            start(OWNER, b"abc", 0, null()),
            hca(OWNER, b"abc", vec![s(0, 1, None)]),
            hca(OWNER, b"abc", vec![s(0, 1, Some(b"abc"))]),
            hca(PLATFORM, b"plat", vec![s(0, 1, Some(b"plat"))]),
            change_auth(OWNER, b"abc", b"xyz"),
            hca(OWNER, b"xyz", vec![s(0, 1, None)]),
            hca(OWNER, b"xyz", vec![s(0, 1, Some(b"xyz"))]),
        ],
    );
    let p = nv_public(0x0150_0002, nv_attr::AUTHREAD | nv_attr::AUTHWRITE, 8);
    let h = p.nv_index;
    let mut written = p.clone();
    written.attributes |= nv_attr::WRITTEN;
    let (n0, n1) = (nv_name(&p), nv_name(&written));
    let write = |names: &Vec<u8>, a: &[u8]| {
        let mut prm = b2(b"12345678");
        prm.extend_from_slice(&0u16.to_be_bytes());
        auth(
            cc::NV_WRITE,
            &[h, h],
            &[names.clone(), names.clone()],
            prm,
            vec![s(0, 1, Some(a))],
        )
    };
    let read = |names: &Vec<u8>, a: &[u8], idx: usize| {
        let prm = [8u16.to_be_bytes(), 0u16.to_be_bytes()].concat();
        auth(
            cc::NV_READ,
            &[h, h],
            &[names.clone(), names.clone()],
            prm,
            vec![s(idx, 1, Some(a))],
        )
    };
    let da = c(Cmd::new(cc::DICTIONARY_ATTACK_PARAMETERS)
        .h(rh::LOCKOUT)
        .pw(b"")
        .u32(4)
        .u32(1000)
        .u32(1000));
    k.case(
        "session/hmac/nv-names-and-da",
        vec![
            da.clone(),
            nv_define(&p, b"nv"),
            start(NULL, b"", 0, null()),
            write(&vec![0, 0, 0, 0], b"nv"),
            write(&n0, b"bad"),
            write(&n0, b"bad"),
            write(&n0, b"nv"),
            read(&n0, b"nv", 0),
            read(&n1, b"nv", 0),
        ],
    );
    k.case(
        "session/hmac/da-bound",
        vec![
            da.clone(),
            nv_define(&p, b"nv"),
            start(h, b"nv", 0, null()),
            start(NULL, b"", 0, null()),
            hca(OWNER, b"", vec![s(0, 1, Some(b"bad"))]),
            hca(OWNER, b"", vec![s(0, 1, Some(b"bad"))]),
            hca(OWNER, b"", vec![s(1, 1, Some(b"bad"))]),
            start(rh::LOCKOUT, b"", 0, null()),
            hca(OWNER, b"", vec![s(2, 1, Some(b"bad"))]),
            c(Cmd::new(cc::DICTIONARY_ATTACK_LOCK_RESET)
                .h(rh::LOCKOUT)
                .pw(b"")),
            hca(OWNER, b"", vec![s(0, 1, Some(b"bad"))]),
            hca(OWNER, b"", vec![s(0, 1, Some(b"bad"))]),
            hca(OWNER, b"", vec![s(0, 1, Some(b""))]),
            auth(
                cc::GET_RANDOM,
                &[],
                &[],
                4u16.to_be_bytes().to_vec(),
                vec![s(0, 0x81, None)],
            ),
        ],
    );
    // The first session's HMAC covers the nonce of a separate decrypt session.
    let pe = nv_public(
        0x0150_0003,
        nv_attr::AUTHREAD | nv_attr::AUTHWRITE | nv_attr::NO_DA,
        16,
    );
    let he = pe.nv_index;
    let mut pw = pe.clone();
    pw.attributes |= nv_attr::WRITTEN;
    let (e0, e1) = (nv_name(&pe), nv_name(&pw));
    let mut wp = b2(b"sixteen secrets!");
    wp.extend_from_slice(&0u16.to_be_bytes());
    let rp = [16u16.to_be_bytes(), 0u16.to_be_bytes()].concat();
    for (name, sy) in [
        ("aes128", sym(alg::AES, &[128, alg::CFB])),
        ("aes256", sym(alg::AES, &[256, alg::CFB])),
        ("xor-sha1", sym(alg::XOR, &[alg::SHA1])),
    ] {
        k.case(
            format!("session/crypt/{name}"),
            vec![
                nv_define(&pe, b"nv"),
                start(NULL, b"", 0, sy.clone()),
                start(he, b"nv", 0, sy.clone()),
                auth(
                    cc::NV_WRITE,
                    &[he, he],
                    &[e0.clone(), e0.clone()],
                    wp.clone(),
                    vec![s(0, 0x21, Some(b"nv"))],
                ),
                auth(
                    cc::NV_READ,
                    &[he, he],
                    &[e1.clone(), e1.clone()],
                    rp.clone(),
                    vec![s(0, 0x41, Some(b"nv"))],
                ),
                auth(
                    cc::NV_READ,
                    &[he, he],
                    &[e1.clone(), e1.clone()],
                    rp.clone(),
                    vec![AuthUse::Session {
                        index: 1,
                        attrs: 0x41,
                        auth: None,
                        crypt_auth: b"nv".to_vec(),
                    }],
                ),
                auth(
                    cc::NV_WRITE,
                    &[he, he],
                    &[e1.clone(), e1.clone()],
                    wp.clone(),
                    vec![AuthUse::Pw(b"nv".to_vec()), s(1, 0x20, None)],
                ),
                auth(
                    cc::NV_READ,
                    &[he, he],
                    &[e1.clone(), e1.clone()],
                    rp.clone(),
                    vec![s(0, 1, Some(b"nv")), s(1, 0x40, None)],
                ),
            ],
        );
    }
    k.case(
        "session/hmac/sequence",
        vec![
            c(Cmd::new(cc::HASH_SEQUENCE_START).b(b"sq").u16(alg::SHA256)),
            start(NULL, b"", 0, null()),
            auth(
                cc::SEQUENCE_UPDATE,
                &[0x8000_0000],
                &[hn(0x8000_0000)],
                b2(b"abc"),
                vec![s(0, 1, Some(b"sq"))],
            ),
            auth(
                cc::SEQUENCE_UPDATE,
                &[0x8000_0000],
                &[vec![]],
                b2(b"abc"),
                vec![s(0, 1, Some(b"sq"))],
            ),
        ],
    );
}

pub fn add(k: &mut Corpus) {
    start_params(k);
    table(k);
    area(k);
    hmac_cases(k);
}
