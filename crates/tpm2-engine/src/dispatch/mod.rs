//! The command dispatcher: header, command lookup, handles, authorization, parameters,
//! handler, response — in the order of the reference `ExecuteCommand` (Part 3, §5).

pub mod auth;
pub mod command;
pub mod handles;
pub mod hmac;
mod policy;
mod respond;
pub mod table;

use crate::Tpm;
pub use command::{Command, Params};
use tpm2_types::constants::{cc, cc_attr, st};
use tpm2_types::{Codec, Rc, Reader};

/// `TPM_ST` + size + code.
pub const HEADER_SIZE: usize = 10;
/// Initial capacity of a response buffer: most responses fit without growing.
const RESPONSE_CAPACITY: usize = 512;

/// The code for a command tag that is neither `TPM_ST_NO_SESSIONS` nor `TPM_ST_SESSIONS`.
/// `TPMI_ST_COMMAND_TAG` fails with `TPM_RC_BAD_TAG` (Part 2, §9.22), but only once the value
/// unmarshals as a `TPM_ST`: like libtpms, an undefined `TPM_ST` value is `TPM_RC_VALUE`.
fn bad_tag(tag: u16) -> Rc {
    match tag {
        st::RSP_COMMAND
        | st::NULL
        | st::ATTEST_NV..=st::ATTEST_CREATION
        | st::CREATION..=st::AUTH_SIGNED => Rc::BAD_TAG,
        _ => Rc::VALUE,
    }
}

impl Tpm {
    /// A command after `TPM2_Shutdown(STATE)` that changes what that shutdown saved (a PCR
    /// of the save set, state-clear data) makes it void: the next startup must be a TPM
    /// Reset (Part 1, §36.4). Other changes keep it (probed on libtpms: PCR 16/17/23
    /// extends, StirRandom, DA lock reset, NV writes to non-orderly indices).
    pub(crate) fn invalidate_orderly_shutdown(&mut self) {
        if self.perm.orderly != crate::state::Orderly::None {
            let p = self.perm_mut();
            p.orderly = crate::state::Orderly::None;
            p.saved = None;
        }
    }

    /// Whether the state `TPM2_Shutdown(STATE)` saved still describes the TPM.
    fn saved_state_current(&self) -> bool {
        let Some(s) = &self.perm.saved else {
            return true;
        };
        s.state_clear == self.vol.state_clear
            && self.vol.pcrs.banks.iter().all(|b| {
                s.pcrs.bank(b.alg).is_some_and(|old| {
                    crate::pcr::pc_client::SAVE
                        .iter()
                        .all(|p| old.get(p) == b.get(p))
                })
            })
    }

    /// Executes one command, writing the response into `out` (cleared first; its capacity is
    /// reused).
    pub(crate) fn dispatch(&mut self, locality: u8, bytes: &[u8], out: &mut Vec<u8>) {
        out.clear();
        let buf = std::mem::take(out);
        *out = match self.dispatch_inner(locality, bytes, buf) {
            Ok(resp) => resp,
            Err((rc, mut buf)) => {
                // A response carrying only a code.
                buf.clear();
                st::NO_SESSIONS.encode(&mut buf);
                (HEADER_SIZE as u32).encode(&mut buf);
                rc.0.encode(&mut buf);
                buf
            }
        };
    }

    fn dispatch_inner(
        &mut self,
        locality: u8,
        bytes: &[u8],
        mut out: Vec<u8>,
    ) -> Result<Vec<u8>, (Rc, Vec<u8>)> {
        match self.run_command(locality, bytes, &mut out) {
            Ok(()) => Ok(out),
            Err(rc) => Err((rc, out)),
        }
    }

    /// The parameters with the first one decrypted, if a session asks for it (`None`:
    /// use them as received). The key includes the authValue of the handle the session
    /// authorizes, if it authorizes one (Part 1, §21.1).
    fn decrypt_params(&self, ctx: &auth::AuthCtx<'_>) -> Result<Option<Vec<u8>>, Rc> {
        let Some(d) = ctx.sessions.decrypt else {
            return Ok(None);
        };
        let Some(s) = ctx.sessions.get(d) else {
            return Ok(None);
        };
        let Some(x) = self.session(s.handle) else {
            return Ok(None);
        };
        let auth = ctx.associated[d].map(|h| auth::trim_zeros(self.entity_auth(h)));
        let key = hmac::hmac_key(x, auth);
        let mut p = ctx.params.to_vec();
        hmac::decrypt_first(x, &key, s.nonce, &mut p).map_err(|e| e.session(d + 1))?;
        Ok(Some(p))
    }

    fn run_command(&mut self, locality: u8, bytes: &[u8], out: &mut Vec<u8>) -> Result<(), Rc> {
        let mut r = Reader::new(bytes);
        let tag = r.u16()?;
        let size = r.u32()? as usize;
        let code = r.u32()?;
        if tag != st::SESSIONS && tag != st::NO_SESSIONS {
            return Err(bad_tag(tag));
        }
        if size != bytes.len() || size > self.rt.max_command_size {
            return Err(Rc::COMMAND_SIZE);
        }
        let def = table::lookup(code).ok_or(Rc::COMMAND_CODE)?;
        if self.rt.failure.is_some() && code != cc::GET_TEST_RESULT && code != cc::GET_CAPABILITY {
            return Err(Rc::FAILURE);
        }
        // Before TPM2_Startup only Startup runs; after it, Startup is refused before its
        // parameter is looked at (Part 3, §9.3: TPM_RC_INITIALIZE).
        if self.vol.started == (code == cc::STARTUP) {
            return Err(Rc::INITIALIZE);
        }

        // Handles: type checks, then presence.
        let nh = def.handles.len();
        let mut handles = [0u32; command::MAX_HANDLES];
        for (i, hd) in def.handles.iter().enumerate() {
            let h = r.u32().map_err(|e| e.handle(i + 1))?;
            if !hd.ty.accepts(h) {
                return Err(Rc::VALUE.handle(i + 1));
            }
            handles[i] = h;
        }
        for (i, h) in handles[..nh].iter().enumerate() {
            match self.entity_status(*h) {
                Ok(()) => {}
                Err(rc) if rc == Rc::REFERENCE_H0 => return Err(Rc(rc.0 + i as u32)),
                Err(rc) => return Err(rc.handle(i + 1)),
            }
        }

        // Sessions and authorization.
        let sessions = if tag == st::SESSIONS {
            self.parse_sessions(&mut r, def)?
        } else {
            auth::Sessions::default()
        };
        let params = r.rest();
        let mut ctx = auth::AuthCtx::new(code, sessions, &handles[..nh], params);
        if tag == st::SESSIONS {
            self.check_sessions(&mut ctx, def, locality)?;
        } else if def.handles.iter().any(|hd| hd.auth.is_some()) {
            return Err(Rc::AUTH_MISSING);
        }
        // Decryption of the first parameter comes last (Part 1, §21.2).
        let decrypted = self.decrypt_params(&ctx)?;
        // An audited command's cpHash covers the Names as they are before it runs.
        if self.perm.audit.commands.contains(&code) {
            ctx.cp_hash(self, self.perm.audit.alg);
        }

        // Parameters and the command itself. The response is built in place: header,
        // the response handle if the command returns one, parameterSize with sessions.
        let has_handle = def.attrs & cc_attr::R_HANDLE != 0;
        out.reserve(RESPONSE_CAPACITY);
        out.resize(HEADER_SIZE + if has_handle { 4 } else { 0 }, 0);
        let params_at = out.len() + if tag == st::SESSIONS { 4 } else { 0 };
        out.resize(params_at, 0);
        let mut c = Command {
            cc: code,
            locality,
            handles,
            params: Params::new(decrypted.as_deref().unwrap_or(params)),
            out_handle: None,
            out: std::mem::take(out),
        };
        let result = (def.handler)(self, &mut c);
        *out = std::mem::take(&mut c.out);
        result?;
        if self.perm.orderly == crate::state::Orderly::State
            && code != cc::SHUTDOWN
            && !self.saved_state_current()
        {
            self.invalidate_orderly_shutdown();
        }

        out[..2].copy_from_slice(&tag.to_be_bytes());
        if has_handle {
            out[HEADER_SIZE..HEADER_SIZE + 4]
                .copy_from_slice(&c.out_handle.unwrap_or(0).to_be_bytes());
        }
        if tag == st::SESSIONS {
            let n = (out.len() - params_at) as u32;
            out[params_at - 4..params_at].copy_from_slice(&n.to_be_bytes());
        }
        self.respond_sessions(&mut ctx, tag == st::SESSIONS, out, params_at);
        let n = out.len() as u32;
        out[2..6].copy_from_slice(&n.to_be_bytes());
        Ok(())
    }
}
