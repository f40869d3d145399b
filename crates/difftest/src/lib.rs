//! Differential test of ferrotpm's engine against a real swtpm (libtpms).
//!
//! A deterministic corpus of command sequences ([`corpus::all`]) runs on a fresh engine and
//! a fresh `swtpm` process per case; response codes, response bytes (with narrow
//! normalizers, [`compare`]) and the state left behind (PCRs, TPM properties, NV) are
//! compared. Every difference must be listed in `known-differences.md` ([`known`]), and
//! every listed difference must still occur.
#![forbid(unsafe_code)]

pub mod cmd;
pub mod compare;
pub mod corpus;
pub mod known;
pub mod run;
pub mod session;
pub mod swtpm;

use run::{CaseResult, Diff, Kind};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Runs `cases` on `threads` workers; results come back in corpus order. The first case
/// that cannot be run at all (swtpm missing or broken) is an error.
pub fn run_all(cases: &[corpus::Case], threads: usize) -> Result<Vec<CaseResult>, String> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Result<CaseResult, String>>>> =
        Mutex::new((0..cases.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                let r = run::run_case(case, corpus::SEED ^ i as u64);
                let failed = r.is_err();
                if let Ok(mut v) = results.lock() {
                    v[i] = Some(r);
                }
                if failed {
                    // Stop handing out work; the error is reported below.
                    next.store(cases.len(), Ordering::Relaxed);
                }
            });
        }
    });
    let v = results
        .into_inner()
        .map_err(|_| "a worker panicked".to_string())?;
    v.into_iter()
        .flatten()
        .collect::<Result<Vec<_>, String>>()
        .and_then(|r| {
            if r.len() == cases.len() {
                Ok(r)
            } else {
                Err("not every case ran".to_string())
            }
        })
}

/// The verdict over all results against the known-differences list.
pub struct Verdict {
    pub cases: usize,
    pub commands: usize,
    /// Differences that no row lists.
    pub unlisted: Vec<Diff>,
    /// Rows that matched no difference: (line, row text).
    pub stale: Vec<known::Row>,
    /// Counts by (section or "UNLISTED", kind).
    pub by_category: BTreeMap<(String, Kind), usize>,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        self.unlisted.is_empty() && self.stale.is_empty()
    }
}

pub fn judge(results: &[CaseResult], rows: &[known::Row]) -> Verdict {
    let mut hits = vec![0usize; rows.len()];
    let mut unlisted = Vec::new();
    let mut by_category = BTreeMap::new();
    for d in results.iter().flat_map(|r| &r.diffs) {
        let section = match rows.iter().position(|row| row.matches(d)) {
            Some(i) => {
                hits[i] += 1;
                rows[i].section.clone()
            }
            None => {
                unlisted.push(d.clone());
                "UNLISTED".to_string()
            }
        };
        *by_category.entry((section, d.kind)).or_insert(0) += 1;
    }
    let stale = rows
        .iter()
        .zip(&hits)
        .filter(|(_, h)| **h == 0)
        .map(|(r, _)| r.clone())
        .collect();
    Verdict {
        cases: results.len(),
        commands: results.iter().map(|r| r.commands).sum(),
        unlisted,
        stale,
        by_category,
    }
}

/// The summary table printed by the test.
pub fn summary(v: &Verdict) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "differential test vs swtpm: {} cases, {} commands",
        v.cases, v.commands
    );
    let _ = writeln!(s, "{:<28} {:<12} {:>7}", "category", "kind", "count");
    for ((section, kind), n) in &v.by_category {
        let _ = writeln!(s, "{:<28} {:<12} {:>7}", section, kind.name(), n);
    }
    let total: usize = v.by_category.values().sum();
    let _ = writeln!(s, "{:<28} {:<12} {:>7}", "total", "", total);
    let _ = writeln!(
        s,
        "unlisted differences: {}, listed differences that no longer occur: {}",
        v.unlisted.len(),
        v.stale.len()
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(case: &str, detail: &str) -> Diff {
        Diff {
            case: case.into(),
            step: 1,
            command: "GetRandom".into(),
            kind: Kind::Rc,
            detail: detail.into(),
        }
    }

    #[test]
    fn unlisted_and_stale_are_both_failures() {
        let rows = known::parse(
            "## Intentional\n| `random/*` | `GetRandom` | `rc` | `ours=A*` | x |\n\
             | `gone/*` | `*` | `rc` | `*` | y |\n",
        )
        .unwrap();
        let results = vec![CaseResult {
            name: "random/a".into(),
            commands: 3,
            diffs: vec![
                diff("random/a", "ours=A theirs=B"),
                diff("random/a", "ours=C theirs=B"),
            ],
        }];
        let v = judge(&results, &rows);
        assert!(!v.ok());
        assert_eq!(v.unlisted.len(), 1);
        assert_eq!(v.unlisted[0].detail, "ours=C theirs=B");
        assert_eq!(v.stale.len(), 1);
        assert_eq!(v.stale[0].case, "gone/*");
        assert_eq!(v.commands, 3);
        assert_eq!(v.by_category[&("Intentional".to_string(), Kind::Rc)], 1);
        assert!(summary(&v).contains("UNLISTED"));
    }
}
