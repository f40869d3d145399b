//! `ferrotpm socket` / `swtpm socket`: swtpm's options, the defaults, the state directory.

use clap::Args;
use ferrotpm_server::options::{self, Endpoint, Flags, LocalityOpt, ServerOpt};
use ferrotpm_server::persist::{PersistError, Persistence, SealedStore, Stored};
use ferrotpm_server::swtpm::{self, SocketConfig};
use ferrotpm_server::{Instance, Options};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tracing::error;

#[derive(Args, Debug, Default)]
pub struct SocketArgs {
    /// Emulate a TPM 2.0 (the only version ferrotpm emulates; implied).
    #[arg(long)]
    tpm2: bool,
    /// State location: dir=PATH or backend-uri=dir://PATH [,mode=0640].
    #[arg(long, value_name = "OPTIONS")]
    tpmstate: Option<String>,
    /// Data channel: type=tcp,port=N[,bindaddr=A][,disconnect] | type=tcp,fd=N | type=unixio,path=P.
    #[arg(long, value_name = "OPTIONS")]
    pub(crate) server: Option<String>,
    /// Legacy: data channel on this TCP port (implies disconnect).
    #[arg(short = 'p', long = "port")]
    port: Option<u16>,
    /// Legacy: data channel on this connected fd (implies --terminate).
    #[arg(short = 'f', long = "fd")]
    pub(crate) fd: Option<i32>,
    /// Control channel: type=unixio,path=P[,mode=0600] | type=unixio,clientfd=N | type=tcp,port=N.
    #[arg(long, value_name = "OPTIONS")]
    ctrl: Option<String>,
    /// Exit when the data connection is lost.
    #[arg(short = 't', long)]
    terminate: bool,
    /// not-need-init, startup-clear | startup-state | startup-none.
    #[arg(long, value_name = "FLAGS")]
    flags: Option<String>,
    /// Write the PID: file=PATH | fd=N.
    #[arg(long, value_name = "OPTIONS")]
    pid: Option<String>,
    /// Log: file=PATH | fd=N [,level=N][,truncate].
    #[arg(long, value_name = "OPTIONS")]
    log: Option<String>,
    /// State file encryption: file=PATH | fd=N [,format=hex|binary] | pwdfile=PATH | pwdfd=N
    /// [,kdf=pbkdf2|sha512], [,mode=aes-cbc|aes-256-cbc][,remove]. Always AES-GCM.
    #[arg(long, value_name = "OPTIONS")]
    key: Option<String>,
    /// State blob (migration) encryption: the same parameters as --key.
    #[arg(long = "migration-key", value_name = "OPTIONS")]
    migration_key: Option<String>,
    /// reject-locality-4, allow-set-locality.
    #[arg(long, value_name = "OPTIONS")]
    locality: Option<String>,
    /// action=kill (the default) | action=log | action=none (no filter).
    #[arg(long, value_name = "OPTIONS")]
    seccomp: Option<String>,
    /// Print the supported features as JSON and exit.
    #[arg(long = "print-capabilities")]
    pub(crate) print_capabilities: bool,
    /// Print the stored state blobs as JSON and exit.
    #[arg(long = "print-states")]
    print_states: bool,
    /// Run in the background: the command returns (exit 0) once the daemon serves.
    #[arg(short = 'd', long)]
    daemon: bool,
}

/// Set in the environment of the background process `--daemon` starts.
const DAEMON_CHILD: &str = "FERROTPM_DAEMON_CHILD";

/// `--daemon`: starts this same command line (without `-d`) as a new session in the
/// background and returns once it reports that it serves (see
/// `ferrotpm_server::notify::ready`), or with its error if it fails to start.
fn daemonize() -> Result<(), String> {
    use std::io::Read;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let args: Vec<std::ffi::OsString> = std::env::args_os()
        .skip(1)
        .filter(|a| a != "-d" && a != "--daemon")
        .collect();
    // Invoked through a persona symlink (swtpm), keep that name as argv[0].
    let argv0 = std::env::args_os()
        .next()
        .unwrap_or_else(|| exe.clone().into());
    let mut cmd = std::process::Command::new(&exe);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.arg0(argv0);
    }
    let mut child = cmd
        .args(&args)
        .env(DAEMON_CHILD, "1")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start the daemon: {e}"))?;
    let mut out = String::new();
    if let Some(mut o) = child.stdout.take() {
        // The child writes "READY" when it serves and nothing else to stdout; EOF without
        // it means it exited.
        let mut buf = [0u8; 64];
        while let Ok(n) = o.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.push_str(&String::from_utf8_lossy(&buf[..n]));
            if out.contains("READY") {
                return Ok(());
            }
        }
    }
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    Err(format!(
        "the daemon did not start ({status}): {}",
        err.trim()
    ))
}

/// The default state directory: `${XDG_STATE_HOME:-$HOME/.local/state}/ferrotpm/default`.
pub fn default_state_dir() -> PathBuf {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("."));
    base.join("ferrotpm").join("default")
}

/// The state directory through ferrotpm-store: atomic, durable, locked.
pub struct DirState(pub ferrotpm_store::StateDir);

fn perr(e: ferrotpm_store::StoreError) -> PersistError {
    PersistError {
        location: e.path().display().to_string(),
        message: e.to_string(),
    }
}

impl Persistence for DirState {
    fn location(&self) -> String {
        self.0.path().display().to_string()
    }

    fn permanent_location(&self) -> String {
        self.0.permanent_path().display().to_string()
    }

    fn volatile_location(&self) -> String {
        self.0.volatile_path().display().to_string()
    }

    fn load(&mut self) -> Result<Option<Stored>, PersistError> {
        Ok(self.0.load().map_err(perr)?.map(|l| Stored {
            permanent: l.permanent,
            volatile: l.volatile,
        }))
    }

    fn save_permanent(&mut self, blob: &[u8]) -> Result<(), PersistError> {
        self.0.save_permanent(blob).map_err(perr)
    }

    fn save_volatile(&mut self, blob: &[u8]) -> Result<(), PersistError> {
        self.0.save_volatile(blob).map_err(perr)
    }

    fn delete_volatile(&mut self) -> Result<(), PersistError> {
        self.0.delete_volatile().map_err(perr)
    }
}

fn features() -> serde_json::Value {
    serde_json::json!({
        "type": "swtpm",
        "features": [
            "tpm-2.0",
            "tpm-send-command-header",
            "flags-opt-startup",
            "cmdarg-seccomp",
            "cmdarg-key-fd",
            "cmdarg-pwd-fd",
            "cmdarg-print-states",
            "nvram-backend-dir",
        ],
        "version": env!("CARGO_PKG_VERSION"),
    })
}

pub fn init_logging(log: Option<&options::LogOpt>) -> Result<(), String> {
    let builder = tracing_subscriber::fmt()
        .with_ansi(false)
        .with_target(false);
    match log.and_then(|l| l.file.clone()) {
        Some(path) => {
            let f = std::fs::OpenOptions::new()
                .create(true)
                .append(!log.is_some_and(|l| l.truncate))
                .write(true)
                .truncate(log.is_some_and(|l| l.truncate))
                .open(&path)
                .map_err(|e| format!("--log: {}: {e}", path.display()))?;
            builder.with_writer(std::sync::Mutex::new(f)).init();
        }
        // A background daemon has no terminal: without --log its messages go nowhere
        // (its stderr is a pipe to the parent that is gone once the daemon serves).
        None if std::env::var_os(DAEMON_CHILD).is_some() => {
            builder.with_writer(std::io::sink).init()
        }
        None => builder.with_writer(std::io::stderr).init(),
    }
    Ok(())
}

fn print_states(dir: &Path) -> Result<(), String> {
    let mut states = Vec::new();
    for (name, file) in [
        ("permall", ferrotpm_store::PERMANENT_FILE),
        ("volatilestate", ferrotpm_store::VOLATILE_FILE),
    ] {
        if let Ok(m) = std::fs::metadata(dir.join(file)) {
            states.push(serde_json::json!({"name": name, "size": m.len()}));
        }
    }
    print!("{}", serde_json::json!({"type": "swtpm", "states": states}));
    Ok(())
}

fn run(a: SocketArgs) -> Result<(), String> {
    if a.print_capabilities {
        println!("{}", features());
        return Ok(());
    }
    if a.daemon && std::env::var_os(DAEMON_CHILD).is_none() {
        return daemonize();
    }
    if std::env::var_os(DAEMON_CHILD).is_some() {
        // The background daemon: its own session, no controlling terminal.
        let _ = rustix::process::setsid();
    }
    let state = match &a.tpmstate {
        Some(s) => options::parse_tpmstate(s).map_err(|e| e.to_string())?,
        None => options::TpmState {
            dir: std::env::var_os("TPM_PATH")
                .map(PathBuf::from)
                .unwrap_or_else(default_state_dir),
            mode: None,
        },
    };
    if a.print_states {
        return print_states(&state.dir);
    }
    // swtpm's default: a filter that kills the process on a denied call.
    let seccomp = match &a.seccomp {
        Some(s) => ferrotpm_server::seccomp::parse(s).map_err(|e| e.to_string())?,
        None => ferrotpm_server::seccomp::Action::Kill,
    };
    let log = a
        .log
        .as_deref()
        .map(options::parse_log)
        .transpose()
        .map_err(|e| e.to_string())?;
    init_logging(log.as_ref())?;

    let mut server = a
        .server
        .as_deref()
        .map(options::parse_server)
        .transpose()
        .map_err(|e| e.to_string())?;
    let mut terminate = a.terminate;
    if let Some(p) = a.port {
        server = Some(ServerOpt {
            endpoint: Endpoint::Tcp {
                bind: "127.0.0.1".into(),
                port: p,
            },
            disconnect: true,
        });
    }
    if let Some(fd) = a.fd {
        server = Some(ServerOpt {
            endpoint: Endpoint::ConnectedFd(fd),
            disconnect: false,
        });
        terminate = true;
    }
    let mut ctrl = a
        .ctrl
        .as_deref()
        .map(options::parse_ctrl)
        .transpose()
        .map_err(|e| e.to_string())?;
    let mut flags = a
        .flags
        .as_deref()
        .map(options::parse_flags)
        .transpose()
        .map_err(|e| e.to_string())?;
    if server.is_none() && ctrl.is_none() {
        // The no-argument default: tpm2-tss's swtpm TCTI ports, already started.
        server = Some(ServerOpt {
            endpoint: Endpoint::Tcp {
                bind: "127.0.0.1".into(),
                port: 2321,
            },
            disconnect: false,
        });
        ctrl = Some(Endpoint::Tcp {
            bind: "127.0.0.1".into(),
            port: 2322,
        });
        flags.get_or_insert(Flags {
            not_need_init: true,
            startup: Some(tpm2_types::constants::su::CLEAR),
        });
    }
    let locality: LocalityOpt = a
        .locality
        .as_deref()
        .map(options::parse_locality)
        .transpose()
        .map_err(|e| e.to_string())?
        .unwrap_or_default();
    let pid = a
        .pid
        .as_deref()
        .map(options::parse_pid)
        .transpose()
        .map_err(|e| e.to_string())?;

    let key_opt = a
        .key
        .as_deref()
        .map(|s| options::parse_key("key", s))
        .transpose()
        .map_err(|e| e.to_string())?;
    let migration_opt = a
        .migration_key
        .as_deref()
        .map(|s| options::parse_key("migration-key", s))
        .transpose()
        .map_err(|e| e.to_string())?;
    check_distinct_fds(&[
        server.as_ref().map(|s| &s.endpoint).and_then(endpoint_fd),
        ctrl.as_ref().and_then(endpoint_fd),
        match &pid {
            Some(options::PidOpt::Fd(fd)) => Some(*fd),
            _ => None,
        },
        key_opt.as_ref().and_then(key_fd),
        migration_opt.as_ref().and_then(key_fd),
    ])?;
    let file_key = key_opt
        .as_ref()
        .map(|k| ferrotpm_server::keyfile::load("key", k))
        .transpose()?;
    let migration_key = migration_opt
        .as_ref()
        .map(|k| ferrotpm_server::keyfile::load("migration-key", k))
        .transpose()?;

    std::fs::create_dir_all(&state.dir).map_err(|e| format!("{}: {e}", state.dir.display()))?;
    let dir = ferrotpm_store::StateDir::open(&state.dir, true).map_err(|e| e.to_string())?;
    let mut store = SealedStore::new(Box::new(DirState(dir)), file_key.clone());
    // A state the key does not open (or an encrypted one without a key) is refused now,
    // naming the file, whether or not the TPM is initialised at start.
    store
        .load()
        .map_err(|e| format!("cannot read TPM state: {e}"))?;
    let inst = Instance::new(
        Box::new(store),
        Box::new(|| Box::new(tpm2_engine::OsPlatform::new())),
        Options {
            reject_locality_4: locality.reject_locality_4,
            file_key,
            migration_key,
        },
    );
    let cfg = SocketConfig {
        server,
        ctrl,
        terminate,
        flags: flags.unwrap_or_default(),
        locality,
        pid,
        seccomp,
    };
    swtpm::run(inst, cfg).map_err(|e| e.to_string())
}

fn endpoint_fd(e: &Endpoint) -> Option<i32> {
    match e {
        Endpoint::ListenFd(fd) | Endpoint::ConnectedFd(fd) => Some(*fd),
        _ => None,
    }
}

fn key_fd(k: &options::KeyOpt) -> Option<i32> {
    match k.source {
        options::KeySource::Fd(fd) | options::KeySource::PwdFd(fd) => Some(fd),
        _ => None,
    }
}

/// Each inherited descriptor is taken over (and closed) by exactly one option.
fn check_distinct_fds(fds: &[Option<i32>]) -> Result<(), String> {
    let mut seen = Vec::new();
    for fd in fds.iter().flatten() {
        if seen.contains(fd) {
            return Err(format!("fd {fd} is named by two options"));
        }
        seen.push(*fd);
    }
    Ok(())
}

pub fn main(a: SocketArgs) -> ExitCode {
    match run(a) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!("{e}");
            eprintln!("ferrotpm: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_fd_is_taken_by_one_option_only() {
        assert!(check_distinct_fds(&[Some(5), None, Some(7)]).is_ok());
        let e = check_distinct_fds(&[Some(5), Some(7), Some(5)]).unwrap_err();
        assert_eq!(e, "fd 5 is named by two options");
        let k = options::parse_key("key", "pwdfd=9,mode=aes-256-cbc").unwrap();
        assert_eq!(key_fd(&k), Some(9));
        assert_eq!(endpoint_fd(&Endpoint::ConnectedFd(3)), Some(3));
    }

    #[test]
    fn key_options_are_advertised() {
        let f = features().to_string();
        assert!(f.contains("\"cmdarg-key-fd\"") && f.contains("\"cmdarg-pwd-fd\""));
    }
}
