//! TPM2_ActivateCredential (Part 3, §12.5) and TPM2_MakeCredential (§12.6): credential
//! protection (Part 1, §24).
//!
//! The seed is shared with the key at `handle`/`keyHandle` under the label "IDENTITY"
//! (RSA-OAEP with the key's nameAlg, or ECC with KDFe: `secret.rs`). With the key's
//! nameAlg H and symmetric definition (AES-CFB, keyBits):
//! - symKey = KDFa(H, seed, "STORAGE", objectName, ∅, keyBits), zero IV;
//! - HMACkey = KDFa(H, seed, "INTEGRITY", ∅, ∅, |H| bits);
//! - encIdentity = CFB(symKey, TPM2B_DIGEST(credential));
//! - credentialBlob = TPM2B_DIGEST(HMAC(HMACkey, encIdentity || objectName)) || encIdentity.

use super::secret::{is_asymmetric, Outer};
use crate::dispatch::Command;
use crate::object::Object;
use crate::Tpm;
use tpm2_types::constants::obj_attr;
use tpm2_types::credential::{Tpm2bIdObject, IDENTITY};
use tpm2_types::object::{SymDef, Tpm2bEncryptedSecret};
use tpm2_types::{Codec, Rc, Reader, Tpm2bDigest, Tpm2bName};

/// An asymmetric restricted decryption key with a symmetric definition: its Outer
/// parameters (`TPM_RC_TYPE` otherwise, numbered by the caller).
fn protector_parms(o: &Object) -> Result<(tpm2_types::HashAlg, SymDef), Rc> {
    if !is_asymmetric(o) || !o.has(obj_attr::DECRYPT) || !o.has(obj_attr::RESTRICTED) {
        return Err(Rc::TYPE);
    }
    let h = o.public.name_alg.ok_or(Rc::TYPE)?;
    let sym = o.public.parms.symmetric().ok_or(Rc::TYPE)?;
    Ok((h, sym))
}

/// TPM2_MakeCredential: a credential for the object named `objectName`, protected by
/// the public key at handle 1.
pub fn make_credential(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let credential: Tpm2bDigest = c.params.read()?;
    let object_name: Tpm2bName = c.params.read()?;
    c.params.end()?;
    let o = tpm.object_at(c.handle(0), 1)?.clone();
    let (hash, sym) = protector_parms(&o).map_err(|e| e.handle(1))?;
    if credential.len() > hash.digest_size() {
        return Err(Rc::SIZE.param(1));
    }
    let (seed, secret) = tpm.share_secret(&o, IDENTITY).map_err(|e| e.handle(1))?;
    let outer = Outer {
        hash,
        seed: &seed,
        sym,
    };
    let blob = outer.wrap(object_name.as_slice(), &credential.to_bytes());
    c.put(&Tpm2bIdObject::from(blob));
    c.put(&Tpm2bEncryptedSecret::from(secret));
    Ok(())
}

/// TPM2_ActivateCredential: the credential in `credentialBlob` if it was made for the
/// object at handle 1 and the key at handle 2 can recover its seed.
pub fn activate_credential(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let blob: Tpm2bIdObject = c.params.read()?;
    let secret: Tpm2bEncryptedSecret = c.params.read()?;
    c.params.end()?;
    let name = tpm.object_at(c.handle(0), 1)?.name.clone();
    let key = tpm.object_at(c.handle(1), 2)?.clone();
    let (hash, sym) = protector_parms(&key).map_err(|e| e.handle(2))?;
    let seed = tpm
        .recover_secret(&key, IDENTITY, secret.as_slice())
        .map_err(|e| {
            if e == Rc::KEY {
                Rc::FAILURE
            } else {
                e.param(2)
            }
        })?;
    let outer = Outer {
        hash,
        seed: &seed,
        sym,
    };
    let plain = outer
        .unwrap(&name, blob.as_slice())
        .map_err(|e| e.param(1))?;
    let mut r = Reader::new(&plain);
    let cred = Tpm2bDigest::read(&mut r).map_err(|e| e.param(1))?;
    if !r.is_empty() {
        return Err(Rc::SIZE.param(1));
    }
    c.put(&cred);
    Ok(())
}
