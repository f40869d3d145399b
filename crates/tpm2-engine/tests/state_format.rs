//! The state format is a promise: a state written by this version must load in every later
//! one. This test pins the bytes of a known state (a deterministic TPM with PCR, NV and
//! session contents) against copies checked in under tests/data/. If it fails because a
//! `Permanent`/`Volatile` field changed, bump `state::blob::VERSION`, keep reading the old
//! version (a migration in `state::blob`), then write the new copies with
//! `FERROTPM_BLESS=1 cargo test -p tpm2-engine --test state_format` — and keep the old
//! ones as tests that they still load.

mod outil;
mod util;
use std::path::Path;
use tpm2_engine::state as ppi_state;
use tpm2_engine::{ppi, SimPlatform, Tpm};
use tpm2_types::constants::{cc, nv_attr, rh, su};
use tpm2_types::{Codec, HashAlg};
use util::*;

fn known_state() -> Tpm {
    let mut tpm = Tpm::manufacture(Box::new(SimPlatform::new(42)));
    // PPI (state version 4): a confirmed SetPPRequiredForClear_False runs at the first
    // Startup (last operation 18, success; the flag cleared)...
    tpm.ppi_request(ppi::op::SET_PP_REQUIRED_FOR_CLEAR_FALSE, 0, true)
        .unwrap();
    run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    let ext = Cmd::new(cc::PCR_EXTEND)
        .handle(3)
        .pw(b"")
        .u32(1)
        .u16(HashAlg::Sha256.id())
        .raw(&[0x33; 32]);
    run(&mut tpm, &ext).ok();
    let mut public = Vec::new();
    public.extend_from_slice(&0x0150_0002u32.to_be_bytes());
    public.extend_from_slice(&HashAlg::Sha256.id().to_be_bytes());
    public.extend_from_slice(&(nv_attr::OWNERWRITE | nv_attr::OWNERREAD).to_be_bytes());
    public.extend_from_slice(&0u16.to_be_bytes());
    public.extend_from_slice(&8u16.to_be_bytes());
    run(
        &mut tpm,
        &Cmd::new(cc::NV_DEFINE_SPACE)
            .handle(rh::OWNER)
            .pw(b"")
            .b(b"")
            .b(&public),
    )
    .ok();
    run(
        &mut tpm,
        &Cmd::new(cc::NV_WRITE)
            .handle(rh::OWNER)
            .handle(0x0150_0002)
            .pw(b"")
            .b(&[7; 8])
            .u16(0),
    )
    .ok();
    // An unbound, unsalted HMAC session stays loaded in the volatile state.
    let sas = Cmd::new(cc::START_AUTH_SESSION)
        .u32(rh::NULL)
        .u32(rh::NULL)
        .b(&[5; 16])
        .b(b"")
        .u8(0)
        .u16(tpm2_types::constants::alg::NULL)
        .u16(HashAlg::Sha256.id());
    run(&mut tpm, &sas).ok();
    // A loaded ECC primary, also made persistent (state version 2).
    let (h, _) = outil::primary(&mut tpm, rh::OWNER, &outil::ecc_srk());
    outil::go(
        &mut tpm,
        &Cmd::new(cc::EVICT_CONTROL)
            .handle(rh::OWNER)
            .handle(h)
            .pw(b"")
            .u32(0x8100_0001),
    )
    .ok();
    // Command audit (state version 3): TPM2_Hash audited with SHA-256, one audited
    // command (the counter is 1, the volatile digest set).
    let mut set = Cmd::new(cc::SET_COMMAND_CODE_AUDIT_STATUS)
        .handle(rh::OWNER)
        .pw(b"")
        .u16(HashAlg::Sha256.id());
    set = set.u32(0).u32(0);
    run(&mut tpm, &set).ok();
    let add = Cmd::new(cc::SET_COMMAND_CODE_AUDIT_STATUS)
        .handle(rh::OWNER)
        .pw(b"")
        .u16(tpm2_types::constants::alg::NULL)
        .u32(1)
        .u32(cc::HASH)
        .u32(0);
    run(&mut tpm, &add).ok();
    let hash = Cmd::new(cc::HASH)
        .b(b"audited")
        .u16(HashAlg::Sha256.id())
        .u32(rh::NULL);
    run(&mut tpm, &hash).ok();
    // ...and an unconfirmed SetPCRBanks(SHA-256) is pending.
    tpm.ppi_request(ppi::op::SET_PCR_BANKS, ppi::banks::SHA256, false)
        .unwrap();
    tpm
}

fn check(name: &str, now: &[u8]) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    if std::env::var_os("FERROTPM_BLESS").is_some() {
        std::fs::write(&path, now).unwrap();
        return;
    }
    let pinned = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        pinned == now,
        "the {name} state encoding changed: bump state::blob::VERSION and keep reading the \
         old version (see this file's header)"
    );
}

#[test]
fn the_state_format_is_pinned() {
    let tpm = known_state();
    check("state-v4-permanent.bin", &tpm.permanent_blob());
    check("state-v4-volatile.bin", &tpm.volatile_blob());
}

#[test]
fn pinned_states_still_load() {
    for v in ["v1", "v2", "v3", "v4"] {
        let tpm = pinned_state_loads(v);
        let mut tpm = tpm;
        // PPI: versions 1–3 load with the PPI state of a manufactured TPM; version 4
        // keeps the pending request, the last result and the changed flag.
        let p = tpm.ppi().clone();
        if v == "v4" {
            let want = ppi_state::PpiRequest {
                op: ppi::op::SET_PCR_BANKS,
                param: ppi::banks::SHA256,
                confirmed: false,
            };
            assert_eq!(p.pending, Some(want));
            assert_eq!((p.last_op, p.last_response), (18, ppi::response::SUCCESS));
            assert!(!p.flags.pp_required_for_clear);
            assert!(p.flags.pp_required_for_change_pcrs);
        } else {
            assert_eq!(p, ppi_state::PpiState::default(), "{v}");
        }
        // Command audit: versions 1 and 2 load with it as manufactured; version 3 keeps
        // the audited TPM2_Hash, SHA-256 and the counter.
        let caps = run(
            &mut tpm,
            &Cmd::new(cc::GET_CAPABILITY)
                .u32(tpm2_types::constants::cap::AUDIT_COMMANDS)
                .u32(0)
                .u32(10),
        )
        .ok();
        let audited = v == "v3" || v == "v4";
        let listed: &[u32] = if audited {
            &[cc::SET_COMMAND_CODE_AUDIT_STATUS, cc::HASH]
        } else {
            &[cc::SET_COMMAND_CODE_AUDIT_STATUS]
        };
        let mut want = vec![0u8, 0, 0, 0, 4];
        want.extend_from_slice(&(listed.len() as u32).to_be_bytes());
        for c in listed {
            want.extend_from_slice(&c.to_be_bytes());
        }
        assert_eq!(caps.body, want, "{v}");
        let digest = run(
            &mut tpm,
            &Cmd::new(cc::GET_COMMAND_AUDIT_DIGEST)
                .handle(rh::ENDORSEMENT)
                .handle(rh::NULL)
                .pw(b"")
                .pw(b"")
                .b(b"")
                .u16(tpm2_types::constants::alg::NULL),
        )
        .ok();
        let n = u16::from_be_bytes([digest.body[0], digest.body[1]]) as usize;
        let attest = tpm2_types::attest::TpmsAttest::from_bytes(&digest.body[2..2 + n]).ok();
        let Some(tpm2_types::attest::Attested::CommandAudit {
            audit_counter,
            digest_alg,
            audit_digest,
            ..
        }) = attest.map(|a| a.attested)
        else {
            panic!("{v}: no command audit attestation");
        };
        if audited {
            assert_eq!((audit_counter, digest_alg), (1, HashAlg::Sha256.id()));
            assert_eq!(audit_digest.0.len(), 32);
        } else {
            assert_eq!((audit_counter, digest_alg), (0, HashAlg::Sha512.id()));
            assert!(audit_digest.0.is_empty());
        }
        if v != "v1" {
            // The loaded and the persistent object came back.
            run(&mut tpm, &Cmd::new(cc::READ_PUBLIC).handle(0x8000_0000)).ok();
            run(&mut tpm, &Cmd::new(cc::READ_PUBLIC).handle(0x8100_0001)).ok();
        }
    }
}

fn pinned_state_loads(v: &str) -> Tpm {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let perm = std::fs::read(dir.join(format!("state-{v}-permanent.bin"))).unwrap();
    let vol = std::fs::read(dir.join(format!("state-{v}-volatile.bin"))).unwrap();
    let mut tpm = Tpm::restore(Box::new(SimPlatform::new(1)), &perm, Some(&vol)).unwrap();
    // The resumed TPM answers and holds the NV data written before.
    let r = run(
        &mut tpm,
        &Cmd::new(cc::NV_READ)
            .handle(rh::OWNER)
            .handle(0x0150_0002)
            .pw(b"")
            .u16(8)
            .u16(0),
    )
    .ok();
    assert_eq!(&r.body[2..10], &[7; 8]);
    tpm
}
