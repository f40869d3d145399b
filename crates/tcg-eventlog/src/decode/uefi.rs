//! UEFI structures in event data: UEFI_VARIABLE_DATA and the variables PFP §10.4.4/§10.4.6
//! say are measured (Secure Boot databases, boot options, shim's variables),
//! UEFI_IMAGE_LOAD_EVENT and UEFI_GPT_DATA.

use super::devpath::{self, DevicePath};
use super::text::{decode_text, utf16_lossy};
use crate::error::{ErrorKind, ParseError};
use crate::parse::Event;
use crate::reader::Reader;
use crate::types::{ev, Guid};
use serde::Serialize;

/// UEFI_VARIABLE_DATA (PFP §10.2.6).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UefiVariable {
    pub variable_guid: Guid,
    pub name: String,
    #[serde(serialize_with = "crate::types::ser_hex")]
    pub data: Vec<u8>,
    /// The data decoded for the variables whose contents are known.
    pub value: Option<VariableValue>,
}

/// The contents of a known variable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum VariableValue {
    /// A one-byte boolean (SecureBoot, SetupMode, MokListTrusted, ...); an empty value is false.
    Bool { enabled: bool },
    /// EFI_SIGNATURE_LIST entries (PK, KEK, db, dbx, ...; UEFI 2.10 §32.4.1).
    SignatureLists { lists: Vec<SignatureList> },
    /// One EFI_SIGNATURE_DATA: the database entry that authorised an image (PFP §10.4.6.3).
    Signature(SignatureData),
    /// BootOrder: the Boot#### options in order.
    BootOrder { order: Vec<u16> },
    /// A Boot#### EFI_LOAD_OPTION (UEFI 2.10 §3.1.3).
    LoadOption(LoadOption),
    /// A text value (SbatLevel).
    Text { text: String },
    /// The data does not have the structure the variable calls for.
    Malformed { error: ParseError },
}

/// EFI_SIGNATURE_LIST.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignatureList {
    pub signature_type: Guid,
    pub type_name: Option<&'static str>,
    #[serde(serialize_with = "crate::types::ser_hex")]
    pub header: Vec<u8>,
    pub signatures: Vec<SignatureData>,
}

/// EFI_SIGNATURE_DATA.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SignatureData {
    pub owner: Guid,
    #[serde(serialize_with = "crate::types::ser_hex")]
    pub data: Vec<u8>,
}

/// EFI_LOAD_OPTION.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LoadOption {
    pub attributes: u32,
    /// LOAD_OPTION_ACTIVE.
    pub active: bool,
    pub description: String,
    pub file_path: DevicePath,
    #[serde(serialize_with = "crate::types::ser_hex")]
    pub optional_data: Vec<u8>,
}

/// UEFI_IMAGE_LOAD_EVENT (PFP §10.2.5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImageLoad {
    pub image_location_in_memory: u64,
    pub image_length_in_memory: u64,
    pub image_link_time_address: u64,
    pub length_of_device_path: u64,
    pub device_path: DevicePath,
    /// Bytes after `length_of_device_path` (some firmware logs more than it says).
    #[serde(serialize_with = "crate::types::ser_hex")]
    pub trailing: Vec<u8>,
}

/// UEFI_GPT_DATA (PFP §10.2.7): the GPT header and the partitions in use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GptData {
    pub signature: String,
    pub revision: u32,
    pub header_size: u32,
    pub header_crc32: u32,
    pub my_lba: u64,
    pub alternate_lba: u64,
    pub first_usable_lba: u64,
    pub last_usable_lba: u64,
    pub disk_guid: Guid,
    pub partition_entry_lba: u64,
    pub number_of_partition_entries: u32,
    pub size_of_partition_entry: u32,
    pub partition_entry_array_crc32: u32,
    pub partitions: Vec<GptPartition>,
}

/// One UEFI_PARTITION_ENTRY.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GptPartition {
    pub partition_type_guid: Guid,
    pub unique_partition_guid: Guid,
    pub starting_lba: u64,
    pub ending_lba: u64,
    pub attributes: u64,
    pub name: String,
}

/// The GUID of a well-known EFI_SIGNATURE_LIST type (UEFI 2.10 §32.4.1).
pub fn signature_type_name(g: &Guid) -> Option<&'static str> {
    let s = g.to_string();
    Some(match s.as_str() {
        "c1c41626-504c-4092-aca9-41f936934328" => "EFI_CERT_SHA256",
        "a5c059a1-94e4-4aa7-87b5-ab155c2bf072" => "EFI_CERT_X509",
        "3c5766e8-269c-4e34-aa14-ed776e85b3b6" => "EFI_CERT_RSA2048",
        "826ca512-cf10-4ac9-b187-be01496631bd" => "EFI_CERT_SHA1",
        "0b6e5233-a65c-44c9-9407-d9ab83bfc8bd" => "EFI_CERT_SHA224",
        "ff3e5307-9fd0-48c9-85f1-8ad56c701e01" => "EFI_CERT_SHA384",
        "093e0fae-a6c4-4f50-9f1b-d41e2b89c19a" => "EFI_CERT_SHA512",
        "3bd2a492-96c0-4079-b420-fcf98ef103ed" => "EFI_CERT_X509_SHA256",
        "7076876e-80c2-4ee6-aad2-28b349a6865b" => "EFI_CERT_X509_SHA384",
        "446dbf63-2502-4cda-bcfa-2465d2b0fe9d" => "EFI_CERT_X509_SHA512",
        _ => return None,
    })
}

/// Reads UEFI_VARIABLE_DATA: the name and data lengths must fit the event data.
pub(crate) fn variable(e: &Event, r: &mut Reader<'_>) -> Result<UefiVariable, ParseError> {
    let variable_guid = Guid(r.array::<16>("VariableName")?);
    let name_len = r.u64("UnicodeNameLength")?;
    let data_len = r.u64("VariableDataLength")?;
    let name = utf16_lossy(r.take(name_len.saturating_mul(2), "UnicodeName")?);
    let data_at = r.offset();
    let data = r.take(data_len, "VariableData")?;
    // Trailing bytes after the variable data are tolerated (the data is what was measured
    // for EV_EFI_VARIABLE_BOOT2 and some firmware pads).
    let value = variable_value(e.event_type, &name, data, data_at, e.number);
    Ok(UefiVariable {
        variable_guid,
        name,
        data: data.to_vec(),
        value,
    })
}

fn variable_value(
    event_type: u32,
    name: &str,
    data: &[u8],
    at: usize,
    event: usize,
) -> Option<VariableValue> {
    let mut r = Reader::at(data, at, Some(event));
    let result = match (event_type, name) {
        (
            ev::EFI_VARIABLE_DRIVER_CONFIG,
            "SecureBoot" | "SetupMode" | "AuditMode" | "DeployedMode",
        )
        | (ev::EFI_VARIABLE_AUTHORITY, "MokListTrusted") => {
            if data.len() > 1 {
                Err(r.error(ErrorKind::Invalid("boolean variable longer than 1 byte")))
            } else {
                Ok(VariableValue::Bool {
                    enabled: data.first().is_some_and(|&b| b != 0),
                })
            }
        }
        (ev::EFI_VARIABLE_DRIVER_CONFIG, "PK" | "KEK" | "db" | "dbx" | "dbt" | "dbr") => {
            signature_lists(&mut r).map(|lists| VariableValue::SignatureLists { lists })
        }
        (ev::EFI_VARIABLE_AUTHORITY, "SbatLevel") => Ok(VariableValue::Text {
            text: decode_text(data),
        }),
        (ev::EFI_VARIABLE_AUTHORITY, _) if data.len() >= 16 => {
            Ok(VariableValue::Signature(SignatureData {
                owner: Guid(r.array::<16>("SignatureOwner").ok()?),
                data: r.rest().to_vec(),
            }))
        }
        (ev::EFI_VARIABLE_BOOT | ev::EFI_VARIABLE_BOOT2, "BootOrder") => {
            if !data.len().is_multiple_of(2) {
                Err(r.error(ErrorKind::Invalid("BootOrder has an odd length")))
            } else {
                Ok(VariableValue::BootOrder {
                    order: data
                        .chunks_exact(2)
                        .map(|c| u16::from_le_bytes([c[0], c[1]]))
                        .collect(),
                })
            }
        }
        (ev::EFI_VARIABLE_BOOT | ev::EFI_VARIABLE_BOOT2, n) if is_boot_option(n) => {
            load_option(&mut r).map(VariableValue::LoadOption)
        }
        _ => return None,
    };
    Some(result.unwrap_or_else(|error| VariableValue::Malformed { error }))
}

/// `Boot####` with four hex digits.
pub fn is_boot_option(name: &str) -> bool {
    name.len() == 8 && name.starts_with("Boot") && name[4..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// EFI_SIGNATURE_LISTs filling the data (UEFI 2.10 §32.4.1).
pub fn signature_lists(r: &mut Reader<'_>) -> Result<Vec<SignatureList>, ParseError> {
    let mut lists = Vec::new();
    while !r.is_empty() {
        let at = r.offset();
        let signature_type = Guid(r.array::<16>("SignatureType")?);
        let list_size = r.u32("SignatureListSize")?;
        let header_size = r.u32("SignatureHeaderSize")?;
        let sig_size = r.u32("SignatureSize")?;
        let invalid = |why| ParseError {
            offset: at,
            event: r.event,
            kind: ErrorKind::Invalid(why),
        };
        let body = u64::from(list_size)
            .checked_sub(28 + u64::from(header_size))
            .ok_or_else(|| invalid("SignatureListSize smaller than its header"))?;
        if sig_size < 16 {
            return Err(invalid("SignatureSize smaller than the owner GUID"));
        }
        if !body.is_multiple_of(u64::from(sig_size)) {
            return Err(invalid("signatures do not fill the list"));
        }
        let header = r.take(u64::from(header_size), "SignatureHeader")?.to_vec();
        let sigs = r.take(body, "Signatures")?;
        let signatures = sigs
            .chunks_exact(sig_size as usize)
            .map(|s| SignatureData {
                owner: Guid::from_slice(s).unwrap_or(Guid([0; 16])),
                data: s[16..].to_vec(),
            })
            .collect();
        lists.push(SignatureList {
            type_name: signature_type_name(&signature_type),
            signature_type,
            header,
            signatures,
        });
    }
    Ok(lists)
}

/// EFI_LOAD_OPTION (UEFI 2.10 §3.1.3).
pub fn load_option(r: &mut Reader<'_>) -> Result<LoadOption, ParseError> {
    let attributes = r.u32("Attributes")?;
    let fpl_len = r.u16("FilePathListLength")?;
    let mut units = Vec::new();
    loop {
        let u = r.u16("Description")?;
        if u == 0 {
            break;
        }
        units.push(u);
    }
    let description = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    let fp_at = r.offset();
    let fp = r.take(u64::from(fpl_len), "FilePathList")?;
    Ok(LoadOption {
        attributes,
        active: attributes & 1 != 0,
        description,
        file_path: devpath::parse(fp, fp_at, r.event),
        optional_data: r.rest().to_vec(),
    })
}

/// UEFI_IMAGE_LOAD_EVENT (PFP §10.2.5).
pub(crate) fn image_load(r: &mut Reader<'_>) -> Result<ImageLoad, ParseError> {
    let image_location_in_memory = r.u64("ImageLocationInMemory")?;
    let image_length_in_memory = r.u64("ImageLengthInMemory")?;
    let image_link_time_address = r.u64("ImageLinkTimeAddress")?;
    let length_of_device_path = r.u64("LengthOfDevicePath")?;
    let at = r.offset();
    let dp = r.take(length_of_device_path, "DevicePath")?;
    Ok(ImageLoad {
        image_location_in_memory,
        image_length_in_memory,
        image_link_time_address,
        length_of_device_path,
        device_path: devpath::parse(dp, at, r.event),
        trailing: r.rest().to_vec(),
    })
}

/// UEFI_GPT_DATA (PFP §10.2.7); entries are SizeOfPartitionEntry bytes apart, as the
/// firmware copies them from the disk.
pub(crate) fn gpt(r: &mut Reader<'_>) -> Result<GptData, ParseError> {
    let signature = String::from_utf8_lossy(&r.array::<8>("Signature")?)
        .trim_end_matches('\0')
        .to_string();
    let revision = r.u32("Revision")?;
    let header_size = r.u32("HeaderSize")?;
    let header_crc32 = r.u32("HeaderCRC32")?;
    r.u32("Reserved")?;
    let my_lba = r.u64("MyLBA")?;
    let alternate_lba = r.u64("AlternateLBA")?;
    let first_usable_lba = r.u64("FirstUsableLBA")?;
    let last_usable_lba = r.u64("LastUsableLBA")?;
    let disk_guid = Guid(r.array::<16>("DiskGUID")?);
    let partition_entry_lba = r.u64("PartitionEntryLBA")?;
    let number_of_partition_entries = r.u32("NumberOfPartitionEntries")?;
    let size_at = r.offset();
    let size_of_partition_entry = r.u32("SizeOfPartitionEntry")?;
    let partition_entry_array_crc32 = r.u32("PartitionEntryArrayCRC32")?;
    let count = r.u64("NumberOfPartitions")?;
    if size_of_partition_entry < 128 {
        return Err(ParseError {
            offset: size_at,
            event: r.event,
            kind: ErrorKind::Invalid("SizeOfPartitionEntry below 128"),
        });
    }
    let entries = r.take(
        count.saturating_mul(u64::from(size_of_partition_entry)),
        "Partitions",
    )?;
    let partitions = entries
        .chunks_exact(size_of_partition_entry as usize)
        .map(|p| {
            let u64_at = |o: usize| {
                u64::from_le_bytes(<[u8; 8]>::try_from(&p[o..o + 8]).unwrap_or_default())
            };
            GptPartition {
                partition_type_guid: Guid::from_slice(p).unwrap_or(Guid([0; 16])),
                unique_partition_guid: Guid::from_slice(&p[16..]).unwrap_or(Guid([0; 16])),
                starting_lba: u64_at(32),
                ending_lba: u64_at(40),
                attributes: u64_at(48),
                name: utf16_lossy(&p[56..128]),
            }
        })
        .collect();
    super::end(r)?;
    Ok(GptData {
        signature,
        revision,
        header_size,
        header_crc32,
        my_lba,
        alternate_lba,
        first_usable_lba,
        last_usable_lba,
        disk_guid,
        partition_entry_lba,
        number_of_partition_entries,
        size_of_partition_entry,
        partition_entry_array_crc32,
        partitions,
    })
}
