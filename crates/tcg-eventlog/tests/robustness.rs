//! Truncation at every offset and random corruption of every fixture give errors or values,
//! never panics; everything downstream of a successful parse (decode, replay, YAML, JSON)
//! is total too.

mod common;
use common::*;
use proptest::prelude::*;
use std::sync::OnceLock;
use tcg_eventlog::{parse, replay, ErrorKind, EventLog, ReplayMode, ReplayOptions};

fn fixtures() -> &'static Vec<Vec<u8>> {
    static F: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    F.get_or_init(|| {
        fixture_logs()
            .iter()
            .map(|p| std::fs::read(p).unwrap())
            .collect()
    })
}

/// Runs every consumer of a parsed log.
fn exercise(log: &EventLog) {
    for e in &log.events {
        let _ = e.decode();
    }
    for mode in [
        ReplayMode::Platform,
        ReplayMode::Tpm2Tools,
        ReplayMode::Tpm2Tools54,
    ] {
        let _ = replay(log, &ReplayOptions { mode, drtm: false });
    }
    let _ = tcg_eventlog::yaml::render(log, tcg_eventlog::yaml::YamlVersion::V1);
    let _ = tcg_eventlog::yaml::render(log, tcg_eventlog::yaml::YamlVersion::V2);
    let _ = tcg_eventlog::to_json(log, &ReplayOptions::default());
}

/// A prefix of a log parses exactly when it ends on an event boundary, and then gives the
/// events before the cut; otherwise the error is a truncation at or before the cut.
#[test]
fn truncation_at_every_offset() {
    for (bytes, path) in fixtures().iter().zip(fixture_logs()) {
        let full = parse(bytes).unwrap();
        let mut boundaries: Vec<usize> = full.events.iter().map(|e| e.offset).collect();
        boundaries.push(bytes.len());
        for cut in 0..bytes.len() {
            match parse(&bytes[..cut]) {
                Ok(log) => {
                    let n = boundaries
                        .iter()
                        .position(|&b| b == cut)
                        .unwrap_or_else(|| {
                            panic!("{}: prefix {cut} parsed but is no boundary", path.display())
                        });
                    assert_eq!(log.events.len(), n);
                    assert_eq!(log.events[..], full.events[..n]);
                }
                Err(e) => {
                    assert!(e.offset <= cut, "{}: {e} beyond cut {cut}", path.display());
                    assert!(
                        matches!(e.kind, ErrorKind::Truncated { .. } | ErrorKind::Empty),
                        "{}: cut {cut}: {e}",
                        path.display()
                    );
                    assert!(!boundaries.contains(&cut) || cut == 0);
                }
            }
        }
        // Consumers on a sample of prefixes that parse.
        for &b in boundaries.iter().step_by(7) {
            if let Ok(log) = parse(&bytes[..b]) {
                exercise(&log);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Random byte overwrites anywhere in a fixture.
    #[test]
    fn random_byte_corruption(
        which in 0usize..21,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut b = fixtures()[which].clone();
        for (i, v) in edits {
            let i = i.index(b.len());
            b[i] = v;
        }
        if let Ok(log) = parse(&b) {
            exercise(&log);
        }
    }

    /// A random 32-bit value written over a random place: lengths and counts that lie.
    #[test]
    fn lying_lengths(
        which in 0usize..21,
        at in any::<prop::sample::Index>(),
        value in prop_oneof![any::<u32>(), 0u32..64, Just(u32::MAX), Just(0x8000_0000)],
    ) {
        let mut b = fixtures()[which].clone();
        let i = at.index(b.len() - 4);
        b[i..i + 4].copy_from_slice(&value.to_le_bytes());
        match parse(&b) {
            Ok(log) => exercise(&log),
            Err(e) => prop_assert!(e.offset <= b.len()),
        }
    }

    /// Arbitrary bytes, and arbitrary bytes after a valid Spec ID event.
    #[test]
    fn arbitrary_input(tail in proptest::collection::vec(any::<u8>(), 0..600), agile in any::<bool>()) {
        let mut b = Vec::new();
        if agile {
            let full = &fixtures()[20];
            let log = parse(full).unwrap();
            b.extend_from_slice(&full[..log.events[1].offset]);
        }
        b.extend_from_slice(&tail);
        if let Ok(log) = parse(&b) {
            exercise(&log);
        }
    }
}
