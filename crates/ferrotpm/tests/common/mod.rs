//! Helpers for tests that run the `ferrotpm` binary and real peers (Debian's tpm2-tools,
//! swtpm, swtpm_ioctl). A missing peer fails the test; it is never skipped.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub fn ferrotpm() -> &'static str {
    env!("CARGO_BIN_EXE_ferrotpm")
}

/// A fresh temporary directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        let p = std::env::temp_dir().join(format!(
            "ferrotpm-test-{tag}-{}-{:x}",
            std::process::id(),
            rand_u64()
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn rand_u64() -> u64 {
    let mut b = [0u8; 8];
    getrandom::getrandom(&mut b).unwrap();
    u64::from_ne_bytes(b)
}

/// Two consecutive free TCP ports on 127.0.0.1 (data, control).
pub fn free_port_pair() -> u16 {
    for _ in 0..200 {
        let p = 20000 + (rand_u64() % 40000) as u16;
        let a = TcpListener::bind(("127.0.0.1", p));
        let b = TcpListener::bind(("127.0.0.1", p + 1));
        if a.is_ok() && b.is_ok() {
            return p;
        }
    }
    panic!("no free port pair found");
}

/// A child process killed (SIGKILL) when dropped unless it already exited.
pub struct Proc {
    pub child: Child,
}

impl Proc {
    pub fn spawn(cmd: &mut Command) -> Proc {
        let child = cmd
            .stdin(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
        Proc { child }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends a signal with kill(1).
    pub fn signal(&self, sig: &str) {
        let st = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status()
            .unwrap();
        assert!(st.success());
    }

    /// Waits for exit, at most `t`; returns the exit status.
    pub fn wait_timeout(&mut self, t: Duration) -> Option<std::process::ExitStatus> {
        let end = Instant::now() + t;
        while Instant::now() < end {
            if let Some(s) = self.child.try_wait().unwrap() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits until `f` is true (polling), at most `t`.
pub fn wait_until(t: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + t;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

/// Starts `ferrotpm socket` serving TCP data/control on a free port pair, started.
pub fn start_socket(state: &Path, extra: &[&str]) -> (Proc, u16) {
    let port = free_port_pair();
    let mut cmd = Command::new(ferrotpm());
    cmd.arg("socket")
        .arg("--tpm2")
        .arg("--tpmstate")
        .arg(format!("dir={}", state.display()))
        .arg("--server")
        .arg(format!("type=tcp,port={port}"))
        .arg("--ctrl")
        .arg(format!("type=tcp,port={}", port + 1))
        .args(extra);
    let p = Proc::spawn(&mut cmd);
    let addr = format!("swtpm:host=127.0.0.1,port={port}");
    if extra.iter().any(|a| a.contains("startup")) {
        assert!(
            wait_until(Duration::from_secs(10), || Command::new(ferrotpm())
                .args(["probe", &addr])
                .status()
                .unwrap()
                .success()),
            "ferrotpm did not answer on {addr}"
        );
    } else {
        assert!(wait_until(Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", port + 1)).is_ok()
        }));
    }
    (p, port)
}

/// Starts Debian's `swtpm socket` serving TCP data/control on a free port pair with
/// `extra` options; panics (never skips) if swtpm is missing. With a `startup-*` flag it
/// returns once the TPM answers.
pub fn start_swtpm(state: &Path, extra: &[&str]) -> (Proc, u16) {
    let port = free_port_pair();
    std::fs::create_dir_all(state).unwrap();
    let p = Proc::spawn(
        Command::new("swtpm")
            .args(["socket", "--tpm2", "--server"])
            .arg(format!("type=tcp,port={port}"))
            .arg("--ctrl")
            .arg(format!("type=tcp,port={}", port + 1))
            .arg("--tpmstate")
            .arg(format!("dir={}", state.display()))
            .args(extra),
    );
    let addr = format!("swtpm:host=127.0.0.1,port={port}");
    let up = if extra.iter().any(|a| a.contains("startup")) {
        wait_until(Duration::from_secs(10), || {
            Command::new(ferrotpm())
                .args(["probe", &addr])
                .status()
                .unwrap()
                .success()
        })
    } else {
        wait_until(Duration::from_secs(10), || {
            TcpStream::connect(("127.0.0.1", port + 1)).is_ok()
        })
    };
    assert!(up, "swtpm (Debian package swtpm) is required for this test");
    (p, port)
}

/// Runs a peer tool; panics (never skips) if it is missing; returns its output.
pub fn tool(prog: &str, args: &[&str]) -> Output {
    Command::new(prog).args(args).output().unwrap_or_else(|e| {
        panic!("{prog} is required for this test (install it with scripts/install-deps.sh): {e}")
    })
}

/// OpenSSL verifies a plain RSASSA-SHA256 (or ECDSA-SHA256) signature `sig` over the
/// file `data` with the PEM public key `key`.
pub fn openssl_verifies(key: &str, data: &str, sig: &str) {
    let out = tool_ok(
        "openssl",
        &["dgst", "-sha256", "-verify", key, "-signature", sig, data],
    );
    assert!(out.contains("Verified OK"), "{out}");
}

/// Runs a peer tool and requires success; returns stdout as text.
pub fn tool_ok(prog: &str, args: &[&str]) -> String {
    let o = tool(prog, args);
    assert!(
        o.status.success(),
        "{prog} {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Sends one control message on a fresh connection; returns what came back (the first read
/// waits up to 2 s, later ones 150 ms).
pub fn ctrl(port: u16, msg: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
    s.write_all(msg).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                out.extend_from_slice(&buf[..n]);
                // Every answer here arrives in one write; stop once something came.
                s.set_read_timeout(Some(Duration::from_millis(150)))
                    .unwrap();
            }
            Err(_) => break,
        }
    }
    out
}

/// Starts `ferrotpm socket` on `state` with `extra` options, requires that it refuses to
/// start, and returns what it said on stderr.
pub fn refused(state: &Path, extra: &[&str]) -> String {
    let port = free_port_pair();
    let o = Command::new(ferrotpm())
        .args(["socket", "--tpm2", "--server"])
        .arg(format!("type=tcp,port={port}"))
        .arg("--ctrl")
        .arg(format!("type=tcp,port={}", port + 1))
        .arg("--tpmstate")
        .arg(format!("dir={}", state.display()))
        .args(extra)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!o.status.success(), "ferrotpm started: {err}");
    err
}

/// Debian's tpm2-tools against one TPM through one TCTI, with their files in one
/// directory. Without a resource manager each tool leaves what it loaded in the TPM;
/// the `flush_*` calls clear it between tools.
pub struct Tools {
    pub tcti: String,
    pub dir: PathBuf,
}

impl Tools {
    /// Runs a tool that must succeed; returns its stdout.
    pub fn ok(&self, prog: &str, args: &[&str]) -> String {
        let mut a = vec!["-T", &self.tcti];
        a.extend_from_slice(args);
        tool_ok(prog, &a)
    }

    /// Runs a tool that must fail; returns its stderr.
    pub fn fails(&self, prog: &str, args: &[&str]) -> String {
        let mut a = vec!["-T", &self.tcti];
        a.extend_from_slice(args);
        let o = tool(prog, &a);
        assert!(!o.status.success(), "{prog} {args:?} succeeded");
        String::from_utf8_lossy(&o.stderr).into_owned()
    }

    /// The path of a file in the directory.
    pub fn p(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_string()
    }

    pub fn write(&self, name: &str, data: &[u8]) -> String {
        std::fs::write(self.dir.join(name), data).unwrap();
        self.p(name)
    }

    pub fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.dir.join(name)).unwrap()
    }

    /// tpm2_createek (RSA, public part to `ek.pub`, context `ek.ctx`), then tpm2_createak
    /// under it (`ak_alg` "rsa"/"ecc", `scheme` "rsassa"/"ecdsa", SHA-256, context
    /// `ak_ctx`, public part to `ak_pub`, written as `-f format` when given).
    pub fn ek_and_ak(
        &self,
        ak_alg: &str,
        scheme: &str,
        ak_ctx: &str,
        ak_pub: &str,
        format: Option<&str>,
    ) {
        self.ok(
            "tpm2_createek",
            &[
                "-c",
                &self.p("ek.ctx"),
                "-G",
                "rsa",
                "-u",
                &self.p("ek.pub"),
            ],
        );
        let (ek, ctx, public) = (self.p("ek.ctx"), self.p(ak_ctx), self.p(ak_pub));
        let mut args = vec![
            "-C", &ek, "-c", &ctx, "-G", ak_alg, "-g", "sha256", "-s", scheme, "-u", &public,
        ];
        if let Some(f) = format {
            args.extend(["-f", f]);
        }
        self.ok("tpm2_createak", &args);
    }

    /// Flushes the transient objects.
    pub fn flush_objects(&self) {
        self.ok("tpm2_flushcontext", &["-t"]);
    }

    /// Flushes the transient objects and every session, saved or loaded.
    pub fn flush_all(&self) {
        self.ok("tpm2_flushcontext", &["-t"]);
        self.ok("tpm2_flushcontext", &["-s"]);
        self.ok("tpm2_flushcontext", &["-l"]);
    }
}
