//! The `ferrotpm` command. Invoked as `swtpm`, `swtpm_ioctl`, `swtpm_setup` or `tpm_server` (through a
//! symlink, see `ferrotpm links`) it accepts that program's own command line.
#![forbid(unsafe_code)]

mod attest;
mod chardev;
mod conn;
mod eventlog;
mod eventlog_quote;
mod eventlog_simulate;
mod eventlog_verify;
mod ioctl;
mod mssim;
mod ppi;
mod setup;
mod socket;

use clap::{Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "ferrotpm",
    version,
    about = "A memory-safe TPM 2.0 that drops in for swtpm"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve a TPM on sockets, accepting swtpm's `socket` options. With no options: data on
    /// 127.0.0.1:2321, control on 127.0.0.1:2322, state in the default directory, started.
    Socket(socket::SocketArgs),
    /// Serve a TPM on a character device (swtpm's `chardev`: --chardev DEVICE or --fd N).
    Chardev(chardev::ChardevArgs),
    /// Drive a TPM's control channel (swtpm_ioctl's options and output).
    Ioctl(ioctl::IoctlArgs),
    /// Serve a TPM with the Microsoft/IBM simulator protocol (command port, platform port).
    Mssim(mssim::MssimArgs),
    /// Manufacture a TPM state directory (swtpm_setup's options): EKs, EK and platform
    /// certificates from a local CA, PCR banks, locked NV.
    Setup(setup::SetupArgs),
    /// Attest a TPM: create an AK under the EK, enroll it with MakeCredential and
    /// ActivateCredential, quote PCRs with a nonce and verify the quote against the PCR
    /// values or an event log's replay. Exit status 0: verified; 1: not; 2: error.
    Attest(attest::AttestArgs),
    /// Show and replay TCG PC Client event logs.
    Eventlog(eventlog::EventlogArgs),
    /// Queue a Physical Presence Interface operation on a running ferrotpm, or show its
    /// PPI state (over the control channel; --confirm is the physically present user).
    Ppi(ppi::PpiArgs),
    /// Exit 0 only if a TPM answers at ADDRESS (swtpm:host=H,port=P | swtpm:path=S |
    /// mssim:host=H,port=P | device:/dev/tpmrm0).
    Probe {
        address: String,
        /// Seconds to wait for the answer.
        #[arg(long, default_value_t = 5)]
        timeout: u64,
    },
    /// Create symlinks DIR/swtpm, DIR/swtpm_ioctl, DIR/tpm_server to this binary, so
    /// programs that run those names get ferrotpm.
    Links { dir: PathBuf },
}

/// Program names ferrotpm answers to, and the subcommand each one means.
const PERSONAS: [(&str, &str); 4] = [
    ("swtpm", ""),
    ("swtpm_ioctl", "ioctl"),
    ("swtpm_setup", "setup"),
    ("tpm_server", "mssim"),
];

/// Rewrites the command line of a program ferrotpm stands in for into ferrotpm's own.
fn args_for_persona(mut args: Vec<OsString>) -> Vec<OsString> {
    let name = args
        .first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("ferrotpm")
        .to_string();
    let Some((_, sub)) = PERSONAS.iter().find(|(p, _)| *p == name) else {
        return args;
    };
    args[0] = "ferrotpm".into();
    if sub.is_empty() {
        // swtpm SUBCOMMAND ...: the same words.
        return args;
    }
    let mut out = vec![OsString::from("ferrotpm"), OsString::from(*sub)];
    for a in args.drain(1..) {
        // tpm_server's options are single-dash words (-port, -rm).
        match a.to_str() {
            Some(s)
                if *sub == "mssim" && s.starts_with('-') && !s.starts_with("--") && s.len() > 2 =>
            {
                out.push(format!("-{s}").into())
            }
            _ => out.push(a),
        }
    }
    out
}

fn links(dir: &std::path::Path) -> Result<(), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (name, _) in PERSONAS {
        let link = dir.join(name);
        if std::fs::symlink_metadata(&link).is_ok() {
            std::fs::remove_file(&link).map_err(|e| format!("{}: {e}", link.display()))?;
        }
        std::os::unix::fs::symlink(&exe, &link).map_err(|e| format!("{}: {e}", link.display()))?;
        println!("{} -> {}", link.display(), exe.display());
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse_from(args_for_persona(std::env::args_os().collect()));
    match cli.cmd {
        Cmd::Socket(a) => socket::main(a),
        Cmd::Chardev(a) => chardev::main(a),
        Cmd::Ioctl(a) => ioctl::main(a),
        Cmd::Mssim(a) => mssim::main(a),
        Cmd::Setup(a) => setup::main(a),
        Cmd::Attest(a) => attest::main(a),
        Cmd::Eventlog(a) => eventlog::main(a),
        Cmd::Ppi(a) => ppi::main(a),
        Cmd::Probe { address, timeout } => {
            match ferrotpm_server::probe::probe(&address, std::time::Duration::from_secs(timeout)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("ferrotpm probe {address}: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Cmd::Links { dir } => match links(&dir) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("ferrotpm links: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn personas() {
        assert_eq!(
            args_for_persona(v(&["/usr/bin/swtpm", "socket", "--tpm2"])),
            v(&["ferrotpm", "socket", "--tpm2"])
        );
        assert_eq!(
            args_for_persona(v(&["swtpm_ioctl", "-s", "--unix", "/x"])),
            v(&["ferrotpm", "ioctl", "-s", "--unix", "/x"])
        );
        assert_eq!(
            args_for_persona(v(&["tpm_server", "-port", "2331", "-rm"])),
            v(&["ferrotpm", "mssim", "--port", "2331", "--rm"])
        );
        assert_eq!(
            args_for_persona(v(&[
                "/usr/bin/swtpm_setup",
                "--tpm2",
                "--print-capabilities"
            ])),
            v(&["ferrotpm", "setup", "--tpm2", "--print-capabilities"])
        );
        assert_eq!(
            args_for_persona(v(&["ferrotpm", "socket"])),
            v(&["ferrotpm", "socket"])
        );
    }
}
