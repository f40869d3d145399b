//! Event types (TCG PC Client Platform Firmware Profile, §10.4.1), hash algorithm ids (TCG
//! Algorithm Registry) and EFI GUIDs.

use std::fmt;
use tpm2_types::{constants::alg, HashAlg};

/// Event type values (PC Client PFP §10.4.1, Table 9 and the EFI table that follows it).
pub mod ev {
    pub const PREBOOT_CERT: u32 = 0x0000_0000;
    pub const POST_CODE: u32 = 0x0000_0001;
    pub const UNUSED: u32 = 0x0000_0002;
    pub const NO_ACTION: u32 = 0x0000_0003;
    pub const SEPARATOR: u32 = 0x0000_0004;
    pub const ACTION: u32 = 0x0000_0005;
    pub const EVENT_TAG: u32 = 0x0000_0006;
    pub const S_CRTM_CONTENTS: u32 = 0x0000_0007;
    pub const S_CRTM_VERSION: u32 = 0x0000_0008;
    pub const CPU_MICROCODE: u32 = 0x0000_0009;
    pub const PLATFORM_CONFIG_FLAGS: u32 = 0x0000_000A;
    pub const TABLE_OF_DEVICES: u32 = 0x0000_000B;
    pub const COMPACT_HASH: u32 = 0x0000_000C;
    pub const IPL: u32 = 0x0000_000D;
    pub const IPL_PARTITION_DATA: u32 = 0x0000_000E;
    pub const NONHOST_CODE: u32 = 0x0000_000F;
    pub const NONHOST_CONFIG: u32 = 0x0000_0010;
    pub const NONHOST_INFO: u32 = 0x0000_0011;
    pub const OMIT_BOOT_DEVICE_EVENTS: u32 = 0x0000_0012;
    pub const POST_CODE2: u32 = 0x0000_0013;
    pub const EFI_EVENT_BASE: u32 = 0x8000_0000;
    pub const EFI_VARIABLE_DRIVER_CONFIG: u32 = 0x8000_0001;
    pub const EFI_VARIABLE_BOOT: u32 = 0x8000_0002;
    pub const EFI_BOOT_SERVICES_APPLICATION: u32 = 0x8000_0003;
    pub const EFI_BOOT_SERVICES_DRIVER: u32 = 0x8000_0004;
    pub const EFI_RUNTIME_SERVICES_DRIVER: u32 = 0x8000_0005;
    pub const EFI_GPT_EVENT: u32 = 0x8000_0006;
    pub const EFI_ACTION: u32 = 0x8000_0007;
    pub const EFI_PLATFORM_FIRMWARE_BLOB: u32 = 0x8000_0008;
    pub const EFI_HANDOFF_TABLES: u32 = 0x8000_0009;
    pub const EFI_PLATFORM_FIRMWARE_BLOB2: u32 = 0x8000_000A;
    pub const EFI_HANDOFF_TABLES2: u32 = 0x8000_000B;
    pub const EFI_VARIABLE_BOOT2: u32 = 0x8000_000C;
    pub const EFI_GPT_EVENT2: u32 = 0x8000_000D;
    pub const EFI_HCRTM_EVENT: u32 = 0x8000_0010;
    pub const EFI_VARIABLE_AUTHORITY: u32 = 0x8000_00E0;
    pub const EFI_SPDM_FIRMWARE_BLOB: u32 = 0x8000_00E1;
    pub const EFI_SPDM_FIRMWARE_CONFIG: u32 = 0x8000_00E2;
    pub const EFI_SPDM_DEVICE_POLICY: u32 = 0x8000_00E3;
    pub const EFI_SPDM_DEVICE_AUTHORITY: u32 = 0x8000_00E4;
}

/// The spec's name of an event type, `None` for values no spec we know defines.
pub fn event_type_name(t: u32) -> Option<&'static str> {
    use ev::*;
    Some(match t {
        PREBOOT_CERT => "EV_PREBOOT_CERT",
        POST_CODE => "EV_POST_CODE",
        UNUSED => "EV_UNUSED",
        NO_ACTION => "EV_NO_ACTION",
        SEPARATOR => "EV_SEPARATOR",
        ACTION => "EV_ACTION",
        EVENT_TAG => "EV_EVENT_TAG",
        S_CRTM_CONTENTS => "EV_S_CRTM_CONTENTS",
        S_CRTM_VERSION => "EV_S_CRTM_VERSION",
        CPU_MICROCODE => "EV_CPU_MICROCODE",
        PLATFORM_CONFIG_FLAGS => "EV_PLATFORM_CONFIG_FLAGS",
        TABLE_OF_DEVICES => "EV_TABLE_OF_DEVICES",
        COMPACT_HASH => "EV_COMPACT_HASH",
        IPL => "EV_IPL",
        IPL_PARTITION_DATA => "EV_IPL_PARTITION_DATA",
        NONHOST_CODE => "EV_NONHOST_CODE",
        NONHOST_CONFIG => "EV_NONHOST_CONFIG",
        NONHOST_INFO => "EV_NONHOST_INFO",
        OMIT_BOOT_DEVICE_EVENTS => "EV_OMIT_BOOT_DEVICE_EVENTS",
        POST_CODE2 => "EV_POST_CODE2",
        EFI_EVENT_BASE => "EV_EFI_EVENT_BASE",
        EFI_VARIABLE_DRIVER_CONFIG => "EV_EFI_VARIABLE_DRIVER_CONFIG",
        EFI_VARIABLE_BOOT => "EV_EFI_VARIABLE_BOOT",
        EFI_BOOT_SERVICES_APPLICATION => "EV_EFI_BOOT_SERVICES_APPLICATION",
        EFI_BOOT_SERVICES_DRIVER => "EV_EFI_BOOT_SERVICES_DRIVER",
        EFI_RUNTIME_SERVICES_DRIVER => "EV_EFI_RUNTIME_SERVICES_DRIVER",
        EFI_GPT_EVENT => "EV_EFI_GPT_EVENT",
        EFI_ACTION => "EV_EFI_ACTION",
        EFI_PLATFORM_FIRMWARE_BLOB => "EV_EFI_PLATFORM_FIRMWARE_BLOB",
        EFI_HANDOFF_TABLES => "EV_EFI_HANDOFF_TABLES",
        EFI_PLATFORM_FIRMWARE_BLOB2 => "EV_EFI_PLATFORM_FIRMWARE_BLOB2",
        EFI_HANDOFF_TABLES2 => "EV_EFI_HANDOFF_TABLES2",
        EFI_VARIABLE_BOOT2 => "EV_EFI_VARIABLE_BOOT2",
        EFI_GPT_EVENT2 => "EV_EFI_GPT_EVENT2",
        EFI_HCRTM_EVENT => "EV_EFI_HCRTM_EVENT",
        EFI_VARIABLE_AUTHORITY => "EV_EFI_VARIABLE_AUTHORITY",
        EFI_SPDM_FIRMWARE_BLOB => "EV_EFI_SPDM_FIRMWARE_BLOB",
        EFI_SPDM_FIRMWARE_CONFIG => "EV_EFI_SPDM_FIRMWARE_CONFIG",
        EFI_SPDM_DEVICE_POLICY => "EV_EFI_SPDM_DEVICE_POLICY",
        EFI_SPDM_DEVICE_AUTHORITY => "EV_EFI_SPDM_DEVICE_AUTHORITY",
        _ => return None,
    })
}

/// The lower-case name tpm2-tools gives a hash algorithm (`sha256`, `sm3_256`, ...).
pub fn alg_name(id: u16) -> Option<&'static str> {
    Some(match id {
        alg::SHA1 => "sha1",
        alg::SHA256 => "sha256",
        alg::SHA384 => "sha384",
        alg::SHA512 => "sha512",
        alg::SM3_256 => "sm3_256",
        alg::SHA3_256 => "sha3_256",
        alg::SHA3_384 => "sha3_384",
        alg::SHA3_512 => "sha3_512",
        _ => return None,
    })
}

/// The digest size of a hash algorithm we know, whether or not we can compute it.
pub fn known_digest_size(id: u16) -> Option<u16> {
    Some(match id {
        alg::SHA1 => 20,
        alg::SHA256 | alg::SM3_256 | alg::SHA3_256 => 32,
        alg::SHA384 | alg::SHA3_384 => 48,
        alg::SHA512 | alg::SHA3_512 => 64,
        _ => return None,
    })
}

/// The algorithms this crate can hash (and so replay).
pub fn hash_alg(id: u16) -> Option<HashAlg> {
    HashAlg::from_id(id)
}

/// An EFI_GUID as stored: Data1 (u32 LE), Data2 (u16 LE), Data3 (u16 LE), Data4 (8 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Guid(pub [u8; 16]);

impl Guid {
    pub fn from_slice(b: &[u8]) -> Option<Guid> {
        <[u8; 16]>::try_from(b.get(..16)?).ok().map(Guid)
    }
}

impl fmt::Display for Guid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.0;
        let d1 = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let d2 = u16::from_le_bytes([b[4], b[5]]);
        let d3 = u16::from_le_bytes([b[6], b[7]]);
        write!(
            f,
            "{d1:08x}-{d2:04x}-{d3:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
            b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]
        )
    }
}

impl serde::Serialize for Guid {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    push_hex(&mut s, bytes);
    s
}

/// Appends the lower-case hex of `bytes` to `out`.
pub fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    out.reserve(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
}

/// Serializes a byte buffer as a lower-case hex string.
pub(crate) fn ser_hex<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guid_text_form_is_mixed_endian() {
        // EFI_GLOBAL_VARIABLE as it appears in a log.
        let raw = [
            0x61, 0xdf, 0xe4, 0x8b, 0xca, 0x93, 0xd2, 0x11, 0xaa, 0x0d, 0x00, 0xe0, 0x98, 0x03,
            0x2b, 0x8c,
        ];
        assert_eq!(
            Guid(raw).to_string(),
            "8be4df61-93ca-11d2-aa0d-00e098032b8c"
        );
        assert!(Guid::from_slice(&raw[..15]).is_none());
    }

    #[test]
    fn names() {
        assert_eq!(event_type_name(ev::EFI_ACTION), Some("EV_EFI_ACTION"));
        assert_eq!(event_type_name(0x1234_5678), None);
        assert_eq!(alg_name(alg::SHA384), Some("sha384"));
        assert_eq!(known_digest_size(alg::SM3_256), Some(32));
        assert_eq!(known_digest_size(0x7777), None);
        assert_eq!(hex(&[0, 0xab, 0x1f]), "00ab1f");
    }
}
