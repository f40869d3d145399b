//! Interoperability of the ecc module with the `openssl` command-line tool: curve
//! parameters, ECDSA in both directions, ECDH. These tests fail (they do not skip) when
//! `openssl` is not installed.

use std::path::PathBuf;
use std::process::Command;
use tpm2_crypto::ecc::{self, EccCurve, EccPoint};
use tpm2_crypto::CtrDrbg;
use tpm2_types::HashAlg;

fn openssl(args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl command-line tool is required by this test");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// `openssl` exit status only (for verification, where failure is an answer).
fn openssl_ok(args: &[&str]) -> bool {
    Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl command-line tool is required by this test")
        .status
        .success()
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> Self {
        let p = std::env::temp_dir().join(format!("tpm2-crypto-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn file(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn ossl_name(c: EccCurve) -> &'static str {
    match c {
        EccCurve::NistP256 => "prime256v1",
        EccCurve::NistP384 => "secp384r1",
        EccCurve::NistP521 => "secp521r1",
    }
}

fn curve_oid(c: EccCurve) -> Vec<u8> {
    match c {
        EccCurve::NistP256 => vec![0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
        EccCurve::NistP384 => vec![0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22],
        EccCurve::NistP521 => vec![0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23],
    }
}

// --- a little DER ---

fn tlv(tag: u8, v: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    if v.len() < 0x80 {
        out.push(v.len() as u8);
    } else {
        let l = (v.len() as u32).to_be_bytes();
        let skip = l.iter().position(|&b| b != 0).unwrap();
        out.push(0x80 | (4 - skip) as u8);
        out.extend_from_slice(&l[skip..]);
    }
    out.extend_from_slice(v);
    out
}

/// DER INTEGER of an unsigned big-endian value.
fn der_uint(v: &[u8]) -> Vec<u8> {
    let first = v.iter().position(|&b| b != 0).unwrap_or(v.len() - 1);
    let mut body = v[first..].to_vec();
    if body[0] & 0x80 != 0 {
        body.insert(0, 0);
    }
    tlv(0x02, &body)
}

/// The elements of a constructed DER value: (tag, contents).
fn der_items(mut b: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let tag = b[0];
        let (len, hdr) = if b[1] < 0x80 {
            (b[1] as usize, 2)
        } else {
            let n = (b[1] & 0x7f) as usize;
            let mut l = 0usize;
            for &x in &b[2..2 + n] {
                l = (l << 8) | x as usize;
            }
            (l, 2 + n)
        };
        out.push((tag, b[hdr..hdr + len].to_vec()));
        b = &b[hdr + len..];
    }
    out
}

fn one(b: &[u8]) -> Vec<u8> {
    let items = der_items(b);
    assert_eq!(items.len(), 1);
    items[0].1.clone()
}

/// An unsigned integer (DER INTEGER contents) as exactly `len` octets.
fn fixed(v: &[u8], len: usize) -> Vec<u8> {
    let first = v.iter().position(|&b| b != 0).unwrap_or(v.len());
    let v = &v[first..];
    assert!(v.len() <= len);
    [vec![0; len - v.len()], v.to_vec()].concat()
}

/// SubjectPublicKeyInfo (RFC 5480) of an uncompressed point.
fn spki(c: EccCurve, q: &EccPoint) -> Vec<u8> {
    let ec_public_key = [0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    let alg = tlv(0x30, &[&ec_public_key[..], &curve_oid(c)].concat());
    let bits = [&[0u8, 0x04][..], &q.x, &q.y].concat();
    tlv(0x30, &[alg, tlv(0x03, &bits)].concat())
}

fn ecdsa_sig_der(r: &[u8], s: &[u8]) -> Vec<u8> {
    tlv(0x30, &[der_uint(r), der_uint(s)].concat())
}

/// A fresh openssl key: (PEM path, d, Q) read back from its SEC 1 DER.
fn openssl_key(dir: &TempDir, c: EccCurve, tag: &str) -> (String, Vec<u8>, EccPoint) {
    let pem = dir.file(&format!("{tag}.pem"));
    openssl(&[
        "ecparam",
        "-name",
        ossl_name(c),
        "-genkey",
        "-noout",
        "-out",
        &pem,
    ]);
    let der = openssl(&["ec", "-in", &pem, "-outform", "DER"]);
    let items = der_items(&one(&der));
    let kb = c.key_bytes();
    let d = fixed(&items[1].1, kb);
    let bits = one(&items[3].1);
    assert_eq!(&bits[..2], &[0, 4]);
    let q = EccPoint {
        x: bits[2..2 + kb].to_vec(),
        y: bits[2 + kb..].to_vec(),
    };
    (pem, d, q)
}

fn write(path: &str, data: &[u8]) {
    std::fs::write(path, data).unwrap();
}

#[test]
fn parameters_match_openssl() {
    for c in EccCurve::ALL {
        let der = openssl(&[
            "ecparam",
            "-name",
            ossl_name(c),
            "-param_enc",
            "explicit",
            "-outform",
            "DER",
        ]);
        // ECParameters ::= SEQUENCE { version, fieldID { prime-field, p }, curve { a, b, seed },
        //                             base, order, cofactor }
        let items = der_items(&one(&der));
        let kb = c.key_bytes();
        let field = der_items(&items[1].1);
        assert_eq!(fixed(&field[1].1, kb), c.p(), "{c:?} p");
        let curve = der_items(&items[2].1);
        assert_eq!(fixed(&curve[0].1, kb), c.a(), "{c:?} a");
        assert_eq!(fixed(&curve[1].1, kb), c.b(), "{c:?} b");
        let base = &items[3].1;
        assert_eq!(base[0], 4);
        assert_eq!(base[1..1 + kb].to_vec(), c.gx(), "{c:?} gx");
        assert_eq!(base[1 + kb..].to_vec(), c.gy(), "{c:?} gy");
        assert_eq!(fixed(&items[4].1, kb), c.n(), "{c:?} n");
        assert_eq!(fixed(&items[5].1, 1), c.h(), "{c:?} h");
    }
}

/// Digests of every TPM hash and a short one: bits2int both ways (SHA-512 on P-256 keeps
/// its first 256 bits; every digest is shorter than P-521's n).
fn digests() -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = HashAlg::ALL
        .iter()
        .map(|&h| tpm2_crypto::digest(h, &[b"interop"]))
        .collect();
    // (openssl refuses "digests" longer than 64 octets.)
    v.push(vec![0xa5; 64]);
    v.push(vec![0x01, 0x02, 0x03]);
    v
}

#[test]
fn our_ecdsa_signatures_verify_with_openssl() {
    let dir = TempDir::new("ecdsa-ours");
    let mut rng = CtrDrbg::new(b"ecdsa interop, ours to openssl");
    for c in EccCurve::ALL {
        let (d, q) = ecc::generate(c, &mut rng);
        let pubf = dir.file("pub.der");
        write(&pubf, &spki(c, &q));
        for (i, digest) in digests().iter().enumerate() {
            let (r, s) = ecc::ecdsa_sign(c, &d, digest, &mut rng).unwrap();
            let (dig, sig) = (dir.file("dig.bin"), dir.file("sig.der"));
            write(&dig, digest);
            write(&sig, &ecdsa_sig_der(&r, &s));
            let args = [
                "pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey", &pubf, "-in", &dig,
                "-sigfile", &sig,
            ];
            assert!(
                openssl_ok(&args),
                "{c:?} digest #{i} ({} octets)",
                digest.len()
            );
            // And a wrong signature is refused by openssl too (so the check means something).
            let mut bad = s.clone();
            bad[5] ^= 1;
            write(&sig, &ecdsa_sig_der(&r, &bad));
            assert!(
                !openssl_ok(&args),
                "{c:?}: openssl accepted a bad signature"
            );
        }
    }
}

#[test]
fn openssl_ecdsa_signatures_verify_with_ours() {
    let dir = TempDir::new("ecdsa-theirs");
    for c in EccCurve::ALL {
        let (pem, d, q) = openssl_key(&dir, c, "key");
        assert_eq!(ecc::public_key(c, &d).unwrap(), q, "{c:?}: our Q = dG");
        for (i, digest) in digests().iter().enumerate() {
            let dig = dir.file("dig.bin");
            write(&dig, digest);
            let sig = openssl(&["pkeyutl", "-sign", "-inkey", &pem, "-in", &dig]);
            let rs = der_items(&one(&sig));
            let (r, s) = (&rs[0].1, &rs[1].1);
            let kb = c.key_bytes();
            assert!(
                ecc::ecdsa_verify(c, &q, digest, &fixed(r, kb), &fixed(s, kb)),
                "{c:?} digest #{i} ({} octets)",
                digest.len()
            );
            let mut bad = digest.clone();
            bad[0] ^= 1;
            assert!(!ecc::ecdsa_verify(
                c,
                &q,
                &bad,
                &fixed(r, kb),
                &fixed(s, kb)
            ));
        }
    }
}

#[test]
fn ecdh_matches_openssl_derive() {
    let dir = TempDir::new("ecdh");
    let mut rng = CtrDrbg::new(b"ecdh interop");
    for c in EccCurve::ALL {
        let (pem, d_theirs, q_theirs) = openssl_key(&dir, c, "theirs");
        let (d_ours, q_ours) = ecc::generate(c, &mut rng);
        let peer = dir.file("ours.der");
        write(&peer, &spki(c, &q_ours));
        let z_openssl = openssl(&[
            "pkeyutl",
            "-derive",
            "-inkey",
            &pem,
            "-peerkey",
            &peer,
            "-peerform",
            "DER",
        ]);
        let z = ecc::ecdh_zgen(c, &d_ours, &q_theirs).unwrap();
        assert_eq!(z.x, z_openssl, "{c:?}: Z.x");
        assert_eq!(ecc::ecdh_zgen(c, &d_theirs, &q_ours).unwrap(), z);
        // The ephemeral form: openssl derives the same secret from our ephemeral key.
        let (q_e, z_e) = ecc::ecdh_keygen(c, &q_theirs, &mut rng).unwrap();
        write(&peer, &spki(c, &q_e));
        let z_openssl = openssl(&[
            "pkeyutl",
            "-derive",
            "-inkey",
            &pem,
            "-peerkey",
            &peer,
            "-peerform",
            "DER",
        ]);
        assert_eq!(z_e.x, z_openssl, "{c:?}: ephemeral Z.x");
    }
}

#[test]
fn openssl_is_really_there() {
    // Guard against a PATH where `openssl` is some stub: it must know the curves.
    let out = openssl(&["ecparam", "-list_curves"]);
    let text = String::from_utf8_lossy(&out);
    for c in EccCurve::ALL {
        assert!(text.contains(ossl_name(c)), "{}", ossl_name(c));
    }
}

#[test]
fn kdfe_matches_openssl_sskdf() {
    // KDFe is SP 800-56C's single-step KDF with a hash, FixedInfo = Use || 00 || U || V:
    // openssl's SSKDF computes the same octets.
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let z = [0x5cu8; 48];
    let (u, v) = (b"party U x-coordinate".as_slice(), b"party V".as_slice());
    for h in HashAlg::ALL {
        for (label, bits) in [
            (&b"SECRET"[..], 256u32),
            (b"IDENTITY\0", 520),
            (b"", 8),
            (b"DUPLICATE", 1000),
        ] {
            let ours = tpm2_crypto::kdf::kdfe(h, &z, label, u, v, bits);
            let mut info = label.to_vec();
            if label.last() != Some(&0) {
                info.push(0);
            }
            info.extend_from_slice(u);
            info.extend_from_slice(v);
            let digest = match h {
                HashAlg::Sha1 => "SHA1",
                HashAlg::Sha256 => "SHA256",
                HashAlg::Sha384 => "SHA384",
                HashAlg::Sha512 => "SHA512",
            };
            let out = openssl(&[
                "kdf",
                "-binary",
                "-keylen",
                &(bits / 8).to_string(),
                "-kdfopt",
                &format!("digest:{digest}"),
                "-kdfopt",
                &format!("hexkey:{}", hex(&z)),
                "-kdfopt",
                &format!("hexinfo:{}", hex(&info)),
                "SSKDF",
            ]);
            assert_eq!(ours, out, "{h:?} {bits} bits");
        }
    }
}
