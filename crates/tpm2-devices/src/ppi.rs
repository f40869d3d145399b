//! The Physical Presence Interface memory region (QEMU's `tpm-ppi` layout: 0x400 bytes at
//! 0xFED45000, the fields of [`crate::acpi::ppi`]), read and written through the TPM's own
//! PPI state, so a request the OS queues survives a VMM restart with the TPM state.
//!
//! The guest's ACPI `_DSM` (PPI 1.3) reads and writes the region as RAM, byte by byte at
//! unaligned offsets, little endian. Here:
//! - `FUNC[op]` reads the TPM's "user confirmation" value for `op` ([`PpiBackend::
//!   user_confirmation`]: 0 not implemented, 3 a physically present user is required, 4
//!   not required); writes are dropped (the TPM's flags decide, not the guest's or the
//!   firmware's writes).
//! - `PPRQ`/`PPRM` (requested operation and parameter) read the TPM's pending request;
//!   writing either submits the pair to the TPM ([`PpiBackend::submit`]). The `_DSM`
//!   writes `PPRQ` before `PPRM`, so a pair the TPM refuses (SetPCRBanks with a stale
//!   parameter) is kept in the device and read back until a later write makes it
//!   acceptable or [`PpiRegion::reset`] drops it.
//! - `LPPR`/`PPRP` (last operation, its response) read the TPM's record; writes are
//!   dropped: the TPM executes the request itself at the next boot (see the engine's
//!   `ppi` module) and records the result, and firmware reading the region after its
//!   `TPM2_Startup` finds nothing left to execute, so nothing is executed twice.
//! - `PPIN` reads 1 (initialised: the TPM's state is the PPI state, firmware must not
//!   reset it); writes are dropped.
//! - Every other byte (PPIP, FRET, the reserved bytes, next_step, MOVV, the rest of the
//!   page) is plain device RAM, kept in [`PpiRegionState`].
//!
//! Accesses outside the region read all ones and write nothing. A submitted request
//! changes the TPM's permanent state: the backend stores it as it stores any change.

use crate::acpi::ppi::{FUNC, FUNC_SIZE, LPPR, MOVV, PPIN, PPRM, PPRP, PPRQ, SIZE};
use crate::DeviceError;
use serde::{Deserialize, Serialize};

/// The TPM's PPI state as the region shows it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PpiStatus {
    /// The pending operation (0: none) and its parameter.
    pub request: u32,
    pub param: u32,
    /// The last operation executed and its response.
    pub last_op: u32,
    pub last_response: u32,
}

/// The TPM behind the region (for the ferrotpm engine: `Tpm::ppi`, `Tpm::ppi_request`
/// with `confirmed` false — the guest is never the physically present user — and
/// `ppi::user_confirmation`).
pub trait PpiBackend {
    fn status(&mut self) -> PpiStatus;
    /// PPI `_DSM` function 8's value for `op`.
    fn user_confirmation(&mut self, op: u32) -> u8;
    /// Queues `op` with `param` (0 withdraws a request); false if the TPM refuses it.
    fn submit(&mut self, op: u32, param: u32) -> bool;
}

impl<T: PpiBackend + ?Sized> PpiBackend for Box<T> {
    fn status(&mut self) -> PpiStatus {
        (**self).status()
    }
    fn user_confirmation(&mut self, op: u32) -> u8 {
        (**self).user_confirmation(op)
    }
    fn submit(&mut self, op: u32, param: u32) -> bool {
        (**self).submit(op, param)
    }
}

/// The device's own part of the region (snapshots).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PpiRegionState {
    /// The whole page; only the bytes that are plain RAM are used.
    pub ram: Vec<u8>,
    /// A `PPRQ`/`PPRM` pair written but refused by the TPM.
    pub staged: Option<(u32, u32)>,
}

impl Default for PpiRegionState {
    fn default() -> Self {
        PpiRegionState {
            ram: vec![0; SIZE as usize],
            staged: None,
        }
    }
}

/// Where a byte of the region is kept.
enum Field {
    Func(u32),
    Initialised,
    /// A byte of a 32-bit little-endian field backed by the TPM.
    Tpm(TpmField, usize),
    Ram,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum TpmField {
    Response,
    Request,
    Param,
    LastOp,
}

fn field(addr: usize) -> Field {
    let in_u32 = |base: usize| (base..base + 4).contains(&addr);
    if (FUNC..FUNC + FUNC_SIZE).contains(&addr) {
        Field::Func((addr - FUNC) as u32)
    } else if addr == PPIN {
        Field::Initialised
    } else if in_u32(PPRP) {
        Field::Tpm(TpmField::Response, addr - PPRP)
    } else if in_u32(PPRQ) {
        Field::Tpm(TpmField::Request, addr - PPRQ)
    } else if in_u32(PPRM) {
        Field::Tpm(TpmField::Param, addr - PPRM)
    } else if in_u32(LPPR) {
        Field::Tpm(TpmField::LastOp, addr - LPPR)
    } else {
        Field::Ram
    }
}

/// The PPI region.
pub struct PpiRegion<B: PpiBackend> {
    s: PpiRegionState,
    backend: B,
}

impl<B: PpiBackend> PpiRegion<B> {
    pub fn new(backend: B) -> Self {
        PpiRegion {
            s: PpiRegionState::default(),
            backend,
        }
    }

    pub fn from_state(state: PpiRegionState, backend: B) -> Result<Self, DeviceError> {
        if state.ram.len() != SIZE as usize {
            return Err(DeviceError::InvalidState(
                "PPI region RAM is not 0x400 bytes",
            ));
        }
        Ok(PpiRegion { s: state, backend })
    }

    pub fn state(&self) -> PpiRegionState {
        self.s.clone()
    }

    pub fn backend(&self) -> &B {
        &self.backend
    }

    pub fn backend_mut(&mut self) -> &mut B {
        &mut self.backend
    }

    /// A platform reset: a refused request pair is forgotten (the device RAM, like
    /// QEMU's, keeps its contents).
    pub fn reset(&mut self) {
        self.s.staged = None;
    }

    /// MOVV bit 0: the OS asked for memory to be overwritten at the next reset (the
    /// reset-attack mitigation `_DSM`); the VMM acts on it.
    pub fn memory_overwrite_requested(&self) -> bool {
        self.s.ram[MOVV] & 1 != 0
    }

    /// The request pair as the guest sees it: a refused one it wrote, else the TPM's.
    fn pair(&self, st: &PpiStatus) -> (u32, u32) {
        self.s.staged.unwrap_or((st.request, st.param))
    }

    pub fn read(&mut self, offset: u64, data: &mut [u8]) {
        let mut status = None;
        for (i, b) in data.iter_mut().enumerate() {
            let addr = match offset.checked_add(i as u64) {
                Some(a) if a < SIZE => a as usize,
                _ => {
                    *b = 0xFF;
                    continue;
                }
            };
            *b = match field(addr) {
                Field::Func(op) => self.backend.user_confirmation(op),
                Field::Initialised => 1,
                Field::Tpm(f, lane) => {
                    let st = *status.get_or_insert_with(|| self.backend.status());
                    let (rq, rm) = self.pair(&st);
                    let v = match f {
                        TpmField::Response => st.last_response,
                        TpmField::Request => rq,
                        TpmField::Param => rm,
                        TpmField::LastOp => st.last_op,
                    };
                    v.to_le_bytes()[lane]
                }
                Field::Ram => self.s.ram[addr],
            };
        }
    }

    pub fn write(&mut self, offset: u64, data: &[u8]) {
        let mut pair: Option<(u32, u32)> = None;
        for (i, &b) in data.iter().enumerate() {
            let addr = match offset.checked_add(i as u64) {
                Some(a) if a < SIZE => a as usize,
                _ => break,
            };
            match field(addr) {
                Field::Tpm(f @ (TpmField::Request | TpmField::Param), lane) => {
                    let (mut rq, mut rm) = match pair {
                        Some(p) => p,
                        None => {
                            let st = self.backend.status();
                            self.pair(&st)
                        }
                    };
                    let target = if f == TpmField::Request {
                        &mut rq
                    } else {
                        &mut rm
                    };
                    let mut bytes = target.to_le_bytes();
                    bytes[lane] = b;
                    *target = u32::from_le_bytes(bytes);
                    pair = Some((rq, rm));
                }
                Field::Ram => self.s.ram[addr] = b,
                // FUNC, PPIN, PPRP and LPPR are the TPM's.
                Field::Func(_) | Field::Initialised | Field::Tpm(..) => {}
            }
        }
        if let Some((rq, rm)) = pair {
            self.s.staged = if self.backend.submit(rq, rm) {
                None
            } else {
                Some((rq, rm))
            };
        }
    }
}
