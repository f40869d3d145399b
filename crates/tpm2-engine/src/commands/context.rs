//! Context management (Part 3, §28): TPM2_ContextSave, TPM2_ContextLoad (objects and
//! sessions), TPM2_FlushContext, TPM2_EvictControl.
//!
//! A saved session stays active (it keeps its slot and handle) and can be loaded back
//! once, from the context with the sequence number recorded when it was saved (Part 1,
//! §30.5); its context is void after any startup.
//!
//! A saved context is our own format inside `TPMS_CONTEXT.contextBlob`:
//! `u16 n | HMAC-SHA256 (n bytes) | u16 m | AES-256-CFB(object) (m bytes)`, keyed by
//! KDFa(SHA-256, hierarchy proof, "CONTEXT"/"INTEGRITY", sequence || savedHandle,
//! resetCount [|| restartCount for stClear objects]). The MAC covers the sequence number,
//! the saved handle, the hierarchy and the ciphertext. Bytes after the ciphertext are
//! ignored, as libtpms ignores the padding Windows adds (libtpms issue #217). A TPM Reset
//! (and a Restart, for stClear objects) or a changed proof makes old contexts fail with
//! `TPM_RC_INTEGRITY`.

use crate::dispatch::handles::hierarchy_of;
use crate::dispatch::Command;
use crate::object::{hierarchy_handle, Object};
use crate::state::TransientObject;
use crate::Tpm;
use tpm2_crypto::kdf::kdfa;
use tpm2_crypto::sym::aes_cfb;
use tpm2_crypto::{ct_eq, hmac};
use tpm2_types::constants::{ht, obj_attr, rh};
use tpm2_types::{Codec, HashAlg, Rc, Reader, Tpm2b};
use zeroize::Zeroizing;

/// `TPM2B_CONTEXT_DATA` maximum (TPM_PT_MAX_OBJECT_CONTEXT less the TPMS_CONTEXT fields).
pub const MAX_CONTEXT_DATA: usize = 2692 - 18;
/// Saved handles of object contexts (Part 2, `TPMI_DH_SAVED`).
const SAVED_OBJECT: u32 = 0x8000_0000;
const SAVED_SEQUENCE: u32 = 0x8000_0001;
const SAVED_ST_CLEAR: u32 = 0x8000_0002;
/// The version of the serialization inside a context.
const CONTEXT_VERSION: u8 = 1;
/// The largest distance between the oldest saved session and the newest context
/// (`TPM_PT_CONTEXT_GAP_MAX`).
const CONTEXT_GAP_MAX: u64 = 0xFFFF;

/// What a context holds.
#[derive(serde::Serialize, serde::Deserialize)]
enum Saved {
    Object(TransientObject),
    Session(crate::state::AuthSession),
}

/// `TPMS_CONTEXT`.
struct Context {
    sequence: u64,
    saved_handle: u32,
    hierarchy: u32,
    blob: Vec<u8>,
}

impl Codec for Context {
    fn encode(&self, out: &mut Vec<u8>) {
        self.sequence.encode(out);
        self.saved_handle.encode(out);
        self.hierarchy.encode(out);
        Tpm2b::<MAX_CONTEXT_DATA>(self.blob.clone()).encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        let sequence = r.u64()?;
        // TPMI_DH_SAVED: a session handle or one of the three object values.
        let saved_handle = r.u32()?;
        if !crate::session::is_session_handle(saved_handle)
            && !matches!(saved_handle, SAVED_OBJECT | SAVED_SEQUENCE | SAVED_ST_CLEAR)
        {
            return Err(Rc::VALUE);
        }
        let hierarchy = match r.u32()? {
            h @ (rh::OWNER | rh::ENDORSEMENT | rh::PLATFORM | rh::NULL) => h,
            _ => return Err(Rc::VALUE),
        };
        let blob = Tpm2b::<MAX_CONTEXT_DATA>::read(r)?.0;
        Ok(Context {
            sequence,
            saved_handle,
            hierarchy,
            blob,
        })
    }
}

impl Tpm {
    /// The encryption key || IV and the MAC key of a context.
    fn context_keys(&self, ctx: &Context) -> (Zeroizing<Vec<u8>>, Zeroizing<Vec<u8>>) {
        let proof = self.hierarchy_proof(ctx.hierarchy);
        let mut who = ctx.sequence.to_be_bytes().to_vec();
        who.extend_from_slice(&ctx.saved_handle.to_be_bytes());
        let mut when = self.perm.reset_count.to_be_bytes().to_vec();
        if ctx.saved_handle == SAVED_ST_CLEAR {
            when.extend_from_slice(&self.perm.restart_count.to_be_bytes());
        }
        let enc = kdfa(HashAlg::Sha256, proof, b"CONTEXT", &who, &when, 384);
        let mac = kdfa(HashAlg::Sha256, proof, b"INTEGRITY", &who, &when, 256);
        (Zeroizing::new(enc), Zeroizing::new(mac))
    }

    fn context_mac(&self, key: &[u8], ctx: &Context, enc: &[u8]) -> Vec<u8> {
        hmac(
            HashAlg::Sha256,
            key,
            &[
                &ctx.sequence.to_be_bytes(),
                &ctx.saved_handle.to_be_bytes(),
                &ctx.hierarchy.to_be_bytes(),
                enc,
            ],
        )
    }
}

/// TPM2_ContextSave of a transient object (sessions: not implemented yet, `TPM_RC_HANDLE`).
pub fn context_save(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    c.params.end()?;
    let h = c.handle(0);
    let session = crate::session::is_session_handle(h);
    let (saved_handle, hierarchy, body) = if session {
        let s = tpm.session(h).ok_or(Rc::HANDLE.handle(1))?;
        // The oldest saved session must stay within the gap of the new sequence number.
        let oldest = tpm.vol.saved_sessions.values().min().copied();
        if oldest.is_some_and(|o| tpm.vol.context_counter + 1 - o > CONTEXT_GAP_MAX) {
            return Err(Rc::CONTEXT_GAP);
        }
        (h, rh::NULL, Saved::Session(s.clone()))
    } else {
        match tpm.vol.objects.get(&h) {
            Some(TransientObject::Key(o)) => {
                let saved = if o.has(obj_attr::ST_CLEAR) {
                    SAVED_ST_CLEAR
                } else {
                    SAVED_OBJECT
                };
                (
                    saved,
                    hierarchy_handle(o.hierarchy),
                    Saved::Object(TransientObject::Key(o.clone())),
                )
            }
            Some(TransientObject::Sequence(s)) => (
                SAVED_SEQUENCE,
                rh::NULL,
                Saved::Object(TransientObject::Sequence(s.clone())),
            ),
            None => return Err(Rc::HANDLE.handle(1)),
        }
    };
    let mut plain = Zeroizing::new(vec![CONTEXT_VERSION]);
    plain.extend(postcard::to_allocvec(&body).map_err(|_| Rc::FAILURE)?);
    tpm.vol.context_counter += 1;
    let mut ctx = Context {
        sequence: tpm.vol.context_counter,
        saved_handle,
        hierarchy,
        blob: Vec::new(),
    };
    let (enc_key, mac_key) = tpm.context_keys(&ctx);
    let iv: [u8; 16] = enc_key[32..48].try_into().map_err(|_| Rc::FAILURE)?;
    let mut enc = plain.to_vec();
    aes_cfb(&enc_key[..32], &iv, &mut enc, true);
    let mac = tpm.context_mac(&mac_key, &ctx, &enc);
    (mac.len() as u16).encode(&mut ctx.blob);
    ctx.blob.extend_from_slice(&mac);
    (enc.len() as u16).encode(&mut ctx.blob);
    ctx.blob.extend_from_slice(&enc);
    if ctx.blob.len() > MAX_CONTEXT_DATA {
        return Err(Rc::FAILURE);
    }
    if session {
        // Saved: no longer loaded, still active (Part 3, §28.2).
        if tpm.vol.exclusive_audit == Some(h) {
            tpm.vol.exclusive_audit = None;
        }
        tpm.vol.sessions.remove(&h);
        tpm.vol.saved_sessions.insert(h, ctx.sequence);
    }
    c.put(&ctx);
    Ok(())
}

/// TPM2_ContextLoad of an object context.
pub fn context_load(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let ctx: Context = c.params.read()?;
    c.params.end()?;
    let session = crate::session::is_session_handle(ctx.saved_handle);
    if session {
        // Only the context the session was last saved in, and only while it is saved.
        if tpm.vol.saved_sessions.get(&ctx.saved_handle) != Some(&ctx.sequence) {
            return Err(Rc::HANDLE.param(1));
        }
        if tpm.sessions_loaded() >= crate::session::MAX_LOADED_SESSIONS {
            return Err(Rc::SESSION_MEMORY);
        }
    } else if !matches!(
        ctx.saved_handle,
        SAVED_OBJECT | SAVED_ST_CLEAR | SAVED_SEQUENCE
    ) {
        return Err(Rc::HANDLE.param(1));
    }
    let hierarchy = hierarchy_of(ctx.hierarchy).ok_or(Rc::VALUE.param(1))?;
    if !tpm.hierarchy_enabled(hierarchy) {
        return Err(Rc::HIERARCHY.param(1));
    }
    let mut r = Reader::new(&ctx.blob);
    let bad = |_| Rc::INTEGRITY.param(1);
    let n = r.u16().map_err(bad)? as usize;
    let mac = r.take(n).map_err(bad)?;
    let m = r.u16().map_err(bad)? as usize;
    let enc = r.take(m).map_err(bad)?;
    let (enc_key, mac_key) = tpm.context_keys(&ctx);
    if !ct_eq(&tpm.context_mac(&mac_key, &ctx, enc), mac) {
        return Err(Rc::INTEGRITY.param(1));
    }
    let iv: [u8; 16] = enc_key[32..48].try_into().map_err(|_| Rc::FAILURE)?;
    let mut plain = Zeroizing::new(enc.to_vec());
    aes_cfb(&enc_key[..32], &iv, &mut plain, false);
    // Authenticated, so our own bytes: anything else is a TPM failure, not bad input.
    if plain.first() != Some(&CONTEXT_VERSION) {
        return Err(Rc::INTEGRITY.param(1));
    }
    let saved: Saved = postcard::from_bytes(&plain[1..]).map_err(|_| Rc::INTEGRITY.param(1))?;
    let h = match saved {
        Saved::Session(s) if session => {
            tpm.vol.saved_sessions.remove(&ctx.saved_handle);
            tpm.vol.sessions.insert(ctx.saved_handle, s);
            ctx.saved_handle
        }
        Saved::Object(object) if !session => {
            if let TransientObject::Key(o) = &object {
                o.key().map_err(|_| Rc::INTEGRITY.param(1))?;
            }
            tpm.load_transient(object)?
        }
        _ => return Err(Rc::INTEGRITY.param(1)),
    };
    c.out_handle = Some(h);
    Ok(())
}

pub fn flush_context(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    // TPMI_DH_CONTEXT: a transient object or a session.
    let h: u32 = c.params.read_with(|r| {
        let h = r.u32()?;
        match (h >> 24) as u8 {
            // Only the transient handles of the slots (libtpms's TRANSIENT_LAST).
            ht::TRANSIENT
                if h - rh::TRANSIENT_FIRST
                    < crate::commands::capability::MAX_LOADED_OBJECTS as u32 =>
            {
                Ok(h)
            }
            ht::HMAC_SESSION | ht::POLICY_SESSION
                if crate::session::slot(h) < crate::session::MAX_ACTIVE_SESSIONS =>
            {
                Ok(h)
            }
            _ => Err(Rc::VALUE),
        }
    })?;
    c.params.end()?;
    // A session is found by its slot, whichever range the handle is in (as the reference
    // `SessionFlush` does).
    let gone = if crate::session::is_session_handle(h) {
        let slot = crate::session::slot(h);
        match tpm
            .vol
            .sessions
            .keys()
            .find(|k| crate::session::slot(**k) == slot)
        {
            Some(&k) => tpm.session_flush(k),
            // A saved session is flushed by its handle too.
            None => match tpm
                .vol
                .saved_sessions
                .keys()
                .find(|k| crate::session::slot(**k) == slot)
            {
                Some(&k) => tpm.vol.saved_sessions.remove(&k).is_some(),
                None => false,
            },
        }
    } else {
        tpm.vol.objects.remove(&h).is_some()
    };
    if gone {
        Ok(())
    } else {
        Err(Rc::HANDLE.param(1))
    }
}

/// The persistent handle range an authorization may use (Part 3, §28.5; PC Client).
fn in_range(auth: u32, persistent: u32) -> bool {
    if auth == rh::PLATFORM {
        persistent >= rh::PLATFORM_PERSISTENT
    } else {
        persistent < rh::PLATFORM_PERSISTENT
    }
}

/// TPM2_EvictControl: makes a loaded object persistent, or removes a persistent one.
pub fn evict_control(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let persistent: u32 = c.params.read_with(|r| {
        let h = r.u32()?;
        if (h >> 24) as u8 == ht::PERSISTENT {
            Ok(h)
        } else {
            Err(Rc::VALUE)
        }
    })?;
    c.params.end()?;
    let (auth, oh) = (c.handle(0), c.handle(1));
    let o = tpm.object_at(oh, 2)?;
    // The platform evicts only platform objects; the owner those of the other hierarchies.
    let platform = o.hierarchy == crate::state::Hierarchy::Platform;
    if (auth == rh::PLATFORM) != platform {
        return Err(Rc::HIERARCHY.handle(2));
    }
    if (oh >> 24) as u8 == ht::PERSISTENT {
        if oh != persistent {
            return Err(Rc::HANDLE.handle(2));
        }
        tpm.perm_mut().persistent.remove(&oh);
        return Ok(());
    }
    if o.has(obj_attr::ST_CLEAR) || o.external || o.hierarchy == crate::state::Hierarchy::Null {
        return Err(Rc::ATTRIBUTES.handle(2));
    }
    if !in_range(auth, persistent) {
        return Err(Rc::RANGE.param(1));
    }
    if tpm.perm.persistent.contains_key(&persistent) {
        return Err(Rc::NV_DEFINED);
    }
    if crate::commands::nv_limits::persistent_avail(tpm) == 0 {
        return Err(Rc::NV_SPACE);
    }
    let object: Object = o.clone();
    tpm.perm_mut().persistent.insert(persistent, object);
    Ok(())
}
