//! `ferrotpm setup` as libvirt runs `swtpm_setup` (through the `swtpm_setup` symlink
//! `ferrotpm links` makes), then the TPM served by `ferrotpm socket` and examined with
//! Debian's tpm2-tools and OpenSSL: the EKs at their persistent handles are the keys the
//! TPM derives, the certificates in NV verify against the local CA and name the TPM, the
//! NV indices carry swtpm_setup's attributes, PCR banks are as asked, and an existing state
//! is never overwritten unless asked. A missing tool fails the test.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A directory with the `swtpm_setup` and `swtpm` names pointing at ferrotpm.
fn personas(tmp: &TempDir) -> PathBuf {
    let bin = tmp.path().join("bin");
    let o = Command::new(ferrotpm())
        .args(["links", bin.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    bin
}

/// Runs `swtpm_setup ARGS` (ferrotpm's) with the local CA in `ca`; returns success and
/// stderr.
fn swtpm_setup(bin: &Path, ca: &Path, args: &[&str]) -> (bool, String) {
    let o = Command::new(bin.join("swtpm_setup"))
        .args(args)
        .env("FERROTPM_LOCALCA_DIR", ca)
        .output()
        .unwrap();
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// libvirt's first-start invocation (../shared/ref/swtpm-interfaces.md §1.4).
fn libvirt_args<'a>(state: &'a str, log: &'a str) -> Vec<&'a str> {
    vec![
        "--tpm2",
        "--tpm-state",
        state,
        "--vmid",
        "guest1:6a3c6f3e-8a7f-4c9e-9d5e-3f1b2a0c4d11",
        "--logfile",
        log,
        "--createek",
        "--create-ek-cert",
        "--create-platform-cert",
        "--lock-nvram",
        "--not-overwrite",
    ]
}

fn openssl_ok(args: &[&str]) -> String {
    tool_ok("openssl", args)
}

#[test]
fn libvirt_setup_then_socket_serves_eks_and_certificates() {
    let tmp = TempDir::new("setup");
    let bin = personas(&tmp);
    let ca = tmp.path().join("ca");
    let state = tmp.path().join("state");
    let log = tmp.path().join("setup.log");
    let (ok, err) = swtpm_setup(
        &bin,
        &ca,
        &libvirt_args(state.to_str().unwrap(), log.to_str().unwrap()),
    );
    assert!(ok, "swtpm_setup failed: {err}");
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(
        log_text.contains("Successfully authored TPM state."),
        "{log_text}"
    );

    let (_p, port) = start_socket(&state, &["--flags", "not-need-init,startup-clear"]);
    let t = Tools {
        tcti: format!("swtpm:host=127.0.0.1,port={port}"),
        dir: tmp.path().to_path_buf(),
    };
    let handles = t.ok("tpm2_getcap", &["handles-persistent"]);
    assert!(
        handles.contains("0x81010001") && handles.contains("0x81010016"),
        "{handles}"
    );

    // Every certificate index: swtpm_setup's attributes, written and locked.
    let nv = t.ok("tpm2_nvreadpublic", &[]);
    for index in ["0x1c00002", "0x1c00016", "0x1c08000"] {
        let at = nv
            .find(&format!("{index}:"))
            .unwrap_or_else(|| panic!("{index}: {nv}"));
        let entry = &nv[at..];
        let attrs = entry.find("value: 0x6").map(|i| &entry[i + 7..i + 17]);
        assert_eq!(attrs, Some("0x62072801"), "{index}: {entry}");
    }
    let chain = [
        "-CAfile".to_string(),
        ca.join("ferrotpm-localca-rootca-cert.pem")
            .to_str()
            .unwrap()
            .to_string(),
        "-untrusted".to_string(),
        ca.join("ferrotpm-localca-cert.pem")
            .to_str()
            .unwrap()
            .to_string(),
    ];
    for (index, name) in [
        ("0x01c00002", "ek-rsa"),
        ("0x01c00016", "ek-ecc"),
        ("0x01c08000", "platform"),
    ] {
        let der = t.p(&format!("{name}.der"));
        let pem = t.p(&format!("{name}.pem"));
        t.ok("tpm2_nvread", &[index, "-C", "o", "-o", &der]);
        openssl_ok(&["x509", "-inform", "der", "-in", &der, "-out", &pem]);
        let mut args: Vec<&str> = vec!["verify"];
        args.extend(chain.iter().map(String::as_str));
        args.push(&pem);
        let v = openssl_ok(&args);
        assert!(v.contains(": OK"), "{name}: {v}");
        let text = openssl_ok(&["x509", "-in", &pem, "-noout", "-text"]);
        // The subject is the VM, as libvirt's --vmid names it.
        assert!(
            text.contains("Subject: CN = guest1:6a3c6f3e-8a7f-4c9e-9d5e-3f1b2a0c4d11"),
            "{name}: {text}"
        );
        if name == "platform" {
            for oid in [
                "2.23.133.5.1.1",
                "2.23.133.5.1.4",
                "2.23.133.5.1.5",
                "2.23.133.8.2",
            ] {
                assert!(text.contains(oid), "{name} lacks {oid}: {text}");
            }
        } else {
            for oid in [
                "2.23.133.2.1",
                "2.23.133.2.2",
                "2.23.133.2.3",
                "2.23.133.8.1",
            ] {
                assert!(text.contains(oid), "{name} lacks {oid}: {text}");
            }
            assert!(
                text.contains("46455252"),
                "{name}: the manufacturer id: {text}"
            );
        }
    }

    // The certified keys are the EKs at their handles, and the keys the TPM derives from
    // the EK templates (tpm2_createek computes them afresh).
    let cert_modulus = openssl_ok(&["x509", "-in", &t.p("ek-rsa.pem"), "-noout", "-modulus"]);
    let cert_modulus = cert_modulus
        .trim()
        .trim_start_matches("Modulus=")
        .to_lowercase();
    let persistent = t.ok("tpm2_readpublic", &["-c", "0x81010001"]);
    assert!(
        persistent.contains(&format!("rsa: {cert_modulus}")),
        "{persistent}"
    );
    t.ok(
        "tpm2_createek",
        &["-c", &t.p("ek.ctx"), "-G", "rsa", "-u", &t.p("ek.pub")],
    );
    let derived = t.ok("tpm2_readpublic", &["-c", &t.p("ek.ctx")]);
    assert!(
        derived.contains(&format!("rsa: {cert_modulus}")),
        "{derived}"
    );
    t.flush_objects();

    let ecc = t.ok("tpm2_readpublic", &["-c", "0x81010016"]);
    let x = ecc
        .lines()
        .find_map(|l| l.strip_prefix("x: "))
        .unwrap()
        .to_string();
    let ecc_text = openssl_ok(&["x509", "-in", &t.p("ek-ecc.pem"), "-noout", "-text"]);
    let point: String = ecc_text
        .split("pub:")
        .nth(1)
        .unwrap()
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("                    "))
        .map(|l| l.trim().replace(':', ""))
        .collect();
    assert!(point.starts_with(&format!("04{x}")), "{point} vs {x}");
    assert!(ecc_text.contains("NIST CURVE: P-384") || ecc_text.contains("secp384r1"));

    // The default bank allocation: SHA-256 only.
    let pcrs = t.ok("tpm2_getcap", &["pcrs"]);
    assert!(pcrs.contains("sha256: [ 0, 1, 2"), "{pcrs}");
    assert!(pcrs.contains("sha1: [ ]"), "{pcrs}");
}

#[test]
fn existing_state_is_kept_unless_overwrite_is_given() {
    let tmp = TempDir::new("setup-keep");
    let bin = personas(&tmp);
    let ca = tmp.path().join("ca");
    let state = tmp.path().join("state");
    let log = tmp.path().join("setup.log");
    let s = state.to_str().unwrap();
    let l = log.to_str().unwrap();
    assert!(swtpm_setup(&bin, &ca, &libvirt_args(s, l)).0);
    let file = state.join("tpm2-permanent.state");
    let first = std::fs::read(&file).unwrap();

    // --not-overwrite: success, nothing touched.
    assert!(swtpm_setup(&bin, &ca, &libvirt_args(s, l)).0);
    assert_eq!(std::fs::read(&file).unwrap(), first);
    // Neither flag: an error, nothing touched.
    let (ok, _) = swtpm_setup(&bin, &ca, &["--tpm2", "--tpm-state", s, "--createek"]);
    assert!(!ok);
    assert!(std::fs::read_to_string(&log)
        .unwrap()
        .contains("Not overwriting"));
    assert_eq!(std::fs::read(&file).unwrap(), first);
    // --overwrite: a new TPM (new seeds, so a new EK).
    let read_ek = || {
        let (_p, port) = start_socket(&state, &["--flags", "not-need-init,startup-clear"]);
        tool_ok(
            "tpm2_readpublic",
            &[
                "-T",
                &format!("swtpm:host=127.0.0.1,port={port}"),
                "-c",
                "0x81010001",
            ],
        )
    };
    let before = read_ek();
    let (ok, err) = swtpm_setup(
        &bin,
        &ca,
        &["--tpm2", "--tpm-state", s, "--createek", "--overwrite"],
    );
    assert!(ok, "{err}");
    assert_ne!(read_ek(), before);
    // --reconfigure keeps the keys and changes only the banks.
    let ek = read_ek();
    let (ok, err) = swtpm_setup(
        &bin,
        &ca,
        &[
            "--tpm2",
            "--tpm-state",
            s,
            "--reconfigure",
            "--pcr-banks",
            "sha1,sha256",
        ],
    );
    assert!(ok, "{err}");
    assert_eq!(read_ek(), ek);
    let (_p, port) = start_socket(&state, &["--flags", "not-need-init,startup-clear"]);
    let pcrs = tool_ok(
        "tpm2_getcap",
        &["-T", &format!("swtpm:host=127.0.0.1,port={port}"), "pcrs"],
    );
    assert!(
        pcrs.contains("sha1: [ 0, 1, 2") && pcrs.contains("sha256: [ 0, 1, 2"),
        "{pcrs}"
    );
}

#[test]
fn password_fd_gives_an_encrypted_state() {
    let tmp = TempDir::new("setup-pwd");
    let bin = personas(&tmp);
    let ca = tmp.path().join("ca");
    let state = tmp.path().join("state");
    let pw = tmp.path().join("pw");
    std::fs::write(&pw, "correct horse battery staple").unwrap();
    // libvirt hands the password over a pipe on an inherited descriptor.
    let script = format!(
        "exec {} --tpm2 --tpm-state {} --createek --create-ek-cert --pwdfile-fd 7 \
         --cipher aes-256-cbc 7<{}",
        bin.join("swtpm_setup").display(),
        state.display(),
        pw.display()
    );
    let o = Command::new("bash")
        .args(["-c", &script])
        .env("FERROTPM_LOCALCA_DIR", &ca)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let blob = std::fs::read(state.join("tpm2-permanent.state")).unwrap();
    assert_eq!(&blob[..4], b"FTPE", "the state is sealed");
    // Without the password the daemon refuses the state, naming the file.
    let err = refused(&state, &[]);
    assert!(err.contains("tpm2-permanent.state"), "{err}");
    // With it, the EK is there.
    let key = format!("pwdfile={},mode=aes-256-cbc", pw.display());
    let (_p, port) = start_socket(
        &state,
        &["--key", &key, "--flags", "not-need-init,startup-clear"],
    );
    tool_ok(
        "tpm2_readpublic",
        &[
            "-T",
            &format!("swtpm:host=127.0.0.1,port={port}"),
            "-c",
            "0x81010001",
        ],
    );
}

#[test]
fn print_capabilities_names_the_features_libvirt_reads() {
    let tmp = TempDir::new("setup-caps");
    let bin = personas(&tmp);
    let o = Command::new(bin.join("swtpm_setup"))
        .arg("--print-capabilities")
        .output()
        .unwrap();
    assert!(o.status.success());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["type"], "swtpm_setup");
    let f: Vec<&str> = v["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap())
        .collect();
    for want in [
        "tpm-2.0",
        "cmdarg-pwdfile-fd",
        "cmdarg-create-config-files",
        "cmdarg-reconfigure-pcr-banks",
    ] {
        assert!(f.contains(&want), "{f:?}");
    }
    assert!(!f.contains(&"tpm-1.2"), "ferrotpm is no TPM 1.2");
}

/// Debian's own swtpm_setup (with its swtpm_localca) manufacturing a TPM on ferrotpm's
/// `swtpm` persona: the other way libvirt can use ferrotpm.
#[test]
fn debian_swtpm_setup_drives_ferrotpm_as_swtpm() {
    let tmp = TempDir::new("setup-debian");
    let bin = personas(&tmp);
    let ca = tmp.path().join("swtpm-localca");
    std::fs::create_dir_all(&ca).unwrap();
    let d = |f: &str| ca.join(f).display().to_string();
    let localca_conf = tmp.path().join("swtpm-localca.conf");
    std::fs::write(
        &localca_conf,
        format!(
            "statedir = {}\nsigningkey = {}\nissuercert = {}\ncertserial = {}\n",
            ca.display(),
            d("signkey.pem"),
            d("issuercert.pem"),
            d("certserial")
        ),
    )
    .unwrap();
    let options = tmp.path().join("swtpm-localca.options");
    std::fs::write(
        &options,
        "--platform-manufacturer ferrotpm\n--platform-version 1\n--platform-model test\n",
    )
    .unwrap();
    let setup_conf = tmp.path().join("swtpm_setup.conf");
    std::fs::write(
        &setup_conf,
        format!(
            "create_certs_tool = /usr/bin/swtpm_localca\ncreate_certs_tool_config = {}\n\
             create_certs_tool_options = {}\nactive_pcr_banks = sha256\n",
            localca_conf.display(),
            options.display()
        ),
    )
    .unwrap();
    let state = tmp.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let swtpm = format!("{} socket", bin.join("swtpm").display());
    let out = tool(
        "swtpm_setup",
        &[
            "--tpm2",
            "--tpm-state",
            state.to_str().unwrap(),
            "--tpm",
            &swtpm,
            "--config",
            setup_conf.to_str().unwrap(),
            "--createek",
            "--create-ek-cert",
            "--create-platform-cert",
            "--lock-nvram",
        ],
    );
    assert!(
        out.status.success(),
        "Debian's swtpm_setup failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (_p, port) = start_socket(&state, &["--flags", "not-need-init,startup-clear"]);
    let t = Tools {
        tcti: format!("swtpm:host=127.0.0.1,port={port}"),
        dir: tmp.path().to_path_buf(),
    };
    let nv = t.ok("tpm2_nvreadpublic", &[]);
    for index in ["0x1c00002", "0x1c00016", "0x1c08000"] {
        assert!(nv.contains(index), "{nv}");
    }
    assert_eq!(nv.matches("0x62072801").count(), 3, "{nv}");
    let der = t.p("ek.der");
    t.ok("tpm2_nvread", &["0x01c00002", "-C", "o", "-o", &der]);
    let modulus = openssl_ok(&["x509", "-inform", "der", "-in", &der, "-noout", "-modulus"]);
    let modulus = modulus.trim().trim_start_matches("Modulus=").to_lowercase();
    let ek = t.ok("tpm2_readpublic", &["-c", "0x81010001"]);
    assert!(ek.contains(&format!("rsa: {modulus}")), "{ek}");
}

#[test]
fn rsa_3072_ek_at_the_high_range_handle_and_index() {
    let tmp = TempDir::new("setup-3072");
    let state = tmp.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    let ca = tmp.path().join("ca");
    let o = Command::new(ferrotpm())
        .args(["setup", "--tpm2", "--tpm-state"])
        .arg(&state)
        .args(["--createek", "--create-ek-cert", "--lock-nvram"])
        .args(["--rsa-keysize", "3072", "--localca-dir"])
        .arg(&ca)
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{log}");
    assert!(
        log.contains("Successfully created RSA 3072 EK with handle 0x8101001c."),
        "{log}"
    );
    let (_p, port) = start_socket(&state, &["--flags", "not-need-init,startup-clear"]);
    let t = Tools {
        tcti: format!("swtpm:host=127.0.0.1,port={port}"),
        dir: tmp.path().to_path_buf(),
    };
    let handles = t.ok("tpm2_getcap", &["handles-persistent"]);
    assert!(
        handles.contains("0x8101001C") || handles.contains("0x8101001c"),
        "{handles}"
    );
    assert!(!handles.contains("0x81010001"), "{handles}");
    // Template H-2: RSA-3072, SHA-384, AES-256-CFB, userWithAuth.
    let public = t.ok(
        "tpm2_readpublic",
        &["-c", "0x8101001c", "-o", &t.p("ek.pem"), "-f", "pem"],
    );
    assert!(public.contains("bits: 3072"), "{public}");
    assert!(public.contains("name-alg:\n  value: sha384"), "{public}");
    assert!(public.contains("userwithauth"), "{public}");
    assert!(public.contains("sym-keybits: 256"), "{public}");

    // The certificate at 0x01C0001C verifies against the CA and holds this EK's key.
    let der = t.p("ek3072.der");
    let pem = t.p("ek3072.pem");
    t.ok("tpm2_nvread", &["0x01c0001c", "-C", "o", "-o", &der]);
    openssl_ok(&["x509", "-inform", "der", "-in", &der, "-out", &pem]);
    let v = openssl_ok(&[
        "verify",
        "-CAfile",
        ca.join("ferrotpm-localca-rootca-cert.pem")
            .to_str()
            .unwrap(),
        "-untrusted",
        ca.join("ferrotpm-localca-cert.pem").to_str().unwrap(),
        &pem,
    ]);
    assert!(v.contains(": OK"), "{v}");
    let cert_key = openssl_ok(&["x509", "-in", &pem, "-noout", "-pubkey"]);
    let tpm_key = std::fs::read_to_string(t.p("ek.pem")).unwrap();
    assert_eq!(cert_key.trim(), tpm_key.trim());

    // attest finds it and satisfies its PolicyB (PolicySecret, then PolicyOR).
    let o = Command::new(ferrotpm())
        .args([
            "attest", "--tpm", &t.tcti, "--ek", "rsa3072", "--format", "json",
        ])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["ek"]["persistent"], "0x8101001c");
    assert_eq!(r["ek"]["kind"], "RSA-3072");
    assert_eq!(r["verified"], true);
}
