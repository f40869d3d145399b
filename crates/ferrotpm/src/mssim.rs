//! `ferrotpm mssim` / `tpm_server`: the Microsoft/IBM simulator protocol.

use crate::socket::{default_state_dir, DirState};
use clap::Args;
use ferrotpm_server::persist::SealedStore;
use ferrotpm_server::{Instance, Options};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args, Debug)]
pub struct MssimArgs {
    /// Command port; the platform port is the next one.
    #[arg(long, default_value_t = 2321)]
    port: u16,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind: String,
    /// State directory (default: the ferrotpm default state directory).
    #[arg(long, value_name = "DIR")]
    state: Option<PathBuf>,
    /// Start from a fresh TPM: remove the stored state first (tpm_server -rm).
    #[arg(long)]
    rm: bool,
}

fn run(a: MssimArgs) -> Result<(), String> {
    crate::socket::init_logging(None)?;
    let dir = a.state.unwrap_or_else(default_state_dir);
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let state = ferrotpm_store::StateDir::open(&dir, true).map_err(|e| e.to_string())?;
    if a.rm {
        for p in [state.permanent_path(), state.volatile_path()] {
            if p.exists() {
                std::fs::remove_file(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            }
        }
    }
    let inst = Instance::new(
        // No key: an encrypted state directory is refused as such, not as damaged.
        Box::new(SealedStore::new(Box::new(DirState(state)), None)),
        Box::new(|| Box::new(tpm2_engine::OsPlatform::new())),
        Options {
            reject_locality_4: false,
            ..Default::default()
        },
    );
    ferrotpm_server::mssim::run(inst, &a.bind, a.port).map_err(|e| e.to_string())
}

pub fn main(a: MssimArgs) -> ExitCode {
    match run(a) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferrotpm mssim: {e}");
            ExitCode::FAILURE
        }
    }
}
