//! `ferrotpm probe ADDRESS`: does a TPM answer there? Sends `TPM2_GetCapability(
//! TPM_PT_FAMILY_INDICATOR)` and checks for a well-formed success response. Addresses in
//! tpm2-tss TCTI style: `swtpm:host=H,port=P`, `swtpm:path=SOCK`, `mssim:host=H,port=P`,
//! `device:/dev/tpmrm0`.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// GetCapability(TPM_CAP_TPM_PROPERTIES, TPM_PT_FAMILY_INDICATOR, 1).
const GET_CAP: [u8; 22] = [
    0x80, 0x01, 0, 0, 0, 22, 0, 0, 0x01, 0x7A, 0, 0, 0, 6, 0, 0, 1, 0, 0, 0, 0, 1,
];

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("bad address '{0}' (swtpm:host=H,port=P | swtpm:path=S | mssim:host=H,port=P | device:PATH)")]
    Address(String),
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("the TPM answered {0:#x}")]
    Tpm(u32),
    #[error("malformed response")]
    Malformed,
}

fn kv(s: &str) -> Vec<(&str, &str)> {
    s.split(',').filter_map(|p| p.split_once('=')).collect()
}

fn get<'a>(kv: &[(&'a str, &'a str)], k: &str) -> Option<&'a str> {
    kv.iter().find(|(a, _)| *a == k).map(|(_, v)| *v)
}

fn check(resp: &[u8]) -> Result<(), ProbeError> {
    if resp.len() < 10
        || u32::from_be_bytes([resp[2], resp[3], resp[4], resp[5]]) as usize != resp.len()
    {
        return Err(ProbeError::Malformed);
    }
    match u32::from_be_bytes([resp[6], resp[7], resp[8], resp[9]]) {
        0 => Ok(()),
        rc => Err(ProbeError::Tpm(rc)),
    }
}

fn raw_round_trip<S: Read + Write>(s: &mut S) -> Result<Vec<u8>, ProbeError> {
    s.write_all(&GET_CAP)?;
    let mut head = [0u8; 10];
    s.read_exact(&mut head)?;
    let size = u32::from_be_bytes([head[2], head[3], head[4], head[5]]) as usize;
    if !(10..=65536).contains(&size) {
        return Err(ProbeError::Malformed);
    }
    let mut resp = head.to_vec();
    resp.resize(size, 0);
    s.read_exact(&mut resp[10..])?;
    Ok(resp)
}

/// Probes the TPM at `address`; `Ok` only if it answered the command successfully.
pub fn probe(address: &str, timeout: Duration) -> Result<(), ProbeError> {
    let bad = || ProbeError::Address(address.to_string());
    let (kind, conf) = address.split_once(':').unwrap_or((address, ""));
    let params = kv(conf);
    let host = get(&params, "host").unwrap_or("127.0.0.1");
    let port: u16 = match get(&params, "port") {
        Some(p) => p.parse().map_err(|_| bad())?,
        None => 2321,
    };
    let resp = match kind {
        "swtpm" => match get(&params, "path") {
            Some(p) => {
                let mut s = UnixStream::connect(p)?;
                s.set_read_timeout(Some(timeout))?;
                raw_round_trip(&mut s)?
            }
            None => {
                let mut s = TcpStream::connect((host, port))?;
                s.set_read_timeout(Some(timeout))?;
                raw_round_trip(&mut s)?
            }
        },
        "mssim" => {
            let mut s = TcpStream::connect((host, port))?;
            s.set_read_timeout(Some(timeout))?;
            let mut m = 8u32.to_be_bytes().to_vec();
            m.push(0);
            m.extend_from_slice(&(GET_CAP.len() as u32).to_be_bytes());
            m.extend_from_slice(&GET_CAP);
            s.write_all(&m)?;
            let mut n = [0u8; 4];
            s.read_exact(&mut n)?;
            let n = u32::from_be_bytes(n) as usize;
            if n > 65536 {
                return Err(ProbeError::Malformed);
            }
            let mut resp = vec![0u8; n];
            s.read_exact(&mut resp)?;
            let mut ack = [0u8; 4];
            s.read_exact(&mut ack)?;
            resp
        }
        "device" => {
            let path = if conf.is_empty() { "/dev/tpmrm0" } else { conf };
            let mut f = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)?;
            f.write_all(&GET_CAP)?;
            let mut buf = vec![0u8; 4096];
            let n = f.read(&mut buf)?;
            buf.truncate(n);
            buf
        }
        _ => return Err(bad()),
    };
    check(&resp)
}
