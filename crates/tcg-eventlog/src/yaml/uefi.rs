//! tpm2_eventlog's rendering of UEFI_VARIABLE_DATA, UEFI_IMAGE_LOAD_EVENT and UEFI_GPT_DATA.
//! Each function returns `None` (and the caller prints hex) where tpm2-tools would fail.

use super::strings::split_string;
use super::u64_at;
use crate::decode::text::utf16_lossy;
use crate::decode::uefi::is_boot_option;
use crate::parse::Event;
use crate::types::{ev, hex, push_hex, Guid};
use std::fmt::Write;

fn u16_at(d: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_le_bytes(d.get(o..o + 2)?.try_into().ok()?))
}
fn u32_at(d: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(o..o + 4)?.try_into().ok()?))
}
fn guid_at(d: &[u8], o: usize) -> Option<Guid> {
    Guid::from_slice(d.get(o..)?)
}

/// `Enabled: 'Yes'|'No'` for a one-byte boolean; longer values make tpm2-tools fail.
fn enabled(out: &mut String, data: &[u8]) -> Option<()> {
    if data.len() > 1 {
        return None;
    }
    let yes = data.first().is_some_and(|&b| b != 0);
    let _ = write!(
        out,
        "    VariableData:\n      Enabled: '{}'\n",
        if yes { "Yes" } else { "No" }
    );
    Some(())
}

pub fn variable(out: &mut String, e: &Event, v2: bool) -> Option<()> {
    let d = &e.data;
    let guid = guid_at(d, 0)?;
    let name_len = u64_at(d, 16)?;
    let data_len = u64_at(d, 24)?;
    let name_end = usize::try_from(name_len)
        .ok()?
        .checked_mul(2)?
        .checked_add(32)?;
    let data_end = name_end.checked_add(usize::try_from(data_len).ok()?)?;
    if data_end > d.len() {
        return None;
    }
    // The name as C prints it: up to the first NUL.
    let name = utf16_lossy(&d[32..name_end]);
    let data = &d[name_end..data_end];
    let _ = write!(
        out,
        "  Event:\n    VariableName: {guid}\n    UnicodeNameLength: {name_len}\n    \
         VariableDataLength: {data_len}\n    UnicodeName: {name}\n"
    );
    if v2 {
        // `Some(r)`: a variable tpm2-tools decodes, `r` whether it could (when it could not,
        // tpm2-tools fails and the caller prints the event as hex).
        let special = match (e.event_type, name.as_str()) {
            (ev::EFI_VARIABLE_DRIVER_CONFIG, "PK" | "KEK" | "db" | "dbx") => {
                signature_lists(out, &d[name_end..]);
                Some(Some(()))
            }
            (ev::EFI_VARIABLE_DRIVER_CONFIG, "SecureBoot")
            | (ev::EFI_VARIABLE_AUTHORITY, "MokListTrusted") => Some(enabled(out, data)),
            (ev::EFI_VARIABLE_AUTHORITY, "db" | "Shim") => Some(signature_data(out, data)),
            (ev::EFI_VARIABLE_AUTHORITY, "SbatLevel") => {
                out.push_str("    VariableData:\n");
                split_string(out, "      ", "String", data);
                Some(Some(()))
            }
            (ev::EFI_VARIABLE_BOOT | ev::EFI_VARIABLE_BOOT2, "BootOrder") => {
                Some(boot_order(out, data))
            }
            (ev::EFI_VARIABLE_BOOT | ev::EFI_VARIABLE_BOOT2, n) if is_boot_option(n) => {
                Some(load_option(out, data))
            }
            _ => None,
        };
        if let Some(done) = special {
            return done;
        }
    }
    if !data.is_empty() {
        out.push_str("    VariableData: \"");
        push_hex(out, data);
        out.push_str("\"\n");
    }
    Some(())
}

fn signature_data(out: &mut String, data: &[u8]) -> Option<()> {
    let owner = guid_at(data, 0)?;
    let _ = write!(
        out,
        "    VariableData:\n    - SignatureOwner: {owner}\n      SignatureData: {}\n",
        hex(&data[16..])
    );
    Some(())
}

fn boot_order(out: &mut String, data: &[u8]) -> Option<()> {
    if !data.len().is_multiple_of(2) {
        return None;
    }
    out.push_str("    VariableData:\n");
    for c in data.chunks_exact(2) {
        let _ = writeln!(out, "    - Boot{:04x}", u16::from_le_bytes([c[0], c[1]]));
    }
    Some(())
}

/// EFI_SIGNATURE_LISTs, walked over the rest of the event data with tpm2-tools' stopping
/// rules (a list that does not fit or is malformed ends the walk silently).
fn signature_lists(out: &mut String, d: &[u8]) {
    out.push_str("    VariableData:\n");
    let size = d.len();
    let (mut start, mut pos) = (0usize, 0usize);
    while start < size {
        if start + 28 > size {
            break;
        }
        let (Some(ty), Some(list), Some(hdr), Some(sig)) = (
            guid_at(d, pos),
            u32_at(d, pos + 16),
            u32_at(d, pos + 20),
            u32_at(d, pos + 24),
        ) else {
            break;
        };
        if sig < 16 {
            break;
        }
        let _ = write!(
            out,
            "    - SignatureType: {ty}\n      SignatureListSize: {list}\n      SignatureHeaderSize: {hdr}\n      \
             SignatureSize: {sig}\n      Keys:\n"
        );
        let (list, hdr, sig) = (list as usize, hdr as usize, sig as usize);
        start += 28 + hdr;
        if start + sig > size {
            break;
        }
        let Some(body) = list.checked_sub(28 + hdr) else {
            break;
        };
        if body % sig != 0 {
            break;
        }
        let mut at = pos + 28 + hdr;
        for _ in 0..body / sig {
            let (Some(owner), Some(data)) = (guid_at(d, at), d.get(at + 16..at + sig)) else {
                return;
            };
            let _ = write!(
                out,
                "      - SignatureOwner: {owner}\n        SignatureData: {}\n",
                hex(data)
            );
            at += sig;
            start += sig;
            if start > size {
                break;
            }
        }
        pos += list;
    }
}

/// EFI_LOAD_OPTION: attributes, description, and the rest (file path list and optional
/// data) as hex.
fn load_option(out: &mut String, data: &[u8]) -> Option<()> {
    let attributes = u32_at(data, 0)?;
    let fpl = u16_at(data, 4)?;
    let mut i = 6;
    let mut units = Vec::new();
    loop {
        let u = u16_at(data, i)?;
        i += 2;
        if u == 0 {
            break;
        }
        units.push(u);
    }
    let desc: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    let _ = write!(
        out,
        "    VariableData:\n      Enabled: '{}'\n      FilePathListLength: {fpl}\n      Description: \"{desc}\"\n      \
         DevicePath: '{}'\n",
        if attributes & 1 != 0 { "Yes" } else { "No" },
        hex(&data[i..])
    );
    Some(())
}

pub fn image_load(out: &mut String, d: &[u8]) -> Option<()> {
    let (loc, len, link, dplen) = (u64_at(d, 0)?, u64_at(d, 8)?, u64_at(d, 16)?, u64_at(d, 24)?);
    let _ = write!(
        out,
        "  Event:\n    ImageLocationInMemory: 0x{loc:x}\n    ImageLengthInMemory: {len}\n    \
         ImageLinkTimeAddress: 0x{link:x}\n    LengthOfDevicePath: {dplen}\n    DevicePath: '"
    );
    push_hex(out, &d[32..]);
    out.push_str("'\n");
    Some(())
}

/// UEFI_GPT_DATA with 128-byte partition entries, as tpm2-tools reads it; other layouts make
/// it fail.
pub fn gpt(out: &mut String, d: &[u8]) -> Option<()> {
    let count = u64_at(d, 92)?;
    if usize::try_from(count)
        .ok()?
        .checked_mul(128)?
        .checked_add(100)?
        != d.len()
    {
        return None;
    }
    let sig = super::strings::c_string(&d[..8]);
    let _ = write!(
        out,
        "  Event:\n    Header:\n      Signature: \"{}\"\n      Revision: 0x{:x}\n      HeaderSize: {}\n      \
         HeaderCRC32: 0x{:x}\n      MyLBA: 0x{:x}\n      AlternateLBA: 0x{:x}\n      FirstUsableLBA: 0x{:x}\n      \
         LastUsableLBA: 0x{:x}\n      DiskGUID: {}\n      PartitionEntryLBA: 0x{:x}\n      \
         NumberOfPartitionEntry: {}\n      SizeOfPartitionEntry: {}\n      PartitionEntryArrayCRC32: 0x{:x}\n    \
         NumberOfPartitions: {count}\n    Partitions:\n",
        String::from_utf8_lossy(sig),
        u32_at(d, 8)?,
        u32_at(d, 12)?,
        u32_at(d, 16)?,
        u64_at(d, 24)?,
        u64_at(d, 32)?,
        u64_at(d, 40)?,
        u64_at(d, 48)?,
        guid_at(d, 56)?,
        u64_at(d, 72)?,
        u32_at(d, 80)?,
        u32_at(d, 84)?,
        u32_at(d, 88)?,
    );
    for p in d[100..].chunks_exact(128) {
        let _ = write!(
            out,
            "    - PartitionTypeGUID: {}\n      UniquePartitionGUID: {}\n      StartingLBA: 0x{:x}\n      \
             EndingLBA: 0x{:x}\n      Attributes: 0x{:x}\n      PartitionName: \"{}\"\n",
            guid_at(p, 0)?,
            guid_at(p, 16)?,
            u64_at(p, 32)?,
            u64_at(p, 40)?,
            u64_at(p, 48)?,
            utf16_lossy(&p[56..128])
        );
    }
    Some(())
}
