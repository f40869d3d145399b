//! Locality arbitration shared by the FIFO and CRB interfaces (PTP, "Locality" and the
//! `TPM_ACCESS_x` / `TPM_LOC_CTRL_x` rules): at most one active locality; a request
//! while another locality is active is pending until it relinquishes, then the highest
//! pending locality is granted; a higher locality may seize, marking the loser seized.

use serde::{Deserialize, Serialize};

use crate::DeviceError;

/// Number of localities of the PC Client platform.
pub const LOCALITIES: usize = 5;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalityState {
    /// The locality that owns the interface.
    pub active: Option<u8>,
    /// Localities waiting for the interface.
    pub pending: [bool; LOCALITIES],
    /// Localities that lost the interface to a seize and have not acknowledged it.
    pub seized: [bool; LOCALITIES],
}

impl LocalityState {
    /// `requestUse` / `requestAccess`; returns whether the active locality changed.
    pub(crate) fn request(&mut self, l: u8) -> bool {
        match self.active {
            Some(a) if a == l => false,
            Some(_) => {
                self.pending[l as usize] = true;
                false
            }
            None => {
                self.grant(l);
                true
            }
        }
    }

    /// Relinquish (`activeLocality` written 1 / `relinquish`): the active locality gives
    /// the interface up, and the highest pending locality gets it; a locality that is
    /// not active withdraws its request. Returns whether the active locality changed.
    pub(crate) fn relinquish(&mut self, l: u8) -> bool {
        if self.active == Some(l) {
            self.active = None;
            if let Some(next) = (0..LOCALITIES).rev().find(|&k| self.pending[k]) {
                self.grant(next as u8);
            }
            true
        } else {
            self.pending[l as usize] = false;
            false
        }
    }

    /// `Seize`: granted to a locality higher than the active one (or when none is
    /// active); the loser's `beenSeized` is set. Returns whether the active locality
    /// changed.
    pub(crate) fn seize(&mut self, l: u8) -> bool {
        match self.active {
            Some(a) if l > a => {
                self.seized[a as usize] = true;
                self.grant(l);
                true
            }
            None => {
                self.grant(l);
                true
            }
            Some(_) => false,
        }
    }

    fn grant(&mut self, l: u8) {
        self.active = Some(l);
        self.pending[l as usize] = false;
    }

    /// Any locality other than `l` waiting.
    pub(crate) fn other_pending(&self, l: u8) -> bool {
        (0..LOCALITIES).any(|k| k != l as usize && self.pending[k])
    }

    pub(crate) fn validate(&self, count: u8) -> Result<(), DeviceError> {
        if let Some(a) = self.active {
            if a >= count {
                return Err(DeviceError::InvalidState("active locality out of range"));
            }
            if self.pending[a as usize] {
                return Err(DeviceError::InvalidState("the active locality is pending"));
            }
        }
        for k in count as usize..LOCALITIES {
            if self.pending[k] || self.seized[k] {
                return Err(DeviceError::InvalidState("locality out of range flagged"));
            }
        }
        if self.active.is_none() && self.pending.iter().any(|&p| p) {
            return Err(DeviceError::InvalidState(
                "a request pending with no locality active",
            ));
        }
        Ok(())
    }
}
