//! Helpers shared by the integration tests: the real `openssl` binary, test keys,
//! certificate parsing.
#![allow(dead_code)]

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use der::asn1::{ObjectIdentifier, UintRef};
use der::{Decode, Encode, Sequence, Tag, Tagged};
use ferrotpm_localca::{Curve, EkPublic, PlatformInfo, TpmInfo};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::Certificate;

/// Runs `openssl` with `args` and `stdin`; panics (never skips) if it is missing or fails.
pub fn openssl(args: &[&str], stdin: &[u8]) -> Vec<u8> {
    let (ok, out, err) = openssl_status(args, stdin);
    assert!(
        ok,
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&err)
    );
    out
}

/// Runs `openssl`; returns (success, stdout, stderr). Panics if it cannot be started.
pub fn openssl_status(args: &[&str], stdin: &[u8]) -> (bool, Vec<u8>, Vec<u8>) {
    let mut child = Command::new("openssl")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the openssl binary is required by these tests (scripts/install-deps.sh)");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.success(), out.stdout, out.stderr)
}

#[derive(Sequence)]
pub struct RsaPublicKey<'a> {
    pub modulus: UintRef<'a>,
    pub public_exponent: UintRef<'a>,
}

/// The EkPublic of an SPKI (RSA or EC on a NIST curve).
pub fn ek_from_spki(spki_der: &[u8]) -> EkPublic {
    let spki = spki::SubjectPublicKeyInfoRef::from_der(spki_der).unwrap();
    let key = spki.subject_public_key.raw_bytes();
    if spki.algorithm.oid == ferrotpm_localca::oid::RSA_ENCRYPTION {
        let k = RsaPublicKey::from_der(key).unwrap();
        let e = k.public_exponent.as_bytes();
        let mut ebuf = [0u8; 4];
        ebuf[4 - e.len()..].copy_from_slice(e);
        EkPublic::Rsa {
            modulus: k.modulus.as_bytes().to_vec(),
            exponent: u32::from_be_bytes(ebuf),
        }
    } else {
        let curve_oid: ObjectIdentifier = spki.algorithm.parameters.unwrap().decode_as().unwrap();
        let curve = [Curve::P256, Curve::P384, Curve::P521]
            .into_iter()
            .find(|c| c.oid() == curve_oid)
            .unwrap();
        let n = curve.coordinate_len();
        assert_eq!(key[0], 4);
        EkPublic::Ecc {
            curve,
            x: key[1..1 + n].to_vec(),
            y: key[1 + n..].to_vec(),
        }
    }
}

/// A fresh RSA-2048 public key from `openssl genrsa`, as SPKI DER.
pub fn rsa2048_spki() -> Vec<u8> {
    let pem = openssl(&["genrsa", "2048"], b"");
    openssl(&["pkey", "-pubout", "-outform", "DER"], &pem)
}

fn random<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::getrandom(&mut b).unwrap();
    b
}

/// A fresh P-256 public key as SPKI DER (from the p256 crate).
pub fn p256_spki() -> Vec<u8> {
    use p256::pkcs8::EncodePublicKey;
    loop {
        if let Ok(sk) = p256::SecretKey::from_slice(&random::<32>()) {
            return sk.public_key().to_public_key_der().unwrap().to_vec();
        }
    }
}

/// A fresh P-384 public key as SPKI DER (from the p384 crate).
pub fn p384_spki() -> Vec<u8> {
    use p384::pkcs8::EncodePublicKey;
    loop {
        if let Ok(sk) = p384::SecretKey::from_slice(&random::<48>()) {
            return sk.public_key().to_public_key_der().unwrap().to_vec();
        }
    }
}

/// swtpm_setup's values for its own TPM (what swtpm_localca gets on its command line).
pub fn swtpm_tpm_info() -> TpmInfo {
    TpmInfo {
        manufacturer: "id:00001014".into(),
        model: "swtpm".into(),
        version: "id:20191023".into(),
        spec_family: "2.0".into(),
        spec_level: 0,
        spec_revision: 164,
    }
}

/// Debian's /etc/swtpm-localca.options values.
pub fn platform_info() -> PlatformInfo {
    PlatformInfo {
        manufacturer: "Fedora".into(),
        model: "QEMU".into(),
        version: "2.1".into(),
    }
}

/// (extension OID, critical) in certificate order.
pub fn extension_list(cert: &Certificate) -> Vec<(String, bool)> {
    cert.tbs_certificate()
        .extensions()
        .unwrap()
        .iter()
        .map(|e| (e.extn_id.to_string(), e.critical))
        .collect()
}

/// The DER value of the extension `oid`.
pub fn extension_value(cert: &Certificate, oid: ObjectIdentifier) -> Vec<u8> {
    cert.tbs_certificate()
        .extensions()
        .unwrap()
        .iter()
        .find(|e| e.extn_id == oid)
        .unwrap_or_else(|| panic!("no extension {oid}"))
        .extn_value
        .as_bytes()
        .to_vec()
}

/// The SAN's directoryName attributes: (OID, tag, value).
pub fn san_attributes(cert: &Certificate) -> Vec<(String, Tag, String)> {
    let der = extension_value(cert, ferrotpm_localca::oid::SUBJECT_ALT_NAME);
    let san = SubjectAltName::from_der(&der).unwrap();
    assert_eq!(san.0.len(), 1, "one GeneralName");
    let GeneralName::DirectoryName(name) = &san.0[0] else {
        panic!("SAN is not a directoryName: {:?}", san.0[0]);
    };
    assert!(
        name.iter_rdn().all(|rdn| rdn.len() == 1),
        "one attribute per RDN"
    );
    name.iter()
        .map(|atv| {
            (
                atv.oid.to_string(),
                atv.value.tag(),
                String::from_utf8(atv.value.value().to_vec()).unwrap(),
            )
        })
        .collect()
}

pub fn spki_der(cert: &Certificate) -> Vec<u8> {
    cert.tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .unwrap()
}

pub fn write(path: &Path, data: &[u8]) {
    std::fs::write(path, data).unwrap();
}

/// `openssl verify -CAfile root -untrusted issuer` on a DER certificate.
pub fn openssl_verify(ca: &ferrotpm_localca::LocalCa, cert_der: &[u8]) {
    let pem = openssl(&["x509", "-inform", "DER"], cert_der);
    let root = ca.root_cert_path();
    let issuer = ca.issuer_cert_path();
    let out = openssl(
        &[
            "verify",
            "-CAfile",
            root.to_str().unwrap(),
            "-untrusted",
            issuer.to_str().unwrap(),
        ],
        &pem,
    );
    assert_eq!(String::from_utf8_lossy(&out).trim(), "stdin: OK");
}

/// `openssl x509 -text` of a DER certificate.
pub fn openssl_text(cert_der: &[u8]) -> String {
    String::from_utf8(openssl(
        &["x509", "-inform", "DER", "-noout", "-text"],
        cert_der,
    ))
    .unwrap()
}
