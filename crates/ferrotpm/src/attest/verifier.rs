//! The verifier's half of `ferrotpm attest`, in software only: names of public areas,
//! TPM2_MakeCredential (Part 1, §24), and the checks of a quote (Part 2, §10.12.8 and
//! Part 3, §18.4). Nothing here trusts the TPM: every value it reports is recomputed.

use crate::conn::put16;
use tpm2_crypto::ecc::{self, EccCurve, EccPoint};
use tpm2_crypto::rsa::RsaPublicKey;
use tpm2_crypto::{ct_eq, digest, hmac, kdf, sym, RandomSource};
use tpm2_types::attest::{Attested, TpmsAttest};
use tpm2_types::constants::{obj_attr, TPM_GENERATED_VALUE};
use tpm2_types::object::{PublicParms, Scheme, Signature, TpmtPublic, Unique};
use tpm2_types::{Codec, HashAlg, Reader};

/// A public area as the TPM sent it: the exact bytes (names are hashes of them) and
/// their decoding.
#[derive(Clone, Debug)]
pub struct Public {
    pub bytes: Vec<u8>,
    pub area: TpmtPublic,
}

impl Public {
    /// Decodes a marshalled `TPMT_PUBLIC` that must fill `bytes` exactly.
    pub fn decode(bytes: &[u8]) -> Result<Public, String> {
        let mut r = Reader::new(bytes);
        let area = TpmtPublic::read(&mut r).map_err(|e| format!("malformed public area ({e})"))?;
        if !r.rest().is_empty() {
            return Err("public area followed by extra bytes".into());
        }
        Ok(Public {
            bytes: bytes.to_vec(),
            area,
        })
    }

    fn name_alg(&self) -> Result<HashAlg, String> {
        self.area
            .name_alg
            .ok_or_else(|| "public area without a name algorithm".to_string())
    }

    /// The object's Name: `nameAlg || H_nameAlg(TPMT_PUBLIC)` (Part 1, §16).
    pub fn name(&self) -> Result<Vec<u8>, String> {
        let alg = self.name_alg()?;
        let mut n = alg.id().to_be_bytes().to_vec();
        n.extend_from_slice(&digest(alg, &[&self.bytes]));
        Ok(n)
    }

    /// The Qualified Name under a parent whose Qualified Name is `parent_qn`:
    /// `nameAlg || H_nameAlg(parent_qn || Name)` (Part 1, §16).
    pub fn qualified_name(&self, parent_qn: &[u8]) -> Result<Vec<u8>, String> {
        let alg = self.name_alg()?;
        let mut q = alg.id().to_be_bytes().to_vec();
        q.extend_from_slice(&digest(alg, &[parent_qn, &self.name()?]));
        Ok(q)
    }

    /// "RSA-2048" / "ECC NIST P-256" and so on.
    pub fn describe(&self) -> String {
        match &self.area.parms {
            PublicParms::Rsa(p) => format!("RSA-{}", p.key_bits),
            PublicParms::Ecc(p) => match EccCurve::from_id(p.curve) {
                Some(c) => format!("ECC P-{}", c.key_bits()),
                None => format!("ECC curve {:#06x}", p.curve),
            },
            PublicParms::KeyedHash(_) => "keyed hash".into(),
            PublicParms::SymCipher(_) => "symmetric cipher".into(),
        }
    }
}

/// Why a key cannot be an attestation key: it must be a restricted signing key that never
/// leaves this TPM, or a quote proves nothing about this TPM (Part 1, §27.2).
pub fn ak_problem(ak: &Public) -> Option<&'static str> {
    let a = ak.area.attributes;
    if a & obj_attr::FIXED_TPM == 0 {
        Some("the AK is not fixedTPM")
    } else if a & obj_attr::RESTRICTED == 0 || a & obj_attr::SIGN_ENCRYPT == 0 {
        Some("the AK is not a restricted signing key")
    } else if a & obj_attr::DECRYPT != 0 {
        Some("the AK can decrypt")
    } else {
        None
    }
}

/// An RSA public exponent, 0 meaning the default 2^16 + 1 (Part 2, §12.2.3.5).
fn exponent(e: u32) -> u32 {
    if e == 0 {
        65537
    } else {
        e
    }
}

/// What TPM2_MakeCredential produces.
pub struct Credential {
    /// `TPM2B_ID_OBJECT` contents: `TPM2B_DIGEST integrityHMAC || encIdentity`.
    pub blob: Vec<u8>,
    /// `TPM2B_ENCRYPTED_SECRET` contents: the seed, protected for the EK.
    pub secret: Vec<u8>,
}

/// TPM2_MakeCredential in software: protects `credential` for the object named `ak_name`
/// so that only the TPM holding `ek` can recover it (Part 1, §24.4 – §24.5).
pub fn make_credential(
    ek: &Public,
    ak_name: &[u8],
    credential: &[u8],
    rng: &mut dyn RandomSource,
) -> Result<Credential, String> {
    const LABEL: &[u8] = tpm2_types::credential::IDENTITY;
    let alg = ek.name_alg()?;
    let (seed, secret, symmetric) = match (&ek.area.parms, &ek.area.unique) {
        (PublicParms::Rsa(p), Unique::Rsa(n)) => {
            // An RSA key's seed: random, OAEP-encrypted with the "IDENTITY" label (§B.10.3).
            let mut seed = vec![0u8; alg.digest_size()];
            rng.fill(&mut seed);
            let key = RsaPublicKey::new(n.as_slice(), exponent(p.exponent))
                .map_err(|e| format!("EK public key: {e:?}"))?;
            let secret = key
                .encrypt_oaep(alg, LABEL, &seed, rng)
                .map_err(|e| format!("OAEP: {e:?}"))?;
            (seed, secret, p.symmetric)
        }
        (PublicParms::Ecc(p), Unique::Ecc(q)) => {
            // An ECC key's seed: KDFe over one-pass Diffie-Hellman with an ephemeral key
            // (§C.6.4); the secret is the ephemeral public point.
            let curve = EccCurve::from_id(p.curve).ok_or("EK on an unknown curve")?;
            let peer = EccPoint {
                x: q.x.as_slice().to_vec(),
                y: q.y.as_slice().to_vec(),
            };
            let (qe, z) = ecc::ecdh_keygen(curve, &peer, rng)
                .map_err(|e| format!("EK public point: {e:?}"))?;
            let bits = 8 * alg.digest_size() as u32;
            let seed = kdf::kdfe(alg, &z.x, LABEL, &qe.x, &peer.x, bits);
            let mut secret = Vec::new();
            crate::conn::put_sized(&mut secret, &qe.x);
            crate::conn::put_sized(&mut secret, &qe.y);
            (seed, secret, p.symmetric)
        }
        _ => return Err("the EK is neither an RSA nor an ECC key".into()),
    };
    let symmetric = symmetric.ok_or("the EK has no symmetric algorithm")?;
    if symmetric.mode != Some(tpm2_types::constants::alg::CFB) {
        return Err("the EK's symmetric mode is not CFB".into());
    }
    // encIdentity: the credential as a TPM2B_DIGEST, CFB-encrypted with a zero IV under
    // KDFa(seed, "STORAGE", Name) (§24.4).
    let sym_key = kdf::kdfa(
        alg,
        &seed,
        b"STORAGE",
        ak_name,
        &[],
        symmetric.key_bits as u32,
    );
    let mut enc_identity = Vec::with_capacity(2 + credential.len());
    put16(&mut enc_identity, credential.len() as u16);
    enc_identity.extend_from_slice(credential);
    sym::aes_cfb(&sym_key, &[0; 16], &mut enc_identity, true);
    // integrityHMAC over encIdentity || Name, keyed by KDFa(seed, "INTEGRITY") (§24.5).
    let hmac_key = kdf::kdfa(
        alg,
        &seed,
        b"INTEGRITY",
        &[],
        &[],
        8 * alg.digest_size() as u32,
    );
    let integrity = hmac(alg, &hmac_key, &[&enc_identity, ak_name]);
    let mut blob = Vec::new();
    crate::conn::put_sized(&mut blob, &integrity);
    blob.extend_from_slice(&enc_identity);
    Ok(Credential { blob, secret })
}

/// Did the TPM give back the credential it was sent?
pub fn credential_matches(sent: &[u8], returned: &[u8]) -> bool {
    ct_eq(sent, returned)
}

/// What the checks of a quote found.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct QuoteCheck {
    /// The signature verifies with the AK over the quoted bytes, with the AK's scheme.
    pub signature: bool,
    /// `magic` is `TPM_GENERATED_VALUE` and `type` is `TPM_ST_ATTEST_QUOTE`.
    pub generated: bool,
    /// `extraData` is the verifier's nonce.
    pub nonce: bool,
    /// `qualifiedSigner` is the AK's Qualified Name under the EK.
    pub signer: bool,
    /// The quoted PCR selection is the one asked for.
    pub selection: bool,
    /// `pcrDigest` as the quote states it.
    #[serde(serialize_with = "ser_hex")]
    pub pcr_digest: Vec<u8>,
    /// The PCRs the quote covers: (bank algorithm, PCRs) in the quote's order.
    pub quoted: Vec<(u16, Vec<u32>)>,
    pub clock: u64,
    pub reset_count: u32,
    pub restart_count: u32,
    pub safe: bool,
    pub firmware_version: u64,
}

impl QuoteCheck {
    /// Everything the quote itself says is right (the PCR values are checked apart).
    pub fn ok(&self) -> bool {
        self.signature && self.generated && self.nonce && self.signer && self.selection
    }
}

fn ser_hex<S: serde::Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex(v))
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The hash a signing key's scheme signs with.
pub fn signing_hash(ak: &Public) -> Option<HashAlg> {
    let scheme = match &ak.area.parms {
        PublicParms::Rsa(p) => p.scheme,
        PublicParms::Ecc(p) => p.scheme,
        _ => return None,
    };
    match scheme {
        Scheme::Rsassa(h) | Scheme::Rsapss(h) | Scheme::Ecdsa(h) | Scheme::Ecschnorr(h) => Some(h),
        _ => None,
    }
}

/// Whether `sig` is the AK's signature over `message`, in the AK's own scheme.
fn signature_verifies(ak: &Public, message: &[u8], sig: &Signature) -> bool {
    let Some(hash) = signing_hash(ak) else {
        return false;
    };
    let d = digest(hash, &[message]);
    match (&ak.area.parms, &ak.area.unique, sig) {
        (PublicParms::Rsa(p), Unique::Rsa(n), Signature::Rsa { scheme, sig }) => {
            let Ok(key) = RsaPublicKey::new(n.as_slice(), exponent(p.exponent)) else {
                return false;
            };
            match *scheme {
                Scheme::Rsassa(h) if h == hash && p.scheme == *scheme => {
                    key.verify_pkcs1v15(hash, &d, sig.as_slice())
                }
                Scheme::Rsapss(h) if h == hash && p.scheme == *scheme => {
                    key.verify_pss(hash, &d, sig.as_slice())
                }
                _ => false,
            }
        }
        (PublicParms::Ecc(p), Unique::Ecc(q), Signature::Ecc { scheme, r, s }) => {
            let Some(curve) = EccCurve::from_id(p.curve) else {
                return false;
            };
            let point = EccPoint {
                x: q.x.as_slice().to_vec(),
                y: q.y.as_slice().to_vec(),
            };
            match *scheme {
                Scheme::Ecdsa(h) if h == hash && p.scheme == *scheme => {
                    ecc::ecdsa_verify(curve, &point, &d, r.as_slice(), s.as_slice())
                }
                _ => false,
            }
        }
        _ => false,
    }
}

/// What a quote is checked against; `None` leaves that check out (it then reads true).
pub struct Expected<'a> {
    /// The AK's Qualified Name.
    pub signer: Option<&'a [u8]>,
    /// The verifier's nonce (`extraData`).
    pub nonce: Option<&'a [u8]>,
    /// The PCR selection asked for (a marshalled `TPML_PCR_SELECTION`).
    pub selection: Option<&'a [u8]>,
}

/// Checks a quote: `quoted` (the `TPMS_ATTEST` bytes) and `signature` from the AK `ak`,
/// against what was `expected`. Returns the checks, the stated PCR digest and the PCRs it
/// covers.
pub fn check_quote(
    ak: &Public,
    quoted: &[u8],
    signature: &[u8],
    expected: &Expected<'_>,
) -> Result<QuoteCheck, String> {
    let mut r = Reader::new(signature);
    let sig = Signature::read(&mut r).map_err(|e| format!("malformed signature ({e})"))?;
    let mut r = Reader::new(quoted);
    let attest = TpmsAttest::read(&mut r).map_err(|e| format!("malformed quote ({e})"))?;
    if !r.rest().is_empty() {
        return Err("quote followed by extra bytes".into());
    }
    let mut check = QuoteCheck {
        signature: signature_verifies(ak, quoted, &sig),
        generated: attest.magic == TPM_GENERATED_VALUE,
        nonce: expected
            .nonce
            .is_none_or(|n| ct_eq(attest.extra_data.as_slice(), n)),
        signer: expected
            .signer
            .is_none_or(|q| attest.qualified_signer.as_slice() == q),
        clock: attest.clock_info.clock,
        reset_count: attest.clock_info.reset_count,
        restart_count: attest.clock_info.restart_count,
        safe: attest.clock_info.safe,
        firmware_version: attest.firmware_version,
        ..QuoteCheck::default()
    };
    match &attest.attested {
        Attested::Quote {
            pcr_select,
            pcr_digest,
        } => {
            let mut sel = Vec::new();
            pcr_select.encode(&mut sel);
            check.selection = expected.selection.is_none_or(|want| sel == want);
            check.pcr_digest = pcr_digest.as_slice().to_vec();
            check.quoted = pcr_select
                .0
                .iter()
                .map(|b| (b.hash.id(), b.select.iter().map(|p| p as u32).collect()))
                .collect();
        }
        _ => check.generated = false,
    }
    Ok(check)
}

/// The digest a quote states for PCR values: the hash (of the AK's signing scheme) of the
/// values concatenated in selection order (Part 3, §18.4.1).
pub fn pcr_digest(hash: HashAlg, values: &[&[u8]]) -> Vec<u8> {
    digest(hash, values)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conn::put_sized;
    use tpm2_types::structures::{TpmlPcrSelection, TpmsClockInfo};
    use tpm2_types::Tpm2b;

    fn rng() -> impl FnMut(&mut [u8]) {
        let mut n = 0u8;
        move |out: &mut [u8]| {
            for b in out {
                n = n.wrapping_mul(31).wrapping_add(17);
                *b = n;
            }
        }
    }

    /// A software ECC P-256 AK: its private key and its public area.
    fn ak() -> (Vec<u8>, Public) {
        let (d, q) = ecc::generate(EccCurve::NistP256, &mut rng());
        let mut t = crate::attest::agent::ak_template(true);
        t.truncate(t.len() - 4); // the empty unique point
        put_sized(&mut t, &q.x);
        put_sized(&mut t, &q.y);
        (d.to_vec(), Public::decode(&t).unwrap())
    }

    const SELECTION: [u8; 10] = [0, 0, 0, 1, 0, 0x0B, 3, 0x81, 0, 0];

    fn exp<'a>(signer: &'a [u8], nonce: &'a [u8], selection: &'a [u8]) -> Expected<'a> {
        Expected {
            signer: Some(signer),
            nonce: Some(nonce),
            selection: Some(selection),
        }
    }

    fn quoted(qn: &[u8], nonce: &[u8], selection: &[u8], pcr_digest: &[u8]) -> Vec<u8> {
        let attest = TpmsAttest {
            magic: TPM_GENERATED_VALUE,
            qualified_signer: Tpm2b::new(qn).unwrap(),
            extra_data: Tpm2b::new(nonce).unwrap(),
            clock_info: TpmsClockInfo {
                clock: 5,
                reset_count: 1,
                restart_count: 0,
                safe: true,
            },
            firmware_version: 7,
            attested: Attested::Quote {
                pcr_select: TpmlPcrSelection::read(&mut Reader::new(selection)).unwrap(),
                pcr_digest: Tpm2b::new(pcr_digest).unwrap(),
            },
        };
        let mut out = Vec::new();
        attest.encode(&mut out);
        out
    }

    fn sign(d: &[u8], message: &[u8]) -> Vec<u8> {
        let h = digest(HashAlg::Sha256, &[message]);
        let (r, s) = ecc::ecdsa_sign(EccCurve::NistP256, d, &h, &mut rng()).unwrap();
        let mut out = Vec::new();
        Signature::Ecc {
            scheme: Scheme::Ecdsa(HashAlg::Sha256),
            r: Tpm2b::new(&r).unwrap(),
            s: Tpm2b::new(&s).unwrap(),
        }
        .encode(&mut out);
        out
    }

    #[test]
    fn a_quote_is_checked_on_every_field() {
        let (d, ak) = ak();
        assert_eq!(ak_problem(&ak), None);
        let qn = ak.qualified_name(&[0x40, 0, 0, 0x0B]).unwrap();
        let nonce = [9u8; 16];
        let pcrs = [0x11u8; 32];
        let good = quoted(&qn, &nonce, &SELECTION, &pcrs);
        let c = check_quote(&ak, &good, &sign(&d, &good), &exp(&qn, &nonce, &SELECTION)).unwrap();
        assert!(c.ok(), "{c:?}");
        assert_eq!(c.pcr_digest, pcrs);
        assert_eq!((c.clock, c.reset_count, c.firmware_version), (5, 1, 7));
        assert_eq!(c.quoted, vec![(0x000B, vec![0, 7])]);
        // Nothing expected: only what the quote proves by itself.
        let none = Expected {
            signer: None,
            nonce: None,
            selection: None,
        };
        let other = quoted(&[0, 0x0B, 9], &[1; 4], &SELECTION, &pcrs);
        let c = check_quote(&ak, &other, &sign(&d, &other), &none).unwrap();
        assert!(c.ok());

        // One byte of the quote changed after signing.
        let mut flipped = good.clone();
        let at = flipped.len() - 1;
        flipped[at] ^= 1;
        let c = check_quote(
            &ak,
            &flipped,
            &sign(&d, &good),
            &exp(&qn, &nonce, &SELECTION),
        )
        .unwrap();
        assert!(!c.signature && !c.ok());

        // Correctly signed, but for another nonce, signer or selection.
        let other = quoted(&qn, &[8u8; 16], &SELECTION, &pcrs);
        let c = check_quote(
            &ak,
            &other,
            &sign(&d, &other),
            &exp(&qn, &nonce, &SELECTION),
        )
        .unwrap();
        assert!(c.signature && !c.nonce && !c.ok());
        let c = check_quote(
            &ak,
            &good,
            &sign(&d, &good),
            &exp(&[0, 0x0B, 1], &nonce, &SELECTION),
        );
        assert!(!c.unwrap().signer);
        let sel7 = [0, 0, 0, 1, 0, 0x0B, 3, 0x80, 0, 0];
        let c = check_quote(&ak, &good, &sign(&d, &good), &exp(&qn, &nonce, &sel7)).unwrap();
        assert!(!c.selection && !c.ok());

        // A signature by another key.
        let (d2, _) = ecc::generate(EccCurve::NistP256, &mut |o: &mut [u8]| o.fill(3));
        let c = check_quote(&ak, &good, &sign(&d2, &good), &exp(&qn, &nonce, &SELECTION)).unwrap();
        assert!(!c.signature);

        // Garbage is an error, not a verdict.
        assert!(check_quote(
            &ak,
            &good[..10],
            &sign(&d, &good),
            &exp(&qn, &nonce, &SELECTION)
        )
        .is_err());
    }

    #[test]
    fn keys_that_cannot_attest() {
        let (_, mut ak) = ak();
        ak.area.attributes &= !obj_attr::FIXED_TPM;
        assert!(ak_problem(&ak).is_some());
        let (_, mut ak2) = self::ak();
        ak2.area.attributes &= !obj_attr::RESTRICTED;
        assert!(ak_problem(&ak2).is_some());
    }
}
