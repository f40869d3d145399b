//! systemd readiness (`sd_notify`): `READY=1` to `$NOTIFY_SOCKET`, sent only once the TPM
//! answers commands.

use std::os::unix::net::UnixDatagram;

/// Tells whoever waits that the TPM serves: `READY` on stdout to the `ferrotpm --daemon`
/// parent (when it started us), and `READY=1` to `$NOTIFY_SOCKET` if set; returns whether
/// an sd_notify message was sent.
pub fn ready() -> std::io::Result<bool> {
    if std::env::var_os("FERROTPM_DAEMON_CHILD").is_some() {
        use std::io::Write;
        let mut o = std::io::stdout().lock();
        // The parent exits once it reads this; later writes to stdout would fail, and
        // nothing else is written there.
        let _ = o.write_all(b"READY\n").and_then(|_| o.flush());
    }
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return Ok(false);
    };
    let sock = UnixDatagram::unbound()?;
    let msg = format!("READY=1\nMAINPID={}\n", std::process::id());
    let bytes = path.as_encoded_bytes();
    if let Some(name) = bytes.strip_prefix(b"@") {
        // An abstract socket name.
        use std::os::linux::net::SocketAddrExt;
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
        sock.send_to_addr(msg.as_bytes(), &addr)?;
    } else {
        sock.send_to(msg.as_bytes(), &path)?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    #[test]
    fn sends_ready_to_the_socket() {
        let dir = std::env::temp_dir().join(format!("ftpm-notify-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        let rx = std::os::unix::net::UnixDatagram::bind(&dir).unwrap();
        // The only test in this process that touches NOTIFY_SOCKET.
        std::env::set_var("NOTIFY_SOCKET", &dir);
        assert!(super::ready().unwrap());
        std::env::remove_var("NOTIFY_SOCKET");
        let mut buf = [0u8; 128];
        let n = rx.recv(&mut buf).unwrap();
        assert!(buf[..n].starts_with(b"READY=1\n"));
        let _ = std::fs::remove_file(&dir);
    }
}
