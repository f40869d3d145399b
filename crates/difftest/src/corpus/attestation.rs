//! Attestation: TPM2_Quote, TPM2_Certify, TPM2_CertifyCreation, TPM2_GetTime and
//! TPM2_NV_Certify — signed by restricted and unrestricted keys of the owner and
//! endorsement hierarchies and unsigned (`TPM_RH_NULL`), the NV digest form, and the
//! key, scheme, ticket, handle and NV access errors.
//!
//! The signing keys differ between the TPMs (different seeds), so successful answers
//! compare by shape (`compare::attested`); errors compare exactly. CertifyCreation takes
//! each TPM's own creation ticket ([`super::Part::Ticket`]).

use super::{c, Corpus, Part, RefCmd, Step};
use crate::cmd::Cmd;
use tpm2_types::constants::{alg, cc, ecc_curve, nv_attr as n, obj_attr as a, rh, st};

const OWNER: u32 = rh::OWNER;
const ENDORSEMENT: u32 = rh::ENDORSEMENT;
const NULL: u32 = rh::NULL;
const T0: u32 = 0x8000_0000;
const T1: u32 = 0x8000_0001;
const IX: u32 = 0x0150_0020;

const BASE: u32 = a::FIXED_TPM | a::FIXED_PARENT | a::SENSITIVE_DATA_ORIGIN | a::USER_WITH_AUTH;
const SIGNING: u32 = BASE | a::SIGN_ENCRYPT;
const AK: u32 = SIGNING | a::RESTRICTED;
const STORAGE: u32 = BASE | a::RESTRICTED | a::DECRYPT;

fn b2(d: &[u8]) -> Vec<u8> {
    let mut v = (d.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(d);
    v
}

fn u16s(v: &[u16]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_be_bytes()).collect()
}

fn null() -> Vec<u8> {
    u16s(&[alg::NULL])
}

fn sch(s: u16, h: u16) -> Vec<u8> {
    u16s(&[s, h])
}

/// `TPM2B_PUBLIC` of an ECC P-256 key.
fn ecc(attrs: u32, sym: Vec<u8>, scheme: Vec<u8>) -> Vec<u8> {
    let mut v = u16s(&[alg::ECC, alg::SHA256]);
    v.extend_from_slice(&attrs.to_be_bytes());
    v.extend(b2(&[]));
    v.extend(sym);
    v.extend(scheme);
    v.extend(u16s(&[ecc_curve::NIST_P256]));
    v.extend(null());
    v.extend(b2(&[]));
    v.extend(b2(&[]));
    b2(&v)
}

/// `TPM2B_PUBLIC` of an RSA-2048 key.
fn rsa(attrs: u32, sym: Vec<u8>, scheme: Vec<u8>) -> Vec<u8> {
    let mut v = u16s(&[alg::RSA, alg::SHA256]);
    v.extend_from_slice(&attrs.to_be_bytes());
    v.extend(b2(&[]));
    v.extend(sym);
    v.extend(scheme);
    v.extend(u16s(&[2048]));
    v.extend_from_slice(&0u32.to_be_bytes());
    v.extend(b2(&[]));
    b2(&v)
}

fn primary(h: u32, public: Vec<u8>) -> Step {
    c(Cmd::new(cc::CREATE_PRIMARY)
        .h(h)
        .pw(b"")
        .raw(&b2(&[b2(&[]), b2(&[])].concat()))
        .raw(&public)
        .b(&[])
        .u32(0))
}

fn ecc_ak() -> Vec<u8> {
    ecc(AK, null(), sch(alg::ECDSA, alg::SHA256))
}

fn ecc_any() -> Vec<u8> {
    ecc(SIGNING, null(), null())
}

fn rsa_ak() -> Vec<u8> {
    rsa(AK, null(), sch(alg::RSASSA, alg::SHA256))
}

fn srk() -> Vec<u8> {
    ecc(STORAGE, u16s(&[alg::AES, 128, alg::CFB]), null())
}

/// `TPML_PCR_SELECTION` of one bank.
fn sel(hash: u16, bits: [u8; 3]) -> Vec<u8> {
    let mut v = 1u32.to_be_bytes().to_vec();
    v.extend(u16s(&[hash]));
    v.push(3);
    v.extend_from_slice(&bits);
    v
}

fn quote(key: u32, nonce: &[u8], scheme: Vec<u8>, selection: Vec<u8>) -> Cmd {
    Cmd::new(cc::QUOTE)
        .h(key)
        .pw(b"")
        .b(nonce)
        .raw(&scheme)
        .raw(&selection)
}

fn certify(object: u32, key: u32, pw: &[u8], nonce: &[u8], scheme: Vec<u8>) -> Cmd {
    Cmd::new(cc::CERTIFY)
        .h(object)
        .h(key)
        .pw(pw)
        .pw(b"")
        .b(nonce)
        .raw(&scheme)
}

fn get_time(privacy: u32, key: u32, scheme: Vec<u8>) -> Cmd {
    Cmd::new(cc::GET_TIME)
        .h(privacy)
        .h(key)
        .pw(b"")
        .pw(b"")
        .b(b"time")
        .raw(&scheme)
}

fn nv_certify(key: u32, auth: u32, size: u16, offset: u16) -> Cmd {
    Cmd::new(cc::NV_CERTIFY)
        .h(key)
        .h(auth)
        .h(IX)
        .pw(b"")
        .pw(b"")
        .b(b"nv")
        .raw(&null())
        .u16(size)
        .u16(offset)
}

fn nv_public(attrs: u32, size: u16) -> Vec<u8> {
    let mut v = IX.to_be_bytes().to_vec();
    v.extend(u16s(&[alg::SHA256]));
    v.extend_from_slice(&attrs.to_be_bytes());
    v.extend(b2(&[]));
    v.extend(u16s(&[size]));
    v
}

fn nv_define(attrs: u32) -> Step {
    c(Cmd::new(cc::NV_DEFINE_SPACE)
        .h(OWNER)
        .pw(b"")
        .b(b"")
        .b(&nv_public(attrs, 16)))
}

fn nv_write() -> Step {
    c(Cmd::new(cc::NV_WRITE)
        .h(IX)
        .h(IX)
        .pw(b"")
        .b(b"0123456789abcdef")
        .u16(0))
}

pub fn add(k: &mut Corpus) {
    let first = k.cases.len();
    cases(k);
    for case in &mut k.cases[first..] {
        super::with_da_warm_up(&mut case.steps);
    }
}

fn cases(k: &mut Corpus) {
    let all = sel(alg::SHA256, [0xff, 0xff, 0xff]);
    let some = sel(alg::SHA256, [0x07, 0x00, 0x01]);
    // Quote.
    k.case(
        "attest/quote/ecdsa-owner",
        vec![
            primary(OWNER, ecc_ak()),
            c(quote(T0, b"nonce", null(), some.clone())),
        ],
    );
    k.case(
        "attest/quote/rsa-endorsement-all-pcrs",
        vec![
            primary(ENDORSEMENT, rsa_ak()),
            c(quote(T0, &[7; 32], null(), all.clone())),
        ],
    );
    k.case(
        "attest/quote/any-key-sha384",
        vec![
            primary(OWNER, ecc_any()),
            c(quote(T0, b"", sch(alg::ECDSA, alg::SHA384), some.clone())),
        ],
    );
    k.case(
        "attest/quote/sha1-bank",
        vec![
            primary(ENDORSEMENT, ecc_ak()),
            c(quote(T0, b"x", null(), sel(alg::SHA1, [0x01, 0x80, 0x00]))),
        ],
    );
    k.case(
        "attest/quote/sha512-bank",
        vec![
            primary(ENDORSEMENT, ecc_ak()),
            c(quote(T0, b"x", null(), sel(alg::SHA512, [0x01, 0, 0]))),
        ],
    );
    k.case(
        "attest/quote/after-extend",
        vec![
            c(Cmd::new(cc::PCR_EXTEND)
                .h(3)
                .pw(b"")
                .u32(1)
                .u16(alg::SHA256)
                .raw(&[0x11; 32])),
            primary(ENDORSEMENT, ecc_ak()),
            c(quote(T0, b"", null(), sel(alg::SHA256, [0x08, 0, 0]))),
        ],
    );
    k.case(
        "attest/quote/empty-selection",
        vec![
            primary(ENDORSEMENT, ecc_ak()),
            c(quote(T0, b"", null(), 0u32.to_be_bytes().to_vec())),
        ],
    );
    k.one(
        "attest/quote/null-key",
        quote(NULL, b"n", null(), some.clone()),
    );
    k.one(
        "attest/quote/null-key-with-scheme",
        quote(NULL, b"n", sch(alg::ECDSA, alg::SHA256), some.clone()),
    );
    k.case(
        "attest/quote/other-hash",
        vec![
            primary(OWNER, ecc_ak()),
            c(quote(T0, b"", sch(alg::ECDSA, alg::SHA384), some.clone())),
        ],
    );
    k.case(
        "attest/quote/rsa-scheme-on-ecc",
        vec![
            primary(OWNER, ecc_any()),
            c(quote(T0, b"", sch(alg::RSASSA, alg::SHA256), some.clone())),
        ],
    );
    k.case(
        "attest/quote/no-scheme",
        vec![
            primary(OWNER, ecc_any()),
            c(quote(T0, b"", null(), some.clone())),
        ],
    );
    k.case(
        "attest/quote/storage-key",
        vec![
            primary(OWNER, srk()),
            c(quote(T0, b"", null(), some.clone())),
        ],
    );
    k.case(
        "attest/quote/nonce-too-long",
        vec![
            primary(OWNER, ecc_ak()),
            c(quote(T0, &[1; 67], null(), some.clone())),
        ],
    );
    k.case(
        "attest/quote/bad-bank",
        vec![
            primary(OWNER, ecc_ak()),
            c(quote(T0, b"", null(), sel(0x0099, [1, 0, 0]))),
        ],
    );
    k.one(
        "attest/quote/no-object",
        quote(T0, b"", null(), some.clone()),
    );
    k.mutated(
        "attest/quote/m",
        vec![primary(OWNER, ecc_ak())],
        0,
        quote(T0, b"nonce", null(), some.clone()),
    );
    // Certify.
    k.case(
        "attest/certify/endorsement-ak",
        vec![
            primary(ENDORSEMENT, ecc_ak()),
            primary(OWNER, srk()),
            c(certify(T1, T0, b"", b"q", null())),
        ],
    );
    k.case(
        "attest/certify/self-rsa",
        vec![
            primary(OWNER, rsa_ak()),
            c(certify(T0, T0, b"", b"", sch(alg::RSASSA, alg::SHA256))),
        ],
    );
    k.case(
        "attest/certify/null-key",
        vec![
            primary(OWNER, srk()),
            c(certify(T0, NULL, b"", b"n", null())),
        ],
    );
    k.case(
        "attest/certify/sign-with-storage",
        vec![
            primary(OWNER, srk()),
            primary(OWNER, srk()),
            c(certify(T0, T1, b"", b"", null())),
        ],
    );
    k.case(
        "attest/certify/wrong-scheme",
        vec![
            primary(OWNER, ecc_ak()),
            c(certify(T0, T0, b"", b"", sch(alg::ECSCHNORR, alg::SHA256))),
        ],
    );
    k.case(
        "attest/certify/object-null",
        vec![
            primary(OWNER, ecc_ak()),
            c(certify(NULL, T0, b"", b"", null())),
        ],
    );
    k.case(
        "attest/certify/wrong-object-password",
        vec![
            primary(OWNER, ecc_ak()),
            c(certify(T0, T0, b"bad", b"", null())),
        ],
    );
    k.mutated(
        "attest/certify/m",
        vec![primary(OWNER, ecc_ak())],
        0,
        certify(T0, T0, b"", b"q", null()),
    );
    // CertifyCreation: failures (see the module comment).
    let cc_cmd = |sign: u32, ticket: Part| RefCmd {
        loc: 0,
        code: cc::CERTIFY_CREATION,
        handles: vec![sign, T0],
        pws: vec![b"".to_vec()],
        parts: vec![
            Part::Raw(b2(b"cq")),
            Part::Field { step: 1, index: 2 },
            Part::Raw(null()),
            ticket,
        ],
    };
    let ticket = |tag: u16, h: u32, d: &[u8]| {
        let mut v = tag.to_be_bytes().to_vec();
        v.extend_from_slice(&h.to_be_bytes());
        v.extend(b2(d));
        v
    };
    for (name, sign, t) in [
        ("bogus-ticket", T0, ticket(st::CREATION, OWNER, &[0; 64])),
        ("empty-ticket", T0, ticket(st::CREATION, OWNER, &[])),
        (
            "null-key-bogus-ticket",
            NULL,
            ticket(st::CREATION, OWNER, &[1; 64]),
        ),
        ("ticket-tag", T0, ticket(st::HASHCHECK, OWNER, &[])),
        (
            "ticket-hierarchy",
            T0,
            ticket(st::CREATION, 0x4000_0003, &[]),
        ),
    ] {
        k.case(
            format!("attest/certify-creation/{name}"),
            vec![
                primary(OWNER, ecc_ak()),
                Step::Ref(cc_cmd(sign, Part::Raw(t))),
            ],
        );
    }
    k.case(
        "attest/certify-creation/storage-signer",
        vec![
            primary(OWNER, srk()),
            Step::Ref(RefCmd {
                handles: vec![T0, T0],
                ..cc_cmd(T0, Part::Raw(ticket(st::CREATION, OWNER, &[0; 64])))
            }),
        ],
    );
    // The TPM's own creation ticket (CreatePrimary's, after three TPM2Bs): signed, unsigned,
    // and damaged.
    let own = || Part::Ticket { step: 1, after: 3 };
    for (name, sign, t) in [
        ("own-ticket", T0, own()),
        ("own-ticket-unsigned", NULL, own()),
        (
            "own-ticket-damaged",
            T0,
            Part::Flip {
                part: Box::new(own()),
                at: -1,
                mask: 0x01,
            },
        ),
    ] {
        k.case(
            format!("attest/certify-creation/{name}"),
            vec![primary(OWNER, ecc_ak()), Step::Ref(cc_cmd(sign, t))],
        );
    }
    // GetTime.
    k.case(
        "attest/get-time/endorsement-ak",
        vec![
            primary(ENDORSEMENT, ecc_ak()),
            c(get_time(ENDORSEMENT, T0, null())),
        ],
    );
    k.case(
        "attest/get-time/owner-rsa",
        vec![
            primary(OWNER, rsa_ak()),
            c(get_time(ENDORSEMENT, T0, null())),
        ],
    );
    k.one(
        "attest/get-time/null-key",
        get_time(ENDORSEMENT, NULL, null()),
    );
    k.one(
        "attest/get-time/privacy-owner",
        get_time(OWNER, NULL, null()),
    );
    k.one(
        "attest/get-time/privacy-platform",
        get_time(rh::PLATFORM, NULL, null()),
    );
    k.case(
        "attest/get-time/wrong-scheme",
        vec![
            primary(ENDORSEMENT, ecc_ak()),
            c(get_time(ENDORSEMENT, T0, sch(alg::ECDSA, alg::SHA1))),
        ],
    );
    k.mutated(
        "attest/get-time/m",
        vec![primary(ENDORSEMENT, ecc_ak())],
        0,
        get_time(ENDORSEMENT, T0, null()),
    );
    // NV_Certify.
    let rw = n::AUTHREAD | n::AUTHWRITE | n::NO_DA;
    let written = |key: Vec<u8>| vec![primary(ENDORSEMENT, key), nv_define(rw), nv_write()];
    for (name, size, offset) in [
        ("data", 4u16, 2u16),
        ("all-data", 16, 0),
        ("digest", 0, 0),
        ("empty-at-end", 0, 16),
        ("range", 8, 9),
        ("offset-past-end", 0, 17),
        ("size-too-big", 1025, 0),
    ] {
        let mut steps = written(ecc_ak());
        steps.push(c(nv_certify(T0, IX, size, offset)));
        k.case(format!("attest/nv-certify/{name}"), steps);
    }
    let mut steps = written(rsa_ak());
    steps.push(c(nv_certify(T0, IX, 0, 0)));
    k.case("attest/nv-certify/digest-rsa", steps);
    let mut steps = written(ecc_ak());
    steps.push(c(nv_certify(NULL, IX, 0, 0)));
    k.case("attest/nv-certify/null-key-digest", steps);
    let mut steps = written(ecc_ak());
    steps.push(c(nv_certify(NULL, IX, 3, 1)));
    k.case("attest/nv-certify/null-key-data", steps);
    let mut steps = written(ecc_ak());
    steps.push(c(nv_certify(T0, OWNER, 4, 0)));
    k.case("attest/nv-certify/owner-not-allowed", steps);
    k.case(
        "attest/nv-certify/unwritten",
        vec![
            primary(ENDORSEMENT, ecc_ak()),
            nv_define(rw),
            c(nv_certify(T0, IX, 4, 0)),
        ],
    );
    k.case(
        "attest/nv-certify/unwritten-digest",
        vec![
            primary(ENDORSEMENT, ecc_ak()),
            nv_define(rw),
            c(nv_certify(T0, IX, 0, 0)),
        ],
    );
    k.case(
        "attest/nv-certify/no-index",
        vec![primary(ENDORSEMENT, ecc_ak()), c(nv_certify(T0, IX, 4, 0))],
    );
    k.mutated(
        "attest/nv-certify/m",
        written(ecc_ak()),
        0,
        nv_certify(T0, IX, 4, 2),
    );
}
