//! The CA: its files, its keys, its serial counter, issuance.

use std::fs::DirBuilder;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use der::pem::LineEnding;
use der::{DecodePem, Encode, EncodePem};
use p384::ecdsa::{signature::Verifier, DerSignature, SigningKey, VerifyingKey};
use p384::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use spki::{EncodePublicKey, SubjectPublicKeyInfoOwned};
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_cert::Certificate;
use zeroize::Zeroize;

use crate::cert::{
    cn_name, never_expires, EkPublic, EkUsage, Kind, PlatformInfo, Profile, TpmInfo,
};
use crate::files::{exists, io_err, read_text, write_atomic, DirLock};
use crate::CaError;

/// The root CA's private key (PKCS#8 PEM, mode 0600).
pub const ROOT_KEY_FILE: &str = "ferrotpm-localca-rootca-key.pem";
/// The root CA's self-signed certificate (PEM).
pub const ROOT_CERT_FILE: &str = "ferrotpm-localca-rootca-cert.pem";
/// The issuing CA's private key (PKCS#8 PEM, mode 0600).
pub const ISSUER_KEY_FILE: &str = "ferrotpm-localca-key.pem";
/// The issuing CA's certificate, signed by the root (PEM).
pub const ISSUER_CERT_FILE: &str = "ferrotpm-localca-cert.pem";
/// The last serial number issued, in decimal.
pub const SERIAL_FILE: &str = "ferrotpm-localca-serial";

const ROOT_CN: &str = "ferrotpm-localca-rootca";
const ISSUER_CN: &str = "ferrotpm-localca";

/// A local CA kept in a directory: a self-signed root, an issuing CA under it, and a
/// serial counter. The directory is `flock`ed while the value lives, so concurrent
/// `ferrotpm setup` runs sharing a CA never hand out the same serial.
pub struct LocalCa {
    dir: PathBuf,
    root_cert: Certificate,
    issuer_cert: Certificate,
    signer: SigningKey,
    last_serial: u64,
    validity_days: Option<u32>,
    subject_cn: Option<String>,
    _lock: DirLock,
}

impl std::fmt::Debug for LocalCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalCa")
            .field("dir", &self.dir)
            .field("last_serial", &self.last_serial)
            .finish_non_exhaustive()
    }
}

fn build_err(e: impl std::fmt::Display) -> CaError {
    CaError::Build(e.to_string())
}

fn generate_key() -> Result<SigningKey, CaError> {
    loop {
        let mut bytes = [0u8; 48];
        getrandom::getrandom(&mut bytes).map_err(|e| CaError::Entropy(e.to_string()))?;
        let key = SigningKey::from_slice(&bytes);
        bytes.zeroize();
        if let Ok(key) = key {
            return Ok(key);
        }
    }
}

/// A random positive 16-byte serial for the CA certificates (as swtpm's are random).
fn random_serial() -> Result<SerialNumber, CaError> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|e| CaError::Entropy(e.to_string()))?;
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    SerialNumber::new(&bytes).map_err(build_err)
}

fn spki_of(key: &SigningKey) -> Result<SubjectPublicKeyInfoOwned, CaError> {
    let der = key.verifying_key().to_public_key_der().map_err(build_err)?;
    SubjectPublicKeyInfoOwned::try_from(der.as_bytes()).map_err(build_err)
}

fn validity(days: Option<u32>) -> Result<Validity, CaError> {
    let now = SystemTime::now();
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(build_err)?
        .as_secs();
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(secs);
    let not_before = Time::try_from(now).map_err(build_err)?;
    let not_after = match days {
        None => never_expires()?,
        Some(d) => {
            Time::try_from(now + Duration::from_secs(u64::from(d) * 86_400)).map_err(build_err)?
        }
    };
    Ok(Validity::new(not_before, not_after))
}

fn sign(
    profile: Profile,
    serial: SerialNumber,
    validity: Validity,
    spki: SubjectPublicKeyInfoOwned,
    signer: &SigningKey,
) -> Result<Certificate, CaError> {
    let builder = CertificateBuilder::new(profile, serial, validity, spki).map_err(build_err)?;
    builder.build::<_, DerSignature>(signer).map_err(build_err)
}

fn cert_pem(cert: &Certificate) -> String {
    // Encoding a certificate we built or parsed cannot fail.
    cert.to_pem(LineEnding::LF).unwrap_or_default()
}

fn damaged(path: &Path, reason: impl std::fmt::Display) -> CaError {
    CaError::Damaged {
        path: path.to_path_buf(),
        reason: reason.to_string(),
    }
}

fn read_key(path: &Path) -> Result<SigningKey, CaError> {
    let mut text = read_text(path)?;
    let key = SigningKey::from_pkcs8_pem(&text)
        .map_err(|e| damaged(path, format!("not a PKCS#8 P-384 private key: {e}")));
    text.zeroize();
    key
}

fn read_cert(path: &Path) -> Result<Certificate, CaError> {
    let text = read_text(path)?;
    Certificate::from_pem(text.as_bytes())
        .map_err(|e| damaged(path, format!("not a PEM X.509 certificate: {e}")))
}

/// Checks that `cert` carries `key`'s public key and is signed by `by`.
fn check_cert(
    path: &Path,
    cert: &Certificate,
    key: &SigningKey,
    by: &VerifyingKey,
) -> Result<(), CaError> {
    if cert.tbs_certificate().subject_public_key_info() != &spki_of(key)? {
        return Err(damaged(path, "its public key does not match the key file"));
    }
    let tbs = cert.tbs_certificate().to_der().map_err(build_err)?;
    let sig = cert
        .signature()
        .as_bytes()
        .and_then(|b| DerSignature::from_bytes(b).ok())
        .ok_or_else(|| damaged(path, "unparsable signature"))?;
    by.verify(&tbs, &sig)
        .map_err(|_| damaged(path, "signature does not verify"))
}

impl LocalCa {
    /// Opens the CA kept in `dir`, or creates it there (creating `dir`, mode 0700, too)
    /// when none of its files exist. A file that is unreadable, damaged or inconsistent
    /// with the others is an error naming it; a partial CA is an error naming the first
    /// missing file. Nothing existing is ever overwritten, except the serial counter.
    ///
    /// Blocks while another `LocalCa` on the same directory is open (in this or another
    /// process): drop one before opening the CA again.
    pub fn open_or_create(dir: &Path) -> Result<LocalCa, CaError> {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(io_err(dir))?;
        let lock = DirLock::acquire(dir)?;
        let files = [
            ROOT_KEY_FILE,
            ROOT_CERT_FILE,
            ISSUER_KEY_FILE,
            ISSUER_CERT_FILE,
            SERIAL_FILE,
        ]
        .map(|f| dir.join(f));
        let present = files.iter().filter(|p| exists(p)).count();
        if present == 0 {
            return Self::create(dir, lock);
        }
        if let Some(missing) = files.iter().find(|p| !exists(p)) {
            return Err(CaError::Incomplete {
                path: missing.clone(),
            });
        }
        let [root_key_path, root_cert_path, issuer_key_path, issuer_cert_path, serial_path] = files;
        let root_key = read_key(&root_key_path)?;
        let root_cert = read_cert(&root_cert_path)?;
        let signer = read_key(&issuer_key_path)?;
        let issuer_cert = read_cert(&issuer_cert_path)?;
        check_cert(
            &root_cert_path,
            &root_cert,
            &root_key,
            root_key.verifying_key(),
        )?;
        check_cert(
            &issuer_cert_path,
            &issuer_cert,
            &signer,
            root_key.verifying_key(),
        )?;
        if issuer_cert.tbs_certificate().issuer() != root_cert.tbs_certificate().subject() {
            return Err(damaged(
                &issuer_cert_path,
                "its issuer is not the root certificate's subject",
            ));
        }
        let text = read_text(&serial_path)?;
        let trimmed = text.strip_suffix('\n').unwrap_or(&text);
        let last_serial = if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            trimmed.parse::<u64>().ok()
        } else {
            None
        }
        .ok_or_else(|| damaged(&serial_path, "not a decimal serial number"))?;
        Ok(LocalCa {
            dir: dir.to_path_buf(),
            root_cert,
            issuer_cert,
            signer,
            last_serial,
            validity_days: None,
            subject_cn: None,
            _lock: lock,
        })
    }

    fn create(dir: &Path, lock: DirLock) -> Result<LocalCa, CaError> {
        let root_key = generate_key()?;
        let root_name = cn_name(ROOT_CN)?;
        let root_cert = sign(
            Profile {
                subject: root_name.clone(),
                issuer: root_name.clone(),
                kind: Kind::Root,
            },
            random_serial()?,
            validity(None)?,
            spki_of(&root_key)?,
            &root_key,
        )?;
        let signer = generate_key()?;
        let issuer_cert = sign(
            Profile {
                subject: cn_name(ISSUER_CN)?,
                issuer: root_name,
                kind: Kind::Intermediate,
            },
            random_serial()?,
            validity(None)?,
            spki_of(&signer)?,
            &root_key,
        )?;
        for (file, key) in [(ROOT_KEY_FILE, &root_key), (ISSUER_KEY_FILE, &signer)] {
            let pem = key.to_pkcs8_pem(LineEnding::LF).map_err(build_err)?;
            write_atomic(&dir.join(file), pem.as_bytes(), 0o600)?;
        }
        write_atomic(
            &dir.join(ROOT_CERT_FILE),
            cert_pem(&root_cert).as_bytes(),
            0o644,
        )?;
        write_atomic(
            &dir.join(ISSUER_CERT_FILE),
            cert_pem(&issuer_cert).as_bytes(),
            0o644,
        )?;
        // As swtpm_localca's certserial, the counter starts at 1: the first certificate
        // issued has serial 2.
        write_atomic(&dir.join(SERIAL_FILE), b"1\n", 0o644)?;
        Ok(LocalCa {
            dir: dir.to_path_buf(),
            root_cert,
            issuer_cert,
            signer,
            last_serial: 1,
            validity_days: None,
            subject_cn: None,
            _lock: lock,
        })
    }

    /// The CA directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The root certificate's file (for `openssl verify -CAfile`).
    pub fn root_cert_path(&self) -> PathBuf {
        self.dir.join(ROOT_CERT_FILE)
    }

    /// The issuing certificate's file (for `openssl verify -untrusted`).
    pub fn issuer_cert_path(&self) -> PathBuf {
        self.dir.join(ISSUER_CERT_FILE)
    }

    /// The root certificate, PEM.
    pub fn root_cert_pem(&self) -> String {
        cert_pem(&self.root_cert)
    }

    /// The issuing certificate (the issuer of EK and platform certificates), PEM.
    pub fn issuer_cert_pem(&self) -> String {
        cert_pem(&self.issuer_cert)
    }

    /// The chain from the issuer up: issuing certificate then root, PEM.
    pub fn chain_pem(&self) -> String {
        self.issuer_cert_pem() + &self.root_cert_pem()
    }

    /// The last serial number issued (1 before the first certificate, as swtpm_localca).
    pub fn last_serial(&self) -> u64 {
        self.last_serial
    }

    /// How long certificates issued from now on are valid: `None` (the default, swtpm's
    /// `days = -1`) means notAfter `99991231235959Z`.
    pub fn set_validity_days(&mut self, days: Option<u32>) {
        self.validity_days = days;
    }

    /// The subject common name of certificates issued from now on: `None` (the default)
    /// is `CN=unknown`; swtpm_setup passes its `--vmid` here (`swtpm_cert --subject`).
    /// A name PrintableString can carry is written as one, others as UTF8String.
    pub fn set_subject_cn(&mut self, cn: Option<&str>) {
        self.subject_cn = cn.map(str::to_string);
    }

    /// Takes the next serial number, persisting the counter before it is used.
    fn next_serial(&mut self) -> Result<SerialNumber, CaError> {
        let path = self.dir.join(SERIAL_FILE);
        let next = self
            .last_serial
            .checked_add(1)
            .ok_or_else(|| CaError::SerialExhausted { path: path.clone() })?;
        write_atomic(&path, format!("{next}\n").as_bytes(), 0o644)?;
        self.last_serial = next;
        Ok(SerialNumber::from(next))
    }

    fn issue(
        &mut self,
        mut profile: Profile,
        spki: SubjectPublicKeyInfoOwned,
    ) -> Result<Vec<u8>, CaError> {
        if let Some(cn) = &self.subject_cn {
            profile.subject = crate::cert::subject_cn_name(cn)?;
        }
        let validity = validity(self.validity_days)?;
        let serial = self.next_serial()?;
        let cert = sign(profile, serial, validity, spki, &self.signer)?;
        cert.to_der().map_err(build_err)
    }

    fn issuer_name(&self) -> Name {
        self.issuer_cert.tbs_certificate().subject().clone()
    }

    /// Issues an EK certificate (DER) for a decryption EK `ek` on the TPM `tpm`, with the
    /// fields and extensions listed in the crate documentation.
    pub fn issue_ek_cert(&mut self, ek: &EkPublic, tpm: &TpmInfo) -> Result<Vec<u8>, CaError> {
        self.issue_ek_cert_with_usage(ek, tpm, EkUsage::default())
    }

    /// [`issue_ek_cert`](Self::issue_ek_cert) for an EK created with the given usage
    /// (`swtpm_setup --allow-signing [--decryption]`).
    pub fn issue_ek_cert_with_usage(
        &mut self,
        ek: &EkPublic,
        tpm: &TpmInfo,
        usage: EkUsage,
    ) -> Result<Vec<u8>, CaError> {
        let spki = ek.to_spki()?;
        let profile = Profile::ek(self.issuer_name(), ek, tpm, usage)?;
        self.issue(profile, spki)
    }

    /// Issues a platform certificate (DER) as `swtpm_cert --type platform` does: an X.509
    /// certificate for the (decryption) EK `ek` naming the platform.
    pub fn issue_platform_cert(
        &mut self,
        ek: &EkPublic,
        platform: &PlatformInfo,
    ) -> Result<Vec<u8>, CaError> {
        self.issue_platform_cert_with_usage(ek, platform, EkUsage::default())
    }

    /// [`issue_platform_cert`](Self::issue_platform_cert) for an EK with the given usage.
    pub fn issue_platform_cert_with_usage(
        &mut self,
        ek: &EkPublic,
        platform: &PlatformInfo,
        usage: EkUsage,
    ) -> Result<Vec<u8>, CaError> {
        let spki = ek.to_spki()?;
        let profile = Profile::platform(self.issuer_name(), ek, platform, usage)?;
        self.issue(profile, spki)
    }
}
