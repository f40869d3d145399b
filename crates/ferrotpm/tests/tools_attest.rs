//! Debian's tpm2-tools against ferrotpm for attestation: an EK and an AK made with
//! tpm2_createek/tpm2_createak, then tpm2_quote checked by tpm2_checkquote (and failing
//! with a wrong nonce), tpm2_certify, tpm2_certifycreation, tpm2_nvcertify and
//! tpm2_gettime, whose plain RSA signatures OpenSSL verifies over the attestation
//! structures the tools wrote. No resource manager: `tpm2_flushcontext` between tools.

mod common;
use common::*;
use std::path::PathBuf;

struct Tools {
    tcti: String,
    dir: PathBuf,
}

impl Tools {
    fn ok(&self, prog: &str, args: &[&str]) -> String {
        let mut a = vec!["-T", &self.tcti];
        a.extend_from_slice(args);
        let out = tool_ok(prog, &a);
        self.flush();
        out
    }

    fn p(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_string()
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.dir.join(name)).unwrap()
    }

    /// Without a resource manager, each tool leaves its transient objects and sessions
    /// loaded.
    fn flush(&self) {
        tool_ok("tpm2_flushcontext", &["-T", &self.tcti, "-t"]);
        tool_ok("tpm2_flushcontext", &["-T", &self.tcti, "-s"]);
    }

    /// OpenSSL verifies a plain RSASSA-SHA256 signature over `data` with the AK.
    fn openssl_verifies(&self, data: &str, sig: &str) {
        openssl_verifies(&self.p("ak.pem"), &self.p(data), &self.p(sig));
    }

    /// The attestation file is a TPMS_ATTEST of type `ty`.
    fn attest_of_type(&self, name: &str, ty: u16) -> Vec<u8> {
        let a = self.read(name);
        assert_eq!(&a[..4], &[0xff, 0x54, 0x43, 0x47], "TPM_GENERATED_VALUE");
        assert_eq!(u16::from_be_bytes([a[4], a[5]]), ty);
        a
    }
}

fn quote_and_check(t: &Tools, ak: &str, pem: &str, hash: &str) {
    t.ok(
        "tpm2_pcrextend",
        &["4:sha256=0101010101010101010101010101010101010101010101010101010101010101"],
    );
    let nonce = "a1b2c3d4e5f60718";
    t.ok(
        "tpm2_quote",
        &[
            "-c",
            &t.p(ak),
            "-l",
            "sha256:0,1,2,3,4",
            "-q",
            nonce,
            "-m",
            &t.p("quote.msg"),
            "-s",
            &t.p("quote.sig"),
            "-o",
            &t.p("quote.pcrs"),
            "-g",
            hash,
        ],
    );
    t.attest_of_type("quote.msg", 0x8018);
    let check = |nonce: &str| {
        tool(
            "tpm2_checkquote",
            &[
                "-u",
                &t.p(pem),
                "-m",
                &t.p("quote.msg"),
                "-s",
                &t.p("quote.sig"),
                "-f",
                &t.p("quote.pcrs"),
                "-g",
                hash,
                "-q",
                nonce,
            ],
        )
    };
    let good = check(nonce);
    assert!(
        good.status.success(),
        "checkquote: {}{}",
        String::from_utf8_lossy(&good.stdout),
        String::from_utf8_lossy(&good.stderr)
    );
    assert!(
        !check("a1b2c3d4e5f60719").status.success(),
        "wrong nonce accepted"
    );
}

#[test]
fn attestation_with_tpm2_tools() {
    let dir = TempDir::new("tools-attest");
    let (_d, port) = start_socket(
        &dir.path().join("state"),
        &["--flags", "not-need-init,startup-clear"],
    );
    let t = Tools {
        tcti: format!("swtpm:host=127.0.0.1,port={port}"),
        dir: dir.path().to_path_buf(),
    };
    t.ok(
        "tpm2_createek",
        &["-c", &t.p("ek.ctx"), "-G", "rsa", "-u", &t.p("ek.pub")],
    );
    // An ECC AK: quote and checkquote.
    t.ok(
        "tpm2_createak",
        &[
            "-C",
            &t.p("ek.ctx"),
            "-c",
            &t.p("akecc.ctx"),
            "-G",
            "ecc",
            "-g",
            "sha256",
            "-s",
            "ecdsa",
            "-u",
            &t.p("akecc.pem"),
            "-f",
            "pem",
        ],
    );
    quote_and_check(&t, "akecc.ctx", "akecc.pem", "sha256");
    // An RSA AK: quote, then every attestation with signatures OpenSSL checks.
    t.ok(
        "tpm2_createak",
        &[
            "-C",
            &t.p("ek.ctx"),
            "-c",
            &t.p("ak.ctx"),
            "-G",
            "rsa",
            "-g",
            "sha256",
            "-s",
            "rsassa",
            "-u",
            &t.p("ak.pem"),
            "-f",
            "pem",
        ],
    );
    quote_and_check(&t, "ak.ctx", "ak.pem", "sha256");

    // Certify a primary.
    t.ok(
        "tpm2_createprimary",
        &["-C", "o", "-G", "ecc256", "-c", &t.p("srk.ctx")],
    );
    t.ok(
        "tpm2_certify",
        &[
            "-c",
            &t.p("srk.ctx"),
            "-C",
            &t.p("ak.ctx"),
            "-g",
            "sha256",
            "-o",
            &t.p("certify.attest"),
            "-s",
            &t.p("certify.sig"),
            "-f",
            "plain",
        ],
    );
    t.attest_of_type("certify.attest", 0x8017);
    t.openssl_verifies("certify.attest", "certify.sig");

    // CertifyCreation of a child with the ticket and hash tpm2_create wrote.
    t.ok(
        "tpm2_create",
        &[
            "-C",
            &t.p("srk.ctx"),
            "-G",
            "ecc",
            "-u",
            &t.p("key.pub"),
            "-r",
            &t.p("key.priv"),
            "--creation-data",
            &t.p("key.cdata"),
            "--creation-ticket",
            &t.p("key.ticket"),
            "--creation-hash",
            &t.p("key.chash"),
        ],
    );
    t.ok(
        "tpm2_load",
        &[
            "-C",
            &t.p("srk.ctx"),
            "-u",
            &t.p("key.pub"),
            "-r",
            &t.p("key.priv"),
            "-c",
            &t.p("key.ctx"),
        ],
    );
    t.ok(
        "tpm2_certifycreation",
        &[
            "-C",
            &t.p("ak.ctx"),
            "-c",
            &t.p("key.ctx"),
            "-d",
            &t.p("key.chash"),
            "-t",
            &t.p("key.ticket"),
            "-g",
            "sha256",
            "-s",
            "rsassa",
            "-f",
            "plain",
            "-o",
            &t.p("cc.sig"),
            "--attestation",
            &t.p("cc.attest"),
        ],
    );
    let a = t.attest_of_type("cc.attest", 0x801A);
    let hash = t.read("key.chash");
    assert!(
        a.windows(hash.len()).any(|w| w == hash.as_slice()),
        "creationHash in the attestation"
    );
    t.openssl_verifies("cc.attest", "cc.sig");

    // NV_Certify of written data.
    t.ok(
        "tpm2_nvdefine",
        &[
            "0x1500016",
            "-C",
            "o",
            "-s",
            "32",
            "-a",
            "ownerread|ownerwrite|authread|authwrite",
        ],
    );
    std::fs::write(t.dir.join("nv.data"), [0x5au8; 32]).unwrap();
    t.ok(
        "tpm2_nvwrite",
        &["0x1500016", "-C", "o", "-i", &t.p("nv.data")],
    );
    t.ok(
        "tpm2_nvcertify",
        &[
            "-C",
            &t.p("ak.ctx"),
            "-g",
            "sha256",
            "-f",
            "plain",
            "-s",
            "rsassa",
            "-o",
            &t.p("nv.sig"),
            "--attestation",
            &t.p("nv.attest"),
            "--size",
            "32",
            "--offset",
            "0",
            "0x1500016",
        ],
    );
    let a = t.attest_of_type("nv.attest", 0x8014);
    assert!(a.ends_with(&[0x5a; 32]), "NV contents certified");
    t.openssl_verifies("nv.attest", "nv.sig");

    // GetTime.
    t.ok(
        "tpm2_gettime",
        &[
            "-c",
            &t.p("ak.ctx"),
            "-q",
            "0badc0de",
            "-g",
            "sha256",
            "-s",
            "rsassa",
            "-f",
            "plain",
            "-o",
            &t.p("time.sig"),
            "--attestation",
            &t.p("time.attest"),
        ],
    );
    t.attest_of_type("time.attest", 0x8019);
    t.openssl_verifies("time.attest", "time.sig");
}
