//! The template-hash checks and the replay of IMA entries, on every core.
//!
//! The entries are cut into chunks of [`CHUNK`]. A hashing task takes the next chunk
//! nobody has taken and, for each of its entries, checks the template hash (SHA-1 of the
//! template data) and — for a bank filled with its own hash — hashes the template data
//! with the bank's hash into the chunk's digest buffer. The calling thread folds the
//! extends in entry order, chunk by chunk; while the digests of the next chunk are not
//! ready it takes a hashing task itself, so every thread hashes and the serial extend
//! chain runs beside the hashing. Every entry is hashed once per pass; nothing is kept
//! between passes.

use super::{BankDigest, ImaEntryRef};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha384, Sha512};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use tpm2_types::HashAlg;

/// Entries per hashing task (2048 × 64-byte digests: a buffer that stays in cache).
const CHUNK: usize = 2048;
/// At most this many threads hash.
const MAX_THREADS: usize = 8;

/// What one pass over the entries found.
pub(crate) struct Pass {
    /// The replayed PCRs (empty without a bank).
    pub pcrs: BTreeMap<u32, Vec<u8>>,
    /// Entries (numbers, in order) whose template hash is not SHA-1 of their template
    /// data (only when checked).
    pub bad: Vec<usize>,
}

/// Whether `hash` is SHA-1 of `data`.
pub(crate) fn sha1_ok(data: &[u8], hash: &[u8]) -> bool {
    Sha1::digest(data).as_slice() == hash
}

/// Entries per PCR.
pub(crate) fn pcr_counts(entries: &[ImaEntryRef<'_>]) -> BTreeMap<u32, usize> {
    let mut out = BTreeMap::new();
    let mut run: Option<(u32, usize)> = None;
    for e in entries {
        match &mut run {
            Some((p, n)) if *p == e.pcr => *n += 1,
            r => {
                if let Some((p, n)) = r.replace((e.pcr, 1)) {
                    *out.entry(p).or_insert(0) += n;
                }
            }
        }
    }
    if let Some((p, n)) = run {
        *out.entry(p).or_insert(0) += n;
    }
    out
}

/// One pass: the replay of the entries into the bank of `bank` (if given, filled as it
/// says) and, if `check`, the template-hash check of every entry.
pub(crate) fn run(
    entries: &[ImaEntryRef<'_>],
    bank: Option<(HashAlg, BankDigest)>,
    check: bool,
) -> Pass {
    let how = bank.map(|b| b.1);
    match bank.map(|b| b.0) {
        None => run_with::<Sha256>(entries, None, false, check),
        Some(HashAlg::Sha1) => run_with::<Sha1>(entries, how, true, check),
        Some(HashAlg::Sha256) => run_with::<Sha256>(entries, how, false, check),
        Some(HashAlg::Sha384) => run_with::<Sha384>(entries, how, false, check),
        Some(HashAlg::Sha512) => run_with::<Sha512>(entries, how, false, check),
    }
}

/// A hashing task's result.
struct Done {
    /// The bank's hash of each entry's template data, `output_size` bytes each (empty
    /// when the bank does not hash the data; unused for violations).
    digests: Vec<u8>,
    bad: Vec<usize>,
}

struct Shared {
    /// The next chunk to hash.
    next: AtomicUsize,
    slots: Mutex<Vec<Option<Done>>>,
    ready: Condvar,
    /// A hashing thread panicked (its chunk never comes).
    failed: AtomicBool,
}

impl Shared {
    fn slots(&self) -> MutexGuard<'_, Vec<Option<Done>>> {
        self.slots.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Tells the extending thread when a hashing thread panics, so it does not wait forever.
struct PanicGuard<'a>(&'a Shared);

impl Drop for PanicGuard<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.failed.store(true, Ordering::SeqCst);
            let _g = self.0.slots();
            self.0.ready.notify_all();
        }
    }
}

fn hash_chunk<D: Digest>(chunk: &[ImaEntryRef<'_>], check: bool, digest: bool) -> Done {
    let n = <D as Digest>::output_size();
    let mut bad = Vec::new();
    let mut digests = Vec::new();
    if digest {
        digests.resize(chunk.len() * n, 0);
        for (e, out) in chunk.iter().zip(digests.chunks_exact_mut(n)) {
            if e.is_violation() {
                continue;
            }
            if check && !sha1_ok(e.data, e.template_hash) {
                bad.push(e.number);
            }
            out.copy_from_slice(&D::digest(e.data));
        }
    } else if check {
        for e in chunk {
            if !e.is_violation() && !sha1_ok(e.data, e.template_hash) {
                bad.push(e.number);
            }
        }
    }
    Done { digests, bad }
}

/// Takes the next chunk and hashes it; `false` when every chunk is taken.
fn hash_task<D: Digest>(
    shared: &Shared,
    chunks: &[&[ImaEntryRef<'_>]],
    check: bool,
    digest: bool,
) -> bool {
    let claimed = shared
        .next
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |c| {
            (c < chunks.len()).then_some(c + 1)
        });
    let Ok(c) = claimed else {
        return false;
    };
    let done = hash_chunk::<D>(chunks[c], check, digest);
    shared.slots()[c] = Some(done);
    shared.ready.notify_all();
    true
}

/// The running values of the PCRs: the one of the latest entries (nearly always PCR 10)
/// on the stack, the others in the map until their PCR comes again.
struct Fold {
    n: usize,
    pcrs: BTreeMap<u32, Vec<u8>>,
    current: Option<(u32, [u8; 64])>,
}

impl Fold {
    fn value(&mut self, pcr: u32) -> &mut [u8; 64] {
        let n = self.n;
        if self.current.as_ref().is_none_or(|(p, _)| *p != pcr) {
            if let Some((p, v)) = self.current.take() {
                self.pcrs.insert(p, v[..n].to_vec());
            }
            let mut v = [0u8; 64];
            if let Some(old) = self.pcrs.get(&pcr) {
                v[..n].copy_from_slice(old);
            }
            self.current = Some((pcr, v));
        }
        &mut self.current.get_or_insert((pcr, [0u8; 64])).1
    }

    /// Extends `chunk`: `digests` are the bank's hashes of the template data (else the
    /// template hashes, zero-padded to the bank's size, are extended).
    fn extend<D: Digest>(&mut self, chunk: &[ImaEntryRef<'_>], digests: Option<&[u8]>) {
        let n = self.n;
        let mut d = [0u8; 64];
        for (i, e) in chunk.iter().enumerate() {
            let digest: &[u8] = if e.is_violation() {
                d[..n].fill(0xff);
                &d[..n]
            } else if let Some(ds) = digests {
                &ds[i * n..(i + 1) * n]
            } else {
                let t = e.template_hash.len().min(n);
                d[..n].fill(0);
                d[..t].copy_from_slice(&e.template_hash[..t]);
                &d[..n]
            };
            let value = self.value(e.pcr);
            let next = D::new()
                .chain_update(&value[..n])
                .chain_update(digest)
                .finalize();
            value[..n].copy_from_slice(&next);
        }
    }

    fn finish(mut self) -> BTreeMap<u32, Vec<u8>> {
        if let Some((p, v)) = self.current.take() {
            self.pcrs.insert(p, v[..self.n].to_vec());
        }
        self.pcrs
    }
}

fn run_with<D: Digest>(
    entries: &[ImaEntryRef<'_>],
    how: Option<BankDigest>,
    sha1_bank: bool,
    check: bool,
) -> Pass {
    let chunks: Vec<&[ImaEntryRef<'_>]> = entries.chunks(CHUNK).collect();
    // The bank hashes the template data (SHA-1 extends the template hash itself).
    let digest = how == Some(BankDigest::Hashed) && !sha1_bank;
    let mut fold = Fold {
        n: <D as Digest>::output_size(),
        pcrs: BTreeMap::new(),
        current: None,
    };
    if !digest && !check {
        if how.is_some() {
            for chunk in &chunks {
                fold.extend::<D>(chunk, None);
            }
        }
        return Pass {
            pcrs: fold.finish(),
            bad: Vec::new(),
        };
    }
    let shared = Shared {
        next: AtomicUsize::new(0),
        slots: Mutex::new((0..chunks.len()).map(|_| None).collect()),
        ready: Condvar::new(),
        failed: AtomicBool::new(false),
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .min(MAX_THREADS)
        .min(chunks.len());
    std::thread::scope(|s| {
        for _ in 1..threads {
            s.spawn(|| {
                let _guard = PanicGuard(&shared);
                while hash_task::<D>(&shared, &chunks, check, digest) {}
            });
        }
        if how.is_some() {
            for (c, chunk) in chunks.iter().enumerate() {
                let digests = if digest {
                    Some(take_digests::<D>(&shared, &chunks, c, check))
                } else {
                    None
                };
                fold.extend::<D>(chunk, digests.as_deref());
            }
        }
        while hash_task::<D>(&shared, &chunks, check, digest) {}
    });
    let bad = shared
        .slots
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .into_iter()
        .flatten()
        .flat_map(|d| d.bad)
        .collect();
    Pass {
        pcrs: fold.finish(),
        bad,
    }
}

/// The digests of chunk `c`, hashing other chunks (or waiting) until they are ready.
fn take_digests<D: Digest>(
    shared: &Shared,
    chunks: &[&[ImaEntryRef<'_>]],
    c: usize,
    check: bool,
) -> Vec<u8> {
    loop {
        if let Some(d) = shared.slots()[c].as_mut() {
            return std::mem::take(&mut d.digests);
        }
        if hash_task::<D>(shared, chunks, check, true) {
            continue;
        }
        // Every chunk is taken: another thread is hashing chunk `c`.
        let mut slots = shared.slots();
        loop {
            if let Some(d) = slots[c].as_mut() {
                return std::mem::take(&mut d.digests);
            }
            assert!(
                !shared.failed.load(Ordering::SeqCst),
                "an IMA hashing thread panicked"
            );
            slots = shared
                .ready
                .wait(slots)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}
