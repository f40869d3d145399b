//! Authorization areas: malformed session entries, wrong session kinds and attributes,
//! missing and surplus sessions, passwords (right, wrong, with trailing zeros).

use super::{c, Corpus};
use crate::cmd::Cmd;
use tpm2_types::constants::{cc, rh};

const PW: u32 = rh::PW;

/// PCR_Reset(16): one handle needing USER authorization, no parameters.
fn reset16() -> Cmd {
    Cmd::new(cc::PCR_RESET).h(16)
}

fn entry(handle: u32, nonce: &[u8], attrs: u8, hmac: &[u8]) -> Vec<u8> {
    let mut v = handle.to_be_bytes().to_vec();
    v.extend_from_slice(&(nonce.len() as u16).to_be_bytes());
    v.extend_from_slice(nonce);
    v.push(attrs);
    v.extend_from_slice(&(hmac.len() as u16).to_be_bytes());
    v.extend_from_slice(hmac);
    v
}

pub fn add(k: &mut Corpus) {
    k.mutated("auth/pcr-reset16", vec![], 0, reset16().pw(b""));
    k.one("auth/no-sessions-tag", reset16());
    k.one("auth/empty-area", reset16().raw_sessions(&[]));
    k.one(
        "auth/area-too-short",
        reset16().raw_sessions(&[0x40, 0, 0, 9, 0]),
    );
    let pw = entry(PW, &[], 1, &[]);
    // authorizationSize larger than what follows.
    let mut b = reset16().raw_sessions(&pw).build();
    b[14..18].copy_from_slice(&100u32.to_be_bytes());
    k.case("auth/size-beyond-command", vec![super::raw(b)]);
    // authorizationSize covering one byte less / more than the entry.
    let mut b = reset16().raw_sessions(&pw).build();
    b[14..18].copy_from_slice(&8u32.to_be_bytes());
    k.case("auth/size-short-by-one", vec![super::raw(b)]);
    let mut long = pw.clone();
    long.push(0);
    k.one("auth/size-long-by-one", reset16().raw_sessions(&long));
    k.one(
        "auth/hmac-session-not-loaded",
        reset16().session(0x0200_0000, &[], 1, &[]),
    );
    k.one(
        "auth/policy-session-not-loaded",
        reset16().session(0x0300_0001, &[], 1, &[]),
    );
    k.one(
        "auth/owner-as-session",
        reset16().session(rh::OWNER, &[], 1, &[]),
    );
    k.one("auth/pcr-as-session", reset16().session(0, &[], 1, &[]));
    k.one(
        "auth/pw-with-nonce",
        reset16().session(PW, &[1; 16], 1, &[]),
    );
    k.one(
        "auth/pw-without-continue",
        reset16().session(PW, &[], 0, &[]),
    );
    for attrs in [0x02u8, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80] {
        k.one(
            format!("auth/pw-attrs={attrs:02x}"),
            reset16().session(PW, &[], 1 | attrs, &[]),
        );
    }
    k.one("auth/pw-hmac-64", reset16().session(PW, &[], 1, &[0; 64]));
    k.one("auth/pw-hmac-65", reset16().session(PW, &[], 1, &[0; 65]));
    k.one("auth/pw-nonce-65", reset16().session(PW, &[0; 65], 1, &[]));
    k.one("auth/wrong-password", reset16().pw(b"nope"));
    k.one("auth/zero-password", reset16().pw(b"\0\0\0"));
    k.one("auth/two-sessions", reset16().pw(b"").pw(b""));
    k.one("auth/three-sessions", reset16().pw(b"").pw(b"").pw(b""));
    k.one(
        "auth/four-sessions",
        reset16().pw(b"").pw(b"").pw(b"").pw(b""),
    );
    k.one(
        "auth/second-session-bad",
        reset16().pw(b"").session(0x0200_0000, &[], 1, &[]),
    );
    k.one(
        "auth/entry-truncated",
        reset16().raw_sessions(&[0x40, 0, 0, 9, 0, 0, 1, 0, 4, 1]),
    );
    // Sessions on commands without authorization handles.
    k.one(
        "auth/getrandom-with-pw",
        Cmd::new(cc::GET_RANDOM).pw(b"").u16(4),
    );
    k.one(
        "auth/getrandom-with-hmac",
        Cmd::new(cc::GET_RANDOM)
            .session(0x0200_0000, &[], 1, &[])
            .u16(4),
    );
    // Two authorizations needed, one given.
    k.case(
        "auth/event-complete-one-session",
        vec![
            c(Cmd::new(cc::HASH_SEQUENCE_START).b(b"").u16(0x0010)),
            c(Cmd::new(cc::EVENT_SEQUENCE_COMPLETE)
                .h(4)
                .h(0x8000_0000)
                .pw(b"")
                .b(b"x")),
        ],
    );
    // A handle area cut short before the session area.
    let mut b = reset16().pw(b"").build();
    b.truncate(12);
    crate::cmd::fix_size(&mut b);
    k.case("auth/handle-truncated", vec![super::raw(b)]);
}
