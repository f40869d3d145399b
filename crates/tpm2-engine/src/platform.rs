//! What the engine needs from the outside world: entropy and a monotonic millisecond clock.
//! Injected, so tests are reproducible.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The entropy source failed; the engine goes into failure mode.
#[derive(Debug, Clone, thiserror::Error)]
#[error("entropy source failed: {0}")]
pub struct EntropyError(pub String);

pub trait Platform: Send {
    /// Fills `out` with unpredictable bytes. An error puts the TPM in failure mode.
    fn entropy(&mut self, out: &mut [u8]) -> Result<(), EntropyError>;
    /// Milliseconds on a monotonic clock (any origin).
    fn now_ms(&self) -> u64;
}

/// The operating system's entropy and monotonic clock. Time comes from the coarse
/// monotonic clock (millisecond-scale resolution is all a TPM's Clock needs, and it costs a
/// fraction of a precise read on every command).
pub struct OsPlatform {
    origin_ms: u64,
}

fn coarse_ms() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::MonotonicCoarse);
    t.tv_sec as u64 * 1000 + t.tv_nsec as u64 / 1_000_000
}

impl OsPlatform {
    pub fn new() -> Self {
        OsPlatform {
            origin_ms: coarse_ms(),
        }
    }
}

impl Default for OsPlatform {
    fn default() -> Self {
        Self::new()
    }
}

impl Platform for OsPlatform {
    fn entropy(&mut self, out: &mut [u8]) -> Result<(), EntropyError> {
        getrandom::getrandom(out).map_err(|e| EntropyError(e.to_string()))
    }

    fn now_ms(&self) -> u64 {
        coarse_ms().saturating_sub(self.origin_ms)
    }
}

/// Deterministic entropy and a clock the test moves by hand.
#[derive(Clone)]
pub struct SimPlatform {
    counter: u64,
    seed: u64,
    time: Arc<AtomicU64>,
}

impl SimPlatform {
    pub fn new(seed: u64) -> Self {
        SimPlatform {
            counter: 0,
            seed,
            time: Arc::new(AtomicU64::new(0)),
        }
    }

    /// A handle that moves this platform's clock.
    pub fn clock(&self) -> Arc<AtomicU64> {
        self.time.clone()
    }
}

impl Platform for SimPlatform {
    fn entropy(&mut self, out: &mut [u8]) -> Result<(), EntropyError> {
        for chunk in out.chunks_mut(8) {
            self.counter += 1;
            // splitmix64: well mixed, reproducible.
            let mut z = self
                .seed
                .wrapping_add(self.counter.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_be_bytes()[..chunk.len()]);
        }
        Ok(())
    }

    fn now_ms(&self) -> u64 {
        self.time.load(Ordering::Relaxed)
    }
}
