//! `ferrotpm setup` (and `swtpm_setup` through a symlink): manufactures a TPM state
//! directory the way libvirt has swtpm_setup do it — EKs made persistent, EK and platform
//! certificates issued by a local CA and stored in NV, PCR banks allocated, NV locked —
//! with swtpm_setup's command line (../shared/ref/swtpm-interfaces.md §1.4). The TPM runs
//! in-process; no daemon, no gnutls, no certificate tool to find.

mod certs;
mod provision;
pub(crate) mod templates;

use crate::conn::Conn;
use crate::socket::DirState;
use clap::Args;
use ferrotpm_server::persist::{Persistence, SealedStore};
use ferrotpm_server::{options, Instance, Options};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use templates::Usage;

#[derive(Args, Debug, Default)]
pub struct SetupArgs {
    /// Set up a TPM 2 (required: ferrotpm is a TPM 2.0).
    #[arg(long)]
    tpm2: bool,
    /// The state directory (a `dir://` prefix is accepted).
    #[arg(long = "tpm-state", alias = "tpmstate", value_name = "DIR")]
    tpm_state: Option<String>,
    /// Create the EKs: RSA-2048 at 0x81010001 and ECC P-384 at 0x81010016.
    #[arg(long)]
    createek: bool,
    /// Create EK certificates (implies --createek).
    #[arg(long = "create-ek-cert")]
    create_ek_cert: bool,
    /// Create a platform certificate (implies --create-ek-cert).
    #[arg(long = "create-platform-cert")]
    create_platform_cert: bool,
    /// Create the EKs as (non-standard) signing keys.
    #[arg(long = "allow-signing")]
    allow_signing: bool,
    /// With --allow-signing, let the EKs decrypt too.
    #[arg(long)]
    decryption: bool,
    /// With --create-spk, make the storage primary key an ECC P-256 key.
    #[arg(long)]
    ecc: bool,
    /// Create a storage primary key at 0x81000001.
    #[arg(long = "create-spk")]
    create_spk: bool,
    /// Write-lock the certificate NV indices.
    #[arg(long = "lock-nvram")]
    lock_nvram: bool,
    /// Replace an existing state.
    #[arg(long)]
    overwrite: bool,
    /// Leave an existing state alone and succeed.
    #[arg(long = "not-overwrite")]
    not_overwrite: bool,
    /// Reuse an existing state, only changing the PCR banks.
    #[arg(long)]
    reconfigure: bool,
    /// PCR banks to activate (comma separated; `-` keeps all banks).
    #[arg(long = "pcr-banks")]
    pcr_banks: Option<String>,
    /// The EK's RSA key size (2048).
    #[arg(long = "rsa-keysize")]
    rsa_keysize: Option<String>,
    /// The VM's name (and UUID): the certificates' subject.
    #[arg(long)]
    vmid: Option<String>,
    /// Where the log goes (default: stderr).
    #[arg(long)]
    logfile: Option<PathBuf>,
    /// A file with a 128- or 256-bit key (hex) to encrypt the state with.
    #[arg(long)]
    keyfile: Option<PathBuf>,
    /// Like --keyfile, from an inherited file descriptor.
    #[arg(long = "keyfile-fd")]
    keyfile_fd: Option<i32>,
    /// A file with a passphrase to encrypt the state with.
    #[arg(long)]
    pwdfile: Option<PathBuf>,
    /// Like --pwdfile, from an inherited file descriptor.
    #[arg(long = "pwdfile-fd")]
    pwdfile_fd: Option<i32>,
    /// aes-128-cbc or aes-256-cbc: the key size of --keyfile (the state is sealed with
    /// AES-GCM whatever the name).
    #[arg(long, default_value = "aes-128-cbc")]
    cipher: String,
    /// Write the EK certificates (DER) into this directory too.
    #[arg(long = "write-ek-cert-files", value_name = "DIR")]
    write_ek_cert_files: Option<PathBuf>,
    /// The local CA's directory (default: /var/lib/ferrotpm-localca for root, else
    /// $XDG_CONFIG_HOME/ferrotpm/localca; $FERROTPM_LOCALCA_DIR overrides the default).
    #[arg(long = "localca-dir")]
    localca_dir: Option<PathBuf>,
    /// The platform certificate's platform manufacturer.
    #[arg(long = "platform-manufacturer", default_value = "ferrotpm")]
    platform_manufacturer: String,
    /// The platform certificate's platform model.
    #[arg(long = "platform-model", default_value = "QEMU")]
    platform_model: String,
    /// The platform certificate's platform version.
    #[arg(long = "platform-version", default_value = "1.0")]
    platform_version: String,
    /// swtpm_setup's configuration file: `active_pcr_banks` is read from it.
    #[arg(long)]
    config: Option<PathBuf>,
    /// swtpm_setup creates its configuration files; ferrotpm needs none (accepted).
    #[arg(long = "create-config-files", num_args = 0..=1, default_missing_value = "")]
    create_config_files: Option<String>,
    /// swtpm_setup's TPM program (ignored: the TPM runs in-process).
    #[arg(long)]
    tpm: Option<String>,
    /// Ignored (the TPM runs in-process).
    #[arg(long = "swtpm_ioctl")]
    swtpm_ioctl: Option<String>,
    /// Print what the TPM holds at the end.
    #[arg(long)]
    display: bool,
    /// Print the supported features as JSON and exit.
    #[arg(long = "print-capabilities")]
    print_capabilities: bool,
}

/// Features as swtpm_setup prints them (those libvirt looks for, and what we do).
const FEATURES: [&str; 6] = [
    "tpm-2.0",
    "cmdarg-keyfile-fd",
    "cmdarg-pwdfile-fd",
    "cmdarg-write-ek-cert-files",
    "cmdarg-create-config-files",
    "cmdarg-reconfigure-pcr-banks",
];

fn capabilities() -> String {
    let mut f: Vec<&str> = FEATURES.to_vec();
    f.push("tpm2-rsa-keysize-2048");
    f.push("tpm2-rsa-keysize-3072");
    serde_json::json!({
        "type": "swtpm_setup",
        "features": f,
        "version": env!("CARGO_PKG_VERSION"),
    })
    .to_string()
}

/// The log: swtpm_setup's lines, to --logfile (appended) or stderr.
struct Log(Option<std::fs::File>);

impl Log {
    fn line(&mut self, msg: &str) {
        match &mut self.0 {
            Some(f) => {
                let _ = writeln!(f, "{msg}");
            }
            None => eprintln!("{msg}"),
        }
    }
}

pub fn main(a: SetupArgs) -> ExitCode {
    if a.print_capabilities {
        println!("{}", capabilities());
        return ExitCode::SUCCESS;
    }
    let mut log = match &a.logfile {
        None => Log(None),
        Some(p) => match std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
        {
            Ok(f) => Log(Some(f)),
            Err(e) => {
                eprintln!(
                    "ferrotpm setup: cannot open the log file {}: {e}",
                    p.display()
                );
                return ExitCode::FAILURE;
            }
        },
    };
    match run(a, &mut log) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            log.line(&format!("Error: {e}"));
            if log.0.is_some() {
                eprintln!("ferrotpm setup: {e}");
            }
            ExitCode::FAILURE
        }
    }
}

/// What the state directory holds before setup runs.
fn has_state(dir: &Path) -> bool {
    dir.join(ferrotpm_store::PERMANENT_FILE).exists()
}

fn run(mut a: SetupArgs, log: &mut Log) -> Result<(), String> {
    if a.create_config_files.is_some() {
        // ferrotpm setup has no configuration files to create: the CA directory is made on
        // first use. Without a state directory this was the whole job.
        if a.tpm_state.is_none() {
            return Ok(());
        }
    }
    if !a.tpm2 {
        return Err("ferrotpm is a TPM 2.0: --tpm2 is required".into());
    }
    let dir = match a.tpm_state.as_deref() {
        None => return Err("--tpm-state DIR is required".into()),
        Some(s) if s.starts_with("file://") => {
            return Err(format!("--tpm-state {s}: only directories are supported"))
        }
        Some(s) => PathBuf::from(s.strip_prefix("dir://").unwrap_or(s)),
    };
    let rsa_ek = match a.rsa_keysize.as_deref() {
        None | Some("2048") => certs::Ek::Rsa2048,
        Some("3072" | "max") => certs::Ek::Rsa3072,
        Some(k) => return Err(format!("--rsa-keysize {k}: 2048 and 3072 are supported")),
    };
    if a.overwrite && a.not_overwrite {
        return Err("--overwrite and --not-overwrite exclude each other".into());
    }
    a.create_ek_cert |= a.create_platform_cert;
    a.createek |= a.create_ek_cert;
    let banks = match (&a.pcr_banks, &a.config) {
        (Some(b), _) => b.clone(),
        (None, Some(c)) => config_banks(c)?.unwrap_or_else(|| "sha256".into()),
        (None, None) => "sha256".into(),
    };
    let banks = parse_banks(&banks)?;

    let user = rustix::process::getuid().as_raw();
    log.line(&format!(
        "Starting vTPM manufacturing as uid {user} @ {}",
        humantime_now()
    ));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let existing = has_state(&dir);
    if a.reconfigure {
        if !existing {
            return Err(format!("{}: no TPM state to reconfigure", dir.display()));
        }
    } else if existing {
        if a.not_overwrite {
            log.line("Not overwriting existing state file.");
            return Ok(());
        }
        if !a.overwrite {
            return Err(format!(
                "{}: a TPM state exists already (give --overwrite to replace it)",
                dir.display()
            ));
        }
    }

    let key = state_key(&a)?;
    let state_dir = ferrotpm_store::StateDir::open(&dir, true).map_err(|e| e.to_string())?;
    if existing && a.overwrite && !a.reconfigure {
        // --overwrite: a new TPM in place of the old one.
        for f in [
            ferrotpm_store::PERMANENT_FILE,
            ferrotpm_store::VOLATILE_FILE,
        ] {
            let p = dir.join(f);
            if p.exists() {
                std::fs::remove_file(&p).map_err(|e| format!("{}: {e}", p.display()))?;
            }
        }
    }
    let mut store = SealedStore::new(Box::new(DirState(state_dir)), key);
    store
        .load()
        .map_err(|e| format!("cannot read TPM state: {e}"))?;
    let mut inst = Instance::new(
        Box::new(store),
        Box::new(|| Box::new(tpm2_engine::OsPlatform::new())),
        Options::default(),
    );
    inst.init(0).map_err(|e| e.to_string())?;
    let mut tpm = Conn::new(&mut inst);
    tpm.startup_clear()?;

    if !a.reconfigure {
        let usage = if a.allow_signing {
            Usage::Signing {
                decrypt: a.decryption,
            }
        } else {
            Usage::Standard
        };
        let mut ca = if a.create_ek_cert {
            Some(certs::Issuer::open(&a, log)?)
        } else {
            None
        };
        if a.createek {
            make_ek(&mut tpm, &mut ca, &a, log, rsa_ek, usage)?;
        }
        if let (Some(ca), true) = (ca.as_mut(), a.create_platform_cert) {
            let cert = ca.platform_cert(&a)?;
            log.line("Successfully created platform certificate locally.");
            tpm.store_certificate(templates::PLATFORM_CERT_INDEX, &cert, a.lock_nvram)?;
            log.line(&format!(
                "Successfully created NVRAM area {:#x} for platform certificate.",
                templates::PLATFORM_CERT_INDEX
            ));
        }
        if a.createek {
            make_ek(&mut tpm, &mut ca, &a, log, certs::Ek::EccP384, usage)?;
        }
        if a.create_spk {
            let (h, _) =
                tpm.create_primary(tpm2_types::constants::rh::OWNER, &templates::srk(a.ecc))?;
            tpm.make_persistent(h, templates::SRK_HANDLE)?;
            log.line(&format!(
                "Successfully created storage primary key with handle {:#x}.",
                templates::SRK_HANDLE
            ));
        }
    }
    if let Some(active) = banks {
        tpm.pcr_allocate(&active)?;
        log.line(&format!(
            "Successfully activated PCR banks {}.",
            active
                .iter()
                .map(|a| bank_name(*a))
                .collect::<Vec<_>>()
                .join(",")
        ));
    }
    tpm.shutdown_clear()?;
    if a.display {
        log.line(&format!("TPM state: {}", inst.location()));
    }
    inst.power_off();
    log.line("Successfully authored TPM state.");
    log.line(&format!("Ending vTPM manufacturing @ {}", humantime_now()));
    Ok(())
}

/// Creates one EK, makes it persistent and, with a CA, stores its certificate.
fn make_ek(
    tpm: &mut Conn<&mut Instance>,
    ca: &mut Option<certs::Issuer>,
    a: &SetupArgs,
    log: &mut Log,
    ek: certs::Ek,
    usage: Usage,
) -> Result<(), String> {
    let (template, handle, index, what) = match ek {
        certs::Ek::Rsa2048 => (
            templates::rsa_ek(usage),
            templates::RSA_EK_HANDLE,
            templates::RSA_EK_CERT_INDEX,
            "RSA 2048 EK",
        ),
        certs::Ek::Rsa3072 => (
            templates::rsa3072_ek(usage),
            templates::RSA3072_EK_HANDLE,
            templates::RSA3072_EK_CERT_INDEX,
            "RSA 3072 EK",
        ),
        certs::Ek::EccP384 => (
            templates::ecc_p384_ek(usage),
            templates::ECC_EK_HANDLE,
            templates::ECC_EK_CERT_INDEX,
            "ECC EK",
        ),
    };
    let (h, public) = tpm.create_primary(tpm2_types::constants::rh::ENDORSEMENT, &template)?;
    tpm.make_persistent(h, handle)?;
    log.line(&format!(
        "Successfully created {what} with handle {handle:#x}."
    ));
    let Some(ca) = ca.as_mut() else {
        return Ok(());
    };
    let cert = ca.ek_cert(ek, &public)?;
    log.line("Successfully created EK certificate locally.");
    if let Some(d) = &a.write_ek_cert_files {
        let p = d.join(ek.file_name());
        std::fs::write(&p, &cert).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    tpm.store_certificate(index, &cert, a.lock_nvram)?;
    log.line(&format!(
        "Successfully created NVRAM area {index:#x} for {what} certificate."
    ));
    Ok(())
}

/// The state key from --keyfile(-fd) / --pwdfile(-fd), as swtpm's `--key` would read it.
fn state_key(a: &SetupArgs) -> Result<Option<ferrotpm_server::statekey::StateKey>, String> {
    let src = match (&a.keyfile, a.keyfile_fd, &a.pwdfile, a.pwdfile_fd) {
        (None, None, None, None) => return Ok(None),
        (Some(p), None, None, None) => format!("file={}", p.display()),
        (None, Some(fd), None, None) => format!("fd={fd}"),
        (None, None, Some(p), None) => format!("pwdfile={}", p.display()),
        (None, None, None, Some(fd)) => format!("pwdfd={fd}"),
        _ => return Err("give one of --keyfile, --keyfile-fd, --pwdfile, --pwdfile-fd".into()),
    };
    match a.cipher.as_str() {
        "aes-128-cbc" | "aes-256-cbc" => {}
        c => return Err(format!("--cipher {c}: aes-128-cbc or aes-256-cbc")),
    }
    let opt = options::parse_key("key", &format!("{src},mode={}", a.cipher))
        .map_err(|e| e.to_string())?;
    ferrotpm_server::keyfile::load("key", &opt).map(Some)
}

/// `active_pcr_banks = ...` from a swtpm_setup.conf.
fn config_banks(path: &Path) -> Result<Option<String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(text.lines().find_map(|l| {
        let (k, v) = l.split_once('=')?;
        (k.trim() == "active_pcr_banks").then(|| v.trim().to_string())
    }))
}

/// `--pcr-banks`: `-` (leave all) or a comma-separated list of bank names.
fn parse_banks(s: &str) -> Result<Option<Vec<u16>>, String> {
    if s.trim() == "-" {
        return Ok(None);
    }
    let mut out = Vec::new();
    for name in s.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let alg = match name {
            "sha1" => 0x0004,
            "sha256" => 0x000B,
            "sha384" => 0x000C,
            "sha512" => 0x000D,
            _ => return Err(format!("--pcr-banks: unknown bank {name}")),
        };
        if !out.contains(&alg) {
            out.push(alg);
        }
    }
    if out.is_empty() {
        return Err("--pcr-banks: no bank given".into());
    }
    Ok(Some(out))
}

fn bank_name(alg: u16) -> &'static str {
    match alg {
        0x0004 => "sha1",
        0x000B => "sha256",
        0x000C => "sha384",
        0x000D => "sha512",
        _ => "?",
    }
}

/// Seconds since the epoch, for the log's start and end lines.
fn humantime_now() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("{t} (seconds since 1970)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banks() {
        assert_eq!(parse_banks("-").unwrap(), None);
        assert_eq!(parse_banks("sha1,sha256").unwrap(), Some(vec![4, 11]));
        assert!(parse_banks("md5").is_err());
        assert!(parse_banks(",").is_err());
    }

    #[test]
    fn capabilities_name_what_libvirt_reads() {
        let v: serde_json::Value = serde_json::from_str(&capabilities()).unwrap();
        assert_eq!(v["type"], "swtpm_setup");
        let f = v["features"].as_array().unwrap();
        for want in ["tpm-2.0", "cmdarg-pwdfile-fd", "cmdarg-create-config-files"] {
            assert!(f.iter().any(|x| x == want), "{want}");
        }
    }
}
