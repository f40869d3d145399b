//! YAML in the layout `tpm2_eventlog` (tpm2-tools) prints, so pipelines built on it can
//! switch: the same keys, the same per-type event rendering for `--eventlog-version` 1 and 2,
//! and the same `pcrs:` section (replayed with [`ReplayMode::Tpm2Tools`]).
//!
//! Where tpm2-tools would stop with an error (an event too short for the structure its type
//! calls for), the event's data is printed as hex instead and rendering goes on. Strings are
//! escaped so the output stays valid YAML where tpm2-tools would print raw bytes (invalid
//! UTF-8, control characters, newlines inside `|-` blocks).

mod strings;
mod uefi;

use crate::parse::{Encoding, Event, EventLog, LogFormat, SpecId};
use crate::replay::{replay, ReplayMode, ReplayOptions, STARTUP_LOCALITY};
use crate::types::{alg_name, ev, event_type_name, hex, push_hex};
use std::fmt::Write;
use tpm2_types::constants::alg;

pub(crate) use strings::{block_text, c_string, split_string};

/// Which `--eventlog-version` layout to print.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum YamlVersion {
    /// tpm2_eventlog's default: EFI variables as hex, GPT events as hex.
    #[default]
    V1,
    /// `--eventlog-version=2`: Secure Boot databases, boot variables, shim variables, GPT
    /// and StartupLocality decoded.
    V2,
}

/// Renders `log` as `tpm2_eventlog` does.
pub fn render(log: &EventLog, version: YamlVersion) -> String {
    // Room for the whole text: the hex of every digest and of the event data, and the
    // fixed lines of each event.
    let size: usize = log
        .events
        .iter()
        .map(|e| {
            2 * e.data.len()
                + e.digests
                    .iter()
                    .map(|d| 2 * d.bytes.len() + 40)
                    .sum::<usize>()
                + 160
        })
        .sum();
    let mut out = String::with_capacity(size + 4096);
    let v = match version {
        YamlVersion::V1 => 1,
        YamlVersion::V2 => 2,
    };
    out.push_str("---\n");
    let _ = writeln!(out, "version: {v}");
    out.push_str("events:\n");
    // A big log's replay (the `pcrs:` section) runs beside the rendering of its events.
    if log.events.len() > 4096 {
        return std::thread::scope(|s| {
            let r = s.spawn(|| tpm2_tools_replay(log));
            events(&mut out, log, version);
            let r = r.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            pcrs(&mut out, &r);
            out
        });
    }
    events(&mut out, log, version);
    pcrs(&mut out, &tpm2_tools_replay(log));
    out
}

fn events(out: &mut String, log: &EventLog, version: YamlVersion) {
    let mut num = 0usize;
    let mut scratch = String::new();
    for e in &log.events {
        match (log.format, &log.spec_id) {
            (LogFormat::CryptoAgile, Some(spec)) if e.number == 0 => {
                spec_id_event(out, e, spec, num);
                num += 1;
                continue;
            }
            _ => {}
        }
        if e.encoding == Encoding::PcrEvent2 {
            let _ = writeln!(out, "- EventNum: {num}");
            num += 1;
        }
        header(out, e);
        body(out, &mut scratch, e, version);
    }
}

/// The name printed for an event type ("Unknown event type" for values no spec defines,
/// as tpm2-tools prints).
fn type_name(t: u32) -> &'static str {
    event_type_name(t).unwrap_or("Unknown event type")
}

fn alg_text(id: u16) -> String {
    alg_name(id).map_or_else(|| format!("0x{id:04x}"), str::to_string)
}

fn spec_id_event(out: &mut String, e: &Event, spec: &SpecId, num: usize) {
    let digest = e.digest(alg::SHA1).unwrap_or(&[]);
    let _ = write!(
        out,
        "- EventNum: {num}\n  PCRIndex: {}\n  EventType: {}\n  Digest: \"{}\"\n  EventSize: {}\n",
        e.pcr,
        type_name(e.event_type),
        hex(digest),
        e.data.len()
    );
    let _ = write!(
        out,
        "  SpecID:\n  - Signature: Spec ID Event03\n    platformClass: {}\n    specVersionMinor: {}\n    \
         specVersionMajor: {}\n    specErrata: {}\n    uintnSize: {}\n    numberOfAlgorithms: {}\n    Algorithms:\n",
        spec.platform_class,
        spec.spec_version_minor,
        spec.spec_version_major,
        spec.spec_errata,
        spec.uintn_size,
        spec.algorithms.len()
    );
    for (i, a) in spec.algorithms.iter().enumerate() {
        let _ = write!(
            out,
            "    - Algorithm[{i}]:\n      algorithmId: {}\n      digestSize: {}\n",
            alg_text(a.alg),
            a.digest_size
        );
    }
    let _ = writeln!(out, "    vendorInfoSize: {}", spec.vendor_info.len());
    if !spec.vendor_info.is_empty() {
        let _ = writeln!(out, "    vendorInfo: \"{}\"", hex(&spec.vendor_info));
    }
}

fn header(out: &mut String, e: &Event) {
    let _ = write!(
        out,
        "  PCRIndex: {}\n  EventType: {}\n  DigestCount: {}\n  Digests:\n",
        e.pcr,
        type_name(e.event_type),
        e.digests.len()
    );
    for d in &e.digests {
        out.push_str("  - AlgorithmId: ");
        match alg_name(d.alg) {
            Some(n) => out.push_str(n),
            None => out.push_str(&alg_text(d.alg)),
        }
        out.push_str("\n    Digest: \"");
        push_hex(out, &d.bytes);
        out.push_str("\"\n");
    }
}

/// The hex tpm2-tools prints for events it does not decode: at most 1024 bytes.
fn hex_event(out: &mut String, d: &[u8]) {
    out.push_str("  Event: \"");
    push_hex(out, &d[..d.len().min(1024)]);
    out.push_str("\"\n");
}

fn u64_at(d: &[u8], o: usize) -> Option<u64> {
    Some(u64::from_le_bytes(d.get(o..o + 8)?.try_into().ok()?))
}

fn blob(out: &mut String, d: &[u8]) -> Option<()> {
    let (base, len) = (u64_at(d, 0)?, u64_at(d, 8)?);
    let _ = write!(
        out,
        "  Event:\n    BlobBase: 0x{base:x}\n    BlobLength: 0x{len:x}\n"
    );
    Some(())
}

fn blob2(out: &mut String, d: &[u8]) -> Option<()> {
    let n = usize::from(*d.first()?);
    let desc = d.get(1..1 + n)?;
    let (base, len) = (u64_at(d, 1 + n)?, u64_at(d, 9 + n)?);
    let _ = write!(
        out,
        "  Event:\n    BlobDescriptionSize: {n}\n    BlobDescription: \"{}\"\n    BlobBase: 0x{base:x}\n    \
         BlobLength: 0x{len:x}\n",
        hex(desc)
    );
    Some(())
}

/// Renders the event data; `scratch` is a reusable buffer, so an event that cannot be
/// rendered as its type calls for can be printed as hex instead.
fn body(out: &mut String, scratch: &mut String, e: &Event, version: YamlVersion) {
    let d = &e.data;
    let _ = writeln!(out, "  EventSize: {}", d.len());
    if d.is_empty() {
        return;
    }
    let v2 = version == YamlVersion::V2;
    scratch.clear();
    let done = match e.event_type {
        ev::EFI_VARIABLE_DRIVER_CONFIG
        | ev::EFI_VARIABLE_BOOT
        | ev::EFI_VARIABLE_BOOT2
        | ev::EFI_VARIABLE_AUTHORITY => uefi::variable(scratch, e, v2),
        ev::POST_CODE if d.len() == 16 => blob(scratch, d),
        ev::POST_CODE | ev::EFI_ACTION | ev::EFI_HCRTM_EVENT => {
            block_text(scratch, "  Event", c_string(d));
            Some(())
        }
        ev::S_CRTM_CONTENTS | ev::EFI_PLATFORM_FIRMWARE_BLOB => blob(scratch, d),
        ev::EFI_PLATFORM_FIRMWARE_BLOB2 => blob2(scratch, d),
        ev::IPL => {
            scratch.push_str("  Event:\n");
            split_string(scratch, "    ", "String", d);
            Some(())
        }
        ev::EFI_BOOT_SERVICES_APPLICATION
        | ev::EFI_BOOT_SERVICES_DRIVER
        | ev::EFI_RUNTIME_SERVICES_DRIVER => uefi::image_load(scratch, d),
        ev::EFI_GPT_EVENT if v2 => uefi::gpt(scratch, d),
        ev::NO_ACTION if v2 && d.len() > 16 && d.starts_with(STARTUP_LOCALITY) => {
            let _ = write!(scratch, "  Event:\n    StartupLocality: {}\n", d[16]);
            Some(())
        }
        _ => None,
    };
    match done {
        Some(()) => out.push_str(scratch),
        None => hex_event(out, d),
    }
}

fn tpm2_tools_replay(log: &EventLog) -> crate::replay::Replay {
    replay(
        log,
        &ReplayOptions {
            mode: ReplayMode::Tpm2Tools,
            drtm: false,
        },
    )
}

fn pcrs(out: &mut String, r: &crate::replay::Replay) {
    out.push_str("pcrs:\n");
    // tpm2-tools prints these banks, in this order, and no others.
    for id in [
        alg::SHA1,
        alg::SHA256,
        alg::SHA384,
        alg::SHA512,
        alg::SM3_256,
    ] {
        let Some(bank) = r.bank(id).filter(|b| b.computed && !b.pcrs.is_empty()) else {
            continue;
        };
        let _ = writeln!(out, "  {}:", alg_text(id));
        for (i, p) in &bank.pcrs {
            let _ = writeln!(out, "    {i:<2} : 0x{}", hex(&p.value));
        }
    }
}
