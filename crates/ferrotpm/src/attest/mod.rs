//! `ferrotpm attest`: a remote-attestation round trip against one TPM, both halves in one
//! process. The attester's half ([`agent`]) creates an AK under the EK (the EK's
//! PolicySecret(endorsement) authorizing each use of the EK), activates the credential the
//! verifier made for it, and quotes PCRs with the verifier's nonce. The verifier's half
//! ([`verifier`]) trusts nothing the TPM says: it computes the AK's Name itself before it
//! makes the credential (TPM2_MakeCredential in software), checks the quote's signature,
//! nonce, signer and selection, and recomputes the PCR digest from PCR values read from
//! the TPM or replayed from an event log. Exit status 0: verified; 1: not verified; 2:
//! error.

mod agent;
pub(crate) mod verifier;

use crate::conn::{CallError, Conn};
use crate::eventlog_verify;
use clap::{Args, ValueEnum};
use ferrotpm_server::client::TpmClient;
use serde::Serialize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tcg_eventlog::verify::TpmPcrs;
use tcg_eventlog::{ReplayOptions, Verification};
use tpm2_types::HashAlg;
use verifier::{hex, Public, QuoteCheck};

#[derive(Args, Debug)]
pub struct AttestArgs {
    /// The TPM: swtpm:host=H,port=P, swtpm:path=SOCK, mssim:host=H,port=P or
    /// device:/dev/tpmrm0.
    #[arg(long)]
    tpm: String,
    /// The EK: the persistent one at the EK profile's handle (0x81010001 RSA-2048,
    /// 0x8101001C RSA-3072, 0x81010016 ECC P-384), or else one created from the profile's
    /// template (L-1, H-2, H-3).
    #[arg(long, value_enum, default_value_t = EkKind::Rsa)]
    ek: EkKind,
    /// The AK: RSA-2048 RSASSA or ECC P-256 ECDSA, both over SHA-256.
    #[arg(long, value_enum, default_value_t = KeyKind::Rsa)]
    ak: KeyKind,
    /// PCRs to quote, e.g. `0-7,14` (default: 0-7, or with --eventlog the PCRs the log
    /// extends).
    #[arg(long)]
    pcrs: Option<String>,
    /// The bank to quote.
    #[arg(long, value_enum, default_value_t = Bank::Sha256)]
    bank: Bank,
    /// The nonce (hex; default: 32 random bytes).
    #[arg(long)]
    nonce: Option<String>,
    /// A TCG PC Client event log: the quote must be its replay, and the log is verified
    /// against the TPM's PCRs as `ferrotpm eventlog verify` does.
    #[arg(long)]
    eventlog: Option<PathBuf>,
    /// The platform performed a DRTM launch: PCRs 17–22 start at zero in the replay.
    #[arg(long)]
    drtm: bool,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum EkKind {
    Rsa,
    Rsa3072,
    Ecc,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum KeyKind {
    Rsa,
    Ecc,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Bank {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Bank {
    fn alg(self) -> HashAlg {
        match self {
            Bank::Sha1 => HashAlg::Sha1,
            Bank::Sha256 => HashAlg::Sha256,
            Bank::Sha384 => HashAlg::Sha384,
            Bank::Sha512 => HashAlg::Sha512,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

/// One key as the report shows it.
#[derive(Debug, Serialize)]
struct KeyInfo {
    kind: String,
    /// The persistent handle, or none for a key made for this run.
    #[serde(skip_serializing_if = "Option::is_none")]
    persistent: Option<String>,
    name: String,
}

#[derive(Debug, Serialize)]
struct PcrRead {
    pcr: u32,
    value: String,
}

/// Everything `ferrotpm attest` found.
#[derive(Debug, Serialize)]
struct Report {
    ek: KeyInfo,
    ak: KeyInfo,
    /// Why the AK cannot attest, if it cannot.
    #[serde(skip_serializing_if = "Option::is_none")]
    ak_problem: Option<&'static str>,
    /// The TPM's Name for the loaded AK is the one the verifier computed.
    ak_name_matches: bool,
    /// ActivateCredential gave back the verifier's credential.
    activation: bool,
    nonce: String,
    bank: &'static str,
    pcrs: Vec<u32>,
    quote: QuoteCheck,
    /// The PCR values read from the TPM just before the quote.
    pcr_values: Vec<PcrRead>,
    /// The quote's digest is the digest of those values.
    pcr_values_match: bool,
    /// With an event log: the quote's digest is the digest of the log's replay.
    #[serde(skip_serializing_if = "Option::is_none")]
    eventlog_matches_quote: Option<bool>,
    /// With an event log: its verification against the PCRs read.
    #[serde(skip_serializing_if = "Option::is_none")]
    eventlog: Option<Verification>,
    verified: bool,
}

pub fn main(a: AttestArgs) -> ExitCode {
    match run(&a) {
        Ok(report) => {
            match a.format {
                Format::Text => print_text(&report),
                Format::Json => match serde_json::to_string_pretty(&report) {
                    Ok(s) => println!("{s}"),
                    Err(e) => {
                        eprintln!("ferrotpm attest: {e}");
                        return ExitCode::from(2);
                    }
                },
            }
            if report.verified {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("ferrotpm attest: {e}");
            ExitCode::from(2)
        }
    }
}

/// `0-7,14` → [0, …, 7, 14].
fn parse_pcrs(s: &str) -> Result<Vec<u32>, String> {
    let bad = || format!("bad PCR list '{s}' (e.g. 0-7,14)");
    let mut out = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (lo, hi) = match part.split_once('-') {
            Some((a, b)) => (a.parse().map_err(|_| bad())?, b.parse().map_err(|_| bad())?),
            None => {
                let v: u32 = part.parse().map_err(|_| bad())?;
                (v, v)
            }
        };
        if lo > hi || hi > 23 {
            return Err(bad());
        }
        out.extend(lo..=hi);
    }
    out.sort_unstable();
    out.dedup();
    if out.is_empty() {
        return Err(bad());
    }
    Ok(out)
}

fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    let s = s.trim();
    if !s.len().is_multiple_of(2) || !s.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(format!("bad hex '{s}'"));
    }
    Ok((0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0))
        .collect())
}

/// A marshalled `TPML_PCR_SELECTION` of `pcrs` in one bank (three select octets).
fn selection(bank: HashAlg, pcrs: &[u32]) -> Vec<u8> {
    let mut bits = [0u8; 3];
    for p in pcrs {
        bits[(*p / 8) as usize] |= 1 << (p % 8);
    }
    let mut s = 1u32.to_be_bytes().to_vec();
    s.extend_from_slice(&bank.id().to_be_bytes());
    s.push(3);
    s.extend_from_slice(&bits);
    s
}

fn random(n: usize) -> Result<Vec<u8>, String> {
    let mut v = vec![0u8; n];
    getrandom::getrandom(&mut v).map_err(|e| format!("no random bytes: {e}"))?;
    Ok(v)
}

/// What the run needs from the event log.
struct Log {
    log: tcg_eventlog::EventLog,
    opts: ReplayOptions,
}

fn run(a: &AttestArgs) -> Result<Report, String> {
    let bank = a.bank.alg();
    let log = match &a.eventlog {
        Some(p) => {
            let bytes = std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))?;
            let log = tcg_eventlog::parse(&bytes).map_err(|e| format!("{}: {e}", p.display()))?;
            let opts = ReplayOptions {
                drtm: a.drtm,
                ..ReplayOptions::default()
            };
            Some(Log { log, opts })
        }
        None => None,
    };
    let pcrs = match (&a.pcrs, &log) {
        (Some(s), _) => parse_pcrs(s)?,
        (None, Some(l)) => {
            let replay = tcg_eventlog::replay(&l.log, &l.opts);
            let logged: Vec<u32> = replay
                .bank(bank.id())
                .map(|b| b.pcrs.keys().copied().filter(|p| *p < 24).collect())
                .unwrap_or_default();
            if logged.is_empty() {
                return Err(format!("the event log extends no PCR in the {bank:?} bank"));
            }
            logged
        }
        (None, None) => (0..8).collect(),
    };
    let nonce = match &a.nonce {
        Some(h) => parse_hex(h)?,
        None => random(32)?,
    };
    if nonce.len() > 64 {
        return Err("the nonce is longer than a TPM2B_DATA holds (64 bytes)".into());
    }
    // The PCRs first, over a connection of their own: a swtpm serves one client at a time.
    let read = eventlog_verify::read_tpm(&a.tpm)?;
    let client = TpmClient::connect(&a.tpm, Duration::from_secs(60))
        .map_err(|e| format!("{}: {e}", a.tpm))?;
    let mut tpm = Conn::new(client);
    let mut transient = Vec::new();
    let round = round_trip(&mut tpm, a, bank, &pcrs, &nonce, &mut transient);
    for h in transient.into_iter().rev() {
        if let Err(e) = tpm.flush(h) {
            eprintln!("ferrotpm attest: cannot flush {h:#010x}: {e}");
        }
    }
    let round = round?;
    Ok(judge(round, bank, pcrs, nonce, &read, log.as_ref()))
}

/// What the TPM conversation produced, for the verifier to judge.
struct Round {
    ek: KeyInfo,
    ak: Public,
    ak_name: Vec<u8>,
    tpm_ak_name: Vec<u8>,
    activation: bool,
    quote: QuoteCheck,
}

/// The conversation: EK, AK under it, credential activation, quote. Every transient
/// handle it makes goes into `transient`, for the caller to flush whatever happens.
fn round_trip(
    tpm: &mut Conn<TpmClient>,
    a: &AttestArgs,
    bank: HashAlg,
    pcrs: &[u32],
    nonce: &[u8],
    transient: &mut Vec<u32>,
) -> Result<Round, String> {
    use crate::setup::templates;
    let (handle, template) = match a.ek {
        EkKind::Rsa => (
            templates::RSA_EK_HANDLE,
            templates::rsa_ek(templates::Usage::Standard),
        ),
        EkKind::Rsa3072 => (
            templates::RSA3072_EK_HANDLE,
            templates::rsa3072_ek(templates::Usage::Standard),
        ),
        EkKind::Ecc => (
            templates::ECC_EK_HANDLE,
            templates::ecc_p384_ek(templates::Usage::Standard),
        ),
    };
    let (ek_handle, ek, persistent) = match tpm.read_public(handle)? {
        Some(p) => (handle, p, Some(format!("{handle:#010x}"))),
        None => {
            let (h, p) = tpm.create_ek(&template)?;
            transient.push(h);
            (h, p, None)
        }
    };
    let ek_name = ek.name()?;
    let ek_hash = ek.area.name_alg.ok_or("the EK has no name algorithm")?;
    let policy = agent::ek_policy(&ek)?;
    let session = tpm.start_policy_session(ek_hash)?;
    transient.push(session);
    let auth = (session, &policy);

    let (private, ak) =
        tpm.create_under_ek(ek_handle, auth, &agent::ak_template(a.ak == KeyKind::Ecc))?;
    let (ak_handle, tpm_ak_name) = tpm.load_under_ek(ek_handle, auth, &private, &ak)?;
    transient.push(ak_handle);
    // The verifier's own view of the AK: its Name and, under the EK in the endorsement
    // hierarchy, its Qualified Name (a hierarchy's Qualified Name is its handle).
    let ak_name = ak.name()?;
    let ek_qn = ek.qualified_name(&tpm2_types::constants::rh::ENDORSEMENT.to_be_bytes())?;
    let ak_qn = ak.qualified_name(&ek_qn)?;

    let credential = random(32)?;
    let mut rng = |out: &mut [u8]| {
        // The OS generator or nothing: a credential must not be guessable.
        if getrandom::getrandom(out).is_err() {
            out.fill(0);
        }
    };
    let made = verifier::make_credential(&ek, &ak_name, &credential, &mut rng)?;
    let activation =
        match tpm.activate_credential(ak_handle, ek_handle, auth, &made.blob, &made.secret) {
            Ok(back) => verifier::credential_matches(&credential, &back),
            // The TPM refusing the credential is a failed attestation, not a broken run.
            Err(CallError::Rc { .. }) => false,
            Err(e) => return Err(e.into()),
        };

    let sel = selection(bank, pcrs);
    let (quoted, signature) = tpm.quote(ak_handle, nonce, &sel)?;
    let expected = verifier::Expected {
        signer: Some(&ak_qn),
        nonce: Some(nonce),
        selection: Some(&sel),
    };
    let quote = verifier::check_quote(&ak, &quoted, &signature, &expected)?;
    Ok(Round {
        ek: KeyInfo {
            kind: ek.describe(),
            persistent,
            name: hex(&ek_name),
        },
        ak,
        ak_name,
        tpm_ak_name,
        activation,
        quote,
    })
}

fn bank_name(alg: HashAlg) -> &'static str {
    match alg {
        HashAlg::Sha1 => "sha1",
        HashAlg::Sha256 => "sha256",
        HashAlg::Sha384 => "sha384",
        HashAlg::Sha512 => "sha512",
    }
}

/// The verifier's verdict on a round.
fn judge(
    round: Round,
    bank: HashAlg,
    pcrs: Vec<u32>,
    nonce: Vec<u8>,
    read: &TpmPcrs,
    log: Option<&Log>,
) -> Report {
    let quote_hash = verifier::signing_hash(&round.ak).unwrap_or(HashAlg::Sha256);
    let values: Vec<Vec<u8>> = pcrs
        .iter()
        .map(|p| {
            read.banks
                .get(&bank.id())
                .and_then(|b| b.get(p))
                .cloned()
                .unwrap_or_default()
        })
        .collect();
    let refs: Vec<&[u8]> = values.iter().map(Vec::as_slice).collect();
    let pcr_values_match = values.iter().all(|v| !v.is_empty())
        && verifier::pcr_digest(quote_hash, &refs) == round.quote.pcr_digest;
    let (eventlog_matches_quote, eventlog) = match log {
        Some(l) => {
            let replay = tcg_eventlog::replay(&l.log, &l.opts);
            let replayed: Vec<Vec<u8>> = pcrs
                .iter()
                .map(|p| match replay.pcr(bank.id(), *p) {
                    Some(v) => v.to_vec(),
                    None => tcg_eventlog::replay::start_value(*p, bank.digest_size(), &l.opts, 0),
                })
                .collect();
            let refs: Vec<&[u8]> = replayed.iter().map(Vec::as_slice).collect();
            let m = verifier::pcr_digest(quote_hash, &refs) == round.quote.pcr_digest;
            (Some(m), Some(tcg_eventlog::verify(&l.log, &l.opts, read)))
        }
        None => (None, None),
    };
    let ak_problem = verifier::ak_problem(&round.ak);
    let ak_name_matches = round.tpm_ak_name == round.ak_name;
    let verified = ak_problem.is_none()
        && ak_name_matches
        && round.activation
        && round.quote.ok()
        && pcr_values_match
        && eventlog_matches_quote.unwrap_or(true)
        && eventlog.as_ref().is_none_or(eventlog_verify::verified);
    Report {
        ek: round.ek,
        ak: KeyInfo {
            kind: round.ak.describe(),
            persistent: None,
            name: hex(&round.ak_name),
        },
        ak_problem,
        ak_name_matches,
        activation: round.activation,
        nonce: hex(&nonce),
        bank: bank_name(bank),
        pcr_values: pcrs
            .iter()
            .zip(&values)
            .map(|(p, v)| PcrRead {
                pcr: *p,
                value: hex(v),
            })
            .collect(),
        pcrs,
        quote: round.quote,
        pcr_values_match,
        eventlog_matches_quote,
        eventlog,
        verified,
    }
}

fn yes(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "FAILED"
    }
}

fn print_text(r: &Report) {
    let where_ = |k: &KeyInfo| k.persistent.clone().unwrap_or_else(|| "transient".into());
    println!("EK  {} ({}), name {}", r.ek.kind, where_(&r.ek), r.ek.name);
    println!("AK  {} under the EK, name {}", r.ak.kind, r.ak.name);
    if let Some(p) = r.ak_problem {
        println!("    not an attestation key: {p}");
    }
    if !r.ak_name_matches {
        println!("    the TPM names the loaded AK differently: FAILED");
    }
    println!(
        "credential activation: {}",
        if r.activation {
            "ok (the AK lives in the TPM that holds the EK)"
        } else {
            "FAILED"
        }
    );
    let q = &r.quote;
    println!(
        "quote {}:{:?} nonce {}: signature {}, TPM-generated {}, nonce {}, signer {}, selection {}",
        r.bank,
        r.pcrs,
        r.nonce,
        yes(q.signature),
        yes(q.generated),
        yes(q.nonce),
        yes(q.signer),
        yes(q.selection)
    );
    println!(
        "      clock {} ms, resets {}, restarts {}, safe {}, firmware {:#018x}",
        q.clock, q.reset_count, q.restart_count, q.safe, q.firmware_version
    );
    println!("      PCR digest {}", hex(&q.pcr_digest));
    println!(
        "PCR values read from the TPM: {}",
        if r.pcr_values_match {
            "their digest is the quote's"
        } else {
            "their digest is NOT the quote's"
        }
    );
    for p in &r.pcr_values {
        println!("  {:>2} {}", p.pcr, p.value);
    }
    if let (Some(m), Some(v)) = (r.eventlog_matches_quote, &r.eventlog) {
        println!(
            "event log replay: {}",
            if m {
                "its digest is the quote's"
            } else {
                "its digest is NOT the quote's"
            }
        );
        eventlog_verify::print_table(v);
    }
    println!(
        "{}",
        if r.verified {
            "verified"
        } else {
            "NOT verified"
        }
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pcr_lists() {
        assert_eq!(parse_pcrs("0-3,7").unwrap(), vec![0, 1, 2, 3, 7]);
        assert_eq!(parse_pcrs("7,0,7").unwrap(), vec![0, 7]);
        assert!(parse_pcrs("24").is_err());
        assert!(parse_pcrs("5-2").is_err());
        assert!(parse_pcrs("").is_err());
        assert!(parse_pcrs("x").is_err());
    }

    #[test]
    fn pcr_selection_layout() {
        assert_eq!(
            selection(HashAlg::Sha256, &[0, 7, 16, 23]),
            vec![0, 0, 0, 1, 0, 0x0B, 3, 0x81, 0x00, 0x81]
        );
    }

    #[test]
    fn nonce_hex() {
        assert_eq!(parse_hex("00ff10").unwrap(), vec![0, 0xff, 0x10]);
        assert!(parse_hex("0").is_err());
        assert!(parse_hex("zz").is_err());
    }
}
