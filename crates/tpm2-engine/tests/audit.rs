//! Command and session audit end to end: the audit digests TPM2_GetCommandAuditDigest and
//! TPM2_GetSessionAuditDigest report are recomputed here from the command and response
//! bytes (cpHash = H(cc || Names || parameters), rpHash = H(0 || cc || response
//! parameters), digest := H(digest || cpHash || rpHash)), and the signed attestations are
//! verified with `tpm2_crypto`.

mod outil;
mod util;
use outil::*;
use tpm2_crypto::ecc::{self, EccCurve, EccPoint};
use tpm2_engine::Tpm;
use tpm2_types::attest::{Attested, TpmsAttest};
use tpm2_types::constants::{alg, cap, cc, ecc_curve, obj_attr as a, rh, su};
use tpm2_types::object::*;
use tpm2_types::{Codec, HashAlg, Rc, Tpm2b};
use util::*;

fn h(alg: HashAlg, parts: &[&[u8]]) -> Vec<u8> {
    tpm2_crypto::digest(alg, parts)
}

/// The parameter area of a command built by `Cmd` with `nh` handles.
fn params_of(bytes: &[u8], nh: usize, sessions: bool) -> Vec<u8> {
    let mut at = 10 + 4 * nh;
    if sessions {
        let n = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        at += 4 + n;
    }
    bytes[at..].to_vec()
}

/// Runs an audited command and extends `digest` as the TPM should.
fn audited(
    tpm: &mut Tpm,
    digest: &mut Vec<u8>,
    alg: HashAlg,
    c: &Cmd,
    names: &[Vec<u8>],
    sessions: bool,
) -> Resp {
    let bytes = c.build();
    let r = run(tpm, c).ok();
    let code: [u8; 4] = bytes[6..10].try_into().unwrap();
    let params = params_of(&bytes, names.len(), sessions);
    let mut parts: Vec<&[u8]> = vec![&code];
    parts.extend(names.iter().map(|n| n.as_slice()));
    parts.push(&params);
    let cp = h(alg, &parts);
    let rp = h(alg, &[&[0u8; 4], &code, &r.body]);
    if digest.is_empty() {
        *digest = vec![0; alg.digest_size()];
    }
    *digest = h(alg, &[digest, &cp, &rp]);
    r
}

fn set_status(hash: u16, set: &[u32], clear: &[u32]) -> Cmd {
    let mut c = Cmd::new(cc::SET_COMMAND_CODE_AUDIT_STATUS)
        .handle(rh::OWNER)
        .pw(b"")
        .u16(hash)
        .u32(set.len() as u32);
    for x in set {
        c = c.u32(*x);
    }
    c = c.u32(clear.len() as u32);
    for x in clear {
        c = c.u32(*x);
    }
    c
}

fn hash_cmd(data: &[u8]) -> Cmd {
    Cmd::new(cc::HASH)
        .b(data)
        .u16(HashAlg::Sha256.id())
        .u32(rh::NULL)
}

struct Report {
    attest: TpmsAttest,
    bytes: Vec<u8>,
    sig: Signature,
}

fn report(r: Resp) -> Report {
    let mut rd = r.reader();
    let bytes = Tpm2b::<4096>::read(&mut rd).unwrap().0;
    let sig = Signature::read(&mut rd).unwrap();
    assert!(rd.is_empty());
    Report {
        attest: TpmsAttest::from_bytes(&bytes).unwrap(),
        bytes,
        sig,
    }
}

/// Runs a command again after the `TPM_RC_RETRY` of the first DA-protected
/// authorization since startup.
fn run_retry(tpm: &mut Tpm, c: &Cmd) -> Resp {
    let r = run(tpm, c);
    if r.rc == Rc::RETRY {
        run(tpm, c)
    } else {
        r
    }
}

fn try_command_digest(tpm: &mut Tpm, key: u32, scheme: Scheme) -> Result<Report, Rc> {
    let r = run_retry(
        tpm,
        &Cmd::new(cc::GET_COMMAND_AUDIT_DIGEST)
            .handle(rh::ENDORSEMENT)
            .handle(key)
            .pw(b"")
            .pw(b"")
            .b(b"fresh")
            .put(&scheme),
    );
    if r.rc.is_success() {
        Ok(report(r))
    } else {
        Err(r.rc)
    }
}

fn command_info(r: &Report) -> (u64, u16, Vec<u8>, Vec<u8>) {
    match &r.attest.attested {
        Attested::CommandAudit {
            audit_counter,
            digest_alg,
            audit_digest,
            command_digest,
        } => (
            *audit_counter,
            *digest_alg,
            audit_digest.0.clone(),
            command_digest.0.clone(),
        ),
        other => panic!("not a command audit: {other:?}"),
    }
}

fn ecdsa_ak(tpm: &mut Tpm) -> (u32, TpmtPublic) {
    let t = ecc(
        SIGNING | a::RESTRICTED,
        ecc_curve::NIST_P256,
        Scheme::Ecdsa(HashAlg::Sha256),
        None,
    );
    primary(tpm, rh::ENDORSEMENT, &t)
}

fn verifies(public: &TpmtPublic, bytes: &[u8], sig: &Signature) -> bool {
    match (&public.parms, &public.unique, sig) {
        (PublicParms::Ecc(p), Unique::Ecc(q), Signature::Ecc { scheme, r, s }) => {
            let d = tpm2_crypto::digest(scheme.hash().unwrap(), &[bytes]);
            let q = EccPoint {
                x: q.x.0.clone(),
                y: q.y.0.clone(),
            };
            ecc::ecdsa_verify(
                EccCurve::from_id(p.curve).unwrap(),
                &q,
                &d,
                r.as_slice(),
                s.as_slice(),
            )
        }
        _ => false,
    }
}

fn owner_name() -> Vec<u8> {
    rh::OWNER.to_be_bytes().to_vec()
}

#[test]
fn command_audit_digest_is_the_chain_of_cp_and_rp_hashes() {
    let mut tpm = started();
    let (ak, ak_public) = ecdsa_ak(&mut tpm);
    // As manufactured: SHA-512, nothing recorded, only SetCommandCodeAuditStatus listed.
    let fresh = try_command_digest(&mut tpm, rh::NULL, Scheme::Null).unwrap();
    let (counter, alg0, digest0, list0) = command_info(&fresh);
    assert_eq!((counter, alg0), (0, HashAlg::Sha512.id()));
    assert!(digest0.is_empty());
    assert_eq!(
        list0,
        h(
            HashAlg::Sha512,
            &[&cc::SET_COMMAND_CODE_AUDIT_STATUS.to_be_bytes()]
        )
    );
    assert_eq!(fresh.sig, Signature::Null);

    // Changing the algorithm clears the digest and is itself not recorded.
    run(&mut tpm, &set_status(alg::SHA256, &[], &[])).ok();
    let alg = HashAlg::Sha256;
    let mut expected = Vec::new();
    audited(
        &mut tpm,
        &mut expected,
        alg,
        &set_status(alg::NULL, &[cc::HASH, cc::PCR_EXTEND], &[]),
        &[owner_name()],
        true,
    );
    audited(&mut tpm, &mut expected, alg, &hash_cmd(b"one"), &[], false);
    // A failed audited command is not recorded; an unaudited one neither.
    assert_eq!(
        run(
            &mut tpm,
            &Cmd::new(cc::HASH).b(b"x").u16(alg::AES).u32(rh::NULL)
        )
        .rc,
        Rc::HASH.param(2)
    );
    run(&mut tpm, &Cmd::new(cc::GET_RANDOM).u16(8)).ok();
    let extend = Cmd::new(cc::PCR_EXTEND)
        .handle(16)
        .pw(b"")
        .u32(1)
        .u16(HashAlg::Sha256.id())
        .raw(&[0x5A; 32]);
    audited(
        &mut tpm,
        &mut expected,
        alg,
        &extend,
        &[16u32.to_be_bytes().to_vec()],
        true,
    );

    let signed = try_command_digest(&mut tpm, ak, Scheme::Null).unwrap();
    let (counter, alg1, digest1, list1) = command_info(&signed);
    assert_eq!(counter, 1, "one start from the cleared digest");
    assert_eq!(alg1, alg.id());
    assert_eq!(digest1, expected);
    let mut codes = Vec::new();
    for c in [cc::SET_COMMAND_CODE_AUDIT_STATUS, cc::HASH, cc::PCR_EXTEND] {
        codes.extend_from_slice(&c.to_be_bytes());
    }
    assert_eq!(list1, h(alg, &[&codes]));
    assert_eq!(signed.attest.extra_data.0, b"fresh");
    assert!(verifies(&ak_public, &signed.bytes, &signed.sig));
    let mut damaged = signed.bytes.clone();
    damaged[40] ^= 1;
    assert!(!verifies(&ak_public, &damaged, &signed.sig));

    // The signed report cleared the digest: the next audited command starts a new one
    // and increments the counter (also reported as TPM_PT_AUDIT_COUNTER_0/1).
    let unsigned = try_command_digest(&mut tpm, rh::NULL, Scheme::Null).unwrap();
    assert_eq!(command_info(&unsigned).2, Vec::<u8>::new());
    let mut expected = Vec::new();
    audited(&mut tpm, &mut expected, alg, &hash_cmd(b"two"), &[], false);
    let again = try_command_digest(&mut tpm, rh::NULL, Scheme::Null).unwrap();
    assert_eq!(command_info(&again).0, 2);
    assert_eq!(command_info(&again).2, expected);
    let props = run(
        &mut tpm,
        &Cmd::new(cc::GET_CAPABILITY)
            .u32(cap::TPM_PROPERTIES)
            .u32(tpm2_types::constants::pt::AUDIT_COUNTER_0)
            .u32(2),
    )
    .ok();
    assert_eq!(
        &props.body[9..],
        &[0, 0, 2, 0x13, 0, 0, 0, 0, 0, 0, 2, 0x14, 0, 0, 0, 2]
    );
    // An unsigned report leaves the digest.
    let still = try_command_digest(&mut tpm, rh::NULL, Scheme::Null).unwrap();
    assert_eq!(command_info(&still).2, expected);

    // TPM Restart keeps the digest, TPM Reset clears it; the list and counter persist.
    run(&mut tpm, &Cmd::new(cc::SHUTDOWN).u16(su::STATE)).ok();
    tpm.init();
    run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    let restarted = try_command_digest(&mut tpm, rh::NULL, Scheme::Null).unwrap();
    assert_eq!(command_info(&restarted).2, expected);
    run(&mut tpm, &Cmd::new(cc::SHUTDOWN).u16(su::CLEAR)).ok();
    tpm.init();
    run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    let reset = try_command_digest(&mut tpm, rh::NULL, Scheme::Null).unwrap();
    let (counter, alg2, digest2, list2) = command_info(&reset);
    assert_eq!((counter, alg2), (2, alg.id()));
    assert!(digest2.is_empty());
    assert_eq!(list2, list1);
}

#[test]
fn set_command_code_audit_status_rules() {
    let mut tpm = started();
    // A new algorithm with a list: TPM_RC_VALUE on auditAlg; nothing changes.
    assert_eq!(
        run(&mut tpm, &set_status(alg::SHA1, &[cc::HASH], &[])).rc,
        Rc::VALUE.param(1)
    );
    assert_eq!(
        run(&mut tpm, &set_status(alg::AES, &[], &[])).rc,
        Rc::HASH.param(1)
    );
    let mut long = Cmd::new(cc::SET_COMMAND_CODE_AUDIT_STATUS)
        .handle(rh::OWNER)
        .pw(b"")
        .u16(alg::NULL)
        .u32(255);
    for _ in 0..255 {
        long = long.u32(cc::HASH);
    }
    assert_eq!(run(&mut tpm, &long.u32(0)).rc, Rc::SIZE.param(2));
    assert_eq!(
        run(
            &mut tpm,
            &Cmd::new(cc::SET_COMMAND_CODE_AUDIT_STATUS)
                .handle(rh::ENDORSEMENT)
                .pw(b"")
                .u16(alg::NULL)
                .u32(0)
                .u32(0)
        )
        .rc,
        Rc::VALUE.handle(1)
    );
    // The current algorithm with a list is a list change; the command itself cannot be
    // cleared; unimplemented codes are ignored.
    run(
        &mut tpm,
        &set_status(
            alg::SHA512,
            &[cc::HASH, 0x0FFF],
            &[cc::SET_COMMAND_CODE_AUDIT_STATUS],
        ),
    )
    .ok();
    let caps = run(
        &mut tpm,
        &Cmd::new(cc::GET_CAPABILITY)
            .u32(cap::AUDIT_COMMANDS)
            .u32(0)
            .u32(10),
    )
    .ok();
    let mut want = vec![0, 0, 0, 0, 4, 0, 0, 0, 2];
    want.extend_from_slice(&cc::SET_COMMAND_CODE_AUDIT_STATUS.to_be_bytes());
    want.extend_from_slice(&cc::HASH.to_be_bytes());
    assert_eq!(caps.body, want);
    // Paging: from HASH, one entry, nothing more.
    let page = run(
        &mut tpm,
        &Cmd::new(cc::GET_CAPABILITY)
            .u32(cap::AUDIT_COMMANDS)
            .u32(cc::SET_COMMAND_CODE_AUDIT_STATUS + 1)
            .u32(1),
    )
    .ok();
    let mut want = vec![0, 0, 0, 0, 4, 0, 0, 0, 1];
    want.extend_from_slice(&cc::HASH.to_be_bytes());
    assert_eq!(page.body, want);
}

#[test]
fn session_audit_digest_and_exclusivity() {
    let mut tpm = started();
    let (ak, ak_public) = ecdsa_ak(&mut tpm);
    let s = run(
        &mut tpm,
        &Cmd::new(cc::START_AUTH_SESSION)
            .u32(rh::NULL)
            .u32(rh::NULL)
            .b(&[0x11; 16])
            .b(b"")
            .u8(0)
            .u16(alg::NULL)
            .u16(HashAlg::Sha256.id()),
    );
    let session = u32::from_be_bytes(s.ok().body[..4].try_into().unwrap());
    let get = |tpm: &mut Tpm, key: u32, sh: u32| {
        run_retry(
            tpm,
            &Cmd::new(cc::GET_SESSION_AUDIT_DIGEST)
                .handle(rh::ENDORSEMENT)
                .handle(key)
                .handle(sh)
                .pw(b"")
                .pw(b"")
                .b(b"q")
                .put(&Scheme::Null),
        )
    };
    // Not yet an audit session; a policy handle is not a TPMI_SH_HMAC.
    assert_eq!(get(&mut tpm, rh::NULL, session).rc, Rc::TYPE.handle(3));
    assert_eq!(get(&mut tpm, rh::NULL, 0x0300_0000).rc, Rc::VALUE.handle(3));
    assert_eq!(
        get(&mut tpm, rh::NULL, session + 5).rc,
        Rc(Rc::REFERENCE_H0.0 + 2)
    );

    let alg = HashAlg::Sha256;
    let mut expected = Vec::new();
    for data in [&b"one"[..], b"two"] {
        let c = Cmd::new(cc::HASH)
            .session(session, &[0x33; 16], 0x81, &[])
            .b(data)
            .u16(alg.id())
            .u32(rh::NULL);
        audited(&mut tpm, &mut expected, alg, &c, &[], true);
    }
    let r = report(get(&mut tpm, ak, session).ok());
    assert!(verifies(&ak_public, &r.bytes, &r.sig));
    assert_eq!(
        r.attest.attested,
        Attested::SessionAudit {
            exclusive_session: true,
            session_digest: Tpm2b(expected.clone()),
        }
    );
    // A command without the audit session ends exclusivity; the digest stays.
    run(&mut tpm, &hash_cmd(b"other")).ok();
    let r = report(get(&mut tpm, rh::NULL, session).ok());
    assert_eq!(r.sig, Signature::Null);
    assert_eq!(
        r.attest.attested,
        Attested::SessionAudit {
            exclusive_session: false,
            session_digest: Tpm2b(expected),
        }
    );
}
