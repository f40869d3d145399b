//! A truncated or lying log gives a precise error: the kind and the byte offset.

mod common;
use common::*;
use tcg_eventlog::{ev, parse, ErrorKind, LogFormat};

fn err(b: &[u8]) -> tcg_eventlog::ParseError {
    parse(b).unwrap_err()
}

#[test]
fn empty_input() {
    let e = err(&[]);
    assert_eq!((e.offset, e.kind), (0, ErrorKind::Empty));
}

#[test]
fn legacy_log_and_its_truncations() {
    let b = LogBuilder::legacy()
        .event(0, ev::S_CRTM_VERSION, &[0, 0])
        .event(4, ev::SEPARATOR, &[0; 4]);
    let log = b.parse();
    assert_eq!(log.format, LogFormat::Sha1Legacy);
    assert_eq!(log.events.len(), 2);
    assert_eq!(log.events[1].offset, 34);
    // Cut inside the second event's digest: the digest starts at 34 + 8.
    let e = err(&b.bytes[..34 + 8 + 5]);
    assert_eq!(e.offset, 42);
    assert_eq!(e.event, Some(1));
    assert_eq!(
        e.kind,
        ErrorKind::Truncated {
            what: "SHA-1 digest",
            needed: 20,
            available: 5
        }
    );
}

#[test]
fn lying_event_size_names_the_data_offset() {
    let mut b = LogBuilder::agile(&[(SHA256, 32)]).event(4, ev::EFI_ACTION, b"hello");
    let second = parse(&b.bytes).unwrap().events[1].offset;
    let size_at = second + 12 + 2 + 32;
    b.bytes[size_at..size_at + 4].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    let e = err(&b.bytes);
    assert_eq!(e.offset, size_at + 4);
    assert_eq!(e.event, Some(1));
    assert_eq!(
        e.kind,
        ErrorKind::Truncated {
            what: "event data",
            needed: 0xffff_fff0,
            available: 5
        }
    );
    assert!(e.to_string().contains(&format!("offset {}", size_at + 4)));
}

#[test]
fn digest_of_an_algorithm_the_spec_id_does_not_list() {
    let b = LogBuilder::agile(&[(SHA256, 32)]).event_with(
        0,
        ev::POST_CODE,
        &[(SHA1, vec![0; 20])],
        b"x",
    );
    // The Spec ID event: 32 bytes of header, 33 of data (one algorithm).
    let second = 32 + 33;
    let e = err(&b.bytes);
    assert_eq!(e.offset, second + 12);
    assert_eq!(e.kind, ErrorKind::UnknownAlgorithm(SHA1));
}

#[test]
fn unknown_algorithms_are_sized_by_the_spec_id_event() {
    let b = LogBuilder::agile(&[(SHA256, 32), (0x7777, 7)]).event(7, 0x1234_5678, b"raw");
    let log = b.parse();
    let e = &log.events[1];
    assert_eq!(e.digest(0x7777), Some(&[0xa5u8; 7][..]));
    assert_eq!(e.data, b"raw");
    assert_eq!(e.decode(), tcg_eventlog::EventData::Raw);
}

/// Replaces bytes of the Spec ID event data (which starts at offset 32).
fn spec_with(patch: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut b = LogBuilder::agile(&[(SHA1, 20), (SHA256, 32)]).bytes;
    patch(&mut b);
    b
}

#[test]
fn spec_id_errors() {
    // numberOfAlgorithms = 0 (the count is at 32 + 24).
    let b = spec_with(|b| {
        b[56..60].copy_from_slice(&0u32.to_le_bytes());
    });
    let e = err(&b);
    assert_eq!(e.offset, 56);
    assert_eq!(e.kind, ErrorKind::BadSpecId("numberOfAlgorithms is 0"));

    // A known algorithm with a wrong size (second entry at 60 + 4).
    let b = spec_with(|b| b[66..68].copy_from_slice(&20u16.to_le_bytes()));
    let e = err(&b);
    assert_eq!(e.offset, 64);
    assert_eq!(
        e.kind,
        ErrorKind::DigestSizeMismatch {
            alg: SHA256,
            stated: 20,
            actual: 32
        }
    );

    // The same algorithm twice.
    let b = spec_with(|b| b[64..66].copy_from_slice(&SHA1.to_le_bytes()));
    assert_eq!(err(&b).kind, ErrorKind::DuplicateAlgorithm(SHA1));

    // numberOfAlgorithms larger than the event holds.
    let b = spec_with(|b| b[56..60].copy_from_slice(&1000u32.to_le_bytes()));
    let e = err(&b);
    assert_eq!(e.offset, 60);
    assert!(matches!(e.kind, ErrorKind::Truncated { needed: 4000, .. }));

    // Not in PCR 0, or a non-zero digest.
    let b = spec_with(|b| b[0] = 1);
    assert_eq!(err(&b).kind, ErrorKind::BadSpecId("PCRIndex is not 0"));
    let b = spec_with(|b| b[20] = 1);
    assert_eq!(err(&b).offset, 8);

    // eventSize larger than the contents: bytes after vendorInfo.
    let b = spec_with(|b| {
        let size = u32::from_le_bytes(b[28..32].try_into().unwrap());
        b[28..32].copy_from_slice(&(size + 1).to_le_bytes());
        b.insert(32 + size as usize, 0);
    });
    let e = err(&b);
    assert!(matches!(e.kind, ErrorKind::BadSpecId(_)));
    // The Spec ID data is 16 + 4 + 4 + 4 + 2 * 4 + 1 = 37 bytes.
    assert_eq!(e.offset, 32 + 37);
}

#[test]
fn a_first_event_that_is_not_the_spec_id_makes_a_legacy_log() {
    let b = LogBuilder::legacy().event(0, ev::NO_ACTION, b"StartupLocality\0\x03");
    assert_eq!(b.parse().format, LogFormat::Sha1Legacy);
}
