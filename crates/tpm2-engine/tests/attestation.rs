//! Attestation end to end in the engine: Quote, Certify, CertifyCreation, GetTime and
//! NV_Certify. Every `TPMS_ATTEST` is parsed and its signature checked independently with
//! `tpm2_crypto`; the clock/firmware obfuscation rule is recomputed from the owner proof.

mod outil;
mod util;
use outil::*;
use tpm2_crypto::ecc::{self, EccCurve, EccPoint};
use tpm2_crypto::kdf::kdfa;
use tpm2_crypto::rsa::RsaPublicKey;
use tpm2_engine::state::blob::{self, BlobKind};
use tpm2_engine::state::Permanent;
use tpm2_engine::Tpm;
use tpm2_types::attest::{Attested, TpmsAttest};
use tpm2_types::constants::{
    alg, cc, ecc_curve, nv_attr, obj_attr as a, rh, st, TPM_GENERATED_VALUE,
};
use tpm2_types::nv::TpmsNvPublic;
use tpm2_types::object::*;
use tpm2_types::structures::{PcrBitmap, TpmlPcrSelection, TpmsPcrSelection, TpmtTicket};
use tpm2_types::{Codec, HashAlg, Rc, Tpm2b};
use util::*;

/// A restricted signing key (an AK).
const AK: u32 = SIGNING | a::RESTRICTED;

fn ecc_ak() -> TpmtPublic {
    ecc(
        AK,
        ecc_curve::NIST_P256,
        Scheme::Ecdsa(HashAlg::Sha256),
        None,
    )
}

fn rsa_ak() -> TpmtPublic {
    rsa(AK, 2048, Scheme::Rsassa(HashAlg::Sha256), None)
}

/// The response of an attestation command: the parsed structure, its bytes and the
/// signature.
struct Attestation {
    attest: TpmsAttest,
    bytes: Vec<u8>,
    sig: Signature,
}

fn attestation(r: Resp) -> Attestation {
    let mut rd = r.reader();
    let bytes = Tpm2b::<4096>::read(&mut rd).unwrap().0;
    let sig = Signature::read(&mut rd).unwrap();
    assert!(rd.is_empty());
    let attest = TpmsAttest::from_bytes(&bytes).unwrap();
    assert_eq!(attest.magic, TPM_GENERATED_VALUE);
    Attestation { attest, bytes, sig }
}

fn try_quote(
    tpm: &mut Tpm,
    key: u32,
    nonce: &[u8],
    scheme: Scheme,
    sel: &TpmlPcrSelection,
) -> Resp {
    go(
        tpm,
        &Cmd::new(cc::QUOTE)
            .handle(key)
            .pw(b"")
            .b(nonce)
            .put(&scheme)
            .put(sel),
    )
}

fn try_certify(tpm: &mut Tpm, object: u32, key: u32, nonce: &[u8], scheme: Scheme) -> Resp {
    go(
        tpm,
        &Cmd::new(cc::CERTIFY)
            .handle(object)
            .handle(key)
            .pw(b"")
            .pw(b"")
            .b(nonce)
            .put(&scheme),
    )
}

fn sha256_sel(pcrs: &[usize]) -> TpmlPcrSelection {
    TpmlPcrSelection(vec![TpmsPcrSelection {
        hash: HashAlg::Sha256,
        select: PcrBitmap::from_pcrs(pcrs),
    }])
}

/// ReadPublic: (public, name, qualified name).
fn read_public(tpm: &mut Tpm, h: u32) -> (TpmtPublic, Vec<u8>, Vec<u8>) {
    let r = go(tpm, &Cmd::new(cc::READ_PUBLIC).handle(h)).ok();
    let mut rd = r.reader();
    let p = Tpm2bPublic::read(&mut rd).unwrap().0;
    let n = Tpm2b::<66>::read(&mut rd).unwrap().0;
    let q = Tpm2b::<66>::read(&mut rd).unwrap().0;
    (p, n, q)
}

/// Checks `sig` over `bytes` with the public key, independently of the engine.
fn check_signature(public: &TpmtPublic, bytes: &[u8], sig: &Signature) -> bool {
    match (&public.parms, &public.unique, sig) {
        (PublicParms::Ecc(p), Unique::Ecc(q), Signature::Ecc { scheme, r, s }) => {
            let h = scheme.hash().unwrap();
            let curve = EccCurve::from_id(p.curve).unwrap();
            let q = EccPoint {
                x: q.x.0.clone(),
                y: q.y.0.clone(),
            };
            let d = tpm2_crypto::digest(h, &[bytes]);
            ecc::ecdsa_verify(curve, &q, &d, r.as_slice(), s.as_slice())
        }
        (PublicParms::Rsa(_), Unique::Rsa(n), Signature::Rsa { scheme, sig }) => {
            let k = RsaPublicKey::new(n.as_slice(), 65537).unwrap();
            match scheme {
                Scheme::Rsassa(h) => {
                    k.verify_pkcs1v15(*h, &tpm2_crypto::digest(*h, &[bytes]), sig.as_slice())
                }
                Scheme::Rsapss(h) => {
                    k.verify_pss(*h, &tpm2_crypto::digest(*h, &[bytes]), sig.as_slice())
                }
                _ => false,
            }
        }
        _ => false,
    }
}

fn permanent(tpm: &Tpm) -> Permanent {
    blob::decode(BlobKind::Permanent, &tpm.permanent_blob()).unwrap()
}

fn plain_firmware() -> u64 {
    let v: Vec<u64> = env!("CARGO_PKG_VERSION")
        .split('.')
        .map(|x| x.parse().unwrap())
        .collect();
    (((v[0] << 16) | v[1]) << 32) | (v[2] << 16)
}

/// Undoes the obfuscation of Part 1 / the reference's `FillInAttestInfo`, computed here
/// from its definition: KDFa(SHA-512, shProof, "OBFUSCATE", qualifiedSigner, "", 128)
/// as two little-endian words, added to firmwareVersion and (high, low half) to
/// resetCount and restartCount.
fn deobfuscate(tpm: &Tpm, a: &TpmsAttest) -> (u64, u32, u32) {
    let p = permanent(tpm);
    let k = kdfa(
        HashAlg::Sha512,
        p.sh_proof.as_slice(),
        b"OBFUSCATE",
        a.qualified_signer.as_slice(),
        b"",
        128,
    );
    let w0 = u64::from_le_bytes(k[..8].try_into().unwrap());
    let w1 = u64::from_le_bytes(k[8..16].try_into().unwrap());
    (
        a.firmware_version.wrapping_sub(w0),
        a.clock_info.reset_count.wrapping_sub((w1 >> 32) as u32),
        a.clock_info.restart_count.wrapping_sub(w1 as u32),
    )
}

#[test]
fn quote_ecdsa_digest_signature_and_obfuscation() {
    let mut tpm = started();
    go(
        &mut tpm,
        &Cmd::new(cc::PCR_EXTEND)
            .handle(1)
            .pw(b"")
            .u32(1)
            .u16(alg::SHA256)
            .raw(&[0x5a; 32]),
    )
    .ok();
    let (ak, _) = primary(&mut tpm, rh::OWNER, &ecc_ak());
    let (public, _, qn) = read_public(&mut tpm, ak);
    let sel = sha256_sel(&[0, 1, 2, 16]);
    let q = attestation(try_quote(&mut tpm, ak, b"nonce-1234", Scheme::Null, &sel).ok());
    assert!(check_signature(&public, &q.bytes, &q.sig));
    let mut bad = q.bytes.clone();
    bad[20] ^= 1;
    assert!(!check_signature(&public, &bad, &q.sig));
    assert_eq!(q.attest.qualified_signer.as_slice(), qn.as_slice());
    assert_eq!(q.attest.extra_data.as_slice(), b"nonce-1234");
    // The PCR digest is the hash of the values PCR_Read reports, in selection order.
    let r = go(&mut tpm, &Cmd::new(cc::PCR_READ).put(&sel)).ok();
    let mut rd = r.reader();
    rd.u32().unwrap();
    assert_eq!(TpmlPcrSelection::read(&mut rd).unwrap(), sel);
    let n = rd.u32().unwrap();
    let mut values = Vec::new();
    for _ in 0..n {
        values.extend_from_slice(&Tpm2b::<64>::read(&mut rd).unwrap().0);
    }
    let Attested::Quote {
        pcr_select,
        pcr_digest,
    } = &q.attest.attested
    else {
        panic!("not a quote");
    };
    assert_eq!(pcr_select, &sel);
    assert_eq!(
        pcr_digest.as_slice(),
        tpm2_crypto::digest(HashAlg::Sha256, &[&values]).as_slice()
    );
    // An owner-hierarchy key: firmware and counters obfuscated, clock in the clear.
    let p = permanent(&tpm);
    assert_eq!(
        deobfuscate(&tpm, &q.attest),
        (plain_firmware(), p.reset_count, p.restart_count)
    );
    assert_ne!(q.attest.firmware_version, plain_firmware());
    // Unallocated PCRs drop out of the selection (SHA-384 is not allocated by default
    // here or is: either way the reported selection is a subset).
    let q2 = attestation(
        try_quote(
            &mut tpm,
            ak,
            b"",
            Scheme::Ecdsa(HashAlg::Sha256),
            &TpmlPcrSelection(vec![]),
        )
        .ok(),
    );
    let Attested::Quote { pcr_digest, .. } = &q2.attest.attested else {
        panic!()
    };
    assert_eq!(
        pcr_digest.as_slice(),
        tpm2_crypto::digest(HashAlg::Sha256, &[]).as_slice()
    );
}

#[test]
fn certify_rsa_endorsement_key_reports_clock_in_the_clear() {
    let mut tpm = started();
    let (ek_ak, _) = primary(&mut tpm, rh::ENDORSEMENT, &rsa_ak());
    let (srk, _) = primary(&mut tpm, rh::OWNER, &rsa_srk());
    let (public, _, qn) = read_public(&mut tpm, ek_ak);
    let (_, srk_name, srk_qn) = read_public(&mut tpm, srk);
    let c = attestation(try_certify(&mut tpm, srk, ek_ak, b"xyz", Scheme::Null).ok());
    assert_eq!(c.attest.attested.tag(), st::ATTEST_CERTIFY);
    assert!(check_signature(&public, &c.bytes, &c.sig));
    assert_eq!(c.attest.qualified_signer.as_slice(), qn.as_slice());
    match &c.attest.attested {
        Attested::Certify {
            name,
            qualified_name,
        } => {
            assert_eq!(name.as_slice(), srk_name.as_slice());
            assert_eq!(qualified_name.as_slice(), srk_qn.as_slice());
        }
        _ => panic!("not a certify"),
    }
    let p = permanent(&tpm);
    assert_eq!(c.attest.firmware_version, plain_firmware());
    assert_eq!(c.attest.clock_info.reset_count, p.reset_count);
    assert_eq!(c.attest.clock_info.restart_count, p.restart_count);
    // RSAPSS with an unrestricted key of no scheme.
    let (k, _) = primary(
        &mut tpm,
        rh::ENDORSEMENT,
        &rsa(SIGNING, 2048, Scheme::Null, None),
    );
    let (kp, _, _) = read_public(&mut tpm, k);
    let c = attestation(try_certify(&mut tpm, srk, k, b"", Scheme::Rsapss(HashAlg::Sha256)).ok());
    assert!(check_signature(&kp, &c.bytes, &c.sig));
}

#[test]
fn null_sign_handle_gives_an_unsigned_obfuscated_attestation() {
    let mut tpm = started();
    let (srk, _) = primary(&mut tpm, rh::OWNER, &ecc_srk());
    let c = attestation(try_certify(&mut tpm, srk, rh::NULL, b"n", Scheme::Null).ok());
    assert_eq!(c.sig, Signature::Null);
    assert_eq!(
        c.attest.qualified_signer.as_slice(),
        &rh::NULL.to_be_bytes()
    );
    assert_eq!(c.attest.extra_data.as_slice(), b"n");
    let p = permanent(&tpm);
    assert_eq!(
        deobfuscate(&tpm, &c.attest),
        (plain_firmware(), p.reset_count, p.restart_count)
    );
    // A quote needs a hash for the PCR digest: none without a key.
    let r = try_quote(&mut tpm, rh::NULL, b"", Scheme::Null, &sha256_sel(&[0]));
    assert_eq!(r.rc, Rc::SCHEME.param(2));
}

#[test]
fn key_and_scheme_errors() {
    let mut tpm = started();
    let (ak, _) = primary(&mut tpm, rh::OWNER, &ecc_ak());
    let (srk, _) = primary(&mut tpm, rh::OWNER, &ecc_srk());
    let sel = sha256_sel(&[0]);
    // Not a signing key.
    assert_eq!(
        try_quote(&mut tpm, srk, b"", Scheme::Null, &sel).rc,
        Rc::KEY.handle(1)
    );
    assert_eq!(
        try_certify(&mut tpm, ak, srk, b"", Scheme::Null).rc,
        Rc::KEY.handle(2)
    );
    // A scheme other than the key's own, or of the wrong key type.
    for s in [
        Scheme::Ecdsa(HashAlg::Sha384),
        Scheme::Rsassa(HashAlg::Sha256),
        Scheme::Ecschnorr(HashAlg::Sha256),
    ] {
        assert_eq!(
            try_quote(&mut tpm, ak, b"", s, &sel).rc,
            Rc::SCHEME.param(2)
        );
    }
    // A key without a scheme needs one given.
    let (k, _) = primary(
        &mut tpm,
        rh::OWNER,
        &ecc(SIGNING, ecc_curve::NIST_P256, Scheme::Null, None),
    );
    assert_eq!(
        try_quote(&mut tpm, k, b"", Scheme::Null, &sel).rc,
        Rc::SCHEME.param(2)
    );
    assert_eq!(
        try_quote(&mut tpm, k, b"", Scheme::Rsapss(HashAlg::Sha256), &sel).rc,
        Rc::SCHEME.param(2)
    );
    try_quote(&mut tpm, k, b"", Scheme::Ecdsa(HashAlg::Sha384), &sel).ok();
    // qualifyingData is a TPM2B_DATA: at most 66 bytes.
    assert_eq!(
        try_quote(&mut tpm, ak, &[0; 67], Scheme::Null, &sel).rc,
        Rc::SIZE.param(1)
    );
}

/// Hash: (digest, ticket).
fn hash(tpm: &mut Tpm, data: &[u8]) -> (Vec<u8>, TpmtTicket) {
    let r = go(
        tpm,
        &Cmd::new(cc::HASH).b(data).u16(alg::SHA256).u32(rh::OWNER),
    )
    .ok();
    let mut rd = r.reader();
    let d = Tpm2b::<64>::read(&mut rd).unwrap().0;
    (d, TpmtTicket::read(&mut rd).unwrap())
}

fn sign_with_ticket(tpm: &mut Tpm, key: u32, digest: &[u8], t: &TpmtTicket) -> Resp {
    go(
        tpm,
        &Cmd::new(cc::SIGN)
            .handle(key)
            .pw(b"")
            .b(digest)
            .put(&Scheme::Null)
            .put(t),
    )
}

#[test]
fn restricted_key_cannot_sign_external_data_that_claims_to_be_generated() {
    let mut tpm = started();
    let (ak, _) = primary(&mut tpm, rh::OWNER, &ecc_ak());
    // A forged TPMS_ATTEST starts with TPM_GENERATED_VALUE: Hash gives no ticket for it,
    // so the restricted key refuses to sign its digest.
    let mut forged = TPM_GENERATED_VALUE.to_be_bytes().to_vec();
    forged.extend_from_slice(&st::ATTEST_QUOTE.to_be_bytes());
    forged.extend_from_slice(b"anything");
    let (d, t) = hash(&mut tpm, &forged);
    assert_eq!(t.hierarchy, rh::NULL);
    assert!(t.digest.as_slice().is_empty());
    assert_eq!(
        sign_with_ticket(&mut tpm, ak, &d, &t).rc,
        Rc::TICKET.param(3)
    );
    // Other data gets a ticket and is signed.
    let (d, t) = hash(&mut tpm, b"ordinary data");
    assert_eq!(t.hierarchy, rh::OWNER);
    sign_with_ticket(&mut tpm, ak, &d, &t).ok();
    // The same key quotes: the TPM made that structure.
    try_quote(&mut tpm, ak, &forged, Scheme::Null, &sha256_sel(&[0])).ok();
}

#[test]
fn certify_creation_checks_the_ticket() {
    let mut tpm = started();
    let (srk, _) = primary(&mut tpm, rh::OWNER, &rsa_srk());
    let (ak, _) = primary(&mut tpm, rh::ENDORSEMENT, &ecc_ak());
    let (ak_public, _, _) = read_public(&mut tpm, ak);
    let t = ecc(
        SIGNING,
        ecc_curve::NIST_P256,
        Scheme::Ecdsa(HashAlg::Sha256),
        None,
    );
    let r = go(
        &mut tpm,
        &create_args(Cmd::new(cc::CREATE).handle(srk).pw(b""), &t, b"", b""),
    )
    .ok();
    let mut rd = r.reader();
    let private = Tpm2b::<MAX_PRIVATE>::read(&mut rd).unwrap().0;
    let public = Tpm2bPublic::read(&mut rd).unwrap().0;
    let _creation_data = Tpm2b::<1024>::read(&mut rd).unwrap();
    let creation_hash = Tpm2b::<64>::read(&mut rd).unwrap().0;
    let ticket = TpmtTicket::read(&mut rd).unwrap();
    let child = load(&mut tpm, srk, &private, &public).unwrap();
    let (_, child_name, _) = read_public(&mut tpm, child);
    let certify_creation = |tpm: &mut Tpm, hash: &[u8], ticket: &TpmtTicket| {
        go(
            tpm,
            &Cmd::new(cc::CERTIFY_CREATION)
                .handle(ak)
                .handle(child)
                .pw(b"")
                .b(b"q")
                .b(hash)
                .put(&Scheme::Null)
                .put(ticket),
        )
    };
    let c = attestation(certify_creation(&mut tpm, &creation_hash, &ticket).ok());
    assert!(check_signature(&ak_public, &c.bytes, &c.sig));
    assert_eq!(
        c.attest.attested,
        Attested::Creation {
            object_name: Tpm2b(child_name),
            creation_hash: Tpm2b(creation_hash.clone()),
        }
    );
    let mut h2 = creation_hash.clone();
    h2[0] ^= 1;
    assert_eq!(
        certify_creation(&mut tpm, &h2, &ticket).rc,
        Rc::TICKET.param(4)
    );
    let mut t2 = ticket.clone();
    t2.hierarchy = rh::ENDORSEMENT;
    assert_eq!(
        certify_creation(&mut tpm, &creation_hash, &t2).rc,
        Rc::TICKET.param(4)
    );
    let mut t3 = ticket.clone();
    t3.tag = st::HASHCHECK;
    assert_eq!(
        certify_creation(&mut tpm, &creation_hash, &t3).rc,
        Rc::TAG.param(4)
    );
}

#[test]
fn get_time_carries_the_time_in_the_clear() {
    let mut tpm = started();
    let (ak, _) = primary(&mut tpm, rh::OWNER, &rsa_ak());
    let (public, _, _) = read_public(&mut tpm, ak);
    let get_time = |tpm: &mut Tpm, privacy: u32| {
        go(
            tpm,
            &Cmd::new(cc::GET_TIME)
                .handle(privacy)
                .handle(ak)
                .pw(b"")
                .pw(b"")
                .b(b"t")
                .put(&Scheme::Null),
        )
    };
    let g = attestation(get_time(&mut tpm, rh::ENDORSEMENT).ok());
    assert!(check_signature(&public, &g.bytes, &g.sig));
    let p = permanent(&tpm);
    match &g.attest.attested {
        Attested::Time {
            time,
            firmware_version,
        } => {
            assert_eq!(*firmware_version, plain_firmware());
            assert_eq!(time.clock_info.reset_count, p.reset_count);
            assert_eq!(time.clock_info.restart_count, p.restart_count);
            assert_eq!(time.clock_info.clock, g.attest.clock_info.clock);
        }
        _ => panic!("not a time attestation"),
    }
    assert_eq!(
        deobfuscate(&tpm, &g.attest),
        (plain_firmware(), p.reset_count, p.restart_count)
    );
    assert_eq!(get_time(&mut tpm, rh::OWNER).rc, Rc::VALUE.handle(1));
}

#[test]
fn nv_certify_data_and_digest() {
    let mut tpm = started();
    let (ak, _) = primary(&mut tpm, rh::ENDORSEMENT, &ecc_ak());
    let (public, _, _) = read_public(&mut tpm, ak);
    let ix = 0x0150_0010;
    let nvp = TpmsNvPublic {
        nv_index: ix,
        name_alg: HashAlg::Sha256,
        attributes: nv_attr::AUTHREAD | nv_attr::AUTHWRITE | nv_attr::NO_DA,
        auth_policy: Tpm2b::empty(),
        data_size: 16,
    };
    go(
        &mut tpm,
        &Cmd::new(cc::NV_DEFINE_SPACE)
            .handle(rh::OWNER)
            .pw(b"")
            .b(b"")
            .b(&nvp.to_bytes()),
    )
    .ok();
    let nv_certify = |tpm: &mut Tpm, size: u16, offset: u16| {
        go(
            tpm,
            &Cmd::new(cc::NV_CERTIFY)
                .handle(ak)
                .handle(ix)
                .handle(ix)
                .pw(b"")
                .pw(b"")
                .b(b"")
                .put(&Scheme::Null)
                .u16(size)
                .u16(offset),
        )
    };
    assert_eq!(nv_certify(&mut tpm, 4, 0).rc, Rc::NV_UNINITIALIZED);
    let data: Vec<u8> = (0..16).collect();
    go(
        &mut tpm,
        &Cmd::new(cc::NV_WRITE)
            .handle(ix)
            .handle(ix)
            .pw(b"")
            .b(&data)
            .u16(0),
    )
    .ok();
    let r = go(&mut tpm, &Cmd::new(cc::NV_READ_PUBLIC).handle(ix)).ok();
    let mut rd = r.reader();
    let _ = Tpm2b::<128>::read(&mut rd).unwrap();
    let name = Tpm2b::<66>::read(&mut rd).unwrap().0;
    let c = attestation(nv_certify(&mut tpm, 4, 3).ok());
    assert!(check_signature(&public, &c.bytes, &c.sig));
    assert_eq!(
        c.attest.attested,
        Attested::Nv {
            index_name: Tpm2b(name.clone()),
            offset: 3,
            nv_contents: Tpm2b(data[3..7].to_vec()),
        }
    );
    let c = attestation(nv_certify(&mut tpm, 0, 0).ok());
    assert!(check_signature(&public, &c.bytes, &c.sig));
    assert_eq!(
        c.attest.attested,
        Attested::NvDigest {
            index_name: Tpm2b(name),
            nv_digest: Tpm2b(tpm2_crypto::digest(HashAlg::Sha256, &[&data])),
        }
    );
    assert_eq!(nv_certify(&mut tpm, 10, 7).rc, Rc::NV_RANGE);
    assert_eq!(nv_certify(&mut tpm, 0, 17).rc, Rc::NV_RANGE);
}
