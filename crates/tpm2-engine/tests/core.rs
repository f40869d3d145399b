//! Engine core: startup kinds, PCRs, random, hashing, capabilities.

mod util;
use tpm2_engine::{SimPlatform, Tpm};
use tpm2_types::constants::{cap, cc, pt, rh, su};
use tpm2_types::structures::{PcrBitmap, TpmlDigest, TpmlPcrSelection, TpmsPcrSelection};
use tpm2_types::{Codec, HashAlg, Rc};
use util::*;

fn sel(hash: HashAlg, pcrs: &[usize]) -> TpmlPcrSelection {
    TpmlPcrSelection(vec![TpmsPcrSelection {
        hash,
        select: PcrBitmap::from_pcrs(pcrs),
    }])
}

fn pcr_read(tpm: &mut Tpm, hash: HashAlg, pcr: usize) -> (u32, Vec<u8>) {
    let r = run(tpm, &Cmd::new(cc::PCR_READ).put(&sel(hash, &[pcr]))).ok();
    let mut rd = r.reader();
    let counter = rd.u32().unwrap();
    let _sel = TpmlPcrSelection::read(&mut rd).unwrap();
    let vals = TpmlDigest::read(&mut rd).unwrap();
    (
        counter,
        vals.0.first().map(|d| d.0.clone()).unwrap_or_default(),
    )
}

fn extend(tpm: &mut Tpm, locality: u8, pcr: u32, d: &[u8; 32]) -> Rc {
    let c = Cmd::new(cc::PCR_EXTEND)
        .handle(pcr)
        .pw(b"")
        .u32(1)
        .u16(HashAlg::Sha256.id())
        .raw(d);
    run_at(tpm, locality, &c).rc
}

#[test]
fn commands_before_startup_are_refused() {
    let mut tpm = Tpm::manufacture(Box::new(SimPlatform::new(1)));
    let r = run(&mut tpm, &Cmd::new(cc::GET_RANDOM).u16(8));
    assert_eq!(r.rc, Rc::INITIALIZE);
    run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    assert_eq!(
        run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).rc,
        Rc::INITIALIZE
    );
}

#[test]
fn extend_and_read() {
    let mut tpm = started();
    let (c0, v0) = pcr_read(&mut tpm, HashAlg::Sha256, 7);
    assert_eq!(v0, vec![0; 32]);
    assert_eq!(extend(&mut tpm, 0, 7, &[0xAB; 32]), Rc::SUCCESS);
    let (c1, v1) = pcr_read(&mut tpm, HashAlg::Sha256, 7);
    let want = tpm2_crypto::digest(HashAlg::Sha256, &[&[0; 32], &[0xAB; 32]]);
    assert_eq!(v1, want);
    assert_eq!(c1, c0 + 1, "one bank extended, counter +1");
    // PCR 16 (debug) does not advance the counter.
    assert_eq!(extend(&mut tpm, 0, 16, &[1; 32]), Rc::SUCCESS);
    assert_eq!(pcr_read(&mut tpm, HashAlg::Sha256, 16).0, c1);
}

#[test]
fn locality_rules() {
    let mut tpm = started();
    // PCR 17 cannot be extended from locality 0, but from locality 2.
    assert_eq!(extend(&mut tpm, 0, 17, &[1; 32]), Rc::LOCALITY);
    assert_eq!(extend(&mut tpm, 2, 17, &[1; 32]), Rc::SUCCESS);
    // PCR 17 starts at all-ones.
    let mut t2 = started();
    assert_eq!(pcr_read(&mut t2, HashAlg::Sha256, 17).1, vec![0xFF; 32]);
    // Reset of PCR 16 at locality 0 is allowed, of PCR 0 is not.
    let r = run(&mut tpm, &Cmd::new(cc::PCR_RESET).handle(16).pw(b""));
    assert_eq!(r.rc, Rc::SUCCESS);
    let r = run(&mut tpm, &Cmd::new(cc::PCR_RESET).handle(0).pw(b""));
    assert_eq!(r.rc, Rc::LOCALITY);
}

#[test]
fn resume_keeps_saved_pcrs_reset_clears_them() {
    let mut tpm = started();
    extend(&mut tpm, 0, 3, &[9; 32]);
    let before = pcr_read(&mut tpm, HashAlg::Sha256, 3).1;
    run(&mut tpm, &Cmd::new(cc::SHUTDOWN).u16(su::STATE)).ok();
    tpm.init();
    run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::STATE)).ok();
    assert_eq!(pcr_read(&mut tpm, HashAlg::Sha256, 3).1, before);
    // Startup(STATE) after Shutdown(CLEAR) is refused.
    run(&mut tpm, &Cmd::new(cc::SHUTDOWN).u16(su::CLEAR)).ok();
    tpm.init();
    let r = run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::STATE));
    assert_eq!(r.rc, Rc::VALUE.param(1));
    run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    assert_eq!(pcr_read(&mut tpm, HashAlg::Sha256, 3).1, vec![0; 32]);
}

#[test]
fn get_random_is_capped_at_one_digest() {
    let mut tpm = started();
    let r = run(&mut tpm, &Cmd::new(cc::GET_RANDOM).u16(100)).ok();
    assert_eq!(r.body.len(), 2 + 64);
}

#[test]
fn hash_and_sequence_agree() {
    let mut tpm = started();
    let data = b"measure me";
    let r = run(
        &mut tpm,
        &Cmd::new(cc::HASH)
            .b(data)
            .u16(HashAlg::Sha384.id())
            .u32(rh::OWNER),
    )
    .ok();
    let one_shot = r.body[2..2 + 48].to_vec();
    let r = run(
        &mut tpm,
        &Cmd::new(cc::HASH_SEQUENCE_START)
            .b(b"pw")
            .u16(HashAlg::Sha384.id()),
    )
    .ok();
    let h = u32::from_be_bytes(r.body[..4].try_into().unwrap());
    run(
        &mut tpm,
        &Cmd::new(cc::SEQUENCE_UPDATE)
            .handle(h)
            .pw(b"pw")
            .b(b"measure"),
    )
    .ok();
    let r = run(
        &mut tpm,
        &Cmd::new(cc::SEQUENCE_COMPLETE)
            .handle(h)
            .pw(b"pw")
            .b(b" me")
            .u32(rh::NULL),
    )
    .ok();
    assert_eq!(&r.body[2..2 + 48], one_shot.as_slice());
    assert_eq!(one_shot, tpm2_crypto::digest(HashAlg::Sha384, &[data]));
}

#[test]
fn capabilities_page() {
    let mut tpm = started();
    let r = run(
        &mut tpm,
        &Cmd::new(cc::GET_CAPABILITY)
            .u32(cap::TPM_PROPERTIES)
            .u32(pt::FIXED)
            .u32(1),
    )
    .ok();
    assert_eq!(r.body[0], 1, "moreData");
    let r = run(
        &mut tpm,
        &Cmd::new(cc::GET_CAPABILITY)
            .u32(cap::COMMANDS)
            .u32(cc::FIRST)
            .u32(1000),
    )
    .ok();
    assert_eq!(r.body[0], 0);
    let r = run(
        &mut tpm,
        &Cmd::new(cc::GET_CAPABILITY).u32(11).u32(0).u32(1),
    );
    assert_eq!(r.rc, Rc::VALUE.param(1));
}

#[test]
fn drtm_resets_and_extends_pcr17() {
    let mut tpm = started();
    tpm.hash_start();
    tpm.hash_data(b"secure launch");
    tpm.hash_end();
    let d = tpm2_crypto::digest(HashAlg::Sha256, &[b"secure launch"]);
    let want = tpm2_crypto::digest(HashAlg::Sha256, &[&[0; 32], &d]);
    assert_eq!(pcr_read(&mut tpm, HashAlg::Sha256, 17).1, want);
    assert_eq!(pcr_read(&mut tpm, HashAlg::Sha256, 18).1, vec![0; 32]);
    assert!(tpm.tpm_established());
    assert!(tpm.reset_established(0).is_err());
    tpm.reset_established(4).unwrap();
    assert!(!tpm.tpm_established());
}

#[test]
fn state_round_trips_through_blobs() {
    let mut tpm = started();
    extend(&mut tpm, 0, 5, &[3; 32]);
    let perm = tpm.permanent_blob();
    let vol = tpm.volatile_blob();
    let v = pcr_read(&mut tpm, HashAlg::Sha256, 5).1;
    let mut back = Tpm::restore(Box::new(SimPlatform::new(2)), &perm, Some(&vol)).unwrap();
    assert!(back.is_started());
    assert_eq!(pcr_read(&mut back, HashAlg::Sha256, 5).1, v);
    let mut bad = perm.clone();
    bad[20] ^= 1;
    assert!(Tpm::restore(Box::new(SimPlatform::new(2)), &bad, None).is_err());
}

#[test]
fn state_change_after_shutdown_voids_it() {
    let mut tpm = started();
    run(&mut tpm, &Cmd::new(cc::SHUTDOWN).u16(su::STATE)).ok();
    // Read-only commands keep the saved state ...
    run(&mut tpm, &Cmd::new(cc::GET_RANDOM).u16(4)).ok();
    // ... a PCR extend (an NV-attribute command) voids it.
    assert_eq!(extend(&mut tpm, 0, 1, &[1; 32]), Rc::SUCCESS);
    tpm.init();
    let r = run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::STATE));
    assert_eq!(r.rc, Rc::VALUE.param(1));
}
