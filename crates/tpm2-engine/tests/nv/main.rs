//! NV indices (Part 3, §31; Part 1, §37). Expected codes and values are what swtpm 0.7.1
//! (libtpms 0.9.2) answers to the same commands (probed; noted where subtle).

#[path = "../util/mod.rs"]
mod util;

mod data;
mod define;
mod lifecycle;
mod pin_da;
mod space;

pub use tpm2_engine::{SimPlatform, Tpm};
pub use tpm2_types::constants::{cap, cc, nt, nv_attr as a, pt, rh, su};
pub use tpm2_types::nv::TpmsNvPublic;
pub use tpm2_types::{Codec, HashAlg, Rc, Tpm2bDigest};
pub use util::*;

const OWNER: u32 = rh::OWNER;
const PLATFORM: u32 = rh::PLATFORM;
/// Owner read/write, exempt from DA (most tests are not about DA).
const OW: u32 = a::OWNERWRITE | a::OWNERREAD | a::NO_DA;

fn ty(t: u32) -> u32 {
    t << a::TPM_NT_SHIFT
}

fn public(h: u32, attrs: u32, size: u16, alg: HashAlg, policy: &[u8]) -> TpmsNvPublic {
    TpmsNvPublic {
        nv_index: h,
        name_alg: alg,
        attributes: attrs,
        auth_policy: Tpm2bDigest::from(policy.to_vec()),
        data_size: size,
    }
}

/// TPM2B_NV_PUBLIC bytes.
fn nv_public_2b(p: &TpmsNvPublic) -> Vec<u8> {
    let inner = p.to_bytes();
    let mut v = (inner.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(&inner);
    v
}

fn define_full(tpm: &mut Tpm, hier: u32, auth: &[u8], p: &TpmsNvPublic) -> Rc {
    run(
        tpm,
        &Cmd::new(cc::NV_DEFINE_SPACE)
            .handle(hier)
            .pw(b"")
            .b(auth)
            .raw(&nv_public_2b(p)),
    )
    .rc
}

fn define(tpm: &mut Tpm, h: u32, attrs: u32, size: u16) -> Rc {
    define_full(
        tpm,
        OWNER,
        b"",
        &public(h, attrs, size, HashAlg::Sha256, &[]),
    )
}

fn define_auth(tpm: &mut Tpm, h: u32, attrs: u32, size: u16, auth: &[u8]) -> Rc {
    define_full(
        tpm,
        OWNER,
        auth,
        &public(h, attrs, size, HashAlg::Sha256, &[]),
    )
}

fn define_platform(tpm: &mut Tpm, h: u32, attrs: u32, size: u16) -> Rc {
    define_full(
        tpm,
        PLATFORM,
        b"",
        &public(h, attrs, size, HashAlg::Sha256, &[]),
    )
}

fn undefine(tpm: &mut Tpm, hier: u32, h: u32) -> Rc {
    run(
        tpm,
        &Cmd::new(cc::NV_UNDEFINE_SPACE)
            .handle(hier)
            .handle(h)
            .pw(b""),
    )
    .rc
}

fn write_pw(tpm: &mut Tpm, auth: u32, h: u32, data: &[u8], off: u16, pw: &[u8]) -> Rc {
    run(
        tpm,
        &Cmd::new(cc::NV_WRITE)
            .handle(auth)
            .handle(h)
            .pw(pw)
            .b(data)
            .u16(off),
    )
    .rc
}

fn write(tpm: &mut Tpm, auth: u32, h: u32, data: &[u8], off: u16) -> Rc {
    write_pw(tpm, auth, h, data, off, b"")
}

fn read_pw(
    tpm: &mut Tpm,
    auth: u32,
    h: u32,
    size: u16,
    off: u16,
    pw: &[u8],
) -> Result<Vec<u8>, Rc> {
    let r = run(
        tpm,
        &Cmd::new(cc::NV_READ)
            .handle(auth)
            .handle(h)
            .pw(pw)
            .u16(size)
            .u16(off),
    );
    if r.rc.is_success() {
        Ok(r.body[2..].to_vec())
    } else {
        Err(r.rc)
    }
}

fn read(tpm: &mut Tpm, auth: u32, h: u32, size: u16, off: u16) -> Result<Vec<u8>, Rc> {
    read_pw(tpm, auth, h, size, off, b"")
}

fn read_u64(tpm: &mut Tpm, h: u32) -> u64 {
    let v = read(tpm, OWNER, h, 8, 0).unwrap();
    u64::from_be_bytes(v.try_into().unwrap())
}

fn simple(tpm: &mut Tpm, code: u32, auth: u32, h: u32, pw: &[u8]) -> Rc {
    run(tpm, &Cmd::new(code).handle(auth).handle(h).pw(pw)).rc
}

fn read_public(tpm: &mut Tpm, h: u32) -> Result<(TpmsNvPublic, Vec<u8>), Rc> {
    let r = run(tpm, &Cmd::new(cc::NV_READ_PUBLIC).handle(h));
    if !r.rc.is_success() {
        return Err(r.rc);
    }
    let mut rd = r.reader();
    let _size = rd.u16().unwrap();
    let p = TpmsNvPublic::read(&mut rd).unwrap();
    let n = rd.u16().unwrap() as usize;
    Ok((p, rd.take(n).unwrap().to_vec()))
}

fn attrs(tpm: &mut Tpm, h: u32) -> u32 {
    read_public(tpm, h).unwrap().0.attributes
}

fn restart(tpm: &mut Tpm, shutdown: Option<u16>, startup: u16) {
    if let Some(s) = shutdown {
        run(tpm, &Cmd::new(cc::SHUTDOWN).u16(s)).ok();
    }
    tpm.init();
    run(tpm, &Cmd::new(cc::STARTUP).u16(startup)).ok();
}

fn property(tpm: &mut Tpm, p: u32) -> u32 {
    let r = run(
        tpm,
        &Cmd::new(cc::GET_CAPABILITY)
            .u32(cap::TPM_PROPERTIES)
            .u32(p)
            .u32(1),
    )
    .ok();
    // moreData, capability, count, property, value
    let mut rd = r.reader();
    rd.take(1 + 4 + 4).unwrap();
    assert_eq!(rd.u32().unwrap(), p);
    rd.u32().unwrap()
}
