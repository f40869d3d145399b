//! Verifying a log against the PCRs a TPM reports: which PCRs match, where a mismatch
//! starts, and — with the TPM's `pcrUpdateCounter` — how many extends happened that the
//! log does not show.
//!
//! For a PCR that does not match, the running values of the replay tell more: if the TPM's
//! value is the log's value after event *k*, the events after *k* were logged but never
//! extended (`logged_not_extended`); if no running value matches, the TPM saw extends the
//! log does not have, or a digest in the log is wrong.
//!
//! The update counter advances once per bank for each extend of a PCR outside the PC
//! Client no-increment set (PCRs 16, 21, 22, 23; `TPM_PT_PCR_NO_INCREMENT`), as libtpms
//! counts, and `TPM2_Startup(CLEAR)` leaves it at [`STARTUP_UPDATES`] (Part 4
//! `PCRStartup` counts every PCR it sets to its initial value). So `counter − 20 −
//! (extends the log shows)` is the number of bank extends nobody logged (the kernel's IMA
//! log, systemd's measurements or an attacker's).

use crate::parse::EventLog;
use crate::replay::{replay_with_history, ReplayOptions, Warning};
use crate::types::{alg_name, ev, ser_hex};
use serde::Serialize;
use std::collections::BTreeMap;

/// PCRs whose extends do not advance `pcrUpdateCounter` (PC Client PTP, Table "PCR
/// attributes": the debug PCR 16, PCRs 21–22 and the application PCR 23).
pub const NO_INCREMENT: [u32; 4] = [16, 21, 22, 23];

/// `pcrUpdateCounter` right after a TPM Reset: one update for each of the 24 PCRs set to
/// its initial value by `TPM2_Startup(CLEAR)`, less the no-increment ones (a fresh swtpm
/// 0.7.1 and ferrotpm both report 20).
pub const STARTUP_UPDATES: u32 = 24 - NO_INCREMENT.len() as u32;

/// The PCR values read from a TPM (or a file), by bank algorithm and PCR.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TpmPcrs {
    pub banks: BTreeMap<u16, BTreeMap<u32, Vec<u8>>>,
    /// `pcrUpdateCounter` at the time of the read, if known.
    pub update_counter: Option<u32>,
}

/// The verdict for one PCR of one bank.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PcrVerdict {
    pub alg: u16,
    pub bank: Option<&'static str>,
    pub pcr: u32,
    pub matches: bool,
    #[serde(serialize_with = "ser_hex")]
    pub tpm: Vec<u8>,
    #[serde(serialize_with = "ser_hex")]
    pub log: Vec<u8>,
    /// Extends of this PCR in the log.
    pub events: usize,
    /// For a mismatch: the TPM's value is the log's after this event (`Some(None)`: the
    /// start value — none of the logged events was extended); the events after it never
    /// reached the TPM.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matches_after_event: Option<Option<usize>>,
    /// The first event of the log for this PCR that the TPM's value does not include
    /// (when `matches_after_event` found the point), or the first event of the PCR.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_unmatched_event: Option<usize>,
    /// The verdict is the DRTM log's (event numbers are that log's).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub drtm: bool,
}

/// The result of [`verify`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub pcrs: Vec<PcrVerdict>,
    pub all_match: bool,
    pub update_counter: Option<u32>,
    /// Bank extends the logs show that advance the counter.
    pub logged_extends: u64,
    /// `update_counter - STARTUP_UPDATES - logged_extends`: bank extends the logs do not
    /// show (negative: the logs show more than the TPM counted — a log of another boot).
    pub unlogged_extends: Option<i64>,
    pub warnings: Vec<Warning>,
    /// The IMA log's part, when one was given ([`verify_with_ima`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ima: Option<ImaCheck>,
}

/// What an IMA log added to a verification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImaCheck {
    pub entries: usize,
    /// Entries whose template hash is not SHA-1 of their template data.
    pub bad_template_hashes: Vec<usize>,
    /// Whether the first entry's boot_aggregate is the hash of PCRs 0–9 of the firmware
    /// log (`None`: no boot_aggregate entry).
    pub boot_aggregate: Option<bool>,
    /// How each non-SHA-1 bank was filled, where one of the two ways matches the TPM.
    pub bank_digests: Vec<(u16, crate::ima::BankDigest)>,
}

/// Verifies `log` against `tpm`. PCRs the log extends are compared in every bank both
/// have; a PCR the log never mentions but the TPM shows changed from its start value is a
/// mismatch too (its `events` is 0).
pub fn verify(log: &EventLog, opts: &ReplayOptions, tpm: &TpmPcrs) -> Verification {
    let (replay, history) = replay_with_history(log, opts);
    let mut pcrs = Vec::new();
    for bank in replay.banks.iter().filter(|b| b.computed) {
        let Some(values) = tpm.banks.get(&bank.alg) else {
            continue;
        };
        for (&pcr, tpm_value) in values {
            let (log_value, events, hist) = match bank.pcrs.get(&pcr) {
                Some(p) => (
                    p.value.clone(),
                    p.extends as usize,
                    history.get(&(bank.alg, pcr)),
                ),
                None => (
                    crate::replay::start_value(pcr, tpm_value.len(), opts, 0),
                    0,
                    None,
                ),
            };
            let matches = &log_value == tpm_value;
            let (mut after, mut first) = (None, None);
            if !matches {
                if let Some(h) = hist {
                    // The latest running value equal to the TPM's.
                    if let Some(i) = h.iter().rposition(|(_, v)| v == tpm_value) {
                        after = Some(h[i].0);
                        first = h.get(i + 1).and_then(|(n, _)| *n);
                    } else {
                        first = h.get(1).and_then(|(n, _)| *n);
                    }
                }
            }
            pcrs.push(PcrVerdict {
                alg: bank.alg,
                bank: alg_name(bank.alg),
                pcr,
                matches,
                tpm: tpm_value.clone(),
                log: log_value,
                events,
                matches_after_event: after,
                first_unmatched_event: first,
                drtm: false,
            });
        }
    }
    let logged_extends = logged_extends(&[log], tpm);
    let unlogged_extends = tpm
        .update_counter
        .map(|c| i64::from(c) - i64::from(STARTUP_UPDATES) - logged_extends as i64);
    Verification {
        all_match: pcrs.iter().all(|p| p.matches),
        pcrs,
        update_counter: tpm.update_counter,
        logged_extends,
        unlogged_extends,
        warnings: replay.warnings,
        ima: None,
    }
}

/// [`verify`] with an IMA log too: its PCRs (10) are replayed from the IMA entries in every
/// bank, its template hashes and boot_aggregate are checked, and its extends count in.
pub fn verify_with_ima(
    log: &EventLog,
    opts: &ReplayOptions,
    ima: &[crate::ima::ImaEntry],
    tpm: &TpmPcrs,
) -> Verification {
    let refs: Vec<_> = ima.iter().map(crate::ima::ImaEntry::borrowed).collect();
    verify_with_ima_ref(log, opts, &refs, tpm)
}

/// [`verify_with_ima`] of borrowed entries ([`crate::ima::parse_binary_ref`]). The
/// template-hash checks run in the same pass as the replay of the first bank, on every
/// core (see `ima/par.rs`).
pub fn verify_with_ima_ref(
    log: &EventLog,
    opts: &ReplayOptions,
    ima: &[crate::ima::ImaEntryRef<'_>],
    tpm: &TpmPcrs,
) -> Verification {
    use crate::ima::{check_boot_aggregate_ref, pcr_counts, replay_and_check, BankDigest};
    use tpm2_types::HashAlg;
    let mut v = verify(log, opts, tpm);
    let fw = crate::replay::replay(log, opts);
    let counts = pcr_counts(ima);
    // The banks to replay: those of the TPM's PCRs the IMA log extends.
    let mut algs: Vec<HashAlg> = Vec::new();
    for p in &v.pcrs {
        if let Some(alg) = crate::types::hash_alg(p.alg) {
            if counts.contains_key(&p.pcr) && !algs.contains(&alg) {
                algs.push(alg);
            }
        }
    }
    // Each bank's replay filled with its own hash; the first also checks every template
    // hash (without a bank to replay, the check is a pass of its own).
    let mut bad = None;
    type Replayed = ((HashAlg, BankDigest), BTreeMap<u32, Vec<u8>>);
    let mut replays: Vec<Replayed> = Vec::new();
    for alg in algs {
        let pass = replay_and_check(ima, Some((alg, BankDigest::Hashed)), bad.is_none());
        bad.get_or_insert(pass.bad);
        replays.push(((alg, BankDigest::Hashed), pass.pcrs));
    }
    let bad = bad.unwrap_or_else(|| replay_and_check(ima, None, true).bad);
    let mut bank_digests = Vec::new();
    for p in v.pcrs.iter_mut() {
        let Some(alg) = crate::types::hash_alg(p.alg) else {
            continue;
        };
        let Some(&events) = counts.get(&p.pcr) else {
            continue;
        };
        // The kernel's choice per bank: whichever of the two ways gives the TPM's value
        // (the second is only computed when the first does not; SHA-1 has one way).
        let mut value = |w| {
            let i = match replays.iter().position(|(k, _)| *k == (alg, w)) {
                Some(i) => i,
                None => {
                    replays.push(((alg, w), replay_and_check(ima, Some((alg, w)), false).pcrs));
                    replays.len() - 1
                }
            };
            replays[i].1.get(&p.pcr).cloned().unwrap_or_default()
        };
        let hashed = value(BankDigest::Hashed);
        let (log, way) = if hashed == p.tpm || alg == HashAlg::Sha1 {
            (hashed, BankDigest::Hashed)
        } else {
            let padded = value(BankDigest::PaddedSha1);
            if padded == p.tpm {
                (padded, BankDigest::PaddedSha1)
            } else {
                (hashed, BankDigest::Hashed)
            }
        };
        p.matches = log == p.tpm;
        if p.matches && alg != HashAlg::Sha1 && !bank_digests.iter().any(|(a, _)| *a == p.alg) {
            bank_digests.push((p.alg, way));
        }
        p.log = log;
        p.events = events;
        p.matches_after_event = None;
        p.first_unmatched_event = None;
    }
    let extra: u64 = counts
        .iter()
        .filter(|(p, _)| !NO_INCREMENT.contains(p))
        .map(|(_, n)| *n as u64)
        .sum::<u64>()
        * tpm.banks.len() as u64;
    v.logged_extends += extra;
    v.unlogged_extends = v.unlogged_extends.map(|u| u - extra as i64);
    v.all_match = v.pcrs.iter().all(|p| p.matches);
    let boot_aggregate = check_boot_aggregate_ref(ima, |alg, i| {
        Some(
            fw.pcr(alg.id(), i)
                .map(|x| x.to_vec())
                .unwrap_or_else(|| crate::replay::start_value(i, alg.digest_size(), opts, 0)),
        )
    });
    v.ima = Some(ImaCheck {
        entries: ima.len(),
        bad_template_hashes: bad,
        boot_aggregate,
        bank_digests,
    });
    v
}

/// The PCRs a DRTM launch owns (reset by `_TPM_Hash_End`, extended by the DRTM log).
pub const DRTM_PCRS: std::ops::RangeInclusive<u32> = 17..=22;

/// Verifies the firmware log, the DRTM log (PCRs 17–22, from the DRTM reset) and the IMA
/// log together against `tpm`: every PCR is judged by the log that extends it, and the
/// update counter is checked against the extends of all of them.
pub fn verify_all(
    log: &EventLog,
    drtm: Option<&crate::drtm::DrtmLog>,
    ima: Option<&[crate::ima::ImaEntryRef<'_>]>,
    opts: &ReplayOptions,
    tpm: &TpmPcrs,
) -> Verification {
    let fw = |opts: &ReplayOptions, tpm: &TpmPcrs| match ima {
        Some(entries) => verify_with_ima_ref(log, opts, entries, tpm),
        None => verify(log, opts, tpm),
    };
    let Some(d) = drtm else {
        return fw(opts, tpm);
    };
    let opts = ReplayOptions {
        drtm: true,
        ..*opts
    };
    let part = |drtm_part: bool| TpmPcrs {
        banks: tpm
            .banks
            .iter()
            .map(|(alg, pcrs)| {
                let keep = pcrs
                    .iter()
                    .filter(|(p, _)| DRTM_PCRS.contains(*p) == drtm_part)
                    .map(|(p, v)| (*p, v.clone()))
                    .collect();
                (*alg, keep)
            })
            .collect(),
        update_counter: tpm.update_counter,
    };
    let mut v = fw(&opts, &part(false));
    let dv = verify(&d.log, &opts, &part(true));
    v.pcrs
        .extend(dv.pcrs.into_iter().map(|p| PcrVerdict { drtm: true, ..p }));
    v.pcrs.sort_by_key(|p| (p.alg, p.pcr));
    v.logged_extends += dv.logged_extends;
    v.unlogged_extends = v.unlogged_extends.map(|u| u - dv.logged_extends as i64);
    v.all_match = v.pcrs.iter().all(|p| p.matches);
    v.warnings.extend(dv.warnings);
    v
}

/// Bank extends in `logs` that advance `pcrUpdateCounter`: one per digest of an extending
/// event, in a bank the TPM has allocated, of a PCR outside [`NO_INCREMENT`].
pub fn logged_extends(logs: &[&EventLog], tpm: &TpmPcrs) -> u64 {
    let mut n = 0u64;
    for log in logs {
        let skip = usize::from(log.spec_id.is_some());
        for e in log.events.iter().skip(skip) {
            if e.event_type == ev::NO_ACTION || NO_INCREMENT.contains(&e.pcr) || e.pcr > 23 {
                continue;
            }
            n += e
                .digests
                .iter()
                .filter(|d| tpm.banks.contains_key(&d.alg))
                .count() as u64;
        }
    }
    n
}
