//! `ferrotpm eventlog simulate`: drives a TPM through a simulated measured boot and writes
//! the logs that match it. The TPM must be started (TPM2_Startup(CLEAR)) and fresh — the
//! caller's business, as a platform's reset is: `ferrotpm socket --flags
//! not-need-init,startup-clear` or `swtpm socket --flags not-need-init,startup-clear`.
//!
//! Every measurement is one TPM2_PCR_Extend carrying a digest for every allocated bank
//! (GetCapability(TPM_CAP_PCRS)), at the measurement's locality (set through the swtpm
//! control channel when it is not 0). A DRTM launch runs `_TPM_Hash_Start/Data/End`
//! through the control channel at locality 4.

use crate::eventlog_verify::{allocation, call, command};
use clap::{Args, ValueEnum};
use ferrotpm_server::client::TpmClient;
use ferrotpm_server::ctrl_client::CtrlClient;
use std::path::PathBuf;
use std::time::Duration;
use tcg_eventlog::simulate::{self, BootOptions, Measurement};
use tcg_eventlog::{drtm, ima, types::hash_alg};

#[derive(Args, Debug)]
pub struct SimulateArgs {
    /// The TPM, started and fresh: swtpm:host=H,port=P, swtpm:path=SOCK, mssim:host=H,port=P.
    #[arg(long)]
    tpm: String,
    /// The swtpm control channel (HOST:PORT or a unix socket path), for localities other
    /// than 0 and the DRTM launch (default for swtpm:host=H,port=P: H:P+1).
    #[arg(long)]
    ctrl: Option<String>,
    /// Where to write the firmware event log (crypto-agile, every allocated bank).
    #[arg(long)]
    out: PathBuf,
    /// Number of events in the log (Spec ID event included); more than the standard boot
    /// are GRUB file and command measurements (PCRs 8, 9).
    #[arg(long, default_value_t = 0)]
    events: usize,
    /// Seed for the simulated contents (the same seed, the same log).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Perform a DRTM launch (Intel TXT / Secure Launch) after the boot and write its log
    /// (the TPM 2.0 form) to this file.
    #[arg(long)]
    drtm: Option<PathBuf>,
    /// Write an IMA log (ima-ng entries, boot_aggregate first) extended into PCR 10.
    #[arg(long)]
    ima: Option<PathBuf>,
    /// IMA entries (with the boot_aggregate).
    #[arg(long, default_value_t = 16)]
    ima_entries: usize,
    /// The IMA log's form.
    #[arg(long, value_enum, default_value_t = ImaFormat::Ascii)]
    ima_format: ImaFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ImaFormat {
    Ascii,
    Binary,
}

/// The data and control connections and the locality currently set.
struct Tpm {
    c: TpmClient,
    ctrl: Option<CtrlClient>,
    ctrl_address: Option<String>,
    locality: u8,
    banks: Vec<u16>,
}

impl Tpm {
    fn ctrl(&mut self) -> Result<&mut CtrlClient, String> {
        if self.ctrl.is_none() {
            let a = self
                .ctrl_address
                .clone()
                .ok_or("a control channel (--ctrl) is needed for localities and DRTM")?;
            let c = if a.starts_with('/') {
                CtrlClient::unix(std::path::Path::new(&a))
            } else {
                CtrlClient::tcp(&a)
            };
            self.ctrl = Some(c.map_err(|e| format!("control channel {a}: {e}"))?);
        }
        self.ctrl
            .as_mut()
            .ok_or_else(|| "no control channel".into())
    }

    fn set_locality(&mut self, l: u8) -> Result<(), String> {
        if self.locality != l {
            self.ctrl()?.set_locality(l).map_err(|e| e.to_string())?;
            self.locality = l;
        }
        Ok(())
    }

    /// TPM2_PCR_Extend of `pcr` with `digests` (password session, empty auth).
    fn extend(&mut self, pcr: u32, digests: &[tcg_eventlog::Digest]) -> Result<(), String> {
        let mut p = pcr.to_be_bytes().to_vec();
        p.extend_from_slice(&9u32.to_be_bytes());
        p.extend_from_slice(&[0x40, 0, 0, 9, 0, 0, 1, 0, 0]);
        p.extend_from_slice(&(digests.len() as u32).to_be_bytes());
        for d in digests {
            p.extend_from_slice(&d.alg.to_be_bytes());
            p.extend_from_slice(&d.bytes);
        }
        let mut cmd = command(0x182, &p);
        cmd[1] = 0x02; // TPM_ST_SESSIONS
        call(&mut self.c, &cmd)
            .map(|_| ())
            .map_err(|e| format!("PCR_Extend({pcr}) at locality {}: {e}", self.locality))
    }

    /// Extends every measurement that extends, at its locality.
    fn measure(&mut self, ms: &[Measurement]) -> Result<(), String> {
        for m in ms.iter().filter(|m| m.extends()) {
            self.set_locality(m.locality)?;
            let d = m
                .digests(&self.banks)
                .ok_or("a bank with an unknown hash")?;
            self.extend(m.pcr, &d)?;
        }
        self.set_locality(0)
    }

    /// PCR 0 of the first bank.
    fn pcr0(&mut self) -> Result<Vec<u8>, String> {
        let mut p = 1u32.to_be_bytes().to_vec();
        p.extend_from_slice(&self.banks[0].to_be_bytes());
        p.extend_from_slice(&[3, 1, 0, 0]);
        let r = call(&mut self.c, &command(0x17E, &p))?;
        // counter, selection (4 + 2 + 1 + 3), count, TPM2B.
        let at = 10 + 4 + 10 + 4;
        let n = r
            .get(at..at + 2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
            .ok_or("truncated PCR_Read response")?;
        r.get(at + 2..at + 2 + n)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| "truncated PCR_Read response".into())
    }
}

/// The control channel next to a `swtpm:host=H,port=P` data channel.
fn default_ctrl(tpm: &str) -> Option<String> {
    let conf = tpm.strip_prefix("swtpm:")?;
    let mut host = "127.0.0.1";
    let mut port = 2321u16;
    for kv in conf.split(',') {
        match kv.split_once('=') {
            Some(("host", h)) => host = h,
            Some(("port", p)) => port = p.parse().ok()?,
            Some(("path", _)) => return None,
            _ => {}
        }
    }
    Some(format!("{host}:{}", port.checked_add(1)?))
}

fn write(path: &PathBuf, bytes: &[u8]) -> Result<(), String> {
    std::fs::write(path, bytes).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn run(a: SimulateArgs) -> Result<(), String> {
    let c = TpmClient::connect(&a.tpm, Duration::from_secs(30)).map_err(|e| e.to_string())?;
    let mut t = Tpm {
        c,
        ctrl: None,
        ctrl_address: a.ctrl.clone().or_else(|| default_ctrl(&a.tpm)),
        locality: 0,
        banks: Vec::new(),
    };
    t.banks = allocation(&mut t.c)?
        .into_iter()
        .filter(|(_, bits)| *bits != 0)
        .map(|(alg, _)| alg)
        .collect();
    if t.banks.is_empty() {
        return Err("the TPM has no PCR bank allocated".into());
    }
    if let Some(b) = t.banks.iter().find(|b| hash_alg(**b).is_none()) {
        return Err(format!("bank {b:#06x}: its hash is not implemented here"));
    }
    // PCR 0 tells the locality TPM2_Startup ran at (zero but the last octet).
    let pcr0 = t.pcr0()?;
    let (last, rest) = pcr0.split_last().ok_or("empty PCR 0")?;
    if rest.iter().any(|b| *b != 0) || !matches!(last, 0 | 3) {
        return Err("PCR 0 was already extended: simulate needs a freshly started TPM".to_string());
    }
    let opts = BootOptions {
        seed: a.seed,
        events: a.events,
        startup_locality: (*last == 3).then_some(3),
    };
    let boot = simulate::uefi_boot(&opts);
    let log = simulate::build_log(&t.banks, &boot).ok_or("unknown bank")?;
    t.measure(&boot)?;
    write(&a.out, &log.encode())?;

    if let Some(path) = &a.drtm {
        let launch = simulate::drtm_launch(a.seed);
        t.set_locality(4)?;
        t.ctrl()?
            .hash(&launch.hashed)
            .map_err(|e| format!("DRTM launch: {e}"))?;
        t.measure(&launch.measurements[1..])?;
        let dlog = simulate::build_log(&t.banks, &launch.measurements).ok_or("unknown bank")?;
        // SINIT's buffer is larger than the events; the rest stays zero.
        let bytes = dlog.encode();
        let allocated = bytes.len().div_ceil(4096) * 4096;
        write(path, &drtm::encode_crypto_agile(&dlog, allocated))?;
    }

    if let Some(path) = &a.ima {
        if !t.banks.contains(&0x000B) {
            return Err("--ima needs a SHA-256 bank (the boot_aggregate's)".into());
        }
        let fw = tcg_eventlog::replay(&log, &Default::default());
        let mut agg = Vec::new();
        for i in 0..=9 {
            agg.extend_from_slice(fw.pcr(0x000B, i).unwrap_or(&[0u8; 32][..]));
        }
        let agg = tpm2_crypto::digest(tpm2_types::HashAlg::Sha256, &[&agg]);
        let entries = simulate::ima_entries(a.seed, a.ima_entries.max(1), &agg);
        for e in &entries {
            let digests: Vec<tcg_eventlog::Digest> = t
                .banks
                .iter()
                .filter_map(|&alg| {
                    Some(tcg_eventlog::Digest {
                        alg,
                        bytes: e.extend_digest(hash_alg(alg)?, ima::BankDigest::Hashed),
                    })
                })
                .collect();
            t.extend(e.pcr, &digests)?;
        }
        let bytes = match a.ima_format {
            ImaFormat::Binary => ima::encode_binary(&entries),
            ImaFormat::Ascii => ima::encode_ascii(&entries)
                .ok_or("IMA entries without an ASCII form")?
                .into_bytes(),
        };
        write(path, &bytes)?;
    }
    Ok(())
}
