//! Interoperability with the `openssl` command-line tool: signatures (PKCS #1 v1.5 and PSS
//! with SHA-1/256/384/512) and encryption (OAEP with labels, PKCS #1 v1.5) in both
//! directions, and keys from our generator accepted by `openssl rsa -check`. These tests
//! fail, and do not skip, when `openssl` is missing.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use tpm2_crypto::digest;
use tpm2_crypto::rsa::{RsaPrivateKey, RsaPublicKey};
use tpm2_crypto::CtrDrbg;
use tpm2_types::HashAlg;

const HASHES: [(HashAlg, &str); 4] = [
    (HashAlg::Sha1, "sha1"),
    (HashAlg::Sha256, "sha256"),
    (HashAlg::Sha384, "sha384"),
    (HashAlg::Sha512, "sha512"),
];

/// A scratch directory removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("rsa-openssl-{}-{tag}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_string()
    }
    fn write(&self, name: &str, data: &[u8]) -> String {
        let p = self.path(name);
        std::fs::write(&p, data).unwrap();
        p
    }
    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(args: &[&str]) -> Output {
    Command::new("openssl")
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("the openssl command is required for these tests: {e}"))
}

/// Runs openssl and panics (with its stderr) unless it succeeds.
fn openssl(args: &[&str]) -> Vec<u8> {
    let out = run(args);
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

// Minimal DER for PKCS #1 RSAPrivateKey (RFC 8017 appendix A.1.2).

fn der_len(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|&b| b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
}

fn der_uint(v: &[u8], out: &mut Vec<u8>) {
    let mut v: Vec<u8> = v.iter().copied().skip_while(|&b| b == 0).collect();
    if v.is_empty() || v[0] & 0x80 != 0 {
        v.insert(0, 0);
    }
    out.push(0x02);
    der_len(v.len(), out);
    out.extend_from_slice(&v);
}

fn pkcs1_der(key: &RsaPrivateKey) -> Vec<u8> {
    let c = key.components().unwrap();
    let mut body = Vec::new();
    der_uint(&[0], &mut body);
    for v in [
        &c.n,
        &c.e.to_be_bytes().to_vec(),
        &c.d,
        &c.p,
        &c.q,
        &c.dp,
        &c.dq,
        &c.qinv,
    ] {
        der_uint(v, &mut body);
    }
    let mut out = vec![0x30];
    der_len(body.len(), &mut out);
    out.extend_from_slice(&body);
    out
}

/// The INTEGERs of a DER SEQUENCE (enough for a PKCS #1 RSAPrivateKey).
fn der_integers(der: &[u8]) -> Vec<Vec<u8>> {
    fn read_len(d: &[u8], i: &mut usize) -> usize {
        let first = d[*i];
        *i += 1;
        if first < 0x80 {
            return first as usize;
        }
        let n = (first & 0x7f) as usize;
        let mut len = 0usize;
        for _ in 0..n {
            len = (len << 8) | d[*i] as usize;
            *i += 1;
        }
        len
    }
    assert_eq!(der[0], 0x30);
    let mut i = 1;
    let total = read_len(der, &mut i);
    let end = i + total;
    let mut out = Vec::new();
    while i < end {
        assert_eq!(der[i], 0x02, "INTEGER expected");
        i += 1;
        let len = read_len(der, &mut i);
        out.push(der[i..i + len].to_vec());
        i += len;
    }
    out
}

/// An openssl-generated key, imported through `from_prime` (n, e, p only).
struct OpensslKey {
    dir: Scratch,
    key: RsaPrivateKey,
}

impl OpensslKey {
    fn new(bits: u32, exponent: u32) -> OpensslKey {
        let dir = Scratch::new("key");
        let pem = dir.path("key.pem");
        openssl(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            &format!("rsa_keygen_bits:{bits}"),
            "-pkeyopt",
            &format!("rsa_keygen_pubexp:{exponent}"),
            "-out",
            &pem,
        ]);
        openssl(&["rsa", "-in", &pem, "-pubout", "-out", &dir.path("pub.pem")]);
        let der_path = dir.path("key.der");
        openssl(&[
            "rsa",
            "-in",
            &pem,
            "-traditional",
            "-outform",
            "DER",
            "-out",
            &der_path,
        ]);
        let ints = der_integers(&dir.read("key.der"));
        let e = ints[2].iter().fold(0u32, |a, &b| (a << 8) | u32::from(b));
        assert_eq!(e, exponent);
        let key = RsaPrivateKey::from_prime(&ints[1], e, &ints[4]).expect("import");
        assert_eq!(key.public().bits(), bits);
        // Our recomputed CRT values match openssl's (d may differ: φ versus λ).
        let c = key.components().unwrap();
        let strip = |v: &[u8]| {
            v.iter()
                .copied()
                .skip_while(|&b| b == 0)
                .collect::<Vec<u8>>()
        };
        let as_num = |v: &[u8]| (strip(v).len(), strip(v));
        let (p, q) = if as_num(&ints[4]) > as_num(&ints[5]) {
            (4, 5)
        } else {
            (5, 4)
        };
        assert_eq!(strip(&c.p), strip(&ints[p]));
        assert_eq!(strip(&c.q), strip(&ints[q]));
        assert_eq!(strip(&c.dp), strip(&ints[p + 2]));
        assert_eq!(strip(&c.dq), strip(&ints[q + 2]));
        OpensslKey { dir, key }
    }

    fn pem(&self) -> String {
        self.dir.path("key.pem")
    }
    fn pub_pem(&self) -> String {
        self.dir.path("pub.pem")
    }
}

fn rng(seed: u8) -> CtrDrbg {
    CtrDrbg::new(&[seed; 48])
}

fn verify_with_openssl(k: &OpensslKey, name: &str, pss: bool, msg: &str, sig: &[u8]) -> bool {
    let sig_path = k.dir.write("sig.bin", sig);
    let md = format!("-{name}");
    let pub_pem = k.pub_pem();
    let mut args = vec!["dgst", &md, "-verify", &pub_pem, "-signature", &sig_path];
    if pss {
        args.extend([
            "-sigopt",
            "rsa_padding_mode:pss",
            "-sigopt",
            "rsa_pss_saltlen:auto",
        ]);
    }
    args.push(msg);
    run(&args).status.success()
}

#[test]
fn signatures_both_ways() {
    let k = OpensslKey::new(2048, 65537);
    let msg = b"The quick brown fox signs over the lazy TPM";
    let msg_path = k.dir.write("msg.bin", msg);
    let mut r = rng(1);
    for (hash, name) in HASHES {
        let d = digest(hash, &[msg]);
        // Ours, checked by openssl.
        let sig = k.key.sign_pkcs1v15(hash, &d, &mut r).unwrap();
        assert!(
            verify_with_openssl(&k, name, false, &msg_path, &sig),
            "pkcs1 {name}"
        );
        let sig = k.key.sign_pss(hash, &d, &mut r).unwrap();
        assert!(
            verify_with_openssl(&k, name, true, &msg_path, &sig),
            "pss {name}"
        );
        let mut bad = sig.clone();
        bad[100] ^= 1;
        assert!(
            !verify_with_openssl(&k, name, true, &msg_path, &bad),
            "tampered pss {name}"
        );

        // openssl's, checked by ours; PSS with several salt lengths.
        let md = format!("-{name}");
        let out = k.dir.path("osig.bin");
        openssl(&["dgst", &md, "-sign", &k.pem(), "-out", &out, &msg_path]);
        assert!(
            k.key
                .public()
                .verify_pkcs1v15(hash, &d, &k.dir.read("osig.bin")),
            "{name}"
        );
        for salt in ["digest", "max", "0", "5"] {
            let opt = format!("rsa_pss_saltlen:{salt}");
            openssl(&[
                "dgst",
                &md,
                "-sign",
                &k.pem(),
                "-sigopt",
                "rsa_padding_mode:pss",
                "-sigopt",
                &opt,
                "-out",
                &out,
                &msg_path,
            ]);
            let sig = k.dir.read("osig.bin");
            assert!(
                k.key.public().verify_pss(hash, &d, &sig),
                "openssl pss {name} salt {salt}"
            );
            assert!(!k.key.public().verify_pkcs1v15(hash, &d, &sig));
            let other = digest(hash, &[b"another message"]);
            assert!(!k.key.public().verify_pss(hash, &other, &sig));
        }
    }
}

#[test]
fn encryption_both_ways() {
    let k = OpensslKey::new(2048, 65537);
    let msg = b"a 32-octet symmetric seed value!";
    let msg_path = k.dir.write("msg.bin", msg);
    let ct_path = k.dir.path("ct.bin");
    let out_path = k.dir.path("out.bin");
    let mut r = rng(2);
    for (hash, name) in HASHES {
        for label in [&b""[..], b"DUPLICATE\0", &[0x01, 0x02, 0xab, 0xcd]] {
            let md = format!("rsa_oaep_md:{name}");
            let mgf = format!("rsa_mgf1_md:{name}");
            let label_hex: String = label.iter().map(|b| format!("{b:02x}")).collect();
            let lab = format!("rsa_oaep_label:{label_hex}");
            let mut opts = vec![
                "-pkeyopt",
                "rsa_padding_mode:oaep",
                "-pkeyopt",
                &md,
                "-pkeyopt",
                &mgf,
            ];
            if !label.is_empty() {
                opts.extend(["-pkeyopt", &lab]);
            }
            // openssl encrypts, we decrypt.
            let pub_pem = k.pub_pem();
            let mut args = vec!["pkeyutl", "-encrypt", "-pubin", "-inkey", &pub_pem];
            args.extend(opts.iter().copied());
            args.extend(["-in", &msg_path, "-out", &ct_path]);
            openssl(&args);
            let ct = k.dir.read("ct.bin");
            let plain = k.key.decrypt_oaep(hash, label, &ct, &mut r).unwrap();
            assert_eq!(plain, msg, "oaep {name} label {label_hex}");
            if !label.is_empty() {
                assert!(k.key.decrypt_oaep(hash, b"wrong", &ct, &mut r).is_err());
            }
            // We encrypt, openssl decrypts.
            let ours = k
                .key
                .public()
                .encrypt_oaep(hash, label, msg, &mut r)
                .unwrap();
            k.dir.write("ct.bin", &ours);
            let pem = k.pem();
            let mut args = vec!["pkeyutl", "-decrypt", "-inkey", &pem];
            args.extend(opts.iter().copied());
            args.extend(["-in", &ct_path, "-out", &out_path]);
            openssl(&args);
            assert_eq!(k.dir.read("out.bin"), msg, "openssl decrypts ours: {name}");
        }
    }
    // PKCS #1 v1.5 encryption.
    let pub_pem = k.pub_pem();
    let pem = k.pem();
    let pad = ["-pkeyopt", "rsa_padding_mode:pkcs1"];
    let mut args = vec!["pkeyutl", "-encrypt", "-pubin", "-inkey", &pub_pem];
    args.extend(pad);
    args.extend(["-in", &msg_path, "-out", &ct_path]);
    openssl(&args);
    let ct = k.dir.read("ct.bin");
    assert_eq!(k.key.decrypt_pkcs1v15(&ct, &mut r).unwrap(), msg);
    let ours = k.key.public().encrypt_pkcs1v15(msg, &mut r).unwrap();
    k.dir.write("ct.bin", &ours);
    let mut args = vec!["pkeyutl", "-decrypt", "-inkey", &pem];
    args.extend(pad);
    args.extend(["-in", &ct_path, "-out", &out_path]);
    openssl(&args);
    assert_eq!(k.dir.read("out.bin"), msg);
    // Raw RSA both ways.
    let mut m = vec![0u8; 256];
    m[10..].fill(0x42);
    let c = k.key.public().encrypt_raw(&m).unwrap();
    k.dir.write("ct.bin", &c);
    let mut args = vec![
        "pkeyutl",
        "-decrypt",
        "-inkey",
        &pem,
        "-pkeyopt",
        "rsa_padding_mode:none",
    ];
    args.extend(["-in", &ct_path, "-out", &out_path]);
    openssl(&args);
    assert_eq!(k.dir.read("out.bin"), m);
    assert_eq!(k.key.decrypt_raw(&c, &mut r).unwrap(), m);
}

#[test]
fn small_exponent_key_from_openssl() {
    let k = OpensslKey::new(1024, 3);
    let d = digest(HashAlg::Sha256, &[b"e = 3"]);
    let mut r = rng(3);
    let sig = k.key.sign_pkcs1v15(HashAlg::Sha256, &d, &mut r).unwrap();
    let msg_path = k.dir.write("msg.bin", b"e = 3");
    assert!(verify_with_openssl(&k, "sha256", false, &msg_path, &sig));
    // SHA-512 PSS on a 1024-bit key: the salt shrinks to emLen − hLen − 2 = 62.
    let d = digest(HashAlg::Sha512, &[b"e = 3"]);
    let sig = k.key.sign_pss(HashAlg::Sha512, &d, &mut r).unwrap();
    assert!(verify_with_openssl(&k, "sha512", true, &msg_path, &sig));
}

#[test]
fn generated_keys_pass_openssl_check() {
    for (i, bits) in [1024u16, 2048, 3072, 4096].into_iter().enumerate() {
        let dir = Scratch::new("gen");
        let key = RsaPrivateKey::generate(bits, 65537, &mut rng(10 + i as u8)).unwrap();
        let der = dir.write("k.der", &pkcs1_der(&key));
        let out = openssl(&["rsa", "-inform", "DER", "-in", &der, "-check", "-noout"]);
        assert!(
            String::from_utf8_lossy(&out).contains("RSA key ok"),
            "{bits}"
        );
        let out = openssl(&["rsa", "-inform", "DER", "-in", &der, "-modulus", "-noout"]);
        let hex: String = key
            .public()
            .modulus()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect();
        assert_eq!(
            String::from_utf8_lossy(&out).trim(),
            format!("Modulus={hex}")
        );
        // openssl signs with our key; we verify.
        let pem = dir.path("k.pem");
        openssl(&["rsa", "-inform", "DER", "-in", &der, "-out", &pem]);
        let msg = dir.write("m.bin", b"generated");
        let sig = dir.path("s.bin");
        openssl(&["dgst", "-sha256", "-sign", &pem, "-out", &sig, &msg]);
        let d = digest(HashAlg::Sha256, &[b"generated"]);
        assert!(key
            .public()
            .verify_pkcs1v15(HashAlg::Sha256, &d, &dir.read("s.bin")));
        let public = RsaPublicKey::new(&key.public().modulus(), 65537).unwrap();
        assert_eq!(public.bits(), u32::from(bits));
    }
}
