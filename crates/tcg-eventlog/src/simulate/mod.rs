//! The measurements of a simulated measured boot, deterministic from a seed: a UEFI-style
//! firmware log ([`uefi_boot`]), a DRTM launch ([`drtm_launch`]) and IMA entries
//! ([`ima_entries`]). This module only builds contents and logs; driving a TPM with them
//! is the caller's (the CLI's `eventlog simulate`).

pub mod uefi;

use crate::ima::ImaEntry;
use crate::parse::{Digest, Encoding, Event, EventLog, LogFormat, SpecId, SpecIdAlgorithm};
use crate::replay::STARTUP_LOCALITY;
use crate::types::{ev, hash_alg, known_digest_size};
use tpm2_crypto::Hasher;
use tpm2_types::HashAlg;
use uefi::*;

/// A small deterministic generator (SplitMix64) for the simulated contents.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(n + 8);
        while v.len() < n {
            v.extend_from_slice(&self.next_u64().to_le_bytes());
        }
        v.truncate(n);
        v
    }

    pub fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut a = [0u8; N];
        a.copy_from_slice(&self.bytes(N));
        a
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

/// One measurement: an event of the log and what its digests are computed over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Measurement {
    pub pcr: u32,
    pub event_type: u32,
    pub data: Vec<u8>,
    /// The bytes that were measured, when they are not the event data (an image, a file).
    pub measured: Option<Vec<u8>>,
    /// The locality the extend is made at.
    pub locality: u8,
}

impl Measurement {
    fn new(pcr: u32, event_type: u32, data: Vec<u8>) -> Measurement {
        Measurement {
            pcr,
            event_type,
            data,
            measured: None,
            locality: 0,
        }
    }

    fn of(pcr: u32, event_type: u32, data: Vec<u8>, measured: Vec<u8>) -> Measurement {
        Measurement {
            measured: Some(measured),
            ..Measurement::new(pcr, event_type, data)
        }
    }

    /// Whether the event is extended (EV_NO_ACTION events are not: PFP §10.4.5).
    pub fn extends(&self) -> bool {
        self.event_type != ev::NO_ACTION
    }

    /// The digest of each bank (all-zero for EV_NO_ACTION); `None` if a bank's hash is not
    /// one this crate computes.
    pub fn digests(&self, banks: &[u16]) -> Option<Vec<Digest>> {
        let src = self.measured.as_deref().unwrap_or(&self.data);
        banks
            .iter()
            .map(|&alg| {
                let bytes = if self.extends() {
                    Hasher::new(hash_alg(alg)?).with(src).finish()
                } else {
                    vec![0; usize::from(known_digest_size(alg)?)]
                };
                Some(Digest { alg, bytes })
            })
            .collect()
    }
}

/// The Spec ID event of a crypto-agile log recording `banks` (PFP §10.4.5.1: platform class
/// 0, spec 2.0 errata 0, UINTN of 8 bytes).
pub fn spec_id(banks: &[u16]) -> Option<SpecId> {
    let algorithms = banks
        .iter()
        .map(|&alg| {
            Some(SpecIdAlgorithm {
                alg,
                digest_size: known_digest_size(alg)?,
            })
        })
        .collect::<Option<Vec<_>>>()?;
    Some(SpecId {
        platform_class: 0,
        spec_version_minor: 0,
        spec_version_major: 2,
        spec_errata: 0,
        uintn_size: 2,
        algorithms,
        vendor_info: Vec::new(),
    })
}

/// A crypto-agile log of `measurements` for `banks`; `None` if a bank's hash is unknown.
pub fn build_log(banks: &[u16], measurements: &[Measurement]) -> Option<EventLog> {
    let spec = spec_id(banks)?;
    let mut events = Vec::with_capacity(measurements.len() + 1);
    let head = Event {
        number: 0,
        offset: 0,
        encoding: Encoding::PcrEvent,
        pcr: 0,
        event_type: ev::NO_ACTION,
        digests: vec![Digest {
            alg: tpm2_types::constants::alg::SHA1,
            bytes: vec![0; 20],
        }],
        data: spec.encode(),
    };
    let mut offset = 32 + head.data.len();
    events.push(head);
    for (i, m) in measurements.iter().enumerate() {
        let digests = m.digests(banks)?;
        let e = Event {
            number: i + 1,
            offset,
            encoding: Encoding::PcrEvent2,
            pcr: m.pcr,
            event_type: m.event_type,
            digests,
            data: m.data.clone(),
        };
        offset += 16 + e.digests.iter().map(|d| 2 + d.bytes.len()).sum::<usize>() + e.data.len();
        events.push(e);
    }
    Some(EventLog {
        format: LogFormat::CryptoAgile,
        spec_id: Some(spec),
        events,
    })
}

/// What to simulate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BootOptions {
    pub seed: u64,
    /// The number of events of the log (the Spec ID event included); below the size of
    /// the standard boot, the standard boot. Extra events are GRUB's file and command
    /// measurements (PCRs 8 and 9), which are the ones that grow with a boot's content.
    pub events: usize,
    /// The locality TPM2_Startup ran at, when it was not 0: a StartupLocality event.
    pub startup_locality: Option<u8>,
}

fn text(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

/// GRUB's EV_IPL events: the string with its NUL in the log, measured without it.
fn grub(pcr: u32, s: &str) -> Measurement {
    let mut data = text(s);
    data.push(0);
    let body = s.split_once(": ").map_or(s, |(_, b)| b);
    Measurement::of(pcr, ev::IPL, data, text(body))
}

/// The events of a UEFI boot with Secure Boot, shim, GRUB and Linux, in firmware order
/// (OVMF's): S-CRTM version and firmware volumes (PCR 0), Secure Boot variables (PCR 7),
/// boot variables (PCR 1), separators (PCRs 0–7), the GPT (PCR 5), boot applications with
/// device paths (PCR 4), GRUB's commands and files (PCRs 8, 9), kernel and initrd, and the
/// ExitBootServices actions (PCR 5).
pub fn uefi_boot(opts: &BootOptions) -> Vec<Measurement> {
    let mut rng = Rng::new(opts.seed);
    let mut m = Vec::new();
    if let Some(l) = opts.startup_locality {
        let mut d = STARTUP_LOCALITY.to_vec();
        d.push(l);
        m.push(Measurement::new(0, ev::NO_ACTION, d));
    }
    let version = format!(
        "ferrotpm simulated firmware {}.{:02}",
        1 + rng.below(3),
        rng.below(100)
    );
    m.push(Measurement::new(0, ev::S_CRTM_VERSION, ucs2z(&version)));
    for (name, base, len) in [
        ("PEIFV", 0x0082_0000u64, 0x000e_0000u64),
        ("DXEFV", 0x0090_0000, 0x00d0_0000),
    ] {
        // The volume's digest is over its contents; a few KiB stand for them.
        let content = rng.bytes(4096);
        m.push(Measurement::of(
            0,
            ev::EFI_PLATFORM_FIRMWARE_BLOB2,
            firmware_blob2(name, base, len),
            content,
        ));
    }

    // Secure Boot configuration (PCR 7).
    let owner: [u8; 16] = rng.array();
    let pk = certificate(&mut rng, 760);
    let kek = certificate(&mut rng, 1000);
    let db_cert = certificate(&mut rng, 1200);
    let dbx: Vec<Vec<u8>> = (0..1 + rng.below(8)).map(|_| rng.bytes(32)).collect();
    let vars: [(&[u8; 16], &str, Vec<u8>); 5] = [
        (&EFI_GLOBAL_VARIABLE, "SecureBoot", vec![1]),
        (
            &EFI_GLOBAL_VARIABLE,
            "PK",
            signature_list(&EFI_CERT_X509, &owner, std::slice::from_ref(&pk)),
        ),
        (
            &EFI_GLOBAL_VARIABLE,
            "KEK",
            signature_list(&EFI_CERT_X509, &owner, std::slice::from_ref(&kek)),
        ),
        (
            &EFI_IMAGE_SECURITY_DATABASE,
            "db",
            signature_list(&EFI_CERT_X509, &owner, std::slice::from_ref(&db_cert)),
        ),
        (
            &EFI_IMAGE_SECURITY_DATABASE,
            "dbx",
            signature_list(&EFI_CERT_SHA256, &owner, &dbx),
        ),
    ];
    for (guid, name, data) in vars {
        m.push(Measurement::new(
            7,
            ev::EFI_VARIABLE_DRIVER_CONFIG,
            variable_data(guid, name, &data),
        ));
    }
    m.push(Measurement::new(7, ev::SEPARATOR, vec![0; 4]));

    // The disk: an ESP and a root partition.
    let disk: [u8; 16] = rng.array();
    let esp: [u8; 16] = rng.array();
    let root: [u8; 16] = rng.array();
    let lbas = 0x0200_0000u64;
    let (esp_start, esp_size) = (2048u64, 0x0010_0000u64);
    let path = |file: &str| device_path((1, 0), 1, esp_start, esp_size, &esp, file);

    // Boot variables (PCR 1): measured over the variable's data.
    let boot0001 = load_option("debian", &path("\\EFI\\debian\\shimx64.efi"));
    for (name, data) in [("BootOrder", vec![1, 0, 0, 0]), ("Boot0001", boot0001)] {
        let v = variable_data(&EFI_GLOBAL_VARIABLE, name, &data);
        m.push(Measurement::of(1, ev::EFI_VARIABLE_BOOT, v, data));
    }
    m.push(Measurement::new(
        4,
        ev::EFI_ACTION,
        text("Calling EFI Application from Boot Option"),
    ));
    for pcr in 0..=6 {
        m.push(Measurement::new(pcr, ev::SEPARATOR, vec![0; 4]));
    }
    m.push(Measurement::new(
        5,
        ev::EFI_GPT_EVENT,
        gpt_data(
            &disk,
            lbas,
            &[
                Partition {
                    kind: ESP_TYPE,
                    unique: esp,
                    first: esp_start,
                    last: esp_start + esp_size - 1,
                    name: "EFI System Partition",
                },
                Partition {
                    kind: LINUX_DATA_TYPE,
                    unique: root,
                    first: esp_start + esp_size,
                    last: lbas - 35,
                    name: "root",
                },
            ],
        ),
    ));

    // Boot applications (PCR 4): the image's Authenticode digest stands as the hash of a
    // pseudo-random image.
    let image = |rng: &mut Rng, file: &str, at: u64| {
        let len = 0x1000 * (16 + rng.below(64));
        let bytes = rng.bytes(4096);
        Measurement::of(
            4,
            ev::EFI_BOOT_SERVICES_APPLICATION,
            image_load(at, len, &path(file)),
            bytes,
        )
    };
    m.push(image(&mut rng, "\\EFI\\debian\\shimx64.efi", 0x7e1b_6000));
    // shim's authority for loading GRUB: the db certificate (PCR 7).
    let mut sig = owner.to_vec();
    sig.extend_from_slice(&db_cert);
    m.push(Measurement::new(
        7,
        ev::EFI_VARIABLE_AUTHORITY,
        variable_data(&EFI_IMAGE_SECURITY_DATABASE, "db", &sig),
    ));
    m.push(image(&mut rng, "\\EFI\\debian\\grubx64.efi", 0x7d8e_2000));

    // GRUB: its configuration and modules, then the kernel and the initrd.
    let kver = format!("6.{}.0-{}-amd64", rng.below(13), 1 + rng.below(40));
    // The log so far (with the Spec ID event), GRUB's first command and the six events
    // after the fillers.
    let fillers = opts.events.saturating_sub(m.len() + 1 + 1 + 6);
    m.push(grub(8, "grub_cmd: set root=hd0,gpt2"));
    for i in 0..fillers {
        if i % 2 == 0 {
            m.push(Measurement::of(
                9,
                ev::IPL,
                text(&format!("/boot/grub/x86_64-efi/mod{i}.mod\0")),
                rng.bytes(64),
            ));
        } else {
            m.push(grub(8, &format!("grub_cmd: insmod mod{}", i - 1)));
        }
    }
    let cmdline = format!(
        "/boot/vmlinuz-{kver} root=UUID={} ro quiet",
        crate::types::Guid(root)
    );
    let kernel = rng.bytes(8192);
    m.push(Measurement::of(
        9,
        ev::IPL,
        text(&format!("/boot/vmlinuz-{kver}\0")),
        kernel.clone(),
    ));
    m.push(grub(8, &format!("kernel_cmdline: {cmdline}")));
    m.push(Measurement::of(
        9,
        ev::IPL,
        text(&format!("/boot/initrd.img-{kver}\0")),
        rng.bytes(8192),
    ));
    m.push(Measurement::of(
        4,
        ev::EFI_BOOT_SERVICES_APPLICATION,
        image_load(0x7c00_0000, 0x00a0_0000, &[0x7f, 0xff, 4, 0]),
        kernel,
    ));
    for a in [
        "Exit Boot Services Invocation",
        "Exit Boot Services Returned with Success",
    ] {
        m.push(Measurement::new(5, ev::EFI_ACTION, text(a)));
    }
    m
}

use crate::drtm::txt;

/// A DRTM launch: the code `_TPM_Hash_Start/Data/End` measures at locality 4 (the SINIT
/// ACM), which the TPM extends into PCR 17 after resetting PCRs 17–22, logged as the first
/// event; then the extends of SINIT (locality 3) and of the Secure Launch kernel
/// (locality 2) into PCRs 17 and 18.
pub struct DrtmLaunch {
    pub hashed: Vec<u8>,
    /// All events of the DRTM log; the first is the TPM's own extend (not to be extended
    /// again with PCR_Extend).
    pub measurements: Vec<Measurement>,
}

/// The DRTM launch of a seed.
pub fn drtm_launch(seed: u64) -> DrtmLaunch {
    let mut rng = Rng::new(seed ^ 0x4452_544d);
    let acm = rng.bytes(16384);
    let mut first = Measurement::of(17, txt::HASH_START, Vec::new(), acm.clone());
    first.locality = 4;
    let mut m = vec![first];
    let sinit = [
        (17, txt::BIOSAC_REG_DATA, rng.bytes(20)),
        (17, txt::CPU_SCRTM_STAT, 1u32.to_le_bytes().to_vec()),
        (17, txt::LCP_CONTROL_HASH, rng.bytes(4)),
        (18, txt::MLE_HASH, rng.bytes(32)),
    ];
    for (pcr, t, d) in sinit {
        let mut x = Measurement::new(pcr, t, d);
        x.locality = 3;
        m.push(x);
    }
    let kernel = [
        (18, "Measured boot parameters", rng.bytes(4096)),
        (
            18,
            "Measured Kernel command line",
            text("console=ttyS0 slub_debug"),
        ),
        (17, "Measured initramfs", rng.bytes(8192)),
    ];
    for (pcr, what, content) in kernel {
        let mut x = Measurement::of(pcr, txt::SLAUNCH, text(what), content);
        x.locality = 2;
        m.push(x);
    }
    DrtmLaunch {
        hashed: acm,
        measurements: m,
    }
}

/// `n` ima-ng entries for PCR 10: the boot_aggregate (`aggregate`: the SHA-256 over the
/// firmware log's PCRs 0–9), then file measurements.
pub fn ima_entries(seed: u64, n: usize, aggregate: &[u8]) -> Vec<ImaEntry> {
    let mut rng = Rng::new(seed ^ 0x0049_4d41);
    let dirs = ["/usr/bin", "/usr/lib/x86_64-linux-gnu", "/etc", "/usr/sbin"];
    (0..n)
        .map(|i| {
            let (name, digest) = if i == 0 {
                ("boot_aggregate".to_string(), aggregate.to_vec())
            } else {
                let d = dirs[rng.below(dirs.len() as u64) as usize];
                (format!("{d}/file{i}"), rng.bytes(32))
            };
            let mut dng = b"sha256:\0".to_vec();
            dng.extend_from_slice(&digest);
            let mut nm = name.into_bytes();
            nm.push(0);
            let mut data = Vec::with_capacity(dng.len() + nm.len() + 8);
            for f in [&dng, &nm] {
                data.extend_from_slice(&(f.len() as u32).to_le_bytes());
                data.extend_from_slice(f);
            }
            ImaEntry {
                number: i,
                pcr: 10,
                template_hash: Hasher::new(HashAlg::Sha1).with(&data).finish(),
                template: "ima-ng".into(),
                data,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_boot_is_deterministic_and_sized() {
        let o = BootOptions {
            seed: 7,
            events: 0,
            startup_locality: None,
        };
        let a = uefi_boot(&o);
        assert_eq!(a, uefi_boot(&o));
        assert_ne!(a, uefi_boot(&BootOptions { seed: 8, ..o }));
        for n in [a.len() + 1, a.len() + 2, 1000, 1001] {
            let b = uefi_boot(&BootOptions { events: n, ..o });
            assert_eq!(b.len() + 1, n, "requested {n}");
        }
    }

    #[test]
    fn a_built_log_parses_back_and_decodes() {
        let o = BootOptions {
            seed: 1,
            events: 50,
            startup_locality: Some(3),
        };
        let banks = [0x0004, 0x000B, 0x000C];
        let log = build_log(&banks, &uefi_boot(&o)).unwrap();
        let bytes = log.encode();
        let back = crate::parse(&bytes).unwrap();
        assert_eq!(back, log);
        for e in &back.events {
            let d = e.decode();
            assert!(
                !matches!(
                    d,
                    crate::EventData::Malformed { .. } | crate::EventData::Raw
                ),
                "event {} does not decode: {d:?}",
                e.number
            );
        }
        let r = crate::replay(&back, &Default::default());
        assert_eq!(r.pcr(0x000B, 0).map(|v| v.len()), Some(32));
        assert!(build_log(&[0x7777], &[]).is_none());
    }

    #[test]
    fn a_large_log_replays_to_the_folded_digests() {
        // Above the size where banks replay in parallel.
        let o = BootOptions {
            seed: 3,
            events: 6000,
            startup_locality: None,
        };
        let banks = [0x0004, 0x000B, 0x000D];
        let ms = uefi_boot(&o);
        let log = build_log(&banks, &ms).unwrap();
        let r = crate::replay(&log, &Default::default());
        for &alg in &banks {
            let h = hash_alg(alg).unwrap();
            let mut want = std::collections::BTreeMap::new();
            for m in ms.iter().filter(|m| m.extends()) {
                let d = m.digests(&[alg]).unwrap().remove(0).bytes;
                let v = want
                    .entry(m.pcr)
                    .or_insert_with(|| vec![0u8; h.digest_size()]);
                *v = Hasher::new(h).with(v).with(&d).finish();
            }
            for (pcr, v) in want {
                assert_eq!(r.pcr(alg, pcr), Some(&v[..]), "bank {alg:#x} PCR {pcr}");
            }
        }
    }
}
