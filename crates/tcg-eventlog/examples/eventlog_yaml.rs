//! Prints a log as tpm2_eventlog-compatible YAML: `eventlog_yaml FILE [1|2]`.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(path) = args.get(1) else {
        eprintln!("usage: eventlog_yaml FILE [1|2]");
        std::process::exit(2);
    };
    let version = match args.get(2).map(String::as_str) {
        Some("2") => tcg_eventlog::yaml::YamlVersion::V2,
        _ => tcg_eventlog::yaml::YamlVersion::V1,
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    match tcg_eventlog::parse(&bytes) {
        Ok(log) => {
            use std::io::Write;
            let text = tcg_eventlog::yaml::render(&log, version);
            // A closed pipe is not an error worth reporting.
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
        }
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    }
}
