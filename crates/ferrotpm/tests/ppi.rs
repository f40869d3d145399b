//! Physical Presence Interface requests on a running daemon (`ferrotpm ppi`, over the
//! control channel), surviving a daemon restart and executed at the next power cycle;
//! checked with Debian's tpm2-tools. The control messages' errors, and swtpm's answer to
//! them.

mod common;
use common::*;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

const PPI_STATUS: u32 = 0x4654_0001;
const PPI_REQUEST: u32 = 0x4654_0002;

fn msg(code: u32, body: &[u32]) -> Vec<u8> {
    let mut m = code.to_be_bytes().to_vec();
    for v in body {
        m.extend_from_slice(&v.to_be_bytes());
    }
    m
}

fn ppi(args: &[&str]) -> Output {
    Command::new(ferrotpm())
        .arg("ppi")
        .args(args)
        .output()
        .unwrap()
}

fn ppi_ok(args: &[&str]) -> String {
    let o = ppi(args);
    assert!(
        o.status.success(),
        "ferrotpm ppi {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn tools(port: u16, dir: &Path) -> Tools {
    Tools {
        tcti: format!("swtpm:host=127.0.0.1,port={port}"),
        dir: dir.to_path_buf(),
    }
}

/// The SRK-like primary under the owner (authorized with `auth`) and the ECC EK: their
/// public areas.
fn srk_and_ek(t: &Tools, auth: &str, tag: &str) -> (Vec<u8>, Vec<u8>) {
    let mut args = vec!["-C", "o", "-G", "ecc", "-c"];
    let ctx = t.p("srk.ctx");
    args.push(&ctx);
    if !auth.is_empty() {
        args.extend_from_slice(&["-P", auth]);
    }
    t.ok("tpm2_createprimary", &args);
    let srk = t.p(&format!("srk-{tag}.pub"));
    t.ok("tpm2_readpublic", &["-c", &ctx, "-o", &srk]);
    t.flush_objects();
    let ek = t.p(&format!("ek-{tag}.pub"));
    t.ok(
        "tpm2_createek",
        &["-c", &t.p("ek.ctx"), "-G", "ecc", "-u", &ek],
    );
    t.flush_objects();
    (std::fs::read(srk).unwrap(), std::fs::read(ek).unwrap())
}

/// Stops the daemon (control SHUTDOWN: it exits), starts a new one on the same state
/// and power-cycles it as QEMU does (INIT, then the firmware's TPM2_Startup(CLEAR)).
/// Returns the new daemon, its port, and the status read between INIT and Startup.
fn restart_and_boot(mut daemon: Proc, port: u16, state: &Path, dir: &Path) -> (Proc, u16, String) {
    assert_eq!(ctrl(port + 1, &msg(0x03, &[])), vec![0; 4]);
    assert!(daemon.wait_timeout(Duration::from_secs(10)).is_some());
    let (daemon, port) = start_socket(state, &[]);
    assert_eq!(ctrl(port + 1, &msg(0x02, &[0])), vec![0; 4]);
    let before = ppi_ok(&["status", "--tcp", &format!("127.0.0.1:{}", port + 1)]);
    tools(port, dir).ok("tpm2_startup", &["-c"]);
    (daemon, port, before)
}

#[test]
fn a_confirmed_clear_runs_at_the_next_power_cycle() {
    let dir = TempDir::new("ppi-clear");
    let state = dir.path().join("state");
    let (daemon, port) = start_socket(&state, &["--flags", "startup-clear"]);
    let t = tools(port, dir.path());
    t.ok("tpm2_changeauth", &["-c", "owner", "ownerpass"]);
    let (srk, ek) = srk_and_ek(&t, "ownerpass", "before");
    let addr = format!("swtpm:host=127.0.0.1,port={port}");
    let out = ppi_ok(&["request", "clear", "--confirm", &addr]);
    assert!(out.contains("queued 5 (Clear), confirmed"), "{out}");
    let status = ppi_ok(&["status", &addr]);
    assert!(
        status.contains("pending: 5 (Clear), parameter 0x0, confirmed"),
        "{status}"
    );
    assert!(status.contains("flags: PPRequiredForClear "), "{status}");
    // Nothing happens until the next boot.
    let (again, _) = srk_and_ek(&t, "ownerpass", "again");
    assert_eq!(again, srk);

    let (_daemon, port, before) = restart_and_boot(daemon, port, &state, dir.path());
    // The request survived the daemon restart and waited for Startup.
    assert!(before.contains("pending: 5 (Clear)"), "{before}");
    let t = tools(port, dir.path());
    let status = ppi_ok(&["status", &format!("swtpm:host=127.0.0.1,port={port}")]);
    assert!(status.contains("pending: none"), "{status}");
    assert!(status.contains("last operation: 5 (Clear)"), "{status}");
    assert!(status.contains("last response: 0 (success)"), "{status}");
    // ownerAuth is empty again, the SRK from the same template differs, the EK not.
    t.fails("tpm2_changeauth", &["-c", "owner", "-p", "ownerpass", "x"]);
    let (srk_after, ek_after) = srk_and_ek(&t, "", "after");
    assert_ne!(srk_after, srk, "the storage seed did not change");
    assert_eq!(ek_after, ek, "the endorsement seed changed");
}

#[test]
fn an_unconfirmed_clear_is_not_executed() {
    let dir = TempDir::new("ppi-noconfirm");
    let state = dir.path().join("state");
    let (daemon, port) = start_socket(&state, &["--flags", "startup-clear"]);
    let t = tools(port, dir.path());
    t.ok("tpm2_changeauth", &["-c", "owner", "ownerpass"]);
    let (srk, _) = srk_and_ek(&t, "ownerpass", "before");
    let ctl = format!("127.0.0.1:{}", port + 1);
    ppi_ok(&["request", "5", "--tcp", &ctl]);
    let status = ppi_ok(&["status", "--tcp", &ctl]);
    assert!(status.contains("pending: 5 (Clear), parameter 0x0, not confirmed"));

    let (_daemon, port, _) = restart_and_boot(daemon, port, &state, dir.path());
    let status = ppi_ok(&["status", "--tcp", &format!("127.0.0.1:{}", port + 1)]);
    assert!(status.contains("pending: none"), "{status}");
    assert!(status.contains("last operation: 5 (Clear)"), "{status}");
    assert!(
        status.contains("last response: 0xfffffff0 (user abort: not confirmed)"),
        "{status}"
    );
    let t = tools(port, dir.path());
    let (srk_after, _) = srk_and_ek(&t, "ownerpass", "after");
    assert_eq!(srk_after, srk, "the owner was cleared without confirmation");
}

#[test]
fn ppi_control_messages_refuse_bad_input() {
    let dir = TempDir::new("ppi-ctrl");
    let (_d, port) = start_socket(&dir.path().join("state"), &[]);
    let c = port + 1;
    const BAD_PARAMETER: [u8; 4] = [0, 0, 0, 3];
    const BAD_ORDINAL: [u8; 4] = [0, 0, 0, 0x0A];
    // Not initialised: "run" commands.
    assert_eq!(ctrl(c, &msg(PPI_STATUS, &[])), BAD_ORDINAL);
    assert_eq!(ctrl(c, &msg(PPI_REQUEST, &[5, 0, 1])), BAD_ORDINAL);
    assert_eq!(ctrl(c, &msg(0x02, &[0])), vec![0; 4]);
    // A fresh TPM: nothing pending, the default flags (PPI 1.3's recommendation).
    let mut want = vec![0u8; 4];
    for v in [0u32, 0, 0, 0, 0, 0x7D] {
        want.extend_from_slice(&v.to_be_bytes());
    }
    assert_eq!(ctrl(c, &msg(PPI_STATUS, &[])), want);
    for (name, m) in [
        ("not implemented", msg(PPI_REQUEST, &[1, 0, 0])),
        ("vendor operation", msg(PPI_REQUEST, &[128, 0, 0])),
        ("huge operation", msg(PPI_REQUEST, &[u32::MAX, 0, 0])),
        ("no banks", msg(PPI_REQUEST, &[23, 0, 1])),
        ("unknown bank", msg(PPI_REQUEST, &[23, 0x12, 1])),
        ("reserved flag", msg(PPI_REQUEST, &[5, 0, 2])),
        ("trailing byte", {
            let mut m = msg(PPI_REQUEST, &[5, 0, 1]);
            m.push(0);
            m
        }),
        ("status with a body", msg(PPI_STATUS, &[0])),
    ] {
        assert_eq!(ctrl(c, &m), BAD_PARAMETER, "{name}");
    }
    assert_eq!(ctrl(c, &msg(PPI_STATUS, &[])), want, "nothing was queued");
    // A truncated request is never answered (swtpm's 500 ms rule).
    assert!(ctrl(c, &msg(PPI_REQUEST, &[5, 0])[..10]).is_empty());
    // SetPCRBanks keeps its parameter.
    assert_eq!(ctrl(c, &msg(PPI_REQUEST, &[23, 0x6, 1])), vec![0; 4]);
    let r = ctrl(c, &msg(PPI_STATUS, &[]));
    assert_eq!(&r[4..16], &[0, 0, 0, 3, 0, 0, 0, 23, 0, 0, 0, 6]);
    let ctl = format!("127.0.0.1:{c}");
    ppi_ok(&[
        "request",
        "set-pcr-banks",
        "--param",
        "sha1,sha512",
        "--tcp",
        &ctl,
    ]);
    let r = ctrl(c, &msg(PPI_STATUS, &[]));
    assert_eq!(&r[4..16], &[0, 0, 0, 1, 0, 0, 0, 23, 0, 0, 0, 9]);
    let o = ppi(&["request", "23", "--param", "sha3", "--tcp", &ctl]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("bad parameter 'sha3'"));
    // The CLI says why.
    let o = ppi(&["request", "2", "--tcp", &format!("127.0.0.1:{c}")]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("operation not implemented"), "{err}");
    let o = ppi(&["request", "frobnicate", "--tcp", &format!("127.0.0.1:{c}")]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown PPI operation"));

    // swtpm does not know them: TPM_BAD_ORDINAL, as for any unknown code.
    let (_sw, sp) = start_swtpm(&dir.path().join("sw"), &[]);
    assert_eq!(ctrl(sp + 1, &msg(PPI_STATUS, &[])), BAD_ORDINAL);
    assert_eq!(ctrl(sp + 1, &msg(PPI_REQUEST, &[5, 0, 1])), BAD_ORDINAL);
}
