//! Arbitrary TPM and platform strings never make issuance panic: they are either encoded
//! (and read back unchanged) or refused with an error.

mod common;

use ferrotpm_localca::*;
use proptest::prelude::*;
use x509_cert::der::Decode;
use x509_cert::Certificate;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_info_never_panics(
        manufacturer in any::<String>(),
        model in "\\PC{0,300}",
        version in any::<String>(),
        spec_family in "\\PC{0,300}",
        spec_level in any::<u32>(),
        spec_revision in any::<u32>(),
        p in proptest::collection::vec(".{0,260}", 3),
    ) {
        thread_local! {
            static CA: std::cell::RefCell<(tempfile::TempDir, LocalCa, EkPublic)> = {
                let dir = tempfile::tempdir().unwrap();
                let ca = LocalCa::open_or_create(dir.path()).unwrap();
                let ek = common::ek_from_spki(&common::p256_spki());
                std::cell::RefCell::new((dir, ca, ek))
            };
        }
        let tpm = TpmInfo { manufacturer, model, version, spec_family, spec_level, spec_revision };
        let platform = PlatformInfo {
            manufacturer: p[0].clone(),
            model: p[1].clone(),
            version: p[2].clone(),
        };
        CA.with(|c| {
            let (_, ca, ek) = &mut *c.borrow_mut();
            if let Ok(der) = ca.issue_ek_cert(ek, &tpm) {
                let cert = Certificate::from_der(&der).unwrap();
                let san = common::san_attributes(&cert);
                assert_eq!(san[0].2, tpm.manufacturer);
                assert_eq!(san[1].2, tpm.model);
                assert_eq!(san[2].2, tpm.version);
            } else {
                let long = |s: &String| s.is_empty() || s.len() > 255;
                assert!(long(&tpm.manufacturer) || long(&tpm.model) || long(&tpm.version)
                    || long(&tpm.spec_family));
            }
            if let Ok(der) = ca.issue_platform_cert(ek, &platform) {
                Certificate::from_der(&der).unwrap();
            }
        });
    }
}
