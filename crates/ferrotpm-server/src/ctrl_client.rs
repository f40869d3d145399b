//! A client for swtpm's control channel (what `swtpm_ioctl` and libvirt speak).

use crate::conn::Conn;
use crate::ctrl::code;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// A control-channel connection.
pub struct CtrlClient {
    s: Conn,
}

/// A failed control command: the result code the server returned.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("{0}")]
    Io(#[from] io::Error),
    #[error("TPM result from {cmd}: {code:#x}")]
    Result { cmd: &'static str, code: u32 },
}

impl CtrlClient {
    pub fn tcp(addr: &str) -> io::Result<CtrlClient> {
        let s = TcpStream::connect(addr)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(CtrlClient { s: Conn::Tcp(s) })
    }

    pub fn unix(path: &Path) -> io::Result<CtrlClient> {
        let s = UnixStream::connect(path)?;
        s.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(CtrlClient { s: Conn::Unix(s) })
    }

    fn read_u32(&mut self) -> io::Result<u32> {
        let mut b = [0u8; 4];
        self.s.read_exact(&mut b)?;
        Ok(u32::from_be_bytes(b))
    }

    /// Sends a request and reads the `u32` result; non-zero results are errors.
    fn call(&mut self, name: &'static str, c: u32, body: &[u8]) -> Result<(), ClientError> {
        let mut m = c.to_be_bytes().to_vec();
        m.extend_from_slice(body);
        self.s.write_all(&m)?;
        match self.read_u32()? {
            0 => Ok(()),
            code => Err(ClientError::Result { cmd: name, code }),
        }
    }

    pub fn get_capability(&mut self) -> Result<u64, ClientError> {
        self.s.write_all(&code::GET_CAPABILITY.to_be_bytes())?;
        let mut b = [0u8; 8];
        self.s.read_exact(&mut b)?;
        Ok(u64::from_be_bytes(b))
    }

    pub fn init(&mut self, flags: u32) -> Result<(), ClientError> {
        self.call("PTM_INIT", code::INIT, &flags.to_be_bytes())
    }

    pub fn stop(&mut self) -> Result<(), ClientError> {
        self.call("PTM_STOP", code::STOP, &[])
    }

    pub fn shutdown(&mut self) -> Result<(), ClientError> {
        self.call("PTM_SHUTDOWN", code::SHUTDOWN, &[])
    }

    pub fn get_established(&mut self) -> Result<bool, ClientError> {
        self.call("PTM_GET_TPMESTABLISHED", code::GET_TPMESTABLISHED, &[])?;
        let mut b = [0u8; 4];
        self.s.read_exact(&mut b)?;
        Ok(b[0] != 0)
    }

    pub fn reset_established(&mut self, loc: u8) -> Result<(), ClientError> {
        self.call(
            "PTM_RESET_TPMESTABLISHED",
            code::RESET_TPMESTABLISHED,
            &[loc],
        )
    }

    pub fn store_volatile(&mut self) -> Result<(), ClientError> {
        self.call("PTM_STORE_VOLATILE", code::STORE_VOLATILE, &[])
    }

    pub fn cancel(&mut self) -> Result<(), ClientError> {
        self.call("PTM_CANCEL_TPM_CMD", code::CANCEL_TPM_CMD, &[])
    }

    pub fn set_locality(&mut self, loc: u8) -> Result<(), ClientError> {
        self.call("PTM_SET_LOCALITY", code::SET_LOCALITY, &[loc])
    }

    /// `_TPM_Hash_Start`, the data in chunks of at most 4096 bytes, `_TPM_Hash_End`.
    pub fn hash(&mut self, data: &[u8]) -> Result<(), ClientError> {
        self.call("PTM_HASH_START", code::HASH_START, &[])?;
        for chunk in data.chunks(4096) {
            let mut b = (chunk.len() as u32).to_be_bytes().to_vec();
            b.extend_from_slice(chunk);
            self.call("PTM_HASH_DATA", code::HASH_DATA, &b)?;
        }
        self.call("PTM_HASH_END", code::HASH_END, &[])
    }

    /// `GET_STATEBLOB`: the whole blob (decrypted when the server can).
    pub fn get_state_blob(&mut self, blob_type: u32) -> Result<Vec<u8>, ClientError> {
        let mut out = Vec::new();
        loop {
            let mut b = Vec::new();
            b.extend_from_slice(&crate::ctrl::STATE_FLAG_DECRYPTED.to_be_bytes());
            b.extend_from_slice(&blob_type.to_be_bytes());
            b.extend_from_slice(&(out.len() as u32).to_be_bytes());
            let mut m = code::GET_STATEBLOB.to_be_bytes().to_vec();
            m.extend_from_slice(&b);
            self.s.write_all(&m)?;
            let result = self.read_u32()?;
            let _flags = self.read_u32()?;
            let total = self.read_u32()? as usize;
            let len = self.read_u32()? as usize;
            if result != 0 && result & crate::ctrl::res::RETRY == 0 {
                return Err(ClientError::Result {
                    cmd: "PTM_GET_STATEBLOB",
                    code: result,
                });
            }
            let mut part = vec![0u8; len];
            self.s.read_exact(&mut part)?;
            out.extend_from_slice(&part);
            if len == 0 || out.len() >= total || result != 0 {
                return Ok(out);
            }
        }
    }

    pub fn set_state_blob(&mut self, blob_type: u32, data: &[u8]) -> Result<(), ClientError> {
        let mut b = Vec::new();
        b.extend_from_slice(&0u32.to_be_bytes());
        b.extend_from_slice(&blob_type.to_be_bytes());
        b.extend_from_slice(&(data.len() as u32).to_be_bytes());
        b.extend_from_slice(data);
        self.call("PTM_SET_STATEBLOB", code::SET_STATEBLOB, &b)
    }

    pub fn get_config(&mut self) -> Result<u32, ClientError> {
        self.call("PTM_GET_CONFIG", code::GET_CONFIG, &[])?;
        Ok(self.read_u32()?)
    }

    /// `SET_BUFFERSIZE`: returns (in use, minimum, maximum).
    pub fn set_buffer_size(&mut self, n: u32) -> Result<(u32, u32, u32), ClientError> {
        self.call("PTM_SET_BUFFERSIZE", code::SET_BUFFERSIZE, &n.to_be_bytes())?;
        Ok((self.read_u32()?, self.read_u32()?, self.read_u32()?))
    }

    /// ferrotpm's `PPI_STATUS`.
    pub fn ppi_status(&mut self) -> Result<crate::ctrl::PpiStatusReply, ClientError> {
        self.call("PPI_STATUS", code::PPI_STATUS, &[])?;
        let mut b = [0u8; crate::ctrl::PpiStatusReply::SIZE];
        self.s.read_exact(&mut b)?;
        Ok(crate::ctrl::PpiStatusReply::from_bytes(&b))
    }

    /// ferrotpm's `PPI_REQUEST`: queue `op` with `param`; `confirm` stands for the
    /// physically present user.
    pub fn ppi_request(&mut self, op: u32, param: u32, confirm: bool) -> Result<(), ClientError> {
        let mut b = op.to_be_bytes().to_vec();
        b.extend_from_slice(&param.to_be_bytes());
        let flags = if confirm {
            crate::ctrl::PPI_REQUEST_CONFIRM
        } else {
            0
        };
        b.extend_from_slice(&flags.to_be_bytes());
        self.call("PPI_REQUEST", code::PPI_REQUEST, &b)
    }

    /// `GET_INFO`: the JSON text without its terminating NUL.
    pub fn get_info(&mut self, flags: u64) -> Result<String, ClientError> {
        let mut text = Vec::new();
        loop {
            let mut b = flags.to_be_bytes().to_vec();
            b.extend_from_slice(&(text.len() as u32).to_be_bytes());
            b.extend_from_slice(&[0; 4]);
            self.call("PTM_GET_INFO", code::GET_INFO, &b)?;
            let total = self.read_u32()? as usize;
            let len = self.read_u32()? as usize;
            let mut part = vec![0u8; len];
            self.s.read_exact(&mut part)?;
            text.extend_from_slice(&part);
            if len == 0 || text.len() >= total {
                break;
            }
        }
        if text.last() == Some(&0) {
            text.pop();
        }
        Ok(String::from_utf8_lossy(&text).into_owned())
    }
}
