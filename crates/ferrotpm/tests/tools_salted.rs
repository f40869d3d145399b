//! Salted, encrypting HMAC sessions with Debian's tpm2-tools: `tpm2_startauthsession
//! --hmac-session -c KEY` salts the session with an RSA or ECC primary (the session is
//! context-saved to a file between tools), and a sealed secret read with `tpm2_unseal`
//! through it never crosses the wire in plaintext — checked on a capture of every byte
//! between the tools and the daemon.

mod common;
use common::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// Forwards every connection to `target`, recording both directions.
fn proxy(listener: TcpListener, target: u16, log: Arc<Mutex<Vec<u8>>>) {
    for client in listener.incoming() {
        let Ok(client) = client else { return };
        let server = TcpStream::connect(("127.0.0.1", target)).unwrap();
        for (mut from, mut to) in [
            (client.try_clone().unwrap(), server.try_clone().unwrap()),
            (server, client),
        ] {
            let log = log.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = from.read(&mut buf) {
                    if n == 0 || to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                    log.lock().unwrap().extend_from_slice(&buf[..n]);
                }
                let _ = to.shutdown(std::net::Shutdown::Both);
            });
        }
    }
}

/// TCP proxies in front of the daemon that record every byte.
struct Capture {
    port: u16,
    bytes: Arc<Mutex<Vec<u8>>>,
}

impl Capture {
    /// Proxies a free port pair to the daemon's data and control ports.
    fn start(target: u16) -> Capture {
        let port = free_port_pair();
        let bytes = Arc::new(Mutex::new(Vec::new()));
        for (from, to) in [(port, target), (port + 1, target + 1)] {
            let listener = TcpListener::bind(("127.0.0.1", from)).unwrap();
            let log = bytes.clone();
            std::thread::spawn(move || proxy(listener, to, log));
        }
        Capture { port, bytes }
    }

    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.bytes.lock().unwrap())
    }
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn salted_encrypting_sessions_hide_the_secret_on_the_wire() {
    let dir = TempDir::new("tools-salted");
    let (_d, port) = start_socket(
        &dir.path().join("state"),
        &["--flags", "not-need-init,startup-clear"],
    );
    let cap = Capture::start(port);
    // Only the data port is proxied (the tools here need no control channel).
    let tcti = format!("swtpm:host=127.0.0.1,port={}", cap.port);
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let ok = |prog: &str, args: &[&str]| {
        let mut a = vec!["-T", tcti.as_str()];
        a.extend_from_slice(args);
        tool_ok(prog, &a)
    };
    let secret: &[u8] = b"S3cr3t-disk-key-0123456789";
    std::fs::write(p("secret"), secret).unwrap();
    for alg in ["rsa2048", "ecc256"] {
        ok(
            "tpm2_createprimary",
            &["-C", "o", "-G", alg, "-c", &p("prim.ctx")],
        );
        ok("tpm2_flushcontext", &["-t"]);
        ok(
            "tpm2_create",
            &[
                "-C",
                &p("prim.ctx"),
                "-i",
                &p("secret"),
                "-u",
                &p("s.pub"),
                "-r",
                &p("s.priv"),
            ],
        );
        ok("tpm2_flushcontext", &["-t"]);
        ok(
            "tpm2_load",
            &[
                "-C",
                &p("prim.ctx"),
                "-u",
                &p("s.pub"),
                "-r",
                &p("s.priv"),
                "-c",
                &p("seal.ctx"),
            ],
        );
        ok("tpm2_flushcontext", &["-t"]);
        // The salted session, saved to a file (ContextSave of a session) between tools.
        ok(
            "tpm2_startauthsession",
            &[
                "--hmac-session",
                "-c",
                &p("prim.ctx"),
                "-S",
                &p("session.ctx"),
            ],
        );
        ok("tpm2_flushcontext", &["-t"]);
        ok(
            "tpm2_sessionconfig",
            &[
                &p("session.ctx"),
                "--enable-encrypt",
                "--disable-decrypt",
                "--enable-continuesession",
            ],
        );
        cap.take();
        let session = format!("session:{}", p("session.ctx"));
        let out = ok("tpm2_unseal", &["-c", &p("seal.ctx"), "-p", &session]);
        assert_eq!(out.as_bytes(), secret, "{alg}");
        let wire = cap.take();
        assert!(wire.len() > 100, "the capture saw the unseal ({alg})");
        assert!(
            !contains(&wire, secret),
            "the sealed secret crossed the wire in plaintext ({alg})"
        );
        // Without encryption the same secret is visible: the capture does see responses.
        ok("tpm2_flushcontext", &["-t"]);
        ok("tpm2_unseal", &["-c", &p("seal.ctx")]);
        assert!(contains(&cap.take(), secret), "{alg}");
        ok("tpm2_flushcontext", &["-t"]);
        ok("tpm2_flushcontext", &[&p("session.ctx")]);
    }
}
