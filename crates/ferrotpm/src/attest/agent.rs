//! The attester's half of `ferrotpm attest`: the TPM commands tpm2-tools' createek,
//! createak, activatecredential and quote send, each a short function over a [`Conn`].

use super::verifier::Public;
use crate::conn::{put16, put32, put_sized, Auth, CallError, Conn, Transport};
use tpm2_types::constants::{alg, cc, obj_attr, rh};
use tpm2_types::{HashAlg, Reader};

/// `TPM_SE_POLICY`.
const SE_POLICY: u8 = 0x01;
/// `TPM_RC_HANDLE` for the first handle: nothing at a persistent handle.
const RC_HANDLE_1: u32 = 0x18B;

/// PolicyC of the EK profile (§B.6.4): PolicyAuthorizeNV of the index 0x01C07F01 (SHA-256)
/// or 0x01C07F02 (SHA-384) — the other branch of the high-range templates' PolicyOR.
const POLICY_C_SHA256: &str = "3767e2edd43ff45a3a7e1eaefcef78643dca964632e7aad82c673a30d8633fde";
const POLICY_C_SHA384: &str = "d6032ce61f2fb3c240eb3cf6a33237ef2b6a16f4293c22b455e261cffd217ad5\
                               b4947c2d73e63005eed2dc2b3593d165";

fn unhex(s: &str) -> Vec<u8> {
    let s: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
    s.chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap_or("00"), 16).unwrap_or(0))
        .collect()
}

/// PolicyA of the EK profile: PolicySecret(TPM_RH_ENDORSEMENT) with an empty policyRef,
/// `H(H(0…0 || TPM_CC_PolicySecret || Name(endorsement)) || policyRef)` (Part 3, §23.4).
pub fn policy_a(alg: HashAlg) -> Vec<u8> {
    let zeros = vec![0u8; alg.digest_size()];
    let step = tpm2_crypto::digest(
        alg,
        &[
            &zeros,
            &cc::POLICY_SECRET.to_be_bytes(),
            &rh::ENDORSEMENT.to_be_bytes(),
        ],
    );
    tpm2_crypto::digest(alg, &[&step])
}

/// PolicyOR over `branches` from a fresh session: `H(0…0 || TPM_CC_PolicyOR || digests)`
/// (Part 3, §23.6).
pub fn policy_or(alg: HashAlg, branches: &[&[u8]]) -> Vec<u8> {
    let zeros = vec![0u8; alg.digest_size()];
    let mut parts: Vec<&[u8]> = vec![&zeros];
    let code = cc::POLICY_OR.to_be_bytes();
    parts.push(&code);
    parts.extend_from_slice(branches);
    tpm2_crypto::digest(alg, &parts)
}

/// How a policy session satisfies an EK's authPolicy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EkPolicy {
    /// PolicyA alone (the low-range templates).
    Secret,
    /// PolicyA, then PolicyOR(PolicyA, PolicyC) (the high-range templates' PolicyB).
    SecretOr(Vec<Vec<u8>>),
}

/// The EK profile policy `ek` carries, or why the run cannot satisfy it.
pub fn ek_policy(ek: &Public) -> Result<EkPolicy, String> {
    let alg = ek.area.name_alg.ok_or("the EK has no name algorithm")?;
    let a = policy_a(alg);
    let have = ek.area.auth_policy.as_slice();
    if have == a.as_slice() {
        return Ok(EkPolicy::Secret);
    }
    let c = match alg {
        HashAlg::Sha256 => unhex(POLICY_C_SHA256),
        HashAlg::Sha384 => unhex(POLICY_C_SHA384),
        _ => Vec::new(),
    };
    if !c.is_empty() && have == policy_or(alg, &[&a, &c]).as_slice() {
        return Ok(EkPolicy::SecretOr(vec![a, c]));
    }
    Err("the EK's authPolicy is not one of the EK profile's (PolicyA or PolicyB)".into())
}

fn malformed(command: &'static str) -> impl Fn(tpm2_types::Rc) -> CallError {
    move |e| CallError::Other {
        command,
        detail: format!("malformed response ({e})"),
    }
}

/// Reads one `TPM2B` of a response.
fn sized<'a>(r: &mut Reader<'a>, command: &'static str) -> Result<&'a [u8], CallError> {
    let n = r.u16().map_err(malformed(command))? as usize;
    r.take(n).map_err(malformed(command))
}

fn public(bytes: &[u8], command: &'static str) -> Result<Public, CallError> {
    Public::decode(bytes).map_err(|detail| CallError::Other { command, detail })
}

/// The AK template tpm2_createak uses by default: a restricted signing key, fixedTPM and
/// fixedParent, with RSASSA or ECDSA over SHA-256.
pub fn ak_template(ecc: bool) -> Vec<u8> {
    let mut t = Vec::new();
    put16(&mut t, if ecc { alg::ECC } else { alg::RSA });
    put16(&mut t, alg::SHA256);
    put32(
        &mut t,
        obj_attr::FIXED_TPM
            | obj_attr::FIXED_PARENT
            | obj_attr::SENSITIVE_DATA_ORIGIN
            | obj_attr::USER_WITH_AUTH
            | obj_attr::RESTRICTED
            | obj_attr::SIGN_ENCRYPT,
    );
    put_sized(&mut t, &[]); // authPolicy
    put16(&mut t, alg::NULL); // symmetric
    if ecc {
        put16(&mut t, alg::ECDSA);
        put16(&mut t, alg::SHA256);
        put16(&mut t, tpm2_types::constants::ecc_curve::NIST_P256);
        put16(&mut t, alg::NULL); // kdf
        put_sized(&mut t, &[]);
        put_sized(&mut t, &[]);
    } else {
        put16(&mut t, alg::RSASSA);
        put16(&mut t, alg::SHA256);
        put16(&mut t, 2048);
        put32(&mut t, 0); // exponent: 65537
        put_sized(&mut t, &[]);
    }
    t
}

impl<T: Transport> Conn<T> {
    /// TPM2_ReadPublic; `Ok(None)` when nothing is at `handle`.
    pub fn read_public(&mut self, handle: u32) -> Result<Option<Public>, CallError> {
        const C: &str = "TPM2_ReadPublic";
        let mut p = Vec::new();
        put32(&mut p, handle);
        let body = match self.call(cc::READ_PUBLIC, &[], &[], &p, 0) {
            Ok((_, body)) => body,
            Err(e) if e.rc() == Some(RC_HANDLE_1) => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut r = Reader::new(&body);
        Ok(Some(public(sized(&mut r, C)?, C)?))
    }

    /// TPM2_CreatePrimary in the endorsement hierarchy with an empty authValue.
    pub fn create_ek(&mut self, template: &[u8]) -> Result<(u32, Public), CallError> {
        const C: &str = "TPM2_CreatePrimary";
        let mut p = Vec::new();
        put_sized(&mut p, &[0, 0, 0, 0]); // inSensitive: empty userAuth and data
        put_sized(&mut p, template);
        put_sized(&mut p, &[]); // outsideInfo
        put32(&mut p, 0); // creationPCR: none
        let (h, body) = self.call(
            cc::CREATE_PRIMARY,
            &[rh::ENDORSEMENT],
            &[Auth::EmptyPassword],
            &p,
            1,
        )?;
        let mut r = Reader::new(&body);
        Ok((h[0], public(sized(&mut r, C)?, C)?))
    }

    /// An unbound, unsalted policy session with `hash` (TPM2_StartAuthSession).
    pub fn start_policy_session(&mut self, hash: HashAlg) -> Result<u32, CallError> {
        let mut nonce = vec![0u8; hash.digest_size()];
        getrandom::getrandom(&mut nonce).map_err(|e| CallError::Other {
            command: "TPM2_StartAuthSession",
            detail: format!("no random nonce: {e}"),
        })?;
        let mut p = Vec::new();
        put_sized(&mut p, &nonce);
        put_sized(&mut p, &[]); // encryptedSalt
        p.push(SE_POLICY);
        put16(&mut p, alg::NULL); // symmetric
        put16(&mut p, hash.id());
        let (h, _) = self.call(cc::START_AUTH_SESSION, &[rh::NULL, rh::NULL], &[], &p, 1)?;
        Ok(h[0])
    }

    /// Satisfies the EK's policy in `session` for its next use.
    pub fn satisfy(&mut self, session: u32, policy: &EkPolicy) -> Result<(), CallError> {
        self.policy_secret_endorsement(session)?;
        if let EkPolicy::SecretOr(branches) = policy {
            let mut p = Vec::new();
            put32(&mut p, branches.len() as u32);
            for b in branches {
                put_sized(&mut p, b);
            }
            self.call(cc::POLICY_OR, &[session], &[], &p, 0)?;
        }
        Ok(())
    }

    /// TPM2_PolicySecret(TPM_RH_ENDORSEMENT): PolicyA of the EK templates.
    fn policy_secret_endorsement(&mut self, session: u32) -> Result<(), CallError> {
        let mut p = Vec::new();
        put_sized(&mut p, &[]); // nonceTPM
        put_sized(&mut p, &[]); // cpHashA
        put_sized(&mut p, &[]); // policyRef
        put32(&mut p, 0); // expiration
        self.call(
            cc::POLICY_SECRET,
            &[rh::ENDORSEMENT, session],
            &[Auth::EmptyPassword],
            &p,
            0,
        )
        .map(drop)
    }

    /// TPM2_Create under `parent` (authorized by the policy `session`, freshly satisfied);
    /// returns outPrivate and outPublic as the TPM sent them.
    pub fn create_under_ek(
        &mut self,
        parent: u32,
        (session, policy): (u32, &EkPolicy),
        template: &[u8],
    ) -> Result<(Vec<u8>, Public), CallError> {
        const C: &str = "TPM2_Create";
        self.satisfy(session, policy)?;
        let mut p = Vec::new();
        put_sized(&mut p, &[0, 0, 0, 0]);
        put_sized(&mut p, template);
        put_sized(&mut p, &[]);
        put32(&mut p, 0);
        let (_, body) = self.call(cc::CREATE, &[parent], &[Auth::Policy(session)], &p, 0)?;
        let mut r = Reader::new(&body);
        let private = sized(&mut r, C)?.to_vec();
        let public = public(sized(&mut r, C)?, C)?;
        Ok((private, public))
    }

    /// TPM2_Load under `parent` (policy `session`); returns the handle and the Name the TPM
    /// computed.
    pub fn load_under_ek(
        &mut self,
        parent: u32,
        (session, policy): (u32, &EkPolicy),
        private: &[u8],
        public: &Public,
    ) -> Result<(u32, Vec<u8>), CallError> {
        const C: &str = "TPM2_Load";
        self.satisfy(session, policy)?;
        let mut p = Vec::new();
        put_sized(&mut p, private);
        put_sized(&mut p, &public.bytes);
        let (h, body) = self.call(cc::LOAD, &[parent], &[Auth::Policy(session)], &p, 1)?;
        let mut r = Reader::new(&body);
        Ok((h[0], sized(&mut r, C)?.to_vec()))
    }

    /// TPM2_ActivateCredential: the AK (empty password, ADMIN role) and the EK (policy
    /// `session`); returns certInfo, the recovered credential.
    pub fn activate_credential(
        &mut self,
        ak: u32,
        ek: u32,
        (session, policy): (u32, &EkPolicy),
        blob: &[u8],
        secret: &[u8],
    ) -> Result<Vec<u8>, CallError> {
        const C: &str = "TPM2_ActivateCredential";
        self.satisfy(session, policy)?;
        let mut p = Vec::new();
        put_sized(&mut p, blob);
        put_sized(&mut p, secret);
        let (_, body) = self.call(
            cc::ACTIVATE_CREDENTIAL,
            &[ak, ek],
            &[Auth::EmptyPassword, Auth::Policy(session)],
            &p,
            0,
        )?;
        let mut r = Reader::new(&body);
        Ok(sized(&mut r, C)?.to_vec())
    }

    /// TPM2_Quote with the AK's own scheme; returns the quoted `TPMS_ATTEST` bytes and
    /// the marshalled `TPMT_SIGNATURE`.
    pub fn quote(
        &mut self,
        ak: u32,
        nonce: &[u8],
        selection: &[u8],
    ) -> Result<(Vec<u8>, Vec<u8>), CallError> {
        const C: &str = "TPM2_Quote";
        let mut p = Vec::new();
        put_sized(&mut p, nonce);
        put16(&mut p, alg::NULL); // inScheme: the key's
        p.extend_from_slice(selection);
        let (_, body) = self.call(cc::QUOTE, &[ak], &[Auth::EmptyPassword], &p, 0)?;
        let mut r = Reader::new(&body);
        let quoted = sized(&mut r, C)?.to_vec();
        Ok((quoted, r.rest().to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ek_profile_policies() {
        // The authPolicy values of the EK profile's templates L-1 (PolicyA, SHA-256) and
        // H-3 (PolicyB, SHA-384), as setup writes them.
        assert_eq!(
            policy_a(HashAlg::Sha256),
            unhex("837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa")
        );
        let a = policy_a(HashAlg::Sha384);
        let c = unhex(POLICY_C_SHA384);
        assert_eq!(
            policy_or(HashAlg::Sha384, &[&a, &c]),
            unhex(
                "b26e7d28d11a50bc53d882bcf5fd3a1a074148bb35d3b4e4cb1c0ad9bde419ca\
                 cb47ba09699646150f9fc000f3f80e12"
            )
        );
        let c = unhex(POLICY_C_SHA256);
        assert_eq!(
            policy_or(HashAlg::Sha256, &[&policy_a(HashAlg::Sha256), &c]),
            unhex("ca3d0a99a2b93906f7a3342414efcfb3a385d44cd1fd459089d19b5071c0b7a0")
        );
    }
}
