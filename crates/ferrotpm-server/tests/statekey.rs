//! State encryption on in-memory instances: GET_CONFIG flags, GET_STATEBLOB's ENCRYPTED
//! flag and layers for every key combination (as swtpm 0.7.1, §2.4 of the interface
//! reference), SET_STATEBLOB's result codes, migration between instances, and the
//! encrypted state files of `SealedStore`.

use ferrotpm_server::ctrl::{res, Request};
use ferrotpm_server::persist::SealedStore;
use ferrotpm_server::statekey::{self, Kdf, Role, StateKey};
use ferrotpm_server::{Instance, MemoryPersistence, Options, Persistence};
use std::sync::{Arc, Mutex};
use tpm2_engine::state::blob::BlobKind;
use tpm2_engine::SimPlatform;

fn result(v: &[u8]) -> u32 {
    u32::from_be_bytes([v[0], v[1], v[2], v[3]])
}

fn key(b: u8) -> Option<StateKey> {
    Some(StateKey::raw(&[b; 32]).unwrap())
}

/// Memory storage whose contents the test can still see after handing it over.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<MemoryPersistence>>);

impl Persistence for Shared {
    fn location(&self) -> String {
        "memory".into()
    }
    fn load(&mut self) -> Result<Option<ferrotpm_server::Stored>, ferrotpm_server::PersistError> {
        self.0.lock().unwrap().load()
    }
    fn save_permanent(&mut self, b: &[u8]) -> Result<(), ferrotpm_server::PersistError> {
        self.0.lock().unwrap().save_permanent(b)
    }
    fn save_volatile(&mut self, b: &[u8]) -> Result<(), ferrotpm_server::PersistError> {
        self.0.lock().unwrap().save_volatile(b)
    }
    fn delete_volatile(&mut self) -> Result<(), ferrotpm_server::PersistError> {
        self.0.lock().unwrap().delete_volatile()
    }
}

fn instance(file: Option<StateKey>, migration: Option<StateKey>) -> (Instance, Shared) {
    let mem = Shared::default();
    let i = Instance::new(
        Box::new(SealedStore::new(Box::new(mem.clone()), file.clone())),
        Box::new(|| Box::new(SimPlatform::new(3))),
        Options {
            reject_locality_4: false,
            file_key: file,
            migration_key: migration,
        },
    );
    (i, mem)
}

const STARTUP_CLEAR: [u8; 12] = [0x80, 0x01, 0, 0, 0, 12, 0, 0, 0x01, 0x44, 0, 0];
/// TPM2_PCR_Extend(PCR 16, SHA-256 digest of 0x5A bytes), password session.
fn pcr_extend() -> Vec<u8> {
    let mut c = vec![0x80, 0x02, 0, 0, 0, 0, 0, 0, 0x01, 0x82, 0, 0, 0, 16];
    c.extend_from_slice(&[0, 0, 0, 9, 0x40, 0, 0, 9, 0, 0, 0, 0, 0]);
    c.extend_from_slice(&[0, 0, 0, 1, 0, 0x0B]);
    c.extend_from_slice(&[0x5A; 32]);
    let n = c.len() as u32;
    c[2..6].copy_from_slice(&n.to_be_bytes());
    c
}
/// TPM2_PCR_Read(SHA-256, PCR 16).
const PCR_READ_16: [u8; 20] = [
    0x80, 0x01, 0, 0, 0, 20, 0, 0, 0x01, 0x7E, 0, 0, 0, 1, 0, 0x0B, 3, 0, 0, 1,
];

fn started(i: &mut Instance) {
    assert_eq!(result(&i.control(Request::Init { flags: 0 }).0), 0);
    assert_eq!(&i.execute(&STARTUP_CLEAR)[6..10], &[0, 0, 0, 0]);
    assert_eq!(&i.execute(&pcr_extend())[6..10], &[0, 0, 0, 0]);
}

/// (result, state flags, blob) of GET_STATEBLOB.
fn get(i: &mut Instance, flags: u32, blob_type: u32) -> (u32, u32, Vec<u8>) {
    let (r, _) = i.control(Request::GetStateBlob {
        flags,
        blob_type,
        offset: 0,
    });
    let sf = u32::from_be_bytes([r[4], r[5], r[6], r[7]]);
    (result(&r), sf, r[16..].to_vec())
}

fn set(i: &mut Instance, flags: u32, blob_type: u32, data: &[u8]) -> u32 {
    result(
        &i.control(Request::SetStateBlob {
            flags,
            blob_type,
            data: data.to_vec(),
        })
        .0,
    )
}

fn config(i: &mut Instance) -> u32 {
    let (r, _) = i.control(Request::GetConfig);
    u32::from_be_bytes([r[4], r[5], r[6], r[7]])
}

#[test]
fn config_and_blob_flags_for_every_key_combination() {
    // (file key, migration key, GET_CONFIG, [state flags, outer role] for request 0 / DECRYPTED)
    type Case = (bool, bool, u32, [(u32, Option<Role>); 2]);
    let cases: [Case; 4] = [
        (false, false, 0, [(0, None), (0, None)]),
        (true, false, 1, [(2, Some(Role::File)), (0, None)]),
        (
            false,
            true,
            2,
            [(0, Some(Role::Migration)), (0, Some(Role::Migration))],
        ),
        (
            true,
            true,
            3,
            [(2, Some(Role::Migration)), (0, Some(Role::Migration))],
        ),
    ];
    for (fk, mk, cfg, want) in cases {
        let (mut i, _) = instance(fk.then(|| key(1)).flatten(), mk.then(|| key(2)).flatten());
        assert_eq!(config(&mut i), cfg, "GET_CONFIG works while stopped");
        started(&mut i);
        for (req, (sf, role)) in [0, 1].into_iter().zip(want) {
            for t in [1, 2] {
                let (r, got_sf, blob) = get(&mut i, req, t);
                assert_eq!(
                    (r, got_sf),
                    (0, sf),
                    "keys {fk}/{mk} request {req} type {t}"
                );
                let h = statekey::header(&blob).unwrap();
                assert_eq!(h.map(|h| h.role), role);
                if role.is_some() {
                    assert!(!blob.windows(4).any(|w| w == b"FTPM"), "plaintext leaked");
                }
            }
        }
    }
}

#[test]
fn migration_resumes_with_the_same_key_only() {
    let (mut a, _) = instance(key(1), key(7));
    started(&mut a);
    let pcr = a.execute(&PCR_READ_16);
    let perm = get(&mut a, 1, 1).2;
    let vol = get(&mut a, 1, 2).2;

    // Another file key, the same migration key: resumes where the source was.
    let (mut b, mem) = instance(key(9), key(7));
    assert_eq!(set(&mut b, 0, 1, &perm), res::SUCCESS);
    assert_eq!(set(&mut b, 0, 2, &vol), res::SUCCESS);
    assert_eq!(result(&b.control(Request::Init { flags: 0 }).0), 0);
    assert_eq!(b.execute(&PCR_READ_16), pcr);
    // Its state files are encrypted with its own file key.
    let stored = mem.0.lock().unwrap().stored.clone().unwrap();
    let mut k9 = key(9).unwrap();
    k9.open(Role::File, BlobKind::Permanent, &stored.permanent)
        .unwrap();

    let (mut wrong, _) = instance(None, key(8));
    assert_eq!(set(&mut wrong, 0, 1, &perm), res::DECRYPT_ERROR);
    let (mut none, _) = instance(None, None);
    assert_eq!(set(&mut none, 0, 1, &perm), res::KEYNOTFOUND);
    let (mut other_kind, _) = instance(None, Some(StateKey::password(b"p", Kdf::Sha512)));
    assert_eq!(set(&mut other_kind, 0, 1, &perm), res::BAD_KEY_PROPERTY);
    // Every damaged byte is refused by the right key; nothing is staged.
    let (mut right, _) = instance(None, key(7));
    for i in (0..perm.len()).step_by(7) {
        let mut d = perm.clone();
        d[i] ^= 0x80;
        assert_ne!(set(&mut right, 0, 1, &d), res::SUCCESS, "byte {i}");
    }
    assert_eq!(
        set(&mut right, 0, 1, &perm[..perm.len() - 1]),
        res::DECRYPT_ERROR
    );
    // Types must match: a permanent blob is not a volatile one.
    assert_eq!(set(&mut right, 0, 2, &perm), res::BAD_PARAMETER);
}

#[test]
fn file_key_blobs_need_the_file_key() {
    let (mut a, _) = instance(key(1), None);
    started(&mut a);
    let (_, sf, enc) = get(&mut a, 0, 1);
    assert_eq!(sf, 2);
    let plain = get(&mut a, 1, 1).2;
    for flags in [0, 2] {
        assert_eq!(
            set(&mut instance(None, None).0, flags, 1, &enc),
            res::KEYNOTFOUND
        );
        assert_eq!(
            set(&mut instance(key(2), None).0, flags, 1, &enc),
            res::DECRYPT_ERROR
        );
        assert_eq!(
            set(&mut instance(key(1), None).0, flags, 1, &enc),
            res::SUCCESS
        );
    }
    // Both layers: the migration key alone is not enough.
    let (mut both, _) = instance(key(1), key(3));
    started(&mut both);
    let (_, sf, layered) = get(&mut both, 0, 1);
    assert_eq!(sf, 2);
    assert_eq!(
        set(&mut instance(None, key(3)).0, 2, 1, &layered),
        res::KEYNOTFOUND
    );
    assert_eq!(
        set(&mut instance(key(1), None).0, 2, 1, &layered),
        res::KEYNOTFOUND
    );
    assert_eq!(
        set(&mut instance(key(1), key(3)).0, 2, 1, &layered),
        res::SUCCESS
    );
    // A plain blob announced as encrypted: no key → KEYNOTFOUND, with one → refused.
    assert_eq!(
        set(&mut instance(None, None).0, 2, 1, &plain),
        res::KEYNOTFOUND
    );
    assert_eq!(
        set(&mut instance(key(1), None).0, 2, 1, &plain),
        res::DECRYPT_ERROR
    );
    // A plain blob is accepted by a daemon with keys (as swtpm does).
    assert_eq!(
        set(&mut instance(key(1), key(3)).0, 0, 1, &plain),
        res::SUCCESS
    );
}

#[test]
fn sealed_store_encrypts_refuses_and_upgrades() {
    let (mut a, mem) = instance(key(1), None);
    started(&mut a);
    assert_eq!(result(&a.control(Request::StoreVolatile).0), 0);
    let stored = mem.0.lock().unwrap().stored.clone().unwrap();
    for b in [&stored.permanent, stored.volatile.as_ref().unwrap()] {
        assert!(!b.windows(4).any(|w| w == b"FTPM"));
    }
    let reload = |k: Option<StateKey>| {
        let mut s = SealedStore::new(Box::new(mem.clone()), k);
        s.load().map(|x| x.map(|x| x.permanent.len()))
    };
    assert!(reload(key(1)).unwrap().is_some());
    let e = reload(key(2)).unwrap_err().to_string();
    assert!(e.contains("wrong key or damaged"), "{e}");
    let e = reload(None).unwrap_err().to_string();
    assert!(e.contains("no --key was given"), "{e}");
    assert_eq!(
        mem.0.lock().unwrap().stored.clone().unwrap(),
        stored,
        "never replaced"
    );

    // Plain state read with a key: used, and stored encrypted at once.
    let (mut p, plain_mem) = instance(None, None);
    started(&mut p);
    let before = plain_mem.0.lock().unwrap().stored.clone().unwrap();
    assert!(before.permanent.starts_with(b"FTPM"));
    let mut s = SealedStore::new(Box::new(plain_mem.clone()), key(4));
    let loaded = s.load().unwrap().unwrap();
    assert_eq!(loaded.permanent, before.permanent);
    let after = plain_mem.0.lock().unwrap().stored.clone().unwrap();
    assert!(statekey::header(&after.permanent).unwrap().is_some());
    // A damaged plain file is left as it is, for the engine to refuse.
    let mut bad = before.clone();
    bad.permanent[40] ^= 1;
    plain_mem.0.lock().unwrap().stored = Some(bad.clone());
    SealedStore::new(Box::new(plain_mem.clone()), key(4))
        .load()
        .unwrap();
    assert_eq!(plain_mem.0.lock().unwrap().stored.clone().unwrap(), bad);
}
