//! Command sequences against a manufactured, started TPM: every response must be well
//! formed, nothing may panic, and every state the commands leave must serialize and load.
//! Input format: `ferrotpm_fuzz::steps`.
#![no_main]

use ferrotpm_fuzz::{check_response, reload, started, steps, Step};
use libfuzzer_sys::fuzz_target;
use std::sync::atomic::Ordering;

fuzz_target!(|data: &[u8]| {
    let (mut tpm, platform) = started();
    for step in steps(data) {
        match step {
            Step::Command { locality, bytes } => {
                let out = tpm.execute(locality, bytes);
                check_response(bytes, &out.response);
            }
            Step::Clock(ms) => {
                platform.clock().fetch_add(ms, Ordering::Relaxed);
            }
            Step::Resume => tpm = reload(&tpm, &platform, true),
            Step::PowerCycle => tpm = reload(&tpm, &platform, false),
        }
    }
});
