//! TPM2_NV_Certify (Part 3, §31.16): part of an NV index's data (`TPM_ST_ATTEST_NV`)
//! or, with size and offset both 0, a digest of all of it (`TPM_ST_ATTEST_NV_DIGEST`).

use crate::commands::nv::{index_name, read_access};
use crate::dispatch::Command;
use crate::Tpm;
use tpm2_crypto::Hasher;
use tpm2_types::attest::Attested;
use tpm2_types::object::Scheme;
use tpm2_types::{Rc, Tpm2b, Tpm2bData, MAX_NV_BUFFER_SIZE};

/// TPM2_NV_Certify: read access as TPM2_NV_Read (`TPM_RC_NV_LOCKED`,
/// `TPM_RC_NV_AUTHORIZATION`, `TPM_RC_NV_UNINITIALIZED`), then the range
/// (`TPM_RC_NV_RANGE`), then the size (`TPM_RC_VALUE` on size). The digest form hashes
/// the whole index with the scheme's hash (nothing for an unsigned attestation).
pub fn nv_certify(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let qualifying: Tpm2bData = c.params.read()?;
    let in_scheme: Scheme = c.params.read()?;
    let size: u16 = c.params.read()?;
    let offset: u16 = c.params.read()?;
    c.params.end()?;
    let (auth, h) = (c.handle(1), c.handle(2));
    let signer = tpm.attest_signer(c.handle(0), 1, in_scheme, 2)?;
    let ix = tpm.nv_index(h)?;
    read_access(auth, h, ix.public.attributes)?;
    let (size, offset) = (size as usize, offset as usize);
    let data_size = ix.public.data_size as usize;
    if size + offset > data_size {
        return Err(Rc::NV_RANGE);
    }
    if size > MAX_NV_BUFFER_SIZE {
        return Err(Rc::VALUE.param(3));
    }
    let index_name = Tpm2b(index_name(&ix.public));
    let attested = if size != 0 || offset != 0 {
        let data = ix
            .data
            .get(offset..offset + size)
            .ok_or(Rc::NV_RANGE)?
            .to_vec();
        Attested::Nv {
            index_name,
            offset: offset as u16,
            nv_contents: Tpm2b(data),
        }
    } else {
        let digest = match signer.hash() {
            Some(alg) => Hasher::new(alg)
                .with(ix.data.get(..data_size).unwrap_or(&ix.data))
                .finish(),
            None => Vec::new(),
        };
        Attested::NvDigest {
            index_name,
            nv_digest: Tpm2b(digest),
        }
    };
    let attest = tpm.fill_attest(&signer, qualifying, attested);
    tpm.sign_attest(&signer, &attest, c)
}
