//! IMA logs: binary and ASCII forms of the same measurements parse to the same entries;
//! template hashes are recomputed; violations extend all-ones; the replay into PCR 10 in
//! each bank; boot_aggregate against PCR values. (A real kernel's ASCII log is checked in
//! the VM test: crates/ferrotpm/tests/vm.rs.)

use tcg_eventlog::ima::{check_boot_aggregate, parse_ascii, parse_binary, replay, BankDigest};
use tpm2_crypto::digest;
use tpm2_types::HashAlg;

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn field(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

/// One entry: binary bytes and its ASCII line, as the kernel writes them.
fn entry(
    template: &str,
    fields: &[&[u8]],
    ascii_fields: &str,
    violation: bool,
) -> (Vec<u8>, String) {
    let mut data = Vec::new();
    for f in fields {
        field(&mut data, f);
    }
    let th = if violation {
        vec![0; 20]
    } else {
        digest(HashAlg::Sha1, &[&data])
    };
    let mut b = 10u32.to_le_bytes().to_vec();
    b.extend_from_slice(&th);
    field(&mut b, template.as_bytes());
    field(&mut b, &data);
    let line = format!("10 {} {template} {ascii_fields}\n", hex(&th));
    (b, line)
}

fn d_ng(alg: &str, d: &[u8]) -> Vec<u8> {
    let mut v = format!("{alg}:").into_bytes();
    v.push(0);
    v.extend_from_slice(d);
    v
}

fn name(n: &str) -> Vec<u8> {
    let mut v = n.as_bytes().to_vec();
    v.push(0);
    v
}

#[test]
fn binary_and_ascii_agree_and_replay() {
    let pcr = |_alg: HashAlg, i: u32| Some(vec![i as u8; 32]);
    let mut agg = Vec::new();
    for i in 0..=9u8 {
        agg.extend_from_slice(&[i; 32]);
    }
    let agg = digest(HashAlg::Sha256, &[&agg]);
    let file = digest(HashAlg::Sha256, &[b"file"]);
    let sig = [0x03, 0x02, 0x01, 0xAA];
    let parts = [
        entry(
            "ima-ng",
            &[&d_ng("sha256", &agg), &name("boot_aggregate")],
            &format!("sha256:{} boot_aggregate", hex(&agg)),
            false,
        ),
        entry(
            "ima-ng",
            &[&d_ng("sha256", &file), &name("/usr/bin/with space")],
            &format!("sha256:{} /usr/bin/with space", hex(&file)),
            false,
        ),
        entry(
            "ima-sig",
            &[&d_ng("sha256", &file), &name("/bin/signed"), &sig],
            &format!("sha256:{} /bin/signed {}", hex(&file), hex(&sig)),
            false,
        ),
        entry(
            "ima-buf",
            &[
                &d_ng("sha256", &file),
                &name("kexec-cmdline"),
                b"root=/dev/vda",
            ],
            &format!(
                "sha256:{} kexec-cmdline {}",
                hex(&file),
                hex(b"root=/dev/vda")
            ),
            false,
        ),
        entry(
            "ima-ng",
            &[&d_ng("sha256", &[0; 32]), &name("/tmp/open-writers")],
            &format!("sha256:{} /tmp/open-writers", hex(&[0; 32])),
            true,
        ),
    ];
    let bin: Vec<u8> = parts.iter().flat_map(|(b, _)| b.clone()).collect();
    let text: String = parts.iter().map(|(_, l)| l.clone()).collect();
    let a = parse_binary(&bin).unwrap();
    let b = parse_ascii(&text).unwrap();
    assert_eq!(a, b, "binary and ASCII give the same entries");
    assert!(a.iter().all(|e| e.hash_ok()));
    assert!(a[4].is_violation());
    assert_eq!(a[1].name(), "/usr/bin/with space");
    // SHA-1 bank: template hashes (all-ones for the violation).
    let mut want = vec![0u8; 20];
    for e in &a {
        let d = if e.is_violation() {
            vec![0xff; 20]
        } else {
            e.template_hash.clone()
        };
        want = digest(HashAlg::Sha1, &[&want, &d]);
    }
    assert_eq!(replay(&a, HashAlg::Sha1, BankDigest::Hashed)[&10], want);
    // SHA-256 bank: template data hashed with SHA-256, or the padded SHA-1 digest.
    let mut hashed = vec![0u8; 32];
    let mut padded = vec![0u8; 32];
    for e in &a {
        let (h, p) = if e.is_violation() {
            (vec![0xff; 32], vec![0xff; 32])
        } else {
            let mut p = e.template_hash.clone();
            p.resize(32, 0);
            (digest(HashAlg::Sha256, &[&e.data]), p)
        };
        hashed = digest(HashAlg::Sha256, &[&hashed, &h]);
        padded = digest(HashAlg::Sha256, &[&padded, &p]);
    }
    assert_eq!(replay(&a, HashAlg::Sha256, BankDigest::Hashed)[&10], hashed);
    assert_eq!(
        replay(&a, HashAlg::Sha256, BankDigest::PaddedSha1)[&10],
        padded
    );
    assert_eq!(check_boot_aggregate(&a, pcr), Some(true));
    assert_eq!(
        check_boot_aggregate(&a, |_, _| Some(vec![9; 32])),
        Some(false)
    );
    // A damaged template hash is seen.
    let mut bad = a.clone();
    bad[1].template_hash[0] ^= 1;
    assert!(!bad[1].hash_ok());
}

#[test]
fn damaged_logs_are_errors_with_offsets() {
    let (b, line) = entry(
        "ima-ng",
        &[&d_ng("sha256", &[1; 32]), &name("/x")],
        "x",
        false,
    );
    for cut in 1..b.len() {
        let e = parse_binary(&b[..cut]).unwrap_err();
        assert!(e.offset <= cut, "cut {cut}: {e}");
    }
    // A template name length that lies.
    let mut lying = b.clone();
    lying[24..28].copy_from_slice(&1000u32.to_le_bytes());
    assert!(parse_binary(&lying).is_err());
    assert!(parse_ascii("10 zz ima-ng x\n").is_err());
    assert!(parse_ascii(&line.replace("ima-ng", "unknown-template")).is_err());
    assert!(parse_ascii("").unwrap().is_empty());
}
