//! Arbitrary state blobs into `Tpm::restore`: refused or loaded, never a panic; a state
//! that loads must work (a few commands answer well formed) and serialize back.
//! The first byte picks how the rest is used:
//!   0: the permanent blob            1: the volatile blob (with a valid permanent one)
//!   2: the permanent blob's body     3: the volatile blob's body
//! Bodies are sealed here (header and checksum added), so the fuzzer reaches the decoder
//! and the consistency checks behind the checksum.
#![no_main]

use ferrotpm_fuzz::{check_response, command, reload, startup};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use tpm2_engine::state::blob::{seal, BlobKind};
use tpm2_engine::{SimPlatform, Tpm};
use tpm2_types::constants::{alg, cap, cc, su};

fn valid_permanent() -> &'static [u8] {
    static P: OnceLock<Vec<u8>> = OnceLock::new();
    P.get_or_init(|| Tpm::manufacture(Box::new(SimPlatform::new(1))).permanent_blob())
}

fn exercise(mut tpm: Tpm, platform: &SimPlatform) {
    let mut pcr_read = Vec::new();
    pcr_read.extend_from_slice(&1u32.to_be_bytes());
    pcr_read.extend_from_slice(&alg::SHA256.to_be_bytes());
    pcr_read.extend_from_slice(&[3, 0xFF, 0xFF, 0xFF]);
    let mut caps = Vec::new();
    for (c, first) in [
        (cap::TPM_PROPERTIES, 0x100u32),
        (cap::TPM_PROPERTIES, 0x200),
        (cap::PCRS, 0),
        (cap::HANDLES, 0x0100_0000),
    ] {
        let mut p = Vec::new();
        p.extend_from_slice(&c.to_be_bytes());
        p.extend_from_slice(&first.to_be_bytes());
        p.extend_from_slice(&64u32.to_be_bytes());
        caps.push(command(cc::GET_CAPABILITY, &[], false, &p));
    }
    let script = [
        startup(su::STATE),
        startup(su::CLEAR),
        command(cc::PCR_READ, &[], false, &pcr_read),
    ]
    .into_iter()
    .chain(caps)
    .chain([command(cc::SHUTDOWN, &[], false, &su::STATE.to_be_bytes())]);
    for cmd in script {
        let out = tpm.execute(0, &cmd);
        check_response(&cmd, &out.response);
    }
    reload(&tpm, platform, true);
    tpm = reload(&tpm, platform, false);
    let cmd = startup(su::STATE);
    check_response(&cmd, &tpm.execute(0, &cmd).response);
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let platform = SimPlatform::new(2);
    let sealed;
    let (perm, vol) = match mode % 4 {
        0 => (rest, None),
        1 => (valid_permanent(), Some(rest)),
        2 => {
            sealed = seal(BlobKind::Permanent, rest);
            (&sealed[..], None)
        }
        _ => {
            sealed = seal(BlobKind::Volatile, rest);
            (valid_permanent(), Some(&sealed[..]))
        }
    };
    if let Ok(tpm) = Tpm::restore(Box::new(platform.clone()), perm, vol) {
        exercise(tpm, &platform);
    }
});
