//! `eventlog verify --quote`: PCR values vouched for by a TPM quote, as tpm2_quote writes
//! it (`-m` the `TPMS_ATTEST`, `-s` the `TPMT_SIGNATURE`) with the AK's public area
//! (`tpm2_createak -u`, a `TPM2B_PUBLIC`). The quote's signature, origin and nonce are
//! checked with `ferrotpm attest`'s verifier, the `--pcrs` values must hash to its PCR
//! digest, and every PCR the logs extend must be one the quote covers — so what the log
//! is verified against is what the TPM signed.

use crate::attest::verifier::{self, Expected, Public, QuoteCheck};
use clap::Args;
use serde::Serialize;
use std::path::{Path, PathBuf};
use tcg_eventlog::{TpmPcrs, Verification};
use tpm2_types::HashAlg;

#[derive(Args, Debug, Default)]
pub struct QuoteArgs {
    /// A quote (`TPMS_ATTEST`, `tpm2_quote -m`): the --pcrs values must be the ones it
    /// signs, and it must cover every PCR the logs extend.
    #[arg(long, requires_all = ["quote_sig", "ak", "pcrs"])]
    pub quote: Option<PathBuf>,
    /// The quote's signature (`TPMT_SIGNATURE`, `tpm2_quote -s`).
    #[arg(long = "quote-sig", requires = "quote")]
    pub quote_sig: Option<PathBuf>,
    /// The AK's public area (`TPM2B_PUBLIC`, `tpm2_createak -u`).
    #[arg(long, requires = "quote")]
    pub ak: Option<PathBuf>,
    /// The nonce the quote must carry (`tpm2_quote -q`), hex. Without it the quote's
    /// freshness is not checked.
    #[arg(long, requires = "quote")]
    pub nonce: Option<String>,
}

/// What the quote says about the PCR values and the logs.
#[derive(Debug, Serialize)]
pub struct QuoteReport {
    #[serde(flatten)]
    pub check: QuoteCheck,
    /// Why the AK cannot attest, if it cannot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ak_problem: Option<&'static str>,
    /// A nonce was given and checked.
    pub nonce_checked: bool,
    /// The --pcrs values of the quoted PCRs hash to the quote's digest.
    pub pcrs_match: bool,
    /// PCRs the logs extend that the quote does not cover (bank algorithm, PCR).
    pub uncovered: Vec<(u16, u32)>,
}

impl QuoteReport {
    pub fn ok(&self) -> bool {
        self.check.ok() && self.ak_problem.is_none() && self.pcrs_match && self.uncovered.is_empty()
    }
}

fn read(p: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))
}

/// The AK's public area from a `TPM2B_PUBLIC` file (or a bare `TPMT_PUBLIC`).
fn ak_public(p: &Path) -> Result<Public, String> {
    let b = read(p)?;
    let inner = match b.get(..2) {
        Some(n) if u16::from_be_bytes([n[0], n[1]]) as usize == b.len() - 2 => &b[2..],
        _ => &b[..],
    };
    Public::decode(inner).map_err(|e| format!("{}: {e}", p.display()))
}

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    let s = s.trim().trim_start_matches("0x");
    if !s.len().is_multiple_of(2) || !s.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("--nonce {s}: not hex"));
    }
    Ok((0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0))
        .collect())
}

/// Checks the quote of `q` against the PCR values `pcrs` and the verdicts `v` of the logs.
pub fn check(q: &QuoteArgs, pcrs: &TpmPcrs, v: &Verification) -> Result<QuoteReport, String> {
    let (Some(quote), Some(sig), Some(ak)) = (&q.quote, &q.quote_sig, &q.ak) else {
        return Err("--quote needs --quote-sig and --ak".into());
    };
    let ak = ak_public(ak)?;
    let nonce = q.nonce.as_deref().map(unhex).transpose()?;
    let expected = Expected {
        signer: None,
        nonce: nonce.as_deref(),
        selection: None,
    };
    let check = verifier::check_quote(&ak, &read(quote)?, &read(sig)?, &expected)?;
    let hash = verifier::signing_hash(&ak).unwrap_or(HashAlg::Sha256);
    let mut values = Vec::new();
    for (alg, list) in &check.quoted {
        for pcr in list {
            let v = pcrs
                .banks
                .get(alg)
                .and_then(|b| b.get(pcr))
                .ok_or_else(|| {
                    format!(
                        "the quote covers PCR {pcr} of bank {alg:#06x}; --pcrs has no value for it"
                    )
                })?;
            values.push(v.as_slice());
        }
    }
    let pcrs_match = verifier::pcr_digest(hash, &values) == check.pcr_digest;
    let covered = |alg: u16, pcr: u32| {
        check
            .quoted
            .iter()
            .any(|(a, l)| *a == alg && l.contains(&pcr))
    };
    let uncovered = v
        .pcrs
        .iter()
        .filter(|p| p.events > 0 && !covered(p.alg, p.pcr))
        .map(|p| (p.alg, p.pcr))
        .collect();
    Ok(QuoteReport {
        ak_problem: verifier::ak_problem(&ak),
        nonce_checked: nonce.is_some(),
        pcrs_match,
        uncovered,
        check,
    })
}

/// The quote's part of the human report.
pub fn print(r: &QuoteReport) {
    let yes = |b: bool| if b { "ok" } else { "FAILED" };
    let c = &r.check;
    println!(
        "quote: signature {}, TPM-generated {}, nonce {}",
        yes(c.signature),
        yes(c.generated),
        if r.nonce_checked {
            yes(c.nonce)
        } else {
            "not checked (no --nonce)"
        }
    );
    if let Some(p) = r.ak_problem {
        println!("  the AK cannot attest: {p}");
    }
    for (alg, list) in &c.quoted {
        println!(
            "  covers {}: {list:?}",
            tcg_eventlog::alg_name(*alg).map_or_else(|| format!("{alg:#06x}"), str::to_string)
        );
    }
    println!(
        "  the --pcrs values {} the quote's",
        if r.pcrs_match { "are" } else { "are NOT" }
    );
    if !r.uncovered.is_empty() {
        println!(
            "  PCRs the logs extend that the quote does not cover: {:?}",
            r.uncovered
        );
    }
}
