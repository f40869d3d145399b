//! Debian's IBM TSS utilities (`tss2` package) against `ferrotpm mssim`: HMAC sessions
//! salted with an ECC or an RSA primary, bound sessions, AES and XOR parameter
//! encryption of commands and responses. The IBM TSS checks every response HMAC and
//! decrypts the responses itself, so a wrong session key, nonce or rpHash fails here.

mod common;
use common::*;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

struct Tss<'a> {
    port: u16,
    dir: &'a Path,
}

impl Tss<'_> {
    fn run(&self, prog: &str, args: &[&str]) -> std::process::Output {
        Command::new(prog)
            .args(args)
            .env("TPM_INTERFACE_TYPE", "socsim")
            .env("TPM_SERVER_TYPE", "mssim")
            .env("TPM_SERVER_NAME", "127.0.0.1")
            .env("TPM_COMMAND_PORT", self.port.to_string())
            .env("TPM_PLATFORM_PORT", (self.port + 1).to_string())
            .env("TPM_DATA_DIR", self.dir)
            // The TSS's own encryption of its session files at rest (not a TPM feature).
            .env("TPM_ENCRYPT_SESSIONS", "0")
            .current_dir(self.dir)
            .output()
            .unwrap_or_else(|e| panic!("{prog} is required (scripts/install-deps.sh): {e}"))
    }

    fn ok(&self, prog: &str, args: &[&str]) -> String {
        let o = self.run(prog, args);
        assert!(
            o.status.success(),
            "{prog} {args:?}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// The handle a tool printed ("Handle 80000000").
    fn handle(&self, prog: &str, args: &[&str]) -> String {
        let out = self.ok(prog, args);
        out.lines()
            .find_map(|l| l.strip_prefix("Handle "))
            .unwrap_or_else(|| panic!("{prog} printed no handle: {out}"))
            .trim()
            .to_string()
    }
}

#[test]
fn ibm_tss_sessions_with_parameter_encryption() {
    let dir = TempDir::new("ibm-tss");
    let port = free_port_pair();
    let _d = Proc::spawn(
        Command::new(ferrotpm())
            .args(["mssim", "--port", &port.to_string(), "--state"])
            .arg(dir.path().join("state")),
    );
    assert!(wait_until(Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    }));
    let t = Tss {
        port,
        dir: dir.path(),
    };
    t.ok("tsspowerup", &[]);
    t.ok("tssstartup", &["-c"]);
    std::fs::write(dir.path().join("secret.txt"), b"IBM TSS secret").unwrap();
    for (salt_key, sym) in [(&["-ecc", "nistp256"][..], "aes"), (&["-rsa"][..], "xor")] {
        let mut a = vec!["-hi", "o", "-st"];
        a.extend_from_slice(salt_key);
        let primary = t.handle("tsscreateprimary", &a);
        // A session salted with the primary; its first parameters travel encrypted.
        let s = t.handle(
            "tssstartauthsession",
            &["-se", "h", "-sym", sym, "-hs", &primary],
        );
        // Create: inSensitive decrypted by the TPM and outPrivate encrypted by it.
        t.ok(
            "tsscreate",
            &[
                "-hp",
                &primary,
                "-bl",
                "-if",
                "secret.txt",
                "-opr",
                "priv.bin",
                "-opu",
                "pub.bin",
                "-pwdk",
                "itempw",
                "-se0",
                &s,
                "61",
            ],
        );
        let item = t.handle(
            "tssload",
            &[
                "-hp", &primary, "-ipr", "priv.bin", "-ipu", "pub.bin", "-se0", &s, "01",
            ],
        );
        // Unseal through the salted session: the HMAC uses the item's password, the
        // response is encrypted.
        t.ok(
            "tssunseal",
            &[
                "-ha", &item, "-pwd", "itempw", "-se0", &s, "41", "-of", "out.txt",
            ],
        );
        assert_eq!(
            std::fs::read(dir.path().join("out.txt")).unwrap(),
            b"IBM TSS secret",
            "{sym}"
        );
        // A session bound to the item, salted too.
        let b = t.handle(
            "tssstartauthsession",
            &[
                "-se", "h", "-sym", sym, "-hs", &primary, "-bi", &item, "-pwdb", "itempw",
            ],
        );
        t.ok(
            "tssunseal",
            &[
                "-ha", &item, "-pwd", "itempw", "-se0", &b, "41", "-of", "out2.txt",
            ],
        );
        assert_eq!(
            std::fs::read(dir.path().join("out2.txt")).unwrap(),
            b"IBM TSS secret"
        );
        // The bound session's key already holds the item's authValue (Part 1, §19.6.10),
        // so the password given does not enter its HMAC; through the unbound session a
        // wrong password fails the HMAC check in the TPM.
        let o = t.run(
            "tssunseal",
            &[
                "-ha", &item, "-pwd", "wrong", "-se0", &s, "41", "-of", "out3.txt",
            ],
        );
        assert!(!o.status.success(), "a wrong password unsealed");
        let msg =
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
        // The IBM TSS creates objects with noDA: a failure without DA implications.
        assert!(msg.contains("TPM_RC_BAD_AUTH"), "{msg}");
        for h in [&s, &b, &item, &primary] {
            t.ok("tssflushcontext", &["-ha", h]);
        }
    }
}
