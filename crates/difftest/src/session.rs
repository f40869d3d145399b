//! Sessions in the differential test. Nonces are random, so a command authorized by an
//! HMAC session has different bytes for each TPM: a [`Client`] per TPM remembers the
//! sessions that TPM started (handle, nonces, session key, Part 1 §19.6.8) and computes
//! each command's HMACs (Part 1, §19.6.5) from its own nonces; it checks every response
//! HMAC it gets back and rolls the nonces.

use crate::cmd::code_of;
use crate::corpus::{AuthCmd, AuthUse, StartSpec};
use tpm2_crypto::kdf::kdfa;
use tpm2_crypto::{digest, hmac};
use tpm2_types::constants::{cc, rh, st};
use tpm2_types::{Codec, HashAlg, Reader};

#[derive(Clone, Debug)]
struct Sess {
    handle: u32,
    hash: HashAlg,
    key: Vec<u8>,
    nonce_tpm: Vec<u8>,
    nonce_caller: Vec<u8>,
    /// `TPMT_SYM_DEF` algorithm and key bits (AES) of the session.
    sym: (u16, u16),
}

const DECRYPT: u8 = 0x20;
const ENCRYPT: u8 = 0x40;

/// Parameter encryption (Part 1, §21): AES-CFB keyed by KDFa "CFB", or XOR with the
/// KDFa "XOR" mask (with the session hash, as libtpms), over the first TPM2B's data.
fn crypt(s: &Sess, auth: &[u8], newer: &[u8], older: &[u8], param: &mut [u8], enc: bool) {
    if param.len() < 2 {
        return;
    }
    let n = u16::from_be_bytes([param[0], param[1]]) as usize;
    let Some(data) = param.get_mut(2..2 + n) else {
        return;
    };
    let mut key = s.key.clone();
    key.extend_from_slice(auth);
    match s.sym {
        (tpm2_types::constants::alg::AES, bits) => {
            let kb = bits as usize / 8;
            let m = kdfa(s.hash, &key, b"CFB", newer, older, bits as u32 + 128);
            let mut iv = [0u8; 16];
            iv.copy_from_slice(&m[kb..kb + 16]);
            tpm2_crypto::sym::aes_cfb(&m[..kb], &iv, data, enc);
        }
        (tpm2_types::constants::alg::XOR, _) => {
            let m = kdfa(s.hash, &key, b"XOR", newer, older, data.len() as u32 * 8);
            for (d, x) in data.iter_mut().zip(m) {
                *d ^= x;
            }
        }
        _ => {}
    }
}

/// The sessions one TPM started in the current case, by start order (`None`: that start
/// failed).
#[derive(Default)]
pub struct Client {
    sessions: Vec<Option<Sess>>,
}

fn rc_of(resp: &[u8]) -> u32 {
    resp.get(6..10)
        .map_or(u32::MAX, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
}

impl StartSpec {
    /// The StartAuthSession command (the same bytes for both TPMs).
    pub fn bytes(&self) -> Vec<u8> {
        let mut p = Vec::new();
        rh::NULL.encode(&mut p);
        self.bind.encode(&mut p);
        (self.nonce.len() as u16).encode(&mut p);
        p.extend_from_slice(&self.nonce);
        0u16.encode(&mut p);
        p.push(self.kind);
        p.extend_from_slice(&self.sym);
        self.hash.encode(&mut p);
        frame(st::NO_SESSIONS, cc::START_AUTH_SESSION, &p)
    }
}

fn frame(tag: u16, code: u32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    tag.encode(&mut out);
    ((body.len() + 10) as u32).encode(&mut out);
    code.encode(&mut out);
    out.extend_from_slice(body);
    out
}

impl Client {
    /// Records the session a StartAuthSession response created (or that it failed).
    pub fn started(&mut self, spec: &StartSpec, resp: &[u8]) {
        let s = (|| {
            if rc_of(resp) != 0 {
                return None;
            }
            let mut r = Reader::new(resp.get(10..)?);
            let handle = r.u32().ok()?;
            let n = r.u16().ok()? as usize;
            let nonce_tpm = r.take(n).ok()?.to_vec();
            let hash = HashAlg::from_id(spec.hash)?;
            let key = if spec.bind == rh::NULL {
                Vec::new()
            } else {
                let bits = (hash.digest_size() * 8) as u32;
                kdfa(hash, &spec.bind_auth, b"ATH", &nonce_tpm, &spec.nonce, bits)
            };
            let word = |i: usize| {
                spec.sym
                    .get(i..i + 2)
                    .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]))
            };
            Some(Sess {
                handle,
                hash,
                key,
                nonce_tpm,
                nonce_caller: spec.nonce.clone(),
                sym: (word(0), word(2)),
            })
        })();
        self.sessions.push(s);
    }

    /// The command with its session area filled in for this TPM.
    pub fn bytes(&mut self, a: &AuthCmd) -> Vec<u8> {
        let mut area = Vec::new();
        // The nonces of this command, then the encrypted first parameter (cpHash covers
        // the parameters as sent).
        let mut params = a.params.clone();
        for (i, u) in a.uses.iter().enumerate() {
            if let AuthUse::Session {
                index,
                attrs,
                crypt_auth,
                ..
            } = u
            {
                if let Some(Some(s)) = self.sessions.get_mut(*index) {
                    s.nonce_caller = vec![0x40 + i as u8; 16];
                    if attrs & DECRYPT != 0 {
                        let (nc, nt) = (s.nonce_caller.clone(), s.nonce_tpm.clone());
                        crypt(s, crypt_auth, &nc, &nt, &mut params, true);
                    }
                }
            }
        }
        // The first session, when it authorizes, also covers the nonceTPM of a separate
        // decrypt session and of a separate encrypt session (Part 1, §19.6.5).
        let find = |bit: u8| {
            a.uses
                .iter()
                .enumerate()
                .skip(1)
                .find_map(|(i, u)| match u {
                    AuthUse::Session { index, attrs, .. } if attrs & bit != 0 => Some((i, *index)),
                    _ => None,
                })
        };
        let (dec, enc) = (find(DECRYPT), find(ENCRYPT));
        let enc = enc.filter(|e| dec.is_none_or(|d| d.0 != e.0));
        let extra: Vec<Vec<u8>> = [dec, enc]
            .into_iter()
            .flatten()
            .filter_map(|(_, index)| self.sessions.get(index).and_then(|s| s.as_ref()))
            .map(|s| s.nonce_tpm.clone())
            .collect();
        let first_authorizes =
            matches!(a.uses.first(), Some(AuthUse::Session { auth: Some(_), .. }))
                && !a.handles.is_empty();
        for (i, u) in a.uses.iter().enumerate() {
            match u {
                AuthUse::Pw(p) => {
                    rh::PW.encode(&mut area);
                    0u16.encode(&mut area);
                    area.push(1);
                    (p.len() as u16).encode(&mut area);
                    area.extend_from_slice(p);
                }
                AuthUse::Session {
                    index, attrs, auth, ..
                } => {
                    let Some(Some(s)) = self.sessions.get_mut(*index) else {
                        // A session that failed to start: an unloaded handle.
                        0x0200_0030u32.encode(&mut area);
                        area.extend_from_slice(&[0, 0, *attrs, 0, 0]);
                        continue;
                    };
                    let mut parts: Vec<&[u8]> = Vec::new();
                    let code = a.code.to_be_bytes();
                    parts.push(&code);
                    for n in &a.names {
                        parts.push(n);
                    }
                    parts.push(&params);
                    let cp = digest(s.hash, &parts);
                    let mut key = s.key.clone();
                    key.extend_from_slice(auth.as_deref().unwrap_or(&[]));
                    let mut m: Vec<&[u8]> = vec![&cp, &s.nonce_caller, &s.nonce_tpm];
                    if i == 0 && first_authorizes {
                        m.extend(extra.iter().map(|v| v.as_slice()));
                    }
                    let a1 = [*attrs];
                    m.push(&a1);
                    let mac = hmac(s.hash, &key, &m);
                    s.handle.encode(&mut area);
                    (s.nonce_caller.len() as u16).encode(&mut area);
                    area.extend_from_slice(&s.nonce_caller);
                    area.push(*attrs);
                    (mac.len() as u16).encode(&mut area);
                    area.extend_from_slice(&mac);
                }
            }
        }
        let mut body = Vec::new();
        for h in &a.handles {
            h.encode(&mut body);
        }
        (area.len() as u32).encode(&mut body);
        body.extend_from_slice(&area);
        body.extend_from_slice(&params);
        frame(st::SESSIONS, a.code, &body)
    }

    /// Takes the response to [`Client::bytes`]: on success checks each session's response
    /// HMAC (Part 1, §19.6.16) and rolls its nonce; a session without continueSession
    /// ends; an encrypted first response parameter is decrypted in `resp`. Returns what
    /// did not verify.
    pub fn response(&mut self, a: &AuthCmd, resp: &mut [u8]) -> Option<String> {
        if rc_of(resp) != 0 || code_of(resp).is_none() {
            return None;
        }
        let mut r = Reader::new(&resp[10..]);
        if crate::cmd::has_response_handle(a.code) {
            r.u32().ok()?;
        }
        let n = r.u32().ok()? as usize;
        let params_at = 10 + r.position();
        let params = r.take(n).ok()?.to_vec();
        let mut plain: Option<(usize, Vec<u8>)> = None;
        for u in &a.uses {
            let nonce = r.u16().ok().and_then(|n| r.take(n as usize).ok())?.to_vec();
            let attrs = r.u8().ok()?;
            let mac = r.u16().ok().and_then(|n| r.take(n as usize).ok())?.to_vec();
            let AuthUse::Session {
                index,
                attrs: sent,
                auth,
                crypt_auth,
            } = u
            else {
                continue;
            };
            let Some(slot) = self.sessions.get_mut(*index) else {
                continue;
            };
            let Some(s) = slot.as_mut() else { continue };
            let rp = digest(
                s.hash,
                &[&0u32.to_be_bytes(), &a.code.to_be_bytes(), &params],
            );
            let mut key = s.key.clone();
            key.extend_from_slice(auth.as_deref().unwrap_or(&[]));
            let want = hmac(s.hash, &key, &[&rp, &nonce, &s.nonce_caller, &[attrs]]);
            if want != mac {
                return Some(format!("response HMAC of session {index} does not verify"));
            }
            if sent & ENCRYPT != 0 {
                let mut p = params.clone();
                crypt(s, crypt_auth, &nonce, &s.nonce_caller, &mut p, false);
                plain = Some((params_at, p));
            }
            s.nonce_tpm = nonce;
            if sent & 1 == 0 {
                *slot = None;
            }
        }
        if let Some((at, p)) = plain {
            resp[at..at + p.len()].copy_from_slice(&p);
        }
        None
    }
}
