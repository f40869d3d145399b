//! Object helpers for engine tests: templates and the object commands.
#![allow(dead_code)]

use crate::util::*;
use tpm2_engine::Tpm;
use tpm2_types::constants::{alg, cc, ecc_curve, obj_attr as a};
use tpm2_types::object::*;
use tpm2_types::structures::TpmlPcrSelection;
use tpm2_types::{Codec, HashAlg, Rc, Reader, Tpm2b, Tpm2bDigest};

pub const STORAGE: u32 = a::FIXED_TPM
    | a::FIXED_PARENT
    | a::SENSITIVE_DATA_ORIGIN
    | a::USER_WITH_AUTH
    | a::RESTRICTED
    | a::DECRYPT;
pub const SIGNING: u32 =
    a::FIXED_TPM | a::FIXED_PARENT | a::SENSITIVE_DATA_ORIGIN | a::USER_WITH_AUTH | a::SIGN_ENCRYPT;
pub const DECRYPTING: u32 =
    a::FIXED_TPM | a::FIXED_PARENT | a::SENSITIVE_DATA_ORIGIN | a::USER_WITH_AUTH | a::DECRYPT;

pub fn rsa(attributes: u32, bits: u16, scheme: Scheme, sym: Option<SymDef>) -> TpmtPublic {
    TpmtPublic {
        name_alg: Some(HashAlg::Sha256),
        attributes,
        auth_policy: Tpm2b::empty(),
        parms: PublicParms::Rsa(RsaParms {
            symmetric: sym,
            scheme,
            key_bits: bits,
            exponent: 0,
        }),
        unique: Unique::Rsa(Tpm2b::empty()),
    }
}

pub fn ecc(attributes: u32, curve: u16, scheme: Scheme, sym: Option<SymDef>) -> TpmtPublic {
    TpmtPublic {
        name_alg: Some(HashAlg::Sha256),
        attributes,
        auth_policy: Tpm2b::empty(),
        parms: PublicParms::Ecc(EccParms {
            symmetric: sym,
            scheme,
            curve,
            kdf: KdfScheme(None),
        }),
        unique: Unique::Ecc(EccPoint::default()),
    }
}

pub fn rsa_srk() -> TpmtPublic {
    rsa(STORAGE, 2048, Scheme::Null, Some(SymDef::AES_128_CFB))
}

pub fn ecc_srk() -> TpmtPublic {
    ecc(
        STORAGE,
        ecc_curve::NIST_P256,
        Scheme::Null,
        Some(SymDef::AES_128_CFB),
    )
}

/// A sealed data object (KEYEDHASH, neither sign nor decrypt).
pub fn sealed() -> TpmtPublic {
    TpmtPublic {
        name_alg: Some(HashAlg::Sha256),
        attributes: a::FIXED_TPM | a::FIXED_PARENT | a::USER_WITH_AUTH,
        auth_policy: Tpm2b::empty(),
        parms: PublicParms::KeyedHash(KeyedHashScheme::Null),
        unique: Unique::Digest(Tpm2b::empty()),
    }
}

pub fn aes(mode: Option<u16>) -> TpmtPublic {
    TpmtPublic {
        name_alg: Some(HashAlg::Sha256),
        attributes: a::FIXED_TPM
            | a::FIXED_PARENT
            | a::SENSITIVE_DATA_ORIGIN
            | a::USER_WITH_AUTH
            | a::DECRYPT
            | a::SIGN_ENCRYPT,
        auth_policy: Tpm2b::empty(),
        parms: PublicParms::SymCipher(SymDef {
            alg: alg::AES,
            key_bits: 128,
            mode,
        }),
        unique: Unique::Digest(Tpm2b::empty()),
    }
}

pub fn sensitive_create(auth: &[u8], data: &[u8]) -> Vec<u8> {
    SensitiveCreate {
        user_auth: Tpm2b(auth.to_vec()),
        data: Tpm2b(data.to_vec()),
    }
    .to_bytes()
}

pub fn create_args(c: Cmd, t: &TpmtPublic, auth: &[u8], data: &[u8]) -> Cmd {
    c.raw(&sensitive_create(auth, data))
        .raw(&Tpm2bPublic(t.clone()).to_bytes())
        .b(b"")
        .put(&TpmlPcrSelection(vec![]))
}

/// CreatePrimary: the handle and the public area.
pub fn try_primary(tpm: &mut Tpm, hierarchy: u32, t: &TpmtPublic) -> Result<(u32, TpmtPublic), Rc> {
    let r = go(
        tpm,
        &create_args(
            Cmd::new(cc::CREATE_PRIMARY).handle(hierarchy).pw(b""),
            t,
            b"",
            b"",
        ),
    );
    if !r.rc.is_success() {
        return Err(r.rc);
    }
    let mut rd = r.reader();
    let h = rd.u32().unwrap();
    let p = Tpm2bPublic::read(&mut rd).unwrap().0;
    Ok((h, p))
}

pub fn primary(tpm: &mut Tpm, hierarchy: u32, t: &TpmtPublic) -> (u32, TpmtPublic) {
    try_primary(tpm, hierarchy, t).unwrap()
}

/// Create under `parent`: (private, public).
pub fn try_create(
    tpm: &mut Tpm,
    parent: u32,
    t: &TpmtPublic,
    auth: &[u8],
    data: &[u8],
) -> Result<(Vec<u8>, TpmtPublic), Rc> {
    let r = go(
        tpm,
        &create_args(Cmd::new(cc::CREATE).handle(parent).pw(b""), t, auth, data),
    );
    if !r.rc.is_success() {
        return Err(r.rc);
    }
    let mut rd = r.reader();
    let private = Tpm2b::<MAX_PRIVATE>::read(&mut rd).unwrap().0;
    let public = Tpm2bPublic::read(&mut rd).unwrap().0;
    Ok((private, public))
}

pub fn load(tpm: &mut Tpm, parent: u32, private: &[u8], public: &TpmtPublic) -> Result<u32, Rc> {
    let r = go(
        tpm,
        &Cmd::new(cc::LOAD)
            .handle(parent)
            .pw(b"")
            .b(private)
            .raw(&Tpm2bPublic(public.clone()).to_bytes()),
    );
    if !r.rc.is_success() {
        return Err(r.rc);
    }
    Ok(r.reader().u32().unwrap())
}

pub fn flush(tpm: &mut Tpm, h: u32) {
    go(tpm, &Cmd::new(cc::FLUSH_CONTEXT).u32(h)).ok();
}

pub fn sign(tpm: &mut Tpm, key: u32, digest: &[u8], scheme: Scheme) -> Result<Signature, Rc> {
    let r = go(
        tpm,
        &Cmd::new(cc::SIGN)
            .handle(key)
            .pw(b"")
            .b(digest)
            .put(&scheme)
            .u16(tpm2_types::constants::st::HASHCHECK)
            .u32(tpm2_types::constants::rh::NULL)
            .u16(0),
    );
    if !r.rc.is_success() {
        return Err(r.rc);
    }
    Ok(Signature::read(&mut r.reader()).unwrap())
}

pub fn verify(tpm: &mut Tpm, key: u32, digest: &[u8], sig: &Signature) -> Rc {
    go(
        tpm,
        &Cmd::new(cc::VERIFY_SIGNATURE)
            .handle(key)
            .b(digest)
            .put(sig),
    )
    .rc
}

pub fn digest_of(data: &[u8]) -> Vec<u8> {
    tpm2_crypto::digest(HashAlg::Sha256, &[data])
}

pub fn unique_bytes(p: &TpmtPublic) -> Vec<u8> {
    let mut v = Vec::new();
    p.unique.encode_body(&mut v);
    v
}

pub fn reader(b: &[u8]) -> Reader<'_> {
    Reader::new(b)
}

pub fn digest(b: &[u8]) -> Tpm2bDigest {
    Tpm2b(b.to_vec())
}

/// Runs a command, once more if it answers `TPM_RC_RETRY` (the first DA-protected
/// authorization after a startup does, as libtpms does).
pub fn go(tpm: &mut Tpm, c: &Cmd) -> Resp {
    let r = run(tpm, c);
    if r.rc == Rc::RETRY {
        run(tpm, c)
    } else {
        r
    }
}
