//! Where an instance keeps its state. The daemon uses a state directory (ferrotpm-store);
//! tests use memory.

use std::fmt;

/// The stored state of one TPM.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stored {
    pub permanent: Vec<u8>,
    pub volatile: Option<Vec<u8>>,
}

/// A storage failure, naming the file (or other location) and what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersistError {
    pub location: String,
    pub message: String,
}

impl fmt::Display for PersistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.location, self.message)
    }
}

impl std::error::Error for PersistError {}

pub trait Persistence: Send {
    /// A human-readable name of where the state lives.
    fn location(&self) -> String;
    /// Where the permanent state lives (a file name for a state directory).
    fn permanent_location(&self) -> String {
        self.location()
    }
    /// Where the volatile state lives.
    fn volatile_location(&self) -> String {
        self.location()
    }
    /// The stored state, `None` when there is none yet (a TPM to manufacture).
    fn load(&mut self) -> Result<Option<Stored>, PersistError>;
    /// Durably replaces the permanent state (returns only once it is on stable storage).
    fn save_permanent(&mut self, blob: &[u8]) -> Result<(), PersistError>;
    fn save_volatile(&mut self, blob: &[u8]) -> Result<(), PersistError>;
    fn delete_volatile(&mut self) -> Result<(), PersistError>;
}

/// State kept in memory (tests, and `--tpmstate` absent in throwaway use).
#[derive(Debug, Default, Clone)]
pub struct MemoryPersistence {
    pub stored: Option<Stored>,
    /// Number of permanent saves, for tests.
    pub permanent_saves: usize,
}

impl Persistence for MemoryPersistence {
    fn location(&self) -> String {
        "memory".into()
    }

    fn load(&mut self) -> Result<Option<Stored>, PersistError> {
        Ok(self.stored.clone())
    }

    fn save_permanent(&mut self, blob: &[u8]) -> Result<(), PersistError> {
        self.permanent_saves += 1;
        self.stored.get_or_insert_with(Stored::default).permanent = blob.to_vec();
        Ok(())
    }

    fn save_volatile(&mut self, blob: &[u8]) -> Result<(), PersistError> {
        self.stored.get_or_insert_with(Stored::default).volatile = Some(blob.to_vec());
        Ok(())
    }

    fn delete_volatile(&mut self) -> Result<(), PersistError> {
        if let Some(s) = &mut self.stored {
            s.volatile = None;
        }
        Ok(())
    }
}
