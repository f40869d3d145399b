//! A real swtpm process: started on free TCP ports with a fresh state directory, driven
//! over its data and control channels, killed when dropped.
//!
//! Control channel layouts: swtpm's `CMD_*` messages, big-endian (see the swtpm interface
//! reference §2): request `u32 code` + body, response `u32 result` + body.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

const CMD_GET_CAPABILITY: u32 = 0x01;
const CMD_INIT: u32 = 0x02;
const CMD_SET_LOCALITY: u32 = 0x05;
const CMD_HASH_START: u32 = 0x06;
const CMD_HASH_DATA: u32 = 0x07;
const CMD_HASH_END: u32 = 0x08;

/// How long a TPM command may take before we call it unanswered. swtpm answers every
/// command of at least 10 bytes within milliseconds, but a loaded CI machine can stall it
/// for seconds, so the wait is generous.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(20);
/// A command shorter than the 10-byte header never gets an answer (swtpm keeps waiting for
/// the rest of the header); a short wait shows that without slowing the run.
const SHORT_COMMAND_TIMEOUT: Duration = Duration::from_millis(500);
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// The swtpm binary: `$SWTPM` if set, else `swtpm` from `PATH`.
pub fn binary() -> String {
    std::env::var("SWTPM").unwrap_or_else(|_| "swtpm".to_string())
}

/// The version line of the swtpm binary, or why it cannot be run.
pub fn version() -> Result<String, String> {
    let out = Command::new(binary())
        .arg("--version")
        .output()
        .map_err(|e| format!("cannot run `{}`: {e} (install Debian's swtpm)", binary()))?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || text.is_empty() {
        return Err(format!("`{} --version` failed: {:?}", binary(), out.status));
    }
    Ok(text)
}

pub struct Swtpm {
    child: Child,
    dir: PathBuf,
    data_port: u16,
    data: Option<TcpStream>,
    ctrl: TcpStream,
    locality: u8,
}

/// Two ports nobody listens on right now (the OS picks them; a race with another process
/// is caught when swtpm fails to start, and retried).
/// Two free ports below the kernel's ephemeral range (32768+), so that no outgoing
/// connection of this or another test can take a port between our check and swtpm's bind;
/// each call moves on through the range from a per-process starting point.
fn free_ports() -> io::Result<(u16, u16)> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let base = 10_000 + (std::process::id() % 100) * 20;
    for _ in 0..2000 {
        let n = NEXT.fetch_add(2, Ordering::Relaxed);
        let p = (base + n % 20_000) as u16;
        let a = TcpListener::bind((Ipv4Addr::LOCALHOST, p));
        let b = TcpListener::bind((Ipv4Addr::LOCALHOST, p + 1));
        if a.is_ok() && b.is_ok() {
            return Ok((p, p + 1));
        }
    }
    Err(io::Error::other("no free port pair below 32768"))
}

fn fresh_dir() -> io::Result<PathBuf> {
    static N: AtomicU32 = AtomicU32::new(0);
    let d = std::env::temp_dir().join(format!(
        "ferrotpm-difftest-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    if d.exists() {
        std::fs::remove_dir_all(&d)?;
    }
    std::fs::create_dir_all(&d)?;
    Ok(d)
}

fn read_exact_or_eof(s: &mut TcpStream, buf: &mut [u8]) -> io::Result<()> {
    s.read_exact(buf)
}

impl Swtpm {
    /// Starts swtpm (TPM 2, `not-need-init,startup-clear`, so it has run
    /// `TPM2_Startup(CLEAR)` at locality 0) and waits until both channels answer.
    pub fn start() -> io::Result<Swtpm> {
        let mut last = None;
        for _ in 0..5 {
            match Self::try_start() {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("swtpm did not start")))
    }

    fn try_start() -> io::Result<Swtpm> {
        let (data_port, ctrl_port) = free_ports()?;
        let dir = fresh_dir()?;
        let mut child = Command::new(binary())
            .args(["socket", "--tpm2"])
            .arg("--server")
            .arg(format!("type=tcp,port={data_port}"))
            .arg("--ctrl")
            .arg(format!("type=tcp,port={ctrl_port}"))
            .args(["--flags", "not-need-init,startup-clear"])
            .arg("--tpmstate")
            .arg(format!("dir={}", dir.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| io::Error::new(e.kind(), format!("cannot start `{}`: {e}", binary())))?;
        let deadline = Instant::now() + START_TIMEOUT;
        let ctrl = loop {
            if let Some(status) = child.try_wait()? {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(io::Error::other(format!("swtpm exited at start: {status}")));
            }
            match TcpStream::connect((Ipv4Addr::LOCALHOST, ctrl_port)) {
                Ok(s) => break s,
                Err(e) if Instant::now() > deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    let _ = std::fs::remove_dir_all(&dir);
                    return Err(e);
                }
                Err(_) => std::thread::sleep(Duration::from_millis(2)),
            }
        };
        ctrl.set_read_timeout(Some(Duration::from_secs(5)))?;
        ctrl.set_nodelay(true)?;
        let mut me = Swtpm {
            child,
            dir,
            data_port,
            data: None,
            ctrl,
            locality: 0,
        };
        // It answers on the control channel: the capability word (8 bytes).
        let mut caps = [0u8; 8];
        me.ctrl_raw(&CMD_GET_CAPABILITY.to_be_bytes(), &mut caps)?;
        me.connect_data()?;
        Ok(me)
    }

    fn connect_data(&mut self) -> io::Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        let s = loop {
            match TcpStream::connect((Ipv4Addr::LOCALHOST, self.data_port)) {
                Ok(s) => break s,
                Err(e) if Instant::now() > deadline => return Err(e),
                Err(_) => std::thread::sleep(Duration::from_millis(2)),
            }
        };
        s.set_read_timeout(Some(RESPONSE_TIMEOUT))?;
        s.set_nodelay(true)?;
        self.data = Some(s);
        Ok(())
    }

    fn ctrl_raw(&mut self, req: &[u8], resp: &mut [u8]) -> io::Result<()> {
        self.ctrl.write_all(req)?;
        read_exact_or_eof(&mut self.ctrl, resp)
    }

    /// A control command answered by a 4-byte result; returns the result.
    fn ctrl_result(&mut self, req: &[u8]) -> io::Result<u32> {
        let mut r = [0u8; 4];
        self.ctrl_raw(req, &mut r)?;
        Ok(u32::from_be_bytes(r))
    }

    /// `CMD_SET_LOCALITY` (only sent when the locality changes; swtpm's is sticky).
    pub fn set_locality(&mut self, loc: u8) -> io::Result<u32> {
        if loc == self.locality {
            return Ok(0);
        }
        let mut req = CMD_SET_LOCALITY.to_be_bytes().to_vec();
        req.push(loc);
        let r = self.ctrl_result(&req)?;
        if r == 0 {
            self.locality = loc;
        }
        Ok(r)
    }

    /// `CMD_INIT` (flags 0): `_TPM_Init`; the TPM then waits for `TPM2_Startup`.
    pub fn init(&mut self) -> io::Result<u32> {
        let mut req = CMD_INIT.to_be_bytes().to_vec();
        req.extend_from_slice(&0u32.to_be_bytes());
        self.ctrl_result(&req)
    }

    /// `CMD_HASH_START`, `CMD_HASH_DATA`, `CMD_HASH_END`: a DRTM/H-CRTM sequence.
    pub fn hash_sequence(&mut self, data: &[u8]) -> io::Result<[u32; 3]> {
        let a = self.ctrl_result(&CMD_HASH_START.to_be_bytes())?;
        let mut req = CMD_HASH_DATA.to_be_bytes().to_vec();
        req.extend_from_slice(&(data.len() as u32).to_be_bytes());
        req.extend_from_slice(data);
        let b = self.ctrl_result(&req)?;
        let c = self.ctrl_result(&CMD_HASH_END.to_be_bytes())?;
        Ok([a, b, c])
    }

    /// Sends one TPM command; `None` when no response arrived in time (the connection is
    /// then replaced, so leftover bytes cannot leak into the next command).
    pub fn command(&mut self, bytes: &[u8]) -> io::Result<Option<Vec<u8>>> {
        if self.data.is_none() {
            self.connect_data()?;
        }
        let Some(s) = self.data.as_mut() else {
            return Err(io::Error::other("no data connection"));
        };
        s.set_read_timeout(Some(if bytes.len() < 10 {
            SHORT_COMMAND_TIMEOUT
        } else {
            RESPONSE_TIMEOUT
        }))?;
        s.write_all(bytes)?;
        let mut hdr = [0u8; 10];
        match s.read_exact(&mut hdr) {
            Ok(()) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                self.data = None;
                return Ok(None);
            }
            Err(e) => return Err(e),
        }
        let size = u32::from_be_bytes([hdr[2], hdr[3], hdr[4], hdr[5]]) as usize;
        if !(10..=64 * 1024).contains(&size) {
            return Err(io::Error::other(format!(
                "swtpm sent a response of size {size}"
            )));
        }
        let mut out = hdr.to_vec();
        out.resize(size, 0);
        s.read_exact(&mut out[10..])?;
        Ok(Some(out))
    }
}

impl Drop for Swtpm {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
