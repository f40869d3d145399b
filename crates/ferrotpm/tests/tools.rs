//! Debian's tpm2-tools against ferrotpm through both the swtpm and the mssim TCTIs;
//! results asserted, not just exit codes.

mod common;
use common::*;
use std::process::Command;
use std::time::Duration;
use tpm2_crypto::digest;
use tpm2_types::HashAlg;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// The value `tpm2_pcrread` prints for one PCR, lower-case hex without `0x`.
fn pcr(tcti: &str, bank: &str, n: u32) -> String {
    let out = tool_ok("tpm2_pcrread", &["-T", tcti, &format!("{bank}:{n}")]);
    let line = out
        .lines()
        .find(|l| {
            l.trim_start().starts_with(&format!("{n} "))
                || l.trim_start().starts_with(&format!("{n}:"))
        })
        .unwrap_or_else(|| panic!("no PCR {n} in {out}"));
    line.rsplit("0x").next().unwrap().trim().to_lowercase()
}

fn exercise(tcti: &str, dir: &std::path::Path) {
    // getrandom: 16 random bytes as hex.
    let r = tool_ok("tpm2_getrandom", &["-T", tcti, "16", "--hex"]);
    assert_eq!(r.trim().len(), 32, "{r}");

    // selftest and gettestresult.
    tool_ok("tpm2_selftest", &["-T", tcti, "--fulltest"]);
    let t = tool_ok("tpm2_gettestresult", &["-T", tcti]);
    assert!(t.contains("success"), "{t}");

    // getcap: every capability tpm2-tools knows answers.
    let cmds = tool_ok("tpm2_getcap", &["-T", tcti, "commands"]);
    assert!(
        cmds.contains("TPM2_CC_PCR_Extend") && cmds.contains("TPM2_CC_GetCapability"),
        "{cmds}"
    );
    let fixed = tool_ok("tpm2_getcap", &["-T", tcti, "properties-fixed"]);
    assert!(
        fixed.contains("TPM2_PT_PCR_COUNT") && fixed.contains("value: 0x18")
            || fixed.contains("raw: 0x18"),
        "{fixed}"
    );
    let pcrs = tool_ok("tpm2_getcap", &["-T", tcti, "pcrs"]);
    for bank in ["sha1", "sha256", "sha384", "sha512"] {
        assert!(pcrs.contains(bank), "{pcrs}");
    }
    let algs = tool_ok("tpm2_getcap", &["-T", tcti, "algorithms"]);
    assert!(algs.contains("sha256") && algs.contains("hmac"), "{algs}");
    for cap in [
        "properties-variable",
        "ecc-curves",
        "handles-transient",
        "handles-persistent",
        "handles-permanent",
        "handles-pcr",
        "handles-nv-index",
        "handles-loaded-session",
        "handles-saved-session",
        "pcrs",
    ] {
        tool_ok("tpm2_getcap", &["-T", tcti, cap]);
    }

    // pcrextend then pcrread: H(old || digest).
    let d = [0x42u8; 32];
    let before = pcr(tcti, "sha256", 16);
    tool_ok(
        "tpm2_pcrextend",
        &["-T", tcti, &format!("16:sha256={}", hex(&d))],
    );
    let want = digest(HashAlg::Sha256, &[&hex_decode(&before), &d]);
    assert_eq!(pcr(tcti, "sha256", 16), hex(&want));

    // tpm2_pcrevent and the other tools that authorize open an HMAC session: see
    // tools_sessions.rs.

    // pcrreset of the debug PCR from locality 0.
    tool_ok("tpm2_pcrreset", &["-T", tcti, "16"]);
    assert_eq!(pcr(tcti, "sha256", 16), "0".repeat(64));
    // PCR 0 cannot be reset from locality 0.
    assert!(!tool("tpm2_pcrreset", &["-T", tcti, "0"]).status.success());

    // hash with a ticket.
    let blob = dir.join("data.bin");
    std::fs::write(&blob, vec![7u8; 1000]).unwrap();
    let out = dir.join("hash.bin");
    let tk = dir.join("ticket.bin");
    tool_ok(
        "tpm2_hash",
        &[
            "-T",
            tcti,
            "-g",
            "sha384",
            "-C",
            "o",
            "-o",
            out.to_str().unwrap(),
            "-t",
            tk.to_str().unwrap(),
            blob.to_str().unwrap(),
        ],
    );
    assert_eq!(
        std::fs::read(&out).unwrap(),
        digest(HashAlg::Sha384, &[&[7u8; 1000]])
    );
    assert!(std::fs::metadata(&tk).unwrap().len() > 6);
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn tpm2_tools_over_the_swtpm_tcti() {
    let dir = TempDir::new("tools-swtpm");
    let (_d, port) = start_socket(
        &dir.path().join("state"),
        &["--flags", "not-need-init,startup-clear"],
    );
    exercise(&format!("swtpm:host=127.0.0.1,port={port}"), dir.path());
}

#[test]
fn tpm2_tools_over_the_mssim_tcti() {
    let dir = TempDir::new("tools-mssim");
    let port = free_port_pair();
    let _d = Proc::spawn(
        Command::new(ferrotpm())
            .args(["mssim", "--port", &port.to_string(), "--state"])
            .arg(dir.path().join("state")),
    );
    assert!(wait_until(Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", port + 1)).is_ok()
    }));
    let tcti = format!("mssim:host=127.0.0.1,port={port}");
    tool_ok("tpm2_startup", &["-T", &tcti, "-c"]);
    exercise(&tcti, dir.path());
}
