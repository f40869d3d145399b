//! Audit: TPM2_SetCommandCodeAuditStatus (list and algorithm rules), command audit as
//! TPM2_GetCommandAuditDigest reports it (digest, counter, algorithm, command list
//! digest; cleared by a signed report, an algorithm change and a TPM Reset, kept by a TPM
//! Restart) and TPM2_GetSessionAuditDigest (digest and exclusivity of an audit session).
//!
//! The audited commands are deterministic (TPM2_Hash, TPM2_PCR_Extend and the audit
//! command itself, on permanent handles), so both TPMs' audit digests must be equal byte
//! for byte; only signed reports compare by shape (`compare::attested`).

use super::{c, Corpus, Step};
use crate::cmd::Cmd;
use tpm2_types::constants::{alg, cc, ecc_curve, obj_attr as a, rh, su};

const OWNER: u32 = rh::OWNER;
const PLATFORM: u32 = rh::PLATFORM;
const ENDORSEMENT: u32 = rh::ENDORSEMENT;
const NULL: u32 = rh::NULL;
const T0: u32 = 0x8000_0000;
const H0: u32 = 0x0200_0000;
const NONCE: [u8; 16] = [0x33; 16];
/// `continueSession | audit`.
const AUDIT: u8 = 0x81;

fn u16s(v: &[u16]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_be_bytes()).collect()
}

fn b2(d: &[u8]) -> Vec<u8> {
    let mut v = (d.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(d);
    v
}

/// `TPML_CC`.
fn ccs(v: &[u32]) -> Vec<u8> {
    let mut out = (v.len() as u32).to_be_bytes().to_vec();
    for x in v {
        out.extend_from_slice(&x.to_be_bytes());
    }
    out
}

fn set_status_on(h: u32, hash: u16, set: &[u32], clear: &[u32]) -> Cmd {
    Cmd::new(cc::SET_COMMAND_CODE_AUDIT_STATUS)
        .h(h)
        .pw(b"")
        .u16(hash)
        .raw(&ccs(set))
        .raw(&ccs(clear))
}

fn set_status(hash: u16, set: &[u32], clear: &[u32]) -> Cmd {
    set_status_on(OWNER, hash, set, clear)
}

fn hash(data: &[u8]) -> Cmd {
    Cmd::new(cc::HASH).b(data).u16(alg::SHA256).u32(NULL)
}

fn extend16() -> Cmd {
    Cmd::new(cc::PCR_EXTEND)
        .h(16)
        .pw(b"")
        .u32(1)
        .u16(alg::SHA256)
        .raw(&[0x5A; 32])
}

fn command_digest_on(privacy: u32, key: u32, scheme: &[u16]) -> Cmd {
    Cmd::new(cc::GET_COMMAND_AUDIT_DIGEST)
        .h(privacy)
        .h(key)
        .pw(b"")
        .pw(b"")
        .b(b"nonce")
        .raw(&u16s(scheme))
}

fn command_digest() -> Step {
    c(command_digest_on(ENDORSEMENT, NULL, &[alg::NULL]))
}

fn session_digest_on(privacy: u32, key: u32, session: u32) -> Cmd {
    Cmd::new(cc::GET_SESSION_AUDIT_DIGEST)
        .h(privacy)
        .h(key)
        .h(session)
        .pw(b"")
        .pw(b"")
        .b(b"q")
        .u16(alg::NULL)
}

fn audit_caps() -> Step {
    c(Cmd::new(cc::GET_CAPABILITY)
        .u32(tpm2_types::constants::cap::AUDIT_COMMANDS)
        .u32(0)
        .u32(64))
}

/// An unbound, unsalted SHA-256 HMAC session (fixed bytes): 0x02000000 on both TPMs.
fn hmac_session() -> Step {
    c(Cmd::new(cc::START_AUTH_SESSION)
        .h(NULL)
        .h(NULL)
        .b(&[0x11; 16])
        .b(&[])
        .u8(0)
        .u16(alg::NULL)
        .u16(alg::SHA256))
}

/// An ECDSA P-256 restricted signing key in the endorsement hierarchy (T0).
fn ak() -> Step {
    let attrs = a::FIXED_TPM
        | a::FIXED_PARENT
        | a::SENSITIVE_DATA_ORIGIN
        | a::USER_WITH_AUTH
        | a::SIGN_ENCRYPT
        | a::RESTRICTED;
    let mut p = u16s(&[alg::ECC, alg::SHA256]);
    p.extend_from_slice(&attrs.to_be_bytes());
    p.extend(b2(&[]));
    p.extend(u16s(&[
        alg::NULL,
        alg::ECDSA,
        alg::SHA256,
        ecc_curve::NIST_P256,
        alg::NULL,
    ]));
    p.extend(b2(&[]));
    p.extend(b2(&[]));
    c(Cmd::new(cc::CREATE_PRIMARY)
        .h(ENDORSEMENT)
        .pw(b"")
        .raw(&b2(&[b2(&[]), b2(&[])].concat()))
        .raw(&b2(&p))
        .b(&[])
        .u32(0))
}

/// A storage key (not a signing key) in the endorsement hierarchy (T0).
fn storage() -> Step {
    let attrs = a::FIXED_TPM
        | a::FIXED_PARENT
        | a::SENSITIVE_DATA_ORIGIN
        | a::USER_WITH_AUTH
        | a::DECRYPT
        | a::RESTRICTED;
    let mut p = u16s(&[alg::ECC, alg::SHA256]);
    p.extend_from_slice(&attrs.to_be_bytes());
    p.extend(b2(&[]));
    p.extend(u16s(&[
        alg::AES,
        128,
        alg::CFB,
        alg::NULL,
        ecc_curve::NIST_P256,
        alg::NULL,
    ]));
    p.extend(b2(&[]));
    p.extend(b2(&[]));
    c(Cmd::new(cc::CREATE_PRIMARY)
        .h(ENDORSEMENT)
        .pw(b"")
        .raw(&b2(&[b2(&[]), b2(&[])].concat()))
        .raw(&b2(&p))
        .b(&[])
        .u32(0))
}

pub fn add(k: &mut Corpus) {
    set(k);
    command(k);
    session(k);
}

/// TPM2_SetCommandCodeAuditStatus: lists, algorithm changes and their errors.
fn set(k: &mut Corpus) {
    let cases: Vec<(&str, Vec<Step>)> = vec![
        ("fresh-list", vec![audit_caps()]),
        (
            "add-and-list",
            vec![
                c(set_status(alg::NULL, &[cc::HASH, cc::PCR_EXTEND], &[])),
                audit_caps(),
            ],
        ),
        (
            "add-then-clear",
            vec![
                c(set_status(alg::NULL, &[cc::HASH, cc::PCR_EXTEND], &[])),
                c(set_status(alg::NULL, &[], &[cc::HASH])),
                audit_caps(),
            ],
        ),
        (
            "clear-self",
            vec![
                c(set_status(
                    alg::NULL,
                    &[],
                    &[cc::SET_COMMAND_CODE_AUDIT_STATUS],
                )),
                audit_caps(),
            ],
        ),
        (
            "set-and-clear-same",
            vec![
                c(set_status(alg::NULL, &[cc::HASH], &[cc::HASH])),
                audit_caps(),
            ],
        ),
        (
            "unimplemented-codes",
            vec![
                c(set_status(alg::NULL, &[0x0FFF, 0x2000_0001], &[0x0FFF])),
                audit_caps(),
            ],
        ),
        (
            "platform",
            vec![
                c(set_status_on(PLATFORM, alg::NULL, &[cc::HASH], &[])),
                audit_caps(),
            ],
        ),
        (
            "endorsement",
            vec![c(set_status_on(ENDORSEMENT, alg::NULL, &[], &[]))],
        ),
        (
            "lockout",
            vec![c(set_status_on(rh::LOCKOUT, alg::NULL, &[], &[]))],
        ),
        (
            "wrong-password",
            vec![c(Cmd::new(cc::SET_COMMAND_CODE_AUDIT_STATUS)
                .h(OWNER)
                .pw(b"x")
                .u16(alg::NULL)
                .raw(&ccs(&[]))
                .raw(&ccs(&[])))],
        ),
        ("bad-alg", vec![c(set_status(alg::AES, &[], &[]))]),
        ("unknown-alg", vec![c(set_status(0x00F0, &[], &[]))]),
        (
            "alg-change-with-set",
            vec![c(set_status(alg::SHA1, &[cc::HASH], &[])), audit_caps()],
        ),
        (
            "alg-change-with-clear",
            vec![c(set_status(alg::SHA384, &[], &[cc::HASH]))],
        ),
        (
            "alg-sha256-with-list",
            vec![c(set_status(alg::SHA256, &[cc::HASH], &[])), audit_caps()],
        ),
        (
            "alg-sha512-with-list",
            vec![c(set_status(alg::SHA512, &[cc::HASH], &[])), audit_caps()],
        ),
        (
            "list-too-long",
            vec![c(set_status(alg::NULL, &[cc::HASH; 255], &[]))],
        ),
        (
            "list-254",
            vec![
                c(set_status(alg::NULL, &[cc::HASH; 254], &[])),
                audit_caps(),
            ],
        ),
        (
            "clear-too-long",
            vec![c(set_status(alg::NULL, &[], &[cc::HASH; 255]))],
        ),
        (
            "cap-paging",
            vec![
                c(set_status(
                    alg::NULL,
                    &[cc::HASH, cc::PCR_EXTEND, cc::GET_RANDOM, cc::NV_READ],
                    &[],
                )),
                c(Cmd::new(cc::GET_CAPABILITY)
                    .u32(tpm2_types::constants::cap::AUDIT_COMMANDS)
                    .u32(cc::PCR_EXTEND)
                    .u32(2)),
                c(Cmd::new(cc::GET_CAPABILITY)
                    .u32(tpm2_types::constants::cap::AUDIT_COMMANDS)
                    .u32(0x2000_0000)
                    .u32(10)),
            ],
        ),
    ];
    for (name, steps) in cases {
        k.case(format!("audit/set/{name}"), steps);
    }
    k.mutated(
        "audit/set/mutated",
        Vec::new(),
        0,
        set_status(alg::NULL, &[cc::HASH], &[cc::PCR_EXTEND]),
    );
}

/// Command audit through TPM2_GetCommandAuditDigest.
fn command(k: &mut Corpus) {
    let audited = || c(set_status(alg::NULL, &[cc::HASH, cc::PCR_EXTEND], &[]));
    let cases: Vec<(&str, Vec<Step>)> = vec![
        ("fresh", vec![command_digest()]),
        (
            "after-set",
            vec![c(set_status(alg::NULL, &[], &[])), command_digest()],
        ),
        (
            "hash-extend",
            vec![
                audited(),
                c(hash(b"one")),
                c(extend16()),
                c(hash(b"two")),
                command_digest(),
                // An unsigned report does not clear the digest.
                c(hash(b"three")),
                command_digest(),
            ],
        ),
        (
            "failed-not-audited",
            vec![
                audited(),
                c(Cmd::new(cc::HASH).b(b"x").u16(alg::AES).u32(NULL)),
                c(Cmd::new(cc::PCR_EXTEND).h(16).pw(b"wrong").u32(0)),
                command_digest(),
            ],
        ),
        (
            "not-audited",
            vec![c(hash(b"one")), c(extend16()), command_digest()],
        ),
        (
            "alg-change",
            vec![
                audited(),
                c(hash(b"one")),
                c(set_status(alg::SHA1, &[], &[])),
                command_digest(),
                c(hash(b"two")),
                command_digest(),
                c(set_status(alg::SHA256, &[], &[])),
                c(set_status(alg::SHA256, &[cc::GET_RANDOM], &[])),
                command_digest(),
            ],
        ),
        (
            "alg-same-no-change",
            vec![
                audited(),
                c(hash(b"one")),
                c(set_status(alg::SHA256, &[], &[])),
                c(set_status(alg::SHA256, &[], &[])),
                command_digest(),
            ],
        ),
        (
            "signed-clears",
            vec![
                ak(),
                audited(),
                c(hash(b"one")),
                c(command_digest_on(ENDORSEMENT, T0, &[alg::NULL])),
                command_digest(),
                c(hash(b"two")),
                c(command_digest_on(
                    ENDORSEMENT,
                    T0,
                    &[alg::ECDSA, alg::SHA256],
                )),
                c(hash(b"three")),
                command_digest(),
            ],
        ),
        (
            "owner-privacy",
            vec![c(command_digest_on(OWNER, NULL, &[alg::NULL]))],
        ),
        (
            "platform-privacy",
            vec![c(command_digest_on(PLATFORM, NULL, &[alg::NULL]))],
        ),
        (
            "not-signing-key",
            vec![
                storage(),
                c(command_digest_on(ENDORSEMENT, T0, &[alg::NULL])),
            ],
        ),
        (
            "wrong-scheme",
            vec![
                ak(),
                c(command_digest_on(
                    ENDORSEMENT,
                    T0,
                    &[alg::RSASSA, alg::SHA256],
                )),
            ],
        ),
        (
            "null-key-with-scheme",
            vec![c(command_digest_on(
                ENDORSEMENT,
                NULL,
                &[alg::ECDSA, alg::SHA256],
            ))],
        ),
        (
            "missing-key",
            vec![c(command_digest_on(ENDORSEMENT, T0, &[alg::NULL]))],
        ),
        (
            "restart-keeps",
            vec![
                audited(),
                c(hash(b"one")),
                c(Cmd::new(cc::SHUTDOWN).u16(su::STATE)),
                Step::Init,
                c(Cmd::new(cc::STARTUP).u16(su::CLEAR)),
                command_digest(),
                c(hash(b"two")),
                command_digest(),
            ],
        ),
        (
            "resume-keeps",
            vec![
                audited(),
                c(hash(b"one")),
                c(Cmd::new(cc::SHUTDOWN).u16(su::STATE)),
                Step::Init,
                c(Cmd::new(cc::STARTUP).u16(su::STATE)),
                command_digest(),
            ],
        ),
        (
            "reset-clears",
            vec![
                audited(),
                c(hash(b"one")),
                c(Cmd::new(cc::SHUTDOWN).u16(su::CLEAR)),
                Step::Init,
                c(Cmd::new(cc::STARTUP).u16(su::CLEAR)),
                command_digest(),
                audit_caps(),
                c(hash(b"two")),
                command_digest(),
            ],
        ),
        (
            "power-loss-clears",
            vec![
                audited(),
                c(hash(b"one")),
                Step::Init,
                c(Cmd::new(cc::STARTUP).u16(su::CLEAR)),
                command_digest(),
            ],
        ),
    ];
    for (name, steps) in cases {
        k.case(format!("audit/command/{name}"), steps);
    }
    k.mutated(
        "audit/command/mutated",
        Vec::new(),
        0,
        command_digest_on(ENDORSEMENT, NULL, &[alg::NULL]),
    );
}

/// TPM2_GetSessionAuditDigest.
fn session(k: &mut Corpus) {
    let audit_hash = |d: &[u8]| {
        c(Cmd::new(cc::HASH)
            .session(H0, &NONCE, AUDIT, &[])
            .b(d)
            .u16(alg::SHA256)
            .u32(NULL))
    };
    let report = || c(session_digest_on(ENDORSEMENT, NULL, H0));
    let cases: Vec<(&str, Vec<Step>)> = vec![
        (
            "exclusive",
            vec![
                hmac_session(),
                audit_hash(b"one"),
                audit_hash(b"two"),
                report(),
            ],
        ),
        (
            "not-exclusive",
            vec![
                hmac_session(),
                audit_hash(b"one"),
                c(hash(b"plain")),
                audit_hash(b"two"),
                report(),
            ],
        ),
        (
            "audit-reset",
            vec![
                hmac_session(),
                audit_hash(b"one"),
                c(Cmd::new(cc::HASH)
                    .session(H0, &NONCE, AUDIT | 0x04, &[])
                    .b(b"two")
                    .u16(alg::SHA256)
                    .u32(NULL)),
                report(),
            ],
        ),
        ("not-audit-session", vec![hmac_session(), report()]),
        (
            "policy-session",
            vec![
                c(Cmd::new(cc::START_AUTH_SESSION)
                    .h(NULL)
                    .h(NULL)
                    .b(&[0x11; 16])
                    .b(&[])
                    .u8(1)
                    .u16(alg::NULL)
                    .u16(alg::SHA256)),
                c(session_digest_on(ENDORSEMENT, NULL, 0x0300_0000)),
            ],
        ),
        (
            "not-loaded",
            vec![c(session_digest_on(ENDORSEMENT, NULL, 0x0200_0005))],
        ),
        (
            "owner-privacy",
            vec![
                hmac_session(),
                audit_hash(b"one"),
                c(session_digest_on(OWNER, NULL, H0)),
            ],
        ),
        (
            "pcr-handle",
            vec![c(session_digest_on(ENDORSEMENT, NULL, 3))],
        ),
        (
            "signed",
            vec![
                ak(),
                hmac_session(),
                audit_hash(b"one"),
                c(session_digest_on(ENDORSEMENT, T0, H0)),
                report(),
            ],
        ),
        (
            "not-signing-key",
            vec![
                storage(),
                hmac_session(),
                audit_hash(b"one"),
                c(session_digest_on(ENDORSEMENT, T0, H0)),
            ],
        ),
        (
            "audited-by-itself",
            vec![
                hmac_session(),
                audit_hash(b"one"),
                c(Cmd::new(cc::GET_SESSION_AUDIT_DIGEST)
                    .h(ENDORSEMENT)
                    .h(NULL)
                    .h(H0)
                    .pw(b"")
                    .pw(b"")
                    .session(H0, &NONCE, AUDIT, &[])
                    .b(b"q")
                    .u16(alg::NULL)),
                // (A report now would differ: the audited response carries each TPM's
                // clock.)
                c(Cmd::new(cc::FLUSH_CONTEXT).u32(H0)),
            ],
        ),
        (
            "with-command-audit",
            vec![
                c(set_status(alg::NULL, &[cc::HASH], &[])),
                hmac_session(),
                audit_hash(b"one"),
                report(),
                command_digest(),
            ],
        ),
    ];
    for (name, steps) in cases {
        k.case(format!("audit/session/{name}"), steps);
    }
    k.mutated(
        "audit/session/mutated",
        vec![hmac_session(), audit_hash(b"one")],
        0,
        session_digest_on(ENDORSEMENT, NULL, H0),
    );
}
