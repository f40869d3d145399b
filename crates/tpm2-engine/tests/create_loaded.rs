//! TPM2_CreateLoaded: under a hierarchy it makes the same primary CreatePrimary makes
//! (and no private area); under a storage parent a child that is loaded at once and whose
//! private area loads again with TPM2_Load.

mod outil;
mod util;
use outil::*;
use tpm2_engine::Tpm;
use tpm2_types::constants::{cc, rh};
use tpm2_types::object::*;
use tpm2_types::{Codec, Rc, Tpm2b};
use util::*;

/// CreateLoaded: (handle, private, public, name).
fn create_loaded(
    tpm: &mut Tpm,
    parent: u32,
    t: &TpmtPublic,
    auth: &[u8],
    data: &[u8],
) -> Result<(u32, Vec<u8>, TpmtPublic, Vec<u8>), Rc> {
    let r = go(
        tpm,
        &Cmd::new(cc::CREATE_LOADED)
            .handle(parent)
            .pw(b"")
            .raw(&sensitive_create(auth, data))
            .raw(&Tpm2bPublic(t.clone()).to_bytes()),
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

#[test]
fn create_loaded_makes_primaries_and_children() {
    let mut tpm = started();
    let (h, private, public, _) = create_loaded(&mut tpm, rh::OWNER, &ecc_srk(), b"", b"").unwrap();
    assert!(private.is_empty(), "a primary has no private area");
    flush(&mut tpm, h);
    let (p, same) = primary(&mut tpm, rh::OWNER, &ecc_srk());
    assert_eq!(public, same, "the same primary as CreatePrimary");
    // A child, loaded: it unseals at once, and its private area loads again.
    let (child, private, public, name) =
        create_loaded(&mut tpm, p, &sealed(), b"pw", b"loaded data").unwrap();
    let r = go(&mut tpm, &Cmd::new(cc::UNSEAL).handle(child).pw(b"pw")).ok();
    assert_eq!(&r.body[2..], b"loaded data");
    flush(&mut tpm, child);
    let again = load(&mut tpm, p, &private, &public).unwrap();
    let r = go(&mut tpm, &Cmd::new(cc::READ_PUBLIC).handle(again)).ok();
    let mut rd = r.reader();
    Tpm2bPublic::read(&mut rd).unwrap();
    assert_eq!(Tpm2b::<66>::read(&mut rd).unwrap().0, name);
    // A parent that is not a storage key; full slots.
    let (x, ..) = create_loaded(&mut tpm, p, &sealed(), b"", b"x").unwrap();
    assert_eq!(
        create_loaded(&mut tpm, x, &sealed(), b"", b"x").unwrap_err(),
        Rc::TYPE.handle(1)
    );
    assert_eq!(
        create_loaded(&mut tpm, p, &sealed(), b"", b"x").unwrap_err(),
        Rc::OBJECT_MEMORY
    );
}
