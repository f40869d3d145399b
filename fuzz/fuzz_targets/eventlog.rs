//! Event logs: arbitrary bytes into the parser; a log that parses is decoded, replayed and
//! rendered (YAML, JSON) without a panic, and re-encodes to the bytes it came from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tcg_eventlog::{ReplayMode, ReplayOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(log) = tcg_eventlog::parse(data) else {
        return;
    };
    assert_eq!(log.encode(), data, "a parsed log re-encodes to its bytes");
    for e in &log.events {
        let _ = e.decode();
    }
    for mode in [ReplayMode::Platform, ReplayMode::Tpm2Tools] {
        let _ = tcg_eventlog::replay(&log, &ReplayOptions { mode, drtm: false });
    }
    let _ = tcg_eventlog::yaml::render(&log, tcg_eventlog::yaml::YamlVersion::V2);
    let _ = tcg_eventlog::to_json(
        &log,
        &ReplayOptions {
            mode: ReplayMode::Platform,
            drtm: false,
        },
    );
});
