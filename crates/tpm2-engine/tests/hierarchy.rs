//! Hierarchy commands (Part 3, §24). Response codes are the ones swtpm 0.7.1 (libtpms
//! 0.9.2) gives for the same commands.

mod hutil;
mod util;
use hutil::*;
use tpm2_engine::state::blob::{self, BlobKind};
use tpm2_engine::state::{NvIndex, Secret};
use tpm2_engine::{SimPlatform, Tpm};
use tpm2_types::constants::startup_clear_attr as sca;
use tpm2_types::constants::{alg, cap, cc, nv_attr, permanent_attr as pa, pt, rh, su};
use tpm2_types::nv::TpmsNvPublic;
use tpm2_types::{Codec, HashAlg, Rc, Tpm2bDigest};
use util::*;

/// The policy of a permanent handle from `TPM_CAP_AUTH_POLICIES`: algorithm and digest.
fn auth_policy(tpm: &mut Tpm, h: u32) -> (u16, Vec<u8>) {
    let r = run(
        tpm,
        &Cmd::new(cc::GET_CAPABILITY)
            .u32(cap::AUTH_POLICIES)
            .u32(h)
            .u32(1),
    )
    .ok();
    let mut rd = r.reader();
    let (_more, _cap, n) = (rd.u8().unwrap(), rd.u32().unwrap(), rd.u32().unwrap());
    assert_eq!(n, 1);
    assert_eq!(rd.u32().unwrap(), h);
    let a = rd.u16().unwrap();
    let size = HashAlg::from_id(a).map_or(0, |h| h.digest_size());
    (a, rd.take(size).unwrap().to_vec())
}

/// The HMAC of a hash-check ticket for "abc" in a hierarchy: it is keyed with the
/// hierarchy's proof, so it changes exactly when the proof does.
fn ticket(tpm: &mut Tpm, hierarchy: u32) -> Vec<u8> {
    let r = run(
        tpm,
        &Cmd::new(cc::HASH).b(b"abc").u16(alg::SHA256).u32(hierarchy),
    )
    .ok();
    let mut rd = r.reader();
    Tpm2bDigest::read(&mut rd).unwrap();
    let (_tag, _h) = (rd.u16().unwrap(), rd.u32().unwrap());
    Tpm2bDigest::read(&mut rd).unwrap().0
}

fn hc(tpm: &mut Tpm, auth: u32, enable: u32, state: u8) -> Rc {
    run(
        tpm,
        &Cmd::new(cc::HIERARCHY_CONTROL)
            .handle(auth)
            .pw(b"")
            .u32(enable)
            .u8(state),
    )
    .rc
}

fn set_policy(tpm: &mut Tpm, h: u32, policy: &[u8], hash: u16) -> Rc {
    let c = Cmd::new(cc::SET_PRIMARY_POLICY)
        .handle(h)
        .pw(b"")
        .b(policy)
        .u16(hash);
    run(tpm, &c).rc
}

fn nv_index(handle: u32, attributes: u32) -> NvIndex {
    NvIndex {
        public: TpmsNvPublic {
            nv_index: handle,
            name_alg: HashAlg::Sha256,
            attributes,
            auth_policy: Tpm2bDigest::empty(),
            data_size: 8,
        },
        auth: Secret::default(),
        data: Vec::new(),
    }
}

/// A started TPM whose NV holds one owner and one platform index (placed through its
/// permanent state, since the NV commands are not part of this family).
fn with_nv_indices() -> Tpm {
    let mut tpm = Tpm::manufacture(Box::new(SimPlatform::new(5)));
    let mut p = perm_state(&tpm);
    let ordinary = nv_attr::AUTHWRITE | nv_attr::AUTHREAD;
    p.nv.insert(0x0100_0001, nv_index(0x0100_0001, ordinary));
    let platform = ordinary | nv_attr::PLATFORMCREATE;
    p.nv.insert(0x0140_0001, nv_index(0x0140_0001, platform));
    tpm = Tpm::restore(
        Box::new(SimPlatform::new(5)),
        &blob::encode(BlobKind::Permanent, &p),
        None,
    )
    .unwrap();
    run(&mut tpm, &Cmd::new(cc::STARTUP).u16(su::CLEAR)).ok();
    tpm
}

/// The defined NV indices, from `TPM_CAP_HANDLES`.
fn nv_handles(tpm: &mut Tpm) -> Vec<u32> {
    let r = run(
        tpm,
        &Cmd::new(cc::GET_CAPABILITY)
            .u32(cap::HANDLES)
            .u32(0x0100_0000)
            .u32(64),
    )
    .ok();
    let mut rd = r.reader();
    let (_more, _cap, n) = (rd.u8().unwrap(), rd.u32().unwrap(), rd.u32().unwrap());
    (0..n).map(|_| rd.u32().unwrap()).collect()
}

// ---- TPM2_HierarchyControl -----------------------------------------------------------

#[test]
fn hierarchy_control_who_may_change_what() {
    let mut tpm = started();
    // Owner and endorsement govern only themselves; platform enables need platformAuth
    // (Part 3, §24.2: TPM_RC_AUTH_TYPE).
    for enable in [rh::PLATFORM, rh::PLATFORM_NV, rh::ENDORSEMENT] {
        assert_eq!(hc(&mut tpm, rh::OWNER, enable, 0), Rc::AUTH_TYPE);
    }
    assert_eq!(hc(&mut tpm, rh::ENDORSEMENT, rh::OWNER, 0), Rc::AUTH_TYPE);
    // TPMI_RH_ENABLES and TPMI_YES_NO, TPMI_RH_HIERARCHY on the handle.
    assert_eq!(hc(&mut tpm, rh::OWNER, rh::NULL, 0), Rc::VALUE.param(1));
    assert_eq!(hc(&mut tpm, rh::OWNER, rh::LOCKOUT, 0), Rc::VALUE.param(1));
    assert_eq!(hc(&mut tpm, rh::OWNER, rh::OWNER, 2), Rc::VALUE.param(2));
    assert_eq!(hc(&mut tpm, rh::LOCKOUT, rh::OWNER, 0), Rc::VALUE.handle(1));
    assert_eq!(hc(&mut tpm, rh::NULL, rh::OWNER, 0), Rc::VALUE.handle(1));
    // Enabling what is enabled is a no-op success.
    assert_eq!(hc(&mut tpm, rh::OWNER, rh::OWNER, 1), Rc::SUCCESS);
    let all = sca::PH_ENABLE | sca::SH_ENABLE | sca::EH_ENABLE | sca::PH_ENABLE_NV;
    assert_eq!(prop(&mut tpm, pt::STARTUP_CLEAR) & all, all);
}

#[test]
fn disabled_hierarchies_answer_hierarchy() {
    let mut tpm = started();
    assert_eq!(hc(&mut tpm, rh::OWNER, rh::OWNER, 0), Rc::SUCCESS);
    assert_eq!(prop(&mut tpm, pt::STARTUP_CLEAR) & sca::SH_ENABLE, 0);
    // Every use of the owner handle is refused; the owner cannot re-enable itself.
    assert_eq!(
        clock_set(&mut tpm, rh::OWNER, 1 << 20),
        Rc::HIERARCHY.handle(1)
    );
    assert_eq!(
        change_auth(&mut tpm, rh::OWNER, b"", b""),
        Rc::HIERARCHY.handle(1)
    );
    assert_eq!(
        hc(&mut tpm, rh::OWNER, rh::OWNER, 1),
        Rc::HIERARCHY.handle(1)
    );
    // The platform can.
    assert_eq!(hc(&mut tpm, rh::PLATFORM, rh::OWNER, 1), Rc::SUCCESS);
    assert_eq!(clock_set(&mut tpm, rh::OWNER, 1 << 20), Rc::SUCCESS);

    assert_eq!(
        hc(&mut tpm, rh::ENDORSEMENT, rh::ENDORSEMENT, 0),
        Rc::SUCCESS
    );
    assert_eq!(
        set_policy(&mut tpm, rh::ENDORSEMENT, b"", alg::NULL),
        Rc::HIERARCHY.handle(1)
    );
    assert_eq!(hc(&mut tpm, rh::PLATFORM, rh::ENDORSEMENT, 1), Rc::SUCCESS);

    // Platform NV and then the platform itself; a disabled platform hierarchy stays so
    // until the next TPM2_Startup(CLEAR).
    assert_eq!(hc(&mut tpm, rh::PLATFORM, rh::PLATFORM_NV, 0), Rc::SUCCESS);
    assert_eq!(hc(&mut tpm, rh::PLATFORM, rh::PLATFORM, 0), Rc::SUCCESS);
    let sc = prop(&mut tpm, pt::STARTUP_CLEAR);
    assert_eq!(sc & (sca::PH_ENABLE | sca::PH_ENABLE_NV), 0);
    assert_eq!(
        sc & (sca::SH_ENABLE | sca::EH_ENABLE),
        sca::SH_ENABLE | sca::EH_ENABLE
    );
    assert_eq!(
        hc(&mut tpm, rh::PLATFORM, rh::PLATFORM, 1),
        Rc::HIERARCHY.handle(1)
    );
    assert_eq!(
        simple(&mut tpm, cc::CHANGE_PPS, rh::PLATFORM, b""),
        Rc::HIERARCHY.handle(1)
    );
    assert_eq!(
        clock_set(&mut tpm, rh::PLATFORM, 1 << 21),
        Rc::HIERARCHY.handle(1)
    );
    // The owner still cannot touch platform enables.
    assert_eq!(hc(&mut tpm, rh::OWNER, rh::PLATFORM, 1), Rc::AUTH_TYPE);
    // Lockout is not a hierarchy that can be disabled.
    assert_eq!(
        simple(&mut tpm, cc::DICTIONARY_ATTACK_LOCK_RESET, rh::LOCKOUT, b""),
        Rc::SUCCESS
    );
}

#[test]
fn enables_survive_resume_and_not_restart_or_reset() {
    let mut tpm = started();
    assert_eq!(hc(&mut tpm, rh::OWNER, rh::OWNER, 0), Rc::SUCCESS);
    // TPM Resume restores TPMA_STARTUP_CLEAR as it was (Part 1, §36.7).
    assert_eq!(
        power_cycle(&mut tpm, Some(su::STATE), su::STATE),
        Rc::SUCCESS
    );
    assert_eq!(prop(&mut tpm, pt::STARTUP_CLEAR) & sca::SH_ENABLE, 0);
    // TPM Restart sets it again.
    assert_eq!(
        power_cycle(&mut tpm, Some(su::STATE), su::CLEAR),
        Rc::SUCCESS
    );
    assert_ne!(prop(&mut tpm, pt::STARTUP_CLEAR) & sca::SH_ENABLE, 0);
    assert_eq!(hc(&mut tpm, rh::PLATFORM, rh::PLATFORM, 0), Rc::SUCCESS);
    assert_eq!(power_cycle(&mut tpm, None, su::CLEAR), Rc::SUCCESS);
    assert_ne!(prop(&mut tpm, pt::STARTUP_CLEAR) & sca::PH_ENABLE, 0);
}

// ---- TPM2_HierarchyChangeAuth, TPM2_SetPrimaryPolicy ---------------------------------

#[test]
fn change_auth_stores_without_trailing_zeros() {
    let mut tpm = started();
    assert_eq!(
        change_auth(&mut tpm, rh::OWNER, b"", b"abc\0\0"),
        Rc::SUCCESS
    );
    assert_ne!(prop(&mut tpm, pt::PERMANENT) & pa::OWNER_AUTH_SET, 0);
    // Hierarchy authorizations are DA-exempt: a wrong one is TPM_RC_BAD_AUTH.
    assert_eq!(
        change_auth(&mut tpm, rh::OWNER, b"", b"abc"),
        Rc::BAD_AUTH.session(1)
    );
    assert_eq!(
        change_auth(&mut tpm, rh::OWNER, b"abc", b"abc"),
        Rc::SUCCESS
    );
    assert_eq!(
        change_auth(&mut tpm, rh::OWNER, b"abc\0", b"x"),
        Rc::SUCCESS
    );
    // Up to the largest digest; one more octet fails at unmarshal.
    assert_eq!(
        change_auth(&mut tpm, rh::OWNER, b"x", &[7; 64]),
        Rc::SUCCESS
    );
    assert_eq!(
        change_auth(&mut tpm, rh::OWNER, &[7; 64], &[7; 65]),
        Rc::SIZE.param(1)
    );
    // A value of zeros is the empty authValue.
    assert_eq!(
        change_auth(&mut tpm, rh::OWNER, &[7; 64], &[0; 8]),
        Rc::SUCCESS
    );
    assert_eq!(prop(&mut tpm, pt::PERMANENT) & pa::OWNER_AUTH_SET, 0);
    // TPMI_RH_HIERARCHY_AUTH.
    assert_eq!(
        change_auth(&mut tpm, rh::NULL, b"", b""),
        Rc::VALUE.handle(1)
    );
    assert_eq!(
        change_auth(&mut tpm, rh::PLATFORM_NV, b"", b""),
        Rc::VALUE.handle(1)
    );
    assert_eq!(da(&mut tpm)[0], 0, "no failure counted");
}

#[test]
fn platform_auth_is_volatile_the_others_persist() {
    let mut tpm = started();
    for (h, v) in [
        (rh::OWNER, b"O"),
        (rh::ENDORSEMENT, b"E"),
        (rh::LOCKOUT, b"L"),
        (rh::PLATFORM, b"P"),
    ] {
        assert_eq!(change_auth(&mut tpm, h, b"", v), Rc::SUCCESS);
    }
    let set = pa::OWNER_AUTH_SET | pa::ENDORSEMENT_AUTH_SET | pa::LOCKOUT_AUTH_SET;
    assert_eq!(prop(&mut tpm, pt::PERMANENT) & set, set);
    // Resume keeps platformAuth, Restart and Reset empty it.
    assert_eq!(
        power_cycle(&mut tpm, Some(su::STATE), su::STATE),
        Rc::SUCCESS
    );
    assert_eq!(change_auth(&mut tpm, rh::PLATFORM, b"P", b"P"), Rc::SUCCESS);
    assert_eq!(
        power_cycle(&mut tpm, Some(su::STATE), su::CLEAR),
        Rc::SUCCESS
    );
    assert_eq!(change_auth(&mut tpm, rh::PLATFORM, b"", b""), Rc::SUCCESS);
    assert_eq!(
        power_cycle(&mut tpm, Some(su::CLEAR), su::CLEAR),
        Rc::SUCCESS
    );
    assert_eq!(change_auth(&mut tpm, rh::OWNER, b"O", b"O"), Rc::SUCCESS);
    assert_eq!(
        change_auth(&mut tpm, rh::ENDORSEMENT, b"E", b"E"),
        Rc::SUCCESS
    );
    assert_eq!(change_auth(&mut tpm, rh::LOCKOUT, b"L", b"L"), Rc::SUCCESS);
}

#[test]
fn primary_policy_size_must_match_its_hash() {
    let mut tpm = started();
    let sha256 = alg::SHA256;
    assert_eq!(
        set_policy(&mut tpm, rh::OWNER, &[0xA; 32], sha256),
        Rc::SUCCESS
    );
    assert_eq!(auth_policy(&mut tpm, rh::OWNER), (sha256, vec![0xA; 32]));
    assert_eq!(
        set_policy(&mut tpm, rh::OWNER, &[0xA; 20], sha256),
        Rc::SIZE.param(1)
    );
    assert_eq!(
        set_policy(&mut tpm, rh::OWNER, b"", sha256),
        Rc::SIZE.param(1)
    );
    assert_eq!(
        set_policy(&mut tpm, rh::OWNER, &[0xA; 20], alg::NULL),
        Rc::SIZE.param(1)
    );
    assert_eq!(
        set_policy(&mut tpm, rh::OWNER, &[0xA; 65], sha256),
        Rc::SIZE.param(1)
    );
    // Not a hash this TPM implements (SM3, RSA): TPM_RC_HASH on hashAlg.
    assert_eq!(
        set_policy(&mut tpm, rh::OWNER, &[0xA; 32], 0x0012),
        Rc::HASH.param(2)
    );
    assert_eq!(
        set_policy(&mut tpm, rh::OWNER, b"", alg::RSA),
        Rc::HASH.param(2)
    );
    assert_eq!(
        auth_policy(&mut tpm, rh::OWNER),
        (sha256, vec![0xA; 32]),
        "unchanged"
    );
    assert_eq!(set_policy(&mut tpm, rh::OWNER, b"", alg::NULL), Rc::SUCCESS);
    assert_eq!(auth_policy(&mut tpm, rh::OWNER), (alg::NULL, vec![]));
    // TPMI_RH_HIERARCHY_POLICY: no null, no ACT handles.
    assert_eq!(
        set_policy(&mut tpm, rh::NULL, b"", alg::NULL),
        Rc::VALUE.handle(1)
    );
    assert_eq!(
        set_policy(&mut tpm, 0x4000_0110, b"", alg::NULL),
        Rc::VALUE.handle(1)
    );

    // Each hierarchy's policy; the platform's is volatile.
    let sha1 = alg::SHA1;
    for h in [rh::LOCKOUT, rh::ENDORSEMENT, rh::PLATFORM] {
        assert_eq!(set_policy(&mut tpm, h, &[h as u8; 20], sha1), Rc::SUCCESS);
        assert_eq!(auth_policy(&mut tpm, h), (sha1, vec![h as u8; 20]));
    }
    assert_eq!(
        power_cycle(&mut tpm, Some(su::CLEAR), su::CLEAR),
        Rc::SUCCESS
    );
    assert_eq!(auth_policy(&mut tpm, rh::PLATFORM), (alg::NULL, vec![]));
    assert_eq!(
        auth_policy(&mut tpm, rh::LOCKOUT),
        (sha1, vec![rh::LOCKOUT as u8; 20])
    );
}

// ---- TPM2_Clear, TPM2_ClearControl ---------------------------------------------------

#[test]
fn clear_removes_the_owner() {
    let mut tpm = with_nv_indices();
    assert_eq!(nv_handles(&mut tpm), vec![0x0100_0001, 0x0140_0001]);
    for (h, v) in [
        (rh::OWNER, b"O"),
        (rh::ENDORSEMENT, b"E"),
        (rh::PLATFORM, b"P"),
    ] {
        assert_eq!(change_auth(&mut tpm, h, b"", v), Rc::SUCCESS);
    }
    for (h, pw) in [
        (rh::OWNER, b"O"),
        (rh::ENDORSEMENT, b"E"),
        (rh::LOCKOUT, b"\0"),
    ] {
        let c = Cmd::new(cc::SET_PRIMARY_POLICY).handle(h).pw(pw);
        run(&mut tpm, &c.b(&[1; 32]).u16(alg::SHA256)).ok();
    }
    assert_eq!(da_params(&mut tpm, b"", 9, 99, 999), Rc::SUCCESS);
    assert_eq!(change_auth(&mut tpm, rh::LOCKOUT, b"", b"L"), Rc::SUCCESS);
    let pcr_auth = |tpm: &mut Tpm, old: &[u8], new: &[u8]| {
        run(
            tpm,
            &Cmd::new(cc::PCR_SET_AUTH_VALUE).handle(20).pw(old).b(new),
        )
        .rc
    };
    assert_eq!(pcr_auth(&mut tpm, b"", b"pcr"), Rc::SUCCESS);
    let r = run(
        &mut tpm,
        &Cmd::new(cc::CLOCK_SET)
            .handle(rh::OWNER)
            .pw(b"O")
            .raw(&(1u64 << 30).to_be_bytes()),
    );
    assert_eq!(r.rc, Rc::SUCCESS);
    let seq = run(
        &mut tpm,
        &Cmd::new(cc::HASH_SEQUENCE_START).b(b"s").u16(alg::SHA256),
    )
    .ok();
    let seq = u32::from_be_bytes(seq.body[..4].try_into().unwrap());
    // The endorsement hierarchy is disabled: Clear enables it again.
    let c = Cmd::new(cc::HIERARCHY_CONTROL)
        .handle(rh::PLATFORM)
        .pw(b"P")
        .u32(rh::ENDORSEMENT)
        .u8(0);
    run(&mut tpm, &c).ok();
    let tickets: Vec<Vec<u8>> = [rh::OWNER, rh::PLATFORM]
        .iter()
        .map(|&h| ticket(&mut tpm, h))
        .collect();
    let before = perm_state(&tpm);
    let counter = |tpm: &mut Tpm| {
        let r = run(
            tpm,
            &Cmd::new(cc::PCR_READ)
                .u32(1)
                .u16(alg::SHA256)
                .u8(3)
                .raw(&[0, 0, 0]),
        )
        .ok();
        u32::from_be_bytes(r.body[..4].try_into().unwrap())
    };
    let pcr_counter = counter(&mut tpm);

    // TPMI_RH_CLEAR: lockout or platform.
    assert_eq!(
        simple(&mut tpm, cc::CLEAR, rh::OWNER, b"O"),
        Rc::VALUE.handle(1)
    );
    assert_eq!(simple(&mut tpm, cc::CLEAR, rh::LOCKOUT, b"L"), Rc::SUCCESS);

    let after = perm_state(&tpm);
    assert_ne!(after.sps, before.sps, "new SPS");
    assert_ne!(after.sh_proof, before.sh_proof);
    assert_ne!(after.eh_proof, before.eh_proof);
    assert_eq!(after.eps, before.eps, "EPS untouched");
    assert_eq!(after.pps, before.pps);
    assert_eq!(after.ph_proof, before.ph_proof);
    // Owner and endorsement tickets change, platform tickets do not.
    assert_ne!(ticket(&mut tpm, rh::OWNER), tickets[0]);
    assert_eq!(ticket(&mut tpm, rh::PLATFORM), tickets[1]);
    // Storage and endorsement enabled, authValues and policies empty.
    let all = sca::PH_ENABLE | sca::SH_ENABLE | sca::EH_ENABLE | sca::PH_ENABLE_NV;
    assert_eq!(prop(&mut tpm, pt::STARTUP_CLEAR) & all, all);
    assert_eq!(prop(&mut tpm, pt::PERMANENT), pa::TPM_GENERATED_EPS);
    for h in [rh::OWNER, rh::ENDORSEMENT, rh::LOCKOUT] {
        assert_eq!(change_auth(&mut tpm, h, b"", b""), Rc::SUCCESS);
        assert_eq!(auth_policy(&mut tpm, h), (alg::NULL, vec![]));
    }
    assert_eq!(
        change_auth(&mut tpm, rh::PLATFORM, b"P", b"P"),
        Rc::SUCCESS,
        "platformAuth kept"
    );
    // Non-platform NV indices are gone; DA state at its defaults.
    assert_eq!(nv_handles(&mut tpm), vec![0x0140_0001]);
    assert_eq!(da(&mut tpm), [0, 3, 1000, 1000]);
    // Clock, resetCount, restartCount zero, Clock safe (Part 3, §24.6).
    let t = read_clock(&mut tpm).clock_info;
    assert_eq!(
        (t.clock, t.reset_count, t.restart_count, t.safe),
        (0, 0, 0, true)
    );
    // PCR authValues emptied, pcrUpdateCounter advanced.
    assert_eq!(counter(&mut tpm), pcr_counter + 1);
    assert_eq!(pcr_auth(&mut tpm, b"", b""), Rc::SUCCESS);
    // Sequence objects are in the null hierarchy and survive.
    assert_eq!(
        run(
            &mut tpm,
            &Cmd::new(cc::SEQUENCE_UPDATE).handle(seq).pw(b"s").b(b"x")
        )
        .rc,
        Rc::SUCCESS
    );

    // The platform may clear too.
    assert_eq!(simple(&mut tpm, cc::CLEAR, rh::PLATFORM, b"P"), Rc::SUCCESS);
}

#[test]
fn clear_control_platform_sets_and_clears_lockout_only_sets() {
    let mut tpm = started();
    // Lockout cannot clear disableClear: TPM_RC_AUTH_FAIL without a session number, and
    // it is no failed authorization (lockoutAuth stays usable, nothing is counted).
    assert_eq!(clear_control(&mut tpm, rh::LOCKOUT, 0), Rc::AUTH_FAIL);
    assert_eq!(clear_control(&mut tpm, rh::LOCKOUT, 1), Rc::SUCCESS);
    assert_ne!(prop(&mut tpm, pt::PERMANENT) & pa::DISABLE_CLEAR, 0);
    assert_eq!(clear_control(&mut tpm, rh::LOCKOUT, 0), Rc::AUTH_FAIL);
    assert_eq!(da(&mut tpm)[0], 0);
    // Clear is refused either way while disabled (Part 3, §24.6).
    assert_eq!(simple(&mut tpm, cc::CLEAR, rh::LOCKOUT, b""), Rc::DISABLED);
    assert_eq!(simple(&mut tpm, cc::CLEAR, rh::PLATFORM, b""), Rc::DISABLED);
    // disableClear persists.
    assert_eq!(power_cycle(&mut tpm, None, su::CLEAR), Rc::SUCCESS);
    assert_eq!(simple(&mut tpm, cc::CLEAR, rh::PLATFORM, b""), Rc::DISABLED);
    assert_eq!(clear_control(&mut tpm, rh::PLATFORM, 2), Rc::VALUE.param(1));
    assert_eq!(clear_control(&mut tpm, rh::OWNER, 0), Rc::VALUE.handle(1));
    assert_eq!(clear_control(&mut tpm, rh::PLATFORM, 0), Rc::SUCCESS);
    assert_eq!(prop(&mut tpm, pt::PERMANENT) & pa::DISABLE_CLEAR, 0);
    assert_eq!(clear_control(&mut tpm, rh::PLATFORM, 1), Rc::SUCCESS);
    assert_eq!(clear_control(&mut tpm, rh::PLATFORM, 0), Rc::SUCCESS);
    assert_eq!(simple(&mut tpm, cc::CLEAR, rh::PLATFORM, b""), Rc::SUCCESS);
}

// ---- TPM2_ChangePPS, TPM2_ChangeEPS --------------------------------------------------

#[test]
fn change_pps_replaces_the_platform_seed() {
    let mut tpm = with_nv_indices();
    assert_eq!(change_auth(&mut tpm, rh::PLATFORM, b"", b"P"), Rc::SUCCESS);
    let c = Cmd::new(cc::SET_PRIMARY_POLICY)
        .handle(rh::PLATFORM)
        .pw(b"P")
        .b(&[2; 32])
        .u16(alg::SHA256);
    run(&mut tpm, &c).ok();
    let c = Cmd::new(cc::PCR_SET_AUTH_POLICY)
        .handle(rh::PLATFORM)
        .pw(b"P")
        .b(&[3; 32])
        .u16(alg::SHA256)
        .u32(20);
    run(&mut tpm, &c).ok();
    let tickets: Vec<Vec<u8>> = [rh::OWNER, rh::ENDORSEMENT, rh::PLATFORM]
        .iter()
        .map(|&h| ticket(&mut tpm, h))
        .collect();
    let before = perm_state(&tpm);
    assert_ne!(before.pcr_policy.digest, Vec::<u8>::new());

    assert_eq!(
        simple(&mut tpm, cc::CHANGE_PPS, rh::OWNER, b""),
        Rc::VALUE.handle(1)
    );
    assert_eq!(
        simple(&mut tpm, cc::CHANGE_PPS, rh::PLATFORM, b"P"),
        Rc::SUCCESS
    );

    let after = perm_state(&tpm);
    assert_ne!(after.pps, before.pps);
    assert_ne!(after.ph_proof, before.ph_proof);
    assert_eq!((after.eps, after.sps), (before.eps, before.sps));
    assert_eq!(ticket(&mut tpm, rh::OWNER), tickets[0]);
    assert_eq!(ticket(&mut tpm, rh::ENDORSEMENT), tickets[1]);
    assert_ne!(ticket(&mut tpm, rh::PLATFORM), tickets[2]);
    // Platform policy and the PCR policies back to empty; platformAuth and platform NV
    // indices stay (as swtpm).
    assert_eq!(auth_policy(&mut tpm, rh::PLATFORM), (alg::NULL, vec![]));
    assert_eq!(after.pcr_policy.alg, None);
    assert!(after.pcr_policy.digest.is_empty());
    assert_eq!(change_auth(&mut tpm, rh::PLATFORM, b"P", b"P"), Rc::SUCCESS);
    assert_eq!(nv_handles(&mut tpm), vec![0x0100_0001, 0x0140_0001]);
}

#[test]
fn change_eps_replaces_the_endorsement_seed() {
    let mut tpm = started();
    assert_eq!(
        change_auth(&mut tpm, rh::ENDORSEMENT, b"", b"E"),
        Rc::SUCCESS
    );
    let c = Cmd::new(cc::SET_PRIMARY_POLICY)
        .handle(rh::ENDORSEMENT)
        .pw(b"E")
        .b(&[2; 32])
        .u16(alg::SHA256);
    run(&mut tpm, &c).ok();
    let c = Cmd::new(cc::HIERARCHY_CONTROL)
        .handle(rh::ENDORSEMENT)
        .pw(b"E")
        .u32(rh::ENDORSEMENT)
        .u8(0);
    run(&mut tpm, &c).ok();
    let tickets: Vec<Vec<u8>> = [rh::OWNER, rh::PLATFORM]
        .iter()
        .map(|&h| ticket(&mut tpm, h))
        .collect();
    let before = perm_state(&tpm);

    assert_eq!(
        simple(&mut tpm, cc::CHANGE_EPS, rh::ENDORSEMENT, b"E"),
        Rc::VALUE.handle(1)
    );
    assert_eq!(
        simple(&mut tpm, cc::CHANGE_EPS, rh::PLATFORM, b""),
        Rc::SUCCESS
    );

    let after = perm_state(&tpm);
    assert_ne!(after.eps, before.eps);
    assert_ne!(after.eh_proof, before.eh_proof);
    assert_eq!((&after.sps, &after.pps), (&before.sps, &before.pps));
    assert_eq!(ticket(&mut tpm, rh::OWNER), tickets[0]);
    assert_eq!(ticket(&mut tpm, rh::PLATFORM), tickets[1]);
    // Enabled again, with empty authValue and policy (Part 3, §24.5).
    assert_ne!(prop(&mut tpm, pt::STARTUP_CLEAR) & sca::EH_ENABLE, 0);
    assert_eq!(prop(&mut tpm, pt::PERMANENT) & pa::ENDORSEMENT_AUTH_SET, 0);
    assert_eq!(auth_policy(&mut tpm, rh::ENDORSEMENT), (alg::NULL, vec![]));
    let t = ticket(&mut tpm, rh::ENDORSEMENT);
    assert_eq!(
        simple(&mut tpm, cc::CHANGE_EPS, rh::PLATFORM, b""),
        Rc::SUCCESS
    );
    assert_ne!(
        ticket(&mut tpm, rh::ENDORSEMENT),
        t,
        "each change is a new seed"
    );
}
