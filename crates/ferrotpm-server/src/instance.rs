//! One TPM as swtpm exposes it: the engine plus its storage, the locality and buffer size
//! the host set, state blobs staged for the next `INIT`, and the answers to every control
//! command. Transport-free: the socket front ends feed it bytes.

use crate::ctrl::{self, res, Request};
use crate::persist::{PersistError, Persistence, Stored};
use crate::statekey::{self, Role, SealError, StateKey};
use tpm2_engine::state::blob::{self, BlobKind};
use tpm2_engine::{Platform, Tpm, MAX_COMMAND_SIZE, MIN_COMMAND_SIZE};
use tracing::{error, info, warn};

/// The response swtpm gives to every data command while the TPM is not initialised.
pub const FATAL_RESPONSE: [u8; 10] = [0x80, 0x01, 0, 0, 0, 0x0A, 0, 0, 0x01, 0x01];

/// What the transport must do after a control response is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    Nothing,
    /// `SHUTDOWN`: exit the process cleanly.
    Exit,
    /// `SET_DATAFD` accepted: the fd that came with the message becomes the data channel.
    TakeDataFd,
}

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("cannot read TPM state: {0}")]
    Load(PersistError),
    #[error("damaged TPM state in {location}: {problem}")]
    Damaged { location: String, problem: String },
    #[error("cannot store TPM state: {0}")]
    Save(PersistError),
}

#[derive(Debug, Default)]
pub struct Options {
    pub reject_locality_4: bool,
    /// `--key`: encrypts state blobs taken without the DECRYPTED flag, and opens blobs
    /// encrypted with it. (The state files' own encryption is the store's:
    /// [`crate::persist::SealedStore`].)
    pub file_key: Option<StateKey>,
    /// `--migration-key`: encrypts every state blob taken, and opens blobs encrypted with it.
    pub migration_key: Option<StateKey>,
}

pub struct Instance {
    tpm: Option<Tpm>,
    store: Box<dyn Persistence>,
    new_platform: Box<dyn Fn() -> Box<dyn Platform> + Send>,
    locality: u8,
    buffer_size: usize,
    staged_permanent: Option<Vec<u8>>,
    staged_volatile: Option<Vec<u8>>,
    opts: Options,
}

impl Instance {
    pub fn new(
        store: Box<dyn Persistence>,
        new_platform: Box<dyn Fn() -> Box<dyn Platform> + Send>,
        opts: Options,
    ) -> Instance {
        Instance {
            tpm: None,
            store,
            new_platform,
            locality: 0,
            buffer_size: MAX_COMMAND_SIZE,
            staged_permanent: None,
            staged_volatile: None,
            opts,
        }
    }

    pub fn is_running(&self) -> bool {
        self.tpm.is_some()
    }

    pub fn location(&self) -> String {
        self.store.location()
    }

    /// Powers the TPM on (`CMD_INIT`): loads the permanent state (and a volatile state,
    /// which resumes the TPM where it was) from blobs staged by `SET_STATEBLOB` or from
    /// storage; manufactures a fresh TPM when there is none. A damaged state is refused,
    /// never replaced.
    pub fn init(&mut self, flags: u32) -> Result<(), InitError> {
        self.tpm = None;
        let staged = self.staged_permanent.is_some() || self.staged_volatile.is_some();
        let stored = if staged {
            let mut s = self
                .store
                .load()
                .map_err(InitError::Load)?
                .unwrap_or_default();
            if let Some(p) = self.staged_permanent.take() {
                s.permanent = p;
            }
            if let Some(v) = self.staged_volatile.take() {
                s.volatile = Some(v);
            }
            Some(s)
        } else {
            self.store.load().map_err(InitError::Load)?
        };
        let mut tpm = match stored {
            None => {
                info!(location = %self.store.location(), "no TPM state: manufacturing a new TPM");
                Tpm::manufacture((self.new_platform)())
            }
            Some(s) => self.restore(&s)?,
        };
        tpm.set_buffer_size(self.buffer_size);
        if staged {
            // Staged blobs become this TPM's state: stored before its first answer.
            tpm.mark_permanent_dirty();
        }
        if flags & ctrl::INIT_DELETE_VOLATILE != 0 {
            self.store.delete_volatile().map_err(InitError::Save)?;
        }
        self.tpm = Some(tpm);
        Ok(())
    }

    /// Restores the engine from stored blobs; a damaged blob is named precisely.
    fn restore(&self, s: &Stored) -> Result<Tpm, InitError> {
        let damaged = |location: String, e: tpm2_engine::StateError| InitError::Damaged {
            location,
            problem: e.to_string(),
        };
        let tpm = Tpm::restore((self.new_platform)(), &s.permanent, None)
            .map_err(|e| damaged(self.store.permanent_location(), e))?;
        match &s.volatile {
            None => Ok(tpm),
            Some(v) => Tpm::restore((self.new_platform)(), &s.permanent, Some(v))
                .map_err(|e| damaged(self.store.volatile_location(), e)),
        }
    }

    /// Executes one TPM command at the current locality. Permanent state a command changed
    /// is stored before the response is returned; if it cannot be stored the response is
    /// withheld (`TPM_RC_FAILURE`) and the TPM stops, so no change is ever acknowledged
    /// without being durable.
    pub fn execute(&mut self, cmd: &[u8]) -> Vec<u8> {
        self.execute_at(self.locality, cmd)
    }

    pub fn execute_at(&mut self, locality: u8, cmd: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        self.execute_at_into(locality, cmd, &mut out);
        out
    }

    /// [`Instance::execute`] into a reused buffer.
    pub fn execute_into(&mut self, cmd: &[u8], out: &mut Vec<u8>) {
        self.execute_at_into(self.locality, cmd, out)
    }

    fn execute_at_into(&mut self, locality: u8, cmd: &[u8], out: &mut Vec<u8>) {
        let Some(tpm) = self.tpm.as_mut() else {
            out.clear();
            out.extend_from_slice(&FATAL_RESPONSE);
            return;
        };
        // Also true when the state was manufactured or staged and not yet stored: nothing
        // this TPM says leaves before its permanent state is durable.
        if tpm.execute_into(locality, cmd, out) {
            if let Err(e) = self.persist() {
                error!("{e}; stopping the TPM without answering the command");
                self.tpm = None;
                out.clear();
                out.extend_from_slice(&FATAL_RESPONSE);
            }
        }
    }

    /// ferrotpm's `PPI_REQUEST`: queued in permanent state, stored before the answer.
    fn ppi_request(&mut self, op: u32, param: u32, flags: u32) -> Vec<u8> {
        if flags & !ctrl::PPI_REQUEST_CONFIRM != 0 {
            return ctrl::result(res::BAD_PARAMETER);
        }
        let confirmed = flags & ctrl::PPI_REQUEST_CONFIRM != 0;
        let queued = self
            .tpm
            .as_mut()
            .map(|t| t.ppi_request(op, param, confirmed));
        match queued {
            Some(Ok(())) => match self.persist() {
                Ok(()) => ctrl::result(res::SUCCESS),
                Err(e) => {
                    error!("PPI request: {e}");
                    ctrl::result(res::FAIL)
                }
            },
            Some(Err(e)) => {
                warn!("PPI request refused: {e}");
                ctrl::result(res::BAD_PARAMETER)
            }
            None => ctrl::result(res::BAD_ORDINAL),
        }
    }

    fn persist(&mut self) -> Result<(), PersistError> {
        if let Some(tpm) = self.tpm.as_mut() {
            if tpm.permanent_dirty() {
                let blob = tpm.take_permanent_blob();
                self.store.save_permanent(&blob)?;
            }
        }
        Ok(())
    }

    /// Powers the TPM off: volatile state is gone, permanent state is already stored.
    pub fn power_off(&mut self) {
        self.tpm = None;
    }

    /// `_TPM_Hash_Start/Data/End` from the platform (ignored while powered off).
    pub fn hash_start(&mut self) {
        self.platform_op(|t| t.hash_start());
    }

    pub fn hash_data(&mut self, d: &[u8]) {
        self.platform_op(|t| t.hash_data(d));
    }

    pub fn hash_end(&mut self) {
        self.platform_op(|t| t.hash_end());
    }

    /// Puts the TPM in failure mode (a platform test facility).
    pub fn force_failure(&mut self, why: &str) {
        if let Some(t) = self.tpm.as_mut() {
            t.force_failure(why);
        }
    }

    pub fn set_locality(&mut self, l: u8) {
        self.locality = l;
    }

    /// Handles one control request; returns the response bytes and what to do next.
    pub fn control(&mut self, req: Request) -> (Vec<u8>, After) {
        use Request::*;
        let running = self.tpm.is_some();
        let ok = || ctrl::result(res::SUCCESS);
        let needs_run = matches!(
            req,
            GetTpmEstablished
                | HashStart
                | HashData(_)
                | HashEnd
                | CancelTpmCmd
                | StoreVolatile
                | ResetTpmEstablished(_)
                | GetStateBlob { .. }
                | PpiStatus
                | PpiRequest { .. }
        );
        if needs_run && !running {
            return (ctrl::result(res::BAD_ORDINAL), After::Nothing);
        }
        let out = match req {
            GetCapability => {
                let mut v = 0u32.to_be_bytes().to_vec();
                v.extend_from_slice(&ctrl::CAPABILITIES.to_be_bytes());
                v
            }
            Init { flags } => match self.init(flags) {
                Ok(()) => ok(),
                Err(e) => {
                    error!("CMD_INIT failed: {e}");
                    ctrl::result(res::FAIL)
                }
            },
            Shutdown => {
                self.tpm = None;
                return (ok(), After::Exit);
            }
            GetTpmEstablished => {
                let bit = self.tpm.as_ref().is_some_and(|t| t.tpm_established()) as u8;
                let mut v = ok();
                v.extend_from_slice(&[bit, 0, 0, 0]);
                v
            }
            SetLocality(l) => {
                if l > 4 || (l == 4 && self.opts.reject_locality_4) {
                    ctrl::result(res::BAD_LOCALITY)
                } else {
                    self.locality = l;
                    ok()
                }
            }
            HashStart => self.platform_op(|t| t.hash_start()),
            HashData(d) => self.platform_op(|t| t.hash_data(&d)),
            HashEnd => self.platform_op(|t| t.hash_end()),
            // Commands run to completion before the next request is read: nothing is
            // ever in flight to cancel.
            CancelTpmCmd => ok(),
            StoreVolatile => {
                let blob = self
                    .tpm
                    .as_ref()
                    .map(|t| t.volatile_blob())
                    .unwrap_or_default();
                match self.store.save_volatile(&blob) {
                    Ok(()) => ok(),
                    Err(e) => {
                        error!("STORE_VOLATILE: {e}");
                        ctrl::result(res::FAIL)
                    }
                }
            }
            ResetTpmEstablished(l) => {
                let r = self.tpm.as_mut().map(|t| t.reset_established(l));
                match r {
                    Some(Ok(())) => match self.persist() {
                        Ok(()) => ok(),
                        Err(e) => {
                            error!("{e}");
                            ctrl::result(res::FAIL)
                        }
                    },
                    _ => ctrl::result(res::BAD_LOCALITY),
                }
            }
            GetStateBlob {
                flags,
                blob_type,
                offset,
            } => self.get_state_blob(flags, blob_type, offset),
            SetStateBlob {
                flags,
                blob_type,
                data,
            } => self.set_state_blob(flags, blob_type, data),
            Stop => {
                self.tpm = None;
                ok()
            }
            GetConfig => {
                let mut flags = 0;
                if self.opts.file_key.is_some() {
                    flags |= ctrl::CONFIG_FILE_KEY;
                }
                if self.opts.migration_key.is_some() {
                    flags |= ctrl::CONFIG_MIGRATION_KEY;
                }
                let mut v = ok();
                v.extend_from_slice(&flags.to_be_bytes());
                v
            }
            SetDataFd => return (ok(), After::TakeDataFd),
            SetBufferSize(n) => {
                if n != 0 && running {
                    ctrl::result(res::BAD_ORDINAL)
                } else {
                    if n != 0 {
                        self.buffer_size = (n as usize).clamp(MIN_COMMAND_SIZE, MAX_COMMAND_SIZE);
                    }
                    let mut v = ok();
                    for x in [self.buffer_size, MIN_COMMAND_SIZE, MAX_COMMAND_SIZE] {
                        v.extend_from_slice(&(x as u32).to_be_bytes());
                    }
                    v
                }
            }
            GetInfo { flags, offset } => get_info(flags, offset),
            // The state directory is locked for the daemon's whole life.
            LockStorage { .. } => ok(),
            PpiStatus => {
                let p = self
                    .tpm
                    .as_ref()
                    .map(|t| t.ppi().clone())
                    .unwrap_or_default();
                let mut v = ok();
                v.extend_from_slice(&ctrl::PpiStatusReply::from_engine(&p).to_bytes());
                v
            }
            PpiRequest { op, param, flags } => self.ppi_request(op, param, flags),
        };
        (out, After::Nothing)
    }

    /// Runs a platform indication (DRTM hashing, established flag) and stores what changed.
    fn platform_op(&mut self, f: impl FnOnce(&mut Tpm)) -> Vec<u8> {
        if let Some(t) = self.tpm.as_mut() {
            f(t);
        }
        match self.persist() {
            Ok(()) => ctrl::result(res::SUCCESS),
            Err(e) => {
                error!("{e}");
                self.tpm = None;
                ctrl::result(res::FAIL)
            }
        }
    }

    /// `GET_STATEBLOB`. As swtpm (§2.4 of the interface reference): with a file key and
    /// without the DECRYPTED request flag the blob is encrypted with the file key and the
    /// ENCRYPTED state flag is set; with a migration key it is then (also) encrypted with
    /// the migration key, which the state flag does not report.
    fn get_state_blob(&mut self, req_flags: u32, blob_type: u32, offset: u32) -> Vec<u8> {
        // What leaves as a blob is what is stored.
        if let Err(e) = self.persist() {
            error!("{e}");
            return ctrl::result(res::FAIL);
        }
        let Some(tpm) = self.tpm.as_ref() else {
            return ctrl::result(res::BAD_ORDINAL);
        };
        let (mut blob, kind) = match blob_type {
            ctrl::BLOB_PERMANENT => (tpm.permanent_blob(), BlobKind::Permanent),
            ctrl::BLOB_VOLATILE => (tpm.volatile_blob(), BlobKind::Volatile),
            // TPM 2 keeps Shutdown(STATE) data in the permanent blob: there is no savestate
            // blob, and swtpm answers an unknown type the same way (QEMU reads "empty").
            _ => {
                let mut v = ctrl::result(res::RETRY);
                v.extend_from_slice(&[0; 12]);
                return v;
            }
        };
        let mut state_flags = 0;
        let sealed = (|| {
            if req_flags & ctrl::STATE_FLAG_DECRYPTED == 0 {
                if let Some(k) = self.opts.file_key.as_mut() {
                    blob = k.seal(Role::File, kind, &blob)?;
                    state_flags |= ctrl::STATE_FLAG_ENCRYPTED;
                }
            }
            if let Some(k) = self.opts.migration_key.as_mut() {
                blob = k.seal(Role::Migration, kind, &blob)?;
            }
            Ok::<(), SealError>(())
        })();
        if let Err(e) = sealed {
            error!("GET_STATEBLOB: {e}");
            return ctrl::result(res::FAIL);
        }
        let offset = offset as usize;
        if offset > blob.len() {
            return ctrl::result(res::BAD_PARAMETER);
        }
        let part = &blob[offset..];
        let mut v = ctrl::result(res::SUCCESS);
        v.extend_from_slice(&state_flags.to_be_bytes());
        v.extend_from_slice(&(part.len() as u32).to_be_bytes());
        v.extend_from_slice(&(part.len() as u32).to_be_bytes());
        v.extend_from_slice(part);
        v
    }

    /// `SET_STATEBLOB`: stages a blob for the next `INIT`. As swtpm: a blob encrypted with
    /// a migration key needs ours; one encrypted with a file key (or sent with the
    /// ENCRYPTED flag) needs our file key; without the key the answer is
    /// `TPM_KEYNOTFOUND`, with a key that does not open it `TPM_DECRYPT_ERROR` (another
    /// kind of key: `TPM_BAD_KEY_PROPERTY`). What is staged is always the plain engine blob.
    fn set_state_blob(&mut self, req_flags: u32, blob_type: u32, data: Vec<u8>) -> Vec<u8> {
        if self.tpm.is_some() {
            return ctrl::result(res::BAD_ORDINAL);
        }
        let kind = match blob_type {
            ctrl::BLOB_PERMANENT => BlobKind::Permanent,
            ctrl::BLOB_VOLATILE => BlobKind::Volatile,
            _ => return ctrl::result(res::BAD_PARAMETER),
        };
        let plain = match self.decrypt_blob(req_flags, kind, data) {
            Ok(p) => p,
            Err(code) => return ctrl::result(code),
        };
        // Checked now (envelope and checksum) so a bad blob is refused at once.
        if let Err(e) = blob::open(kind, &plain) {
            warn!("SET_STATEBLOB type {blob_type} refused: {e}");
            return ctrl::result(res::BAD_PARAMETER);
        }
        match kind {
            BlobKind::Permanent => self.staged_permanent = Some(plain),
            BlobKind::Volatile => self.staged_volatile = Some(plain),
        }
        ctrl::result(res::SUCCESS)
    }

    /// Removes the migration-key and file-key layers of a state blob; `Err` is the result.
    fn decrypt_blob(
        &mut self,
        req_flags: u32,
        kind: BlobKind,
        data: Vec<u8>,
    ) -> Result<Vec<u8>, u32> {
        let layer = |data: &[u8]| match statekey::header(data) {
            Ok(h) => Ok(h.map(|h| h.role)),
            Err(e) => {
                warn!("SET_STATEBLOB: {e}");
                Err(res::BAD_PARAMETER)
            }
        };
        let open = |key: &mut Option<StateKey>, role: Role, data: &[u8]| {
            let Some(k) = key.as_mut() else {
                warn!("SET_STATEBLOB: the blob is encrypted and the needed key was not given");
                return Err(res::KEYNOTFOUND);
            };
            k.open(role, kind, data).map_err(|e| {
                warn!("SET_STATEBLOB: {e}");
                match e {
                    SealError::Authentication => res::DECRYPT_ERROR,
                    SealError::KeyKindMismatch { .. } => res::BAD_KEY_PROPERTY,
                    _ => res::BAD_PARAMETER,
                }
            })
        };
        let mut data = data;
        if layer(&data)? == Some(Role::Migration) {
            data = open(&mut self.opts.migration_key, Role::Migration, &data)?;
        }
        let file_layer = layer(&data)? == Some(Role::File);
        if file_layer || req_flags & ctrl::STATE_FLAG_ENCRYPTED != 0 {
            if !file_layer && self.opts.file_key.is_some() {
                // Announced as encrypted, yet no file-key envelope: not what was sent.
                warn!("SET_STATEBLOB: the ENCRYPTED flag is set but the blob is not encrypted");
                return Err(res::DECRYPT_ERROR);
            }
            data = open(&mut self.opts.file_key, Role::File, &data)?;
        }
        Ok(data)
    }
}

/// `GET_INFO`: a NUL-terminated JSON string, served in chunks from `offset`.
fn get_info(flags: u64, offset: u32) -> Vec<u8> {
    let mut obj = serde_json::Map::new();
    if flags & ctrl::INFO_TPMSPECIFICATION != 0 {
        obj.insert(
            "TPMSpecification".into(),
            serde_json::json!({"family": "2.0", "level": 0, "revision": 159}),
        );
    }
    if flags & ctrl::INFO_TPMATTRIBUTES != 0 {
        obj.insert(
            "TPMAttributes".into(),
            serde_json::json!({
                "manufacturer": "id:46455252",
                "version": format!("id:{:08X}", firmware_version()),
                "model": "swtpm",
            }),
        );
    }
    let mut text = serde_json::Value::Object(obj).to_string().into_bytes();
    text.push(0);
    let offset = offset as usize;
    if offset >= text.len() {
        return ctrl::result(res::BAD_PARAMETER);
    }
    let part = &text[offset..(offset + ctrl::INFO_CHUNK).min(text.len())];
    let mut v = ctrl::result(res::SUCCESS);
    v.extend_from_slice(&(text.len() as u32).to_be_bytes());
    v.extend_from_slice(&(part.len() as u32).to_be_bytes());
    v.extend_from_slice(part);
    v
}

/// `TPM_PT_FIRMWARE_VERSION_1` as the engine reports it (major << 16 | minor).
pub fn firmware_version() -> u32 {
    let mut p = env!("CARGO_PKG_VERSION")
        .split('.')
        .map(|x| x.parse::<u32>().unwrap_or(0));
    let major = p.next().unwrap_or(0);
    let minor = p.next().unwrap_or(0);
    (major << 16) | minor
}
