//! `load_engine`: a TPM from a state directory, and the refusal of every damaged file.

mod common;

use common::*;
use ferrotpm_store::*;
use std::fs;
use tpm2_engine::{SimPlatform, Tpm};
use tpm2_types::constants::{alg, cc, rh};

fn sim() -> Box<SimPlatform> {
    Box::new(SimPlatform::new(11))
}

/// `TPM2_PCR_SetAuthPolicy` (platform): a permanent-state write with a chosen digest.
fn set_pcr_policy(tpm: &mut Tpm, digest: &[u8; 32]) -> bool {
    let mut p = Vec::new();
    p.extend_from_slice(&32u16.to_be_bytes());
    p.extend_from_slice(digest);
    p.extend_from_slice(&alg::SHA256.to_be_bytes());
    p.extend_from_slice(&20u32.to_be_bytes());
    ok(
        tpm,
        &command(cc::PCR_SET_AUTH_POLICY, &[rh::PLATFORM], true, &p),
    )
    .1
}

fn pcr_extend(tpm: &mut Tpm, pcr: u32, byte: u8) {
    let mut p = Vec::new();
    p.extend_from_slice(&1u32.to_be_bytes());
    p.extend_from_slice(&alg::SHA256.to_be_bytes());
    p.extend_from_slice(&[byte; 32]);
    ok(tpm, &command(cc::PCR_EXTEND, &[pcr], true, &p));
}

/// A directory holding a started TPM's permanent and volatile state.
fn populated() -> (tempfile::TempDir, StateDir) {
    let t = tempfile::tempdir().unwrap();
    let d = StateDir::open(t.path(), false).unwrap();
    let mut tpm = load_engine(&d, sim()).unwrap();
    startup_clear(&mut tpm);
    assert!(set_pcr_policy(&mut tpm, &[7; 32]));
    pcr_extend(&mut tpm, 10, 1);
    d.save_permanent(&tpm.take_permanent_blob()).unwrap();
    d.save_volatile(&tpm.volatile_blob()).unwrap();
    (t, d)
}

#[test]
fn a_fresh_directory_manufactures_and_stores_a_tpm() {
    let t = tempfile::tempdir().unwrap();
    let d = StateDir::open(t.path(), false).unwrap();
    let tpm = load_engine(&d, sim()).unwrap();
    assert!(!tpm.permanent_dirty(), "the manufactured state is stored");
    let stored = d.load().unwrap().unwrap();
    assert_eq!(stored.permanent, tpm.permanent_blob());
    assert_eq!(stored.volatile, None);
    // Loading again restores that TPM, not a new one.
    let again = load_engine(&d, Box::new(SimPlatform::new(99))).unwrap();
    assert_eq!(again.permanent_blob(), stored.permanent);
}

#[test]
fn volatile_state_resumes_the_tpm_where_it_was() {
    let (_t, d) = populated();
    let tpm = load_engine(&d, sim()).unwrap();
    assert!(tpm.is_started(), "restored from the volatile state");
    assert_eq!(
        Some(tpm.volatile_blob()),
        d.load().unwrap().unwrap().volatile
    );
    d.delete_volatile().unwrap();
    let tpm = load_engine(&d, sim()).unwrap();
    assert!(!tpm.is_started(), "without volatile state: _TPM_Init");
}

/// Loading `damaged` as `file` must fail naming that file, and leave every file as it was.
fn assert_refused(d: &StateDir, file: &str, damaged: &[u8], what: &str) {
    let path = d.path().join(file);
    fs::write(&path, damaged).unwrap();
    let before = d.load().unwrap();
    match load_engine(d, sim()) {
        Err(StoreError::Damaged { path: p, source }) => {
            assert_eq!(p, path, "{what}: wrong file blamed ({source})");
        }
        Err(e) => panic!("{what}: not a damage error: {e}"),
        Ok(_) => panic!("{what}: damaged {file} was accepted"),
    }
    assert_eq!(d.load().unwrap(), before, "{what}: state files changed");
}

#[test]
fn every_bit_flip_and_truncation_of_each_file_is_refused_and_kept() {
    let (_t, d) = populated();
    let good = d.load().unwrap().unwrap();
    let files = [
        (PERMANENT_FILE, good.permanent.clone()),
        (VOLATILE_FILE, good.volatile.clone().unwrap()),
    ];
    for (file, blob) in &files {
        // Every byte, one bit (cycling through the 8) each; plus whole-byte damage at a
        // stride so every bit position is hit in every region.
        for i in 0..blob.len() {
            let mut b = blob.clone();
            b[i] ^= 1 << (i % 8);
            assert_refused(&d, file, &b, &format!("{file} bit flip at {i}"));
        }
        for i in (0..blob.len()).step_by(61) {
            let mut b = blob.clone();
            b[i] = !b[i];
            assert_refused(&d, file, &b, &format!("{file} byte inverted at {i}"));
        }
        for len in 0..blob.len() {
            assert_refused(
                &d,
                file,
                &blob[..len],
                &format!("{file} truncated to {len}"),
            );
        }
        let mut longer = blob.clone();
        longer.push(0);
        assert_refused(&d, file, &longer, &format!("{file} with a byte appended"));
        fs::write(d.path().join(file), blob).unwrap();
    }
    // Each file is the other kind of blob: refused too.
    assert_refused(
        &d,
        PERMANENT_FILE,
        &good.volatile.clone().unwrap(),
        "volatile as permanent",
    );
    fs::write(d.permanent_path(), &good.permanent).unwrap();
    assert_refused(&d, VOLATILE_FILE, &good.permanent, "permanent as volatile");
    fs::write(d.volatile_path(), good.volatile.as_ref().unwrap()).unwrap();
    load_engine(&d, sim()).unwrap();
}

#[test]
fn an_empty_permanent_file_is_damage_not_a_fresh_tpm() {
    let (_t, d) = populated();
    d.delete_volatile().unwrap();
    fs::write(d.permanent_path(), b"").unwrap();
    let Err(e) = load_engine(&d, sim()) else {
        panic!("an empty permanent file was accepted")
    };
    let msg = e.to_string();
    assert!(
        msg.contains(PERMANENT_FILE) && msg.contains("damaged"),
        "{msg}"
    );
    assert_eq!(fs::read(d.permanent_path()).unwrap(), b"");
}
