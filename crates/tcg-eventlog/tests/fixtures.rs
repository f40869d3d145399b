//! Every fixture log parses and re-encodes to the same bytes; replay in tpm2_eventlog mode
//! gives the `pcrs:` section of the golden tpm2_eventlog outputs.

mod common;
use common::*;
use tcg_eventlog::{parse, replay, ReplayMode, ReplayOptions};

#[test]
fn every_fixture_parses_and_round_trips() {
    for p in fixture_logs() {
        let bytes = std::fs::read(&p).unwrap();
        let log = parse(&bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert!(log.events.len() > 1, "{}", p.display());
        assert_eq!(log.encode(), bytes, "{}", p.display());
    }
}

#[test]
fn replay_matches_golden_tpm2_eventlog_pcrs() {
    let opts = ReplayOptions {
        mode: ReplayMode::Tpm2Tools,
        drtm: false,
    };
    for (bin, yaml) in golden_yaml() {
        let log = parse(&std::fs::read(&bin).unwrap()).unwrap();
        let want = yaml_pcrs(&std::fs::read_to_string(&yaml).unwrap());
        assert!(!want.is_empty());
        assert_eq!(replay_pcrs(&replay(&log, &opts)), want, "{}", bin.display());
    }
}

/// The real peer: Debian's `tpm2_eventlog` must be installed (the test fails otherwise) and
/// its `pcrs:` section must equal our replay in its mode for every fixture log.
#[test]
fn replay_matches_installed_tpm2_eventlog_on_every_fixture() {
    let version = std::process::Command::new("tpm2_eventlog")
        .arg("--version")
        .output()
        .expect("tpm2_eventlog (Debian package tpm2-tools) must be installed");
    let version = String::from_utf8_lossy(&version.stdout).to_string();
    assert!(version.contains("version=\"5.4\""), "{version}");
    let opts = ReplayOptions {
        mode: ReplayMode::Tpm2Tools54,
        drtm: false,
    };
    for p in fixture_logs() {
        let out = std::process::Command::new("tpm2_eventlog")
            .arg(&p)
            .output()
            .expect("tpm2_eventlog (Debian package tpm2-tools) must be installed");
        assert!(
            out.status.success(),
            "tpm2_eventlog failed on {}",
            p.display()
        );
        let want = yaml_pcrs(std::str::from_utf8(&out.stdout).unwrap());
        let log = parse(&std::fs::read(&p).unwrap()).unwrap();
        assert_eq!(replay_pcrs(&replay(&log, &opts)), want, "{}", p.display());
    }
}

/// Every event of every fixture decodes: no Malformed data, no malformed variable value
/// and every device path walks to its end.
#[test]
fn every_fixture_event_decodes() {
    use tcg_eventlog::decode::{EventData, VariableValue};
    let mut kinds = std::collections::BTreeMap::new();
    for p in fixture_logs() {
        let log = parse(&std::fs::read(&p).unwrap()).unwrap();
        for e in &log.events {
            let d = e.decode();
            let bad = match &d {
                EventData::Malformed { error } => Some(error.to_string()),
                EventData::UefiVariable(v) => match &v.value {
                    Some(VariableValue::Malformed { error }) => Some(error.to_string()),
                    Some(VariableValue::LoadOption(o)) => {
                        o.file_path.error.as_ref().map(|e| e.to_string())
                    }
                    _ => None,
                },
                EventData::ImageLoad(i) => i.device_path.error.as_ref().map(|e| e.to_string()),
                _ => None,
            };
            assert_eq!(bad, None, "{} event {}: {:?}", p.display(), e.number, d);
            let json = serde_json::to_value(&d).unwrap();
            *kinds
                .entry(json["kind"].as_str().unwrap().to_string())
                .or_insert(0) += 1;
        }
    }
    eprintln!("{kinds:?}");
    for k in [
        "spec_id",
        "text",
        "separator",
        "uefi_variable",
        "image_load",
        "gpt",
    ] {
        assert!(kinds.contains_key(k), "no {k} event decoded");
    }
}
