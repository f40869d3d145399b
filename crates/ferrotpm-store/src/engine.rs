//! A TPM from a state directory.

use crate::{StateDir, StoreError};
use tpm2_engine::{Platform, SimPlatform, Tpm};

/// The TPM stored in `dir`: restored from its permanent state (and volatile state, if one
/// is stored), or, when the directory holds no state, manufactured and its permanent state
/// saved before it is returned. A damaged blob is refused with [`StoreError::Damaged`]
/// naming the file at fault; nothing is replaced.
pub fn load_engine(dir: &StateDir, platform: Box<dyn Platform>) -> Result<Tpm, StoreError> {
    let Some(loaded) = dir.load()? else {
        let mut tpm = Tpm::manufacture(platform);
        dir.save_permanent(&tpm.take_permanent_blob())?;
        return Ok(tpm);
    };
    match Tpm::restore(platform, &loaded.permanent, loaded.volatile.as_deref()) {
        Ok(tpm) => Ok(tpm),
        Err(source) => {
            // The engine's error does not say which blob it came from. If the permanent
            // blob restores on its own, the volatile one is at fault. The throwaway
            // platform only feeds the check: that TPM is dropped at once.
            let permanent_alone =
                Tpm::restore(Box::new(SimPlatform::new(0)), &loaded.permanent, None);
            let path = match (&loaded.volatile, permanent_alone) {
                (Some(_), Ok(_)) => dir.volatile_path(),
                _ => dir.permanent_path(),
            };
            Err(StoreError::Damaged { path, source })
        }
    }
}
