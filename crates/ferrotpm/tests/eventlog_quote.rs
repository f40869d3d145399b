//! `eventlog verify --quote`: a simulated boot on ferrotpm, PCRs and a quote taken with
//! Debian's tpm2-tools (tpm2_pcrread, tpm2_createek/createak, tpm2_quote), and the log
//! verified against the quoted values; changed values, a wrong nonce, a quote that does
//! not cover the log's PCRs and a tampered signature are each refused.

mod common;
use common::*;
use std::process::Command;

const NONCE: &str = "0011223344556677";

fn verify(t: &Tools, log: &str, pcrs: &str, extra: &[&str]) -> (i32, serde_json::Value) {
    let o = Command::new(ferrotpm())
        .args([
            "eventlog", "verify", log, "--pcrs", pcrs, "--format", "json",
        ])
        .args(["--ak", &t.p("ak.pub"), "--quote-sig", &t.p("q.sig")])
        .args(extra)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let code = o.status.code().unwrap();
    if code == 2 {
        return (
            2,
            serde_json::Value::String(String::from_utf8_lossy(&o.stderr).into()),
        );
    }
    (
        code,
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}")),
    )
}

fn quote(t: &Tools, list: &str, msg: &str) {
    t.ok(
        "tpm2_quote",
        &[
            "-c",
            &t.p("ak.ctx"),
            "-l",
            list,
            "-q",
            NONCE,
            "-m",
            &t.p(msg),
            "-s",
            &t.p("q.sig"),
            "-g",
            "sha256",
        ],
    );
    t.flush_all();
}

#[test]
fn a_log_verifies_against_quoted_pcrs_and_nothing_else_passes() {
    let dir = TempDir::new("evq");
    let (_d, port) = start_socket(
        &dir.path().join("state"),
        &["--flags", "not-need-init,startup-clear"],
    );
    let t = Tools {
        tcti: format!("swtpm:host=127.0.0.1,port={port}"),
        dir: dir.path().to_path_buf(),
    };
    let log = t.p("boot.log");
    let o = Command::new(ferrotpm())
        .args(["eventlog", "simulate", "--tpm", &t.tcti, "--out", &log])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let pcrs = t.write("pcrs.yaml", t.ok("tpm2_pcrread", &["sha256"]).as_bytes());
    t.ek_and_ak("ecc", "ecdsa", "ak.ctx", "ak.pub", None);
    t.flush_all();
    let all = "sha256:0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23";
    quote(&t, all, "all.msg");

    let q = ["--quote", &t.p("all.msg")];
    let (code, r) = verify(&t, &log, &pcrs, &[&q[..], &["--nonce", NONCE]].concat());
    assert_eq!(code, 0, "{r:#}");
    assert_eq!(r["quote"]["signature"], true);
    assert_eq!(r["quote"]["nonce_checked"], true);
    assert_eq!(r["quote"]["pcrs_match"], true);
    assert_eq!(r["verification"]["all_match"], true);

    // Another nonce: not fresh.
    let (code, r) = verify(&t, &log, &pcrs, &[&q[..], &["--nonce", "ffff"]].concat());
    assert_eq!((code, &r["quote"]["nonce"]), (1, &serde_json::json!(false)));

    // One PCR value changed in the file: no longer the quote's.
    let text = std::fs::read_to_string(&pcrs).unwrap();
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with("4 "))
        .unwrap();
    let value = line.split(':').nth(1).unwrap().trim().to_string();
    let mut other = value.clone().into_bytes();
    other[5] = if other[5] == b'0' { b'1' } else { b'0' };
    let changed = t.write(
        "changed.yaml",
        text.replace(&value, std::str::from_utf8(&other).unwrap())
            .as_bytes(),
    );
    let (code, r) = verify(&t, &log, &changed, &q);
    assert_eq!(
        (code, &r["quote"]["pcrs_match"]),
        (1, &serde_json::json!(false)),
        "{r:#}"
    );

    // A quote of PCRs 0-3 only: the log's other PCRs are not vouched for.
    quote(&t, "sha256:0,1,2,3", "part.msg");
    let (code, r) = verify(&t, &log, &pcrs, &["--quote", &t.p("part.msg")]);
    assert_eq!(code, 1, "{r:#}");
    assert_eq!(r["quote"]["pcrs_match"], true);
    assert!(
        r["quote"]["uncovered"].as_array().unwrap().len() >= 4,
        "{r:#}"
    );

    // A damaged signature.
    quote(&t, all, "all.msg");
    let mut sig = t.read("q.sig");
    let n = sig.len();
    sig[n - 3] ^= 1;
    t.write("q.sig", &sig);
    let (code, r) = verify(&t, &log, &pcrs, &q);
    assert_eq!(
        (code, &r["quote"]["signature"]),
        (1, &serde_json::json!(false)),
        "{r:#}"
    );

    // --quote without its signature is an argument error.
    let o = Command::new(ferrotpm())
        .args([
            "eventlog",
            "verify",
            &log,
            "--pcrs",
            &pcrs,
            "--quote",
            &t.p("all.msg"),
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}
