//! `ferrotpm eventlog`: show, replay, verify and simulate TCG PC Client event logs.

use clap::{Args, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;
use tcg_eventlog::{yaml, ReplayMode, ReplayOptions};

#[derive(Args, Debug)]
pub struct EventlogArgs {
    #[command(subcommand)]
    cmd: EventlogCmd,
}

#[derive(Subcommand, Debug)]
enum EventlogCmd {
    /// Print the events of a log.
    Show {
        /// The firmware log (optional with --drtm).
        #[arg(required_unless_present = "drtm")]
        file: Option<PathBuf>,
        /// A DRTM log (TXT event container or the TPM 2.0 form), shown after the firmware
        /// log.
        #[arg(long)]
        drtm: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// YAML layout: tpm2_eventlog's --eventlog-version.
        #[arg(long, default_value_t = 2)]
        yaml_version: u8,
    },
    /// Replay a log: the PCR values it computes, per bank.
    Replay {
        /// The firmware log (optional with --drtm).
        #[arg(required_unless_present = "drtm")]
        file: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Start every PCR at zero, as tpm2_eventlog does (default: the PC Client platform
        /// values — PCR 0 from StartupLocality, PCRs 17–22 all-ones).
        #[arg(long)]
        tpm2_tools: bool,
        /// The DRTM log of a DRTM launch: PCRs 17–22 from it, starting at zero (the DRTM
        /// reset); its extends count in.
        #[arg(long)]
        drtm: Option<PathBuf>,
    },
    /// Verify a log against a TPM's PCRs: which match, where a mismatch starts, and (from
    /// a live TPM's pcrUpdateCounter) how many extends the log does not show. Exit status
    /// 0: verified; 1: not verified; 2: error.
    Verify {
        file: PathBuf,
        /// A TPM to read the PCRs and the update counter from: swtpm:host=H,port=P,
        /// swtpm:path=SOCK, mssim:host=H,port=P or device:/dev/tpmrm0.
        #[arg(long, conflicts_with = "pcrs", required_unless_present = "pcrs")]
        tpm: Option<String>,
        /// PCR values as `tpm2_pcrread` prints them (optional `pcrUpdateCounter: N`).
        #[arg(long)]
        pcrs: Option<PathBuf>,
        /// A Linux IMA measurement log (binary or ASCII) for PCR 10: replayed in every
        /// bank, template hashes and boot_aggregate checked, its extends counted in.
        #[arg(long)]
        ima: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// The DRTM log of a DRTM launch: PCRs 17–22 from it, starting at zero (the DRTM
        /// reset); its extends count in.
        #[arg(long)]
        drtm: Option<PathBuf>,
        #[command(flatten)]
        quote: crate::eventlog_quote::QuoteArgs,
    },
    /// Drive a started, fresh TPM through a simulated measured boot (UEFI, optionally a
    /// DRTM launch and IMA) and write the matching logs.
    Simulate(crate::eventlog_simulate::SimulateArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Json,
    Yaml,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn load(file: &PathBuf) -> Result<tcg_eventlog::EventLog, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    tcg_eventlog::parse(&bytes).map_err(|e| format!("{}: {e}", file.display()))
}

fn load_drtm(file: &PathBuf) -> Result<tcg_eventlog::drtm::DrtmLog, String> {
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    tcg_eventlog::drtm::parse(&bytes).map_err(|e| format!("{} (DRTM log): {e}", file.display()))
}

/// A one-line summary of an event's decoded data.
fn summary(e: &tcg_eventlog::Event) -> String {
    let v = serde_json::to_value(e.decode()).unwrap_or_default();
    let text = match v {
        serde_json::Value::Object(m) if m.len() == 1 => {
            let (k, inner) = m.into_iter().next().unwrap_or_default();
            format!("{k} {inner}")
        }
        other => other.to_string(),
    };
    let mut s: String = text.chars().filter(|c| !c.is_control()).collect();
    if s.chars().count() > 72 {
        s = s.chars().take(71).collect::<String>() + "…";
    }
    s
}

fn run(a: EventlogArgs) -> Result<(), String> {
    match a.cmd {
        EventlogCmd::Show {
            file,
            drtm,
            format,
            yaml_version,
        } => {
            if let Some(f) = &file {
                let log = load(f)?;
                show(&log, format, yaml_version);
                // The process ends here: a big log need not be freed piece by piece.
                std::mem::forget(log);
            }
            if let Some(d) = &drtm {
                let d = load_drtm(d)?;
                if format == Format::Table {
                    let c = d.container.as_ref().map_or(String::new(), |c| {
                        format!(
                            " (TXT event container {}.{}, {} bytes, events at {}..{})",
                            c.container_version.0,
                            c.container_version.1,
                            c.size,
                            c.pcr_events_offset,
                            c.next_event_offset
                        )
                    });
                    println!(
                        "DRTM log{c}: {} events, {} bytes free",
                        d.log.events.len(),
                        d.free
                    );
                }
                show(&d.log, format, yaml_version);
            }
        }
        EventlogCmd::Verify { .. } => unreachable!("handled by main"),
        EventlogCmd::Simulate(s) => crate::eventlog_simulate::run(s)?,
        EventlogCmd::Replay {
            file,
            format,
            tpm2_tools,
            drtm,
        } => {
            let mode = if tpm2_tools {
                ReplayMode::Tpm2Tools
            } else {
                ReplayMode::Platform
            };
            let opts = ReplayOptions {
                mode,
                drtm: drtm.is_some(),
            };
            let fw = file.as_ref().map(load).transpose()?;
            let mut r = fw.as_ref().map(|l| tcg_eventlog::replay(l, &opts));
            if let Some(d) = &drtm {
                let d = tcg_eventlog::drtm::replay_drtm(&load_drtm(d)?, mode);
                r = Some(match r {
                    None => d,
                    Some(f) => merge_drtm(f, d),
                });
            }
            let r = r.ok_or("a log is needed")?;
            match format {
                Format::Json | Format::Yaml => {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&r).map_err(|e| e.to_string())?
                    )
                }
                Format::Table => {
                    for b in &r.banks {
                        let name = b
                            .name
                            .map(str::to_string)
                            .unwrap_or_else(|| format!("{:#06x}", b.alg));
                        println!(
                            "{name}:{}",
                            if b.computed {
                                ""
                            } else {
                                " (not computed: unknown hash)"
                            }
                        );
                        for (pcr, v) in &b.pcrs {
                            println!("  {pcr:>2}: {}  ({} extends)", hex(&v.value), v.extends);
                        }
                    }
                    for w in &r.warnings {
                        eprintln!("warning: {w:?}");
                    }
                }
            }
        }
    }
    Ok(())
}

/// The firmware log's replay with PCRs 17–22 taken from the DRTM log's.
fn merge_drtm(mut fw: tcg_eventlog::Replay, d: tcg_eventlog::Replay) -> tcg_eventlog::Replay {
    use tcg_eventlog::verify::DRTM_PCRS;
    for b in &mut fw.banks {
        b.pcrs.retain(|p, _| !DRTM_PCRS.contains(p));
    }
    for db in d.banks {
        match fw.banks.iter_mut().find(|b| b.alg == db.alg) {
            Some(b) => b.pcrs.extend(db.pcrs),
            None => fw.banks.push(db),
        }
    }
    fw.warnings.extend(d.warnings);
    fw
}

fn show(log: &tcg_eventlog::EventLog, format: Format, yaml_version: u8) {
    match format {
        Format::Json => println!(
            "{}",
            tcg_eventlog::to_json(
                log,
                &ReplayOptions {
                    mode: ReplayMode::Platform,
                    drtm: false
                }
            )
        ),
        Format::Yaml => {
            let v = if yaml_version == 1 {
                yaml::YamlVersion::V1
            } else {
                yaml::YamlVersion::V2
            };
            print!("{}", yaml::render(log, v));
        }
        Format::Table => {
            use std::io::Write;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            let _ = writeln!(
                out,
                "{:>4}  {:>3}  {:<34} {:<18} details",
                "#", "PCR", "type", "digest"
            );
            for e in &log.events {
                let name = tcg_eventlog::event_type_name(e.event_type)
                    .or_else(|| tcg_eventlog::drtm::txt::event_type_name(e.event_type))
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("{:#x}", e.event_type));
                let d = e
                    .digests
                    .iter()
                    .find(|d| d.alg == 0x000B)
                    .or(e.digests.first());
                let dh = d
                    .map(|d| hex(&d.bytes[..d.bytes.len().min(8)]))
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "{:>4}  {:>3}  {:<34} {:<18} {}",
                    e.number,
                    e.pcr,
                    name,
                    dh,
                    summary(e)
                );
            }
        }
    }
}

/// `verify`: whether the log is verified.
fn verify(
    file: &PathBuf,
    tpm: Option<&str>,
    pcrs: Option<&PathBuf>,
    ima: Option<&PathBuf>,
    format: Format,
    drtm: Option<&PathBuf>,
    quote: &crate::eventlog_quote::QuoteArgs,
) -> Result<bool, String> {
    let log = load(file)?;
    let drtm = drtm.map(load_drtm).transpose()?;
    // The binary IMA log is read once and parsed in place (the entries borrow its bytes);
    // the ASCII form is rebuilt into owned entries, which are then borrowed the same way.
    let ima_bytes = ima
        .map(|p| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display())))
        .transpose()?;
    let mut ima_owned = Vec::new();
    let ima = match (ima, &ima_bytes) {
        (Some(p), Some(bytes)) => {
            // The ASCII form starts with a decimal PCR index and a space.
            let ascii = bytes.first().is_some_and(u8::is_ascii_digit)
                && bytes.iter().take(4).any(|b| *b == b' ');
            let entries = if ascii {
                let text =
                    std::str::from_utf8(bytes).map_err(|_| format!("{}: not text", p.display()))?;
                match tcg_eventlog::ima::parse_ascii(text) {
                    Ok(e) => {
                        ima_owned = e;
                        Ok(ima_owned.iter().map(|e| e.borrowed()).collect())
                    }
                    Err(e) => Err(e),
                }
            } else {
                tcg_eventlog::ima::parse_binary_ref(bytes)
            };
            Some(entries.map_err(|e| format!("{}: {e}", p.display()))?)
        }
        _ => None,
    };
    let values = match (tpm, pcrs) {
        (Some(address), _) => {
            crate::eventlog_verify::read_tpm(address).map_err(|e| format!("{address}: {e}"))?
        }
        (None, Some(p)) => {
            let text = std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()))?;
            crate::eventlog_verify::read_file(&text).map_err(|e| format!("{}: {e}", p.display()))?
        }
        (None, None) => return Err("--tpm or --pcrs is needed".into()),
    };
    let opts = ReplayOptions {
        mode: ReplayMode::Platform,
        drtm: drtm.is_some(),
    };
    let v = tcg_eventlog::verify::verify_all(&log, drtm.as_ref(), ima.as_deref(), &opts, &values);
    let q = match quote.quote {
        Some(_) => Some(crate::eventlog_quote::check(quote, &values, &v)?),
        None => None,
    };
    match (format, &q) {
        (Format::Json | Format::Yaml, None) => println!(
            "{}",
            serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?
        ),
        (Format::Json | Format::Yaml, Some(q)) => println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({"quote": q, "verification": v}))
                .map_err(|e| e.to_string())?
        ),
        (Format::Table, _) => {
            if let Some(q) = &q {
                crate::eventlog_quote::print(q);
            }
            crate::eventlog_verify::print_table(&v);
        }
    }
    let verified = crate::eventlog_verify::verified(&v) && q.as_ref().is_none_or(|q| q.ok());
    if format == Format::Table {
        println!("{}", if verified { "verified" } else { "NOT verified" });
    }
    // The process ends after this: big logs need not be freed entry by entry.
    std::mem::forget(ima);
    std::mem::forget((log, ima_owned, ima_bytes));
    Ok(verified)
}

pub fn main(a: EventlogArgs) -> ExitCode {
    if let EventlogCmd::Verify {
        file,
        tpm,
        pcrs,
        ima,
        format,
        drtm,
        quote,
    } = &a.cmd
    {
        return match verify(
            file,
            tpm.as_deref(),
            pcrs.as_ref(),
            ima.as_ref(),
            *format,
            drtm.as_ref(),
            quote,
        ) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(e) => {
                eprintln!("ferrotpm eventlog verify: {e}");
                ExitCode::from(2)
            }
        };
    }
    match run(a) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferrotpm eventlog: {e}");
            ExitCode::FAILURE
        }
    }
}
