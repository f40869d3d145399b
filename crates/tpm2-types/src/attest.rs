//! Attestation structures (Part 2, §10.12): `TPMS_ATTEST`, the members of
//! `TPMU_ATTEST` this TPM produces, and `TPM2B_ATTEST`.

use crate::constants::{st, TPM_GENERATED_VALUE};
use crate::structures::{TpmlPcrSelection, TpmsClockInfo, TpmsTimeInfo};
use crate::{Codec, Rc, Reader, Tpm2b, Tpm2bData, Tpm2bDigest, Tpm2bMaxNvBuffer, Tpm2bName};

/// The largest marshalled `TPMS_ATTEST` (`sizeof(TPMS_ATTEST)` bound of `TPM2B_ATTEST`).
pub const MAX_ATTEST: usize = 2304;

/// `TPM2B_ATTEST`: a marshalled `TPMS_ATTEST`.
pub type Tpm2bAttest = Tpm2b<MAX_ATTEST>;

/// `TPMU_ATTEST`, selected by the `TPMI_ST_ATTEST` type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Attested {
    /// `TPMS_CERTIFY_INFO` (`TPM_ST_ATTEST_CERTIFY`).
    Certify {
        name: Tpm2bName,
        qualified_name: Tpm2bName,
    },
    /// `TPMS_CREATION_INFO` (`TPM_ST_ATTEST_CREATION`).
    Creation {
        object_name: Tpm2bName,
        creation_hash: Tpm2bDigest,
    },
    /// `TPMS_QUOTE_INFO` (`TPM_ST_ATTEST_QUOTE`).
    Quote {
        pcr_select: TpmlPcrSelection,
        pcr_digest: Tpm2bDigest,
    },
    /// `TPMS_TIME_ATTEST_INFO` (`TPM_ST_ATTEST_TIME`): time and firmware in the clear.
    Time {
        time: TpmsTimeInfo,
        firmware_version: u64,
    },
    /// `TPMS_COMMAND_AUDIT_INFO` (`TPM_ST_ATTEST_COMMAND_AUDIT`).
    CommandAudit {
        audit_counter: u64,
        /// `TPM_ALG_ID` of the audit digest.
        digest_alg: u16,
        audit_digest: Tpm2bDigest,
        command_digest: Tpm2bDigest,
    },
    /// `TPMS_SESSION_AUDIT_INFO` (`TPM_ST_ATTEST_SESSION_AUDIT`).
    SessionAudit {
        exclusive_session: bool,
        session_digest: Tpm2bDigest,
    },
    /// `TPMS_NV_CERTIFY_INFO` (`TPM_ST_ATTEST_NV`).
    Nv {
        index_name: Tpm2bName,
        offset: u16,
        nv_contents: Tpm2bMaxNvBuffer,
    },
    /// `TPMS_NV_DIGEST_CERTIFY_INFO` (`TPM_ST_ATTEST_NV_DIGEST`).
    NvDigest {
        index_name: Tpm2bName,
        nv_digest: Tpm2bDigest,
    },
}

impl Attested {
    /// The `TPMI_ST_ATTEST` tag of this member.
    pub fn tag(&self) -> u16 {
        match self {
            Attested::Certify { .. } => st::ATTEST_CERTIFY,
            Attested::Creation { .. } => st::ATTEST_CREATION,
            Attested::Quote { .. } => st::ATTEST_QUOTE,
            Attested::Time { .. } => st::ATTEST_TIME,
            Attested::CommandAudit { .. } => st::ATTEST_COMMAND_AUDIT,
            Attested::SessionAudit { .. } => st::ATTEST_SESSION_AUDIT,
            Attested::Nv { .. } => st::ATTEST_NV,
            Attested::NvDigest { .. } => st::ATTEST_NV_DIGEST,
        }
    }
}

/// `TPMS_ATTEST`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TpmsAttest {
    /// `TPM_GENERATED_VALUE` in everything the TPM makes.
    pub magic: u32,
    pub qualified_signer: Tpm2bName,
    pub extra_data: Tpm2bData,
    pub clock_info: TpmsClockInfo,
    pub firmware_version: u64,
    pub attested: Attested,
}

fn read_bool(r: &mut Reader<'_>) -> Result<bool, Rc> {
    match r.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(Rc::VALUE),
    }
}

impl Codec for TpmsAttest {
    fn encode(&self, out: &mut Vec<u8>) {
        self.magic.encode(out);
        self.attested.tag().encode(out);
        self.qualified_signer.encode(out);
        self.extra_data.encode(out);
        self.clock_info.encode(out);
        self.firmware_version.encode(out);
        match &self.attested {
            Attested::Certify {
                name,
                qualified_name,
            } => {
                name.encode(out);
                qualified_name.encode(out);
            }
            Attested::Creation {
                object_name,
                creation_hash,
            } => {
                object_name.encode(out);
                creation_hash.encode(out);
            }
            Attested::Quote {
                pcr_select,
                pcr_digest,
            } => {
                pcr_select.encode(out);
                pcr_digest.encode(out);
            }
            Attested::Time {
                time,
                firmware_version,
            } => {
                time.encode(out);
                firmware_version.encode(out);
            }
            Attested::CommandAudit {
                audit_counter,
                digest_alg,
                audit_digest,
                command_digest,
            } => {
                audit_counter.encode(out);
                digest_alg.encode(out);
                audit_digest.encode(out);
                command_digest.encode(out);
            }
            Attested::SessionAudit {
                exclusive_session,
                session_digest,
            } => {
                (*exclusive_session as u8).encode(out);
                session_digest.encode(out);
            }
            Attested::Nv {
                index_name,
                offset,
                nv_contents,
            } => {
                index_name.encode(out);
                offset.encode(out);
                nv_contents.encode(out);
            }
            Attested::NvDigest {
                index_name,
                nv_digest,
            } => {
                index_name.encode(out);
                nv_digest.encode(out);
            }
        }
    }

    /// Reads a `TPMS_ATTEST` (the magic is not checked here: a verifier does that).
    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        let magic = r.u32()?;
        let tag = r.u16()?;
        let qualified_signer = Codec::read(r)?;
        let extra_data = Codec::read(r)?;
        let clock_info = Codec::read(r)?;
        let firmware_version = r.u64()?;
        let attested = match tag {
            st::ATTEST_CERTIFY => Attested::Certify {
                name: Codec::read(r)?,
                qualified_name: Codec::read(r)?,
            },
            st::ATTEST_CREATION => Attested::Creation {
                object_name: Codec::read(r)?,
                creation_hash: Codec::read(r)?,
            },
            st::ATTEST_QUOTE => Attested::Quote {
                pcr_select: Codec::read(r)?,
                pcr_digest: Codec::read(r)?,
            },
            st::ATTEST_TIME => Attested::Time {
                time: Codec::read(r)?,
                firmware_version: r.u64()?,
            },
            st::ATTEST_COMMAND_AUDIT => Attested::CommandAudit {
                audit_counter: r.u64()?,
                digest_alg: r.u16()?,
                audit_digest: Codec::read(r)?,
                command_digest: Codec::read(r)?,
            },
            st::ATTEST_SESSION_AUDIT => Attested::SessionAudit {
                exclusive_session: read_bool(r)?,
                session_digest: Codec::read(r)?,
            },
            st::ATTEST_NV => Attested::Nv {
                index_name: Codec::read(r)?,
                offset: r.u16()?,
                nv_contents: Codec::read(r)?,
            },
            st::ATTEST_NV_DIGEST => Attested::NvDigest {
                index_name: Codec::read(r)?,
                nv_digest: Codec::read(r)?,
            },
            _ => return Err(Rc::SELECTOR),
        };
        Ok(TpmsAttest {
            magic,
            qualified_signer,
            extra_data,
            clock_info,
            firmware_version,
            attested,
        })
    }
}

impl TpmsAttest {
    /// Whether the structure claims to come from a TPM.
    pub fn is_generated(&self) -> bool {
        self.magic == TPM_GENERATED_VALUE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let a = TpmsAttest {
            magic: TPM_GENERATED_VALUE,
            qualified_signer: Tpm2b(vec![0, 11, 1, 2]),
            extra_data: Tpm2b(vec![9; 5]),
            clock_info: TpmsClockInfo {
                clock: 7,
                reset_count: 1,
                restart_count: 2,
                safe: true,
            },
            firmware_version: 0x1234,
            attested: Attested::NvDigest {
                index_name: Tpm2b(vec![0, 11, 3]),
                nv_digest: Tpm2b(vec![4; 32]),
            },
        };
        let b = a.to_bytes();
        assert_eq!(&b[..6], &[0xff, 0x54, 0x43, 0x47, 0x80, 0x1c]);
        assert_eq!(TpmsAttest::from_bytes(&b).unwrap(), a);
    }
}
