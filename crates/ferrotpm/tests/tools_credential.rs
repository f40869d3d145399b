//! Debian's tpm2-tools against ferrotpm for credential protection and duplication:
//! createek/createak, `tpm2_makecredential` offline (`-T none`, the blob computed by the
//! tool) and online, `tpm2_activatecredential` with the EK's PolicySecret(endorsement)
//! session; `tpm2_duplicate` of a key from one ferrotpm daemon to another and
//! `tpm2_import` there; `tpm2_import` of OpenSSL-generated RSA and ECC PEM keys (wrapped
//! offline by the tool). No resource manager: `tpm2_flushcontext -t` between tools.

mod common;
use common::*;

impl Tools {
    /// A tool, then its transient objects flushed (they are kept in context files).
    fn okt(&self, prog: &str, args: &[&str]) -> String {
        let out = self.ok(prog, args);
        self.ok("tpm2_flushcontext", &["-t"]);
        out
    }
}

fn daemon(dir: &TempDir, name: &str) -> (Proc, Tools) {
    let (d, port) = start_socket(
        &dir.path().join(name),
        &["--flags", "not-need-init,startup-clear"],
    );
    let t = Tools {
        tcti: format!("swtpm:host=127.0.0.1,port={port}"),
        dir: dir.path().to_path_buf(),
    };
    (d, t)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn credential_flow(t: &Tools, alg: &str) {
    let ek = format!("ek-{alg}");
    let ek_handle = if alg == "rsa" {
        "0x81010001"
    } else {
        "0x81010002"
    };
    t.ok(
        "tpm2_createek",
        &["-c", ek_handle, "-G", alg, "-u", &t.p(&format!("{ek}.pub"))],
    );
    t.flush_all();
    t.ok(
        "tpm2_createak",
        &[
            "-C",
            ek_handle,
            "-c",
            &t.p("ak.ctx"),
            "-G",
            "rsa",
            "-g",
            "sha256",
            "-s",
            "rsassa",
            "-u",
            &t.p("ak.pub"),
            "-n",
            &t.p("ak.name"),
        ],
    );
    t.flush_all();
    let name = hex(&std::fs::read(t.p("ak.name")).unwrap());
    let secret = t.p("secret.data");
    std::fs::write(&secret, b"12345678 credential").unwrap();
    for (mode, blob) in [("offline", "mk-off.out"), ("online", "mk-on.out")] {
        let mut args = vec![];
        if mode == "offline" {
            args.extend(["-T", "none"]);
        }
        let ekp = t.p(&format!("{ek}.pub"));
        let out = t.p(blob);
        args.extend(["-e", &ekp, "-s", &secret, "-n", &name, "-o", &out]);
        if mode == "offline" {
            tool_ok("tpm2_makecredential", &args);
        } else {
            t.ok("tpm2_makecredential", &args);
            t.flush_all();
        }
        let session = t.p("session.ctx");
        t.ok(
            "tpm2_startauthsession",
            &["--policy-session", "-S", &session],
        );
        t.ok("tpm2_policysecret", &["-S", &session, "-c", "e"]);
        let act = t.p("act.out");
        let auth = format!("session:{session}");
        t.ok(
            "tpm2_activatecredential",
            &[
                "-c",
                &t.p("ak.ctx"),
                "-C",
                ek_handle,
                "-i",
                &out,
                "-o",
                &act,
                "-P",
                &auth,
            ],
        );
        t.ok("tpm2_flushcontext", &[&session]);
        t.flush_all();
        assert_eq!(
            std::fs::read(&act).unwrap(),
            b"12345678 credential",
            "{alg} {mode}"
        );
    }
}

#[test]
fn make_and_activate_credentials() {
    let dir = TempDir::new("tools-credential");
    let (_d, t) = daemon(&dir, "state");
    credential_flow(&t, "rsa");
    credential_flow(&t, "ecc");
}

#[test]
fn duplicate_between_daemons_and_import_pem_keys() {
    let dir = TempDir::new("tools-duplicate");
    let (_a, src) = daemon(&dir, "src");
    let (_b, dst) = daemon(&dir, "dst");
    // The destination's storage parent; its public goes to the source.
    dst.okt(
        "tpm2_createprimary",
        &["-C", "o", "-G", "rsa2048", "-c", &dst.p("dst-srk.ctx")],
    );
    dst.okt(
        "tpm2_readpublic",
        &["-c", &dst.p("dst-srk.ctx"), "-o", &dst.p("dst-srk.pub")],
    );
    dst.flush_all();
    // A signing key on the source whose policy allows duplication.
    let session = src.p("s.ctx");
    src.ok("tpm2_startauthsession", &["-S", &session]);
    src.ok(
        "tpm2_policycommandcode",
        &[
            "-S",
            &session,
            "-L",
            &src.p("dup.policy"),
            "TPM2_CC_Duplicate",
        ],
    );
    src.ok("tpm2_flushcontext", &[&session]);
    src.okt(
        "tpm2_createprimary",
        &["-C", "o", "-G", "rsa2048", "-c", &src.p("src-srk.ctx")],
    );
    src.okt(
        "tpm2_create",
        &[
            "-C",
            &src.p("src-srk.ctx"),
            "-G",
            "ecc256",
            "-L",
            &src.p("dup.policy"),
            "-a",
            "sensitivedataorigin|userwithauth|sign",
            "-u",
            &src.p("key.pub"),
            "-r",
            &src.p("key.prv"),
        ],
    );
    src.flush_all();
    for (wrap, extra) in [("null", false), ("aes", true)] {
        src.okt(
            "tpm2_createprimary",
            &["-C", "o", "-G", "rsa2048", "-c", &src.p("src-srk.ctx")],
        );
        src.okt(
            "tpm2_load",
            &[
                "-C",
                &src.p("src-srk.ctx"),
                "-u",
                &src.p("key.pub"),
                "-r",
                &src.p("key.prv"),
                "-c",
                &src.p("key.ctx"),
            ],
        );
        src.okt(
            "tpm2_loadexternal",
            &[
                "-C",
                "o",
                "-u",
                &dst.p("dst-srk.pub"),
                "-c",
                &src.p("np.ctx"),
            ],
        );
        src.ok(
            "tpm2_startauthsession",
            &["--policy-session", "-S", &session],
        );
        src.ok(
            "tpm2_policycommandcode",
            &["-S", &session, "TPM2_CC_Duplicate"],
        );
        let auth = format!("session:{session}");
        let (np, key, dup, seed, symkey) = (
            src.p("np.ctx"),
            src.p("key.ctx"),
            src.p("dup.prv"),
            src.p("dup.seed"),
            src.p("dup.key"),
        );
        let mut args = vec![
            "-C", &np, "-c", &key, "-G", wrap, "-p", &auth, "-r", &dup, "-s", &seed,
        ];
        if extra {
            args.extend(["-o", &symkey]);
        }
        src.ok("tpm2_duplicate", &args);
        src.ok("tpm2_flushcontext", &[&session]);
        src.flush_all();
        // Import on the destination, load, sign.
        dst.okt(
            "tpm2_createprimary",
            &["-C", "o", "-G", "rsa2048", "-c", &dst.p("dst-srk.ctx")],
        );
        let (srk, kpub, imported) = (dst.p("dst-srk.ctx"), src.p("key.pub"), dst.p("imp.prv"));
        let mut args = vec![
            "-C", &srk, "-u", &kpub, "-i", &dup, "-s", &seed, "-r", &imported,
        ];
        if extra {
            args.extend(["-k", &symkey]);
        }
        dst.okt("tpm2_import", &args);
        dst.okt(
            "tpm2_load",
            &[
                "-C",
                &srk,
                "-u",
                &kpub,
                "-r",
                &imported,
                "-c",
                &dst.p("imp.ctx"),
            ],
        );
        std::fs::write(dst.p("msg"), b"duplicated").unwrap();
        dst.okt(
            "tpm2_sign",
            &[
                "-c",
                &dst.p("imp.ctx"),
                "-g",
                "sha256",
                "-o",
                &dst.p("sig"),
                &dst.p("msg"),
            ],
        );
        dst.flush_all();
    }
    // PEM keys from OpenSSL, wrapped offline by tpm2_import for the destination's SRK.
    let rsa_pem = dst.p("k-rsa.pem");
    tool_ok("openssl", &["genrsa", "-out", &rsa_pem, "2048"]);
    let ecc_pem = dst.p("k-ecc.pem");
    tool_ok(
        "openssl",
        &[
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
            &ecc_pem,
        ],
    );
    for (alg, pem) in [("rsa", &rsa_pem), ("ecc", &ecc_pem)] {
        dst.okt(
            "tpm2_createprimary",
            &["-C", "o", "-G", "rsa2048", "-c", &dst.p("dst-srk.ctx")],
        );
        let (srk, kpub, kprv) = (dst.p("dst-srk.ctx"), dst.p("pem.pub"), dst.p("pem.prv"));
        dst.okt(
            "tpm2_import",
            &["-C", &srk, "-G", alg, "-i", pem, "-u", &kpub, "-r", &kprv],
        );
        dst.okt(
            "tpm2_load",
            &[
                "-C",
                &srk,
                "-u",
                &kpub,
                "-r",
                &kprv,
                "-c",
                &dst.p("pem.ctx"),
            ],
        );
        dst.okt(
            "tpm2_sign",
            &[
                "-c",
                &dst.p("pem.ctx"),
                "-g",
                "sha256",
                "-o",
                &dst.p("pem.sig"),
                "-f",
                "plain",
                &dst.p("msg"),
            ],
        );
        dst.flush_all();
        // OpenSSL verifies the signature with the PEM key's public half.
        let pubpem = dst.p(&format!("{alg}-pub.pem"));
        let kind = if alg == "rsa" { "rsa" } else { "ec" };
        tool_ok("openssl", &[kind, "-in", pem, "-pubout", "-out", &pubpem]);
        tool_ok(
            "openssl",
            &[
                "dgst",
                "-sha256",
                "-verify",
                &pubpem,
                "-signature",
                &dst.p("pem.sig"),
                &dst.p("msg"),
            ],
        );
    }
}
