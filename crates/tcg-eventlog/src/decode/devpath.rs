//! EFI device paths (UEFI 2.10 §10.3): a sequence of nodes (type, sub-type, 16-bit length,
//! data) ending with an End node, and their text form (§10.6.1). Unknown nodes are kept as
//! `Path(type,subtype,data)`; a malformed node stops the walk and is reported.

use super::text::utf16_lossy;
use crate::error::{ErrorKind, ParseError};
use crate::reader::Reader;
use crate::types::{hex, Guid};
use serde::Serialize;

/// A decoded device path.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DevicePath {
    /// The UEFI text form of the nodes decoded (instances separated by `,`).
    pub text: String,
    pub nodes: Vec<Node>,
    /// Why the walk stopped early, if it did.
    pub error: Option<ParseError>,
}

/// One device path node.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Node {
    #[serde(rename = "type")]
    pub node_type: u8,
    pub subtype: u8,
    pub type_name: &'static str,
    pub text: String,
    #[serde(serialize_with = "crate::types::ser_hex")]
    pub data: Vec<u8>,
}

const HARDWARE: u8 = 0x01;
const ACPI: u8 = 0x02;
const MESSAGING: u8 = 0x03;
const MEDIA: u8 = 0x04;
const BBS: u8 = 0x05;
const END: u8 = 0x7f;

fn type_name(t: u8) -> &'static str {
    match t {
        HARDWARE => "hardware",
        ACPI => "acpi",
        MESSAGING => "messaging",
        MEDIA => "media",
        BBS => "bbs",
        END => "end",
        _ => "unknown",
    }
}

/// Walks the device path in `bytes` (which starts at `base` in the log).
pub fn parse(bytes: &[u8], base: usize, event: Option<usize>) -> DevicePath {
    let mut r = Reader::at(bytes, base, event);
    let mut dp = DevicePath::default();
    let mut parts: Vec<String> = Vec::new();
    while !r.is_empty() {
        let at = r.offset();
        let node = (|| {
            let node_type = r.u8("device path node type")?;
            let subtype = r.u8("device path node sub-type")?;
            let len = r.u16("device path node length")?;
            if len < 4 {
                return Err(ParseError {
                    offset: at,
                    event,
                    kind: ErrorKind::Invalid("device path node length below 4"),
                });
            }
            let data = r.take(u64::from(len) - 4, "device path node data")?;
            Ok((node_type, subtype, data))
        })();
        let (node_type, subtype, data) = match node {
            Ok(n) => n,
            Err(e) => {
                dp.error = Some(e);
                break;
            }
        };
        let text = node_text(node_type, subtype, data);
        match (node_type, subtype) {
            (END, 0xff) => {}
            (END, 0x01) => parts.push(",".into()),
            _ => {
                if parts.last().is_some_and(|p| p != ",") {
                    parts.push("/".into());
                }
                parts.push(text.clone());
            }
        }
        dp.nodes.push(Node {
            node_type,
            subtype,
            type_name: type_name(node_type),
            text,
            data: data.to_vec(),
        });
        if (node_type, subtype) == (END, 0xff) {
            break;
        }
    }
    dp.text = parts.concat();
    dp
}

fn le_u16(d: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_le_bytes(d.get(o..o + 2)?.try_into().ok()?))
}
fn le_u32(d: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_le_bytes(d.get(o..o + 4)?.try_into().ok()?))
}
fn le_u64(d: &[u8], o: usize) -> Option<u64> {
    Some(u64::from_le_bytes(d.get(o..o + 8)?.try_into().ok()?))
}
fn guid_at(d: &[u8], o: usize) -> Option<Guid> {
    Guid::from_slice(d.get(o..)?)
}

/// EISA PNP id text of an ACPI _HID (UEFI 2.10 §10.3.3: compressed "PNP" + 16-bit id).
fn eisa(hid: u32) -> String {
    if hid & 0xffff == 0x41d0 {
        format!("PNP{:04X}", hid >> 16)
    } else {
        format!("0x{hid:08x}")
    }
}

/// The text form of one node (UEFI 2.10 §10.6.1.x); `Path(...)` for nodes not covered.
fn node_text(t: u8, s: u8, d: &[u8]) -> String {
    known_node_text(t, s, d).unwrap_or_else(|| format!("Path({t},{s},{})", hex(d)))
}

fn vendor(prefix: &str, d: &[u8]) -> Option<String> {
    let g = guid_at(d, 0)?;
    Some(if d.len() > 16 {
        format!("{prefix}({g},{})", hex(&d[16..]))
    } else {
        format!("{prefix}({g})")
    })
}

fn known_node_text(t: u8, s: u8, d: &[u8]) -> Option<String> {
    Some(match (t, s) {
        (HARDWARE, 0x01) if d.len() == 2 => format!("Pci(0x{:x},0x{:x})", d[1], d[0]),
        (HARDWARE, 0x02) if d.len() == 1 => format!("PcCard(0x{:x})", d[0]),
        (HARDWARE, 0x03) if d.len() == 20 => format!(
            "MemoryMapped(0x{:x},0x{:x},0x{:x})",
            le_u32(d, 0)?,
            le_u64(d, 4)?,
            le_u64(d, 12)?
        ),
        (HARDWARE, 0x04) => vendor("VenHw", d)?,
        (HARDWARE, 0x05) if d.len() == 4 => format!("Ctrl(0x{:x})", le_u32(d, 0)?),
        (ACPI, 0x01) if d.len() == 8 => {
            let (hid, uid) = (le_u32(d, 0)?, le_u32(d, 4)?);
            match eisa(hid).as_str() {
                "PNP0A03" => format!("PciRoot(0x{uid:x})"),
                "PNP0A08" => format!("PcieRoot(0x{uid:x})"),
                h => format!("Acpi({h},0x{uid:x})"),
            }
        }
        (ACPI, 0x03) if d.len() >= 4 => format!("AcpiAdr(0x{:x})", le_u32(d, 0)?),
        (MESSAGING, 0x01) if d.len() == 4 => format!(
            "Ata({},{},0x{:x})",
            if d[0] == 0 { "Primary" } else { "Secondary" },
            if d[1] == 0 { "Master" } else { "Slave" },
            le_u16(d, 2)?
        ),
        (MESSAGING, 0x02) if d.len() == 4 => {
            format!("Scsi(0x{:x},0x{:x})", le_u16(d, 0)?, le_u16(d, 2)?)
        }
        (MESSAGING, 0x05) if d.len() == 2 => format!("USB(0x{:x},0x{:x})", d[0], d[1]),
        (MESSAGING, 0x0a) => vendor("VenMsg", d)?,
        (MESSAGING, 0x0b) if d.len() == 33 => {
            let n = if d[32] <= 1 { 6 } else { 32 };
            format!("MAC({},0x{:x})", hex(&d[..n]), d[32])
        }
        (MESSAGING, 0x0c) if d.len() >= 12 => format!("IPv4({}.{}.{}.{})", d[4], d[5], d[6], d[7]),
        (MESSAGING, 0x0d) if d.len() >= 32 => {
            let a: Vec<String> = d[16..32]
                .chunks_exact(2)
                .map(|c| format!("{:x}", u16::from_be_bytes([c[0], c[1]])))
                .collect();
            format!("IPv6({})", a.join(":"))
        }
        (MESSAGING, 0x12) if d.len() == 6 => format!(
            "Sata(0x{:x},0x{:x},0x{:x})",
            le_u16(d, 0)?,
            le_u16(d, 2)?,
            le_u16(d, 4)?
        ),
        (MESSAGING, 0x17) if d.len() == 12 => {
            let eui: Vec<String> = d[4..12].iter().map(|b| format!("{b:02X}")).collect();
            format!("NVMe(0x{:x},{})", le_u32(d, 0)?, eui.join("-"))
        }
        (MESSAGING, 0x18) => format!("Uri({})", String::from_utf8_lossy(d)),
        (MESSAGING, 0x1d) if d.len() == 1 => format!("eMMC(0x{:x})", d[0]),
        (MESSAGING, 0x1a) if d.len() == 1 => format!("SD(0x{:x})", d[0]),
        (MEDIA, 0x01) if d.len() == 38 => {
            let (n, start, size) = (le_u32(d, 0)?, le_u64(d, 4)?, le_u64(d, 12)?);
            match d[37] {
                1 => format!(
                    "HD({n},MBR,0x{:08x},0x{start:x},0x{size:x})",
                    le_u32(d, 20)?
                ),
                2 => format!("HD({n},GPT,{},0x{start:x},0x{size:x})", guid_at(d, 20)?),
                k => format!("HD({n},{k},0,0x{start:x},0x{size:x})"),
            }
        }
        (MEDIA, 0x02) if d.len() == 20 => format!(
            "CDROM(0x{:x},0x{:x},0x{:x})",
            le_u32(d, 0)?,
            le_u64(d, 4)?,
            le_u64(d, 12)?
        ),
        (MEDIA, 0x03) => vendor("VenMedia", d)?,
        (MEDIA, 0x04) => utf16_lossy(d),
        (MEDIA, 0x05) if d.len() == 16 => format!("Media({})", guid_at(d, 0)?),
        (MEDIA, 0x06) if d.len() == 16 => format!("FvFile({})", guid_at(d, 0)?),
        (MEDIA, 0x07) if d.len() == 16 => format!("Fv({})", guid_at(d, 0)?),
        (MEDIA, 0x08) if d.len() == 20 => {
            format!("Offset(0x{:x},0x{:x})", le_u64(d, 4)?, le_u64(d, 12)?)
        }
        (BBS, 0x01) if d.len() >= 4 => format!(
            "BBS(0x{:x},{},0x{:x})",
            le_u16(d, 0)?,
            String::from_utf8_lossy(&d[4..]).trim_end_matches('\0'),
            le_u16(d, 2)?
        ),
        (END, 0xff) => "End".into(),
        (END, 0x01) => "EndInstance".into(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn pci_root_hd_and_file_path() {
        // From event-sd-boot-fedora37.bin, Boot0001's file path list.
        let dp = parse(
            &unhex(
                "04012a0001000000000800000000000000001000000000003c64b93c086ce54f852d17e1ae\
                 7011580202040446005c004500460049005c00730079007300740065006d0064005c0073007900\
                 7300740065006d0064002d0062006f006f0074007800360034002e0065006600690000007fff0400",
            ),
            0,
            None,
        );
        assert_eq!(dp.error, None);
        assert_eq!(
            dp.text,
            "HD(1,GPT,3cb9643c-6c08-4fe5-852d-17e1ae701158,0x800,0x100000)/\
             \\EFI\\systemd\\systemd-bootx64.efi"
        );
        assert_eq!(dp.nodes.len(), 3);
        assert_eq!(dp.nodes[2].type_name, "end");
    }

    #[test]
    fn acpi_pci_and_fv_file() {
        let dp = parse(
            &unhex("02010c00d041030a0000000001010600000204061400c9bdb87cebf8344faaea3ee4af6516a17fff0400"),
            100,
            None,
        );
        assert_eq!(
            dp.text,
            "PciRoot(0x0)/Pci(0x2,0x0)/FvFile(7cb8bdc9-f8eb-4f34-aaea-3ee4af6516a1)"
        );
    }

    #[test]
    fn malformed_nodes_stop_the_walk_with_an_offset() {
        let dp = parse(&unhex("0101020000"), 40, Some(3));
        let e = dp.error.unwrap();
        assert_eq!(e.offset, 40);
        assert_eq!(e.event, Some(3));
        let dp = parse(&unhex("01010600aa"), 0, None);
        assert!(matches!(
            dp.error.unwrap().kind,
            ErrorKind::Truncated { .. }
        ));
        // Unknown node types are kept.
        let dp = parse(&unhex("99070500ab7fff0400"), 0, None);
        assert_eq!(dp.text, "Path(153,7,ab)");
    }
}
