//! TPM2_Hash and hash/event sequences (Part 3, §15.4 and §17).

use crate::dispatch::handles::hierarchy_of;
use crate::dispatch::Command;
use crate::state::{HashState, Hierarchy, SequenceKind, SequenceObject, TransientObject};
use crate::Tpm;
use tpm2_crypto::Hasher;
use tpm2_types::constants::{ht, rh, st, TPM_GENERATED_VALUE};
use tpm2_types::structures::{TpmlDigestValues, TpmtHa, TpmtTicket};
use tpm2_types::{HashAlg, OptHashAlg, Rc, Reader, Tpm2bAuth, Tpm2bDigest, Tpm2bMaxBuffer};

/// `TPMI_RH_HIERARCHY+` as a parameter. A disabled hierarchy still gets its ticket (the
/// ticket only proves the TPM computed the digest; libtpms does the same).
fn read_hierarchy(r: &mut Reader<'_>) -> Result<u32, Rc> {
    match r.u32()? {
        h @ (rh::OWNER | rh::ENDORSEMENT | rh::PLATFORM | rh::NULL) => Ok(h),
        _ => Err(Rc::VALUE),
    }
}

impl Tpm {
    /// The proof value of a hierarchy (Part 1, §14.4).
    pub(crate) fn hierarchy_proof(&self, h: u32) -> &[u8] {
        match hierarchy_of(h) {
            Some(Hierarchy::Platform) => self.perm.ph_proof.as_slice(),
            Some(Hierarchy::Owner) => self.perm.sh_proof.as_slice(),
            Some(Hierarchy::Endorsement) => self.perm.eh_proof.as_slice(),
            _ => self.vol.state_reset.null_proof.as_slice(),
        }
    }

    /// A hash-check ticket (Part 2, §10.7.6): `HMAC(proof, TPM_ST_HASHCHECK || digest)` with
    /// the context integrity hash; the NULL ticket for the NULL hierarchy or for data that
    /// starts with `TPM_GENERATED_VALUE`.
    fn hashcheck_ticket(&mut self, hierarchy: u32, digest: &[u8], safe: bool) -> TpmtTicket {
        if hierarchy == rh::NULL || !safe {
            return TpmtTicket::null(st::HASHCHECK);
        }
        let proof = self.hierarchy_proof(hierarchy).to_vec();
        let mut m = self.rt.keyed_mac(&proof);
        m.update(&st::HASHCHECK.to_be_bytes());
        m.update(digest);
        let mac = m.finish();
        TpmtTicket {
            tag: st::HASHCHECK,
            hierarchy,
            digest: Tpm2bDigest::from(mac),
        }
    }

    /// Puts an object in a free transient slot; `TPM_RC_OBJECT_MEMORY` when all are used.
    pub(crate) fn load_transient(&mut self, obj: TransientObject) -> Result<u32, Rc> {
        let max = crate::commands::capability::MAX_LOADED_OBJECTS as u32;
        let h = (0..max)
            .map(|i| (ht::TRANSIENT as u32) << 24 | i)
            .find(|h| !self.vol.objects.contains_key(h))
            .ok_or(Rc::OBJECT_MEMORY)?;
        self.vol.objects.insert(h, obj);
        Ok(h)
    }

    /// The sequence object behind a handle; `TPM_RC_MODE` for any other object.
    fn sequence_mut(&mut self, h: u32, handle_no: usize) -> Result<&mut SequenceObject, Rc> {
        match self.vol.objects.get_mut(&h) {
            Some(TransientObject::Sequence(s)) => Ok(s),
            Some(TransientObject::Key(_)) => Err(Rc::MODE.handle(handle_no)),
            None => Err(Rc::HANDLE.handle(handle_no)),
        }
    }
}

/// Whether `data` may be what a ticket vouches for: at least 4 bytes, not starting with
/// `TPM_GENERATED_VALUE` (Part 4, `TicketIsSafe`).
fn ticket_is_safe(data: &[u8]) -> bool {
    data.len() >= 4 && data[..4] != TPM_GENERATED_VALUE.to_be_bytes()
}

/// Data that starts with `TPM_GENERATED_VALUE`; TPM2_Hash refuses a ticket only for such
/// data (shorter data cannot be confused with an attestation).
fn starts_generated(data: &[u8]) -> bool {
    data.len() >= 4 && data[..4] == TPM_GENERATED_VALUE.to_be_bytes()
}

pub fn hash(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let data = c.params.read_with(Tpm2bMaxBuffer::read_ref)?;
    let alg: HashAlg = c.params.read()?;
    let hierarchy = c.params.read_with(read_hierarchy)?;
    c.params.end()?;
    let d = tpm2_crypto::digest(alg, &[data]);
    let ticket = tpm.hashcheck_ticket(hierarchy, &d, !starts_generated(data));
    c.put(&Tpm2bDigest::from(d));
    c.put(&ticket);
    Ok(())
}

pub fn hash_sequence_start(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let auth: Tpm2bAuth = c.params.read()?;
    let alg: OptHashAlg = c.params.read()?;
    c.params.end()?;
    let (kind, algs) = match alg.0 {
        Some(a) => (SequenceKind::Hash, vec![a]),
        None => (SequenceKind::Event, HashAlg::ALL.to_vec()),
    };
    let seq = SequenceObject {
        kind,
        auth: crate::state::Secret(crate::dispatch::auth::trim_zeros(auth.as_slice()).to_vec()),
        hashes: algs
            .iter()
            .map(|&a| HashState {
                alg: a,
                state: Hasher::new(a).export_state(),
            })
            .collect(),
        ticket_safe: None,
    };
    let h = tpm.load_transient(TransientObject::Sequence(seq))?;
    c.out_handle = Some(h);
    Ok(())
}

/// Feeds data into every running hash of a sequence (the inner one of an HMAC sequence).
fn absorb(seq: &mut SequenceObject, data: &[u8]) -> Result<(), Rc> {
    let running = if seq.kind == SequenceKind::Hmac {
        1
    } else {
        seq.hashes.len()
    };
    for hs in seq.hashes.iter_mut().take(running) {
        let mut h = Hasher::import_state(hs.alg, &hs.state).ok_or(Rc::FAILURE)?;
        h.update(data);
        hs.state = h.export_state();
    }
    if seq.ticket_safe.is_none() {
        seq.ticket_safe = Some(ticket_is_safe(data));
    }
    Ok(())
}

fn finish(seq: &SequenceObject) -> Result<Vec<TpmtHa>, Rc> {
    seq.hashes
        .iter()
        .map(|hs| {
            let h = Hasher::import_state(hs.alg, &hs.state).ok_or(Rc::FAILURE)?;
            Ok(TpmtHa {
                hash: hs.alg,
                digest: h.finish(),
            })
        })
        .collect()
}

pub fn sequence_update(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let data = c.params.read_with(Tpm2bMaxBuffer::read_ref)?;
    c.params.end()?;
    let seq = tpm.sequence_mut(c.handle(0), 1)?;
    absorb(seq, data)
}

pub fn sequence_complete(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let data: Tpm2bMaxBuffer = c.params.read()?;
    let hierarchy = c.params.read_with(read_hierarchy)?;
    c.params.end()?;
    let h = c.handle(0);
    let seq = tpm.sequence_mut(h, 1)?;
    if seq.kind == SequenceKind::Event {
        return Err(Rc::MODE.handle(1));
    }
    absorb(seq, data.as_slice())?;
    let hmac = seq.kind == SequenceKind::Hmac;
    let safe = seq.ticket_safe.unwrap_or(false) && !hmac;
    let mut parts = finish(seq)?;
    let digest = if hmac {
        // The outer hash over the inner digest; an HMAC gets the NULL ticket.
        let outer = seq.hashes.get(1).ok_or(Rc::FAILURE)?;
        Hasher::import_state(outer.alg, &outer.state)
            .ok_or(Rc::FAILURE)?
            .with(&parts.remove(0).digest)
            .finish()
    } else {
        parts.remove(0).digest
    };
    tpm.vol.objects.remove(&h);
    let ticket = tpm.hashcheck_ticket(hierarchy, &digest, safe);
    c.put(&Tpm2bDigest::from(digest));
    c.put(&ticket);
    Ok(())
}

pub fn event_sequence_complete(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let data: Tpm2bMaxBuffer = c.params.read()?;
    c.params.end()?;
    let pcr = (c.handle(0) != rh::NULL).then_some(c.handle(0) as usize);
    let h = c.handle(1);
    if let Some(p) = pcr {
        tpm.check_extend_locality(p, c.locality)?;
    }
    let seq = tpm.sequence_mut(h, 2)?;
    if seq.kind != SequenceKind::Event {
        return Err(Rc::MODE.handle(2));
    }
    absorb(seq, data.as_slice())?;
    let digests = finish(seq)?;
    tpm.vol.objects.remove(&h);
    if let Some(p) = pcr {
        for d in &digests {
            tpm.pcr_extend(p, d);
        }
    }
    c.put(&TpmlDigestValues(digests));
    Ok(())
}

/// The block size of a hash (the HMAC key pad length, RFC 2104).
fn block_size(alg: HashAlg) -> usize {
    match alg {
        HashAlg::Sha1 | HashAlg::Sha256 => 64,
        HashAlg::Sha384 | HashAlg::Sha512 => 128,
    }
}

/// TPM2_HMAC_Start (Part 3, §17.2): an HMAC sequence keyed by a loaded HMAC key (the same
/// key and hash rules as TPM2_HMAC).
pub fn hmac_start(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    use crate::object::keys::Key;
    use tpm2_types::constants::obj_attr;
    use tpm2_types::object::{KeyedHashScheme, PublicParms};
    let auth: Tpm2bAuth = c.params.read()?;
    let hash: OptHashAlg = c.params.read()?;
    c.params.end()?;
    let o = tpm.object_at(c.handle(0), 1)?;
    let PublicParms::KeyedHash(scheme) = &o.public.parms else {
        return Err(Rc::TYPE.handle(1));
    };
    if o.has(obj_attr::RESTRICTED) || !o.has(obj_attr::SIGN_ENCRYPT) {
        return Err(Rc::ATTRIBUTES.handle(1));
    }
    let alg = match (scheme, hash.0) {
        (KeyedHashScheme::Hmac(k), None) => *k,
        (KeyedHashScheme::Hmac(k), Some(g)) if *k == g => g,
        (KeyedHashScheme::Null, Some(g)) => g,
        _ => return Err(Rc::VALUE.param(2)),
    };
    let key = o.key()?;
    let Key::Bits(k) = &*key else {
        return Err(Rc::TYPE.handle(1));
    };
    // K' (RFC 2104): hashed when longer than a block, then padded with zeros.
    let mut k0 = zeroize::Zeroizing::new(if k.len() > block_size(alg) {
        tpm2_crypto::digest(alg, &[k])
    } else {
        k.to_vec()
    });
    k0.resize(block_size(alg), 0);
    let pad = |x: u8| {
        let p: zeroize::Zeroizing<Vec<u8>> =
            zeroize::Zeroizing::new(k0.iter().map(|b| b ^ x).collect());
        HashState {
            alg,
            state: Hasher::new(alg).with(&p).export_state(),
        }
    };
    let seq = SequenceObject {
        kind: SequenceKind::Hmac,
        auth: crate::state::Secret(crate::dispatch::auth::trim_zeros(auth.as_slice()).to_vec()),
        hashes: vec![pad(0x36), pad(0x5c)],
        ticket_safe: None,
    };
    let h = tpm.load_transient(TransientObject::Sequence(seq))?;
    c.out_handle = Some(h);
    Ok(())
}
