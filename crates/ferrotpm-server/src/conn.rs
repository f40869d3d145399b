//! A stream connection over TCP, a Unix socket or a character device, for the servers and
//! the control client.

use std::io::{self, IoSliceMut, Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// A TCP or Unix stream, or a device.
pub enum Conn {
    Tcp(TcpStream),
    Unix(UnixStream),
    /// Not a socket: a character device or a pty (chardev's data channel).
    Device(std::fs::File),
}

impl Conn {
    pub fn from_fd(fd: OwnedFd) -> Conn {
        match rustix::net::getsockname(&fd).map(|a| a.address_family()) {
            Ok(rustix::net::AddressFamily::UNIX) => Conn::Unix(UnixStream::from(fd)),
            Err(rustix::io::Errno::NOTSOCK) => Conn::Device(std::fs::File::from(fd)),
            _ => Conn::Tcp(TcpStream::from(fd)),
        }
    }

    /// A read timeout; a device has none (its reads block until bytes come).
    pub fn set_read_timeout(&self, t: Option<Duration>) -> io::Result<()> {
        match self {
            Conn::Tcp(s) => s.set_read_timeout(t),
            Conn::Unix(s) => s.set_read_timeout(t),
            Conn::Device(_) => Ok(()),
        }
    }

    /// Reads what is available; a Unix socket also yields descriptors passed with
    /// `SCM_RIGHTS`.
    pub fn read_with_fds(&mut self, buf: &mut [u8], fds: &mut Vec<OwnedFd>) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.read(buf),
            Conn::Device(d) => d.read(buf),
            Conn::Unix(s) => {
                use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};
                let mut space =
                    [std::mem::MaybeUninit::<u8>::uninit(); rustix::cmsg_space!(ScmRights(4))];
                let mut anc = RecvAncillaryBuffer::new(&mut space);
                let mut iov = [IoSliceMut::new(buf)];
                let r =
                    rustix::net::recvmsg(s.as_fd(), &mut iov, &mut anc, RecvFlags::CMSG_CLOEXEC)
                        .map_err(io::Error::from)?;
                for msg in anc.drain() {
                    if let RecvAncillaryMessage::ScmRights(rights) = msg {
                        fds.extend(rights);
                    }
                }
                Ok(r.bytes)
            }
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.read(buf),
            Conn::Unix(s) => s.read(buf),
            Conn::Device(d) => d.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Tcp(s) => s.write(buf),
            Conn::Unix(s) => s.write(buf),
            Conn::Device(d) => d.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Whether a socket descriptor is a Unix socket.
pub fn is_unix(fd: &OwnedFd) -> bool {
    matches!(
        rustix::net::getsockname(fd).map(|a| a.address_family()),
        Ok(rustix::net::AddressFamily::UNIX)
    )
}
