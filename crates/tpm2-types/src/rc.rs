//! `TPM_RC` response codes (TPM 2.0 Part 2, §6.6).
//!
//! Format-zero codes (`RC_VER1 + n`, warnings `RC_WARN + n`) stand alone. Format-one codes
//! (`RC_FMT1 + n`) name what failed: bit 6 (`TPM_RC_P`) set means a parameter, with its
//! 1-based number in bits 8–11; otherwise bits 8–10 give a handle number (bit 11 clear) or
//! a session number (bit 11 set).

use std::fmt;

#[derive(Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Rc(pub u32);

const RC_VER1: u32 = 0x100;
const RC_FMT1: u32 = 0x080;
const RC_WARN: u32 = 0x900;
const RC_P: u32 = 0x040;
const RC_S: u32 = 0x800;

macro_rules! codes {
    ($($name:ident = $base:ident + $n:expr;)*) => {
        impl Rc {
            $(pub const $name: Rc = Rc($base + $n);)*
        }
        fn name_of(code: u32) -> Option<&'static str> {
            match code {
                $(x if x == $base + $n => Some(stringify!($name)),)*
                _ => None,
            }
        }
    };
}

impl Rc {
    pub const SUCCESS: Rc = Rc(0);
    /// TPM 1.2 style tag error; returned for a bad command tag (Part 2, §6.6.3).
    pub const BAD_TAG: Rc = Rc(0x01E);
}

codes! {
    INITIALIZE = RC_VER1 + 0x000;
    FAILURE = RC_VER1 + 0x001;
    SEQUENCE = RC_VER1 + 0x003;
    PRIVATE = RC_VER1 + 0x00B;
    HMAC = RC_VER1 + 0x019;
    DISABLED = RC_VER1 + 0x020;
    EXCLUSIVE = RC_VER1 + 0x021;
    AUTH_TYPE = RC_VER1 + 0x024;
    AUTH_MISSING = RC_VER1 + 0x025;
    POLICY = RC_VER1 + 0x026;
    PCR = RC_VER1 + 0x027;
    PCR_CHANGED = RC_VER1 + 0x028;
    UPGRADE = RC_VER1 + 0x02D;
    TOO_MANY_CONTEXTS = RC_VER1 + 0x02E;
    AUTH_UNAVAILABLE = RC_VER1 + 0x02F;
    REBOOT = RC_VER1 + 0x030;
    UNBALANCED = RC_VER1 + 0x031;
    COMMAND_SIZE = RC_VER1 + 0x042;
    COMMAND_CODE = RC_VER1 + 0x043;
    AUTHSIZE = RC_VER1 + 0x044;
    AUTH_CONTEXT = RC_VER1 + 0x045;
    NV_RANGE = RC_VER1 + 0x046;
    NV_SIZE = RC_VER1 + 0x047;
    NV_LOCKED = RC_VER1 + 0x048;
    NV_AUTHORIZATION = RC_VER1 + 0x049;
    NV_UNINITIALIZED = RC_VER1 + 0x04A;
    NV_SPACE = RC_VER1 + 0x04B;
    NV_DEFINED = RC_VER1 + 0x04C;
    BAD_CONTEXT = RC_VER1 + 0x050;
    CPHASH = RC_VER1 + 0x051;
    PARENT = RC_VER1 + 0x052;
    NEEDS_TEST = RC_VER1 + 0x053;
    NO_RESULT = RC_VER1 + 0x054;
    SENSITIVE = RC_VER1 + 0x055;
    ASYMMETRIC = RC_FMT1 + 0x001;
    ATTRIBUTES = RC_FMT1 + 0x002;
    HASH = RC_FMT1 + 0x003;
    VALUE = RC_FMT1 + 0x004;
    HIERARCHY = RC_FMT1 + 0x005;
    KEY_SIZE = RC_FMT1 + 0x007;
    MGF = RC_FMT1 + 0x008;
    MODE = RC_FMT1 + 0x009;
    TYPE = RC_FMT1 + 0x00A;
    HANDLE = RC_FMT1 + 0x00B;
    KDF = RC_FMT1 + 0x00C;
    RANGE = RC_FMT1 + 0x00D;
    AUTH_FAIL = RC_FMT1 + 0x00E;
    NONCE = RC_FMT1 + 0x00F;
    PP = RC_FMT1 + 0x010;
    SCHEME = RC_FMT1 + 0x012;
    SIZE = RC_FMT1 + 0x015;
    SYMMETRIC = RC_FMT1 + 0x016;
    TAG = RC_FMT1 + 0x017;
    SELECTOR = RC_FMT1 + 0x018;
    INSUFFICIENT = RC_FMT1 + 0x01A;
    SIGNATURE = RC_FMT1 + 0x01B;
    KEY = RC_FMT1 + 0x01C;
    POLICY_FAIL = RC_FMT1 + 0x01D;
    INTEGRITY = RC_FMT1 + 0x01F;
    TICKET = RC_FMT1 + 0x020;
    RESERVED_BITS = RC_FMT1 + 0x021;
    BAD_AUTH = RC_FMT1 + 0x022;
    EXPIRED = RC_FMT1 + 0x023;
    POLICY_CC = RC_FMT1 + 0x024;
    BINDING = RC_FMT1 + 0x025;
    CURVE = RC_FMT1 + 0x026;
    ECC_POINT = RC_FMT1 + 0x027;
    CONTEXT_GAP = RC_WARN + 0x001;
    OBJECT_MEMORY = RC_WARN + 0x002;
    SESSION_MEMORY = RC_WARN + 0x003;
    MEMORY = RC_WARN + 0x004;
    SESSION_HANDLES = RC_WARN + 0x005;
    OBJECT_HANDLES = RC_WARN + 0x006;
    LOCALITY = RC_WARN + 0x007;
    YIELDED = RC_WARN + 0x008;
    CANCELED = RC_WARN + 0x009;
    TESTING = RC_WARN + 0x00A;
    REFERENCE_H0 = RC_WARN + 0x010;
    REFERENCE_S0 = RC_WARN + 0x018;
    NV_RATE = RC_WARN + 0x020;
    LOCKOUT = RC_WARN + 0x021;
    RETRY = RC_WARN + 0x022;
    NV_UNAVAILABLE = RC_WARN + 0x023;
}

impl Rc {
    pub fn is_success(self) -> bool {
        self.0 == 0
    }

    /// True for a format-one code (bit 7).
    pub fn is_format_one(self) -> bool {
        self.0 & RC_FMT1 != 0
    }

    /// The code without its parameter/handle/session number.
    pub fn base(self) -> Rc {
        if self.is_format_one() {
            Rc(self.0 & 0xBF)
        } else {
            self
        }
    }

    /// Marks a format-one code as concerning parameter `n` (1-based). Codes that are not
    /// format-one, or already carry a number, are returned unchanged.
    pub fn param(self, n: usize) -> Rc {
        self.numbered(RC_P | (((n as u32) & 0xF) << 8))
    }

    /// Marks a format-one code as concerning handle `n` (1-based).
    pub fn handle(self, n: usize) -> Rc {
        self.numbered(((n as u32) & 0x7) << 8)
    }

    /// Marks a format-one code as concerning session `n` (1-based).
    pub fn session(self, n: usize) -> Rc {
        self.numbered(RC_S | (((n as u32) & 0x7) << 8))
    }

    fn numbered(self, bits: u32) -> Rc {
        if self.is_format_one() && self.0 & 0xF40 == 0 {
            Rc(self.0 | bits)
        } else {
            self
        }
    }
}

impl fmt::Debug for Rc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Rc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let base = self.base().0;
        let name = if self.0 == 0 {
            Some("SUCCESS")
        } else if self.0 == Rc::BAD_TAG.0 {
            Some("BAD_TAG")
        } else {
            name_of(base)
        };
        match name {
            Some(n) => write!(f, "TPM_RC_{n}")?,
            None => write!(f, "TPM_RC(0x{base:03x})")?,
        }
        if self.is_format_one() && self.0 & 0xF40 != 0 {
            let n = (self.0 >> 8) & 0xF;
            if self.0 & RC_P != 0 {
                write!(f, " (parameter {n})")?;
            } else if self.0 & RC_S != 0 {
                write!(f, " (session {})", n & 7)?;
            } else {
                write!(f, " (handle {n})")?;
            }
        }
        write!(f, " [0x{:03x}]", self.0)
    }
}

impl std::error::Error for Rc {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_one_numbering() {
        assert_eq!(Rc::VALUE.param(1).0, 0x1C4);
        assert_eq!(Rc::HANDLE.handle(1).0, 0x18B);
        assert_eq!(Rc::AUTH_FAIL.session(1).0, 0x98E);
        assert_eq!(Rc::SIZE.param(2).0, 0x2D5);
        // Already numbered codes and format-zero codes are unchanged.
        assert_eq!(Rc::VALUE.param(1).param(3).0, 0x1C4);
        assert_eq!(Rc::INITIALIZE.param(1), Rc::INITIALIZE);
        assert_eq!(Rc::VALUE.param(1).base(), Rc::VALUE);
    }

    #[test]
    fn display_names() {
        assert_eq!(
            Rc::VALUE.param(1).to_string(),
            "TPM_RC_VALUE (parameter 1) [0x1c4]"
        );
        assert_eq!(Rc::LOCKOUT.to_string(), "TPM_RC_LOCKOUT [0x921]");
    }
}
