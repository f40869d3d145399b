//! Fixture helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// Every fixture log (both folders), sorted.
pub fn fixture_logs() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for dir in ["tpm2-tools", "go-eventlog"] {
        for e in std::fs::read_dir(data_dir().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "bin") {
                v.push(p);
            }
        }
    }
    v.sort();
    assert_eq!(v.len(), 21, "fixture logs missing from tests/data");
    v
}

/// The golden `tpm2_eventlog` outputs: (log, yaml).
pub fn golden_yaml() -> Vec<(PathBuf, PathBuf)> {
    let dir = data_dir().join("tpm2-tools");
    let mut v = vec![(dir.join("event.bin"), dir.join("event.bin.yaml"))];
    for e in std::fs::read_dir(dir.join("event-raw")).unwrap() {
        let y = e.unwrap().path();
        let name = y.file_name().unwrap().to_str().unwrap();
        let bin = name.strip_suffix(".yaml").unwrap();
        v.push((dir.join(bin), y));
    }
    v.sort();
    assert_eq!(v.len(), 11);
    v
}

/// The `pcrs:` section of tpm2_eventlog YAML: bank name -> pcr -> lower-case hex.
pub fn yaml_pcrs(yaml: &str) -> BTreeMap<String, BTreeMap<u32, String>> {
    let mut out: BTreeMap<String, BTreeMap<u32, String>> = BTreeMap::new();
    let tail = yaml.split("\npcrs:\n").nth(1).expect("no pcrs: section");
    let mut bank = String::new();
    for line in tail.lines() {
        if let Some(b) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':')) {
            if !b.starts_with(' ') {
                bank = b.to_string();
                out.entry(bank.clone()).or_default();
                continue;
            }
        }
        let (idx, val) = line.trim().split_once(':').expect("pcr line");
        let idx: u32 = idx.trim().parse().unwrap();
        let val = val.trim().strip_prefix("0x").unwrap().to_string();
        out.get_mut(&bank).unwrap().insert(idx, val);
    }
    out
}

/// Our replay in the same shape.
pub fn replay_pcrs(r: &tcg_eventlog::Replay) -> BTreeMap<String, BTreeMap<u32, String>> {
    let mut out = BTreeMap::new();
    for b in &r.banks {
        if !b.computed || b.pcrs.is_empty() {
            continue;
        }
        let m = b
            .pcrs
            .iter()
            .map(|(k, v)| (*k, tcg_eventlog::types::hex(&v.value)))
            .collect();
        out.insert(b.name.unwrap().to_string(), m);
    }
    out
}
