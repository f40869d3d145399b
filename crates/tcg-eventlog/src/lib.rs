//! TCG PC Client firmware event logs: strict, bounded parsing of SHA-1 legacy and
//! crypto-agile logs ([`parse`]), decoding of the common event types into readable fields
//! ([`Event::decode`]), replay into PCR values per bank that knows the platform's reset rules
//! ([`replay`]), and rendering as `tpm2_eventlog`-compatible YAML ([`yaml`]) or JSON.
//!
//! Parsing never panics and never allocates more than the input's size: a truncated or lying
//! log gives a [`ParseError`] naming the byte offset. Unknown event types and unknown digest
//! algorithms (sized by the Spec ID event) are kept as raw bytes.
#![forbid(unsafe_code)]

pub mod error;
pub mod parse;
mod reader;
pub mod types;

pub use error::{ErrorKind, ParseError};
pub use parse::{parse, Digest, Encoding, Event, EventLog, LogFormat, SpecId, SpecIdAlgorithm};
pub use types::{alg_name, ev, event_type_name, Guid};
pub mod replay;
pub use replay::{replay, Replay, ReplayMode, ReplayOptions};
pub mod decode;
pub use decode::EventData;
pub mod json;
pub mod yaml;
pub use json::to_json;
