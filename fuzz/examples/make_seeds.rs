//! Writes the seed corpus (`seeds/<target>/`): valid command sequences for `execute`, valid
//! blobs and blob bodies for `state_load`. Run from `fuzz/` after the state format or the
//! command set changes: `cargo run --example make_seeds`.

use ferrotpm_fuzz::*;
use std::path::Path;
use tpm2_engine::state::blob::BlobKind;
use tpm2_engine::{SimPlatform, Tpm};
use tpm2_types::constants::{alg, cap, cc, nt, nv_attr, pt, rh, su};

fn cap(c: u32, first: u32, n: u32) -> Vec<u8> {
    let p = [c.to_be_bytes(), first.to_be_bytes(), n.to_be_bytes()].concat();
    command(cc::GET_CAPABILITY, &[], false, &p)
}

fn pcr_select(hash: u16, bitmap: [u8; 3]) -> Vec<u8> {
    [&1u32.to_be_bytes()[..], &hash.to_be_bytes(), &[3], &bitmap].concat()
}

fn extend(pcr: u32, byte: u8) -> Vec<u8> {
    let p = [
        &1u32.to_be_bytes()[..],
        &alg::SHA256.to_be_bytes(),
        &[byte; 32],
    ]
    .concat();
    command(cc::PCR_EXTEND, &[pcr], true, &p)
}

fn tpm2b(b: &[u8]) -> Vec<u8> {
    [&(b.len() as u16).to_be_bytes()[..], b].concat()
}

/// `TPM2_NV_DefineSpace` (owner) of an index with an empty authValue.
fn nv_define(index: u32, attrs: u32, size: u16) -> Vec<u8> {
    let public = [
        &index.to_be_bytes()[..],
        &alg::SHA256.to_be_bytes(),
        &attrs.to_be_bytes(),
        &tpm2b(b""),
        &size.to_be_bytes(),
    ]
    .concat();
    let p = [tpm2b(b""), tpm2b(&public)].concat();
    command(cc::NV_DEFINE_SPACE, &[rh::OWNER], true, &p)
}

fn nv_write(auth: u32, index: u32, data: &[u8], offset: u16) -> Vec<u8> {
    let p = [tpm2b(data), offset.to_be_bytes().to_vec()].concat();
    command(cc::NV_WRITE, &[auth, index], true, &p)
}

fn nv_read(auth: u32, index: u32, size: u16, offset: u16) -> Vec<u8> {
    let p = [size.to_be_bytes(), offset.to_be_bytes()].concat();
    command(cc::NV_READ, &[auth, index], true, &p)
}

const NV_ORDINARY: u32 = 0x0150_0001;
const NV_COUNTER: u32 = 0x0150_0002;

/// A step of a seed: its selector byte and, for a command, the command.
type Step = (u8, Vec<u8>);

/// An `execute` input: each step a selector byte (then the command, for commands).
fn input(steps: &[Step]) -> Vec<u8> {
    steps
        .iter()
        .flat_map(|(sel, c)| std::iter::once(*sel).chain(c.iter().copied()))
        .collect()
}

fn write(dir: &Path, name: &str, data: &[u8]) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(name), data).unwrap();
}

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("seeds");
    let ex = root.join("execute");
    let seq = 0x8000_0000u32;
    let seeds: Vec<(&str, Vec<Step>)> = vec![
        (
            "capabilities",
            vec![
                (0, cap(cap::TPM_PROPERTIES, pt::FIXED, 64)),
                (0, cap(cap::TPM_PROPERTIES, pt::VAR, 64)),
                (0, cap(cap::COMMANDS, cc::FIRST, 64)),
                (0, cap(cap::PCRS, 0, 1)),
                (0, cap(cap::ALGS, 0, 64)),
            ],
        ),
        (
            "random",
            vec![
                (0, command(cc::GET_RANDOM, &[], false, &16u16.to_be_bytes())),
                (
                    0,
                    command(cc::STIR_RANDOM, &[], false, &tpm2b(b"more entropy")),
                ),
                (0, command(cc::SELF_TEST, &[], false, &[1])),
                (0, command(cc::GET_TEST_RESULT, &[], false, &[])),
            ],
        ),
        (
            "pcrs",
            vec![
                (0, extend(10, 1)),
                (3, extend(17, 2)),
                (0, command(cc::PCR_EVENT, &[16], true, &tpm2b(b"event"))),
                (0, command(cc::PCR_RESET, &[16], true, &[])),
                (
                    0,
                    command(
                        cc::PCR_READ,
                        &[],
                        false,
                        &pcr_select(alg::SHA256, [0xFF, 0xFF, 0xFF]),
                    ),
                ),
            ],
        ),
        (
            "hash_sequence",
            vec![
                (
                    0,
                    command(
                        cc::HASH,
                        &[],
                        false,
                        &[
                            tpm2b(b"abc"),
                            alg::SHA256.to_be_bytes().to_vec(),
                            rh::OWNER.to_be_bytes().to_vec(),
                        ]
                        .concat(),
                    ),
                ),
                (
                    0,
                    command(
                        cc::HASH_SEQUENCE_START,
                        &[],
                        false,
                        &[tpm2b(b""), alg::SHA384.to_be_bytes().to_vec()].concat(),
                    ),
                ),
                (SEL_RESUME, vec![]),
                (
                    0,
                    command(cc::SEQUENCE_UPDATE, &[seq], true, &tpm2b(b"measure")),
                ),
                (
                    0,
                    command(
                        cc::SEQUENCE_COMPLETE,
                        &[seq],
                        true,
                        &[tpm2b(b" me"), rh::NULL.to_be_bytes().to_vec()].concat(),
                    ),
                ),
            ],
        ),
        (
            "resume",
            vec![
                (0, extend(0, 3)),
                (
                    0,
                    command(cc::SHUTDOWN, &[], false, &su::STATE.to_be_bytes()),
                ),
                (SEL_POWER_CYCLE, vec![]),
                (0, startup(su::STATE)),
                (SEL_CLOCK + 12, vec![]),
                (
                    0,
                    command(
                        cc::PCR_READ,
                        &[],
                        false,
                        &pcr_select(alg::SHA256, [1, 0, 0]),
                    ),
                ),
            ],
        ),
        (
            "allocate",
            vec![
                (
                    0,
                    command(
                        cc::PCR_ALLOCATE,
                        &[rh::PLATFORM],
                        true,
                        &pcr_select(alg::SHA1, [0, 0, 0]),
                    ),
                ),
                (
                    0,
                    command(
                        cc::PCR_SET_AUTH_POLICY,
                        &[rh::PLATFORM],
                        true,
                        &[
                            tpm2b(&[7; 32]),
                            alg::SHA256.to_be_bytes().to_vec(),
                            20u32.to_be_bytes().to_vec(),
                        ]
                        .concat(),
                    ),
                ),
                (SEL_POWER_CYCLE, vec![]),
                (0, startup(su::CLEAR)),
                (0, cap(cap::PCRS, 0, 1)),
            ],
        ),
        (
            "nv_ordinary",
            vec![
                (
                    0,
                    nv_define(
                        NV_ORDINARY,
                        nv_attr::OWNERWRITE | nv_attr::OWNERREAD | nv_attr::NO_DA,
                        16,
                    ),
                ),
                (0, nv_write(rh::OWNER, NV_ORDINARY, &[0x5a; 16], 0)),
                (0, nv_read(rh::OWNER, NV_ORDINARY, 8, 4)),
                (0, command(cc::NV_READ_PUBLIC, &[NV_ORDINARY], false, &[])),
                (SEL_RESUME, vec![]),
                (0, nv_write(rh::OWNER, NV_ORDINARY, b"abc", 13)),
                (0, nv_read(rh::OWNER, NV_ORDINARY, 16, 0)),
            ],
        ),
        (
            "nv_counter",
            vec![
                (
                    0,
                    nv_define(
                        NV_COUNTER,
                        nt::COUNTER << nv_attr::TPM_NT_SHIFT
                            | nv_attr::AUTHWRITE
                            | nv_attr::AUTHREAD
                            | nv_attr::NO_DA,
                        8,
                    ),
                ),
                (
                    0,
                    command(cc::NV_INCREMENT, &[NV_COUNTER, NV_COUNTER], true, &[]),
                ),
                (
                    0,
                    command(cc::NV_INCREMENT, &[NV_COUNTER, NV_COUNTER], true, &[]),
                ),
                (
                    0,
                    command(cc::SHUTDOWN, &[], false, &su::CLEAR.to_be_bytes()),
                ),
                (SEL_POWER_CYCLE, vec![]),
                (0, startup(su::CLEAR)),
                (0, nv_read(NV_COUNTER, NV_COUNTER, 8, 0)),
                (0, cap(cap::HANDLES, 0x0100_0000, 16)),
            ],
        ),
    ];
    for (name, steps) in seeds {
        // Every seed must run clean through the target's own checks.
        let data = input(&steps);
        let (mut tpm, platform) = started();
        for step in ferrotpm_fuzz::steps(&data) {
            match step {
                ferrotpm_fuzz::Step::Command { locality, bytes } => {
                    let r = tpm.execute(locality, bytes).response;
                    check_response(bytes, &r);
                    assert_eq!(rc(&r), 0, "seed {name}: command {bytes:02x?} fails");
                }
                ferrotpm_fuzz::Step::Clock(ms) => {
                    platform
                        .clock()
                        .fetch_add(ms, std::sync::atomic::Ordering::Relaxed);
                }
                ferrotpm_fuzz::Step::Resume => tpm = reload(&tpm, &platform, true),
                ferrotpm_fuzz::Step::PowerCycle => tpm = reload(&tpm, &platform, false),
            }
        }
        write(&ex, name, &data);
    }

    let sl = root.join("state_load");
    let fresh = Tpm::manufacture(Box::new(SimPlatform::new(3)));
    let (mut busy, _) = started();
    for c in [
        extend(10, 9),
        command(
            cc::HASH_SEQUENCE_START,
            &[],
            false,
            &[tpm2b(b""), alg::SHA1.to_be_bytes().to_vec()].concat(),
        ),
        nv_define(
            NV_ORDINARY,
            nv_attr::OWNERWRITE | nv_attr::OWNERREAD | nv_attr::NO_DA,
            16,
        ),
        nv_write(rh::OWNER, NV_ORDINARY, &[7; 16], 0),
        command(cc::SHUTDOWN, &[], false, &su::STATE.to_be_bytes()),
    ] {
        let r = busy.execute(0, &c).response;
        check_response(&c, &r);
        assert_eq!(rc(&r), 0, "state seed command {c:02x?} fails");
    }
    for (name, t) in [("fresh", &fresh), ("busy", &busy)] {
        let (p, v) = (t.permanent_blob(), t.volatile_blob());
        write(
            &sl,
            &format!("{name}_permanent"),
            &[&[0u8][..], &p].concat(),
        );
        write(&sl, &format!("{name}_volatile"), &[&[1u8][..], &v].concat());
        write(
            &sl,
            &format!("{name}_permanent_body"),
            &[&[2u8][..], &blob_body(BlobKind::Permanent, &p)].concat(),
        );
        write(
            &sl,
            &format!("{name}_volatile_body"),
            &[&[3u8][..], &blob_body(BlobKind::Volatile, &v)].concat(),
        );
    }
    println!("seeds written to {}", root.display());
}
