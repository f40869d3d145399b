//! Manufacturing a TPM as libvirt does on a VM's first start: `ferrotpm setup` against
//! Debian's `swtpm_setup` (driving `swtpm` and `swtpm_localca`), both with EKs, EK and
//! platform certificates and locked NV, each into a fresh state directory, alternating.
//! The local CAs are created by a warm-up run first (both tools make one on first use).

use std::path::Path;
use std::process::Command;
use std::time::Instant;

fn run_ok(cmd: &mut Command) {
    let o = cmd.output().expect("the manufacturing tool runs");
    assert!(
        o.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

const SETUP_ARGS: [&str; 6] = [
    "--tpm2",
    "--createek",
    "--create-ek-cert",
    "--create-platform-cert",
    "--lock-nvram",
    "--not-overwrite",
];

pub fn run(ferro: &str, tmp: &Path, rounds: usize) {
    let ca_ferro = tmp.join("ca-ferrotpm");
    let ca_swtpm = tmp.join("ca-swtpm");
    std::fs::create_dir_all(&ca_swtpm).unwrap();
    let conf = tmp.join("swtpm-localca.conf");
    std::fs::write(
        &conf,
        format!(
            "statedir = {0}\nsigningkey = {0}/signkey.pem\nissuercert = {0}/issuercert.pem\n\
             certserial = {0}/certserial\n",
            ca_swtpm.display()
        ),
    )
    .unwrap();
    let setup_conf = tmp.join("swtpm_setup.conf");
    std::fs::write(
        &setup_conf,
        format!(
            "create_certs_tool = /usr/bin/swtpm_localca\ncreate_certs_tool_config = {}\n\
             create_certs_tool_options = /etc/swtpm-localca.options\nactive_pcr_banks = sha256\n",
            conf.display()
        ),
    )
    .unwrap();
    let once = |which: usize, n: usize| -> f64 {
        let dir = tmp.join(format!("mfg-{which}-{n}"));
        std::fs::create_dir_all(&dir).unwrap();
        let mut cmd = if which == 0 {
            let mut c = Command::new(ferro);
            c.arg("setup").arg("--localca-dir").arg(&ca_ferro);
            c
        } else {
            let mut c = Command::new("swtpm_setup");
            c.arg("--config").arg(&setup_conf);
            c
        };
        cmd.args(SETUP_ARGS).arg("--tpm-state").arg(&dir);
        let t = Instant::now();
        run_ok(&mut cmd);
        let ms = t.elapsed().as_secs_f64() * 1e3;
        let _ = std::fs::remove_dir_all(&dir);
        ms
    };
    once(0, usize::MAX);
    once(1, usize::MAX);
    let mut samples: [Vec<f64>; 2] = Default::default();
    for n in 0..rounds {
        for which in if n % 2 == 0 { [0, 1] } else { [1, 0] } {
            samples[which].push(once(which, n));
        }
    }
    let m: Vec<f64> = samples
        .iter_mut()
        .map(|v| super::quantile(v, 0.5))
        .collect();
    println!("\nManufacturing a TPM (EKs, EK + platform certificates, locked NV), median of {rounds} (ms)\n");
    println!("| tool | ferrotpm setup | swtpm_setup | ferrotpm / swtpm |");
    println!("|---|---:|---:|---:|");
    println!(
        "| libvirt's first-start invocation | {:.1} | {:.1} | {:.3}× |",
        m[0],
        m[1],
        m[0] / m[1]
    );
}
