//! `ferrotpm chardev`: the TPM on a character device opened by path (a pty in raw mode)
//! and on an inherited descriptor (one end of a socket pair), answering raw TPM commands
//! and exiting when the device hangs up; the options it refuses.

mod common;
use common::*;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::process::Command;
use std::time::Duration;

/// TPM2_GetRandom(8).
const GET_RANDOM: [u8; 12] = [0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7B, 0, 8];

fn exchange(dev: &mut (impl Read + Write), cmd: &[u8]) -> Vec<u8> {
    dev.write_all(cmd).unwrap();
    let mut head = [0u8; 10];
    dev.read_exact(&mut head).unwrap();
    let n = u32::from_be_bytes([head[2], head[3], head[4], head[5]]) as usize;
    let mut r = head.to_vec();
    r.resize(n, 0);
    dev.read_exact(&mut r[10..]).unwrap();
    r
}

fn assert_random(r: &[u8]) {
    assert_eq!(&r[6..10], &[0, 0, 0, 0], "{r:02x?}");
    assert_eq!(&r[10..12], &[0, 8], "{r:02x?}");
    assert_eq!(r.len(), 20);
}

#[test]
fn serves_an_inherited_descriptor_until_it_hangs_up() {
    let dir = TempDir::new("chardev-fd");
    let (mut ours, theirs) = UnixStream::pair().unwrap();
    // The child inherits this end: clear close-on-exec.
    rustix::io::fcntl_setfd(theirs.as_fd(), rustix::io::FdFlags::empty()).unwrap();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&theirs).to_string();
    let mut p = Proc::spawn(
        Command::new(ferrotpm())
            .args(["chardev", "--tpm2", "--fd", &fd, "--tpmstate"])
            .arg(format!("dir={}", dir.path().display()))
            .args(["--flags", "not-need-init,startup-clear"]),
    );
    drop(theirs);
    ours.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    for _ in 0..3 {
        assert_random(&exchange(&mut ours, &GET_RANDOM));
    }
    drop(ours);
    let st = p
        .wait_timeout(Duration::from_secs(10))
        .expect("chardev exits when its device hangs up");
    assert!(st.success(), "{st:?}");
}

#[test]
fn serves_a_pty_opened_by_path() {
    use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
    use rustix::termios::{tcgetattr, tcsetattr, OptionalActions};
    let dir = TempDir::new("chardev-pty");
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).unwrap();
    grantpt(&master).unwrap();
    unlockpt(&master).unwrap();
    let path = ptsname(&master, Vec::new()).unwrap();
    let path = path.to_str().unwrap().to_string();
    // Raw mode on the device side: bytes pass unchanged both ways.
    let slave = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .unwrap();
    let mut t = tcgetattr(&slave).unwrap();
    t.make_raw();
    tcsetattr(&slave, OptionalActions::Now, &t).unwrap();
    let _p = Proc::spawn(
        Command::new(ferrotpm())
            .args(["chardev", "--tpm2", "--chardev", &path, "--tpmstate"])
            .arg(format!("dir={}", dir.path().display()))
            .args(["--flags", "not-need-init,startup-clear"]),
    );
    // A device read has no timeout: the exchange runs on a thread the test waits for.
    let (tx, rx) = std::sync::mpsc::channel();
    let mut m = std::fs::File::from(master);
    std::thread::spawn(move || {
        let _ = tx.send(exchange(&mut m, &GET_RANDOM));
    });
    let r = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("an answer on the pty");
    assert_random(&r);
    drop(slave);
}

#[test]
fn refuses_what_it_cannot_serve() {
    let dir = TempDir::new("chardev-bad");
    let state = format!("dir={}", dir.path().display());
    for (args, says) in [
        (&["--vtpm-proxy"][..], "--vtpm-proxy: not supported"),
        (&[][..], "needs --chardev DEVICE or --fd N"),
        (&["--chardev", "/nonexistent/tpm"][..], "/nonexistent/tpm"),
        (
            &["--server", "type=tcp,port=1"][..],
            "--server is a socket option",
        ),
    ] {
        let o = Command::new(ferrotpm())
            .args(["chardev", "--tpm2", "--tpmstate", &state])
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success(), "{args:?}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
