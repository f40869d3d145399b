//! `ferrotpm eventlog simulate`: a simulated measured boot (UEFI, DRTM launch, IMA)
//! against ferrotpm verifies; one flipped digest byte, one dropped event and one extend
//! behind the log's back each give their precise report; and the same run against
//! Debian's swtpm gives the same logs and the same verification (a missing swtpm fails).

mod common;
use common::{ferrotpm, start_socket, start_swtpm, Proc, TempDir};
use std::path::Path;
use std::process::{Command, Output};

const FLAGS: &[&str] = &["--flags", "not-need-init,startup-clear"];

fn addr(port: u16) -> String {
    format!("swtpm:host=127.0.0.1,port={port}")
}

fn ok(o: Output) -> String {
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// Runs the simulation against the TPM at `port`, writing boot.bin, drtm.bin and ima.txt
/// in `dir`.
fn simulate(port: u16, dir: &Path, extra: &[&str]) {
    let p = |n: &str| dir.join(n).to_str().unwrap().to_string();
    ok(Command::new(ferrotpm())
        .args(["eventlog", "simulate", "--tpm", &addr(port), "--seed", "42"])
        .args(["--out", &p("boot.bin"), "--drtm", &p("drtm.bin")])
        .args(["--ima", &p("ima.txt"), "--ima-entries", "20"])
        .args(extra)
        .output()
        .unwrap());
}

/// `eventlog verify LOG --tpm ... --drtm drtm.bin --ima ima.txt --format json`: the exit
/// code and the report.
fn verify(port: u16, dir: &Path, log: &str) -> (i32, serde_json::Value) {
    let o = Command::new(ferrotpm())
        .args(["eventlog", "verify", dir.join(log).to_str().unwrap()])
        .args(["--tpm", &addr(port), "--format", "json"])
        .arg("--drtm")
        .arg(dir.join("drtm.bin"))
        .arg("--ima")
        .arg(dir.join("ima.txt"))
        .output()
        .unwrap();
    let v = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    (o.status.code().unwrap(), v)
}

/// The (bank, PCR) pairs that do not match.
fn mismatches(v: &serde_json::Value) -> Vec<(u64, u64)> {
    v["pcrs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["matches"] == false)
        .map(|p| (p["alg"].as_u64().unwrap(), p["pcr"].as_u64().unwrap()))
        .collect()
}

fn banks(v: &serde_json::Value) -> Vec<u64> {
    let mut b: Vec<u64> = v["pcrs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["alg"].as_u64().unwrap())
        .collect();
    b.dedup();
    b
}

fn pcr_extend(port: u16, pcr: u32, alg: u16, digest: &[u8]) {
    let mut c = vec![0x80, 0x02, 0, 0, 0, 0, 0, 0, 0x01, 0x82];
    c.extend_from_slice(&pcr.to_be_bytes());
    c.extend_from_slice(&9u32.to_be_bytes());
    c.extend_from_slice(&[0x40, 0, 0, 9, 0, 0, 1, 0, 0]);
    c.extend_from_slice(&1u32.to_be_bytes());
    c.extend_from_slice(&alg.to_be_bytes());
    c.extend_from_slice(digest);
    let n = c.len() as u32;
    c[2..6].copy_from_slice(&n.to_be_bytes());
    let mut t =
        ferrotpm_server::client::TpmClient::connect(&addr(port), std::time::Duration::from_secs(5))
            .unwrap();
    let r = t.call(&c).unwrap();
    assert_eq!(&r[6..10], &[0, 0, 0, 0], "PCR_Extend");
}

/// Everything the tests check, for one TPM: the reports of the intact log and of the
/// damaged ones, and finally after an extend behind the log's back.
fn scenario(port: u16, dir: &Path) -> Vec<(i32, serde_json::Value)> {
    simulate(port, dir, &[]);
    let bytes = std::fs::read(dir.join("boot.bin")).unwrap();
    let log = tcg_eventlog::parse(&bytes).unwrap();
    let mut reports = Vec::new();

    // Intact: everything matches, no extend unaccounted for.
    let (code, v) = verify(port, dir, "boot.bin");
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["all_match"], true);
    assert_eq!(v["unlogged_extends"], 0);
    assert_eq!(v["ima"]["boot_aggregate"], true);
    let nbanks = banks(&v).len() as i64;
    assert!(nbanks >= 2, "{v:#}");
    // The DRTM PCRs are judged by the DRTM log and were extended.
    let p17: Vec<_> = v["pcrs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["pcr"] == 17)
        .collect();
    assert!(
        p17.iter().all(|p| p["drtm"] == true && p["events"] == 5),
        "{p17:?}"
    );
    reports.push((code, v));

    // One flipped byte in the SHA-256 digest of the first boot application (PCR 4).
    let bsa = log
        .events
        .iter()
        .find(|e| e.event_type == tcg_eventlog::ev::EFI_BOOT_SERVICES_APPLICATION)
        .unwrap();
    let first4 = log.events.iter().find(|e| e.pcr == 4).unwrap().number;
    let mut at = bsa.offset + 16;
    for d in &bsa.digests {
        if d.alg == 0x000B {
            break;
        }
        at += 2 + d.bytes.len();
    }
    let mut flipped = bytes.clone();
    flipped[at + 2 + 5] ^= 0x01;
    std::fs::write(dir.join("flipped.bin"), &flipped).unwrap();
    let (code, v) = verify(port, dir, "flipped.bin");
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(mismatches(&v), vec![(0x000B, 4)], "{v:#}");
    let p = v["pcrs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["alg"] == 0x000B && p["pcr"] == 4)
        .unwrap();
    assert_eq!(p["first_unmatched_event"], first4 as u64, "{p:#}");
    assert!(p.get("matches_after_event").is_none(), "{p:#}");
    assert_eq!(v["unlogged_extends"], 0);
    reports.push((code, v));

    // The last event (PCR 5, ExitBootServices returned) dropped: every bank of PCR 5
    // differs and the counter shows one extend per bank that the log lacks.
    let last = log.events.last().unwrap();
    assert_eq!(last.pcr, 5);
    std::fs::write(dir.join("dropped.bin"), &bytes[..last.offset]).unwrap();
    let (code, v) = verify(port, dir, "dropped.bin");
    assert_eq!(code, 1, "{v:#}");
    let b = banks(&v);
    assert_eq!(
        mismatches(&v),
        b.iter().map(|a| (*a, 5)).collect::<Vec<_>>(),
        "{v:#}"
    );
    assert_eq!(v["unlogged_extends"], nbanks, "{v:#}");
    reports.push((code, v));

    // A log that lacks nothing but shows an event the TPM never saw: the log after the
    // last event of PCR 9 reaches the TPM's value one event early.
    let mut extra = bytes.clone();
    let e9 = log.events.iter().rev().find(|e| e.pcr == 9).unwrap();
    let mut again = Vec::new();
    e9.encode_into(&mut again);
    extra.extend_from_slice(&again);
    std::fs::write(dir.join("extra.bin"), &extra).unwrap();
    let (code, v) = verify(port, dir, "extra.bin");
    assert_eq!(code, 1, "{v:#}");
    let p = v["pcrs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["alg"] == 0x000B && p["pcr"] == 9)
        .unwrap();
    assert_eq!(p["matches_after_event"], e9.number as u64, "{p:#}");
    assert_eq!(p["first_unmatched_event"], log.events.len() as u64, "{p:#}");
    assert_eq!(v["unlogged_extends"], -nbanks, "{v:#}");
    reports.push((code, v));

    // One extend behind the log's back (SHA-256 bank of PCR 8 only).
    pcr_extend(port, 8, 0x000B, &[0x42; 32]);
    let (code, v) = verify(port, dir, "boot.bin");
    assert_eq!(code, 1, "{v:#}");
    assert_eq!(mismatches(&v), vec![(0x000B, 8)], "{v:#}");
    assert_eq!(v["unlogged_extends"], 1, "{v:#}");
    reports.push((code, v));
    reports
}

#[test]
fn a_simulated_boot_verifies_and_damage_is_reported_precisely() {
    let dir = TempDir::new("evsim");
    let (_d, port): (Proc, u16) = start_socket(&dir.path().join("state"), FLAGS);
    let reports = scenario(port, dir.path());
    assert_eq!(reports.len(), 5);
    // replay --drtm gives the TPM's PCRs 17 and 18; show --drtm names the TXT events.
    let drtm = dir.path().join("drtm.bin");
    let r: serde_json::Value = serde_json::from_str(&ok(Command::new(ferrotpm())
        .args(["eventlog", "replay", "--format", "json", "--drtm"])
        .arg(&drtm)
        .output()
        .unwrap()))
    .unwrap();
    let tpm = &reports[0].1["pcrs"];
    for pcr in [17u64, 18] {
        let want = tpm
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["alg"] == 0x000B && p["pcr"] == pcr)
            .unwrap()["tpm"]
            .clone();
        let bank = r["banks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["alg"] == 0x000B)
            .unwrap();
        assert_eq!(bank["pcrs"][pcr.to_string()]["value"], want, "PCR {pcr}");
    }
    let show = ok(Command::new(ferrotpm())
        .args(["eventlog", "show", "--drtm"])
        .arg(&drtm)
        .output()
        .unwrap());
    assert!(
        show.contains("EVTYPE_HASH_START") && show.contains("Measured initramfs"),
        "{show}"
    );
    // The table form says the same.
    let o = Command::new(ferrotpm())
        .args(["eventlog", "verify"])
        .arg(dir.path().join("boot.bin"))
        .args(["--tpm", &addr(port)])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("sha256  8  MISMATCH") && out.contains("unlogged: 1"),
        "{out}"
    );
}

#[test]
fn simulate_against_swtpm_gives_the_same_logs_and_verdicts() {
    let ours = TempDir::new("evsim-ours");
    let theirs = TempDir::new("evsim-swtpm");
    let (_f, fport) = start_socket(&ours.path().join("state"), FLAGS);
    let (_s, sport) = start_swtpm(&theirs.path().join("state"), FLAGS);
    let a = scenario(fport, ours.path());
    let b = scenario(sport, theirs.path());
    for f in ["boot.bin", "drtm.bin", "ima.txt"] {
        assert_eq!(
            std::fs::read(ours.path().join(f)).unwrap(),
            std::fs::read(theirs.path().join(f)).unwrap(),
            "{f} differs"
        );
    }
    assert_eq!(a, b);
}

#[test]
fn a_large_simulated_log_has_the_requested_size_and_verifies() {
    let dir = TempDir::new("evsim-large");
    let (_d, port) = start_socket(&dir.path().join("state"), FLAGS);
    let out = dir.path().join("big.bin");
    ok(Command::new(ferrotpm())
        .args([
            "eventlog",
            "simulate",
            "--tpm",
            &addr(port),
            "--events",
            "3000",
        ])
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap());
    let log = tcg_eventlog::parse(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(log.events.len(), 3000);
    let o = Command::new(ferrotpm())
        .args(["eventlog", "verify"])
        .arg(&out)
        .args(["--tpm", &addr(port)])
        .output()
        .unwrap();
    let text = ok(o);
    assert!(text.contains("unlogged: 0"), "{text}");
}

#[test]
fn a_tpm_started_at_locality_3_gets_a_startup_locality_event() {
    let dir = TempDir::new("evsim-loc3");
    let (_d, port) = start_socket(&dir.path().join("state"), &["--flags", "not-need-init"]);
    let mut ctrl =
        ferrotpm_server::ctrl_client::CtrlClient::tcp(&format!("127.0.0.1:{}", port + 1)).unwrap();
    ctrl.set_locality(3).unwrap();
    let mut t =
        ferrotpm_server::client::TpmClient::connect(&addr(port), std::time::Duration::from_secs(5))
            .unwrap();
    // TPM2_Startup(TPM_SU_CLEAR)
    let r = t
        .call(&[0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0])
        .unwrap();
    assert_eq!(&r[6..10], &[0, 0, 0, 0]);
    ctrl.set_locality(0).unwrap();
    drop((t, ctrl));
    let out = dir.path().join("boot.bin");
    ok(Command::new(ferrotpm())
        .args(["eventlog", "simulate", "--tpm", &addr(port), "--out"])
        .arg(&out)
        .output()
        .unwrap());
    let log = tcg_eventlog::parse(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(
        log.events[1].decode(),
        tcg_eventlog::EventData::StartupLocality { locality: 3 }
    );
    let text = ok(Command::new(ferrotpm())
        .args(["eventlog", "verify"])
        .arg(&out)
        .args(["--tpm", &addr(port)])
        .output()
        .unwrap());
    assert!(
        text.contains("unlogged: 0") && text.trim_end().ends_with("verified"),
        "{text}"
    );
}
