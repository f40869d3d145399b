//! TPM2_GetCapability: every capability, first/middle/past-the-end properties, counts of
//! 0, 1, a few and more than fit, and selectors that are not capabilities.

use super::Corpus;
use crate::cmd::Cmd;
use tpm2_types::constants::{cap, cc};

fn gc(capability: u32, property: u32, count: u32) -> Cmd {
    Cmd::new(cc::GET_CAPABILITY)
        .u32(capability)
        .u32(property)
        .u32(count)
}

pub fn add(k: &mut Corpus) {
    k.mutated(
        "cap/tpm-properties-fixed",
        vec![],
        0,
        gc(cap::TPM_PROPERTIES, 0x100, 8),
    );
    let props: &[(u32, &[u32], &[u32])] = &[
        (
            cap::ALGS,
            &[0, 0x0004, 0x000B, 0x0010, 0x0044, 0xFFFF, 0x1_0000],
            &[0, 1, 3, 1000],
        ),
        (
            cap::HANDLES,
            &[
                0,
                5,
                23,
                24,
                0x0100_0000,
                0x0200_0000,
                0x0300_0000,
                0x4000_0000,
                0x4000_0007,
                0x4000_0100,
                0x8000_0000,
                0x8100_0000,
                0x0500_0000,
                0xFF00_0000,
            ],
            &[0, 1, 8, 1000],
        ),
        (
            cap::COMMANDS,
            &[0, 0x11F, 0x144, 0x17A, 0x198, 0x2000_0000],
            &[0, 1, 10, 1000],
        ),
        (cap::PP_COMMANDS, &[0, 0x11F, 0x12B], &[0, 1, 1000]),
        (cap::AUDIT_COMMANDS, &[0, 0x11F], &[0, 1, 1000]),
        (cap::PCRS, &[0, 1], &[0, 1, 1000]),
        (
            cap::TPM_PROPERTIES,
            &[
                0,
                0x100,
                0x105,
                0x11E,
                0x12E,
                0x12F,
                0x1FF,
                0x200,
                0x20E,
                0x214,
                0x215,
                0xFFFF_FFFF,
            ],
            &[0, 1, 5, 1000],
        ),
        (
            cap::PCR_PROPERTIES,
            &[0, 1, 0x11, 0x14, 0x15, 0xFFFF],
            &[0, 1, 4, 1000],
        ),
        (cap::ECC_CURVES, &[0, 3, 0xFFFF], &[0, 1, 1000]),
        (
            cap::AUTH_POLICIES,
            &[
                0x4000_0000,
                0x4000_0001,
                0x4000_000B,
                0x4000_000C,
                0x4000_0110,
                0,
                0x8000_0000,
            ],
            &[0, 1, 1000],
        ),
        (
            cap::ACT,
            &[0x4000_0110, 0x4000_011F, 0x4000_0000, 0x4000_0120],
            &[0, 1, 1000],
        ),
    ];
    for (capability, properties, counts) in props {
        for p in *properties {
            for n in *counts {
                k.one(
                    format!("cap/{capability}/{p:#x}/count{n}"),
                    gc(*capability, *p, *n),
                );
            }
        }
    }
    for capability in [11u32, 0xFF, 0x100, 0x101, 0xFFFF_FFFF] {
        k.one(
            format!("cap/bad-capability-{capability:#x}"),
            gc(capability, 0, 1),
        );
    }
    k.one("cap/count-max", gc(cap::COMMANDS, 0x11F, 0xFFFF_FFFF));
    k.one(
        "cap/missing-count",
        Cmd::new(cc::GET_CAPABILITY).u32(cap::ALGS).u32(0),
    );
}
