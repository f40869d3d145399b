//! In-process engine throughput, ferrotpm vs libtpms, in one run on one machine.
//!
//! Each operation runs for a fixed time on each engine after a warm-up, in short slices
//! that alternate between the engines (see `interleaved`); both engines must
//! answer TPM_RC_SUCCESS. ferrotpm's figure includes serializing permanent state whenever a
//! command changed it (what the daemon does before answering); libtpms serializes inside
//! `TPMLIB_Process` into in-memory NVRAM callbacks. No disk I/O on either side: the durable
//! commit is measured on its own line.
//!
//! Usage: cargo run --release --manifest-path benches/engine-vs-libtpms/Cargo.toml [-- SECS]

mod libtpms;

use std::time::{Duration, Instant};
use tpm2_engine::{OsPlatform, Tpm};
use tpm2_types::constants::{alg, cc, nv_attr, rh, st, su};
use tpm2_types::Codec;

fn command(code: u32, handles: &[u32], pw_session: bool, params: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for h in handles {
        h.encode(&mut body);
    }
    let tag = if pw_session {
        9u32.encode(&mut body);
        rh::PW.encode(&mut body);
        body.extend_from_slice(&[0, 0, 1, 0, 0]);
        st::SESSIONS
    } else {
        st::NO_SESSIONS
    };
    body.extend_from_slice(params);
    let mut out = Vec::new();
    tag.encode(&mut out);
    ((body.len() + 10) as u32).encode(&mut out);
    code.encode(&mut out);
    out.extend_from_slice(&body);
    out
}

struct Op {
    name: &'static str,
    setup: Vec<Vec<u8>>,
    cmd: Vec<u8>,
}

fn ops() -> Vec<Op> {
    let mut extend = Vec::new();
    1u32.encode(&mut extend);
    alg::SHA256.encode(&mut extend);
    extend.extend_from_slice(&[0x5A; 32]);

    let mut read = Vec::new();
    1u32.encode(&mut read);
    alg::SHA256.encode(&mut read);
    read.extend_from_slice(&[3, 0xFF, 0, 0]);

    let mut hash = Vec::new();
    1024u16.encode(&mut hash);
    hash.extend_from_slice(&[0xA5; 1024]);
    alg::SHA256.encode(&mut hash);
    rh::OWNER.encode(&mut hash);

    let index = 0x0150_0001u32;
    let mut define = Vec::new();
    0u16.encode(&mut define); // auth
    let mut public = Vec::new();
    index.encode(&mut public);
    alg::SHA256.encode(&mut public);
    (nv_attr::OWNERWRITE | nv_attr::OWNERREAD | nv_attr::AUTHWRITE | nv_attr::AUTHREAD).encode(&mut public);
    0u16.encode(&mut public); // policy
    64u16.encode(&mut public); // size
    (public.len() as u16).encode(&mut define);
    define.extend_from_slice(&public);
    let mut write = Vec::new();
    64u16.encode(&mut write);
    write.extend_from_slice(&[0x11; 64]);
    0u16.encode(&mut write); // offset

    vec![
        Op { name: "GetRandom 32 B", setup: vec![], cmd: command(cc::GET_RANDOM, &[], false, &32u16.to_be_bytes()) },
        Op { name: "PCR_Extend SHA-256", setup: vec![], cmd: command(cc::PCR_EXTEND, &[10], true, &extend) },
        Op { name: "PCR_Read 8 PCRs", setup: vec![], cmd: command(cc::PCR_READ, &[], false, &read) },
        Op { name: "Hash SHA-256 1 KiB", setup: vec![], cmd: command(cc::HASH, &[], false, &hash) },
        Op {
            name: "NV_Write 64 B",
            setup: vec![command(cc::NV_DEFINE_SPACE, &[rh::OWNER], true, &define)],
            cmd: command(cc::NV_WRITE, &[rh::OWNER, index], true, &write),
        },
    ]
}

fn rc_of(resp: &[u8]) -> u32 {
    if resp.len() < 10 {
        return u32::MAX;
    }
    u32::from_be_bytes([resp[6], resp[7], resp[8], resp[9]])
}

/// Throughput of each of `fs` in operations per second, measured interleaved: after a
/// warm-up, short slices (~10 ms) of each function in turn, the order rotating every
/// round, until each has run for about `secs` in all. Slow drifts of this VM's speed (a
/// neighbour, frequency changes) then hit every engine alike instead of whichever ran
/// during them.
fn interleaved<const N: usize>(secs: f64, fs: &mut [&mut dyn FnMut(); N]) -> [f64; N] {
    // Warm-up, and a batch size per function that takes about one slice.
    let mut batch = [0u64; N];
    for (i, f) in fs.iter_mut().enumerate() {
        for _ in 0..200 {
            f();
        }
        let t = Instant::now();
        let mut n = 0u64;
        while t.elapsed() < Duration::from_millis(10) {
            for _ in 0..16 {
                f();
            }
            n += 16;
        }
        batch[i] = n.max(16);
    }
    let mut ops = [0u64; N];
    let mut time = [0f64; N];
    let mut round = 0usize;
    while time.iter().any(|&t| t < secs) {
        for k in 0..N {
            let i = (k + round) % N;
            let t = Instant::now();
            for _ in 0..batch[i] {
                (fs[i])();
            }
            time[i] += t.elapsed().as_secs_f64();
            ops[i] += batch[i];
        }
        round += 1;
    }
    std::array::from_fn(|i| ops[i] as f64 / time[i])
}

fn main() {
    let secs: f64 = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(2.0);
    let startup = command(cc::STARTUP, &[], false, &su::CLEAR.to_be_bytes());
    println!("In-process throughput, {secs} s per operation and engine (ops/s; higher is better)\n");
    println!("| operation | ferrotpm | ferrotpm + state serialization | libtpms 0.9 | ratio | ratio with serialization |");
    println!("|---|---:|---:|---:|---:|---:|");
    let mut failed = false;
    // BENCH_ONLY=substring runs only matching operations (for profiling one of them).
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    for op in ops().into_iter().filter(|o| o.name.contains(only.as_str())) {
        let mut f = Tpm::manufacture(Box::new(OsPlatform::new()));
        let mut l = match libtpms::Libtpms::new() {
            Ok(l) => l,
            Err(e) => {
                eprintln!("libtpms: {e}");
                std::process::exit(2);
            }
        };
        for c in std::iter::once(&startup).chain(&op.setup).chain(std::iter::once(&op.cmd)) {
            let rf = rc_of(&f.execute(0, c).response);
            let rl = rc_of(&l.process(c));
            if rf != 0 || rl != 0 {
                eprintln!("{}: setup/probe failed: ferrotpm rc {rf:#x}, libtpms rc {rl:#x}", op.name);
                failed = true;
            }
        }
        if failed {
            continue;
        }
        // The daemon's path: one response buffer reused across commands. Engine work only,
        // then with the permanent state serialized after every command that changed it
        // (the bytes the durable commit writes).
        let mut resp = Vec::new();
        // Every measured command must succeed, also after many repetitions.
        for _ in 0..10_000 {
            f.execute_into(0, &op.cmd, &mut resp);
        }
        let rf = rc_of(&resp);
        let rl = rc_of(&l.process(&op.cmd));
        if rf != 0 || rl != 0 {
            eprintln!("{}: repeated command failed: ferrotpm rc {rf:#x}, libtpms rc {rl:#x}", op.name);
            failed = true;
            continue;
        }
        // The state-serializing variant runs on its own engine instance, so that the
        // engines measured side by side do not share one (borrowed) TPM.
        let mut g = Tpm::manufacture(Box::new(OsPlatform::new()));
        for c in std::iter::once(&startup).chain(&op.setup) {
            g.execute(0, c);
        }
        let mut resp2 = Vec::new();
        let mut ferro = || {
            f.execute_into(0, &op.cmd, &mut resp);
            std::hint::black_box(&resp);
        };
        let mut ferro_ser = || {
            if g.execute_into(0, &op.cmd, &mut resp2) {
                std::hint::black_box(g.take_permanent_blob());
            }
            std::hint::black_box(&resp2);
        };
        let mut lib = || {
            std::hint::black_box(l.process(&op.cmd));
        };
        let [ff, fs, fl] = interleaved(secs, &mut [&mut ferro, &mut ferro_ser, &mut lib]);
        if rc_of(&resp2) != 0 {
            eprintln!("{}: the serializing engine failed: rc {:#x}", op.name, rc_of(&resp2));
            failed = true;
        }
        println!(
            "| {} | {:.0} | {:.0} | {:.0} | {:.2}× | {:.2}× |",
            op.name,
            ff,
            fs,
            fl,
            ff / fl,
            fs / fl
        );
        drop(l);
    }
    durable_commit();
    if failed {
        std::process::exit(1);
    }
}

/// The durable commit of one permanent-state write (what the daemon adds to a command that
/// changes permanent state): temp file, fsync, rename, fsync of the directory.
fn durable_commit() {
    let dir = std::env::temp_dir().join(format!("ferrotpm-bench-commit-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let d = ferrotpm_store::StateDir::open(&dir, true).expect("state dir");
    let mut tpm = Tpm::manufacture(Box::new(OsPlatform::new()));
    let blob = tpm.take_permanent_blob();
    let mut t: Vec<f64> = (0..200)
        .map(|_| {
            let s = Instant::now();
            d.save_permanent(&blob).expect("save");
            s.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    t.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "\nDurable commit of a {} B permanent state (temp, fsync, rename, fsync dir), not in \
         the figures above: median {:.0} µs, p90 {:.0} µs",
        blob.len(),
        t[t.len() / 2],
        t[t.len() * 9 / 10]
    );
    drop(d);
    let _ = std::fs::remove_dir_all(&dir);
}
