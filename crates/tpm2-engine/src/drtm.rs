//! The DRTM / H-CRTM event sequence: `_TPM_Hash_Start`, `_TPM_Hash_Data`, `_TPM_Hash_End`
//! (Part 3, §34 and the PC Client PTP), and the TPM-established flag.

use crate::state::HashState;
use crate::Tpm;
use tpm2_crypto::Hasher;
use tpm2_types::structures::TpmtHa;
use tpm2_types::HashAlg;

/// Why a platform indication was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PlatformError {
    #[error("the locality may not do this")]
    Locality,
}

impl Tpm {
    /// `_TPM_Hash_Start` (from locality 4): starts an event sequence over every
    /// implemented hash, replacing any sequence in progress.
    pub fn hash_start(&mut self) {
        self.tick();
        self.vol.drtm = Some(
            HashAlg::ALL
                .iter()
                .map(|&alg| HashState {
                    alg,
                    state: Hasher::new(alg).export_state(),
                })
                .collect(),
        );
    }

    /// `_TPM_Hash_Data`: ignored when no sequence was started.
    pub fn hash_data(&mut self, data: &[u8]) {
        if let Some(seq) = &mut self.vol.drtm {
            for hs in seq.iter_mut() {
                if let Some(mut h) = Hasher::import_state(hs.alg, &hs.state) {
                    h.update(data);
                    hs.state = h.export_state();
                }
            }
        }
    }

    /// `_TPM_Hash_End`: after `TPM2_Startup`, a DRTM event — PCRs 17–22 reset to zero and
    /// PCR 17 extended with the sequence digests. Before `TPM2_Startup`, an H-CRTM event —
    /// PCR 0 set to `0…04` and extended. Either way the TPM-established flag is set.
    pub fn hash_end(&mut self) {
        self.tick();
        let Some(seq) = self.vol.drtm.take() else {
            return;
        };
        let digests: Vec<TpmtHa> = seq
            .iter()
            .filter_map(|hs| {
                Hasher::import_state(hs.alg, &hs.state).map(|h| TpmtHa {
                    hash: hs.alg,
                    digest: h.finish(),
                })
            })
            .collect();
        let target = if self.vol.started {
            for pcr in crate::pcr::pc_client::DRTM_RESET.iter() {
                self.vol.pcrs.zero(pcr);
            }
            17
        } else {
            self.vol.pcrs.zero(0);
            for b in &mut self.vol.pcrs.banks {
                if let Some(last) = b.get_mut(0).last_mut() {
                    *last = 4;
                }
            }
            self.vol.hcrtm = true;
            0
        };
        for d in &digests {
            self.pcr_extend(target, d);
        }
        if !self.perm.tpm_established {
            self.perm_mut().tpm_established = true;
        }
    }

    /// The TPM-established flag (`TPM_ACCESS.tpmEstablishment` inverted).
    pub fn tpm_established(&self) -> bool {
        self.perm.tpm_established
    }

    /// Clears the established flag; only localities 3 and 4 may (PTP §6.5.2.4).
    pub fn reset_established(&mut self, locality: u8) -> Result<(), PlatformError> {
        if locality != 3 && locality != 4 {
            return Err(PlatformError::Locality);
        }
        if self.perm.tpm_established {
            self.perm_mut().tpm_established = false;
        }
        Ok(())
    }
}
