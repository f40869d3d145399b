//! `ferrotpm ioctl` / `swtpm_ioctl`: drive a TPM's control channel from the shell, with
//! swtpm_ioctl's options and output.

use clap::Args;
use ferrotpm_server::ctrl::{self, INIT_DELETE_VOLATILE};
use ferrotpm_server::ctrl_client::{ClientError, CtrlClient};
use std::io::Read;
use std::process::ExitCode;

#[derive(Args, Debug)]
#[command(disable_help_flag = true)]
pub struct IoctlArgs {
    /// Connect to the control channel over TCP ([HOST]:[PORT], default 127.0.0.1:6546).
    #[arg(long, value_name = "HOST:PORT")]
    tcp: Option<String>,
    /// Connect to the control channel's Unix socket.
    #[arg(long, value_name = "PATH")]
    unix: Option<String>,
    /// Get the capability word.
    #[arg(short = 'c')]
    caps: bool,
    /// TPM_Init (resume from volatile state if there is one, then delete it).
    #[arg(short = 'i')]
    init: bool,
    /// Stop the TPM without exiting.
    #[arg(long)]
    stop: bool,
    /// Shut the TPM down and make the daemon exit.
    #[arg(short = 's')]
    shutdown: bool,
    /// Get the tpmEstablished bit.
    #[arg(short = 'e')]
    established: bool,
    /// Reset the tpmEstablished bit from this locality.
    #[arg(short = 'r', value_name = "LOC")]
    reset_established: Option<u8>,
    /// Store the TPM's volatile state.
    #[arg(short = 'v')]
    store_volatile: bool,
    /// Cancel an ongoing TPM command.
    #[arg(short = 'C')]
    cancel: bool,
    /// Set the locality for following commands (0-4).
    #[arg(short = 'l', value_name = "LOC")]
    locality: Option<u32>,
    /// Hash the given data (_TPM_Hash_Start/Data/End); '-' reads stdin.
    #[arg(short = 'h', value_name = "DATA")]
    hash: Option<String>,
    /// Save a state blob (volatile, permanent, savestate) to a file.
    #[arg(long, num_args = 2, value_names = ["TYPE", "FILE"])]
    save: Option<Vec<String>>,
    /// Load a state blob (volatile, permanent, savestate) from a file.
    #[arg(long, num_args = 2, value_names = ["TYPE", "FILE"])]
    load: Option<Vec<String>>,
    /// Get the configuration flags (which keys are in use).
    #[arg(short = 'g')]
    config: bool,
    /// Set the buffer size (0 queries) and print the sizes.
    #[arg(short = 'b', value_name = "SIZE")]
    buffer_size: Option<u32>,
    /// Get implementation information (flags as an integer).
    #[arg(long, value_name = "FLAGS")]
    info: Option<u64>,
    /// Print help.
    #[arg(long, action = clap::ArgAction::Help)]
    help: Option<bool>,
}

fn blob_type(name: &str) -> Result<u32, String> {
    match name {
        "permanent" => Ok(ctrl::BLOB_PERMANENT),
        "volatile" => Ok(ctrl::BLOB_VOLATILE),
        "savestate" => Ok(ctrl::BLOB_SAVESTATE),
        _ => Err(format!("Unknown blob type '{name}'")),
    }
}

fn connect(a: &IoctlArgs) -> Result<CtrlClient, String> {
    if let Some(p) = &a.unix {
        return CtrlClient::unix(std::path::Path::new(p))
            .map_err(|e| format!("Could not connect to {p}: {e}"));
    }
    let spec = a.tcp.clone().unwrap_or_default();
    let (host, port) = spec.rsplit_once(':').unwrap_or((spec.as_str(), ""));
    let host = if host.is_empty() { "127.0.0.1" } else { host };
    let port = if port.is_empty() { "6546" } else { port };
    let addr = format!("{host}:{port}");
    CtrlClient::tcp(&addr).map_err(|e| format!("Could not connect to {addr}: {e}"))
}

fn run(a: IoctlArgs) -> Result<(), String> {
    if let Some(l) = a.locality {
        if l > 4 {
            return Err("Locality outside valid range of [0..4].".into());
        }
    }
    if a.tcp.is_none() && a.unix.is_none() {
        return Err("Missing --tcp or --unix: a TPM device is not supported".into());
    }
    let mut c = connect(&a)?;
    let e = |e: ClientError| e.to_string();
    if a.caps {
        println!("ptm capability is {:#x}", c.get_capability().map_err(e)?);
    } else if a.init {
        c.init(INIT_DELETE_VOLATILE).map_err(e)?;
    } else if a.stop {
        c.stop().map_err(e)?;
    } else if a.shutdown {
        c.shutdown().map_err(e)?;
    } else if a.established {
        println!(
            "tpmEstablished is {}",
            c.get_established().map_err(e)? as u8
        );
    } else if let Some(l) = a.reset_established {
        c.reset_established(l).map_err(e)?;
    } else if a.store_volatile {
        c.store_volatile().map_err(e)?;
    } else if a.cancel {
        c.cancel().map_err(e)?;
    } else if let Some(l) = a.locality {
        c.set_locality(l as u8).map_err(e)?;
    } else if let Some(d) = &a.hash {
        let data = if d == "-" {
            let mut v = Vec::new();
            std::io::stdin()
                .read_to_end(&mut v)
                .map_err(|x| x.to_string())?;
            v
        } else {
            d.as_bytes().to_vec()
        };
        c.hash(&data).map_err(e)?;
    } else if let Some(v) = &a.save {
        let blob = c.get_state_blob(blob_type(&v[0])?).map_err(e)?;
        std::fs::write(&v[1], blob).map_err(|x| format!("{}: {x}", v[1]))?;
    } else if let Some(v) = &a.load {
        let blob = std::fs::read(&v[1]).map_err(|x| format!("{}: {x}", v[1]))?;
        c.set_state_blob(blob_type(&v[0])?, &blob).map_err(e)?;
    } else if a.config {
        println!("ptm configuration flags: {:#x}", c.get_config().map_err(e)?);
    } else if let Some(n) = a.buffer_size {
        let (cur, min, max) = c.set_buffer_size(n).map_err(e)?;
        println!("TPM buffersize: {cur}\nminimum size  : {min}\nmaximum size  : {max}");
    } else if let Some(f) = a.info {
        println!("{}", c.get_info(f).map_err(e)?);
    } else {
        return Err("No command given".into());
    }
    Ok(())
}

pub fn main(a: IoctlArgs) -> ExitCode {
    match run(a) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("{msg}");
            ExitCode::FAILURE
        }
    }
}
