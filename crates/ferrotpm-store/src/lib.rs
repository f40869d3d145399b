//! Durable, crash-safe storage of a ferrotpm TPM's state in a directory.
//!
//! A state directory holds:
//!
//! | file                    | what                                                        |
//! |-------------------------|-------------------------------------------------------------|
//! | `tpm2-permanent.state`  | the permanent state blob (seeds, hierarchies, NV, clock, …) |
//! | `tpm2-volatile.state`   | the volatile state blob, only while the host keeps one      |
//! | `.lock`                 | empty; holds the exclusive `flock` of the process using it  |
//!
//! The blobs are the engine's own versioned, checksummed format
//! ([`tpm2_engine::state::blob`]); this crate stores them and never interprets them, except
//! in [`load_engine`], which restores a [`Tpm`] and names the file at fault when a blob is
//! damaged.
//!
//! Every write is atomic and durable: the new content goes to `<file>.tmp` in the same
//! directory, is `fsync`ed, renamed over `<file>`, and then the directory is `fsync`ed. A
//! crash at any point leaves either the old or the new content under `<file>`, never a mix;
//! when a save returns `Ok`, the new content survives a power loss. A `<file>.tmp` left by
//! a crash is removed when the directory is next opened.
//!
//! Only one process may use a state directory at a time: [`StateDir::open`] takes an
//! exclusive advisory lock on `.lock` for the life of the [`StateDir`], and a second opener
//! gets [`StoreError::Locked`].
#![forbid(unsafe_code)]

mod engine;

pub use engine::load_engine;

use std::fs::{self, File, OpenOptions, TryLockError};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

pub use tpm2_engine::StateError;

/// The permanent state file.
pub const PERMANENT_FILE: &str = "tpm2-permanent.state";
/// The volatile state file.
pub const VOLATILE_FILE: &str = "tpm2-volatile.state";
/// The lock file.
pub const LOCK_FILE: &str = ".lock";
/// Suffix of the temporary file a save writes before renaming it into place.
pub const TEMP_SUFFIX: &str = ".tmp";
/// Largest state file read. Far above any real state (NV is bounded by the engine); a
/// bigger file is not ours and is refused before it is read into memory.
pub const MAX_STATE_FILE: u64 = 64 * 1024 * 1024;

/// Why a state directory could not be used. Every variant names the path concerned.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: the TPM state directory is in use by another process (it holds the lock on {LOCK_FILE})")]
    Locked { path: PathBuf },
    #[error("{path}: cannot {action}: {source}")]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: io::Error,
    },
    #[error("{path}: not a directory")]
    NotADirectory { path: PathBuf },
    #[error("{path}: not a regular file")]
    NotAFile { path: PathBuf },
    #[error("{path}: {size} bytes, larger than any TPM state ({MAX_STATE_FILE} bytes at most)")]
    TooLarge { path: PathBuf, size: u64 },
    #[error("{path}: volatile state without permanent state ({PERMANENT_FILE} is missing)")]
    VolatileWithoutPermanent { path: PathBuf },
    #[error("{path}: damaged TPM state: {source}")]
    Damaged {
        path: PathBuf,
        #[source]
        source: StateError,
    },
}

impl StoreError {
    /// The file or directory the error is about.
    pub fn path(&self) -> &Path {
        match self {
            StoreError::Locked { path }
            | StoreError::Io { path, .. }
            | StoreError::NotADirectory { path }
            | StoreError::NotAFile { path }
            | StoreError::TooLarge { path, .. }
            | StoreError::VolatileWithoutPermanent { path }
            | StoreError::Damaged { path, .. } => path,
        }
    }
}

fn io_err<'a>(path: &'a Path, action: &'static str) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        action,
        source,
    }
}

/// What a state directory holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub permanent: Vec<u8>,
    pub volatile: Option<Vec<u8>>,
}

/// An open, exclusively locked state directory.
#[derive(Debug)]
pub struct StateDir {
    path: PathBuf,
    /// Holds the `flock`; released when the `StateDir` is dropped (or the process dies).
    _lock: File,
}

impl StateDir {
    /// Opens the state directory at `path`, creating it (mode 0700) when `create` is set
    /// and it does not exist, and locks it. Removes temporary files a crash left behind.
    pub fn open(path: impl AsRef<Path>, create: bool) -> Result<StateDir, StoreError> {
        let path = path.as_ref().to_path_buf();
        if create && !path.exists() {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&path)
                .map_err(io_err(&path, "create the state directory"))?;
            // The new directory's own entry must be durable too.
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                sync_dir(parent)?;
            }
        }
        let meta = fs::metadata(&path).map_err(io_err(&path, "open the state directory"))?;
        if !meta.is_dir() {
            return Err(StoreError::NotADirectory { path });
        }
        let lock_path = path.join(LOCK_FILE);
        let lock = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&lock_path)
            .map_err(io_err(&lock_path, "open the lock file"))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(StoreError::Locked { path }),
            Err(TryLockError::Error(e)) => return Err(io_err(&lock_path, "lock")(e)),
        }
        let dir = StateDir { path, _lock: lock };
        for name in [PERMANENT_FILE, VOLATILE_FILE] {
            dir.remove(
                &format!("{name}{TEMP_SUFFIX}"),
                "remove a stale temporary file",
            )?;
        }
        Ok(dir)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn permanent_path(&self) -> PathBuf {
        self.path.join(PERMANENT_FILE)
    }

    pub fn volatile_path(&self) -> PathBuf {
        self.path.join(VOLATILE_FILE)
    }

    /// The stored state: `None` when there is no permanent state (a TPM to manufacture).
    /// The blobs are returned as stored; [`load_engine`] checks them.
    pub fn load(&self) -> Result<Option<Loaded>, StoreError> {
        let permanent = read_optional(&self.permanent_path())?;
        let volatile = read_optional(&self.volatile_path())?;
        match (permanent, volatile) {
            (Some(permanent), volatile) => Ok(Some(Loaded {
                permanent,
                volatile,
            })),
            (None, None) => Ok(None),
            // Only a hand-made directory looks like this: refuse rather than guess.
            (None, Some(_)) => Err(StoreError::VolatileWithoutPermanent {
                path: self.volatile_path(),
            }),
        }
    }

    /// Atomically and durably replaces the permanent state.
    pub fn save_permanent(&self, blob: &[u8]) -> Result<(), StoreError> {
        self.replace(PERMANENT_FILE, blob)
    }

    /// Atomically and durably replaces the volatile state.
    pub fn save_volatile(&self, blob: &[u8]) -> Result<(), StoreError> {
        self.replace(VOLATILE_FILE, blob)
    }

    /// Durably deletes the volatile state (no error if there is none).
    pub fn delete_volatile(&self) -> Result<(), StoreError> {
        if self.remove(VOLATILE_FILE, "delete the volatile state")? {
            sync_dir(&self.path)?;
        }
        Ok(())
    }

    /// Write to `<name>.tmp`, fsync, rename over `<name>`, fsync the directory.
    fn replace(&self, name: &str, data: &[u8]) -> Result<(), StoreError> {
        let target = self.path.join(name);
        let tmp = self.path.join(format!("{name}{TEMP_SUFFIX}"));
        let written = write_synced(&tmp, data)
            .and_then(|()| fs::rename(&tmp, &target).map_err(io_err(&target, "replace")));
        if let Err(e) = written {
            // Best effort: the target is untouched either way, and open() removes leftovers.
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        sync_dir(&self.path)
    }

    /// Removes `name` if it exists; says whether it did.
    fn remove(&self, name: &str, action: &'static str) -> Result<bool, StoreError> {
        let p = self.path.join(name);
        match fs::remove_file(&p) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_err(&p, action)(e)),
        }
    }
}

fn write_synced(path: &Path, data: &[u8]) -> Result<(), StoreError> {
    let mut f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(io_err(path, "create"))?;
    f.write_all(data).map_err(io_err(path, "write"))?;
    f.sync_all().map_err(io_err(path, "fsync"))
}

/// Makes the directory's entries (creations, renames, removals) durable.
fn sync_dir(path: &Path) -> Result<(), StoreError> {
    File::open(path)
        .and_then(|d| d.sync_all())
        .map_err(io_err(path, "fsync the directory"))
}

/// Reads a state file; `None` if it does not exist.
fn read_optional(path: &Path) -> Result<Option<Vec<u8>>, StoreError> {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err(path, "read")(e)),
    };
    let meta = f.metadata().map_err(io_err(path, "read"))?;
    if !meta.is_file() {
        return Err(StoreError::NotAFile {
            path: path.to_path_buf(),
        });
    }
    if meta.len() > MAX_STATE_FILE {
        return Err(StoreError::TooLarge {
            path: path.to_path_buf(),
            size: meta.len(),
        });
    }
    let mut data = Vec::with_capacity(meta.len() as usize);
    // The bound also covers a file that grows while it is read.
    f.take(MAX_STATE_FILE + 1)
        .read_to_end(&mut data)
        .map_err(io_err(path, "read"))?;
    if data.len() as u64 > MAX_STATE_FILE {
        return Err(StoreError::TooLarge {
            path: path.to_path_buf(),
            size: data.len() as u64,
        });
    }
    Ok(Some(data))
}
