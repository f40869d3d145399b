//! One test per decoder, on hand-made event data.

mod common;
use common::*;
use tcg_eventlog::decode::{EventData, VariableValue};
use tcg_eventlog::{ev, ErrorKind, Event};

/// The decoded data of a single event of type `ty` holding `data`.
fn decoded(ty: u32, data: &[u8]) -> EventData {
    let log = LogBuilder::agile(&[(SHA256, 32)])
        .event(7, ty, data)
        .parse();
    log.events[1].decode()
}

fn event(ty: u32, data: &[u8]) -> Event {
    LogBuilder::agile(&[(SHA256, 32)])
        .event(7, ty, data)
        .parse()
        .events[1]
        .clone()
}

fn guid_bytes(s: &str) -> Vec<u8> {
    // Text form back to the mixed-endian layout.
    let h: String = s.chars().filter(|c| *c != '-').collect();
    let b = unhex(&h);
    let mut g = vec![b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6]];
    g.extend_from_slice(&b[8..]);
    g
}

const GLOBAL: &str = "8be4df61-93ca-11d2-aa0d-00e098032b8c";
const X509: &str = "a5c059a1-94e4-4aa7-87b5-ab155c2bf072";

fn variable(guid: &str, name: &str, data: &[u8]) -> Vec<u8> {
    let mut v = guid_bytes(guid);
    v.extend_from_slice(&(name.encode_utf16().count() as u64).to_le_bytes());
    v.extend_from_slice(&(data.len() as u64).to_le_bytes());
    v.extend_from_slice(&utf16(name));
    v.extend_from_slice(data);
    v
}

fn var_value(ty: u32, name: &str, data: &[u8]) -> VariableValue {
    match decoded(ty, &variable(GLOBAL, name, data)) {
        EventData::UefiVariable(v) => {
            assert_eq!(v.name, name);
            assert_eq!(v.variable_guid.to_string(), GLOBAL);
            assert_eq!(v.data, data);
            v.value.expect("a decoded value")
        }
        d => panic!("{d:?}"),
    }
}

#[test]
fn empty_and_unknown_types() {
    assert_eq!(decoded(ev::EFI_ACTION, b""), EventData::Empty);
    assert_eq!(decoded(0x4000_0000, b"\x01\x02"), EventData::Raw);
    assert_eq!(decoded(ev::NONHOST_INFO, b"\x01\x02"), EventData::Raw);
}

#[test]
fn no_action_events() {
    assert_eq!(
        decoded(ev::NO_ACTION, b"StartupLocality\0\x03"),
        EventData::StartupLocality { locality: 3 }
    );
    assert_eq!(
        decoded(ev::NO_ACTION, b"SP800-155 Event\0vendor"),
        EventData::NoAction {
            signature: "SP800-155 Event".into(),
            data: b"vendor".to_vec()
        }
    );
    let mut legacy = b"Spec ID Event00\0".to_vec();
    legacy.extend_from_slice(&[1, 0, 0, 0, 2, 1, 0, 1, 2, 0xaa, 0xbb]);
    assert_eq!(
        decoded(ev::NO_ACTION, &legacy),
        EventData::SpecIdLegacy {
            platform_class: 1,
            spec_version_minor: 2,
            spec_version_major: 1,
            spec_errata: 0,
            uintn_size: 1,
            vendor_info: vec![0xaa, 0xbb]
        }
    );
    // A Spec ID event in the middle of the log decodes too.
    let log = LogBuilder::agile(&[(SHA256, 32)]).parse();
    let spec = log.events[0].data.clone();
    match decoded(ev::NO_ACTION, &spec) {
        EventData::SpecId(s) => assert_eq!(s.algorithms.len(), 1),
        d => panic!("{d:?}"),
    }
    // A StartupLocality with a byte too many is malformed, at the byte after it.
    let e = event(ev::NO_ACTION, b"StartupLocality\0\x03\x00");
    match e.decode() {
        EventData::Malformed { error } => {
            assert_eq!(error.offset, e.data_offset() + 17);
            assert_eq!(error.kind, ErrorKind::Trailing { bytes: 1 });
        }
        d => panic!("{d:?}"),
    }
}

#[test]
fn separators_post_codes_and_crtm() {
    assert_eq!(
        decoded(ev::SEPARATOR, &[0; 4]),
        EventData::Separator {
            value: 0,
            error: false
        }
    );
    assert_eq!(
        decoded(ev::SEPARATOR, &[1, 0, 0, 0]),
        EventData::Separator {
            value: 1,
            error: true
        }
    );
    let mut blob = 0x90_0000u64.to_le_bytes().to_vec();
    blob.extend_from_slice(&0xb0_0000u64.to_le_bytes());
    let want = EventData::FirmwareBlob {
        base: 0x90_0000,
        length: 0xb0_0000,
    };
    assert_eq!(decoded(ev::EFI_PLATFORM_FIRMWARE_BLOB, &blob), want);
    assert_eq!(decoded(ev::POST_CODE, &blob), want);
    assert_eq!(decoded(ev::S_CRTM_CONTENTS, &blob), want);
    assert_eq!(
        decoded(ev::POST_CODE, b"ACPI DATA"),
        EventData::Text {
            text: "ACPI DATA".into()
        }
    );
    let mut blob2 = vec![4];
    blob2.extend_from_slice(b"PEI\0");
    blob2.extend_from_slice(&blob);
    assert_eq!(
        decoded(ev::EFI_PLATFORM_FIRMWARE_BLOB2, &blob2),
        EventData::FirmwareBlob2 {
            description: "PEI".into(),
            base: 0x90_0000,
            length: 0xb0_0000
        }
    );
    assert!(matches!(
        decoded(ev::EFI_PLATFORM_FIRMWARE_BLOB, &blob[..12]),
        EventData::Malformed { .. }
    ));
    assert_eq!(
        decoded(ev::S_CRTM_VERSION, &utf16("1.02\0")),
        EventData::CrtmVersion {
            version: "1.02".into()
        }
    );
    assert_eq!(
        decoded(ev::S_CRTM_VERSION, &[0, 0]),
        EventData::CrtmVersion {
            version: String::new()
        }
    );
    match decoded(
        ev::S_CRTM_VERSION,
        &unhex("1efb6b540c1d5540a4ad4ef4bf17b83a"),
    ) {
        EventData::CrtmVersionGuid { guid } => {
            assert_eq!(guid.to_string(), "546bfb1e-1d0c-4055-a4ad-4ef4bf17b83a")
        }
        d => panic!("{d:?}"),
    }
}

#[test]
fn strings_actions_ipl_hcrtm_and_tags() {
    for ty in [ev::ACTION, ev::EFI_ACTION, ev::COMPACT_HASH] {
        assert_eq!(
            decoded(ty, b"Calling EFI Application from Boot Option"),
            EventData::Text {
                text: "Calling EFI Application from Boot Option".into()
            }
        );
    }
    assert_eq!(
        decoded(ev::IPL, b"grub_cmd: linux /vmlinuz\0"),
        EventData::Text {
            text: "grub_cmd: linux /vmlinuz".into()
        }
    );
    assert_eq!(
        decoded(ev::IPL, &utf16(" console=ttyS0\0")),
        EventData::Text {
            text: " console=ttyS0".into()
        }
    );
    assert_eq!(
        decoded(ev::EFI_HCRTM_EVENT, b"HCRTM"),
        EventData::Text {
            text: "HCRTM".into()
        }
    );
    // sd-boot's initrd tag (event-sd-boot-fedora37.bin event 25).
    assert_eq!(
        decoded(
            ev::EVENT_TAG,
            &unhex("ec223b8f0d0000004c696e757820696e6974726400")
        ),
        EventData::EventTag {
            id: 0x8f3b_22ec,
            data: b"Linux initrd\0".to_vec(),
            text: Some("Linux initrd".into())
        }
    );
    assert!(matches!(
        decoded(ev::EVENT_TAG, &unhex("ec223b8fff000000")),
        EventData::Malformed { .. }
    ));
}

#[test]
fn boolean_variables() {
    assert_eq!(
        var_value(ev::EFI_VARIABLE_DRIVER_CONFIG, "SecureBoot", &[1]),
        VariableValue::Bool { enabled: true }
    );
    assert_eq!(
        var_value(ev::EFI_VARIABLE_DRIVER_CONFIG, "SecureBoot", &[]),
        VariableValue::Bool { enabled: false }
    );
    assert_eq!(
        var_value(ev::EFI_VARIABLE_AUTHORITY, "MokListTrusted", &[0]),
        VariableValue::Bool { enabled: false }
    );
    assert!(matches!(
        var_value(ev::EFI_VARIABLE_DRIVER_CONFIG, "SecureBoot", &[1, 1]),
        VariableValue::Malformed { .. }
    ));
}

fn signature_list(ty: &str, sigs: &[(&str, &[u8])]) -> Vec<u8> {
    let sig_size = 16 + sigs[0].1.len();
    let mut v = guid_bytes(ty);
    v.extend_from_slice(&((28 + sig_size * sigs.len()) as u32).to_le_bytes());
    v.extend_from_slice(&0u32.to_le_bytes());
    v.extend_from_slice(&(sig_size as u32).to_le_bytes());
    for (owner, data) in sigs {
        v.extend_from_slice(&guid_bytes(owner));
        v.extend_from_slice(data);
    }
    v
}

#[test]
fn secure_boot_databases() {
    let owner = "77fa9abd-0359-4d32-bd60-28f4e78f784b";
    let mut db = signature_list(X509, &[(owner, b"cert-one")]);
    db.extend(signature_list(
        "c1c41626-504c-4092-aca9-41f936934328",
        &[(owner, &[1; 32]), (owner, &[2; 32])],
    ));
    match var_value(ev::EFI_VARIABLE_DRIVER_CONFIG, "db", &db) {
        VariableValue::SignatureLists { lists } => {
            assert_eq!(lists.len(), 2);
            assert_eq!(lists[0].type_name, Some("EFI_CERT_X509"));
            assert_eq!(lists[0].signatures[0].owner.to_string(), owner);
            assert_eq!(lists[0].signatures[0].data, b"cert-one");
            assert_eq!(lists[1].type_name, Some("EFI_CERT_SHA256"));
            assert_eq!(lists[1].signatures.len(), 2);
        }
        v => panic!("{v:?}"),
    }
    // A list size that the signatures do not fill.
    let mut bad = signature_list(X509, &[(owner, b"cert")]);
    bad[16] += 1;
    assert!(matches!(
        var_value(ev::EFI_VARIABLE_DRIVER_CONFIG, "KEK", &bad),
        VariableValue::Malformed { .. }
    ));
    // An authority event's EFI_SIGNATURE_DATA.
    let mut sd = guid_bytes(owner);
    sd.extend_from_slice(b"cert");
    match var_value(ev::EFI_VARIABLE_AUTHORITY, "db", &sd) {
        VariableValue::Signature(s) => {
            assert_eq!(s.owner.to_string(), owner);
            assert_eq!(s.data, b"cert");
        }
        v => panic!("{v:?}"),
    }
    assert_eq!(
        var_value(
            ev::EFI_VARIABLE_AUTHORITY,
            "SbatLevel",
            b"sbat,1,2021030218\n"
        ),
        VariableValue::Text {
            text: "sbat,1,2021030218\n".into()
        }
    );
}

#[test]
fn boot_variables() {
    assert_eq!(
        var_value(ev::EFI_VARIABLE_BOOT, "BootOrder", &[1, 0, 2, 0, 0, 0]),
        VariableValue::BootOrder {
            order: vec![1, 2, 0]
        }
    );
    // Boot0002 of event-sd-boot-fedora37.bin: a PCI file path and 16 bytes of optional data.
    let option = unhex(
        "010000001c00550045004600490020004d006900730063002000440065007600690063006500000002010c00\
         d041030a000000000101060003020101060000007fff04004eac0881119f594d850ee21a522c59b2",
    );
    match var_value(ev::EFI_VARIABLE_BOOT2, "Boot0002", &option) {
        VariableValue::LoadOption(o) => {
            assert!(o.active);
            assert_eq!(o.description, "UEFI Misc Device");
            assert_eq!(o.file_path.text, "PciRoot(0x0)/Pci(0x2,0x3)/Pci(0x0,0x0)");
            assert_eq!(o.optional_data, unhex("4eac0881119f594d850ee21a522c59b2"));
        }
        v => panic!("{v:?}"),
    }
    assert!(matches!(
        var_value(ev::EFI_VARIABLE_BOOT, "Boot0002", &option[..20]),
        VariableValue::Malformed { .. }
    ));
}

#[test]
fn variable_lengths_are_checked() {
    let mut v = variable(GLOBAL, "db", b"1234");
    v[24] = 200; // VariableDataLength beyond the event
    let e = event(ev::EFI_VARIABLE_DRIVER_CONFIG, &v);
    match e.decode() {
        EventData::Malformed { error } => {
            assert_eq!(error.offset, e.data_offset() + 32 + 4);
            assert!(matches!(
                error.kind,
                ErrorKind::Truncated { needed: 200, .. }
            ));
        }
        d => panic!("{d:?}"),
    }
}

#[test]
fn image_load_with_device_path() {
    // Modelled on event-uefiservices.bin's driver event.
    let d = unhex(
        "18607d7d00000000c89d020000000000000000000000000034000000000000000201\
         0c00d041030a0000000001010600000201010600000004081800000000000026010000000000ffc30300000000007fff0400",
    );
    match decoded(ev::EFI_BOOT_SERVICES_DRIVER, &d) {
        EventData::ImageLoad(i) => {
            assert_eq!(i.image_location_in_memory, 0x7d7d_6018);
            assert_eq!(i.image_length_in_memory, 171_464);
            assert_eq!(i.length_of_device_path, 52);
            assert_eq!(
                i.device_path.text,
                "PciRoot(0x0)/Pci(0x2,0x0)/Pci(0x0,0x0)/Offset(0x12600,0x3c3ff)"
            );
            assert!(i.trailing.is_empty());
        }
        d => panic!("{d:?}"),
    }
    // A device path length beyond the event.
    let mut bad = d.clone();
    bad[24] = 0xff;
    assert!(matches!(
        decoded(ev::EFI_BOOT_SERVICES_APPLICATION, &bad),
        EventData::Malformed { .. }
    ));
}

#[test]
fn gpt_and_handoff_tables() {
    let mut g = b"EFI PART".to_vec();
    g.extend_from_slice(&0x10000u32.to_le_bytes());
    g.extend_from_slice(&92u32.to_le_bytes());
    g.extend_from_slice(&0xdeadu32.to_le_bytes());
    g.extend_from_slice(&0u32.to_le_bytes());
    for lba in [1u64, 99, 34, 66] {
        g.extend_from_slice(&lba.to_le_bytes());
    }
    g.extend_from_slice(&guid_bytes("3cb9643c-6c08-4fe5-852d-17e1ae701158"));
    g.extend_from_slice(&2u64.to_le_bytes());
    g.extend_from_slice(&128u32.to_le_bytes());
    g.extend_from_slice(&128u32.to_le_bytes());
    g.extend_from_slice(&0xbeefu32.to_le_bytes());
    g.extend_from_slice(&1u64.to_le_bytes());
    g.extend_from_slice(&guid_bytes("c12a7328-f81f-11d2-ba4b-00a0c93ec93b"));
    g.extend_from_slice(&guid_bytes("11111111-2222-3333-4444-555555555555"));
    g.extend_from_slice(&34u64.to_le_bytes());
    g.extend_from_slice(&65u64.to_le_bytes());
    g.extend_from_slice(&0u64.to_le_bytes());
    let mut name = utf16("EFI System");
    name.resize(72, 0);
    g.extend_from_slice(&name);
    match decoded(ev::EFI_GPT_EVENT, &g) {
        EventData::Gpt(gpt) => {
            assert_eq!(gpt.signature, "EFI PART");
            assert_eq!(gpt.last_usable_lba, 66);
            assert_eq!(gpt.partitions.len(), 1);
            assert_eq!(gpt.partitions[0].name, "EFI System");
            assert_eq!(gpt.partitions[0].ending_lba, 65);
        }
        d => panic!("{d:?}"),
    }
    assert!(matches!(
        decoded(ev::EFI_GPT_EVENT, &g[..g.len() - 1]),
        EventData::Malformed { .. }
    ));

    let mut t = 1u64.to_le_bytes().to_vec();
    t.extend_from_slice(&guid_bytes("eb9d2d31-2d88-11d3-9a16-0090273fc14d"));
    t.extend_from_slice(&0x7f00_0000u64.to_le_bytes());
    match decoded(ev::EFI_HANDOFF_TABLES, &t) {
        EventData::HandoffTables {
            description: None,
            tables,
        } => {
            assert_eq!(
                tables[0].vendor_guid.to_string(),
                "eb9d2d31-2d88-11d3-9a16-0090273fc14d"
            );
            assert_eq!(tables[0].address, 0x7f00_0000);
        }
        d => panic!("{d:?}"),
    }
    let mut t2 = vec![6];
    t2.extend_from_slice(b"SMBIOS");
    t2.extend_from_slice(&t);
    assert!(matches!(
        decoded(ev::EFI_HANDOFF_TABLES2, &t2),
        EventData::HandoffTables { description: Some(d), .. } if d == "SMBIOS"
    ));
    // A table count that lies.
    let mut bad = t.clone();
    bad[0] = 9;
    assert!(matches!(
        decoded(ev::EFI_HANDOFF_TABLES, &bad),
        EventData::Malformed { .. }
    ));
}

#[test]
fn json_view_carries_decoded_fields() {
    let bytes = std::fs::read(data_dir().join("tpm2-tools/event-uefivar.bin")).unwrap();
    let log = tcg_eventlog::parse(&bytes).unwrap();
    let v: serde_json::Value =
        serde_json::from_str(&tcg_eventlog::to_json(&log, &Default::default())).unwrap();
    assert_eq!(v["format"], "crypto_agile");
    let e = &v["events"][1];
    assert_eq!(e["event_type_name"], "EV_EFI_VARIABLE_DRIVER_CONFIG");
    assert_eq!(e["digests"][1]["alg_name"], "sha256");
    assert_eq!(e["decoded"]["kind"], "uefi_variable");
    assert_eq!(e["decoded"]["name"], "SecureBoot");
    assert_eq!(e["decoded"]["value"]["enabled"], true);
    assert_eq!(
        v["replay"]["banks"][1]["pcrs"]["7"]["value"],
        "e58ada1ba75f2e4722b539824598ad5e10c55f2e4aeab2033f3b0a8ee3f3eca6"
    );
}
