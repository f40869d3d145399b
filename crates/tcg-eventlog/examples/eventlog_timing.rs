//! Times each stage on one log: `eventlog_timing FILE`.

use std::time::Instant;

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: eventlog_timing FILE");
        std::process::exit(2);
    };
    let t = Instant::now();
    let Ok(bytes) = std::fs::read(&path) else {
        eprintln!("cannot read {path}");
        std::process::exit(1);
    };
    let read = t.elapsed();
    let t = Instant::now();
    let log = match tcg_eventlog::parse(&bytes) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
    };
    let parse = t.elapsed();
    let t = Instant::now();
    let r = tcg_eventlog::replay(&log, &Default::default());
    let replay = t.elapsed();
    let t = Instant::now();
    let y = tcg_eventlog::yaml::render(&log, tcg_eventlog::yaml::YamlVersion::V1);
    let yaml = t.elapsed();
    println!(
        "{} events, {} banks, {} bytes of YAML: read {read:?} parse {parse:?} replay {replay:?} yaml {yaml:?}",
        log.events.len(),
        r.banks.len(),
        y.len()
    );
}
