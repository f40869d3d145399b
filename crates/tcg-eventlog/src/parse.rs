//! The log structure: SHA-1 legacy logs (a sequence of TCG_PCR_EVENT) and crypto-agile logs
//! (a TCG_PCR_EVENT carrying the Spec ID Event03, then TCG_PCR_EVENT2 records), per TCG PC
//! Client Platform Firmware Profile §10.2.1, §10.2.2 and §10.4.5.1.
//!
//! Every length is checked against what remains before it is used; nothing is allocated from
//! a length field before the bytes it describes have been found in the input.

use crate::error::{ErrorKind, ParseError};
use crate::reader::Reader;
use crate::types::{ev, known_digest_size};
use serde::Serialize;
use tpm2_types::constants::alg;

/// The 16-byte signature of the crypto-agile Spec ID event (PFP §10.4.5.1).
pub const SPEC_ID_EVENT03: &[u8; 16] = b"Spec ID Event03\0";

/// Which of the two log formats a log is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// TCG 1.2 style: every event is a TCG_PCR_EVENT with one SHA-1 digest.
    Sha1Legacy,
    /// TCG 2.0 style: a Spec ID event, then TCG_PCR_EVENT2 records with a digest per bank.
    CryptoAgile,
}

/// How one event is encoded in the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// TCG_PCR_EVENT (PFP §10.2.1): one 20-byte SHA-1 digest.
    PcrEvent,
    /// TCG_PCR_EVENT2 (PFP §10.2.2): a list of digests.
    PcrEvent2,
}

/// One entry of the Spec ID event's `digestSizes` list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SpecIdAlgorithm {
    pub alg: u16,
    pub digest_size: u16,
}

/// TCG_EfiSpecIdEvent (PFP §10.4.5.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SpecId {
    pub platform_class: u32,
    pub spec_version_minor: u8,
    pub spec_version_major: u8,
    pub spec_errata: u8,
    pub uintn_size: u8,
    pub algorithms: Vec<SpecIdAlgorithm>,
    #[serde(serialize_with = "crate::types::ser_hex")]
    pub vendor_info: Vec<u8>,
}

impl SpecId {
    /// The digest size the log uses for `alg`, if the Spec ID event lists it.
    pub fn digest_size(&self, alg: u16) -> Option<u16> {
        self.algorithms
            .iter()
            .find(|a| a.alg == alg)
            .map(|a| a.digest_size)
    }

    /// Parses the event data of the Spec ID event; `base` is its offset in the log.
    pub fn parse(data: &[u8], base: usize, event: Option<usize>) -> Result<SpecId, ParseError> {
        let mut r = Reader::at(data, base, event);
        let sig = r.array::<16>("Spec ID signature")?;
        if &sig != SPEC_ID_EVENT03 {
            return Err(r.error(ErrorKind::BadSpecId("signature is not \"Spec ID Event03\"")));
        }
        let platform_class = r.u32("Spec ID platformClass")?;
        let spec_version_minor = r.u8("Spec ID specVersionMinor")?;
        let spec_version_major = r.u8("Spec ID specVersionMajor")?;
        let spec_errata = r.u8("Spec ID specErrata")?;
        let uintn_size = r.u8("Spec ID uintnSize")?;
        let count_at = r.offset();
        let count = r.u32("Spec ID numberOfAlgorithms")?;
        if count == 0 {
            return Err(ParseError {
                offset: count_at,
                event,
                kind: ErrorKind::BadSpecId("numberOfAlgorithms is 0"),
            });
        }
        // Check the whole list fits before building it.
        let list_at = r.offset();
        let list = r.take(u64::from(count) * 4, "Spec ID digestSizes")?;
        let mut algorithms: Vec<SpecIdAlgorithm> = Vec::with_capacity(list.len() / 4);
        for (i, entry) in list.chunks_exact(4).enumerate() {
            let at = list_at + i * 4;
            let a = SpecIdAlgorithm {
                alg: u16::from_le_bytes([entry[0], entry[1]]),
                digest_size: u16::from_le_bytes([entry[2], entry[3]]),
            };
            let fail = |kind| ParseError {
                offset: at,
                event,
                kind,
            };
            if algorithms.iter().any(|b| b.alg == a.alg) {
                return Err(fail(ErrorKind::DuplicateAlgorithm(a.alg)));
            }
            if let Some(actual) = known_digest_size(a.alg) {
                if actual != a.digest_size {
                    return Err(fail(ErrorKind::DigestSizeMismatch {
                        alg: a.alg,
                        stated: a.digest_size,
                        actual,
                    }));
                }
            }
            algorithms.push(a);
        }
        let vsize = r.u8("Spec ID vendorInfoSize")?;
        let vendor_info = r.take(u64::from(vsize), "Spec ID vendorInfo")?.to_vec();
        if !r.is_empty() {
            return Err(r.error(ErrorKind::BadSpecId(
                "bytes after vendorInfo: eventSize does not match the contents",
            )));
        }
        Ok(SpecId {
            platform_class,
            spec_version_minor,
            spec_version_major,
            spec_errata,
            uintn_size,
            algorithms,
            vendor_info,
        })
    }

    /// The event data this Spec ID event is encoded as.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(33 + 4 * self.algorithms.len() + self.vendor_info.len());
        v.extend_from_slice(SPEC_ID_EVENT03);
        v.extend_from_slice(&self.platform_class.to_le_bytes());
        v.extend_from_slice(&[
            self.spec_version_minor,
            self.spec_version_major,
            self.spec_errata,
            self.uintn_size,
        ]);
        v.extend_from_slice(&(self.algorithms.len() as u32).to_le_bytes());
        for a in &self.algorithms {
            v.extend_from_slice(&a.alg.to_le_bytes());
            v.extend_from_slice(&a.digest_size.to_le_bytes());
        }
        v.push(self.vendor_info.len() as u8);
        v.extend_from_slice(&self.vendor_info);
        v
    }
}

/// One digest of an event: the algorithm id and the bytes (kept whatever the algorithm).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Digest {
    pub alg: u16,
    #[serde(serialize_with = "crate::types::ser_hex")]
    pub bytes: Vec<u8>,
}

/// One event of the log, as recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Event {
    /// 0-based position in the log; the Spec ID event of a crypto-agile log is event 0.
    pub number: usize,
    /// Byte offset of the event's first byte in the log.
    pub offset: usize,
    pub encoding: Encoding,
    pub pcr: u32,
    pub event_type: u32,
    pub digests: Vec<Digest>,
    /// The event data, exactly as logged.
    #[serde(serialize_with = "crate::types::ser_hex")]
    pub data: Vec<u8>,
}

impl Event {
    /// The digest of algorithm `alg`, if the event carries one.
    pub fn digest(&self, alg: u16) -> Option<&[u8]> {
        self.digests
            .iter()
            .find(|d| d.alg == alg)
            .map(|d| d.bytes.as_slice())
    }

    /// Appends the event's encoding to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.pcr.to_le_bytes());
        out.extend_from_slice(&self.event_type.to_le_bytes());
        match self.encoding {
            Encoding::PcrEvent => {
                let mut d = [0u8; 20];
                if let Some(x) = self.digests.first() {
                    let n = x.bytes.len().min(20);
                    d[..n].copy_from_slice(&x.bytes[..n]);
                }
                out.extend_from_slice(&d);
            }
            Encoding::PcrEvent2 => {
                out.extend_from_slice(&(self.digests.len() as u32).to_le_bytes());
                for d in &self.digests {
                    out.extend_from_slice(&d.alg.to_le_bytes());
                    out.extend_from_slice(&d.bytes);
                }
            }
        }
        out.extend_from_slice(&(self.data.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.data);
    }
}

/// A parsed event log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EventLog {
    pub format: LogFormat,
    /// The Spec ID event's contents (crypto-agile logs only; the event itself is `events[0]`).
    pub spec_id: Option<SpecId>,
    pub events: Vec<Event>,
}

impl EventLog {
    /// The log's bytes: parsing them gives this log back.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for e in &self.events {
            e.encode_into(&mut out);
        }
        out
    }

    /// The digest banks the log records, in the order the log lists them.
    pub fn banks(&self) -> Vec<u16> {
        match &self.spec_id {
            Some(s) => s.algorithms.iter().map(|a| a.alg).collect(),
            None => vec![alg::SHA1],
        }
    }
}

/// Reads one TCG_PCR_EVENT (PFP §10.2.1).
fn pcr_event(r: &mut Reader<'_>, number: usize) -> Result<Event, ParseError> {
    let offset = r.offset();
    let pcr = r.u32("PCRIndex")?;
    let event_type = r.u32("EventType")?;
    let digest = r.take(20, "SHA-1 digest")?.to_vec();
    let size = r.u32("EventSize")?;
    let data = r.take(u64::from(size), "event data")?.to_vec();
    Ok(Event {
        number,
        offset,
        encoding: Encoding::PcrEvent,
        pcr,
        event_type,
        digests: vec![Digest {
            alg: alg::SHA1,
            bytes: digest,
        }],
        data,
    })
}

/// Reads one TCG_PCR_EVENT2 (PFP §10.2.2); digest sizes come from the Spec ID event.
fn pcr_event2(r: &mut Reader<'_>, spec: &SpecId, number: usize) -> Result<Event, ParseError> {
    let offset = r.offset();
    let pcr = r.u32("PCRIndex")?;
    let event_type = r.u32("EventType")?;
    let count = r.u32("digest count")?;
    // Each digest takes at least its 2-byte algorithm id, so the list is bounded by the
    // input even if `count` lies; no capacity is reserved from `count`.
    let mut digests = Vec::new();
    for _ in 0..count {
        let at = r.offset();
        let alg = r.u16("digest AlgorithmId")?;
        let Some(size) = spec.digest_size(alg) else {
            return Err(ParseError {
                offset: at,
                event: Some(number),
                kind: ErrorKind::UnknownAlgorithm(alg),
            });
        };
        let bytes = r.take(u64::from(size), "digest")?.to_vec();
        digests.push(Digest { alg, bytes });
    }
    let size = r.u32("EventSize")?;
    let data = r.take(u64::from(size), "event data")?.to_vec();
    Ok(Event {
        number,
        offset,
        encoding: Encoding::PcrEvent2,
        pcr,
        event_type,
        digests,
        data,
    })
}

/// Parses a whole log. The format is recognised from the first event: a TCG_PCR_EVENT of
/// type EV_NO_ACTION whose data begins with "Spec ID Event03" makes the log crypto-agile
/// (PFP §10.4.5.1); anything else is read as a SHA-1 legacy log.
pub fn parse(bytes: &[u8]) -> Result<EventLog, ParseError> {
    parse_region(bytes, 0, false).map(|(log, _)| log)
}

/// Parses the events in `bytes[start..]` (offsets stay those of `bytes`). With
/// `zero_padded`, the events end where only zero bytes remain (the free space of a
/// buffer the log was written into, as DRTM logs are); no event starts with eight zero
/// bytes and a digest count of zero, so the end is unambiguous for crypto-agile logs.
/// Returns the log and the offset where its events end.
pub(crate) fn parse_region(
    bytes: &[u8],
    start: usize,
    zero_padded: bool,
) -> Result<(EventLog, usize), ParseError> {
    let mut r = Reader::new(bytes);
    r.take(start as u64, "log header")?;
    // Where the trailing zero bytes begin.
    let zeros = if zero_padded {
        bytes.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1)
    } else {
        bytes.len()
    };
    let more = |r: &Reader<'_>| !r.is_empty() && r.offset() < zeros;
    if !more(&r) {
        return Err(r.error(ErrorKind::Empty));
    }
    r.event = Some(0);
    let first = pcr_event(&mut r, 0)?;
    let agile = first.event_type == ev::NO_ACTION && first.data.starts_with(SPEC_ID_EVENT03);
    if !agile {
        let mut events = vec![first];
        while more(&r) {
            let n = events.len();
            r.event = Some(n);
            events.push(pcr_event(&mut r, n)?);
        }
        let end = r.offset();
        return Ok((
            EventLog {
                format: LogFormat::Sha1Legacy,
                spec_id: None,
                events,
            },
            end,
        ));
    }
    // The Spec ID event must be in PCR 0 with an all-zero digest (PFP §10.4.5.1).
    if first.pcr != 0 {
        return Err(ParseError {
            offset: first.offset,
            event: Some(0),
            kind: ErrorKind::BadSpecId("PCRIndex is not 0"),
        });
    }
    if first.digests[0].bytes.iter().any(|&b| b != 0) {
        return Err(ParseError {
            offset: first.offset + 8,
            event: Some(0),
            kind: ErrorKind::BadSpecId("digest is not all zero"),
        });
    }
    let spec = SpecId::parse(&first.data, first.offset + 32, Some(0))?;
    let mut events = vec![first];
    while more(&r) {
        let n = events.len();
        r.event = Some(n);
        events.push(pcr_event2(&mut r, &spec, n)?);
    }
    let end = r.offset();
    Ok((
        EventLog {
            format: LogFormat::CryptoAgile,
            spec_id: Some(spec),
            events,
        },
        end,
    ))
}
