//! Replay rules: start values (StartupLocality, H-CRTM, DRTM PCRs 17–22), EV_NO_ACTION not
//! extended, unknown banks, warnings; and the go-eventlog fixture with a StartupLocality.

mod common;
use common::*;
use tcg_eventlog::replay::{start_value, Warning};
use tcg_eventlog::{ev, parse, replay, ReplayMode, ReplayOptions};

const PLATFORM: ReplayOptions = ReplayOptions {
    mode: ReplayMode::Platform,
    drtm: false,
};
const TOOLS: ReplayOptions = ReplayOptions {
    mode: ReplayMode::Tpm2Tools,
    drtm: false,
};

fn extend(alg: u16, start: Vec<u8>, data: &[&[u8]]) -> Vec<u8> {
    data.iter()
        .fold(start, |v, d| sha(alg, &[&v, &sha(alg, &[d])]))
}

#[test]
fn pcrs_start_at_zero_and_no_action_is_not_extended() {
    let log = LogBuilder::agile(&[(SHA1, 20), (SHA256, 32)])
        .event(4, ev::EFI_ACTION, b"a")
        .event(4, ev::NO_ACTION, b"vendor data that is not extended")
        .event(4, ev::SEPARATOR, &[0; 4])
        .parse();
    let r = replay(&log, &PLATFORM);
    for (alg, n) in [(SHA1, 20), (SHA256, 32)] {
        let want = extend(alg, vec![0; n], &[b"a", &[0; 4]]);
        assert_eq!(r.pcr(alg, 4), Some(&want[..]));
        assert_eq!(r.bank(alg).unwrap().pcrs[&4].extends, 2);
    }
    assert!(r.warnings.is_empty());
}

#[test]
fn startup_locality_sets_the_last_octet_of_pcr0() {
    let log = LogBuilder::agile(&[(SHA256, 32)])
        .event(0, ev::NO_ACTION, b"StartupLocality\0\x03")
        .event(0, ev::S_CRTM_VERSION, &[0, 0])
        .parse();
    let mut start = vec![0; 32];
    start[31] = 3;
    let want = extend(SHA256, start, &[&[0, 0]]);
    for opts in [PLATFORM, TOOLS] {
        assert_eq!(replay(&log, &opts).pcr(SHA256, 0), Some(&want[..]));
    }
    // tpm2-tools 5.4 ignores it and extends the EV_NO_ACTION digest.
    let old = replay(
        &log,
        &ReplayOptions {
            mode: ReplayMode::Tpm2Tools54,
            drtm: false,
        },
    );
    let want54 = extend(SHA256, vec![0; 32], &[b"StartupLocality\0\x03", &[0, 0]]);
    assert_eq!(old.pcr(SHA256, 0), Some(&want54[..]));
}

#[test]
fn a_late_startup_locality_is_ignored_with_a_warning() {
    let log = LogBuilder::agile(&[(SHA256, 32)])
        .event(0, ev::S_CRTM_VERSION, &[0, 0])
        .event(0, ev::NO_ACTION, b"StartupLocality\0\x03")
        .parse();
    let r = replay(&log, &PLATFORM);
    assert_eq!(
        r.pcr(SHA256, 0),
        Some(&extend(SHA256, vec![0; 32], &[&[0, 0]])[..])
    );
    assert_eq!(r.warnings, vec![Warning::LateStartupLocality { event: 2 }]);
}

#[test]
fn h_crtm_starts_pcr0_at_locality_4() {
    let log = LogBuilder::agile(&[(SHA256, 32)])
        .event(0, ev::EFI_HCRTM_EVENT, b"HCRTM")
        .event(0, ev::SEPARATOR, &[0; 4])
        .parse();
    let mut start = vec![0; 32];
    start[31] = 4;
    let want = extend(SHA256, start, &[b"HCRTM", &[0; 4]]);
    assert_eq!(replay(&log, &PLATFORM).pcr(SHA256, 0), Some(&want[..]));
}

#[test]
fn drtm_pcrs_start_at_all_ones_unless_a_drtm_reset_them() {
    let log = LogBuilder::agile(&[(SHA256, 32)])
        .event(17, ev::EFI_ACTION, b"x")
        .event(22, ev::EFI_ACTION, b"y")
        .event(23, ev::EFI_ACTION, b"z")
        .parse();
    let ones = extend(SHA256, vec![0xff; 32], &[b"x"]);
    let zero = extend(SHA256, vec![0; 32], &[b"x"]);
    assert_eq!(replay(&log, &PLATFORM).pcr(SHA256, 17), Some(&ones[..]));
    let drtm = ReplayOptions {
        mode: ReplayMode::Platform,
        drtm: true,
    };
    assert_eq!(replay(&log, &drtm).pcr(SHA256, 17), Some(&zero[..]));
    // tpm2_eventlog starts them at zero.
    assert_eq!(replay(&log, &TOOLS).pcr(SHA256, 17), Some(&zero[..]));
    // PCR 23 is not a DRTM PCR.
    assert_eq!(
        replay(&log, &PLATFORM).pcr(SHA256, 23),
        Some(&extend(SHA256, vec![0; 32], &[b"z"])[..])
    );
    assert_eq!(start_value(18, 4, &PLATFORM, 0), vec![0xff; 4]);
    assert_eq!(start_value(0, 4, &PLATFORM, 3), vec![0, 0, 0, 3]);
}

#[test]
fn tpm2_tools_mode_lists_pcrs_only_named_by_no_action_events() {
    let log = LogBuilder::agile(&[(SHA256, 32)])
        .event(5, ev::NO_ACTION, b"vendor")
        .parse();
    assert!(replay(&log, &PLATFORM)
        .bank(SHA256)
        .unwrap()
        .pcrs
        .is_empty());
    let r = replay(&log, &TOOLS);
    assert_eq!(r.pcr(SHA256, 5), Some(&[0u8; 32][..]));
    assert_eq!(r.bank(SHA256).unwrap().pcrs[&5].extends, 0);
}

#[test]
fn unknown_banks_count_extends_without_values_and_missing_digests_warn() {
    let log = LogBuilder::agile(&[(SHA256, 32), (0x7777, 7)])
        .event(2, ev::EFI_ACTION, b"x")
        .event_with(2, ev::EFI_ACTION, &[(SHA256, sha(SHA256, &[b"y"]))], b"y")
        .event(30, ev::EFI_ACTION, b"z")
        .parse();
    let r = replay(&log, &PLATFORM);
    let unknown = r.bank(0x7777).unwrap();
    assert!(!unknown.computed);
    assert_eq!(unknown.pcrs[&2].extends, 1);
    assert!(unknown.pcrs[&2].value.is_empty());
    assert_eq!(
        r.pcr(SHA256, 2),
        Some(&extend(SHA256, vec![0; 32], &[b"x", b"y"])[..])
    );
    assert_eq!(
        r.warnings,
        vec![
            Warning::MissingDigest {
                event: 2,
                alg: 0x7777
            },
            Warning::PcrOutOfRange { event: 3, pcr: 30 },
        ]
    );
}

#[test]
fn legacy_logs_replay_the_sha1_bank() {
    let log = LogBuilder::legacy()
        .event(0, ev::NO_ACTION, b"StartupLocality\0\x03")
        .event(0, ev::S_CRTM_VERSION, &[0, 0])
        .parse();
    let mut start = vec![0; 20];
    start[19] = 3;
    let r = replay(&log, &PLATFORM);
    assert_eq!(r.banks.len(), 1);
    assert_eq!(r.pcr(SHA1, 0), Some(&extend(SHA1, start, &[&[0, 0]])[..]));
    // tpm2_eventlog does not look for StartupLocality in SHA-1 logs.
    let r = replay(&log, &TOOLS);
    assert_eq!(
        r.pcr(SHA1, 0),
        Some(&extend(SHA1, vec![0; 20], &[&[0, 0]])[..])
    );
}

/// glinux-alex.bin starts at locality 3: PCR 0 in both banks matches an independent
/// computation from the raw event digests.
#[test]
fn fixture_with_startup_locality() {
    let bytes = std::fs::read(data_dir().join("go-eventlog/glinux-alex.bin")).unwrap();
    let log = parse(&bytes).unwrap();
    let r = replay(&log, &PLATFORM);
    assert_eq!(
        tcg_eventlog::types::hex(r.pcr(SHA1, 0).unwrap()),
        "29d236609a5f9cc6912af44ba5f57b13a17c8a84"
    );
    assert_eq!(
        tcg_eventlog::types::hex(r.pcr(SHA256, 0).unwrap()),
        "0e5ea849d7647a1ac1becc096fee4df98f00f8015f934afadaab0b8aa20b38a5"
    );
}
