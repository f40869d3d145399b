//! The response session area of a successful command (Part 4 `BuildResponseSession`):
//! new nonces, encryption of the first response parameter, audit digests, one
//! `TPMS_AUTH_RESPONSE` per command session, and the sessions that end.

use super::auth::{password_response, trim_zeros, AuthCtx, SessionKind};
use super::hmac::{encrypt_first, hmac_key, rp_hash, session_hmac};
use crate::Tpm;
use tpm2_crypto::Hasher;
use tpm2_types::codec::encode_sized16;
use tpm2_types::constants::{cc, session_attr};
use tpm2_types::Codec;

/// Whether the command takes sessions at all (the context commands do not; they leave the
/// exclusive audit session alone).
fn takes_sessions(code: u32) -> bool {
    !matches!(
        code,
        cc::FLUSH_CONTEXT | cc::CONTEXT_SAVE | cc::CONTEXT_LOAD
    )
}

impl Tpm {
    /// The authValue an HMAC or encryption key of session `i` includes, if any.
    fn key_auth(&self, ctx: &AuthCtx<'_>, i: usize, include: bool) -> Option<Vec<u8>> {
        match (include, ctx.associated[i]) {
            (true, Some(h)) => Some(trim_zeros(self.entity_auth(h)).to_vec()),
            _ => None,
        }
    }

    /// Appends the response session area to `out` (whose parameters start at
    /// `params_at`) and updates the sessions of the command.
    pub(crate) fn respond_sessions(
        &mut self,
        ctx: &mut AuthCtx<'_>,
        tagged: bool,
        out: &mut Vec<u8>,
        params_at: usize,
    ) {
        if !ctx.sessions.any_real() {
            // A command without an audit session ends the exclusivity of any other.
            if takes_sessions(ctx.code) {
                self.vol.exclusive_audit = None;
            }
            self.command_audit(ctx, &out[params_at..]);
            if tagged {
                for _ in 0..ctx.sessions.len() {
                    password_response().encode(out);
                }
            }
            return;
        }
        // Every session gets a new nonceTPM of the same size (Part 1, §19.6.13).
        for s in ctx
            .sessions
            .iter()
            .filter(|s| s.kind != SessionKind::Password)
        {
            let n = self.session(s.handle).map_or(0, |x| x.nonce_tpm.len());
            let fresh = self.random_vec(n);
            if let Some(x) = self.session_mut(s.handle) {
                x.nonce_tpm = fresh;
            }
        }
        // The first response parameter is encrypted with the new nonce; an authorization
        // session's key includes the authValue (even the bound entity's, Part 1, §21.1).
        if let Some(e) = ctx.sessions.encrypt {
            if let Some(s) = ctx.sessions.get(e).copied() {
                let auth = self.key_auth(ctx, e, true);
                if let Some(x) = self.session(s.handle) {
                    let key = hmac_key(x, auth.as_deref());
                    encrypt_first(x, &key, s.nonce, &mut out[params_at..]);
                }
            }
        }
        let mut attrs = [0u8; super::auth::MAX_SESSIONS];
        for (i, s) in ctx.sessions.iter().enumerate() {
            attrs[i] = s.attributes;
        }
        let params_end = out.len();
        self.audit_update(ctx, &mut attrs, &out[params_at..]);
        self.command_audit(ctx, &out[params_at..]);
        for (i, attr) in attrs.iter().enumerate().take(ctx.sessions.len()) {
            let attr = *attr;
            let Some(s) = ctx.sessions.get(i).copied() else {
                continue;
            };
            if s.kind == SessionKind::Password {
                password_response().encode(out);
                continue;
            }
            let auth = self.key_auth(ctx, i, ctx.include_auth[i]);
            let Some(x) = self.session(s.handle) else {
                continue;
            };
            // A policy session that carried a password answers with an empty HMAC.
            let hmac = if s.kind == SessionKind::Policy && x.policy.password_needed {
                Vec::new()
            } else {
                let key = hmac_key(x, auth.as_deref());
                // rpHash covers the parameters only, not the entries appended so far.
                let rp = rp_hash(x.hash, ctx.code, &out[params_at..params_end]);
                session_hmac(
                    x,
                    &key,
                    s.hmac.is_empty(),
                    &[&rp, &x.nonce_tpm, s.nonce, &[attr]],
                )
            };
            let nonce = x.nonce_tpm.clone();
            encode_sized16(out, |o| o.extend_from_slice(&nonce));
            out.push(attr);
            encode_sized16(out, |o| o.extend_from_slice(&hmac));
            let keep = s.has(session_attr::CONTINUE_SESSION);
            if !keep {
                self.session_flush(s.handle);
            } else if s.kind == SessionKind::Policy {
                // A used policy session starts over (Part 1, §19.7.1).
                if let Some(x) = self.session_mut(s.handle) {
                    x.reset_policy();
                }
            }
        }
    }

    /// Command audit of a successful command (Part 1, "Command Audit"; the reference's
    /// `CommandAudit`), after the response parameters are encrypted: if the command is
    /// audited, auditDigest := H_auditAlg(auditDigest || cpHash || rpHash). Extending a
    /// cleared digest starts from zeros and increments auditCounter. A digest marked by
    /// an audit algorithm change is cleared instead, and this command not recorded.
    fn command_audit(&mut self, ctx: &mut AuthCtx<'_>, params: &[u8]) {
        if !self.perm.audit.commands.contains(&ctx.code) {
            return;
        }
        let alg = self.perm.audit.alg;
        if self.vol.command_audit_digest.len() == 1 {
            self.vol.command_audit_digest.clear();
            return;
        }
        let cp = ctx.cp_hash(self, alg);
        let rp = rp_hash(alg, ctx.code, params);
        if self.vol.command_audit_digest.is_empty() {
            self.vol.command_audit_digest = vec![0; alg.digest_size()];
            let a = &mut self.perm_mut().audit;
            a.counter = a.counter.wrapping_add(1);
        }
        self.vol.command_audit_digest = Hasher::new(alg)
            .with(&self.vol.command_audit_digest)
            .with(&cp)
            .with(&rp)
            .finish();
    }

    /// Audit of the command by its audit session (Part 1, §19.6.9): the first use or an
    /// `auditReset` starts a new digest (zeros; the session is no longer bound) and makes
    /// the session exclusive; any other audited command ends exclusivity. Then
    /// digest := H(digest || cpHash || rpHash). `auditExclusive` in the response says
    /// whether the session is still exclusive.
    fn audit_update(&mut self, ctx: &mut AuthCtx<'_>, attrs: &mut [u8], params: &[u8]) {
        let Some(a) = ctx.sessions.audit else {
            if takes_sessions(ctx.code) {
                self.vol.exclusive_audit = None;
            }
            return;
        };
        let Some(h) = ctx.sessions.get(a).map(|s| s.handle) else {
            return;
        };
        let Some(alg) = self.session(h).map(|x| x.hash) else {
            return;
        };
        let cp = ctx.cp_hash(self, alg);
        let rp = rp_hash(alg, ctx.code, params);
        let reset = attrs[a] & session_attr::AUDIT_RESET != 0;
        let Some(x) = self.vol.sessions.get_mut(&h) else {
            return;
        };
        let fresh = x.audit.is_none() || reset;
        if fresh {
            x.audit = Some(vec![0; alg.digest_size()]);
            x.bound = None;
        }
        let old = x.audit.take().unwrap_or_default();
        x.audit = Some(Hasher::new(alg).with(&old).with(&cp).with(&rp).finish());
        if fresh {
            self.vol.exclusive_audit = Some(h);
        } else if self.vol.exclusive_audit != Some(h) {
            self.vol.exclusive_audit = None;
        }
        if self.vol.exclusive_audit == Some(h) {
            attrs[a] |= session_attr::AUDIT_EXCLUSIVE;
        } else {
            attrs[a] &= !session_attr::AUDIT_EXCLUSIVE;
        }
    }
}
