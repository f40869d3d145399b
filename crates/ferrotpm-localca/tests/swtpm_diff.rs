//! Differential check against the real swtpm tools: EK certificates made by
//! `swtpm_setup --create-ek-cert` (through `swtpm_localca`/`swtpm_cert`) and a platform
//! certificate made by `swtpm_localca --type platform`, compared field by field with
//! ours for the same keys and TPM/platform values. The tools are installed by
//! scripts/install-deps.sh; the test fails, never skips, without them.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use der::asn1::Utf8StringRef;
use der::{Decode, Encode, Sequence};
use ferrotpm_localca::*;
use x509_cert::ext::pkix::SubjectDirectoryAttributes;
use x509_cert::time::Time;
use x509_cert::Certificate;

fn tool(name: &str) -> PathBuf {
    std::env::var_os("PATH")
        .and_then(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join(name))
                .find(|p| p.is_file())
        })
        .unwrap_or_else(|| panic!("{name} is required by this test (scripts/install-deps.sh)"))
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[derive(Sequence)]
struct TpmSpec<'a> {
    family: Utf8StringRef<'a>,
    level: u32,
    revision: u32,
}

/// The TpmInfo a swtpm EK certificate states.
fn tpm_info_of(cert: &Certificate) -> TpmInfo {
    let san = san_attributes(cert);
    let sda = extension_value(cert, oid::SUBJECT_DIRECTORY_ATTRIBUTES);
    let sda = SubjectDirectoryAttributes::from_der(&sda).unwrap();
    let value = sda.0[0].values.get(0).unwrap().to_der().unwrap();
    let spec = TpmSpec::from_der(&value).unwrap();
    TpmInfo {
        manufacturer: san[0].2.clone(),
        model: san[1].2.clone(),
        version: san[2].2.clone(),
        spec_family: spec.family.as_str().into(),
        spec_level: spec.level,
        spec_revision: spec.revision,
    }
}

fn read_cert(path: &Path) -> (Vec<u8>, Certificate) {
    let der = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let cert = Certificate::from_der(&der).unwrap();
    (der, cert)
}

/// Same structure: everything but the issuer's name and key, the notBefore time and the
/// signature.
fn compare(what: &str, theirs: &Certificate, ours: &Certificate) {
    let (t, o) = (theirs.tbs_certificate(), ours.tbs_certificate());
    assert_eq!(t.version(), o.version(), "{what}: version");
    assert_eq!(t.serial_number(), o.serial_number(), "{what}: serial");
    assert_eq!(
        t.subject().to_der().unwrap(),
        o.subject().to_der().unwrap(),
        "{what}: subject"
    );
    assert_eq!(t.issuer().len(), o.issuer().len(), "{what}: issuer RDNs");
    let attr_shape = |c: &Certificate| {
        c.tbs_certificate()
            .issuer()
            .iter()
            .map(|a| (a.oid, a.value.tag()))
            .collect::<Vec<_>>()
    };
    use der::Tagged;
    assert_eq!(
        attr_shape(theirs),
        attr_shape(ours),
        "{what}: issuer attribute types"
    );
    assert!(
        matches!(t.validity().not_before, Time::UtcTime(_)),
        "{what}"
    );
    assert!(
        matches!(o.validity().not_before, Time::UtcTime(_)),
        "{what}"
    );
    assert_eq!(
        t.validity().not_after,
        o.validity().not_after,
        "{what}: notAfter"
    );
    assert_eq!(spki_der(theirs), spki_der(ours), "{what}: public key");
    assert_eq!(
        extension_list(theirs),
        extension_list(ours),
        "{what}: extensions"
    );
    for (ext_t, ext_o) in t.extensions().unwrap().iter().zip(o.extensions().unwrap()) {
        if ext_t.extn_id == oid::AUTHORITY_KEY_IDENTIFIER {
            // keyIdentifier [0] of 20 bytes, nothing else; the values differ.
            assert_eq!(
                ext_t.extn_value.as_bytes()[..4],
                [0x30, 0x16, 0x80, 0x14],
                "{what}"
            );
            assert_eq!(
                ext_o.extn_value.as_bytes()[..4],
                [0x30, 0x16, 0x80, 0x14],
                "{what}"
            );
        } else {
            assert_eq!(
                ext_t.extn_value, ext_o.extn_value,
                "{what}: {}",
                ext_t.extn_id
            );
        }
    }
    assert_eq!(san_attributes(theirs), san_attributes(ours), "{what}: SAN");
}

#[test]
fn same_structure_as_swtpm_setup_and_swtpm_localca() {
    let localca = tool("swtpm_localca");
    tool("swtpm");
    tool("swtpm_cert");
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let state = d.join("tpm");
    let out = d.join("out");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::create_dir_all(&out).unwrap();
    let ca_dir = d.join("swtpm-localca");
    write(
        &d.join("localca.conf"),
        format!(
            "statedir = {0}\nsigningkey = {0}/signkey.pem\nissuercert = {0}/issuercert.pem\ncertserial = {0}/certserial\n",
            ca_dir.display()
        )
        .as_bytes(),
    );
    let platform = PlatformInfo {
        manufacturer: "ACME".into(),
        model: "QEMU".into(),
        version: "8.2".into(),
    };
    write(
        &d.join("localca.options"),
        format!(
            "--platform-manufacturer {}\n--platform-version {}\n--platform-model {}\n",
            platform.manufacturer, platform.version, platform.model
        )
        .as_bytes(),
    );
    write(
        &d.join("setup.conf"),
        format!(
            "create_certs_tool = {}\ncreate_certs_tool_config = {}\ncreate_certs_tool_options = {}\nactive_pcr_banks = sha256\n",
            localca.display(),
            d.join("localca.conf").display(),
            d.join("localca.options").display()
        )
        .as_bytes(),
    );
    run(Command::new(tool("swtpm_setup"))
        .args([
            "--tpm2",
            "--createek",
            "--ecc",
            "--create-ek-cert",
            "--tpm-state",
        ])
        .arg(&state)
        .arg("--config")
        .arg(d.join("setup.conf"))
        .arg("--write-ek-cert-files")
        .arg(&out));
    let (_, rsa_ref) = read_cert(&out.join("ek-rsa2048.crt"));
    let (_, ecc_ref) = read_cert(&out.join("ek-secp384r1.crt"));

    // The platform certificate for the RSA EK, as swtpm_setup would ask for it.
    let rsa_ek = ek_from_spki(&spki_der(&rsa_ref));
    let EkPublic::Rsa { modulus, .. } = &rsa_ek else {
        panic!()
    };
    let hex: String = modulus.iter().map(|b| format!("{b:02x}")).collect();
    let tpm = tpm_info_of(&rsa_ref);
    run(Command::new(&localca)
        .args(["--type", "platform", "--ek", &hex, "--dir"])
        .arg(&out)
        .args(["--tpm-spec-family", &tpm.spec_family])
        .args(["--tpm-spec-level", &tpm.spec_level.to_string()])
        .args(["--tpm-spec-revision", &tpm.spec_revision.to_string()])
        .args(["--tpm-manufacturer", &tpm.manufacturer])
        .args(["--tpm-model", &tpm.model])
        .args(["--tpm-version", &tpm.version, "--tpm2", "--configfile"])
        .arg(d.join("localca.conf"))
        .arg("--optsfile")
        .arg(d.join("localca.options")));
    let (_, platform_ref) = read_cert(&out.join("platform.cert"));

    // Ours, in the same order (so the serials match too: 2, 3, 4).
    let mut ca = LocalCa::open_or_create(&d.join("ours")).unwrap();
    let rsa_ours = ca.issue_ek_cert(&rsa_ek, &tpm).unwrap();
    let ecc_ek = ek_from_spki(&spki_der(&ecc_ref));
    let ecc_ours = ca.issue_ek_cert(&ecc_ek, &tpm_info_of(&ecc_ref)).unwrap();
    let platform_ours = ca.issue_platform_cert(&rsa_ek, &platform).unwrap();

    compare(
        "RSA EK",
        &rsa_ref,
        &Certificate::from_der(&rsa_ours).unwrap(),
    );
    compare(
        "ECC EK",
        &ecc_ref,
        &Certificate::from_der(&ecc_ours).unwrap(),
    );
    compare(
        "platform",
        &platform_ref,
        &Certificate::from_der(&platform_ours).unwrap(),
    );
    for der in [&rsa_ours, &ecc_ours, &platform_ours] {
        openssl_verify(&ca, der);
    }
}
