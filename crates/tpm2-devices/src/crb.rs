//! The CRB (Command Response Buffer) interface: PTP §6.4/§6.5 "CRB interface", the
//! `TPM_LOC_*_x` locality registers and the `TPM_CRB_*_x` control area, followed in each
//! locality's 4 KiB page by the command/response buffer (one buffer shared by command
//! and response, as QEMU's `tpm-crb`: 3968 bytes at 0x80).
//!
//! Offsets passed to [`Crb::read`] / [`Crb::write`] are relative to the start of the
//! window (0xFED40000 on a PC): locality `l`'s page is `l * 0x1000`. With one locality
//! (QEMU's CRB) the window is 4 KiB; pages of localities the device does not have read
//! all ones and drop writes.
//!
//! Choices where the spec leaves one (documented in the crate report too):
//! - `CapCRBIdleBypass` is 0: `CTRL_START` written while Idle is ignored (software
//!   writes `cmdReady` first, as Linux, EDK2 and SeaBIOS do).
//! - Writes to `CTRL_REQ`, `CTRL_CANCEL`, `CTRL_START`, `INT_*` and the buffer from a
//!   locality that is not active are dropped; reads of the buffer from such a locality
//!   read all ones (the response belongs to the active locality); the status registers
//!   read their value from any locality.
//! - A command whose header size exceeds the buffer is not sent to the TPM: it is
//!   answered `TPM_RC_COMMAND_SIZE`. A size below the header is sent as is (the TPM
//!   answers it).
//! - Any change of the active locality (relinquish, seize) abandons the command or
//!   response in progress and returns the interface to Idle.
//! - `beenSeized` of a locality is cleared by its next `requestAccess` or `relinquish`.
//! - A write setting more than one `LOC_CTRL` or `CTRL_REQ` bit is ignored.
//! - One `INT_ENABLE` / `INT_STS` pair for the device, visible from every page.

use serde::{Deserialize, Serialize};

use crate::locality::LOCALITIES;
use crate::{
    error_response, header_size, lanes, pieces, run, DeviceError, LocalityState, TpmBackend,
    TPM_RC_COMMAND_SIZE,
};

// Register offsets within a locality's page (PTP, CRB interface register space).
/// `TPM_LOC_STATE_x` (32-bit, read-only; shared by all localities).
pub const LOC_STATE: u64 = 0x00;
/// `TPM_LOC_CTRL_x` (32-bit, write-only).
pub const LOC_CTRL: u64 = 0x08;
/// `TPM_LOC_STS_x` (32-bit, read-only, per locality).
pub const LOC_STS: u64 = 0x0C;
/// `TPM_CRB_INTF_ID_x` (64-bit, read-only).
pub const INTF_ID: u64 = 0x30;
/// `TPM_CRB_CTRL_EXT_x` (64-bit; chunked transfers are not offered: reads 0).
pub const CTRL_EXT: u64 = 0x38;
/// `TPM_CRB_CTRL_REQ_x` (32-bit): cmdReady, goIdle.
pub const CTRL_REQ: u64 = 0x40;
/// `TPM_CRB_CTRL_STS_x` (32-bit, read-only): tpmSts, tpmIdle.
pub const CTRL_STS: u64 = 0x44;
/// `TPM_CRB_CTRL_CANCEL_x` (32-bit).
pub const CTRL_CANCEL: u64 = 0x48;
/// `TPM_CRB_CTRL_START_x` (32-bit).
pub const CTRL_START: u64 = 0x4C;
/// `TPM_CRB_INT_ENABLE_x` (32-bit).
pub const INT_ENABLE: u64 = 0x50;
/// `TPM_CRB_INT_STS_x` (32-bit, write 1 to clear).
pub const INT_STS: u64 = 0x54;
/// `TPM_CRB_CTRL_CMD_SIZE_x` (32-bit, read-only here).
pub const CMD_SIZE: u64 = 0x58;
/// `TPM_CRB_CTRL_CMD_LADDR_x` (32-bit, read-only here).
pub const CMD_LADDR: u64 = 0x5C;
/// `TPM_CRB_CTRL_CMD_HADDR_x` (32-bit, read-only here).
pub const CMD_HADDR: u64 = 0x60;
/// `TPM_CRB_CTRL_RSP_SIZE_x` (32-bit, read-only here).
pub const RSP_SIZE: u64 = 0x64;
/// `TPM_CRB_CTRL_RSP_ADDR_x` (64-bit, read-only here).
pub const RSP_ADDR: u64 = 0x68;
/// `TPM_CRB_DATA_BUFFER_x`: the command/response buffer.
pub const DATA_BUFFER: u64 = 0x80;
/// Size of a locality's page.
pub const PAGE_SIZE: u64 = 0x1000;
/// The largest buffer that fits in a page after the control area (and QEMU's size).
pub const MAX_BUFFER_SIZE: usize = (PAGE_SIZE - DATA_BUFFER) as usize;
/// Smallest accepted buffer: a command header.
pub const MIN_BUFFER_SIZE: usize = crate::TPM_HEADER_SIZE;
/// The CRB window's physical address on a PC (used for the addresses it reports).
pub const DEFAULT_BASE_ADDRESS: u64 = 0xFED4_0000;

// TPM_LOC_STATE_x bits.
/// `tpmEstablished`: reads 1 while the TPM-established flag is clear (as QEMU shows).
pub const LOC_STATE_NOT_ESTABLISHED: u32 = 1 << 0;
pub const LOC_STATE_LOC_ASSIGNED: u32 = 1 << 1;
pub const LOC_STATE_ACTIVE_SHIFT: u32 = 2;
pub const LOC_STATE_REG_VALID: u32 = 1 << 7;
// TPM_LOC_CTRL_x bits.
pub const LOC_CTRL_REQUEST_ACCESS: u32 = 1 << 0;
pub const LOC_CTRL_RELINQUISH: u32 = 1 << 1;
pub const LOC_CTRL_SEIZE: u32 = 1 << 2;
pub const LOC_CTRL_RESET_ESTABLISHMENT: u32 = 1 << 3;
// TPM_LOC_STS_x bits.
pub const LOC_STS_GRANTED: u32 = 1 << 0;
pub const LOC_STS_BEEN_SEIZED: u32 = 1 << 1;
// TPM_CRB_CTRL_REQ_x / _STS_x / _CANCEL_x / _START_x bits.
pub const CTRL_REQ_CMD_READY: u32 = 1 << 0;
pub const CTRL_REQ_GO_IDLE: u32 = 1 << 1;
pub const CTRL_STS_TPM_STS: u32 = 1 << 0;
pub const CTRL_STS_TPM_IDLE: u32 = 1 << 1;
pub const CTRL_CANCEL_INVOKE: u32 = 1 << 0;
pub const CTRL_START_INVOKE: u32 = 1 << 0;
// TPM_CRB_INT_ENABLE_x / _STS_x bits.
pub const INT_START: u32 = 1 << 0;
pub const INT_CMD_READY: u32 = 1 << 1;
pub const INT_ESTABLISHMENT_CLEAR: u32 = 1 << 2;
pub const INT_LOCALITY_CHANGE: u32 = 1 << 3;
pub const INT_GLOBAL_ENABLE: u32 = 1 << 31;
const INT_SOURCES: u32 = INT_START | INT_CMD_READY | INT_ESTABLISHMENT_CLEAR | INT_LOCALITY_CHANGE;
// TPM_CRB_INTF_ID_x fields.
/// InterfaceType 1: CRB interface active.
pub const INTF_ID_TYPE_CRB_ACTIVE: u64 = 1;
/// InterfaceVersion 1: CRB.
pub const INTF_ID_VERSION_CRB: u64 = 1 << 4;
/// CapLocality: all five localities.
pub const INTF_ID_CAP_LOCALITY: u64 = 1 << 8;
/// CapDataXferSizeSupport 3: 64-byte transfers.
pub const INTF_ID_XFER_64: u64 = 3 << 11;
/// CapCRB.
pub const INTF_ID_CAP_CRB: u64 = 1 << 14;
/// InterfaceSelector 1: CRB.
pub const INTF_ID_SELECTOR_CRB: u64 = 1 << 17;

/// The device's fixed parameters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrbConfig {
    /// 1 (locality 0 only, as QEMU's CRB) or 5.
    pub localities: u8,
    /// Command/response buffer size, [`MIN_BUFFER_SIZE`]..=[`MAX_BUFFER_SIZE`].
    pub buffer_size: usize,
    /// Guest-physical address of the window (reported in `CMD_*ADDR` / `RSP_ADDR`).
    pub base_address: u64,
    /// Execute on [`Crb::poll`] instead of during the `CTRL_START` write.
    pub deferred: bool,
    /// `INTF_ID` RID, VID, DID.
    pub rid: u8,
    pub vid: u16,
    pub did: u16,
}

impl Default for CrbConfig {
    /// QEMU's `tpm-crb`: locality 0 only, 3968 bytes, at 0xFED40000, VID 0x1014.
    fn default() -> Self {
        CrbConfig {
            localities: 1,
            buffer_size: MAX_BUFFER_SIZE,
            base_address: DEFAULT_BASE_ADDRESS,
            deferred: false,
            rid: 0,
            vid: 0x1014,
            did: 0,
        }
    }
}

impl CrbConfig {
    fn validate(&self) -> Result<(), DeviceError> {
        if self.localities != 1 && self.localities != LOCALITIES as u8 {
            return Err(DeviceError::InvalidConfig("CRB localities must be 1 or 5"));
        }
        if !(MIN_BUFFER_SIZE..=MAX_BUFFER_SIZE).contains(&self.buffer_size) {
            return Err(DeviceError::InvalidConfig("CRB buffer size out of range"));
        }
        Ok(())
    }

    /// The window's size in bytes.
    pub fn window_size(&self) -> u64 {
        self.localities as u64 * PAGE_SIZE
    }

    /// The physical address of locality `l`'s control area (`CTRL_REQ`), the value of
    /// the ACPI TPM2 table's control area field for locality 0.
    pub fn control_area_address(&self, l: u8) -> u64 {
        self.base_address
            .wrapping_add(l as u64 * PAGE_SIZE)
            .wrapping_add(CTRL_REQ)
    }

    /// The physical address of the buffer as locality `l` sees it.
    pub fn buffer_address(&self, l: u8) -> u64 {
        self.base_address
            .wrapping_add(l as u64 * PAGE_SIZE)
            .wrapping_add(DATA_BUFFER)
    }
}

/// Where the interface is (PTP CRB state diagram; Command Reception is Ready with
/// bytes written).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CrbPhase {
    Idle,
    Ready,
    /// `CTRL_START` reads 1: the command in the buffer is being executed.
    Executing,
    /// The response is in the buffer.
    Complete,
}

/// The device's whole state (the backend excluded).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrbState {
    pub config: CrbConfig,
    pub localities: LocalityState,
    pub phase: CrbPhase,
    /// `CTRL_CANCEL` as last written.
    pub cancel: bool,
    pub int_enable: u32,
    pub int_status: u32,
    /// The command/response buffer, `config.buffer_size` bytes.
    pub buffer: Vec<u8>,
}

impl CrbState {
    fn validate(&self) -> Result<(), DeviceError> {
        self.config
            .validate()
            .map_err(|_| DeviceError::InvalidState("configuration"))?;
        self.localities.validate(self.config.localities)?;
        if self.buffer.len() != self.config.buffer_size {
            return Err(DeviceError::InvalidState(
                "buffer size differs from the configuration",
            ));
        }
        if self.phase != CrbPhase::Idle && self.localities.active.is_none() {
            return Err(DeviceError::InvalidState("busy with no locality active"));
        }
        if self.phase == CrbPhase::Executing && !self.config.deferred {
            return Err(DeviceError::InvalidState("executing outside deferred mode"));
        }
        if self.int_enable & !(INT_SOURCES | INT_GLOBAL_ENABLE) != 0
            || self.int_status & !INT_SOURCES != 0
        {
            return Err(DeviceError::InvalidState("reserved interrupt bits set"));
        }
        Ok(())
    }
}

/// The CRB device.
pub struct Crb<B: TpmBackend> {
    s: CrbState,
    backend: B,
}

impl<B: TpmBackend> Crb<B> {
    /// QEMU's CRB ([`CrbConfig::default`]).
    pub fn new(backend: B) -> Self {
        match Self::with_config(CrbConfig::default(), backend) {
            Ok(d) => d,
            Err(_) => unreachable!("the default configuration is valid"),
        }
    }

    pub fn with_config(config: CrbConfig, backend: B) -> Result<Self, DeviceError> {
        config.validate()?;
        let buffer = vec![0; config.buffer_size];
        Ok(Crb {
            s: CrbState {
                config,
                localities: LocalityState::default(),
                phase: CrbPhase::Idle,
                cancel: false,
                int_enable: 0,
                int_status: 0,
                buffer,
            },
            backend,
        })
    }

    /// Restores a snapshot taken by [`Crb::state`]; an inconsistent one is refused.
    pub fn from_state(state: CrbState, backend: B) -> Result<Self, DeviceError> {
        state.validate()?;
        Ok(Crb { s: state, backend })
    }

    pub fn state(&self) -> CrbState {
        self.s.clone()
    }

    pub fn config(&self) -> &CrbConfig {
        &self.s.config
    }

    pub fn backend(&self) -> &B {
        &self.backend
    }

    pub fn backend_mut(&mut self) -> &mut B {
        &mut self.backend
    }

    pub fn into_backend(self) -> B {
        self.backend
    }

    /// Checks the state's invariants (what [`Crb::from_state`] enforces).
    pub fn check(&self) -> Result<(), DeviceError> {
        self.s.validate()
    }

    /// Platform reset: no locality, Idle, interrupts off, buffer cleared.
    pub fn reset(&mut self) {
        let config = self.s.config.clone();
        self.s = CrbState {
            buffer: vec![0; config.buffer_size],
            config,
            localities: LocalityState::default(),
            phase: CrbPhase::Idle,
            cancel: false,
            int_enable: 0,
            int_status: 0,
        };
    }

    /// Whether the interrupt line is asserted (global enable and an enabled source
    /// pending).
    pub fn interrupt_pending(&self) -> bool {
        self.s.int_enable & INT_GLOBAL_ENABLE != 0
            && self.s.int_enable & self.s.int_status & INT_SOURCES != 0
    }

    /// In deferred mode, executes the started command; returns whether one was run.
    pub fn poll(&mut self) -> bool {
        if self.s.phase != CrbPhase::Executing {
            return false;
        }
        self.execute_now();
        true
    }

    /// Reads `data.len()` bytes at `offset` in the window (any size; little endian).
    pub fn read(&mut self, offset: u64, data: &mut [u8]) {
        let est = self.backend.established();
        for (word, lane, n, i) in pieces(offset, data.len()) {
            let out = &mut data[i..i + n];
            match word {
                Some(w) => {
                    let v = self.read_word(w, est);
                    out.copy_from_slice(&v.to_le_bytes()[lane..lane + n]);
                }
                None => out.fill(0xFF),
            }
        }
    }

    /// Writes `data` at `offset` in the window (any size; little endian).
    pub fn write(&mut self, offset: u64, data: &[u8]) {
        for (word, lane, n, i) in pieces(offset, data.len()) {
            if let Some(w) = word {
                let (v, m) = lanes(&data[i..i + n], lane);
                self.write_word(w, v, m);
            }
        }
    }

    fn locate(&self, word: u64) -> Option<(u8, u64)> {
        let page = word / PAGE_SIZE;
        (page < self.s.config.localities as u64).then_some((page as u8, word % PAGE_SIZE))
    }

    fn is_active(&self, l: u8) -> bool {
        self.s.localities.active == Some(l)
    }

    fn read_word(&self, word: u64, established: bool) -> u32 {
        let Some((l, off)) = self.locate(word) else {
            return u32::MAX;
        };
        let c = &self.s.config;
        let intf_id = INTF_ID_TYPE_CRB_ACTIVE
            | INTF_ID_VERSION_CRB
            | if c.localities > 1 {
                INTF_ID_CAP_LOCALITY
            } else {
                0
            }
            | INTF_ID_XFER_64
            | INTF_ID_CAP_CRB
            | INTF_ID_SELECTOR_CRB
            | (c.rid as u64) << 24
            | (c.vid as u64) << 32
            | (c.did as u64) << 48;
        match off {
            LOC_STATE => {
                let mut v = LOC_STATE_REG_VALID;
                if !established {
                    v |= LOC_STATE_NOT_ESTABLISHED;
                }
                if let Some(a) = self.s.localities.active {
                    v |= LOC_STATE_LOC_ASSIGNED | (a as u32) << LOC_STATE_ACTIVE_SHIFT;
                }
                v
            }
            LOC_STS => {
                let mut v = 0;
                if self.is_active(l) {
                    v |= LOC_STS_GRANTED;
                }
                if self.s.localities.seized[l as usize] {
                    v |= LOC_STS_BEEN_SEIZED;
                }
                v
            }
            INTF_ID => intf_id as u32,
            0x34 => (intf_id >> 32) as u32,
            CTRL_STS if self.s.phase == CrbPhase::Idle => CTRL_STS_TPM_IDLE,
            CTRL_STS => 0,
            CTRL_CANCEL => self.s.cancel as u32,
            CTRL_START => (self.s.phase == CrbPhase::Executing) as u32,
            INT_ENABLE => self.s.int_enable,
            INT_STS => self.s.int_status,
            CMD_SIZE | RSP_SIZE => c.buffer_size as u32,
            CMD_LADDR | RSP_ADDR => c.buffer_address(l) as u32,
            CMD_HADDR | 0x6C => (c.buffer_address(l) >> 32) as u32,
            o if o >= DATA_BUFFER => {
                if !self.is_active(l) {
                    return u32::MAX;
                }
                let base = (o - DATA_BUFFER) as usize;
                let mut b = [0u8; 4];
                for (k, out) in b.iter_mut().enumerate() {
                    *out = self.s.buffer.get(base + k).copied().unwrap_or(0);
                }
                u32::from_le_bytes(b)
            }
            // LOC_CTRL, CTRL_REQ and CTRL_EXT read 0; reserved offsets read 0.
            _ => 0,
        }
    }

    fn write_word(&mut self, word: u64, v: u32, mask: u32) {
        let Some((l, off)) = self.locate(word) else {
            return;
        };
        let v = v & mask;
        match off {
            LOC_CTRL => self.loc_ctrl(l, v),
            _ if !self.is_active(l) => {}
            CTRL_REQ => self.ctrl_req(v),
            CTRL_CANCEL if mask & 0xFF != 0 => {
                self.s.cancel = v & CTRL_CANCEL_INVOKE != 0;
                if self.s.cancel && self.s.phase == CrbPhase::Executing {
                    self.backend.cancel();
                }
            }
            CTRL_START if v & CTRL_START_INVOKE != 0 => self.start(),
            INT_ENABLE => {
                let keep = INT_SOURCES | INT_GLOBAL_ENABLE;
                self.s.int_enable = (self.s.int_enable & !mask) | (v & keep);
            }
            INT_STS => self.s.int_status &= !(v & INT_SOURCES),
            o if o >= DATA_BUFFER => {
                if self.s.phase == CrbPhase::Executing {
                    return;
                }
                let base = (o - DATA_BUFFER) as usize;
                for (k, b) in v.to_le_bytes().iter().enumerate() {
                    if mask.to_le_bytes()[k] != 0 {
                        if let Some(slot) = self.s.buffer.get_mut(base + k) {
                            *slot = *b;
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn raise(&mut self, source: u32) {
        if self.s.int_enable & source != 0 {
            self.s.int_status |= source;
        }
    }

    fn loc_ctrl(&mut self, l: u8, v: u32) {
        let changed = match v {
            LOC_CTRL_REQUEST_ACCESS => {
                self.s.localities.seized[l as usize] = false;
                self.s.localities.request(l)
            }
            LOC_CTRL_RELINQUISH => {
                self.s.localities.seized[l as usize] = false;
                self.s.localities.relinquish(l)
            }
            LOC_CTRL_SEIZE => self.s.localities.seize(l),
            LOC_CTRL_RESET_ESTABLISHMENT => {
                if l >= 3 {
                    self.backend.reset_established(l);
                    self.raise(INT_ESTABLISHMENT_CLEAR);
                }
                false
            }
            _ => false,
        };
        if changed {
            if self.s.phase == CrbPhase::Executing {
                self.backend.cancel();
            }
            self.s.phase = CrbPhase::Idle;
            self.s.cancel = false;
            self.raise(INT_LOCALITY_CHANGE);
        }
    }

    fn ctrl_req(&mut self, v: u32) {
        match (v, self.s.phase) {
            (_, CrbPhase::Executing) => {}
            (CTRL_REQ_CMD_READY, _) => {
                self.s.phase = CrbPhase::Ready;
                self.raise(INT_CMD_READY);
            }
            (CTRL_REQ_GO_IDLE, _) => self.s.phase = CrbPhase::Idle,
            _ => {}
        }
    }

    fn start(&mut self) {
        match self.s.phase {
            CrbPhase::Ready | CrbPhase::Complete => {
                self.s.phase = CrbPhase::Executing;
                if !self.s.config.deferred {
                    self.execute_now();
                }
            }
            CrbPhase::Idle | CrbPhase::Executing => {}
        }
    }

    fn execute_now(&mut self) {
        let size = self.s.config.buffer_size;
        let locality = self.s.localities.active.unwrap_or(0);
        let response = match header_size(&self.s.buffer) {
            Some(n) if n as usize > size => error_response(TPM_RC_COMMAND_SIZE),
            Some(n) => run(
                &mut self.backend,
                locality,
                &self.s.buffer[..n as usize],
                size,
            ),
            None => error_response(TPM_RC_COMMAND_SIZE),
        };
        self.s.buffer[..response.len()].copy_from_slice(&response);
        self.s.phase = CrbPhase::Complete;
        self.raise(INT_START);
    }
}
