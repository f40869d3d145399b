//! The TPM: state plus the one entry point, [`Tpm::execute`].

use crate::platform::Platform;
use crate::state::blob::{self, BlobKind, StateError};
use crate::state::*;
use tpm2_crypto::CtrDrbg;
use tpm2_types::structures::{PcrBitmap, TpmsPcrSelection};
use tpm2_types::HashAlg;

/// `MAX_COMMAND_SIZE` / `MAX_RESPONSE_SIZE` as libtpms reports them (and the control
/// channel's `SET_BUFFERSIZE` bounds).
pub const MAX_COMMAND_SIZE: usize = 4096;
pub const MIN_COMMAND_SIZE: usize = 2808;
/// The divisor of platform milliseconds at the nominal rate (`TPM2_ClockRateAdjust`,
/// Part 3, §29.3).
pub const CLOCK_NOMINAL: i64 = 30000;
/// The clock is written to NV whenever it passes a multiple of 2^12 ms
/// (`TPM_PT_CLOCK_UPDATE`, as libtpms has `NV_CLOCK_UPDATE_INTERVAL` 12).
pub const CLOCK_UPDATE_SHIFT: u32 = 12;
/// Generate calls between DRBG reseeds from the platform's entropy.
const RESEED_INTERVAL: u32 = 1 << 16;

/// The response to one command and whether permanent state changed (the daemon makes that
/// change durable before it releases the response).
pub struct Outcome {
    pub response: Vec<u8>,
    pub permanent_changed: bool,
}

/// Runtime pieces that are not TPM state.
pub(crate) struct Runtime {
    pub platform: Box<dyn Platform>,
    pub drbg: CtrDrbg,
    pub drbg_uses: u32,
    /// Failure mode reason, if the TPM is in failure mode.
    pub failure: Option<String>,
    pub last_now: u64,
    pub perm_dirty: bool,
    pub max_command_size: usize,
    /// Platform time not yet counted into Time and Clock at an adjusted rate, in
    /// 1/`CLOCK_NOMINAL` ms (see `commands::clock::rate_adjusted`).
    pub clock_carry: u64,
    /// HMAC states already keyed with a proof value (tickets are MACed with the same few
    /// keys again and again); looked up by the key bytes, so a changed proof never hits.
    pub mac_cache: Vec<(Vec<u8>, tpm2_crypto::HmacState)>,
    /// Primary objects derived recently (`object::derive`).
    pub primary_cache: Vec<crate::object::derive::CachedPrimary>,
}

pub struct Tpm {
    pub(crate) perm: Permanent,
    pub(crate) vol: Volatile,
    pub(crate) rt: Runtime,
}

impl Tpm {
    /// Manufactures a fresh TPM (new seeds and proofs, every implemented PCR bank
    /// allocated, no NV indices) and performs `_TPM_Init`. Its permanent state is dirty.
    pub fn manufacture(platform: Box<dyn Platform>) -> Tpm {
        let mut rt = Runtime::new(platform);
        let fresh = |rt: &mut Runtime| Secret(rt.random_vec(SEED_SIZE));
        let perm = Permanent {
            eps: fresh(&mut rt),
            sps: fresh(&mut rt),
            pps: fresh(&mut rt),
            ph_proof: fresh(&mut rt),
            sh_proof: fresh(&mut rt),
            eh_proof: fresh(&mut rt),
            owner_auth: Secret::default(),
            endorsement_auth: Secret::default(),
            lockout_auth: Secret::default(),
            owner_policy: PolicyDigest::default(),
            endorsement_policy: PolicyDigest::default(),
            lockout_policy: PolicyDigest::default(),
            pcr_policy: PolicyDigest::default(),
            disable_clear: false,
            da: DictionaryAttack::default(),
            clock: 0,
            clock_safe: true,
            da_used: false,
            reset_count: 0,
            restart_count: 0,
            orderly: Orderly::Clear,
            pcr_allocated: HashAlg::ALL
                .iter()
                .map(|&hash| TpmsPcrSelection {
                    hash,
                    select: PcrBitmap::ALL,
                })
                .collect(),
            nv: Default::default(),
            nv_max_counter: 0,
            persistent: Default::default(),
            audit: Default::default(),
            ppi: Default::default(),
            saved: None,
            tpm_established: false,
        };
        let mut tpm = Tpm {
            vol: Volatile::powered_on(&perm, &mut rt),
            perm,
            rt,
        };
        tpm.rt.perm_dirty = true;
        tpm.init();
        tpm
    }

    /// Restores a TPM from its permanent state and, if given, a volatile state (which puts
    /// it back exactly where it was, started or not); without one, `_TPM_Init` is performed.
    pub fn restore(
        platform: Box<dyn Platform>,
        permanent: &[u8],
        volatile: Option<&[u8]>,
    ) -> Result<Tpm, StateError> {
        let perm: Permanent = blob::decode(BlobKind::Permanent, permanent)?;
        perm.validate().map_err(StateError::Invalid)?;
        let mut rt = Runtime::new(platform);
        let vol = match volatile {
            Some(v) => {
                let vol: Volatile = blob::decode(BlobKind::Volatile, v)?;
                vol.validate().map_err(StateError::Invalid)?;
                vol
            }
            None => Volatile::powered_on(&perm, &mut rt),
        };
        let mut tpm = Tpm { perm, vol, rt };
        if volatile.is_none() {
            tpm.init();
        }
        Ok(tpm)
    }

    /// `_TPM_Init`: the platform reset. Volatile state is lost; `TPM2_Startup` is next.
    pub fn init(&mut self) {
        let vol = Volatile::powered_on(&self.perm, &mut self.rt);
        self.vol = vol;
        self.rt.failure = None;
        self.rt.last_now = self.rt.platform.now_ms();
        self.rt.clock_carry = 0;
        self.reseed();
    }

    /// Executes one command at `locality` (0–4). Total: every byte string gets a
    /// well-formed response.
    pub fn execute(&mut self, locality: u8, command: &[u8]) -> Outcome {
        let mut response = Vec::new();
        let permanent_changed = self.execute_into(locality, command, &mut response);
        Outcome {
            response,
            permanent_changed,
        }
    }

    /// [`Tpm::execute`] writing into a caller's buffer (cleared first, capacity reused);
    /// returns whether permanent state changed.
    pub fn execute_into(&mut self, locality: u8, command: &[u8], response: &mut Vec<u8>) -> bool {
        self.tick();
        self.dispatch(locality, command, response);
        self.rt.perm_dirty
    }

    /// Whether permanent state changed since it was last serialized.
    pub fn permanent_dirty(&self) -> bool {
        self.rt.perm_dirty
    }

    /// Marks permanent state as not yet stored (e.g. after it was restored from a blob that
    /// came from elsewhere).
    pub fn mark_permanent_dirty(&mut self) {
        self.rt.perm_dirty = true;
    }

    /// Serializes permanent state and marks it clean.
    pub fn take_permanent_blob(&mut self) -> Vec<u8> {
        self.rt.perm_dirty = false;
        self.permanent_blob()
    }

    pub fn permanent_blob(&self) -> Vec<u8> {
        blob::encode(BlobKind::Permanent, &self.perm)
    }

    pub fn volatile_blob(&self) -> Vec<u8> {
        blob::encode(BlobKind::Volatile, &self.vol)
    }

    /// Whether `TPM2_Startup` has run since `_TPM_Init`.
    pub fn is_started(&self) -> bool {
        self.vol.started
    }

    /// The failure-mode reason, if the TPM is in failure mode.
    pub fn failure(&self) -> Option<&str> {
        self.rt.failure.as_deref()
    }

    /// Enters failure mode on the platform's request (simulator test facility): only
    /// GetTestResult and GetCapability answer until the next `_TPM_Init`.
    pub fn force_failure(&mut self, why: &str) {
        self.enter_failure(why.to_string());
    }

    /// Sets the largest command accepted (the control channel's `SET_BUFFERSIZE`), clamped
    /// to what this TPM supports; returns the size in use.
    pub fn set_buffer_size(&mut self, size: usize) -> usize {
        self.rt.max_command_size = size.clamp(MIN_COMMAND_SIZE, MAX_COMMAND_SIZE);
        self.rt.max_command_size
    }

    pub fn buffer_size(&self) -> usize {
        self.rt.max_command_size
    }

    /// Write access to permanent state: marks it for persisting.
    pub(crate) fn perm_mut(&mut self) -> &mut Permanent {
        self.rt.perm_dirty = true;
        &mut self.perm
    }

    /// Random bytes from the DRBG.
    pub(crate) fn random(&mut self, out: &mut [u8]) {
        self.rt.drbg_uses += 1;
        if self.rt.drbg_uses >= RESEED_INTERVAL {
            self.reseed();
        }
        self.rt.drbg.generate(out);
    }

    pub(crate) fn random_vec(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0; n];
        self.random(&mut v);
        v
    }

    fn reseed(&mut self) {
        let mut e = [0u8; tpm2_crypto::drbg::SEED_LEN];
        match self.rt.platform.entropy(&mut e) {
            Ok(()) => self.rt.drbg.reseed(&e),
            Err(err) => self.enter_failure(err.to_string()),
        }
        self.rt.drbg_uses = 0;
    }

    /// Failure mode (Part 1, §45.2.11): only GetTestResult and GetCapability answer.
    pub(crate) fn enter_failure(&mut self, why: String) {
        self.rt.failure = Some(why);
    }

    /// Advances Time and Clock to the platform's clock at the `TPM2_ClockRateAdjust` rate
    /// (Clock is stored when it passes an update interval); runs DA self-healing.
    pub(crate) fn tick(&mut self) {
        let now = self.rt.platform.now_ms();
        // A platform clock that went back restarts the measurement from its new value.
        let real = now.saturating_sub(self.rt.last_now);
        if real == 0 {
            // Most commands arrive within the same millisecond: nothing to advance.
            return;
        }
        self.rt.last_now = now;
        let (elapsed, carry) =
            crate::commands::clock::rate_adjusted(real, self.vol.clock_rate, self.rt.clock_carry);
        self.rt.clock_carry = carry;
        if elapsed == 0 {
            return;
        }
        self.vol.time_ms = self.vol.time_ms.saturating_add(elapsed);
        self.clock_update(self.perm.clock.saturating_add(elapsed));
        self.da_tick();
    }
}

impl Runtime {
    fn new(mut platform: Box<dyn Platform>) -> Runtime {
        let mut e = [0u8; tpm2_crypto::drbg::SEED_LEN];
        let failure = platform.entropy(&mut e).err().map(|e| e.to_string());
        let last_now = platform.now_ms();
        Runtime {
            platform,
            drbg: CtrDrbg::new(&e),
            drbg_uses: 0,
            failure,
            last_now,
            perm_dirty: false,
            max_command_size: MAX_COMMAND_SIZE,
            clock_carry: 0,
            mac_cache: Vec::new(),
            primary_cache: Vec::new(),
        }
    }

    fn random_vec(&mut self, n: usize) -> Vec<u8> {
        let mut v = vec![0; n];
        self.drbg.generate(&mut v);
        v
    }

    /// A fresh HMAC-`CONTEXT_HASH` state keyed with `key`.
    pub fn keyed_mac(&mut self, key: &[u8]) -> tpm2_crypto::HmacState {
        const MAX_CACHED: usize = 8;
        if let Some((_, m)) = self.mac_cache.iter().find(|(k, _)| k.as_slice() == key) {
            return m.clone();
        }
        let m = tpm2_crypto::HmacState::new(tpm2_types::HashAlg::Sha512, key);
        if self.mac_cache.len() >= MAX_CACHED {
            self.mac_cache.remove(0);
        }
        self.mac_cache.push((key.to_vec(), m.clone()));
        m
    }
}

impl Volatile {
    /// The volatile state right after `_TPM_Init`: not started, PCRs at their initial
    /// values for the allocation in effect, a fresh null hierarchy.
    fn powered_on(perm: &Permanent, rt: &mut Runtime) -> Volatile {
        Volatile {
            started: false,
            orderly_startup: false,
            pcr_reconfigured: false,
            hcrtm: false,
            startup_locality: 0,
            state_clear: StateClear::default(),
            state_reset: StateReset {
                null_proof: Secret(rt.random_vec(SEED_SIZE)),
                null_seed: Secret(rt.random_vec(SEED_SIZE)),
                pcr_update_counter: 0,
                clear_count: 0,
            },
            pcrs: crate::pcr::PcrBanks::new(&perm.pcr_allocated, 0),
            objects: Default::default(),
            drtm: None,
            time_ms: 0,
            self_tested: false,
            da_heal_timer: None,
            lockout_timer: None,
            clock_rate: 0,
            sessions: Default::default(),
            exclusive_audit: None,
            context_counter: 0,
            saved_sessions: Default::default(),
            command_audit_digest: Vec::new(),
        }
    }

    fn validate(&self) -> Result<(), String> {
        self.pcrs.validate()?;
        crate::session::validate(&self.sessions)?;
        for (h, seq) in &self.saved_sessions {
            if !crate::session::is_session_handle(*h)
                || crate::session::slot(*h) >= crate::session::MAX_ACTIVE_SESSIONS
                || self
                    .sessions
                    .keys()
                    .any(|k| crate::session::slot(*k) == crate::session::slot(*h))
                || *seq > self.context_counter
            {
                return Err(format!("saved session {h:#x} is inconsistent"));
            }
        }
        if let Some(h) = self.exclusive_audit {
            if self.sessions.get(&h).is_none_or(|s| s.audit.is_none()) {
                return Err(format!(
                    "exclusive audit session {h:#x} is not an audit session"
                ));
            }
        }
        for (h, o) in &self.objects {
            if h >> 24 != 0x80 {
                return Err(format!("object handle {h:#x} is not transient"));
            }
            match o {
                TransientObject::Sequence(s) => {
                    for hs in &s.hashes {
                        if tpm2_crypto::Hasher::import_state(hs.alg, &hs.state).is_none() {
                            return Err(format!("sequence {h:#x} has an unusable hash state"));
                        }
                    }
                }
                TransientObject::Key(k) => {
                    if k.key().is_err() {
                        return Err(format!("object {h:#x} has an unusable key"));
                    }
                }
            }
        }
        if let Some(d) = &self.drtm {
            for hs in d {
                if tpm2_crypto::Hasher::import_state(hs.alg, &hs.state).is_none() {
                    return Err("the DRTM sequence has an unusable hash state".into());
                }
            }
        }
        Ok(())
    }
}

impl Permanent {
    fn validate(&self) -> Result<(), String> {
        for (name, s) in [
            ("EPS", &self.eps),
            ("SPS", &self.sps),
            ("PPS", &self.pps),
            ("phProof", &self.ph_proof),
            ("shProof", &self.sh_proof),
            ("ehProof", &self.eh_proof),
        ] {
            if s.0.len() != SEED_SIZE {
                return Err(format!("{name} has {} bytes, not {SEED_SIZE}", s.0.len()));
            }
        }
        for (h, o) in &self.persistent {
            if h >> 24 != 0x81 {
                return Err(format!("persistent object handle {h:#x} is not persistent"));
            }
            if o.key().is_err() {
                return Err(format!("persistent object {h:#x} has an unusable key"));
            }
        }
        for (h, ix) in &self.nv {
            if *h != ix.public.nv_index {
                return Err(format!("NV index {h:#x} is stored under another handle"));
            }
            crate::commands::nv::validate_index(ix).map_err(|e| format!("NV index {h:#x}: {e}"))?;
        }
        if let Some(s) = &self.saved {
            s.pcrs.validate()?;
        }
        Ok(())
    }
}
