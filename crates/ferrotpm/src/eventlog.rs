//! `ferrotpm eventlog`: show and replay TCG PC Client event logs.

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
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// YAML layout: tpm2_eventlog's --eventlog-version.
        #[arg(long, default_value_t = 2)]
        yaml_version: u8,
    },
    /// Replay a log: the PCR values it computes, per bank.
    Replay {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Start every PCR at zero, as tpm2_eventlog does (default: the PC Client platform
        /// values — PCR 0 from StartupLocality, PCRs 17–22 all-ones).
        #[arg(long)]
        tpm2_tools: bool,
        /// The platform performed a DRTM launch: PCRs 17–22 start at zero.
        #[arg(long)]
        drtm: bool,
    },
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
            format,
            yaml_version,
        } => {
            let log = load(&file)?;
            match format {
                Format::Json => println!(
                    "{}",
                    tcg_eventlog::to_json(
                        &log,
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
                    print!("{}", yaml::render(&log, v));
                }
                Format::Table => {
                    println!(
                        "{:>4}  {:>3}  {:<34} {:<18} details",
                        "#", "PCR", "type", "digest"
                    );
                    for e in &log.events {
                        let name = tcg_eventlog::event_type_name(e.event_type)
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
                        println!(
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
        EventlogCmd::Replay {
            file,
            format,
            tpm2_tools,
            drtm,
        } => {
            let log = load(&file)?;
            let mode = if tpm2_tools {
                ReplayMode::Tpm2Tools
            } else {
                ReplayMode::Platform
            };
            let r = tcg_eventlog::replay(&log, &ReplayOptions { mode, drtm });
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

pub fn main(a: EventlogArgs) -> ExitCode {
    match run(a) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ferrotpm eventlog: {e}");
            ExitCode::FAILURE
        }
    }
}
