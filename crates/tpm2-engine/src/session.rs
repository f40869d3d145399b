//! The session table: creating, finding and flushing authorization sessions, and the
//! numbers `TPM2_GetCapability` reports about them.
//!
//! A session's handle is its slot (0–63, the lowest free one, shared by HMAC and policy
//! sessions) in the `0x02` (HMAC) or `0x03` (policy and trial) range, as libtpms assigns
//! them. At most [`MAX_LOADED_SESSIONS`] are loaded at once (`TPM_RC_SESSION_MEMORY`
//! beyond); a session saved with `TPM2_ContextSave` keeps its slot (it is active, not
//! loaded) until its context is loaded again or it is flushed.

use crate::state::{AuthSession, SessionType};
use crate::Tpm;
use tpm2_types::constants::{ht, rh};
use tpm2_types::Rc;

/// Sessions held in TPM memory at once (`TPM_PT_HR_LOADED_MIN`, PC Client minimum).
pub const MAX_LOADED_SESSIONS: u32 = 3;
/// Sessions the TPM tracks, loaded or saved (`TPM_PT_ACTIVE_SESSIONS_MAX`).
pub const MAX_ACTIVE_SESSIONS: u32 = 64;

/// The slot of a session handle.
pub fn slot(h: u32) -> u32 {
    h & 0x00FF_FFFF
}

/// Whether `h` is in one of the two session ranges.
pub fn is_session_handle(h: u32) -> bool {
    matches!((h >> 24) as u8, ht::HMAC_SESSION | ht::POLICY_SESSION)
}

impl Tpm {
    /// The loaded session with exactly this handle (the range must match the kind).
    pub(crate) fn session(&self, h: u32) -> Option<&AuthSession> {
        self.vol.sessions.get(&h)
    }

    pub(crate) fn session_mut(&mut self, h: u32) -> Option<&mut AuthSession> {
        self.vol.sessions.get_mut(&h)
    }

    /// Whether a session occupies the slot of `h`, whatever its kind (the reference
    /// `SessionIsLoaded` looks at the slot only).
    pub(crate) fn session_slot_loaded(&self, h: u32) -> bool {
        let s = slot(h);
        self.vol.sessions.keys().any(|k| slot(*k) == s)
    }

    /// Adds a new session in the lowest free slot and returns its handle:
    /// `TPM_RC_SESSION_MEMORY` when [`MAX_LOADED_SESSIONS`] are loaded.
    pub(crate) fn session_insert(&mut self, s: AuthSession) -> Result<u32, Rc> {
        if self.vol.sessions.len() as u32 >= MAX_LOADED_SESSIONS {
            return Err(Rc::SESSION_MEMORY);
        }
        let free = (0..MAX_ACTIVE_SESSIONS)
            .find(|i| {
                !self.vol.sessions.keys().any(|k| slot(*k) == *i)
                    && !self.vol.saved_sessions.keys().any(|k| slot(*k) == *i)
            })
            .ok_or(Rc::SESSION_HANDLES)?;
        let base = match s.kind {
            SessionType::Hmac => rh::HMAC_SESSION_FIRST,
            SessionType::Policy | SessionType::Trial => rh::POLICY_SESSION_FIRST,
        };
        let h = base | free;
        self.vol.sessions.insert(h, s);
        Ok(h)
    }

    /// Removes a session; whether it existed.
    pub(crate) fn session_flush(&mut self, h: u32) -> bool {
        if self.vol.exclusive_audit == Some(h) {
            self.vol.exclusive_audit = None;
        }
        self.vol.sessions.remove(&h).is_some()
    }

    /// Every startup loses the loaded sessions (Part 1, §36.7), and here the saved ones
    /// too: their contexts are refused after any startup (the spec would let saved
    /// sessions survive a TPM Restart or Resume; see ARCHITECTURE.md).
    pub(crate) fn sessions_startup(&mut self) {
        self.vol.sessions.clear();
        self.vol.saved_sessions.clear();
        self.vol.exclusive_audit = None;
    }

    /// Active sessions: loaded and saved.
    pub(crate) fn sessions_active(&self) -> u32 {
        (self.vol.sessions.len() + self.vol.saved_sessions.len()) as u32
    }

    /// Saved session handles, ascending by slot (`TPM_HT_SAVED_SESSION`).
    pub(crate) fn saved_session_handles(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self.vol.saved_sessions.keys().copied().collect();
        v.sort_by_key(|h| slot(*h));
        v
    }

    /// Loaded session handles from `from` on, ascending by slot (`TPM_HT_LOADED_SESSION`
    /// capability: HMAC and policy handles together).
    pub(crate) fn loaded_session_handles(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self.vol.sessions.keys().copied().collect();
        v.sort_by_key(|h| slot(*h));
        v
    }

    pub(crate) fn sessions_loaded(&self) -> u32 {
        self.vol.sessions.len() as u32
    }
}

/// Consistency of restored sessions (state files are checked before use).
pub fn validate(sessions: &std::collections::BTreeMap<u32, AuthSession>) -> Result<(), String> {
    if sessions.len() as u32 > MAX_LOADED_SESSIONS {
        return Err(format!("{} sessions loaded", sessions.len()));
    }
    for (h, s) in sessions {
        let want = match s.kind {
            SessionType::Hmac => ht::HMAC_SESSION,
            _ => ht::POLICY_SESSION,
        };
        if (h >> 24) as u8 != want || slot(*h) >= MAX_ACTIVE_SESSIONS {
            return Err(format!("session handle {h:#x} does not fit its kind"));
        }
        if sessions.keys().filter(|k| slot(**k) == slot(*h)).count() != 1 {
            return Err(format!("session slot of {h:#x} used twice"));
        }
        let d = s.hash.digest_size();
        if s.nonce_tpm.len() < 16 || s.nonce_tpm.len() > d {
            return Err(format!(
                "session {h:#x} has a nonce of {} bytes",
                s.nonce_tpm.len()
            ));
        }
        if !s.key.0.is_empty() && s.key.0.len() != d {
            return Err(format!(
                "session {h:#x} has a key of {} bytes",
                s.key.0.len()
            ));
        }
        if s.is_policy() && s.policy.digest.len() != d {
            return Err(format!(
                "session {h:#x} has a policy digest of the wrong size"
            ));
        }
    }
    Ok(())
}
