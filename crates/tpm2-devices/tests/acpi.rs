//! The ACPI TPM2 table bytes and the PPI parameters.

use tpm2_devices::acpi::*;
use tpm2_devices::crb::CrbConfig;

fn u32_at(t: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(t[o..o + 4].try_into().unwrap())
}

fn u64_at(t: &[u8], o: usize) -> u64 {
    u64::from_le_bytes(t[o..o + 8].try_into().unwrap())
}

#[test]
fn crb_table_with_log_area() {
    let ca = CrbConfig::default().control_area_address(0);
    let t = Tpm2Table::crb(ca)
        .with_log_area(DEFAULT_LOG_AREA_MIN_LENGTH, 0x0FFF_0000)
        .to_bytes();
    assert_eq!(t.len(), 76);
    assert_eq!(&t[0..4], b"TPM2");
    assert_eq!(u32_at(&t, 4), 76);
    assert_eq!(t[8], 4);
    assert!(checksum_ok(&t));
    assert_eq!(u16::from_le_bytes([t[36], t[37]]), PLATFORM_CLASS_CLIENT);
    assert_eq!(u64_at(&t, 40), 0xFED4_0040);
    assert_eq!(u32_at(&t, 48), 7);
    assert_eq!(&t[52..64], &[0; 12]);
    assert_eq!(u32_at(&t, 64), 0x10000);
    assert_eq!(u64_at(&t, LASA_OFFSET), 0x0FFF_0000);
    // Patching LASA and recomputing the checksum, as a firmware linker does.
    let mut p = t.clone();
    p[LASA_OFFSET..LASA_OFFSET + 8].copy_from_slice(&0x7FF0_0000u64.to_le_bytes());
    assert!(!checksum_ok(&p));
    p[CHECKSUM_OFFSET] = 0;
    p[CHECKSUM_OFFSET] = checksum(&p);
    assert!(checksum_ok(&p));
}

#[test]
fn tis_table_without_log_area() {
    let t = Tpm2Table::tis().to_bytes();
    assert_eq!(t.len(), 64);
    assert_eq!(u32_at(&t, 4), 64);
    assert_eq!(u64_at(&t, 40), 0);
    assert_eq!(u32_at(&t, 48), START_METHOD_TIS);
    assert!(checksum_ok(&t));
    let mut server = Tpm2Table::tis();
    server.platform_class = PLATFORM_CLASS_SERVER;
    server.oem_id = *b"ABCDEF";
    let s = server.to_bytes();
    assert!(checksum_ok(&s));
    assert_eq!(&s[10..16], b"ABCDEF");
    assert_eq!(s[36], 1);
}

#[test]
fn ppi_parameters() {
    assert_eq!(
        ppi::FwCfgTpmConfig::default().to_bytes(),
        [0x00, 0x50, 0xD4, 0xFE, 2, 1]
    );
    assert_eq!(ppi::MOVV, 0x15A);
    assert!(ppi::NEXT_STEP < ppi::SIZE as usize);
    assert_eq!(ppi::RESERVED + 0x40, ppi::NEXT_STEP);
    assert_eq!(ppi::OVMF_TPM2_OPERATIONS.len(), 10);
}
