//! DRTM event logs, as Intel TXT's SINIT and Linux Secure Launch (TrenchBoot) leave them
//! and the kernel exposes them (`/sys/kernel/security/slaunch/eventlog`): the whole buffer
//! the log was written into.
//!
//! - TPM 1.2 form: the TXT event container (Intel TXT Software Development Guide, "TPM
//!   event log"): a 48-byte header — the 20-byte signature `"TXT Event Container\0"`, 12
//!   reserved zero bytes, container version 1.x, PCR event version 1.x, the container's
//!   allocated size, the offset of the first event and the offset where the next event
//!   would go (all little-endian `u32`) — then SHA-1 TCG_PCR_EVENT records up to that
//!   offset, then free space.
//! - TPM 2.0 form: the TCG crypto-agile format (a Spec ID event, then TCG_PCR_EVENT2
//!   records, PFP §10.2) from the start of the buffer, the rest of the buffer zero.
//!
//! Replay starts PCRs 17–22 at zero, the values `_TPM_Hash_End` leaves before it extends
//! the DRTM measurement (TPM 2.0 Part 1 §34.3; PC Client PTP: PCRs 17–22 are reset by the
//! DRTM sequence).

use crate::error::{ErrorKind, ParseError};
use crate::parse::{parse_region, EventLog};
use crate::reader::Reader;
use crate::replay::{replay, Replay, ReplayMode, ReplayOptions};
use serde::Serialize;

/// Intel TXT / Secure Launch event types (TXT MLE Developer's Guide, Appendix "Event
/// log": EVTYPE_BASE 0x400; Linux Secure Launch uses 0x502).
pub mod txt {
    pub const BASE: u32 = 0x400;
    pub const PCR_MAPPING: u32 = 0x401;
    pub const HASH_START: u32 = 0x402;
    pub const COMBINED_HASH: u32 = 0x403;
    pub const MLE_HASH: u32 = 0x404;
    pub const BIOSAC_REG_DATA: u32 = 0x40a;
    pub const CPU_SCRTM_STAT: u32 = 0x40b;
    pub const LCP_CONTROL_HASH: u32 = 0x40c;
    pub const ELEMENTS_HASH: u32 = 0x40d;
    pub const STM_HASH: u32 = 0x40e;
    pub const OSSINITDATA_CAP_HASH: u32 = 0x40f;
    pub const SINIT_PUBKEY_HASH: u32 = 0x410;
    pub const LCP_HASH: u32 = 0x411;
    pub const LCP_DETAILS_HASH: u32 = 0x412;
    pub const LCP_AUTHORITIES_HASH: u32 = 0x413;
    pub const NV_INFO_HASH: u32 = 0x414;
    pub const COLD_BOOT_BIOS_HASH: u32 = 0x415;
    pub const KM_HASH: u32 = 0x416;
    pub const BPM_HASH: u32 = 0x417;
    pub const KM_INFO_HASH: u32 = 0x418;
    pub const BPM_INFO_HASH: u32 = 0x419;
    pub const BOOT_POL_HASH: u32 = 0x41a;
    pub const RANDOM_VALUE: u32 = 0x4fe;
    pub const CAP_VALUE: u32 = 0x4ff;
    pub const SLAUNCH: u32 = 0x502;

    /// The name of a TXT / Secure Launch event type.
    pub fn event_type_name(t: u32) -> Option<&'static str> {
        Some(match t {
            BASE => "EVTYPE_BASE",
            PCR_MAPPING => "EVTYPE_PCR_MAPPING",
            HASH_START => "EVTYPE_HASH_START",
            COMBINED_HASH => "EVTYPE_COMBINED_HASH",
            MLE_HASH => "EVTYPE_MLE_HASH",
            BIOSAC_REG_DATA => "EVTYPE_BIOSAC_REG_DATA",
            CPU_SCRTM_STAT => "EVTYPE_CPU_SCRTM_STAT",
            LCP_CONTROL_HASH => "EVTYPE_LCP_CONTROL_HASH",
            ELEMENTS_HASH => "EVTYPE_ELEMENTS_HASH",
            STM_HASH => "EVTYPE_STM_HASH",
            OSSINITDATA_CAP_HASH => "EVTYPE_OSSINITDATA_CAP_HASH",
            SINIT_PUBKEY_HASH => "EVTYPE_SINIT_PUBKEY_HASH",
            LCP_HASH => "EVTYPE_LCP_HASH",
            LCP_DETAILS_HASH => "EVTYPE_LCP_DETAILS_HASH",
            LCP_AUTHORITIES_HASH => "EVTYPE_LCP_AUTHORITIES_HASH",
            NV_INFO_HASH => "EVTYPE_NV_INFO_HASH",
            COLD_BOOT_BIOS_HASH => "EVTYPE_COLD_BOOT_BIOS_HASH",
            KM_HASH => "EVTYPE_KM_HASH",
            BPM_HASH => "EVTYPE_BPM_HASH",
            KM_INFO_HASH => "EVTYPE_KM_INFO_HASH",
            BPM_INFO_HASH => "EVTYPE_BPM_INFO_HASH",
            BOOT_POL_HASH => "EVTYPE_BOOT_POL_HASH",
            RANDOM_VALUE => "EVTYPE_RANDOM_VALUE",
            CAP_VALUE => "EVTYPE_CAP_VALUE",
            SLAUNCH => "EVTYPE_SLAUNCH (Secure Launch)",
            _ => return None,
        })
    }
}

/// The signature of the TXT event container.
pub const TXT_SIGNATURE: &[u8; 20] = b"TXT Event Container\0";
/// The size of the TXT event container header.
pub const TXT_HEADER: usize = 48;

/// The header of a TXT event container.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TxtContainer {
    pub container_version: (u8, u8),
    pub pcr_event_version: (u8, u8),
    /// The allocated size of the container.
    pub size: u32,
    pub pcr_events_offset: u32,
    pub next_event_offset: u32,
}

/// Which of the two forms a DRTM log is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DrtmFormat {
    /// The TXT event container with SHA-1 events (TPM 1.2).
    TxtContainer,
    /// The TCG crypto-agile format (TPM 2.0).
    CryptoAgile,
}

/// A parsed DRTM log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DrtmLog {
    pub format: DrtmFormat,
    pub container: Option<TxtContainer>,
    /// The events; offsets are those in the whole buffer.
    pub log: EventLog,
    /// Free bytes after the last event.
    pub free: usize,
}

fn invalid(offset: usize, why: &'static str) -> ParseError {
    ParseError {
        offset,
        event: None,
        kind: ErrorKind::Invalid(why),
    }
}

/// Parses a DRTM log buffer (either form).
pub fn parse(bytes: &[u8]) -> Result<DrtmLog, ParseError> {
    if !bytes.starts_with(&TXT_SIGNATURE[..19]) {
        let (log, end) = parse_region(bytes, 0, true)?;
        if log.format != crate::LogFormat::CryptoAgile {
            return Err(invalid(
                0,
                "neither a TXT event container nor a crypto-agile log (no Spec ID event)",
            ));
        }
        return Ok(DrtmLog {
            format: DrtmFormat::CryptoAgile,
            container: None,
            log,
            free: bytes.len() - end,
        });
    }
    let mut r = Reader::new(bytes);
    let sig = r.array::<20>("TXT container signature")?;
    if &sig != TXT_SIGNATURE {
        return Err(invalid(19, "TXT container signature is not NUL-terminated"));
    }
    let reserved = r.array::<12>("TXT container reserved bytes")?;
    if reserved.iter().any(|b| *b != 0) {
        return Err(invalid(20, "TXT container reserved bytes are not zero"));
    }
    let cv = (r.u8("ContainerVerMajor")?, r.u8("ContainerVerMinor")?);
    if cv.0 != 1 {
        return Err(invalid(32, "TXT container major version is not 1"));
    }
    let ev = (r.u8("PCREventVerMajor")?, r.u8("PCREventVerMinor")?);
    if ev != (1, 0) {
        // The PCR event has no size field of its own: another version cannot be read.
        return Err(invalid(34, "TXT PCR event version is not 1.0"));
    }
    let size = r.u32("ContainerSize")?;
    let first = r.u32("PCREventsOffset")?;
    let next = r.u32("NextEventOffset")?;
    let (size_u, first_u, next_u) = (size as usize, first as usize, next as usize);
    if size_u > bytes.len() {
        return Err(invalid(36, "container size exceeds the log"));
    }
    if first_u < TXT_HEADER || first_u > size_u {
        return Err(invalid(40, "PCREventsOffset outside the container"));
    }
    if next_u < first_u || next_u > size_u {
        return Err(invalid(44, "NextEventOffset outside the events area"));
    }
    let container = TxtContainer {
        container_version: cv,
        pcr_event_version: ev,
        size,
        pcr_events_offset: first,
        next_event_offset: next,
    };
    let log = if next_u == first_u {
        EventLog {
            format: crate::LogFormat::Sha1Legacy,
            spec_id: None,
            events: Vec::new(),
        }
    } else {
        parse_region(&bytes[..next_u], first_u, false)?.0
    };
    Ok(DrtmLog {
        format: DrtmFormat::TxtContainer,
        container: Some(container),
        log,
        free: bytes.len() - next_u,
    })
}

/// A TPM 2.0 DRTM log buffer: `log`'s encoding, zero-filled to `allocated` bytes (at
/// least the log's size).
pub fn encode_crypto_agile(log: &EventLog, allocated: usize) -> Vec<u8> {
    let mut v = log.encode();
    if v.len() < allocated {
        v.resize(allocated, 0);
    }
    v
}

/// A TXT event container of the SHA-1 events of `log`, `allocated` bytes (at least what
/// the events need).
pub fn encode_txt(log: &EventLog, allocated: usize) -> Vec<u8> {
    let events = log.encode();
    let next = TXT_HEADER + events.len();
    let size = allocated.max(next);
    let mut v = Vec::with_capacity(size);
    v.extend_from_slice(TXT_SIGNATURE);
    v.extend_from_slice(&[0; 12]);
    v.extend_from_slice(&[1, 0, 1, 0]);
    v.extend_from_slice(&(size as u32).to_le_bytes());
    v.extend_from_slice(&(TXT_HEADER as u32).to_le_bytes());
    v.extend_from_slice(&(next as u32).to_le_bytes());
    v.extend(events);
    v.resize(size, 0);
    v
}

/// The PCRs (17–22) a DRTM log gives, from the DRTM reset values.
pub fn replay_drtm(log: &DrtmLog, mode: ReplayMode) -> Replay {
    replay(&log.log, &ReplayOptions { mode, drtm: true })
}
