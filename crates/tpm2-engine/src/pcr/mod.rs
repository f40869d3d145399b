//! PCR banks and their values.

pub mod pc_client;

use serde::{Deserialize, Serialize};
use tpm2_types::structures::{PcrBitmap, TpmsPcrSelection, IMPLEMENTATION_PCR};
use tpm2_types::HashAlg;

/// One bank: the PCRs allocated for one hash, with the values of all of them stored flat
/// (`IMPLEMENTATION_PCR` digests of the bank's size, back to back).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PcrBank {
    pub alg: HashAlg,
    pub allocated: PcrBitmap,
    #[serde(with = "serde_bytes")]
    values: Vec<u8>,
}

impl PcrBank {
    fn new(alg: HashAlg, allocated: PcrBitmap) -> Self {
        PcrBank {
            alg,
            allocated,
            values: vec![0; alg.digest_size() * IMPLEMENTATION_PCR],
        }
    }

    /// The value of `pcr` (allocated or not); empty for a PCR number out of range.
    pub fn get(&self, pcr: usize) -> &[u8] {
        let n = self.alg.digest_size();
        self.values.get(pcr * n..(pcr + 1) * n).unwrap_or(&[])
    }

    pub fn get_mut(&mut self, pcr: usize) -> &mut [u8] {
        let n = self.alg.digest_size();
        self.values
            .get_mut(pcr * n..(pcr + 1) * n)
            .unwrap_or(&mut [])
    }
}

/// All banks, in algorithm-ID order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PcrBanks {
    pub banks: Vec<PcrBank>,
}

impl PcrBanks {
    /// Banks for an allocation, every PCR at its initial value.
    pub fn new(allocation: &[TpmsPcrSelection], startup_locality: u8) -> Self {
        let mut banks: Vec<PcrBank> = allocation
            .iter()
            .filter(|s| !s.select.is_empty())
            .map(|s| PcrBank::new(s.hash, s.select))
            .collect();
        banks.sort_by_key(|b| b.alg);
        let mut p = PcrBanks { banks };
        for pcr in 0..IMPLEMENTATION_PCR {
            p.set_initial(pcr, startup_locality);
        }
        p
    }

    /// The value a PCR takes at TPM Reset/Restart (PC Client: PCRs 17–22 all-ones; PCR 0's
    /// last octet is the startup locality when that is 3).
    pub fn set_initial(&mut self, pcr: usize, startup_locality: u8) {
        for b in &mut self.banks {
            let v = b.get_mut(pcr);
            let fill = if pc_client::starts_at_ones(pcr) {
                0xFF
            } else {
                0
            };
            v.iter_mut().for_each(|x| *x = fill);
            if pcr == 0 && startup_locality == 3 {
                if let Some(last) = v.last_mut() {
                    *last = 3;
                }
            }
        }
    }

    /// Sets a PCR to zeros in every bank (`TPM2_PCR_Reset`, DRTM).
    pub fn zero(&mut self, pcr: usize) {
        for b in &mut self.banks {
            b.get_mut(pcr).iter_mut().for_each(|x| *x = 0);
        }
    }

    pub fn bank(&self, alg: HashAlg) -> Option<&PcrBank> {
        self.banks.iter().find(|b| b.alg == alg)
    }

    /// Whether `pcr` is allocated in the bank of `alg`.
    pub fn is_allocated(&self, alg: HashAlg, pcr: usize) -> bool {
        self.bank(alg).is_some_and(|b| b.allocated.is_set(pcr))
    }

    /// Extends `digest` into `pcr` of the bank of `alg`, if that PCR is allocated:
    /// `new = H(old || digest)`.
    pub fn extend(&mut self, alg: HashAlg, pcr: usize, digest: &[u8]) {
        if let Some(b) = self.banks.iter_mut().find(|b| b.alg == alg) {
            if b.allocated.is_set(pcr) {
                tpm2_crypto::hash::extend_in_place(alg, b.get_mut(pcr), digest);
            }
        }
    }

    pub fn value(&self, alg: HashAlg, pcr: usize) -> Option<&[u8]> {
        let b = self.bank(alg)?;
        if !b.allocated.is_set(pcr) {
            return None;
        }
        Some(b.get(pcr))
    }

    /// The allocation these banks were built from.
    pub fn allocation(&self) -> Vec<TpmsPcrSelection> {
        self.banks
            .iter()
            .map(|b| TpmsPcrSelection {
                hash: b.alg,
                select: b.allocated,
            })
            .collect()
    }

    /// Checks the shape invariants a decoded state must hold before it is used.
    pub fn validate(&self) -> Result<(), String> {
        for b in &self.banks {
            if b.values.len() != IMPLEMENTATION_PCR * b.alg.digest_size() {
                return Err(format!("{:?} bank holds {} bytes", b.alg, b.values.len()));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_values_follow_pc_client() {
        let alloc = [TpmsPcrSelection {
            hash: HashAlg::Sha256,
            select: PcrBitmap::ALL,
        }];
        let p = PcrBanks::new(&alloc, 3);
        assert_eq!(p.value(HashAlg::Sha256, 0).unwrap()[31], 3);
        assert_eq!(p.value(HashAlg::Sha256, 17).unwrap(), &[0xFF; 32]);
        assert_eq!(p.value(HashAlg::Sha256, 23).unwrap(), &[0; 32]);
        assert!(p.value(HashAlg::Sha1, 0).is_none());
    }

    #[test]
    fn extend_is_hash_of_old_and_new() {
        let alloc = [TpmsPcrSelection {
            hash: HashAlg::Sha1,
            select: PcrBitmap::ALL,
        }];
        let mut p = PcrBanks::new(&alloc, 0);
        p.extend(HashAlg::Sha1, 5, &[1; 20]);
        let want = tpm2_crypto::digest(HashAlg::Sha1, &[&[0; 20], &[1; 20]]);
        assert_eq!(p.value(HashAlg::Sha1, 5).unwrap(), want.as_slice());
    }
}
