//! Session contexts: a saved session keeps its handle, is no longer loaded, loads back
//! once from the context it was last saved in, can be flushed while saved, and is void
//! after a startup.

mod util;
use tpm2_engine::Tpm;
use tpm2_types::constants::{alg, cap, cc, rh, se, su};
use tpm2_types::{HashAlg, Rc};
use util::*;

fn policy_session(tpm: &mut Tpm) -> u32 {
    let r = run(
        tpm,
        &Cmd::new(cc::START_AUTH_SESSION)
            .u32(rh::NULL)
            .u32(rh::NULL)
            .b(&[9; 16])
            .b(b"")
            .u8(se::POLICY)
            .u16(alg::NULL)
            .u16(HashAlg::Sha256.id()),
    )
    .ok();
    r.reader().u32().unwrap()
}

fn digest(tpm: &mut Tpm, h: u32) -> Result<Vec<u8>, Rc> {
    let r = run(tpm, &Cmd::new(cc::POLICY_GET_DIGEST).handle(h));
    if r.rc.is_success() {
        Ok(r.body)
    } else {
        Err(r.rc)
    }
}

fn save(tpm: &mut Tpm, h: u32) -> Vec<u8> {
    run(tpm, &Cmd::new(cc::CONTEXT_SAVE).handle(h)).ok().body
}

fn load(tpm: &mut Tpm, ctx: &[u8]) -> Result<u32, Rc> {
    let r = run(tpm, &Cmd::new(cc::CONTEXT_LOAD).raw(ctx));
    if r.rc.is_success() {
        Ok(r.reader().u32().unwrap())
    } else {
        Err(r.rc)
    }
}

fn handles(tpm: &mut Tpm, first: u32) -> Vec<u32> {
    let r = run(
        tpm,
        &Cmd::new(cc::GET_CAPABILITY)
            .u32(cap::HANDLES)
            .u32(first)
            .u32(16),
    )
    .ok();
    let mut rd = r.reader();
    rd.u8().unwrap();
    rd.u32().unwrap();
    let n = rd.u32().unwrap();
    (0..n).map(|_| rd.u32().unwrap()).collect()
}

#[test]
fn a_saved_session_loads_back_once() {
    let mut tpm = started();
    let h = policy_session(&mut tpm);
    run(&mut tpm, &Cmd::new(cc::POLICY_LOCALITY).handle(h).u8(1)).ok();
    let before = digest(&mut tpm, h).unwrap();
    let ctx = save(&mut tpm, h);
    // Saved: active, not loaded.
    assert_eq!(handles(&mut tpm, 0x0300_0000), vec![h]);
    assert!(handles(&mut tpm, 0x0200_0000).is_empty());
    assert_eq!(digest(&mut tpm, h), Err(Rc::REFERENCE_H0));
    // Its slot is not given to a new session.
    let other = policy_session(&mut tpm);
    assert_ne!(other & 0xFF_FFFF, h & 0xFF_FFFF);
    assert_eq!(load(&mut tpm, &ctx), Ok(h));
    assert_eq!(digest(&mut tpm, h).unwrap(), before);
    // Once only: the context is void once the session is loaded again.
    assert_eq!(load(&mut tpm, &ctx), Err(Rc::HANDLE.param(1)));
    // An older context of a session saved again is void too.
    let ctx2 = save(&mut tpm, h);
    assert_eq!(load(&mut tpm, &ctx), Err(Rc::HANDLE.param(1)));
    // A saved session can be flushed; then its context is void.
    run(&mut tpm, &Cmd::new(cc::FLUSH_CONTEXT).u32(h)).ok();
    assert_eq!(load(&mut tpm, &ctx2), Err(Rc::HANDLE.param(1)));
    assert!(handles(&mut tpm, 0x0300_0000).is_empty());
}

#[test]
fn saved_sessions_are_void_after_a_startup_and_survive_the_volatile_state() {
    let mut tpm = started();
    let h = policy_session(&mut tpm);
    let ctx = save(&mut tpm, h);
    // Through the volatile state blob (the daemon's state file or a migration).
    let perm = tpm.permanent_blob();
    let vol = tpm.volatile_blob();
    let mut moved = Tpm::restore(
        Box::new(tpm2_engine::SimPlatform::new(2)),
        &perm,
        Some(&vol),
    )
    .unwrap();
    assert_eq!(load(&mut moved, &ctx), Ok(h));
    let ctx = save(&mut moved, h);
    run(&mut moved, &Cmd::new(cc::SHUTDOWN).u16(su::STATE)).ok();
    moved.init();
    run(&mut moved, &Cmd::new(cc::STARTUP).u16(su::STATE)).ok();
    assert_eq!(load(&mut moved, &ctx), Err(Rc::HANDLE.param(1)));
}
