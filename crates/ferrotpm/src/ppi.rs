//! `ferrotpm ppi request|status`: queue a Physical Presence Interface operation on a
//! running ferrotpm, or read its PPI state, over the control channel (the host's side;
//! the guest-facing data channel is never used). `--confirm` is the physically present
//! user's confirmation: an operation whose flag requires one is executed at the next boot
//! only if it was given.

use clap::{Args, Subcommand};
use ferrotpm_server::ctrl::{self, res, PpiStatusReply};
use ferrotpm_server::ctrl_client::{ClientError, CtrlClient};
use std::process::ExitCode;
use tpm2_engine::ppi::{banks, op, response};

#[derive(Args, Debug)]
pub struct PpiArgs {
    #[command(subcommand)]
    cmd: PpiCmd,
}

/// Where the daemon's control channel is.
#[derive(Args, Debug)]
struct Target {
    /// The TPM's address (swtpm:host=H,port=P: control on port P+1; swtpm:path=S:
    /// control on S.ctrl), unless --tcp or --unix names the control channel.
    address: Option<String>,
    /// The control channel over TCP (HOST:PORT).
    #[arg(long, value_name = "HOST:PORT", conflicts_with_all = ["address", "unix"])]
    tcp: Option<String>,
    /// The control channel's Unix socket.
    #[arg(long, value_name = "PATH", conflicts_with = "address")]
    unix: Option<String>,
}

#[derive(Subcommand, Debug)]
enum PpiCmd {
    /// Queue OP (a number, or clear, enable-clear, set-pcr-banks, change-eps,
    /// log-all-digests, enable-block-sid, disable-block-sid, no-operation) for the next
    /// boot, replacing any pending request; no-operation withdraws it.
    Request {
        op: String,
        /// The operation's parameter: decimal or 0x-hex; for SetPCRBanks the banks, as
        /// names (sha1,sha256,sha384,sha512) or their bits (1, 2, 4, 8) ORed.
        #[arg(long, default_value = "0")]
        param: String,
        /// Confirm the operation as the physically present user.
        #[arg(long)]
        confirm: bool,
        #[command(flatten)]
        target: Target,
    },
    /// Show the pending request, the last operation and its response, and the flags.
    Status {
        #[command(flatten)]
        target: Target,
    },
}

const NAMES: [(&str, u32); 8] = [
    ("no-operation", op::NO_OPERATION),
    ("clear", op::CLEAR),
    ("enable-clear", op::ENABLE_CLEAR),
    ("set-pcr-banks", op::SET_PCR_BANKS),
    ("change-eps", op::CHANGE_EPS),
    ("log-all-digests", op::LOG_ALL_DIGESTS),
    ("enable-block-sid", op::ENABLE_BLOCK_SID),
    ("disable-block-sid", op::DISABLE_BLOCK_SID),
];

fn number(s: &str) -> Option<u32> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(h) => u32::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

/// A number, or a comma-separated list of PCR bank names (SetPCRBanks' bitmap).
fn parse_param(s: &str) -> Result<u32, String> {
    if let Some(n) = number(s) {
        return Ok(n);
    }
    s.split(',').try_fold(0, |m, name| {
        let bit = match name {
            "sha1" => banks::SHA1,
            "sha256" => banks::SHA256,
            "sha384" => banks::SHA384,
            "sha512" => banks::SHA512,
            _ => return Err(format!("bad parameter '{s}'")),
        };
        Ok(m | bit)
    })
}

fn parse_op(s: &str) -> Result<u32, String> {
    NAMES
        .iter()
        .find(|(n, _)| *n == s)
        .map(|(_, v)| *v)
        .or_else(|| number(s))
        .ok_or_else(|| format!("unknown PPI operation '{s}'"))
}

/// A human name for an operation.
fn op_name(code: u32) -> &'static str {
    match code {
        op::NO_OPERATION => "NoOperation",
        op::CLEAR => "Clear",
        op::ENABLE_CLEAR => "Enable + Clear",
        op::SET_PP_REQUIRED_FOR_CLEAR_TRUE => "SetPPRequiredForClear_True",
        op::SET_PP_REQUIRED_FOR_CLEAR_FALSE => "SetPPRequiredForClear_False",
        op::ENABLE_CLEAR_2 => "Enable + Clear (2)",
        op::ENABLE_CLEAR_3 => "Enable + Clear (3)",
        op::SET_PCR_BANKS => "SetPCRBanks",
        op::CHANGE_EPS => "ChangeEPS",
        op::SET_PP_REQUIRED_FOR_CHANGE_PCRS_FALSE => "SetPPRequiredForChangePCRs_False",
        op::SET_PP_REQUIRED_FOR_CHANGE_PCRS_TRUE => "SetPPRequiredForChangePCRs_True",
        op::SET_PP_REQUIRED_FOR_TURN_ON_FALSE => "SetPPRequiredForTurnOn_False",
        op::SET_PP_REQUIRED_FOR_TURN_ON_TRUE => "SetPPRequiredForTurnOn_True",
        op::SET_PP_REQUIRED_FOR_TURN_OFF_FALSE => "SetPPRequiredForTurnOff_False",
        op::SET_PP_REQUIRED_FOR_TURN_OFF_TRUE => "SetPPRequiredForTurnOff_True",
        op::SET_PP_REQUIRED_FOR_CHANGE_EPS_FALSE => "SetPPRequiredForChangeEPS_False",
        op::SET_PP_REQUIRED_FOR_CHANGE_EPS_TRUE => "SetPPRequiredForChangeEPS_True",
        op::LOG_ALL_DIGESTS => "LogAllDigests",
        op::ENABLE_BLOCK_SID => "Enable_BlockSIDFunc",
        op::DISABLE_BLOCK_SID => "Disable_BlockSIDFunc",
        op::SET_PP_REQUIRED_FOR_ENABLE_BLOCK_SID_TRUE => "SetPPRequiredForEnable_BlockSIDFunc_True",
        op::SET_PP_REQUIRED_FOR_ENABLE_BLOCK_SID_FALSE => {
            "SetPPRequiredForEnable_BlockSIDFunc_False"
        }
        op::SET_PP_REQUIRED_FOR_DISABLE_BLOCK_SID_TRUE => {
            "SetPPRequiredForDisable_BlockSIDFunc_True"
        }
        op::SET_PP_REQUIRED_FOR_DISABLE_BLOCK_SID_FALSE => {
            "SetPPRequiredForDisable_BlockSIDFunc_False"
        }
        _ => "unknown",
    }
}

fn response_text(r: u32) -> String {
    match r {
        response::SUCCESS => "0 (success)".into(),
        response::USER_ABORT => format!("{r:#x} (user abort: not confirmed)"),
        response::FIRMWARE_FAILURE => format!("{r:#x} (firmware failure)"),
        _ => format!("{r:#x} (TPM error)"),
    }
}

const FLAG_NAMES: [(u32, &str); 8] = [
    (ctrl::PPI_FLAG_PP_REQUIRED_FOR_CLEAR, "PPRequiredForClear"),
    (
        ctrl::PPI_FLAG_PP_REQUIRED_FOR_TURN_ON,
        "PPRequiredForTurnOn",
    ),
    (
        ctrl::PPI_FLAG_PP_REQUIRED_FOR_TURN_OFF,
        "PPRequiredForTurnOff",
    ),
    (
        ctrl::PPI_FLAG_PP_REQUIRED_FOR_CHANGE_EPS,
        "PPRequiredForChangeEPS",
    ),
    (
        ctrl::PPI_FLAG_PP_REQUIRED_FOR_CHANGE_PCRS,
        "PPRequiredForChangePCRs",
    ),
    (
        ctrl::PPI_FLAG_PP_REQUIRED_FOR_ENABLE_BLOCK_SID,
        "PPRequiredForEnable_BlockSIDFunc",
    ),
    (
        ctrl::PPI_FLAG_PP_REQUIRED_FOR_DISABLE_BLOCK_SID,
        "PPRequiredForDisable_BlockSIDFunc",
    ),
    (ctrl::PPI_FLAG_BLOCK_SID, "BlockSID"),
];

fn print_status(s: &PpiStatusReply) {
    if s.status & ctrl::PPI_STATUS_PENDING != 0 {
        let confirmed = if s.status & ctrl::PPI_STATUS_CONFIRMED != 0 {
            "confirmed"
        } else {
            "not confirmed"
        };
        println!(
            "pending: {} ({}), parameter {:#x}, {confirmed}",
            s.pending_op,
            op_name(s.pending_op),
            s.pending_param
        );
    } else {
        println!("pending: none");
    }
    println!("last operation: {} ({})", s.last_op, op_name(s.last_op));
    println!("last response: {}", response_text(s.last_response));
    let flags: Vec<&str> = FLAG_NAMES
        .iter()
        .filter(|(bit, _)| s.flags & bit != 0)
        .map(|(_, n)| *n)
        .collect();
    println!("flags: {}", flags.join(" "));
}

/// The control channel of `t`.
fn connect(t: &Target) -> Result<CtrlClient, String> {
    let tcp =
        |addr: &str| CtrlClient::tcp(addr).map_err(|e| format!("cannot connect to {addr}: {e}"));
    if let Some(a) = &t.tcp {
        return tcp(a);
    }
    if let Some(p) = &t.unix {
        return CtrlClient::unix(std::path::Path::new(p))
            .map_err(|e| format!("cannot connect to {p}: {e}"));
    }
    let address = t
        .address
        .as_deref()
        .ok_or("give the TPM's ADDRESS, --tcp or --unix")?;
    let bad = || format!("bad address '{address}' (swtpm:host=H,port=P | swtpm:path=S)");
    let spec = address.strip_prefix("swtpm:").ok_or_else(bad)?;
    let (mut host, mut port, mut path) = ("127.0.0.1", None, None);
    for kv in spec.split(',').filter(|s| !s.is_empty()) {
        match kv.split_once('=') {
            Some(("host", h)) => host = h,
            Some(("port", p)) => port = Some(p.parse::<u16>().map_err(|_| bad())?),
            Some(("path", p)) => path = Some(p),
            _ => return Err(bad()),
        }
    }
    if let Some(p) = path {
        let ctrl_path = format!("{p}.ctrl");
        return CtrlClient::unix(std::path::Path::new(&ctrl_path))
            .map_err(|e| format!("cannot connect to {ctrl_path}: {e}"));
    }
    let port = port.unwrap_or(2321).checked_add(1).ok_or_else(bad)?;
    tcp(&format!("{host}:{port}"))
}

fn explain(e: ClientError) -> String {
    match e {
        ClientError::Result { code, .. } if code == res::BAD_PARAMETER => {
            "the TPM refused the request: operation not implemented, or a bad parameter".into()
        }
        ClientError::Result { code, .. } if code == res::BAD_ORDINAL => {
            "not answered: the TPM is not initialised, or the daemon is not ferrotpm".into()
        }
        ClientError::Result { code, .. } if code == res::FAIL => {
            "the daemon could not store the TPM state (see its log)".into()
        }
        e => e.to_string(),
    }
}

fn run(a: PpiArgs) -> Result<(), String> {
    match a.cmd {
        PpiCmd::Request {
            op,
            param,
            confirm,
            target,
        } => {
            let code = parse_op(&op)?;
            let param = parse_param(&param)?;
            let mut c = connect(&target)?;
            c.ppi_request(code, param, confirm).map_err(explain)?;
            println!(
                "queued {code} ({}){} for the next boot",
                op_name(code),
                if confirm { ", confirmed" } else { "" }
            );
        }
        PpiCmd::Status { target } => {
            let mut c = connect(&target)?;
            print_status(&c.ppi_status().map_err(explain)?);
        }
    }
    Ok(())
}

pub fn main(a: PpiArgs) -> ExitCode {
    match run(a) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferrotpm ppi: {e}");
            ExitCode::FAILURE
        }
    }
}
