//! ferrotpm's transports: swtpm's data and control channels (TCP, Unix sockets, inherited
//! fds, `SET_DATAFD` fd passing). Transports frame bytes; they never interpret a TPM command.
#![deny(unsafe_code)]

pub mod client;
pub mod conn;
pub mod ctrl;
pub mod ctrl_client;
pub mod instance;
pub mod keyfile;
pub mod mssim;
pub mod notify;
pub mod options;
pub mod persist;
pub mod probe;
pub mod seccomp;
pub mod statekey;
pub mod swtpm;

pub use instance::{Instance, Options};
pub use persist::{MemoryPersistence, PersistError, Persistence, Stored};
