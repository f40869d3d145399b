//! Debian's tpm2-tools through the swtpm TCTI on the commands that need authorization:
//! each tool opens an unbound, unsalted HMAC session (TPM2_StartAuthSession) and
//! authorizes with it. Results are read back and asserted, not just exit codes.

mod common;
use common::*;
use std::path::Path;
use tpm2_crypto::digest;
use tpm2_types::HashAlg;

impl Tools {
    /// `tpm2_nvread` of a whole index, with the given authorization options.
    fn nvread(&self, index: &str, auth: &[&str]) -> Vec<u8> {
        let out = self.dir.join("nvread.bin");
        let mut a = vec![index, "-o", out.to_str().unwrap()];
        a.extend_from_slice(auth);
        self.ok("tpm2_nvread", &a);
        std::fs::read(&out).unwrap()
    }

    fn nv_indices(&self) -> String {
        self.ok("tpm2_getcap", &["handles-nv-index"])
    }

    /// A `TPM_PT` line of `tpm2_getcap properties-variable` (the value printed after it).
    fn property(&self, name: &str) -> String {
        let out = self.ok("tpm2_getcap", &["properties-variable"]);
        let mut lines = out.lines();
        while let Some(l) = lines.next() {
            let t = l.trim();
            if let Some(rest) = t.strip_prefix(&format!("{name}:")) {
                let v = rest.trim();
                if !v.is_empty() {
                    return v.to_string();
                }
                return lines.next().unwrap_or("").trim().to_string();
            }
        }
        panic!("no {name} in {out}")
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn nv_tools(t: &Tools) {
    // An ordinary index with its own authValue, written and read through it.
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
            "-p",
            "abc",
        ],
    );
    let data = t.write("hello", b"hello sessions");
    t.ok(
        "tpm2_nvwrite",
        &["0x1500016", "-C", "0x1500016", "-P", "abc", "-i", &data],
    );
    let back = t.nvread("0x1500016", &["-C", "0x1500016", "-P", "abc", "-s", "14"]);
    assert_eq!(back, b"hello sessions");
    let err = t.fails(
        "tpm2_nvread",
        &["0x1500016", "-C", "0x1500016", "-P", "abd", "-s", "14"],
    );
    assert!(err.contains("0x98E") || err.contains("0x98e"), "{err}");

    // A counter, incremented twice.
    t.ok(
        "tpm2_nvdefine",
        &[
            "0x1500017",
            "-C",
            "o",
            "-s",
            "8",
            "-a",
            "ownerread|ownerwrite|nt=counter",
        ],
    );
    t.ok("tpm2_nvincrement", &["0x1500017", "-C", "o"]);
    t.ok("tpm2_nvincrement", &["0x1500017", "-C", "o"]);
    assert_eq!(t.nvread("0x1500017", &["-C", "o"]), 2u64.to_be_bytes());

    // An extend index: H(zeros || data).
    t.ok(
        "tpm2_nvdefine",
        &[
            "0x1500018",
            "-C",
            "o",
            "-s",
            "32",
            "-g",
            "sha256",
            "-a",
            "ownerread|ownerwrite|nt=extend",
        ],
    );
    let abc = t.write("abc", b"abc");
    t.ok("tpm2_nvextend", &["0x1500018", "-C", "o", "-i", &abc]);
    let want = digest(HashAlg::Sha256, &[&[0u8; 32], b"abc"]);
    assert_eq!(t.nvread("0x1500018", &["-C", "o"]), want);

    // A bit field: bits OR together.
    t.ok(
        "tpm2_nvdefine",
        &[
            "0x1500019",
            "-C",
            "o",
            "-s",
            "8",
            "-a",
            "ownerread|ownerwrite|nt=bits",
        ],
    );
    t.ok("tpm2_nvsetbits", &["0x1500019", "-C", "o", "-i", "0x5"]);
    t.ok("tpm2_nvsetbits", &["0x1500019", "-C", "o", "-i", "0x30"]);
    assert_eq!(t.nvread("0x1500019", &["-C", "o"]), 0x35u64.to_be_bytes());

    // Read and write locks.
    t.ok(
        "tpm2_nvdefine",
        &[
            "0x150001a",
            "-C",
            "o",
            "-s",
            "8",
            "-a",
            "ownerread|ownerwrite|read_stclear|writedefine",
        ],
    );
    let eight = t.write("eight", b"12345678");
    t.ok("tpm2_nvwrite", &["0x150001a", "-C", "o", "-i", &eight]);
    assert_eq!(t.nvread("0x150001a", &["-C", "o"]), b"12345678");
    t.ok("tpm2_nvreadlock", &["0x150001a", "-C", "o"]);
    let err = t.fails("tpm2_nvread", &["0x150001a", "-C", "o"]);
    assert!(err.contains("0x148"), "TPM_RC_NV_LOCKED: {err}");
    t.ok("tpm2_nvwritelock", &["0x150001a", "-C", "o"]);
    let err = t.fails("tpm2_nvwrite", &["0x150001a", "-C", "o", "-i", &eight]);
    assert!(err.contains("0x148"), "TPM_RC_NV_LOCKED: {err}");

    // Undefine.
    assert!(t.nv_indices().contains("0x1500019"));
    t.ok("tpm2_nvundefine", &["0x1500019", "-C", "o"]);
    assert!(!t.nv_indices().contains("0x1500019"));
}

fn hierarchy_tools(t: &Tools) {
    // Owner auth changed; the new one authorizes, the old one no longer does.
    assert_eq!(t.property("ownerAuthSet"), "0");
    t.ok("tpm2_changeauth", &["-c", "o", "newpass"]);
    assert_eq!(t.property("ownerAuthSet"), "1");
    t.ok(
        "tpm2_nvdefine",
        &[
            "0x1500030",
            "-C",
            "o",
            "-s",
            "8",
            "-a",
            "ownerread|ownerwrite",
            "-P",
            "newpass",
        ],
    );
    let err = t.fails(
        "tpm2_nvdefine",
        &[
            "0x1500031",
            "-C",
            "o",
            "-s",
            "8",
            "-a",
            "ownerread|ownerwrite",
        ],
    );
    assert!(
        err.contains("0x9A2") || err.contains("0x9a2"),
        "TPM_RC_BAD_AUTH: {err}"
    );
    assert!(t.nv_indices().contains("0x1500030"));

    // disableClear set with lockoutAuth blocks TPM2_Clear; platformAuth clears it.
    t.ok("tpm2_clearcontrol", &["-C", "l", "s"]);
    assert_eq!(t.property("disableClear"), "1");
    let err = t.fails("tpm2_clear", &["-c", "l"]);
    assert!(err.contains("0x120"), "TPM_RC_DISABLED: {err}");
    t.ok("tpm2_clearcontrol", &["-C", "p", "c"]);
    assert_eq!(t.property("disableClear"), "0");
    // TPM2_Clear with a lockoutAuth (the response HMAC is keyed with the lockoutAuth the
    // command just removed): owner and lockout auth gone, owner indices gone.
    t.ok("tpm2_changeauth", &["-c", "l", "lockpw"]);
    assert_eq!(t.property("lockoutAuthSet"), "1");
    t.ok("tpm2_clear", &["-c", "l", "lockpw"]);
    assert_eq!(t.property("ownerAuthSet"), "0");
    assert_eq!(t.property("lockoutAuthSet"), "0");
    let nv = t.nv_indices();
    assert!(
        !nv.contains("0x1500030") && !nv.contains("0x1500016"),
        "{nv}"
    );
    t.ok(
        "tpm2_nvdefine",
        &[
            "0x1500030",
            "-C",
            "o",
            "-s",
            "8",
            "-a",
            "ownerread|ownerwrite",
        ],
    );

    // Dictionary-attack parameters, then a lockout reset.
    t.ok(
        "tpm2_dictionarylockout",
        &["-s", "-n", "7", "-t", "100", "-l", "200"],
    );
    let out = t.ok("tpm2_getcap", &["properties-variable"]);
    for (name, v) in [
        ("MAX_AUTH_FAIL", "0x7"),
        ("LOCKOUT_INTERVAL", "0x64"),
        ("LOCKOUT_RECOVERY", "0xC8"),
    ] {
        assert!(
            out.contains(&format!("TPM2_PT_{name}: {v}")),
            "{name} in {out}"
        );
    }
    t.ok("tpm2_dictionarylockout", &["-c"]);
    assert!(t
        .ok("tpm2_getcap", &["properties-variable"])
        .contains("TPM2_PT_LOCKOUT_COUNTER: 0x0"));

    // Clock: set forward with owner auth, read back.
    let clock = |t: &Tools| -> u64 {
        let out = t.ok("tpm2_readclock", &[]);
        let l = out
            .lines()
            .find(|l| l.trim().starts_with("clock:"))
            .unwrap();
        l.trim()["clock:".len()..].trim().parse().unwrap()
    };
    assert!(clock(t) < 100_000_000);
    t.ok("tpm2_setclock", &["-c", "o", "100000000"]);
    assert!(clock(t) >= 100_000_000);
}

fn pcr_tools(t: &Tools, ctrl_port: u16) {
    // PCR_Event: every bank extended with the digest of the data.
    let data = t.write("event", b"measured event");
    let before = hex_pcr(t, 16);
    let out = t.ok("tpm2_pcrevent", &["16", &data]);
    let ev = digest(HashAlg::Sha256, &[b"measured event"]);
    assert!(out.contains(&hex(&ev)), "{out}");
    let want = digest(HashAlg::Sha256, &[&before, &ev]);
    assert_eq!(hex_pcr(t, 16), want);

    // PCR_Allocate with platformAuth takes effect at the next TPM Reset; banks not named
    // keep their allocation.
    let out = t.ok("tpm2_pcrallocate", &["sha256:all+sha384:none"]);
    assert!(out.contains("sha256"), "{out}");
    let c = format!("127.0.0.1:{}", ctrl_port);
    tool_ok("swtpm_ioctl", &["--tcp", &c, "-i"]);
    t.ok("tpm2_startup", &["-c"]);
    let pcrs = t.ok("tpm2_getcap", &["pcrs"]);
    let empty: Vec<&str> = pcrs.lines().filter(|l| l.contains(": [ ]")).collect();
    assert_eq!(empty.len(), 1, "{pcrs}");
    assert!(empty[0].contains("sha384"), "{pcrs}");
}

/// PCR `n` of the SHA-256 bank as bytes.
fn hex_pcr(t: &Tools, n: u32) -> Vec<u8> {
    let out = t.ok("tpm2_pcrread", &[&format!("sha256:{n}")]);
    let v = out.rsplit("0x").next().unwrap().trim().to_lowercase();
    (0..v.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&v[i..i + 2], 16).unwrap())
        .collect()
}

#[test]
fn tpm2_tools_with_hmac_sessions() {
    let dir = TempDir::new("tools-sessions");
    let (_d, port) = start_socket(
        &dir.path().join("state"),
        &["--flags", "not-need-init,startup-clear"],
    );
    let t = Tools {
        tcti: format!("swtpm:host=127.0.0.1,port={port}"),
        dir: dir.path().to_path_buf(),
    };
    nv_tools(&t);
    hierarchy_tools(&t);
    pcr_tools(&t, port + 1);
    let _: &Path = dir.path();
}
