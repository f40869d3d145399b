//! The FIFO (TIS) interface: PTP §6 "FIFO interface", five 4 KiB register pages, one per
//! locality (locality = offset >> 12), 8/16/32-bit (indeed any size) little-endian
//! accesses, the locality arbitration of `TPM_ACCESS_x` and the command/response state
//! machine of `TPM_STS_x` (Idle, Ready, Command Reception, Command Execution, Command
//! Completion).
//!
//! Choices where the spec leaves one:
//! - Locality 4 behaves as the PTP says a TPM does: it is a locality like the others
//!   and owns `TPM_HASH_START` / `TPM_HASH_DATA` / `TPM_HASH_END`; keeping ordinary
//!   guest cycles away from it is the platform's job (on hardware only the CPU's DRTM
//!   sequence can issue locality-4 cycles). [`TisConfig::qemu`] sets
//!   `drop_locality4_writes`, which drops every locality-4 write as QEMU does, for a VMM
//!   that maps the whole window into an untrusted guest.
//! - Registers of a locality that is not active: `TPM_STS`, `TPM_DATA_FIFO` and
//!   `TPM_XDATA_FIFO` read all ones and drop writes; `TPM_INT_*` read their value and
//!   drop writes; `TPM_ACCESS`, `TPM_INTF_CAPABILITY`, `TPM_INTERFACE_ID`,
//!   `TPM_DID_VID` and `TPM_RID` work from every locality.
//! - `commandReady` written in any state goes to Ready: from Reception and Execution
//!   (deferred mode) it aborts the command, from Completion it discards the response
//!   (the short cut QEMU also takes; Linux writes `commandReady` after every response
//!   and again before the next command only if it reads clear). Idle is entered at
//!   locality changes and reset.
//! - A command whose header size exceeds the FIFO: bytes are accepted until the FIFO is
//!   full, then `burstCount` reads 0 and `expect` stays 1 while further bytes are
//!   dropped; `tpmGo` is ignored until software aborts with `commandReady`.
//!   A header size below 6 counts as 6 (the TPM answers the short command).
//! - Reads of the FIFO with no data available read 0xFF. A write setting more than one
//!   of `commandReady`/`tpmGo`/`responseRetry`, or more than one `TPM_ACCESS` action
//!   bit, is ignored.
//! - Any change of the active locality abandons the command or response in progress
//!   (Idle).

use serde::{Deserialize, Serialize};

use crate::locality::LOCALITIES;
use crate::{header_size, lanes, pieces, run, DeviceError, LocalityState, TpmBackend};

// Register offsets within a locality's page (PTP, FIFO interface register space).
/// `TPM_ACCESS_x` (8-bit).
pub const ACCESS: u64 = 0x000;
/// `TPM_INT_ENABLE_x` (32-bit).
pub const INT_ENABLE: u64 = 0x008;
/// `TPM_INT_VECTOR_x` (8-bit).
pub const INT_VECTOR: u64 = 0x00C;
/// `TPM_INT_STATUS_x` (32-bit, write 1 to clear).
pub const INT_STATUS: u64 = 0x010;
/// `TPM_INTF_CAPABILITY_x` (32-bit, read-only).
pub const INTF_CAPABILITY: u64 = 0x014;
/// `TPM_STS_x` (32-bit; burstCount in bytes 1–2).
pub const STS: u64 = 0x018;
/// `TPM_HASH_END` (locality 4, write).
pub const HASH_END: u64 = 0x020;
/// `TPM_DATA_FIFO_x` (bytes 0x24–0x27); `TPM_HASH_DATA` at locality 4 between
/// `TPM_HASH_START` and `TPM_HASH_END`.
pub const DATA_FIFO: u64 = 0x024;
/// `TPM_HASH_START` (locality 4, write).
pub const HASH_START: u64 = 0x028;
/// `TPM_INTERFACE_ID_x` (32-bit, read-only here).
pub const INTERFACE_ID: u64 = 0x030;
/// `TPM_XDATA_FIFO_x` (0x80–0xBF).
pub const XDATA_FIFO: u64 = 0x080;
pub const XDATA_FIFO_END: u64 = 0x0C0;
/// `TPM_DID_VID_x` (32-bit).
pub const DID_VID: u64 = 0xF00;
/// `TPM_RID_x` (8-bit).
pub const RID: u64 = 0xF04;
pub const PAGE_SIZE: u64 = 0x1000;
/// Five localities.
pub const WINDOW_SIZE: u64 = LOCALITIES as u64 * PAGE_SIZE;
/// QEMU's FIFO size.
pub const MAX_BUFFER_SIZE: usize = 4096;
pub const MIN_BUFFER_SIZE: usize = crate::TPM_HEADER_SIZE;
pub const DEFAULT_BASE_ADDRESS: u64 = 0xFED4_0000;

// TPM_ACCESS_x bits.
/// `tpmEstablishment`: reads 1 while the TPM-established flag is clear.
pub const ACCESS_NOT_ESTABLISHED: u8 = 1 << 0;
pub const ACCESS_REQUEST_USE: u8 = 1 << 1;
pub const ACCESS_PENDING_REQUEST: u8 = 1 << 2;
pub const ACCESS_SEIZE: u8 = 1 << 3;
pub const ACCESS_BEEN_SEIZED: u8 = 1 << 4;
/// Reads: this locality is active; writes: relinquish.
pub const ACCESS_ACTIVE_LOCALITY: u8 = 1 << 5;
pub const ACCESS_REG_VALID: u8 = 1 << 7;
// TPM_STS_x bits.
pub const STS_RESPONSE_RETRY: u32 = 1 << 1;
pub const STS_SELF_TEST_DONE: u32 = 1 << 2;
pub const STS_EXPECT: u32 = 1 << 3;
pub const STS_DATA_AVAIL: u32 = 1 << 4;
pub const STS_GO: u32 = 1 << 5;
pub const STS_COMMAND_READY: u32 = 1 << 6;
pub const STS_VALID: u32 = 1 << 7;
pub const STS_BURST_SHIFT: u32 = 8;
pub const STS_COMMAND_CANCEL: u32 = 1 << 24;
pub const STS_RESET_ESTABLISHMENT: u32 = 1 << 25;
/// tpmFamily 01: TPM 2.0.
pub const STS_FAMILY_TPM2: u32 = 1 << 26;
// TPM_INT_ENABLE_x / TPM_INT_STATUS_x bits.
pub const INT_DATA_AVAIL: u32 = 1 << 0;
pub const INT_STS_VALID: u32 = 1 << 1;
pub const INT_LOCALITY_CHANGE: u32 = 1 << 2;
/// typePolarity (bits 3–4), default 01: low level.
pub const INT_TYPE_MASK: u32 = 3 << 3;
pub const INT_TYPE_LOW_LEVEL: u32 = 1 << 3;
pub const INT_COMMAND_READY: u32 = 1 << 7;
pub const INT_GLOBAL_ENABLE: u32 = 1 << 31;
const INT_SOURCES: u32 = INT_DATA_AVAIL | INT_STS_VALID | INT_LOCALITY_CHANGE | INT_COMMAND_READY;
// TPM_INTF_CAPABILITY_x fields.
/// Interrupt sources supported (dataAvail, stsValid, localityChange, commandReady) and
/// low-level interrupts.
pub const INTF_CAP_INTERRUPTS: u32 = INT_SOURCES | 1 << 4;
/// dataTransferSizeSupport 3: 64-byte transfers (XDATA_FIFO).
pub const INTF_CAP_XFER_64: u32 = 3 << 9;
/// InterfaceVersion 3: FIFO interface for TPM 2.0.
pub const INTF_CAP_VERSION_TPM2: u32 = 3 << 28;
// TPM_INTERFACE_ID_x fields (InterfaceType 0 = FIFO, InterfaceVersion 0).
pub const INTERFACE_ID_CAP_LOCALITY: u32 = 1 << 8;
pub const INTERFACE_ID_CAP_FIFO: u32 = 1 << 13;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TisConfig {
    /// FIFO size ([`MIN_BUFFER_SIZE`]..=[`MAX_BUFFER_SIZE`]).
    pub buffer_size: usize,
    /// Execute on [`Tis::poll`] instead of during the `tpmGo` write.
    pub deferred: bool,
    /// Drop every write to locality 4's page (QEMU's behaviour).
    pub drop_locality4_writes: bool,
    pub vid: u16,
    pub did: u16,
    pub rid: u8,
}

impl Default for TisConfig {
    /// The PTP behaviour with QEMU's identity (VID 0x1014, DID 1, RID 1) and FIFO size.
    fn default() -> Self {
        TisConfig {
            buffer_size: MAX_BUFFER_SIZE,
            deferred: false,
            drop_locality4_writes: false,
            vid: 0x1014,
            did: 0x0001,
            rid: 0x01,
        }
    }
}

impl TisConfig {
    /// QEMU's `tpm-tis`: as the default, and locality-4 writes dropped.
    pub fn qemu() -> Self {
        TisConfig {
            drop_locality4_writes: true,
            ..TisConfig::default()
        }
    }

    fn validate(&self) -> Result<(), DeviceError> {
        if !(MIN_BUFFER_SIZE..=MAX_BUFFER_SIZE).contains(&self.buffer_size) {
            return Err(DeviceError::InvalidConfig("FIFO size out of range"));
        }
        Ok(())
    }
}

/// The states of the PTP FIFO state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TisPhase {
    Idle,
    Ready,
    Reception,
    Execution,
    Completion,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TisState {
    pub config: TisConfig,
    pub localities: LocalityState,
    pub phase: TisPhase,
    /// The command received so far.
    pub command: Vec<u8>,
    /// The response (Completion).
    pub response: Vec<u8>,
    /// Response bytes already read.
    pub read_pos: usize,
    /// Between `TPM_HASH_START` and `TPM_HASH_END`.
    pub hashing: bool,
    pub int_enable: [u32; LOCALITIES],
    pub int_vector: [u8; LOCALITIES],
    pub int_status: [u32; LOCALITIES],
}

impl TisState {
    fn expected(&self) -> Option<usize> {
        header_size(&self.command).map(|n| (n as usize).max(6))
    }

    fn expect(&self) -> bool {
        self.phase == TisPhase::Reception && self.expected().is_none_or(|e| self.command.len() < e)
    }

    fn validate(&self) -> Result<(), DeviceError> {
        use DeviceError::InvalidState as E;
        self.config.validate().map_err(|_| E("configuration"))?;
        self.localities.validate(LOCALITIES as u8)?;
        let max = self.config.buffer_size;
        if self.command.len() > max || self.response.len() > max {
            return Err(E("buffer larger than the FIFO"));
        }
        if self.read_pos > self.response.len() {
            return Err(E("read position past the response"));
        }
        if self.phase != TisPhase::Idle && self.localities.active.is_none() {
            return Err(E("busy with no locality active"));
        }
        let ok = match self.phase {
            TisPhase::Idle | TisPhase::Ready => self.command.is_empty() && self.response.is_empty(),
            TisPhase::Reception => !self.command.is_empty() && self.response.is_empty(),
            TisPhase::Execution => {
                self.config.deferred && !self.expect_complete_fails() && self.response.is_empty()
            }
            TisPhase::Completion => self.command.is_empty() && !self.response.is_empty(),
        };
        if !ok {
            return Err(E("buffers inconsistent with the FIFO state"));
        }
        for k in 0..LOCALITIES {
            if self.int_enable[k] & !(INT_SOURCES | INT_TYPE_MASK | INT_GLOBAL_ENABLE) != 0
                || self.int_status[k] & !INT_SOURCES != 0
                || self.int_vector[k] > 0x0F
            {
                return Err(E("reserved interrupt bits set"));
            }
        }
        Ok(())
    }

    /// A command in Execution must be complete.
    fn expect_complete_fails(&self) -> bool {
        self.expected().is_none_or(|e| self.command.len() != e)
    }
}

/// The FIFO device.
pub struct Tis<B: TpmBackend> {
    s: TisState,
    backend: B,
}

impl<B: TpmBackend> Tis<B> {
    /// [`TisConfig::default`].
    pub fn new(backend: B) -> Self {
        match Self::with_config(TisConfig::default(), backend) {
            Ok(d) => d,
            Err(_) => unreachable!("the default configuration is valid"),
        }
    }

    pub fn with_config(config: TisConfig, backend: B) -> Result<Self, DeviceError> {
        config.validate()?;
        Ok(Tis {
            s: TisState {
                config,
                localities: LocalityState::default(),
                phase: TisPhase::Idle,
                command: Vec::new(),
                response: Vec::new(),
                read_pos: 0,
                hashing: false,
                int_enable: [INT_TYPE_LOW_LEVEL; LOCALITIES],
                int_vector: [0; LOCALITIES],
                int_status: [0; LOCALITIES],
            },
            backend,
        })
    }

    /// Restores a snapshot taken by [`Tis::state`]; an inconsistent one is refused.
    pub fn from_state(state: TisState, backend: B) -> Result<Self, DeviceError> {
        state.validate()?;
        Ok(Tis { s: state, backend })
    }

    pub fn state(&self) -> TisState {
        self.s.clone()
    }

    pub fn config(&self) -> &TisConfig {
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

    /// Checks the state's invariants (what [`Tis::from_state`] enforces).
    pub fn check(&self) -> Result<(), DeviceError> {
        self.s.validate()
    }

    /// Platform reset: no locality, Idle, interrupt registers at their defaults.
    pub fn reset(&mut self) {
        let config = self.s.config.clone();
        let vectors = self.s.int_vector;
        if let Ok(fresh) = Tis::with_config(config, NoBackend) {
            self.s = fresh.s;
            self.s.int_vector = vectors;
        }
    }

    /// Whether the active locality's interrupt is asserted.
    pub fn interrupt_pending(&self) -> bool {
        let Some(a) = self.s.localities.active else {
            return false;
        };
        let (en, st) = (self.s.int_enable[a as usize], self.s.int_status[a as usize]);
        en & INT_GLOBAL_ENABLE != 0 && en & st & INT_SOURCES != 0
    }

    /// In deferred mode, executes the command `tpmGo` started; returns whether one ran.
    pub fn poll(&mut self) -> bool {
        if self.s.phase != TisPhase::Execution {
            return false;
        }
        self.execute_now();
        true
    }

    /// Reads `data.len()` bytes at `offset` in the 20 KiB window.
    pub fn read(&mut self, offset: u64, data: &mut [u8]) {
        for (word, lane, n, i) in pieces(offset, data.len()) {
            let out = &mut data[i..i + n];
            let Some((l, off)) = word.and_then(locate) else {
                out.fill(0xFF);
                continue;
            };
            if is_fifo(off) {
                for b in out.iter_mut() {
                    *b = self.fifo_read(l);
                }
            } else {
                let v = self.read_word(l, off);
                out.copy_from_slice(&v.to_le_bytes()[lane..lane + n]);
            }
        }
    }

    /// Writes `data` at `offset` in the 20 KiB window.
    pub fn write(&mut self, offset: u64, data: &[u8]) {
        for (word, lane, n, i) in pieces(offset, data.len()) {
            let Some((l, off)) = word.and_then(locate) else {
                continue;
            };
            if l == 4 && self.s.config.drop_locality4_writes {
                continue;
            }
            let bytes = &data[i..i + n];
            if is_fifo(off) {
                self.fifo_write(l, off, bytes);
            } else {
                let (v, m) = lanes(bytes, lane);
                self.write_word(l, off, v & m, m);
            }
        }
    }

    fn is_active(&self, l: u8) -> bool {
        self.s.localities.active == Some(l)
    }

    fn burst_count(&self) -> u32 {
        let n = match self.s.phase {
            TisPhase::Ready => self.s.config.buffer_size,
            TisPhase::Reception if self.s.expect() => {
                self.s.config.buffer_size - self.s.command.len()
            }
            TisPhase::Completion => self.s.response.len() - self.s.read_pos,
            _ => 0,
        };
        n.min(0xFFFF) as u32
    }

    fn read_word(&mut self, l: u8, off: u64) -> u32 {
        let li = l as usize;
        match off {
            ACCESS => {
                let loc = &self.s.localities;
                let mut v = ACCESS_REG_VALID;
                if !self.backend.established() {
                    v |= ACCESS_NOT_ESTABLISHED;
                }
                if loc.pending[li] {
                    v |= ACCESS_REQUEST_USE;
                }
                if loc.other_pending(l) {
                    v |= ACCESS_PENDING_REQUEST;
                }
                if loc.seized[li] {
                    v |= ACCESS_BEEN_SEIZED;
                }
                if loc.active == Some(l) {
                    v |= ACCESS_ACTIVE_LOCALITY;
                }
                v as u32
            }
            INT_ENABLE => self.s.int_enable[li],
            INT_VECTOR => self.s.int_vector[li] as u32,
            INT_STATUS => self.s.int_status[li],
            INTF_CAPABILITY => INTF_CAP_INTERRUPTS | INTF_CAP_XFER_64 | INTF_CAP_VERSION_TPM2,
            STS => {
                if !self.is_active(l) {
                    return u32::MAX;
                }
                let mut v = STS_FAMILY_TPM2 | STS_VALID | STS_SELF_TEST_DONE;
                v |= self.burst_count() << STS_BURST_SHIFT;
                match self.s.phase {
                    TisPhase::Ready => v |= STS_COMMAND_READY,
                    TisPhase::Reception if self.s.expect() => v |= STS_EXPECT,
                    TisPhase::Completion if self.s.read_pos < self.s.response.len() => {
                        v |= STS_DATA_AVAIL
                    }
                    _ => {}
                }
                v
            }
            INTERFACE_ID => INTERFACE_ID_CAP_LOCALITY | INTERFACE_ID_CAP_FIFO,
            DID_VID => (self.s.config.did as u32) << 16 | self.s.config.vid as u32,
            RID => self.s.config.rid as u32,
            _ => 0,
        }
    }

    fn write_word(&mut self, l: u8, off: u64, v: u32, mask: u32) {
        let li = l as usize;
        match off {
            ACCESS if mask & 0xFF != 0 => self.access_write(l, v as u8),
            HASH_START if l == 4 => {
                self.s.hashing = true;
                self.backend.hash_start();
            }
            HASH_END if l == 4 && self.s.hashing => {
                self.s.hashing = false;
                self.backend.hash_end();
            }
            _ if !self.is_active(l) => {}
            INT_ENABLE => {
                let keep = INT_SOURCES | INT_TYPE_MASK | INT_GLOBAL_ENABLE;
                self.s.int_enable[li] = (self.s.int_enable[li] & !mask) | (v & keep);
            }
            INT_VECTOR if mask & 0xFF != 0 => self.s.int_vector[li] = (v & 0x0F) as u8,
            INT_STATUS => self.s.int_status[li] &= !(v & INT_SOURCES),
            STS => self.sts_write(l, v, mask),
            _ => {}
        }
    }

    fn access_write(&mut self, l: u8, v: u8) {
        let actions =
            v & (ACCESS_REQUEST_USE | ACCESS_SEIZE | ACCESS_BEEN_SEIZED | ACCESS_ACTIVE_LOCALITY);
        let changed = match actions {
            ACCESS_REQUEST_USE => self.s.localities.request(l),
            ACCESS_ACTIVE_LOCALITY => self.s.localities.relinquish(l),
            ACCESS_SEIZE => self.s.localities.seize(l),
            ACCESS_BEEN_SEIZED => {
                self.s.localities.seized[l as usize] = false;
                false
            }
            _ => false,
        };
        if changed {
            if self.s.phase == TisPhase::Execution {
                self.backend.cancel();
            }
            self.enter_idle();
            if let Some(a) = self.s.localities.active {
                self.raise(a, INT_LOCALITY_CHANGE);
            }
        }
    }

    fn sts_write(&mut self, l: u8, v: u32, mask: u32) {
        if mask & 0xFF != 0 {
            match v & (STS_COMMAND_READY | STS_GO | STS_RESPONSE_RETRY) {
                STS_COMMAND_READY => {
                    if self.s.phase == TisPhase::Execution {
                        self.backend.cancel();
                    }
                    self.enter_idle();
                    self.s.phase = TisPhase::Ready;
                    self.raise(l, INT_COMMAND_READY);
                }
                STS_GO if self.s.phase == TisPhase::Reception && !self.s.expect() => {
                    self.s.phase = TisPhase::Execution;
                    if !self.s.config.deferred {
                        self.execute_now();
                    }
                }
                STS_RESPONSE_RETRY if self.s.phase == TisPhase::Completion => self.s.read_pos = 0,
                _ => {}
            }
        }
        if v & STS_COMMAND_CANCEL != 0 && self.s.phase == TisPhase::Execution {
            self.backend.cancel();
        }
        if v & STS_RESET_ESTABLISHMENT != 0 && l >= 3 {
            self.backend.reset_established(l);
        }
    }

    fn fifo_write(&mut self, l: u8, off: u64, bytes: &[u8]) {
        if l == 4 && self.s.hashing && off < XDATA_FIFO {
            self.backend.hash_data(bytes);
            return;
        }
        if !self.is_active(l) {
            return;
        }
        for &b in bytes {
            match self.s.phase {
                TisPhase::Ready => {
                    self.s.phase = TisPhase::Reception;
                    self.s.command.push(b);
                }
                TisPhase::Reception
                    if self.s.expect() && self.s.command.len() < self.s.config.buffer_size =>
                {
                    self.s.command.push(b);
                    if !self.s.expect() {
                        self.raise(l, INT_STS_VALID);
                    }
                }
                _ => {}
            }
        }
    }

    fn fifo_read(&mut self, l: u8) -> u8 {
        if !self.is_active(l) || self.s.phase != TisPhase::Completion {
            return 0xFF;
        }
        match self.s.response.get(self.s.read_pos) {
            Some(&b) => {
                self.s.read_pos += 1;
                b
            }
            None => 0xFF,
        }
    }

    fn enter_idle(&mut self) {
        self.s.phase = TisPhase::Idle;
        self.s.command.clear();
        self.s.response.clear();
        self.s.read_pos = 0;
    }

    fn raise(&mut self, l: u8, source: u32) {
        let li = l as usize;
        if self.s.int_enable[li] & source != 0 {
            self.s.int_status[li] |= source;
        }
    }

    fn execute_now(&mut self) {
        let locality = self.s.localities.active.unwrap_or(0);
        let command = std::mem::take(&mut self.s.command);
        let response = run(
            &mut self.backend,
            locality,
            &command,
            self.s.config.buffer_size,
        );
        self.s.response = response;
        self.s.read_pos = 0;
        self.s.phase = TisPhase::Completion;
        self.raise(locality, INT_DATA_AVAIL | INT_STS_VALID);
    }
}

/// Locality and in-page offset of a word address in the window.
fn locate(word: u64) -> Option<(u8, u64)> {
    (word < WINDOW_SIZE).then_some(((word / PAGE_SIZE) as u8, word % PAGE_SIZE))
}

fn is_fifo(off: u64) -> bool {
    off == DATA_FIFO || (XDATA_FIFO..XDATA_FIFO_END).contains(&off)
}

/// Used by [`Tis::reset`] to build the initial state.
struct NoBackend;

impl TpmBackend for NoBackend {
    fn execute(&mut self, _locality: u8, _command: &[u8]) -> Vec<u8> {
        Vec::new()
    }
}
