//! `ferrotpm attest` end to end: against ferrotpm (fresh, and manufactured by `ferrotpm
//! setup` with persistent EKs) and against Debian's swtpm, so the verifier's software
//! MakeCredential and quote checks meet a TPM implementation that is not ours; with an
//! event log whose events were extended into the TPM, and after an extend behind the
//! log's back.

mod common;
use common::*;
use ferrotpm_server::client::TpmClient;
use std::process::{Command, Output};
use std::time::Duration;

const STARTED: [&str; 2] = ["--flags", "not-need-init,startup-clear"];
const LOG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tcg-eventlog/tests/data/tpm2-tools/event-gce-ubuntu-2104-log.bin"
);
/// `EV_NO_ACTION`: logged, never extended.
const EV_NO_ACTION: u32 = 3;

fn addr(port: u16) -> String {
    format!("swtpm:host=127.0.0.1,port={port}")
}

fn attest(port: u16, args: &[&str]) -> Output {
    Command::new(ferrotpm())
        .args(["attest", "--tpm", &addr(port), "--format", "json"])
        .args(args)
        .output()
        .unwrap()
}

/// Runs attest, requires exit status `code`, returns the JSON report.
fn report(port: u16, args: &[&str], code: i32) -> serde_json::Value {
    let o = attest(port, args);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        o.status.code(),
        Some(code),
        "attest {args:?}: {out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// TPM2_PCR_Extend of `pcr` with `digests` (alg, bytes), empty password.
fn extend(c: &mut TpmClient, pcr: u32, digests: &[(u16, &[u8])]) {
    let mut p = Vec::new();
    p.extend_from_slice(&0x8002u16.to_be_bytes());
    p.extend_from_slice(&0u32.to_be_bytes());
    p.extend_from_slice(&0x182u32.to_be_bytes());
    p.extend_from_slice(&pcr.to_be_bytes());
    p.extend_from_slice(&9u32.to_be_bytes());
    p.extend_from_slice(&0x4000_0009u32.to_be_bytes());
    p.extend_from_slice(&[0, 0, 1, 0, 0]);
    p.extend_from_slice(&(digests.len() as u32).to_be_bytes());
    for (alg, d) in digests {
        p.extend_from_slice(&alg.to_be_bytes());
        p.extend_from_slice(d);
    }
    let n = p.len() as u32;
    p[2..6].copy_from_slice(&n.to_be_bytes());
    let r = c.call(&p).unwrap();
    assert_eq!(
        &r[6..10],
        &[0, 0, 0, 0],
        "PCR_Extend({pcr}) failed: {r:02x?}"
    );
}

/// Extends every event of the log into the TPM, as firmware would have.
fn boot_as_logged(port: u16, log: &tcg_eventlog::EventLog) {
    let mut c = TpmClient::connect(&addr(port), Duration::from_secs(10)).unwrap();
    for e in log.events.iter().filter(|e| e.event_type != EV_NO_ACTION) {
        let d: Vec<(u16, &[u8])> = e
            .digests
            .iter()
            .map(|d| (d.alg, d.bytes.as_slice()))
            .collect();
        extend(&mut c, e.pcr, &d);
    }
}

fn assert_verified(r: &serde_json::Value) {
    assert_eq!(r["verified"], true, "{r:#}");
    assert_eq!(r["activation"], true);
    assert_eq!(r["ak_name_matches"], true);
    for k in ["signature", "generated", "nonce", "signer", "selection"] {
        assert_eq!(r["quote"][k], true, "quote check {k}: {r:#}");
    }
    assert_eq!(r["pcr_values_match"], true);
}

#[test]
fn attests_ferrotpm_with_every_ek_and_ak() {
    let dir = TempDir::new("attest");
    let (_d, port) = start_socket(dir.path(), &STARTED);
    let nonce = "00112233445566778899aabbccddeeff";
    for (ek, ak, ek_kind, ak_kind) in [
        ("rsa", "rsa", "RSA-2048", "RSA-2048"),
        ("rsa", "ecc", "RSA-2048", "ECC P-256"),
        ("ecc", "rsa", "ECC P-384", "RSA-2048"),
        ("ecc", "ecc", "ECC P-384", "ECC P-256"),
    ] {
        let r = report(
            port,
            &["--ek", ek, "--ak", ak, "--nonce", nonce, "--pcrs", "0,7,16"],
            0,
        );
        assert_verified(&r);
        assert_eq!(r["ek"]["kind"], ek_kind);
        assert_eq!(r["ak"]["kind"], ak_kind);
        assert!(r["ek"].get("persistent").is_none(), "{r:#}");
        assert_eq!(r["nonce"], nonce);
        assert_eq!(r["pcrs"], serde_json::json!([0, 7, 16]));
    }
    // Nothing was left loaded: a transient object or session would show here.
    let tools = Tools {
        tcti: format!("swtpm:host=127.0.0.1,port={port}"),
        dir: dir.path().to_path_buf(),
    };
    let handles = tools.ok("tpm2_getcap", &["handles-transient"]);
    assert!(handles.trim().is_empty(), "left loaded: {handles}");
    let sessions = tools.ok("tpm2_getcap", &["handles-loaded-session"]);
    assert!(sessions.trim().is_empty(), "left loaded: {sessions}");
}

#[test]
fn attest_uses_the_persistent_ek_that_setup_made() {
    let dir = TempDir::new("attest-setup");
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let ca = dir.path().join("ca");
    let o = Command::new(ferrotpm())
        .args(["setup", "--tpm2", "--tpm-state"])
        .arg(&state)
        .args([
            "--createek",
            "--create-ek-cert",
            "--lock-nvram",
            "--localca-dir",
        ])
        .arg(&ca)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let (_d, port) = start_socket(&state, &STARTED);
    let tools = Tools {
        tcti: format!("swtpm:host=127.0.0.1,port={port}"),
        dir: dir.path().to_path_buf(),
    };
    for (ek, handle) in [("rsa", "0x81010001"), ("ecc", "0x81010016")] {
        let r = report(port, &["--ek", ek, "--ak", "ecc"], 0);
        assert_verified(&r);
        assert_eq!(r["ek"]["persistent"], handle);
        // The EK's Name as tpm2-tools reads it is the one the verifier computed.
        let public = tools.ok("tpm2_readpublic", &["-c", handle]);
        let name = public
            .lines()
            .find_map(|l| l.strip_prefix("name: "))
            .expect("tpm2_readpublic prints the name");
        assert_eq!(r["ek"]["name"], name.trim(), "{public}");
    }
}

#[test]
fn attests_debian_swtpm() {
    let dir = TempDir::new("attest-swtpm");
    let (_sw, port) = start_swtpm(dir.path(), &STARTED);
    for (ek, ak) in [("rsa", "rsa"), ("ecc", "ecc")] {
        let r = report(port, &["--ek", ek, "--ak", ak, "--pcrs", "0-23"], 0);
        assert_verified(&r);
    }
}

#[test]
fn event_log_replay_is_the_quote_until_an_extend_behind_its_back() {
    let bytes = std::fs::read(LOG).unwrap();
    let log = tcg_eventlog::parse(&bytes).unwrap();
    for swtpm in [false, true] {
        let dir = TempDir::new("attest-log");
        let (_p, port) = if swtpm {
            start_swtpm(dir.path(), &STARTED)
        } else {
            start_socket(dir.path(), &STARTED)
        };
        boot_as_logged(port, &log);
        let r = report(port, &["--eventlog", LOG], 0);
        assert_verified(&r);
        assert_eq!(r["eventlog_matches_quote"], true, "{r:#}");
        // The PCRs quoted by default are those the log extends.
        let pcrs: Vec<u64> = r["pcrs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect();
        assert!(
            pcrs.contains(&0) && pcrs.contains(&4) && pcrs.contains(&7),
            "{pcrs:?}"
        );

        // An extend the log does not show: the quote still verifies (it is the TPM's
        // truth), the log no longer is the quote, and the verdict names PCR 4.
        let mut c = TpmClient::connect(&addr(port), Duration::from_secs(10)).unwrap();
        extend(&mut c, 4, &[(0x000B, &[0x5A; 32])]);
        drop(c);
        let r = report(port, &["--eventlog", LOG], 1);
        assert_eq!(r["verified"], false);
        assert_eq!(r["quote"]["signature"], true);
        assert_eq!(r["pcr_values_match"], true);
        assert_eq!(r["eventlog_matches_quote"], false);
        let bad: Vec<_> = r["eventlog"]["pcrs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["matches"] == false)
            .map(|p| (p["alg"].as_u64().unwrap(), p["pcr"].as_u64().unwrap()))
            .collect();
        assert_eq!(bad, vec![(0x000B, 4)], "swtpm {swtpm}: {r:#}");
    }
}

#[test]
fn text_report_and_errors() {
    let dir = TempDir::new("attest-text");
    let (_d, port) = start_socket(dir.path(), &STARTED);
    let o = Command::new(ferrotpm())
        .args(["attest", "--tpm", &addr(port), "--ak", "ecc"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{text}");
    assert!(text.contains("credential activation: ok"), "{text}");
    assert!(text.lines().last() == Some("verified"), "{text}");
    // No TPM there: exit status 2 and a message.
    drop(_d);
    let o = attest(port, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(!o.stderr.is_empty());
    // Bad arguments: 2 as well, before any TPM is asked.
    for bad in [
        &["--pcrs", "24"][..],
        &["--nonce", "xyz"],
        &["--eventlog", "/nonexistent"],
    ] {
        let o = attest(port, bad);
        assert_eq!(o.status.code(), Some(2), "{bad:?}");
    }
}
