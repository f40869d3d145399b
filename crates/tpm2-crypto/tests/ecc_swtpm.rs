//! Live interoperability with a real TPM 2.0 (swtpm/libtpms through tpm2-tools): our
//! EC-Schnorr and ECDSA signatures verify in TPM2_VerifySignature, and the TPM's verify
//! with ours. It needs `swtpm`, `tpm2-tools` and `openssl` (installed by the test command)
//! and fails without them. Stored swtpm signatures are
//! checked on every run by `tests/ecc.rs` (`swtpm_ecschnorr_signatures_verify`).

use std::process::Command;
use tpm2_crypto::ecc::{self, EccCurve, EccPoint};
use tpm2_crypto::CtrDrbg;
use tpm2_types::HashAlg;

mod swtpm;
use swtpm::Swtpm;

/// A tpm2-tools command on the swtpm; whether it succeeded (failures are printed).
fn tool(tpm: &Swtpm, args: &[&str]) -> bool {
    let out = tpm.run(args);
    if !out.status.success() {
        eprintln!("{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    out.status.success()
}

fn tlv(tag: u8, v: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    if v.len() < 0x80 {
        out.push(v.len() as u8);
    } else {
        out.extend_from_slice(&[0x81, v.len() as u8]);
    }
    out.extend_from_slice(v);
    out
}

/// SEC 1 ECPrivateKey DER of our key, for tpm2_loadexternal (through openssl's PEM).
fn sec1(c: EccCurve, d: &[u8], q: &EccPoint) -> Vec<u8> {
    let oid = match c {
        EccCurve::NistP256 => vec![0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
        EccCurve::NistP384 => vec![0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22],
        EccCurve::NistP521 => vec![0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x23],
    };
    let bits = [&[0u8, 4][..], &q.x, &q.y].concat();
    let body = [
        tlv(0x02, &[1]),
        tlv(0x04, d),
        tlv(0xa0, &oid),
        tlv(0xa1, &tlv(0x03, &bits)),
    ]
    .concat();
    tlv(0x30, &body)
}

/// TPMT_SIGNATURE: sigAlg, hash, TPM2B r, TPM2B s.
fn tpmt_signature(alg: u16, h: HashAlg, r: &[u8], s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&alg.to_be_bytes());
    out.extend_from_slice(&h.id().to_be_bytes());
    for v in [r, s] {
        out.extend_from_slice(&(v.len() as u16).to_be_bytes());
        out.extend_from_slice(v);
    }
    out
}

fn parse_tpmt_signature(b: &[u8]) -> (u16, Vec<u8>, Vec<u8>) {
    let alg = u16::from_be_bytes([b[0], b[1]]);
    let rl = u16::from_be_bytes([b[4], b[5]]) as usize;
    let r = b[6..6 + rl].to_vec();
    let sl = u16::from_be_bytes([b[6 + rl], b[7 + rl]]) as usize;
    let s = b[8 + rl..8 + rl + sl].to_vec();
    (alg, r, s)
}

const ECDSA: u16 = 0x0018;
const ECSCHNORR: u16 = 0x001c;

#[test]
fn signatures_interoperate_with_swtpm() {
    let tpm = Swtpm::start("swtpm-ecc");
    let mut rng = CtrDrbg::new(b"swtpm interop");
    for c in EccCurve::ALL {
        for h in HashAlg::ALL {
            let hname = format!("{h:?}").to_lowercase();
            for (alg, scheme) in [(ECSCHNORR, "ecschnorr"), (ECDSA, "ecdsa")] {
                let (d, q) = ecc::generate(c, &mut rng);
                let (der, pem) = (tpm.file("k.der"), tpm.file("k.pem"));
                std::fs::write(&der, sec1(c, &d, &q)).unwrap();
                let ok = Command::new("openssl")
                    .args(["ec", "-inform", "DER", "-in", &der, "-out", &pem])
                    .output()
                    .expect("openssl is required by this test")
                    .status
                    .success();
                assert!(ok);
                let ctx = tpm.file("k.ctx");
                let alg_arg = format!("ecc:{scheme}-{hname}");
                assert!(tool(
                    &tpm,
                    &[
                        "tpm2_loadexternal",
                        "-Q",
                        "-C",
                        "n",
                        "-G",
                        &alg_arg,
                        "-r",
                        &pem,
                        "-c",
                        &ctx,
                        "-a",
                        "sign|userwithauth",
                    ]
                ));
                for round in 0..4 {
                    let digest = tpm2_crypto::digest(h, &[&[round as u8], &d[..4]]);
                    let dig = tpm.file("dig.bin");
                    std::fs::write(&dig, &digest).unwrap();
                    // Ours, verified by the TPM.
                    let (r, s) = if alg == ECSCHNORR {
                        ecc::ecschnorr_sign(c, h, &d, &digest, &mut rng).unwrap()
                    } else {
                        ecc::ecdsa_sign(c, &d, &digest, &mut rng).unwrap()
                    };
                    let sig = tpm.file("ours.tss");
                    std::fs::write(&sig, tpmt_signature(alg, h, &r, &s)).unwrap();
                    assert!(
                        tool(
                            &tpm,
                            &["tpm2_verifysignature", "-c", &ctx, "-d", &dig, "-s", &sig]
                        ),
                        "{c:?} {h:?} {scheme}: swtpm refused our signature"
                    );
                    // A bad one is refused (so the check above means something).
                    let mut bad = s.clone();
                    bad[2] ^= 4;
                    std::fs::write(&sig, tpmt_signature(alg, h, &r, &bad)).unwrap();
                    assert!(!tool(
                        &tpm,
                        &["tpm2_verifysignature", "-c", &ctx, "-d", &dig, "-s", &sig]
                    ));
                    // The TPM's, verified by us.
                    let theirs = tpm.file("theirs.tss");
                    assert!(tool(
                        &tpm,
                        &[
                            "tpm2_sign",
                            "-c",
                            &ctx,
                            "-g",
                            &hname,
                            "-s",
                            scheme,
                            "-d",
                            "-o",
                            &theirs,
                            &dig,
                        ]
                    ));
                    let (a, r, s) = parse_tpmt_signature(&std::fs::read(&theirs).unwrap());
                    assert_eq!(a, alg);
                    let ok = if alg == ECSCHNORR {
                        ecc::ecschnorr_verify(c, h, &q, &digest, &r, &s)
                    } else {
                        ecc::ecdsa_verify(c, &q, &digest, &r, &s)
                    };
                    assert!(ok, "{c:?} {h:?} {scheme}: we refused swtpm's signature");
                }
            }
        }
    }
}
