//! The differential test: the whole corpus against a real swtpm. A missing swtpm is a
//! failure, never a skip.
//!
//! `DIFFTEST_REPORT=<file>` writes every difference (listed or not) to a file;
//! `DIFFTEST_FILTER=<glob>` runs only matching cases (the known-differences check is then
//! limited to unlisted differences).

use ferrotpm_difftest::{corpus, judge, known, run_all, summary, swtpm};
use std::time::Instant;

#[test]
fn engine_matches_swtpm() {
    let version =
        swtpm::version().unwrap_or_else(|e| panic!("the differential test needs swtpm: {e}"));
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/known-differences.md"))
            .expect("known-differences.md");
    let rows = known::parse(&text).expect("known-differences.md parses");
    let filter = std::env::var("DIFFTEST_FILTER").ok();
    let cases: Vec<corpus::Case> = corpus::all()
        .into_iter()
        .filter(|c| filter.as_deref().is_none_or(|f| known::glob(f, &c.name)))
        .collect();
    let threads = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .min(4);
    let t0 = Instant::now();
    let results = run_all(&cases, threads).unwrap_or_else(|e| panic!("{e}"));
    let v = judge(&results, &rows);
    println!(
        "{version}; {:.1}s on {threads} threads",
        t0.elapsed().as_secs_f64()
    );
    println!("{}", summary(&v));
    if let Ok(path) = std::env::var("DIFFTEST_REPORT") {
        let all: Vec<String> = results
            .iter()
            .flat_map(|r| &r.diffs)
            .map(|d| d.to_string())
            .collect();
        std::fs::write(&path, all.join("\n") + "\n").expect("write report");
    }
    for d in v.unlisted.iter().take(300) {
        println!("UNLISTED {d}");
    }
    if v.unlisted.len() > 300 {
        println!("... and {} more unlisted", v.unlisted.len() - 300);
    }
    let stale: Vec<_> = if filter.is_some() {
        Vec::new()
    } else {
        v.stale.clone()
    };
    for r in &stale {
        println!(
            "NO LONGER OCCURS (known-differences.md line {}): {} | {} | {} | {}",
            r.line, r.case, r.command, r.kind, r.detail
        );
    }
    assert!(
        v.unlisted.is_empty() && stale.is_empty(),
        "{} unlisted differences, {} stale rows in known-differences.md",
        v.unlisted.len(),
        stale.len()
    );
}
