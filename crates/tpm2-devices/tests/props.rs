//! Random register access sequences never panic and always leave a consistent state
//! that survives a snapshot round trip.

mod common;

use common::Mock;
use proptest::prelude::*;
use tpm2_devices::crb::{Crb, CrbConfig, CrbState};
use tpm2_devices::tis::{Tis, TisConfig, TisState};

#[derive(Debug, Clone)]
enum Op {
    Read(u64, usize),
    Write(u64, Vec<u8>),
    Poll,
    Snapshot,
}

fn offset() -> impl Strategy<Value = u64> {
    prop_oneof![
        (
            0u64..5,
            prop::sample::select(vec![
                0u64, 8, 0xC, 0x10, 0x14, 0x18, 0x19, 0x1B, 0x20, 0x24, 0x28, 0x30, 0x40, 0x44,
                0x48, 0x4C, 0x50, 0x54, 0x58, 0x80, 0x84, 0xF00
            ])
        )
            .prop_map(|(l, o)| l * 0x1000 + o),
        0u64..0x6000,
        any::<u64>(),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (offset(), 0usize..10).prop_map(|(o, n)| Op::Read(o, n)),
        (
            offset(),
            prop::collection::vec(
                prop_oneof![
                    Just(0x40u8),
                    Just(0x20),
                    Just(0x02),
                    Just(0x01),
                    Just(0x80),
                    any::<u8>()
                ],
                0..10
            )
        )
            .prop_map(|(o, b)| Op::Write(o, b)),
        Just(Op::Poll),
        Just(Op::Snapshot),
    ]
}

fn mock(kind: u8) -> Mock {
    let response = match kind % 4 {
        0 => None,
        1 => Some(Vec::new()),
        2 => Some(vec![0x80; 5000]),
        _ => Some(vec![0x80, 0x01, 0, 0, 0, 0x30]),
    };
    Mock {
        response,
        ..Mock::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn tis_never_panics_nor_breaks(ops in prop::collection::vec(op(), 0..200), deferred: bool, kind: u8) {
        let cfg = TisConfig { deferred, buffer_size: 64, ..TisConfig::default() };
        let mut d = Tis::with_config(cfg, mock(kind)).unwrap();
        for o in ops {
            match o {
                Op::Read(off, n) => { let mut b = vec![0; n]; d.read(off, &mut b); }
                Op::Write(off, b) => d.write(off, &b),
                Op::Poll => { d.poll(); }
                Op::Snapshot => {
                    let bytes = postcard::to_allocvec(&d.state()).unwrap();
                    let s: TisState = postcard::from_bytes(&bytes).unwrap();
                    prop_assert_eq!(&s, &d.state());
                    d = Tis::from_state(s, d.into_backend()).unwrap();
                }
            }
            prop_assert!(d.check().is_ok(), "{:?}", d.check());
        }
    }

    #[test]
    fn crb_never_panics_nor_breaks(ops in prop::collection::vec(op(), 0..200), deferred: bool, five: bool, kind: u8) {
        let cfg = CrbConfig { deferred, localities: if five { 5 } else { 1 }, buffer_size: 64, ..CrbConfig::default() };
        let mut d = Crb::with_config(cfg, mock(kind)).unwrap();
        for o in ops {
            match o {
                Op::Read(off, n) => { let mut b = vec![0; n]; d.read(off, &mut b); }
                Op::Write(off, b) => d.write(off, &b),
                Op::Poll => { d.poll(); }
                Op::Snapshot => {
                    let bytes = postcard::to_allocvec(&d.state()).unwrap();
                    let s: CrbState = postcard::from_bytes(&bytes).unwrap();
                    prop_assert_eq!(&s, &d.state());
                    d = Crb::from_state(s, d.into_backend()).unwrap();
                }
            }
            prop_assert!(d.check().is_ok(), "{:?}", d.check());
        }
    }
}
