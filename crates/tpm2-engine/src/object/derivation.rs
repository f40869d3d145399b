//! Derived objects (Part 1, "Derivation Parent"/"Derived Objects"; Part 3, §12.9
//! TPM2_CreateLoaded).
//!
//! A derivation parent is a loaded KEYEDHASH object with `restricted` and `decrypt` SET
//! (so `sign` CLEAR and its scheme XOR with KDF1_SP800_108). A child of it is never
//! random: its key and seedValue are drawn, in the order of any other creation (key
//! first), from the stream `KDFa(xor.hashAlg, parent sensitive value, label, context,
//! TPM_MAX_DERIVATION_BITS)` (Part 1: "the TPM uses the sensitive value in a Derivation
//! Parent as a key in a KDF"; the parent's seedValue only goes into its unique field),
//! whose blocks are the successive SP 800-108 counter blocks of that one KDFa call. The
//! label and context come from the `TPMS_DERIVE` that takes the place of the template's
//! unique field; where one of them is empty, from a `TPMS_DERIVE` in `inSensitive.data`
//! (Part 2, `TPMS_DERIVE`: "the values in the unique field ... take precedence"). RSA
//! keys are not derived (`TPM_RC_TYPE`: a prime search has no fixed number of draws).

use super::derive::make_object;
use super::Object;
use tpm2_crypto::kdf::kdfa;
use tpm2_types::constants::{alg, obj_attr};
use tpm2_types::object::{KeyedHashScheme, PublicParms, TpmtPublic, TpmtSensitive};
use tpm2_types::{Codec, HashAlg, Rc, Reader, Tpm2b};
use zeroize::Zeroizing;

/// `TPM_LABEL_MAX_BUFFER`: the largest label or context of a `TPMS_DERIVE`.
pub const LABEL_MAX: usize = 32;
/// `TPM_MAX_DERIVATION_BITS`: the length the derivation KDF is keyed with (the `L` of
/// every block) and the most it may produce.
pub const MAX_DERIVATION_BITS: u32 = 8192;

/// `TPMS_DERIVE` (Part 2): two `TPM2B_LABEL`s.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Derive {
    pub label: Vec<u8>,
    pub context: Vec<u8>,
}

impl Derive {
    /// Reads a `TPMS_DERIVE`: a label or context over [`LABEL_MAX`] octets is
    /// `TPM_RC_SIZE`, a short buffer `TPM_RC_INSUFFICIENT` (no parameter number).
    pub fn read(r: &mut Reader<'_>) -> Result<Derive, Rc> {
        let label = Tpm2b::<LABEL_MAX>::read(r)?.0;
        let context = Tpm2b::<LABEL_MAX>::read(r)?.0;
        Ok(Derive { label, context })
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        Tpm2b::<LABEL_MAX>(self.label.clone()).encode(out);
        Tpm2b::<LABEL_MAX>(self.context.clone()).encode(out);
    }

    /// Fills an empty label or context from the `TPMS_DERIVE` in `inSensitive.data`
    /// (the reference's `SetLabelAndContext`). Empty data leaves both as they are;
    /// octets after the structure are ignored; a malformed one is the unmarshalling
    /// code without a parameter number.
    pub fn complete_from(&mut self, data: &[u8]) -> Result<(), Rc> {
        if data.is_empty() {
            return Ok(());
        }
        let other = Derive::read(&mut Reader::new(data))?;
        if self.label.is_empty() {
            self.label = other.label;
        }
        if self.context.is_empty() {
            self.context = other.context;
        }
        Ok(())
    }
}

/// Whether an object is a derivation parent (Part 1, "Derivation Parent"): a restricted decryption
/// KEYEDHASH object with its sensitive area.
pub fn is_derivation_parent(o: &Object) -> bool {
    o.public.type_alg() == alg::KEYEDHASH
        && o.has(obj_attr::RESTRICTED)
        && o.has(obj_attr::DECRYPT)
        && !o.has(obj_attr::SIGN_ENCRYPT)
        && o.sensitive.is_some()
}

/// A TPM2_CreateLoaded template (`TPM2B_TEMPLATE` contents, Part 2): a
/// `TPMT_PUBLIC` whose unique field is a `TPMS_DERIVE` when the parent is a derivation
/// parent (returned separately; the public area's unique field is then empty). Every
/// octet must be used (`TPM_RC_SIZE`); errors carry no parameter number.
pub fn parse_template(bytes: &[u8], derivation: bool) -> Result<(TpmtPublic, Derive), Rc> {
    let mut r = Reader::new(bytes);
    let (public, derive) = if derivation {
        let public = TpmtPublic::read_head(&mut r, false)?;
        (public, Derive::read(&mut r)?)
    } else {
        (TpmtPublic::read_opt(&mut r, false)?, Derive::default())
    };
    if !r.is_empty() {
        return Err(Rc::SIZE);
    }
    Ok((public, derive))
}

/// The attribute rules for a derived object beyond those of any child (Part 1, "Derived
/// Objects"; the reference's `PublicAttributesValidation`): the same `fixedTPM` as its parent, and
/// `fixedParent` SET. `TPM_RC_ATTRIBUTES`, numbered by the caller.
pub fn check_derived_attributes(public: &TpmtPublic, parent: &Object) -> Result<(), Rc> {
    if public.has(obj_attr::FIXED_TPM) != parent.has(obj_attr::FIXED_TPM)
        || !public.has(obj_attr::FIXED_PARENT)
    {
        return Err(Rc::ATTRIBUTES);
    }
    Ok(())
}

/// The derivation KDF as a byte stream: KDFa blocks with the counter running on from 1,
/// `L` = [`MAX_DERIVATION_BITS`]. Asking for more than that is `TPM_RC_NO_RESULT`.
pub struct DerivationStream {
    bytes: Zeroizing<Vec<u8>>,
    at: usize,
    overrun: bool,
}

impl DerivationStream {
    pub fn new(hash: HashAlg, key: &[u8], d: &Derive) -> DerivationStream {
        DerivationStream {
            bytes: Zeroizing::new(kdfa(
                hash,
                key,
                &d.label,
                &d.context,
                b"",
                MAX_DERIVATION_BITS,
            )),
            at: 0,
            overrun: false,
        }
    }

    /// The next `out.len()` octets of the stream (zeros, and the stream marked overrun,
    /// past its end).
    pub fn fill(&mut self, out: &mut [u8]) {
        let end = self.at.saturating_add(out.len());
        match self.bytes.get(self.at..end) {
            Some(b) => {
                out.copy_from_slice(b);
                self.at = end;
            }
            None => {
                out.fill(0);
                self.overrun = true;
            }
        }
    }

    pub fn draw(&mut self, n: usize) -> Zeroizing<Vec<u8>> {
        let mut v = Zeroizing::new(vec![0u8; n]);
        self.fill(&mut v);
        v
    }
}

/// The hash of a derivation parent's KDF: its XOR scheme's hash.
pub fn parent_kdf_hash(parent: &Object) -> Result<HashAlg, Rc> {
    match &parent.public.parms {
        PublicParms::KeyedHash(KeyedHashScheme::Xor { hash, .. }) => Ok(*hash),
        _ => Err(Rc::TYPE.handle(1)),
    }
}

/// The public area (unique field computed) and sensitive area (authValue empty) of the
/// child `template` (already validated: not RSA, `sensitiveDataOrigin` CLEAR) of a
/// derivation parent with KDF hash `hash` and sensitive value `key`.
pub fn derive_object(
    hash: HashAlg,
    key: &[u8],
    template: &TpmtPublic,
    d: &Derive,
) -> Result<(TpmtPublic, TpmtSensitive), Rc> {
    let name_alg = template.name_alg.ok_or(Rc::HASH)?;
    let mut stream = DerivationStream::new(hash, key, d);
    // A symmetric key or HMAC/data secret is the stream's first octets (the reference's
    // CryptGenerateKeySymmetric/CryptGenerateKeyedHash with no caller data); it is then
    // handed to the common maker as if it were the caller's, which draws the seedValue
    // from the stream next. An ECC key is drawn by the common maker itself.
    let secret = match &template.parms {
        PublicParms::Rsa(_) => return Err(Rc::TYPE),
        PublicParms::Ecc(_) => Zeroizing::new(Vec::new()),
        PublicParms::SymCipher(s) => stream.draw(usize::from(s.key_bits) / 8),
        PublicParms::KeyedHash(s) => {
            let h = match s {
                KeyedHashScheme::Hmac(h) => *h,
                KeyedHashScheme::Xor { hash, .. } => *hash,
                KeyedHashScheme::Null => name_alg,
            };
            stream.draw(h.digest_size())
        }
    };
    let (public, sensitive) = {
        let mut rng = |out: &mut [u8]| stream.fill(out);
        make_object(template, &secret, &mut rng)?
    };
    if stream.overrun {
        return Err(Rc::NO_RESULT);
    }
    Ok((public, sensitive))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derive_reads_two_labels() {
        let mut b = Vec::new();
        Derive {
            label: b"l".to_vec(),
            context: b"ctx".to_vec(),
        }
        .encode(&mut b);
        let d = Derive::read(&mut Reader::new(&b)).unwrap();
        assert_eq!(
            (d.label.as_slice(), d.context.as_slice()),
            (&b"l"[..], &b"ctx"[..])
        );
        assert_eq!(
            Derive::read(&mut Reader::new(&b[..4])),
            Err(Rc::INSUFFICIENT)
        );
        let mut long = vec![0, 33];
        long.extend([0; 33]);
        long.extend([0, 0]);
        assert_eq!(Derive::read(&mut Reader::new(&long)), Err(Rc::SIZE));
    }

    #[test]
    fn the_template_takes_precedence() {
        let mut d = Derive {
            label: b"pub".to_vec(),
            context: Vec::new(),
        };
        let mut data = Vec::new();
        Derive {
            label: b"sl".to_vec(),
            context: b"sc".to_vec(),
        }
        .encode(&mut data);
        data.push(7); // ignored
        d.complete_from(&data).unwrap();
        assert_eq!(d.label, b"pub");
        assert_eq!(d.context, b"sc");
        assert_eq!(d.complete_from(&[0, 5]), Err(Rc::INSUFFICIENT));
    }

    #[test]
    fn the_stream_is_one_kdfa_run() {
        let d = Derive {
            label: b"L".to_vec(),
            context: b"C".to_vec(),
        };
        let mut s = DerivationStream::new(HashAlg::Sha256, &[1; 32], &d);
        let whole = kdfa(HashAlg::Sha256, &[1; 32], b"L", b"C", b"", 8192);
        let (a, b) = (s.draw(40), s.draw(50));
        assert_eq!([&a[..], &b[..]].concat(), whole[..90]);
        s.draw(1024);
        assert!(s.overrun);
    }
}
