//! The CA directory: creation, reopening, damage, serials.

mod common;

use std::os::unix::fs::PermissionsExt;

use ferrotpm_localca::*;
use x509_cert::der::Decode;
use x509_cert::Certificate;

fn serial_of(der: &[u8]) -> Vec<u8> {
    Certificate::from_der(der)
        .unwrap()
        .tbs_certificate()
        .serial_number()
        .as_bytes()
        .to_vec()
}

fn p256_ek() -> EkPublic {
    common::ek_from_spki(&common::p256_spki())
}

#[test]
fn create_then_reopen_gives_the_same_ca() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("ca");
    let (root, issuer) = {
        let ca = LocalCa::open_or_create(&dir).unwrap();
        assert_eq!(ca.dir(), dir);
        (ca.root_cert_pem(), ca.issuer_cert_pem())
    };
    for f in [ROOT_KEY_FILE, ISSUER_KEY_FILE] {
        let mode = std::fs::metadata(dir.join(f)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{f}");
    }
    let ca = LocalCa::open_or_create(&dir).unwrap();
    assert_eq!(ca.root_cert_pem(), root);
    assert_eq!(ca.issuer_cert_pem(), issuer);
    assert_eq!(ca.chain_pem(), issuer.clone() + &root);
    assert_eq!(std::fs::read_to_string(ca.root_cert_path()).unwrap(), root);
    assert_eq!(
        std::fs::read_to_string(ca.issuer_cert_path()).unwrap(),
        issuer
    );

    // The CA certificates themselves: names, CA:TRUE, chain verifies.
    let root_text = common::openssl(&["x509", "-noout", "-text"], root.as_bytes());
    let root_text = String::from_utf8(root_text).unwrap();
    assert!(
        root_text.contains("Issuer: CN = ferrotpm-localca-rootca"),
        "{root_text}"
    );
    assert!(
        root_text.contains("Subject: CN = ferrotpm-localca-rootca"),
        "{root_text}"
    );
    assert!(root_text.contains("CA:TRUE"), "{root_text}");
    assert!(
        root_text.contains("Not After : Dec 31 23:59:59 9999 GMT"),
        "{root_text}"
    );
    let out = common::openssl(
        &["verify", "-CAfile", ca.root_cert_path().to_str().unwrap()],
        issuer.as_bytes(),
    );
    assert_eq!(String::from_utf8_lossy(&out).trim(), "stdin: OK");
}

#[test]
fn damaged_files_are_errors_naming_them_and_are_kept() {
    for file in [
        ROOT_KEY_FILE,
        ROOT_CERT_FILE,
        ISSUER_KEY_FILE,
        ISSUER_CERT_FILE,
        SERIAL_FILE,
    ] {
        let tmp = tempfile::tempdir().unwrap();
        drop(LocalCa::open_or_create(tmp.path()).unwrap());
        let path = tmp.path().join(file);
        let damaged = b"-----BEGIN GARBAGE-----\nnot base64!\n".to_vec();
        std::fs::write(&path, &damaged).unwrap();
        let err = LocalCa::open_or_create(tmp.path()).unwrap_err();
        assert!(
            matches!(&err, CaError::Damaged { path: p, .. } if *p == path),
            "{file}: {err:?}"
        );
        assert!(err.to_string().contains(file), "{err}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            damaged,
            "{file} was replaced"
        );
    }
}

#[test]
fn a_key_from_another_ca_is_damage() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    drop(LocalCa::open_or_create(a.path()).unwrap());
    drop(LocalCa::open_or_create(b.path()).unwrap());
    std::fs::copy(
        a.path().join(ISSUER_KEY_FILE),
        b.path().join(ISSUER_KEY_FILE),
    )
    .unwrap();
    let err = LocalCa::open_or_create(b.path()).unwrap_err();
    assert!(
        matches!(&err, CaError::Damaged { path, .. } if path.ends_with(ISSUER_CERT_FILE)),
        "{err:?}"
    );
}

#[test]
fn a_partial_ca_is_an_error_naming_the_missing_file() {
    let tmp = tempfile::tempdir().unwrap();
    drop(LocalCa::open_or_create(tmp.path()).unwrap());
    let cert = std::fs::read(tmp.path().join(ROOT_CERT_FILE)).unwrap();
    std::fs::remove_file(tmp.path().join(ROOT_CERT_FILE)).unwrap();
    let err = LocalCa::open_or_create(tmp.path()).unwrap_err();
    assert!(
        matches!(&err, CaError::Incomplete { path } if path.ends_with(ROOT_CERT_FILE)),
        "{err:?}"
    );
    assert!(
        !tmp.path().join(ROOT_CERT_FILE).exists(),
        "nothing recreated"
    );
    std::fs::write(tmp.path().join(ROOT_CERT_FILE), cert).unwrap();
    LocalCa::open_or_create(tmp.path()).unwrap();
}

#[test]
fn serials_increase_and_persist() {
    let tmp = tempfile::tempdir().unwrap();
    let ek = p256_ek();
    let tpm = common::swtpm_tpm_info();
    let mut ca = LocalCa::open_or_create(tmp.path()).unwrap();
    assert_eq!(ca.last_serial(), 1);
    assert_eq!(serial_of(&ca.issue_ek_cert(&ek, &tpm).unwrap()), [2]);
    assert_eq!(
        serial_of(
            &ca.issue_platform_cert(&ek, &common::platform_info())
                .unwrap()
        ),
        [3]
    );
    drop(ca);
    assert_eq!(
        std::fs::read_to_string(tmp.path().join(SERIAL_FILE)).unwrap(),
        "3\n"
    );
    let mut ca = LocalCa::open_or_create(tmp.path()).unwrap();
    assert_eq!(ca.last_serial(), 3);
    assert_eq!(serial_of(&ca.issue_ek_cert(&ek, &tpm).unwrap()), [4]);
    // A serial with the top bit set is encoded positive (a leading zero octet).
    std::fs::write(tmp.path().join(SERIAL_FILE), "127\n").unwrap();
    drop(ca);
    let mut ca = LocalCa::open_or_create(tmp.path()).unwrap();
    assert_eq!(serial_of(&ca.issue_ek_cert(&ek, &tpm).unwrap()), [0, 128]);
    std::fs::write(tmp.path().join(SERIAL_FILE), format!("{}\n", u64::MAX)).unwrap();
    drop(ca);
    let mut ca = LocalCa::open_or_create(tmp.path()).unwrap();
    let err = ca.issue_ek_cert(&ek, &tpm).unwrap_err();
    assert!(matches!(err, CaError::SerialExhausted { .. }), "{err:?}");
}

#[test]
fn validity_days() {
    let tmp = tempfile::tempdir().unwrap();
    let mut ca = LocalCa::open_or_create(tmp.path()).unwrap();
    ca.set_validity_days(Some(365));
    let der = ca
        .issue_ek_cert(&p256_ek(), &common::swtpm_tpm_info())
        .unwrap();
    let cert = Certificate::from_der(&der).unwrap();
    let v = cert.tbs_certificate().validity();
    let span = v.not_after.to_unix_duration() - v.not_before.to_unix_duration();
    assert_eq!(span.as_secs(), 365 * 86_400);
}
