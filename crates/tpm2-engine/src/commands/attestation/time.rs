//! TPM2_GetTime (Part 3, §18.7): Time, Clock and the firmware version, signed. The
//! `TPMS_TIME_ATTEST_INFO` carries them in the clear (with the endorsement hierarchy's
//! authorization: privacyAdminHandle); only the common clockInfo/firmwareVersion of
//! `TPMS_ATTEST` follow the obfuscation rule.

use super::firmware_version;
use crate::dispatch::Command;
use crate::Tpm;
use tpm2_types::attest::Attested;
use tpm2_types::constants::rh;
use tpm2_types::object::Scheme;
use tpm2_types::{Rc, Tpm2bData};

/// TPM2_GetTime. Handle 1 is a `TPMI_RH_ENDORSEMENT`: the table admits any hierarchy
/// (there is no narrower handle type), the others are `TPM_RC_VALUE` on handle 1 here.
pub fn get_time(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let qualifying: Tpm2bData = c.params.read()?;
    let in_scheme: Scheme = c.params.read()?;
    c.params.end()?;
    if c.handle(0) != rh::ENDORSEMENT {
        return Err(Rc::VALUE.handle(1));
    }
    let signer = tpm.attest_signer(c.handle(1), 2, in_scheme, 2)?;
    let attested = Attested::Time {
        time: tpm.time_info(),
        firmware_version: firmware_version(),
    };
    let attest = tpm.fill_attest(&signer, qualifying, attested);
    tpm.sign_attest(&signer, &attest, c)
}
