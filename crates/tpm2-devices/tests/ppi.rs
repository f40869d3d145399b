//! The PPI region driven as the guest's ACPI `_DSM` (QEMU's AML: byte accesses at the
//! unaligned field offsets) and firmware drive it, with the real engine behind it; a
//! "reboot" restarts the VMM: the TPM comes back from its permanent blob and the region
//! from its snapshot, and firmware sends TPM2_Startup(CLEAR).

mod common;

use common::*;
use tpm2_devices::acpi::ppi::*;
use tpm2_devices::ppi::{PpiRegion, PpiRegionState};
use tpm2_devices::{DeviceError, TpmBackend};
use tpm2_engine::ppi::{op, response};
use tpm2_engine::{SimPlatform, Tpm};

fn r32(d: &mut PpiRegion<Engine>, off: usize) -> u32 {
    // The AML reads a field byte by byte (AnyAcc over unaligned offsets).
    let mut b = [0u8; 4];
    for (i, x) in b.iter_mut().enumerate() {
        let mut one = [0u8];
        d.read((off + i) as u64, &mut one);
        *x = one[0];
    }
    u32::from_le_bytes(b)
}

fn w32(d: &mut PpiRegion<Engine>, off: usize, v: u32) {
    for (i, x) in v.to_le_bytes().iter().enumerate() {
        d.write((off + i) as u64, &[*x]);
    }
}

fn func(d: &mut PpiRegion<Engine>, op: u32) -> u8 {
    let mut b = [0u8];
    d.read(FUNC as u64 + op as u64, &mut b);
    b[0] & FUNC_MASK
}

/// `_DSM` function 2 / 7 as QEMU's AML implements it: check `FUNC[op]`, then store the
/// operation in PPRQ and the parameter in PPRM. Returns the `_DSM` result.
fn dsm_submit(d: &mut PpiRegion<Engine>, op: u32, param: u32) -> u32 {
    match func(d, op) {
        FUNC_NOT_IMPLEMENTED => return 1,
        FUNC_BLOCKED => return 3,
        _ => {}
    }
    w32(d, PPRQ, op);
    w32(d, PPRM, param);
    0
}

fn start(tpm: &mut Tpm) {
    let r = tpm.execute(0, &startup_clear()).response;
    assert_eq!(rc(&r), 0);
}

/// The VMM restarts: the TPM from its permanent state, the region from its snapshot;
/// firmware starts the TPM.
fn reboot(d: PpiRegion<Engine>) -> PpiRegion<Engine> {
    let state = d.state();
    let blob = d.backend().0.permanent_blob();
    drop(d);
    let mut tpm = Tpm::restore(Box::new(SimPlatform::new(9)), &blob, None).unwrap();
    start(&mut tpm);
    PpiRegion::from_state(state, Engine(tpm)).unwrap()
}

fn srk_public(d: &mut PpiRegion<Engine>) -> Vec<u8> {
    let r = d.backend_mut().execute(0, &create_primary_ecc());
    assert_eq!(rc(&r), 0);
    // Flush it again (TPM2_FlushContext of the handle).
    let h = r[10..14].to_vec();
    let flush = command(0x8001, 0x165, &h);
    assert_eq!(rc(&d.backend_mut().execute(0, &flush)), 0);
    r[14..].to_vec()
}

fn booted() -> PpiRegion<Engine> {
    let mut e = Engine::new();
    start(&mut e.0);
    PpiRegion::new(e)
}

#[test]
fn the_os_queues_clear_and_the_next_boot_answers_it() {
    let mut d = booted();
    // The firmware-written fields: initialised, nothing pending or done.
    let mut ppin = [0u8];
    d.read(PPIN as u64, &mut ppin);
    assert_eq!(ppin[0], 1);
    assert_eq!((r32(&mut d, PPRQ), r32(&mut d, LPPR)), (0, 0));
    // Every operation OVMF offers is implemented; the TPM's flags say which need a
    // physically present user.
    for op in OVMF_TPM2_OPERATIONS {
        assert_ne!(func(&mut d, op as u32), FUNC_NOT_IMPLEMENTED, "op {op}");
    }
    assert_eq!(func(&mut d, OP_CLEAR as u32), FUNC_ALLOWED_USER_REQUIRED);
    assert_eq!(
        func(&mut d, OP_NO_ACTION as u32),
        FUNC_ALLOWED_USER_NOT_REQUIRED
    );
    assert_eq!(func(&mut d, 1), FUNC_NOT_IMPLEMENTED);
    assert_eq!(dsm_submit(&mut d, 1, 0), 1);

    let srk = srk_public(&mut d);
    assert_eq!(dsm_submit(&mut d, op::CLEAR, 0), 0);
    assert_eq!(r32(&mut d, PPRQ), op::CLEAR);
    // The guest is never the physically present user: the clear is not executed.
    let mut d = reboot(d);
    assert_eq!(r32(&mut d, PPRQ), 0);
    assert_eq!(r32(&mut d, LPPR), op::CLEAR);
    assert_eq!(r32(&mut d, PPRP), response::USER_ABORT);
    assert_eq!(srk_public(&mut d), srk);

    // The host (physically present) lowers the protection; then the OS's clear runs.
    d.backend_mut()
        .0
        .ppi_request(op::SET_PP_REQUIRED_FOR_CLEAR_FALSE, 0, true)
        .unwrap();
    let mut d = reboot(d);
    assert_eq!(r32(&mut d, PPRP), response::SUCCESS);
    assert_eq!(
        func(&mut d, OP_CLEAR as u32),
        FUNC_ALLOWED_USER_NOT_REQUIRED
    );
    assert_eq!(dsm_submit(&mut d, op::CLEAR, 0), 0);
    let mut d = reboot(d);
    assert_eq!(
        (r32(&mut d, LPPR), r32(&mut d, PPRP), r32(&mut d, PPRQ)),
        (op::CLEAR, response::SUCCESS, 0)
    );
    assert_ne!(srk_public(&mut d), srk, "the storage seed changed");
}

#[test]
fn set_pcr_banks_through_function_7() {
    let mut d = booted();
    d.backend_mut()
        .0
        .ppi_request(op::SET_PP_REQUIRED_FOR_CHANGE_PCRS_FALSE, 0, true)
        .unwrap();
    let mut d = reboot(d);
    // PPRQ = 23 is written while PPRM still holds 0, a parameter the TPM refuses: the
    // pair stays in the device (read back) until PPRM completes it.
    w32(&mut d, PPRQ, op::SET_PCR_BANKS);
    assert_eq!(r32(&mut d, PPRQ), op::SET_PCR_BANKS);
    assert_eq!(d.backend().0.ppi().pending, None);
    w32(&mut d, PPRM, 0x2);
    assert_eq!(
        d.backend().0.ppi().pending.map(|p| (p.op, p.param)),
        Some((23, 2))
    );
    assert_eq!(d.state().staged, None);
    assert_eq!(r32(&mut d, PPRM), 2);
    let mut d = reboot(d);
    assert_eq!(r32(&mut d, PPRP), response::SUCCESS);
    // Only SHA-256 is allocated now: PCR_Read of SHA-256 PCR 16 answers a value.
    let r = d.backend_mut().execute(0, &pcr_read_sha256(16));
    assert_eq!(pcr_value(&r), vec![0; 32]);

    // A refused pair is forgotten at a platform reset.
    w32(&mut d, PPRQ, 200);
    assert_eq!(r32(&mut d, PPRQ), 200);
    d.reset();
    assert_eq!(r32(&mut d, PPRQ), 0);
    // Writing 0 withdraws a request.
    assert_eq!(dsm_submit(&mut d, op::CHANGE_EPS, 0), 0);
    assert!(d.backend().0.ppi().pending.is_some());
    w32(&mut d, PPRQ, 0);
    assert_eq!(d.backend().0.ppi().pending, None);
}

#[test]
fn firmware_fields_are_the_tpms_and_the_rest_is_ram() {
    let mut d = booted();
    // FUNC, PPIN, LPPR and PPRP writes are dropped.
    d.write(FUNC as u64, &[0xAA; FUNC_SIZE]);
    assert_eq!(func(&mut d, 1), FUNC_NOT_IMPLEMENTED);
    d.write(PPIN as u64, &[0]);
    w32(&mut d, LPPR, 5);
    w32(&mut d, PPRP, 0x1234);
    let mut b = [0u8; 9];
    d.read(PPIN as u64, &mut b);
    assert_eq!(b, [1, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!((r32(&mut d, LPPR), r32(&mut d, PPRP)), (0, 0));
    // PPIP, FRET, next_step, MOVV and the rest of the page keep what is written.
    w32(&mut d, PPIP, 0xDEAD_BEEF);
    w32(&mut d, FRET, 0x0102_0304);
    d.write(NEXT_STEP as u64, &[7]);
    assert!(!d.memory_overwrite_requested());
    d.write(MOVV as u64, &[1]);
    assert!(d.memory_overwrite_requested());
    d.write(0x3FE, &[0x55, 0x66]);
    assert_eq!(
        (r32(&mut d, PPIP), r32(&mut d, FRET)),
        (0xDEAD_BEEF, 0x0102_0304)
    );
    // A wide access over several fields.
    let mut all = vec![0u8; SIZE as usize];
    d.read(0, &mut all);
    assert_eq!(all[NEXT_STEP], 7);
    assert_eq!(&all[0x3FE..], &[0x55, 0x66]);
    assert_eq!(all[FUNC + 5], FUNC_ALLOWED_USER_REQUIRED);
    // Outside the region: all ones, nothing written, no panic at the top of the space.
    let mut out = [0u8; 4];
    d.read(0x3FE, &mut out);
    assert_eq!(out, [0x55, 0x66, 0xFF, 0xFF]);
    d.read(u64::MAX - 1, &mut out);
    assert_eq!(out, [0xFF; 4]);
    d.write(u64::MAX, &[1, 2, 3]);
    d.write(SIZE, &[1]);
    // The snapshot keeps the RAM and comes back; a damaged one is refused.
    let s = d.state();
    let e = Engine::new();
    let mut back = PpiRegion::from_state(s.clone(), e).unwrap();
    assert_eq!(r32(&mut back, PPIP), 0xDEAD_BEEF);
    let bad = PpiRegionState {
        ram: vec![0; 3],
        ..s
    };
    assert!(matches!(
        PpiRegion::from_state(bad, Engine::new()),
        Err(DeviceError::InvalidState(_))
    ));
    let bytes = postcard::to_allocvec(&d.state()).unwrap();
    let again: PpiRegionState = postcard::from_bytes(&bytes).unwrap();
    assert_eq!(again, d.state());
}

mod random {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Access {
        Read(u64, usize),
        Write(u64, Vec<u8>),
        Reboot,
    }

    fn offset() -> impl Strategy<Value = u64> {
        prop_oneof![
            (0x100u64..0x120),
            (0u64..0x400),
            (0x3F0u64..0x410),
            any::<u64>(),
        ]
    }

    fn access() -> impl Strategy<Value = Access> {
        prop_oneof![
            (offset(), 0usize..12).prop_map(|(o, n)| Access::Read(o, n)),
            (
                offset(),
                prop::collection::vec(
                    prop_oneof![Just(5u8), Just(23), Just(2), Just(0), any::<u8>()],
                    0..12
                )
            )
                .prop_map(|(o, v)| Access::Write(o, v)),
            Just(Access::Reboot),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Any access sequence: no panic; PPRQ/PPRM read the TPM's request (or the
        /// staged pair); the TPM only ever holds an implemented operation; every state
        /// reloads and boots.
        #[test]
        fn random_accesses_keep_the_region_consistent(seq in prop::collection::vec(access(), 1..40)) {
            let mut d = booted();
            for a in seq {
                match a {
                    Access::Read(o, n) => {
                        let mut b = vec![0u8; n];
                        d.read(o, &mut b);
                    }
                    Access::Write(o, v) => d.write(o, &v),
                    Access::Reboot => d = reboot(d),
                }
                let pending = d.backend().0.ppi().pending;
                if let Some(p) = pending {
                    prop_assert!(tpm2_engine::ppi::needs_confirmation(p.op, &d.backend().0.ppi().flags).is_some());
                }
                let want = d.state().staged.unwrap_or(pending.map_or((0, 0), |p| (p.op, p.param)));
                prop_assert_eq!((r32(&mut d, PPRQ), r32(&mut d, PPRM)), want);
            }
        }
    }
}
