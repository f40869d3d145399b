//! Register access sequences against the CRB and FIFO device models, backed by a
//! started engine: nothing may panic, and the device state must stay consistent and
//! survive a snapshot round trip.
//! Input: a sequence of operations, each `op | offset (u16 LE) | size | bytes`:
//! `op` bit 0 = device (0 CRB, 1 TIS), bits 1–2 = read / write / poll / snapshot;
//! `size` (mod 16) bytes follow a write.
#![no_main]

use ferrotpm_fuzz::started;
use libfuzzer_sys::fuzz_target;
use tpm2_devices::crb::{Crb, CrbConfig};
use tpm2_devices::tis::{Tis, TisConfig};
use tpm2_devices::TpmBackend;
use tpm2_engine::Tpm;

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
    while rest.len() >= 4 {
        let (op, off, size) = (
            rest[0],
            u16::from_le_bytes([rest[1], rest[2]]) as u64,
            rest[3] as usize % 16,
        );
        rest = &rest[4..];
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
