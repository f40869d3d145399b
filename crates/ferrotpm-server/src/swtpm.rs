//! The swtpm `socket` front end: data channel (TCP, Unix, inherited fd, or an fd passed by
//! `SET_DATAFD`), control channel (TCP, Unix, inherited listening or connected fd), pid
//! file, signals, `--terminate`.

use crate::conn::{is_unix, Conn};
use crate::ctrl::{self, res, Framed, Request};
use crate::instance::{After, InitError, Instance};
use crate::options::{Endpoint, Flags, LocalityOpt, PidOpt, ServerOpt};
use std::io::{self, Read, Write};
use std::net::TcpListener;
use std::os::fd::OwnedFd;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tracing::{error, info, warn};

/// A control message must be complete this long after its first byte (swtpm: 500 ms).
const CTRL_DEADLINE: Duration = Duration::from_millis(500);
/// Largest data-channel frame read; larger size fields are answered and the connection
/// closed, so a lying size cannot make us allocate without bound.
const MAX_FRAME: usize = 64 * 1024;
/// The vendor command swtpm accepts with `--locality allow-set-locality` (TPM2_SetLocality).
const CC_SET_LOCALITY: u32 = 0x2000_1000;

pub struct SocketConfig {
    pub server: Option<ServerOpt>,
    pub ctrl: Option<Endpoint>,
    pub terminate: bool,
    pub flags: Flags,
    pub locality: LocalityOpt,
    pub pid: Option<PidOpt>,
    /// `--seccomp`: the filter installed once sockets, lock and pid file are in place.
    pub seccomp: crate::seccomp::Action,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Init(#[from] InitError),
    #[error("{what}: {source}")]
    Io { what: String, source: io::Error },
}

fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> ServeError {
    let what = what.into();
    move |source| ServeError::Io { what, source }
}

/// Files removed when the daemon exits cleanly.
#[derive(Default)]
struct Cleanup {
    paths: Mutex<Vec<PathBuf>>,
}

impl Cleanup {
    fn add(&self, p: PathBuf) {
        lock(&self.paths).push(p);
    }

    fn exit(&self, code: i32) -> ! {
        for p in lock(&self.paths).iter() {
            let _ = std::fs::remove_file(p);
        }
        std::process::exit(code)
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

struct Daemon {
    inst: Mutex<Instance>,
    cleanup: Cleanup,
    /// A data connection is being served (second `SET_DATAFD` is refused).
    data_busy: AtomicBool,
    has_data_listener: bool,
    terminate: bool,
    allow_set_locality: bool,
    disconnect: bool,
}

/// Takes ownership of an inherited descriptor named on the command line.
#[allow(unsafe_code)]
pub(crate) fn inherit_fd(fd: i32) -> io::Result<OwnedFd> {
    use std::os::fd::{BorrowedFd, FromRawFd};
    if fd <= 2 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("fd {fd} is a standard stream"),
        ));
    }
    // SAFETY: `fd` is a non-negative descriptor number the parent passed on our command line
    // (the swtpm contract for fd=/clientfd=/--fd); the borrow lives only for the fcntl
    // call, which checks that it is open.
    let open = unsafe { rustix::io::fcntl_getfd(BorrowedFd::borrow_raw(fd)) };
    open.map_err(io::Error::from)?;
    // SAFETY: the descriptor is open (checked above) and nothing else in this process owns
    // it: each fd option is consumed exactly once, at start-up, before any other code could
    // have opened or wrapped a descriptor with this number (chardev's `--chardev` device is
    // opened by this process and released with `into_raw_fd` just for this).
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener),
}

impl Listener {
    fn bind(ep: &Endpoint, cleanup: &Cleanup, what: &str) -> Result<Listener, ServeError> {
        match ep {
            Endpoint::Tcp { bind, port } => TcpListener::bind((bind.as_str(), *port))
                .map(Listener::Tcp)
                .map_err(io_err(format!("{what}: cannot listen on {bind}:{port}"))),
            Endpoint::Unix { path, mode } => {
                if std::fs::symlink_metadata(path).is_ok() {
                    let _ = std::fs::remove_file(path);
                }
                let l = UnixListener::bind(path).map_err(io_err(format!(
                    "{what}: cannot listen on {}",
                    path.display()
                )))?;
                cleanup.add(path.clone());
                if let Some(m) = mode {
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(*m))
                        .map_err(io_err(format!("{what}: chmod {}", path.display())))?;
                }
                Ok(Listener::Unix(l))
            }
            Endpoint::ListenFd(fd) => {
                let owned = inherit_fd(*fd).map_err(io_err(format!("{what}: fd {fd}")))?;
                // A listening fd is TCP or Unix; ask the socket which.
                if is_unix(&owned) {
                    Ok(Listener::Unix(UnixListener::from(owned)))
                } else {
                    Ok(Listener::Tcp(TcpListener::from(owned)))
                }
            }
            Endpoint::ConnectedFd(_) => Err(ServeError::Io {
                what: format!("{what}: a connected fd is not a listener"),
                source: io::Error::from(io::ErrorKind::InvalidInput),
            }),
        }
    }

    fn accept(&self) -> io::Result<Conn> {
        match self {
            Listener::Tcp(l) => l.accept().map(|(s, _)| {
                let _ = s.set_nodelay(true);
                Conn::Tcp(s)
            }),
            Listener::Unix(l) => l.accept().map(|(s, _)| Conn::Unix(s)),
        }
    }
}

/// Reads exactly `buf.len()` bytes; `Ok(false)` on a clean EOF before the first byte.
fn read_full(s: &mut impl Read, buf: &mut [u8]) -> io::Result<bool> {
    let mut got = 0;
    while got < buf.len() {
        match s.read(&mut buf[got..]) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

fn tpm_error(rc: u32) -> Vec<u8> {
    let mut v = vec![0x80, 0x01, 0, 0, 0, 10];
    v.extend_from_slice(&rc.to_be_bytes());
    v
}

impl Daemon {
    /// Serves TPM commands on one connection until it closes.
    fn serve_data(&self, s: &mut Conn) -> io::Result<()> {
        // Buffers reused for every command on this connection.
        let mut cmd = Vec::with_capacity(4096);
        let mut resp = Vec::with_capacity(4096);
        loop {
            // Tag and size in one read: a command costs two reads and one write, as for any
            // server that frames by the size field.
            let mut head = [0u8; 6];
            if !read_full(s, &mut head)? {
                return Ok(());
            }
            if head[..4] == [0, 0, 0, 8] {
                // TCG send-command header (mssim framing on the data channel):
                // u32 8, u8 locality, u32 size, command → u32 size, response, u32 0.
                // (No TPM command starts with these bytes: its tag would be 0x0000.)
                let loc = head[4];
                let mut size_rest = [0u8; 3];
                read_full(s, &mut size_rest)?;
                let size = u32::from_be_bytes([head[5], size_rest[0], size_rest[1], size_rest[2]])
                    as usize;
                if size > MAX_FRAME {
                    return Ok(());
                }
                cmd.resize(size, 0);
                read_full(s, &mut cmd)?;
                {
                    let mut inst = lock(&self.inst);
                    inst.set_locality(loc.min(4));
                    inst.execute_into(&cmd, &mut resp);
                }
                let mut out = (resp.len() as u32).to_be_bytes().to_vec();
                out.extend_from_slice(&resp);
                out.extend_from_slice(&[0; 4]);
                s.write_all(&out)?;
                continue;
            }
            // Any other tag (a TPM 1.2 probe from firmware, garbage) is still framed by its
            // size field and answered by the engine; the connection stays open.
            let size = u32::from_be_bytes([head[2], head[3], head[4], head[5]]) as usize;
            if !(10..=MAX_FRAME).contains(&size) {
                s.write_all(&tpm_error(tpm2_types::Rc::COMMAND_SIZE.0))?;
                return Ok(());
            }
            cmd.resize(size, 0);
            cmd[..6].copy_from_slice(&head);
            read_full(s, &mut cmd[6..])?;
            self.data_command(&cmd, &mut resp);
            s.write_all(&resp)?;
            if self.disconnect {
                return Ok(());
            }
        }
    }

    fn data_command(&self, cmd: &[u8], resp: &mut Vec<u8>) {
        let code = u32::from_be_bytes([cmd[6], cmd[7], cmd[8], cmd[9]]);
        let mut inst = lock(&self.inst);
        if code == CC_SET_LOCALITY && inst.is_running() {
            *resp = if !self.allow_set_locality {
                tpm_error(tpm2_types::Rc::FAILURE.0)
            } else {
                match cmd.get(10) {
                    Some(&l) if l <= 4 && cmd.len() == 11 => {
                        inst.set_locality(l);
                        tpm_error(0)
                    }
                    _ => tpm_error(tpm2_types::Rc::LOCALITY.0),
                }
            };
            return;
        }
        inst.execute_into(cmd, resp);
    }

    /// Serves one control connection until it closes.
    fn serve_ctrl(self: &Arc<Self>, mut c: Conn) -> io::Result<()> {
        let mut buf: Vec<u8> = Vec::new();
        let mut fds: Vec<OwnedFd> = Vec::new();
        let mut chunk = vec![0u8; 64 * 1024];
        let mut started: Option<Instant> = None;
        loop {
            let timeout = started.map(|t| {
                CTRL_DEADLINE
                    .saturating_sub(t.elapsed())
                    .max(Duration::from_millis(1))
            });
            c.set_read_timeout(timeout)?;
            let n = match c.read_with_fds(&mut chunk, &mut fds) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    // Truncated message: swtpm closes without answering.
                    warn!("control message incomplete after {CTRL_DEADLINE:?}; closing");
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                started = Some(Instant::now());
            }
            buf.extend_from_slice(&chunk[..n]);
            let reply = match ctrl::frame(&buf) {
                Framed::Incomplete => continue,
                Framed::Unknown(_) => ctrl::result(res::BAD_ORDINAL),
                Framed::BadParameter(_) => ctrl::result(res::BAD_PARAMETER),
                Framed::Request(ref req, used)
                    if used < buf.len() && !ctrl::tolerates_trailing(req) =>
                {
                    // Bytes after a command that takes none (swtpm: TPM_BAD_PARAMETER).
                    ctrl::result(res::BAD_PARAMETER)
                }
                Framed::Request(Request::SetDataFd, _) => self.set_data_fd(&mut fds),
                Framed::Request(req, _) => {
                    let (out, after) = lock(&self.inst).control(req);
                    if after == After::Exit {
                        let _ = c.write_all(&out);
                        info!("CMD_SHUTDOWN: exiting");
                        self.cleanup.exit(0);
                    }
                    out
                }
            };
            buf.clear();
            fds.clear();
            started = None;
            c.write_all(&reply)?;
        }
    }

    fn set_data_fd(self: &Arc<Self>, fds: &mut Vec<OwnedFd>) -> Vec<u8> {
        if self.has_data_listener || self.data_busy.load(Ordering::SeqCst) {
            return ctrl::result(res::IOERROR);
        }
        let Some(fd) = fds.pop() else {
            return ctrl::result(res::BAD_PARAMETER);
        };
        self.data_busy.store(true, Ordering::SeqCst);
        let me = self.clone();
        std::thread::spawn(move || {
            let mut conn = Conn::from_fd(fd);
            if let Err(e) = me.serve_data(&mut conn) {
                warn!("data channel: {e}");
            }
            me.data_busy.store(false, Ordering::SeqCst);
            if me.terminate {
                info!("data channel closed: terminating");
                me.cleanup.exit(0);
            }
        });
        ctrl::result(res::SUCCESS)
    }
}

fn write_pid(p: &PidOpt, cleanup: &Cleanup) -> Result<(), ServeError> {
    let pid = std::process::id().to_string();
    match p {
        PidOpt::File(path) => {
            std::fs::write(path, &pid).map_err(io_err(format!("pid file {}", path.display())))?;
            cleanup.add(path.clone());
        }
        PidOpt::Fd(fd) => {
            let f = inherit_fd(*fd).map_err(io_err(format!("pid fd {fd}")))?;
            let mut f = std::fs::File::from(f);
            f.write_all(pid.as_bytes()).map_err(io_err("pid fd"))?;
        }
    }
    Ok(())
}

/// Runs the daemon until `CMD_SHUTDOWN`, a signal, or (with `--terminate`) the end of the
/// data connection. Returns only on a start-up error.
pub fn run(mut inst: Instance, cfg: SocketConfig) -> Result<(), ServeError> {
    if cfg.flags.not_need_init {
        inst.init(0)?;
        if let Some(su) = cfg.flags.startup {
            let mut cmd = vec![0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44];
            cmd.extend_from_slice(&su.to_be_bytes());
            let r = inst.execute_at(0, &cmd);
            let rc = u32::from_be_bytes([r[6], r[7], r[8], r[9]]);
            if rc != 0 {
                warn!("TPM2_Startup at start answered {}", tpm2_types::Rc(rc));
            }
        }
    }
    let cleanup = Cleanup::default();
    let data_listener = match cfg.server.as_ref().map(|s| &s.endpoint) {
        Some(Endpoint::ConnectedFd(_)) | None => None,
        Some(ep) => Some(Listener::bind(ep, &cleanup, "data channel")?),
    };
    let data_fd = match cfg.server.as_ref().map(|s| &s.endpoint) {
        Some(Endpoint::ConnectedFd(fd)) => {
            Some(inherit_fd(*fd).map_err(io_err(format!("data fd {fd}")))?)
        }
        _ => None,
    };
    let (ctrl_listener, ctrl_conn) = match &cfg.ctrl {
        Some(Endpoint::ConnectedFd(fd)) => (
            None,
            Some(Conn::from_fd(
                inherit_fd(*fd).map_err(io_err(format!("ctrl fd {fd}")))?,
            )),
        ),
        Some(ep) => (Some(Listener::bind(ep, &cleanup, "control channel")?), None),
        None => (None, None),
    };
    let daemon = Arc::new(Daemon {
        inst: Mutex::new(inst),
        cleanup,
        data_busy: AtomicBool::new(data_fd.is_some()),
        has_data_listener: data_listener.is_some(),
        terminate: cfg.terminate || data_fd.is_some(),
        allow_set_locality: cfg.locality.allow_set_locality,
        disconnect: cfg.server.as_ref().is_some_and(|s| s.disconnect),
    });
    if let Some(p) = &cfg.pid {
        write_pid(p, &daemon.cleanup)?;
    }
    spawn_signal_thread(daemon.clone())?;
    crate::seccomp::install(cfg.seccomp).map_err(|e| ServeError::Io {
        what: "--seccomp".into(),
        source: io::Error::other(e.to_string()),
    })?;
    // Listeners are bound and, with not-need-init, the TPM already answers: ready now.
    if let Err(e) = crate::notify::ready() {
        warn!("sd_notify: {e}");
    }

    // One job per channel; the last runs on this thread (one thread fewer: less memory).
    let mut jobs: Vec<Box<dyn FnOnce() + Send>> = Vec::new();
    if let Some(fd) = data_fd {
        let d = daemon.clone();
        jobs.push(Box::new(move || {
            let mut c = Conn::from_fd(fd);
            if let Err(e) = d.serve_data(&mut c) {
                warn!("data channel: {e}");
            }
            info!("data connection closed: terminating");
            d.cleanup.exit(0);
        }));
    }
    if let Some(l) = data_listener {
        let d = daemon.clone();
        jobs.push(Box::new(move || loop {
            match l.accept() {
                Ok(mut c) => {
                    if let Err(e) = d.serve_data(&mut c) {
                        warn!("data connection: {e}");
                    }
                    if d.terminate {
                        info!("data connection closed: terminating");
                        d.cleanup.exit(0);
                    }
                }
                Err(e) => error!("data channel accept: {e}"),
            }
        }));
    }
    if let Some(c) = ctrl_conn {
        let d = daemon.clone();
        jobs.push(Box::new(move || {
            if let Err(e) = d.serve_ctrl(c) {
                warn!("control connection: {e}");
            }
            info!("control connection closed: exiting");
            d.cleanup.exit(0);
        }));
    }
    if let Some(l) = ctrl_listener {
        let d = daemon.clone();
        jobs.push(Box::new(move || loop {
            // One control client at a time, as swtpm.
            match l.accept() {
                Ok(c) => {
                    if let Err(e) = d.serve_ctrl(c) {
                        warn!("control connection: {e}");
                    }
                }
                Err(e) => error!("control channel accept: {e}"),
            }
        }));
    }
    let Some(last) = jobs.pop() else {
        return Err(ServeError::Io {
            what: "nothing to serve: give --server and/or --ctrl".into(),
            source: io::Error::from(io::ErrorKind::InvalidInput),
        });
    };
    let threads: Vec<_> = jobs.into_iter().map(std::thread::spawn).collect();
    last();
    for t in threads {
        let _ = t.join();
    }
    daemon.cleanup.exit(0)
}

fn spawn_signal_thread(d: Arc<Daemon>) -> Result<(), ServeError> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGINT, SIGHUP])
        .map_err(io_err("signal handlers"))?;
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            info!("signal {sig}: exiting");
            // Hold the instance lock so no command is half-way through its commit.
            let _guard = lock(&d.inst);
            d.cleanup.exit(0);
        }
    });
    Ok(())
}
