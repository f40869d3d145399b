//! Certificate contents: the EK public key, the TPM and platform descriptions, the
//! extensions `swtpm_cert` writes, and the builder profile that puts them together.

use der::asn1::{Any, BitString, GeneralizedTime, ObjectIdentifier, OctetString, SetOfVec};
use der::asn1::{PrintableStringRef, UintRef, Utf8StringRef};
use der::{DateTime, Decode, Encode, Sequence};
use sha1::{Digest, Sha1};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned, SubjectPublicKeyInfoRef};
use x509_cert::attr::{Attribute, AttributeTypeAndValue};
use x509_cert::builder::profile::BuilderProfile;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectAltName, SubjectDirectoryAttributes, SubjectKeyIdentifier,
};
use x509_cert::ext::Extension;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};
use x509_cert::time::Time;
use x509_cert::TbsCertificate;

use crate::CaError;

/// The object identifiers the certificates use.
pub mod oid {
    use der::asn1::ObjectIdentifier as Oid;

    /// `tcg-at-tpmManufacturer` (TCG EK Credential Profile §3.1.2).
    pub const TPM_MANUFACTURER: Oid = Oid::new_unwrap("2.23.133.2.1");
    /// `tcg-at-tpmModel`.
    pub const TPM_MODEL: Oid = Oid::new_unwrap("2.23.133.2.2");
    /// `tcg-at-tpmVersion`.
    pub const TPM_VERSION: Oid = Oid::new_unwrap("2.23.133.2.3");
    /// `tcg-at-tpmSpecification`.
    pub const TPM_SPECIFICATION: Oid = Oid::new_unwrap("2.23.133.2.16");
    /// `tcg-at-platformManufacturerStr` (TCG Platform Certificate Profile).
    pub const PLATFORM_MANUFACTURER: Oid = Oid::new_unwrap("2.23.133.5.1.1");
    /// `tcg-at-platformModel`.
    pub const PLATFORM_MODEL: Oid = Oid::new_unwrap("2.23.133.5.1.4");
    /// `tcg-at-platformVersion`.
    pub const PLATFORM_VERSION: Oid = Oid::new_unwrap("2.23.133.5.1.5");
    /// `tcg-kp-EKCertificate`.
    pub const KP_EK_CERTIFICATE: Oid = Oid::new_unwrap("2.23.133.8.1");
    /// `tcg-kp-PlatformCertificate`.
    pub const KP_PLATFORM_CERTIFICATE: Oid = Oid::new_unwrap("2.23.133.8.2");

    /// `id-ce-subjectDirectoryAttributes`.
    pub const SUBJECT_DIRECTORY_ATTRIBUTES: Oid = Oid::new_unwrap("2.5.29.9");
    /// `id-ce-subjectKeyIdentifier`.
    pub const SUBJECT_KEY_IDENTIFIER: Oid = Oid::new_unwrap("2.5.29.14");
    /// `id-ce-keyUsage`.
    pub const KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.15");
    /// `id-ce-subjectAltName`.
    pub const SUBJECT_ALT_NAME: Oid = Oid::new_unwrap("2.5.29.17");
    /// `id-ce-basicConstraints`.
    pub const BASIC_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.19");
    /// `id-ce-authorityKeyIdentifier`.
    pub const AUTHORITY_KEY_IDENTIFIER: Oid = Oid::new_unwrap("2.5.29.35");
    /// `id-ce-extKeyUsage`.
    pub const EXT_KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.37");

    /// `id-at-commonName`.
    pub const COMMON_NAME: Oid = Oid::new_unwrap("2.5.4.3");
    /// `rsaEncryption`.
    pub const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
    /// `id-ecPublicKey`.
    pub const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
    /// `secp256r1`.
    pub const SECP256R1: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
    /// `secp384r1`.
    pub const SECP384R1: Oid = Oid::new_unwrap("1.3.132.0.34");
    /// `secp521r1`.
    pub const SECP521R1: Oid = Oid::new_unwrap("1.3.132.0.35");
}

/// The subject common name `swtpm_cert` writes when given no `--subject`.
pub(crate) const EK_SUBJECT_CN: &str = "unknown";

/// A NIST curve an ECC EK can be on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Curve {
    /// NIST P-256 (`TPM_ECC_NIST_P256`).
    P256,
    /// NIST P-384 (`TPM_ECC_NIST_P384`).
    P384,
    /// NIST P-521 (`TPM_ECC_NIST_P521`).
    P521,
}

impl Curve {
    /// The size of a coordinate in bytes.
    pub fn coordinate_len(self) -> usize {
        match self {
            Curve::P256 => 32,
            Curve::P384 => 48,
            Curve::P521 => 66,
        }
    }

    /// The named-curve object identifier.
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            Curve::P256 => oid::SECP256R1,
            Curve::P384 => oid::SECP384R1,
            Curve::P521 => oid::SECP521R1,
        }
    }
}

/// An endorsement key's public part, as the TPM reports it in `TPMT_PUBLIC.unique`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EkPublic {
    /// An RSA key.
    Rsa {
        /// The modulus, big-endian (leading zero bytes are ignored).
        modulus: Vec<u8>,
        /// The public exponent; 0 means 65537 (`TPMS_RSA_PARMS.exponent`).
        exponent: u32,
    },
    /// An ECC key.
    Ecc {
        /// The curve.
        curve: Curve,
        /// The x coordinate, big-endian (shorter values are left-padded with zeros).
        x: Vec<u8>,
        /// The y coordinate, big-endian.
        y: Vec<u8>,
    },
}

impl EkPublic {
    /// Whether this is an RSA key (keyUsage `keyEncipherment`) rather than an ECC key
    /// (`keyAgreement`).
    pub fn is_rsa(&self) -> bool {
        matches!(self, EkPublic::Rsa { .. })
    }

    /// The X.509 SubjectPublicKeyInfo (DER) of this key.
    pub fn to_spki_der(&self) -> Result<Vec<u8>, CaError> {
        self.to_spki()?
            .to_der()
            .map_err(|e| CaError::InvalidKey(e.to_string()))
    }

    pub(crate) fn to_spki(&self) -> Result<SubjectPublicKeyInfoOwned, CaError> {
        let invalid = |e: der::Error| CaError::InvalidKey(e.to_string());
        match self {
            EkPublic::Rsa { modulus, exponent } => {
                let first = modulus.iter().position(|&b| b != 0);
                let n = match first {
                    Some(i) => &modulus[i..],
                    None => return Err(CaError::InvalidKey("RSA modulus is zero".into())),
                };
                if n.len() < 64 || n.len() > 2048 {
                    return Err(CaError::InvalidKey(format!(
                        "RSA modulus of {} bits",
                        n.len() * 8
                    )));
                }
                if n[n.len() - 1] & 1 == 0 {
                    return Err(CaError::InvalidKey("RSA modulus is even".into()));
                }
                let e = if *exponent == 0 { 65537 } else { *exponent };
                if e < 3 || e & 1 == 0 {
                    return Err(CaError::InvalidKey(format!("RSA public exponent {e}")));
                }
                let e_bytes = e.to_be_bytes();
                let key = RsaPublicKey {
                    modulus: UintRef::new(n).map_err(invalid)?,
                    public_exponent: UintRef::new(&e_bytes).map_err(invalid)?,
                };
                let der = key.to_der().map_err(invalid)?;
                Ok(SubjectPublicKeyInfoOwned {
                    algorithm: AlgorithmIdentifierOwned {
                        oid: oid::RSA_ENCRYPTION,
                        parameters: Some(Any::null()),
                    },
                    subject_public_key: BitString::from_bytes(&der).map_err(invalid)?,
                })
            }
            EkPublic::Ecc { curve, x, y } => {
                let len = curve.coordinate_len();
                let mut point = Vec::with_capacity(1 + 2 * len);
                point.push(0x04);
                for (name, c) in [("x", x), ("y", y)] {
                    let c = strip_zeros(c);
                    if c.len() > len {
                        return Err(CaError::InvalidKey(format!(
                            "{name} coordinate of {} bytes on {curve:?}",
                            c.len()
                        )));
                    }
                    point.resize(point.len() + len - c.len(), 0);
                    point.extend_from_slice(c);
                }
                let on_curve = match curve {
                    Curve::P256 => p256::PublicKey::from_sec1_bytes(&point).is_ok(),
                    Curve::P384 => p384::PublicKey::from_sec1_bytes(&point).is_ok(),
                    Curve::P521 => p521::PublicKey::from_sec1_bytes(&point).is_ok(),
                };
                if !on_curve {
                    return Err(CaError::InvalidKey(format!("point not on {curve:?}")));
                }
                Ok(SubjectPublicKeyInfoOwned {
                    algorithm: AlgorithmIdentifierOwned {
                        oid: oid::EC_PUBLIC_KEY,
                        parameters: Some(Any::from(&curve.oid())),
                    },
                    subject_public_key: BitString::from_bytes(&point).map_err(invalid)?,
                })
            }
        }
    }
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let i = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    &b[i..]
}

/// What the EK may be used for, which sets the certificate's keyUsage as `swtpm_cert`'s
/// `--allow-signing` and `--decryption` do: signing adds `digitalSignature`; decryption
/// adds `keyEncipherment` (RSA) or `keyAgreement` (ECC). An EK that may not sign is
/// always a decryption key (the TCG default EK templates).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EkUsage {
    signing: bool,
    decryption: bool,
}

impl EkUsage {
    /// `swtpm_setup --allow-signing` (`allow_signing`) and `--decryption`.
    pub fn new(allow_signing: bool, decryption: bool) -> EkUsage {
        EkUsage {
            signing: allow_signing,
            decryption: decryption || !allow_signing,
        }
    }

    /// Whether `digitalSignature` is set.
    pub fn signing(self) -> bool {
        self.signing
    }

    /// Whether `keyEncipherment`/`keyAgreement` is set.
    pub fn decryption(self) -> bool {
        self.decryption
    }

    fn key_usage(self, rsa: bool) -> KeyUsage {
        let mut flags = der::flagset::FlagSet::<KeyUsages>::default();
        if self.signing {
            flags |= KeyUsages::DigitalSignature;
        }
        if self.decryption {
            flags |= if rsa {
                KeyUsages::KeyEncipherment
            } else {
                KeyUsages::KeyAgreement
            };
        }
        KeyUsage(flags)
    }
}

impl Default for EkUsage {
    /// A decryption-only EK (the default EK templates; swtpm_setup without flags).
    fn default() -> EkUsage {
        EkUsage::new(false, true)
    }
}

/// `RSAPublicKey` (RFC 8017 A.1.1).
#[derive(Sequence)]
struct RsaPublicKey<'a> {
    modulus: UintRef<'a>,
    public_exponent: UintRef<'a>,
}

/// `TPMSpecification` (TCG EK Credential Profile §3.1.3).
#[derive(Sequence)]
struct TpmSpecification<'a> {
    family: Utf8StringRef<'a>,
    level: u32,
    revision: u32,
}

/// What the EK certificate says about the TPM (`swtpm_cert --tpm-manufacturer`, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TpmInfo {
    /// `tcg-at-tpmManufacturer`, e.g. `id:00001014` (the vendor ID in hex after `id:`).
    pub manufacturer: String,
    /// `tcg-at-tpmModel`, e.g. `swtpm`.
    pub model: String,
    /// `tcg-at-tpmVersion`, e.g. `id:20191023` (the firmware version).
    pub version: String,
    /// TPMSpecification.family, e.g. `2.0`.
    pub spec_family: String,
    /// TPMSpecification.level (`TPM_PT_LEVEL`, 0).
    pub spec_level: u32,
    /// TPMSpecification.revision (`TPM_PT_REVISION`, e.g. 164 for 1.64).
    pub spec_revision: u32,
}

/// What the platform certificate says about the platform
/// (`swtpm_cert --platform-manufacturer`, ...; swtpm-localca.options).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlatformInfo {
    /// `platformManufacturerStr`, e.g. `Fedora`.
    pub manufacturer: String,
    /// `platformModel`, e.g. `QEMU`.
    pub model: String,
    /// `platformVersion`, e.g. `2.1`.
    pub version: String,
}

/// Longest attribute value accepted (the TCG profiles give STRING (SIZE (1..STRMAX)),
/// STRMAX 255).
const STRMAX: usize = 255;

fn utf8_attr(
    field: &'static str,
    oid: ObjectIdentifier,
    value: &str,
) -> Result<RelativeDistinguishedName, CaError> {
    if value.is_empty() || value.len() > STRMAX {
        return Err(CaError::InvalidField {
            field,
            reason: format!("{} bytes (1..={STRMAX} allowed)", value.len()),
        });
    }
    let bad = |e: der::Error| CaError::InvalidField {
        field,
        reason: e.to_string(),
    };
    let s = Utf8StringRef::new(value).map_err(bad)?;
    let atv = AttributeTypeAndValue {
        oid,
        value: Any::encode_from(&s).map_err(bad)?,
    };
    RelativeDistinguishedName::try_from(vec![atv]).map_err(bad)
}

/// A Name of one RDN, `CN=<cn>` as a PrintableString (as gnutls writes).
pub(crate) fn cn_name(cn: &str) -> Result<Name, CaError> {
    let bad = |e: der::Error| CaError::Build(format!("common name {cn:?}: {e}"));
    cn_of(
        cn,
        Any::encode_from(&PrintableStringRef::new(cn).map_err(bad)?),
    )
}

/// A Name of one RDN, `CN=` the given encoded string.
fn cn_of(cn: &str, value: der::Result<Any>) -> Result<Name, CaError> {
    let bad = |e: der::Error| CaError::Build(format!("common name {cn:?}: {e}"));
    let atv = AttributeTypeAndValue {
        oid: oid::COMMON_NAME,
        value: value.map_err(bad)?,
    };
    let rdn = RelativeDistinguishedName::try_from(vec![atv]).map_err(bad)?;
    dir_name(vec![rdn]).map_err(bad)
}

/// A subject `CN=cn`: a PrintableString when the name fits one (as swtpm_cert writes the
/// VM id), a UTF8String otherwise; empty or longer than 64 characters (RFC 5280's
/// ub-common-name) is refused.
pub(crate) fn subject_cn_name(cn: &str) -> Result<Name, CaError> {
    if cn.is_empty() || cn.chars().count() > 64 {
        return Err(CaError::InvalidField {
            field: "subject common name",
            reason: "must be 1 to 64 characters".into(),
        });
    }
    if PrintableStringRef::new(cn).is_ok() {
        return cn_name(cn);
    }
    let bad = |e: der::Error| CaError::Build(format!("common name {cn:?}: {e}"));
    cn_of(cn, Any::encode_from(&Utf8StringRef::new(cn).map_err(bad)?))
}

/// A Name from its RDNs (encoded and decoded again: x509-cert offers no direct
/// constructor outside its `hazmat` feature, and decoding checks the result).
pub(crate) fn dir_name(rdns: Vec<RelativeDistinguishedName>) -> der::Result<Name> {
    Name::from_der(&RdnSequence::from(rdns).to_der()?)
}

/// SHA-1 of the subjectPublicKey BIT STRING contents (RFC 5280 §4.2.1.2, method 1).
pub(crate) fn key_id(spki: &SubjectPublicKeyInfoRef<'_>) -> Vec<u8> {
    Sha1::digest(spki.subject_public_key.raw_bytes()).to_vec()
}

fn extension<T: Encode>(
    oid: ObjectIdentifier,
    critical: bool,
    value: &T,
) -> x509_cert::builder::Result<Extension> {
    Ok(Extension {
        extn_id: oid,
        critical,
        extn_value: OctetString::new(value.to_der()?)?,
    })
}

fn aki(issuer_spk: &SubjectPublicKeyInfoRef<'_>) -> x509_cert::builder::Result<Extension> {
    let aki = AuthorityKeyIdentifier {
        key_identifier: Some(OctetString::new(key_id(issuer_spk))?),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    };
    extension(oid::AUTHORITY_KEY_IDENTIFIER, false, &aki)
}

/// notAfter for "never expires": `99991231235959Z`.
pub(crate) fn never_expires() -> Result<Time, CaError> {
    let dt = DateTime::new(9999, 12, 31, 23, 59, 59).map_err(|e| CaError::Build(e.to_string()))?;
    Ok(Time::GeneralTime(GeneralizedTime::from_date_time(dt)))
}

/// Which certificate a [`Profile`] builds.
pub(crate) enum Kind {
    /// A self-signed root CA.
    Root,
    /// The issuing CA, signed by the root.
    Intermediate,
    /// An EK certificate.
    Ek {
        usage: KeyUsage,
        san: Vec<RelativeDistinguishedName>,
        spec: Vec<u8>,
    },
    /// A platform certificate.
    Platform {
        usage: KeyUsage,
        san: Vec<RelativeDistinguishedName>,
    },
}

/// The builder profile: fixed subject and issuer names and the exact extension list.
pub(crate) struct Profile {
    pub subject: Name,
    pub issuer: Name,
    pub kind: Kind,
}

impl Profile {
    pub(crate) fn ek(
        issuer: Name,
        ek: &EkPublic,
        tpm: &TpmInfo,
        usage: EkUsage,
    ) -> Result<Profile, CaError> {
        let san = vec![
            utf8_attr("tpm manufacturer", oid::TPM_MANUFACTURER, &tpm.manufacturer)?,
            utf8_attr("tpm model", oid::TPM_MODEL, &tpm.model)?,
            utf8_attr("tpm version", oid::TPM_VERSION, &tpm.version)?,
        ];
        if tpm.spec_family.is_empty() || tpm.spec_family.len() > STRMAX {
            return Err(CaError::InvalidField {
                field: "tpm spec family",
                reason: format!("{} bytes (1..={STRMAX} allowed)", tpm.spec_family.len()),
            });
        }
        let bad = |e: der::Error| CaError::InvalidField {
            field: "tpm spec family",
            reason: e.to_string(),
        };
        let spec = TpmSpecification {
            family: Utf8StringRef::new(&tpm.spec_family).map_err(bad)?,
            level: tpm.spec_level,
            revision: tpm.spec_revision,
        }
        .to_der()
        .map_err(bad)?;
        Ok(Profile {
            subject: cn_name(EK_SUBJECT_CN)?,
            issuer,
            kind: Kind::Ek {
                usage: usage.key_usage(ek.is_rsa()),
                san,
                spec,
            },
        })
    }

    pub(crate) fn platform(
        issuer: Name,
        ek: &EkPublic,
        platform: &PlatformInfo,
        usage: EkUsage,
    ) -> Result<Profile, CaError> {
        let san = vec![
            utf8_attr(
                "platform manufacturer",
                oid::PLATFORM_MANUFACTURER,
                &platform.manufacturer,
            )?,
            utf8_attr("platform model", oid::PLATFORM_MODEL, &platform.model)?,
            utf8_attr("platform version", oid::PLATFORM_VERSION, &platform.version)?,
        ];
        Ok(Profile {
            subject: cn_name(EK_SUBJECT_CN)?,
            issuer,
            kind: Kind::Platform {
                usage: usage.key_usage(ek.is_rsa()),
                san,
            },
        })
    }
}

impl BuilderProfile for Profile {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        spk: SubjectPublicKeyInfoRef<'_>,
        issuer_spk: SubjectPublicKeyInfoRef<'_>,
        _tbs: &TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let ca = BasicConstraints {
            ca: true,
            path_len_constraint: None,
        };
        let not_ca = BasicConstraints {
            ca: false,
            path_len_constraint: None,
        };
        let ski = || {
            Ok::<_, x509_cert::builder::Error>(SubjectKeyIdentifier(OctetString::new(key_id(
                &spk,
            ))?))
        };
        let cert_sign = KeyUsage(KeyUsages::KeyCertSign.into());
        Ok(match &self.kind {
            Kind::Root => vec![
                extension(oid::BASIC_CONSTRAINTS, true, &ca)?,
                extension(oid::KEY_USAGE, true, &cert_sign)?,
                extension(oid::SUBJECT_KEY_IDENTIFIER, false, &ski()?)?,
            ],
            Kind::Intermediate => vec![
                extension(oid::BASIC_CONSTRAINTS, true, &ca)?,
                extension(oid::KEY_USAGE, true, &cert_sign)?,
                extension(oid::SUBJECT_KEY_IDENTIFIER, false, &ski()?)?,
                aki(&issuer_spk)?,
            ],
            Kind::Ek { usage, san, spec } => {
                let san = SubjectAltName(vec![GeneralName::DirectoryName(dir_name(san.clone())?)]);
                let mut values = SetOfVec::new();
                values.insert(Any::from_der(spec)?)?;
                let sda = SubjectDirectoryAttributes(vec![Attribute {
                    oid: oid::TPM_SPECIFICATION,
                    values,
                }]);
                vec![
                    extension(
                        oid::EXT_KEY_USAGE,
                        false,
                        &ExtendedKeyUsage(vec![oid::KP_EK_CERTIFICATE]),
                    )?,
                    extension(oid::SUBJECT_ALT_NAME, true, &san)?,
                    extension(oid::BASIC_CONSTRAINTS, true, &not_ca)?,
                    extension(oid::SUBJECT_DIRECTORY_ATTRIBUTES, false, &sda)?,
                    aki(&issuer_spk)?,
                    extension(oid::KEY_USAGE, true, usage)?,
                ]
            }
            Kind::Platform { usage, san } => {
                let san = SubjectAltName(vec![GeneralName::DirectoryName(dir_name(san.clone())?)]);
                vec![
                    extension(oid::SUBJECT_ALT_NAME, true, &san)?,
                    extension(oid::BASIC_CONSTRAINTS, true, &not_ca)?,
                    aki(&issuer_spk)?,
                    extension(oid::KEY_USAGE, true, usage)?,
                    extension(
                        oid::EXT_KEY_USAGE,
                        false,
                        &ExtendedKeyUsage(vec![oid::KP_PLATFORM_CERTIFICATE]),
                    )?,
                ]
            }
        })
    }
}
