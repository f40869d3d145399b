//! A JSON view of a log: every event with its type name, digests, raw data and decoded
//! fields, and the replayed PCRs.

use crate::decode::EventData;
use crate::parse::{EventLog, LogFormat, SpecId};
use crate::replay::{replay, Replay, ReplayOptions};
use crate::types::{alg_name, event_type_name, ser_hex};
use serde::Serialize;

/// One digest, with its algorithm's name.
#[derive(Debug, Serialize)]
pub struct DigestView<'a> {
    pub alg: u16,
    pub alg_name: Option<&'static str>,
    #[serde(serialize_with = "ser_hex")]
    pub digest: &'a [u8],
}

/// One event as the JSON view shows it.
#[derive(Debug, Serialize)]
pub struct EventView<'a> {
    pub number: usize,
    pub offset: usize,
    pub pcr: u32,
    pub event_type: u32,
    pub event_type_name: Option<&'static str>,
    pub digests: Vec<DigestView<'a>>,
    pub size: usize,
    #[serde(serialize_with = "ser_hex")]
    pub data: &'a [u8],
    pub decoded: EventData,
}

/// The whole log as the JSON view shows it.
#[derive(Debug, Serialize)]
pub struct LogView<'a> {
    pub format: LogFormat,
    pub spec_id: Option<&'a SpecId>,
    pub events: Vec<EventView<'a>>,
    pub replay: Replay,
}

/// Builds the view of `log`, replayed with `opts`.
pub fn view<'a>(log: &'a EventLog, opts: &ReplayOptions) -> LogView<'a> {
    LogView {
        format: log.format,
        spec_id: log.spec_id.as_ref(),
        events: log
            .events
            .iter()
            .map(|e| EventView {
                number: e.number,
                offset: e.offset,
                pcr: e.pcr,
                event_type: e.event_type,
                event_type_name: event_type_name(e.event_type),
                digests: e
                    .digests
                    .iter()
                    .map(|d| DigestView {
                        alg: d.alg,
                        alg_name: alg_name(d.alg),
                        digest: &d.bytes,
                    })
                    .collect(),
                size: e.data.len(),
                data: &e.data,
                decoded: e.decode(),
            })
            .collect(),
        replay: replay(log, opts),
    }
}

/// The JSON view of `log` as pretty-printed text.
pub fn to_json(log: &EventLog, opts: &ReplayOptions) -> String {
    // Serializing plain data (strings, numbers, maps with string keys) cannot fail.
    serde_json::to_string_pretty(&view(log, opts)).unwrap_or_default()
}
