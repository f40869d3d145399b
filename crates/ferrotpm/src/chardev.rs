//! `ferrotpm chardev` / `swtpm chardev`: the data channel is a character device — one
//! opened by path (`--chardev`, e.g. a pty) or inherited (`--fd`) — read as raw TPM
//! commands (../shared/ref/swtpm-interfaces.md §1.1, §4.1). The daemon ends when the
//! device hangs up. Every other option is `socket`'s.

use crate::socket::{self, SocketArgs};
use clap::Args;
use std::os::fd::IntoRawFd;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct ChardevArgs {
    /// The character device to serve the TPM on (opened read-write).
    #[arg(long, value_name = "DEVICE", conflicts_with_all = ["vtpm_proxy"])]
    chardev: Option<PathBuf>,
    /// Create a Linux TPM device through /dev/vtpmx (not supported: see the message).
    #[arg(long = "vtpm-proxy")]
    vtpm_proxy: bool,
    #[command(flatten)]
    common: SocketArgs,
}

fn prepare(mut a: ChardevArgs) -> Result<SocketArgs, String> {
    if a.common.print_capabilities {
        return Ok(a.common);
    }
    if a.vtpm_proxy {
        return Err(
            "--vtpm-proxy: not supported by ferrotpm (it needs the tpm_vtpm_proxy \
                    kernel module's /dev/vtpmx ioctl); serve the TPM with `socket` or on a \
                    character device with --chardev/--fd"
                .into(),
        );
    }
    if a.common.server.is_some() {
        return Err("--server is a socket option; chardev serves --chardev or --fd".into());
    }
    match (a.chardev.take(), a.common.fd) {
        (Some(_), Some(_)) => Err("--chardev and --fd exclude each other".into()),
        (None, None) => Err("chardev needs --chardev DEVICE or --fd N".into()),
        (None, Some(_)) => Ok(a.common),
        (Some(path), None) => {
            let f = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            // Handed to the daemon as the connected data fd it takes ownership of.
            a.common.fd = Some(f.into_raw_fd());
            Ok(a.common)
        }
    }
}

pub fn main(a: ChardevArgs) -> ExitCode {
    match prepare(a) {
        Ok(s) => socket::main(s),
        Err(e) => {
            eprintln!("ferrotpm chardev: {e}");
            ExitCode::FAILURE
        }
    }
}
