//! NV rules that need the engine's insides: hierarchy enables (no command toggles them
//! yet), the ADMIN-role handlers run as a policy session would let them run, and the
//! consistency checks on restored state.

use super::*;
use crate::dispatch::{Command, Params};
use crate::state::blob::{self, BlobKind};
use crate::state::Secret;
use crate::{SimPlatform, StateError};
use tpm2_types::constants::{st, su};
use tpm2_types::HashAlg;
use tpm2_types::Tpm2bDigest;

const OW: u32 = nv_attr::OWNERWRITE | nv_attr::OWNERREAD | nv_attr::NO_DA;
const PP: u32 = nv_attr::PPWRITE | nv_attr::PPREAD | nv_attr::PLATFORMCREATE | nv_attr::NO_DA;

/// A command with a password session per entry of `pws` (empty: no sessions).
fn cmd(code: u32, handles: &[u32], pws: &[&[u8]], params: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for h in handles {
        h.encode(&mut body);
    }
    if !pws.is_empty() {
        let mut s = Vec::new();
        for pw in pws {
            rh::PW.encode(&mut s);
            0u16.encode(&mut s);
            s.push(1);
            (pw.len() as u16).encode(&mut s);
            s.extend_from_slice(pw);
        }
        (s.len() as u32).encode(&mut body);
        body.extend_from_slice(&s);
    }
    body.extend_from_slice(params);
    let tag = if pws.is_empty() {
        st::NO_SESSIONS
    } else {
        st::SESSIONS
    };
    let mut out = Vec::new();
    tag.encode(&mut out);
    ((body.len() + 10) as u32).encode(&mut out);
    code.encode(&mut out);
    out.extend_from_slice(&body);
    out
}

fn rc_of(tpm: &mut Tpm, bytes: &[u8]) -> Rc {
    let r = tpm.execute(0, bytes).response;
    Rc(u32::from_be_bytes([r[6], r[7], r[8], r[9]]))
}

fn started() -> Tpm {
    let mut tpm = Tpm::manufacture(Box::new(SimPlatform::new(5)));
    let rc = rc_of(
        &mut tpm,
        &cmd(cc::STARTUP, &[], &[], &su::CLEAR.to_be_bytes()),
    );
    assert_eq!(rc, Rc::SUCCESS);
    tpm
}

fn public(h: u32, attributes: u32, size: u16) -> TpmsNvPublic {
    TpmsNvPublic {
        nv_index: h,
        name_alg: HashAlg::Sha256,
        attributes,
        auth_policy: Tpm2bDigest::empty(),
        data_size: size,
    }
}

fn define(tpm: &mut Tpm, hier: u32, p: &TpmsNvPublic) -> Rc {
    let mut params = vec![0, 0];
    tpm2_types::nv::Tpm2bNvPublic(p.clone()).encode(&mut params);
    rc_of(tpm, &cmd(cc::NV_DEFINE_SPACE, &[hier], &[b""], &params))
}

fn read(tpm: &mut Tpm, auth: u32, h: u32) -> Rc {
    rc_of(tpm, &cmd(cc::NV_READ, &[auth, h], &[b""], &[0, 1, 0, 0]))
}

fn read_public(tpm: &mut Tpm, h: u32) -> Rc {
    rc_of(tpm, &cmd(cc::NV_READ_PUBLIC, &[h], &[], &[]))
}

/// Runs a handler directly, as the dispatcher does once authorization has succeeded.
fn call(
    tpm: &mut Tpm,
    handler: fn(&mut Tpm, &mut Command<'_>) -> Result<(), Rc>,
    code: u32,
    handles: &[u32],
    params: &[u8],
) -> Result<(), Rc> {
    let mut hs = [0u32; crate::dispatch::command::MAX_HANDLES];
    hs[..handles.len()].copy_from_slice(handles);
    let mut c = Command {
        cc: code,
        locality: 0,
        handles: hs,
        params: Params::new(params),
        out_handle: None,
        out: Vec::new(),
    };
    handler(tpm, &mut c)
}

#[test]
fn hierarchy_enables_hide_indices() {
    let mut tpm = started();
    let (o, p) = (0x0100_0001, 0x0140_0001);
    assert_eq!(
        define(
            &mut tpm,
            rh::OWNER,
            &public(o, OW | nv_attr::PPREAD | nv_attr::PPWRITE, 8)
        ),
        Rc::SUCCESS
    );
    assert_eq!(
        define(
            &mut tpm,
            rh::PLATFORM,
            &public(p, PP | nv_attr::OWNERREAD, 8)
        ),
        Rc::SUCCESS
    );
    let w = cmd(cc::NV_WRITE, &[rh::OWNER, o], &[b""], &[0, 1, 7, 0, 0]);
    assert_eq!(rc_of(&mut tpm, &w), Rc::SUCCESS);
    let w = cmd(cc::NV_WRITE, &[rh::PLATFORM, p], &[b""], &[0, 1, 7, 0, 0]);
    assert_eq!(rc_of(&mut tpm, &w), Rc::SUCCESS);

    // phEnableNV CLEAR: platform indices vanish; platformAuth itself still works.
    tpm.vol.state_clear.ph_enable_nv = false;
    assert_eq!(read_public(&mut tpm, p), Rc::HANDLE.handle(1));
    assert_eq!(read(&mut tpm, rh::OWNER, p), Rc::HANDLE.handle(2));
    assert_eq!(read(&mut tpm, rh::PLATFORM, o), Rc::SUCCESS);
    assert_eq!(
        define(&mut tpm, rh::PLATFORM, &public(0x0140_0002, PP, 8)),
        Rc::HIERARCHY.handle(1)
    );
    let undef = cmd(cc::NV_UNDEFINE_SPACE, &[rh::PLATFORM, p], &[b""], &[]);
    assert_eq!(rc_of(&mut tpm, &undef), Rc::HANDLE.handle(2));
    tpm.vol.state_clear.ph_enable_nv = true;

    // phEnable CLEAR alone leaves the platform's indices visible.
    tpm.vol.state_clear.ph_enable = false;
    assert_eq!(read(&mut tpm, rh::OWNER, p), Rc::SUCCESS);
    assert_eq!(read(&mut tpm, rh::PLATFORM, o), Rc::HIERARCHY.handle(1));
    tpm.vol.state_clear.ph_enable = true;

    // shEnable CLEAR: owner indices vanish and ownerAuth is refused.
    tpm.vol.state_clear.sh_enable = false;
    assert_eq!(read_public(&mut tpm, o), Rc::HANDLE.handle(1));
    assert_eq!(read(&mut tpm, rh::PLATFORM, o), Rc::HANDLE.handle(2));
    assert_eq!(read(&mut tpm, rh::OWNER, p), Rc::HIERARCHY.handle(1));
    assert_eq!(
        define(&mut tpm, rh::OWNER, &public(0x0100_0005, OW, 8)),
        Rc::HIERARCHY.handle(1)
    );
    assert_eq!(read_public(&mut tpm, p), Rc::SUCCESS);
    // TPM_CAP_HANDLES still lists both (as swtpm does).
    assert_eq!(tpm.perm.nv.len(), 2);
}

#[test]
fn change_auth_body() {
    let mut tpm = started();
    let h = 0x0100_0001;
    assert_eq!(define(&mut tpm, rh::OWNER, &public(h, OW, 8)), Rc::SUCCESS);
    let mut too_long = vec![0, 33];
    too_long.extend_from_slice(&[7; 33]);
    let r = call(
        &mut tpm,
        define::change_auth,
        cc::NV_CHANGE_AUTH,
        &[h],
        &too_long,
    );
    assert_eq!(r, Err(Rc::SIZE.param(1)));
    // Trailing zeros are dropped before the size check, and not stored.
    let mut padded = vec![0, 40];
    padded.extend_from_slice(&[7; 32]);
    padded.extend_from_slice(&[0; 8]);
    let r = call(
        &mut tpm,
        define::change_auth,
        cc::NV_CHANGE_AUTH,
        &[h],
        &padded,
    );
    assert_eq!(r, Ok(()));
    assert_eq!(tpm.perm.nv[&h].auth, Secret(vec![7; 32]));
    assert!(tpm.permanent_dirty());
    let r = call(
        &mut tpm,
        define::change_auth,
        cc::NV_CHANGE_AUTH,
        &[h],
        &[0, 0, 9],
    );
    assert_eq!(r, Err(Rc::SIZE), "trailing parameter bytes");
}

#[test]
fn undefine_space_special_body() {
    let mut tpm = started();
    let (d, n) = (0x0140_0001, 0x0140_0002);
    let counter = PP | nv_attr::POLICY_DELETE | 1 << nv_attr::TPM_NT_SHIFT;
    assert_eq!(
        define(&mut tpm, rh::PLATFORM, &public(d, counter, 8)),
        Rc::SUCCESS
    );
    assert_eq!(
        define(&mut tpm, rh::PLATFORM, &public(n, PP, 8)),
        Rc::SUCCESS
    );
    let inc = cmd(cc::NV_INCREMENT, &[rh::PLATFORM, d], &[b""], &[]);
    assert_eq!(rc_of(&mut tpm, &inc), Rc::SUCCESS);
    let special = define::undefine_space_special;
    let code = cc::NV_UNDEFINE_SPACE_SPECIAL;
    let r = call(&mut tpm, special, code, &[n, rh::PLATFORM], &[]);
    assert_eq!(r, Err(Rc::ATTRIBUTES.handle(1)));
    assert_eq!(
        call(&mut tpm, special, code, &[d, rh::PLATFORM], &[]),
        Ok(())
    );
    assert!(!tpm.perm.nv.contains_key(&d));
    // A deleted counter raises the floor for new ones.
    assert_eq!(tpm.perm.nv_max_counter, 1);
}

#[test]
fn restored_indices_must_be_consistent() {
    let ix = |attributes: u32, size: u16, data: Vec<u8>| NvIndex {
        public: public(0x0100_0001, attributes, size),
        auth: Secret::default(),
        data,
    };
    let counter = OW | 1 << nv_attr::TPM_NT_SHIFT;
    assert!(validate_index(&ix(OW, 8, vec![])).is_ok());
    assert!(validate_index(&ix(OW | nv_attr::WRITTEN, 8, vec![0; 8])).is_ok());
    assert!(validate_index(&ix(OW | nv_attr::WRITTEN, 8, vec![0; 7])).is_err());
    assert!(
        validate_index(&ix(OW, 8, vec![0; 8])).is_err(),
        "unwritten with data"
    );
    let pin = OW | 8 << nv_attr::TPM_NT_SHIFT;
    assert!(
        validate_index(&ix(pin, 8, vec![0; 8])).is_ok(),
        "a PIN keeps its bytes"
    );
    assert!(validate_index(&ix(pin, 8, vec![0; 3])).is_err());
    assert!(
        validate_index(&ix(counter, 4, vec![])).is_err(),
        "counter of 4 bytes"
    );
    assert!(validate_index(&ix(OW | 3 << nv_attr::TPM_NT_SHIFT, 8, vec![])).is_err());
    let mut long_auth = ix(OW, 8, vec![]);
    long_auth.auth = Secret(vec![1; 33]);
    assert!(validate_index(&long_auth).is_err());

    // Through Tpm::restore: a well-sealed blob with an inconsistent index is refused.
    let mut tpm = started();
    tpm.perm
        .nv
        .insert(0x0100_0001, ix(counter | nv_attr::WRITTEN, 8, vec![0; 3]));
    let blob = blob::encode(BlobKind::Permanent, &tpm.perm);
    match Tpm::restore(Box::new(SimPlatform::new(1)), &blob, None) {
        Err(StateError::Invalid(why)) => assert!(why.contains("0x1000001"), "{why}"),
        Err(e) => panic!("wrong error {e}"),
        Ok(_) => panic!("inconsistent NV state was accepted"),
    }
}
