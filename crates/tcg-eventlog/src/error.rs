//! Parse errors: every one names the byte offset in the log where the structure that could
//! not be read begins, and (when known) the number of the event it belongs to.

use std::fmt;

/// Why a log could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ErrorKind {
    /// The input holds no event at all.
    Empty,
    /// A field or buffer runs past the end of the input.
    Truncated {
        what: &'static str,
        needed: u64,
        available: u64,
    },
    /// A structure is followed by bytes its event data should not hold.
    Trailing { bytes: u64 },
    /// A field has a value the structure does not allow.
    Invalid(&'static str),
    /// The Spec ID event (TCG PC Client PFP §10.4.5.1) is malformed.
    BadSpecId(&'static str),
    /// A TCG_PCR_EVENT2 digest names an algorithm the Spec ID event does not list, so its
    /// size is unknown and the rest of the log cannot be delimited.
    UnknownAlgorithm(u16),
    /// The Spec ID event lists an algorithm twice.
    DuplicateAlgorithm(u16),
    /// The Spec ID event gives a known algorithm a size that is not its digest size.
    DigestSizeMismatch { alg: u16, stated: u16, actual: u16 },
}

/// A log that could not be parsed: what went wrong and where.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ParseError {
    /// Byte offset from the start of the log of the field that failed.
    pub offset: usize,
    /// Number (0-based, counting the Spec ID event) of the event being read.
    pub event: Option<usize>,
    pub kind: ErrorKind,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Empty => write!(f, "the log is empty"),
            ErrorKind::Truncated {
                what,
                needed,
                available,
            } => write!(
                f,
                "truncated {what}: needs {needed} bytes, {available} remain"
            ),
            ErrorKind::Trailing { bytes } => write!(f, "{bytes} unexpected trailing bytes"),
            ErrorKind::Invalid(why) => write!(f, "invalid field: {why}"),
            ErrorKind::BadSpecId(why) => write!(f, "malformed Spec ID event: {why}"),
            ErrorKind::UnknownAlgorithm(a) => write!(
                f,
                "digest of algorithm 0x{a:04x}, which the Spec ID event does not list"
            ),
            ErrorKind::DuplicateAlgorithm(a) => {
                write!(f, "Spec ID event lists algorithm 0x{a:04x} twice")
            }
            ErrorKind::DigestSizeMismatch {
                alg,
                stated,
                actual,
            } => write!(
                f,
                "Spec ID event gives algorithm 0x{alg:04x} digest size {stated}, but it is {actual}"
            ),
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte offset {} (0x{:x})", self.offset, self.offset)?;
        if let Some(n) = self.event {
            write!(f, ", event {n}")?;
        }
        write!(f, ": {}", self.kind)
    }
}

impl std::error::Error for ParseError {}
