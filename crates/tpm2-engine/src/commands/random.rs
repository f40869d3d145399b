//! TPM2_GetRandom and TPM2_StirRandom (Part 3, §16).

use crate::dispatch::Command;
use crate::Tpm;
use tpm2_types::{Rc, Tpm2b, Tpm2bDigest};

/// `TPM2B_SENSITIVE_DATA` (`MAX_SYM_DATA`).
type Tpm2bSensitiveData = Tpm2b<128>;

pub fn get_random(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let requested: u16 = c.params.read()?;
    c.params.end()?;
    // At most one digest's worth per call (Part 3, §16.1: the size of the largest digest).
    let n = (requested as usize).min(Tpm2bDigest::MAX);
    let bytes = tpm.random_vec(n);
    c.put(&Tpm2bDigest::from(bytes));
    Ok(())
}

pub fn stir_random(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let data: Tpm2bSensitiveData = c.params.read()?;
    c.params.end()?;
    tpm.rt.drbg.reseed(data.as_slice());
    Ok(())
}
