//! IMA verification against the floor: SHA-256 over the same template data.

use crate::{median, ms};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tcg_eventlog::{ima, simulate, verify::TpmPcrs, ReplayOptions};
use tpm2_types::HashAlg;

const ENTRIES: usize = 1_000_000;

fn tpm2_pcrread(bank: &str, value: &[u8]) -> String {
    let hex: String = value.iter().map(|b| format!("{b:02X}")).collect();
    format!("{bank}:\n  10: 0x{hex}\n")
}

pub fn bench(bin: &Path, dir: &Path, rounds: usize) {
    // A firmware log for the boot_aggregate, the IMA log, PCR 10 per bank.
    let banks = [0x0004u16, 0x000B];
    let boot = simulate::uefi_boot(&simulate::BootOptions {
        seed: 1,
        events: 0,
        startup_locality: None,
    });
    let fw = simulate::build_log(&banks, &boot).unwrap();
    let replay = tcg_eventlog::replay(&fw, &ReplayOptions::default());
    let mut agg = Vec::new();
    for i in 0..=9 {
        agg.extend_from_slice(replay.pcr(0x000B, i).unwrap_or(&[0u8; 32][..]));
    }
    let agg = tpm2_crypto::digest(HashAlg::Sha256, &[&agg]);
    let entries = simulate::ima_entries(1, ENTRIES, &agg);
    let bytes = ima::encode_binary(&entries);
    let data_bytes: usize = entries.iter().map(|e| e.data.len()).sum();
    std::fs::write(dir.join("fw.bin"), fw.encode()).unwrap();
    std::fs::write(dir.join("ima.bin"), &bytes).unwrap();
    println!(
        "log: {} MiB, template data {} MiB (mean {} bytes per entry)",
        bytes.len() >> 20,
        data_bytes >> 20,
        data_bytes / ENTRIES
    );

    // Per bank: PCR 10 in tpm2_pcrread's format, and the same as TpmPcrs.
    let banks: Vec<(&str, u16, PathBuf, TpmPcrs)> = [
        ("sha256", 0x000Bu16, HashAlg::Sha256),
        ("sha1", 0x0004, HashAlg::Sha1),
    ]
    .into_iter()
    .map(|(name, alg, h)| {
        let pcr10 = ima::replay(&entries, h, ima::BankDigest::Hashed)[&10].clone();
        let pcrs = dir.join(format!("pcrs-{name}.txt"));
        std::fs::write(&pcrs, tpm2_pcrread(name, &pcr10)).unwrap();
        let mut tpm = TpmPcrs::default();
        tpm.banks.entry(alg).or_default().insert(10, pcr10);
        (name, alg, pcrs, tpm)
    })
    .collect();

    // Rounds interleave the floor and the verifications, so machine noise hits all alike.
    let mut floor = Vec::new();
    let mut inproc = vec![Vec::new(); banks.len()];
    let mut cli = vec![Vec::new(); banks.len()];
    let mut sink = 0u8;
    for _ in 0..rounds {
        // The floor: SHA-256 of every entry's template data, nothing else.
        let t = Instant::now();
        for e in &entries {
            sink ^= tpm2_crypto::digest(HashAlg::Sha256, &[&e.data])[0];
        }
        floor.push(t.elapsed());
        for (i, (name, _, pcrs, tpm)) in banks.iter().enumerate() {
            // In process: parse the bytes, verify (template hashes, boot_aggregate, PCR 10).
            let t = Instant::now();
            let parsed = ima::parse_binary_ref(&bytes).unwrap();
            let v = tcg_eventlog::verify_with_ima_ref(&fw, &ReplayOptions::default(), &parsed, tpm);
            inproc[i].push(t.elapsed());
            let c = v.ima.as_ref().unwrap();
            assert!(
                v.all_match && c.bad_template_hashes.is_empty() && c.boot_aggregate == Some(true)
            );
            // The CLI, reading the files.
            let t = Instant::now();
            let st = Command::new(bin)
                .args(["eventlog", "verify"])
                .arg(dir.join("fw.bin"))
                .arg("--pcrs")
                .arg(pcrs)
                .arg("--ima")
                .arg(dir.join("ima.bin"))
                .stdout(Stdio::null())
                .status()
                .unwrap();
            cli[i].push(t.elapsed());
            assert!(st.success(), "verify against the {name} bank failed");
        }
    }
    let floor = median(floor);
    println!(
        "floor: SHA-256 of the template data in a tight loop: {} (sink {sink})",
        ms(floor)
    );
    let r = |d: Duration| d.as_secs_f64() / floor.as_secs_f64();
    for (i, (name, _, _, _)) in banks.iter().enumerate() {
        let (a, b) = (median(inproc[i].clone()), median(cli[i].clone()));
        println!(
            "verify PCR 10 ({name} bank): in process {} ({:.2}x floor); ferrotpm eventlog verify {} ({:.2}x floor)",
            ms(a),
            r(a),
            ms(b),
            r(b)
        );
    }
}
