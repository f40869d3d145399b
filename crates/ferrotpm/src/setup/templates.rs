//! The public templates `ferrotpm setup` creates its keys from: the endorsement keys of the
//! TCG EK Credential Profile for TPM Family 2.0 (Appendix B: template L-1 for RSA-2048,
//! template H-3 for ECC NIST P-384), the variants swtpm_setup makes with `--allow-signing`,
//! and a storage primary key (TCG TPM v2.0 Provisioning Guidance §7.5.1). Each is a
//! marshalled `TPMT_PUBLIC`. Persistent handles and certificate indices are the EK
//! profile's (§2.2.1.4, §2.2.1.5).

use crate::conn::{put16, put32, put_sized};
use tpm2_types::constants::obj_attr::{
    ADMIN_WITH_POLICY, DECRYPT, FIXED_PARENT, FIXED_TPM, NO_DA, RESTRICTED, SENSITIVE_DATA_ORIGIN,
    SIGN_ENCRYPT, USER_WITH_AUTH,
};
use tpm2_types::constants::{alg, ecc_curve};

/// Persistent handle of the RSA EK.
pub const RSA_EK_HANDLE: u32 = 0x8101_0001;
/// Persistent handle of the RSA-3072 EK (the handle of the H-2 template).
pub const RSA3072_EK_HANDLE: u32 = 0x8101_001C;
/// Persistent handle of the ECC P-384 EK (the handle of the H-3 template).
pub const ECC_EK_HANDLE: u32 = 0x8101_0016;
/// Persistent handle of the storage primary key (`--create-spk`).
pub const SRK_HANDLE: u32 = 0x8100_0001;
/// NV index of the RSA-2048 EK certificate.
pub const RSA_EK_CERT_INDEX: u32 = 0x01C0_0002;
/// NV index of the ECC P-384 EK certificate (H-3).
pub const RSA3072_EK_CERT_INDEX: u32 = 0x01C0_001C;
pub const ECC_EK_CERT_INDEX: u32 = 0x01C0_0016;
/// NV index of the platform certificate (TCG PC Client Platform Firmware Profile's
/// platform certificate range begins at 0x01C08000).
pub const PLATFORM_CERT_INDEX: u32 = 0x01C0_8000;

/// `PolicySecret(TPM_RH_ENDORSEMENT)` under SHA-256: the authPolicy of template L-1.
const POLICY_A_SHA256: [u8; 32] =
    hex("837197674484b3f81a90cc8d46a5d724fd52d76e06520b64f2a1da1b331469aa");
/// The SHA-384 authPolicy of the high-range templates (PolicyOR of PolicySecret(endorsement)
/// and the PolicyAuthorizeNV branch, EK profile §B.6).
const POLICY_B_SHA384: [u8; 48] = hex(
    "b26e7d28d11a50bc53d882bcf5fd3a1a074148bb35d3b4e4cb1c0ad9bde419ca\
     cb47ba09699646150f9fc000f3f80e12",
);

/// What a key is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Usage {
    /// The standard EK: a restricted decryption (storage) key.
    Standard,
    /// swtpm_setup's `--allow-signing`: an unrestricted signing key, also decrypting with
    /// `--decryption`. Not a standard EK.
    Signing { decrypt: bool },
}

fn attributes(base: u32, usage: Usage) -> u32 {
    match usage {
        Usage::Standard => base | RESTRICTED | DECRYPT,
        Usage::Signing { decrypt } => base | SIGN_ENCRYPT | if decrypt { DECRYPT } else { 0 },
    }
}

/// The symmetric definition: restricted decryption keys carry one, other keys `TPM_ALG_NULL`
/// (Part 2 §12.2.3.6).
fn symmetric(out: &mut Vec<u8>, usage: Usage, key_bits: u16) {
    match usage {
        Usage::Standard => {
            put16(out, alg::AES);
            put16(out, key_bits);
            put16(out, alg::CFB);
        }
        Usage::Signing { .. } => put16(out, alg::NULL),
    }
}

/// Template L-1: RSA-2048, SHA-256, AES-128-CFB, a 256-byte zero unique field.
pub fn rsa_ek(usage: Usage) -> Vec<u8> {
    let mut t = Vec::new();
    put16(&mut t, alg::RSA);
    put16(&mut t, alg::SHA256);
    put32(
        &mut t,
        attributes(
            FIXED_TPM | FIXED_PARENT | SENSITIVE_DATA_ORIGIN | ADMIN_WITH_POLICY,
            usage,
        ),
    );
    put_sized(&mut t, &POLICY_A_SHA256);
    symmetric(&mut t, usage, 128);
    put16(&mut t, alg::NULL); // scheme
    put16(&mut t, 2048); // keyBits
    put32(&mut t, 0); // exponent: the default 65537
    put_sized(&mut t, &[0; 256]);
    t
}

/// What the high-range templates (H-2, H-3) share up to their key parameters: `ty`,
/// SHA-384, userWithAuth and adminWithPolicy, PolicyB, AES-256-CFB, no scheme.
fn high_range_head(ty: u16, usage: Usage) -> Vec<u8> {
    let mut t = Vec::new();
    put16(&mut t, ty);
    put16(&mut t, alg::SHA384);
    let base =
        FIXED_TPM | FIXED_PARENT | SENSITIVE_DATA_ORIGIN | USER_WITH_AUTH | ADMIN_WITH_POLICY;
    put32(&mut t, attributes(base, usage));
    put_sized(&mut t, &POLICY_B_SHA384);
    symmetric(&mut t, usage, 256);
    put16(&mut t, alg::NULL); // scheme
    t
}

/// Template H-2: RSA-3072, SHA-384, AES-256-CFB, userWithAuth, an empty unique field
/// (what swtpm_setup makes with `--rsa-keysize 3072`).
pub fn rsa3072_ek(usage: Usage) -> Vec<u8> {
    let mut t = high_range_head(alg::RSA, usage);
    put16(&mut t, 3072); // keyBits
    put32(&mut t, 0); // exponent: the default 65537
    put_sized(&mut t, &[]); // unique
    t
}

/// Template H-3: ECC NIST P-384, SHA-384, AES-256-CFB, userWithAuth, an empty unique field.
pub fn ecc_p384_ek(usage: Usage) -> Vec<u8> {
    let mut t = high_range_head(alg::ECC, usage);
    put16(&mut t, ecc_curve::NIST_P384);
    put16(&mut t, alg::NULL); // kdf
    put_sized(&mut t, &[]); // unique.x
    put_sized(&mut t, &[]); // unique.y
    t
}

/// A storage primary key: RSA-2048 or (with `ecc`) ECC P-256, SHA-256, AES-128-CFB,
/// userWithAuth with an empty authValue, noDA (Provisioning Guidance §7.5.1).
pub fn srk(ecc: bool) -> Vec<u8> {
    let mut t = Vec::new();
    put16(&mut t, if ecc { alg::ECC } else { alg::RSA });
    put16(&mut t, alg::SHA256);
    put32(
        &mut t,
        FIXED_TPM
            | FIXED_PARENT
            | SENSITIVE_DATA_ORIGIN
            | USER_WITH_AUTH
            | NO_DA
            | RESTRICTED
            | DECRYPT,
    );
    put_sized(&mut t, &[]);
    symmetric(&mut t, Usage::Standard, 128);
    put16(&mut t, alg::NULL); // scheme
    if ecc {
        put16(&mut t, ecc_curve::NIST_P256);
        put16(&mut t, alg::NULL); // kdf
        put_sized(&mut t, &[0; 32]);
        put_sized(&mut t, &[0; 32]);
    } else {
        put16(&mut t, 2048);
        put32(&mut t, 0);
        put_sized(&mut t, &[0; 256]);
    }
    t
}

const fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        _ => panic!("not a lowercase hex digit"),
    }
}

/// N bytes from 2N lowercase hex digits, at compile time.
const fn hex<const N: usize>(s: &str) -> [u8; N] {
    let b = s.as_bytes();
    let mut out = [0; N];
    let mut i = 0;
    while i < N {
        out[i] = nibble(b[2 * i]) << 4 | nibble(b[2 * i + 1]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tpm2_types::object::TpmtPublic;
    use tpm2_types::{Codec, Reader};

    #[test]
    fn templates_parse_as_tpmt_public() {
        for t in [
            rsa_ek(Usage::Standard),
            rsa_ek(Usage::Signing { decrypt: true }),
            rsa3072_ek(Usage::Standard),
            rsa3072_ek(Usage::Signing { decrypt: false }),
            ecc_p384_ek(Usage::Standard),
            ecc_p384_ek(Usage::Signing { decrypt: false }),
            srk(false),
            srk(true),
        ] {
            let mut r = Reader::new(&t);
            TpmtPublic::read(&mut r).expect("a TPMT_PUBLIC");
            assert!(r.is_empty());
        }
    }

    #[test]
    fn standard_ek_attributes_are_the_profiles() {
        // EK profile: L-1 0x000300B2, H-2 and H-3 0x000300F2.
        assert_eq!(
            &rsa_ek(Usage::Standard)[4..8],
            &0x0003_00B2u32.to_be_bytes()
        );
        assert_eq!(
            &rsa3072_ek(Usage::Standard)[4..8],
            &0x0003_00F2u32.to_be_bytes()
        );
        assert_eq!(
            &ecc_p384_ek(Usage::Standard)[4..8],
            &0x0003_00F2u32.to_be_bytes()
        );
    }
}
