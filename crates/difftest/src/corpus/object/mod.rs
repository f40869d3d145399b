//! Objects: CreatePrimary in every hierarchy with the common templates, the template
//! rules (unmarshalling selectors and the attribute/scheme/symmetric rules of Part 1 §27
//! with their parameter numbers), Create/Load/Unseal/ObjectChangeAuth under a primary,
//! LoadExternal, the key commands (Sign, VerifySignature, RSA_Encrypt/Decrypt, ECDH,
//! EncryptDecrypt(2), HMAC), TestParms, ECC_Parameters, contexts, EvictControl and the
//! object slot limit.
//!
//! Keys the TPMs generate differ (different seeds), so later steps that need a blob from
//! an earlier one take it from that TPM's own response ([`Step::Ref`]); keys with
//! caller-chosen bits (symmetric and HMAC keys, sealed data, LoadExternal) give
//! byte-identical answers.

mod asymmetric;
mod create;
mod derived;
mod handles;
mod primary;
mod signing;
mod symmetric;

use super::{c, Corpus, Part, RefCmd, Step};
use crate::cmd::Cmd;
use tpm2_crypto::digest;
use tpm2_crypto::ecc::{self, EccCurve};
use tpm2_types::constants::{alg, cap, cc, ecc_curve, obj_attr as a, rh, st};
use tpm2_types::HashAlg;

const OWNER: u32 = rh::OWNER;
const ENDORSEMENT: u32 = rh::ENDORSEMENT;
const PLATFORM: u32 = rh::PLATFORM;
const NULL: u32 = rh::NULL;
const T0: u32 = 0x8000_0000;
const T1: u32 = 0x8000_0001;
const T2: u32 = 0x8000_0002;

/// Attributes of the usual templates.
const BASE: u32 = a::FIXED_TPM | a::FIXED_PARENT | a::SENSITIVE_DATA_ORIGIN | a::USER_WITH_AUTH;
const STORAGE: u32 = BASE | a::RESTRICTED | a::DECRYPT;
const SIGNING: u32 = BASE | a::SIGN_ENCRYPT;
const DECRYPTING: u32 = BASE | a::DECRYPT;
const SEALED: u32 = a::FIXED_TPM | a::FIXED_PARENT | a::USER_WITH_AUTH;
/// The TCG EK templates (EK Credential Profile 2.x, low range): adminWithPolicy, no
/// userWithAuth, and the PolicySecret(endorsement) policy.
const EK: u32 = a::FIXED_TPM
    | a::FIXED_PARENT
    | a::SENSITIVE_DATA_ORIGIN
    | a::ADMIN_WITH_POLICY
    | a::RESTRICTED
    | a::DECRYPT;
const EK_POLICY: [u8; 32] = [
    0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d, 0x46, 0xa5, 0xd7, 0x24,
    0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64, 0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
];

/// A public area as raw pieces, so any of them can be malformed.
#[derive(Clone)]
struct T {
    ty: u16,
    name_alg: u16,
    attrs: u32,
    policy: Vec<u8>,
    parms: Vec<u8>,
    unique: Vec<u8>,
}

impl T {
    fn body(&self) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&self.ty.to_be_bytes());
        v.extend_from_slice(&self.name_alg.to_be_bytes());
        v.extend_from_slice(&self.attrs.to_be_bytes());
        v.extend(b2(&self.policy));
        v.extend_from_slice(&self.parms);
        v.extend_from_slice(&self.unique);
        v
    }

    /// `TPM2B_PUBLIC`.
    fn bytes(&self) -> Vec<u8> {
        b2(&self.body())
    }

    fn attrs(mut self, attrs: u32) -> T {
        self.attrs = attrs;
        self
    }

    fn name_alg(mut self, h: u16) -> T {
        self.name_alg = h;
        self
    }

    fn policy(mut self, p: &[u8]) -> T {
        self.policy = p.to_vec();
        self
    }

    fn unique(mut self, u: Vec<u8>) -> T {
        self.unique = u;
        self
    }
}

fn b2(d: &[u8]) -> Vec<u8> {
    let mut v = (d.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(d);
    v
}

fn u16s(v: &[u16]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_be_bytes()).collect()
}

fn aes(bits: u16, mode: u16) -> Vec<u8> {
    u16s(&[alg::AES, bits, mode])
}

fn null() -> Vec<u8> {
    u16s(&[alg::NULL])
}

fn cfb128() -> Vec<u8> {
    aes(128, alg::CFB)
}

/// A scheme with a hash.
fn sch(s: u16, h: u16) -> Vec<u8> {
    u16s(&[s, h])
}

fn rsa_parms(sym: Vec<u8>, scheme: Vec<u8>, bits: u16, exponent: u32) -> Vec<u8> {
    let mut v = sym;
    v.extend(scheme);
    v.extend_from_slice(&bits.to_be_bytes());
    v.extend_from_slice(&exponent.to_be_bytes());
    v
}

fn ecc_parms(sym: Vec<u8>, scheme: Vec<u8>, curve: u16, kdf: Vec<u8>) -> Vec<u8> {
    let mut v = sym;
    v.extend(scheme);
    v.extend_from_slice(&curve.to_be_bytes());
    v.extend(kdf);
    v
}

fn rsa(attrs: u32, sym: Vec<u8>, scheme: Vec<u8>, bits: u16) -> T {
    T {
        ty: alg::RSA,
        name_alg: alg::SHA256,
        attrs,
        policy: Vec::new(),
        parms: rsa_parms(sym, scheme, bits, 0),
        unique: b2(&[]),
    }
}

fn rsa_e(attrs: u32, bits: u16, exponent: u32) -> T {
    let mut t = rsa(attrs, null(), null(), bits);
    t.parms = rsa_parms(null(), null(), bits, exponent);
    t
}

fn ecc_t(attrs: u32, sym: Vec<u8>, scheme: Vec<u8>, curve: u16) -> T {
    T {
        ty: alg::ECC,
        name_alg: alg::SHA256,
        attrs,
        policy: Vec::new(),
        parms: ecc_parms(sym, scheme, curve, null()),
        unique: [b2(&[]), b2(&[])].concat(),
    }
}

fn keyed(attrs: u32, scheme: Vec<u8>) -> T {
    T {
        ty: alg::KEYEDHASH,
        name_alg: alg::SHA256,
        attrs,
        policy: Vec::new(),
        parms: scheme,
        unique: b2(&[]),
    }
}

fn symc(attrs: u32, sym: Vec<u8>) -> T {
    T {
        ty: alg::SYMCIPHER,
        name_alg: alg::SHA256,
        attrs,
        policy: Vec::new(),
        parms: sym,
        unique: b2(&[]),
    }
}

fn rsa_srk(bits: u16) -> T {
    rsa(STORAGE, cfb128(), null(), bits)
}

fn ecc_srk(curve: u16) -> T {
    let sym = if curve == ecc_curve::NIST_P256 {
        cfb128()
    } else {
        aes(256, alg::CFB)
    };
    ecc_t(STORAGE, sym, null(), curve)
}

fn ek_rsa() -> T {
    rsa(EK, cfb128(), null(), 2048)
        .policy(&EK_POLICY)
        .unique(b2(&[0; 256]))
}

fn ek_ecc() -> T {
    ecc_t(EK, cfb128(), null(), ecc_curve::NIST_P256)
        .policy(&EK_POLICY)
        .unique([b2(&[0; 32]), b2(&[0; 32])].concat())
}

fn ecdsa_key() -> T {
    ecc_t(
        SIGNING,
        null(),
        sch(alg::ECDSA, alg::SHA256),
        ecc_curve::NIST_P256,
    )
}

fn ecc_any_sign() -> T {
    ecc_t(SIGNING, null(), null(), ecc_curve::NIST_P256)
}

fn ecdh_key() -> T {
    ecc_t(DECRYPTING, null(), null(), ecc_curve::NIST_P256)
}

fn sealed() -> T {
    keyed(SEALED, null())
}

fn hmac_key() -> T {
    keyed(SIGNING, sch(alg::HMAC, alg::SHA256))
}

/// `TPM2B_SENSITIVE_CREATE`.
fn sens(auth: &[u8], data: &[u8]) -> Vec<u8> {
    b2(&[b2(auth), b2(data)].concat())
}

fn create_primary_raw(h: u32, sensitive: &[u8], public: &[u8]) -> Cmd {
    Cmd::new(cc::CREATE_PRIMARY)
        .h(h)
        .pw(b"")
        .raw(sensitive)
        .raw(public)
        .b(&[])
        .u32(0)
}

fn primary(h: u32, t: &T) -> Cmd {
    create_primary_raw(h, &sens(&[], &[]), &t.bytes())
}

/// A primary with caller-chosen sensitive data (sensitiveDataOrigin must be clear).
fn primary_data(h: u32, t: &T, auth: &[u8], data: &[u8]) -> Cmd {
    create_primary_raw(h, &sens(auth, data), &t.bytes())
}

fn create(parent: u32, t: &T, auth: &[u8], data: &[u8]) -> Cmd {
    Cmd::new(cc::CREATE)
        .h(parent)
        .pw(b"")
        .raw(&sens(auth, data))
        .raw(&t.bytes())
        .b(&[])
        .u32(0)
}

fn flush(h: u32) -> Step {
    c(Cmd::new(cc::FLUSH_CONTEXT).h(h))
}

fn read_public(h: u32) -> Step {
    c(Cmd::new(cc::READ_PUBLIC).h(h))
}

fn handles_cap(first: u32) -> Step {
    c(Cmd::new(cc::GET_CAPABILITY)
        .u32(cap::HANDLES)
        .u32(first)
        .u32(16))
}

fn reff(code: u32, handles: &[u32], pws: &[&[u8]], parts: Vec<Part>) -> Step {
    Step::Ref(RefCmd {
        loc: 0,
        code,
        handles: handles.to_vec(),
        pws: pws.iter().map(|p| p.to_vec()).collect(),
        parts,
    })
}

fn field(step: usize, index: usize) -> Part {
    Part::Field { step, index }
}

fn flip(p: Part, at: isize) -> Part {
    Part::Flip {
        part: Box::new(p),
        at,
        mask: 0x5a,
    }
}

/// TPM2_Load of the private and public of step `step` (a Create).
fn load_from(parent: u32, step: usize) -> Step {
    reff(
        cc::LOAD,
        &[parent],
        &[b""],
        vec![field(step, 0), field(step, 1)],
    )
}

/// A NULL hash-check ticket.
fn null_ticket() -> Vec<u8> {
    let mut v = st::HASHCHECK.to_be_bytes().to_vec();
    v.extend_from_slice(&NULL.to_be_bytes());
    v.extend(b2(&[]));
    v
}

fn sign(h: u32, digest: &[u8], scheme: Vec<u8>) -> Cmd {
    Cmd::new(cc::SIGN)
        .h(h)
        .pw(b"")
        .b(digest)
        .raw(&scheme)
        .raw(&null_ticket())
}

const HIERARCHIES: [(&str, u32); 4] = [
    ("owner", OWNER),
    ("endorsement", ENDORSEMENT),
    ("platform", PLATFORM),
    ("null", NULL),
];

pub fn add(k: &mut Corpus) {
    let first = k.cases.len();
    primary::primaries(k);
    primary::templates(k);
    primary::sensitive(k);
    create::create_load(k);
    create::change_auth(k);
    create::load_external(k);
    derived::derived(k);
    signing::signing(k);
    asymmetric::rsa_crypt(k);
    asymmetric::ecdh(k);
    symmetric::symmetric(k);
    symmetric::hmac(k);
    symmetric::test_parms(k);
    symmetric::ecc_parameters(k);
    handles::contexts(k);
    handles::evict(k);
    handles::slots(k);
    handles::mutations(k);
    for case in &mut k.cases[first..] {
        super::with_da_warm_up(&mut case.steps);
    }
}

/// The public point of a fixed P-256 scalar.
fn p256_point(d: u8) -> (Vec<u8>, Vec<u8>) {
    let p = ecc::public_key(
        EccCurve::from_id(ecc_curve::NIST_P256).expect("P-256"),
        &[d; 32],
    )
    .expect("a valid scalar");
    (p.x, p.y)
}

/// `TPM2B_SENSITIVE`.
fn sensitive_area(ty: u16, auth: &[u8], seed: &[u8], key: &[u8]) -> Vec<u8> {
    let mut v = ty.to_be_bytes().to_vec();
    v.extend(b2(auth));
    v.extend(b2(seed));
    v.extend(b2(key));
    b2(&v)
}

fn load_external_cmd(sensitive: &[u8], public: &[u8], h: u32) -> Cmd {
    Cmd::new(cc::LOAD_EXTERNAL)
        .raw(sensitive)
        .raw(public)
        .u32(h)
}

/// An external AES key with these bits (unique = H(seed || key)).
fn ext_aes(key: &[u8], attrs: u32, mode: u16) -> (Vec<u8>, Vec<u8>) {
    let seed = [0x33u8; 32];
    let unique = digest(HashAlg::Sha256, &[&seed, key]);
    let bits = (key.len() * 8) as u16;
    let t = symc(attrs, aes(bits, mode)).unique(b2(&unique));
    (sensitive_area(alg::SYMCIPHER, b"", &seed, key), t.bytes())
}

fn ext_hmac(key: &[u8], attrs: u32, scheme: Vec<u8>) -> (Vec<u8>, Vec<u8>) {
    let seed = [0x44u8; 32];
    let unique = digest(HashAlg::Sha256, &[&seed, key]);
    let t = keyed(attrs, scheme).unique(b2(&unique));
    (sensitive_area(alg::KEYEDHASH, b"", &seed, key), t.bytes())
}

const EXT: u32 = a::USER_WITH_AUTH;
