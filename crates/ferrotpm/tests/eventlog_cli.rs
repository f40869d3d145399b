//! `ferrotpm eventlog show|replay` on a real log: the YAML is tpm2_eventlog's, the replay
//! gives the PCR values tpm2_eventlog computed.

mod common;
use std::path::Path;
use std::process::Command;

fn data(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tcg-eventlog/tests/data")
        .join(rel)
}

fn run(args: &[&str]) -> String {
    let o = Command::new(common::ferrotpm())
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn show_yaml_is_tpm2_eventlogs_and_replay_matches_it() {
    let log = data("tpm2-tools/event-uefivar.bin");
    let golden =
        std::fs::read_to_string(data("tpm2-tools/event-raw/event-uefivar.bin.yaml")).unwrap();
    let yaml = run(&[
        "eventlog",
        "show",
        "--format",
        "yaml",
        "--yaml-version",
        "1",
        log.to_str().unwrap(),
    ]);
    assert_eq!(yaml, golden);
    let table = run(&["eventlog", "replay", "--tpm2-tools", log.to_str().unwrap()]);
    assert!(
        table.contains("7: e58ada1ba75f2e4722b539824598ad5e10c55f2e4aeab2033f3b0a8ee3f3eca6"),
        "{table}"
    );
    let show = run(&["eventlog", "show", log.to_str().unwrap()]);
    assert!(
        show.contains("EV_EFI_VARIABLE_DRIVER_CONFIG") && show.contains("SecureBoot"),
        "{show}"
    );
}

#[test]
fn a_damaged_log_is_an_error_with_its_offset() {
    let bytes = std::fs::read(data("tpm2-tools/event-uefivar.bin")).unwrap();
    let dir = common::TempDir::new("eventlog");
    let cut = dir.path().join("cut.bin");
    std::fs::write(&cut, &bytes[..bytes.len() - 5]).unwrap();
    let o = Command::new(common::ferrotpm())
        .args(["eventlog", "show"])
        .arg(&cut)
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("offset"), "{err}");
}

/// Extends every event of `log` into the TPM at `port` (one PCR_Extend per event with the
/// digests of the banks the log has).
fn extend_log(port: u16, log: &tcg_eventlog::EventLog) {
    let mut c = ferrotpm_server::client::TpmClient::connect(
        &format!("swtpm:host=127.0.0.1,port={port}"),
        std::time::Duration::from_secs(5),
    )
    .unwrap();
    let skip = usize::from(log.spec_id.is_some());
    for e in log.events.iter().skip(skip) {
        if e.event_type == tcg_eventlog::ev::NO_ACTION {
            continue;
        }
        c.call(&pcr_extend(
            e.pcr,
            &e.digests
                .iter()
                .map(|d| (d.alg, d.bytes.clone()))
                .collect::<Vec<_>>(),
        ))
        .map(|r| assert_eq!(&r[6..10], &[0, 0, 0, 0], "PCR_Extend of event {}", e.number))
        .unwrap();
    }
}

fn pcr_extend(pcr: u32, digests: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut c = vec![0x80, 0x02, 0, 0, 0, 0, 0, 0, 0x01, 0x82];
    c.extend_from_slice(&pcr.to_be_bytes());
    c.extend_from_slice(&9u32.to_be_bytes());
    c.extend_from_slice(&[0x40, 0, 0, 9, 0, 0, 1, 0, 0]);
    c.extend_from_slice(&(digests.len() as u32).to_be_bytes());
    for (alg, d) in digests {
        c.extend_from_slice(&alg.to_be_bytes());
        c.extend_from_slice(d);
    }
    let n = c.len() as u32;
    c[2..6].copy_from_slice(&n.to_be_bytes());
    c
}

#[test]
fn verify_against_a_live_tpm_counts_unlogged_extends() {
    let dir = common::TempDir::new("eventlog-verify");
    let (_d, port) = common::start_socket(
        &dir.path().join("state"),
        &["--flags", "not-need-init,startup-clear"],
    );
    let path = data("go-eventlog/ubuntu-2104-no-secure-boot.bin");
    let log = tcg_eventlog::parse(&std::fs::read(&path).unwrap()).unwrap();
    extend_log(port, &log);
    let tpm = format!("swtpm:host=127.0.0.1,port={port}");
    let verify = |extra: &[&str]| {
        let mut args = vec!["eventlog", "verify", path.to_str().unwrap(), "--tpm", &tpm];
        args.extend_from_slice(extra);
        Command::new(common::ferrotpm())
            .args(&args)
            .output()
            .unwrap()
    };
    let o = verify(&[]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("unlogged: 0") && out.trim_end().ends_with("verified"),
        "{out}"
    );
    // An IMA log for PCR 10 (boot_aggregate of the firmware log's PCRs 0-9, one file),
    // extended in every bank as the kernel does: verified with --ima, and without it
    // PCR 10 and the counter show the extends the firmware log does not have.
    let replay = tcg_eventlog::replay(&log, &tcg_eventlog::ReplayOptions::default());
    let mut agg = Vec::new();
    for i in 0..=9 {
        agg.extend_from_slice(
            &replay
                .pcr(0x000B, i)
                .map(|v| v.to_vec())
                .unwrap_or_else(|| vec![0; 32]),
        );
    }
    let agg = tpm2_crypto::digest(tpm2_types::HashAlg::Sha256, &[&agg]);
    let mut ascii = String::new();
    let mut c =
        ferrotpm_server::client::TpmClient::connect(&tpm, std::time::Duration::from_secs(5))
            .unwrap();
    for (name, d) in [
        ("boot_aggregate", agg.clone()),
        ("/usr/bin/true", vec![0x5a; 32]),
    ] {
        let mut data = Vec::new();
        let mut dng = b"sha256:\0".to_vec();
        dng.extend_from_slice(&d);
        data.extend_from_slice(&(dng.len() as u32).to_le_bytes());
        data.extend_from_slice(&dng);
        let mut n = name.as_bytes().to_vec();
        n.push(0);
        data.extend_from_slice(&(n.len() as u32).to_le_bytes());
        data.extend_from_slice(&n);
        let th = tpm2_crypto::digest(tpm2_types::HashAlg::Sha1, &[&data]);
        let hexs = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        ascii.push_str(&format!(
            "10 {} ima-ng sha256:{} {name}\n",
            hexs(&th),
            hexs(&d)
        ));
        let mut digests = vec![(0x0004u16, th.clone())];
        for (alg, h) in [
            (0x000Bu16, tpm2_types::HashAlg::Sha256),
            (0x000C, tpm2_types::HashAlg::Sha384),
            (0x000D, tpm2_types::HashAlg::Sha512),
        ] {
            digests.push((alg, tpm2_crypto::digest(h, &[&data])));
        }
        let r = c.call(&pcr_extend(10, &digests)).unwrap();
        assert_eq!(&r[6..10], &[0, 0, 0, 0]);
    }
    drop(c);
    let ima = dir.path().join("ima.txt");
    std::fs::write(&ima, ascii).unwrap();
    let o = verify(&["--ima", ima.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains("IMA: 2 entries; template hashes ok; boot_aggregate matches"),
        "{out}"
    );
    let o = verify(&[]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("sha256 10  MISMATCH") && out.contains("unlogged: 8"),
        "{out}"
    );

    // One extend nobody logged (the SHA-256 bank of PCR 9): found and counted.
    let mut c =
        ferrotpm_server::client::TpmClient::connect(&tpm, std::time::Duration::from_secs(5))
            .unwrap();
    let r = c.call(&pcr_extend(9, &[(0x000B, vec![0x42; 32])])).unwrap();
    assert_eq!(&r[6..10], &[0, 0, 0, 0]);
    drop(c);
    let o = verify(&["--ima", ima.to_str().unwrap()]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(out.contains("sha256  9  MISMATCH"), "{out}");
    assert!(out.contains("unlogged: 1"), "{out}");
    let o = verify(&["--format", "json", "--ima", ima.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["unlogged_extends"], 1);
    assert_eq!(v["all_match"], false);
    // Against PCR values in a file (tpm2_pcrread's format): no counter there.
    let pcrread = tool_pcrread(port);
    std::fs::write(dir.path().join("pcrs.yaml"), pcrread).unwrap();
    let o = Command::new(common::ferrotpm())
        .args(["eventlog", "verify", path.to_str().unwrap(), "--pcrs"])
        .arg(dir.path().join("pcrs.yaml"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("sha256  9  MISMATCH") && out.contains("no pcrUpdateCounter"),
        "{out}"
    );
}

/// `tpm2_pcrread sha1:all+sha256:all` of the daemon.
fn tool_pcrread(port: u16) -> String {
    common::tool_ok(
        "tpm2_pcrread",
        &[
            "-T",
            &format!("swtpm:host=127.0.0.1,port={port}"),
            "sha1:all+sha256:all",
        ],
    )
}
