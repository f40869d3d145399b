//! NV index public area (Part 2, §13).

use crate::buffers::{HashAlg, Tpm2bDigest};
use crate::codec::{encode_sized16, Codec, Reader};
use crate::constants::{nv_attr, rh};
use crate::rc::Rc;
use serde::{Deserialize, Serialize};

/// `TPMS_NV_PUBLIC`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TpmsNvPublic {
    pub nv_index: u32,
    pub name_alg: HashAlg,
    pub attributes: u32,
    pub auth_policy: Tpm2bDigest,
    pub data_size: u16,
}

impl TpmsNvPublic {
    /// The index type (`TPM_NT`) from bits 4–7 of the attributes.
    pub fn nv_type(&self) -> u32 {
        (self.attributes & nv_attr::TPM_NT_MASK) >> nv_attr::TPM_NT_SHIFT
    }

    pub fn has(&self, bit: u32) -> bool {
        self.attributes & bit != 0
    }
}

impl Codec for TpmsNvPublic {
    fn encode(&self, out: &mut Vec<u8>) {
        self.nv_index.encode(out);
        self.name_alg.encode(out);
        self.attributes.encode(out);
        self.auth_policy.encode(out);
        self.data_size.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        // TPMI_RH_NV_INDEX: a handle in the NV range, else TPM_RC_VALUE.
        let nv_index = r.u32()?;
        if !(rh::NV_INDEX_FIRST..=rh::NV_INDEX_LAST).contains(&nv_index) {
            return Err(Rc::VALUE);
        }
        let name_alg = HashAlg::read(r)?;
        let attributes = r.u32()?;
        if attributes & nv_attr::RESERVED != 0 {
            return Err(Rc::RESERVED_BITS);
        }
        Ok(TpmsNvPublic {
            nv_index,
            name_alg,
            attributes,
            auth_policy: Tpm2bDigest::read(r)?,
            data_size: r.u16()?,
        })
    }
}

/// `TPM2B_NV_PUBLIC`: a size-prefixed `TPMS_NV_PUBLIC`; a zero size, or a size that does not
/// match the contents, is `TPM_RC_SIZE`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tpm2bNvPublic(pub TpmsNvPublic);

impl Codec for Tpm2bNvPublic {
    fn encode(&self, out: &mut Vec<u8>) {
        encode_sized16(out, |o| self.0.encode(o));
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        let n = r.u16()? as usize;
        if n == 0 {
            return Err(Rc::SIZE);
        }
        let mut sub = r.sub(n)?;
        let p = TpmsNvPublic::read(&mut sub)?;
        if !sub.is_empty() {
            return Err(Rc::SIZE);
        }
        Ok(Tpm2bNvPublic(p))
    }
}
