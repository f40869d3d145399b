//! A small command builder and response reader for engine tests.
#![allow(dead_code)]

use tpm2_engine::{SimPlatform, Tpm};
use tpm2_types::constants::{cc, rh, st, su};
use tpm2_types::{Codec, Rc, Reader};

/// Builds a command: handles, optional sessions, parameters.
pub struct Cmd {
    code: u32,
    handles: Vec<u32>,
    sessions: Option<Vec<u8>>,
    params: Vec<u8>,
}

impl Cmd {
    pub fn new(code: u32) -> Self {
        Cmd {
            code,
            handles: Vec::new(),
            sessions: None,
            params: Vec::new(),
        }
    }

    pub fn handle(mut self, h: u32) -> Self {
        self.handles.push(h);
        self
    }

    /// Adds a password session (`TPM_RS_PW`) with this password.
    pub fn pw(mut self, password: &[u8]) -> Self {
        let s = self.sessions.get_or_insert_with(Vec::new);
        rh::PW.encode(s);
        0u16.encode(s);
        s.push(0x01);
        (password.len() as u16).encode(s);
        s.extend_from_slice(password);
        self
    }

    /// Adds one raw session entry (handle, nonce, attributes, HMAC or password).
    pub fn session(mut self, handle: u32, nonce: &[u8], attrs: u8, hmac: &[u8]) -> Self {
        let s = self.sessions.get_or_insert_with(Vec::new);
        handle.encode(s);
        (nonce.len() as u16).encode(s);
        s.extend_from_slice(nonce);
        s.push(attrs);
        (hmac.len() as u16).encode(s);
        s.extend_from_slice(hmac);
        self
    }

    pub fn u8(mut self, v: u8) -> Self {
        self.params.push(v);
        self
    }

    pub fn u16(mut self, v: u16) -> Self {
        v.encode(&mut self.params);
        self
    }

    pub fn u32(mut self, v: u32) -> Self {
        v.encode(&mut self.params);
        self
    }

    /// A `TPM2B_` parameter.
    pub fn b(mut self, data: &[u8]) -> Self {
        (data.len() as u16).encode(&mut self.params);
        self.params.extend_from_slice(data);
        self
    }

    pub fn raw(mut self, data: &[u8]) -> Self {
        self.params.extend_from_slice(data);
        self
    }

    pub fn put<T: Codec>(mut self, v: &T) -> Self {
        v.encode(&mut self.params);
        self
    }

    pub fn build(&self) -> Vec<u8> {
        let mut body = Vec::new();
        for h in &self.handles {
            h.encode(&mut body);
        }
        let tag = match &self.sessions {
            Some(s) => {
                (s.len() as u32).encode(&mut body);
                body.extend_from_slice(s);
                st::SESSIONS
            }
            None => st::NO_SESSIONS,
        };
        body.extend_from_slice(&self.params);
        let mut out = Vec::new();
        tag.encode(&mut out);
        ((body.len() + 10) as u32).encode(&mut out);
        self.code.encode(&mut out);
        out.extend_from_slice(&body);
        out
    }
}

/// A parsed response.
pub struct Resp {
    pub tag: u16,
    pub rc: Rc,
    /// Handle (if any) and parameters; the session area stripped.
    pub body: Vec<u8>,
}

impl Resp {
    pub fn parse(b: &[u8], has_handle: bool) -> Resp {
        let mut r = Reader::new(b);
        let tag = r.u16().unwrap();
        let size = r.u32().unwrap() as usize;
        assert_eq!(size, b.len(), "response size field");
        let rc = Rc(r.u32().unwrap());
        let mut body = Vec::new();
        if rc.is_success() {
            if has_handle {
                body.extend_from_slice(r.take(4).unwrap());
            }
            if tag == st::SESSIONS {
                let n = r.u32().unwrap() as usize;
                body.extend_from_slice(r.take(n).unwrap());
            } else {
                body.extend_from_slice(r.rest());
            }
        }
        Resp { tag, rc, body }
    }

    pub fn ok(self) -> Self {
        assert!(self.rc.is_success(), "expected success, got {}", self.rc);
        self
    }

    pub fn reader(&self) -> Reader<'_> {
        Reader::new(&self.body)
    }
}

/// A deterministic TPM, started with `TPM2_Startup(CLEAR)`.
pub fn started() -> Tpm {
    let mut tpm = Tpm::manufacture(Box::new(SimPlatform::new(7)));
    run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    tpm
}

pub fn run(tpm: &mut Tpm, c: &Cmd) -> Resp {
    run_at(tpm, 0, c)
}

pub fn run_at(tpm: &mut Tpm, locality: u8, c: &Cmd) -> Resp {
    let out = tpm.execute(locality, &c.build());
    let has_handle = matches!(
        c.code,
        cc::CREATE_PRIMARY
            | cc::LOAD
            | cc::HMAC_START
            | cc::CONTEXT_LOAD
            | cc::LOAD_EXTERNAL
            | cc::START_AUTH_SESSION
            | cc::HASH_SEQUENCE_START
            | cc::CREATE_LOADED
    );
    Resp::parse(&out.response, has_handle)
}
