//! HMAC, policy and trial sessions (Part 1, §19; Part 3, §11 and §23). Expected codes are
//! what swtpm 0.7.1 (libtpms 0.9.2) answers to the same commands (probed).

#[path = "../outil/mod.rs"]
mod outil;
#[path = "../util/mod.rs"]
mod util;

mod assertions;
mod client;
mod hmac;
mod policy;
mod start;

pub use client::*;
pub use tpm2_engine::{SimPlatform, Tpm};
pub use tpm2_types::constants::{cap, cc, nv_attr, pt, rh, se, session_attr as sa, su};
pub use tpm2_types::nv::TpmsNvPublic;
pub use tpm2_types::{Codec, HashAlg, Rc, Tpm2bDigest};
pub use util::*;

pub const SHA256: HashAlg = HashAlg::Sha256;
pub const CONT: u8 = sa::CONTINUE_SESSION;

/// A TPM2B.
pub fn b2(d: &[u8]) -> Vec<u8> {
    let mut v = (d.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(d);
    v
}

/// An unbound, unsalted HMAC session with SHA-256 (what tpm2-tools opens).
pub fn hmac_session(tpm: &mut Tpm) -> Client {
    Client::start(tpm, se::HMAC, NULL, &[], Sym::Null, SHA256).unwrap()
}

/// Defines an NV index with owner authorization and returns its public area.
pub fn define(
    tpm: &mut Tpm,
    h: u32,
    attrs: u32,
    size: u16,
    auth: &[u8],
    policy: &[u8],
) -> TpmsNvPublic {
    let p = TpmsNvPublic {
        nv_index: h,
        name_alg: SHA256,
        attributes: attrs,
        auth_policy: Tpm2bDigest::from(policy.to_vec()),
        data_size: size,
    };
    let c = Cmd::new(cc::NV_DEFINE_SPACE)
        .handle(rh::OWNER)
        .pw(b"")
        .b(auth)
        .put(&tpm2_types::nv::Tpm2bNvPublic(p.clone()));
    run(tpm, &c).ok();
    p
}

/// The Name of an NV index: nameAlg || H(TPMS_NV_PUBLIC) (Part 1, §16).
pub fn nv_name(p: &TpmsNvPublic) -> Vec<u8> {
    let mut n = p.name_alg.id().to_be_bytes().to_vec();
    n.extend_from_slice(&tpm2_crypto::digest(p.name_alg, &[&p.to_bytes()]));
    n
}

/// A TPM property.
pub fn property(tpm: &mut Tpm, p: u32) -> u32 {
    let c = Cmd::new(cc::GET_CAPABILITY)
        .u32(cap::TPM_PROPERTIES)
        .u32(p)
        .u32(1);
    let r = run(tpm, &c).ok();
    let b = &r.body;
    u32::from_be_bytes(b[b.len() - 4..].try_into().unwrap())
}

/// `GetCapability(TPM_CAP_HANDLES, from)`.
pub fn handles(tpm: &mut Tpm, from: u32) -> Vec<u32> {
    let c = Cmd::new(cc::GET_CAPABILITY)
        .u32(cap::HANDLES)
        .u32(from)
        .u32(64);
    let r = run(tpm, &c).ok();
    let mut rd = r.reader();
    rd.u8().unwrap();
    rd.u32().unwrap();
    let n = rd.u32().unwrap();
    (0..n).map(|_| rd.u32().unwrap()).collect()
}

pub fn flush(tpm: &mut Tpm, h: u32) -> Rc {
    run(tpm, &Cmd::new(cc::FLUSH_CONTEXT).u32(h)).rc
}
