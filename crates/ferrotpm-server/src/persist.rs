//! Where an instance keeps its state. The daemon uses a state directory (ferrotpm-store);
//! tests use memory.

use crate::statekey::{self, Role, StateKey};
use std::fmt;
use tpm2_engine::state::blob::BlobKind;
use tracing::warn;

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

/// State files encrypted with the `--key` key (see [`crate::statekey`]), around any other
/// storage. Without a key it stores plain blobs and refuses encrypted ones. With a key, an
/// encrypted file that does not open (another key, damage) is refused naming the file —
/// never replaced — and a plain file (state from before `--key` was given) is read, as swtpm
/// reads it, and stored encrypted at once, so no plaintext stays behind.
pub struct SealedStore {
    inner: Box<dyn Persistence>,
    key: Option<StateKey>,
}

impl SealedStore {
    pub fn new(inner: Box<dyn Persistence>, key: Option<StateKey>) -> SealedStore {
        SealedStore { inner, key }
    }

    /// The plain blob in stored `data`; `resealed` is set when a plain blob was read with
    /// a key (it must be stored encrypted).
    fn unseal(
        &mut self,
        data: Vec<u8>,
        kind: BlobKind,
        location: String,
        resealed: &mut bool,
    ) -> Result<Vec<u8>, PersistError> {
        let err = |message: String| PersistError {
            location: location.clone(),
            message,
        };
        match (statekey::header(&data), &mut self.key) {
            (Err(e), _) => Err(err(format!("damaged encrypted state: {e}"))),
            (Ok(Some(_)), None) => Err(err(
                "the state is encrypted (written with --key) and no --key was given".into(),
            )),
            (Ok(Some(_)), Some(k)) => k
                .open(Role::File, kind, &data)
                .map_err(|e| err(format!("wrong key or damaged: {e}"))),
            (Ok(None), Some(_)) => {
                // Only a sound engine blob is re-stored; a damaged one is left for the
                // engine to refuse, naming the file.
                if tpm2_engine::state::blob::open(kind, &data).is_ok() {
                    *resealed = true;
                }
                Ok(data)
            }
            (Ok(None), None) => Ok(data),
        }
    }

    fn seal(
        &mut self,
        kind: BlobKind,
        blob: &[u8],
        location: String,
    ) -> Result<Vec<u8>, PersistError> {
        match &mut self.key {
            None => Ok(blob.to_vec()),
            Some(k) => k.seal(Role::File, kind, blob).map_err(|e| PersistError {
                location,
                message: format!("cannot encrypt the state: {e}"),
            }),
        }
    }
}

impl Persistence for SealedStore {
    fn location(&self) -> String {
        self.inner.location()
    }

    fn permanent_location(&self) -> String {
        self.inner.permanent_location()
    }

    fn volatile_location(&self) -> String {
        self.inner.volatile_location()
    }

    fn load(&mut self) -> Result<Option<Stored>, PersistError> {
        let Some(s) = self.inner.load()? else {
            return Ok(None);
        };
        let (mut reseal_p, mut reseal_v) = (false, false);
        let loc = self.inner.permanent_location();
        let permanent = self.unseal(s.permanent, BlobKind::Permanent, loc, &mut reseal_p)?;
        let volatile = match s.volatile {
            Some(v) => {
                let loc = self.inner.volatile_location();
                Some(self.unseal(v, BlobKind::Volatile, loc, &mut reseal_v)?)
            }
            None => None,
        };
        if reseal_p {
            warn!(location = %self.inner.permanent_location(), "unencrypted state read with --key: storing it encrypted");
            self.save_permanent(&permanent)?;
        }
        if let (true, Some(v)) = (reseal_v, &volatile) {
            warn!(location = %self.inner.volatile_location(), "unencrypted state read with --key: storing it encrypted");
            self.save_volatile(v)?;
        }
        Ok(Some(Stored {
            permanent,
            volatile,
        }))
    }

    fn save_permanent(&mut self, blob: &[u8]) -> Result<(), PersistError> {
        let data = self.seal(BlobKind::Permanent, blob, self.inner.permanent_location())?;
        self.inner.save_permanent(&data)
    }

    fn save_volatile(&mut self, blob: &[u8]) -> Result<(), PersistError> {
        let data = self.seal(BlobKind::Volatile, blob, self.inner.volatile_location())?;
        self.inner.save_volatile(&data)
    }

    fn delete_volatile(&mut self) -> Result<(), PersistError> {
        self.inner.delete_volatile()
    }
}
