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
/// `authorizationSize` that cannot be read is `TPM_RC_INSUFFICIENT`; one smaller than a
/// session entry or larger than the rest of the command is `TPM_RC_SIZE`; a fourth session
/// is `TPM_RC_SIZE` for that session (libtpms, Part 4 `ParseSessionBuffer`).
pub fn parse_sessions<'a>(r: &mut Reader<'a>) -> Result<Sessions<'a>, Rc> {
    let size = r.u32()? as usize;
    if size < MIN_SESSION_SIZE || size > r.left() {
        return Err(Rc::SIZE);
    }
    let mut area = r.sub(size)?;
    let mut out = Sessions::default();
    while !area.is_empty() {
        let n = out.len + 1;
        if n > MAX_SESSIONS {
            return Err(Rc::SIZE.session(n));
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
    /// Checks the authorization of handle `h` with `role` for command `code` by session
    /// `n` (1-based), in the order of Part 4 `CheckAuthSession`: lockout, whether a
    /// policy session is required, whether the authValue may be used, the value itself,
    /// then PIN index bookkeeping.
    pub(crate) fn authorize(
        &mut self,
        h: u32,
        role: Role,
        code: u32,
        s: &Session<'_>,
        n: usize,
    ) -> Result<(), Rc> {
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
                if self.policy_session_required(h, role) {
                    return Err(Rc::AUTH_TYPE);
                }
                if !self.auth_value_available(h, code) {
                    return Err(Rc::AUTH_UNAVAILABLE);
                }
                let ok = tpm2_crypto::ct_eq(trim_zeros(self.entity_auth(h)), trim_zeros(s.hmac));
                let result = if ok {
                    Ok(())
                } else {
                    Err(self.da_failure(h).session(n))
                };
                if (h >> 24) as u8 == ht::NV_INDEX {
                    self.nv_pin_after_auth(h, ok);
                }
                result
            }
        }
    }

    /// Whether `h` may only be authorized with a policy session (Part 4
    /// `IsPolicySessionRequired`): the DUP role always; the ADMIN role for permanent
    /// handles and NV indices (and objects with `adminWithPolicy`; the only transient
    /// objects so far, sequences, have not); a PCR whose policy group has a policy.
    fn policy_session_required(&self, h: u32, role: Role) -> bool {
        match role {
            Role::Dup => true,
            Role::Admin => (h >> 24) as u8 != ht::TRANSIENT,
            Role::User => {
                (h >> 24) as u8 == ht::PCR
                    && crate::pcr::pc_client::POLICY.is_set(h as usize)
                    && self.perm.pcr_policy.alg.is_some()
            }
        }
    }

    /// Whether the authValue of `h` may be used for `code` (Part 4
    /// `IsAuthValueAvailable`): always for hierarchies, lockout, PCRs and sequence
    /// objects; for an NV index as its attributes say.
    fn auth_value_available(&self, h: u32, code: u32) -> bool {
        match (h >> 24) as u8 {
            ht::NV_INDEX => self.nv_auth_value_available(h, code),
            _ => true,
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
