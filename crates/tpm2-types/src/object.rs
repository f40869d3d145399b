//! Object structures (Part 2, §11–12): symmetric definitions, schemes, public areas with
//! their parameters and unique fields, sensitive areas, creation data.
//!
//! Selectors are checked as the `TPMI_` types of Part 2 check them: each has a set of
//! accepted values (only what this TPM implements), an optional `TPM_ALG_NULL` (the `+`
//! of Part 2, passed as `allow_null`) and the code it fails with.

use crate::buffers::{HashAlg, Tpm2b, Tpm2bDigest};
use crate::codec::{Codec, Reader};
use crate::constants::{alg, ecc_curve, obj_attr};
use crate::rc::Rc;
use serde::{Deserialize, Serialize};

/// `MAX_RSA_KEY_BYTES`: 4096-bit keys.
pub const MAX_RSA_KEY_BYTES: usize = 512;
/// `MAX_ECC_KEY_BYTES`: P-521.
pub const MAX_ECC_KEY_BYTES: usize = 66;
/// `MAX_SYM_KEY_BYTES`: AES-256.
pub const MAX_SYM_KEY_BYTES: usize = 32;
/// `MAX_SYM_DATA`: sealed data and `TPM2B_SENSITIVE_DATA`.
pub const MAX_SYM_DATA: usize = 128;
/// `RSA_PRIVATE_SIZE`: room for the five CRT values of a 4096-bit key (only the prime is
/// ever stored).
pub const RSA_PRIVATE_SIZE: usize = MAX_RSA_KEY_BYTES * 5 / 2;
/// `sizeof(_PRIVATE)`-like bound of `TPM2B_PRIVATE`: outer HMAC plus an encrypted
/// `TPM2B_SENSITIVE` of the largest key.
pub const MAX_PRIVATE: usize = 2 + 64 + 2 + (2 + 2 + 64 + 2 + 64 + 2 + RSA_PRIVATE_SIZE);
/// Largest `TPM2B_PUBLIC` body (an RSA-4096 key with a SHA-512 policy).
pub const MAX_PUBLIC: usize = 2 + 2 + 4 + 2 + 64 + 2 + 2 + 2 + 2 + 2 + 4 + 2 + MAX_RSA_KEY_BYTES;

pub type Tpm2bPublicKeyRsa = Tpm2b<MAX_RSA_KEY_BYTES>;
pub type Tpm2bEccParameter = Tpm2b<MAX_ECC_KEY_BYTES>;
pub type Tpm2bSensitiveData = Tpm2b<MAX_SYM_DATA>;
pub type Tpm2bSymKey = Tpm2b<MAX_SYM_KEY_BYTES>;
pub type Tpm2bPrivate = Tpm2b<MAX_PRIVATE>;
pub type Tpm2bIv = Tpm2b<16>;
/// `TPM2B_ENCRYPTED_SECRET`: an RSA-4096 ciphertext or an ECC point.
pub type Tpm2bEncryptedSecret = Tpm2b<MAX_RSA_KEY_BYTES>;

/// Reads a `TPMI_` algorithm selector: one of `accepted`, or `TPM_ALG_NULL` if
/// `allow_null` (`None`), else `err`.
pub fn read_selector(
    r: &mut Reader<'_>,
    accepted: &[u16],
    allow_null: bool,
    err: Rc,
) -> Result<Option<u16>, Rc> {
    let v = r.u16()?;
    if v == alg::NULL && allow_null {
        Ok(None)
    } else if accepted.contains(&v) {
        Ok(Some(v))
    } else {
        Err(err)
    }
}

fn put_alg(out: &mut Vec<u8>, a: Option<u16>) {
    a.unwrap_or(alg::NULL).encode(out);
}

/// `TPMT_SYM_DEF_OBJECT` with an algorithm (AES): key size and mode (`None`: NULL mode).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SymDef {
    pub alg: u16,
    pub key_bits: u16,
    pub mode: Option<u16>,
}

/// Implemented block modes (`TPMI_ALG_SYM_MODE`).
pub const SYM_MODES: [u16; 5] = [alg::CTR, alg::OFB, alg::CBC, alg::CFB, alg::ECB];
/// `TPMI_AES_KEY_BITS`.
pub const AES_KEY_BITS: [u16; 2] = [128, 256];

impl SymDef {
    pub const AES_128_CFB: SymDef = SymDef {
        alg: alg::AES,
        key_bits: 128,
        mode: Some(alg::CFB),
    };

    pub fn encode_opt(v: &Option<SymDef>, out: &mut Vec<u8>) {
        match v {
            None => alg::NULL.encode(out),
            Some(s) => {
                s.alg.encode(out);
                s.key_bits.encode(out);
                put_alg(out, s.mode);
            }
        }
    }

    /// `TPMT_SYM_DEF_OBJECT(+)`: algorithm (`TPM_RC_SYMMETRIC`), key bits
    /// (`TPM_RC_VALUE`), mode (`TPMI_ALG_SYM_MODE+`, `TPM_RC_MODE`).
    pub fn read_opt(r: &mut Reader<'_>, allow_null: bool) -> Result<Option<SymDef>, Rc> {
        let Some(a) = read_selector(r, &[alg::AES], allow_null, Rc::SYMMETRIC)? else {
            return Ok(None);
        };
        let key_bits = r.u16()?;
        if !AES_KEY_BITS.contains(&key_bits) {
            return Err(Rc::VALUE);
        }
        let mode = read_selector(r, &SYM_MODES, true, Rc::MODE)?;
        Ok(Some(SymDef {
            alg: a,
            key_bits,
            mode,
        }))
    }
}

/// Signing, encryption and key-exchange schemes of asymmetric keys (`TPMT_RSA_SCHEME`,
/// `TPMT_ECC_SCHEME`, `TPMT_SIG_SCHEME`, `TPMT_RSA_DECRYPT` and the HMAC signing scheme):
/// the algorithm and the hash it uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scheme {
    Null,
    Rsassa(HashAlg),
    Rsapss(HashAlg),
    Rsaes,
    Oaep(HashAlg),
    Ecdsa(HashAlg),
    Ecschnorr(HashAlg),
    Ecdh(HashAlg),
    Hmac(HashAlg),
}

/// `TPMI_ALG_RSA_SCHEME`.
pub const RSA_SCHEMES: [u16; 4] = [alg::RSASSA, alg::RSAES, alg::RSAPSS, alg::OAEP];
/// `TPMI_ALG_ECC_SCHEME` (implemented: no ECDAA, SM2 or ECMQV).
pub const ECC_SCHEMES: [u16; 3] = [alg::ECDSA, alg::ECDH, alg::ECSCHNORR];
/// `TPMI_ALG_SIG_SCHEME`.
pub const SIG_SCHEMES: [u16; 5] = [
    alg::RSASSA,
    alg::RSAPSS,
    alg::ECDSA,
    alg::ECSCHNORR,
    alg::HMAC,
];
/// `TPMI_ALG_RSA_DECRYPT`.
pub const RSA_DECRYPT_SCHEMES: [u16; 2] = [alg::RSAES, alg::OAEP];

impl Scheme {
    pub fn alg(self) -> u16 {
        match self {
            Scheme::Null => alg::NULL,
            Scheme::Rsassa(_) => alg::RSASSA,
            Scheme::Rsapss(_) => alg::RSAPSS,
            Scheme::Rsaes => alg::RSAES,
            Scheme::Oaep(_) => alg::OAEP,
            Scheme::Ecdsa(_) => alg::ECDSA,
            Scheme::Ecschnorr(_) => alg::ECSCHNORR,
            Scheme::Ecdh(_) => alg::ECDH,
            Scheme::Hmac(_) => alg::HMAC,
        }
    }

    pub fn hash(self) -> Option<HashAlg> {
        match self {
            Scheme::Null | Scheme::Rsaes => None,
            Scheme::Rsassa(h)
            | Scheme::Rsapss(h)
            | Scheme::Oaep(h)
            | Scheme::Ecdsa(h)
            | Scheme::Ecschnorr(h)
            | Scheme::Ecdh(h)
            | Scheme::Hmac(h) => Some(h),
        }
    }

    pub fn is_null(self) -> bool {
        self == Scheme::Null
    }

    /// A signing scheme (`TPM_ALG_xxx` with `TPMA_ALGORITHM.signing`).
    pub fn is_signing(self) -> bool {
        matches!(
            self,
            Scheme::Rsassa(_)
                | Scheme::Rsapss(_)
                | Scheme::Ecdsa(_)
                | Scheme::Ecschnorr(_)
                | Scheme::Hmac(_)
        )
    }

    /// A scheme of one of `accepted` (or NULL if `allow_null`), failing with `err`; its
    /// hash is `TPMI_ALG_HASH` (`TPM_RC_HASH`).
    pub fn read_from(
        r: &mut Reader<'_>,
        accepted: &[u16],
        allow_null: bool,
        err: Rc,
    ) -> Result<Scheme, Rc> {
        let Some(a) = read_selector(r, accepted, allow_null, err)? else {
            return Ok(Scheme::Null);
        };
        if a == alg::RSAES {
            return Ok(Scheme::Rsaes);
        }
        let h = HashAlg::read(r)?;
        Ok(match a {
            alg::RSASSA => Scheme::Rsassa(h),
            alg::RSAPSS => Scheme::Rsapss(h),
            alg::OAEP => Scheme::Oaep(h),
            alg::ECDSA => Scheme::Ecdsa(h),
            alg::ECSCHNORR => Scheme::Ecschnorr(h),
            alg::ECDH => Scheme::Ecdh(h),
            alg::HMAC => Scheme::Hmac(h),
            _ => return Err(err),
        })
    }
}

impl Codec for Scheme {
    fn encode(&self, out: &mut Vec<u8>) {
        self.alg().encode(out);
        if let Some(h) = self.hash() {
            h.encode(out);
        }
    }

    /// `TPMT_SIG_SCHEME+`.
    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        Scheme::read_from(r, &SIG_SCHEMES, true, Rc::SCHEME)
    }
}

/// `TPMT_KEYEDHASH_SCHEME`: HMAC (signing), XOR (a data-obfuscation parent) or NULL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyedHashScheme {
    Null,
    Hmac(HashAlg),
    Xor { hash: HashAlg, kdf: Option<u16> },
}

/// `TPMI_ALG_KDF`.
pub const KDFS: [u16; 3] = [alg::MGF1, alg::KDF1_SP800_56A, alg::KDF1_SP800_108];

impl Codec for KeyedHashScheme {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            KeyedHashScheme::Null => alg::NULL.encode(out),
            KeyedHashScheme::Hmac(h) => {
                alg::HMAC.encode(out);
                h.encode(out);
            }
            KeyedHashScheme::Xor { hash, kdf } => {
                alg::XOR.encode(out);
                hash.encode(out);
                put_alg(out, *kdf);
            }
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        Ok(
            match read_selector(r, &[alg::HMAC, alg::XOR], true, Rc::VALUE)? {
                None => KeyedHashScheme::Null,
                Some(alg::HMAC) => KeyedHashScheme::Hmac(HashAlg::read(r)?),
                _ => KeyedHashScheme::Xor {
                    hash: HashAlg::read(r)?,
                    kdf: read_selector(r, &KDFS, true, Rc::KDF)?,
                },
            },
        )
    }
}

/// `TPMT_KDF_SCHEME+`: a KDF and its hash, or NULL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfScheme(pub Option<(u16, HashAlg)>);

impl Codec for KdfScheme {
    fn encode(&self, out: &mut Vec<u8>) {
        match self.0 {
            None => alg::NULL.encode(out),
            Some((k, h)) => {
                k.encode(out);
                h.encode(out);
            }
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        Ok(KdfScheme(match read_selector(r, &KDFS, true, Rc::KDF)? {
            None => None,
            Some(k) => Some((k, HashAlg::read(r)?)),
        }))
    }
}

/// `TPMS_RSA_PARMS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RsaParms {
    pub symmetric: Option<SymDef>,
    pub scheme: Scheme,
    pub key_bits: u16,
    /// 0 means the default exponent 2^16 + 1.
    pub exponent: u32,
}

/// `TPMI_RSA_KEY_BITS`.
pub const RSA_KEY_BITS: [u16; 4] = [1024, 2048, 3072, 4096];

/// `TPMS_ECC_PARMS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EccParms {
    pub symmetric: Option<SymDef>,
    pub scheme: Scheme,
    pub curve: u16,
    pub kdf: KdfScheme,
}

/// `TPMI_ECC_CURVE`: the implemented curves.
pub const ECC_CURVES: [u16; 3] = [
    ecc_curve::NIST_P256,
    ecc_curve::NIST_P384,
    ecc_curve::NIST_P521,
];

/// `TPMU_PUBLIC_PARMS` with its selector (`TPMT_PUBLIC_PARMS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PublicParms {
    KeyedHash(KeyedHashScheme),
    SymCipher(SymDef),
    Rsa(RsaParms),
    Ecc(EccParms),
}

/// `TPMI_ALG_PUBLIC`.
pub const PUBLIC_TYPES: [u16; 4] = [alg::RSA, alg::KEYEDHASH, alg::ECC, alg::SYMCIPHER];

impl PublicParms {
    /// The object type (`TPMI_ALG_PUBLIC`).
    pub fn type_alg(&self) -> u16 {
        match self {
            PublicParms::KeyedHash(_) => alg::KEYEDHASH,
            PublicParms::SymCipher(_) => alg::SYMCIPHER,
            PublicParms::Rsa(_) => alg::RSA,
            PublicParms::Ecc(_) => alg::ECC,
        }
    }

    /// The symmetric algorithm of a storage parent (`None` for NULL or a non-asymmetric
    /// key; symmetric parents use their own key definition).
    pub fn symmetric(&self) -> Option<SymDef> {
        match self {
            PublicParms::Rsa(p) => p.symmetric,
            PublicParms::Ecc(p) => p.symmetric,
            PublicParms::SymCipher(s) => Some(*s),
            PublicParms::KeyedHash(_) => None,
        }
    }

    /// The parameters only (no selector).
    pub fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            PublicParms::KeyedHash(s) => s.encode(out),
            PublicParms::SymCipher(s) => SymDef::encode_opt(&Some(*s), out),
            PublicParms::Rsa(p) => {
                SymDef::encode_opt(&p.symmetric, out);
                p.scheme.encode(out);
                p.key_bits.encode(out);
                p.exponent.encode(out);
            }
            PublicParms::Ecc(p) => {
                SymDef::encode_opt(&p.symmetric, out);
                p.scheme.encode(out);
                p.curve.encode(out);
                p.kdf.encode(out);
            }
        }
    }

    /// The parameters of an object of type `ty`.
    pub fn read_body(r: &mut Reader<'_>, ty: u16) -> Result<Self, Rc> {
        Ok(match ty {
            alg::KEYEDHASH => PublicParms::KeyedHash(KeyedHashScheme::read(r)?),
            alg::SYMCIPHER => {
                PublicParms::SymCipher(SymDef::read_opt(r, false)?.ok_or(Rc::SYMMETRIC)?)
            }
            alg::RSA => {
                let symmetric = SymDef::read_opt(r, true)?;
                let scheme = Scheme::read_from(r, &RSA_SCHEMES, true, Rc::VALUE)?;
                let key_bits = r.u16()?;
                if !RSA_KEY_BITS.contains(&key_bits) {
                    return Err(Rc::VALUE);
                }
                PublicParms::Rsa(RsaParms {
                    symmetric,
                    scheme,
                    key_bits,
                    exponent: r.u32()?,
                })
            }
            alg::ECC => {
                let symmetric = SymDef::read_opt(r, true)?;
                let scheme = Scheme::read_from(r, &ECC_SCHEMES, true, Rc::SCHEME)?;
                let curve = r.u16()?;
                if !ECC_CURVES.contains(&curve) {
                    return Err(Rc::CURVE);
                }
                PublicParms::Ecc(EccParms {
                    symmetric,
                    scheme,
                    curve,
                    kdf: KdfScheme::read(r)?,
                })
            }
            _ => return Err(Rc::TYPE),
        })
    }
}

impl Codec for PublicParms {
    fn encode(&self, out: &mut Vec<u8>) {
        self.type_alg().encode(out);
        self.encode_body(out);
    }

    /// `TPMT_PUBLIC_PARMS` (TestParms).
    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        let ty = read_selector(r, &PUBLIC_TYPES, false, Rc::TYPE)?.unwrap_or(0);
        PublicParms::read_body(r, ty)
    }
}

/// `TPMS_ECC_POINT`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EccPoint {
    pub x: Tpm2bEccParameter,
    pub y: Tpm2bEccParameter,
}

impl Codec for EccPoint {
    fn encode(&self, out: &mut Vec<u8>) {
        self.x.encode(out);
        self.y.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        Ok(EccPoint {
            x: Tpm2b::read(r)?,
            y: Tpm2b::read(r)?,
        })
    }
}

/// `TPM2B_ECC_POINT`: a size of 0 is `TPM_RC_SIZE`; the point must fill it exactly.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tpm2bEccPoint(pub EccPoint);

impl Codec for Tpm2bEccPoint {
    fn encode(&self, out: &mut Vec<u8>) {
        sized(out, |o| self.0.encode(o));
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        Ok(Tpm2bEccPoint(read_sized(r, EccPoint::read)?))
    }
}

/// `TPMU_PUBLIC_ID`: the unique field of a public area.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unique {
    /// KEYEDHASH and SYMCIPHER: a digest.
    Digest(Tpm2bDigest),
    Rsa(Tpm2bPublicKeyRsa),
    Ecc(EccPoint),
}

impl Unique {
    pub fn empty_for(ty: u16) -> Unique {
        match ty {
            alg::RSA => Unique::Rsa(Tpm2b::empty()),
            alg::ECC => Unique::Ecc(EccPoint::default()),
            _ => Unique::Digest(Tpm2b::empty()),
        }
    }

    pub fn encode_body(&self, out: &mut Vec<u8>) {
        match self {
            Unique::Digest(d) => d.encode(out),
            Unique::Rsa(n) => n.encode(out),
            Unique::Ecc(p) => p.encode(out),
        }
    }

    pub fn read_body(r: &mut Reader<'_>, ty: u16) -> Result<Self, Rc> {
        Ok(match ty {
            alg::RSA => Unique::Rsa(Tpm2b::read(r)?),
            alg::ECC => Unique::Ecc(EccPoint::read(r)?),
            _ => Unique::Digest(Tpm2b::read(r)?),
        })
    }
}

/// `TPMT_PUBLIC`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TpmtPublic {
    /// `None`: `TPM_ALG_NULL` (only for `LoadExternal` of a public key).
    pub name_alg: Option<HashAlg>,
    pub attributes: u32,
    pub auth_policy: Tpm2bDigest,
    pub parms: PublicParms,
    pub unique: Unique,
}

impl TpmtPublic {
    pub fn type_alg(&self) -> u16 {
        self.parms.type_alg()
    }

    pub fn has(&self, bit: u32) -> bool {
        self.attributes & bit != 0
    }

    /// `TPMT_PUBLIC(+)`: `allow_null` admits a NULL `nameAlg`.
    pub fn read_opt(r: &mut Reader<'_>, allow_null: bool) -> Result<Self, Rc> {
        let mut p = TpmtPublic::read_head(r, allow_null)?;
        p.unique = Unique::read_body(r, p.type_alg())?;
        Ok(p)
    }

    /// A `TPMT_PUBLIC` up to its unique field, which is left empty: for a derivation
    /// parent TPM2_CreateLoaded reads a `TPMS_DERIVE` there instead (Part 3, §12.9).
    pub fn read_head(r: &mut Reader<'_>, allow_null: bool) -> Result<Self, Rc> {
        let ty = read_selector(r, &PUBLIC_TYPES, false, Rc::TYPE)?.unwrap_or(0);
        let name_alg = match r.u16()? {
            alg::NULL if allow_null => None,
            id => Some(HashAlg::from_id(id).ok_or(Rc::HASH)?),
        };
        let attributes = r.u32()?;
        if attributes & obj_attr::RESERVED != 0 {
            return Err(Rc::RESERVED_BITS);
        }
        let auth_policy = Tpm2bDigest::read(r)?;
        let parms = PublicParms::read_body(r, ty)?;
        let unique = Unique::empty_for(ty);
        Ok(TpmtPublic {
            name_alg,
            attributes,
            auth_policy,
            parms,
            unique,
        })
    }
}

impl Codec for TpmtPublic {
    fn encode(&self, out: &mut Vec<u8>) {
        self.type_alg().encode(out);
        put_alg(out, self.name_alg.map(|h| h.id()));
        self.attributes.encode(out);
        self.auth_policy.encode(out);
        self.parms.encode_body(out);
        self.unique.encode_body(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        TpmtPublic::read_opt(r, false)
    }
}

/// Writes a `TPM2B_` of a structure: the size, then the body, in one pass.
pub fn sized(out: &mut Vec<u8>, body: impl FnOnce(&mut Vec<u8>)) {
    let at = out.len();
    out.extend_from_slice(&[0, 0]);
    body(out);
    let n = (out.len() - at - 2) as u16;
    out[at..at + 2].copy_from_slice(&n.to_be_bytes());
}

/// Reads a `TPM2B_` of a structure: a size of 0 is `TPM_RC_SIZE`, and the structure must
/// use exactly the bytes the size gives (`TPM_RC_SIZE` otherwise). A structure that needs
/// more bytes than its size gives is `TPM_RC_SIZE` too when the command goes on after it
/// (libtpms reads on into the next parameter and then finds the size wrong), and
/// `TPM_RC_INSUFFICIENT` when the command ends there.
pub fn read_sized<T>(
    r: &mut Reader<'_>,
    f: impl FnOnce(&mut Reader<'_>) -> Result<T, Rc>,
) -> Result<T, Rc> {
    let n = r.u16()? as usize;
    if n == 0 {
        return Err(Rc::SIZE);
    }
    let mut sub = r.sub(n)?;
    let more = !r.is_empty();
    let v = f(&mut sub).map_err(|e| {
        if e == Rc::INSUFFICIENT && more {
            Rc::SIZE
        } else {
            e
        }
    })?;
    if !sub.is_empty() {
        return Err(Rc::SIZE);
    }
    Ok(v)
}

/// `TPM2B_PUBLIC` (the `+` form admits a NULL nameAlg).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tpm2bPublic(pub TpmtPublic);

impl Tpm2bPublic {
    pub fn read_opt(r: &mut Reader<'_>, allow_null: bool) -> Result<Self, Rc> {
        Ok(Tpm2bPublic(read_sized(r, |s| {
            TpmtPublic::read_opt(s, allow_null)
        })?))
    }
}

impl Codec for Tpm2bPublic {
    fn encode(&self, out: &mut Vec<u8>) {
        sized(out, |o| self.0.encode(o));
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        Tpm2bPublic::read_opt(r, false)
    }
}

/// `TPMT_SENSITIVE`: the private part of an object.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TpmtSensitive {
    pub type_alg: u16,
    pub auth: Tpm2bDigest,
    /// `seedValue`: the obfuscation value of a KEYEDHASH/SYMCIPHER object, the seed of a
    /// storage parent.
    pub seed: Tpm2bDigest,
    /// `TPMU_SENSITIVE_COMPOSITE`: an RSA prime, an ECC private scalar, sealed data or a
    /// symmetric key.
    #[serde(with = "serde_bytes")]
    pub sensitive: Vec<u8>,
}

impl std::fmt::Debug for TpmtSensitive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TpmtSensitive({:#06x}, secret)", self.type_alg)
    }
}

impl TpmtSensitive {
    /// The largest `sensitive` member for an object type.
    pub fn max_sensitive(ty: u16) -> usize {
        match ty {
            alg::RSA => RSA_PRIVATE_SIZE,
            alg::ECC => MAX_ECC_KEY_BYTES,
            alg::KEYEDHASH => MAX_SYM_DATA,
            _ => MAX_SYM_KEY_BYTES,
        }
    }
}

impl Codec for TpmtSensitive {
    fn encode(&self, out: &mut Vec<u8>) {
        self.type_alg.encode(out);
        self.auth.encode(out);
        self.seed.encode(out);
        (self.sensitive.len() as u16).encode(out);
        out.extend_from_slice(&self.sensitive);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        let type_alg = read_selector(r, &PUBLIC_TYPES, false, Rc::TYPE)?.unwrap_or(0);
        let auth = Tpm2bDigest::read(r)?;
        let seed = Tpm2bDigest::read(r)?;
        let n = r.u16()? as usize;
        if n > TpmtSensitive::max_sensitive(type_alg) {
            return Err(Rc::SIZE);
        }
        Ok(TpmtSensitive {
            type_alg,
            auth,
            seed,
            sensitive: r.take(n)?.to_vec(),
        })
    }
}

/// `TPMS_SENSITIVE_CREATE` (in its `TPM2B_`, which may not be empty).
#[derive(Clone, PartialEq, Eq)]
pub struct SensitiveCreate {
    pub user_auth: Tpm2bDigest,
    pub data: Tpm2bSensitiveData,
}

impl std::fmt::Debug for SensitiveCreate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SensitiveCreate(secret)")
    }
}

impl Codec for SensitiveCreate {
    fn encode(&self, out: &mut Vec<u8>) {
        sized(out, |o| {
            self.user_auth.encode(o);
            self.data.encode(o);
        });
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        read_sized(r, |s| {
            Ok(SensitiveCreate {
                user_auth: Tpm2b::read(s)?,
                data: Tpm2b::read(s)?,
            })
        })
    }
}

/// `TPMS_CREATION_DATA`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CreationData {
    pub pcr_select: crate::structures::TpmlPcrSelection,
    pub pcr_digest: Tpm2bDigest,
    pub locality: u8,
    pub parent_name_alg: u16,
    pub parent_name: crate::buffers::Tpm2bName,
    pub parent_qualified_name: crate::buffers::Tpm2bName,
    pub outside_info: crate::buffers::Tpm2bData,
}

impl Codec for CreationData {
    fn encode(&self, out: &mut Vec<u8>) {
        self.pcr_select.encode(out);
        self.pcr_digest.encode(out);
        self.locality.encode(out);
        self.parent_name_alg.encode(out);
        self.parent_name.encode(out);
        self.parent_qualified_name.encode(out);
        self.outside_info.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        Ok(CreationData {
            pcr_select: Codec::read(r)?,
            pcr_digest: Codec::read(r)?,
            locality: r.u8()?,
            parent_name_alg: r.u16()?,
            parent_name: Codec::read(r)?,
            parent_qualified_name: Codec::read(r)?,
            outside_info: Codec::read(r)?,
        })
    }
}

/// `TPMT_SIGNATURE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signature {
    Null,
    /// RSASSA or RSAPSS (`scheme` says which): the signature value.
    Rsa {
        scheme: Scheme,
        sig: Tpm2bPublicKeyRsa,
    },
    /// ECDSA or ECSchnorr.
    Ecc {
        scheme: Scheme,
        r: Tpm2bEccParameter,
        s: Tpm2bEccParameter,
    },
    /// HMAC: a `TPMT_HA`.
    Hmac {
        hash: HashAlg,
        digest: Vec<u8>,
    },
}

impl Codec for Signature {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Signature::Null => alg::NULL.encode(out),
            Signature::Rsa { scheme, sig } => {
                scheme.encode(out);
                sig.encode(out);
            }
            Signature::Ecc { scheme, r, s } => {
                scheme.encode(out);
                r.encode(out);
                s.encode(out);
            }
            Signature::Hmac { hash, digest } => {
                alg::HMAC.encode(out);
                hash.encode(out);
                out.extend_from_slice(digest);
            }
        }
    }

    /// `TPMT_SIGNATURE+`.
    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        let scheme = Scheme::read_from(r, &SIG_SCHEMES, true, Rc::SCHEME)?;
        Ok(match scheme {
            Scheme::Null => Signature::Null,
            Scheme::Rsassa(_) | Scheme::Rsapss(_) => Signature::Rsa {
                scheme,
                sig: Tpm2b::read(r)?,
            },
            Scheme::Hmac(h) => Signature::Hmac {
                hash: h,
                digest: r.take(h.digest_size())?.to_vec(),
            },
            _ => Signature::Ecc {
                scheme,
                r: Tpm2b::read(r)?,
                s: Tpm2b::read(r)?,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rsa_template() -> TpmtPublic {
        TpmtPublic {
            name_alg: Some(HashAlg::Sha256),
            attributes: obj_attr::FIXED_TPM
                | obj_attr::FIXED_PARENT
                | obj_attr::SENSITIVE_DATA_ORIGIN
                | obj_attr::USER_WITH_AUTH
                | obj_attr::RESTRICTED
                | obj_attr::DECRYPT,
            auth_policy: Tpm2b::empty(),
            parms: PublicParms::Rsa(RsaParms {
                symmetric: Some(SymDef::AES_128_CFB),
                scheme: Scheme::Null,
                key_bits: 2048,
                exponent: 0,
            }),
            unique: Unique::Rsa(Tpm2b::empty()),
        }
    }

    #[test]
    fn srk_template_bytes() {
        // The tpm2-tools default RSA-2048 SRK template.
        let b = Tpm2bPublic(rsa_template()).to_bytes();
        let want = [
            0x00, 0x1a, 0x00, 0x01, 0x00, 0x0b, 0x00, 0x03, 0x00, 0x72, 0x00, 0x00, 0x00, 0x06,
            0x00, 0x80, 0x00, 0x43, 0x00, 0x10, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ];
        assert_eq!(b, want);
        assert_eq!(Tpm2bPublic::from_bytes(&b).unwrap().0, rsa_template());
    }

    #[test]
    fn selectors_fail_with_their_codes() {
        let mut b = Tpm2bPublic(rsa_template()).to_bytes();
        b[3] = 0x02; // type
        assert_eq!(Tpm2bPublic::from_bytes(&b), Err(Rc::TYPE));
        let mut b = Tpm2bPublic(rsa_template()).to_bytes();
        b[5] = 0x10; // nameAlg NULL
        assert_eq!(Tpm2bPublic::from_bytes(&b), Err(Rc::HASH));
        let mut r = Reader::new(&b[2..]);
        assert!(TpmtPublic::read_opt(&mut r, true).is_ok());
        let mut b = Tpm2bPublic(rsa_template()).to_bytes();
        b[9] |= 1; // reserved bit 0
        assert_eq!(Tpm2bPublic::from_bytes(&b), Err(Rc::RESERVED_BITS));
        let mut b = Tpm2bPublic(rsa_template()).to_bytes();
        b[17] = 0x45; // mode
        assert_eq!(Tpm2bPublic::from_bytes(&b), Err(Rc::MODE));
        let mut b = Tpm2bPublic(rsa_template()).to_bytes();
        b[1] += 1;
        b.push(0);
        assert_eq!(Tpm2bPublic::from_bytes(&b), Err(Rc::SIZE));
        assert_eq!(Tpm2bPublic::from_bytes(&[0, 0]), Err(Rc::SIZE));
    }
}
