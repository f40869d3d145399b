//! TPM2_Certify (Part 3, §18.2) and TPM2_CertifyCreation (§18.3).

use crate::dispatch::Command;
use crate::Tpm;
use tpm2_crypto::ct_eq;
use tpm2_types::attest::Attested;
use tpm2_types::constants::{rh, st};
use tpm2_types::object::Scheme;
use tpm2_types::structures::TpmtTicket;
use tpm2_types::{Codec, Rc, Reader, Tpm2b, Tpm2bData, Tpm2bDigest};

/// TPM2_Certify: the Name and qualified Name of the object at handle 1 (its admin
/// authorization was checked), signed by the key at handle 2.
pub fn certify(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let qualifying: Tpm2bData = c.params.read()?;
    let in_scheme: Scheme = c.params.read()?;
    c.params.end()?;
    let signer = tpm.attest_signer(c.handle(1), 2, in_scheme, 2)?;
    let o = tpm.object_at(c.handle(0), 1)?;
    let attested = Attested::Certify {
        name: Tpm2b(o.name.clone()),
        qualified_name: Tpm2b(o.qualified_name.clone()),
    };
    let attest = tpm.fill_attest(&signer, qualifying, attested);
    tpm.sign_attest(&signer, &attest, c)
}

/// `TPMT_TK_CREATION`: the tag must be `TPM_ST_CREATION` (`TPM_RC_TAG`), the hierarchy
/// a `TPMI_RH_HIERARCHY+` (`TPM_RC_VALUE`).
fn read_creation_ticket(r: &mut Reader<'_>) -> Result<TpmtTicket, Rc> {
    if r.u16()? != st::CREATION {
        return Err(Rc::TAG);
    }
    let hierarchy = match r.u32()? {
        h @ (rh::OWNER | rh::ENDORSEMENT | rh::PLATFORM | rh::NULL) => h,
        _ => return Err(Rc::VALUE),
    };
    Ok(TpmtTicket {
        tag: st::CREATION,
        hierarchy,
        digest: Codec::read(r)?,
    })
}

/// TPM2_CertifyCreation: that the object at handle 2 was created with the creation
/// data whose hash is creationHash, proven by the creation ticket (`TPM_RC_TICKET`
/// on parameter 4 otherwise).
pub fn certify_creation(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let qualifying: Tpm2bData = c.params.read()?;
    let creation_hash: Tpm2bDigest = c.params.read()?;
    let in_scheme: Scheme = c.params.read()?;
    let ticket = c.params.read_with(read_creation_ticket)?;
    c.params.end()?;
    let signer = tpm.attest_signer(c.handle(0), 1, in_scheme, 3)?;
    let name = tpm.object_at(c.handle(1), 2)?.name.clone();
    let expected = tpm.creation_ticket(ticket.hierarchy, &name, creation_hash.as_slice());
    if !ct_eq(expected.digest.as_slice(), ticket.digest.as_slice()) {
        return Err(Rc::TICKET.param(4));
    }
    let attested = Attested::Creation {
        object_name: Tpm2b(name),
        creation_hash,
    };
    let attest = tpm.fill_attest(&signer, qualifying, attested);
    tpm.sign_attest(&signer, &attest, c)
}
