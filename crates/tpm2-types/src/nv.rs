//! NV index public area (Part 2, §13).

use crate::buffers::{HashAlg, Tpm2bDigest, MAX_NV_INDEX_SIZE};
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
        let auth_policy = Tpm2bDigest::read(r)?;
        // dataSize is bounded by MAX_NV_INDEX_SIZE in the structure itself (Part 2, §13.5).
        let data_size = r.u16()?;
        if data_size as usize > MAX_NV_INDEX_SIZE {
            return Err(Rc::SIZE);
        }
        Ok(TpmsNvPublic {
            nv_index,
            name_alg,
            attributes,
            auth_policy,
            data_size,
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
        // The structure delimits itself; a size field that disagrees with it is
        // `TPM_RC_SIZE` whether it claims more or fewer bytes (as libtpms checks it).
        let start = r.position();
        let p = TpmsNvPublic::read(r)?;
        if r.position() - start != n {
            return Err(Rc::SIZE);
        }
        Ok(Tpm2bNvPublic(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn public(attributes: u32, data_size: u16) -> Vec<u8> {
        let mut v = Vec::new();
        0x0100_0001u32.encode(&mut v);
        HashAlg::Sha256.encode(&mut v);
        attributes.encode(&mut v);
        Tpm2bDigest::empty().encode(&mut v);
        data_size.encode(&mut v);
        v
    }

    #[test]
    fn reserved_bits_and_size_limit() {
        let ok = nv_attr::OWNERREAD | nv_attr::OWNERWRITE;
        assert!(TpmsNvPublic::from_bytes(&public(ok, 2048)).is_ok());
        // swtpm: bits 8, 9 and 20 each give TPM_RC_RESERVED_BITS.
        for bit in [8, 9, 20, 24] {
            let r = TpmsNvPublic::from_bytes(&public(ok | 1 << bit, 8));
            assert_eq!(r, Err(Rc::RESERVED_BITS), "bit {bit}");
        }
        // swtpm: dataSize 2049 is TPM_RC_SIZE at unmarshal time, before any command check.
        assert_eq!(TpmsNvPublic::from_bytes(&public(ok, 2049)), Err(Rc::SIZE));
    }
}
