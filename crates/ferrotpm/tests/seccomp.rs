//! `--seccomp`: the daemon serves every kind of command (state writes included) and stops
//! cleanly under its filter, which is installed by default as swtpm's is and not with
//! libvirt's `action=none`.

mod common;
use common::*;
use std::time::Duration;

/// The `Seccomp:` mode of a process (0 none, 2 filter).
fn seccomp_mode(pid: u32) -> u32 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Seccomp:"))
        .map(|v| v.trim().parse().unwrap())
        .expect("a Seccomp line")
}

const STARTED: &str = "not-need-init,startup-clear";

#[test]
fn the_daemon_serves_under_its_filter_and_stops_cleanly() {
    for (extra, mode) in [
        (&[][..], 2),
        (&["--seccomp", "action=kill"][..], 2),
        (&["--seccomp", "action=log"][..], 2),
        (&["--seccomp", "action=none"][..], 0),
    ] {
        let dir = TempDir::new("seccomp");
        let pidfile = dir.path().join("pid");
        let pid_arg = format!("file={}", pidfile.display());
        let mut args = vec!["--flags", STARTED, "--pid", &pid_arg];
        args.extend_from_slice(extra);
        let (mut d, port) = start_socket(&dir.path().join("state"), &args);
        assert_eq!(seccomp_mode(d.pid()), mode, "{extra:?}");
        let t = Tools {
            tcti: format!("swtpm:host=127.0.0.1,port={port}"),
            dir: dir.path().to_path_buf(),
        };
        // Commands that read, that extend, and that write the state durably.
        assert_eq!(t.ok("tpm2_getrandom", &["--hex", "8"]).trim().len(), 16);
        let ext = format!("10:sha256={}", "ab".repeat(32));
        t.ok("tpm2_pcrextend", &[&ext]);
        t.ok(
            "tpm2_nvdefine",
            &[
                "0x1500001",
                "-C",
                "o",
                "-s",
                "8",
                "-a",
                "ownerread|ownerwrite",
            ],
        );
        t.ok(
            "tpm2_nvwrite",
            &["0x1500001", "-C", "o", "-i", &t.write("d", b"12345678")],
        );
        assert_eq!(
            t.ok("tpm2_nvread", &["0x1500001", "-C", "o", "-s", "8"]),
            "12345678"
        );
        assert!(pidfile.exists());
        d.signal("TERM");
        let st = d
            .wait_timeout(Duration::from_secs(10))
            .expect("the daemon stops on SIGTERM");
        assert!(st.success(), "{extra:?}: {st:?}");
        assert!(!pidfile.exists(), "{extra:?}: the pid file is removed");
    }
}

#[test]
fn a_bad_seccomp_option_is_refused() {
    let dir = TempDir::new("seccomp-bad");
    let err = refused(dir.path(), &["--seccomp", "action=trap"]);
    assert!(err.contains("--seccomp action=trap"), "{err}");
}
