//! The filter really denies: a child process of this test installs it and then tries to
//! run a program (execve, on the deny list). With `kill` the process that calls execve is
//! killed by SIGSYS; with `log` the call goes through. The test binary re-runs itself for
//! the child, so the filter never touches the test runner.

use ferrotpm_server::seccomp::{install, Action};
use std::os::unix::process::ExitStatusExt;
use std::process::Command;

const CHILD: &str = "FERROTPM_SECCOMP_CHILD";

/// In the child: installs the filter named by the environment, then runs `true`.
#[test]
fn child_under_filter() {
    let Ok(action) = std::env::var(CHILD) else {
        return; // not the child
    };
    let action = match action.as_str() {
        "kill" => Action::Kill,
        "log" => Action::Log,
        other => panic!("unknown action {other}"),
    };
    install(action).unwrap();
    // Exit status 0 from `true` reaches us only if execve was allowed.
    let ran = Command::new("true").status().is_ok_and(|s| s.success());
    std::process::exit(if ran { 10 } else { 20 });
}

fn run_child(action: &str) -> std::process::ExitStatus {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_under_filter",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, action)
        .status()
        .unwrap()
}

#[test]
fn kill_stops_a_denied_call_and_log_lets_it_pass() {
    // kill: the forked process that calls execve dies (SIGSYS); the child sees `true`
    // fail to run.
    let st = run_child("kill");
    assert_eq!(st.code(), Some(20), "{st:?} (signal {:?})", st.signal());
    // log: execve proceeds (and the kernel audits it).
    let st = run_child("log");
    assert_eq!(st.code(), Some(10), "{st:?}");
}
