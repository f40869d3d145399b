//! Policy and trial sessions (Part 3, §23; Part 1, §19.7): digests, assertions and their
//! enforcement when a policy session authorizes.

use super::*;
use tpm2_types::constants::alg;

const OWNER: u32 = rh::OWNER;

fn ext(old: &[u8], code: u32, data: &[u8]) -> Vec<u8> {
    tpm2_crypto::digest(SHA256, &[old, &code.to_be_bytes(), data])
}

fn policy(tpm: &mut Tpm, kind: u8) -> Client {
    Client::start(tpm, kind, NULL, &[], Sym::Null, SHA256).unwrap()
}

fn pol(tpm: &mut Tpm, code: u32, s: &Client, params: &[u8]) -> Rc {
    run(tpm, &Cmd::new(code).handle(s.handle).raw(params)).rc
}

fn get_digest(tpm: &mut Tpm, s: &Client) -> Vec<u8> {
    let r = run(tpm, &Cmd::new(cc::POLICY_GET_DIGEST).handle(s.handle)).ok();
    r.body[2..].to_vec()
}

fn set_owner_policy(tpm: &mut Tpm, d: &[u8]) {
    let c = Cmd::new(cc::SET_PRIMARY_POLICY)
        .handle(OWNER)
        .pw(b"")
        .b(d)
        .u16(alg::SHA256);
    run(tpm, &c).ok();
}

/// HierarchyChangeAuth(owner, `new`) authorized by `s` with HMAC key authValue `auth`.
fn owner_change(tpm: &mut Tpm, s: &mut Client, attrs: u8, auth: Option<&[u8]>, new: &[u8]) -> Out {
    call(
        tpm,
        cc::HIERARCHY_CHANGE_AUTH,
        &[OWNER],
        &[hname(OWNER)],
        &mut [Use::S(s, attrs, auth)],
        &b2(new),
        false,
    )
}

fn pcr_sel(pcr: usize) -> Vec<u8> {
    let mut sel = [0u8; 3];
    sel[pcr / 8] |= 1 << (pcr % 8);
    let mut v = 1u32.to_be_bytes().to_vec();
    v.extend_from_slice(&alg::SHA256.to_be_bytes());
    v.push(3);
    v.extend_from_slice(&sel);
    v
}

#[test]
fn digests_of_each_assertion() {
    let mut tpm = started();
    let t = policy(&mut tpm, se::TRIAL);
    let zero = vec![0u8; 32];
    assert_eq!(
        get_digest(&mut tpm, &t),
        zero,
        "a new policy digest is all zeros"
    );
    // PolicyCommandCode: H(old || TPM_CC_PolicyCommandCode || code).
    assert_eq!(
        pol(
            &mut tpm,
            cc::POLICY_COMMAND_CODE,
            &t,
            &cc::NV_WRITE.to_be_bytes()
        ),
        Rc::SUCCESS
    );
    let mut want = ext(&zero, cc::POLICY_COMMAND_CODE, &cc::NV_WRITE.to_be_bytes());
    assert_eq!(get_digest(&mut tpm, &t), want);
    // Another code than the one asserted; a code not implemented.
    assert_eq!(
        pol(
            &mut tpm,
            cc::POLICY_COMMAND_CODE,
            &t,
            &cc::NV_READ.to_be_bytes()
        ),
        Rc::VALUE.param(1)
    );
    assert_eq!(
        pol(
            &mut tpm,
            cc::POLICY_COMMAND_CODE,
            &t,
            &0x1FFu32.to_be_bytes()
        ),
        Rc::VALUE.param(1)
    );
    // PolicyAuthValue and PolicyPassword extend the same way.
    assert_eq!(pol(&mut tpm, cc::POLICY_AUTH_VALUE, &t, &[]), Rc::SUCCESS);
    want = ext(&want, cc::POLICY_AUTH_VALUE, &[]);
    assert_eq!(pol(&mut tpm, cc::POLICY_PASSWORD, &t, &[]), Rc::SUCCESS);
    want = ext(&want, cc::POLICY_AUTH_VALUE, &[]);
    assert_eq!(get_digest(&mut tpm, &t), want);
    // PolicyLocality: the locality as given; a second narrows the set.
    assert_eq!(pol(&mut tpm, cc::POLICY_LOCALITY, &t, &[0x03]), Rc::SUCCESS);
    want = ext(&want, cc::POLICY_LOCALITY, &[0x03]);
    assert_eq!(pol(&mut tpm, cc::POLICY_LOCALITY, &t, &[0x06]), Rc::SUCCESS);
    want = ext(&want, cc::POLICY_LOCALITY, &[0x06]);
    assert_eq!(
        pol(&mut tpm, cc::POLICY_LOCALITY, &t, &[0x10]),
        Rc::RANGE.param(1),
        "empty intersection"
    );
    assert_eq!(
        pol(&mut tpm, cc::POLICY_LOCALITY, &t, &[0]),
        Rc::RANGE.param(1)
    );
    assert_eq!(get_digest(&mut tpm, &t), want);
    // PolicyPCR in a trial session: the given digest is used as is.
    let mut p = b2(&[0x5A; 32]);
    p.extend_from_slice(&pcr_sel(10));
    assert_eq!(pol(&mut tpm, cc::POLICY_PCR, &t, &p), Rc::SUCCESS);
    want = ext(
        &want,
        cc::POLICY_PCR,
        &[pcr_sel(10), vec![0x5A; 32]].concat(),
    );
    assert_eq!(get_digest(&mut tpm, &t), want);
    // PolicyOR: zeros || code || the digests; 2 to 8 of them.
    let other = vec![1u8; 32];
    let mut p = 2u32.to_be_bytes().to_vec();
    p.extend_from_slice(&b2(&other));
    p.extend_from_slice(&b2(&want));
    assert_eq!(pol(&mut tpm, cc::POLICY_OR, &t, &p), Rc::SUCCESS);
    let want = ext(&zero, cc::POLICY_OR, &[other.clone(), want].concat());
    assert_eq!(get_digest(&mut tpm, &t), want);
    let mut p = 1u32.to_be_bytes().to_vec();
    p.extend_from_slice(&b2(&other));
    assert_eq!(pol(&mut tpm, cc::POLICY_OR, &t, &p), Rc::SIZE.param(1));
    // PolicyRestart: zeros again.
    assert_eq!(pol(&mut tpm, cc::POLICY_RESTART, &t, &[]), Rc::SUCCESS);
    assert_eq!(get_digest(&mut tpm, &t), zero);
    // A policy command on an HMAC session's slot, on an unloaded one.
    let h = hmac_session(&mut tpm);
    let c = Cmd::new(cc::POLICY_GET_DIGEST).handle(0x0300_0000 | (h.handle & 0xFF));
    assert_eq!(run(&mut tpm, &c).rc, Rc::HANDLE.handle(1));
    let c = Cmd::new(cc::POLICY_GET_DIGEST).handle(0x0300_0020);
    assert_eq!(run(&mut tpm, &c).rc, Rc(Rc::REFERENCE_H0.0));
}

#[test]
fn policy_session_checks_as_it_goes() {
    let mut tpm = started();
    let s = policy(&mut tpm, se::POLICY);
    // PolicyOR: the current digest must be in the list.
    let mut p = 2u32.to_be_bytes().to_vec();
    p.extend_from_slice(&b2(&[1; 32]));
    p.extend_from_slice(&b2(&[2; 32]));
    assert_eq!(pol(&mut tpm, cc::POLICY_OR, &s, &p), Rc::VALUE.param(1));
    // PolicyPCR: a given digest must be the PCRs' (H(PCR 10) for a fresh PCR 10).
    let d10 = tpm2_crypto::digest(SHA256, &[&[0u8; 32]]);
    let mut p = b2(&[0x5A; 32]);
    p.extend_from_slice(&pcr_sel(10));
    assert_eq!(pol(&mut tpm, cc::POLICY_PCR, &s, &p), Rc::VALUE.param(1));
    let mut p = b2(&d10);
    p.extend_from_slice(&pcr_sel(10));
    assert_eq!(pol(&mut tpm, cc::POLICY_PCR, &s, &p), Rc::SUCCESS);
    // A PCR change since: TPM_RC_PCR_CHANGED at the next PolicyPCR.
    let c = Cmd::new(cc::PCR_EXTEND)
        .handle(10)
        .pw(b"")
        .u32(1)
        .u16(alg::SHA256)
        .raw(&[7; 32]);
    run(&mut tpm, &c).ok();
    let mut p = b2(&[]);
    p.extend_from_slice(&pcr_sel(10));
    assert_eq!(pol(&mut tpm, cc::POLICY_PCR, &s, &p), Rc::PCR_CHANGED);
}

#[test]
fn enforcement_on_a_hierarchy() {
    let mut tpm = started();
    let zero = vec![0u8; 32];
    // Without an owner policy a policy session cannot authorize owner.
    let mut s = policy(&mut tpm, se::POLICY);
    assert_eq!(
        owner_change(&mut tpm, &mut s, CONT, None, b"").rc,
        Rc::AUTH_UNAVAILABLE
    );
    // Policy: command code + PCR 10 + authValue.
    let d10 = tpm2_crypto::digest(SHA256, &[&[0u8; 32]]);
    let mut want = ext(
        &zero,
        cc::POLICY_COMMAND_CODE,
        &cc::HIERARCHY_CHANGE_AUTH.to_be_bytes(),
    );
    want = ext(&want, cc::POLICY_PCR, &[pcr_sel(10), d10].concat());
    want = ext(&want, cc::POLICY_AUTH_VALUE, &[]);
    set_owner_policy(&mut tpm, &want);
    let c = Cmd::new(cc::HIERARCHY_CHANGE_AUTH)
        .handle(OWNER)
        .pw(b"")
        .b(b"own");
    run(&mut tpm, &c).ok();
    let assert_all = |tpm: &mut Tpm, s: &Client| {
        pol(
            tpm,
            cc::POLICY_COMMAND_CODE,
            s,
            &cc::HIERARCHY_CHANGE_AUTH.to_be_bytes(),
        );
        let mut p = b2(&[]);
        p.extend_from_slice(&pcr_sel(10));
        pol(tpm, cc::POLICY_PCR, s, &p);
        pol(tpm, cc::POLICY_AUTH_VALUE, s, &[])
    };
    assert_eq!(assert_all(&mut tpm, &s), Rc::SUCCESS);
    assert_eq!(get_digest(&mut tpm, &s), want);
    // PolicyAuthValue: the HMAC key includes the authValue (Part 1, §19.7.3).
    assert_eq!(
        owner_change(&mut tpm, &mut s, CONT, None, b"own").rc,
        Rc::BAD_AUTH.session(1)
    );
    assert_eq!(
        owner_change(&mut tpm, &mut s, CONT, Some(b"own"), b"own").rc,
        Rc::SUCCESS
    );
    // A used policy session starts over: its digest no longer matches.
    assert_eq!(get_digest(&mut tpm, &s), zero);
    assert_eq!(
        owner_change(&mut tpm, &mut s, CONT, None, b"own").rc,
        Rc::POLICY_FAIL.session(1)
    );
    // A PCR change between PolicyPCR and the authorization.
    assert_eq!(assert_all(&mut tpm, &s), Rc::SUCCESS);
    let c = Cmd::new(cc::PCR_EXTEND)
        .handle(10)
        .pw(b"")
        .u32(1)
        .u16(alg::SHA256)
        .raw(&[7; 32]);
    run(&mut tpm, &c).ok();
    assert_eq!(
        owner_change(&mut tpm, &mut s, CONT, Some(b"own"), b"own").rc,
        Rc::PCR_CHANGED
    );
    // The right digest for another command: TPM_RC_POLICY_CC.
    let clear = ext(&zero, cc::POLICY_COMMAND_CODE, &cc::CLEAR.to_be_bytes());
    set_owner_policy_with(&mut tpm, b"own", &clear);
    pol(&mut tpm, cc::POLICY_RESTART, &s, &[]);
    pol(
        &mut tpm,
        cc::POLICY_COMMAND_CODE,
        &s,
        &cc::CLEAR.to_be_bytes(),
    );
    assert_eq!(
        owner_change(&mut tpm, &mut s, CONT, None, b"own").rc,
        Rc::POLICY_CC.session(1)
    );
}

#[test]
fn password_and_locality() {
    let mut tpm = started();
    let zero = vec![0u8; 32];
    // PolicyPassword: the HMAC field carries the authValue; the response HMAC is empty.
    set_owner_policy(&mut tpm, &ext(&zero, cc::POLICY_AUTH_VALUE, &[]));
    run(
        &mut tpm,
        &Cmd::new(cc::HIERARCHY_CHANGE_AUTH)
            .handle(OWNER)
            .pw(b"")
            .b(b"own"),
    )
    .ok();
    let s = policy(&mut tpm, se::POLICY);
    pol(&mut tpm, cc::POLICY_PASSWORD, &s, &[]);
    let o = call(
        &mut tpm,
        cc::HIERARCHY_CHANGE_AUTH,
        &[OWNER],
        &[hname(OWNER)],
        &mut [Use::Raw(s.handle, vec![1; 16], CONT, b"bad".to_vec())],
        &b2(b"own"),
        false,
    );
    assert_eq!(o.rc, Rc::BAD_AUTH.session(1));
    let o = call(
        &mut tpm,
        cc::HIERARCHY_CHANGE_AUTH,
        &[OWNER],
        &[hname(OWNER)],
        &mut [Use::Raw(s.handle, vec![1; 16], CONT, b"own".to_vec())],
        &b2(b"own"),
        false,
    );
    assert_eq!(o.rc, Rc::SUCCESS);
    assert!(
        o.sessions[0].2.is_empty(),
        "no response HMAC for a password policy"
    );
    // PolicyLocality: the authorization must come from an asserted locality.
    set_owner_policy_with(&mut tpm, b"own", &ext(&zero, cc::POLICY_LOCALITY, &[0x08]));
    pol(&mut tpm, cc::POLICY_LOCALITY, &s, &[0x08]);
    let auth = |tpm: &mut Tpm, loc: u8| {
        let c = Cmd::new(cc::HIERARCHY_CHANGE_AUTH)
            .handle(OWNER)
            .session(s.handle, &[2; 16], CONT, &[])
            .b(b"own");
        run_at(tpm, loc, &c).rc
    };
    assert_eq!(auth(&mut tpm, 0), Rc::LOCALITY);
    assert_eq!(auth(&mut tpm, 3), Rc::SUCCESS);
}

fn set_owner_policy_with(tpm: &mut Tpm, pw: &[u8], d: &[u8]) {
    let c = Cmd::new(cc::SET_PRIMARY_POLICY)
        .handle(OWNER)
        .pw(pw)
        .b(d)
        .u16(alg::SHA256);
    run(tpm, &c).ok();
}

#[test]
fn enforcement_on_nv_indices() {
    let mut tpm = started();
    let zero = vec![0u8; 32];
    // ADMIN role (NV_ChangeAuth): a policy session only, with the command code asserted.
    let admin = ext(
        &zero,
        cc::POLICY_COMMAND_CODE,
        &cc::NV_CHANGE_AUTH.to_be_bytes(),
    );
    let attrs = nv_attr::OWNERREAD | nv_attr::OWNERWRITE | nv_attr::AUTHREAD | nv_attr::NO_DA;
    let ix = define(&mut tpm, 0x0150_0040, attrs, 8, b"", &admin);
    let h = ix.nv_index;
    let c = Cmd::new(cc::NV_CHANGE_AUTH).handle(h).pw(b"").b(b"x");
    assert_eq!(run(&mut tpm, &c).rc, Rc::AUTH_TYPE);
    let s = policy(&mut tpm, se::POLICY);
    let change = |tpm: &mut Tpm| {
        let c = Cmd::new(cc::NV_CHANGE_AUTH)
            .handle(h)
            .session(s.handle, &[3; 16], CONT, &[])
            .b(b"new");
        run(tpm, &c).rc
    };
    // The digest matches (empty policy? no: zeros ≠ admin) — without the command code an
    // ADMIN authorization fails even with a matching digest.
    assert_eq!(change(&mut tpm), Rc::POLICY_FAIL.session(1));
    pol(
        &mut tpm,
        cc::POLICY_COMMAND_CODE,
        &s,
        &cc::NV_CHANGE_AUTH.to_be_bytes(),
    );
    assert_eq!(change(&mut tpm), Rc::SUCCESS);
    // USER role: POLICYREAD decides whether the policy may authorize a read.
    let r = ext(&zero, cc::POLICY_COMMAND_CODE, &cc::NV_READ.to_be_bytes());
    for (attrs, want) in [
        (
            nv_attr::POLICYREAD | nv_attr::OWNERWRITE,
            Rc::NV_UNINITIALIZED,
        ),
        (
            nv_attr::AUTHREAD | nv_attr::OWNERWRITE,
            Rc::AUTH_UNAVAILABLE,
        ),
    ] {
        let ix = define(&mut tpm, 0x0150_0041, attrs | nv_attr::NO_DA, 8, b"", &r);
        pol(
            &mut tpm,
            cc::POLICY_COMMAND_CODE,
            &s,
            &cc::NV_READ.to_be_bytes(),
        );
        let c = Cmd::new(cc::NV_READ)
            .handle(ix.nv_index)
            .handle(ix.nv_index)
            .session(s.handle, &[4; 16], CONT, &[])
            .u16(8)
            .u16(0);
        assert_eq!(run(&mut tpm, &c).rc, want, "{attrs:#x}");
        pol(&mut tpm, cc::POLICY_RESTART, &s, &[]);
        run(
            &mut tpm,
            &Cmd::new(cc::NV_UNDEFINE_SPACE)
                .handle(OWNER)
                .handle(ix.nv_index)
                .pw(b""),
        )
        .ok();
    }
    // A trial session can never authorize.
    let t = policy(&mut tpm, se::TRIAL);
    let c = Cmd::new(cc::NV_CHANGE_AUTH)
        .handle(h)
        .session(t.handle, &[3; 16], CONT, &[])
        .b(b"x");
    assert_eq!(run(&mut tpm, &c).rc, Rc::ATTRIBUTES.session(1));
}
