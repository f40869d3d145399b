//! PCR attributes of the PC Client Platform TPM Profile (PTP, "PCR Attributes" table),
//! as a PC Client TPM (and libtpms) reports them through `TPM_CAP_PCR_PROPERTIES`.

use tpm2_types::constants::pt_pcr;
use tpm2_types::structures::PcrBitmap;

const fn bits(pcrs: &[usize]) -> PcrBitmap {
    let mut b = [0u8; 3];
    let mut i = 0;
    while i < pcrs.len() {
        b[pcrs[i] / 8] |= 1 << (pcrs[i] % 8);
        i += 1;
    }
    PcrBitmap(b)
}

const fn range(lo: usize, hi: usize, extra: &[usize]) -> PcrBitmap {
    let mut b = bits(extra).0;
    let mut p = lo;
    while p <= hi {
        b[p / 8] |= 1 << (p % 8);
        p += 1;
    }
    PcrBitmap(b)
}

/// PCRs whose values `TPM2_Shutdown(STATE)` saves for a TPM Resume.
pub const SAVE: PcrBitmap = range(0, 15, &[]);
/// PCRs each locality may extend.
pub const EXTEND: [PcrBitmap; 5] = [
    range(0, 16, &[23]),
    range(0, 16, &[20, 23]),
    range(0, 23, &[]),
    range(0, 20, &[23]),
    range(0, 18, &[23]),
];
/// PCRs each locality may reset with `TPM2_PCR_Reset`.
pub const RESET: [PcrBitmap; 5] = [
    bits(&[16, 23]),
    bits(&[16, 23]),
    bits(&[16, 20, 21, 22, 23]),
    bits(&[16, 23]),
    bits(&[17, 18, 19, 20, 21, 22]),
];
/// PCRs whose changes do not advance `pcrUpdateCounter` (debug, OS-controlled and
/// application PCRs).
pub const NO_INCREMENT: PcrBitmap = bits(&[16, 21, 22, 23]);
/// PCRs reset by a DRTM event (`_TPM_Hash_Start`); they start at all-ones otherwise.
pub const DRTM_RESET: PcrBitmap = bits(&[17, 18, 19, 20, 21, 22]);
/// PCRs that may be given a policy (`TPM2_PCR_SetAuthPolicy`) or an authValue
/// (`TPM2_PCR_SetAuthValue`).
pub const POLICY: PcrBitmap = bits(&[20, 21, 22]);
pub const AUTH: PcrBitmap = bits(&[20, 21, 22]);

/// The `TPM_PT_PCR` properties in tag order.
pub fn properties() -> Vec<(u32, PcrBitmap)> {
    let mut v = vec![(pt_pcr::SAVE, SAVE)];
    for l in 0..5 {
        v.push((pt_pcr::EXTEND_L0 + 2 * l as u32, EXTEND[l]));
        v.push((pt_pcr::RESET_L0 + 2 * l as u32, RESET[l]));
    }
    v.push((pt_pcr::NO_INCREMENT, NO_INCREMENT));
    v.push((pt_pcr::DRTM_RESET, DRTM_RESET));
    v.push((pt_pcr::POLICY, POLICY));
    v.push((pt_pcr::AUTH, AUTH));
    v
}

/// Whether `pcr` starts at all-ones (the DRTM PCRs before any DRTM event).
pub fn starts_at_ones(pcr: usize) -> bool {
    DRTM_RESET.is_set(pcr)
}
