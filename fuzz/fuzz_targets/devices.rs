//! Register access sequences against the CRB and FIFO device models and the PPI region,
//! backed by a started engine: nothing may panic, and the device state must stay
//! consistent and survive a snapshot round trip.
//! Input: a sequence of operations, each `op | offset (u16 LE) | size | bytes`:
//! `op` bit 0 = device (0 CRB, 1 TIS), bits 1–2 = read / write / poll / snapshot;
//! `size` (mod 16) bytes follow a write. With `op` bit 3 the PPI region is the device
//! and "poll" is a reboot (the engine reloaded from its permanent blob, Startup(CLEAR),
//! the pending PPI request executed); with bit 4 too, the host first queues the
//! confirmed request `offset & 0xFF` with parameter `size`.
#![no_main]

use ferrotpm_fuzz::started;
use libfuzzer_sys::fuzz_target;
use tpm2_devices::acpi::ppi::{PPRM, PPRQ};
use tpm2_devices::crb::{Crb, CrbConfig};
use tpm2_devices::ppi::{PpiBackend, PpiRegion, PpiStatus};
use tpm2_devices::tis::{Tis, TisConfig};
use tpm2_devices::TpmBackend;
use tpm2_engine::{SimPlatform, Tpm};

struct Engine(Tpm);

impl TpmBackend for Engine {
    fn execute(&mut self, locality: u8, command: &[u8]) -> Vec<u8> {
        self.0.execute(locality, command).response
    }
    fn established(&mut self) -> bool {
        self.0.tpm_established()
    }
    fn reset_established(&mut self, locality: u8) {
        let _ = self.0.reset_established(locality);
    }
    fn hash_start(&mut self) {
        self.0.hash_start()
    }
    fn hash_data(&mut self, data: &[u8]) {
        self.0.hash_data(data)
    }
    fn hash_end(&mut self) {
        self.0.hash_end()
    }
}

impl PpiBackend for Engine {
    fn status(&mut self) -> PpiStatus {
        let p = self.0.ppi();
        let (request, param) = p.pending.map_or((0, 0), |r| (r.op, r.param));
        PpiStatus {
            request,
            param,
            last_op: p.last_op,
            last_response: p.last_response,
        }
    }
    fn user_confirmation(&mut self, op: u32) -> u8 {
        tpm2_engine::ppi::user_confirmation(op, &self.0.ppi().flags)
    }
    fn submit(&mut self, op: u32, param: u32) -> bool {
        self.0.ppi_request(op, param, false).is_ok()
    }
}

fn le32(d: &mut PpiRegion<Engine>, off: usize) -> u32 {
    let mut b = [0u8; 4];
    d.read(off as u64, &mut b);
    u32::from_le_bytes(b)
}

/// One access to the PPI region; `reboot` restarts the platform.
fn ppi_step(
    ppi: PpiRegion<Engine>,
    op: u8,
    off: u64,
    bytes: &[u8],
    size: usize,
) -> PpiRegion<Engine> {
    let mut ppi = ppi;
    match (op >> 1) & 3 {
        0 => {
            let mut buf = vec![0u8; size];
            ppi.read(off, &mut buf);
        }
        1 => ppi.write(off, bytes),
        2 => {
            if op & 0x10 != 0 {
                let _ = ppi
                    .backend_mut()
                    .0
                    .ppi_request((off & 0xFF) as u32, size as u32, true);
            }
            let blob = ppi.backend().0.permanent_blob();
            let state = ppi.state();
            let mut tpm = Tpm::restore(Box::new(SimPlatform::new(3)), &blob, None)
                .expect("the engine's own permanent blob loads");
            let r = tpm.execute(0, &[0x80, 1, 0, 0, 0, 12, 0, 0, 1, 0x44, 0, 0]);
            assert_eq!(&r.response[6..10], &[0; 4], "Startup(CLEAR) after a reboot");
            assert!(tpm.ppi().pending.is_none(), "a TPM Reset runs the request");
            ppi = PpiRegion::from_state(state, Engine(tpm)).expect("own state loads");
            ppi.reset();
        }
        _ => {
            let s = ppi.state();
            let backend = Engine(std::mem::replace(&mut ppi.backend_mut().0, started().0));
            ppi = PpiRegion::from_state(s, backend).expect("own state loads");
        }
    }
    // PPRQ/PPRM read the engine's request unless a refused pair is staged.
    let (rq, rm) = ppi.state().staged.unwrap_or_else(|| {
        let st = ppi.backend_mut().status();
        (st.request, st.param)
    });
    assert_eq!((le32(&mut ppi, PPRQ), le32(&mut ppi, PPRM)), (rq, rm));
    ppi
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, mut rest)) = data.split_first() else {
        return;
    };
    let crb_cfg = CrbConfig {
        localities: if flags & 1 != 0 { 5 } else { 1 },
        deferred: flags & 2 != 0,
        ..CrbConfig::default()
    };
    let tis_cfg = TisConfig {
        deferred: flags & 4 != 0,
        drop_locality4_writes: flags & 8 != 0,
        ..TisConfig::default()
    };
    let mut crb = Crb::with_config(crb_cfg, Engine(started().0)).expect("valid config");
    let mut tis = Tis::with_config(tis_cfg, Engine(started().0)).expect("valid config");
    let mut ppi = PpiRegion::new(Engine(started().0));
    while rest.len() >= 4 {
        let (op, off, size) = (
            rest[0],
            u16::from_le_bytes([rest[1], rest[2]]) as u64,
            rest[3] as usize % 16,
        );
        rest = &rest[4..];
        if op & 8 != 0 {
            let mut bytes: &[u8] = &[];
            if (op >> 1) & 3 == 1 {
                let n = size.min(rest.len());
                (bytes, rest) = rest.split_at(n);
            }
            ppi = ppi_step(ppi, op, off, bytes, size);
            continue;
        }
        let tis_dev = op & 1 != 0;
        match (op >> 1) & 3 {
            0 => {
                let mut buf = vec![0u8; size];
                if tis_dev {
                    tis.read(off, &mut buf)
                } else {
                    crb.read(off, &mut buf)
                }
            }
            1 => {
                let n = size.min(rest.len());
                let (bytes, tail) = rest.split_at(n);
                rest = tail;
                if tis_dev {
                    tis.write(off, bytes)
                } else {
                    crb.write(off, bytes)
                }
            }
            2 => {
                crb.poll();
                tis.poll();
            }
            _ => {
                if tis_dev {
                    let s = tis.state();
                    tis = Tis::from_state(s, tis.into_backend()).expect("own state loads");
                } else {
                    let s = crb.state();
                    crb = Crb::from_state(s, crb.into_backend()).expect("own state loads");
                }
            }
        }
        assert!(
            crb.check().is_ok() && tis.check().is_ok(),
            "inconsistent device state"
        );
    }
});
