//! The policy commands that take more than a session (Part 3, §23): PolicySecret,
//! PolicySigned (signed here in software with a fixed ECC key, so both TPMs see the same
//! bytes), PolicyTicket, PolicyAuthorize (with each TPM's own VerifySignature ticket),
//! PolicyCpHash, PolicyNameHash, PolicyTemplate, PolicyDuplicationSelect,
//! PolicyPhysicalPresence, PolicyNvWritten, PolicyNV, PolicyCounterTimer and
//! PolicyAuthorizeNV — in policy and trial sessions, with the digest after each step and
//! their errors. nonceTPM is always empty (each TPM's own is random), which keeps the
//! signed data fixed.

use super::policy::{cmd_code, define, ext, get, session, simple, with_policy, P0};
use super::{c, Corpus, Part, RefCmd, Step};
use crate::cmd::Cmd;
use tpm2_crypto::digest;
use tpm2_crypto::ecc::{self, EccCurve};
use tpm2_types::constants::{alg, cc, ecc_curve, nv_attr, obj_attr, rh};
use tpm2_types::nv::TpmsNvPublic;
use tpm2_types::{Codec, HashAlg, Tpm2bDigest};

const T0: u32 = 0x8000_0000;
const OWNER: u32 = rh::OWNER;
/// `TPM_ST_AUTH_SIGNED`, `TPM_ST_AUTH_SECRET`.
const ST_AUTH_SIGNED: u16 = 0x8025;
const ST_AUTH_SECRET: u16 = 0x8023;
/// `TPM_EO_EQ`, `TPM_EO_UNSIGNED_GE`, `TPM_EO_UNSIGNED_LT`.
const EO_EQ: u16 = 0;
const EO_UNSIGNED_GE: u16 = 7;
const EO_UNSIGNED_LT: u16 = 5;

fn b2(d: &[u8]) -> Vec<u8> {
    let mut v = (d.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(d);
    v
}

/// The fixed signing key: an ECC P-256 private scalar and its public area (`TPMT_PUBLIC`,
/// ECDSA-SHA256, unrestricted).
struct Signer {
    d: Vec<u8>,
    public: Vec<u8>,
}

impl Signer {
    fn new() -> Signer {
        let d = digest(HashAlg::Sha256, &[b"ferrotpm difftest policy signer"]);
        let q = ecc::public_key(EccCurve::NistP256, &d).expect("a valid scalar");
        let mut p = Vec::new();
        p.extend_from_slice(&alg::ECC.to_be_bytes());
        p.extend_from_slice(&alg::SHA256.to_be_bytes());
        p.extend_from_slice(&(obj_attr::USER_WITH_AUTH | obj_attr::SIGN_ENCRYPT).to_be_bytes());
        p.extend(b2(&[]));
        for v in [
            alg::NULL,
            alg::ECDSA,
            alg::SHA256,
            ecc_curve::NIST_P256,
            alg::NULL,
        ] {
            p.extend_from_slice(&v.to_be_bytes());
        }
        p.extend(b2(&q.x));
        p.extend(b2(&q.y));
        Signer { d, public: p }
    }

    /// Its Name: `TPM_ALG_SHA256 || SHA-256(TPMT_PUBLIC)`.
    fn name(&self) -> Vec<u8> {
        let mut n = alg::SHA256.to_be_bytes().to_vec();
        n.extend(digest(HashAlg::Sha256, &[&self.public]));
        n
    }

    /// TPM2_LoadExternal of the public part into `hierarchy` (handle T0).
    fn load(&self, hierarchy: u32) -> Step {
        c(Cmd::new(cc::LOAD_EXTERNAL)
            .b(&[])
            .b(&self.public)
            .u32(hierarchy))
    }

    /// A `TPMT_SIGNATURE` (ECDSA-SHA256) over SHA-256(`data`), with a fixed nonce source so
    /// the bytes are the same in every run.
    fn sign(&self, data: &[u8]) -> Vec<u8> {
        let h = digest(HashAlg::Sha256, &[data]);
        let mut n = 0u8;
        let mut rng = |out: &mut [u8]| {
            for b in out {
                n = n.wrapping_add(0x3B);
                *b = n;
            }
        };
        let (r, s) = ecc::ecdsa_sign(EccCurve::NistP256, &self.d, &h, &mut rng).expect("signs");
        let mut sig = Vec::new();
        sig.extend_from_slice(&alg::ECDSA.to_be_bytes());
        sig.extend_from_slice(&alg::SHA256.to_be_bytes());
        sig.extend(b2(&r));
        sig.extend(b2(&s));
        sig
    }
}

/// TPM2_PolicySecret(`auth` with password `pw`, P0) with an empty nonceTPM and cpHashA.
fn secret(auth: u32, pw: &[u8], policy_ref: &[u8], expiration: i32) -> Cmd {
    Cmd::new(cc::POLICY_SECRET)
        .h(auth)
        .h(P0)
        .pw(pw)
        .b(&[])
        .b(&[])
        .b(policy_ref)
        .u32(expiration as u32)
}

/// TPM2_PolicySigned(T0, P0) with an empty nonceTPM and cpHashA and `auth` as signature.
fn signed(policy_ref: &[u8], expiration: i32, auth: &[u8]) -> Step {
    c(Cmd::new(cc::POLICY_SIGNED)
        .h(T0)
        .h(P0)
        .b(&[])
        .b(&[])
        .b(policy_ref)
        .u32(expiration as u32)
        .raw(auth))
}

/// The data PolicySigned's signature covers with an empty nonceTPM and cpHashA:
/// `expiration || policyRef` (Part 3, §23.3).
fn signed_data(policy_ref: &[u8], expiration: i32) -> Vec<u8> {
    [&expiration.to_be_bytes()[..], policy_ref].concat()
}

fn secrets(k: &mut Corpus) {
    for kind in [1u8, 3] {
        let t = if kind == 1 { "policy" } else { "trial" };
        let run = |rest: Vec<Step>| [vec![session(kind)], rest, vec![get()]].concat();
        k.case(
            format!("policy-assert/{t}/secret-owner"),
            run(vec![c(secret(OWNER, b"", b"", 0))]),
        );
        k.case(
            format!("policy-assert/{t}/secret-endorsement-ref"),
            run(vec![c(secret(rh::ENDORSEMENT, b"", b"ref", 0))]),
        );
        k.case(
            format!("policy-assert/{t}/secret-twice"),
            run(vec![
                c(secret(OWNER, b"", b"", 0)),
                c(secret(rh::PLATFORM, b"", b"x", 0)),
            ]),
        );
        k.case(
            format!("policy-assert/{t}/secret-wrong-password"),
            run(vec![
                c(Cmd::new(cc::HIERARCHY_CHANGE_AUTH)
                    .h(OWNER)
                    .pw(b"")
                    .b(b"pw")),
                c(secret(OWNER, b"bad", b"", 0)),
                c(secret(OWNER, b"pw", b"", 0)),
            ]),
        );
        k.case(
            format!("policy-assert/{t}/secret-nonce-not-the-sessions"),
            run(vec![c(Cmd::new(cc::POLICY_SECRET)
                .h(OWNER)
                .h(P0)
                .pw(b"")
                .b(&[0x42; 16])
                .b(&[])
                .b(&[])
                .u32(0))]),
        );
        k.case(
            format!("policy-assert/{t}/secret-cphash-short"),
            run(vec![c(Cmd::new(cc::POLICY_SECRET)
                .h(OWNER)
                .h(P0)
                .pw(b"")
                .b(&[])
                .b(&[1; 20])
                .b(&[])
                .u32(0))]),
        );
        k.case(
            format!("policy-assert/{t}/secret-expiration-without-nonce"),
            run(vec![c(secret(OWNER, b"", b"", 60))]),
        );
        let ix = nv_public(0x0150_0060, nv_attr::AUTHREAD | nv_attr::AUTHWRITE, 8);
        k.case(
            format!("policy-assert/{t}/secret-nv-index"),
            run(vec![
                c(Cmd::new(cc::NV_DEFINE_SPACE)
                    .h(OWNER)
                    .pw(b"")
                    .b(b"nvpw")
                    .raw(&tpm2_types::nv::Tpm2bNvPublic(ix.clone()).to_bytes())),
                c(secret(ix.nv_index, b"nvpw", b"", 0)),
            ]),
        );
    }
    k.case(
        "policy-assert/secret-on-hmac-session",
        vec![
            session(0),
            c(Cmd::new(cc::POLICY_SECRET)
                .h(OWNER)
                .h(0x0200_0000)
                .pw(b"")
                .b(&[])
                .b(&[])
                .b(&[])
                .u32(0)),
        ],
    );
}

fn signatures(k: &mut Corpus) {
    let key = Signer::new();
    for kind in [1u8, 3] {
        let t = if kind == 1 { "policy" } else { "trial" };
        let run =
            |rest: Vec<Step>| [vec![key.load(rh::NULL), session(kind)], rest, vec![get()]].concat();
        k.case(
            format!("policy-assert/{t}/signed"),
            run(vec![signed(b"", 0, &key.sign(&signed_data(b"", 0)))]),
        );
        k.case(
            format!("policy-assert/{t}/signed-ref"),
            run(vec![signed(b"r1", 0, &key.sign(&signed_data(b"r1", 0)))]),
        );
        k.case(
            format!("policy-assert/{t}/signed-over-other-data"),
            run(vec![signed(b"r1", 0, &key.sign(&signed_data(b"r2", 0)))]),
        );
        let mut rsa_sig = alg::RSASSA.to_be_bytes().to_vec();
        rsa_sig.extend_from_slice(&alg::SHA256.to_be_bytes());
        rsa_sig.extend(b2(&[7; 256]));
        k.case(
            format!("policy-assert/{t}/signed-wrong-scheme"),
            run(vec![signed(b"", 0, &rsa_sig)]),
        );
        k.case(
            format!("policy-assert/{t}/signed-expiration-without-nonce"),
            run(vec![signed(b"", 30, &key.sign(&signed_data(b"", 30)))]),
        );
        // A ticket that no TPM made.
        let mut ticket = ST_AUTH_SIGNED.to_be_bytes().to_vec();
        ticket.extend_from_slice(&OWNER.to_be_bytes());
        ticket.extend(b2(&[0x17; 32]));
        k.case(
            format!("policy-assert/{t}/ticket-forged"),
            run(vec![c(Cmd::new(cc::POLICY_TICKET)
                .h(P0)
                .b(&[0; 8])
                .b(&[])
                .b(&[])
                .b(&key.name())
                .raw(&ticket))]),
        );
        let mut secret_ticket = ST_AUTH_SECRET.to_be_bytes().to_vec();
        secret_ticket.extend_from_slice(&rh::NULL.to_be_bytes());
        secret_ticket.extend(b2(&[]));
        k.case(
            format!("policy-assert/{t}/ticket-null"),
            run(vec![c(Cmd::new(cc::POLICY_TICKET)
                .h(P0)
                .b(&[])
                .b(&[])
                .b(&[])
                .b(&key.name())
                .raw(&secret_ticket))]),
        );
    }
    k.mutated(
        "policy-assert/signed/mutated",
        vec![key.load(rh::NULL), session(1)],
        0,
        Cmd::new(cc::POLICY_SIGNED)
            .h(T0)
            .h(P0)
            .b(&[])
            .b(&[])
            .b(&[])
            .u32(0)
            .raw(&key.sign(&signed_data(b"", 0))),
    );
}

/// PolicyAuthorize: the key signs `approved || policyRef`; VerifySignature gives each TPM
/// its own ticket, which PolicyAuthorize then takes (Part 3, §23.16).
fn authorize(k: &mut Corpus) {
    let key = Signer::new();
    let zero = [0u8; 32];
    let approved = ext(
        &zero,
        cc::POLICY_COMMAND_CODE,
        &cc::NV_CHANGE_AUTH.to_be_bytes(),
    );
    let policy_ref = b"signed-policy";
    let a_hash = digest(HashAlg::Sha256, &[&approved, policy_ref]);
    let verify = |sig: &[u8]| c(Cmd::new(cc::VERIFY_SIGNATURE).h(T0).b(&a_hash).raw(sig));
    // Steps: 1 LoadExternal, 2 session, 3 VerifySignature, 4 PolicyCommandCode, 5 …
    let authorize_with = |ticket: Part, approved: &[u8]| {
        Step::Ref(RefCmd {
            loc: 0,
            code: cc::POLICY_AUTHORIZE,
            handles: vec![P0],
            pws: vec![],
            parts: vec![
                Part::Raw(b2(approved)),
                Part::Raw(b2(policy_ref)),
                Part::Raw(b2(&key.name())),
                ticket,
            ],
        })
    };
    let good = key.sign(&[&approved[..], policy_ref].concat());
    for kind in [1u8, 3] {
        let t = if kind == 1 { "policy" } else { "trial" };
        let run = |rest: Vec<Step>| {
            [
                vec![key.load(OWNER), session(kind), verify(&good)],
                rest,
                vec![get()],
            ]
            .concat()
        };
        k.case(
            format!("policy-assert/{t}/authorize"),
            run(vec![
                cmd_code(cc::NV_CHANGE_AUTH),
                authorize_with(Part::All { step: 3 }, &approved),
            ]),
        );
        k.case(
            format!("policy-assert/{t}/authorize-other-policy"),
            run(vec![
                cmd_code(cc::NV_WRITE),
                authorize_with(Part::All { step: 3 }, &approved),
            ]),
        );
        k.case(
            format!("policy-assert/{t}/authorize-ticket-damaged"),
            run(vec![
                cmd_code(cc::NV_CHANGE_AUTH),
                authorize_with(
                    Part::Flip {
                        part: Box::new(Part::All { step: 3 }),
                        at: -1,
                        mask: 0x01,
                    },
                    &approved,
                ),
            ]),
        );
    }
    // A public key in the NULL hierarchy gives a NULL ticket, which cannot authorize.
    k.case(
        "policy-assert/authorize-null-ticket",
        vec![
            key.load(rh::NULL),
            session(1),
            verify(&good),
            cmd_code(cc::NV_CHANGE_AUTH),
            authorize_with(Part::All { step: 3 }, &approved),
            get(),
        ],
    );
}

/// PolicyCpHash, PolicyNameHash, PolicyTemplate and PolicyDuplicationSelect set or check
/// the session's cpHash/nameHash/templateHash; each refuses a second, different one.
fn bindings(k: &mut Corpus) {
    let cp = |d: &[u8]| c(Cmd::new(cc::POLICY_CP_HASH).h(P0).b(d));
    let name = |d: &[u8]| c(Cmd::new(cc::POLICY_NAME_HASH).h(P0).b(d));
    let template = |d: &[u8]| c(Cmd::new(cc::POLICY_TEMPLATE).h(P0).b(d));
    let dup = |include: u8| {
        let obj = [&alg::SHA256.to_be_bytes()[..], &[0x31; 32]].concat();
        let parent = [&alg::SHA256.to_be_bytes()[..], &[0x32; 32]].concat();
        c(Cmd::new(cc::POLICY_DUPLICATION_SELECT)
            .h(P0)
            .b(&obj)
            .b(&parent)
            .u8(include))
    };
    let written = |yes: u8| c(Cmd::new(cc::POLICY_NV_WRITTEN).h(P0).u8(yes));
    for kind in [1u8, 3] {
        let t = if kind == 1 { "policy" } else { "trial" };
        let run = |rest: Vec<Step>| [vec![session(kind)], rest, vec![get()]].concat();
        let cases: Vec<(&str, Vec<Step>)> = vec![
            ("cphash", vec![cp(&[1; 32])]),
            ("cphash-same-twice", vec![cp(&[1; 32]), cp(&[1; 32])]),
            ("cphash-other-second", vec![cp(&[1; 32]), cp(&[2; 32])]),
            ("cphash-short", vec![cp(&[1; 20])]),
            ("namehash", vec![name(&[3; 32])]),
            ("namehash-twice", vec![name(&[3; 32]), name(&[3; 32])]),
            ("namehash-then-cphash", vec![name(&[3; 32]), cp(&[1; 32])]),
            ("cphash-then-namehash", vec![cp(&[1; 32]), name(&[3; 32])]),
            ("template", vec![template(&[4; 32])]),
            (
                "template-other-second",
                vec![template(&[4; 32]), template(&[5; 32])],
            ),
            (
                "template-then-cphash",
                vec![template(&[4; 32]), cp(&[1; 32])],
            ),
            ("template-short", vec![template(&[4; 31])]),
            ("duplication-select", vec![dup(1)]),
            ("duplication-select-no-object", vec![dup(0)]),
            ("duplication-select-bad-yes", vec![dup(2)]),
            (
                "duplication-select-after-cphash",
                vec![cp(&[1; 32]), dup(1)],
            ),
            (
                "physical-presence",
                vec![simple(cc::POLICY_PHYSICAL_PRESENCE)],
            ),
            (
                "physical-presence-twice",
                vec![
                    simple(cc::POLICY_PHYSICAL_PRESENCE),
                    simple(cc::POLICY_PHYSICAL_PRESENCE),
                ],
            ),
            ("nv-written-yes", vec![written(1)]),
            ("nv-written-no", vec![written(0)]),
            ("nv-written-both", vec![written(1), written(0)]),
            ("nv-written-twice", vec![written(1), written(1)]),
            ("nv-written-bad-yes", vec![written(7)]),
        ];
        for (name, steps) in cases {
            k.case(format!("policy-assert/{t}/{name}"), run(steps));
        }
    }
}

fn nv_public(index: u32, attrs: u32, size: u16) -> TpmsNvPublic {
    TpmsNvPublic {
        nv_index: index,
        name_alg: HashAlg::Sha256,
        attributes: attrs | nv_attr::OWNERREAD | nv_attr::OWNERWRITE | nv_attr::NO_DA,
        auth_policy: Tpm2bDigest::from(Vec::new()),
        data_size: size,
    }
}

fn nv_write(index: u32, data: &[u8]) -> Step {
    c(Cmd::new(cc::NV_WRITE)
        .h(OWNER)
        .h(index)
        .pw(b"")
        .b(data)
        .u16(0))
}

/// PolicyNV, PolicyCounterTimer and PolicyAuthorizeNV: comparisons against NV contents
/// and the TPM's time, and a policy stored in NV.
fn comparisons(k: &mut Corpus) {
    let ix = nv_public(0x0150_0061, nv_attr::AUTHREAD | nv_attr::AUTHWRITE, 8);
    let policy_nv = |operand: &[u8], offset: u16, op: u16| {
        c(Cmd::new(cc::POLICY_NV)
            .h(ix.nv_index)
            .h(ix.nv_index)
            .h(P0)
            .pw(b"")
            .b(operand)
            .u16(offset)
            .u16(op))
    };
    let timer = |operand: &[u8], offset: u16, op: u16| {
        c(Cmd::new(cc::POLICY_COUNTER_TIMER)
            .h(P0)
            .b(operand)
            .u16(offset)
            .u16(op))
    };
    let zero = [0u8; 32];
    let stored = ext(
        &zero,
        cc::POLICY_COMMAND_CODE,
        &cc::NV_CHANGE_AUTH.to_be_bytes(),
    );
    let pix = nv_public(0x0150_0062, nv_attr::AUTHREAD, 34);
    let authorize_nv = c(Cmd::new(cc::POLICY_AUTHORIZE_NV)
        .h(OWNER)
        .h(pix.nv_index)
        .h(P0)
        .pw(b""));
    for kind in [1u8, 3] {
        let t = if kind == 1 { "policy" } else { "trial" };
        let run = |rest: Vec<Step>| [vec![session(kind)], rest, vec![get()]].concat();
        let defined = |rest: Vec<Step>| {
            run([
                vec![define(&ix, OWNER), nv_write(ix.nv_index, b"12345678")],
                rest,
            ]
            .concat())
        };
        k.case(
            format!("policy-assert/{t}/nv-equal"),
            defined(vec![policy_nv(b"1234", 0, EO_EQ)]),
        );
        k.case(
            format!("policy-assert/{t}/nv-not-equal"),
            defined(vec![policy_nv(b"1235", 0, EO_EQ)]),
        );
        k.case(
            format!("policy-assert/{t}/nv-offset-ge"),
            defined(vec![policy_nv(b"5", 4, EO_UNSIGNED_GE)]),
        );
        k.case(
            format!("policy-assert/{t}/nv-past-the-end"),
            defined(vec![policy_nv(b"5678", 6, EO_EQ)]),
        );
        k.case(
            format!("policy-assert/{t}/nv-bad-operation"),
            defined(vec![policy_nv(b"1", 0, 12)]),
        );
        k.case(
            format!("policy-assert/{t}/nv-unwritten"),
            run(vec![define(&ix, OWNER), policy_nv(b"1", 0, EO_EQ)]),
        );
        k.case(
            format!("policy-assert/{t}/counter-timer-time-ge-zero"),
            run(vec![timer(&[0; 8], 0, EO_UNSIGNED_GE)]),
        );
        k.case(
            format!("policy-assert/{t}/counter-timer-clock-lt-zero"),
            run(vec![timer(&[0; 8], 8, EO_UNSIGNED_LT)]),
        );
        k.case(
            format!("policy-assert/{t}/counter-timer-safe"),
            run(vec![timer(&[1], 24, EO_EQ)]),
        );
        k.case(
            format!("policy-assert/{t}/counter-timer-past-the-end"),
            run(vec![timer(&[0; 2], 24, EO_EQ)]),
        );
        k.case(
            format!("policy-assert/{t}/counter-timer-bad-operation"),
            run(vec![timer(&[0], 0, 0x0100)]),
        );
        let stored_policy = [&alg::SHA256.to_be_bytes()[..], &stored].concat();
        let with_pix = |data: &[u8], rest: Vec<Step>| {
            run([
                vec![define(&pix, OWNER), nv_write(pix.nv_index, data)],
                rest,
            ]
            .concat())
        };
        k.case(
            format!("policy-assert/{t}/authorize-nv"),
            with_pix(
                &stored_policy,
                vec![cmd_code(cc::NV_CHANGE_AUTH), authorize_nv.clone()],
            ),
        );
        k.case(
            format!("policy-assert/{t}/authorize-nv-other-policy"),
            with_pix(
                &stored_policy,
                vec![cmd_code(cc::NV_WRITE), authorize_nv.clone()],
            ),
        );
        let sha1_policy = [&alg::SHA1.to_be_bytes()[..], &stored].concat();
        k.case(
            format!("policy-assert/{t}/authorize-nv-sha1-entry"),
            with_pix(
                &sha1_policy,
                vec![cmd_code(cc::NV_CHANGE_AUTH), authorize_nv.clone()],
            ),
        );
        k.case(
            format!("policy-assert/{t}/authorize-nv-unwritten"),
            run(vec![
                define(&pix, OWNER),
                cmd_code(cc::NV_CHANGE_AUTH),
                authorize_nv.clone(),
            ]),
        );
    }
    // An index written through its POLICYWRITE policy; a second session then asserts
    // PolicyNvWritten.
    let w = ext(&zero, cc::POLICY_COMMAND_CODE, &cc::NV_WRITE.to_be_bytes());
    let mut pw = nv_public(0x0150_0063, nv_attr::POLICYWRITE, 8);
    pw.auth_policy = Tpm2bDigest::from(w);
    k.case(
        "policy-assert/use/policy-write-then-nv-written",
        vec![
            define(&pw, OWNER),
            session(1),
            cmd_code(cc::NV_WRITE),
            c(
                with_policy(Cmd::new(cc::NV_WRITE).h(pw.nv_index).h(pw.nv_index), 1, &[])
                    .b(b"abcdefgh")
                    .u16(0),
            ),
            session(1),
            c(Cmd::new(cc::POLICY_NV_WRITTEN).h(0x0300_0001).u8(1)),
            c(Cmd::new(cc::POLICY_GET_DIGEST).h(0x0300_0001)),
        ],
    );
}

pub fn add(k: &mut Corpus) {
    secrets(k);
    signatures(k);
    authorize(k);
    bindings(k);
    comparisons(k);
}
