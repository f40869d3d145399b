//! Replay: the PCR values a log implies, per bank.
//!
//! Start values follow the PC Client platform (TCG PC Client Platform TPM Profile §4.6, PFP
//! §10.4.5.3 and TPM 2.0 Part 1 §34.3): every PCR starts at zero except
//! - PCR 0, whose last octet is the locality a StartupLocality EV_NO_ACTION event records
//!   (TPM2_Startup at locality 3), or 4 when the log starts with an H-CRTM event;
//! - PCRs 17–22, which start at all ones until a DRTM sequence resets them to zero.
//!
//! EV_NO_ACTION events are never extended (PFP §10.4.5).

use crate::parse::{Encoding, EventLog};
use crate::types::{alg_name, ev, hash_alg};
use serde::Serialize;
use std::collections::BTreeMap;
use tpm2_crypto::Hasher;

/// The 16-byte signature of the StartupLocality EV_NO_ACTION event (PFP §10.4.5.3).
pub const STARTUP_LOCALITY: &[u8; 16] = b"StartupLocality\0";

/// Which rules give the PCRs their start values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplayMode {
    /// The PC Client platform's rules (see the module documentation).
    #[default]
    Platform,
    /// `tpm2_eventlog`'s rules: every PCR starts at zero (PCRs 17–22 too), PCR 0 still takes
    /// StartupLocality (crypto-agile logs only) and H-CRTM into account, and a PCR is listed
    /// once any event of the bank names it, EV_NO_ACTION events included.
    Tpm2Tools,
    /// What tpm2-tools 5.4's `tpm2_eventlog` (Debian's package) computes: as [`Tpm2Tools`],
    /// except that it ignores StartupLocality and extends the digests of EV_NO_ACTION
    /// events of crypto-agile logs like any other (later tpm2-tools fixed both). Only for
    /// comparing with that tool's output: the values are not what a TPM holds.
    ///
    /// [`Tpm2Tools`]: ReplayMode::Tpm2Tools
    Tpm2Tools54,
}

impl ReplayMode {
    fn tpm2_tools(self) -> bool {
        matches!(self, ReplayMode::Tpm2Tools | ReplayMode::Tpm2Tools54)
    }
}

/// Options for [`replay`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReplayOptions {
    pub mode: ReplayMode,
    /// The platform performed a DRTM launch, which reset PCRs 17–22 to zero before the
    /// events of the log that extend them (Platform mode only).
    pub drtm: bool,
}

/// One PCR after replay.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PcrValue {
    /// The value, or empty for a bank whose hash this crate does not implement.
    #[serde(serialize_with = "crate::types::ser_hex")]
    pub value: Vec<u8>,
    /// How many events extended it.
    pub extends: u64,
}

/// The replay of one bank.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Bank {
    pub alg: u16,
    pub name: Option<&'static str>,
    /// Whether the values were computed (false for algorithms this crate cannot hash: the
    /// extend counts are still given).
    pub computed: bool,
    pub pcrs: BTreeMap<u32, PcrValue>,
}

/// Something in the log that makes a replayed value doubtful.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Warning {
    /// An extending event has no digest for a bank the Spec ID event lists.
    MissingDigest { event: usize, alg: u16 },
    /// A StartupLocality event came after PCR 0 had been extended; it was ignored.
    LateStartupLocality { event: usize },
    /// An event names a PCR a PC Client TPM does not have (0–23).
    PcrOutOfRange { event: usize, pcr: u32 },
}

/// The result of [`replay`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Replay {
    /// One entry per bank, by algorithm id.
    pub banks: Vec<Bank>,
    pub warnings: Vec<Warning>,
}

impl Replay {
    pub fn bank(&self, alg: u16) -> Option<&Bank> {
        self.banks.iter().find(|b| b.alg == alg)
    }

    /// The replayed value of `pcr` in bank `alg`, if the log extends it.
    pub fn pcr(&self, alg: u16, pcr: u32) -> Option<&[u8]> {
        self.bank(alg)?.pcrs.get(&pcr).map(|p| p.value.as_slice())
    }
}

/// The start value of `pcr` for a bank of digest size `size`.
pub fn start_value(pcr: u32, size: usize, opts: &ReplayOptions, pcr0_locality: u8) -> Vec<u8> {
    let mut v = vec![0u8; size];
    if opts.mode == ReplayMode::Platform && !opts.drtm && (17..=22).contains(&pcr) {
        v.fill(0xff);
    }
    if pcr == 0 {
        if let Some(last) = v.last_mut() {
            *last = pcr0_locality;
        }
    }
    v
}

struct BankState {
    alg: u16,
    size: usize,
    hash: Option<tpm2_types::HashAlg>,
    pcrs: BTreeMap<u32, PcrValue>,
}

/// The running value of every (bank, PCR) the log extends: the start value, then the value
/// after each extending event (with the event's number), in log order.
pub type History = BTreeMap<(u16, u32), Vec<(Option<usize>, Vec<u8>)>>;

impl BankState {
    fn entry(&mut self, pcr: u32, opts: &ReplayOptions, locality: u8) -> &mut PcrValue {
        let (size, computed) = (self.size, self.hash.is_some());
        self.pcrs.entry(pcr).or_insert_with(|| PcrValue {
            value: if computed {
                start_value(pcr, size, opts, locality)
            } else {
                Vec::new()
            },
            extends: 0,
        })
    }
}

/// Sets the locality octet of PCR 0 in banks where it is listed but not yet extended.
fn set_pcr0_locality(banks: &mut [BankState], locality: u8) {
    for b in banks {
        if let Some(p) = b.pcrs.get_mut(&0) {
            if p.extends == 0 {
                if let Some(last) = p.value.last_mut() {
                    *last = locality;
                }
            }
        }
    }
}

/// Replays `log`.
pub fn replay(log: &EventLog, opts: &ReplayOptions) -> Replay {
    replay_inner(log, opts, None)
}

/// Replays `log` and keeps every intermediate value (for [`crate::verify`]).
pub fn replay_with_history(log: &EventLog, opts: &ReplayOptions) -> (Replay, History) {
    let mut h = History::new();
    let r = replay_inner(log, opts, Some(&mut h));
    (r, h)
}

/// Logs with more events than this replay each bank on its own thread.
const PARALLEL_EVENTS: usize = 4096;

fn replay_inner(log: &EventLog, opts: &ReplayOptions, history: Option<&mut History>) -> Replay {
    let mut banks: Vec<BankState> = match &log.spec_id {
        Some(s) => s
            .algorithms
            .iter()
            .map(|a| BankState {
                alg: a.alg,
                size: usize::from(a.digest_size),
                hash: hash_alg(a.alg),
                pcrs: BTreeMap::new(),
            })
            .collect(),
        None => vec![BankState {
            alg: tpm2_types::constants::alg::SHA1,
            size: 20,
            hash: Some(tpm2_types::HashAlg::Sha1),
            pcrs: BTreeMap::new(),
        }],
    };
    banks.sort_by_key(|b| b.alg);
    let keep = history.is_some();
    // Banks are independent: each is replayed on its own (in parallel for big logs), and
    // the warnings are merged back into log order.
    let done: Vec<(BankState, Vec<Staged>, History)> =
        if banks.len() > 1 && log.events.len() > PARALLEL_EVENTS {
            std::thread::scope(|s| {
                let handles: Vec<_> = banks
                    .into_iter()
                    .enumerate()
                    .map(|(i, b)| s.spawn(move || replay_bank(log, opts, b, i == 0, keep)))
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                    .collect()
            })
        } else {
            banks
                .into_iter()
                .enumerate()
                .map(|(i, b)| replay_bank(log, opts, b, i == 0, keep))
                .collect()
        };
    let mut staged = Vec::new();
    let mut out = Vec::with_capacity(done.len());
    for (i, (b, w, h)) in done.into_iter().enumerate() {
        staged.extend(
            w.into_iter()
                .map(|(event, stage, warning)| (event, stage, i, warning)),
        );
        out.push((b, h));
    }
    staged.sort_by_key(|(event, stage, bank, _)| (*event, *stage, *bank));
    let mut banks_out = Vec::with_capacity(out.len());
    let mut hist_out = History::new();
    for (b, h) in out {
        hist_out.extend(h);
        banks_out.push(Bank {
            alg: b.alg,
            name: alg_name(b.alg),
            computed: b.hash.is_some(),
            pcrs: b.pcrs,
        });
    }
    if let Some(h) = history {
        *h = hist_out;
    }
    Replay {
        banks: banks_out,
        warnings: staged.into_iter().map(|(_, _, _, w)| w).collect(),
    }
}

/// A warning with its place in log order: (event, stage within the event, warning).
type Staged = (usize, u8, Warning);

/// Replays one bank; `first` also reports the warnings that are not per bank.
fn replay_bank(
    log: &EventLog,
    opts: &ReplayOptions,
    mut b: BankState,
    first: bool,
    keep: bool,
) -> (BankState, Vec<Staged>, History) {
    let mut hist = History::new();
    let mut warnings: Vec<Staged> = Vec::new();
    let mut locality = 0u8;
    let mut pcr0_extended = false;
    let skip = usize::from(log.spec_id.is_some());
    let tpm2_tools = opts.mode.tpm2_tools();
    let old_tools = opts.mode == ReplayMode::Tpm2Tools54;

    for e in log.events.iter().skip(skip) {
        if e.pcr > 23 && first {
            warnings.push((
                e.number,
                0,
                Warning::PcrOutOfRange {
                    event: e.number,
                    pcr: e.pcr,
                },
            ));
        }
        if e.event_type == ev::NO_ACTION && !(old_tools && e.encoding == Encoding::PcrEvent2) {
            let is_locality = e.pcr == 0
                && e.data.len() == 17
                && e.data.starts_with(STARTUP_LOCALITY)
                && !(tpm2_tools && e.encoding == Encoding::PcrEvent)
                && !old_tools;
            if is_locality {
                if pcr0_extended {
                    if first {
                        warnings.push((
                            e.number,
                            1,
                            Warning::LateStartupLocality { event: e.number },
                        ));
                    }
                } else {
                    locality = e.data[16];
                    set_pcr0_locality(std::slice::from_mut(&mut b), locality);
                }
            }
            // tpm2_eventlog lists a PCR once a crypto-agile event names it, even unextended.
            if tpm2_tools && e.encoding == Encoding::PcrEvent2 && e.digest(b.alg).is_some() {
                b.entry(e.pcr, opts, locality);
            }
            continue;
        }
        if e.pcr == 0 {
            // H-CRTM: PCR 0 was reset by _TPM_Hash_Start at locality 4 (Part 1 §34.3).
            if e.event_type == ev::EFI_HCRTM_EVENT && !pcr0_extended {
                locality = 4;
                set_pcr0_locality(std::slice::from_mut(&mut b), locality);
            }
            pcr0_extended = true;
        }
        let Some(d) = e.digest(b.alg) else {
            warnings.push((
                e.number,
                2,
                Warning::MissingDigest {
                    event: e.number,
                    alg: b.alg,
                },
            ));
            continue;
        };
        let (hash, alg) = (b.hash, b.alg);
        let p = b.entry(e.pcr, opts, locality);
        if keep {
            let start = p.value.clone();
            hist.entry((alg, e.pcr))
                .or_insert_with(|| vec![(None, start)]);
        }
        p.extends += 1;
        if let Some(h) = hash {
            p.value = Hasher::new(h).with(&p.value).with(d).finish();
        }
        if keep {
            if let Some(v) = hist.get_mut(&(alg, e.pcr)) {
                v.push((Some(e.number), p.value.clone()));
            }
        }
    }
    (b, warnings, hist)
}
