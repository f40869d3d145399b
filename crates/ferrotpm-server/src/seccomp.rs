//! The daemon's seccomp filter: swtpm's `--seccomp action=kill|log|none`. Like swtpm's, it
//! is a deny list — system calls a TPM daemon has no business making once it serves
//! (running programs, tracing other processes, loading kernel modules, mounting, changing
//! identity, clocks or host names, BPF, keyrings, namespaces) — answered with the chosen
//! action; everything else stays allowed, so no path of the daemon (state writes, fd
//! passing, sd_notify, signals) can trip over it. Installed on all threads once the
//! daemon's sockets, lock and pid file are in place.

use seccompiler::{BpfProgram, SeccompAction, SeccompFilter, TargetArch};
use std::collections::BTreeMap;

/// What a denied system call does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// No filter is installed (libvirt passes this).
    None,
    /// The process is killed (SIGSYS) — swtpm's default.
    Kill,
    /// The call proceeds and the kernel logs it (audit).
    Log,
}

#[derive(Debug, thiserror::Error)]
pub enum SeccompError {
    #[error("--seccomp {0}: expected action=kill|log|none")]
    Option(String),
    #[error("seccomp filter: {0}")]
    Filter(String),
}

/// Parses swtpm's `--seccomp` value (`action=kill`, `action=log`, `action=none`).
pub fn parse(opt: &str) -> Result<Action, SeccompError> {
    let mut action = Action::Kill;
    for part in opt.split(',').filter(|p| !p.is_empty()) {
        action = match part.split_once('=') {
            Some(("action", "kill")) => Action::Kill,
            Some(("action", "log")) => Action::Log,
            Some(("action", "none")) => Action::None,
            _ => return Err(SeccompError::Option(opt.to_string())),
        };
    }
    Ok(action)
}

/// The denied system calls of every architecture.
const DENIED: &[i64] = &[
    // Running programs, and reaching into other processes.
    libc::SYS_execve,
    libc::SYS_execveat,
    libc::SYS_ptrace,
    libc::SYS_process_vm_readv,
    libc::SYS_process_vm_writev,
    libc::SYS_kcmp,
    // The kernel and its modules.
    libc::SYS_init_module,
    libc::SYS_finit_module,
    libc::SYS_delete_module,
    libc::SYS_kexec_load,
    libc::SYS_kexec_file_load,
    libc::SYS_reboot,
    libc::SYS_bpf,
    libc::SYS_perf_event_open,
    libc::SYS_userfaultfd,
    libc::SYS_syslog,
    // File systems and namespaces.
    libc::SYS_mount,
    libc::SYS_umount2,
    libc::SYS_pivot_root,
    libc::SYS_chroot,
    libc::SYS_swapon,
    libc::SYS_swapoff,
    libc::SYS_quotactl,
    libc::SYS_unshare,
    libc::SYS_setns,
    libc::SYS_open_by_handle_at,
    libc::SYS_name_to_handle_at,
    libc::SYS_fanotify_init,
    libc::SYS_acct,
    libc::SYS_vhangup,
    // Identity and capabilities.
    libc::SYS_setuid,
    libc::SYS_setgid,
    libc::SYS_setreuid,
    libc::SYS_setregid,
    libc::SYS_setresuid,
    libc::SYS_setresgid,
    libc::SYS_setfsuid,
    libc::SYS_setfsgid,
    libc::SYS_setgroups,
    libc::SYS_capset,
    libc::SYS_personality,
    // The host's clocks and names.
    libc::SYS_settimeofday,
    libc::SYS_clock_settime,
    libc::SYS_clock_adjtime,
    libc::SYS_adjtimex,
    libc::SYS_sethostname,
    libc::SYS_setdomainname,
    // Keyrings.
    libc::SYS_add_key,
    libc::SYS_request_key,
    libc::SYS_keyctl,
];

/// Denied only where the architecture has them.
#[cfg(target_arch = "x86_64")]
const DENIED_ARCH: &[i64] = &[
    libc::SYS_iopl,
    libc::SYS_ioperm,
    libc::SYS_uselib,
    libc::SYS_ustat,
    libc::SYS_sysfs,
];
#[cfg(not(target_arch = "x86_64"))]
const DENIED_ARCH: &[i64] = &[];

/// The filter for `action` (none for [`Action::None`]).
pub fn program(action: Action) -> Result<Option<BpfProgram>, SeccompError> {
    let on_match = match action {
        Action::None => return Ok(None),
        Action::Kill => SeccompAction::KillProcess,
        Action::Log => SeccompAction::Log,
    };
    let arch = TargetArch::try_from(std::env::consts::ARCH)
        .map_err(|e| SeccompError::Filter(format!("{}: {e}", std::env::consts::ARCH)))?;
    // An empty rule list matches the call whatever its arguments.
    let rules: BTreeMap<i64, Vec<_>> = DENIED
        .iter()
        .chain(DENIED_ARCH)
        .map(|&n| (n, Vec::new()))
        .collect();
    let filter = SeccompFilter::new(rules, SeccompAction::Allow, on_match, arch)
        .map_err(|e| SeccompError::Filter(e.to_string()))?;
    let bpf: BpfProgram = filter
        .try_into()
        .map_err(|e: seccompiler::BackendError| SeccompError::Filter(e.to_string()))?;
    Ok(Some(bpf))
}

/// Installs the filter for `action` on every thread of the process (nothing for
/// [`Action::None`]). It cannot be removed again.
pub fn install(action: Action) -> Result<(), SeccompError> {
    if let Some(bpf) = program(action)? {
        seccompiler::apply_filter_all_threads(&bpf)
            .map_err(|e| SeccompError::Filter(e.to_string()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options() {
        assert_eq!(parse("action=kill").unwrap(), Action::Kill);
        assert_eq!(parse("action=log").unwrap(), Action::Log);
        assert_eq!(parse("action=none").unwrap(), Action::None);
        assert_eq!(parse("").unwrap(), Action::Kill);
        assert!(parse("action=trap").is_err());
        assert!(parse("profile=x").is_err());
    }

    #[test]
    fn the_filter_compiles_for_this_machine() {
        assert!(program(Action::None).unwrap().is_none());
        let kill = program(Action::Kill).unwrap().unwrap();
        // One instruction at least per denied call, plus the architecture check.
        assert!(kill.len() > DENIED.len(), "{}", kill.len());
    }
}
