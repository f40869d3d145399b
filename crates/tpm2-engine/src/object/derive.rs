//! Making the secret of a new object, and primary objects as a pure function of
//! (hierarchy seed, template, sensitive data).
//!
//! A primary object's random bytes come from a CTR_DRBG instantiated with
//! `KDFa(nameAlg, seed, "Primary Object Creation", Name(template), data, 384)`: the same
//! seed and template give the same key on every machine and in every release (pinned by
//! `tests/objects/golden.rs`). The bytes are drawn in a fixed order: the key (RSA primes
//! by `tpm2_crypto::rsa`'s documented search, an ECC scalar, or a symmetric/HMAC key when
//! the TPM makes it), then the seedValue.
//!
//! Deriving an RSA key takes a while, so derived primaries are cached by a digest of
//! (seed, template, data); a changed seed can never hit, and `seed_changed` empties the
//! cache anyway.

use super::keys::Key;
use crate::Tpm;
use std::sync::Arc;
use tpm2_crypto::ecc;
use tpm2_crypto::kdf::kdfa;
use tpm2_crypto::rsa::RsaPrivateKey;
use tpm2_crypto::{digest, CtrDrbg, Hasher, RandomSource};
use tpm2_types::constants::obj_attr;
use tpm2_types::object::{
    EccPoint, KeyedHashScheme, PublicParms, TpmtPublic, TpmtSensitive, Unique,
};
use tpm2_types::{Codec, HashAlg, Rc, Tpm2b};

/// Derived primaries kept.
const CACHE_ENTRIES: usize = 8;

/// A cached primary: the public area, the sensitive area without its authValue, and the
/// parsed key.
#[derive(Clone)]
pub struct CachedPrimary {
    key: [u8; 32],
    pub public: TpmtPublic,
    pub sensitive: TpmtSensitive,
    pub parsed: Arc<Key>,
}

/// Makes the secret of a new object from `template` (already validated): returns the
/// public area with its unique field filled and the sensitive area with an empty authValue.
/// `data` is the caller's secret (`inSensitive.data`) where the template lets it give one.
pub fn make_object(
    template: &TpmtPublic,
    data: &[u8],
    rng: &mut dyn RandomSource,
) -> Result<(TpmtPublic, TpmtSensitive), Rc> {
    let name_alg = template.name_alg.ok_or(Rc::HASH)?;
    let mut public = template.clone();
    let mut draw = |n: usize| {
        let mut v = vec![0u8; n];
        rng.fill(&mut v);
        v
    };
    let (secret, unique_of): (Vec<u8>, Option<Unique>) = match &template.parms {
        PublicParms::Rsa(p) => {
            let e = super::keys::rsa_exponent(p.exponent);
            let mut f = |out: &mut [u8]| out.copy_from_slice(&draw(out.len()));
            let k = RsaPrivateKey::generate(p.key_bits, e, &mut f).map_err(|_| Rc::KEY_SIZE)?;
            (k.prime(), Some(Unique::Rsa(Tpm2b(k.public().modulus()))))
        }
        PublicParms::Ecc(p) => {
            let curve = super::keys::curve_of(p.curve)?;
            let mut f = |out: &mut [u8]| out.copy_from_slice(&draw(out.len()));
            let (d, q) = ecc::generate(curve, &mut f);
            (
                d.to_vec(),
                Some(Unique::Ecc(EccPoint {
                    x: Tpm2b(q.x),
                    y: Tpm2b(q.y),
                })),
            )
        }
        PublicParms::SymCipher(s) => {
            let key = if data.is_empty() {
                draw(s.key_bits as usize / 8)
            } else {
                data.to_vec()
            };
            (key, None)
        }
        PublicParms::KeyedHash(s) => {
            let key = if template.has(obj_attr::SENSITIVE_DATA_ORIGIN) {
                let h = match s {
                    KeyedHashScheme::Hmac(h) => *h,
                    _ => name_alg,
                };
                draw(h.digest_size())
            } else {
                data.to_vec()
            };
            (key, None)
        }
    };
    // The seedValue, nameAlg-sized for every object (Part 2, TPMT_SENSITIVE): a parent's
    // seed, or the obfuscation value of any other object — of a symmetric or data object
    // it also makes the unique field ([`symmetric_unique`]). Drawn after the key, so a
    // primary's public area does not depend on it.
    let seed = draw(name_alg.digest_size());
    public.unique = match unique_of {
        Some(u) => u,
        None => Unique::Digest(Tpm2b(symmetric_unique(template, name_alg, &seed, &secret))),
    };
    let sensitive = TpmtSensitive {
        type_alg: template.type_alg(),
        auth: Tpm2b::empty(),
        seed: Tpm2b(seed),
        sensitive: secret,
    };
    Ok((public, sensitive))
}

/// The unique field of a KEYEDHASH or SYMCIPHER object (Part 1, "Symmetric object
/// unique"; the reference's `CryptComputeSymmetricUnique`): for a parent (`restricted`
/// and `decrypt`: a symmetric storage key or a derivation parent)
/// HMAC_nameAlg(seedValue, sensitive), otherwise H_nameAlg(seedValue || sensitive).
pub fn symmetric_unique(
    public: &TpmtPublic,
    name_alg: HashAlg,
    seed: &[u8],
    sensitive: &[u8],
) -> Vec<u8> {
    if public.has(obj_attr::RESTRICTED) && public.has(obj_attr::DECRYPT) {
        tpm2_crypto::hmac(name_alg, seed, &[sensitive])
    } else {
        digest(name_alg, &[seed, sensitive])
    }
}

/// The DRBG a primary object is derived with.
fn primary_drbg(name_alg: HashAlg, seed: &[u8], template: &TpmtPublic, data: &[u8]) -> CtrDrbg {
    let name = super::public_name(template);
    let entropy = kdfa(
        name_alg,
        seed,
        b"Primary Object Creation",
        &name,
        data,
        tpm2_crypto::drbg::SEED_LEN as u32 * 8,
    );
    CtrDrbg::new(&entropy)
}

impl Tpm {
    /// The public and sensitive areas (authValue empty) of the primary object `template`
    /// gives in the hierarchy with primary seed `seed`, with its parsed key (cached).
    pub(crate) fn derive_primary(
        &mut self,
        seed: &[u8],
        template: &TpmtPublic,
        data: &[u8],
    ) -> Result<CachedPrimary, Rc> {
        let name_alg = template.name_alg.ok_or(Rc::HASH)?;
        let key: [u8; 32] = Hasher::new(HashAlg::Sha256)
            .with(&(seed.len() as u32).to_be_bytes())
            .with(seed)
            .with(&template.to_bytes())
            .with(data)
            .finish()
            .try_into()
            .map_err(|_| Rc::FAILURE)?;
        if let Some(c) = self.rt.primary_cache.iter().find(|c| c.key == key) {
            return Ok(c.clone());
        }
        let mut drbg = primary_drbg(name_alg, seed, template, data);
        let (public, sensitive) = make_object(template, data, &mut drbg)?;
        let parsed = Arc::new(Key::from_generated(&public, &sensitive)?);
        let c = CachedPrimary {
            key,
            public,
            sensitive,
            parsed,
        };
        if self.rt.primary_cache.len() >= CACHE_ENTRIES {
            self.rt.primary_cache.remove(0);
        }
        self.rt.primary_cache.push(c.clone());
        Ok(c)
    }
}
