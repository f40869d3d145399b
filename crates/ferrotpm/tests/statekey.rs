//! State encryption end to end: `--key` from a file and from a password fd (libvirt's
//! form), state files that are not plaintext, restarts that keep PCR and NV state, refusal
//! of a wrong or missing key naming the file, a plain state encrypted once a key is given,
//! migration between two daemons with `--migration-key`, and GET_CONFIG / GET_STATEBLOB /
//! SET_STATEBLOB answers compared with Debian's swtpm for every key combination.

mod common;
use common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

fn msg(code: u32, words: &[u32], data: &[u8]) -> Vec<u8> {
    let mut m = code.to_be_bytes().to_vec();
    for w in words {
        m.extend_from_slice(&w.to_be_bytes());
    }
    m.extend_from_slice(data);
    m
}

fn word(b: &[u8], i: usize) -> u32 {
    u32::from_be_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]])
}

/// GET_STATEBLOB: (result, state flags, blob).
fn get_blob(ctrl_port: u16, flags: u32, blob_type: u32) -> (u32, u32, Vec<u8>) {
    let r = ctrl(ctrl_port, &msg(0x0C, &[flags, blob_type, 0], &[]));
    assert!(r.len() >= 16, "short GET_STATEBLOB answer {r:02x?}");
    (word(&r, 0), word(&r, 1), r[16..].to_vec())
}

/// STOP, then SET_STATEBLOB; returns the result.
fn set_blob(ctrl_port: u16, flags: u32, blob_type: u32, data: &[u8]) -> u32 {
    ctrl(ctrl_port, &msg(0x0E, &[], &[]));
    let r = ctrl(
        ctrl_port,
        &msg(0x0D, &[flags, blob_type, data.len() as u32], data),
    );
    word(&r, 0)
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A random 256-bit key as a hex key file (with swtpm's optional `0x` and a newline).
fn key_file(dir: &Path, name: &str) -> PathBuf {
    let mut k = [0u8; 32];
    getrandom::getrandom(&mut k).unwrap();
    let hex: String = k.iter().map(|b| format!("{b:02x}")).collect();
    let p = dir.join(name);
    std::fs::write(&p, format!("0x{hex}\n")).unwrap();
    p
}

fn key_arg(p: &Path) -> String {
    format!("file={},mode=aes-256-cbc", p.display())
}

fn tcti(port: u16) -> String {
    format!("swtpm:host=127.0.0.1,port={port}")
}

fn pcr1(port: u16) -> String {
    tool_ok("tpm2_pcrread", &["-T", &tcti(port), "sha256:1"])
}

/// Runs `ferrotpm socket` on `state` expecting it to refuse to start; returns stderr.
fn stop(mut d: Proc) {
    d.signal("TERM");
    assert!(d
        .wait_timeout(Duration::from_secs(5))
        .expect("SIGTERM ends the daemon")
        .success());
}

const START_CLEAR: [&str; 2] = ["--flags", "not-need-init,startup-clear"];
const START_STATE: [&str; 2] = ["--flags", "not-need-init,startup-state"];

/// One TPM command on the data channel; returns the response.
fn tpm(port: u16, cmd: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(cmd).unwrap();
    let mut hdr = [0u8; 10];
    s.read_exact(&mut hdr).unwrap();
    let size = u32::from_be_bytes([hdr[2], hdr[3], hdr[4], hdr[5]]) as usize;
    let mut rest = vec![0u8; size - 10];
    s.read_exact(&mut rest).unwrap();
    [&hdr[..], &rest].concat()
}

/// A command with a password session (empty password) for its handles.
fn with_pw(cc: u32, handles: &[u32], params: &[u8]) -> Vec<u8> {
    let mut c = vec![0x80, 0x02, 0, 0, 0, 0];
    c.extend_from_slice(&cc.to_be_bytes());
    for h in handles {
        c.extend_from_slice(&h.to_be_bytes());
    }
    // Authorization area: TPM_RS_PW, empty nonce, attributes 0, empty password.
    c.extend_from_slice(&[0, 0, 0, 9, 0x40, 0, 0, 9, 0, 0, 0, 0, 0]);
    c.extend_from_slice(params);
    let n = c.len() as u32;
    c[2..6].copy_from_slice(&n.to_be_bytes());
    c
}

fn rc(r: &[u8]) -> u32 {
    u32::from_be_bytes([r[6], r[7], r[8], r[9]])
}

const OWNER: u32 = 0x4000_0001;
const NV_INDEX: u32 = 0x0150_0016;

/// Extends PCR 1, defines and writes an NV index (raw commands), Shutdown(STATE);
/// returns (PCR 1, NV contents).
fn make_state(port: u16) -> (String, Vec<u8>) {
    let t = tcti(port);
    tool_ok(
        "tpm2_pcrextend",
        &["-T", &t, &format!("1:sha256={}", "cd".repeat(32))],
    );
    // TPM2_NV_DefineSpace: empty auth; public = index, SHA-256, OWNERWRITE|OWNERREAD,
    // no policy, 8 bytes.
    let mut p = vec![0, 0, 0, 14];
    p.extend_from_slice(&NV_INDEX.to_be_bytes());
    p.extend_from_slice(&[0, 0x0B, 0, 0x02, 0, 0x02, 0, 0, 0, 8]);
    assert_eq!(rc(&tpm(port, &with_pw(0x12A, &[OWNER], &p))), 0);
    // TPM2_NV_Write: 8 bytes at offset 0.
    let mut p = vec![0, 8];
    p.extend_from_slice(b"sealed!!");
    p.extend_from_slice(&[0, 0]);
    assert_eq!(rc(&tpm(port, &with_pw(0x137, &[OWNER, NV_INDEX], &p))), 0);
    let state = (pcr1(port), nvread(port));
    assert_eq!(state.1, b"sealed!!");
    tool_ok("tpm2_shutdown", &["-T", &t]);
    state
}

/// TPM2_NV_Read of the whole index.
fn nvread(port: u16) -> Vec<u8> {
    let r = tpm(port, &with_pw(0x14E, &[OWNER, NV_INDEX], &[0, 8, 0, 0]));
    assert_eq!(rc(&r), 0, "NV_Read {r:02x?}");
    // Header, parameterSize, TPM2B size.
    r[16..24].to_vec()
}

/// Neither state file holds the engine's plain blob.
fn assert_encrypted(state: &Path) {
    for f in ["tpm2-permanent.state", "tpm2-volatile.state"] {
        if let Ok(b) = std::fs::read(state.join(f)) {
            assert!(b.starts_with(b"FTPE"), "{f} is not an encrypted envelope");
            assert!(!contains(&b, b"FTPM"), "{f} holds the plain engine blob");
        }
    }
}

#[test]
fn key_file_encrypts_the_state_and_a_restart_keeps_it() {
    let dir = TempDir::new("key-file");
    let state = dir.path().join("state");
    let key = key_file(dir.path(), "key");
    let wrong = key_file(dir.path(), "wrong");
    let karg = key_arg(&key);
    let (d, port) = start_socket(&state, &[&START_CLEAR[..], &["--key", &karg]].concat());
    let (pcr, nv) = make_state(port);
    stop(d);
    assert_encrypted(&state);
    let file = state.join("tpm2-permanent.state");
    let stored = std::fs::read(&file).unwrap();

    // The right key: Startup(STATE) resumes PCR 1, NV is intact.
    let (d, port) = start_socket(&state, &[&START_STATE[..], &["--key", &karg]].concat());
    assert_eq!(pcr1(port), pcr);
    assert_eq!(nvread(port), nv);
    stop(d);
    assert_encrypted(&state);

    // A wrong key, no key, a key of another size: refused at start, naming the file,
    // with or without not-need-init; the file is never replaced.
    let stored = {
        let now = std::fs::read(&file).unwrap();
        assert_ne!(now, stored, "a new nonce at every write");
        now
    };
    let warg = key_arg(&wrong);
    for extra in [
        vec!["--key", &warg, "--flags", "startup-clear"],
        vec!["--key", &warg],
    ] {
        let err = refused(&state, &extra);
        assert!(
            err.contains("tpm2-permanent.state") && err.contains("wrong key or damaged"),
            "{err}"
        );
    }
    let err = refused(&state, &["--flags", "startup-clear"]);
    assert!(
        err.contains("tpm2-permanent.state") && err.contains("encrypted"),
        "{err}"
    );
    let short = dir.path().join("short");
    std::fs::write(&short, "00112233445566778899aabbccddeeff").unwrap();
    let err = refused(&state, &["--key", &format!("file={}", short.display())]);
    assert!(
        err.contains("wrong key or damaged") && err.contains("128-bit"),
        "{err}"
    );
    assert_eq!(std::fs::read(&file).unwrap(), stored);
}

/// A pipe whose read end the child inherits; the password is in it and the write end is
/// closed, as libvirt hands one over.
fn password_pipe(password: &[u8]) -> std::io::PipeReader {
    let (r, mut w) = std::io::pipe().unwrap();
    w.write_all(password).unwrap();
    drop(w);
    rustix::io::fcntl_setfd(&r, rustix::io::FdFlags::empty()).unwrap();
    r
}

#[test]
fn password_fd_as_libvirt_passes_it() {
    let dir = TempDir::new("pwdfd");
    let state = dir.path().join("state");
    let pipe = password_pipe(b"correct horse battery staple");
    let arg = format!("pwdfd={},mode=aes-256-cbc", pipe.as_raw_fd());
    let (d, port) = start_socket(&state, &[&START_CLEAR[..], &["--key", &arg]].concat());
    drop(pipe);
    let (pcr, nv) = make_state(port);
    stop(d);
    assert_encrypted(&state);

    // The same password from a file opens it; a 128-bit mode changes nothing (a password
    // always gives a 256-bit key).
    let pw = dir.path().join("pw");
    std::fs::write(&pw, b"correct horse battery staple").unwrap();
    let parg = format!("pwdfile={},mode=aes-cbc", pw.display());
    let (d, port) = start_socket(&state, &[&START_STATE[..], &["--key", &parg]].concat());
    assert_eq!(pcr1(port), pcr);
    assert_eq!(nvread(port), nv);
    stop(d);

    // Another password, or the other KDF: refused, naming the file.
    std::fs::write(&pw, b"correct horse battery staple\n").unwrap();
    let err = refused(&state, &["--key", &format!("pwdfile={}", pw.display())]);
    assert!(
        err.contains("tpm2-permanent.state") && err.contains("wrong key or damaged"),
        "{err}"
    );
    let pipe = password_pipe(b"correct horse battery staple");
    let err = refused(
        &state,
        &["--key", &format!("pwdfd={},kdf=sha512", pipe.as_raw_fd())],
    );
    assert!(err.contains("kdf=sha512"), "{err}");
}

#[test]
fn a_plain_state_is_encrypted_once_a_key_is_given() {
    let dir = TempDir::new("upgrade");
    let state = dir.path().join("state");
    let (d, port) = start_socket(&state, &START_CLEAR);
    let (pcr, nv) = make_state(port);
    stop(d);
    let file = state.join("tpm2-permanent.state");
    assert!(std::fs::read(&file).unwrap().starts_with(b"FTPM"));

    let karg = key_arg(&key_file(dir.path(), "key"));
    let (d, port) = start_socket(&state, &[&START_STATE[..], &["--key", &karg]].concat());
    // Encrypted at start, before anything else was written.
    assert_encrypted(&state);
    assert_eq!(pcr1(port), pcr);
    assert_eq!(nvread(port), nv);
    stop(d);
    let err = refused(&state, &START_CLEAR);
    assert!(err.contains("no --key was given"), "{err}");
}

#[test]
fn migration_between_daemons_with_the_migration_key() {
    let dir = TempDir::new("migrate");
    let mig = key_arg(&key_file(dir.path(), "mig"));
    let other = key_arg(&key_file(dir.path(), "other"));
    let ka = key_arg(&key_file(dir.path(), "ka"));
    let kb = key_arg(&key_file(dir.path(), "kb"));
    let (_a, pa) = start_socket(
        &dir.path().join("a"),
        &[&START_CLEAR[..], &["--key", &ka, "--migration-key", &mig]].concat(),
    );
    let t = tcti(pa);
    tool_ok(
        "tpm2_pcrextend",
        &["-T", &t, &format!("1:sha256={}", "ef".repeat(32))],
    );
    let pcr = pcr1(pa);
    let cfg = tool_ok(
        "swtpm_ioctl",
        &["--tcp", &format!("127.0.0.1:{}", pa + 1), "-g"],
    );
    assert_eq!(cfg.trim(), "ptm configuration flags: 0x3");
    // As QEMU takes them: DECRYPTED, so only the migration key protects them.
    let (r1, f1, perm) = get_blob(pa + 1, 1, 1);
    let (r2, f2, vol) = get_blob(pa + 1, 1, 2);
    assert_eq!((r1, f1, r2, f2), (0, 0, 0, 0));
    for b in [&perm, &vol] {
        assert!(b.starts_with(b"FTPE") && !contains(b, b"FTPM"));
    }
    // Without DECRYPTED the file key's layer is inside too (ENCRYPTED flag).
    let (_, f, layered) = get_blob(pa + 1, 0, 1);
    assert_eq!(f, 2);

    // A second daemon with its own file key and the same migration key resumes.
    let b_state = dir.path().join("b");
    let (_b, pb) = start_socket(&b_state, &["--key", &kb, "--migration-key", &mig]);
    assert_eq!(set_blob(pb + 1, 0, 1, &perm), 0);
    assert_eq!(set_blob(pb + 1, 0, 2, &vol), 0);
    assert_eq!(ctrl(pb + 1, &msg(0x02, &[0], &[])), vec![0, 0, 0, 0]);
    assert_eq!(pcr1(pb), pcr, "PCRs resume on the destination");
    assert_encrypted(&b_state);
    // The layered blob needs A's file key, which B does not have.
    assert_eq!(set_blob(pb + 1, 2, 1, &layered), 0x21);

    // Another migration key: TPM_DECRYPT_ERROR; none: TPM_KEYNOTFOUND (as swtpm).
    let (_c, pc) = start_socket(&dir.path().join("c"), &["--migration-key", &other]);
    assert_eq!(set_blob(pc + 1, 0, 1, &perm), 0x21);
    let (_n, pn) = start_socket(&dir.path().join("n"), &[]);
    assert_eq!(set_blob(pn + 1, 0, 1, &perm), 0x0D);
}

/// Every observable answer of one implementation, for the four key combinations.
fn answers(swtpm: bool, dir: &Path, keys: &[(&str, Vec<String>)]) -> Vec<String> {
    let start = |name: &str, args: &[String]| {
        let state = dir.join(format!("{}-{name}", if swtpm { "sw" } else { "ft" }));
        let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        if swtpm {
            start_swtpm(&state, &[&START_CLEAR[..], &a].concat())
        } else {
            start_socket(&state, &[&START_CLEAR[..], &a].concat())
        }
    };
    let mut out = Vec::new();
    let mut blobs = Vec::new();
    for (name, args) in keys {
        let (_d, p) = start(name, args);
        out.push(format!(
            "{name}: GET_CONFIG {:02x?}",
            ctrl(p + 1, &msg(0x0F, &[], &[]))
        ));
        for (flags, t) in [(0, 1), (0, 2), (1, 1), (1, 2)] {
            let (r, f, _) = get_blob(p + 1, flags, t);
            out.push(format!(
                "{name}: GET_STATEBLOB flags {flags} type {t}: {r:#x} {f}"
            ));
        }
        let (_, _, blob) = get_blob(p + 1, 0, 1);
        if *name != "none" {
            // The daemon's own keys take it back; a damaged copy is refused.
            let mut bad = blob.clone();
            let mid = bad.len() / 2;
            bad[mid] ^= 0x01;
            let r = set_blob(p + 1, 0, 1, &bad);
            out.push(format!("{name}: SET_STATEBLOB damaged: {r:#x}"));
            let r = set_blob(p + 1, 0, 1, &blob);
            out.push(format!("{name}: SET_STATEBLOB own: {r:#x}"));
            blobs.push((name.to_string(), blob));
        }
    }
    // Into a daemon without keys, and into one with other keys.
    let (_n, pn) = start("nokey", &[]);
    let w: Vec<String> = keys[3]
        .1
        .iter()
        .map(|s| {
            s.replace("fk,mode", "fw,mode")
                .replace("mk,mode", "mw,mode")
        })
        .collect();
    let (_w, pw) = start("wrong", &w);
    for (name, blob) in &blobs {
        for flags in [0, 2] {
            let r = set_blob(pn + 1, flags, 1, blob);
            out.push(format!("{name} blob, flags {flags}, no keys: {r:#x}"));
            let r = set_blob(pw + 1, flags, 1, blob);
            out.push(format!("{name} blob, flags {flags}, other keys: {r:#x}"));
        }
    }
    out
}

#[test]
fn key_answers_match_swtpm() {
    let dir = TempDir::new("key-vs-swtpm");
    for n in ["fk", "mk", "fw", "mw"] {
        key_file(dir.path(), n);
    }
    let arg = |n: &str| key_arg(&dir.path().join(n));
    let keys: Vec<(&str, Vec<String>)> = vec![
        ("none", vec![]),
        ("key", vec!["--key".into(), arg("fk")]),
        ("migration-key", vec!["--migration-key".into(), arg("mk")]),
        (
            "both",
            vec![
                "--key".into(),
                arg("fk"),
                "--migration-key".into(),
                arg("mk"),
            ],
        ),
    ];
    let sw = answers(true, dir.path(), &keys);
    let ft = answers(false, dir.path(), &keys);
    let diff: Vec<String> = sw
        .iter()
        .zip(&ft)
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("swtpm   {a}\nferrotpm {b}"))
        .collect();
    assert_eq!(sw.len(), ft.len());
    assert!(diff.is_empty(), "differences:\n{}", diff.join("\n"));
    println!("{} answers compared:\n{}", sw.len(), sw.join("\n"));
}
