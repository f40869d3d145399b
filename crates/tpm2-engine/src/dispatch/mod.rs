//! The command dispatcher: header, command lookup, handles, authorization, parameters,
//! handler, response — in the order of the reference `ExecuteCommand` (Part 3, §5).

pub mod auth;
pub mod command;
pub mod handles;
pub mod table;

use crate::Tpm;
use auth::Session;
pub use command::{Command, Params};
use tpm2_types::codec::encode_sized32;
use tpm2_types::constants::{cc, st};
use tpm2_types::{Codec, Rc, Reader};

/// `TPM_ST` + size + code.
pub const HEADER_SIZE: usize = 10;

/// A response carrying only a code.
pub fn error_response(rc: Rc) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_SIZE);
    st::NO_SESSIONS.encode(&mut out);
    (HEADER_SIZE as u32).encode(&mut out);
    rc.0.encode(&mut out);
    out
}

impl Tpm {
    pub(crate) fn dispatch(&mut self, locality: u8, bytes: &[u8]) -> Vec<u8> {
        match self.dispatch_inner(locality, bytes) {
            Ok(resp) => resp,
            Err(rc) => error_response(rc),
        }
    }

    fn dispatch_inner(&mut self, locality: u8, bytes: &[u8]) -> Result<Vec<u8>, Rc> {
        let mut r = Reader::new(bytes);
        let tag = r.u16()?;
        let size = r.u32()? as usize;
        let code = r.u32()?;
        if tag != st::SESSIONS && tag != st::NO_SESSIONS {
            // libtpms answers a bad command tag with TPM_RC_VALUE (the spec's TPM_RC_BAD_TAG
            // is a TPM 1.2 code); clients tuned to swtpm see the same.
            return Err(Rc::VALUE);
        }
        if size != bytes.len() || size > self.rt.max_command_size {
            return Err(Rc::COMMAND_SIZE);
        }
        let def = table::lookup(code).ok_or(Rc::COMMAND_CODE)?;
        if self.rt.failure.is_some() && code != cc::GET_TEST_RESULT && code != cc::GET_CAPABILITY
        {
            return Err(Rc::FAILURE);
        }
        if !self.vol.started && code != cc::STARTUP {
            return Err(Rc::INITIALIZE);
        }

        // Handles: type checks, then presence.
        let mut handles = Vec::with_capacity(def.handles.len());
        for (i, hd) in def.handles.iter().enumerate() {
            let h = r.u32().map_err(|e| e.handle(i + 1))?;
            if !hd.ty.accepts(h) {
                return Err(Rc::VALUE.handle(i + 1));
            }
            handles.push(h);
        }
        for (i, h) in handles.iter().enumerate() {
            match self.entity_status(*h) {
                Ok(()) => {}
                Err(rc) if rc == Rc::REFERENCE_H0 => return Err(Rc(rc.0 + i as u32)),
                Err(rc) => return Err(rc.handle(i + 1)),
            }
        }

        // Sessions and authorization.
        let auth_handles: Vec<(u32, auth::Role)> = def
            .handles
            .iter()
            .zip(&handles)
            .filter_map(|(hd, h)| hd.auth.map(|role| (*h, role)))
            .collect();
        let sessions: Vec<Session> = if tag == st::SESSIONS {
            auth::parse_sessions(&mut r)?
        } else {
            Vec::new()
        };
        if sessions.len() < auth_handles.len() {
            return Err(Rc::AUTH_MISSING);
        }
        for (i, (h, role)) in auth_handles.iter().enumerate() {
            self.authorize(*h, *role, code, &sessions[i], i + 1)?;
        }
        if sessions.len() > auth_handles.len() {
            // Extra sessions are for audit or parameter encryption; a password session must
            // authorize a handle (libtpms: TPM_RC_HANDLE for the session).
            let n = auth_handles.len() + 1;
            return Err(Rc::HANDLE.session(n));
        }

        // Parameters and the command itself.
        let mut c = Command {
            cc: code,
            locality,
            handles,
            params: Params::new(r.rest()),
            out_handle: None,
            out: Vec::new(),
        };
        (def.handler)(self, &mut c)?;

        // Response.
        let mut out = Vec::with_capacity(HEADER_SIZE + 4 + c.out.len() + 16);
        let rtag = if tag == st::SESSIONS {
            st::SESSIONS
        } else {
            st::NO_SESSIONS
        };
        rtag.encode(&mut out);
        0u32.encode(&mut out);
        0u32.encode(&mut out);
        if let Some(h) = c.out_handle {
            h.encode(&mut out);
        }
        if tag == st::SESSIONS {
            encode_sized32(&mut out, |o| o.extend_from_slice(&c.out));
            for _ in &sessions {
                auth::password_response().encode(&mut out);
            }
        } else {
            out.extend_from_slice(&c.out);
        }
        let n = out.len() as u32;
        out[2..6].copy_from_slice(&n.to_be_bytes());
        Ok(out)
    }
}
