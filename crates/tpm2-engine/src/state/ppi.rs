//! Physical Presence Interface state kept in permanent state (state version 4): the
//! request the OS (or the host) queued for the next boot, the result of the last one, and
//! the firmware's PPI flags (TCG PC Client Platform Physical Presence Interface 1.3).

use serde::{Deserialize, Serialize};

/// Everything PPI keeps across power cycles.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PpiState {
    /// The operation queued for the next boot (PPI "PPRQ"/"PPRM"); `None`: none.
    pub pending: Option<PpiRequest>,
    /// The most recent operation executed (PPI "LPPR"; 0 until one was).
    pub last_op: u32,
    /// Its response (PPI "PPRP": 0 success, a TPM response code, or one of the PPI
    /// codes `USER_ABORT` / `FIRMWARE_FAILURE`).
    pub last_response: u32,
    pub flags: PpiFlags,
}

/// A queued operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PpiRequest {
    pub op: u32,
    /// The operation's parameter (the hash-algorithm bitmap of SetPCRBanks; else 0).
    pub param: u32,
    /// The physically present user confirmed it already (only the host side can say so).
    pub confirmed: bool,
}

/// The PPI 1.3 flags: which operations need a physically present user's confirmation,
/// and the storage-management (Block SID) state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PpiFlags {
    pub pp_required_for_clear: bool,
    pub pp_required_for_turn_on: bool,
    pub pp_required_for_turn_off: bool,
    pub pp_required_for_change_eps: bool,
    pub pp_required_for_change_pcrs: bool,
    pub pp_required_for_enable_block_sid: bool,
    pub pp_required_for_disable_block_sid: bool,
    /// The firmware is asked to block the TCG Storage SID authentication at boot.
    pub block_sid: bool,
}

impl Default for PpiFlags {
    /// The defaults PPI 1.3 recommends: confirmation for Clear, TurnOff, ChangeEPS and
    /// changing PCR banks (not for TurnOn), and for both Block SID changes; Block SID off.
    fn default() -> Self {
        PpiFlags {
            pp_required_for_clear: true,
            pp_required_for_turn_on: false,
            pp_required_for_turn_off: true,
            pp_required_for_change_eps: true,
            pp_required_for_change_pcrs: true,
            pp_required_for_enable_block_sid: true,
            pp_required_for_disable_block_sid: true,
            block_sid: false,
        }
    }
}
