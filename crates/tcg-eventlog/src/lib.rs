//! TCG PC Client firmware event logs (what the kernel exposes as `binary_bios_measurements`):
//!
//! - [`parse()`]: strict, bounded parsing of SHA-1 legacy logs (TCG_PCR_EVENT) and crypto-agile
//!   logs (the Spec ID Event03 header, then TCG_PCR_EVENT2), including digest algorithms
//!   this crate does not know, sized by the Spec ID event. Parsing never panics and never
//!   allocates more than the input holds; a truncated or lying log gives a [`ParseError`]
//!   naming the byte offset. Unknown event types are kept as raw bytes.
//! - [`Event::decode`]: the common event types as readable fields ([`EventData`]).
//! - [`replay()`]: the PCR values the log implies, per bank, with the platform's start values
//!   ([`ReplayMode::Platform`]) or `tpm2_eventlog`'s ([`ReplayMode::Tpm2Tools`]).
//! - [`verify()`]: the log against a TPM's PCRs — per-PCR verdicts, where a mismatch
//!   starts, and the extends the log does not show (from `pcrUpdateCounter`).
//! - [`ima`]: Linux IMA measurement logs (binary and ASCII), template-hash checks,
//!   `boot_aggregate`, replay into PCR 10.
//! - [`drtm`]: DRTM logs (the TXT event container and the TPM 2.0 form Secure Launch
//!   exposes), replayed into PCRs 17–22 from the DRTM reset.
//! - [`simulate`]: the measurements and logs of a simulated measured boot (UEFI, DRTM, IMA).
//! - [`yaml::render`]: YAML as `tpm2_eventlog` prints it; [`to_json`]: a JSON view.
//!
//! ```
//! use tcg_eventlog::{parse, replay, ReplayOptions};
//! # let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"),
//! #     "/tests/data/tpm2-tools/event-uefiaction.bin")).unwrap();
//! let log = parse(&bytes)?;
//! let pcrs = replay(&log, &ReplayOptions::default());
//! let pcr4 = pcrs.pcr(0x000B, 4).expect("the log extends PCR 4 in the SHA-256 bank");
//! assert_eq!(tcg_eventlog::types::hex(pcr4),
//!            "3f263b96ccbc33bb53d808771f9ab1e02d4dec8854f9530f749cde853a723273");
//! # Ok::<(), tcg_eventlog::ParseError>(())
//! ```
#![forbid(unsafe_code)]

pub mod decode;
pub mod drtm;
pub mod error;
pub mod ima;
pub mod json;
pub mod parse;
mod reader;
pub mod replay;
pub mod simulate;
pub mod types;
pub mod verify;
pub mod yaml;

pub use decode::EventData;
pub use error::{ErrorKind, ParseError};
pub use json::to_json;
pub use parse::{parse, Digest, Encoding, Event, EventLog, LogFormat, SpecId, SpecIdAlgorithm};
pub use replay::{replay, Replay, ReplayMode, ReplayOptions};
pub use types::{alg_name, ev, event_type_name, Guid};
pub use verify::{verify, verify_with_ima, verify_with_ima_ref, TpmPcrs, Verification};
