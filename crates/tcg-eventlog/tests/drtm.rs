//! DRTM logs: the TXT event container (TPM 1.2) and the zero-padded crypto-agile buffer
//! (TPM 2.0) parse back to their events, replay into PCRs 17–22 from the DRTM reset (zero),
//! and every malformation is an error naming its byte offset, never a panic.

use proptest::prelude::*;
use tcg_eventlog::drtm::{self, txt, DrtmFormat, TXT_HEADER};
use tcg_eventlog::parse::{Digest, Encoding, Event, EventLog, LogFormat};
use tcg_eventlog::{simulate, ErrorKind, ReplayMode};
use tpm2_types::HashAlg;

fn sha1(d: &[u8]) -> Vec<u8> {
    tpm2_crypto::digest(HashAlg::Sha1, &[d])
}

/// A TPM 1.2 DRTM log: SINIT's HASH_START, then two events in PCRs 17 and 18.
fn txt_log() -> EventLog {
    let mut events = Vec::new();
    let mut offset = TXT_HEADER;
    for (pcr, t, data) in [
        (17u32, txt::HASH_START, b"sinit".to_vec()),
        (17, txt::LCP_CONTROL_HASH, vec![1, 2, 3, 4]),
        (18, txt::MLE_HASH, b"mle".to_vec()),
    ] {
        let e = Event {
            number: events.len(),
            offset,
            encoding: Encoding::PcrEvent,
            pcr,
            event_type: t,
            digests: vec![Digest {
                alg: 0x0004,
                bytes: sha1(&data),
            }],
            data,
        };
        offset += 32 + e.data.len();
        events.push(e);
    }
    EventLog {
        format: LogFormat::Sha1Legacy,
        spec_id: None,
        events,
    }
}

#[test]
fn txt_container_round_trip_and_replay_from_zero() {
    let log = txt_log();
    let bytes = drtm::encode_txt(&log, 4096);
    assert_eq!(bytes.len(), 4096);
    assert_eq!(&bytes[..20], b"TXT Event Container\0");
    let d = drtm::parse(&bytes).unwrap();
    assert_eq!(d.format, DrtmFormat::TxtContainer);
    assert_eq!(d.log, log);
    let c = d.container.as_ref().unwrap();
    assert_eq!((c.size, c.pcr_events_offset), (4096, 48));
    assert_eq!(d.free, 4096 - c.next_event_offset as usize);
    // PCR 17 from zero: extend(extend(0, d1), d2); PCR 18 extend(0, d3).
    let ext = |v: Vec<u8>, d: &[u8]| tpm2_crypto::digest(HashAlg::Sha1, &[&v, d]);
    let p17 = ext(ext(vec![0; 20], &sha1(b"sinit")), &sha1(&[1, 2, 3, 4]));
    let r = drtm::replay_drtm(&d, ReplayMode::Platform);
    assert_eq!(r.pcr(0x0004, 17), Some(&p17[..]));
    assert_eq!(
        r.pcr(0x0004, 18),
        Some(&ext(vec![0; 20], &sha1(b"mle"))[..])
    );
    // An empty container (no event yet) is a valid log with no events.
    let empty = drtm::encode_txt(
        &EventLog {
            events: vec![],
            ..log
        },
        64,
    );
    assert!(drtm::parse(&empty).unwrap().log.events.is_empty());
}

#[test]
fn crypto_agile_buffer_ends_at_the_zero_padding() {
    let launch = simulate::drtm_launch(9);
    let log = simulate::build_log(&[0x0004, 0x000B], &launch.measurements).unwrap();
    let plain = log.encode();
    let bytes = drtm::encode_crypto_agile(&log, 8192);
    let d = drtm::parse(&bytes).unwrap();
    assert_eq!(d.format, DrtmFormat::CryptoAgile);
    assert_eq!(d.log, log);
    assert_eq!(d.free, 8192 - plain.len());
    // Without padding too.
    assert_eq!(drtm::parse(&plain).unwrap().log, log);
    // The HASH_START event's digest is what _TPM_Hash_End extends: H(the hashed code).
    let h = tpm2_crypto::digest(HashAlg::Sha256, &[&launch.hashed]);
    assert_eq!(d.log.events[1].digest(0x000B), Some(&h[..]));
    let r = drtm::replay_drtm(&d, ReplayMode::Platform);
    let first = tpm2_crypto::digest(HashAlg::Sha256, &[&[0u8; 32][..], &h]);
    assert_ne!(r.pcr(0x000B, 17), Some(&first[..]), "more events follow");
    assert_eq!(r.bank(0x000B).unwrap().pcrs[&17].extends, 5);
}

fn err(bytes: &[u8]) -> (usize, ErrorKind) {
    let e = drtm::parse(bytes).unwrap_err();
    (e.offset, e.kind)
}

#[test]
fn malformed_containers_name_the_offset() {
    let good = drtm::encode_txt(&txt_log(), 512);
    let with = |at: usize, v: &[u8]| {
        let mut b = good.clone();
        b[at..at + v.len()].copy_from_slice(v);
        b
    };
    assert_eq!(err(&with(19, b"!")).0, 19);
    assert_eq!(err(&with(25, &[1])).0, 20);
    assert_eq!(err(&with(32, &[2])).0, 32);
    assert_eq!(err(&with(34, &[1, 1])).0, 34);
    assert_eq!(err(&with(36, &9999u32.to_le_bytes())).0, 36);
    assert_eq!(err(&with(40, &8u32.to_le_bytes())).0, 40);
    assert_eq!(err(&with(44, &600u32.to_le_bytes())).0, 44);
    assert_eq!(err(&with(44, &40u32.to_le_bytes())).0, 44);
    // The header cut short: a truncation at the field.
    let (at, kind) = err(&good[..30]);
    assert_eq!(at, 20);
    assert!(matches!(kind, ErrorKind::Truncated { .. }), "{kind:?}");
    // NextEventOffset inside the last event: that event is truncated where it is cut.
    let log = txt_log();
    let last = log.events.last().unwrap();
    let (at, kind) = err(&with(44, &((last.offset + 30) as u32).to_le_bytes()));
    assert_eq!(at, last.offset + 28);
    assert!(matches!(kind, ErrorKind::Truncated { .. }), "{kind:?}");
    // Garbage: its first "event" claims more data than there is.
    let (at, kind) = err(&[1u8; 64]);
    assert_eq!(at, 32);
    assert!(matches!(kind, ErrorKind::Truncated { .. }), "{kind:?}");
    // SHA-1 events without a container or a Spec ID event: neither form.
    let mut bare = vec![0u8; 64];
    bare[0] = 17;
    bare[4..8].copy_from_slice(&txt::HASH_START.to_le_bytes());
    bare[8] = 0xaa;
    let (at, kind) = err(&bare);
    assert_eq!(at, 0);
    assert!(matches!(kind, ErrorKind::Invalid(_)), "{kind:?}");
    assert!(matches!(err(&[0u8; 64]).1, ErrorKind::Empty));
    // A crypto-agile buffer with an event cut by the end of the buffer.
    let launch = simulate::drtm_launch(1);
    let agile = simulate::build_log(&[0x000B], &launch.measurements)
        .unwrap()
        .encode();
    let e = drtm::parse(&agile[..agile.len() - 3]).unwrap_err();
    assert!(e.offset < agile.len() && e.event.is_some(), "{e}");
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(mut b in proptest::collection::vec(any::<u8>(), 0..600),
                                   head in any::<bool>()) {
        if head {
            let good = drtm::encode_txt(&txt_log(), 300);
            let n = b.len().min(good.len());
            b[..n].copy_from_slice(&good[..n]);
            if n > 50 { b[n / 2] ^= 0x5a; }
        }
        if let Ok(d) = drtm::parse(&b) {
            let _ = drtm::replay_drtm(&d, ReplayMode::Platform);
            for e in &d.log.events { let _ = e.decode(); }
        }
    }
}
