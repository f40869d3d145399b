//! Capability data returned by `TPM2_GetCapability` (Part 2, §10.10).

use crate::codec::{encode_list, read_list, Codec, Reader};
use crate::constants::cap;
use crate::rc::Rc;
use crate::structures::{TpmlPcrSelection, TpmsPcrSelection, TpmsTaggedPcrSelect};

/// `TPMS_ALG_PROPERTY`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TpmsAlgProperty {
    pub alg: u16,
    pub attributes: u32,
}

impl Codec for TpmsAlgProperty {
    fn encode(&self, out: &mut Vec<u8>) {
        self.alg.encode(out);
        self.attributes.encode(out);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        Ok(TpmsAlgProperty {
            alg: r.u16()?,
            attributes: r.u32()?,
        })
    }
}

/// `TPMS_TAGGED_PROPERTY`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TpmsTaggedProperty {
    pub property: u32,
    pub value: u32,
}

impl Codec for TpmsTaggedProperty {
    fn encode(&self, out: &mut Vec<u8>) {
        self.property.encode(out);
        self.value.encode(out);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        Ok(TpmsTaggedProperty {
            property: r.u32()?,
            value: r.u32()?,
        })
    }
}

/// `TPMS_TAGGED_POLICY`: a permanent handle and its `TPMT_HA` policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TpmsTaggedPolicy {
    pub handle: u32,
    /// `TPMT_HA` with `TPM_ALG_NULL` allowed: the algorithm ID and the digest bytes.
    pub hash_alg: u16,
    pub digest: Vec<u8>,
}

impl Codec for TpmsTaggedPolicy {
    fn encode(&self, out: &mut Vec<u8>) {
        self.handle.encode(out);
        self.hash_alg.encode(out);
        out.extend_from_slice(&self.digest);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        let handle = r.u32()?;
        let hash_alg = r.u16()?;
        let size = match crate::buffers::HashAlg::from_id(hash_alg) {
            Some(h) => h.digest_size(),
            None if hash_alg == crate::constants::alg::NULL => 0,
            None => return Err(Rc::HASH),
        };
        Ok(TpmsTaggedPolicy {
            handle,
            hash_alg,
            digest: r.take(size)?.to_vec(),
        })
    }
}

/// `TPMU_CAPABILITIES` with its selector: the body of `TPMS_CAPABILITY_DATA`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TpmsCapabilityData {
    Algorithms(Vec<TpmsAlgProperty>),
    Handles(Vec<u32>),
    Commands(Vec<u32>),
    PpCommands(Vec<u32>),
    AuditCommands(Vec<u32>),
    Pcrs(TpmlPcrSelection),
    TpmProperties(Vec<TpmsTaggedProperty>),
    PcrProperties(Vec<TpmsTaggedPcrSelect>),
    EccCurves(Vec<u16>),
    AuthPolicies(Vec<TpmsTaggedPolicy>),
}

impl TpmsCapabilityData {
    pub fn capability(&self) -> u32 {
        match self {
            Self::Algorithms(_) => cap::ALGS,
            Self::Handles(_) => cap::HANDLES,
            Self::Commands(_) => cap::COMMANDS,
            Self::PpCommands(_) => cap::PP_COMMANDS,
            Self::AuditCommands(_) => cap::AUDIT_COMMANDS,
            Self::Pcrs(_) => cap::PCRS,
            Self::TpmProperties(_) => cap::TPM_PROPERTIES,
            Self::PcrProperties(_) => cap::PCR_PROPERTIES,
            Self::EccCurves(_) => cap::ECC_CURVES,
            Self::AuthPolicies(_) => cap::AUTH_POLICIES,
        }
    }
}

/// Large enough for any list a capability response can hold; responses are further bounded
/// by `MAX_CAP_BUFFER` when they are built.
const MAX_CAP_ENTRIES: usize = 1024;

impl Codec for TpmsCapabilityData {
    fn encode(&self, out: &mut Vec<u8>) {
        self.capability().encode(out);
        match self {
            Self::Algorithms(v) => encode_list(out, v),
            Self::Handles(v) | Self::Commands(v) | Self::PpCommands(v) | Self::AuditCommands(v) => {
                encode_list(out, v)
            }
            Self::Pcrs(v) => v.encode(out),
            Self::TpmProperties(v) => encode_list(out, v),
            Self::PcrProperties(v) => encode_list(out, v),
            Self::EccCurves(v) => encode_list(out, v),
            Self::AuthPolicies(v) => encode_list(out, v),
        }
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        let m = MAX_CAP_ENTRIES;
        Ok(match r.u32()? {
            cap::ALGS => Self::Algorithms(read_list(r, m)?),
            cap::HANDLES => Self::Handles(read_list(r, m)?),
            cap::COMMANDS => Self::Commands(read_list(r, m)?),
            cap::PP_COMMANDS => Self::PpCommands(read_list(r, m)?),
            cap::AUDIT_COMMANDS => Self::AuditCommands(read_list(r, m)?),
            cap::PCRS => Self::Pcrs(TpmlPcrSelection(read_list::<TpmsPcrSelection>(r, m)?)),
            cap::TPM_PROPERTIES => Self::TpmProperties(read_list(r, m)?),
            cap::PCR_PROPERTIES => Self::PcrProperties(read_list(r, m)?),
            cap::ECC_CURVES => Self::EccCurves(read_list(r, m)?),
            cap::AUTH_POLICIES => Self::AuthPolicies(read_list(r, m)?),
            _ => return Err(Rc::SELECTOR),
        })
    }
}
