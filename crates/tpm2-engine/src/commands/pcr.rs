//! PCR commands (Part 3, §22): Extend, Event, Read, Reset, Allocate, SetAuthValue,
//! SetAuthPolicy — with the PC Client locality rules and `pcrUpdateCounter`.

use crate::dispatch::Command;
use crate::pcr::pc_client;
use crate::state::{PolicyDigest, Secret};
use crate::Tpm;
use tpm2_crypto::digest;
use tpm2_types::constants::rh;
use tpm2_types::structures::{
    DigestValuesRef, PcrBitmap, TpmlDigest, TpmlDigestValues, TpmlPcrSelection, TpmsPcrSelection,
    TpmtHa, IMPLEMENTATION_PCR,
};
use tpm2_types::{HashAlg, OptHashAlg, Rc, Tpm2bAuth, Tpm2bDigest, Tpm2bEvent};

impl Tpm {
    /// Whether the current locality may extend `pcr` (PC Client PCR attributes).
    pub(crate) fn check_extend_locality(&self, pcr: usize, locality: u8) -> Result<(), Rc> {
        match pc_client::EXTEND.get(locality as usize) {
            Some(b) if b.is_set(pcr) => Ok(()),
            _ => Err(Rc::LOCALITY),
        }
    }

    /// Extends one digest into one PCR; `pcrUpdateCounter` advances once per bank extended
    /// unless the PCR is in the no-increment set.
    pub(crate) fn pcr_extend(&mut self, pcr: usize, ha: &TpmtHa) {
        self.pcr_extend_raw(pcr, ha.hash, &ha.digest);
    }

    pub(crate) fn pcr_extend_raw(&mut self, pcr: usize, alg: HashAlg, digest: &[u8]) {
        if self.vol.pcrs.is_allocated(alg, pcr) {
            self.vol.pcrs.extend(alg, pcr, digest);
            self.pcr_changed(pcr);
        }
    }

    pub(crate) fn pcr_changed(&mut self, pcr: usize) {
        if !pc_client::NO_INCREMENT.is_set(pcr) {
            let c = &mut self.vol.state_reset.pcr_update_counter;
            *c = c.wrapping_add(1);
        }
    }

    /// Event digests of `data` in every implemented hash, extended into `pcr` if given.
    pub(crate) fn pcr_event(&mut self, pcr: Option<usize>, data: &[u8]) -> TpmlDigestValues {
        let digests: Vec<TpmtHa> = HashAlg::ALL
            .iter()
            .map(|&hash| TpmtHa {
                hash,
                digest: digest(hash, &[data]),
            })
            .collect();
        if let Some(p) = pcr {
            for d in &digests {
                self.pcr_extend(p, d);
            }
        }
        TpmlDigestValues(digests)
    }
}

/// The PCR a `TPMI_DH_PCR+` handle names, `None` for `TPM_RH_NULL`.
fn pcr_of(h: u32) -> Option<usize> {
    (h != rh::NULL).then_some(h as usize)
}

pub fn extend(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let digests = c.params.read_with(DigestValuesRef::read)?;
    c.params.end()?;
    let Some(pcr) = pcr_of(c.handle(0)) else {
        return Ok(());
    };
    tpm.check_extend_locality(pcr, c.locality)?;
    for (alg, d) in digests.iter() {
        tpm.pcr_extend_raw(pcr, alg, d);
    }
    Ok(())
}

pub fn event(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let data: Tpm2bEvent = c.params.read()?;
    c.params.end()?;
    let pcr = pcr_of(c.handle(0));
    if let Some(p) = pcr {
        tpm.check_extend_locality(p, c.locality)?;
    }
    let out = tpm.pcr_event(pcr, data.as_slice());
    c.put(&out);
    Ok(())
}

/// TPM2_PCR_Read: at most 8 digests; the returned selection names exactly the PCRs whose
/// values are returned (Part 3, §22.4). Written straight into the response.
pub fn read(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let sel: TpmlPcrSelection = c.params.read()?;
    c.params.end()?;
    let mut picked: [(HashAlg, usize); TpmlDigest::MAX] = [(HashAlg::Sha1, 0); TpmlDigest::MAX];
    let mut n = 0;
    c.put(&tpm.vol.state_reset.pcr_update_counter);
    c.put(&(sel.0.len() as u32));
    for s in &sel.0 {
        let mut got = PcrBitmap::default();
        for pcr in s.select.iter() {
            if n < TpmlDigest::MAX && tpm.vol.pcrs.is_allocated(s.hash, pcr) {
                picked[n] = (s.hash, pcr);
                n += 1;
                got.set(pcr);
            }
        }
        c.put(&TpmsPcrSelection {
            hash: s.hash,
            select: got,
        });
    }
    c.put(&(n as u32));
    for &(alg, pcr) in &picked[..n] {
        let v = tpm.vol.pcrs.value(alg, pcr).unwrap_or(&[]);
        c.put(&(v.len() as u16));
        c.out.extend_from_slice(v);
    }
    Ok(())
}

pub fn reset(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    c.params.end()?;
    let pcr = c.handle(0) as usize;
    // A TPM with DRTM refuses TPM2_PCR_Reset at locality 4: the DRTM PCRs are reset by
    // _TPM_Hash_Start instead (Part 4, PCRIsResetAllowed).
    if c.locality == 4 {
        return Err(Rc::LOCALITY);
    }
    match pc_client::RESET.get(c.locality as usize) {
        Some(b) if b.is_set(pcr) => {}
        _ => return Err(Rc::LOCALITY),
    }
    tpm.vol.pcrs.zero(pcr);
    tpm.pcr_changed(pcr);
    Ok(())
}

/// TPM2_PCR_Allocate (Part 3, §22.5): the new allocation is stored now and used from the
/// next TPM Reset. Banks not named keep their allocation; any subset of PCRs may be
/// allocated, but some bank must keep the H-CRTM PCR (0) and some bank the DRTM PCR (17),
/// else `TPM_RC_PCR` (Part 4, PCRAllocate).
pub fn allocate(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let req: TpmlPcrSelection = c.params.read()?;
    c.params.end()?;
    let mut alloc = tpm.perm.pcr_allocated.clone();
    for s in &req.0 {
        match alloc.iter_mut().find(|a| a.hash == s.hash) {
            Some(a) => a.select = s.select,
            None => alloc.push(*s),
        }
    }
    alloc.sort_by_key(|a| a.hash);
    let kept = |pcr: usize| alloc.iter().any(|a| a.select.is_set(pcr));
    if !kept(0) || !kept(17) {
        return Err(Rc::PCR);
    }
    let size_needed: usize = alloc
        .iter()
        .map(|a| a.select.iter().count() * a.hash.digest_size())
        .sum();
    let size_available: usize = HashAlg::ALL
        .iter()
        .map(|h| h.digest_size() * IMPLEMENTATION_PCR)
        .sum();
    let success = size_needed <= size_available;
    if success {
        tpm.perm_mut().pcr_allocated = alloc;
        tpm.vol.pcr_reconfigured = true;
    }
    c.put(&(success as u8));
    c.put(&(IMPLEMENTATION_PCR as u32));
    c.put(&(size_needed as u32));
    c.put(&(size_available as u32));
    Ok(())
}

pub fn set_auth_value(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let auth: Tpm2bAuth = c.params.read()?;
    c.params.end()?;
    let pcr = c.handle(0) as usize;
    // Not in an authorization group: TPM_RC_VALUE without a handle number (as libtpms).
    if !pc_client::AUTH.is_set(pcr) {
        return Err(Rc::VALUE);
    }
    let trimmed = crate::dispatch::auth::trim_zeros(auth.as_slice()).to_vec();
    tpm.vol.state_clear.pcr_auth = Secret(trimmed);
    Ok(())
}

pub fn set_auth_policy(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let policy: Tpm2bDigest = c.params.read()?;
    let alg: OptHashAlg = c.params.read()?;
    let pcr: u32 = c.params.read_with(|r| {
        let h = r.u32()?;
        if (h as usize) < IMPLEMENTATION_PCR {
            Ok(h)
        } else {
            Err(Rc::VALUE)
        }
    })?;
    c.params.end()?;
    let pcr = pcr as usize;
    // The digest size must match the algorithm (Part 3, §22.6).
    let expected = alg.0.map_or(0, |a| a.digest_size());
    if policy.len() != expected {
        return Err(Rc::SIZE.param(1));
    }
    if !pc_client::POLICY.is_set(pcr) {
        return Err(Rc::VALUE.param(3));
    }
    tpm.perm_mut().pcr_policy = PolicyDigest {
        alg: alg.0,
        digest: policy.0,
    };
    Ok(())
}
