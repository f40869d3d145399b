//! The control channel: arbitrary bytes framed as swtpm control messages and served by an
//! instance (in memory, with a migration key), as the daemon serves them. Every complete request gets an answer
//! that starts with a result code (or, for GET_CAPABILITY, is 8 bytes); nothing panics; a
//! TPM that is running still answers commands.
#![no_main]

use ferrotpm_server::ctrl::{frame, Framed, Request};
use ferrotpm_server::{Instance, MemoryPersistence, Options};
use libfuzzer_sys::fuzz_target;
use tpm2_engine::SimPlatform;

fuzz_target!(|data: &[u8]| {
    let mut inst = Instance::new(
        Box::new(MemoryPersistence::default()),
        Box::new(|| Box::new(SimPlatform::new(5))),
        Options {
            reject_locality_4: false,
            file_key: None,
            // Blobs go through the migration-key envelope both ways.
            migration_key: ferrotpm_server::statekey::StateKey::raw(&[7; 32]).ok(),
        },
    );
    let mut rest = data;
    let mut n = 0;
    while !rest.is_empty() && n < 64 {
        n += 1;
        let used = match frame(rest) {
            Framed::Incomplete => break,
            Framed::Unknown(_) => 4,
            Framed::BadParameter(used) => used.min(rest.len()),
            Framed::Request(req, used) => {
                // SHUTDOWN ends the daemon; the instance answers and the loop ends here.
                let last = matches!(req, Request::Shutdown);
                let is_cap = matches!(req, Request::GetCapability);
                let (resp, _after) = inst.control(req);
                if is_cap {
                    assert_eq!(resp.len(), 8);
                } else {
                    assert!(resp.len() >= 4, "a control response starts with a result");
                }
                if last {
                    return;
                }
                used
            }
        };
        rest = &rest[used..];
    }
    // Whatever happened, the data channel answers with a well-formed response.
    let r = inst.execute(&[0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7B, 0, 8]);
    assert!(r.len() >= 10);
    assert_eq!(
        u32::from_be_bytes([r[2], r[3], r[4], r[5]]) as usize,
        r.len()
    );
});
