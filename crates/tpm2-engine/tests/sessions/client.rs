//! A small caller-side session implementation (what a TSS does), written from Part 1 §19
//! and §21 independently of the engine: StartAuthSession, cpHash/rpHash, command and
//! response HMACs, nonce rolling, parameter encryption.
#![allow(dead_code)]

use tpm2_crypto::kdf::kdfa;
use tpm2_crypto::{digest, hmac};
use tpm2_engine::Tpm;
use tpm2_types::constants::{alg, cc, rh, st};
use tpm2_types::{Codec, HashAlg, Rc, Reader};

pub const NULL: u32 = rh::NULL;

/// `TPMT_SYM_DEF` choices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sym {
    Null,
    Aes(u16),
    Xor(HashAlg),
}

impl Sym {
    pub fn bytes(self) -> Vec<u8> {
        let mut v = Vec::new();
        match self {
            Sym::Null => alg::NULL.encode(&mut v),
            Sym::Aes(bits) => {
                alg::AES.encode(&mut v);
                bits.encode(&mut v);
                alg::CFB.encode(&mut v);
            }
            Sym::Xor(h) => {
                alg::XOR.encode(&mut v);
                h.id().encode(&mut v);
            }
        }
        v
    }
}

#[derive(Clone, Debug)]
pub struct Client {
    pub handle: u32,
    pub hash: HashAlg,
    pub key: Vec<u8>,
    pub nonce_tpm: Vec<u8>,
    pub nonce_caller: Vec<u8>,
    pub sym: Sym,
}

/// Raw StartAuthSession: response code, handle, nonceTPM.
pub fn start_raw(tpm: &mut Tpm, tpm_key: u32, bind: u32, params: &[u8]) -> (Rc, u32, Vec<u8>) {
    let mut body = Vec::new();
    tpm_key.encode(&mut body);
    bind.encode(&mut body);
    body.extend_from_slice(params);
    let out = tpm
        .execute(0, &frame(st::NO_SESSIONS, cc::START_AUTH_SESSION, &body))
        .response;
    let rc = Rc(u32::from_be_bytes([out[6], out[7], out[8], out[9]]));
    if !rc.is_success() {
        return (rc, 0, Vec::new());
    }
    let mut r = Reader::new(&out[10..]);
    let h = r.u32().unwrap();
    let n = r.u16().unwrap() as usize;
    (rc, h, r.take(n).unwrap().to_vec())
}

/// StartAuthSession parameters.
pub fn sas_params(nonce: &[u8], salt: &[u8], kind: u8, sym: &[u8], hash: u16) -> Vec<u8> {
    let mut p = Vec::new();
    (nonce.len() as u16).encode(&mut p);
    p.extend_from_slice(nonce);
    (salt.len() as u16).encode(&mut p);
    p.extend_from_slice(salt);
    p.push(kind);
    p.extend_from_slice(sym);
    hash.encode(&mut p);
    p
}

impl Client {
    /// Starts a session; the session key follows Part 1, §19.6.8.
    pub fn start(
        tpm: &mut Tpm,
        kind: u8,
        bind: u32,
        bind_auth: &[u8],
        sym: Sym,
        hash: HashAlg,
    ) -> Result<Client, Rc> {
        let nonce_caller = vec![0x5A; hash.digest_size()];
        let p = sas_params(&nonce_caller, &[], kind, &sym.bytes(), hash.id());
        let (rc, handle, nonce_tpm) = start_raw(tpm, NULL, bind, &p);
        if !rc.is_success() {
            return Err(rc);
        }
        let bits = (hash.digest_size() * 8) as u32;
        let key = if bind == NULL {
            Vec::new()
        } else {
            kdfa(hash, bind_auth, b"ATH", &nonce_tpm, &nonce_caller, bits)
        };
        Ok(Client {
            handle,
            hash,
            key,
            nonce_tpm,
            nonce_caller,
            sym,
        })
    }

    pub fn hmac(&self, key_auth: &[u8], cp: &[u8], extra: &[&[u8]], attrs: u8) -> Vec<u8> {
        let mut key = self.key.clone();
        key.extend_from_slice(key_auth);
        if key.is_empty() {
            // Empty key: the TPM accepts an empty HMAC (and computes one for a non-empty).
        }
        let mut parts: Vec<&[u8]> = vec![cp, &self.nonce_caller, &self.nonce_tpm];
        parts.extend_from_slice(extra);
        let a = [attrs];
        parts.push(&a);
        hmac(self.hash, &key, &parts)
    }

    /// Parameter encryption of Part 1, §21 (the engine's crypto module is not used).
    pub fn crypt(&self, key_auth: &[u8], newer: &[u8], older: &[u8], data: &mut [u8], enc: bool) {
        let mut key = self.key.clone();
        key.extend_from_slice(key_auth);
        match self.sym {
            Sym::Null => {}
            Sym::Xor(_) => {
                let m = kdfa(self.hash, &key, b"XOR", newer, older, data.len() as u32 * 8);
                for (d, x) in data.iter_mut().zip(m) {
                    *d ^= x;
                }
            }
            Sym::Aes(bits) => {
                let kb = bits as usize / 8;
                let m = kdfa(self.hash, &key, b"CFB", newer, older, bits as u32 + 128);
                let iv: [u8; 16] = m[kb..kb + 16].try_into().unwrap();
                tpm2_crypto::sym::aes_cfb(&m[..kb], &iv, data, enc);
            }
        }
    }
}

pub fn frame(tag: u16, code: u32, body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    tag.encode(&mut out);
    ((body.len() + 10) as u32).encode(&mut out);
    code.encode(&mut out);
    out.extend_from_slice(body);
    out
}

pub fn cp_hash(h: HashAlg, code: u32, names: &[Vec<u8>], params: &[u8]) -> Vec<u8> {
    let mut parts: Vec<&[u8]> = Vec::new();
    let c = code.to_be_bytes();
    parts.push(&c);
    for n in names {
        parts.push(n);
    }
    parts.push(params);
    digest(h, &parts)
}

pub fn rp_hash(h: HashAlg, code: u32, params: &[u8]) -> Vec<u8> {
    digest(h, &[&0u32.to_be_bytes(), &code.to_be_bytes(), params])
}

/// How one session takes part in a command.
pub enum Use<'a> {
    Pw(&'a [u8]),
    /// A session, its attributes, the authValue its HMAC key includes (`None`: none).
    S(&'a mut Client, u8, Option<&'a [u8]>),
    /// A raw entry (handle, nonce, attributes, hmac).
    Raw(u32, Vec<u8>, u8, Vec<u8>),
}

/// A response: code, handle (if any), parameters, session entries (nonce, attrs, hmac).
pub struct Out {
    pub rc: Rc,
    pub handle: Option<u32>,
    pub params: Vec<u8>,
    pub sessions: Vec<(Vec<u8>, u8, Vec<u8>)>,
}

/// Sends a command with sessions. HMACs are computed over `params` (already encrypted
/// by the caller if a session decrypts) and the handle `names`; on success each
/// session's response HMAC is checked (with the same authValue, unless
/// `resp_auth` overrides it) and its nonce rolled.
pub fn call(
    tpm: &mut Tpm,
    code: u32,
    handles: &[u32],
    names: &[Vec<u8>],
    uses: &mut [Use<'_>],
    params: &[u8],
    has_handle: bool,
) -> Out {
    let mut area = Vec::new();
    let n_uses = uses.len();
    let mut extra: Vec<Vec<u8>> = Vec::new();
    // Nonces of separate decrypt/encrypt sessions go into the first session's HMAC.
    for (i, u) in uses.iter().enumerate() {
        if let Use::S(c, a, _) = u {
            if i > 0 && a & 0x60 != 0 {
                extra.push(c.nonce_tpm.clone());
            }
        }
    }
    for (i, u) in uses.iter_mut().enumerate() {
        match u {
            Use::Pw(p) => {
                rh::PW.encode(&mut area);
                0u16.encode(&mut area);
                area.push(1);
                (p.len() as u16).encode(&mut area);
                area.extend_from_slice(p);
            }
            Use::S(c, attrs, auth) => {
                c.nonce_caller = vec![(i as u8 + 1) * 17; 16];
                let cp = cp_hash(c.hash, code, names, params);
                let ex: Vec<&[u8]> = if i == 0 && n_uses > 0 && auth.is_some() {
                    extra.iter().map(|v| v.as_slice()).collect()
                } else {
                    Vec::new()
                };
                let mac = c.hmac(auth.unwrap_or(&[]), &cp, &ex, *attrs);
                c.handle.encode(&mut area);
                (c.nonce_caller.len() as u16).encode(&mut area);
                area.extend_from_slice(&c.nonce_caller);
                area.push(*attrs);
                (mac.len() as u16).encode(&mut area);
                area.extend_from_slice(&mac);
            }
            Use::Raw(h, n, a, m) => {
                h.encode(&mut area);
                (n.len() as u16).encode(&mut area);
                area.extend_from_slice(n);
                area.push(*a);
                (m.len() as u16).encode(&mut area);
                area.extend_from_slice(m);
            }
        }
    }
    let mut body = Vec::new();
    for h in handles {
        h.encode(&mut body);
    }
    (area.len() as u32).encode(&mut body);
    body.extend_from_slice(&area);
    body.extend_from_slice(params);
    let out = tpm.execute(0, &frame(st::SESSIONS, code, &body)).response;
    let rc = Rc(u32::from_be_bytes([out[6], out[7], out[8], out[9]]));
    let mut o = Out {
        rc,
        handle: None,
        params: Vec::new(),
        sessions: Vec::new(),
    };
    if !rc.is_success() {
        return o;
    }
    let mut r = Reader::new(&out[10..]);
    if has_handle {
        o.handle = Some(r.u32().unwrap());
    }
    let n = r.u32().unwrap() as usize;
    o.params = r.take(n).unwrap().to_vec();
    while !r.is_empty() {
        let ln = r.u16().unwrap() as usize;
        let nonce = r.take(ln).unwrap().to_vec();
        let a = r.u8().unwrap();
        let ln = r.u16().unwrap() as usize;
        let mac = r.take(ln).unwrap().to_vec();
        o.sessions.push((nonce, a, mac));
    }
    assert_eq!(
        o.sessions.len(),
        uses.len(),
        "one response entry per session"
    );
    for (u, (nonce, a, mac)) in uses.iter_mut().zip(&o.sessions) {
        if let Use::S(c, _, auth) = u {
            c.nonce_tpm = nonce.clone();
            let rp = rp_hash(c.hash, code, &o.params);
            let mut key = c.key.clone();
            key.extend_from_slice(auth.unwrap_or(&[]));
            let want = if key.is_empty() && mac.is_empty() {
                Vec::new()
            } else {
                hmac(c.hash, &key, &[&rp, nonce, &c.nonce_caller, &[*a]])
            };
            assert_eq!(&want, mac, "response HMAC");
        }
    }
    o
}

/// The Name of a handle that names itself.
pub fn hname(h: u32) -> Vec<u8> {
    h.to_be_bytes().to_vec()
}
