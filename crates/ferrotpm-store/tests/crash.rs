//! Crash safety of the engine and the store together.
//!
//! This test binary re-executes itself as a child (switched by [`CHILD_ENV`]) that runs a
//! TPM from a state directory and writes a counter into an NV index (`TPM2_NV_Write` of 8
//! bytes, permanent state) again and again, storing each write with `save_permanent`
//! BEFORE it acknowledges the value on stdout (the daemon's contract: persist, then
//! release the response). The parent SIGKILLs the child at varied points (random delays
//! from its start, or a random time after a random number of acknowledgements), then
//! loads the directory and proves that the state loads and the counter, read back with `TPM2_NV_Read`, is the last acknowledged value or the
//! one after it (the write in flight). The next child goes on from whatever was loaded.
//!
//! SIGKILL tests the atomicity of every step (a kill can land between any two system
//! calls); durability against power loss rests on the fsyncs, which a process kill cannot
//! observe.
//!
//! Knobs: `FERROTPM_CRASH_TRIALS` (default 2000), `FERROTPM_CRASH_SEED`,
//! `FERROTPM_CRASH_BUDGET_SECS` (default 300: the run fails if the trials take longer).

mod common;

use common::*;
use ferrotpm_store::{load_engine, StateDir, PERMANENT_FILE, TEMP_SUFFIX};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tpm2_engine::{SimPlatform, Tpm};
use tpm2_types::constants::{alg, cc, nv_attr, rh};
use tpm2_types::Rc;

const CHILD_ENV: &str = "FERROTPM_CRASH_CHILD";
/// Writes one child makes before it exits by itself (bounds a child the parent lost).
const CHILD_WRITES: u64 = 200;
const LANES: usize = 2;

/// Held while a lane spawns a child and while a lane holds a state directory's lock: a
/// fork copies every descriptor until the exec closes it, so a child forked while another
/// lane held its lock would briefly hold that lock too.
static FORK_GUARD: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn env_num(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v} is not a number")),
        Err(_) => default,
    }
}

fn main() {
    if let Ok(dir) = std::env::var(CHILD_ENV) {
        if let Err(e) = child(Path::new(&dir)) {
            eprintln!("crash child: {e}");
            std::process::exit(2);
        }
        return;
    }
    crash_trials();
    println!("crash: 1 passed, 0 failed");
}

// ---- the counter: an 8-byte NV index written with TPM2_NV_Write ----

/// The NV index holding the counter (owner authorization; no DA, so no TPM_RC_RETRY).
const NV_COUNTER: u32 = 0x0150_0017;
const NV_ATTRS: u32 = nv_attr::OWNERWRITE | nv_attr::OWNERREAD | nv_attr::NO_DA;

/// `TPM2_NV_DefineSpace` of the counter's index; returns whether permanent state changed.
fn define_counter(tpm: &mut Tpm) -> bool {
    let mut public = Vec::new();
    public.extend_from_slice(&NV_COUNTER.to_be_bytes());
    public.extend_from_slice(&alg::SHA256.to_be_bytes());
    public.extend_from_slice(&NV_ATTRS.to_be_bytes());
    public.extend_from_slice(&0u16.to_be_bytes()); // authPolicy
    public.extend_from_slice(&8u16.to_be_bytes()); // dataSize
    let mut p = Vec::new();
    p.extend_from_slice(&0u16.to_be_bytes()); // auth
    p.extend_from_slice(&(public.len() as u16).to_be_bytes());
    p.extend_from_slice(&public);
    ok(tpm, &command(cc::NV_DEFINE_SPACE, &[rh::OWNER], true, &p)).1
}

/// `TPM2_NV_Write` of `n` into the counter's index: one permanent write.
fn write_counter(tpm: &mut Tpm, n: u64) -> bool {
    let mut p = Vec::new();
    p.extend_from_slice(&8u16.to_be_bytes());
    p.extend_from_slice(&n.to_be_bytes());
    p.extend_from_slice(&0u16.to_be_bytes()); // offset
    ok(
        tpm,
        &command(cc::NV_WRITE, &[rh::OWNER, NV_COUNTER], true, &p),
    )
    .1
}

/// The counter's index as `TPM2_NV_Read` finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Nv {
    Undefined,
    /// Defined, never written (`TPM_RC_NV_UNINITIALIZED`).
    Unwritten,
    Value(u64),
}

impl Nv {
    /// The counter: `None` before its first value.
    fn counter(self) -> Option<u64> {
        match self {
            Nv::Value(n) => Some(n),
            _ => None,
        }
    }
}

fn read_counter(tpm: &mut Tpm) -> Nv {
    let mut p = Vec::new();
    p.extend_from_slice(&8u16.to_be_bytes());
    p.extend_from_slice(&0u16.to_be_bytes()); // offset
    let out = tpm.execute(0, &command(cc::NV_READ, &[rh::OWNER, NV_COUNTER], true, &p));
    let r = &out.response;
    match Rc(rc(r)) {
        Rc::SUCCESS => {
            // parameterSize, then a TPM2B_MAX_NV_BUFFER of 8 bytes.
            assert_eq!(&r[14..16], &[0, 8], "NV_Read answer {r:02x?}");
            Nv::Value(u64::from_be_bytes(r[16..24].try_into().unwrap()))
        }
        Rc::NV_UNINITIALIZED => Nv::Unwritten,
        code if code == Rc::HANDLE.handle(2) => Nv::Undefined,
        code => panic!("NV_Read: {code}"),
    }
}

// ---- the child ----

fn child(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let d = StateDir::open(dir, false)?;
    let mut tpm = load_engine(&d, Box::new(SimPlatform::new(std::process::id() as u64)))?;
    startup_clear(&mut tpm);
    if tpm.permanent_dirty() {
        d.save_permanent(&tpm.take_permanent_blob())?;
    }
    let nv = read_counter(&mut tpm);
    if nv == Nv::Undefined {
        // The first run, or one killed before the definition was stored.
        if !define_counter(&mut tpm) {
            return Err("NV_DefineSpace did not change permanent state".into());
        }
        d.save_permanent(&tpm.take_permanent_blob())?;
    }
    let start = nv.counter();
    let mut out = std::io::stdout().lock();
    writeln!(out, "start {}", fmt(start))?;
    out.flush()?;
    let first = start.map_or(0, |n| n + 1);
    for n in first..first + CHILD_WRITES {
        if !write_counter(&mut tpm, n) {
            return Err(format!("writing {n} did not change permanent state").into());
        }
        d.save_permanent(&tpm.take_permanent_blob())?;
        // Only now is the write durable: acknowledge it.
        writeln!(out, "ack {n}")?;
        out.flush()?;
    }
    Ok(())
}

fn fmt(v: Option<u64>) -> String {
    v.map_or("none".into(), |n| n.to_string())
}

// ---- the parent ----

/// xorshift64*: reproducible from the printed seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[derive(Default, Debug)]
struct Stats {
    trials: u64,
    killed: u64,
    acks: u64,
    /// Loaded the acknowledged value / the unacknowledged one in flight.
    old: u64,
    new: u64,
    /// A save's temporary file was found after the kill (killed mid-save).
    mid_save: u64,
    /// Killed before the child had stored anything.
    no_state: u64,
}

/// Waits exactly `d`: sleeps for the coarse part, spins for the fine one.
fn delay(d: Duration) {
    let end = Instant::now() + d;
    if d > Duration::from_millis(2) {
        std::thread::sleep(d - Duration::from_millis(1));
    }
    while Instant::now() < end {
        std::hint::spin_loop();
    }
}

/// Loads what a killed child left: the counter, or `None` if no state / no counter yet.
fn load_counter(dir: &Path) -> (Option<u64>, bool) {
    let _g = FORK_GUARD.lock().unwrap_or_else(|p| p.into_inner());
    let d = StateDir::open(dir, false).expect("the dead child's lock is released");
    let stored = d
        .load()
        .unwrap_or_else(|e| panic!("state unreadable after a kill: {e}"));
    if stored.is_none() {
        return (None, false);
    }
    // load_engine refuses damage with an error; a valid state restores. Nothing the
    // parent does to this TPM is stored.
    let mut tpm = load_engine(&d, Box::new(SimPlatform::new(1)))
        .unwrap_or_else(|e| panic!("state refused after a kill: {e}"));
    startup_clear(&mut tpm);
    (read_counter(&mut tpm).counter(), true)
}

/// One trial: start a child on `dir`, kill it at a random point, check what it left.
/// Returns the value now stored.
fn trial(
    exe: &Path,
    dir: &Path,
    before: Option<u64>,
    rng: &mut Rng,
    spawn_to_ack: &mut Duration,
    st: &mut Stats,
) -> Option<u64> {
    let mut child = {
        let _g = FORK_GUARD.lock().unwrap_or_else(|p| p.into_inner());
        Command::new(exe)
            .env(CHILD_ENV, dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn the child")
    };
    let started = Instant::now();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    if rng.below(2) == 0 {
        // A random time from spawn, up to a few writes past the first acknowledgement.
        let window = spawn_to_ack.as_micros() as u64 * 3 / 2 + 200;
        delay(Duration::from_micros(rng.below(window)));
    } else {
        // After a random number of acknowledgements, then a random fraction of a write.
        let want = rng.below(6);
        let mut acks = 0;
        while acks < want {
            match rx.recv_timeout(Duration::from_secs(20)) {
                Ok(l) => {
                    if l.starts_with("ack ") {
                        if acks == 0 {
                            // Track how long a child takes to its first write.
                            *spawn_to_ack = (*spawn_to_ack * 7 + started.elapsed()) / 8;
                        }
                        acks += 1;
                    }
                    lines.push(l);
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => panic!("child stalled"),
            }
        }
        delay(Duration::from_micros(rng.below(1500)));
    }
    child.kill().expect("SIGKILL the child");
    let status = child.wait().expect("reap the child");
    reader.join().unwrap();
    lines.extend(rx.try_iter());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    match status.signal() {
        Some(9) => st.killed += 1,
        _ => assert!(status.success(), "child failed ({status}): {err}"),
    }
    let mid_save = dir.join(format!("{PERMANENT_FILE}{TEMP_SUFFIX}")).exists();

    // What the child said: where it started, and each value it made durable.
    let mut last = before;
    for l in &lines {
        if let Some(s) = l.strip_prefix("start ") {
            assert_eq!(
                s,
                fmt(before),
                "the child loaded something else than was verified"
            );
        } else if let Some(a) = l.strip_prefix("ack ") {
            let n: u64 = a.parse().unwrap();
            assert_eq!(n, last.map_or(0, |v| v + 1), "acks out of order: {lines:?}");
            last = Some(n);
            st.acks += 1;
        } else {
            panic!("unexpected child output {l:?}");
        }
    }
    let in_flight = Some(last.map_or(0, |v| v + 1));
    let (now, has_state) = load_counter(dir);
    assert!(
        now == last || now == in_flight,
        "after a kill the counter is {} but the last acknowledged value was {} (output {lines:?})",
        fmt(now),
        fmt(last)
    );
    st.trials += 1;
    st.old += (now == last) as u64;
    st.new += (now == in_flight) as u64;
    st.mid_save += mid_save as u64;
    st.no_state += !has_state as u64;
    now
}

fn lane(exe: PathBuf, trials: u64, seed: u64, deadline: Instant) -> Stats {
    let t = tempfile::tempdir().unwrap();
    let dir = t.path().join("state");
    std::fs::create_dir(&dir).unwrap();
    let mut rng = Rng(seed | 1);
    let mut st = Stats::default();
    let mut value = None;
    let mut spawn_to_ack = Duration::from_millis(5);
    for i in 0..trials {
        assert!(
            Instant::now() < deadline,
            "time budget exceeded after {i} trials: {st:?}"
        );
        value = trial(&exe, &dir, value, &mut rng, &mut spawn_to_ack, &mut st);
    }
    st
}

fn crash_trials() {
    let trials = env_num("FERROTPM_CRASH_TRIALS", 2000);
    let budget = Duration::from_secs(env_num("FERROTPM_CRASH_BUDGET_SECS", 300));
    let seed = env_num(
        "FERROTPM_CRASH_SEED",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64,
    );
    println!("crash: {trials} trials in {LANES} lanes, FERROTPM_CRASH_SEED={seed}");
    let exe = std::env::current_exe().unwrap();
    let deadline = Instant::now() + budget;
    let t0 = Instant::now();
    let lanes: Vec<_> = (0..LANES as u64)
        .map(|l| {
            let exe = exe.clone();
            let n = trials / LANES as u64 + (l < trials % LANES as u64) as u64;
            let s = seed.wrapping_add(l.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            std::thread::spawn(move || lane(exe, n, s, deadline))
        })
        .collect();
    let mut total = Stats::default();
    for l in lanes {
        let s = l
            .join()
            .unwrap_or_else(|_| panic!("a lane failed (FERROTPM_CRASH_SEED={seed})"));
        total.trials += s.trials;
        total.killed += s.killed;
        total.acks += s.acks;
        total.old += s.old;
        total.new += s.new;
        total.mid_save += s.mid_save;
        total.no_state += s.no_state;
    }
    println!("crash: {total:?} in {:.1?}", t0.elapsed());
    assert_eq!(total.trials, trials);
    // The kills must have landed where it matters, or the test proved nothing.
    assert!(
        total.killed * 10 >= trials * 9,
        "most children must die by SIGKILL: {total:?}"
    );
    assert!(
        total.mid_save > 0,
        "no kill landed inside a save: {total:?}"
    );
    assert!(total.acks >= trials, "too few writes: {total:?}");
}
