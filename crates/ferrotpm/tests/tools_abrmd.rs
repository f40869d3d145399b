//! Debian's tpm2-abrmd as the resource manager in front of ferrotpm (its own D-Bus
//! session bus): the RM context-saves and reloads every client's objects and sessions
//! around each command, so the tools work without ever flushing — more objects than the
//! TPM's three slots, a session kept in a file across tools — and nothing stays loaded.

mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

#[test]
fn tpm2_tools_through_tpm2_abrmd() {
    let dir = TempDir::new("tools-abrmd");
    let (_d, port) = start_socket(
        &dir.path().join("state"),
        &["--flags", "not-need-init,startup-clear"],
    );
    // A private session bus for the resource manager.
    let mut bus = Proc::spawn(
        Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped()),
    );
    let mut address = String::new();
    BufReader::new(bus.child.stdout.take().unwrap())
        .read_line(&mut address)
        .unwrap();
    let address = address.trim().to_string();
    assert!(address.starts_with("unix:"), "dbus-daemon said {address:?}");
    let _rm = Proc::spawn(
        Command::new("tpm2-abrmd")
            .args(["--session", "--allow-root"])
            .arg(format!("--tcti=swtpm:host=127.0.0.1,port={port}"))
            .env("DBUS_SESSION_BUS_ADDRESS", &address),
    );
    let p = |n: &str| dir.path().join(n).to_str().unwrap().to_string();
    let run = |prog: &str, args: &[&str]| {
        Command::new(prog)
            .args(["-T", "tabrmd:bus_type=session"])
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &address)
            .output()
            .unwrap_or_else(|e| panic!("{prog} is required (scripts/install-deps.sh): {e}"))
    };
    let ok = |prog: &str, args: &[&str]| {
        let o = run(prog, args);
        assert!(
            o.status.success(),
            "{prog} {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    assert!(
        wait_until(Duration::from_secs(10), || run(
            "tpm2_getcap",
            &["properties-fixed"]
        )
        .status
        .success()),
        "tpm2-abrmd did not come up"
    );

    // Five primaries in a row, never flushed: more than the TPM's three slots.
    for i in 0..5 {
        ok(
            "tpm2_createprimary",
            &["-C", "o", "-G", "ecc256", "-c", &p(&format!("p{i}.ctx"))],
        );
    }
    // Keys and sealed data under one of them; each tool reloads what it needs.
    ok(
        "tpm2_create",
        &[
            "-C",
            &p("p0.ctx"),
            "-G",
            "ecc256",
            "-u",
            &p("k.pub"),
            "-r",
            &p("k.priv"),
        ],
    );
    ok(
        "tpm2_load",
        &[
            "-C",
            &p("p0.ctx"),
            "-u",
            &p("k.pub"),
            "-r",
            &p("k.priv"),
            "-c",
            &p("k.ctx"),
        ],
    );
    std::fs::write(p("msg"), b"through the resource manager").unwrap();
    ok(
        "tpm2_sign",
        &[
            "-c",
            &p("k.ctx"),
            "-g",
            "sha256",
            "-o",
            &p("sig"),
            &p("msg"),
        ],
    );
    ok(
        "tpm2_verifysignature",
        &[
            "-c",
            &p("k.ctx"),
            "-g",
            "sha256",
            "-s",
            &p("sig"),
            "-m",
            &p("msg"),
        ],
    );
    std::fs::write(p("secret"), b"kept by the TPM").unwrap();
    ok(
        "tpm2_create",
        &[
            "-C",
            &p("p1.ctx"),
            "-i",
            &p("secret"),
            "-u",
            &p("s.pub"),
            "-r",
            &p("s.priv"),
        ],
    );
    ok(
        "tpm2_load",
        &[
            "-C",
            &p("p1.ctx"),
            "-u",
            &p("s.pub"),
            "-r",
            &p("s.priv"),
            "-c",
            &p("s.ctx"),
        ],
    );
    // A salted HMAC session in a file, used by a later tool.
    ok(
        "tpm2_startauthsession",
        &[
            "--hmac-session",
            "-c",
            &p("p2.ctx"),
            "-S",
            &p("session.ctx"),
        ],
    );
    let session = format!("session:{}", p("session.ctx"));
    let out = ok("tpm2_unseal", &["-c", &p("s.ctx"), "-p", &session]);
    assert_eq!(out, "kept by the TPM");
    ok("tpm2_flushcontext", &[&p("session.ctx")]);
    // The RM flushed every client's objects when it left.
    let left = ok("tpm2_getcap", &["handles-transient"]);
    assert!(left.trim().is_empty(), "still loaded: {left}");
    let _ = bus.child.kill();
}
