//! The authorization layer: parses the session area and checks every authorization before
//! a handler runs; builds the response session area after it. Handlers never see sessions.
//!
//! Password authorizations (`TPM_RS_PW`) are complete here; HMAC and policy sessions hook
//! into [`SessionKind`] when they arrive.

use crate::Tpm;
use tpm2_types::constants::{ht, rh, session_attr};
use tpm2_types::{Rc, Reader, Tpm2bAuth, Tpm2bNonce, TpmsAuthResponse};

/// At most three sessions per command (Part 1, §18.1).
pub const MAX_SESSIONS: usize = 3;
/// The smallest session entry: handle, empty nonce, attributes, empty hmac.
const MIN_SESSION_SIZE: usize = 9;

/// Authorization roles (Part 1, §19.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    User,
    Admin,
    Dup,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionKind {
    Password,
}

/// One parsed session of the command (a `TPMS_AUTH_COMMAND` borrowed from the command).
#[derive(Clone, Copy)]
pub struct Session<'a> {
    pub kind: SessionKind,
    pub nonce: &'a [u8],
    pub attributes: u8,
    pub hmac: &'a [u8],
}

/// The sessions of a command (at most three; no allocation).
#[derive(Default)]
pub struct Sessions<'a> {
    items: [Option<Session<'a>>; MAX_SESSIONS],
    len: usize,
}

impl<'a> Sessions<'a> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn get(&self, i: usize) -> Option<&Session<'a>> {
        self.items.get(i).and_then(|s| s.as_ref())
    }
}

/// A `TPM2B_` inside the session area, borrowed; `TPM_RC_SIZE` above a digest's size.
fn read_b<'a>(r: &mut Reader<'a>) -> Result<&'a [u8], Rc> {
    let n = r.u16()? as usize;
    if n > tpm2_types::buffers::MAX_DIGEST_SIZE {
        return Err(Rc::SIZE);
    }
    r.take(n)
}

/// A `TPMS_AUTH_COMMAND` as it appears on the wire, borrowed.
struct RawSession<'a> {
    handle: u32,
    nonce: &'a [u8],
    attributes: u8,
    hmac: &'a [u8],
}

impl<'a> RawSession<'a> {
    fn read(r: &mut Reader<'a>) -> Result<Self, Rc> {
        Ok(RawSession {
            handle: r.u32()?,
            nonce: read_b(r)?,
            attributes: r.u8()?,
            hmac: read_b(r)?,
        })
    }
}

/// Parses `authorizationSize` and the sessions it covers. Errors carry the session number.
pub fn parse_sessions<'a>(r: &mut Reader<'a>) -> Result<Sessions<'a>, Rc> {
    let size = r.u32().map_err(|_| Rc::AUTHSIZE)? as usize;
    if size < MIN_SESSION_SIZE {
        return Err(Rc::SIZE);
    }
    if size > r.left() {
        return Err(Rc::AUTHSIZE);
    }
    let mut area = r.sub(size)?;
    let mut out = Sessions::default();
    while !area.is_empty() {
        let n = out.len + 1;
        if n > MAX_SESSIONS {
            return Err(Rc::AUTHSIZE);
        }
        let e = RawSession::read(&mut area).map_err(|e| e.session(n))?;
        let (handle, nonce, attributes, hmac) = (e.handle, e.nonce, e.attributes, e.hmac);
        let kind = match handle {
            rh::PW => SessionKind::Password,
            h if matches!((h >> 24) as u8, ht::HMAC_SESSION | ht::POLICY_SESSION) => {
                // No HMAC or policy session can be loaded yet.
                return Err(Rc(Rc::REFERENCE_S0.0 + (n as u32 - 1)));
            }
            _ => return Err(Rc::VALUE.session(n)),
        };
        if attributes & session_attr::RESERVED != 0 {
            return Err(Rc::RESERVED_BITS.session(n));
        }
        out.items[out.len] = Some(Session {
            kind,
            nonce,
            attributes,
            hmac,
        });
        out.len = n;
    }
    Ok(out)
}

/// Removes trailing zero octets, as the TPM does for authValues and passwords
/// (Part 1, §19.6.4).
pub fn trim_zeros(v: &[u8]) -> &[u8] {
    let end = v.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
    &v[..end]
}

impl Tpm {
    /// Checks the authorization of handle `h` by session `n` (1-based).
    pub(crate) fn authorize(
        &mut self,
        h: u32,
        role: Role,
        s: &Session,
        n: usize,
    ) -> Result<(), Rc> {
        let _ = role;
        match s.kind {
            SessionKind::Password => {
                // A password session carries no nonce and no audit/encrypt/decrypt use.
                if !s.nonce.is_empty() {
                    return Err(Rc::NONCE.session(n));
                }
                let forbidden = session_attr::AUDIT
                    | session_attr::ENCRYPT
                    | session_attr::DECRYPT
                    | session_attr::AUDIT_EXCLUSIVE
                    | session_attr::AUDIT_RESET;
                if s.attributes & forbidden != 0 {
                    return Err(Rc::ATTRIBUTES.session(n));
                }
                self.da_check(h)?;
                let ok = tpm2_crypto::ct_eq(trim_zeros(self.entity_auth(h)), trim_zeros(s.hmac));
                if ok {
                    Ok(())
                } else {
                    Err(self.da_failure(h).session(n))
                }
            }
        }
    }
}

/// The response session entry for a password session: empty nonce, `continueSession`
/// set, empty hmac (Part 1, §19.6.6).
pub fn password_response() -> TpmsAuthResponse {
    TpmsAuthResponse {
        nonce: Tpm2bNonce::empty(),
        attributes: session_attr::CONTINUE_SESSION,
        hmac: Tpm2bAuth::empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_zeros() {
        assert_eq!(trim_zeros(b"ab\0\0"), b"ab");
        assert_eq!(trim_zeros(b"\0\0"), b"");
        assert_eq!(trim_zeros(b"a\0b"), b"a\0b");
    }
}
