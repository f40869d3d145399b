//! The ferrotpm TPM 2.0 engine.
//!
//! One entry point: [`Tpm::execute`]`(locality, command) -> response`. It performs no I/O;
//! entropy and time come from a [`Platform`], state leaves as blobs the caller persists.
#![forbid(unsafe_code)]

mod commands;
mod da;
mod dispatch;
mod drtm;
pub mod object;
pub mod pcr;
pub mod platform;
pub mod ppi;
mod session;
pub mod state;
mod tpm;

pub use dispatch::table::COMMANDS;
pub use drtm::PlatformError;
pub use platform::{OsPlatform, Platform, SimPlatform};
pub use ppi::PpiError;
pub use state::blob::StateError;
pub use tpm::{Outcome, Tpm, MAX_COMMAND_SIZE, MIN_COMMAND_SIZE};
