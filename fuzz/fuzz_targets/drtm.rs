//! DRTM logs (TXT event container, zero-padded crypto-agile buffer): arbitrary bytes into
//! the parser; a parsed crypto-agile buffer re-encodes to its bytes, and decoding,
//! replaying from the DRTM reset and rendering are total.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tcg_eventlog::drtm::{self, DrtmFormat};
use tcg_eventlog::ReplayMode;

fuzz_target!(|data: &[u8]| {
    let Ok(d) = drtm::parse(data) else {
        return;
    };
    if d.format == DrtmFormat::CryptoAgile {
        assert_eq!(
            drtm::encode_crypto_agile(&d.log, data.len()),
            data,
            "re-encodes to its bytes"
        );
    }
    for e in &d.log.events {
        let _ = e.decode();
    }
    for mode in [ReplayMode::Platform, ReplayMode::Tpm2Tools] {
        let _ = drtm::replay_drtm(&d, mode);
    }
    let _ = tcg_eventlog::yaml::render(&d.log, tcg_eventlog::yaml::YamlVersion::V2);
});
