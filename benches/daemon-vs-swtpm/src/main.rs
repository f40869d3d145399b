//! ferrotpm and Debian's swtpm as processes on loopback, measured in one run with the
//! rounds interleaved (so machine noise hits both alike), next to a do-nothing server that
//! answers every command with a 10-byte success response (the transport's floor).
//!
//! Reports: start → first response, round trips (p10 for light commands, median for heavy
//! ones) for GetRandom, PCR_Extend, PCR_Read, Hash 1 KiB, RSS after warm-up, and the
//! object commands (`objects.rs`).
//!
//! Usage: cargo run --release --manifest-path benches/daemon-vs-swtpm/Cargo.toml -- \
//!          [FERROTPM_BIN] [ROUNDS]

mod manufacture;
mod objects;
mod sessions;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn command(code: u32, handles: &[u32], pw: bool, params: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for h in handles {
        body.extend_from_slice(&h.to_be_bytes());
    }
    let tag: u16 = if pw {
        body.extend_from_slice(&9u32.to_be_bytes());
        body.extend_from_slice(&0x4000_0009u32.to_be_bytes());
        body.extend_from_slice(&[0, 0, 1, 0, 0]);
        0x8002
    } else {
        0x8001
    };
    body.extend_from_slice(params);
    let mut out = tag.to_be_bytes().to_vec();
    out.extend_from_slice(&((body.len() + 10) as u32).to_be_bytes());
    out.extend_from_slice(&code.to_be_bytes());
    out.extend_from_slice(&body);
    out
}

struct Op {
    name: &'static str,
    heavy: bool,
    cmd: Vec<u8>,
}

fn ops() -> Vec<Op> {
    let mut extend = 1u32.to_be_bytes().to_vec();
    extend.extend_from_slice(&0x000Bu16.to_be_bytes());
    extend.extend_from_slice(&[0x5A; 32]);
    let mut read = 1u32.to_be_bytes().to_vec();
    read.extend_from_slice(&[0, 0x0B, 3, 0xFF, 0, 0]);
    let mut hash = 1024u16.to_be_bytes().to_vec();
    hash.extend_from_slice(&[0xA5; 1024]);
    hash.extend_from_slice(&0x000Bu16.to_be_bytes());
    hash.extend_from_slice(&0x4000_0001u32.to_be_bytes());
    vec![
        Op {
            name: "GetRandom 32 B",
            heavy: false,
            cmd: command(0x17B, &[], false, &32u16.to_be_bytes()),
        },
        Op {
            name: "PCR_Extend SHA-256",
            heavy: false,
            cmd: command(0x182, &[10], true, &extend),
        },
        Op {
            name: "PCR_Read 8 PCRs",
            heavy: false,
            cmd: command(0x17E, &[], false, &read),
        },
        Op {
            name: "Hash SHA-256 1 KiB",
            heavy: true,
            cmd: command(0x17D, &[], false, &hash),
        },
    ]
}

fn free_port_pair() -> u16 {
    for p in (30000..60000).step_by(7) {
        let seed = (std::process::id() as u16).wrapping_mul(13);
        let p = 30000 + (p + seed) % 30000;
        if TcpListener::bind(("127.0.0.1", p)).is_ok()
            && TcpListener::bind(("127.0.0.1", p + 1)).is_ok()
        {
            return p;
        }
    }
    panic!("no free ports");
}

/// One round trip on a persistent connection; returns the response.
fn round_trip(s: &mut TcpStream, cmd: &[u8]) -> Vec<u8> {
    s.write_all(cmd).unwrap();
    let mut head = [0u8; 10];
    s.read_exact(&mut head).unwrap();
    let n = u32::from_be_bytes([head[2], head[3], head[4], head[5]]) as usize;
    let mut resp = head.to_vec();
    resp.resize(n, 0);
    s.read_exact(&mut resp[10..]).unwrap();
    resp
}

struct Server {
    name: &'static str,
    child: Option<Child>,
    conn: TcpStream,
    start_to_first: Option<Duration>,
    _dir: Option<std::path::PathBuf>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
        if let Some(d) = &self._dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

const GET_RANDOM_8: [u8; 12] = [0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7B, 0, 8];

fn start_tpm(
    name: &'static str,
    prog: &str,
    args: Vec<String>,
    port: u16,
    dir: std::path::PathBuf,
) -> Server {
    let t0 = Instant::now();
    let child = Command::new(prog)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{prog}: {e}"));
    // Start → first successful response.
    let conn = loop {
        if t0.elapsed() > Duration::from_secs(20) {
            panic!("{name} did not answer");
        }
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) {
            s.set_nodelay(true).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            if s.write_all(&GET_RANDOM_8).is_ok() {
                let mut head = [0u8; 10];
                if s.read_exact(&mut head).is_ok() && head[6..10] == [0, 0, 0, 0] {
                    let mut rest =
                        vec![
                            0u8;
                            u32::from_be_bytes([head[2], head[3], head[4], head[5]]) as usize - 10
                        ];
                    s.read_exact(&mut rest).unwrap();
                    break s;
                }
            }
        }
        std::thread::sleep(Duration::from_micros(200));
    };
    let elapsed = t0.elapsed();
    Server {
        name,
        child: Some(child),
        conn,
        start_to_first: Some(elapsed),
        _dir: Some(dir),
    }
}

/// The floor: a separate process (this binary with `--null-server PORT`) that answers every
/// command with a 10-byte success response, so it pays the same process wake-ups.
fn start_null_server() -> Server {
    let port = free_port_pair();
    let exe = std::env::current_exe().unwrap();
    let child = Command::new(exe)
        .args(["--null-server", &port.to_string()])
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    let conn = loop {
        if let Ok(c) = TcpStream::connect(("127.0.0.1", port)) {
            break c;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "null server did not start"
        );
        std::thread::sleep(Duration::from_millis(1));
    };
    conn.set_nodelay(true).unwrap();
    Server {
        name: "do-nothing",
        child: Some(child),
        conn,
        start_to_first: None,
        _dir: None,
    }
}

fn null_server(port: u16) {
    let l = TcpListener::bind(("127.0.0.1", port)).unwrap();
    {
        for mut s in l.incoming().flatten() {
            let _ = s.set_nodelay(true);
            std::thread::spawn(move || loop {
                let mut head = [0u8; 10];
                if s.read_exact(&mut head).is_err() {
                    return;
                }
                let n = u32::from_be_bytes([head[2], head[3], head[4], head[5]]) as usize;
                let mut rest = vec![0u8; n.saturating_sub(10)];
                if s.read_exact(&mut rest).is_err() {
                    return;
                }
                if s.write_all(&[0x80, 0x01, 0, 0, 0, 10, 0, 0, 0, 0]).is_err() {
                    return;
                }
            });
        }
    }
}

fn rss_kib(s: &Server) -> Option<u64> {
    let pid = s.child.as_ref()?.id();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn quantile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(|s| s.as_str()) == Some("--null-server") {
        null_server(args[2].parse().unwrap());
        return;
    }
    if args.get(1).map(|s| s.as_str()) == Some("--manufacture") {
        // Only the manufacturing comparison: --manufacture [FERROTPM] [ROUNDS].
        let ferro = args.get(2).map_or("target/release/ferrotpm", |s| s.as_str());
        let rounds = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(10);
        let tmp = std::env::temp_dir().join(format!("ferrotpm-bench-{}", std::process::id()));
        manufacture::run(ferro, &tmp, rounds);
        let _ = std::fs::remove_dir_all(&tmp);
        return;
    }
    let ferro = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "target/release/ferrotpm".into());
    let rounds: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(20);
    let per_round = 200;
    let tmp = std::env::temp_dir().join(format!("ferrotpm-bench-{}", std::process::id()));

    let sp = free_port_pair();
    let sdir = tmp.join("swtpm");
    std::fs::create_dir_all(&sdir).unwrap();
    let swtpm = start_tpm(
        "swtpm",
        "swtpm",
        vec![
            "socket".into(),
            "--tpm2".into(),
            "--server".into(),
            format!("type=tcp,port={sp}"),
            "--ctrl".into(),
            format!("type=tcp,port={}", sp + 1),
            "--flags".into(),
            "not-need-init,startup-clear".into(),
            "--tpmstate".into(),
            format!("dir={}", sdir.display()),
        ],
        sp,
        sdir,
    );
    let fp = free_port_pair();
    let fdir = tmp.join("ferrotpm");
    std::fs::create_dir_all(&fdir).unwrap();
    let ferrotpm = start_tpm(
        "ferrotpm",
        &ferro,
        vec![
            "socket".into(),
            "--tpm2".into(),
            "--server".into(),
            format!("type=tcp,port={fp}"),
            "--ctrl".into(),
            format!("type=tcp,port={}", fp + 1),
            "--flags".into(),
            "not-need-init,startup-clear".into(),
            "--tpmstate".into(),
            format!("dir={}", fdir.display()),
        ],
        fp,
        fdir,
    );
    let floor = start_null_server();
    let mut servers = [ferrotpm, swtpm, floor];

    println!("Round trips on loopback, {rounds} interleaved rounds × {per_round} commands per server (µs)\n");
    println!("| operation | stat | ferrotpm | swtpm | do-nothing | ferrotpm / swtpm | ferrotpm / floor |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for op in ops() {
        for s in servers.iter_mut().take(2) {
            let r = round_trip(&mut s.conn, &op.cmd);
            assert_eq!(
                r[6..10],
                [0, 0, 0, 0],
                "{} answered {:02x?} to {}",
                s.name,
                &r[6..10],
                op.name
            );
        }
        let mut samples: [Vec<f64>; 3] = Default::default();
        for round in 0..rounds {
            // Alternate the order each round.
            let order: [usize; 3] = if round % 2 == 0 { [0, 1, 2] } else { [2, 1, 0] };
            for &i in &order {
                for _ in 0..per_round {
                    let t = Instant::now();
                    round_trip(&mut servers[i].conn, &op.cmd);
                    samples[i].push(t.elapsed().as_secs_f64() * 1e6);
                }
            }
        }
        let (stat, q) = if op.heavy { ("p50", 0.5) } else { ("p10", 0.1) };
        let v: Vec<f64> = samples.iter_mut().map(|s| quantile(s, q)).collect();
        println!(
            "| {} | {stat} | {:.1} | {:.1} | {:.1} | {:.2}× | {:.2}× |",
            op.name,
            v[0],
            v[1],
            v[2],
            v[0] / v[1],
            v[0] / v[2]
        );
    }
    let (rf, rs) = (
        rss_kib(&servers[0]).unwrap_or(0),
        rss_kib(&servers[1]).unwrap_or(0),
    );
    objects::run(&mut servers[..2], rounds.max(10));
    sessions::run(&mut servers[..2], rounds);
    drop(servers);
    // Start → first response: the median of several fresh starts each (fresh state
    // directories), alternating, since a start includes disk writes whose time varies.
    let mut starts: [Vec<f64>; 2] = Default::default();
    for i in 0..10 {
        for which in if i % 2 == 0 { [0, 1] } else { [1, 0] } {
            let port = free_port_pair();
            let dir = tmp.join(format!("start-{which}-{i}"));
            std::fs::create_dir_all(&dir).unwrap();
            let (name, prog) = if which == 0 {
                ("ferrotpm", ferro.as_str())
            } else {
                ("swtpm", "swtpm")
            };
            let args = vec![
                "socket".into(),
                "--tpm2".into(),
                "--server".into(),
                format!("type=tcp,port={port}"),
                "--ctrl".into(),
                format!("type=tcp,port={}", port + 1),
                "--flags".into(),
                "not-need-init,startup-clear".into(),
                "--tpmstate".into(),
                format!("dir={}", dir.display()),
            ];
            let s = start_tpm(name, prog, args, port, dir);
            starts[which].push(s.start_to_first.unwrap().as_secs_f64() * 1e3);
        }
    }
    let st: Vec<f64> = starts.iter_mut().map(|v| quantile(v, 0.5)).collect();
    println!("\n| measure | ferrotpm | swtpm | ferrotpm / swtpm |");
    println!("|---|---:|---:|---:|");
    println!(
        "| start → first response, median of 10 (ms) | {:.1} | {:.1} | {:.2}× |",
        st[0],
        st[1],
        st[0] / st[1]
    );
    println!(
        "| RSS after warm-up (KiB) | {rf} | {rs} | {:.2}× |",
        rf as f64 / rs as f64
    );
    manufacture::run(&ferro, &tmp, 10);
    let _ = std::fs::remove_dir_all(&tmp);
}
