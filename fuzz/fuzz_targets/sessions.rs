//! Session areas and policy command inputs: a started TPM with an HMAC session, a policy
//! session and a trial session loaded; each input picks a command (policy commands on the
//! policy or trial session, authorized hierarchy and NV commands), and supplies its
//! session area and parameters as arbitrary bytes. Every response must be well formed,
//! and the state the command leaves must serialize and load.
//! Input: `selector | area length | session area | parameters`.
#![no_main]

use ferrotpm_fuzz::{check_response, reload, started};
use libfuzzer_sys::fuzz_target;
use tpm2_types::constants::{cc, rh};

const HMAC: u32 = 0x0200_0000;
const POLICY: u32 = 0x0300_0001;
const TRIAL: u32 = 0x0300_0002;

/// (command, handles) the input can aim at.
const TARGETS: &[(u32, &[u32])] = &[
    (cc::POLICY_PCR, &[POLICY]),
    (cc::POLICY_OR, &[TRIAL]),
    (cc::POLICY_SECRET, &[rh::OWNER, POLICY]),
    (cc::POLICY_SECRET, &[rh::ENDORSEMENT, TRIAL]),
    (cc::POLICY_NV, &[rh::OWNER, 0x0150_0001, POLICY]),
    (cc::POLICY_AUTHORIZE, &[POLICY]),
    (cc::POLICY_AUTHORIZE_NV, &[rh::OWNER, 0x0150_0001, POLICY]),
    (cc::POLICY_TICKET, &[POLICY]),
    (cc::POLICY_COUNTER_TIMER, &[POLICY]),
    (cc::POLICY_CP_HASH, &[TRIAL]),
    (cc::POLICY_NAME_HASH, &[TRIAL]),
    (cc::POLICY_TEMPLATE, &[POLICY]),
    (cc::POLICY_COMMAND_CODE, &[POLICY]),
    (cc::POLICY_LOCALITY, &[TRIAL]),
    (cc::POLICY_NV_WRITTEN, &[POLICY]),
    (cc::POLICY_DUPLICATION_SELECT, &[POLICY]),
    (cc::POLICY_PHYSICAL_PRESENCE, &[POLICY]),
    (cc::POLICY_GET_DIGEST, &[TRIAL]),
    // An HMAC session where a policy session belongs.
    (cc::POLICY_RESTART, &[HMAC]),
    (cc::HIERARCHY_CHANGE_AUTH, &[rh::OWNER]),
    (cc::NV_DEFINE_SPACE, &[rh::OWNER]),
    (cc::NV_WRITE, &[rh::OWNER, 0x0150_0001]),
    (cc::NV_READ, &[rh::OWNER, 0x0150_0001]),
    (cc::GET_RANDOM, &[]),
    (cc::CREATE_PRIMARY, &[rh::OWNER]),
];

fn command(code: u32, handles: &[u32], area: &[u8], params: &[u8]) -> Vec<u8> {
    let mut c = vec![0x80, 0x02, 0, 0, 0, 0];
    c.extend_from_slice(&code.to_be_bytes());
    for h in handles {
        c.extend_from_slice(&h.to_be_bytes());
    }
    c.extend_from_slice(&(area.len() as u32).to_be_bytes());
    c.extend_from_slice(area);
    c.extend_from_slice(params);
    let n = c.len() as u32;
    c[2..6].copy_from_slice(&n.to_be_bytes());
    c
}

/// `TPM2_StartAuthSession` without tpmKey or bind, SHA-256, no symmetric.
fn start_session(kind: u8) -> Vec<u8> {
    let mut p = vec![0, 16];
    p.extend_from_slice(&[kind + 1; 16]);
    p.extend_from_slice(&[0, 0, kind, 0, 0x10, 0, 0x0B]);
    let mut c = vec![0x80, 0x01, 0, 0, 0, 0];
    c.extend_from_slice(&cc::START_AUTH_SESSION.to_be_bytes());
    c.extend_from_slice(&rh::NULL.to_be_bytes());
    c.extend_from_slice(&rh::NULL.to_be_bytes());
    c.extend_from_slice(&p);
    let n = c.len() as u32;
    c[2..6].copy_from_slice(&n.to_be_bytes());
    c
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let (mut tpm, platform) = started();
    for kind in [0u8, 1, 3] {
        let cmd = start_session(kind);
        let r = tpm.execute(0, &cmd).response;
        check_response(&cmd, &r);
        assert_eq!(&r[6..10], &[0, 0, 0, 0], "StartAuthSession({kind})");
    }
    let (code, handles) = TARGETS[data[0] as usize % TARGETS.len()];
    let rest = &data[2..];
    let n = (data[1] as usize).min(rest.len());
    let (area, params) = rest.split_at(n);
    let cmd = command(code, handles, area, params);
    let out = tpm.execute((data[0] >> 5) % 5, &cmd);
    check_response(&cmd, &out.response);
    let _ = reload(&tpm, &platform, true);
});
