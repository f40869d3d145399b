//! The Physical Presence Interface (TCG PC Client Platform Physical Presence Interface
//! Specification 1.3, operations for TPM 2.0) as the TPM's own state.
//!
//! The OS (through a device model's PPI region) or the host (`ferrotpm ppi request`)
//! queues one operation; it executes at the next boot, as firmware executes it: at the
//! next `TPM2_Startup(CLEAR)` that is a TPM Reset, with platform authority, before the
//! PCR banks for that boot are set up (firmware executes the request and resets the
//! platform; this is the Startup after that reset). A TPM Restart (Startup(CLEAR) after
//! Shutdown(STATE), i.e. resuming from hibernation) and a TPM Resume leave it pending, as
//! firmware skips PPI on an S4 resume.
//!
//! An operation whose flag requires a physically present user runs only if the request
//! was confirmed; the confirmation is the host's (`ferrotpm ppi request --confirm`, the
//! control channel's `confirm` bit), never the guest's. An unconfirmed one is dropped
//! and answered `USER_ABORT`, as when the user declines firmware's prompt. Requests reach
//! the engine only through ferrotpm's own paths (the control channel, the device crate's
//! PPI region); a VMM with its own PPI page (QEMU) keeps its firmware executing its own
//! requests, and the engine never sees — so never repeats — them.

use crate::state::{PpiFlags, PpiRequest, PpiState};
use crate::Tpm;
use tpm2_types::structures::{PcrBitmap, TpmsPcrSelection};
use tpm2_types::HashAlg;

/// PPI 1.3 operation codes for TPM 2.0.
pub mod op {
    pub const NO_OPERATION: u32 = 0;
    pub const ENABLE: u32 = 1;
    pub const DISABLE: u32 = 2;
    pub const CLEAR: u32 = 5;
    pub const ENABLE_CLEAR: u32 = 14;
    pub const SET_PP_REQUIRED_FOR_CLEAR_TRUE: u32 = 17;
    pub const SET_PP_REQUIRED_FOR_CLEAR_FALSE: u32 = 18;
    pub const ENABLE_CLEAR_2: u32 = 21;
    pub const ENABLE_CLEAR_3: u32 = 22;
    pub const SET_PCR_BANKS: u32 = 23;
    pub const CHANGE_EPS: u32 = 24;
    pub const SET_PP_REQUIRED_FOR_CHANGE_PCRS_FALSE: u32 = 25;
    pub const SET_PP_REQUIRED_FOR_CHANGE_PCRS_TRUE: u32 = 26;
    pub const SET_PP_REQUIRED_FOR_TURN_ON_FALSE: u32 = 27;
    pub const SET_PP_REQUIRED_FOR_TURN_ON_TRUE: u32 = 28;
    pub const SET_PP_REQUIRED_FOR_TURN_OFF_FALSE: u32 = 29;
    pub const SET_PP_REQUIRED_FOR_TURN_OFF_TRUE: u32 = 30;
    pub const SET_PP_REQUIRED_FOR_CHANGE_EPS_FALSE: u32 = 31;
    pub const SET_PP_REQUIRED_FOR_CHANGE_EPS_TRUE: u32 = 32;
    pub const LOG_ALL_DIGESTS: u32 = 33;
    pub const DISABLE_ENDORSEMENT_ENABLE_STORAGE_HIERARCHY: u32 = 34;
    pub const ENABLE_BLOCK_SID: u32 = 96;
    pub const DISABLE_BLOCK_SID: u32 = 97;
    pub const SET_PP_REQUIRED_FOR_ENABLE_BLOCK_SID_TRUE: u32 = 98;
    pub const SET_PP_REQUIRED_FOR_ENABLE_BLOCK_SID_FALSE: u32 = 99;
    pub const SET_PP_REQUIRED_FOR_DISABLE_BLOCK_SID_TRUE: u32 = 100;
    pub const SET_PP_REQUIRED_FOR_DISABLE_BLOCK_SID_FALSE: u32 = 101;
}

/// Operation responses (PPI "PPRP", `_DSM` function 5): 0 success, 1–0xFFF a TPM
/// response code, or these.
pub mod response {
    pub const SUCCESS: u32 = 0;
    /// The user did not confirm (declined, or was not asked: no confirmation given).
    pub const USER_ABORT: u32 = 0xFFFF_FFF0;
    /// The firmware could not execute the operation.
    pub const FIRMWARE_FAILURE: u32 = 0xFFFF_FFF1;
}

/// "Get User Confirmation Status for Operation" (`_DSM` function 8) values, also the
/// low bits of a PPI region's per-operation flag byte.
pub mod confirmation {
    pub const NOT_IMPLEMENTED: u8 = 0;
    pub const FIRMWARE_ONLY: u8 = 1;
    pub const BLOCKED: u8 = 2;
    pub const PP_REQUIRED: u8 = 3;
    pub const PP_NOT_REQUIRED: u8 = 4;
}

/// Bits of SetPCRBanks' parameter (the TCG EFI protocol's hash-algorithm bitmap).
pub mod banks {
    pub const SHA1: u32 = 0x01;
    pub const SHA256: u32 = 0x02;
    pub const SHA384: u32 = 0x04;
    pub const SHA512: u32 = 0x08;
    pub const SM3_256: u32 = 0x10;
}

/// The bitmap bit of a hash algorithm.
pub fn bank_bit(alg: HashAlg) -> u32 {
    match alg {
        HashAlg::Sha1 => banks::SHA1,
        HashAlg::Sha256 => banks::SHA256,
        HashAlg::Sha384 => banks::SHA384,
        HashAlg::Sha512 => banks::SHA512,
    }
}

/// Every bank this TPM implements, as a bitmap.
pub fn implemented_banks() -> u32 {
    HashAlg::ALL.iter().fold(0, |m, &a| m | bank_bit(a))
}

/// Why a request was refused (`_DSM` function 7's return values 1–3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PpiError {
    #[error("PPI operation {0} is not implemented")]
    NotImplemented(u32),
    #[error("invalid parameter {param:#x} for PPI operation {op}")]
    InvalidParameter { op: u32, param: u32 },
}

impl PpiError {
    /// The `_DSM` "Submit TPM Operation Request" return value.
    pub fn dsm_code(self) -> u32 {
        match self {
            PpiError::NotImplemented(_) => 1,
            PpiError::InvalidParameter { .. } => 2,
        }
    }
}

/// Whether `op` is implemented, and whether it needs a physically present user under
/// `flags`: `None` if it is not implemented.
pub fn needs_confirmation(op: u32, flags: &PpiFlags) -> Option<bool> {
    use op::*;
    Some(match op {
        NO_OPERATION => false,
        CLEAR | ENABLE_CLEAR | ENABLE_CLEAR_2 | ENABLE_CLEAR_3 => flags.pp_required_for_clear,
        SET_PCR_BANKS => flags.pp_required_for_change_pcrs,
        CHANGE_EPS => flags.pp_required_for_change_eps,
        ENABLE_BLOCK_SID => flags.pp_required_for_enable_block_sid,
        DISABLE_BLOCK_SID => flags.pp_required_for_disable_block_sid,
        // Activating every implemented bank loses nothing: no confirmation (as edk2).
        LOG_ALL_DIGESTS => false,
        // Asking for more confirmation never needs it; asking for less always does.
        SET_PP_REQUIRED_FOR_CLEAR_TRUE
        | SET_PP_REQUIRED_FOR_CHANGE_PCRS_TRUE
        | SET_PP_REQUIRED_FOR_TURN_ON_TRUE
        | SET_PP_REQUIRED_FOR_TURN_OFF_TRUE
        | SET_PP_REQUIRED_FOR_CHANGE_EPS_TRUE
        | SET_PP_REQUIRED_FOR_ENABLE_BLOCK_SID_TRUE
        | SET_PP_REQUIRED_FOR_DISABLE_BLOCK_SID_TRUE => false,
        SET_PP_REQUIRED_FOR_CLEAR_FALSE
        | SET_PP_REQUIRED_FOR_CHANGE_PCRS_FALSE
        | SET_PP_REQUIRED_FOR_TURN_ON_FALSE
        | SET_PP_REQUIRED_FOR_TURN_OFF_FALSE
        | SET_PP_REQUIRED_FOR_CHANGE_EPS_FALSE
        | SET_PP_REQUIRED_FOR_ENABLE_BLOCK_SID_FALSE
        | SET_PP_REQUIRED_FOR_DISABLE_BLOCK_SID_FALSE => true,
        // Enable, Disable and DisableEndorsement_EnableStorageHierarchy need a TPM
        // state the firmware enforces at every boot, which this TPM does not model.
        _ => return None,
    })
}

/// `_DSM` function 8 for `op` under `flags` (and a PPI region's flag byte for it).
pub fn user_confirmation(op: u32, flags: &PpiFlags) -> u8 {
    match needs_confirmation(op, flags) {
        None => confirmation::NOT_IMPLEMENTED,
        Some(true) => confirmation::PP_REQUIRED,
        Some(false) => confirmation::PP_NOT_REQUIRED,
    }
}

impl Tpm {
    /// The PPI state: pending request, last operation and response, flags.
    pub fn ppi(&self) -> &PpiState {
        &self.perm.ppi
    }

    /// Queues `op` (with `param`) for the next boot, replacing any pending request;
    /// operation 0 (NoOperation) withdraws it. `confirmed`: a physically present user
    /// (the host) has confirmed it. Stored in permanent state (so it is dirty).
    pub fn ppi_request(&mut self, op: u32, param: u32, confirmed: bool) -> Result<(), PpiError> {
        needs_confirmation(op, &self.perm.ppi.flags).ok_or(PpiError::NotImplemented(op))?;
        if op == op::SET_PCR_BANKS && (param == 0 || param & !implemented_banks() != 0) {
            return Err(PpiError::InvalidParameter { op, param });
        }
        let pending = (op != op::NO_OPERATION).then_some(PpiRequest {
            op,
            param: if op == op::SET_PCR_BANKS { param } else { 0 },
            confirmed,
        });
        if self.perm.ppi.pending != pending {
            self.perm_mut().ppi.pending = pending;
        }
        Ok(())
    }

    /// Runs the pending request, if any (called by a TPM Reset's `TPM2_Startup`, before
    /// the PCR banks are set up) and records its response.
    pub(crate) fn ppi_execute_pending(&mut self) {
        let Some(req) = self.perm.ppi.pending else {
            return;
        };
        self.perm_mut().ppi.pending = None;
        let needs = needs_confirmation(req.op, &self.perm.ppi.flags);
        let response = match needs {
            None => response::FIRMWARE_FAILURE,
            Some(true) if !req.confirmed => response::USER_ABORT,
            Some(_) => self.ppi_run(req.op, req.param),
        };
        let p = &mut self.perm_mut().ppi;
        p.last_op = req.op;
        p.last_response = response;
    }

    /// Executes one implemented operation with platform authority.
    fn ppi_run(&mut self, code: u32, param: u32) -> u32 {
        use op::*;
        let flag = |tpm: &mut Tpm, f: fn(&mut PpiFlags) -> &mut bool, v: bool| {
            *f(&mut tpm.perm_mut().ppi.flags) = v;
            response::SUCCESS
        };
        match code {
            CLEAR | ENABLE_CLEAR | ENABLE_CLEAR_2 | ENABLE_CLEAR_3 => {
                // Firmware sends TPM2_ClearControl(platform, NO) and then TPM2_Clear.
                // "Enable" is what every TPM Reset does for the storage and
                // endorsement hierarchies.
                self.perm_mut().disable_clear = false;
                crate::commands::hierarchy::clear_owner(self);
                response::SUCCESS
            }
            SET_PCR_BANKS => self.ppi_allocate(param),
            LOG_ALL_DIGESTS => self.ppi_allocate(implemented_banks()),
            CHANGE_EPS => {
                crate::commands::hierarchy::change_eps_now(self);
                response::SUCCESS
            }
            ENABLE_BLOCK_SID => flag(self, |f| &mut f.block_sid, true),
            DISABLE_BLOCK_SID => flag(self, |f| &mut f.block_sid, false),
            SET_PP_REQUIRED_FOR_CLEAR_TRUE => flag(self, |f| &mut f.pp_required_for_clear, true),
            SET_PP_REQUIRED_FOR_CLEAR_FALSE => flag(self, |f| &mut f.pp_required_for_clear, false),
            SET_PP_REQUIRED_FOR_CHANGE_PCRS_TRUE => {
                flag(self, |f| &mut f.pp_required_for_change_pcrs, true)
            }
            SET_PP_REQUIRED_FOR_CHANGE_PCRS_FALSE => {
                flag(self, |f| &mut f.pp_required_for_change_pcrs, false)
            }
            SET_PP_REQUIRED_FOR_TURN_ON_TRUE => {
                flag(self, |f| &mut f.pp_required_for_turn_on, true)
            }
            SET_PP_REQUIRED_FOR_TURN_ON_FALSE => {
                flag(self, |f| &mut f.pp_required_for_turn_on, false)
            }
            SET_PP_REQUIRED_FOR_TURN_OFF_TRUE => {
                flag(self, |f| &mut f.pp_required_for_turn_off, true)
            }
            SET_PP_REQUIRED_FOR_TURN_OFF_FALSE => {
                flag(self, |f| &mut f.pp_required_for_turn_off, false)
            }
            SET_PP_REQUIRED_FOR_CHANGE_EPS_TRUE => {
                flag(self, |f| &mut f.pp_required_for_change_eps, true)
            }
            SET_PP_REQUIRED_FOR_CHANGE_EPS_FALSE => {
                flag(self, |f| &mut f.pp_required_for_change_eps, false)
            }
            SET_PP_REQUIRED_FOR_ENABLE_BLOCK_SID_TRUE => {
                flag(self, |f| &mut f.pp_required_for_enable_block_sid, true)
            }
            SET_PP_REQUIRED_FOR_ENABLE_BLOCK_SID_FALSE => {
                flag(self, |f| &mut f.pp_required_for_enable_block_sid, false)
            }
            SET_PP_REQUIRED_FOR_DISABLE_BLOCK_SID_TRUE => {
                flag(self, |f| &mut f.pp_required_for_disable_block_sid, true)
            }
            SET_PP_REQUIRED_FOR_DISABLE_BLOCK_SID_FALSE => {
                flag(self, |f| &mut f.pp_required_for_disable_block_sid, false)
            }
            // NoOperation is never queued; nothing else is implemented.
            _ => response::FIRMWARE_FAILURE,
        }
    }

    /// TPM2_PCR_Allocate of `bitmap`'s banks with every PCR, the others with none (as
    /// firmware allocates for SetPCRBanks). Every bank keeps all or no PCRs, so PCRs 0
    /// and 17 stay allocated and the sizes fit; a bitmap naming no implemented bank
    /// (refused when queued) fails.
    fn ppi_allocate(&mut self, bitmap: u32) -> u32 {
        if bitmap & implemented_banks() == 0 || bitmap & !implemented_banks() != 0 {
            return response::FIRMWARE_FAILURE;
        }
        let alloc: Vec<TpmsPcrSelection> = HashAlg::ALL
            .iter()
            .map(|&hash| TpmsPcrSelection {
                hash,
                select: if bitmap & bank_bit(hash) != 0 {
                    PcrBitmap::ALL
                } else {
                    PcrBitmap::default()
                },
            })
            .collect();
        if self.perm.pcr_allocated != alloc {
            self.perm_mut().pcr_allocated = alloc;
        }
        response::SUCCESS
    }
}
