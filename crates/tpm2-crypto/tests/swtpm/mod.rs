//! A real swtpm for the crypto crate's interoperability tests, driven through Debian's
//! tpm2-tools. A missing peer fails the test; it is never skipped.
#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub struct Swtpm {
    child: Child,
    pub dir: PathBuf,
    pub tcti: String,
}

/// A port P with P and P + 1 free (data and control channel).
fn free_port_pair() -> u16 {
    for _ in 0..100 {
        let Ok(l) = TcpListener::bind("127.0.0.1:0") else {
            continue;
        };
        let p = l.local_addr().unwrap().port();
        if p < u16::MAX && TcpListener::bind(("127.0.0.1", p + 1)).is_ok() {
            return p;
        }
    }
    panic!("no free port pair");
}

impl Swtpm {
    /// Starts `swtpm socket` (started TPM, fresh state) and waits until it listens.
    pub fn start(tag: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("tpm2-crypto-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let port = free_port_pair();
        let child = Command::new("swtpm")
            .args(["socket", "--tpm2", "--tpmstate"])
            .arg(format!("dir={}", dir.display()))
            .args(["--server", &format!("type=tcp,port={port}")])
            .args(["--ctrl", &format!("type=tcp,port={}", port + 1)])
            .args(["--flags", "not-need-init,startup-clear"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("swtpm is required by this test (scripts/install-deps.sh)");
        let end = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < end, "swtpm did not listen on {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        Swtpm {
            child,
            dir,
            tcti: format!("swtpm:host=127.0.0.1,port={port}"),
        }
    }

    pub fn file(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_string()
    }

    /// Runs a tpm2-tools command, then flushes the transient objects it left (there is no
    /// resource manager; context files stay usable). Returns its output.
    pub fn run(&self, args: &[&str]) -> Output {
        let run = |a: &[&str]| {
            Command::new(a[0])
                .args(&a[1..])
                .env("TPM2TOOLS_TCTI", &self.tcti)
                .output()
                .expect("tpm2-tools are required by this test (scripts/install-deps.sh)")
        };
        let out = run(args);
        assert!(run(&["tpm2_flushcontext", "-t"]).status.success());
        out
    }
}

impl Drop for Swtpm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
