//! `ferrotpm probe ADDRESS`: does a TPM answer there? Sends `TPM2_GetCapability(
//! TPM_PT_FAMILY_INDICATOR)` and checks for a well-formed success response. Addresses in
//! tpm2-tss TCTI style: `swtpm:host=H,port=P`, `swtpm:path=SOCK`, `mssim:host=H,port=P`,
//! `device:/dev/tpmrm0`.

use crate::client::{ClientError, TpmClient};
use std::time::Duration;

/// GetCapability(TPM_CAP_TPM_PROPERTIES, TPM_PT_FAMILY_INDICATOR, 1).
const GET_CAP: [u8; 22] = [
    0x80, 0x01, 0, 0, 0, 22, 0, 0, 0x01, 0x7A, 0, 0, 0, 6, 0, 0, 1, 0, 0, 0, 0, 1,
];

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("{0}")]
    Client(#[from] ClientError),
    #[error("the TPM answered {0:#x}")]
    Tpm(u32),
    #[error("malformed response")]
    Malformed,
}

fn check(resp: &[u8]) -> Result<(), ProbeError> {
    if resp.len() < 10
        || u32::from_be_bytes([resp[2], resp[3], resp[4], resp[5]]) as usize != resp.len()
    {
        return Err(ProbeError::Malformed);
    }
    match u32::from_be_bytes([resp[6], resp[7], resp[8], resp[9]]) {
        0 => Ok(()),
        rc => Err(ProbeError::Tpm(rc)),
    }
}

/// Probes the TPM at `address`; `Ok` only if it answered the command successfully.
pub fn probe(address: &str, timeout: Duration) -> Result<(), ProbeError> {
    let mut c = TpmClient::connect(address, timeout)?;
    check(&c.call(&GET_CAP)?)
}
