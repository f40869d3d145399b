//! The policy assertions beyond the digest-only ones (Part 3, §23.3–§23.5, §23.9–§23.16,
//! §23.20–§23.22): digests computed here from Part 3's update formulas, tickets, the
//! checks at authorization time, and policy state kept through ContextSave/ContextLoad.

use super::*;
use crate::outil;
use std::sync::atomic::Ordering;
use tpm2_types::constants::{ecc_curve, st};
use tpm2_types::object::{Scheme, Signature};

const OWNER: u32 = rh::OWNER;
const IX: u32 = 0x0150_0020;

fn h(parts: &[&[u8]]) -> Vec<u8> {
    tpm2_crypto::digest(SHA256, parts)
}

fn ext(old: &[u8], code: u32, data: &[&[u8]]) -> Vec<u8> {
    let c = code.to_be_bytes();
    let mut p: Vec<&[u8]> = vec![old, &c];
    p.extend_from_slice(data);
    h(&p)
}

/// PolicySigned/Secret/Authorize: H(H(old || code || name) || policyRef).
fn ext_ref(old: &[u8], code: u32, name: &[u8], policy_ref: &[u8]) -> Vec<u8> {
    h(&[&ext(old, code, &[name]), policy_ref])
}

/// A new session (after flushing the loaded ones: at most three fit).
fn session(tpm: &mut Tpm, kind: u8) -> Client {
    for h in handles(tpm, 0x0200_0000) {
        flush(tpm, h);
    }
    Client::start(tpm, kind, NULL, &[], Sym::Null, SHA256).unwrap()
}

fn get_digest(tpm: &mut Tpm, s: &Client) -> Vec<u8> {
    run(tpm, &Cmd::new(cc::POLICY_GET_DIGEST).handle(s.handle))
        .ok()
        .body[2..]
        .to_vec()
}

fn pol(tpm: &mut Tpm, code: u32, s: &Client, params: &[u8]) -> Rc {
    run(tpm, &Cmd::new(code).handle(s.handle).raw(params)).rc
}

/// PolicySecret(owner) with password authorization: the response (timeout, ticket).
fn secret(tpm: &mut Tpm, s: &Client, nonce: &[u8], cp: &[u8], r: &[u8], exp: i32) -> Resp {
    run(
        tpm,
        &Cmd::new(cc::POLICY_SECRET)
            .handle(OWNER)
            .handle(s.handle)
            .pw(b"")
            .b(nonce)
            .b(cp)
            .b(r)
            .u32(exp as u32),
    )
}

/// An ECDSA P-256 signing key (primary in the owner hierarchy) and its Name.
fn signing_key(tpm: &mut Tpm) -> (u32, Vec<u8>) {
    let t = outil::ecc(
        outil::SIGNING,
        ecc_curve::NIST_P256,
        Scheme::Ecdsa(SHA256),
        None,
    );
    let (k, public) = outil::primary(tpm, OWNER, &t);
    let mut name = alg_id(SHA256);
    name.extend_from_slice(&h(&[&public.to_bytes()]));
    (k, name)
}

fn alg_id(a: HashAlg) -> Vec<u8> {
    a.id().to_be_bytes().to_vec()
}

/// An index readable with its policy (written once by the owner).
fn policy_index(tpm: &mut Tpm, policy: &[u8]) -> Vec<u8> {
    let attrs = nv_attr::OWNERWRITE | nv_attr::POLICYREAD | nv_attr::AUTHWRITE;
    define(tpm, IX, attrs, 4, b"", policy);
    let w = Cmd::new(cc::NV_WRITE)
        .handle(OWNER)
        .handle(IX)
        .pw(b"")
        .b(&[1, 2, 3, 4])
        .u16(0);
    run(tpm, &w).ok();
    let p = TpmsNvPublic {
        nv_index: IX,
        name_alg: SHA256,
        attributes: attrs | nv_attr::WRITTEN,
        auth_policy: Tpm2bDigest::from(policy.to_vec()),
        data_size: 4,
    };
    nv_name(&p)
}

/// NV_Read(IX) authorized by policy session `s`.
fn nv_read(tpm: &mut Tpm, s: &mut Client, name: &[u8]) -> Out {
    let mut params = 4u16.to_be_bytes().to_vec();
    params.extend_from_slice(&0u16.to_be_bytes());
    call(
        tpm,
        cc::NV_READ,
        &[IX, IX],
        &[name.to_vec(), name.to_vec()],
        &mut [Use::S(s, CONT, None)],
        &params,
        false,
    )
}

#[test]
fn trial_digests_follow_part_3() {
    let mut tpm = started();
    let zero = vec![0u8; 32];
    let (key, key_name) = signing_key(&mut tpm);

    // PolicySigned in a trial session: no signature check, the Name and policyRef count.
    let t = session(&mut tpm, se::TRIAL);
    let sig = Signature::Ecc {
        scheme: Scheme::Ecdsa(SHA256),
        r: tpm2_types::Tpm2b(vec![1; 32]),
        s: tpm2_types::Tpm2b(vec![2; 32]),
    };
    let c = Cmd::new(cc::POLICY_SIGNED)
        .handle(key)
        .handle(t.handle)
        .b(b"")
        .b(b"")
        .b(b"ref")
        .u32(0)
        .put(&sig);
    let r = run(&mut tpm, &c).ok();
    assert_eq!(&r.body[..2], &[0, 0], "no timeout");
    let mut want = ext_ref(&zero, cc::POLICY_SIGNED, &key_name, b"ref");
    assert_eq!(get_digest(&mut tpm, &t), want);
    // PolicySecret(owner): H(H(old || CC || Name(owner)) || policyRef).
    secret(&mut tpm, &t, b"", b"", b"", 0).ok();
    want = ext_ref(&want, cc::POLICY_SECRET, &OWNER.to_be_bytes(), b"");
    assert_eq!(get_digest(&mut tpm, &t), want);
    // PolicyCpHash, then a NameHash or Template conflicts with it.
    let cp = h(&[b"cp"]);
    assert_eq!(pol(&mut tpm, cc::POLICY_CP_HASH, &t, &b2(&cp)), Rc::SUCCESS);
    want = ext(&want, cc::POLICY_CP_HASH, &[&cp]);
    assert_eq!(pol(&mut tpm, cc::POLICY_CP_HASH, &t, &b2(&cp)), Rc::SUCCESS);
    want = ext(&want, cc::POLICY_CP_HASH, &[&cp]);
    assert_eq!(
        pol(&mut tpm, cc::POLICY_CP_HASH, &t, &b2(&[7; 32])),
        Rc::CPHASH
    );
    assert_eq!(
        pol(&mut tpm, cc::POLICY_CP_HASH, &t, &b2(&[7; 20])),
        Rc::SIZE.param(1)
    );
    assert_eq!(
        pol(&mut tpm, cc::POLICY_NAME_HASH, &t, &b2(&cp)),
        Rc::CPHASH
    );
    assert_eq!(pol(&mut tpm, cc::POLICY_TEMPLATE, &t, &b2(&cp)), Rc::CPHASH);
    // PolicyNvWritten: the byte; a contradiction is refused.
    assert_eq!(pol(&mut tpm, cc::POLICY_NV_WRITTEN, &t, &[1]), Rc::SUCCESS);
    want = ext(&want, cc::POLICY_NV_WRITTEN, &[&[1]]);
    assert_eq!(
        pol(&mut tpm, cc::POLICY_NV_WRITTEN, &t, &[0]),
        Rc::VALUE.param(1)
    );
    assert_eq!(
        pol(&mut tpm, cc::POLICY_NV_WRITTEN, &t, &[2]),
        Rc::VALUE.param(1)
    );
    // PolicyPhysicalPresence: the code only.
    assert_eq!(
        pol(&mut tpm, cc::POLICY_PHYSICAL_PRESENCE, &t, &[]),
        Rc::SUCCESS
    );
    want = ext(&want, cc::POLICY_PHYSICAL_PRESENCE, &[]);
    // PolicyCounterTimer: H(old || CC || H(operandB || offset || operation)).
    let mut ct = b2(&[0; 8]);
    ct.extend_from_slice(&8u16.to_be_bytes());
    ct.extend_from_slice(&7u16.to_be_bytes());
    assert_eq!(
        pol(&mut tpm, cc::POLICY_COUNTER_TIMER, &t, &ct),
        Rc::SUCCESS
    );
    let args = h(&[&[0; 8], &8u16.to_be_bytes(), &7u16.to_be_bytes()]);
    want = ext(&want, cc::POLICY_COUNTER_TIMER, &[&args]);
    let mut far = b2(&[0; 8]);
    far.extend_from_slice(&20u16.to_be_bytes());
    far.extend_from_slice(&0u16.to_be_bytes());
    assert_eq!(pol(&mut tpm, cc::POLICY_COUNTER_TIMER, &t, &far), Rc::RANGE);
    let mut bad_op = b2(&[0; 1]);
    bad_op.extend_from_slice(&0u16.to_be_bytes());
    bad_op.extend_from_slice(&12u16.to_be_bytes());
    assert_eq!(
        pol(&mut tpm, cc::POLICY_COUNTER_TIMER, &t, &bad_op),
        Rc::VALUE.param(3)
    );
    assert_eq!(get_digest(&mut tpm, &t), want);
    flush(&mut tpm, t.handle);

    // PolicyNameHash, PolicyTemplate, PolicyDuplicationSelect on fresh sessions.
    let t = session(&mut tpm, se::TRIAL);
    assert_eq!(
        pol(&mut tpm, cc::POLICY_NAME_HASH, &t, &b2(&cp)),
        Rc::SUCCESS
    );
    assert_eq!(
        get_digest(&mut tpm, &t),
        ext(&zero, cc::POLICY_NAME_HASH, &[&cp])
    );
    assert_eq!(
        pol(&mut tpm, cc::POLICY_NAME_HASH, &t, &b2(&cp)),
        Rc::CPHASH
    );
    flush(&mut tpm, t.handle);
    let t = session(&mut tpm, se::TRIAL);
    assert_eq!(
        pol(&mut tpm, cc::POLICY_TEMPLATE, &t, &b2(&cp)),
        Rc::SUCCESS
    );
    assert_eq!(
        pol(&mut tpm, cc::POLICY_TEMPLATE, &t, &b2(&[9; 32])),
        Rc::VALUE.param(1)
    );
    assert_eq!(
        get_digest(&mut tpm, &t),
        ext(&zero, cc::POLICY_TEMPLATE, &[&cp])
    );
    flush(&mut tpm, t.handle);
    let t = session(&mut tpm, se::TRIAL);
    let (obj, parent) = (vec![0, 11, 1, 2], vec![0, 11, 3, 4]);
    let mut p = b2(&obj);
    p.extend_from_slice(&b2(&parent));
    p.push(0);
    assert_eq!(
        pol(&mut tpm, cc::POLICY_DUPLICATION_SELECT, &t, &p),
        Rc::SUCCESS
    );
    assert_eq!(
        get_digest(&mut tpm, &t),
        ext(&zero, cc::POLICY_DUPLICATION_SELECT, &[&parent, &[0]])
    );
    assert_eq!(
        pol(&mut tpm, cc::POLICY_DUPLICATION_SELECT, &t, &p),
        Rc::CPHASH
    );
    flush(&mut tpm, t.handle);
    let t = session(&mut tpm, se::TRIAL);
    p.pop();
    p.push(1);
    assert_eq!(
        pol(&mut tpm, cc::POLICY_DUPLICATION_SELECT, &t, &p),
        Rc::SUCCESS
    );
    assert_eq!(
        get_digest(&mut tpm, &t),
        ext(&zero, cc::POLICY_DUPLICATION_SELECT, &[&obj, &parent, &[1]])
    );
    // PolicyAuthorize in a trial: only the Name is checked.
    let mut a = b2(&[5; 32]);
    a.extend_from_slice(&b2(b"r"));
    a.extend_from_slice(&b2(&key_name));
    a.extend_from_slice(&st::VERIFIED.to_be_bytes());
    a.extend_from_slice(&NULL.to_be_bytes());
    a.extend_from_slice(&0u16.to_be_bytes());
    assert_eq!(pol(&mut tpm, cc::POLICY_AUTHORIZE, &t, &a), Rc::SUCCESS);
    assert_eq!(
        get_digest(&mut tpm, &t),
        ext_ref(&zero, cc::POLICY_AUTHORIZE, &key_name, b"r")
    );
    let mut short = b2(&[5; 32]);
    short.extend_from_slice(&b2(b""));
    short.extend_from_slice(&b2(&key_name[..20]));
    short.extend_from_slice(&a[a.len() - 8..]);
    assert_eq!(
        pol(&mut tpm, cc::POLICY_AUTHORIZE, &t, &short),
        Rc::SIZE.param(3)
    );
}

#[test]
fn policy_secret_and_its_ticket_authorize() {
    let mut tpm = started();
    let zero = vec![0u8; 32];
    let policy = ext_ref(&zero, cc::POLICY_SECRET, &OWNER.to_be_bytes(), b"");
    let name = policy_index(&mut tpm, &policy);

    let mut s = session(&mut tpm, se::POLICY);
    // A wrong nonceTPM; a cpHash of the wrong size.
    assert_eq!(
        secret(&mut tpm, &s, &[1; 16], b"", b"", 0).rc,
        Rc::NONCE.param(1)
    );
    assert_eq!(
        secret(&mut tpm, &s, b"", &[1; 20], b"", 0).rc,
        Rc::SIZE.param(2)
    );
    let nonce = s.nonce_tpm.clone();
    let r = secret(&mut tpm, &s, &nonce, b"", b"", -600).ok();
    assert_eq!(get_digest(&mut tpm, &s), policy);
    let out = nv_read(&mut tpm, &mut s, &name);
    assert_eq!(out.rc, Rc::SUCCESS);
    assert_eq!(&out.params[2..], &[1, 2, 3, 4]);

    // The ticket stands for the assertion in another session.
    let mut rd = r.reader();
    let timeout = tpm2_types::Tpm2bTimeout::read(&mut rd).unwrap();
    assert_eq!(timeout.len(), 8);
    let tag = rd.u16().unwrap();
    let hierarchy = rd.u32().unwrap();
    let digest = Tpm2bDigest::read(&mut rd).unwrap();
    assert_eq!((tag, hierarchy, digest.len()), (st::AUTH_SECRET, OWNER, 64));
    let mut s2 = session(&mut tpm, se::POLICY);
    let ticket = |d: &[u8]| {
        let mut p = b2(timeout.as_slice());
        p.extend_from_slice(&b2(b""));
        p.extend_from_slice(&b2(b""));
        p.extend_from_slice(&b2(&OWNER.to_be_bytes()));
        p.extend_from_slice(&tag.to_be_bytes());
        p.extend_from_slice(&hierarchy.to_be_bytes());
        p.extend_from_slice(&b2(d));
        p
    };
    let mut bad = digest.as_slice().to_vec();
    bad[0] ^= 1;
    assert_eq!(
        pol(&mut tpm, cc::POLICY_TICKET, &s2, &ticket(&bad)),
        Rc::TICKET.param(5)
    );
    assert_eq!(
        pol(&mut tpm, cc::POLICY_TICKET, &s2, &ticket(digest.as_slice())),
        Rc::SUCCESS
    );
    assert_eq!(get_digest(&mut tpm, &s2), policy);
    assert_eq!(nv_read(&mut tpm, &mut s2, &name).rc, Rc::SUCCESS);
    // Not in a trial session.
    let t = session(&mut tpm, se::TRIAL);
    assert_eq!(
        pol(&mut tpm, cc::POLICY_TICKET, &t, &ticket(digest.as_slice())),
        Rc::ATTRIBUTES.handle(1)
    );
}

#[test]
fn policy_signed_and_policy_authorize() {
    let mut tpm = started();
    let zero = vec![0u8; 32];
    let (key, key_name) = signing_key(&mut tpm);

    // PolicySigned over H(nonceTPM || expiration || cpHashA || policyRef).
    let s = session(&mut tpm, se::POLICY);
    let a_hash = h(&[&s.nonce_tpm, &0i32.to_be_bytes(), b"", b"ref"]);
    let sig = outil::sign(&mut tpm, key, &a_hash, Scheme::Ecdsa(SHA256)).unwrap();
    let signed = |tpm: &mut Tpm, nonce: &[u8], sig: &Signature| {
        run(
            tpm,
            &Cmd::new(cc::POLICY_SIGNED)
                .handle(key)
                .handle(s.handle)
                .b(nonce)
                .b(b"")
                .b(b"ref")
                .u32(0)
                .put(sig),
        )
        .rc
    };
    let other = outil::sign(&mut tpm, key, &h(&[b"x"]), Scheme::Ecdsa(SHA256)).unwrap();
    assert_eq!(
        signed(&mut tpm, &s.nonce_tpm.clone(), &other),
        Rc::SIGNATURE.param(5)
    );
    assert_eq!(signed(&mut tpm, &s.nonce_tpm.clone(), &sig), Rc::SUCCESS);
    assert_eq!(
        get_digest(&mut tpm, &s),
        ext_ref(&zero, cc::POLICY_SIGNED, &key_name, b"ref")
    );

    // PolicyAuthorize: the approved policy (PolicyCommandCode(NV_Read)) signed by the key,
    // checked through VerifySignature's ticket.
    let approved = ext(
        &zero,
        cc::POLICY_COMMAND_CODE,
        &[&cc::NV_READ.to_be_bytes()],
    );
    let authorized = ext_ref(&zero, cc::POLICY_AUTHORIZE, &key_name, b"");
    let name = policy_index(&mut tpm, &authorized);
    let a_hash = h(&[&approved, b""]);
    let sig = outil::sign(&mut tpm, key, &a_hash, Scheme::Ecdsa(SHA256)).unwrap();
    let r = outil::go(
        &mut tpm,
        &Cmd::new(cc::VERIFY_SIGNATURE)
            .handle(key)
            .b(&a_hash)
            .put(&sig),
    )
    .ok();
    let ticket = r.body.clone();
    let mut s = session(&mut tpm, se::POLICY);
    let authorize = |tpm: &mut Tpm, s: &Client, ticket: &[u8]| {
        let mut p = b2(&approved);
        p.extend_from_slice(&b2(b""));
        p.extend_from_slice(&b2(&key_name));
        p.extend_from_slice(ticket);
        pol(tpm, cc::POLICY_AUTHORIZE, s, &p)
    };
    // Before the approved policy is in the session: TPM_RC_VALUE on approvedPolicy.
    assert_eq!(authorize(&mut tpm, &s, &ticket), Rc::VALUE.param(1));
    let code = cc::NV_READ.to_be_bytes();
    assert_eq!(
        pol(&mut tpm, cc::POLICY_COMMAND_CODE, &s, &code),
        Rc::SUCCESS
    );
    let mut bad = ticket.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert_eq!(authorize(&mut tpm, &s, &bad), Rc::VALUE.param(4));
    let mut wrong_tag = ticket.clone();
    wrong_tag[..2].copy_from_slice(&st::AUTH_SIGNED.to_be_bytes());
    assert_eq!(authorize(&mut tpm, &s, &wrong_tag), Rc::TAG.param(4));
    assert_eq!(authorize(&mut tpm, &s, &ticket), Rc::SUCCESS);
    assert_eq!(get_digest(&mut tpm, &s), authorized);
    let out = nv_read(&mut tpm, &mut s, &name);
    assert_eq!(out.rc, Rc::SUCCESS);
}

#[test]
fn policy_authorize_nv_reads_the_approved_policy() {
    let mut tpm = started();
    let zero = vec![0u8; 32];
    // The policy index holds TPMT_HA(SHA-256, PolicyCommandCode(NV_Read)).
    let approved = ext(
        &zero,
        cc::POLICY_COMMAND_CODE,
        &[&cc::NV_READ.to_be_bytes()],
    );
    let pix = 0x0150_0030;
    let attrs = nv_attr::OWNERWRITE | nv_attr::OWNERREAD | nv_attr::AUTHREAD;
    let pp = define(&mut tpm, pix, attrs, 34, b"", b"");
    let mut ha = alg_id(SHA256);
    ha.extend_from_slice(&approved);
    let w = Cmd::new(cc::NV_WRITE)
        .handle(OWNER)
        .handle(pix)
        .pw(b"")
        .b(&ha)
        .u16(0);
    run(&mut tpm, &w).ok();
    let mut written = pp.clone();
    written.attributes |= nv_attr::WRITTEN;
    let policy = ext(&zero, cc::POLICY_AUTHORIZE_NV, &[&nv_name(&written)]);
    let name = policy_index(&mut tpm, &policy);

    let anv = |tpm: &mut Tpm, s: &Client| {
        run(
            tpm,
            &Cmd::new(cc::POLICY_AUTHORIZE_NV)
                .handle(OWNER)
                .handle(pix)
                .handle(s.handle)
                .pw(b""),
        )
        .rc
    };
    let mut s = session(&mut tpm, se::POLICY);
    assert_eq!(
        anv(&mut tpm, &s),
        Rc::VALUE,
        "digest not yet the approved one"
    );
    pol(
        &mut tpm,
        cc::POLICY_COMMAND_CODE,
        &s,
        &cc::NV_READ.to_be_bytes(),
    );
    assert_eq!(anv(&mut tpm, &s), Rc::SUCCESS);
    assert_eq!(get_digest(&mut tpm, &s), policy);
    assert_eq!(nv_read(&mut tpm, &mut s, &name).rc, Rc::SUCCESS);
    let t = session(&mut tpm, se::TRIAL);
    assert_eq!(anv(&mut tpm, &t), Rc::SUCCESS);
    assert_eq!(get_digest(&mut tpm, &t), policy);
}

#[test]
fn conditions_are_enforced_at_authorization() {
    let p = SimPlatform::new(3);
    let clock = p.clock();
    let mut tpm = Tpm::manufacture(Box::new(p));
    run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    let zero = vec![0u8; 32];

    // PolicyNV over the index itself, then PolicyNvWritten.
    let secret_policy = ext_ref(&zero, cc::POLICY_SECRET, &OWNER.to_be_bytes(), b"");
    let name = policy_index(&mut tpm, &secret_policy);

    // An expiration 1 s after the session started: expired 2 s later.
    let mut s = session(&mut tpm, se::POLICY);
    let nonce = s.nonce_tpm.clone();
    secret(&mut tpm, &s, &nonce, b"", b"", 1).ok();
    clock.fetch_add(2_000, Ordering::Relaxed);
    assert_eq!(nv_read(&mut tpm, &mut s, &name).rc, Rc::EXPIRED.session(1));
    // ... and PolicySecret itself refuses it now.
    let nonce = s.nonce_tpm.clone();
    assert_eq!(
        secret(&mut tpm, &s, &nonce, b"", b"", 1).rc,
        Rc::EXPIRED.param(4)
    );

    // A cpHash that is not the command's.
    let mut s = session(&mut tpm, se::POLICY);
    secret(&mut tpm, &s, b"", &[3; 32], b"", 0).ok();
    assert_eq!(
        nv_read(&mut tpm, &mut s, &name).rc,
        Rc::POLICY_FAIL.session(1)
    );
    // A failed authorization leaves the assertions in place: another cpHash conflicts.
    assert_eq!(secret(&mut tpm, &s, b"", &[4; 32], b"", 0).rc, Rc::CPHASH);
    // After PolicyRestart, the right one (the Names and parameters of NV_Read).
    assert_eq!(pol(&mut tpm, cc::POLICY_RESTART, &s, &[]), Rc::SUCCESS);
    let mut params = 4u16.to_be_bytes().to_vec();
    params.extend_from_slice(&0u16.to_be_bytes());
    let cp = cp_hash(SHA256, cc::NV_READ, &[name.clone(), name.clone()], &params);
    secret(&mut tpm, &s, b"", &cp, b"", 0).ok();
    assert_eq!(nv_read(&mut tpm, &mut s, &name).rc, Rc::SUCCESS);

    // Physical presence is never asserted on this platform.
    let t = session(&mut tpm, se::TRIAL);
    pol(&mut tpm, cc::POLICY_PHYSICAL_PRESENCE, &t, &[]);
    let pp_policy = get_digest(&mut tpm, &t);
    flush(&mut tpm, t.handle);
    run(
        &mut tpm,
        &Cmd::new(cc::NV_UNDEFINE_SPACE)
            .handle(OWNER)
            .handle(IX)
            .pw(b""),
    )
    .ok();
    let name = policy_index(&mut tpm, &pp_policy);
    let mut s = session(&mut tpm, se::POLICY);
    pol(&mut tpm, cc::POLICY_PHYSICAL_PRESENCE, &s, &[]);
    assert_eq!(nv_read(&mut tpm, &mut s, &name).rc, Rc::PP.session(1));

    // PolicyNV: the index data compared; PolicyNvWritten checked on the index.
    let mut nv = b2(&[1, 2]);
    nv.extend_from_slice(&0u16.to_be_bytes());
    nv.extend_from_slice(&0u16.to_be_bytes()); // EQ
    let nv_cmd = |tpm: &mut Tpm, s: &Client, p: &[u8]| {
        run(
            tpm,
            &Cmd::new(cc::POLICY_NV)
                .handle(OWNER)
                .handle(IX)
                .handle(s.handle)
                .pw(b"")
                .raw(p),
        )
        .rc
    };
    let s = session(&mut tpm, se::POLICY);
    // OWNERREAD is not set: the owner may not read it.
    assert_eq!(nv_cmd(&mut tpm, &s, &nv), Rc::NV_AUTHORIZATION);
    flush(&mut tpm, s.handle);
    let attrs = nv_attr::OWNERWRITE | nv_attr::OWNERREAD;
    let nvp = define(&mut tpm, 0x0150_0040, attrs, 4, b"", b"");
    let w = Cmd::new(cc::NV_WRITE)
        .handle(OWNER)
        .handle(0x0150_0040)
        .pw(b"")
        .b(&[1, 2, 3, 4])
        .u16(0);
    run(&mut tpm, &w).ok();
    let nv_cmd = |tpm: &mut Tpm, s: &Client, p: &[u8]| {
        run(
            tpm,
            &Cmd::new(cc::POLICY_NV)
                .handle(OWNER)
                .handle(0x0150_0040)
                .handle(s.handle)
                .pw(b"")
                .raw(p),
        )
        .rc
    };
    let s = session(&mut tpm, se::POLICY);
    assert_eq!(nv_cmd(&mut tpm, &s, &nv), Rc::SUCCESS);
    let mut written = nvp.clone();
    written.attributes |= nv_attr::WRITTEN;
    let args = h(&[&[1, 2], &0u16.to_be_bytes(), &0u16.to_be_bytes()]);
    assert_eq!(
        get_digest(&mut tpm, &s),
        ext(&zero, cc::POLICY_NV, &[&args, &nv_nameof(&written)])
    );
    let mut ne = b2(&[1, 3]);
    ne.extend_from_slice(&0u16.to_be_bytes());
    ne.extend_from_slice(&0u16.to_be_bytes());
    assert_eq!(nv_cmd(&mut tpm, &s, &ne), Rc::POLICY);
    let mut far = b2(&[1, 2]);
    far.extend_from_slice(&3u16.to_be_bytes());
    far.extend_from_slice(&0u16.to_be_bytes());
    assert_eq!(nv_cmd(&mut tpm, &s, &far), Rc::SIZE.param(1));
    let mut off = b2(&[]);
    off.extend_from_slice(&5u16.to_be_bytes());
    off.extend_from_slice(&0u16.to_be_bytes());
    assert_eq!(nv_cmd(&mut tpm, &s, &off), Rc::VALUE.param(2));
}

fn nv_nameof(p: &TpmsNvPublic) -> Vec<u8> {
    nv_name(p)
}

#[test]
fn policy_state_travels_with_a_saved_session() {
    let mut tpm = started();
    let s = session(&mut tpm, se::POLICY);
    let cp = h(&[b"cp"]);
    assert_eq!(pol(&mut tpm, cc::POLICY_CP_HASH, &s, &b2(&cp)), Rc::SUCCESS);
    let before = get_digest(&mut tpm, &s);
    let saved = run(&mut tpm, &Cmd::new(cc::CONTEXT_SAVE).handle(s.handle)).ok();
    let loaded = run(&mut tpm, &Cmd::new(cc::CONTEXT_LOAD).raw(&saved.body)).ok();
    assert_eq!(&loaded.body[..4], &s.handle.to_be_bytes());
    assert_eq!(get_digest(&mut tpm, &s), before);
    // The cpHash came back with it: another one conflicts.
    assert_eq!(
        pol(&mut tpm, cc::POLICY_CP_HASH, &s, &b2(&[1; 32])),
        Rc::CPHASH
    );
    assert_eq!(pol(&mut tpm, cc::POLICY_CP_HASH, &s, &b2(&cp)), Rc::SUCCESS);
}
