//! Credential protection (MakeCredential / ActivateCredential, Part 1 §24) and
//! duplication (Duplicate / Import, Part 1 §23.3) end to end in the engine, with blobs
//! computed independently from tpm2_crypto primitives.

mod outil;
mod util;
use outil::*;
use tpm2_crypto::ecc::{self, EccCurve};
use tpm2_crypto::kdf::{kdfa, kdfe};
use tpm2_crypto::rsa::RsaPublicKey;
use tpm2_crypto::sym::aes_cfb;
use tpm2_engine::{SimPlatform, Tpm};
use tpm2_types::constants::{alg, cc, ecc_curve, obj_attr as a, rh, se, su};
use tpm2_types::object::*;
use tpm2_types::{Codec, HashAlg, Rc, Tpm2b};
use util::*;

const SHA256: HashAlg = HashAlg::Sha256;

fn tpm_with(seed: u64) -> Tpm {
    let mut tpm = Tpm::manufacture(Box::new(SimPlatform::new(seed)));
    run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    tpm
}

fn name_of(p: &TpmtPublic) -> Vec<u8> {
    let mut n = SHA256.id().to_be_bytes().to_vec();
    n.extend(tpm2_crypto::digest(SHA256, &[&p.to_bytes()]));
    n
}

/// An AK-like restricted signing key under the EK: (handle, Name).
fn ak(tpm: &mut Tpm, parent: u32) -> (u32, Vec<u8>) {
    let t = rsa(SIGNING | a::RESTRICTED, 2048, Scheme::Rsassa(SHA256), None);
    let (private, public) = try_create(tpm, parent, &t, b"", b"").unwrap();
    let h = load(tpm, parent, &private, &public).unwrap();
    (h, name_of(&public))
}

fn make(tpm: &mut Tpm, ek: u32, cred: &[u8], name: &[u8]) -> Result<(Vec<u8>, Vec<u8>), Rc> {
    let r = go(
        tpm,
        &Cmd::new(cc::MAKE_CREDENTIAL).handle(ek).b(cred).b(name),
    );
    if !r.rc.is_success() {
        return Err(r.rc);
    }
    let mut rd = r.reader();
    let blob = Tpm2b::<132>::read(&mut rd).unwrap().0;
    let secret = Tpm2bEncryptedSecret::read(&mut rd).unwrap().0;
    assert!(rd.is_empty());
    Ok((blob, secret))
}

fn activate(tpm: &mut Tpm, obj: u32, ek: u32, blob: &[u8], secret: &[u8]) -> Result<Vec<u8>, Rc> {
    let r = go(
        tpm,
        &Cmd::new(cc::ACTIVATE_CREDENTIAL)
            .handle(obj)
            .handle(ek)
            .pw(b"")
            .pw(b"")
            .b(blob)
            .b(secret),
    );
    if !r.rc.is_success() {
        return Err(r.rc);
    }
    Ok(Tpm2b::<64>::read(&mut r.reader()).unwrap().0)
}

/// The credential blob of Part 1 §24 computed here, for a seed.
fn blob_for(seed: &[u8], name: &[u8], cred: &[u8]) -> Vec<u8> {
    let key = kdfa(SHA256, seed, b"STORAGE", name, b"", 128);
    let hkey = kdfa(SHA256, seed, b"INTEGRITY", b"", b"", 256);
    let mut enc = Tpm2b::<64>(cred.to_vec()).to_bytes();
    aes_cfb(&key, &[0; 16], &mut enc, true);
    let mac = tpm2_crypto::hmac(SHA256, &hkey, &[&enc, name]);
    [Tpm2b::<64>(mac).to_bytes(), enc].concat()
}

#[test]
fn rsa_and_ecc_round_trip() {
    let mut tpm = started();
    for t in [rsa_srk(), ecc_srk()] {
        let (ek, _) = primary(&mut tpm, rh::ENDORSEMENT, &t);
        let (akh, name) = ak(&mut tpm, ek);
        let (blob, secret) = make(&mut tpm, ek, b"the credential", &name).unwrap();
        assert_eq!(
            activate(&mut tpm, akh, ek, &blob, &secret).unwrap(),
            b"the credential"
        );
        // Damage: the HMAC, the encrypted identity, the secret, another object.
        let mut b = blob.clone();
        b[5] ^= 1;
        assert_eq!(
            activate(&mut tpm, akh, ek, &b, &secret),
            Err(Rc::INTEGRITY.param(1))
        );
        let mut b = blob.clone();
        *b.last_mut().unwrap() ^= 1;
        assert_eq!(
            activate(&mut tpm, akh, ek, &b, &secret),
            Err(Rc::INTEGRITY.param(1))
        );
        assert_eq!(
            activate(&mut tpm, ek, ek, &blob, &secret),
            Err(Rc::INTEGRITY.param(1))
        );
        assert_eq!(
            activate(&mut tpm, akh, ek, &blob[..1], &secret),
            Err(Rc::INSUFFICIENT.param(1))
        );
        let mut s = secret.clone();
        s[10] ^= 1;
        let rc = activate(&mut tpm, akh, ek, &blob, &s).unwrap_err();
        assert!(
            rc == Rc::VALUE.param(2)
                || rc == Rc::ECC_POINT.param(2)
                || rc == Rc::INTEGRITY.param(1),
            "{rc}"
        );
        assert_eq!(
            activate(&mut tpm, akh, ek, &blob, b""),
            Err(if matches!(t.parms, PublicParms::Rsa(_)) {
                Rc::SIZE.param(2)
            } else {
                Rc::INSUFFICIENT.param(2)
            })
        );
        // The key must be a restricted decryption key.
        assert_eq!(
            activate(&mut tpm, akh, akh, &blob, &secret),
            Err(Rc::TYPE.handle(2))
        );
        assert_eq!(make(&mut tpm, akh, b"x", &name), Err(Rc::TYPE.handle(1)));
        assert_eq!(make(&mut tpm, ek, &[1; 33], &name), Err(Rc::SIZE.param(1)));
        flush(&mut tpm, akh);
        flush(&mut tpm, ek);
    }
}

#[test]
fn independent_blobs_activate() {
    let mut tpm = started();
    // RSA: OAEP(SHA-256, "IDENTITY\0", seed).
    let (ek, ekp) = primary(&mut tpm, rh::ENDORSEMENT, &rsa_srk());
    let (akh, name) = ak(&mut tpm, ek);
    let PublicParms::Rsa(_) = ekp.parms else {
        panic!()
    };
    let Unique::Rsa(n) = &ekp.unique else {
        panic!()
    };
    let pk = RsaPublicKey::new(n.as_slice(), 65537).unwrap();
    let seed = [0x5a; 32];
    let mut ctr = 0u8;
    let mut rng = |b: &mut [u8]| {
        for x in b.iter_mut() {
            ctr = ctr.wrapping_add(17);
            *x = ctr;
        }
    };
    let secret = pk
        .encrypt_oaep(SHA256, b"IDENTITY\0", &seed, &mut rng)
        .unwrap();
    let blob = blob_for(&seed, &name, b"rsa secret");
    assert_eq!(
        activate(&mut tpm, akh, ek, &blob, &secret).unwrap(),
        b"rsa secret"
    );
    flush(&mut tpm, akh);
    flush(&mut tpm, ek);
    // ECC: KDFe(SHA-256, Z.x, "IDENTITY", Qe.x, Q.x, 256).
    let (ek, ekp) = primary(&mut tpm, rh::ENDORSEMENT, &ecc_srk());
    let (akh, name) = ak(&mut tpm, ek);
    let Unique::Ecc(q) = &ekp.unique else {
        panic!()
    };
    let q = ecc::EccPoint {
        x: q.x.0.clone(),
        y: q.y.0.clone(),
    };
    let (de, qe) = ecc::generate(EccCurve::NistP256, &mut rng);
    let z = ecc::ecdh_zgen(EccCurve::NistP256, &de, &q).unwrap();
    let seed = kdfe(SHA256, &z.x, b"IDENTITY", &qe.x, &q.x, 256);
    let secret = EccPoint {
        x: Tpm2b(qe.x.clone()),
        y: Tpm2b(qe.y.clone()),
    }
    .to_bytes();
    let blob = blob_for(&seed, &name, b"ecc secret");
    assert_eq!(
        activate(&mut tpm, akh, ek, &blob, &secret).unwrap(),
        b"ecc secret"
    );
    // A seed under another label does not.
    let seed = kdfe(SHA256, &z.x, b"DUPLICATE", &qe.x, &q.x, 256);
    let blob = blob_for(&seed, &name, b"ecc secret");
    assert_eq!(
        activate(&mut tpm, akh, ek, &blob, &secret),
        Err(Rc::INTEGRITY.param(1))
    );
}

fn policy_digest_duplicate() -> Vec<u8> {
    tpm2_crypto::digest(
        SHA256,
        &[
            &[0u8; 32],
            &cc::POLICY_COMMAND_CODE.to_be_bytes(),
            &cc::DUPLICATE.to_be_bytes(),
        ],
    )
}

fn dup_session(tpm: &mut Tpm) -> u32 {
    let r = run(
        tpm,
        &Cmd::new(cc::START_AUTH_SESSION)
            .u32(rh::NULL)
            .u32(rh::NULL)
            .b(&[9; 16])
            .b(b"")
            .u8(se::POLICY)
            .u16(alg::NULL)
            .u16(SHA256.id()),
    )
    .ok();
    let s = r.reader().u32().unwrap();
    run(
        tpm,
        &Cmd::new(cc::POLICY_COMMAND_CODE)
            .handle(s)
            .u32(cc::DUPLICATE),
    )
    .ok();
    s
}

/// encryptionKeyOut, duplicate, outSymSeed.
type Duplicated = (Vec<u8>, Vec<u8>, Vec<u8>);

/// Duplicate: (encryptionKeyOut, duplicate, outSymSeed).
fn duplicate(
    tpm: &mut Tpm,
    obj: u32,
    new_parent: u32,
    key: &[u8],
    sym: Option<SymDef>,
) -> Result<Duplicated, Rc> {
    let s = dup_session(tpm);
    let mut c = Cmd::new(cc::DUPLICATE)
        .handle(obj)
        .handle(new_parent)
        .session(s, b"", 1, b"")
        .b(key);
    let mut sd = Vec::new();
    SymDef::encode_opt(&sym, &mut sd);
    c = c.raw(&sd);
    let r = go(tpm, &c);
    flush(tpm, s);
    if !r.rc.is_success() {
        return Err(r.rc);
    }
    let mut rd = r.reader();
    let k = Tpm2b::<66>::read(&mut rd).unwrap().0;
    let d = Tpm2b::<MAX_PRIVATE>::read(&mut rd).unwrap().0;
    let e = Tpm2bEncryptedSecret::read(&mut rd).unwrap().0;
    Ok((k, d, e))
}

fn import(
    tpm: &mut Tpm,
    parent: u32,
    key: &[u8],
    public: &TpmtPublic,
    dup: &[u8],
    seed: &[u8],
    sym: Option<SymDef>,
) -> Result<Vec<u8>, Rc> {
    let mut sd = Vec::new();
    SymDef::encode_opt(&sym, &mut sd);
    let r = go(
        tpm,
        &Cmd::new(cc::IMPORT)
            .handle(parent)
            .pw(b"")
            .b(key)
            .raw(&Tpm2bPublic(public.clone()).to_bytes())
            .b(dup)
            .b(seed)
            .raw(&sd),
    );
    if !r.rc.is_success() {
        return Err(r.rc);
    }
    Ok(Tpm2b::<MAX_PRIVATE>::read(&mut r.reader()).unwrap().0)
}

fn unseal(tpm: &mut Tpm, h: u32) -> Vec<u8> {
    let r = go(tpm, &Cmd::new(cc::UNSEAL).handle(h).pw(b"")).ok();
    Tpm2b::<128>::read(&mut r.reader()).unwrap().0
}

/// The public area of `h`, loaded into `into` as a public-only object.
fn external_parent(from: &mut Tpm, h: u32, into: &mut Tpm) -> u32 {
    let r = go(from, &Cmd::new(cc::READ_PUBLIC).handle(h)).ok();
    let p = Tpm2bPublic::read(&mut r.reader()).unwrap().0;
    let r = go(
        into,
        &Cmd::new(cc::LOAD_EXTERNAL)
            .u16(0)
            .raw(&Tpm2bPublic(p).to_bytes())
            .u32(rh::OWNER),
    )
    .ok();
    r.reader().u32().unwrap()
}

#[test]
fn duplicate_and_import_across_tpms() {
    for (srk, inner, own_key) in [
        (rsa_srk(), false, false),
        (rsa_srk(), true, false),
        (ecc_srk(), true, true),
        (ecc_srk(), false, false),
    ] {
        let mut src = tpm_with(11);
        let mut dst = tpm_with(12);
        let (src_srk, _) = primary(&mut src, rh::OWNER, &srk);
        let (dst_srk, _) = primary(&mut dst, rh::OWNER, &srk);
        let np = external_parent(&mut dst, dst_srk, &mut src);
        // A sealed object and a signing key that may be duplicated.
        let mut seal = sealed();
        seal.attributes = a::USER_WITH_AUTH;
        seal.auth_policy = Tpm2b(policy_digest_duplicate());
        let mut signer = ecc(
            a::USER_WITH_AUTH | a::SIGN_ENCRYPT | a::SENSITIVE_DATA_ORIGIN,
            ecc_curve::NIST_P256,
            Scheme::Ecdsa(SHA256),
            None,
        );
        signer.auth_policy = Tpm2b(policy_digest_duplicate());
        let sym = inner.then_some(SymDef::AES_128_CFB);
        for (t, data) in [(seal, &b"duplicated secret"[..]), (signer, &b""[..])] {
            let (private, public) = try_create(&mut src, src_srk, &t, b"", data).unwrap();
            let h = load(&mut src, src_srk, &private, &public).unwrap();
            let key_in = if own_key { vec![7u8; 16] } else { vec![] };
            let (key_out, dup, seed) = duplicate(&mut src, h, np, &key_in, sym).unwrap();
            assert_eq!(key_out.len(), if inner && !own_key { 16 } else { 0 });
            let key = if own_key { key_in.clone() } else { key_out };
            // Damaged: the blob, the seed, the inner key.
            let mut bad = dup.clone();
            *bad.last_mut().unwrap() ^= 1;
            assert_eq!(
                import(&mut dst, dst_srk, &key, &public, &bad, &seed, sym),
                Err(Rc::INTEGRITY.param(3))
            );
            if inner {
                let mut k = key.clone();
                k[0] ^= 1;
                let rc = import(&mut dst, dst_srk, &k, &public, &dup, &seed, sym).unwrap_err();
                // The decrypted integrity is garbage: its size or its value is wrong.
                assert!(
                    rc == Rc::INTEGRITY.param(3) || rc == Rc::SIZE.param(3),
                    "{rc}"
                );
                assert_eq!(
                    import(&mut dst, dst_srk, &key, &public, &dup, &seed, None),
                    Err(Rc::SIZE.param(1))
                );
            }
            // The source's parent cannot import it.
            assert!(import(&mut src, src_srk, &key, &public, &dup, &seed, sym).is_err());
            let out = import(&mut dst, dst_srk, &key, &public, &dup, &seed, sym).unwrap();
            let nh = load(&mut dst, dst_srk, &out, &public).unwrap();
            if data.is_empty() {
                let d = digest_of(b"message");
                let sig = sign(&mut dst, nh, &d, Scheme::Ecdsa(SHA256)).unwrap();
                assert_eq!(verify(&mut src, h, &d, &sig), Rc::SUCCESS);
            } else {
                assert_eq!(unseal(&mut dst, nh), data);
            }
            flush(&mut dst, nh);
            flush(&mut src, h);
        }
    }
}

#[test]
fn duplicate_checks() {
    let mut tpm = started();
    let (srk, _) = primary(&mut tpm, rh::OWNER, &rsa_srk());
    // fixedParent: TPM_RC_ATTRIBUTES on the object.
    let mut t = sealed();
    t.auth_policy = Tpm2b(policy_digest_duplicate());
    let (private, public) = try_create(&mut tpm, srk, &t, b"", b"x").unwrap();
    let h = load(&mut tpm, srk, &private, &public).unwrap();
    assert_eq!(
        duplicate(&mut tpm, h, rh::NULL, b"", None),
        Err(Rc::ATTRIBUTES.handle(1))
    );
    flush(&mut tpm, h);
    // encryptedDuplication needs an inner wrapper and a new parent.
    t.attributes = a::USER_WITH_AUTH | a::ENCRYPTED_DUPLICATION;
    let (private, public) = try_create(&mut tpm, srk, &t, b"", b"x").unwrap();
    let h = load(&mut tpm, srk, &private, &public).unwrap();
    assert_eq!(
        duplicate(&mut tpm, h, srk, b"", None),
        Err(Rc::SYMMETRIC.param(2))
    );
    assert_eq!(
        duplicate(&mut tpm, h, rh::NULL, b"", Some(SymDef::AES_128_CFB)),
        Err(Rc::HIERARCHY.handle(2))
    );
    assert_eq!(
        duplicate(&mut tpm, h, srk, &[1; 15], Some(SymDef::AES_128_CFB)),
        Err(Rc::SIZE.param(1))
    );
    let (_, dup, seed) = duplicate(&mut tpm, h, srk, b"", Some(SymDef::AES_128_CFB)).unwrap();
    // Import without an inner wrapper: TPM_RC_ATTRIBUTES.
    assert_eq!(
        import(&mut tpm, srk, b"", &public, &dup, &seed, None),
        Err(Rc::ATTRIBUTES.param(1))
    );
    flush(&mut tpm, h);
    // Not a storage parent.
    t.attributes = a::USER_WITH_AUTH;
    let (private, public) = try_create(&mut tpm, srk, &t, b"", b"x").unwrap();
    let h = load(&mut tpm, srk, &private, &public).unwrap();
    assert_eq!(
        duplicate(&mut tpm, h, h, b"", None),
        Err(Rc::TYPE.handle(2))
    );
    assert_eq!(
        duplicate(&mut tpm, h, rh::NULL, &[1], None),
        Err(Rc::SIZE.param(1))
    );
    // No wrappers at all: the plain TPM2B_SENSITIVE, imported under the same parent.
    let (_, dup, seed) = duplicate(&mut tpm, h, rh::NULL, b"", None).unwrap();
    assert!(seed.is_empty());
    let out = import(&mut tpm, srk, b"", &public, &dup, b"", None).unwrap();
    flush(&mut tpm, h);
    let h = load(&mut tpm, srk, &out, &public).unwrap();
    assert_eq!(unseal(&mut tpm, h), b"x");
    // Import of a fixedParent public: TPM_RC_ATTRIBUTES on objectPublic.
    let mut p = public.clone();
    p.attributes |= a::FIXED_PARENT;
    assert_eq!(
        import(&mut tpm, srk, b"", &p, &dup, b"", None),
        Err(Rc::ATTRIBUTES.param(2))
    );
}

#[test]
fn rewrap_moves_the_outer_wrapper() {
    let mut src = tpm_with(21);
    let mut dst = tpm_with(22);
    let (src_srk, _) = primary(&mut src, rh::OWNER, &rsa_srk());
    let (old, _) = primary(&mut dst, rh::OWNER, &rsa_srk());
    let (new, _) = primary(&mut dst, rh::ENDORSEMENT, &ecc_srk());
    let np = external_parent(&mut dst, old, &mut src);
    let mut t = sealed();
    t.attributes = a::USER_WITH_AUTH;
    t.auth_policy = Tpm2b(policy_digest_duplicate());
    let (private, public) = try_create(&mut src, src_srk, &t, b"", b"rewrapped").unwrap();
    let h = load(&mut src, src_srk, &private, &public).unwrap();
    let aes = Some(SymDef::AES_128_CFB);
    let (key, dup, seed) = duplicate(&mut src, h, np, b"", aes).unwrap();
    let name = name_of(&public);
    let rewrap = |tpm: &mut Tpm, o: u32, n: u32, dup: &[u8], seed: &[u8]| {
        let r = go(
            tpm,
            &Cmd::new(cc::REWRAP)
                .handle(o)
                .handle(n)
                .pw(b"")
                .b(dup)
                .b(&name)
                .b(seed),
        );
        if !r.rc.is_success() {
            return Err(r.rc);
        }
        let mut rd = r.reader();
        let d = Tpm2b::<MAX_PRIVATE>::read(&mut rd).unwrap().0;
        let s = Tpm2bEncryptedSecret::read(&mut rd).unwrap().0;
        Ok((d, s))
    };
    assert_eq!(
        rewrap(&mut dst, rh::NULL, new, &dup, &seed),
        Err(Rc::HANDLE.handle(1))
    );
    assert_eq!(
        rewrap(&mut dst, old, new, &dup, b""),
        Err(Rc::HANDLE.handle(1))
    );
    let mut bad = dup.clone();
    bad[4] ^= 1;
    assert_eq!(
        rewrap(&mut dst, old, new, &bad, &seed),
        Err(Rc::INTEGRITY.param(1))
    );
    let (dup2, seed2) = rewrap(&mut dst, old, new, &dup, &seed).unwrap();
    // The old parent no longer opens it; the new one does.
    assert!(import(&mut dst, old, &key, &public, &dup2, &seed2, aes).is_err());
    let out = import(&mut dst, new, &key, &public, &dup2, &seed2, aes).unwrap();
    flush(&mut dst, old);
    let nh = load(&mut dst, new, &out, &public).unwrap();
    assert_eq!(unseal(&mut dst, nh), b"rewrapped");
}
