//! `execute` is total: any byte string at any locality gets a well-formed response.

mod util;
use proptest::prelude::*;
use tpm2_types::constants::{cc, st};
use util::*;

fn well_formed(resp: &[u8]) {
    assert!(resp.len() >= 10, "response shorter than a header");
    let tag = u16::from_be_bytes([resp[0], resp[1]]);
    assert!(tag == st::NO_SESSIONS || tag == st::SESSIONS);
    let size = u32::from_be_bytes([resp[2], resp[3], resp[4], resp[5]]) as usize;
    assert_eq!(size, resp.len());
}

/// Commands with a valid header and a random body, for every implemented command code.
fn framed() -> impl Strategy<Value = (u8, Vec<u8>)> {
    let codes: Vec<u32> = tpm2_engine::COMMANDS.iter().map(|d| d.cc).collect();
    (
        0u8..6,
        prop::sample::select(codes),
        any::<bool>(),
        prop::collection::vec(any::<u8>(), 0..200),
    )
        .prop_map(|(loc, code, sessions, body)| {
            let mut c = Vec::new();
            c.extend_from_slice(
                &(if sessions {
                    st::SESSIONS
                } else {
                    st::NO_SESSIONS
                })
                .to_be_bytes(),
            );
            c.extend_from_slice(&((body.len() + 10) as u32).to_be_bytes());
            c.extend_from_slice(&code.to_be_bytes());
            c.extend_from_slice(&body);
            (loc, c)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn raw_bytes(loc in 0u8..6, b in prop::collection::vec(any::<u8>(), 0..64)) {
        let mut tpm = started();
        well_formed(&tpm.execute(loc, &b).response);
    }

    #[test]
    fn framed_commands(seq in prop::collection::vec(framed(), 1..6)) {
        let mut tpm = started();
        for (loc, c) in &seq {
            well_formed(&tpm.execute(*loc, c).response);
        }
        // The TPM still works afterwards.
        let r = run(&mut tpm, &Cmd::new(cc::GET_RANDOM).u16(8));
        prop_assert!(r.rc.is_success() || r.rc == tpm2_types::Rc::INITIALIZE);
    }
}
