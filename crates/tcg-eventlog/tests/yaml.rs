//! Our YAML against the golden tpm2_eventlog outputs of tpm2-tools' test suite.

mod common;
use common::*;
use tcg_eventlog::yaml::{render, YamlVersion};

/// The `--eventlog-version` tpm2-tools' test suite used for each golden file.
fn version_of(bin: &std::path::Path) -> YamlVersion {
    let name = bin.file_name().unwrap().to_str().unwrap();
    match name {
        "event-arch-linux.bin"
        | "event-gce-ubuntu-2104-log.bin"
        | "event-sd-boot-fedora37.bin"
        | "event-moklisttrusted.bin" => YamlVersion::V2,
        _ => YamlVersion::V1,
    }
}

#[test]
fn yaml_matches_golden_outputs_byte_for_byte() {
    let mut failures = Vec::new();
    for (bin, yaml) in golden_yaml() {
        let log = tcg_eventlog::parse(&std::fs::read(&bin).unwrap()).unwrap();
        let ours = render(&log, version_of(&bin));
        let want = std::fs::read_to_string(&yaml).unwrap();
        if ours != want {
            let out = std::env::temp_dir().join(format!(
                "tcg-eventlog-{}",
                yaml.file_name().unwrap().to_str().unwrap()
            ));
            std::fs::write(&out, &ours).unwrap();
            failures.push(format!("{} (ours in {})", yaml.display(), out.display()));
        }
    }
    assert!(failures.is_empty(), "differ: {failures:#?}");
}

/// Drops what Debian's tpm2-tools 5.4 renders differently from the tpm2-tools the golden
/// files come from: the `String:` values of EV_IPL and SbatLevel events (5.4 writes them as
/// a `|-` block, later versions as one escaped double-quoted string) and the `pcrs:` section
/// (5.4 replays differently; the fixtures test compares it with `ReplayMode::Tpm2Tools54`).
fn normalize_for_5_4(yaml: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut skipping = false;
    let mut prev = "";
    for line in yaml.lines() {
        if line == "pcrs:" {
            break;
        }
        let new_event = line.starts_with("- EventNum:")
            || (line.starts_with("  PCRIndex:") && !prev.starts_with("- EventNum:"));
        if new_event {
            skipping = false;
        }
        if line.contains("String: ") {
            skipping = true;
        }
        if !skipping {
            out.push(line);
        }
        prev = line;
    }
    out
}

/// The real peer: our YAML equals what the installed `tpm2_eventlog` prints for every
/// fixture log, in both layouts, after [`normalize_for_5_4`].
#[test]
fn yaml_matches_installed_tpm2_eventlog_on_every_fixture() {
    for p in fixture_logs() {
        let log = tcg_eventlog::parse(&std::fs::read(&p).unwrap()).unwrap();
        for (v, arg) in [(YamlVersion::V1, "1"), (YamlVersion::V2, "2")] {
            let out = std::process::Command::new("tpm2_eventlog")
                .arg(format!("--eventlog-version={arg}"))
                .arg(&p)
                .output()
                .expect("tpm2_eventlog (Debian package tpm2-tools) must be installed");
            assert!(
                out.status.success(),
                "tpm2_eventlog failed on {}",
                p.display()
            );
            let theirs = String::from_utf8(out.stdout).unwrap();
            let ours = render(&log, v);
            let (a, b) = (normalize_for_5_4(&ours), normalize_for_5_4(&theirs));
            assert!(a.len() > 20);
            if a != b {
                let i = a
                    .iter()
                    .zip(&b)
                    .position(|(x, y)| x != y)
                    .unwrap_or(a.len().min(b.len()));
                panic!(
                    "{} v{arg}: line {i} differs:\n ours: {:?}\n them: {:?}",
                    p.display(),
                    a.get(i),
                    b.get(i)
                );
            }
        }
    }
}

/// Where tpm2-tools would stop with an error, the event is printed as hex and rendering
/// goes on; a StartupLocality is decoded in version 2 only.
#[test]
fn undecodable_events_fall_back_to_hex() {
    use tcg_eventlog::ev;
    // SecureBoot with two bytes of data (tpm2-tools: "unexpectedly > 1").
    let mut var = unhex("61dfe48bca93d211aa0d00e098032b8c");
    var.extend_from_slice(&10u64.to_le_bytes());
    var.extend_from_slice(&2u64.to_le_bytes());
    var.extend_from_slice(&utf16("SecureBoot"));
    var.extend_from_slice(&[1, 1]);
    let log = LogBuilder::agile(&[(SHA256, 32)])
        .event(0, ev::NO_ACTION, b"StartupLocality\0\x03")
        .event(7, ev::EFI_VARIABLE_DRIVER_CONFIG, &var)
        .event(0, ev::EFI_PLATFORM_FIRMWARE_BLOB, &[1, 2, 3])
        .event(4, ev::EFI_ACTION, b"line one\nline two")
        .parse();
    let v2 = render(&log, YamlVersion::V2);
    assert!(v2.contains(&format!("  EventSize: 54\n  Event: \"{}\"\n", hex(&var))));
    assert!(v2.contains("  EventSize: 3\n  Event: \"010203\"\n"));
    assert!(v2.contains("  Event:\n    StartupLocality: 3\n"));
    assert!(v2.contains("  Event: |-\n    line one\n    line two\n"));
    let v1 = render(&log, YamlVersion::V1);
    assert!(v1.contains("    UnicodeName: SecureBoot\n    VariableData: \"0101\"\n"));
    assert!(v1.contains(&format!("  Event: \"{}\"\n", hex(b"StartupLocality\0\x03"))));
    // PCR 0 starts at locality 3.
    let mut start = vec![0u8; 32];
    start[31] = 3;
    let pcr0 = sha(SHA256, &[&start, &sha(SHA256, &[&[1, 2, 3]])]);
    assert!(v1.ends_with(&format!(
        "pcrs:\n  sha256:\n    0  : 0x{}\n    4  : 0x{}\n    7  : 0x{}\n",
        hex(&pcr0),
        hex(&sha(
            SHA256,
            &[&[0; 32], &sha(SHA256, &[b"line one\nline two"])]
        )),
        hex(&sha(SHA256, &[&[0; 32], &sha(SHA256, &[&var])]))
    )));
}

fn hex(b: &[u8]) -> String {
    tcg_eventlog::types::hex(b)
}
