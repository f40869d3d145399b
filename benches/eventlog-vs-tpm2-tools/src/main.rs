//! Event logs, run by hand (not in CI), in one run:
//!
//! 1. A 100,000-event crypto-agile log made by `ferrotpm eventlog simulate` against a
//!    ferrotpm daemon: `ferrotpm eventlog show --format yaml` (parse + replay + YAML) and
//!    Debian's `tpm2_eventlog` (the same work), rounds interleaved, medians compared.
//! 2. The same on every fixture log that `tpm2_eventlog` accepts (process start
//!    dominates there).
//! 3. IMA: a generated 1,000,000-entry ima-ng log (binary) verified by `ferrotpm eventlog
//!    verify --ima` against PCR 10 of one bank, and the same verification in process
//!    (parse + template-hash checks + replay), against the floor: SHA-256 over every
//!    entry's template data in a tight loop with the same implementation (tpm2-crypto,
//!    RustCrypto sha2).
//!
//! Usage: cargo run --release -p eventlog-vs-tpm2-tools -- [FERROTPM_BIN] [ROUNDS] [PARTS]
//! (PARTS: `all` (default), `show` for 1 and 2, `ima` for 3)
//! (FERROTPM_BIN defaults to $CARGO_TARGET_DIR/release/ferrotpm or target/release/ferrotpm;
//! build it first with `cargo build --release -p ferrotpm`).

mod ima;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Runs a command with its output discarded; its wall time. Panics if it fails.
fn time(cmd: &mut Command) -> Duration {
    let t = Instant::now();
    let st = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let d = t.elapsed();
    assert!(st.success(), "{cmd:?} failed: {st}");
    d
}

pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

/// Interleaved rounds of `ours` and `theirs`: their medians.
fn race(rounds: usize, ours: &mut Command, theirs: &mut Command) -> (Duration, Duration) {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        a.push(time(ours));
        b.push(time(theirs));
    }
    (median(a), median(b))
}

fn free_port_pair() -> u16 {
    for p in (30000..60000).step_by(7) {
        if TcpListener::bind(("127.0.0.1", p)).is_ok()
            && TcpListener::bind(("127.0.0.1", p + 1)).is_ok()
        {
            return p;
        }
    }
    panic!("no free port pair");
}

/// Starts a ferrotpm daemon (started), runs simulate for a log of `events` events.
fn simulate(bin: &Path, dir: &Path, events: usize) -> PathBuf {
    let port = free_port_pair();
    let mut d = Command::new(bin)
        .args(["socket", "--tpm2", "--flags", "not-need-init,startup-clear"])
        .arg("--tpmstate")
        .arg(format!("dir={}", dir.join("state").display()))
        .args(["--server", &format!("type=tcp,port={port}")])
        .args(["--ctrl", &format!("type=tcp,port={}", port + 1)])
        .stderr(Stdio::null())
        .spawn()
        .expect("ferrotpm socket");
    let addr = format!("swtpm:host=127.0.0.1,port={port}");
    let t = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "the daemon did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = dir.join(format!("simulated-{events}.bin"));
    let t = Instant::now();
    let st = Command::new(bin)
        .args(["eventlog", "simulate", "--tpm", &addr, "--seed", "1"])
        .args(["--events", &events.to_string()])
        .arg("--out")
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success(), "simulate failed");
    println!(
        "simulate: {events} events against ferrotpm in {}",
        ms(t.elapsed())
    );
    let _ = d.kill();
    let _ = d.wait();
    out
}

fn fixtures(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            fixtures(&p, out);
        } else if p.extension().is_some_and(|e| e == "bin") {
            out.push(p);
        }
    }
}

fn show(bin: &Path, log: &Path) -> Command {
    let mut c = Command::new(bin);
    c.args(["eventlog", "show", "--format", "yaml"]).arg(log);
    c
}

fn tpm2_eventlog(log: &Path) -> Command {
    let mut c = Command::new("tpm2_eventlog");
    c.arg(log);
    c
}

fn main() {
    let mut args = std::env::args().skip(1);
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let bin = args.next().map(PathBuf::from).unwrap_or_else(|| {
        std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"))
            .join("release/ferrotpm")
    });
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(5);
    let parts = args.next().unwrap_or_else(|| "all".into());
    assert!(bin.exists(), "{} is missing", bin.display());
    Command::new("tpm2_eventlog")
        .arg("--version")
        .output()
        .expect("tpm2_eventlog (Debian's tpm2-tools) is required");
    let dir = std::env::temp_dir().join(format!("eventlog-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();

    if parts != "ima" {
        show_part(&bin, &root, &dir, rounds);
    }
    if parts != "show" {
        println!("== IMA: 1,000,000 ima-ng entries ({rounds} rounds, medians)");
        ima::bench(&bin, &dir, rounds);
    }
    // EVENTLOG_BENCH_KEEP=1 keeps the generated logs (for profiling the CLI on them).
    if std::env::var_os("EVENTLOG_BENCH_KEEP").is_some() {
        println!("kept {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
}

fn show_part(bin: &Path, root: &Path, dir: &Path, rounds: usize) {
    println!("== 100,000-event simulated log: show --format yaml vs tpm2_eventlog ({rounds} rounds, medians)");
    let big = simulate(bin, dir, 100_000);
    let size = std::fs::metadata(&big).unwrap().len();
    let (a, b) = race(rounds, &mut show(bin, &big), &mut tpm2_eventlog(&big));
    println!(
        "{:<44} {:>10} {:>12} {:>12} {:>8.1}x",
        format!("simulated-100000.bin ({} KiB)", size / 1024),
        "",
        ms(a),
        ms(b),
        b.as_secs_f64() / a.as_secs_f64()
    );

    println!("== fixtures (logs tpm2_eventlog accepts)");
    println!(
        "{:<55} {:>12} {:>14} {:>8}",
        "log", "ferrotpm", "tpm2_eventlog", "ratio"
    );
    let mut logs = Vec::new();
    fixtures(&root.join("crates/tcg-eventlog/tests/data"), &mut logs);
    let mut ratios = Vec::new();
    for log in &logs {
        let ok = Command::new("tpm2_eventlog")
            .arg(log)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            continue;
        }
        let (a, b) = race(rounds, &mut show(bin, log), &mut tpm2_eventlog(log));
        let r = b.as_secs_f64() / a.as_secs_f64();
        ratios.push(r);
        let name = log.strip_prefix(root).unwrap_or(log).display().to_string();
        let name = name.trim_start_matches("crates/tcg-eventlog/tests/data/");
        println!("{name:<55} {:>12} {:>14} {r:>7.1}x", ms(a), ms(b));
    }
    let geo = (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len().max(1) as f64).exp();
    println!("{} fixtures, geometric mean ratio {geo:.1}x", ratios.len());
}
