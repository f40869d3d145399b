//! Policy and trial sessions (Part 3, §23): the digests PolicyGetDigest reports after each
//! policy command (compared byte for byte: they are deterministic), their parameter
//! errors, and policies enforced on hierarchies and NV indices. Unbound, unsalted policy
//! sessions authorizing entities with Empty authValues carry empty HMACs, so every step
//! has fixed bytes.

use super::{c, Corpus, Step};
use crate::cmd::Cmd;
use tpm2_crypto::digest;
use tpm2_types::constants::{alg, cc, nv_attr, rh};
use tpm2_types::nv::TpmsNvPublic;
use tpm2_types::{Codec, HashAlg, Tpm2bDigest};

pub(super) const P0: u32 = 0x0300_0000;
const OWNER: u32 = rh::OWNER;

/// A policy (`kind` 1) or trial (3) SHA-256 session in slot 0.
pub(super) fn session(kind: u8) -> Step {
    c(Cmd::new(cc::START_AUTH_SESSION)
        .h(rh::NULL)
        .h(rh::NULL)
        .b(&[0x11; 16])
        .b(&[])
        .u8(kind)
        .u16(alg::NULL)
        .u16(alg::SHA256))
}

pub(super) fn get() -> Step {
    c(Cmd::new(cc::POLICY_GET_DIGEST).h(P0))
}

pub(super) fn cmd_code(code: u32) -> Step {
    c(Cmd::new(cc::POLICY_COMMAND_CODE).h(P0).u32(code))
}

fn locality(l: u8) -> Step {
    c(Cmd::new(cc::POLICY_LOCALITY).h(P0).u8(l))
}

pub(super) fn simple(code: u32) -> Step {
    c(Cmd::new(code).h(P0))
}

/// PolicyPCR over PCRs of the SHA-256 bank given as a 3-octet bitmap.
fn pcr(digest: &[u8], bank: u16, sel: [u8; 3]) -> Step {
    c(Cmd::new(cc::POLICY_PCR)
        .h(P0)
        .b(digest)
        .u32(1)
        .u16(bank)
        .u8(3)
        .raw(&sel))
}

fn or(list: &[&[u8]]) -> Step {
    let mut cmd = Cmd::new(cc::POLICY_OR).h(P0).u32(list.len() as u32);
    for d in list {
        cmd = cmd.b(d);
    }
    c(cmd)
}

/// A command authorized by policy session slot 0 with an empty HMAC.
pub(super) fn with_policy(cmd: Cmd, attrs: u8, hmac: &[u8]) -> Cmd {
    cmd.session(P0, &[0x44; 16], attrs, hmac)
}

/// H(old || code || data): the digest a policy command produces.
pub(super) fn ext(old: &[u8], code: u32, data: &[u8]) -> Vec<u8> {
    digest(HashAlg::Sha256, &[old, &code.to_be_bytes(), data])
}

fn digests(k: &mut Corpus) {
    for kind in [1u8, 3] {
        let t = if kind == 1 { "policy" } else { "trial" };
        let steps = |rest: Vec<Step>| {
            let mut v = vec![session(kind), get()];
            v.extend(rest);
            v.push(get());
            v
        };
        k.case(
            format!("policy/{t}/command-code"),
            steps(vec![cmd_code(cc::NV_CHANGE_AUTH)]),
        );
        k.case(
            format!("policy/{t}/command-code-twice"),
            steps(vec![
                cmd_code(cc::NV_CHANGE_AUTH),
                cmd_code(cc::NV_CHANGE_AUTH),
                cmd_code(cc::NV_WRITE),
            ]),
        );
        k.case(
            format!("policy/{t}/command-code-unimplemented"),
            steps(vec![cmd_code(0x1FF), cmd_code(cc::CREATE_PRIMARY)]),
        );
        k.case(
            format!("policy/{t}/auth-value"),
            steps(vec![simple(cc::POLICY_AUTH_VALUE)]),
        );
        k.case(
            format!("policy/{t}/password"),
            steps(vec![simple(cc::POLICY_PASSWORD)]),
        );
        k.case(
            format!("policy/{t}/restart"),
            steps(vec![
                simple(cc::POLICY_AUTH_VALUE),
                simple(cc::POLICY_RESTART),
            ]),
        );
        k.case(
            format!("policy/{t}/locality"),
            steps(vec![
                locality(0x03),
                get(),
                locality(0x06),
                get(),
                locality(0x10),
            ]),
        );
        k.case(
            format!("policy/{t}/locality-zero"),
            steps(vec![locality(0)]),
        );
        k.case(
            format!("policy/{t}/locality-extended"),
            steps(vec![
                locality(0x40),
                locality(0x40),
                locality(0x41),
                locality(0x01),
            ]),
        );
        k.case(
            format!("policy/{t}/locality-then-extended"),
            steps(vec![locality(0x01), locality(0x40)]),
        );
        k.case(
            format!("policy/{t}/pcr"),
            steps(vec![pcr(&[], alg::SHA256, [0x01, 0, 0x01])]),
        );
        k.case(
            format!("policy/{t}/pcr-sha1-bank"),
            steps(vec![pcr(&[], alg::SHA1, [0xFF, 0xFF, 0xFF])]),
        );
        k.case(
            format!("policy/{t}/pcr-given-digest"),
            steps(vec![pcr(&[0x5A; 32], alg::SHA256, [0, 0, 0x01])]),
        );
        k.case(
            format!("policy/{t}/pcr-given-wrong-size"),
            steps(vec![pcr(&[0x5A; 20], alg::SHA256, [0, 0, 0x01])]),
        );
        k.case(
            format!("policy/{t}/pcr-empty-selection"),
            steps(vec![pcr(&[], alg::SHA256, [0, 0, 0])]),
        );
        k.case(
            format!("policy/{t}/pcr-changed"),
            steps(vec![
                pcr(&[], alg::SHA256, [0, 0x04, 0]),
                c(Cmd::new(cc::PCR_EXTEND)
                    .h(10)
                    .pw(b"")
                    .u32(1)
                    .u16(alg::SHA256)
                    .raw(&[7; 32])),
                pcr(&[], alg::SHA256, [0, 0x04, 0]),
            ]),
        );
        let zero = [0u8; 32];
        let a = ext(&zero, cc::POLICY_AUTH_VALUE, &[]);
        k.case(
            format!("policy/{t}/or-matching"),
            steps(vec![or(&[&zero, &a])]),
        );
        k.case(
            format!("policy/{t}/or-not-matching"),
            steps(vec![or(&[&a, &a])]),
        );
        k.case(format!("policy/{t}/or-one"), steps(vec![or(&[&zero])]));
        k.case(
            format!("policy/{t}/or-nine"),
            steps(vec![or(&[&zero[..]; 9])]),
        );
        k.case(
            format!("policy/{t}/or-short-digest"),
            steps(vec![or(&[&zero[..20], &a])]),
        );
        k.case(
            format!("policy/{t}/everything"),
            steps(vec![
                cmd_code(cc::HIERARCHY_CHANGE_AUTH),
                simple(cc::POLICY_AUTH_VALUE),
                locality(0x1F),
                pcr(&[], alg::SHA256, [0x0F, 0, 0]),
                or(&[&zero, &a]),
            ]),
        );
    }
    // Handles: not a policy session, not loaded, beyond the slots.
    k.case(
        "policy/handle/hmac-slot",
        vec![
            session(0),
            c(Cmd::new(cc::POLICY_GET_DIGEST).h(P0)),
            c(Cmd::new(cc::POLICY_GET_DIGEST).h(0x0200_0000)),
        ],
    );
    k.one(
        "policy/handle/unloaded",
        Cmd::new(cc::POLICY_AUTH_VALUE).h(0x0300_0005),
    );
    k.one(
        "policy/handle/beyond",
        Cmd::new(cc::POLICY_AUTH_VALUE).h(0x0300_0040),
    );
    k.mutated(
        "policy/pcr/mutated",
        vec![session(1)],
        0,
        Cmd::new(cc::POLICY_PCR)
            .h(P0)
            .b(&[])
            .u32(1)
            .u16(alg::SHA256)
            .u8(3)
            .raw(&[1, 0, 0]),
    );
    k.mutated(
        "policy/or/mutated",
        vec![session(1)],
        0,
        Cmd::new(cc::POLICY_OR).h(P0).u32(2).b(&[0; 32]).b(&[1; 32]),
    );
}

fn nv(h: u32, attrs: u32, policy: &[u8]) -> TpmsNvPublic {
    TpmsNvPublic {
        nv_index: h,
        name_alg: HashAlg::Sha256,
        attributes: attrs,
        auth_policy: Tpm2bDigest::from(policy.to_vec()),
        data_size: 8,
    }
}

pub(super) fn define(p: &TpmsNvPublic, auth_handle: u32) -> Step {
    c(Cmd::new(cc::NV_DEFINE_SPACE)
        .h(auth_handle)
        .pw(b"")
        .b(b"")
        .raw(&tpm2_types::nv::Tpm2bNvPublic(p.clone()).to_bytes()))
}

fn enforcement(k: &mut Corpus) {
    let zero = [0u8; 32];
    let cc_hca = ext(
        &zero,
        cc::POLICY_COMMAND_CODE,
        &cc::HIERARCHY_CHANGE_AUTH.to_be_bytes(),
    );
    let set_owner = |d: &[u8]| {
        c(Cmd::new(cc::SET_PRIMARY_POLICY)
            .h(OWNER)
            .pw(b"")
            .b(d)
            .u16(alg::SHA256))
    };
    let hca = |attrs: u8, hmac: &[u8]| {
        c(with_policy(Cmd::new(cc::HIERARCHY_CHANGE_AUTH).h(OWNER), attrs, hmac).b(b""))
    };
    k.case(
        "policy/use/owner-command-code",
        vec![
            set_owner(&cc_hca),
            session(1),
            cmd_code(cc::HIERARCHY_CHANGE_AUTH),
            hca(1, &[]),
            get(),
            hca(1, &[]),
            cmd_code(cc::HIERARCHY_CHANGE_AUTH),
            hca(0, &[]),
            get(),
        ],
    );
    k.case(
        "policy/use/owner-wrong-code",
        vec![
            set_owner(&cc_hca),
            session(1),
            cmd_code(cc::CLEAR),
            hca(1, &[]),
        ],
    );
    k.case(
        "policy/use/owner-without-policy",
        vec![session(1), hca(1, &[])],
    );
    k.case(
        "policy/use/trial",
        vec![set_owner(&zero), session(3), hca(1, &[])],
    );
    k.case(
        "policy/use/owner-sha1-policy",
        vec![
            c(Cmd::new(cc::SET_PRIMARY_POLICY)
                .h(OWNER)
                .pw(b"")
                .b(&[0; 20])
                .u16(alg::SHA1)),
            session(1),
            hca(1, &[]),
        ],
    );
    // PolicyPCR, then a PCR change before the authorization (PCR 10: PCR 16 does not
    // move pcrUpdateCounter).
    let sel = [0u8, 0x04, 0];
    let pcr16 = digest(HashAlg::Sha256, &[&[0u8; 32]]);
    let mut pcrs = 1u32.to_be_bytes().to_vec();
    pcrs.extend_from_slice(&alg::SHA256.to_be_bytes());
    pcrs.push(3);
    pcrs.extend_from_slice(&sel);
    let pol = ext(&zero, cc::POLICY_PCR, &[pcrs, pcr16].concat());
    let extend10 = c(Cmd::new(cc::PCR_EXTEND)
        .h(10)
        .pw(b"")
        .u32(1)
        .u16(alg::SHA256)
        .raw(&[7; 32]));
    k.case(
        "policy/use/pcr",
        vec![
            set_owner(&pol),
            session(1),
            pcr(&[], alg::SHA256, sel),
            hca(1, &[]),
            pcr(&[], alg::SHA256, sel),
            extend10,
            hca(1, &[]),
            pcr(&[], alg::SHA256, sel),
        ],
    );
    // Password and authValue policies on owner with an authValue.
    let pv = ext(&zero, cc::POLICY_AUTH_VALUE, &[]);
    let chg =
        |old: &[u8], new: &[u8]| c(Cmd::new(cc::HIERARCHY_CHANGE_AUTH).h(OWNER).pw(old).b(new));
    let hca_to = |hmac: &[u8], new: &[u8]| {
        c(with_policy(Cmd::new(cc::HIERARCHY_CHANGE_AUTH).h(OWNER), 1, hmac).b(new))
    };
    k.case(
        "policy/use/password",
        vec![
            set_owner(&pv),
            chg(b"", b"pw"),
            session(1),
            simple(cc::POLICY_PASSWORD),
            hca_to(b"bad", b"pw"),
            hca_to(b"pw", b"pw"),
            simple(cc::POLICY_PASSWORD),
            hca_to(b"pw\0\0", b""),
        ],
    );
    k.case(
        "policy/use/auth-value-empty-key",
        vec![
            set_owner(&pv),
            session(1),
            simple(cc::POLICY_AUTH_VALUE),
            hca(1, &[]),
            simple(cc::POLICY_AUTH_VALUE),
            hca(1, &[1; 32]),
        ],
    );
    // Locality: this corpus runs at locality 0.
    let l3 = ext(&zero, cc::POLICY_LOCALITY, &[0x08]);
    let l0 = ext(&zero, cc::POLICY_LOCALITY, &[0x01]);
    k.case(
        "policy/use/locality-3",
        vec![set_owner(&l3), session(1), locality(0x08), hca(1, &[])],
    );
    k.case(
        "policy/use/locality-0",
        vec![set_owner(&l0), session(1), locality(0x01), hca(1, &[])],
    );
    // NV: ADMIN role (NV_ChangeAuth) needs a policy with the command code; POLICYWRITE /
    // POLICYREAD decide the USER role.
    let admin = ext(
        &zero,
        cc::POLICY_COMMAND_CODE,
        &cc::NV_CHANGE_AUTH.to_be_bytes(),
    );
    let ix = nv(
        0x0150_0040,
        nv_attr::OWNERREAD | nv_attr::OWNERWRITE | nv_attr::NO_DA,
        &admin,
    );
    let change = |attrs: u8| {
        c(with_policy(Cmd::new(cc::NV_CHANGE_AUTH).h(ix.nv_index), attrs, &[]).b(b"new"))
    };
    k.case(
        "policy/use/nv-change-auth",
        vec![
            define(&ix, OWNER),
            c(Cmd::new(cc::NV_CHANGE_AUTH).h(ix.nv_index).pw(b"").b(b"x")),
            session(1),
            change(1),
            cmd_code(cc::NV_CHANGE_AUTH),
            change(1),
        ],
    );
    let w = ext(&zero, cc::POLICY_COMMAND_CODE, &cc::NV_WRITE.to_be_bytes());
    for (name, attrs) in [
        ("policywrite", nv_attr::POLICYWRITE | nv_attr::OWNERREAD),
        ("no-policywrite", nv_attr::AUTHWRITE | nv_attr::OWNERREAD),
    ] {
        let ix = nv(0x0150_0041, attrs | nv_attr::NO_DA, &w);
        let write = c(
            with_policy(Cmd::new(cc::NV_WRITE).h(ix.nv_index).h(ix.nv_index), 1, &[])
                .b(b"12345678")
                .u16(0),
        );
        k.case(
            format!("policy/use/nv-{name}"),
            vec![
                define(&ix, OWNER),
                session(1),
                cmd_code(cc::NV_WRITE),
                write,
            ],
        );
    }
    let sp = ext(
        &zero,
        cc::POLICY_COMMAND_CODE,
        &cc::NV_UNDEFINE_SPACE_SPECIAL.to_be_bytes(),
    );
    let ix = nv(
        0x0140_0042,
        nv_attr::PPREAD
            | nv_attr::PPWRITE
            | nv_attr::POLICY_DELETE
            | nv_attr::PLATFORMCREATE
            | nv_attr::NO_DA,
        &sp,
    );
    let special = c(with_policy(
        Cmd::new(cc::NV_UNDEFINE_SPACE_SPECIAL)
            .h(ix.nv_index)
            .h(rh::PLATFORM),
        1,
        &[],
    )
    .pw(b""));
    k.case(
        "policy/use/nv-undefine-special",
        vec![
            define(&ix, rh::PLATFORM),
            session(1),
            special.clone(),
            cmd_code(cc::NV_UNDEFINE_SPACE_SPECIAL),
            special,
        ],
    );
}

pub fn add(k: &mut Corpus) {
    digests(k);
    enforcement(k);
}
