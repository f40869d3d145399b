//! Debian's tpm2-tools against ferrotpm for policy sessions: sealing to PCRs
//! (tpm2_createpolicy --policy-pcr, tpm2_create -L, tpm2_unseal -p pcr:...), which unseals
//! only while the PCRs match; PolicyOR across two PCR states; the systemd signed-policy
//! flow (an OpenSSL-signed PolicyPCR digest, tpm2_loadexternal + tpm2_verifysignature
//! ticket + tpm2_policyauthorize); PolicyAuthorizeNV (the approved policy in an NV
//! index, re-targeted by rewriting it); and PolicySecret against the endorsement hierarchy,
//! whose digest is computed here from Part 3's formula.

mod common;
use common::*;

fn sha256(parts: &[&[u8]]) -> Vec<u8> {
    use std::io::Write;
    let mut child = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-binary"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("openssl is required for this test");
    {
        let mut i = child.stdin.take().unwrap();
        for p in parts {
            i.write_all(p).unwrap();
        }
    }
    child.wait_with_output().unwrap().stdout
}

fn seal_to_pcrs(t: &Tools) {
    t.ok(
        "tpm2_createprimary",
        &[
            "-C",
            "o",
            "-g",
            "sha256",
            "-G",
            "ecc256",
            "-c",
            &t.p("prim.ctx"),
        ],
    );
    t.flush_all();
    t.ok(
        "tpm2_createpolicy",
        &["--policy-pcr", "-l", "sha256:0,7", "-L", &t.p("pcr.policy")],
    );
    t.flush_all();
    assert_eq!(t.read("pcr.policy").len(), 32);
    std::fs::write(t.dir.join("secret"), b"sealed to PCRs").unwrap();
    t.ok(
        "tpm2_create",
        &[
            "-C",
            &t.p("prim.ctx"),
            "-L",
            &t.p("pcr.policy"),
            "-i",
            &t.p("secret"),
            "-u",
            &t.p("seal.pub"),
            "-r",
            &t.p("seal.priv"),
        ],
    );
    t.flush_all();
    t.ok(
        "tpm2_load",
        &[
            "-C",
            &t.p("prim.ctx"),
            "-u",
            &t.p("seal.pub"),
            "-r",
            &t.p("seal.priv"),
            "-c",
            &t.p("seal.ctx"),
        ],
    );
    t.flush_all();
    let out = t.ok(
        "tpm2_unseal",
        &["-c", &t.p("seal.ctx"), "-p", "pcr:sha256:0,7"],
    );
    assert_eq!(out, "sealed to PCRs");
    t.flush_all();
    // The password (no policy) is refused: userWithAuth is clear.
    t.fails("tpm2_unseal", &["-c", &t.p("seal.ctx")]);
    t.flush_all();
    // After an extend of PCR 7 the policy no longer matches.
    t.ok(
        "tpm2_pcrextend",
        &["7:sha256=0000000000000000000000000000000000000000000000000000000000000001"],
    );
    let err = t.fails(
        "tpm2_unseal",
        &["-c", &t.p("seal.ctx"), "-p", "pcr:sha256:0,7"],
    );
    assert!(err.contains("0x99d") || err.contains("policy"), "{err}");
    t.flush_all();
}

/// Only the transient objects (sessions stay for the next tool).
fn flush_objects(t: &Tools) {
    t.ok("tpm2_flushcontext", &["-t"]);
}

fn seal_with_policy(t: &Tools, policy: &str, secret: &[u8], name: &str) {
    std::fs::write(t.dir.join("secret"), secret).unwrap();
    t.ok(
        "tpm2_create",
        &[
            "-C",
            &t.p("prim.ctx"),
            "-L",
            policy,
            "-i",
            &t.p("secret"),
            "-u",
            &t.p(&format!("{name}.pub")),
            "-r",
            &t.p(&format!("{name}.priv")),
        ],
    );
    t.flush_all();
    t.ok(
        "tpm2_load",
        &[
            "-C",
            &t.p("prim.ctx"),
            "-u",
            &t.p(&format!("{name}.pub")),
            "-r",
            &t.p(&format!("{name}.priv")),
            "-c",
            &t.p(&format!("{name}.ctx")),
        ],
    );
    t.flush_all();
}

/// PolicyOR of two PolicyPCR branches (PCR 16 before and after an extend): unseals in
/// either state, not in a third.
fn policy_or_across_pcr_states(t: &Tools) {
    t.ok("tpm2_pcrreset", &["16"]);
    t.ok(
        "tpm2_createpolicy",
        &["--policy-pcr", "-l", "sha256:16", "-L", &t.p("a.policy")],
    );
    t.flush_all();
    let ext = "16:sha256=00000000000000000000000000000000000000000000000000000000000000aa";
    t.ok("tpm2_pcrextend", &[ext]);
    t.ok(
        "tpm2_createpolicy",
        &["--policy-pcr", "-l", "sha256:16", "-L", &t.p("b.policy")],
    );
    t.flush_all();
    let branches = format!("sha256:{},{}", t.p("a.policy"), t.p("b.policy"));
    t.ok("tpm2_startauthsession", &["-S", &t.p("trial.ctx")]);
    t.ok(
        "tpm2_policyor",
        &["-S", &t.p("trial.ctx"), "-L", &t.p("or.policy"), &branches],
    );
    t.ok("tpm2_flushcontext", &[&t.p("trial.ctx")]);
    seal_with_policy(t, &t.p("or.policy"), b"either state", "or");
    let unseal = |t: &Tools| {
        t.ok(
            "tpm2_startauthsession",
            &["--policy-session", "-S", &t.p("s.ctx")],
        );
        t.ok("tpm2_policypcr", &["-S", &t.p("s.ctx"), "-l", "sha256:16"]);
        let or = run_tool(t, "tpm2_policyor", &["-S", &t.p("s.ctx"), &branches]);
        let out = if or {
            let session = format!("session:{}", t.p("s.ctx"));
            let o = tool(
                "tpm2_unseal",
                &["-T", &t.tcti, "-c", &t.p("or.ctx"), "-p", &session],
            );
            o.status
                .success()
                .then(|| String::from_utf8_lossy(&o.stdout).into_owned())
        } else {
            None
        };
        t.ok("tpm2_flushcontext", &[&t.p("s.ctx")]);
        t.flush_all();
        out
    };
    assert_eq!(unseal(t).as_deref(), Some("either state"), "state B");
    t.ok("tpm2_pcrreset", &["16"]);
    assert_eq!(unseal(t).as_deref(), Some("either state"), "state A");
    t.ok("tpm2_pcrextend", &[ext]);
    t.ok("tpm2_pcrextend", &[ext]);
    assert_eq!(unseal(t), None, "a third state");
}

fn run_tool(t: &Tools, prog: &str, args: &[&str]) -> bool {
    let mut a = vec!["-T", t.tcti.as_str()];
    a.extend_from_slice(args);
    tool(prog, &a).status.success()
}

/// The systemd signed-PCR flow: the object's policy is PolicyAuthorize(signing key); a
/// PolicyPCR digest signed by OpenSSL is accepted through a VerifySignature ticket.
fn signed_policy(t: &Tools) {
    let key = t.p("signing.key");
    tool_ok("openssl", &["genrsa", "-out", &key, "2048"]);
    tool_ok(
        "openssl",
        &["rsa", "-in", &key, "-pubout", "-out", &t.p("signing.pub")],
    );
    let load = |t: &Tools| {
        t.ok(
            "tpm2_loadexternal",
            &[
                "-G",
                "rsa",
                "-C",
                "o",
                "-u",
                &t.p("signing.pub"),
                "-c",
                &t.p("signing.ctx"),
                "-n",
                &t.p("signing.name"),
            ],
        );
    };
    load(t);
    t.ok("tpm2_startauthsession", &["-S", &t.p("trial.ctx")]);
    t.ok(
        "tpm2_policyauthorize",
        &[
            "-S",
            &t.p("trial.ctx"),
            "-L",
            &t.p("authorized.policy"),
            "-n",
            &t.p("signing.name"),
        ],
    );
    t.ok("tpm2_flushcontext", &[&t.p("trial.ctx")]);
    t.flush_all();
    seal_with_policy(t, &t.p("authorized.policy"), b"signed policy", "auth");
    // The policy the key's owner signs: PCR 0 as it is now.
    t.ok(
        "tpm2_createpolicy",
        &["--policy-pcr", "-l", "sha256:0", "-L", &t.p("pcr0.policy")],
    );
    t.flush_all();
    tool_ok(
        "openssl",
        &[
            "dgst",
            "-sha256",
            "-sign",
            &key,
            "-out",
            &t.p("pcr0.sig"),
            &t.p("pcr0.policy"),
        ],
    );
    load(t);
    t.ok(
        "tpm2_verifysignature",
        &[
            "-c",
            &t.p("signing.ctx"),
            "-g",
            "sha256",
            "-m",
            &t.p("pcr0.policy"),
            "-s",
            &t.p("pcr0.sig"),
            "-f",
            "rsassa",
            "-t",
            &t.p("verified.tkt"),
        ],
    );
    flush_objects(t);
    t.ok(
        "tpm2_startauthsession",
        &["--policy-session", "-S", &t.p("s.ctx")],
    );
    t.ok("tpm2_policypcr", &["-S", &t.p("s.ctx"), "-l", "sha256:0"]);
    load(t);
    t.ok(
        "tpm2_policyauthorize",
        &[
            "-S",
            &t.p("s.ctx"),
            "-i",
            &t.p("pcr0.policy"),
            "-n",
            &t.p("signing.name"),
            "-t",
            &t.p("verified.tkt"),
        ],
    );
    flush_objects(t);
    let session = format!("session:{}", t.p("s.ctx"));
    let out = t.ok("tpm2_unseal", &["-c", &t.p("auth.ctx"), "-p", &session]);
    assert_eq!(out, "signed policy");
    t.ok("tpm2_flushcontext", &[&t.p("s.ctx")]);
    t.flush_all();
    // A ticket for another policy does not authorize this one.
    t.ok(
        "tpm2_startauthsession",
        &["--policy-session", "-S", &t.p("s.ctx")],
    );
    t.ok("tpm2_policypcr", &["-S", &t.p("s.ctx"), "-l", "sha256:0,1"]);
    load(t);
    assert!(!run_tool(
        t,
        "tpm2_policyauthorize",
        &[
            "-S",
            &t.p("s.ctx"),
            "-i",
            &t.p("pcr0.policy"),
            "-n",
            &t.p("signing.name"),
            "-t",
            &t.p("verified.tkt")
        ],
    ));
    t.ok("tpm2_flushcontext", &[&t.p("s.ctx")]);
    t.flush_all();
}

/// PolicyAuthorizeNV: the object's policy names an NV index; the policy digest stored in
/// the index (a TPMT_HA) is what a session must reach — rewriting the index re-targets it.
fn policy_authorize_nv(t: &Tools) {
    let index = "0x1500020";
    t.ok(
        "tpm2_nvdefine",
        &[
            index,
            "-C",
            "o",
            "-s",
            "34",
            "-a",
            "ownerread|ownerwrite|authread|authwrite",
        ],
    );
    // The policy it approves: PCR 0 as it is now.
    t.ok(
        "tpm2_createpolicy",
        &[
            "--policy-pcr",
            "-l",
            "sha256:0",
            "-L",
            &t.p("nv-pcr.policy"),
        ],
    );
    t.flush_all();
    let mut ha = vec![0x00, 0x0B];
    ha.extend(t.read("nv-pcr.policy"));
    t.write("nv-pcr.ha", &ha);
    t.ok("tpm2_nvwrite", &[index, "-C", "o", "-i", &t.p("nv-pcr.ha")]);
    t.ok("tpm2_startauthsession", &["-S", &t.p("trial.ctx")]);
    t.ok(
        "tpm2_policyauthorizenv",
        &[
            "-S",
            &t.p("trial.ctx"),
            "-C",
            "o",
            "-L",
            &t.p("authnv.policy"),
            index,
        ],
    );
    t.ok("tpm2_flushcontext", &[&t.p("trial.ctx")]);
    t.flush_all();
    seal_with_policy(t, &t.p("authnv.policy"), b"authorized by NV", "authnv");
    let unseal = |t: &Tools, pcrs: &str| {
        t.ok(
            "tpm2_startauthsession",
            &["--policy-session", "-S", &t.p("s.ctx")],
        );
        t.ok("tpm2_policypcr", &["-S", &t.p("s.ctx"), "-l", pcrs]);
        let ok = run_tool(
            t,
            "tpm2_policyauthorizenv",
            &["-S", &t.p("s.ctx"), "-C", "o", index],
        );
        let out = ok.then(|| {
            let session = format!("session:{}", t.p("s.ctx"));
            t.ok("tpm2_unseal", &["-c", &t.p("authnv.ctx"), "-p", &session])
        });
        t.ok("tpm2_flushcontext", &[&t.p("s.ctx")]);
        t.flush_all();
        out
    };
    assert_eq!(unseal(t, "sha256:0").as_deref(), Some("authorized by NV"));
    // Another PCR selection is not the approved policy.
    assert_eq!(unseal(t, "sha256:0,1"), None);
    // Rewriting the index to approve PCRs 0 and 1 re-targets the same object.
    t.ok(
        "tpm2_createpolicy",
        &[
            "--policy-pcr",
            "-l",
            "sha256:0,1",
            "-L",
            &t.p("nv-pcr01.policy"),
        ],
    );
    t.flush_all();
    let mut ha = vec![0x00, 0x0B];
    ha.extend(t.read("nv-pcr01.policy"));
    t.write("nv-pcr01.ha", &ha);
    t.ok(
        "tpm2_nvwrite",
        &[index, "-C", "o", "-i", &t.p("nv-pcr01.ha")],
    );
    assert_eq!(unseal(t, "sha256:0,1").as_deref(), Some("authorized by NV"));
    assert_eq!(unseal(t, "sha256:0"), None);
}

fn policy_secret_endorsement(t: &Tools) {
    t.ok("tpm2_startauthsession", &["-S", &t.p("trial.ctx")]);
    t.ok(
        "tpm2_policysecret",
        &[
            "-S",
            &t.p("trial.ctx"),
            "-c",
            "e",
            "-L",
            &t.p("secret.policy"),
        ],
    );
    t.ok("tpm2_flushcontext", &[&t.p("trial.ctx")]);
    // H(H(0…0 || TPM_CC_PolicySecret || Name(TPM_RH_ENDORSEMENT)) || policyRef (empty)).
    let inner = sha256(&[
        &[0; 32],
        &0x151u32.to_be_bytes(),
        &0x4000_000Bu32.to_be_bytes(),
    ]);
    let want = sha256(&[&inner]);
    assert_eq!(t.read("secret.policy"), want);
    // A real policy session gets the same digest with the endorsement authorization.
    t.ok(
        "tpm2_startauthsession",
        &["--policy-session", "-S", &t.p("s.ctx")],
    );
    t.ok(
        "tpm2_policysecret",
        &["-S", &t.p("s.ctx"), "-c", "e", "-L", &t.p("real.policy")],
    );
    assert_eq!(t.read("real.policy"), want);
    t.ok("tpm2_flushcontext", &[&t.p("s.ctx")]);
}

#[test]
fn policy_workflows_over_the_swtpm_tcti() {
    let dir = TempDir::new("tools-policy");
    let (_d, port) = start_socket(
        &dir.path().join("state"),
        &["--flags", "not-need-init,startup-clear"],
    );
    let t = Tools {
        tcti: format!("swtpm:host=127.0.0.1,port={port}"),
        dir: dir.path().to_path_buf(),
    };
    seal_to_pcrs(&t);
    policy_or_across_pcr_states(&t);
    signed_policy(&t);
    policy_authorize_nv(&t);
    policy_secret_endorsement(&t);
}
