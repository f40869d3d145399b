//! Debian's tpm2-tools against ferrotpm for the everyday object workflows, through the
//! swtpm and the mssim TCTIs, with OpenSSL checking what the TPM produced: primaries
//! (RSA and ECC SRKs, EK templates), create/load/unseal, createloaded, readpublic, evictcontrol, flushcontext,
//! signatures verified by `openssl` from the exported public key, data encrypted by
//! `openssl` decrypted in the TPM, encryptdecrypt, hmac, changeauth, testparms.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

impl Tools {
    /// `tpm2_create` under `parent` (with `extra` options) writing `public`/`private`,
    /// then `tpm2_load` of them into the context file `ctx`; objects flushed after each.
    fn create_load(&self, parent: &str, extra: &[&str], public: &str, private: &str, ctx: &str) {
        let mut a = vec!["-C", parent];
        a.extend_from_slice(extra);
        a.extend_from_slice(&["-u", public, "-r", private]);
        self.ok("tpm2_create", &a);
        self.flush_objects();
        self.ok(
            "tpm2_load",
            &["-C", parent, "-u", public, "-r", private, "-c", ctx],
        );
        self.flush_objects();
    }

    fn openssl_ok(&self, args: &[&str]) -> String {
        tool_ok("openssl", args)
    }
}

fn workflows(t: &Tools) {
    // Primaries: the RSA and ECC SRKs; the same template twice gives the same key.
    let rsa1 = t.ok(
        "tpm2_createprimary",
        &["-C", "o", "-G", "rsa2048", "-c", &t.p("rsa.ctx")],
    );
    t.flush_objects();
    let rsa2 = t.ok(
        "tpm2_createprimary",
        &["-C", "o", "-G", "rsa2048", "-c", &t.p("rsa.ctx")],
    );
    t.flush_objects();
    let modulus = |s: &str| {
        s.lines()
            .find(|l| l.starts_with("rsa:"))
            .map(str::to_string)
            .unwrap()
    };
    assert_eq!(modulus(&rsa1), modulus(&rsa2));
    t.ok(
        "tpm2_createprimary",
        &["-C", "o", "-G", "ecc256", "-c", &t.p("ecc.ctx")],
    );
    t.flush_objects();
    // The EK templates (RSA and ECC, low range) and the high-range ECC P-384 one.
    t.ok(
        "tpm2_createek",
        &["-c", &t.p("ek.ctx"), "-G", "rsa", "-u", &t.p("ek.pub")],
    );
    t.flush_objects();
    t.ok(
        "tpm2_createek",
        &[
            "-c",
            &t.p("ekecc.ctx"),
            "-G",
            "ecc",
            "-u",
            &t.p("ekecc.pub"),
        ],
    );
    t.flush_objects();

    // Seal and unseal under the RSA SRK.
    let secret = t.write("secret", b"the disk key\n");
    t.create_load(
        &t.p("rsa.ctx"),
        &["-i", &secret, "-p", "sealpw"],
        &t.p("seal.pub"),
        &t.p("seal.priv"),
        &t.p("seal.ctx"),
    );
    let out = t.ok("tpm2_unseal", &["-c", &t.p("seal.ctx"), "-p", "sealpw"]);
    assert_eq!(out, "the disk key\n");
    t.flush_objects();
    t.fails("tpm2_unseal", &["-c", &t.p("seal.ctx"), "-p", "wrong"]);
    t.flush_objects();
    // changeauth on the object: the new private area loads with the new password.
    t.ok(
        "tpm2_changeauth",
        &[
            "-c",
            &t.p("seal.ctx"),
            "-C",
            &t.p("rsa.ctx"),
            "-p",
            "sealpw",
            "-r",
            &t.p("seal2.priv"),
            "newpw",
        ],
    );
    t.flush_objects();
    t.ok(
        "tpm2_load",
        &[
            "-C",
            &t.p("rsa.ctx"),
            "-u",
            &t.p("seal.pub"),
            "-r",
            &t.p("seal2.priv"),
            "-c",
            &t.p("seal2.ctx"),
        ],
    );
    t.flush_objects();
    assert_eq!(
        t.ok("tpm2_unseal", &["-c", &t.p("seal2.ctx"), "-p", "newpw"]),
        "the disk key\n"
    );
    t.flush_objects();

    // tpm2_create -c creates and loads in one command (TPM2_CreateLoaded).
    t.ok(
        "tpm2_create",
        &["-C", &t.p("ecc.ctx"), "-G", "ecc256", "-c", &t.p("cl.ctx")],
    );
    t.flush_objects();
    let rp = t.ok("tpm2_readpublic", &["-c", &t.p("cl.ctx")]);
    assert!(rp.contains("value: ecc"), "{rp}");
    t.flush_objects();

    // readpublic of a loaded primary.
    let rp = t.ok("tpm2_readpublic", &["-c", &t.p("ecc.ctx")]);
    assert!(rp.contains("value: ecc"), "{rp}");
    t.flush_objects();

    // Signing keys: every scheme, verified by the TPM and by OpenSSL.
    let msg = t.write("msg", b"attest me");
    for (alg, schemes) in [
        ("ecc256", &["ecdsa", "ecschnorr"][..]),
        ("rsa2048", &["rsassa", "rsapss"][..]),
    ] {
        let name = format!("sig-{alg}");
        t.create_load(
            &t.p("ecc.ctx"),
            &["-G", alg],
            &t.p(&format!("{name}.pub")),
            &t.p(&format!("{name}.priv")),
            &t.p(&format!("{name}.ctx")),
        );
        let pem = t.p(&format!("{name}.pem"));
        t.ok(
            "tpm2_readpublic",
            &["-c", &t.p(&format!("{name}.ctx")), "-f", "pem", "-o", &pem],
        );
        t.flush_objects();
        for s in schemes {
            // OpenSSL has no EC-Schnorr (and tpm2-tools cannot write it in "plain" form);
            // every other scheme is checked by OpenSSL.
            if *s != "ecschnorr" {
                let sig = t.p(&format!("{name}-{s}.sig"));
                t.ok(
                    "tpm2_sign",
                    &[
                        "-c",
                        &t.p(&format!("{name}.ctx")),
                        "-g",
                        "sha256",
                        "-s",
                        s,
                        "-f",
                        "plain",
                        "-o",
                        &sig,
                        &msg,
                    ],
                );
                t.flush_objects();
                let mut args = vec!["dgst", "-sha256", "-verify", &pem, "-signature", &sig];
                if *s == "rsapss" {
                    args.extend_from_slice(&[
                        "-sigopt",
                        "rsa_padding_mode:pss",
                        "-sigopt",
                        "rsa_pss_saltlen:-2",
                    ]);
                }
                args.push(&msg);
                assert!(t.openssl_ok(&args).contains("Verified OK"), "{alg} {s}");
            }
            // And through the TPM, in its own format.
            let tss = t.p(&format!("{name}-{s}.tss"));
            t.ok(
                "tpm2_sign",
                &[
                    "-c",
                    &t.p(&format!("{name}.ctx")),
                    "-g",
                    "sha256",
                    "-s",
                    s,
                    "-o",
                    &tss,
                    &msg,
                ],
            );
            t.flush_objects();
            t.ok(
                "tpm2_verifysignature",
                &[
                    "-c",
                    &t.p(&format!("{name}.ctx")),
                    "-g",
                    "sha256",
                    "-s",
                    &tss,
                    "-m",
                    &msg,
                ],
            );
            t.flush_objects();
        }
    }

    // RSA decryption of OpenSSL's ciphertexts (OAEP-SHA256 and PKCS#1 v1.5), and the
    // TPM's own encryption round trip.
    t.create_load(
        &t.p("ecc.ctx"),
        &[
            "-G",
            "rsa2048:null:null",
            "-a",
            "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|decrypt",
        ],
        &t.p("dec.pub"),
        &t.p("dec.priv"),
        &t.p("dec.ctx"),
    );
    t.ok(
        "tpm2_readpublic",
        &["-c", &t.p("dec.ctx"), "-f", "pem", "-o", &t.p("dec.pem")],
    );
    t.flush_objects();
    let plain = t.write("plain", b"wrapped key bytes");
    for (scheme, opts) in [
        (
            "oaep",
            &[
                "-pkeyopt",
                "rsa_padding_mode:oaep",
                "-pkeyopt",
                "rsa_oaep_md:sha256",
                "-pkeyopt",
                "rsa_mgf1_md:sha256",
            ][..],
        ),
        ("rsaes", &["-pkeyopt", "rsa_padding_mode:pkcs1"][..]),
    ] {
        let ct = t.p(&format!("ct-{scheme}"));
        let mut args = vec!["pkeyutl", "-encrypt", "-pubin", "-inkey"];
        let pem = t.p("dec.pem");
        args.push(&pem);
        args.extend_from_slice(opts);
        args.extend_from_slice(&["-in", &plain, "-out", &ct]);
        t.openssl_ok(&args);
        let out = t.p(&format!("pt-{scheme}"));
        let s = if scheme == "oaep" {
            "oaep-sha256"
        } else {
            "rsaes"
        };
        t.ok(
            "tpm2_rsadecrypt",
            &["-c", &t.p("dec.ctx"), "-s", s, "-o", &out, &ct],
        );
        t.flush_objects();
        assert_eq!(
            std::fs::read(&out).unwrap(),
            b"wrapped key bytes",
            "{scheme}"
        );
    }
    t.ok(
        "tpm2_rsaencrypt",
        &[
            "-c",
            &t.p("dec.ctx"),
            "-s",
            "oaep",
            "-o",
            &t.p("tpm.ct"),
            &plain,
        ],
    );
    t.flush_objects();
    t.ok(
        "tpm2_rsadecrypt",
        &[
            "-c",
            &t.p("dec.ctx"),
            "-s",
            "oaep",
            "-o",
            &t.p("tpm.pt"),
            &t.p("tpm.ct"),
        ],
    );
    t.flush_objects();
    assert_eq!(t.read("tpm.pt"), b"wrapped key bytes");

    // ECDH: the TPM's shared point from OpenSSL's public key has the x-coordinate OpenSSL
    // derives from the TPM's public key.
    t.create_load(
        &t.p("ecc.ctx"),
        &[
            "-G",
            "ecc256:ecdh",
            "-a",
            "fixedtpm|fixedparent|sensitivedataorigin|userwithauth|decrypt",
        ],
        &t.p("ecdh.pub"),
        &t.p("ecdh.priv"),
        &t.p("ecdh.ctx"),
    );
    t.ok(
        "tpm2_readpublic",
        &["-c", &t.p("ecdh.ctx"), "-f", "pem", "-o", &t.p("ecdh.pem")],
    );
    t.flush_objects();
    t.openssl_ok(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        &t.p("peer.pem"),
    ]);
    t.openssl_ok(&[
        "ec",
        "-in",
        &t.p("peer.pem"),
        "-pubout",
        "-outform",
        "DER",
        "-out",
        &t.p("peer.der"),
    ]);
    let der = t.read("peer.der");
    let q = &der[der.len() - 65..];
    assert_eq!(q[0], 4, "an uncompressed point");
    let mut point = vec![0, 68, 0, 32];
    point.extend_from_slice(&q[1..33]);
    point.extend_from_slice(&[0, 32]);
    point.extend_from_slice(&q[33..65]);
    let peer = t.write("peer.point", &point);
    t.ok(
        "tpm2_ecdhzgen",
        &["-c", &t.p("ecdh.ctx"), "-u", &peer, "-o", &t.p("z.tpm")],
    );
    t.flush_objects();
    t.openssl_ok(&[
        "pkeyutl",
        "-derive",
        "-inkey",
        &t.p("peer.pem"),
        "-peerkey",
        &t.p("ecdh.pem"),
        "-out",
        &t.p("z.openssl"),
    ]);
    let z = t.read("z.tpm");
    assert_eq!(&z[4..36], &t.read("z.openssl")[..], "ECDH x-coordinates");

    // AES keys: encryptdecrypt in every mode, matching OpenSSL for CBC.
    t.create_load(
        &t.p("ecc.ctx"),
        &["-G", "aes128"],
        &t.p("aes.pub"),
        &t.p("aes.priv"),
        &t.p("aes.ctx"),
    );
    let data = t.write("blocks", &[0x42; 48]);
    let iv = t.write("iv", &[7; 16]);
    let aes_ctx = t.p("aes.ctx");
    for mode in ["cfb", "cbc", "ctr", "ofb", "ecb"] {
        let enc = t.p(&format!("enc-{mode}"));
        let dec = t.p(&format!("dec-{mode}"));
        let mut a = vec!["-c", &aes_ctx, "-G", mode, "-o", &enc];
        let ivp = iv.clone();
        if mode != "ecb" {
            a.extend_from_slice(&["-t", &ivp]);
        }
        a.push(&data);
        t.ok("tpm2_encryptdecrypt", &a);
        t.flush_objects();
        let mut a = vec!["-d", "-c", &aes_ctx, "-G", mode, "-o", &dec];
        if mode != "ecb" {
            a.extend_from_slice(&["-t", &ivp]);
        }
        a.push(&enc);
        t.ok("tpm2_encryptdecrypt", &a);
        t.flush_objects();
        assert_eq!(std::fs::read(&dec).unwrap(), vec![0x42; 48], "{mode}");
        assert_ne!(std::fs::read(&enc).unwrap(), vec![0x42; 48], "{mode}");
    }

    // HMAC keys and the hash command.
    t.create_load(
        &t.p("ecc.ctx"),
        &["-G", "hmac"],
        &t.p("hmac.pub"),
        &t.p("hmac.priv"),
        &t.p("hmac.ctx"),
    );
    let m1 = t.ok("tpm2_hmac", &["-c", &t.p("hmac.ctx"), "--hex", &msg]);
    t.flush_objects();
    let m2 = t.ok("tpm2_hmac", &["-c", &t.p("hmac.ctx"), "--hex", &msg]);
    t.flush_objects();
    assert_eq!(m1, m2);
    assert_eq!(m1.trim().len(), 64);
    let h = t.ok("tpm2_hash", &["-g", "sha256", "--hex", &msg]);
    let want = tpm2_crypto::digest(tpm2_types::HashAlg::Sha256, &[b"attest me"]);
    let want: String = want.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(h.trim(), want);

    // testparms.
    t.ok("tpm2_testparms", &["rsa2048"]);
    t.ok("tpm2_testparms", &["ecc384"]);
    t.ok("tpm2_testparms", &["aes256cfb"]);
    t.fails("tpm2_testparms", &["ecc192"]);

    // evictcontrol: persistent SRK, listed, usable as a parent, then removed.
    t.ok(
        "tpm2_evictcontrol",
        &["-C", "o", "-c", &t.p("ecc.ctx"), "0x81000001"],
    );
    t.flush_objects();
    let handles = t.ok("tpm2_getcap", &["handles-persistent"]);
    assert!(handles.contains("0x81000001"), "{handles}");
    t.ok(
        "tpm2_create",
        &[
            "-C",
            "0x81000001",
            "-u",
            &t.p("p.pub"),
            "-r",
            &t.p("p.priv"),
            "-i",
            &secret,
        ],
    );
    t.flush_objects();
    t.ok("tpm2_evictcontrol", &["-C", "o", "-c", "0x81000001"]);
    let handles = t.ok("tpm2_getcap", &["handles-persistent"]);
    assert!(!handles.contains("0x81000001"), "{handles}");
}

#[test]
fn object_workflows_over_the_swtpm_tcti() {
    let dir = TempDir::new("tools-objects");
    let (_d, port) = start_socket(
        &dir.path().join("state"),
        &["--flags", "not-need-init,startup-clear"],
    );
    let t = Tools {
        tcti: format!("swtpm:host=127.0.0.1,port={port}"),
        dir: dir.path().to_path_buf(),
    };
    workflows(&t);
}

#[test]
fn object_workflows_over_the_mssim_tcti() {
    let dir = TempDir::new("tools-objects-mssim");
    let port = free_port_pair();
    let state = dir.path().join("state");
    let _d = Proc::spawn(
        Command::new(ferrotpm())
            .args(["mssim", "--port", &port.to_string(), "--state"])
            .arg(&state),
    );
    assert!(wait_until(Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    }));
    let tcti = format!("mssim:host=127.0.0.1,port={port}");
    tool_ok("tpm2_startup", &["-T", &tcti, "-c"]);
    let t = Tools {
        tcti,
        dir: dir.path().to_path_buf(),
    };
    workflows(&t);
    let _: &Path = dir.path();
}
