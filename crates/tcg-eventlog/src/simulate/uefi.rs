//! Encoders for the UEFI structures a simulated boot logs (PC Client PFP §10.2 and the UEFI
//! specification): UEFI_VARIABLE_DATA, signature lists, EFI_LOAD_OPTION, device paths,
//! UEFI_IMAGE_LOAD_EVENT, UEFI_GPT_DATA and UEFI_PLATFORM_FIRMWARE_BLOB2.

use super::Rng;

/// EFI_GLOBAL_VARIABLE (8be4df61-93ca-11d2-aa0d-00e098032b8c) as stored.
pub const EFI_GLOBAL_VARIABLE: [u8; 16] = guid(
    0x8be4_df61,
    0x93ca,
    0x11d2,
    [0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03, 0x2b, 0x8c],
);
/// EFI_IMAGE_SECURITY_DATABASE_GUID (d719b2cb-3d3a-4596-a3bc-dad00e67656f).
pub const EFI_IMAGE_SECURITY_DATABASE: [u8; 16] = guid(
    0xd719_b2cb,
    0x3d3a,
    0x4596,
    [0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f],
);
/// EFI_CERT_X509_GUID (a5c059a1-94e4-4aa7-87b5-ab155c2bf072).
pub const EFI_CERT_X509: [u8; 16] = guid(
    0xa5c0_59a1,
    0x94e4,
    0x4aa7,
    [0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72],
);
/// EFI_CERT_SHA256_GUID (c1c41626-504c-4092-aca9-41f936934328).
pub const EFI_CERT_SHA256: [u8; 16] = guid(
    0xc1c4_1626,
    0x504c,
    0x4092,
    [0xac, 0xa9, 0x41, 0xf9, 0x36, 0x93, 0x43, 0x28],
);
/// The EFI system partition type (c12a7328-f81f-11d2-ba4b-00a0c93ec93b).
pub const ESP_TYPE: [u8; 16] = guid(
    0xc12a_7328,
    0xf81f,
    0x11d2,
    [0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b],
);
/// Linux filesystem data (0fc63daf-8483-4772-8e79-3d69d8477de4).
pub const LINUX_DATA_TYPE: [u8; 16] = guid(
    0x0fc6_3daf,
    0x8483,
    0x4772,
    [0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4],
);

/// An EFI_GUID in its mixed-endian storage form.
pub const fn guid(d1: u32, d2: u16, d3: u16, d4: [u8; 8]) -> [u8; 16] {
    let a = d1.to_le_bytes();
    let b = d2.to_le_bytes();
    let c = d3.to_le_bytes();
    [
        a[0], a[1], a[2], a[3], b[0], b[1], c[0], c[1], d4[0], d4[1], d4[2], d4[3], d4[4], d4[5],
        d4[6], d4[7],
    ]
}

/// UCS-2 little-endian code units of `s`, without a terminator.
pub fn ucs2(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// UCS-2 of `s` with the terminating NUL.
pub fn ucs2z(s: &str) -> Vec<u8> {
    let mut v = ucs2(s);
    v.extend_from_slice(&[0, 0]);
    v
}

/// UEFI_VARIABLE_DATA (PFP §10.2.6): GUID, name length (characters), data length, name
/// (UCS-2, no terminator), data.
pub fn variable_data(vendor: &[u8; 16], name: &str, data: &[u8]) -> Vec<u8> {
    let n = ucs2(name);
    let mut v = Vec::with_capacity(32 + n.len() + data.len());
    v.extend_from_slice(vendor);
    v.extend_from_slice(&((n.len() / 2) as u64).to_le_bytes());
    v.extend_from_slice(&(data.len() as u64).to_le_bytes());
    v.extend_from_slice(&n);
    v.extend_from_slice(data);
    v
}

/// EFI_SIGNATURE_LIST of `entries` (each EFI_SIGNATURE_DATA: owner GUID + data), all of the
/// same size.
pub fn signature_list(kind: &[u8; 16], owner: &[u8; 16], entries: &[Vec<u8>]) -> Vec<u8> {
    let size = 16 + entries.first().map_or(0, Vec::len);
    let total = 28 + size * entries.len();
    let mut v = Vec::with_capacity(total);
    v.extend_from_slice(kind);
    v.extend_from_slice(&(total as u32).to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v.extend_from_slice(&(size as u32).to_le_bytes());
    for e in entries {
        v.extend_from_slice(owner);
        v.extend_from_slice(e);
    }
    v
}

/// A stand-in X.509 certificate: a DER SEQUENCE header over `len` pseudo-random bytes.
pub fn certificate(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut v = vec![0x30, 0x82];
    v.extend_from_slice(&(len as u16).to_be_bytes());
    v.extend(rng.bytes(len));
    v
}

/// Device path nodes (UEFI §10.3): `PciRoot(0)/Pci(dev,fn)/HD(n,GPT,sig,start,size)/
/// File(path)/End`.
pub fn device_path(
    pci: (u8, u8),
    part: u32,
    start: u64,
    size: u64,
    sig: &[u8; 16],
    file: &str,
) -> Vec<u8> {
    let mut v = Vec::new();
    // ACPI device path, PNP0A03 (PCI root bridge), UID 0.
    v.extend_from_slice(&[0x02, 0x01, 12, 0]);
    v.extend_from_slice(&0x0a03_41d0u32.to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    // PCI: function, device.
    v.extend_from_slice(&[0x01, 0x01, 6, 0, pci.1, pci.0]);
    // Hard drive media path: partition number, start, size, signature, GPT, GUID signature.
    v.extend_from_slice(&[0x04, 0x01, 42, 0]);
    v.extend_from_slice(&part.to_le_bytes());
    v.extend_from_slice(&start.to_le_bytes());
    v.extend_from_slice(&size.to_le_bytes());
    v.extend_from_slice(sig);
    v.extend_from_slice(&[0x02, 0x02]);
    // File path media node.
    let f = ucs2z(file);
    v.extend_from_slice(&[0x04, 0x04]);
    v.extend_from_slice(&((4 + f.len()) as u16).to_le_bytes());
    v.extend_from_slice(&f);
    // End of the entire device path.
    v.extend_from_slice(&[0x7f, 0xff, 4, 0]);
    v
}

/// EFI_LOAD_OPTION (UEFI §3.1.3): attributes (LOAD_OPTION_ACTIVE), the device path's
/// length, the description, the device path.
pub fn load_option(description: &str, path: &[u8]) -> Vec<u8> {
    let mut v = 1u32.to_le_bytes().to_vec();
    v.extend_from_slice(&(path.len() as u16).to_le_bytes());
    v.extend(ucs2z(description));
    v.extend_from_slice(path);
    v
}

/// UEFI_IMAGE_LOAD_EVENT (PFP §10.2.5).
pub fn image_load(location: u64, length: u64, path: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(32 + path.len());
    v.extend_from_slice(&location.to_le_bytes());
    v.extend_from_slice(&length.to_le_bytes());
    v.extend_from_slice(&0u64.to_le_bytes());
    v.extend_from_slice(&(path.len() as u64).to_le_bytes());
    v.extend_from_slice(path);
    v
}

/// UEFI_PLATFORM_FIRMWARE_BLOB2 (PFP §10.2.4): description, base, length.
pub fn firmware_blob2(description: &str, base: u64, length: u64) -> Vec<u8> {
    let mut v = vec![description.len() as u8];
    v.extend_from_slice(description.as_bytes());
    v.extend_from_slice(&base.to_le_bytes());
    v.extend_from_slice(&length.to_le_bytes());
    v
}

/// CRC-32 (IEEE 802.3, reflected), as GPT headers use.
pub fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xffff_ffffu32;
    for b in data {
        c ^= u32::from(*b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xedb8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

/// One GPT partition entry.
pub struct Partition<'a> {
    pub kind: [u8; 16],
    pub unique: [u8; 16],
    pub first: u64,
    pub last: u64,
    pub name: &'a str,
}

/// UEFI_GPT_DATA (PFP §10.2.7): the GPT header of a disk of `lbas` sectors with a
/// 128-entry table, then the used partitions.
pub fn gpt_data(disk: &[u8; 16], lbas: u64, parts: &[Partition<'_>]) -> Vec<u8> {
    let mut entries = Vec::new();
    for p in parts {
        let mut e = Vec::with_capacity(128);
        e.extend_from_slice(&p.kind);
        e.extend_from_slice(&p.unique);
        e.extend_from_slice(&p.first.to_le_bytes());
        e.extend_from_slice(&p.last.to_le_bytes());
        e.extend_from_slice(&0u64.to_le_bytes());
        let mut n = ucs2(p.name);
        n.resize(72, 0);
        e.extend_from_slice(&n);
        entries.extend(e);
    }
    let mut table = entries.clone();
    table.resize(128 * 128, 0);
    let mut h = Vec::with_capacity(92);
    h.extend_from_slice(b"EFI PART");
    h.extend_from_slice(&0x0001_0000u32.to_le_bytes());
    h.extend_from_slice(&92u32.to_le_bytes());
    h.extend_from_slice(&0u32.to_le_bytes()); // CRC, filled below
    h.extend_from_slice(&0u32.to_le_bytes());
    h.extend_from_slice(&1u64.to_le_bytes());
    h.extend_from_slice(&(lbas - 1).to_le_bytes());
    h.extend_from_slice(&34u64.to_le_bytes());
    h.extend_from_slice(&(lbas - 34).to_le_bytes());
    h.extend_from_slice(disk);
    h.extend_from_slice(&2u64.to_le_bytes());
    h.extend_from_slice(&128u32.to_le_bytes());
    h.extend_from_slice(&128u32.to_le_bytes());
    h.extend_from_slice(&crc32(&table).to_le_bytes());
    let crc = crc32(&h);
    h[16..20].copy_from_slice(&crc.to_le_bytes());
    h.extend_from_slice(&(parts.len() as u64).to_le_bytes());
    h.extend(entries);
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_check_value() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    }

    #[test]
    fn guid_storage_form() {
        assert_eq!(
            crate::types::Guid(EFI_GLOBAL_VARIABLE).to_string(),
            "8be4df61-93ca-11d2-aa0d-00e098032b8c"
        );
    }
}
