//! Issued EK and platform certificates: verified by openssl against the CA chain, with
//! the TCG fields, parsed back, carrying the input key.

mod common;

use common::*;
use ferrotpm_localca::*;
use x509_cert::der::{Decode, Tag, Tagged};
use x509_cert::Certificate;

fn ek_extensions() -> Vec<(String, bool)> {
    [
        ("2.5.29.37", false),
        ("2.5.29.17", true),
        ("2.5.29.19", true),
        ("2.5.29.9", false),
        ("2.5.29.35", false),
        ("2.5.29.15", true),
    ]
    .map(|(o, c)| (o.to_string(), c))
    .to_vec()
}

fn platform_extensions() -> Vec<(String, bool)> {
    [
        ("2.5.29.17", true),
        ("2.5.29.19", true),
        ("2.5.29.35", false),
        ("2.5.29.15", true),
        ("2.5.29.37", false),
    ]
    .map(|(o, c)| (o.to_string(), c))
    .to_vec()
}

fn tpm_info() -> TpmInfo {
    TpmInfo {
        manufacturer: "id:46455252".into(),
        model: "ferrotpm".into(),
        version: "id:20250101".into(),
        spec_family: "2.0".into(),
        spec_level: 0,
        spec_revision: 183,
    }
}

fn check_ek_cert(spki: &[u8], rsa: bool) {
    let tmp = tempfile::tempdir().unwrap();
    let mut ca = LocalCa::open_or_create(tmp.path()).unwrap();
    let ek = ek_from_spki(spki);
    let der = ca.issue_ek_cert(&ek, &tpm_info()).unwrap();
    openssl_verify(&ca, &der);

    let text = openssl_text(&der);
    for needle in [
        "Issuer: CN = ferrotpm-localca\n",
        "Subject: CN = unknown",
        "Not After : Dec 31 23:59:59 9999 GMT",
        "X509v3 Extended Key Usage: \n                2.23.133.8.1",
        "X509v3 Subject Alternative Name: critical\n                DirName:/2.23.133.2.1=id:46455252/2.23.133.2.2=ferrotpm/2.23.133.2.3=id:20250101",
        "X509v3 Basic Constraints: critical\n                CA:FALSE",
        "X509v3 Subject Directory Attributes",
        "X509v3 Authority Key Identifier",
        if rsa {
            "X509v3 Key Usage: critical\n                Key Encipherment"
        } else {
            "X509v3 Key Usage: critical\n                Key Agreement"
        },
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }

    let cert = Certificate::from_der(&der).unwrap();
    assert_eq!(
        spki_der(&cert),
        spki,
        "the certificate carries the input key"
    );
    assert_eq!(extension_list(&cert), ek_extensions());
    assert_eq!(
        san_attributes(&cert),
        vec![
            ("2.23.133.2.1".into(), Tag::Utf8String, "id:46455252".into()),
            ("2.23.133.2.2".into(), Tag::Utf8String, "ferrotpm".into()),
            ("2.23.133.2.3".into(), Tag::Utf8String, "id:20250101".into()),
        ]
    );
    // SEQUENCE { SEQUENCE { 2.23.133.2.16, SET { SEQUENCE { "2.0", 0, 183 } } } }
    assert_eq!(
        extension_value(&cert, oid::SUBJECT_DIRECTORY_ATTRIBUTES),
        [
            0x30, 0x19, 0x30, 0x17, 0x06, 0x05, 0x67, 0x81, 0x05, 0x02, 0x10, 0x31, 0x0e, 0x30,
            0x0c, 0x0c, 0x03, b'2', b'.', b'0', 0x02, 0x01, 0x00, 0x02, 0x02, 0x00, 0xb7
        ]
    );
    // The AKI is the issuer's SKI.
    let issuer = Certificate::from_der(&openssl(
        &["x509", "-outform", "DER"],
        ca.issuer_cert_pem().as_bytes(),
    ))
    .unwrap();
    let ski = extension_value(&issuer, oid::SUBJECT_KEY_IDENTIFIER);
    let aki = extension_value(&cert, oid::AUTHORITY_KEY_IDENTIFIER);
    assert_eq!(aki[4..], ski[2..]);
}

#[test]
fn rsa2048_ek_cert() {
    check_ek_cert(&rsa2048_spki(), true);
}

#[test]
fn p256_ek_cert() {
    check_ek_cert(&p256_spki(), false);
}

#[test]
fn p384_ek_cert() {
    check_ek_cert(&p384_spki(), false);
}

#[test]
fn platform_cert() {
    let tmp = tempfile::tempdir().unwrap();
    let mut ca = LocalCa::open_or_create(tmp.path()).unwrap();
    let spki = rsa2048_spki();
    let der = ca
        .issue_platform_cert(&ek_from_spki(&spki), &platform_info())
        .unwrap();
    openssl_verify(&ca, &der);
    let text = openssl_text(&der);
    for needle in [
        "Subject: CN = unknown",
        "X509v3 Subject Alternative Name: critical\n                DirName:/2.23.133.5.1.1=Fedora/2.23.133.5.1.4=QEMU/2.23.133.5.1.5=2.1",
        "X509v3 Key Usage: critical\n                Key Encipherment",
        "X509v3 Extended Key Usage: \n                2.23.133.8.2",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    let cert = Certificate::from_der(&der).unwrap();
    assert_eq!(spki_der(&cert), spki);
    assert_eq!(extension_list(&cert), platform_extensions());
    assert_eq!(
        san_attributes(&cert),
        vec![
            ("2.23.133.5.1.1".into(), Tag::Utf8String, "Fedora".into()),
            ("2.23.133.5.1.4".into(), Tag::Utf8String, "QEMU".into()),
            ("2.23.133.5.1.5".into(), Tag::Utf8String, "2.1".into()),
        ]
    );
}

#[test]
fn key_usage_follows_ek_usage() {
    let tmp = tempfile::tempdir().unwrap();
    let mut ca = LocalCa::open_or_create(tmp.path()).unwrap();
    let rsa = ek_from_spki(&rsa2048_spki());
    let ecc = ek_from_spki(&p384_spki());
    for (ek, usage, want) in [
        (&rsa, EkUsage::new(true, false), "Digital Signature\n"),
        (
            &rsa,
            EkUsage::new(true, true),
            "Digital Signature, Key Encipherment\n",
        ),
        (
            &ecc,
            EkUsage::new(true, true),
            "Digital Signature, Key Agreement\n",
        ),
        (&ecc, EkUsage::new(false, false), "Key Agreement\n"),
    ] {
        let der = ca.issue_ek_cert_with_usage(ek, &tpm_info(), usage).unwrap();
        let text = openssl_text(&der);
        let want = format!("X509v3 Key Usage: critical\n                {want}");
        assert!(text.contains(&want), "{usage:?}: {text}");
    }
}

#[test]
fn invalid_keys_are_rejected() {
    let tmp = tempfile::tempdir().unwrap();
    let mut ca = LocalCa::open_or_create(tmp.path()).unwrap();
    let bad = [
        EkPublic::Rsa {
            modulus: vec![0; 256],
            exponent: 0,
        },
        EkPublic::Rsa {
            modulus: vec![0xff; 256].into_iter().chain([0xfe]).collect(),
            exponent: 0,
        },
        EkPublic::Rsa {
            modulus: vec![0xff; 256],
            exponent: 2,
        },
        EkPublic::Ecc {
            curve: Curve::P256,
            x: vec![1; 32],
            y: vec![2; 32],
        },
        EkPublic::Ecc {
            curve: Curve::P256,
            x: vec![1; 33],
            y: vec![2; 32],
        },
    ];
    for ek in &bad {
        let err = ca.issue_ek_cert(ek, &tpm_info()).unwrap_err();
        assert!(matches!(err, CaError::InvalidKey(_)), "{ek:?}: {err:?}");
    }
    // No serial was spent on them.
    assert_eq!(ca.last_serial(), 1);
}

#[test]
fn subject_names_the_vm_when_given() {
    let tmp = tempfile::tempdir().unwrap();
    let mut ca = LocalCa::open_or_create(tmp.path()).unwrap();
    let ek = ek_from_spki(&p256_spki());
    let subject_of = |der: &[u8]| {
        let cert = Certificate::from_der(der).unwrap();
        let name = cert.tbs_certificate().subject();
        let atv = name
            .as_ref()
            .iter()
            .next()
            .unwrap()
            .as_ref()
            .iter()
            .next()
            .unwrap()
            .clone();
        (
            atv.value.tag(),
            String::from_utf8(atv.value.value().to_vec()).unwrap(),
        )
    };
    let default = ca.issue_ek_cert(&ek, &tpm_info()).unwrap();
    assert_eq!(
        subject_of(&default),
        (Tag::PrintableString, "unknown".into())
    );
    ca.set_subject_cn(Some("vm1:6a3c6f3e-8a7f-4c9e-9d5e-3f1b2a0c4d11"));
    let named = ca.issue_ek_cert(&ek, &tpm_info()).unwrap();
    assert_eq!(
        subject_of(&named),
        (
            Tag::PrintableString,
            "vm1:6a3c6f3e-8a7f-4c9e-9d5e-3f1b2a0c4d11".into()
        )
    );
    openssl_verify(&ca, &named);
    // Not printable (an underscore): UTF8String.
    ca.set_subject_cn(Some("my_vm"));
    let utf8 = ca.issue_platform_cert(&ek, &platform_info()).unwrap();
    assert_eq!(subject_of(&utf8), (Tag::Utf8String, "my_vm".into()));
    ca.set_subject_cn(Some(""));
    assert!(ca.issue_ek_cert(&ek, &tpm_info()).is_err());
}
