//! The state file format: a small header, a postcard-encoded body, a SHA-256 checksum.
//!
//! ```text
//! "FTPM" | version u16 | kind u8 | reserved u8 | body length u32 | body | SHA-256(all before)
//! ```
//! All integers big-endian. A blob that fails any check is refused with a [`StateError`]
//! that says what is wrong; nothing is guessed or repaired.

use tpm2_crypto::digest;
use tpm2_types::HashAlg;

pub const MAGIC: &[u8; 4] = b"FTPM";
/// The current format version. Readers refuse newer versions.
///
/// - 1: the first format.
/// - 2: persistent objects at the end of the permanent body, the context counter and the
///   saved sessions at the end of the volatile body, key objects as a new
///   transient-object variant, and policy-session fields inside `AuthSession` (read
///   through [`Body::decode_v1`]).
/// - 3: command audit (list, algorithm, counter, saved digest) at the end of the
///   permanent body, the command audit digest at the end of the volatile body (read
///   through [`Body::decode_v2`]).
/// - 4: Physical Presence Interface state (pending request, last result, flags) at the
///   end of the permanent body; the volatile body is unchanged (read through
///   [`Body::decode_v3`]).
pub const VERSION: u16 = 4;
const HEADER: usize = 12;
const CHECKSUM: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BlobKind {
    Permanent = 1,
    Volatile = 2,
}

impl BlobKind {
    fn name(self) -> &'static str {
        match self {
            BlobKind::Permanent => "permanent",
            BlobKind::Volatile => "volatile",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error("not a ferrotpm state blob (bad magic)")]
    BadMagic,
    #[error("truncated: {0} bytes, the header says {1}")]
    Truncated(usize, usize),
    #[error("state format version {0} is newer than this ferrotpm understands ({VERSION})")]
    UnsupportedVersion(u16),
    #[error("expected {expected} state, found kind {found}")]
    WrongKind { expected: &'static str, found: u8 },
    #[error("checksum mismatch: the state is damaged")]
    Checksum,
    #[error("{0} trailing bytes after the checksum")]
    Trailing(usize),
    #[error("undecodable body: {0}")]
    Decode(String),
    #[error("inconsistent state: {0}")]
    Invalid(String),
}

pub fn seal(kind: BlobKind, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER + body.len() + CHECKSUM);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_be_bytes());
    out.push(kind as u8);
    out.push(0);
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(body);
    let sum = digest(HashAlg::Sha256, &[&out]);
    out.extend_from_slice(&sum);
    out
}

/// Checks the envelope and returns the body.
pub fn open(kind: BlobKind, blob: &[u8]) -> Result<&[u8], StateError> {
    open_versioned(kind, blob).map(|(_, body)| body)
}

/// Checks the envelope and returns the format version and the body.
pub fn open_versioned(kind: BlobKind, blob: &[u8]) -> Result<(u16, &[u8]), StateError> {
    if blob.len() < 4 || &blob[..4] != MAGIC {
        return Err(StateError::BadMagic);
    }
    if blob.len() < HEADER {
        return Err(StateError::Truncated(blob.len(), HEADER + CHECKSUM));
    }
    let version = u16::from_be_bytes([blob[4], blob[5]]);
    if version > VERSION || version == 0 {
        return Err(StateError::UnsupportedVersion(version));
    }
    if blob[6] != kind as u8 {
        return Err(StateError::WrongKind {
            expected: kind.name(),
            found: blob[6],
        });
    }
    let len = u32::from_be_bytes([blob[8], blob[9], blob[10], blob[11]]) as usize;
    let total = HEADER.saturating_add(len).saturating_add(CHECKSUM);
    if blob.len() < total {
        return Err(StateError::Truncated(blob.len(), total));
    }
    let sum = digest(HashAlg::Sha256, &[&blob[..HEADER + len]]);
    if !tpm2_crypto::ct_eq(&sum, &blob[HEADER + len..total]) {
        return Err(StateError::Checksum);
    }
    if blob.len() > total {
        return Err(StateError::Trailing(blob.len() - total));
    }
    Ok((version, &blob[HEADER..HEADER + len]))
}

/// A state body and how its version-1 encoding is read.
///
/// Version 2 appended fields at the end of both bodies (persistent objects to
/// `Permanent`; the context counter and the saved sessions to `Volatile`) and added
/// fields inside `AuthSession` and its `PolicyState` (expirations, bound hashes and the
/// other policy assertions). Appended fields are read by appending their default
/// encodings; the nested ones cannot be (postcard is not self-describing), so a version-1
/// volatile body is decoded with its own layout (`state::v1`) and converted.
///
/// Version 3 only appended fields (command audit), so a version-2 body is read by
/// appending their default encodings; a version-1 body gets the version-2 defaults too.
/// Version 4 appended the PPI state to `Permanent` the same way (an older body gets the
/// PPI state of a manufactured TPM: nothing pending, the default flags).
pub trait Body: serde::de::DeserializeOwned {
    fn decode_v1(body: &[u8]) -> Result<Self, postcard::Error>;
    fn decode_v2(body: &[u8]) -> Result<Self, postcard::Error>;
    fn decode_v3(body: &[u8]) -> Result<Self, postcard::Error>;
}

/// The encoding of the permanent fields version 3 appended, at their defaults.
fn permanent_v3_defaults() -> Vec<u8> {
    postcard::to_allocvec(&super::CommandAudit::default()).unwrap_or_default()
}

/// The encoding of the permanent fields version 4 appended, at their defaults.
fn permanent_v4_defaults() -> Vec<u8> {
    postcard::to_allocvec(&super::PpiState::default()).unwrap_or_default()
}

impl Body for super::Permanent {
    /// One zero byte: an empty map of persistent objects; then the version-3 and
    /// version-4 fields.
    fn decode_v1(body: &[u8]) -> Result<Self, postcard::Error> {
        let mut v = body.to_vec();
        v.push(0);
        v.extend_from_slice(&permanent_v3_defaults());
        v.extend_from_slice(&permanent_v4_defaults());
        postcard::from_bytes(&v)
    }

    /// The default command audit state (as manufactured), then the version-4 fields.
    fn decode_v2(body: &[u8]) -> Result<Self, postcard::Error> {
        let mut v = body.to_vec();
        v.extend_from_slice(&permanent_v3_defaults());
        v.extend_from_slice(&permanent_v4_defaults());
        postcard::from_bytes(&v)
    }

    /// The PPI state of a manufactured TPM.
    fn decode_v3(body: &[u8]) -> Result<Self, postcard::Error> {
        let mut v = body.to_vec();
        v.extend_from_slice(&permanent_v4_defaults());
        postcard::from_bytes(&v)
    }
}

impl Body for super::Volatile {
    fn decode_v1(body: &[u8]) -> Result<Self, postcard::Error> {
        postcard::from_bytes::<super::v1::VolatileV1>(body).map(Into::into)
    }

    /// One zero byte: a cleared command audit digest.
    fn decode_v2(body: &[u8]) -> Result<Self, postcard::Error> {
        let mut v = body.to_vec();
        v.push(0);
        postcard::from_bytes(&v)
    }

    /// Version 4 did not change the volatile body.
    fn decode_v3(body: &[u8]) -> Result<Self, postcard::Error> {
        postcard::from_bytes(body)
    }
}

pub fn encode<T: serde::Serialize>(kind: BlobKind, value: &T) -> Vec<u8> {
    // postcard only fails to serialize types serde cannot express; ours are plain data.
    let body = postcard::to_allocvec(value).unwrap_or_default();
    seal(kind, &body)
}

pub fn decode<T: Body>(kind: BlobKind, blob: &[u8]) -> Result<T, StateError> {
    let (version, body) = open_versioned(kind, blob)?;
    let value = match version {
        1 => T::decode_v1(body),
        2 => T::decode_v2(body),
        3 => T::decode_v3(body),
        _ => postcard::from_bytes(body),
    };
    value.map_err(|e| StateError::Decode(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_damage_is_refused() {
        let b = seal(BlobKind::Permanent, b"hello state");
        assert_eq!(open(BlobKind::Permanent, &b).unwrap(), b"hello state");
        assert!(matches!(
            open(BlobKind::Volatile, &b),
            Err(StateError::WrongKind { .. })
        ));
        for cut in 0..b.len() {
            assert!(
                open(BlobKind::Permanent, &b[..cut]).is_err(),
                "truncated at {cut}"
            );
        }
        for i in 0..b.len() {
            let mut d = b.clone();
            d[i] ^= 0x01;
            assert!(open(BlobKind::Permanent, &d).is_err(), "bit flip at {i}");
        }
        let mut long = b.clone();
        long.push(0);
        assert_eq!(
            open(BlobKind::Permanent, &long),
            Err(StateError::Trailing(1))
        );
    }
}
