//! One TPM command client for ferrotpm's own tools: frames a command with its handles and
//! authorization sessions, sends it over a [`Transport`] (an in-process [`Instance`] for
//! `setup`, a TPM at an address for `attest`) and splits the response (Part 1, §18).

use ferrotpm_server::client::TpmClient;
use ferrotpm_server::Instance;
use tpm2_types::constants::{rh, st};
use tpm2_types::Reader;

/// `continueSession` in `TPMA_SESSION`.
const CONTINUE_SESSION: u8 = 0x01;

const RC_YIELDED: u32 = 0x908;
const RC_TESTING: u32 = 0x90A;
const RC_RETRY: u32 = 0x922;
/// How often a command answered with one of those warnings is sent.
const MAX_TRIES: u32 = 5;

/// Where commands go.
pub trait Transport {
    fn transact(&mut self, command: &[u8]) -> Result<Vec<u8>, String>;
}

impl Transport for Instance {
    fn transact(&mut self, command: &[u8]) -> Result<Vec<u8>, String> {
        Ok(self.execute(command))
    }
}

impl Transport for TpmClient {
    fn transact(&mut self, command: &[u8]) -> Result<Vec<u8>, String> {
        self.call(command).map_err(|e| e.to_string())
    }
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn transact(&mut self, command: &[u8]) -> Result<Vec<u8>, String> {
        (**self).transact(command)
    }
}

/// How one authorized handle of a command is authorized.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    /// A password session (`TPM_RS_PW`) with the empty password.
    EmptyPassword,
    /// A policy session whose policy needs no HMAC (no PolicyAuthValue/PolicyPassword).
    Policy(u32),
}

/// Why a command gave no answer to use.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("{command} failed: TPM_RC {rc:#05x}")]
    Rc { command: &'static str, rc: u32 },
    #[error("{command}: {detail}")]
    Other {
        command: &'static str,
        detail: String,
    },
}

impl CallError {
    /// The TPM's response code, if the TPM answered with one.
    pub fn rc(&self) -> Option<u32> {
        match self {
            CallError::Rc { rc, .. } => Some(*rc),
            CallError::Other { .. } => None,
        }
    }
}

impl From<CallError> for String {
    fn from(e: CallError) -> String {
        e.to_string()
    }
}

pub fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// A TPM2B: 16-bit size, then the bytes.
pub fn put_sized(out: &mut Vec<u8>, data: &[u8]) {
    put16(out, data.len() as u16);
    out.extend_from_slice(data);
}

/// A TPM behind a transport.
pub struct Conn<T> {
    transport: T,
}

impl<T: Transport> Conn<T> {
    pub fn new(transport: T) -> Conn<T> {
        Conn { transport }
    }

    /// Sends one command with one session per entry of `auths` (in handle order); returns
    /// the response's `out_handles` handles and its parameters.
    pub fn call(
        &mut self,
        code: u32,
        handles: &[u32],
        auths: &[Auth],
        params: &[u8],
        out_handles: usize,
    ) -> Result<(Vec<u32>, Vec<u8>), CallError> {
        let command = command_name(code);
        let mut c = Vec::with_capacity(64 + params.len());
        put16(
            &mut c,
            if auths.is_empty() {
                st::NO_SESSIONS
            } else {
                st::SESSIONS
            },
        );
        put32(&mut c, 0);
        put32(&mut c, code);
        for h in handles {
            put32(&mut c, *h);
        }
        if !auths.is_empty() {
            let mut area = Vec::new();
            for a in auths {
                let handle = match a {
                    Auth::EmptyPassword => rh::PW,
                    Auth::Policy(h) => *h,
                };
                put32(&mut area, handle);
                put16(&mut area, 0); // nonceCaller
                area.push(CONTINUE_SESSION);
                put16(&mut area, 0); // hmac: the empty password, or none for a policy
            }
            put32(&mut c, area.len() as u32);
            c.extend_from_slice(&area);
        }
        c.extend_from_slice(params);
        let size = c.len() as u32;
        c[2..6].copy_from_slice(&size.to_be_bytes());
        let bad = |_| CallError::Other {
            command,
            detail: "malformed response".into(),
        };
        let mut tries = 0;
        let (resp, tag) = loop {
            let resp = self
                .transport
                .transact(&c)
                .map_err(|detail| CallError::Other { command, detail })?;
            let mut r = Reader::new(&resp);
            let tag = r.u16().map_err(bad)?;
            let _size = r.u32().map_err(bad)?;
            let rc = r.u32().map_err(bad)?;
            tries += 1;
            match rc {
                0 => break (resp, tag),
                // Warnings that ask for the same command again (Part 2, §6.6.3), as a
                // TSS resubmits them: the first DA-protected authorization after a startup
                // answers TPM_RC_RETRY.
                RC_RETRY | RC_YIELDED | RC_TESTING if tries < MAX_TRIES => continue,
                _ => return Err(CallError::Rc { command, rc }),
            }
        };
        let mut r = Reader::new(&resp);
        r.take(10).map_err(bad)?;
        let mut hs = Vec::new();
        for _ in 0..out_handles {
            hs.push(r.u32().map_err(bad)?);
        }
        let body = if tag == st::SESSIONS {
            let n = r.u32().map_err(bad)? as usize;
            r.take(n).map_err(bad)?.to_vec()
        } else {
            r.rest().to_vec()
        };
        Ok((hs, body))
    }

    /// TPM2_FlushContext.
    pub fn flush(&mut self, handle: u32) -> Result<(), CallError> {
        let mut p = Vec::new();
        put32(&mut p, handle);
        self.call(tpm2_types::constants::cc::FLUSH_CONTEXT, &[], &[], &p, 0)
            .map(drop)
    }
}

/// The spec name of a command, for messages.
fn command_name(code: u32) -> &'static str {
    use tpm2_types::constants::cc;
    match code {
        cc::STARTUP => "TPM2_Startup",
        cc::SHUTDOWN => "TPM2_Shutdown",
        cc::CREATE_PRIMARY => "TPM2_CreatePrimary",
        cc::CREATE => "TPM2_Create",
        cc::LOAD => "TPM2_Load",
        cc::READ_PUBLIC => "TPM2_ReadPublic",
        cc::EVICT_CONTROL => "TPM2_EvictControl",
        cc::FLUSH_CONTEXT => "TPM2_FlushContext",
        cc::NV_DEFINE_SPACE => "TPM2_NV_DefineSpace",
        cc::NV_WRITE => "TPM2_NV_Write",
        cc::NV_WRITE_LOCK => "TPM2_NV_WriteLock",
        cc::GET_CAPABILITY => "TPM2_GetCapability",
        cc::PCR_ALLOCATE => "TPM2_PCR_Allocate",
        cc::PCR_READ => "TPM2_PCR_Read",
        cc::START_AUTH_SESSION => "TPM2_StartAuthSession",
        cc::POLICY_SECRET => "TPM2_PolicySecret",
        cc::ACTIVATE_CREDENTIAL => "TPM2_ActivateCredential",
        cc::QUOTE => "TPM2_Quote",
        _ => "TPM command",
    }
}
