//! Asymmetric primitives (Part 3, §14): TPM2_RSA_Encrypt, TPM2_RSA_Decrypt,
//! TPM2_ECDH_KeyGen, TPM2_ECDH_ZGen, TPM2_ECC_Parameters.

use crate::dispatch::Command;
use crate::object::keys::Key;
use crate::object::Object;
use crate::Tpm;
use tpm2_crypto::ecc::{self, EccCurve};
use tpm2_types::constants::{alg, obj_attr};
use tpm2_types::object::{
    EccPoint, PublicParms, Scheme, Tpm2bEccPoint, Tpm2bPublicKeyRsa, ECC_CURVES,
    RSA_DECRYPT_SCHEMES,
};
use tpm2_types::{Codec, Rc, Tpm2b, Tpm2bData};

/// An RSA decryption key usable for RSA_Decrypt (`restricted` CLEAR too) or RSA_Encrypt
/// (a public-key operation: any RSA key with `decrypt` SET, Part 3 §14.2): an RSA key
/// at all (`TPM_RC_KEY`), the attributes (`TPM_RC_ATTRIBUTES`).
fn rsa_decrypt_key(o: &Object, decrypting: bool) -> Result<(), Rc> {
    if o.public.type_alg() != alg::RSA {
        return Err(Rc::KEY.handle(1));
    }
    if (decrypting && o.has(obj_attr::RESTRICTED)) || !o.has(obj_attr::DECRYPT) {
        return Err(Rc::ATTRIBUTES.handle(1));
    }
    Ok(())
}

/// The padding scheme: the key's, or the caller's when the key has none; the key's may
/// be repeated (`TPM_RC_SCHEME` otherwise). NULL on both sides is raw RSA.
fn select_decrypt_scheme(o: &Object, given: Scheme) -> Result<Scheme, Rc> {
    let own = match &o.public.parms {
        PublicParms::Rsa(p) => p.scheme,
        _ => Scheme::Null,
    };
    match (own, given) {
        (Scheme::Null, g) => Ok(g),
        (k, Scheme::Null) => Ok(k),
        (k, g) if k == g => Ok(k),
        _ => Err(Rc::SCHEME.param(2)),
    }
}

fn read_params(c: &mut Command<'_>) -> Result<(Tpm2bPublicKeyRsa, Scheme, Tpm2bData), Rc> {
    let data: Tpm2bPublicKeyRsa = c.params.read()?;
    let scheme = c
        .params
        .read_with(|r| Scheme::read_from(r, &RSA_DECRYPT_SCHEMES, true, Rc::VALUE))?;
    let label: Tpm2bData = c.params.read()?;
    c.params.end()?;
    // A label must end in a zero octet (Part 1, §B.4: it is a string).
    if !label.is_empty() && label.as_slice().last() != Some(&0) {
        return Err(Rc::VALUE.param(3));
    }
    Ok((data, scheme, label))
}

/// TPM2_RSA_Encrypt (no authorization: it uses the public key only).
pub fn rsa_encrypt(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let (msg, given, label) = read_params(c)?;
    let o = tpm.object_at(c.handle(0), 1)?.clone();
    rsa_decrypt_key(&o, false)?;
    let scheme = select_decrypt_scheme(&o, given)?;
    let key = o.key()?;
    let public = key.rsa_public().ok_or(Rc::KEY.handle(1))?;
    let rng = &mut tpm.rt.drbg;
    let out = match scheme {
        Scheme::Null => public.encrypt_raw(msg.as_slice()),
        Scheme::Rsaes => public.encrypt_pkcs1v15(msg.as_slice(), rng),
        Scheme::Oaep(h) => public.encrypt_oaep(h, label.as_slice(), msg.as_slice(), rng),
        _ => return Err(Rc::SCHEME.param(2)),
    }
    // A message the padding (or the modulus) cannot take: TPM_RC_VALUE from the RSA
    // primitive, without a parameter number (as libtpms for a message longer than the
    // modulus).
    .map_err(|_| Rc::VALUE)?;
    c.put(&Tpm2bPublicKeyRsa::from(out));
    Ok(())
}

/// TPM2_RSA_Decrypt.
pub fn rsa_decrypt(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let (ct, given, label) = read_params(c)?;
    let o = tpm.object_at(c.handle(0), 1)?.clone();
    rsa_decrypt_key(&o, true)?;
    let scheme = select_decrypt_scheme(&o, given)?;
    let key = o.key()?;
    let Key::RsaPrivate(k) = &*key else {
        return Err(Rc::KEY.handle(1));
    };
    // From the RSA primitive, without a parameter number (as libtpms).
    if ct.len() != k.public().size_bytes() {
        return Err(Rc::SIZE);
    }
    let rng = &mut tpm.rt.drbg;
    let out = match scheme {
        Scheme::Null => k.decrypt_raw(ct.as_slice(), rng),
        Scheme::Rsaes => k.decrypt_pkcs1v15(ct.as_slice(), rng),
        Scheme::Oaep(h) => k.decrypt_oaep(h, label.as_slice(), ct.as_slice(), rng),
        _ => return Err(Rc::SCHEME.param(2)),
    }
    .map_err(|_| Rc::VALUE)?;
    c.put(&Tpm2bPublicKeyRsa::from(out));
    Ok(())
}

/// An ECC key for ECDH: unrestricted, `decrypt` SET, scheme ECDH or NULL.
fn ecdh_key(o: &Object) -> Result<(), Rc> {
    let PublicParms::Ecc(p) = &o.public.parms else {
        return Err(Rc::KEY.handle(1));
    };
    if o.has(obj_attr::RESTRICTED) || !o.has(obj_attr::DECRYPT) {
        return Err(Rc::ATTRIBUTES.handle(1));
    }
    if !matches!(p.scheme, Scheme::Null | Scheme::Ecdh(_)) {
        return Err(Rc::SCHEME.handle(1));
    }
    Ok(())
}

fn to_point(p: ecc::EccPoint) -> Tpm2bEccPoint {
    Tpm2bEccPoint(EccPoint {
        x: Tpm2b(p.x),
        y: Tpm2b(p.y),
    })
}

/// A point's coordinates as integers of the curve's size: leading zeros do not count
/// (libtpms reads them as numbers); a coordinate larger than the field is no point.
fn coordinates(curve: EccCurve, p: &EccPoint) -> Option<ecc::EccPoint> {
    let n = curve.key_bytes();
    let fit = |v: &[u8]| -> Option<Vec<u8>> {
        let z = v.iter().take_while(|b| **b == 0).count();
        let v = &v[z..];
        if v.len() > n {
            return None;
        }
        let mut out = vec![0; n - v.len()];
        out.extend_from_slice(v);
        Some(out)
    };
    Some(ecc::EccPoint {
        x: fit(p.x.as_slice())?,
        y: fit(p.y.as_slice())?,
    })
}

/// TPM2_ECDH_KeyGen: an ephemeral key pair and the shared point with the loaded public key.
pub fn ecdh_keygen(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    c.params.end()?;
    let o = tpm.object_at(c.handle(0), 1)?.clone();
    // A public-key operation: any ECC key will do (Part 3 §14.4 lists only TPM_RC_KEY).
    let key = o.key()?;
    let Key::Ecc { curve, q, .. } = &*key else {
        return Err(Rc::KEY.handle(1));
    };
    let (public, z) =
        ecc::ecdh_keygen(*curve, q, &mut tpm.rt.drbg).map_err(|_| Rc::ECC_POINT.handle(1))?;
    c.put(&to_point(z));
    c.put(&to_point(public));
    Ok(())
}

/// TPM2_ECDH_ZGen: the shared point of the loaded private key and `inPoint`.
pub fn ecdh_zgen(tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let point: Tpm2bEccPoint = c.params.read()?;
    c.params.end()?;
    let o = tpm.object_at(c.handle(0), 1)?.clone();
    ecdh_key(&o)?;
    let key = o.key()?;
    let Key::Ecc {
        curve, d: Some(d), ..
    } = &*key
    else {
        return Err(Rc::KEY.handle(1));
    };
    let peer = coordinates(*curve, &point.0).ok_or(Rc::ECC_POINT.param(1))?;
    let z = ecc::ecdh_zgen(*curve, d, &peer).map_err(|_| Rc::ECC_POINT.param(1))?;
    c.put(&to_point(z));
    Ok(())
}

/// TPM2_ECC_Parameters: `TPMS_ALGORITHM_DETAIL_ECC` of an implemented curve.
pub fn ecc_parameters(_tpm: &mut Tpm, c: &mut Command<'_>) -> Result<(), Rc> {
    let id = c.params.read_with(|r| {
        let id = r.u16()?;
        if ECC_CURVES.contains(&id) {
            Ok(id)
        } else {
            Err(Rc::CURVE)
        }
    })?;
    c.params.end()?;
    let curve = EccCurve::from_id(id).ok_or(Rc::CURVE.param(1))?;
    c.put(&id);
    c.put(&curve.key_bits());
    // kdf: KDF1_SP800_56A with the hash of the curve's size, sign: NULL, as the curve
    // table of the reference implementation (and libtpms) gives them.
    alg::KDF1_SP800_56A.encode(&mut c.out);
    match curve.key_bits() {
        256 => alg::SHA256,
        384 => alg::SHA384,
        _ => alg::SHA512,
    }
    .encode(&mut c.out);
    alg::NULL.encode(&mut c.out);
    for v in [
        curve.p(),
        curve.a(),
        curve.b(),
        curve.gx(),
        curve.gy(),
        curve.n(),
        curve.h(),
    ] {
        c.put(&Tpm2b::<{ tpm2_types::object::MAX_ECC_KEY_BYTES }>(v));
    }
    Ok(())
}
