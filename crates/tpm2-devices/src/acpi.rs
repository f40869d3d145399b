//! The ACPI `TPM2` table (TCG ACPI specification, "TPM2 ACPI table", revision 4) and
//! the Physical Presence Interface parameters a VMM publishes (PPI memory layout,
//! `_DSM` UUIDs and function numbers, the fw_cfg `etc/tpm/config` file). Only
//! constants and byte layouts; the PPI region's behaviour is [`crate::ppi`].

/// Table signature.
pub const TPM2_SIGNATURE: [u8; 4] = *b"TPM2";
/// Table revision carrying the start-method parameters and the log area fields.
pub const TPM2_REVISION: u8 = 4;
/// Standard ACPI table header size.
pub const ACPI_HEADER_SIZE: usize = 36;
/// Revision-4 table without the log area fields.
pub const TPM2_TABLE_SIZE: usize = 64;
/// Revision-4 table with LAML and LASA.
pub const TPM2_TABLE_SIZE_WITH_LOG: usize = 76;

/// Platform class: client.
pub const PLATFORM_CLASS_CLIENT: u16 = 0;
/// Platform class: server.
pub const PLATFORM_CLASS_SERVER: u16 = 1;

/// Start method 2: ACPI start method.
pub const START_METHOD_ACPI: u32 = 2;
/// Start method 6: memory-mapped FIFO (TIS).
pub const START_METHOD_TIS: u32 = 6;
/// Start method 7: Command Response Buffer.
pub const START_METHOD_CRB: u32 = 7;
/// Start method 8: CRB with the ACPI start method.
pub const START_METHOD_CRB_ACPI: u32 = 8;

/// Default log area minimum length QEMU publishes (64 KiB).
pub const DEFAULT_LOG_AREA_MIN_LENGTH: u32 = 0x10000;

/// ACPI device `_HID` of a TPM 2.0.
pub const TPM2_HID: &str = "MSFT0101";
/// ACPI `_HID` of a TPM 1.2 (for reference).
pub const TPM12_HID: &str = "PNP0C31";

/// The TPM event log area (LAML, LASA).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogArea {
    pub min_length: u32,
    pub start: u64,
}

/// The fields of a `TPM2` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tpm2Table {
    pub oem_id: [u8; 6],
    pub oem_table_id: [u8; 8],
    pub oem_revision: u32,
    pub creator_id: [u8; 4],
    pub creator_revision: u32,
    pub platform_class: u16,
    /// CRB: the physical address of the control area (`CTRL_REQ`); TIS: 0.
    pub control_area: u64,
    pub start_method: u32,
    pub start_method_params: [u8; 12],
    pub log_area: Option<LogArea>,
}

impl Tpm2Table {
    fn base(start_method: u32, control_area: u64) -> Self {
        Tpm2Table {
            oem_id: *b"FERRO ",
            oem_table_id: *b"FERROTPM",
            oem_revision: 1,
            creator_id: *b"FTPM",
            creator_revision: 1,
            platform_class: PLATFORM_CLASS_CLIENT,
            control_area,
            start_method,
            start_method_params: [0; 12],
            log_area: None,
        }
    }

    /// A CRB device whose control area (`CTRL_REQ` of locality 0) is at
    /// `control_area` (0xFED40040 for [`crate::crb::CrbConfig::default`]).
    pub fn crb(control_area: u64) -> Self {
        Self::base(START_METHOD_CRB, control_area)
    }

    /// A FIFO (TIS) device: start method 6, no control area.
    pub fn tis() -> Self {
        Self::base(START_METHOD_TIS, 0)
    }

    pub fn with_log_area(mut self, min_length: u32, start: u64) -> Self {
        self.log_area = Some(LogArea { min_length, start });
        self
    }

    /// The table's bytes, checksum included.
    pub fn to_bytes(&self) -> Vec<u8> {
        let len = if self.log_area.is_some() {
            TPM2_TABLE_SIZE_WITH_LOG
        } else {
            TPM2_TABLE_SIZE
        };
        let mut t = Vec::with_capacity(len);
        t.extend_from_slice(&TPM2_SIGNATURE);
        t.extend_from_slice(&(len as u32).to_le_bytes());
        t.push(TPM2_REVISION);
        t.push(0); // checksum, below
        t.extend_from_slice(&self.oem_id);
        t.extend_from_slice(&self.oem_table_id);
        t.extend_from_slice(&self.oem_revision.to_le_bytes());
        t.extend_from_slice(&self.creator_id);
        t.extend_from_slice(&self.creator_revision.to_le_bytes());
        t.extend_from_slice(&self.platform_class.to_le_bytes());
        t.extend_from_slice(&0u16.to_le_bytes());
        t.extend_from_slice(&self.control_area.to_le_bytes());
        t.extend_from_slice(&self.start_method.to_le_bytes());
        t.extend_from_slice(&self.start_method_params);
        if let Some(log) = self.log_area {
            t.extend_from_slice(&log.min_length.to_le_bytes());
            t.extend_from_slice(&log.start.to_le_bytes());
        }
        t[9] = checksum(&t);
        t
    }
}

/// Offset of the LASA field in a table with a log area (for a firmware linker to patch;
/// the checksum must then be recomputed).
pub const LASA_OFFSET: usize = 68;
/// Offset of the checksum byte in every ACPI table.
pub const CHECKSUM_OFFSET: usize = 9;

/// The byte that makes `bytes` (with 0 in place of the checksum) sum to 0 mod 256.
pub fn checksum(bytes: &[u8]) -> u8 {
    0u8.wrapping_sub(bytes.iter().fold(0u8, |a, &b| a.wrapping_add(b)))
}

/// Whether a whole table sums to 0 mod 256.
pub fn checksum_ok(table: &[u8]) -> bool {
    table.iter().fold(0u8, |a, &b| a.wrapping_add(b)) == 0
}

/// Physical Presence Interface parameters (the PPI 1.3 memory interface QEMU, OVMF and
/// SeaBIOS share).
pub mod ppi {
    /// Guest-physical address of the PPI RAM region on a PC.
    pub const ADDRESS: u64 = 0xFED4_5000;
    /// Size of the region.
    pub const SIZE: u64 = 0x400;

    // Field offsets within the region.
    /// One flag byte per PPI operation 0–255 (written by the firmware at every boot).
    pub const FUNC: usize = 0x000;
    pub const FUNC_SIZE: usize = 0x100;
    /// PPIN: the firmware sets 1 once it initialised the region.
    pub const PPIN: usize = 0x100;
    /// PPIP (u32, unused).
    pub const PPIP: usize = 0x101;
    /// PPRP (u32): result of the last operation.
    pub const PPRP: usize = 0x105;
    /// PPRQ (u32): the operation requested by the OS (`_DSM`).
    pub const PPRQ: usize = 0x109;
    /// PPRM (u32): the requested operation's parameter.
    pub const PPRM: usize = 0x10D;
    /// LPPR (u32): the last operation executed.
    pub const LPPR: usize = 0x111;
    /// FRET (u32, unused).
    pub const FRET: usize = 0x115;
    /// Reserved, 0x40 bytes.
    pub const RESERVED: usize = 0x119;
    /// next_step (u8, firmware).
    pub const NEXT_STEP: usize = 0x159;
    /// MOVV (u8): memory-overwrite request; bit 0 asks for RAM to be cleared at reset.
    pub const MOVV: usize = 0x15A;

    // `FUNC[op]` values (low three bits).
    pub const FUNC_NOT_IMPLEMENTED: u8 = 0;
    pub const FUNC_BIOS_ONLY: u8 = 1;
    pub const FUNC_BLOCKED: u8 = 2;
    pub const FUNC_ALLOWED_USER_REQUIRED: u8 = 3;
    pub const FUNC_ALLOWED_USER_NOT_REQUIRED: u8 = 4;
    pub const FUNC_MASK: u8 = 7;

    // TPM 2.0 PPI operations.
    pub const OP_NO_ACTION: u8 = 0;
    pub const OP_CLEAR: u8 = 5;
    pub const OP_ENABLE_CLEAR: u8 = 14;
    pub const OP_ENABLE_CLEAR_2: u8 = 21;
    pub const OP_ENABLE_CLEAR_3: u8 = 22;
    pub const OP_SET_PCR_BANKS: u8 = 23;
    pub const OP_CHANGE_EPS: u8 = 24;
    pub const OP_LOG_ALL_DIGESTS: u8 = 33;
    pub const OP_ENABLE_BLOCK_SID: u8 = 96;
    pub const OP_DISABLE_BLOCK_SID: u8 = 97;
    /// The operations OVMF offers for a TPM 2.0 (each marked
    /// [`FUNC_ALLOWED_USER_REQUIRED`]).
    pub const OVMF_TPM2_OPERATIONS: [u8; 10] = [
        OP_NO_ACTION,
        OP_CLEAR,
        OP_ENABLE_CLEAR,
        OP_ENABLE_CLEAR_2,
        OP_ENABLE_CLEAR_3,
        OP_SET_PCR_BANKS,
        OP_CHANGE_EPS,
        OP_LOG_ALL_DIGESTS,
        OP_ENABLE_BLOCK_SID,
        OP_DISABLE_BLOCK_SID,
    ];

    /// `_DSM` UUID of the Physical Presence Interface.
    pub const DSM_PPI_UUID: &str = "3DDDFAA6-361B-4EB4-A424-8D10089D1653";
    /// `_DSM` UUID of the memory clear (reset attack mitigation) interface.
    pub const DSM_MEMORY_CLEAR_UUID: &str = "376054ED-CC13-4675-901C-4756D7F2D45D";
    /// PPI version string returned by `_DSM` function 1.
    pub const VERSION: &str = "1.3";

    // PPI `_DSM` function indices.
    pub const DSM_QUERY: u32 = 0;
    pub const DSM_GET_VERSION: u32 = 1;
    pub const DSM_SUBMIT_REQUEST: u32 = 2;
    pub const DSM_GET_PENDING_REQUEST: u32 = 3;
    pub const DSM_GET_TRANSITION_ACTION: u32 = 4;
    pub const DSM_GET_LAST_RESPONSE: u32 = 5;
    pub const DSM_SUBMIT_LANGUAGE: u32 = 6;
    pub const DSM_SUBMIT_REQUEST_2: u32 = 7;
    pub const DSM_GET_USER_CONFIRMATION: u32 = 8;
    /// Memory clear `_DSM` function 1: set the MOR bit (MOVV).
    pub const DSM_MEMORY_CLEAR_SET: u32 = 1;

    /// The fw_cfg file the firmware reads the TPM configuration from.
    pub const FW_CFG_FILE: &str = "etc/tpm/config";
    /// `tpm_version` values.
    pub const TPM_VERSION_1_2: u8 = 1;
    pub const TPM_VERSION_2_0: u8 = 2;
    /// `ppi_version` 1: PPI 1.30.
    pub const PPI_VERSION_1_30: u8 = 1;

    /// The fw_cfg `etc/tpm/config` file (6 bytes, little endian).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct FwCfgTpmConfig {
        pub ppi_address: u32,
        pub tpm_version: u8,
        pub ppi_version: u8,
    }

    impl Default for FwCfgTpmConfig {
        fn default() -> Self {
            FwCfgTpmConfig {
                ppi_address: ADDRESS as u32,
                tpm_version: TPM_VERSION_2_0,
                ppi_version: PPI_VERSION_1_30,
            }
        }
    }

    impl FwCfgTpmConfig {
        pub fn to_bytes(&self) -> [u8; 6] {
            let a = self.ppi_address.to_le_bytes();
            [a[0], a[1], a[2], a[3], self.tpm_version, self.ppi_version]
        }
    }
}
