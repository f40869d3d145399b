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
