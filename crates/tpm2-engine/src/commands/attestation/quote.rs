//! TPM2_Quote (Part 3, §18.4): a signed digest of selected PCRs.

use crate::dispatch::Command;
use crate::Tpm;
use tpm2_types::attest::Attested;
use tpm2_types::object::Scheme;
use tpm2_types::structures::{PcrBitmap, TpmlPcrSelection, TpmsPcrSelection};
use tpm2_types::{HashAlg, Rc, Tpm2b, Tpm2bData};

impl Tpm {
    /// The selection with the PCRs that are not allocated removed (the reference's
    /// `FilterPcr`: an unallocated bank keeps its entry with no PCR selected).
    pub(crate) fn filter_pcr_selection(&self, sel: &TpmlPcrSelection) -> TpmlPcrSelection {
        TpmlPcrSelection(
            sel.0
                .iter()
                .map(|s| {
                    let mut got = PcrBitmap::default();
                    for p in s.select.iter() {
                        if self.vol.pcrs.is_allocated(s.hash, p) {
                            got.set(p);
                        }
                    }
                    TpmsPcrSelection {
                        hash: s.hash,
                        select: got,
                    }
                })
                .collect(),
        )
    }
}

/// TPM2_Quote: `TPMS_QUOTE_INFO` with the selection (unallocated PCRs removed) and
/// `H_scheme(PCR values in selection order)`. An unsigned quote has no hash to digest
/// the PCRs with: `TPM_RC_SCHEME` on inScheme.
pub fn quote(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let qualifying: Tpm2bData = c.params.read()?;
    let in_scheme: Scheme = c.params.read()?;
    let sel: TpmlPcrSelection = c.params.read()?;
    c.params.end()?;
    let signer = tpm.attest_signer(c.handle(0), 1, in_scheme, 2)?;
    let hash: HashAlg = signer.hash().ok_or(Rc::SCHEME.param(2))?;
    let sel = tpm.filter_pcr_selection(&sel);
    let digest = tpm.pcr_select_digest(hash, &sel);
    let attest = tpm.fill_attest(
        &signer,
        qualifying,
        Attested::Quote {
            pcr_select: sel,
            pcr_digest: Tpm2b(digest),
        },
    );
    tpm.sign_attest(&signer, &attest, c)
}
