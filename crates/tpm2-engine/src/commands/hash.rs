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

/// Feeds data into every running hash of a sequence.
fn absorb(seq: &mut SequenceObject, data: &[u8]) -> Result<(), Rc> {
    for hs in &mut seq.hashes {
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
    if seq.kind != SequenceKind::Hash {
        return Err(Rc::MODE.handle(1));
    }
    absorb(seq, data.as_slice())?;
    let safe = seq.ticket_safe.unwrap_or(false);
    let digest = finish(seq)?.remove(0).digest;
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
