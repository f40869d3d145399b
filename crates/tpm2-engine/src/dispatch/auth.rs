//! The authorization layer: parses the session area and checks every authorization before
//! a handler runs ([`Tpm::check_sessions`]); builds the response session area after it
//! (`dispatch::respond`). Handlers never see sessions.
//!
//! The order of the checks is the reference's (Part 4 `ParseSessionBuffer`,
//! `CheckAuthSession`), so the first error reported is the one libtpms reports.

use super::hmac::{cp_hash, hmac_key, session_hmac};
use super::table::CommandDef;
use crate::session::{is_session_handle, slot, MAX_ACTIVE_SESSIONS};
use crate::state::SessionType;
use crate::Tpm;
use tpm2_types::constants::{cc, ht, rh, session_attr};
use tpm2_types::{HashAlg, Rc, Reader, Tpm2bAuth, Tpm2bNonce, TpmsAuthResponse};

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
    Hmac,
    /// A policy session (a trial session also has a policy handle).
    Policy,
}

/// One parsed session of the command (a `TPMS_AUTH_COMMAND` borrowed from the command).
#[derive(Clone, Copy)]
pub struct Session<'a> {
    pub kind: SessionKind,
    pub handle: u32,
    pub nonce: &'a [u8],
    pub attributes: u8,
    pub hmac: &'a [u8],
}

impl Session<'_> {
    pub fn has(&self, bit: u8) -> bool {
        self.attributes & bit != 0
    }
}

/// The sessions of a command (at most three; no allocation), with the ones used for
/// parameter decryption, encryption and audit.
#[derive(Default)]
pub struct Sessions<'a> {
    items: [Option<Session<'a>>; MAX_SESSIONS],
    len: usize,
    pub decrypt: Option<usize>,
    pub encrypt: Option<usize>,
    pub audit: Option<usize>,
}

impl<'a> Sessions<'a> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn get(&self, i: usize) -> Option<&Session<'a>> {
        self.items.get(i).and_then(|s| s.as_ref())
    }

    pub fn iter(&self) -> impl Iterator<Item = &Session<'a>> {
        self.items[..self.len].iter().flatten()
    }

    /// Whether any session is an HMAC or policy session (else nothing needs names,
    /// digests or nonces).
    pub fn any_real(&self) -> bool {
        self.iter().any(|s| s.kind != SessionKind::Password)
    }
}

/// What authorizing a command establishes for its response: which handle each session
/// authorized and whether its HMAC key includes that authValue; the command's handle
/// Names and cpHash, computed once per hash when first needed.
pub struct AuthCtx<'a> {
    pub code: u32,
    pub sessions: Sessions<'a>,
    pub associated: [Option<u32>; MAX_SESSIONS],
    pub include_auth: [bool; MAX_SESSIONS],
    pub handles: [u32; super::command::MAX_HANDLES],
    pub n_handles: usize,
    /// The parameters as received (before any decryption: cpHash covers these).
    pub params: &'a [u8],
    names: Option<Vec<Vec<u8>>>,
    cp: Vec<(HashAlg, Vec<u8>)>,
}

impl<'a> AuthCtx<'a> {
    pub fn new(code: u32, sessions: Sessions<'a>, handles: &[u32], params: &'a [u8]) -> Self {
        let mut hs = [0u32; super::command::MAX_HANDLES];
        let n = handles.len().min(hs.len());
        hs[..n].copy_from_slice(&handles[..n]);
        AuthCtx {
            code,
            sessions,
            associated: [None; MAX_SESSIONS],
            include_auth: [false; MAX_SESSIONS],
            handles: hs,
            n_handles: n,
            params,
            names: None,
            cp: Vec::new(),
        }
    }

    /// cpHash with `alg` over the Names the handles had when the command arrived.
    pub fn cp_hash(&mut self, tpm: &Tpm, alg: HashAlg) -> Vec<u8> {
        if let Some((_, d)) = self.cp.iter().find(|(a, _)| *a == alg) {
            return d.clone();
        }
        let handles = &self.handles[..self.n_handles];
        let names = self
            .names
            .get_or_insert_with(|| handles.iter().map(|h| tpm.entity_name(*h)).collect());
        let d = cp_hash(alg, self.code, names, self.params);
        self.cp.push((alg, d.clone()));
        d
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

/// `TPMI_SH_AUTH_SESSION`: the password session or a handle in a session range.
fn read_session_handle(r: &mut Reader<'_>) -> Result<u32, Rc> {
    let h = r.u32()?;
    if h == rh::PW || (is_session_handle(h) && slot(h) < MAX_ACTIVE_SESSIONS) {
        Ok(h)
    } else {
        Err(Rc::VALUE)
    }
}

/// Commands whose session area must be empty (`TPM_RC_AUTH_CONTEXT`): the context
/// commands, which handle sessions as data.
fn sessions_allowed(code: u32) -> bool {
    !matches!(
        code,
        cc::FLUSH_CONTEXT | cc::CONTEXT_SAVE | cc::CONTEXT_LOAD
    )
}

/// Removes trailing zero octets, as the TPM does for authValues and passwords
/// (Part 1, §19.6.4).
pub fn trim_zeros(v: &[u8]) -> &[u8] {
    let end = v.iter().rposition(|b| *b != 0).map_or(0, |i| i + 1);
    &v[..end]
}

impl Tpm {
    /// Parses `authorizationSize` and the sessions it covers, with the checks each entry
    /// gets on its own (Part 4 `RetrieveSessionData`). Errors carry the session number.
    /// `authorizationSize` that cannot be read is `TPM_RC_INSUFFICIENT`; one smaller than
    /// a session entry or larger than the rest of the command is `TPM_RC_SIZE`; a fourth
    /// session is `TPM_RC_SIZE` for that session.
    pub(crate) fn parse_sessions<'a>(
        &self,
        r: &mut Reader<'a>,
        def: &CommandDef,
    ) -> Result<Sessions<'a>, Rc> {
        let size = r.u32()? as usize;
        if size < MIN_SESSION_SIZE || size > r.left() {
            return Err(Rc::SIZE);
        }
        if !sessions_allowed(def.cc) {
            return Err(Rc::AUTH_CONTEXT);
        }
        let mut area = r.sub(size)?;
        let mut out = Sessions::default();
        while !area.is_empty() {
            let i = out.len;
            let n = i + 1;
            if n > MAX_SESSIONS {
                return Err(Rc::SIZE.session(n));
            }
            let s = self
                .read_session(&mut area, def, &out, i)
                .map_err(|e| e.session(n))?;
            use session_attr::*;
            if s.kind != SessionKind::Password {
                for (bit, slot) in [
                    (DECRYPT, &mut out.decrypt),
                    (ENCRYPT, &mut out.encrypt),
                    (AUDIT, &mut out.audit),
                ] {
                    if s.has(bit) {
                        *slot = Some(i);
                    }
                }
            }
            out.items[i] = Some(s);
            out.len = n;
        }
        Ok(out)
    }

    /// One `TPMS_AUTH_COMMAND` and the checks on it alone (session `i`, 0-based).
    fn read_session<'a>(
        &self,
        area: &mut Reader<'a>,
        def: &CommandDef,
        before: &Sessions<'a>,
        i: usize,
    ) -> Result<Session<'a>, Rc> {
        use session_attr::*;
        let handle = read_session_handle(area)?;
        let nonce = read_b(area)?;
        let attributes = area.u8()?;
        if attributes & RESERVED != 0 {
            return Err(Rc::RESERVED_BITS);
        }
        let hmac = read_b(area)?;
        let mut s = Session {
            kind: SessionKind::Password,
            handle,
            nonce,
            attributes,
            hmac,
        };
        if handle == rh::PW {
            // A password session carries no nonce and is for authorization only.
            if attributes & (ENCRYPT | DECRYPT | AUDIT | AUDIT_EXCLUSIVE | AUDIT_RESET) != 0 {
                return Err(Rc::ATTRIBUTES);
            }
            if !nonce.is_empty() {
                return Err(Rc::NONCE);
            }
            return Ok(s);
        }
        if !self.session_slot_loaded(handle) {
            return Err(Rc(Rc::REFERENCE_S0.0 + i as u32));
        }
        // A session in the other range, or named twice.
        let sess = self.session(handle).ok_or(Rc::HANDLE)?;
        if before.iter().any(|b| b.handle == handle) {
            return Err(Rc::HANDLE);
        }
        s.kind = if sess.is_policy() {
            SessionKind::Policy
        } else {
            SessionKind::Hmac
        };
        let (decrypt_ok, encrypt_ok) = super::table::param_encryption(def.cc);
        let no_sym = sess.symmetric == crate::state::SessionSymmetric::Null;
        if s.has(DECRYPT) {
            if !decrypt_ok || before.decrypt.is_some() {
                return Err(Rc::ATTRIBUTES);
            }
            if no_sym {
                return Err(Rc::SYMMETRIC);
            }
        }
        if s.has(ENCRYPT) {
            if !encrypt_ok || before.encrypt.is_some() {
                return Err(Rc::ATTRIBUTES);
            }
            if no_sym {
                return Err(Rc::SYMMETRIC);
            }
        }
        if s.has(AUDIT) {
            if before.audit.is_some() || s.kind == SessionKind::Policy {
                return Err(Rc::ATTRIBUTES);
            }
            // Continuing an audit as its exclusive session requires that it still is.
            let continuing = !s.has(AUDIT_RESET) && sess.audit.is_some();
            if continuing && s.has(AUDIT_EXCLUSIVE) && self.vol.exclusive_audit != Some(handle) {
                return Err(Rc::EXCLUSIVE);
            }
        }
        Ok(s)
    }

    /// Checks every session of the command in order (Part 4 `ParseSessionBuffer`): the
    /// first sessions authorize the handles that need authorization; any others must be
    /// for audit or parameter encryption, and their HMAC is checked without an authValue.
    pub(crate) fn check_sessions(
        &mut self,
        ctx: &mut AuthCtx<'_>,
        def: &CommandDef,
        locality: u8,
    ) -> Result<(), Rc> {
        // Handles that need authorization come first (Part 3); session i authorizes
        // handle i.
        let mut roles = [Role::User; MAX_SESSIONS];
        let mut n_roles = 0;
        for (r, role) in def
            .handles
            .iter()
            .filter_map(|h| h.auth)
            .zip(roles.iter_mut())
        {
            *role = r;
            n_roles += 1;
        }
        if ctx.sessions.len() < n_roles {
            return Err(Rc::AUTH_MISSING);
        }
        for (i, h) in ctx.handles[..n_roles].iter().enumerate() {
            ctx.associated[i] = Some(*h);
        }
        for i in 0..ctx.sessions.len() {
            let Some(s) = ctx.sessions.get(i).copied() else {
                continue;
            };
            let n = i + 1;
            if s.kind == SessionKind::Password {
                if ctx.associated[i].is_none() {
                    return Err(Rc::HANDLE.session(n));
                }
            } else {
                let (trial, da_bound, lockout_bound) = match self.session(s.handle) {
                    Some(x) => (x.kind == SessionType::Trial, x.da_bound, x.lockout_bound),
                    None => return Err(Rc::HANDLE.session(n)),
                };
                // A trial session can neither authorize, audit nor encrypt.
                if trial {
                    return Err(Rc::ATTRIBUTES.session(n));
                }
                // A session bound to a DA-protected entity is subject to lockout
                // whatever it is used for.
                if da_bound {
                    self.check_locked_out(lockout_bound)?;
                }
            }
            match ctx.associated[i] {
                Some(h) => {
                    let role = roles[..n_roles].get(i).copied().unwrap_or(Role::User);
                    self.check_auth_session(ctx, i, h, role, locality)
                        .map_err(|e| e.session(n))?;
                }
                None => {
                    use session_attr::*;
                    if s.attributes & (AUDIT | ENCRYPT | DECRYPT) == 0 {
                        return Err(Rc::ATTRIBUTES.session(n));
                    }
                    ctx.include_auth[i] = false;
                    self.check_session_hmac(ctx, i).map_err(|e| e.session(n))?;
                }
            }
        }
        Ok(())
    }

    /// Whether session `s` is bound to the entity `h` (its Name and current authValue are
    /// those it was bound with).
    fn is_bind_entity(&self, h: u32, s: &crate::state::AuthSession) -> bool {
        s.bound.as_ref().is_some_and(|b| {
            b.name == self.entity_name(h)
                && tpm2_crypto::ct_eq(b.auth.as_slice(), trim_zeros(self.entity_auth(h)))
        })
    }

    /// The authorization of handle `h` with `role` by session `i` (Part 4
    /// `CheckAuthSession`): lockout if the authValue is used, whether a policy session is
    /// required or the policy available, the policy itself, then the password or HMAC,
    /// then PIN index bookkeeping.
    fn check_auth_session(
        &mut self,
        ctx: &mut AuthCtx<'_>,
        i: usize,
        h: u32,
        role: Role,
        locality: u8,
    ) -> Result<(), Rc> {
        let Some(s) = ctx.sessions.get(i).copied() else {
            return Err(Rc::AUTH_MISSING);
        };
        let mut password = s.kind == SessionKind::Password;
        let auth_used = match s.kind {
            SessionKind::Password => true,
            SessionKind::Policy => {
                let p = self
                    .session(s.handle)
                    .map(|x| x.policy.clone())
                    .unwrap_or_default();
                password = p.password_needed;
                p.auth_value_needed || p.password_needed
            }
            SessionKind::Hmac => match self.session(s.handle) {
                Some(x) => !self.is_bind_entity(h, x),
                None => true,
            },
        };
        ctx.include_auth[i] = auth_used && s.kind != SessionKind::Password;
        if auth_used {
            self.da_check(h)?;
        }
        if s.kind == SessionKind::Policy {
            if !self.auth_policy_available(h, role, ctx.code) {
                return Err(Rc::AUTH_UNAVAILABLE);
            }
            self.check_policy(ctx, s.handle, h, role, locality)?;
        } else {
            if self.policy_session_required(h, role) {
                return Err(Rc::AUTH_TYPE);
            }
            if !self.auth_value_available(h, ctx.code, role) {
                return Err(Rc::AUTH_UNAVAILABLE);
            }
        }
        let result = if password {
            if tpm2_crypto::ct_eq(trim_zeros(self.entity_auth(h)), trim_zeros(s.hmac)) {
                Ok(())
            } else {
                Err(self.increment_lockout(ctx, i))
            }
        } else {
            self.check_session_hmac(ctx, i)
        };
        if (h >> 24) as u8 == ht::NV_INDEX && auth_used {
            self.nv_pin_after_auth(h, result.is_ok());
        }
        result
    }

    /// Compares the HMAC of session `i` with the one expected (Part 1, §19.6.5):
    /// HMAC(sessionKey || authValue, cpHash || nonceCaller || nonceTPM [|| nonceTPM of a
    /// separate decrypt session || of a separate encrypt session] || sessionAttributes);
    /// the extra nonces only in the first session when it authorizes a handle.
    fn check_session_hmac(&mut self, ctx: &mut AuthCtx<'_>, i: usize) -> Result<(), Rc> {
        let Some(s) = ctx.sessions.get(i).copied() else {
            return Err(Rc::AUTH_MISSING);
        };
        let extra = |idx: Option<usize>, ctx: &AuthCtx<'_>| -> Vec<u8> {
            idx.filter(|d| *d != i)
                .and_then(|d| ctx.sessions.get(d))
                .and_then(|x| self.session(x.handle))
                .map(|x| x.nonce_tpm.clone())
                .unwrap_or_default()
        };
        let (nonce_dec, nonce_enc) = if i == 0 && ctx.associated[0].is_some() {
            let dec = ctx.sessions.decrypt;
            let enc = ctx.sessions.encrypt.filter(|e| Some(*e) != dec);
            (extra(dec, ctx), extra(enc, ctx))
        } else {
            (Vec::new(), Vec::new())
        };
        let Some(sess) = self.session(s.handle) else {
            return Err(Rc::HANDLE);
        };
        let hash = sess.hash;
        let cp = ctx.cp_hash(self, hash);
        let Some(sess) = self.session(s.handle) else {
            return Err(Rc::HANDLE);
        };
        let auth = match (ctx.include_auth[i], ctx.associated[i]) {
            (true, Some(h)) => Some(trim_zeros(self.entity_auth(h))),
            _ => None,
        };
        let key = hmac_key(sess, auth);
        let expected = session_hmac(
            sess,
            &key,
            s.hmac.is_empty(),
            &[
                &cp,
                s.nonce,
                &sess.nonce_tpm,
                &nonce_dec,
                &nonce_enc,
                &[s.attributes],
            ],
        );
        if tpm2_crypto::ct_eq(&expected, s.hmac) {
            Ok(())
        } else {
            Err(self.increment_lockout(ctx, i))
        }
    }

    /// A failed authorization by session `i` (Part 4 `IncrementLockout`): it counts
    /// against lockout (`TPM_RC_AUTH_FAIL`) when the entity is DA-protected and its
    /// authValue was used, or when the session is bound to a DA-protected entity (to
    /// lockoutAuth: lockoutAuth is blocked); otherwise `TPM_RC_BAD_AUTH`.
    fn increment_lockout(&mut self, ctx: &AuthCtx<'_>, i: usize) -> Rc {
        let mut h = ctx.associated[i].unwrap_or(rh::UNASSIGNED);
        let Some(s) = ctx.sessions.get(i) else {
            return Rc::BAD_AUTH;
        };
        if s.kind == SessionKind::Password {
            if self.da_exempt(h) {
                return Rc::BAD_AUTH;
            }
        } else {
            let (da_bound, lockout_bound) = self
                .session(s.handle)
                .map_or((false, false), |x| (x.da_bound, x.lockout_bound));
            if lockout_bound {
                h = rh::LOCKOUT;
            }
            if !da_bound && (self.da_exempt(h) || !ctx.include_auth[i]) {
                return Rc::BAD_AUTH;
            }
        }
        self.da_register_failure(h == rh::LOCKOUT)
    }

    /// Whether `h` may only be authorized with a policy session (Part 4
    /// `IsPolicySessionRequired`): the DUP role always; the ADMIN role for permanent
    /// handles and NV indices, and for objects with `adminWithPolicy`; the USER role for a
    /// PCR whose policy group has a policy. (An object without `userWithAuth` has no
    /// usable authValue for the USER role: `auth_value_available`.)
    fn policy_session_required(&self, h: u32, role: Role) -> bool {
        use tpm2_types::constants::obj_attr;
        let object = self.object(h);
        match role {
            Role::Dup => true,
            Role::Admin => match object {
                Some(o) => o.has(obj_attr::ADMIN_WITH_POLICY),
                None => !matches!((h >> 24) as u8, ht::TRANSIENT | ht::PERSISTENT),
            },
            Role::User => match object {
                Some(_) => false,
                None => {
                    (h >> 24) as u8 == ht::PCR
                        && crate::pcr::pc_client::POLICY.is_set(h as usize)
                        && self.perm.pcr_policy.alg.is_some()
                }
            },
        }
    }

    /// Whether the authValue of `h` may be used for `code` (Part 4
    /// `IsAuthValueAvailable`): always for hierarchies, lockout, PCRs and sequence
    /// objects; for an NV index as its attributes say.
    fn auth_value_available(&self, h: u32, code: u32, role: Role) -> bool {
        use tpm2_types::constants::obj_attr;
        match (h >> 24) as u8 {
            ht::NV_INDEX => self.nv_auth_value_available(h, code),
            // An object: not a public-only one; for the USER role only with
            // `userWithAuth` (Part 4 `IsAuthValueAvailable`).
            ht::TRANSIENT | ht::PERSISTENT => match self.object(h) {
                Some(o) => {
                    o.sensitive.is_some() && (role != Role::User || o.has(obj_attr::USER_WITH_AUTH))
                }
                None => true,
            },
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
impl Tpm {
    /// Authorizes `h` with one session as the dispatcher does (DA unit tests).
    pub(crate) fn authorize(
        &mut self,
        h: u32,
        role: Role,
        code: u32,
        s: &Session<'_>,
        n: usize,
    ) -> Result<(), Rc> {
        let mut sessions = Sessions::default();
        sessions.items[0] = Some(*s);
        sessions.len = 1;
        let mut ctx = AuthCtx::new(code, sessions, &[h], &[]);
        ctx.associated[0] = Some(h);
        self.check_auth_session(&mut ctx, 0, h, role, 0)
            .map_err(|e| e.session(n))
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
