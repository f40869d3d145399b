//! Decoding of event data into readable fields (TCG PC Client PFP §10.4 and the UEFI
//! structures it names). Decoding is separate from parsing: a log whose events do not decode
//! still parses, and such an event decodes to [`EventData::Malformed`] with the offset of the
//! field that failed. Unknown event types decode to [`EventData::Raw`].

pub mod devpath;
pub mod text;
pub mod uefi;

use crate::error::ParseError;
use crate::parse::{Encoding, Event, SpecId, SPEC_ID_EVENT03};
use crate::reader::Reader;
use crate::replay::STARTUP_LOCALITY;
use crate::types::{ev, Guid};
use serde::Serialize;
pub use text::decode_text;
pub use uefi::{
    GptData, GptPartition, ImageLoad, LoadOption, SignatureData, SignatureList, UefiVariable,
    VariableValue,
};

/// The "Spec ID Event00" signature of TCG 1.2-style logs (PC Client Implementation Spec
/// for Conventional BIOS §11.3.4.1).
pub const SPEC_ID_EVENT00: &[u8; 16] = b"Spec ID Event00\0";

/// An event's data, decoded by its type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventData {
    /// No event data.
    Empty,
    /// The crypto-agile Spec ID event.
    SpecId(SpecId),
    /// TCG_PCClientSpecIDEventStruct ("Spec ID Event00") of a 1.2-style log.
    SpecIdLegacy {
        platform_class: u32,
        spec_version_minor: u8,
        spec_version_major: u8,
        spec_errata: u8,
        uintn_size: u8,
        #[serde(serialize_with = "crate::types::ser_hex")]
        vendor_info: Vec<u8>,
    },
    /// The locality TPM2_Startup ran at (PFP §10.4.5.3).
    StartupLocality { locality: u8 },
    /// Any other EV_NO_ACTION event: its 16-byte signature and the vendor data after it.
    NoAction {
        signature: String,
        #[serde(serialize_with = "crate::types::ser_hex")]
        data: Vec<u8>,
    },
    /// A string (EV_ACTION, EV_EFI_ACTION, EV_IPL, EV_POST_CODE, H-CRTM, ...).
    Text { text: String },
    /// EV_SEPARATOR: 0 normally, 1 (or 0xFFFFFFFF in older logs) for an error (PFP §10.4.4).
    Separator { value: u32, error: bool },
    /// UEFI_PLATFORM_FIRMWARE_BLOB (PFP §10.2.3).
    FirmwareBlob { base: u64, length: u64 },
    /// UEFI_PLATFORM_FIRMWARE_BLOB2 (PFP §10.2.4).
    FirmwareBlob2 {
        description: String,
        base: u64,
        length: u64,
    },
    /// EV_S_CRTM_VERSION as a UTF-16 string (PFP §10.4.1).
    CrtmVersion { version: String },
    /// EV_S_CRTM_VERSION as a GUID.
    CrtmVersionGuid { guid: Guid },
    /// UEFI_VARIABLE_DATA (PFP §10.2.6).
    UefiVariable(UefiVariable),
    /// UEFI_IMAGE_LOAD_EVENT (PFP §10.2.5).
    ImageLoad(ImageLoad),
    /// UEFI_GPT_DATA (PFP §10.2.7).
    Gpt(GptData),
    /// UEFI_HANDOFF_TABLE_POINTERS(2) (PFP §10.2.8, §10.2.9).
    HandoffTables {
        description: Option<String>,
        tables: Vec<ConfigurationTable>,
    },
    /// TCG_PCClientTaggedEvent (PFP §10.4.2).
    EventTag {
        id: u32,
        #[serde(serialize_with = "crate::types::ser_hex")]
        data: Vec<u8>,
        text: Option<String>,
    },
    /// An event type without a decoder: the data is the event's raw bytes.
    Raw,
    /// The data does not have the structure its type calls for.
    Malformed { error: ParseError },
}

/// EFI_CONFIGURATION_TABLE: a vendor GUID and the table's address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConfigurationTable {
    pub vendor_guid: Guid,
    pub address: u64,
}

impl Event {
    /// Offset of the event data in the log.
    pub fn data_offset(&self) -> usize {
        match self.encoding {
            Encoding::PcrEvent => self.offset + 32,
            Encoding::PcrEvent2 => {
                self.offset
                    + 16
                    + self
                        .digests
                        .iter()
                        .map(|d| 2 + d.bytes.len())
                        .sum::<usize>()
            }
        }
    }

    /// A reader over the event data, reporting absolute offsets.
    pub(crate) fn data_reader(&self) -> Reader<'_> {
        Reader::at(&self.data, self.data_offset(), Some(self.number))
    }

    /// Decodes the event data by the event type.
    pub fn decode(&self) -> EventData {
        if self.data.is_empty() {
            return EventData::Empty;
        }
        match decode(self) {
            Ok(d) => d,
            Err(error) => EventData::Malformed { error },
        }
    }
}

fn decode(e: &Event) -> Result<EventData, ParseError> {
    let d = &e.data;
    let mut r = e.data_reader();
    Ok(match e.event_type {
        ev::NO_ACTION => no_action(e, &mut r)?,
        ev::SEPARATOR if d.len() == 4 => {
            let value = r.u32("separator")?;
            EventData::Separator {
                value,
                error: value != 0,
            }
        }
        ev::POST_CODE | ev::S_CRTM_CONTENTS if d.len() == 16 => blob(&mut r)?,
        ev::EFI_PLATFORM_FIRMWARE_BLOB => blob(&mut r)?,
        ev::POST_CODE2 | ev::EFI_PLATFORM_FIRMWARE_BLOB2 => blob2(&mut r)?,
        ev::S_CRTM_VERSION => crtm_version(d),
        ev::ACTION
        | ev::EFI_ACTION
        | ev::POST_CODE
        | ev::IPL
        | ev::EFI_HCRTM_EVENT
        | ev::COMPACT_HASH
        | ev::OMIT_BOOT_DEVICE_EVENTS => EventData::Text {
            text: decode_text(d),
        },
        ev::EVENT_TAG => {
            let id = r.u32("taggedEventID")?;
            let size = r.u32("taggedEventDataSize")?;
            let data = r.take(u64::from(size), "taggedEventData")?.to_vec();
            end(&r)?;
            let text = text::printable(&data);
            EventData::EventTag { id, data, text }
        }
        ev::EFI_VARIABLE_DRIVER_CONFIG
        | ev::EFI_VARIABLE_BOOT
        | ev::EFI_VARIABLE_BOOT2
        | ev::EFI_VARIABLE_AUTHORITY => EventData::UefiVariable(uefi::variable(e, &mut r)?),
        ev::EFI_BOOT_SERVICES_APPLICATION
        | ev::EFI_BOOT_SERVICES_DRIVER
        | ev::EFI_RUNTIME_SERVICES_DRIVER => EventData::ImageLoad(uefi::image_load(&mut r)?),
        ev::EFI_GPT_EVENT | ev::EFI_GPT_EVENT2 => EventData::Gpt(uefi::gpt(&mut r)?),
        ev::EFI_HANDOFF_TABLES => handoff(&mut r, false)?,
        ev::EFI_HANDOFF_TABLES2 => handoff(&mut r, true)?,
        // Linux Secure Launch's DRTM events describe what they measured in text.
        crate::drtm::txt::SLAUNCH => EventData::Text {
            text: decode_text(d),
        },
        _ => EventData::Raw,
    })
}

/// Fails unless the reader consumed all the event data.
pub(crate) fn end(r: &Reader<'_>) -> Result<(), ParseError> {
    if r.is_empty() {
        Ok(())
    } else {
        Err(r.error(crate::error::ErrorKind::Trailing {
            bytes: r.remaining() as u64,
        }))
    }
}

fn no_action(e: &Event, r: &mut Reader<'_>) -> Result<EventData, ParseError> {
    let d = &e.data;
    if d.starts_with(SPEC_ID_EVENT03) {
        return Ok(EventData::SpecId(SpecId::parse(
            d,
            e.data_offset(),
            Some(e.number),
        )?));
    }
    if d.len() < 16 {
        return Ok(EventData::Raw);
    }
    let sig = r.array::<16>("signature")?;
    if &sig == STARTUP_LOCALITY {
        let locality = r.u8("StartupLocality")?;
        end(r)?;
        return Ok(EventData::StartupLocality { locality });
    }
    if &sig == SPEC_ID_EVENT00 {
        let platform_class = r.u32("platformClass")?;
        let spec_version_minor = r.u8("specVersionMinor")?;
        let spec_version_major = r.u8("specVersionMajor")?;
        let spec_errata = r.u8("specErrata")?;
        let uintn_size = r.u8("uintnSize")?;
        let n = r.u8("vendorInfoSize")?;
        let vendor_info = r.take(u64::from(n), "vendorInfo")?.to_vec();
        end(r)?;
        return Ok(EventData::SpecIdLegacy {
            platform_class,
            spec_version_minor,
            spec_version_major,
            spec_errata,
            uintn_size,
            vendor_info,
        });
    }
    let signature = String::from_utf8_lossy(&sig)
        .trim_end_matches('\0')
        .to_string();
    Ok(EventData::NoAction {
        signature,
        data: r.rest().to_vec(),
    })
}

fn blob(r: &mut Reader<'_>) -> Result<EventData, ParseError> {
    let base = r.u64("BlobBase")?;
    let length = r.u64("BlobLength")?;
    end(r)?;
    Ok(EventData::FirmwareBlob { base, length })
}

fn blob2(r: &mut Reader<'_>) -> Result<EventData, ParseError> {
    let n = r.u8("BlobDescriptionSize")?;
    let description = decode_text(r.take(u64::from(n), "BlobDescription")?);
    let base = r.u64("BlobBase")?;
    let length = r.u64("BlobLength")?;
    end(r)?;
    Ok(EventData::FirmwareBlob2 {
        description,
        base,
        length,
    })
}

/// EV_S_CRTM_VERSION is a NUL-terminated UTF-16 string or, on some platforms, a GUID.
fn crtm_version(d: &[u8]) -> EventData {
    if let Some(version) = text::utf16_nul_terminated(d) {
        return EventData::CrtmVersion { version };
    }
    match Guid::from_slice(d) {
        Some(guid) if d.len() == 16 => EventData::CrtmVersionGuid { guid },
        _ => EventData::Text {
            text: decode_text(d),
        },
    }
}

fn handoff(r: &mut Reader<'_>, described: bool) -> Result<EventData, ParseError> {
    let description = if described {
        let n = r.u8("TableDescriptionSize")?;
        Some(decode_text(r.take(u64::from(n), "TableDescription")?))
    } else {
        None
    };
    let count = r.u64("NumberOfTables")?;
    let bytes = r.take(count.saturating_mul(24), "TableEntry")?;
    let tables = bytes
        .chunks_exact(24)
        .map(|c| ConfigurationTable {
            vendor_guid: Guid::from_slice(c).unwrap_or(Guid([0; 16])),
            address: u64::from_le_bytes(<[u8; 8]>::try_from(&c[16..24]).unwrap_or_default()),
        })
        .collect();
    end(r)?;
    Ok(EventData::HandoffTables {
        description,
        tables,
    })
}
