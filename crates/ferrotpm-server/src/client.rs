//! A client for a TPM at an address in tpm2-tss TCTI style: `swtpm:host=H,port=P`,
//! `swtpm:path=SOCK`, `mssim:host=H,port=P`, `device:/dev/tpmrm0`. It frames commands for
//! the transport and returns the response bytes; it does not interpret them.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("bad address '{0}' (swtpm:host=H,port=P | swtpm:path=S | mssim:host=H,port=P | device:PATH)")]
    Address(String),
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("malformed response")]
    Malformed,
}

enum Link {
    Tcp(TcpStream),
    Unix(UnixStream),
    /// The mssim command port: each command is `TPM_SEND_COMMAND | locality | size | bytes`.
    Mssim(TcpStream),
    Device(std::fs::File),
}

pub struct TpmClient {
    link: Link,
}

fn kv(s: &str) -> Vec<(&str, &str)> {
    s.split(',').filter_map(|p| p.split_once('=')).collect()
}

fn get<'a>(kv: &[(&'a str, &'a str)], k: &str) -> Option<&'a str> {
    kv.iter().find(|(a, _)| *a == k).map(|(_, v)| *v)
}

/// The largest response accepted (a TPM's are at most a few KiB).
const MAX_RESPONSE: usize = 65536;

fn read_framed<S: Read>(s: &mut S) -> Result<Vec<u8>, ClientError> {
    let mut head = [0u8; 10];
    s.read_exact(&mut head)?;
    let size = u32::from_be_bytes([head[2], head[3], head[4], head[5]]) as usize;
    if !(10..=MAX_RESPONSE).contains(&size) {
        return Err(ClientError::Malformed);
    }
    let mut resp = head.to_vec();
    resp.resize(size, 0);
    s.read_exact(&mut resp[10..])?;
    Ok(resp)
}

impl TpmClient {
    /// Connects; `timeout` bounds every read.
    pub fn connect(address: &str, timeout: Duration) -> Result<TpmClient, ClientError> {
        let bad = || ClientError::Address(address.to_string());
        let (kind, conf) = address.split_once(':').unwrap_or((address, ""));
        let params = kv(conf);
        let host = get(&params, "host").unwrap_or("127.0.0.1");
        let port: u16 = match get(&params, "port") {
            Some(p) => p.parse().map_err(|_| bad())?,
            None => 2321,
        };
        let link = match kind {
            "swtpm" => match get(&params, "path") {
                Some(p) => {
                    let s = UnixStream::connect(p)?;
                    s.set_read_timeout(Some(timeout))?;
                    Link::Unix(s)
                }
                None => {
                    let s = TcpStream::connect((host, port))?;
                    s.set_read_timeout(Some(timeout))?;
                    Link::Tcp(s)
                }
            },
            "mssim" => {
                let s = TcpStream::connect((host, port))?;
                s.set_read_timeout(Some(timeout))?;
                Link::Mssim(s)
            }
            "device" => {
                let path = if conf.is_empty() { "/dev/tpmrm0" } else { conf };
                Link::Device(
                    std::fs::OpenOptions::new()
                        .read(true)
                        .write(true)
                        .open(path)?,
                )
            }
            _ => return Err(bad()),
        };
        Ok(TpmClient { link })
    }

    /// Sends one command, returns its response.
    pub fn call(&mut self, command: &[u8]) -> Result<Vec<u8>, ClientError> {
        match &mut self.link {
            Link::Tcp(s) => {
                s.write_all(command)?;
                read_framed(s)
            }
            Link::Unix(s) => {
                s.write_all(command)?;
                read_framed(s)
            }
            Link::Mssim(s) => {
                let mut m = 8u32.to_be_bytes().to_vec();
                m.push(0);
                m.extend_from_slice(&(command.len() as u32).to_be_bytes());
                m.extend_from_slice(command);
                s.write_all(&m)?;
                let mut n = [0u8; 4];
                s.read_exact(&mut n)?;
                let n = u32::from_be_bytes(n) as usize;
                if n > MAX_RESPONSE {
                    return Err(ClientError::Malformed);
                }
                let mut resp = vec![0u8; n];
                s.read_exact(&mut resp)?;
                let mut ack = [0u8; 4];
                s.read_exact(&mut ack)?;
                Ok(resp)
            }
            Link::Device(f) => {
                f.write_all(command)?;
                let mut buf = vec![0u8; 4096];
                let n = f.read(&mut buf)?;
                buf.truncate(n);
                Ok(buf)
            }
        }
    }
}
