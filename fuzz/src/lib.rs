//! What the fuzz targets share: the input format of `execute`, the response checks, and
//! command building for the seed corpus (`cargo run --example make_seeds`).
#![forbid(unsafe_code)]

use tpm2_engine::state::blob::{self, BlobKind};
use tpm2_engine::{SimPlatform, Tpm, COMMANDS, MAX_COMMAND_SIZE};
use tpm2_types::constants::{cc, cc_attr, rh, st, su};

/// Steps one `execute` input may take (keeps each run short).
pub const MAX_STEPS: usize = 64;

/// One step of an `execute` input. Each step starts with a selector byte:
/// - `0x00..=0xDF`: a command at locality `selector % 5`; its bytes follow, as many as
///   its header's size field says (clamped to what is left; all of it if no header);
/// - `0xE0..=0xEF`: the platform clock moves `2^(selector & 0xF)` ms;
/// - `0xF0..=0xF7`: the TPM is rebuilt from its permanent and volatile blobs;
/// - `0xF8..=0xFF`: a power cycle: rebuilt from the permanent blob alone (`_TPM_Init`;
///   the input's next command is normally a `TPM2_Startup`).
#[derive(Debug, PartialEq, Eq)]
pub enum Step<'a> {
    Command { locality: u8, bytes: &'a [u8] },
    Clock(u64),
    Resume,
    PowerCycle,
}

pub const SEL_CLOCK: u8 = 0xE0;
pub const SEL_RESUME: u8 = 0xF0;
pub const SEL_POWER_CYCLE: u8 = 0xF8;

/// Splits an `execute` input into steps.
pub fn steps(mut data: &[u8]) -> Vec<Step<'_>> {
    let mut out = Vec::new();
    while let Some((&sel, rest)) = data.split_first() {
        if out.len() == MAX_STEPS {
            break;
        }
        data = rest;
        out.push(match sel {
            0x00..=0xDF => {
                let len = if data.len() >= 6 {
                    let size = u32::from_be_bytes([data[2], data[3], data[4], data[5]]);
                    (size as usize).clamp(1, data.len())
                } else {
                    data.len()
                };
                let (bytes, rest) = data.split_at(len);
                data = rest;
                Step::Command {
                    locality: sel % 5,
                    bytes,
                }
            }
            0xE0..=0xEF => Step::Clock(1 << (sel & 0xF)),
            0xF0..=0xF7 => Step::Resume,
            _ => Step::PowerCycle,
        });
    }
    out
}

/// A manufactured TPM, started with `TPM2_Startup(CLEAR)`, on a platform whose clock the
/// caller holds.
pub fn started() -> (Tpm, SimPlatform) {
    let platform = SimPlatform::new(0x5eed);
    let mut tpm = Tpm::manufacture(Box::new(platform.clone()));
    let r = tpm.execute(0, &startup(su::CLEAR)).response;
    check_response(&startup(su::CLEAR), &r);
    assert_eq!(rc(&r), 0, "Startup(CLEAR) of a new TPM");
    (tpm, platform)
}

/// Serializes the TPM and restores it (with the volatile state or without); the state
/// the engine writes must always load, and load to the same state.
pub fn reload(tpm: &Tpm, platform: &SimPlatform, with_volatile: bool) -> Tpm {
    let perm = tpm.permanent_blob();
    let vol = with_volatile.then(|| tpm.volatile_blob());
    let back = match Tpm::restore(Box::new(platform.clone()), &perm, vol.as_deref()) {
        Ok(t) => t,
        Err(e) => panic!("the engine's own state does not load: {e}"),
    };
    assert!(
        back.permanent_blob() == perm,
        "permanent state changed across a reload"
    );
    if let Some(v) = vol {
        assert!(
            back.volatile_blob() == v,
            "volatile state changed across a reload"
        );
    }
    back
}

pub fn rc(response: &[u8]) -> u32 {
    u32::from_be_bytes([response[6], response[7], response[8], response[9]])
}

fn u16_at(b: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]) as usize)
}

/// Asserts that `response` is a well-formed answer to `command` (Part 1, §18; Part 2,
/// §8.x response structure): a header whose size is the length, a known tag, errors with
/// no body, and for a success with sessions, a parameter area and session area that
/// account for every byte.
pub fn check_response(command: &[u8], response: &[u8]) {
    assert!(
        response.len() >= 10,
        "response shorter than a header: {response:02x?}"
    );
    assert!(
        response.len() <= MAX_COMMAND_SIZE,
        "response of {} bytes",
        response.len()
    );
    let tag = u16::from_be_bytes([response[0], response[1]]);
    let size = u32::from_be_bytes([response[2], response[3], response[4], response[5]]);
    assert_eq!(
        size as usize,
        response.len(),
        "size field {size} for {} bytes",
        response.len()
    );
    assert!(
        tag == st::NO_SESSIONS || tag == st::SESSIONS,
        "response tag {tag:#06x}"
    );
    if rc(response) != 0 {
        assert_eq!(tag, st::NO_SESSIONS, "an error response has no sessions");
        assert_eq!(response.len(), 10, "an error response is a header only");
        return;
    }
    // Success: the command parsed, so its code is known.
    let code = u32::from_be_bytes([command[6], command[7], command[8], command[9]]);
    let def = COMMANDS.iter().find(|d| d.cc == code);
    assert!(def.is_some(), "success for unimplemented command {code:#x}");
    if u16::from_be_bytes([command[0], command[1]]) == st::SESSIONS {
        assert_eq!(
            tag,
            st::SESSIONS,
            "a command with sessions gets a response with sessions"
        );
    }
    if tag == st::SESSIONS {
        let handle = def.is_some_and(|d| d.attrs & cc_attr::R_HANDLE != 0) as usize * 4;
        let at = 10 + handle;
        assert!(response.len() >= at + 4, "no parameterSize");
        let psize = u32::from_be_bytes([
            response[at],
            response[at + 1],
            response[at + 2],
            response[at + 3],
        ]) as usize;
        let mut p = at + 4 + psize;
        assert!(p <= response.len(), "parameterSize {psize} past the end");
        let mut sessions = 0;
        while p < response.len() {
            // TPMS_AUTH_RESPONSE: nonce (TPM2B), sessionAttributes, hmac (TPM2B).
            let nonce = u16_at(response, p).expect("truncated session nonce");
            p += 2 + nonce + 1;
            let hmac = u16_at(response, p).expect("truncated session");
            p += 2 + hmac;
            sessions += 1;
        }
        assert_eq!(p, response.len(), "session area overruns the response");
        assert!((1..=3).contains(&sessions), "{sessions} response sessions");
    }
}

// ---- command building, for the seed corpus ----

/// A command with handles, an optional empty-password session, and parameters.
pub fn command(code: u32, handles: &[u32], password_session: bool, params: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for h in handles {
        body.extend_from_slice(&h.to_be_bytes());
    }
    let tag = if password_session {
        body.extend_from_slice(&9u32.to_be_bytes());
        body.extend_from_slice(&rh::PW.to_be_bytes());
        body.extend_from_slice(&[0, 0, 0x01, 0, 0]);
        st::SESSIONS
    } else {
        st::NO_SESSIONS
    };
    body.extend_from_slice(params);
    let mut out = Vec::new();
    out.extend_from_slice(&tag.to_be_bytes());
    out.extend_from_slice(&((body.len() + 10) as u32).to_be_bytes());
    out.extend_from_slice(&code.to_be_bytes());
    out.extend_from_slice(&body);
    out
}

pub fn startup(su: u16) -> Vec<u8> {
    command(cc::STARTUP, &[], false, &su.to_be_bytes())
}

/// The body of a blob (what `state_load` modes 2 and 3 seal themselves).
pub fn blob_body(kind: BlobKind, b: &[u8]) -> Vec<u8> {
    blob::open(kind, b).map(<[u8]>::to_vec).unwrap_or_default()
}
