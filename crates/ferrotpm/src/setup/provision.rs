//! The TPM conversation of manufacturing: the commands swtpm_setup sends to a fresh swtpm
//! (../shared/ref/swtpm-interfaces.md §1.4), sent here in-process to an `Instance` over
//! the state directory, so every change is durable when its answer arrives.

use crate::conn::{put16, put32, put_sized, Auth, Conn, Transport};
use tpm2_types::constants::{cc, nv_attr, rh};
use tpm2_types::object::{TpmtPublic, Unique};
use tpm2_types::{Codec, Reader};

/// Largest NV_Write chunk (swtpm_setup writes 1 KiB; our `TPM_PT_NV_BUFFER_MAX` is 1024).
const NV_CHUNK: usize = 1024;
/// `TPM_CAP_PCRS`.
const CAP_PCRS: u32 = 5;
const TPM_SU_CLEAR: u16 = 0;

/// The attributes of a certificate index before it is written and locked:
/// platformcreate, no_da, authread, ownerread, ppread, writedefine, ppwrite. Written and
/// locked, that is 0x62072801 — what swtpm_setup leaves.
pub const CERT_INDEX_ATTRS: u32 = nv_attr::PPWRITE
    | nv_attr::WRITEDEFINE
    | nv_attr::PPREAD
    | nv_attr::OWNERREAD
    | nv_attr::AUTHREAD
    | nv_attr::NO_DA
    | nv_attr::PLATFORMCREATE;

/// The public key of a created key, as a certificate needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyPublic {
    Rsa { modulus: Vec<u8>, exponent: u32 },
    Ecc { x: Vec<u8>, y: Vec<u8> },
}

/// Manufacturing's commands, on a TPM answering in-process (or anywhere).
impl<T: Transport> Conn<T> {
    /// Sends one command with an empty-password session for each of `auths` handles.
    fn call_pw(
        &mut self,
        code: u32,
        handles: &[u32],
        auths: usize,
        params: &[u8],
        out_handles: usize,
    ) -> Result<(Vec<u32>, Vec<u8>), String> {
        let sessions = vec![Auth::EmptyPassword; auths];
        Ok(self.call(code, handles, &sessions, params, out_handles)?)
    }

    pub fn startup_clear(&mut self) -> Result<(), String> {
        let mut p = Vec::new();
        put16(&mut p, TPM_SU_CLEAR);
        self.call_pw(cc::STARTUP, &[], 0, &p, 0).map(drop)
    }

    pub fn shutdown_clear(&mut self) -> Result<(), String> {
        let mut p = Vec::new();
        put16(&mut p, TPM_SU_CLEAR);
        self.call_pw(cc::SHUTDOWN, &[], 0, &p, 0).map(drop)
    }

    /// TPM2_CreatePrimary in `hierarchy` with an empty authValue; returns the transient
    /// handle and the public key.
    pub fn create_primary(
        &mut self,
        hierarchy: u32,
        template: &[u8],
    ) -> Result<(u32, KeyPublic), String> {
        let mut p = Vec::new();
        put_sized(&mut p, &[0, 0, 0, 0]); // inSensitive: empty userAuth and data
        put_sized(&mut p, template);
        put_sized(&mut p, &[]); // outsideInfo
        put32(&mut p, 0); // creationPCR: none
        let (h, body) = self.call_pw(cc::CREATE_PRIMARY, &[hierarchy], 1, &p, 1)?;
        let mut r = Reader::new(&body);
        let public = tpm2_types::object::read_sized(&mut r, TpmtPublic::read)
            .map_err(|e| format!("CreatePrimary: malformed outPublic ({e})"))?;
        let key = match (&public.parms, &public.unique) {
            (tpm2_types::object::PublicParms::Rsa(parms), Unique::Rsa(n)) => KeyPublic::Rsa {
                modulus: n.as_slice().to_vec(),
                exponent: parms.exponent,
            },
            (_, Unique::Ecc(pt)) => KeyPublic::Ecc {
                x: pt.x.as_slice().to_vec(),
                y: pt.y.as_slice().to_vec(),
            },
            _ => return Err("CreatePrimary: not an RSA or ECC key".into()),
        };
        Ok((h[0], key))
    }

    /// Makes a transient object persistent at `persistent` (owner authorization) and
    /// flushes the transient copy.
    pub fn make_persistent(&mut self, object: u32, persistent: u32) -> Result<(), String> {
        let mut p = Vec::new();
        put32(&mut p, persistent);
        self.call_pw(cc::EVICT_CONTROL, &[rh::OWNER, object], 1, &p, 0)?;
        Ok(self.flush(object)?)
    }

    /// Defines a certificate index with platform authorization, writes `data` into it in
    /// 1 KiB pieces and, with `lock`, write-locks it.
    pub fn store_certificate(&mut self, index: u32, data: &[u8], lock: bool) -> Result<(), String> {
        let size = u16::try_from(data.len())
            .map_err(|_| format!("certificate of {} bytes is too large", data.len()))?;
        let mut public = Vec::new();
        put32(&mut public, index);
        put16(&mut public, 0x000B); // nameAlg SHA-256
        put32(&mut public, CERT_INDEX_ATTRS);
        put_sized(&mut public, &[]); // authPolicy
        put16(&mut public, size);
        let mut p = Vec::new();
        put_sized(&mut p, &[]); // auth
        put_sized(&mut p, &public);
        self.call_pw(cc::NV_DEFINE_SPACE, &[rh::PLATFORM], 1, &p, 0)?;
        for (i, chunk) in data.chunks(NV_CHUNK).enumerate() {
            let mut w = Vec::new();
            put_sized(&mut w, chunk);
            put16(&mut w, (i * NV_CHUNK) as u16);
            self.call_pw(cc::NV_WRITE, &[rh::PLATFORM, index], 1, &w, 0)?;
        }
        if lock {
            self.call_pw(cc::NV_WRITE_LOCK, &[rh::PLATFORM, index], 1, &[], 0)?;
        }
        Ok(())
    }

    /// The PCR banks the TPM implements (TPM2_GetCapability(TPM_CAP_PCRS)).
    pub fn pcr_banks(&mut self) -> Result<Vec<(u16, Vec<u8>)>, String> {
        let mut p = Vec::new();
        put32(&mut p, CAP_PCRS);
        put32(&mut p, 0);
        put32(&mut p, 1);
        let (_, body) = self.call_pw(cc::GET_CAPABILITY, &[], 0, &p, 0)?;
        let bad = |_| "GetCapability(PCRS): malformed answer".to_string();
        let mut r = Reader::new(&body);
        let _more = r.u8().map_err(bad)?;
        let _cap = r.u32().map_err(bad)?;
        let n = r.u32().map_err(bad)?;
        let mut banks = Vec::new();
        for _ in 0..n.min(16) {
            let alg = r.u16().map_err(bad)?;
            let len = r.u8().map_err(bad)? as usize;
            banks.push((alg, r.take(len).map_err(bad)?.to_vec()));
        }
        Ok(banks)
    }

    /// TPM2_PCR_Allocate: every PCR in the banks `active`, none in the others (of those the
    /// TPM implements). Takes effect at the next TPM Reset.
    pub fn pcr_allocate(&mut self, active: &[u16]) -> Result<(), String> {
        let banks = self.pcr_banks()?;
        let mut p = Vec::new();
        put32(&mut p, banks.len() as u32);
        for (alg, sel) in &banks {
            put16(&mut p, *alg);
            p.push(sel.len() as u8);
            let fill = if active.contains(alg) { 0xFF } else { 0 };
            p.extend(std::iter::repeat_n(fill, sel.len()));
        }
        let (_, body) = self.call_pw(cc::PCR_ALLOCATE, &[rh::PLATFORM], 1, &p, 0)?;
        match body.first() {
            Some(1) => Ok(()),
            _ => Err("PCR_Allocate: the allocation was refused".into()),
        }
    }
}
