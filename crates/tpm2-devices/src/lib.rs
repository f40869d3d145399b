//! Register-level TPM device models a Rust VMM can embed, in the style of rust-vmm's
//! `vm-superio`: a small struct per device with `read(offset, data)` / `write(offset,
//! data)` on its MMIO window, the TPM behind a tiny [`TpmBackend`] trait, and the whole
//! device state as a plain serde value (`state()` / `from_state()`) for snapshots.
//!
//! - [`crb::Crb`]: the Command Response Buffer interface (TCG PC Client Platform TPM
//!   Profile (PTP) specification, CRB interface: `TPM_LOC_*`, `TPM_CRB_*` registers).
//! - [`tis::Tis`]: the FIFO (TIS) interface (PTP, FIFO interface: `TPM_ACCESS_x`,
//!   `TPM_STS_x`, `TPM_DATA_FIFO_x`, ...).
//! - [`acpi`]: the ACPI `TPM2` table and the PPI / `_DSM` / fw_cfg parameters.
//! - [`ppi::PpiRegion`]: the Physical Presence Interface memory region (QEMU's layout),
//!   read and written through the TPM's own PPI state (a [`ppi::PpiBackend`]).
//!
//! Every access is total: any offset, any size, any value, in any state, is answered
//! as hardware would (reads of nothing read all ones, writes that mean nothing are
//! dropped); nothing panics. Commands execute synchronously when the guest starts them,
//! or, with `deferred` set in the device's configuration, when the VMM calls `poll()`.
#![forbid(unsafe_code)]

pub mod acpi;
pub mod crb;
mod locality;
pub mod ppi;
pub mod tis;

pub use locality::LocalityState;

/// The TPM behind a device. Only `execute` is required; the others default to a TPM
/// without cancellation and without DRTM support.
pub trait TpmBackend {
    /// Executes one command received at `locality` (0–4); returns the response.
    fn execute(&mut self, locality: u8, command: &[u8]) -> Vec<u8>;
    /// The guest asked to cancel the command being executed (a hint).
    fn cancel(&mut self) {}
    /// The TPM-established flag (`TPM_ACCESS_x.tpmEstablishment` /
    /// `TPM_LOC_STATE_x.tpmEstablished` read its complement).
    fn established(&mut self) -> bool {
        false
    }
    /// `resetEstablishmentBit` written at `locality` (the TPM accepts it from 3 and 4).
    fn reset_established(&mut self, _locality: u8) {}
    /// `_TPM_Hash_Start` (FIFO: `TPM_HASH_START` written at locality 4).
    fn hash_start(&mut self) {}
    /// `_TPM_Hash_Data` (FIFO: data written to `TPM_HASH_DATA` at locality 4).
    fn hash_data(&mut self, _data: &[u8]) {}
    /// `_TPM_Hash_End` (FIFO: `TPM_HASH_END` written at locality 4).
    fn hash_end(&mut self) {}
}

impl<T: TpmBackend + ?Sized> TpmBackend for Box<T> {
    fn execute(&mut self, locality: u8, command: &[u8]) -> Vec<u8> {
        (**self).execute(locality, command)
    }
    fn cancel(&mut self) {
        (**self).cancel()
    }
    fn established(&mut self) -> bool {
        (**self).established()
    }
    fn reset_established(&mut self, locality: u8) {
        (**self).reset_established(locality)
    }
    fn hash_start(&mut self) {
        (**self).hash_start()
    }
    fn hash_data(&mut self, data: &[u8]) {
        (**self).hash_data(data)
    }
    fn hash_end(&mut self) {
        (**self).hash_end()
    }
}

/// A configuration or snapshot the device refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    #[error("invalid device configuration: {0}")]
    InvalidConfig(&'static str),
    #[error("inconsistent device state: {0}")]
    InvalidState(&'static str),
}

/// `TPM_RC_FAILURE`: the answer when the backend's response cannot be carried (empty,
/// or larger than the interface's buffer).
pub const TPM_RC_FAILURE: u32 = 0x101;
/// `TPM_RC_COMMAND_SIZE`: the answer (CRB) to a command whose header size exceeds the
/// command buffer.
pub const TPM_RC_COMMAND_SIZE: u32 = 0x142;
/// `TPM_ST_NO_SESSIONS`.
const TPM_ST_NO_SESSIONS: u16 = 0x8001;
/// A TPM command/response header: tag (2), size (4), code (4).
pub const TPM_HEADER_SIZE: usize = 10;

/// A 10-byte error response with `rc`.
pub fn error_response(rc: u32) -> Vec<u8> {
    let mut r = Vec::with_capacity(TPM_HEADER_SIZE);
    r.extend_from_slice(&TPM_ST_NO_SESSIONS.to_be_bytes());
    r.extend_from_slice(&(TPM_HEADER_SIZE as u32).to_be_bytes());
    r.extend_from_slice(&rc.to_be_bytes());
    r
}

/// The size field of a command header, once its first six bytes are known.
pub(crate) fn header_size(bytes: &[u8]) -> Option<u32> {
    let b = bytes.get(2..6)?;
    Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

/// Runs `command` on the backend; a response the interface cannot carry (empty, or
/// longer than `max`) becomes `TPM_RC_FAILURE`.
pub(crate) fn run<B: TpmBackend>(
    backend: &mut B,
    locality: u8,
    command: &[u8],
    max: usize,
) -> Vec<u8> {
    let r = backend.execute(locality, command);
    if r.is_empty() || r.len() > max {
        error_response(TPM_RC_FAILURE)
    } else {
        r
    }
}

/// Splits an access of `len` bytes at `offset` into pieces within naturally aligned
/// 32-bit words: `(word address, first byte lane, byte count, index into the data)`.
/// Addresses past `u64::MAX` are `None` (the rest of the access hits nothing).
pub(crate) fn pieces(
    offset: u64,
    len: usize,
) -> impl Iterator<Item = (Option<u64>, usize, usize, usize)> {
    let mut i = 0usize;
    std::iter::from_fn(move || {
        if i >= len {
            return None;
        }
        let start = i;
        match offset.checked_add(i as u64) {
            Some(addr) => {
                let lane = (addr & 3) as usize;
                let n = (4 - lane).min(len - i);
                i += n;
                Some((Some(addr & !3), lane, n, start))
            }
            None => {
                i = len;
                Some((None, 0, len - start, start))
            }
        }
    })
}

/// The value and byte-enable mask of a write piece.
pub(crate) fn lanes(bytes: &[u8], lane: usize) -> (u32, u32) {
    let mut v = [0u8; 4];
    let mut m = [0u8; 4];
    for (k, b) in bytes.iter().enumerate() {
        v[lane + k] = *b;
        m[lane + k] = 0xFF;
    }
    (u32::from_le_bytes(v), u32::from_le_bytes(m))
}
