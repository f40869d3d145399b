//! A local certificate authority for `ferrotpm setup`: the pure-Rust counterpart of
//! `swtpm_localca` + `swtpm_cert` (no gnutls, no C).
//!
//! # The CA directory
//!
//! [`LocalCa::open_or_create`] keeps a two-level CA in one directory, as `swtpm_localca`
//! does (its root is "swtpm-localca-rootca", its issuer "swtpm-localca"; both RSA-3072,
//! `sha256WithRSAEncryption`). Ours uses ECDSA P-384 keys and `ecdsa-with-SHA384`:
//!
//! | file | content |
//! |------|---------|
//! | `ferrotpm-localca-rootca-key.pem` | root private key, PKCS#8 PEM, mode 0600 |
//! | `ferrotpm-localca-rootca-cert.pem` | root certificate, self-signed, `CN=ferrotpm-localca-rootca` |
//! | `ferrotpm-localca-key.pem` | issuer (signing) private key, PKCS#8 PEM, mode 0600 |
//! | `ferrotpm-localca-cert.pem` | issuer certificate `CN=ferrotpm-localca`, signed by the root |
//! | `ferrotpm-localca-serial` | the last serial number issued, decimal (`certserial` in swtpm); 1 at creation, so the first certificate has serial 2, as swtpm's |
//! | `.lock` | `flock`ed for as long as a [`LocalCa`] is open |
//!
//! Both CA certificates carry basicConstraints `CA:TRUE` (critical), keyUsage
//! `keyCertSign` (critical) and a subjectKeyIdentifier (SHA-1 of the public key, RFC 5280
//! §4.2.1.2 method 1); the issuer certificate also an authorityKeyIdentifier. They never
//! expire (`99991231235959Z`, RFC 5280 §4.1.2.5), as swtpm's. The names do not collide
//! with a swtpm-localca directory, so both can share one. Every file is written
//! atomically (temporary file, fsync, rename, fsync of the directory). A file that exists
//! but cannot be parsed, or that does not match the others, is an error naming it: it is
//! never replaced. A directory holding only some of the files is an error naming the
//! first missing one.
//!
//! # The EK certificate ([`LocalCa::issue_ek_cert`])
//!
//! As `swtpm_cert --tpm2` writes it (TCG EK Credential Profile for TPM 2.0, version 2.x,
//! §3.2 "Certificate fields" and §3.2.x extensions), checked against certificates read out
//! of a TPM manufactured by Debian's `swtpm_setup`:
//!
//! - version 3; serial: the CA's counter; signature: the issuer's; issuer: the issuer
//!   certificate's subject; validity: now (UTCTime) to `99991231235959Z` unless
//!   [`LocalCa::set_validity_days`] says otherwise.
//! - subject `CN=unknown` (PrintableString), as `swtpm_cert` without `--subject`.
//! - subjectPublicKeyInfo: the EK (`rsaEncryption` with NULL parameters, or
//!   `id-ecPublicKey` with the named curve and an uncompressed point).
//! - extensions, in this order:
//!   1. extKeyUsage (non-critical): `tcg-kp-EKCertificate` 2.23.133.8.1 (§3.2.16);
//!   2. subjectAltName (critical, the subject being "empty" of TPM identity, §3.2.9): one
//!      directoryName with three RDNs, UTF8String values: `tcg-at-tpmManufacturer`
//!      2.23.133.2.1, `tcg-at-tpmModel` 2.23.133.2.2, `tcg-at-tpmVersion` 2.23.133.2.3;
//!   3. basicConstraints (critical): `CA:FALSE` (§3.2.11, an empty SEQUENCE);
//!   4. subjectDirectoryAttributes (non-critical, §3.2.10): `tcg-at-tpmSpecification`
//!      2.23.133.2.16 = SEQUENCE { family UTF8String, level INTEGER, revision INTEGER };
//!   5. authorityKeyIdentifier (non-critical, §3.2.13): keyIdentifier = the issuer's SKI;
//!   6. keyUsage (critical, §3.2.15): `keyEncipherment` for an RSA EK, `keyAgreement` for
//!      an ECC EK, plus `digitalSignature` for an EK that may sign ([`EkUsage`]; a
//!      signing-only EK has `digitalSignature` alone).
//!
//! No subjectKeyIdentifier, no certificatePolicies, no authorityInfoAccess (swtpm writes
//! none).
//!
//! # The platform certificate ([`LocalCa::issue_platform_cert`])
//!
//! `swtpm_cert --type platform` does not write a TCG Platform Attribute Certificate but
//! an X.509 public-key certificate for the EK (the RSA EK when there is one) with:
//!
//! - subject `CN=unknown`, the same issuer, validity and serial counter;
//! - extensions, in this order:
//!   1. subjectAltName (critical): one directoryName with `platformManufacturerStr`
//!      2.23.133.5.1.1, `platformModel` 2.23.133.5.1.4, `platformVersion` 2.23.133.5.1.5
//!      (TCG Platform Certificate Profile, UTF8String values);
//!   2. basicConstraints (critical): `CA:FALSE`;
//!   3. authorityKeyIdentifier (non-critical);
//!   4. keyUsage (critical): as the EK certificate's;
//!   5. extKeyUsage (non-critical): `tcg-kp-PlatformCertificate` 2.23.133.8.2.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod ca;
mod cert;
mod files;

pub use ca::{
    LocalCa, ISSUER_CERT_FILE, ISSUER_KEY_FILE, ROOT_CERT_FILE, ROOT_KEY_FILE, SERIAL_FILE,
};
pub use cert::{oid, Curve, EkPublic, EkUsage, PlatformInfo, TpmInfo};

use std::path::PathBuf;

/// Everything that can go wrong opening a CA or issuing a certificate.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    /// Reading, writing, syncing or locking a file failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file (or directory).
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A CA file exists but is not what it should be (unparsable, or not matching the
    /// other files). It is left as it is.
    #[error("{}: damaged CA file: {reason}", path.display())]
    Damaged {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// Some CA files exist and this one does not: the CA is not recreated over them.
    #[error("{}: missing (the CA directory holds only part of a CA)", path.display())]
    Incomplete {
        /// The missing file.
        path: PathBuf,
    },
    /// The serial counter cannot advance.
    #[error("{}: serial number counter exhausted", path.display())]
    SerialExhausted {
        /// The counter file.
        path: PathBuf,
    },
    /// The EK public key handed in is not a valid key.
    #[error("invalid EK public key: {0}")]
    InvalidKey(String),
    /// A TPM or platform field cannot be encoded.
    #[error("invalid {field}: {reason}")]
    InvalidField {
        /// The field (`tpm manufacturer`, `platform model`, ...).
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The operating system's random source failed.
    #[error("random source: {0}")]
    Entropy(String),
    /// Building or signing a certificate failed.
    #[error("building certificate: {0}")]
    Build(String),
}
