//! The Physical Presence Interface operations (PPI 1.3 for TPM 2.0): queued, kept in
//! permanent state across a reload, executed at the next TPM Reset with platform
//! authority, honouring the "confirmation required" flags.

mod outil;
mod util;
use tpm2_engine::ppi::{self, banks, confirmation, op, response};
use tpm2_engine::state::{PpiFlags, PpiRequest, PpiState};
use tpm2_engine::{PpiError, SimPlatform, Tpm};
use tpm2_types::constants::{cap, cc, rh, su};
use tpm2_types::object::Tpm2bPublic;
use tpm2_types::{Codec, HashAlg, Rc};
use util::*;

/// A platform reset: the TPM is stored (permanent state only, as on power loss),
/// reloaded, and started with Startup(CLEAR), as firmware starts it.
fn reboot(tpm: Tpm) -> Tpm {
    let blob = tpm.permanent_blob();
    drop(tpm);
    let mut tpm = Tpm::restore(Box::new(SimPlatform::new(99)), &blob, None).unwrap();
    run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    tpm
}

/// The public area of a primary from `template` under `hierarchy` (authorized with
/// `auth`), flushed again.
fn primary_public(tpm: &mut Tpm, hierarchy: u32, auth: &[u8]) -> Vec<u8> {
    let c = outil::create_args(
        Cmd::new(cc::CREATE_PRIMARY).handle(hierarchy).pw(auth),
        &outil::ecc_srk(),
        b"",
        b"",
    );
    let r = outil::go(tpm, &c).ok();
    let mut rd = r.reader();
    let h = rd.u32().unwrap();
    let public = Tpm2bPublic::read(&mut rd).unwrap().0;
    outil::flush(tpm, h);
    outil::unique_bytes(&public)
}

fn set_owner_auth(tpm: &mut Tpm, old: &[u8], new: &[u8]) -> Rc {
    outil::go(
        tpm,
        &Cmd::new(cc::HIERARCHY_CHANGE_AUTH)
            .handle(rh::OWNER)
            .pw(old)
            .b(new),
    )
    .rc
}

/// The allocated PCRs of each bank (TPM_CAP_PCRS): (hash, bitmap).
fn allocation(tpm: &mut Tpm) -> Vec<(u16, Vec<u8>)> {
    let r = run(
        tpm,
        &Cmd::new(cc::GET_CAPABILITY).u32(cap::PCRS).u32(0).u32(8),
    )
    .ok();
    let mut rd = r.reader();
    rd.u8().unwrap();
    assert_eq!(rd.u32().unwrap(), cap::PCRS);
    let n = rd.u32().unwrap();
    (0..n)
        .map(|_| {
            let h = rd.u16().unwrap();
            let k = rd.u8().unwrap() as usize;
            (h, rd.take(k).unwrap().to_vec())
        })
        .collect()
}

#[test]
fn every_clear_operation_runs_at_the_next_boot_when_confirmed() {
    for code in [
        op::CLEAR,
        op::ENABLE_CLEAR,
        op::ENABLE_CLEAR_2,
        op::ENABLE_CLEAR_3,
    ] {
        let mut tpm = started();
        assert_eq!(set_owner_auth(&mut tpm, b"", b"owner"), Rc::SUCCESS);
        let srk = primary_public(&mut tpm, rh::OWNER, b"owner");
        let ek = primary_public(&mut tpm, rh::ENDORSEMENT, b"");
        // disableClear set by the owner does not stop the platform's clear.
        run(
            &mut tpm,
            &Cmd::new(cc::CLEAR_CONTROL)
                .handle(rh::LOCKOUT)
                .pw(b"")
                .u8(1),
        )
        .ok();
        tpm.ppi_request(code, 0, true).unwrap();
        assert_eq!(
            tpm.ppi().pending,
            Some(PpiRequest {
                op: code,
                param: 0,
                confirmed: true
            })
        );
        // Nothing happens before the boot.
        assert_eq!(
            primary_public(&mut tpm, rh::OWNER, b"owner"),
            srk,
            "op {code}"
        );
        let mut tpm = reboot(tpm);
        assert_eq!(tpm.ppi().pending, None);
        assert_eq!(
            (tpm.ppi().last_op, tpm.ppi().last_response),
            (code, response::SUCCESS)
        );
        // ownerAuth is empty again, the storage seed changed, the endorsement seed not.
        assert_ne!(primary_public(&mut tpm, rh::OWNER, b""), srk, "op {code}");
        assert_eq!(
            primary_public(&mut tpm, rh::ENDORSEMENT, b""),
            ek,
            "op {code}"
        );
        // A clear after it works: disableClear was reset by the PPI clear.
        run(&mut tpm, &Cmd::new(cc::CLEAR).handle(rh::LOCKOUT).pw(b"")).ok();
    }
}

#[test]
fn an_unconfirmed_clear_is_not_executed() {
    let mut tpm = started();
    assert_eq!(set_owner_auth(&mut tpm, b"", b"owner"), Rc::SUCCESS);
    let srk = primary_public(&mut tpm, rh::OWNER, b"owner");
    tpm.ppi_request(op::CLEAR, 0, false).unwrap();
    let mut tpm = reboot(tpm);
    assert_eq!(
        (tpm.ppi().last_op, tpm.ppi().last_response),
        (op::CLEAR, response::USER_ABORT)
    );
    assert_eq!(tpm.ppi().pending, None, "the request is consumed");
    assert_eq!(primary_public(&mut tpm, rh::OWNER, b"owner"), srk);
    // The next boot does nothing more.
    let tpm = reboot(tpm);
    assert_eq!(tpm.ppi().last_response, response::USER_ABORT);
}

#[test]
fn clearing_pp_required_for_clear_lets_an_unconfirmed_clear_run() {
    let mut tpm = started();
    // Lowering the protection needs confirmation itself.
    tpm.ppi_request(op::SET_PP_REQUIRED_FOR_CLEAR_FALSE, 0, false)
        .unwrap();
    let mut tpm = reboot(tpm);
    assert_eq!(tpm.ppi().last_response, response::USER_ABORT);
    assert!(tpm.ppi().flags.pp_required_for_clear);
    tpm.ppi_request(op::SET_PP_REQUIRED_FOR_CLEAR_FALSE, 0, true)
        .unwrap();
    let mut tpm = reboot(tpm);
    assert_eq!(tpm.ppi().last_response, response::SUCCESS);
    assert!(!tpm.ppi().flags.pp_required_for_clear);
    assert_eq!(
        ppi::user_confirmation(op::CLEAR, &tpm.ppi().flags),
        confirmation::PP_NOT_REQUIRED
    );
    assert_eq!(set_owner_auth(&mut tpm, b"", b"owner"), Rc::SUCCESS);
    tpm.ppi_request(op::CLEAR, 0, false).unwrap();
    let mut tpm = reboot(tpm);
    assert_eq!(tpm.ppi().last_response, response::SUCCESS);
    assert_eq!(set_owner_auth(&mut tpm, b"", b""), Rc::SUCCESS);
    // Raising it again needs no confirmation.
    tpm.ppi_request(op::SET_PP_REQUIRED_FOR_CLEAR_TRUE, 0, false)
        .unwrap();
    let tpm = reboot(tpm);
    assert_eq!(tpm.ppi().last_response, response::SUCCESS);
    assert!(tpm.ppi().flags.pp_required_for_clear);
}

#[test]
fn every_flag_operation_sets_its_flag() {
    type Field = fn(&PpiFlags) -> bool;
    let cases: [(u32, u32, Field); 7] = [
        (17, 18, |f| f.pp_required_for_clear),
        (26, 25, |f| f.pp_required_for_change_pcrs),
        (28, 27, |f| f.pp_required_for_turn_on),
        (30, 29, |f| f.pp_required_for_turn_off),
        (32, 31, |f| f.pp_required_for_change_eps),
        (98, 99, |f| f.pp_required_for_enable_block_sid),
        (100, 101, |f| f.pp_required_for_disable_block_sid),
    ];
    let mut tpm = started();
    for (set_true, set_false, field) in cases {
        let flags = tpm.ppi().flags;
        assert_eq!(
            ppi::user_confirmation(set_true, &flags),
            confirmation::PP_NOT_REQUIRED
        );
        assert_eq!(
            ppi::user_confirmation(set_false, &flags),
            confirmation::PP_REQUIRED
        );
        tpm.ppi_request(set_false, 0, true).unwrap();
        tpm = reboot(tpm);
        assert!(!field(&tpm.ppi().flags), "op {set_false}");
        assert_eq!((tpm.ppi().last_op, tpm.ppi().last_response), (set_false, 0));
        tpm.ppi_request(set_true, 0, false).unwrap();
        tpm = reboot(tpm);
        assert!(field(&tpm.ppi().flags), "op {set_true}");
        assert_eq!((tpm.ppi().last_op, tpm.ppi().last_response), (set_true, 0));
    }
    // Every flag ends set (TurnOn is not by default).
    let every = PpiFlags {
        pp_required_for_turn_on: true,
        ..PpiFlags::default()
    };
    assert_eq!(tpm.ppi().flags, every);
    // PPI 1.3's recommended defaults.
    let d = PpiFlags::default();
    assert!(d.pp_required_for_clear && d.pp_required_for_change_eps);
    assert!(d.pp_required_for_change_pcrs && d.pp_required_for_turn_off);
    assert!(!d.pp_required_for_turn_on && !d.block_sid);
}

#[test]
fn set_pcr_banks_allocates_the_requested_banks_at_the_next_boot() {
    let mut tpm = started();
    for bad in [0, banks::SM3_256, 0x20, banks::SHA256 | 0x8000_0000] {
        assert_eq!(
            tpm.ppi_request(op::SET_PCR_BANKS, bad, true),
            Err(PpiError::InvalidParameter {
                op: op::SET_PCR_BANKS,
                param: bad
            })
        );
    }
    assert_eq!(tpm.ppi().pending, None);
    tpm.ppi_request(op::SET_PCR_BANKS, banks::SHA256 | banks::SHA384, true)
        .unwrap();
    let mut tpm = reboot(tpm);
    assert_eq!(tpm.ppi().last_response, response::SUCCESS);
    // In effect in this boot (firmware resets the platform after allocating).
    let all = vec![0xFF; 3];
    let none = vec![0; 3];
    assert_eq!(
        allocation(&mut tpm),
        vec![
            (HashAlg::Sha1.id(), none.clone()),
            (HashAlg::Sha256.id(), all.clone()),
            (HashAlg::Sha384.id(), all.clone()),
            (HashAlg::Sha512.id(), none.clone()),
        ]
    );
    // A PCR_Allocate done by the PPI leaves Shutdown(STATE) possible (it is no pending
    // reconfiguration).
    run(&mut tpm, &Cmd::new(cc::SHUTDOWN).u16(su::STATE)).ok();
    // Unconfirmed under the default flags: not executed.
    tpm.ppi_request(op::SET_PCR_BANKS, banks::SHA1, false)
        .unwrap();
    let blob = tpm.permanent_blob();
    let mut tpm = Tpm::restore(Box::new(SimPlatform::new(5)), &blob, None).unwrap();
    // A TPM Restart (Startup(CLEAR) after Shutdown(STATE)) leaves it pending.
    run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    assert_eq!(tpm.ppi().pending.map(|p| p.param), Some(banks::SHA1));
    let mut tpm = reboot(tpm);
    assert_eq!(
        (tpm.ppi().last_op, tpm.ppi().last_response),
        (op::SET_PCR_BANKS, response::USER_ABORT)
    );
    assert_eq!(allocation(&mut tpm)[1], (HashAlg::Sha256.id(), all.clone()));
    // LogAllDigests activates every bank, without confirmation.
    assert_eq!(
        ppi::user_confirmation(op::LOG_ALL_DIGESTS, &tpm.ppi().flags),
        confirmation::PP_NOT_REQUIRED
    );
    tpm.ppi_request(op::LOG_ALL_DIGESTS, 0, false).unwrap();
    let mut tpm = reboot(tpm);
    assert_eq!(tpm.ppi().last_response, response::SUCCESS);
    assert!(allocation(&mut tpm).iter().all(|(_, b)| *b == all));
}

#[test]
fn change_eps_replaces_the_endorsement_seed_only() {
    let mut tpm = started();
    let srk = primary_public(&mut tpm, rh::OWNER, b"");
    let ek = primary_public(&mut tpm, rh::ENDORSEMENT, b"");
    tpm.ppi_request(op::CHANGE_EPS, 7, false).unwrap();
    // The parameter of anything but SetPCRBanks is ignored.
    assert_eq!(tpm.ppi().pending.map(|p| p.param), Some(0));
    let mut tpm = reboot(tpm);
    assert_eq!(tpm.ppi().last_response, response::USER_ABORT);
    assert_eq!(primary_public(&mut tpm, rh::ENDORSEMENT, b""), ek);
    tpm.ppi_request(op::CHANGE_EPS, 0, true).unwrap();
    let mut tpm = reboot(tpm);
    assert_eq!(tpm.ppi().last_response, response::SUCCESS);
    assert_ne!(primary_public(&mut tpm, rh::ENDORSEMENT, b""), ek);
    assert_eq!(primary_public(&mut tpm, rh::OWNER, b""), srk);
}

#[test]
fn block_sid_operations_set_the_storage_flag() {
    let mut tpm = started();
    tpm.ppi_request(op::ENABLE_BLOCK_SID, 0, false).unwrap();
    tpm = reboot(tpm);
    assert_eq!(tpm.ppi().last_response, response::USER_ABORT);
    assert!(!tpm.ppi().flags.block_sid);
    tpm.ppi_request(op::ENABLE_BLOCK_SID, 0, true).unwrap();
    tpm = reboot(tpm);
    assert!(tpm.ppi().flags.block_sid);
    tpm.ppi_request(op::DISABLE_BLOCK_SID, 0, true).unwrap();
    tpm = reboot(tpm);
    assert!(!tpm.ppi().flags.block_sid);
    assert_eq!(
        (tpm.ppi().last_op, tpm.ppi().last_response),
        (op::DISABLE_BLOCK_SID, 0)
    );
}

#[test]
fn unimplemented_operations_are_refused_and_no_operation_withdraws() {
    let mut tpm = started();
    let flags = PpiFlags::default();
    for code in [
        1, 2, 3, 4, 6, 13, 15, 16, 19, 20, 34, 35, 95, 102, 127, 128, 255, 256,
    ] {
        assert_eq!(
            tpm.ppi_request(code, 0, true),
            Err(PpiError::NotImplemented(code))
        );
        assert_eq!(ppi::user_confirmation(code, &flags), 0, "op {code}");
    }
    assert_eq!(
        tpm.ppi_request(u32::MAX, 0, true),
        Err(PpiError::NotImplemented(u32::MAX))
    );
    assert_eq!(PpiError::NotImplemented(1).dsm_code(), 1);
    for (code, want) in [
        (0, confirmation::PP_NOT_REQUIRED),
        (5, confirmation::PP_REQUIRED),
        (14, confirmation::PP_REQUIRED),
        (21, confirmation::PP_REQUIRED),
        (22, confirmation::PP_REQUIRED),
        (23, confirmation::PP_REQUIRED),
        (24, confirmation::PP_REQUIRED),
        (33, confirmation::PP_NOT_REQUIRED),
        (96, confirmation::PP_REQUIRED),
        (97, confirmation::PP_REQUIRED),
    ] {
        assert_eq!(ppi::user_confirmation(code, &flags), want, "op {code}");
    }
    tpm.ppi_request(op::CLEAR, 0, true).unwrap();
    tpm.ppi_request(op::NO_OPERATION, 0, true).unwrap();
    assert_eq!(tpm.ppi().pending, None);
    let tpm = reboot(tpm);
    assert_eq!(*tpm.ppi(), PpiState::default(), "nothing ran");
}

#[test]
fn a_request_survives_reloads_resume_and_restart() {
    let mut tpm = started();
    tpm.ppi_request(op::SET_PCR_BANKS, banks::SHA512, true)
        .unwrap();
    assert!(tpm.permanent_dirty(), "a request is permanent state");
    let blob = tpm.take_permanent_blob();
    // Queuing the same request again changes nothing.
    tpm.ppi_request(op::SET_PCR_BANKS, banks::SHA512, true)
        .unwrap();
    assert!(!tpm.permanent_dirty());
    let vol = tpm.volatile_blob();
    let back = Tpm::restore(Box::new(SimPlatform::new(3)), &blob, Some(&vol)).unwrap();
    assert_eq!(back.ppi(), tpm.ppi());
    // Shutdown(STATE) + Startup(STATE): a TPM Resume runs nothing.
    run(&mut tpm, &Cmd::new(cc::SHUTDOWN).u16(su::STATE)).ok();
    let blob = tpm.permanent_blob();
    let mut tpm = Tpm::restore(Box::new(SimPlatform::new(4)), &blob, None).unwrap();
    run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::STATE)).ok();
    assert!(tpm.ppi().pending.is_some());
    let mut tpm = reboot(tpm);
    assert_eq!(tpm.ppi().pending, None);
    assert_eq!(
        allocation(&mut tpm)[3],
        (HashAlg::Sha512.id(), vec![0xFF; 3])
    );
}
