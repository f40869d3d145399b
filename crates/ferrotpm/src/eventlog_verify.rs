//! `ferrotpm eventlog verify`: the PCR values to verify against, read from a live TPM
//! (with `pcrUpdateCounter`) or from a file, and the report.

use ferrotpm_server::client::TpmClient;
use std::collections::BTreeMap;
use std::time::Duration;
use tcg_eventlog::{TpmPcrs, Verification};

/// PCRs of a PC Client TPM.
const PCRS: u32 = 24;

fn be32(b: &[u8], at: usize) -> Result<u32, String> {
    b.get(at..at + 4)
        .map(|x| u32::from_be_bytes([x[0], x[1], x[2], x[3]]))
        .ok_or_else(|| "truncated response".to_string())
}

fn be16(b: &[u8], at: usize) -> Result<u16, String> {
    b.get(at..at + 2)
        .map(|x| u16::from_be_bytes([x[0], x[1]]))
        .ok_or_else(|| "truncated response".to_string())
}

pub(crate) fn call(c: &mut TpmClient, cmd: &[u8]) -> Result<Vec<u8>, String> {
    let r = c.call(cmd).map_err(|e| e.to_string())?;
    match be32(&r, 6)? {
        0 => Ok(r),
        rc => Err(format!("the TPM answered {rc:#x}")),
    }
}

pub(crate) fn command(code: u32, params: &[u8]) -> Vec<u8> {
    let mut c = vec![0x80, 0x01];
    c.extend_from_slice(&((params.len() + 10) as u32).to_be_bytes());
    c.extend_from_slice(&code.to_be_bytes());
    c.extend_from_slice(params);
    c
}

/// A TPML_PCR_SELECTION: (hash, bitmap of 3 bytes) pairs.
fn read_selection(r: &[u8], at: &mut usize) -> Result<Vec<(u16, u32)>, String> {
    let n = be32(r, *at)?;
    *at += 4;
    let mut v = Vec::new();
    for _ in 0..n.min(16) {
        let alg = be16(r, *at)?;
        let size = *r.get(*at + 2).ok_or("truncated response")? as usize;
        let bytes = r.get(*at + 3..*at + 3 + size).ok_or("truncated response")?;
        let mut bits = 0u32;
        for (i, b) in bytes.iter().take(4).enumerate() {
            bits |= u32::from(*b) << (8 * i);
        }
        v.push((alg, bits));
        *at += 3 + size;
    }
    Ok(v)
}

/// The PCR allocation, GetCapability(TPM_CAP_PCRS): (bank, bitmap of allocated PCRs).
pub fn allocation(c: &mut TpmClient) -> Result<Vec<(u16, u32)>, String> {
    let r = call(c, &command(0x17A, &[0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 1]))?;
    let mut at = 15;
    read_selection(&r, &mut at)
}

/// Reads every allocated PCR of every bank, with the update counter; retried if the
/// counter moved during the reads (another extend came between them).
pub fn read_tpm(address: &str) -> Result<TpmPcrs, String> {
    let mut c = TpmClient::connect(address, Duration::from_secs(10)).map_err(|e| e.to_string())?;
    let allocation = allocation(&mut c)?;
    for _ in 0..3 {
        let mut out = TpmPcrs::default();
        let mut counters = Vec::new();
        for &(alg, bits) in &allocation {
            let mut want = bits & ((1 << PCRS) - 1);
            let bank = out.banks.entry(alg).or_insert_with(BTreeMap::new);
            while want != 0 {
                let mut p = 1u32.to_be_bytes().to_vec();
                p.extend_from_slice(&alg.to_be_bytes());
                p.push(3);
                p.extend_from_slice(&want.to_le_bytes()[..3]);
                let r = call(&mut c, &command(0x17E, &p))?;
                counters.push(be32(&r, 10)?);
                let mut at = 14;
                let got = read_selection(&r, &mut at)?;
                let n = be32(&r, at)? as usize;
                at += 4;
                let mut digests = Vec::new();
                for _ in 0..n.min(PCRS as usize) {
                    let len = be16(&r, at)? as usize;
                    digests.push(r.get(at + 2..at + 2 + len).ok_or("truncated")?.to_vec());
                    at += 2 + len;
                }
                let got_bits = got.iter().find(|(a, _)| *a == alg).map_or(0, |g| g.1) & want;
                if got_bits == 0 {
                    break;
                }
                let pcrs = (0..PCRS).filter(|i| got_bits & (1 << i) != 0);
                for (pcr, d) in pcrs.zip(digests) {
                    bank.insert(pcr, d);
                }
                want &= !got_bits;
            }
        }
        if counters.windows(2).all(|w| w[0] == w[1]) {
            out.update_counter = counters.first().copied();
            return Ok(out);
        }
    }
    Err("the PCRs kept changing while they were read".into())
}

/// Parses PCR values as `tpm2_pcrread` prints them:
/// ```text
/// sha256:
///   0 : 0x3D45...
/// ```
/// An optional `pcrUpdateCounter: N` line gives the update counter.
pub fn read_file(text: &str) -> Result<TpmPcrs, String> {
    let mut out = TpmPcrs::default();
    let mut bank: Option<u16> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        let bad = || format!("line {}: '{t}'", i + 1);
        if let Some(n) = t.strip_prefix("pcrUpdateCounter:") {
            out.update_counter = Some(n.trim().parse().map_err(|_| bad())?);
        } else if let Some(name) = t.strip_suffix(':') {
            let alg = match name.trim() {
                "sha1" => 0x0004,
                "sha256" => 0x000B,
                "sha384" => 0x000C,
                "sha512" => 0x000D,
                "sm3_256" => 0x0012,
                _ => return Err(bad()),
            };
            bank = Some(alg);
        } else {
            let (pcr, value) = t.split_once(':').ok_or_else(bad)?;
            let pcr: u32 = pcr.trim().parse().map_err(|_| bad())?;
            let v = value.trim();
            let v = v.strip_prefix("0x").or(v.strip_prefix("0X")).unwrap_or(v);
            if v.len() % 2 != 0 || pcr >= PCRS {
                return Err(bad());
            }
            let bytes = (0..v.len())
                .step_by(2)
                .map(|j| u8::from_str_radix(&v[j..j + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|_| bad())?;
            let b = bank.ok_or_else(bad)?;
            out.banks.entry(b).or_default().insert(pcr, bytes);
        }
    }
    Ok(out)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The human report (the caller prints the verdict: it may weigh more than this).
pub fn print_table(v: &Verification) {
    for p in &v.pcrs {
        let bank = p
            .bank
            .map_or_else(|| format!("{:#06x}", p.alg), str::to_string);
        let src = if p.drtm { ", DRTM log" } else { "" };
        if p.matches {
            println!(
                "{bank:>6} {:>2}  match     ({} events{src})",
                p.pcr, p.events
            );
            continue;
        }
        println!(
            "{bank:>6} {:>2}  MISMATCH  ({} events{src})",
            p.pcr, p.events
        );
        println!("            tpm {}", hex(&p.tpm));
        println!("            log {}", hex(&p.log));
        match (p.matches_after_event, p.first_unmatched_event) {
            (Some(Some(k)), first) => println!(
                "            the TPM's value is the log's after event {k}: events from {} on were logged but not extended",
                first.map_or("?".into(), |f| f.to_string())
            ),
            (Some(None), first) => println!(
                "            the TPM's value is the start value: no logged event (first: {}) was extended",
                first.map_or("?".into(), |f| f.to_string())
            ),
            (None, _) if p.events == 0 => {
                println!("            the log never extends this PCR, the TPM did")
            }
            (None, first) => println!(
                "            no point of the log matches: the TPM saw extends the log does not show, or a digest differs (from event {} on)",
                first.map_or("?".into(), |f| f.to_string())
            ),
        }
    }
    match (v.update_counter, v.unlogged_extends) {
        (Some(c), Some(u)) => {
            println!(
                "pcrUpdateCounter {c}: {} at startup, {} bank extends in the log; unlogged: {u}",
                tcg_eventlog::verify::STARTUP_UPDATES,
                v.logged_extends
            );
        }
        _ => println!("no pcrUpdateCounter: lost events cannot be counted"),
    }
    if let Some(i) = &v.ima {
        println!(
            "IMA: {} entries; template hashes {}; boot_aggregate {}",
            i.entries,
            if i.bad_template_hashes.is_empty() {
                "ok".to_string()
            } else {
                format!("WRONG for entries {:?}", i.bad_template_hashes)
            },
            match i.boot_aggregate {
                Some(true) => "matches PCRs 0-9",
                Some(false) => "DOES NOT match PCRs 0-9",
                None => "absent",
            }
        );
    }
}

/// All PCRs match, no extend is unaccounted for, and the IMA log (if any) is sound.
pub fn verified(v: &Verification) -> bool {
    v.all_match
        && v.unlogged_extends.unwrap_or(0) == 0
        && v.ima
            .as_ref()
            .is_none_or(|i| i.bad_template_hashes.is_empty() && i.boot_aggregate != Some(false))
}
