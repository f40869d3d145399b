//! Debian's tpm2-tools against ferrotpm for audit: tpm2_setcommandauditstatus puts
//! TPM2_GetRandom on the audit list, tpm2_getcommandauditdigest reports the command audit
//! digest and tpm2_getsessionauditdigest the digest of an audit session. The digests are
//! recomputed here from the random bytes tpm2_getrandom printed (cpHash and rpHash hashed
//! with OpenSSL), and OpenSSL verifies the AK's RSASSA signatures over the attestation
//! structures the tools wrote.

mod common;
use common::*;

const GET_RANDOM: u32 = 0x17B;
const ST_ATTEST_COMMAND_AUDIT: u16 = 0x8015;
const ST_ATTEST_SESSION_AUDIT: u16 = 0x8016;

/// SHA-256 of the concatenation of `parts`, by OpenSSL.
fn sha256(t: &Tools, parts: &[&[u8]]) -> Vec<u8> {
    let path = t.write("hash.in", &parts.concat());
    let out = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-binary", &path])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout.len(), 32);
    out.stdout
}

/// The `TPMU_ATTEST` part of a `TPMS_ATTEST` of type `ty`.
fn attested(a: &[u8], ty: u16) -> &[u8] {
    assert_eq!(&a[..4], &[0xff, 0x54, 0x43, 0x47], "TPM_GENERATED_VALUE");
    assert_eq!(u16::from_be_bytes([a[4], a[5]]), ty);
    let mut at = 6;
    for _ in 0..2 {
        // qualifiedSigner, extraData
        at += 2 + u16::from_be_bytes([a[at], a[at + 1]]) as usize;
    }
    // clockInfo (17 bytes) and firmwareVersion.
    &a[at + 17 + 8..]
}

fn tpm2b(b: &[u8]) -> (&[u8], &[u8]) {
    let n = u16::from_be_bytes([b[0], b[1]]) as usize;
    (&b[2..2 + n], &b[2 + n..])
}

/// tpm2_getrandom of 8 bytes (with the session file, if given): the bytes.
fn random8(t: &Tools, session: Option<&str>) -> Vec<u8> {
    let out = t.p("random.bin");
    let mut args = vec!["8", "-o", &out];
    let s;
    if let Some(x) = session {
        s = t.p(x);
        args.extend_from_slice(&["-S", &s]);
    }
    t.ok("tpm2_getrandom", &args);
    let r = t.read("random.bin");
    assert_eq!(r.len(), 8);
    r
}

/// H(digest || cpHash || rpHash) of one TPM2_GetRandom(8) that returned `random`.
fn extend_get_random(t: &Tools, digest: &[u8], random: &[u8]) -> Vec<u8> {
    let cc = GET_RANDOM.to_be_bytes();
    let cp = sha256(t, &[&cc, &8u16.to_be_bytes()]);
    let rp = sha256(t, &[&[0; 4], &cc, &8u16.to_be_bytes(), random]);
    sha256(t, &[digest, &cp, &rp])
}

#[test]
fn audit_with_tpm2_tools() {
    let dir = TempDir::new("tools-audit");
    let (_d, port) = start_socket(
        &dir.path().join("state"),
        &["--flags", "not-need-init,startup-clear"],
    );
    let t = Tools {
        tcti: format!("swtpm:host=127.0.0.1,port={port}"),
        dir: dir.path().to_path_buf(),
    };
    t.ek_and_ak("rsa", "rsassa", "ak.ctx", "ak.pem", Some("pem"));
    t.flush_all();

    // The audit algorithm to SHA-256 (this clears the digest), then GetRandom audited.
    t.ok(
        "tpm2_setcommandauditstatus",
        &["-g", "sha256", "TPM2_CC_GetRandom"],
    );
    let report = |name: &str| -> Vec<u8> {
        t.ok(
            "tpm2_getcommandauditdigest",
            &[
                "-c",
                &t.p("ak.ctx"),
                "-q",
                "0102030405",
                "-m",
                &t.p(&format!("{name}.attest")),
                "-s",
                &t.p(&format!("{name}.sig")),
                "-f",
                "plain",
                "-g",
                "sha256",
                "--scheme",
                "rsassa",
            ],
        );
        t.flush_objects();
        openssl_verifies_ak(&t, &format!("{name}.attest"), &format!("{name}.sig"));
        t.read(&format!("{name}.attest"))
    };
    // A signed report clears the digest: after it, exactly the GetRandom calls count.
    let first = report("first");
    let info = attested(&first, ST_ATTEST_COMMAND_AUDIT);
    let counter = u64::from_be_bytes(info[..8].try_into().unwrap());
    assert_eq!(u16::from_be_bytes([info[8], info[9]]), 0x000B, "SHA-256");
    let r1 = random8(&t, None);
    let r2 = random8(&t, None);
    let second = report("second");
    let info = attested(&second, ST_ATTEST_COMMAND_AUDIT);
    assert_eq!(
        u64::from_be_bytes(info[..8].try_into().unwrap()),
        counter + 1,
        "the counter counts the digest's restart"
    );
    let (digest, rest) = tpm2b(&info[10..]);
    let mut expected = vec![0; 32];
    expected = extend_get_random(&t, &expected, &r1);
    expected = extend_get_random(&t, &expected, &r2);
    assert_eq!(digest, expected.as_slice(), "command audit digest");
    let (command_digest, rest) = tpm2b(rest);
    assert!(rest.is_empty());
    let mut codes = 0x140u32.to_be_bytes().to_vec();
    codes.extend_from_slice(&GET_RANDOM.to_be_bytes());
    assert_eq!(command_digest, sha256(&t, &[&codes]).as_slice());

    // An audit session: its digest over the GetRandom it audited.
    t.ok(
        "tpm2_startauthsession",
        &["-S", &t.p("session.ctx"), "--audit-session"],
    );
    let r3 = random8(&t, Some("session.ctx"));
    t.ok(
        "tpm2_getsessionauditdigest",
        &[
            "-c",
            &t.p("ak.ctx"),
            "-S",
            &t.p("session.ctx"),
            "-m",
            &t.p("session.attest"),
            "-s",
            &t.p("session.sig"),
            "-f",
            "plain",
            "-g",
            "sha256",
            "--scheme",
            "rsassa",
        ],
    );
    openssl_verifies_ak(&t, "session.attest", "session.sig");
    let a = t.read("session.attest");
    let info = attested(&a, ST_ATTEST_SESSION_AUDIT);
    assert!(info[0] <= 1, "exclusiveSession is a TPMI_YES_NO");
    let (digest, rest) = tpm2b(&info[1..]);
    assert!(rest.is_empty());
    assert_eq!(
        digest,
        extend_get_random(&t, &[0; 32], &r3).as_slice(),
        "session audit digest"
    );
}

fn openssl_verifies_ak(t: &Tools, data: &str, sig: &str) {
    openssl_verifies(&t.p("ak.pem"), &t.p(data), &t.p(sig));
}
