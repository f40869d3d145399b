//! Verification against PCR values: a TPM that saw exactly the log matches; one that saw
//! fewer extends shows where they stop; one that saw more shows no matching point, and the
//! update counter says how many bank extends are missing from the log.

use std::path::Path;
use tcg_eventlog::replay::replay_with_history;
use tcg_eventlog::verify::{logged_extends, STARTUP_UPDATES};
use tcg_eventlog::{parse, verify, ReplayOptions, TpmPcrs};

fn fixture(name: &str) -> tcg_eventlog::EventLog {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    parse(&std::fs::read(p).unwrap()).unwrap()
}

/// The PCRs a TPM would show after exactly the log's extends.
fn tpm_of(log: &tcg_eventlog::EventLog, opts: &ReplayOptions) -> TpmPcrs {
    let r = tcg_eventlog::replay(log, opts);
    let mut t = TpmPcrs::default();
    for b in r.banks.iter().filter(|b| b.computed) {
        let bank = t.banks.entry(b.alg).or_default();
        for (pcr, v) in &b.pcrs {
            bank.insert(*pcr, v.value.clone());
        }
    }
    t.update_counter = Some(logged_extends(&[log], &t) as u32 + STARTUP_UPDATES);
    t
}

#[test]
fn a_tpm_that_saw_the_log_matches() {
    let opts = ReplayOptions::default();
    for name in [
        "go-eventlog/ubuntu-2104-no-secure-boot.bin",
        "go-eventlog/rhel8-uefi.bin",
        "tpm2-tools/event-uefi-sha1-log.bin",
    ] {
        let log = fixture(name);
        let tpm = tpm_of(&log, &opts);
        let v = verify(&log, &opts, &tpm);
        assert!(v.all_match, "{name}");
        assert_eq!(v.unlogged_extends, Some(0), "{name}");
        assert!(!v.pcrs.is_empty());
    }
}

#[test]
fn missing_and_extra_extends_are_located_and_counted() {
    let opts = ReplayOptions::default();
    let log = fixture("go-eventlog/ubuntu-2104-no-secure-boot.bin");
    let (_, history) = replay_with_history(&log, &opts);
    let sha256 = 0x000B;
    let mut tpm = tpm_of(&log, &opts);
    let counter = tpm.update_counter.unwrap();
    // PCR 4 in the TPM stopped one event early: the log's last PCR 4 event never reached it.
    let h4 = &history[&(sha256, 4)];
    let (before_last, last) = (&h4[h4.len() - 2], &h4[h4.len() - 1]);
    tpm.banks
        .get_mut(&sha256)
        .unwrap()
        .insert(4, before_last.1.clone());
    let v = verify(&log, &opts, &tpm);
    let p4 = v
        .pcrs
        .iter()
        .find(|p| p.alg == sha256 && p.pcr == 4)
        .unwrap();
    assert!(!p4.matches);
    assert_eq!(p4.matches_after_event, Some(before_last.0));
    assert_eq!(p4.first_unmatched_event, last.0);
    assert!(!v.all_match);
    // PCR 9 in the TPM got one more extend than the log shows, in one bank: no running
    // value matches, and the counter is one ahead.
    let mut tpm = tpm_of(&log, &opts);
    let v9 = tpm.banks[&sha256][&9].clone();
    let extra = tpm2_crypto::digest(tpm2_types::HashAlg::Sha256, &[&v9, &[0x42; 32]]);
    tpm.banks.get_mut(&sha256).unwrap().insert(9, extra);
    tpm.update_counter = Some(counter + 1);
    let v = verify(&log, &opts, &tpm);
    let p9 = v
        .pcrs
        .iter()
        .find(|p| p.alg == sha256 && p.pcr == 9)
        .unwrap();
    assert!(!p9.matches);
    assert_eq!(p9.matches_after_event, None);
    assert_eq!(v.unlogged_extends, Some(1));
    // A PCR the log never mentions, changed in the TPM, is a mismatch with no events.
    let mut tpm = tpm_of(&log, &opts);
    tpm.banks
        .get_mut(&sha256)
        .unwrap()
        .insert(12, vec![0x77; 32]);
    let v = verify(&log, &opts, &tpm);
    let p12 = v.pcrs.iter().find(|p| p.pcr == 12).unwrap();
    assert!(!p12.matches && p12.events == 0);
    // An unchanged PCR the log never mentions matches.
    let mut tpm = tpm_of(&log, &opts);
    tpm.banks.get_mut(&sha256).unwrap().insert(13, vec![0; 32]);
    assert!(verify(&log, &opts, &tpm).all_match);
}
