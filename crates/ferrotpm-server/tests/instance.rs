//! The control channel's semantics on an in-memory instance.

use ferrotpm_server::ctrl::{res, Request};
use ferrotpm_server::instance::{After, FATAL_RESPONSE};
use ferrotpm_server::{Instance, MemoryPersistence, Options};
use tpm2_engine::SimPlatform;

fn instance() -> Instance {
    Instance::new(
        Box::new(MemoryPersistence::default()),
        Box::new(|| Box::new(SimPlatform::new(3))),
        Options {
            reject_locality_4: false,
            ..Default::default()
        },
    )
}

fn result(v: &[u8]) -> u32 {
    u32::from_be_bytes([v[0], v[1], v[2], v[3]])
}

const STARTUP_CLEAR: [u8; 12] = [0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0];

#[test]
fn before_init_data_is_fatal_and_run_commands_fail() {
    let mut i = instance();
    assert_eq!(i.execute(&STARTUP_CLEAR), FATAL_RESPONSE.to_vec());
    let (r, _) = i.control(Request::GetTpmEstablished);
    assert_eq!(result(&r), res::BAD_ORDINAL);
    let (r, _) = i.control(Request::GetCapability);
    assert_eq!(r, vec![0, 0, 0, 0, 0, 1, 0xFF, 0xFF]);
}

#[test]
fn init_startup_and_blob_round_trip() {
    let mut i = instance();
    assert_eq!(
        result(&i.control(Request::Init { flags: 0 }).0),
        res::SUCCESS
    );
    let r = i.execute(&STARTUP_CLEAR);
    assert_eq!(&r[6..10], &[0, 0, 0, 0]);
    // Savestate blobs do not exist for TPM 2.
    let (r, _) = i.control(Request::GetStateBlob {
        flags: 1,
        blob_type: 3,
        offset: 0,
    });
    assert_eq!(result(&r), res::RETRY);
    let (perm, _) = i.control(Request::GetStateBlob {
        flags: 1,
        blob_type: 1,
        offset: 0,
    });
    assert_eq!(result(&perm), res::SUCCESS);
    let (vol, _) = i.control(Request::GetStateBlob {
        flags: 1,
        blob_type: 2,
        offset: 0,
    });
    // SET_STATEBLOB only while stopped.
    let (r, _) = i.control(Request::SetStateBlob {
        flags: 0,
        blob_type: 1,
        data: perm[16..].to_vec(),
    });
    assert_eq!(result(&r), res::BAD_ORDINAL);
    let mut j = instance();
    for (t, b) in [(1, &perm), (2, &vol)] {
        let (r, _) = j.control(Request::SetStateBlob {
            flags: 0,
            blob_type: t,
            data: b[16..].to_vec(),
        });
        assert_eq!(result(&r), res::SUCCESS);
    }
    assert_eq!(
        result(&j.control(Request::Init { flags: 1 }).0),
        res::SUCCESS
    );
    // Resumed without Startup: GetRandom works at once.
    let r = j.execute(&[0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x7B, 0, 8]);
    assert_eq!(&r[6..10], &[0, 0, 0, 0]);
    // A damaged blob is refused at once.
    let mut bad = perm[16..].to_vec();
    bad[20] ^= 1;
    let mut k = instance();
    let (r, _) = k.control(Request::SetStateBlob {
        flags: 0,
        blob_type: 1,
        data: bad,
    });
    assert_eq!(result(&r), res::BAD_PARAMETER);
}

#[test]
fn locality_and_buffer_size() {
    let mut i = instance();
    assert_eq!(
        result(&i.control(Request::SetLocality(5)).0),
        res::BAD_LOCALITY
    );
    assert_eq!(result(&i.control(Request::SetLocality(4)).0), res::SUCCESS);
    let (r, _) = i.control(Request::SetBufferSize(3968));
    assert_eq!(r[4..8], 3968u32.to_be_bytes());
    let (r, _) = i.control(Request::SetBufferSize(100));
    assert_eq!(r[4..8], 2808u32.to_be_bytes());
    i.control(Request::Init { flags: 0 });
    let (r, _) = i.control(Request::SetBufferSize(4096));
    assert_eq!(result(&r), res::BAD_ORDINAL);
    let (r, after) = i.control(Request::Shutdown);
    assert_eq!((result(&r), after), (res::SUCCESS, After::Exit));
}

#[test]
fn drtm_through_the_control_channel() {
    let mut i = instance();
    i.control(Request::Init { flags: 0 });
    i.execute(&STARTUP_CLEAR);
    for r in [
        Request::HashStart,
        Request::HashData(b"x".to_vec()),
        Request::HashEnd,
    ] {
        assert_eq!(result(&i.control(r).0), res::SUCCESS);
    }
    let (r, _) = i.control(Request::GetTpmEstablished);
    assert_eq!(r, vec![0, 0, 0, 0, 1, 0, 0, 0]);
    assert_eq!(
        result(&i.control(Request::ResetTpmEstablished(0)).0),
        res::BAD_LOCALITY
    );
    assert_eq!(
        result(&i.control(Request::ResetTpmEstablished(3)).0),
        res::SUCCESS
    );
}
