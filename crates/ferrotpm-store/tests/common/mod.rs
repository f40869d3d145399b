//! Raw TPM commands for the store's tests.
#![allow(dead_code)]

use tpm2_engine::Tpm;
use tpm2_types::constants::{cc, rh, st, su};

/// A command: handles, an optional empty-password session (`TPM_RS_PW`), parameters.
pub fn command(code: u32, handles: &[u32], password_session: bool, params: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for h in handles {
        body.extend_from_slice(&h.to_be_bytes());
    }
    let tag = if password_session {
        let mut s = Vec::new();
        s.extend_from_slice(&rh::PW.to_be_bytes());
        s.extend_from_slice(&0u16.to_be_bytes()); // nonce
        s.push(0x01); // continueSession
        s.extend_from_slice(&0u16.to_be_bytes()); // empty password
        body.extend_from_slice(&(s.len() as u32).to_be_bytes());
        body.extend_from_slice(&s);
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

/// The response code of a response.
pub fn rc(response: &[u8]) -> u32 {
    assert!(response.len() >= 10, "short response {response:02x?}");
    assert_eq!(
        u32::from_be_bytes([response[2], response[3], response[4], response[5]]) as usize,
        response.len(),
        "response size field"
    );
    u32::from_be_bytes([response[6], response[7], response[8], response[9]])
}

/// Executes at locality 0 and insists on success; returns the response and whether
/// permanent state changed.
pub fn ok(tpm: &mut Tpm, cmd: &[u8]) -> (Vec<u8>, bool) {
    let out = tpm.execute(0, cmd);
    assert_eq!(
        rc(&out.response),
        0,
        "command {cmd:02x?} failed: {:02x?}",
        out.response
    );
    (out.response, out.permanent_changed)
}

pub fn startup_clear(tpm: &mut Tpm) {
    ok(
        tpm,
        &command(cc::STARTUP, &[], false, &su::CLEAR.to_be_bytes()),
    );
}
