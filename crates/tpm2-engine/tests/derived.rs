//! TPM2_CreateLoaded under a derivation parent (Part 3, §12.9): derived objects are a
//! pure function of the parent's sensitive value, the label and the context; RSA is
//! refused; the derivation rules have their codes; other parents behave as before.

mod outil;
mod util;
use outil::*;
use tpm2_crypto::kdf::kdfa;
use tpm2_engine::Tpm;
use tpm2_types::constants::{alg, cc, ecc_curve, obj_attr as a, rh};
use tpm2_types::object::*;
use tpm2_types::{Codec, HashAlg, Rc, Tpm2b};
use util::*;

/// The derivation parent's secret (a primary made with caller data).
const KEY: &[u8] = b"the derivation parent's secret..";
/// Derived objects: fixedParent SET, sensitiveDataOrigin CLEAR, fixedTPM as the parent.
const DERIVED: u32 = a::FIXED_PARENT | a::USER_WITH_AUTH;

/// A derivation parent: a restricted decryption KEYEDHASH key with XOR/KDF1_SP800_108.
/// Duplicable (fixedTPM and fixedParent CLEAR) so its secret can be given.
fn derivation_parent() -> TpmtPublic {
    TpmtPublic {
        name_alg: Some(HashAlg::Sha256),
        attributes: a::USER_WITH_AUTH | a::RESTRICTED | a::DECRYPT,
        auth_policy: Tpm2b::empty(),
        parms: PublicParms::KeyedHash(KeyedHashScheme::Xor {
            hash: HashAlg::Sha256,
            kdf: Some(alg::KDF1_SP800_108),
        }),
        unique: Unique::Digest(Tpm2b::empty()),
    }
}

fn parent(tpm: &mut Tpm) -> u32 {
    let r = go(
        tpm,
        &create_args(
            Cmd::new(cc::CREATE_PRIMARY).handle(rh::OWNER).pw(b""),
            &derivation_parent(),
            b"",
            KEY,
        ),
    );
    assert!(r.rc.is_success(), "{:?}", r.rc);
    r.reader().u32().unwrap()
}

/// A `TPM2B_TEMPLATE` of `t` with `TPMS_DERIVE(label, context)` as its unique field.
fn template(t: &TpmtPublic, label: &[u8], context: &[u8]) -> Vec<u8> {
    let mut t = t.clone();
    t.unique = Unique::empty_for(t.type_alg());
    let mut body = t.to_bytes();
    let unique_len = unique_bytes(&t).len();
    body.truncate(body.len() - unique_len);
    Tpm2b::<32>(label.to_vec()).encode(&mut body);
    Tpm2b::<32>(context.to_vec()).encode(&mut body);
    let mut v = (body.len() as u16).to_be_bytes().to_vec();
    v.extend(body);
    v
}

/// CreateLoaded with a raw template: (handle, private, public, name).
fn create_loaded_raw(
    tpm: &mut Tpm,
    parent: u32,
    template: &[u8],
    auth: &[u8],
    data: &[u8],
) -> Result<(u32, Vec<u8>, TpmtPublic, Vec<u8>), Rc> {
    let r = go(
        tpm,
        &Cmd::new(cc::CREATE_LOADED)
            .handle(parent)
            .pw(b"")
            .raw(&sensitive_create(auth, data))
            .raw(template),
    );
    if !r.rc.is_success() {
        return Err(r.rc);
    }
    let mut rd = r.reader();
    let h = rd.u32().unwrap();
    let private = Tpm2b::<MAX_PRIVATE>::read(&mut rd).unwrap().0;
    let public = Tpm2bPublic::read(&mut rd).unwrap().0;
    let name = Tpm2b::<66>::read(&mut rd).unwrap().0;
    Ok((h, private, public, name))
}

fn derive(
    tpm: &mut Tpm,
    parent: u32,
    t: &TpmtPublic,
    label: &[u8],
    context: &[u8],
) -> Result<(u32, TpmtPublic), Rc> {
    let (h, private, public, _) =
        create_loaded_raw(tpm, parent, &template(t, label, context), b"", b"")?;
    assert!(private.is_empty(), "a derived object has no private area");
    Ok((h, public))
}

fn ecdsa_t() -> TpmtPublic {
    ecc(
        DERIVED | a::SIGN_ENCRYPT,
        ecc_curve::NIST_P256,
        Scheme::Ecdsa(HashAlg::Sha256),
        None,
    )
}

fn sealed_t() -> TpmtPublic {
    TpmtPublic {
        attributes: DERIVED,
        ..sealed()
    }
}

#[test]
fn derivation_is_deterministic() {
    let mut tpm = started();
    let p = parent(&mut tpm);
    let (h, a1) = derive(&mut tpm, p, &ecdsa_t(), b"label", b"context").unwrap();
    flush(&mut tpm, h);
    let (h, a2) = derive(&mut tpm, p, &ecdsa_t(), b"label", b"context").unwrap();
    flush(&mut tpm, h);
    assert_eq!(a1, a2, "same label and context, same key");
    let (h, b) = derive(&mut tpm, p, &ecdsa_t(), b"label", b"other").unwrap();
    flush(&mut tpm, h);
    let (h, c) = derive(&mut tpm, p, &ecdsa_t(), b"other", b"context").unwrap();
    flush(&mut tpm, h);
    assert_ne!(unique_bytes(&a1), unique_bytes(&b));
    assert_ne!(unique_bytes(&a1), unique_bytes(&c));
    assert_ne!(unique_bytes(&b), unique_bytes(&c));
    // The label and context may come from inSensitive.data instead; the template's win.
    let mut data = Vec::new();
    Tpm2b::<32>(b"label".to_vec()).encode(&mut data);
    Tpm2b::<32>(b"context".to_vec()).encode(&mut data);
    let (h, _, d, _) =
        create_loaded_raw(&mut tpm, p, &template(&ecdsa_t(), b"", b""), b"", &data).unwrap();
    flush(&mut tpm, h);
    assert_eq!(d, a1);
    let (h, _, e, _) = create_loaded_raw(
        &mut tpm,
        p,
        &template(&ecdsa_t(), b"label", b"other"),
        b"",
        &data,
    )
    .unwrap();
    flush(&mut tpm, h);
    assert_eq!(e, b);
    // Another TPM with the same parent secret derives the same key.
    let mut other = started();
    let q = parent(&mut other);
    assert_eq!(
        derive(&mut other, q, &ecdsa_t(), b"label", b"context")
            .unwrap()
            .1,
        a1
    );
}

/// The derived secret is the start of KDFa(xor hash, parent secret, label, context,
/// 8192 bits) and the obfuscation seed follows it; a sealed object shows both.
#[test]
fn derived_secrets_are_the_kdf_stream() {
    let mut tpm = started();
    let p = parent(&mut tpm);
    let (h, public) = derive(&mut tpm, p, &sealed_t(), b"seal", b"ed").unwrap();
    let r = go(&mut tpm, &Cmd::new(cc::UNSEAL).handle(h).pw(b"")).ok();
    let stream = kdfa(HashAlg::Sha256, KEY, b"seal", b"ed", b"", 8192);
    assert_eq!(&r.body[2..], &stream[..32]);
    let unique = tpm2_crypto::digest(HashAlg::Sha256, &[&stream[32..64], &stream[..32]]);
    assert_eq!(unique_bytes(&public)[2..], unique[..]);
    flush(&mut tpm, h);
    // A symmetric key: 16 octets of the same stream (for another label).
    let t = TpmtPublic {
        attributes: DERIVED | a::SIGN_ENCRYPT | a::DECRYPT,
        ..aes(Some(alg::CFB))
    };
    let (h, public) = derive(&mut tpm, p, &t, b"aes", b"").unwrap();
    let stream = kdfa(HashAlg::Sha256, KEY, b"aes", b"", b"", 8192);
    let unique = tpm2_crypto::digest(HashAlg::Sha256, &[&stream[16..48], &stream[..16]]);
    assert_eq!(unique_bytes(&public)[2..], unique[..]);
    flush(&mut tpm, h);
}

#[test]
fn derived_ecc_key_signs_and_verifies() {
    let mut tpm = started();
    let p = parent(&mut tpm);
    let (h, _) = derive(&mut tpm, p, &ecdsa_t(), b"sign", b"").unwrap();
    let d = digest_of(b"message");
    let sig = sign(&mut tpm, h, &d, Scheme::Null).unwrap();
    assert_eq!(verify(&mut tpm, h, &d, &sig), Rc::SUCCESS);
    assert_ne!(verify(&mut tpm, h, &digest_of(b"other"), &sig), Rc::SUCCESS);
    flush(&mut tpm, h);
    let (h, _) = derive(&mut tpm, p, &ecdsa_t(), b"sign", b"").unwrap();
    assert_eq!(verify(&mut tpm, h, &d, &sig), Rc::SUCCESS, "re-derived");
}

#[test]
fn derivation_rules_and_codes() {
    let mut tpm = started();
    let p = parent(&mut tpm);
    let rsa_t = rsa(
        DERIVED | a::SIGN_ENCRYPT,
        2048,
        Scheme::Rsassa(HashAlg::Sha256),
        None,
    );
    let err = |tpm: &mut Tpm, t: &TpmtPublic| derive(tpm, p, t, b"l", b"c").unwrap_err();
    assert_eq!(err(&mut tpm, &rsa_t), Rc::TYPE.param(2));
    let mut t = ecdsa_t();
    t.attributes |= a::SENSITIVE_DATA_ORIGIN;
    assert_eq!(err(&mut tpm, &t), Rc::ATTRIBUTES);
    t.attributes = a::USER_WITH_AUTH | a::SIGN_ENCRYPT;
    assert_eq!(
        err(&mut tpm, &t),
        Rc::ATTRIBUTES.param(2),
        "fixedParent CLEAR"
    );
    t.attributes = DERIVED | a::FIXED_TPM | a::SIGN_ENCRYPT;
    assert_eq!(
        err(&mut tpm, &t),
        Rc::ATTRIBUTES.param(2),
        "fixedTPM unlike parent"
    );
    // A storage key needs its parent's symmetric definition, which this one lacks.
    let storage = ecc(
        DERIVED | a::RESTRICTED | a::DECRYPT,
        ecc_curve::NIST_P256,
        Scheme::Null,
        Some(SymDef::AES_128_CFB),
    );
    assert_eq!(err(&mut tpm, &storage), Rc::SYMMETRIC.param(2));
    // TPMS_DERIVE: labels of at most 32 octets, nothing after it.
    let too_long = derive(&mut tpm, p, &ecdsa_t(), &[1; 33], b"c").unwrap_err();
    assert_eq!(too_long, Rc::SIZE.param(2));
    let mut tpl = template(&ecdsa_t(), b"l", b"c");
    tpl.push(0);
    tpl[1] += 1;
    let trailing = create_loaded_raw(&mut tpm, p, &tpl, b"", b"").unwrap_err();
    assert_eq!(trailing, Rc::SIZE.param(2));
    // A P-384-sized ECC unique is too long for labels.
    let mut point = ecdsa_t();
    point.unique = Unique::Ecc(EccPoint {
        x: Tpm2b(vec![2; 48]),
        y: Tpm2b(vec![3; 48]),
    });
    let b = Tpm2bPublic(point).to_bytes();
    assert_eq!(
        create_loaded_raw(&mut tpm, p, &b, b"", b"").unwrap_err(),
        Rc::SIZE.param(2)
    );
    // A malformed TPMS_DERIVE in inSensitive.data: no parameter number.
    let bad = create_loaded_raw(&mut tpm, p, &template(&ecdsa_t(), b"", b""), b"", &[0, 5]);
    assert_eq!(bad.unwrap_err(), Rc::INSUFFICIENT);
    // authValue longer than the nameAlg digest.
    let long_auth = create_loaded_raw(
        &mut tpm,
        p,
        &template(&ecdsa_t(), b"l", b"c"),
        &[1; 33],
        b"",
    );
    assert_eq!(long_auth.unwrap_err(), Rc::SIZE.param(1));
    // Create and Load do not take a derivation parent.
    let r = go(
        &mut tpm,
        &create_args(Cmd::new(cc::CREATE).handle(p).pw(b""), &sealed(), b"", b"x"),
    );
    assert_eq!(r.rc, Rc::TYPE.handle(1));
}

#[test]
fn other_parents_unchanged() {
    let mut tpm = started();
    let (srk, _) = primary(&mut tpm, rh::OWNER, &ecc_srk());
    // Under a storage parent a TPMS_DERIVE unique is just a unique field: an ECC point
    // whose values the TPM replaces.
    let t = ecc(
        a::FIXED_TPM
            | a::FIXED_PARENT
            | a::SENSITIVE_DATA_ORIGIN
            | a::USER_WITH_AUTH
            | a::SIGN_ENCRYPT,
        ecc_curve::NIST_P256,
        Scheme::Ecdsa(HashAlg::Sha256),
        None,
    );
    let (h, private, public, _) =
        create_loaded_raw(&mut tpm, srk, &template(&t, b"l", b"c"), b"", b"").unwrap();
    assert!(!private.is_empty());
    flush(&mut tpm, h);
    let h = load(&mut tpm, srk, &private, &public).unwrap();
    flush(&mut tpm, h);
    // An empty template is INSUFFICIENT on it, as libtpms.
    let empty = create_loaded_raw(&mut tpm, srk, &[0, 0], b"", b"").unwrap_err();
    assert_eq!(empty, Rc::INSUFFICIENT.param(2));
    // A primary derivation parent's children in the owner hierarchy.
    let p = parent(&mut tpm);
    let (h, _) = derive(&mut tpm, p, &sealed_t(), b"a", b"b").unwrap();
    let r = go(&mut tpm, &Cmd::new(cc::READ_PUBLIC).handle(h)).ok();
    assert!(!r.body.is_empty());
}
