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

/// Builds logs for tests: a crypto-agile log with the given banks, or a SHA-1 legacy log.
pub struct LogBuilder {
    pub bytes: Vec<u8>,
    banks: Vec<(u16, u16)>,
    agile: bool,
}

pub const SHA1: u16 = 0x0004;
pub const SHA256: u16 = 0x000B;

impl LogBuilder {
    /// A crypto-agile log whose Spec ID event lists `banks` (algorithm, digest size).
    pub fn agile(banks: &[(u16, u16)]) -> Self {
        let mut spec = Vec::new();
        spec.extend_from_slice(b"Spec ID Event03\0");
        spec.extend_from_slice(&0u32.to_le_bytes());
        spec.extend_from_slice(&[0, 2, 0, 2]);
        spec.extend_from_slice(&(banks.len() as u32).to_le_bytes());
        for (a, s) in banks {
            spec.extend_from_slice(&a.to_le_bytes());
            spec.extend_from_slice(&s.to_le_bytes());
        }
        spec.push(0);
        let mut b = LogBuilder {
            bytes: Vec::new(),
            banks: banks.to_vec(),
            agile: false,
        };
        b.legacy_event(0, 3, &[0; 20], &spec);
        b.agile = true;
        b
    }

    pub fn legacy() -> Self {
        LogBuilder {
            bytes: Vec::new(),
            banks: vec![(SHA1, 20)],
            agile: false,
        }
    }

    fn legacy_event(&mut self, pcr: u32, ty: u32, digest: &[u8; 20], data: &[u8]) {
        self.bytes.extend_from_slice(&pcr.to_le_bytes());
        self.bytes.extend_from_slice(&ty.to_le_bytes());
        self.bytes.extend_from_slice(digest);
        self.bytes
            .extend_from_slice(&(data.len() as u32).to_le_bytes());
        self.bytes.extend_from_slice(data);
    }

    /// An event whose digests are the hashes of `data` (a fixed pattern for banks this
    /// crate cannot hash).
    pub fn event(mut self, pcr: u32, ty: u32, data: &[u8]) -> Self {
        let digests: Vec<(u16, Vec<u8>)> = self
            .banks
            .iter()
            .map(|&(a, s)| (a, hash_or_pattern(a, s, data)))
            .collect();
        self.push(pcr, ty, &digests, data);
        self
    }

    /// An event with explicit digests.
    pub fn event_with(
        mut self,
        pcr: u32,
        ty: u32,
        digests: &[(u16, Vec<u8>)],
        data: &[u8],
    ) -> Self {
        self.push(pcr, ty, digests, data);
        self
    }

    fn push(&mut self, pcr: u32, ty: u32, digests: &[(u16, Vec<u8>)], data: &[u8]) {
        if !self.agile {
            let mut d = [0u8; 20];
            d.copy_from_slice(&digests[0].1);
            self.legacy_event(pcr, ty, &d, data);
            return;
        }
        self.bytes.extend_from_slice(&pcr.to_le_bytes());
        self.bytes.extend_from_slice(&ty.to_le_bytes());
        self.bytes
            .extend_from_slice(&(digests.len() as u32).to_le_bytes());
        for (a, d) in digests {
            self.bytes.extend_from_slice(&a.to_le_bytes());
            self.bytes.extend_from_slice(d);
        }
        self.bytes
            .extend_from_slice(&(data.len() as u32).to_le_bytes());
        self.bytes.extend_from_slice(data);
    }

    pub fn parse(&self) -> tcg_eventlog::EventLog {
        tcg_eventlog::parse(&self.bytes).unwrap()
    }
}

pub fn hash_or_pattern(alg: u16, size: u16, data: &[u8]) -> Vec<u8> {
    match tpm2_types::HashAlg::from_id(alg) {
        Some(h) => tpm2_crypto::digest(h, &[data]),
        None => vec![0xa5; size as usize],
    }
}

pub fn sha(alg: u16, parts: &[&[u8]]) -> Vec<u8> {
    tpm2_crypto::digest(tpm2_types::HashAlg::from_id(alg).unwrap(), parts)
}

pub fn utf16(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}
