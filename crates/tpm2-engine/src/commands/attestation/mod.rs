//! Attestation commands (Part 3, §18): TPM2_Quote, TPM2_Certify, TPM2_CertifyCreation,
//! TPM2_GetTime, TPM2_NV_Certify and the audit commands (`audit.rs`), and what they share — the reference's
//! `IsSigningObject`/`CryptSelectSignScheme` checks ([`Tpm::attest_signer`]),
//! `FillInAttestInfo` ([`Tpm::fill_attest`]) and `SignAttestInfo`
//! ([`Tpm::sign_attest`]).
//!
//! Every `TPMS_ATTEST` starts with `TPM_GENERATED_VALUE`. A restricted signing key only
//! signs digests of data the TPM made or checked: TPM2_Sign needs a hash-check ticket,
//! and TPM2_Hash refuses one for data that starts with the magic, so only these commands
//! can produce a signed structure that carries it.

pub mod audit;
pub mod certify;
pub mod nv_certify;
pub mod quote;
pub mod time;

use crate::commands::signature::select_sign_scheme;
use crate::dispatch::Command;
use crate::object::Object;
use crate::state::Hierarchy;
use crate::Tpm;
use tpm2_crypto::kdf::kdfa;
use tpm2_crypto::Hasher;
use tpm2_types::attest::{Attested, Tpm2bAttest, TpmsAttest};
use tpm2_types::constants::{alg, obj_attr, rh, TPM_GENERATED_VALUE};
use tpm2_types::object::{Scheme, Signature};
use tpm2_types::{Codec, HashAlg, Rc, Tpm2b, Tpm2bData};

/// The signing key of an attestation (`None`: `TPM_RH_NULL`, an unsigned attestation)
/// and the scheme selected for it (`TPM_ALG_NULL` for no key).
pub(crate) struct Signer {
    pub object: Option<Object>,
    pub scheme: Scheme,
}

impl Signer {
    /// The hash of the selected scheme (`None` for an unsigned attestation).
    pub fn hash(&self) -> Option<HashAlg> {
        self.scheme.hash()
    }
}

/// The firmware version as `TPM_PT_FIRMWARE_VERSION_1 || TPM_PT_FIRMWARE_VERSION_2`
/// report it (the crate version: major.minor in the first, patch in the second).
pub(crate) fn firmware_version() -> u64 {
    let mut parts = env!("CARGO_PKG_VERSION")
        .split('.')
        .map(|x| x.parse::<u64>().unwrap_or(0));
    let (major, minor, patch) = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    (((major << 16) | minor) << 32) | (patch << 16)
}

/// The label of the clock/firmware obfuscation KDF (the reference's `OBFUSCATE_STRING`).
const OBFUSCATE: &[u8] = b"OBFUSCATE";

/// The obfuscation of `TPMS_ATTEST` for a signer outside the endorsement and platform
/// hierarchies (and for no signer): `KDFa(contextHash, shProof, "OBFUSCATE",
/// qualifiedSigner, "", 128)` read as two 64-bit words in the byte order of the
/// reference's `UINT64 obfuscation[2]` on a little-endian machine (as libtpms on x86
/// has it); the first is added to firmwareVersion, the high and low halves of the second
/// to resetCount and restartCount (wrapping). Returns `(firmware, reset, restart)`.
pub fn obfuscation(sh_proof: &[u8], qualified_signer: &[u8]) -> (u64, u32, u32) {
    let k = kdfa(
        HashAlg::Sha512,
        sh_proof,
        OBFUSCATE,
        qualified_signer,
        &[],
        128,
    );
    let w0 = u64::from_le_bytes(k[0..8].try_into().unwrap_or([0; 8]));
    let w1 = u64::from_le_bytes(k[8..16].try_into().unwrap_or([0; 8]));
    (w0, (w1 >> 32) as u32, w1 as u32)
}

impl Tpm {
    /// The signing key at `h` (handle `hn`) and its scheme (`inScheme`, parameter `pn`):
    /// `TPM_RC_KEY` unless it is NULL or a signing key with its private part (not a
    /// symmetric cipher key), `TPM_RC_SCHEME` as TPM2_Sign selects schemes.
    pub(crate) fn attest_signer(
        &self,
        h: u32,
        hn: usize,
        given: Scheme,
        pn: usize,
    ) -> Result<Signer, Rc> {
        if h == rh::NULL {
            return Ok(Signer {
                object: None,
                scheme: Scheme::Null,
            });
        }
        let o = self.object_at(h, hn)?;
        if !o.has(obj_attr::SIGN_ENCRYPT)
            || o.public.type_alg() == alg::SYMCIPHER
            || o.sensitive.is_none()
        {
            return Err(Rc::KEY.handle(hn));
        }
        let scheme = select_sign_scheme(o, given, pn)?;
        Ok(Signer {
            object: Some(o.clone()),
            scheme,
        })
    }

    /// `TPMS_ATTEST` for `attested` signed by `signer` (`FillInAttestInfo`): the magic,
    /// the signer's qualified Name (`TPM_RH_NULL` for none), `extraData`, the clock and
    /// the firmware version, obfuscated unless the signer is in the endorsement or
    /// platform hierarchy.
    pub(crate) fn fill_attest(
        &self,
        signer: &Signer,
        extra_data: Tpm2bData,
        attested: Attested,
    ) -> TpmsAttest {
        let qualified_signer = match &signer.object {
            Some(o) => o.qualified_name.clone(),
            None => rh::NULL.to_be_bytes().to_vec(),
        };
        let mut clock_info = self.time_info().clock_info;
        let mut firmware = firmware_version();
        let visible = signer
            .object
            .as_ref()
            .is_some_and(|o| matches!(o.hierarchy, Hierarchy::Endorsement | Hierarchy::Platform));
        if !visible {
            let (f, reset, restart) = obfuscation(self.perm.sh_proof.as_slice(), &qualified_signer);
            firmware = firmware.wrapping_add(f);
            clock_info.reset_count = clock_info.reset_count.wrapping_add(reset);
            clock_info.restart_count = clock_info.restart_count.wrapping_add(restart);
        }
        TpmsAttest {
            magic: TPM_GENERATED_VALUE,
            qualified_signer: Tpm2b(qualified_signer),
            extra_data,
            clock_info,
            firmware_version: firmware,
            attested,
        }
    }

    /// Writes `TPM2B_ATTEST` and its signature (`SignAttestInfo`): the hash of the
    /// marshalled structure under the scheme's hash, signed with the key; the NULL
    /// signature without one. A signed attestation reports the clock, so an orderly
    /// shutdown state no longer holds (the reference's `NvClearOrderly`).
    pub(crate) fn sign_attest(
        &mut self,
        signer: &Signer,
        attest: &TpmsAttest,
        c: &mut Command<'_>,
    ) -> Result<(), Rc> {
        let bytes = attest.to_bytes();
        let sig = match (&signer.object, signer.hash()) {
            (Some(o), Some(h)) => {
                let digest = Hasher::new(h).with(&bytes).finish();
                let sig = self.sign_digest(o, signer.scheme, &digest)?;
                self.invalidate_orderly_shutdown();
                sig
            }
            _ => Signature::Null,
        };
        c.put(&Tpm2bAttest::from(bytes));
        c.put(&sig);
        Ok(())
    }
}
