//! Certificates for `ferrotpm setup`: the local CA (ferrotpm-localca) issuing the EK
//! certificates and the platform certificate, with the TPM's identity as swtpm_setup reads
//! it from the TPM (`CMD_GET_INFO` with TPMSpecification and TPMAttributes).

use super::provision::KeyPublic;
use super::{Log, SetupArgs};
use ferrotpm_localca::{Curve, EkPublic, EkUsage, LocalCa, PlatformInfo, TpmInfo};
use std::path::PathBuf;

/// The EKs setup makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ek {
    Rsa2048,
    Rsa3072,
    EccP384,
}

impl Ek {
    /// The name `--write-ek-cert-files` gives the certificate (swtpm_setup's).
    pub fn file_name(self) -> &'static str {
        match self {
            Ek::Rsa2048 => "ek-rsa2048.crt",
            Ek::Rsa3072 => "ek-rsa3072.crt",
            Ek::EccP384 => "ek-secp384r1.crt",
        }
    }
}

pub struct Issuer {
    ca: LocalCa,
    usage: EkUsage,
    /// The RSA EK, which the platform certificate certifies (as swtpm_cert's does).
    platform_key: Option<EkPublic>,
}

/// Where the CA lives unless `--localca-dir` or `$FERROTPM_LOCALCA_DIR` say: root keeps it beside swtpm's
/// (/var/lib), a user under their configuration directory.
fn default_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("FERROTPM_LOCALCA_DIR").filter(|v| !v.is_empty()) {
        return PathBuf::from(d);
    }
    if rustix::process::getuid().is_root() {
        return PathBuf::from("/var/lib/ferrotpm-localca");
    }
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("ferrotpm")
        .join("localca")
}

/// The TPM as the certificates describe it: the values our control channel's GET_INFO
/// reports (ferrotpm-server's `instance.rs`), which swtpm_setup would pass to its
/// certificate tool.
fn tpm_info() -> TpmInfo {
    TpmInfo {
        manufacturer: "id:46455252".into(),
        model: "swtpm".into(),
        version: format!("id:{:08X}", ferrotpm_server::instance::firmware_version()),
        spec_family: "2.0".into(),
        spec_level: 0,
        spec_revision: 159,
    }
}

impl Issuer {
    pub fn open(a: &SetupArgs, log: &mut Log) -> Result<Issuer, String> {
        let dir = a.localca_dir.clone().unwrap_or_else(default_dir);
        let fresh = !dir.join(ferrotpm_localca::ISSUER_CERT_FILE).exists();
        let mut ca = LocalCa::open_or_create(&dir).map_err(|e| e.to_string())?;
        // swtpm_setup names the certificates' subject after the VM (`--vmid`).
        ca.set_subject_cn(a.vmid.as_deref());
        if fresh {
            log.line(&format!(
                "Created the local CA (a root CA and a signing CA) in {}.",
                dir.display()
            ));
        }
        Ok(Issuer {
            ca,
            usage: EkUsage::new(a.allow_signing, a.decryption),
            platform_key: None,
        })
    }

    pub fn ek_cert(&mut self, ek: Ek, key: &KeyPublic) -> Result<Vec<u8>, String> {
        let public = match (ek, key) {
            (Ek::Rsa2048 | Ek::Rsa3072, KeyPublic::Rsa { modulus, exponent }) => EkPublic::Rsa {
                modulus: modulus.clone(),
                exponent: *exponent,
            },
            (Ek::EccP384, KeyPublic::Ecc { x, y }) => EkPublic::Ecc {
                curve: Curve::P384,
                x: x.clone(),
                y: y.clone(),
            },
            _ => return Err("the TPM made a key of another type than asked".into()),
        };
        let cert = self
            .ca
            .issue_ek_cert_with_usage(&public, &tpm_info(), self.usage)
            .map_err(|e| e.to_string())?;
        if ek != Ek::EccP384 || self.platform_key.is_none() {
            self.platform_key = Some(public);
        }
        Ok(cert)
    }

    pub fn platform_cert(&mut self, a: &SetupArgs) -> Result<Vec<u8>, String> {
        let Some(key) = self.platform_key.as_ref() else {
            return Err("a platform certificate needs an EK".into());
        };
        let platform = PlatformInfo {
            manufacturer: a.platform_manufacturer.clone(),
            model: a.platform_model.clone(),
            version: a.platform_version.clone(),
        };
        self.ca
            .issue_platform_cert_with_usage(key, &platform, self.usage)
            .map_err(|e| e.to_string())
    }
}
