//! Objects end to end in the engine: primary derivation (pinned), create/load/unseal,
//! signing, RSA and ECDH, symmetric keys, contexts, persistence and template rules.

mod outil;
mod util;
use outil::*;
use std::path::Path;
use tpm2_engine::state::blob::{self, BlobKind};
use tpm2_engine::state::{Permanent, Secret};
use tpm2_engine::{SimPlatform, Tpm};
use tpm2_types::constants::{alg, cc, ecc_curve, obj_attr as a, rh, su};
use tpm2_types::object::*;
use tpm2_types::{Codec, HashAlg, Rc, Tpm2b};
use util::*;

/// A started TPM whose seeds are fixed bytes, so derived primaries can be pinned.
fn fixed_seeds() -> Tpm {
    let t = Tpm::manufacture(Box::new(SimPlatform::new(3)));
    let mut p: Permanent = blob::decode(BlobKind::Permanent, &t.permanent_blob()).unwrap();
    p.sps = Secret(vec![0x11; 64]);
    p.eps = Secret(vec![0x22; 64]);
    p.pps = Secret(vec![0x33; 64]);
    let b = blob::encode(BlobKind::Permanent, &p);
    let mut tpm = Tpm::restore(Box::new(SimPlatform::new(3)), &b, None).unwrap();
    go(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    tpm
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn primary_keys_are_pinned_by_golden_vectors() {
    // The derivation of primaries from (seed, template) must never change: these are the
    // unique fields of four templates under fixed seeds.
    let mut tpm = fixed_seeds();
    let cases: Vec<(&str, u32, TpmtPublic)> = vec![
        ("owner rsa2048 srk", rh::OWNER, rsa_srk()),
        ("owner ecc p256 srk", rh::OWNER, ecc_srk()),
        (
            "endorsement rsa2048 sign",
            rh::ENDORSEMENT,
            rsa(SIGNING, 2048, Scheme::Rsassa(HashAlg::Sha256), None),
        ),
        (
            "platform ecc p384 sign",
            rh::PLATFORM,
            ecc(
                SIGNING,
                ecc_curve::NIST_P384,
                Scheme::Ecdsa(HashAlg::Sha384),
                None,
            ),
        ),
    ];
    let mut now = String::new();
    for (what, hier, t) in &cases {
        let (h, p) = primary(&mut tpm, *hier, t);
        flush(&mut tpm, h);
        now.push_str(&format!("{what}: {}\n", hex(&unique_bytes(&p))));
    }
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/primary-golden.txt");
    if std::env::var_os("FERROTPM_BLESS").is_some() {
        std::fs::write(&path, &now).unwrap();
        return;
    }
    let pinned = std::fs::read_to_string(&path).unwrap();
    assert_eq!(pinned, now, "primary key derivation changed");
}

#[test]
fn primaries_repeat_across_restarts_and_change_with_the_template() {
    let mut tpm = started();
    let (h1, p1) = primary(&mut tpm, rh::OWNER, &ecc_srk());
    flush(&mut tpm, h1);
    let (h2, p2) = primary(&mut tpm, rh::OWNER, &ecc_srk());
    assert_eq!(p1, p2);
    flush(&mut tpm, h2);
    // Another unique field in the template gives another key.
    let mut t = ecc_srk();
    t.unique = Unique::Ecc(EccPoint {
        x: Tpm2b(b"x".to_vec()),
        y: Tpm2b(Vec::new()),
    });
    let (h3, p3) = primary(&mut tpm, rh::OWNER, &t);
    assert_ne!(unique_bytes(&p1), unique_bytes(&p3));
    flush(&mut tpm, h3);
    // The same key after a restart from the stored state, and in another hierarchy not.
    let perm = tpm.permanent_blob();
    let mut again = Tpm::restore(Box::new(SimPlatform::new(99)), &perm, None).unwrap();
    go(&mut again, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    let (_, p4) = primary(&mut again, rh::OWNER, &ecc_srk());
    assert_eq!(p1, p4);
    let (_, p5) = primary(&mut again, rh::ENDORSEMENT, &ecc_srk());
    assert_ne!(unique_bytes(&p1), unique_bytes(&p5));
    // TPM2_Clear replaces the owner seed: another key.
    go(&mut again, &Cmd::new(cc::FLUSH_CONTEXT).u32(0x8000_0000)).ok();
    go(&mut again, &Cmd::new(cc::FLUSH_CONTEXT).u32(0x8000_0001)).ok();
    go(
        &mut again,
        &Cmd::new(cc::CLEAR).handle(rh::PLATFORM).pw(b""),
    )
    .ok();
    let (_, p6) = primary(&mut again, rh::OWNER, &ecc_srk());
    assert_ne!(unique_bytes(&p1), unique_bytes(&p6));
}

#[test]
fn seal_load_unseal_under_both_srks() {
    for srk in [rsa_srk(), ecc_srk()] {
        let mut tpm = started();
        let (parent, _) = primary(&mut tpm, rh::OWNER, &srk);
        let (private, public) =
            try_create(&mut tpm, parent, &sealed(), b"pw", b"top secret").unwrap();
        let h = load(&mut tpm, parent, &private, &public).unwrap();
        let r = go(&mut tpm, &Cmd::new(cc::UNSEAL).handle(h).pw(b"pw")).ok();
        assert_eq!(&r.body[2..], b"top secret");
        // A wrong password is refused (and counts against DA).
        let r = go(&mut tpm, &Cmd::new(cc::UNSEAL).handle(h).pw(b"no"));
        assert_eq!(r.rc.base(), Rc::AUTH_FAIL);
        flush(&mut tpm, h);
        // A damaged private area or a changed public area does not load.
        let mut bad = private.clone();
        let n = bad.len();
        bad[n - 1] ^= 1;
        assert_eq!(
            load(&mut tpm, parent, &bad, &public),
            Err(Rc::INTEGRITY.param(1))
        );
        let mut other = public.clone();
        other.attributes |= a::NO_DA;
        assert_eq!(
            load(&mut tpm, parent, &private, &other),
            Err(Rc::INTEGRITY.param(1))
        );
        // A sealed object is not a parent.
        let (private, public) = try_create(&mut tpm, parent, &sealed(), b"", b"x").unwrap();
        let h = load(&mut tpm, parent, &private, &public).unwrap();
        assert_eq!(
            try_create(&mut tpm, h, &sealed(), b"", b"x").unwrap_err(),
            Rc::TYPE.handle(1)
        );
    }
}

#[test]
fn signatures_of_every_scheme_verify_in_the_tpm() {
    let mut tpm = started();
    let (parent, _) = primary(&mut tpm, rh::OWNER, &ecc_srk());
    let d = digest_of(b"message");
    let keys = [
        rsa(SIGNING, 2048, Scheme::Null, None),
        ecc(SIGNING, ecc_curve::NIST_P256, Scheme::Null, None),
        ecc(SIGNING, ecc_curve::NIST_P384, Scheme::Null, None),
    ];
    for t in keys {
        let (private, public) = try_create(&mut tpm, parent, &t, b"", b"").unwrap();
        let h = load(&mut tpm, parent, &private, &public).unwrap();
        let schemes: &[Scheme] = if t.type_alg() == alg::RSA {
            &[
                Scheme::Rsassa(HashAlg::Sha256),
                Scheme::Rsapss(HashAlg::Sha256),
            ]
        } else {
            &[
                Scheme::Ecdsa(HashAlg::Sha256),
                Scheme::Ecschnorr(HashAlg::Sha256),
            ]
        };
        for s in schemes {
            let sig = sign(&mut tpm, h, &d, *s).unwrap();
            assert_eq!(verify(&mut tpm, h, &d, &sig), Rc::SUCCESS, "{s:?}");
            let other = digest_of(b"other");
            assert_eq!(verify(&mut tpm, h, &other, &sig), Rc::SIGNATURE.param(2));
        }
        // A key without a scheme needs one from the caller; a digest of the wrong size fails.
        assert_eq!(
            sign(&mut tpm, h, &d, Scheme::Null),
            Err(Rc::SCHEME.param(2))
        );
        assert_eq!(
            sign(&mut tpm, h, &d[..20], schemes[0]),
            Err(Rc::SIZE.param(1))
        );
        flush(&mut tpm, h);
    }
    // A restricted signing key signs only with a hash-check ticket.
    let t = ecc(
        SIGNING | a::RESTRICTED,
        ecc_curve::NIST_P256,
        Scheme::Ecdsa(HashAlg::Sha256),
        None,
    );
    let (private, public) = try_create(&mut tpm, parent, &t, b"", b"").unwrap();
    let h = load(&mut tpm, parent, &private, &public).unwrap();
    assert_eq!(
        sign(&mut tpm, h, &d, Scheme::Null),
        Err(Rc::TICKET.param(3))
    );
}

#[test]
fn rsa_encryption_round_trips() {
    let mut tpm = started();
    let (parent, _) = primary(&mut tpm, rh::OWNER, &ecc_srk());
    let t = rsa(DECRYPTING, 2048, Scheme::Null, None);
    let (private, public) = try_create(&mut tpm, parent, &t, b"", b"").unwrap();
    let h = load(&mut tpm, parent, &private, &public).unwrap();
    for scheme in [Scheme::Oaep(HashAlg::Sha256), Scheme::Rsaes] {
        let label: &[u8] = if matches!(scheme, Scheme::Oaep(_)) {
            b"label\0"
        } else {
            b""
        };
        let r = go(
            &mut tpm,
            &Cmd::new(cc::RSA_ENCRYPT)
                .handle(h)
                .b(b"plain text")
                .put(&scheme)
                .b(label),
        )
        .ok();
        let ct = r.body[2..].to_vec();
        assert_eq!(ct.len(), 256);
        let r = go(
            &mut tpm,
            &Cmd::new(cc::RSA_DECRYPT)
                .handle(h)
                .pw(b"")
                .b(&ct)
                .put(&scheme)
                .b(label),
        )
        .ok();
        assert_eq!(&r.body[2..], b"plain text");
    }
    // A label without its terminating zero is refused.
    let r = go(
        &mut tpm,
        &Cmd::new(cc::RSA_ENCRYPT)
            .handle(h)
            .b(b"x")
            .put(&Scheme::Oaep(HashAlg::Sha256))
            .b(b"label"),
    );
    assert_eq!(r.rc, Rc::VALUE.param(3));
}

#[test]
fn ecdh_keygen_and_zgen_agree() {
    let mut tpm = started();
    let (parent, _) = primary(&mut tpm, rh::OWNER, &ecc_srk());
    let t = ecc(DECRYPTING, ecc_curve::NIST_P256, Scheme::Null, None);
    let (private, public) = try_create(&mut tpm, parent, &t, b"", b"").unwrap();
    let h = load(&mut tpm, parent, &private, &public).unwrap();
    let r = go(&mut tpm, &Cmd::new(cc::ECDH_KEY_GEN).handle(h)).ok();
    let mut rd = r.reader();
    let z = Tpm2bEccPoint::read(&mut rd).unwrap();
    let ephemeral = Tpm2bEccPoint::read(&mut rd).unwrap();
    let r = go(
        &mut tpm,
        &Cmd::new(cc::ECDH_ZGEN).handle(h).pw(b"").put(&ephemeral),
    )
    .ok();
    assert_eq!(Tpm2bEccPoint::from_bytes(&r.body).unwrap(), z);
}

#[test]
fn symmetric_keys_encrypt_and_hmac() {
    let mut tpm = started();
    let (parent, _) = primary(&mut tpm, rh::OWNER, &ecc_srk());
    let (private, public) = try_create(&mut tpm, parent, &aes(None), b"", b"").unwrap();
    let h = load(&mut tpm, parent, &private, &public).unwrap();
    let plain = [0x5a; 40];
    let run_ed = |tpm: &mut Tpm, decrypt: u8, mode: u16, data: &[u8]| {
        go(
            tpm,
            &Cmd::new(cc::ENCRYPT_DECRYPT2)
                .handle(h)
                .pw(b"")
                .b(data)
                .u8(decrypt)
                .u16(mode)
                .b(&[1; 16]),
        )
    };
    for mode in [alg::CFB, alg::CTR, alg::OFB] {
        let r = run_ed(&mut tpm, 0, mode, &plain).ok();
        let ct = r.body[2..42].to_vec();
        assert_ne!(ct, plain);
        let r = run_ed(&mut tpm, 1, mode, &ct).ok();
        assert_eq!(&r.body[2..42], &plain);
    }
    // CBC needs whole blocks.
    assert_eq!(run_ed(&mut tpm, 0, alg::CBC, &plain).rc, Rc::SIZE.param(1));
    // An HMAC key with the caller's key bytes (so sensitiveDataOrigin is CLEAR).
    let t = TpmtPublic {
        name_alg: Some(HashAlg::Sha256),
        attributes: (SIGNING & !a::SENSITIVE_DATA_ORIGIN),
        auth_policy: Tpm2b::empty(),
        parms: PublicParms::KeyedHash(KeyedHashScheme::Hmac(HashAlg::Sha256)),
        unique: Unique::Digest(Tpm2b::empty()),
    };
    let (private, public) = try_create(&mut tpm, parent, &t, b"", b"key bytes").unwrap();
    flush(&mut tpm, h);
    let k = load(&mut tpm, parent, &private, &public).unwrap();
    let r = go(
        &mut tpm,
        &Cmd::new(cc::HMAC)
            .handle(k)
            .pw(b"")
            .b(b"data")
            .u16(alg::NULL),
    )
    .ok();
    let want = tpm2_crypto::hmac(HashAlg::Sha256, b"key bytes", &[b"data"]);
    assert_eq!(&r.body[2..], &want[..]);
    // With sensitiveDataOrigin SET the TPM makes the key: caller data is refused.
    let mut t2 = t.clone();
    t2.attributes |= a::SENSITIVE_DATA_ORIGIN;
    assert_eq!(
        try_create(&mut tpm, parent, &t2, b"", b"key bytes").unwrap_err(),
        Rc::ATTRIBUTES.param(2)
    );
}

#[test]
fn contexts_save_and_load_objects() {
    let mut tpm = started();
    let (parent, p) = primary(&mut tpm, rh::OWNER, &ecc_srk());
    let r = go(&mut tpm, &Cmd::new(cc::CONTEXT_SAVE).handle(parent)).ok();
    let ctx = r.body.clone();
    flush(&mut tpm, parent);
    let r = go(&mut tpm, &Cmd::new(cc::CONTEXT_LOAD).raw(&ctx)).ok();
    let h = r.reader().u32().unwrap();
    let r = go(&mut tpm, &Cmd::new(cc::READ_PUBLIC).handle(h)).ok();
    assert_eq!(Tpm2bPublic::read(&mut r.reader()).unwrap().0, p);
    // Padding after the blob's contents is ignored (Windows pads contexts).
    let mut padded = ctx.clone();
    let n = u16::from_be_bytes([padded[16], padded[17]]) + 16;
    padded[16..18].copy_from_slice(&n.to_be_bytes());
    padded.extend_from_slice(&[0; 16]);
    go(&mut tpm, &Cmd::new(cc::CONTEXT_LOAD).raw(&padded)).ok();
    // A damaged context is refused.
    let mut bad = ctx.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert_eq!(
        go(&mut tpm, &Cmd::new(cc::CONTEXT_LOAD).raw(&bad)).rc,
        Rc::INTEGRITY.param(1)
    );
    // Three slots: the fourth object does not fit.
    go(&mut tpm, &Cmd::new(cc::CONTEXT_LOAD).raw(&ctx)).ok();
    assert_eq!(
        go(&mut tpm, &Cmd::new(cc::CONTEXT_LOAD).raw(&ctx)).rc,
        Rc::OBJECT_MEMORY
    );
    // After a TPM Reset the context is void.
    tpm.init();
    go(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    assert_eq!(
        go(&mut tpm, &Cmd::new(cc::CONTEXT_LOAD).raw(&ctx)).rc,
        Rc::INTEGRITY.param(1)
    );
}

#[test]
fn evict_control_persists_objects_across_restarts() {
    let mut tpm = started();
    let (h, p) = primary(&mut tpm, rh::OWNER, &ecc_srk());
    let evict = |tpm: &mut Tpm, auth: u32, obj: u32, ph: u32| {
        go(
            tpm,
            &Cmd::new(cc::EVICT_CONTROL)
                .handle(auth)
                .handle(obj)
                .pw(b"")
                .u32(ph),
        )
        .rc
    };
    assert_eq!(
        evict(&mut tpm, rh::OWNER, h, 0x8180_0000),
        Rc::RANGE.param(1)
    );
    assert_eq!(
        evict(&mut tpm, rh::PLATFORM, h, 0x8180_0000),
        Rc::HIERARCHY.handle(2)
    );
    assert_eq!(evict(&mut tpm, rh::OWNER, h, 0x8100_0001), Rc::SUCCESS);
    assert!(tpm.permanent_dirty());
    assert_eq!(evict(&mut tpm, rh::OWNER, h, 0x8100_0001), Rc::NV_DEFINED);
    let perm = tpm.permanent_blob();
    let mut again = Tpm::restore(Box::new(SimPlatform::new(5)), &perm, None).unwrap();
    go(&mut again, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    let r = go(&mut again, &Cmd::new(cc::READ_PUBLIC).handle(0x8100_0001)).ok();
    assert_eq!(Tpm2bPublic::read(&mut r.reader()).unwrap().0, p);
    // The persistent key works as a parent.
    let (private, public) = try_create(&mut again, 0x8100_0001, &sealed(), b"", b"s").unwrap();
    load(&mut again, 0x8100_0001, &private, &public).unwrap();
    assert_eq!(
        evict(&mut again, rh::OWNER, 0x8100_0001, 0x8100_0001),
        Rc::SUCCESS
    );
    assert_eq!(
        go(&mut again, &Cmd::new(cc::READ_PUBLIC).handle(0x8100_0001)).rc,
        Rc::HANDLE.handle(1)
    );
}

#[test]
fn templates_are_checked() {
    let mut tpm = started();
    let prim = |tpm: &mut Tpm, t: TpmtPublic| try_primary(tpm, rh::OWNER, &t).err();
    // A storage key that also signs.
    let mut t = rsa_srk();
    t.attributes |= a::SIGN_ENCRYPT;
    assert_eq!(prim(&mut tpm, t), Some(Rc::ATTRIBUTES.param(2)));
    // fixedTPM without fixedParent.
    let mut t = ecc_srk();
    t.attributes &= !a::FIXED_PARENT;
    assert_eq!(prim(&mut tpm, t), Some(Rc::ATTRIBUTES.param(2)));
    // A restricted signing key needs a scheme; a storage key needs CFB and no scheme.
    let t = ecc(
        SIGNING | a::RESTRICTED,
        ecc_curve::NIST_P256,
        Scheme::Null,
        None,
    );
    assert_eq!(prim(&mut tpm, t), Some(Rc::SCHEME.param(2)));
    let t = rsa(STORAGE, 2048, Scheme::Null, None);
    assert_eq!(prim(&mut tpm, t), Some(Rc::SYMMETRIC.param(2)));
    let t = rsa(
        STORAGE,
        2048,
        Scheme::Oaep(HashAlg::Sha256),
        Some(SymDef::AES_128_CFB),
    );
    assert_eq!(prim(&mut tpm, t), Some(Rc::SCHEME.param(2)));
    // An RSA key with a signing scheme that decrypts.
    let t = rsa(DECRYPTING, 2048, Scheme::Rsassa(HashAlg::Sha256), None);
    assert_eq!(prim(&mut tpm, t), Some(Rc::SCHEME.param(2)));
    // An authPolicy of the wrong size.
    let mut t = ecc_srk();
    t.auth_policy = Tpm2b(vec![0; 20]);
    assert_eq!(prim(&mut tpm, t), Some(Rc::SIZE.param(2)));
    // An asymmetric key's data: a primary takes it as an input to the derivation
    // (libtpms's CreateChecks); an ordinary object does not take it at all.
    let r = go(
        &mut tpm,
        &create_args(
            Cmd::new(cc::CREATE_PRIMARY).handle(rh::OWNER).pw(b""),
            &ecc_srk(),
            b"",
            b"data",
        ),
    );
    assert_eq!(r.rc, Rc::SUCCESS);
    let srk = u32::from_be_bytes(r.body[..4].try_into().unwrap());
    let r = go(
        &mut tpm,
        &create_args(
            Cmd::new(cc::CREATE).handle(srk).pw(b""),
            &ecc_srk(),
            b"",
            b"data",
        ),
    );
    assert_eq!(r.rc, Rc::ATTRIBUTES.param(2));
    // TestParms answers from the same unmarshalling.
    let ok = go(
        &mut tpm,
        &Cmd::new(cc::TEST_PARMS).u16(alg::ECC).raw(&{
            let mut v = Vec::new();
            ecc_srk().parms.encode_body(&mut v);
            v
        }),
    );
    assert_eq!(ok.rc, Rc::SUCCESS);
    let bad = go(
        &mut tpm,
        &Cmd::new(cc::TEST_PARMS)
            .u16(alg::ECC)
            .u16(alg::NULL)
            .u16(alg::NULL)
            .u16(0x0011)
            .u16(alg::NULL),
    );
    assert_eq!(bad.rc, Rc::CURVE.param(1));
}
