//! The Microsoft/IBM simulator protocol ("mssim"): a command port P and a platform port
//! P+1, each serving one client at a time, every request acknowledged with `u32 0` (except
//! SESSION_END and STOP). Codes and layouts: ms-tpm-20-ref `TcpServer.c`, as documented in
//! the project's interface reference (§4.3).

use crate::instance::Instance;
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use tracing::{info, warn};

pub mod code {
    pub const POWER_ON: u32 = 1;
    pub const POWER_OFF: u32 = 2;
    pub const PHYS_PRES_ON: u32 = 3;
    pub const PHYS_PRES_OFF: u32 = 4;
    pub const HASH_START: u32 = 5;
    pub const HASH_DATA: u32 = 6;
    pub const HASH_END: u32 = 7;
    pub const SEND_COMMAND: u32 = 8;
    pub const CANCEL_ON: u32 = 9;
    pub const CANCEL_OFF: u32 = 10;
    pub const NV_ON: u32 = 11;
    pub const NV_OFF: u32 = 12;
    pub const KEY_CACHE_ON: u32 = 13;
    pub const KEY_CACHE_OFF: u32 = 14;
    pub const REMOTE_HANDSHAKE: u32 = 15;
    pub const SET_ALTERNATIVE_RESULT: u32 = 16;
    pub const RESET: u32 = 17;
    pub const RESTART: u32 = 18;
    pub const SESSION_END: u32 = 20;
    pub const STOP: u32 = 21;
    pub const GET_COMMAND_RESPONSE_SIZES: u32 = 25;
    pub const ACT_GET_SIGNALED: u32 = 26;
    pub const TEST_FAILURE_MODE: u32 = 30;
}

/// Largest command or hash chunk accepted (the reference's 1 MiB buffer).
const MAX_BUFFER: usize = 1 << 20;
/// `REMOTE_HANDSHAKE` flags: platform available | raw mode | supports physical presence.
const HANDSHAKE_FLAGS: u32 = 0x0D;
const SERVER_VERSION: u32 = 1;

/// The simulator's platform state around the TPM instance.
struct Platform {
    inst: Instance,
    powered: bool,
    /// Largest command and response seen (GET_COMMAND_RESPONSE_SIZES).
    largest_cmd: (u32, u32),
    largest_rsp: (u32, u32),
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn read_u32(s: &mut impl Read) -> io::Result<u32> {
    let mut b = [0u8; 4];
    s.read_exact(&mut b)?;
    Ok(u32::from_be_bytes(b))
}

fn read_buf(s: &mut impl Read) -> io::Result<Vec<u8>> {
    let n = read_u32(s)? as usize;
    if n > MAX_BUFFER {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "buffer larger than 1 MiB",
        ));
    }
    let mut v = vec![0u8; n];
    s.read_exact(&mut v)?;
    Ok(v)
}

const ACK: [u8; 4] = [0; 4];

/// How a connection ended.
enum End {
    Closed,
    Stop,
}

impl Platform {
    fn power_on(&mut self) {
        if self.powered {
            return;
        }
        match self.inst.init(0) {
            Ok(()) => self.powered = true,
            Err(e) => warn!("power-on failed: {e}"),
        }
    }
}

fn serve_command(p: &Mutex<Platform>, s: &mut TcpStream) -> io::Result<End> {
    loop {
        let c = match read_u32(s) {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(End::Closed),
            Err(e) => return Err(e),
        };
        match c {
            code::SEND_COMMAND => {
                let mut loc = [0u8; 1];
                s.read_exact(&mut loc)?;
                let cmd = read_buf(s)?;
                let resp = {
                    let mut g = lock(p);
                    g.inst.set_locality(loc[0].min(4));
                    let r = g.inst.execute(&cmd);
                    let cc = cmd
                        .get(6..10)
                        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
                    let rc = r
                        .get(6..10)
                        .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]));
                    if cmd.len() as u32 > g.largest_cmd.0 {
                        g.largest_cmd = (cmd.len() as u32, cc);
                    }
                    if r.len() as u32 > g.largest_rsp.0 {
                        g.largest_rsp = (r.len() as u32, rc);
                    }
                    r
                };
                let mut out = (resp.len() as u32).to_be_bytes().to_vec();
                out.extend_from_slice(&resp);
                out.extend_from_slice(&ACK);
                s.write_all(&out)?;
            }
            code::HASH_START => {
                lock(p).inst.hash_start();
                s.write_all(&ACK)?;
            }
            code::HASH_DATA => {
                let d = read_buf(s)?;
                lock(p).inst.hash_data(&d);
                s.write_all(&ACK)?;
            }
            code::HASH_END => {
                lock(p).inst.hash_end();
                s.write_all(&ACK)?;
            }
            code::REMOTE_HANDSHAKE => {
                if read_u32(s)? == 0 {
                    return Ok(End::Closed);
                }
                let mut out = SERVER_VERSION.to_be_bytes().to_vec();
                out.extend_from_slice(&HANDSHAKE_FLAGS.to_be_bytes());
                out.extend_from_slice(&ACK);
                s.write_all(&out)?;
            }
            code::SET_ALTERNATIVE_RESULT => {
                read_u32(s)?;
                s.write_all(&ACK)?;
            }
            code::SESSION_END => return Ok(End::Closed),
            code::STOP => return Ok(End::Stop),
            // The command port drops a client that sends anything else, without reply.
            _ => return Ok(End::Closed),
        }
    }
}

fn serve_platform(p: &Mutex<Platform>, s: &mut TcpStream) -> io::Result<End> {
    loop {
        let c = match read_u32(s) {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(End::Closed),
            Err(e) => return Err(e),
        };
        let mut out = Vec::new();
        match c {
            code::POWER_ON => lock(p).power_on(),
            code::POWER_OFF => {
                let mut g = lock(p);
                g.inst.power_off();
                g.powered = false;
            }
            code::RESET => {
                let mut g = lock(p);
                if g.powered {
                    g.powered = false;
                    g.power_on();
                }
            }
            code::PHYS_PRES_ON
            | code::PHYS_PRES_OFF
            | code::CANCEL_ON
            | code::CANCEL_OFF
            | code::NV_ON
            | code::NV_OFF
            | code::KEY_CACHE_ON
            | code::KEY_CACHE_OFF
            | code::RESTART => {}
            code::GET_COMMAND_RESPONSE_SIZES => {
                let mut g = lock(p);
                out.extend_from_slice(&16u32.to_be_bytes());
                // A raw struct copy in the reference: the simulator's native byte order.
                for v in [
                    g.largest_cmd.0,
                    g.largest_cmd.1,
                    g.largest_rsp.0,
                    g.largest_rsp.1,
                ] {
                    out.extend_from_slice(&v.to_ne_bytes());
                }
                g.largest_cmd = (0, 0);
                g.largest_rsp = (0, 0);
            }
            code::ACT_GET_SIGNALED => {
                read_u32(s)?;
                // No authenticated countdown timer exists, so none has signaled.
                out.extend_from_slice(&0u32.to_be_bytes());
            }
            code::TEST_FAILURE_MODE => lock(p)
                .inst
                .force_failure("failure mode requested by the platform"),
            code::SESSION_END => return Ok(End::Closed),
            code::STOP => return Ok(End::Stop),
            _ => {
                s.write_all(&1u32.to_be_bytes())?;
                return Ok(End::Closed);
            }
        }
        out.extend_from_slice(&ACK);
        s.write_all(&out)?;
    }
}

/// Serves the simulator protocol on `bind:port` (commands) and `bind:port+1` (platform)
/// until a client sends STOP.
pub fn run(inst: Instance, bind: &str, port: u16) -> io::Result<()> {
    let cmd_l = TcpListener::bind((bind, port))?;
    let plat_l = TcpListener::bind((bind, port.wrapping_add(1)))?;
    info!(
        "mssim: commands on {bind}:{port}, platform on {bind}:{}",
        port.wrapping_add(1)
    );
    let p = Arc::new(Mutex::new(Platform {
        inst,
        powered: false,
        largest_cmd: (0, 0),
        largest_rsp: (0, 0),
    }));
    let pp = p.clone();
    let plat = std::thread::spawn(move || serve_port(plat_l, &pp, serve_platform));
    serve_port(cmd_l, &p, serve_command);
    let _ = plat.join();
    Ok(())
}

fn serve_port(
    l: TcpListener,
    p: &Mutex<Platform>,
    f: fn(&Mutex<Platform>, &mut TcpStream) -> io::Result<End>,
) {
    for conn in l.incoming() {
        let mut s = match conn {
            Ok(s) => s,
            Err(e) => {
                warn!("mssim accept: {e}");
                continue;
            }
        };
        let _ = s.set_nodelay(true);
        match f(p, &mut s) {
            Ok(End::Closed) => {}
            Ok(End::Stop) => {
                info!("mssim: STOP");
                std::process::exit(0);
            }
            Err(e) => warn!("mssim client: {e}"),
        }
    }
}
