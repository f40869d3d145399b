//! The state directory: layout, atomic replace, locking, and the errors it names.

use ferrotpm_store::*;
use std::fs;
use std::os::unix::fs::PermissionsExt;

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// The files in a directory, sorted.
fn files(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn fresh_directory_has_no_state() {
    let t = tmp();
    let p = t.path().join("a/b/state");
    let d = StateDir::open(&p, true).unwrap();
    assert_eq!(d.load().unwrap(), None);
    assert_eq!(files(&p), [LOCK_FILE]);
    assert_eq!(
        fs::metadata(&p).unwrap().permissions().mode() & 0o777,
        0o700
    );
}

#[test]
fn missing_directory_without_create_names_it() {
    let t = tmp();
    let p = t.path().join("nope");
    let e = StateDir::open(&p, false).unwrap_err();
    assert_eq!(e.path(), p);
    let msg = e.to_string();
    assert!(msg.contains("nope") && msg.contains("os error 2"), "{msg}");
    assert!(!p.exists(), "open without create must not create");
}

#[test]
fn a_file_is_not_a_state_directory() {
    let t = tmp();
    let p = t.path().join("f");
    fs::write(&p, b"x").unwrap();
    assert!(matches!(
        StateDir::open(&p, true),
        Err(StoreError::NotADirectory { .. })
    ));
}

#[test]
fn saves_round_trip_and_leave_no_temporary_files() {
    let t = tmp();
    let d = StateDir::open(t.path(), false).unwrap();
    d.save_permanent(b"perm 1").unwrap();
    assert_eq!(
        d.load().unwrap(),
        Some(Loaded {
            permanent: b"perm 1".to_vec(),
            volatile: None
        })
    );
    d.save_volatile(b"vol 1").unwrap();
    d.save_permanent(b"perm 2, longer than before").unwrap();
    d.save_volatile(b"v").unwrap();
    let l = d.load().unwrap().unwrap();
    assert_eq!(l.permanent, b"perm 2, longer than before");
    assert_eq!(l.volatile.as_deref(), Some(&b"v"[..]));
    assert_eq!(files(t.path()), [LOCK_FILE, PERMANENT_FILE, VOLATILE_FILE]);
    for f in [PERMANENT_FILE, VOLATILE_FILE] {
        let mode = fs::metadata(t.path().join(f)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{f} holds secrets");
    }
    d.delete_volatile().unwrap();
    d.delete_volatile().unwrap();
    assert_eq!(d.load().unwrap().unwrap().volatile, None);
    assert_eq!(files(t.path()), [LOCK_FILE, PERMANENT_FILE]);
}

#[test]
fn a_second_opener_is_refused_until_the_first_closes() {
    let t = tmp();
    let first = StateDir::open(t.path(), false).unwrap();
    match StateDir::open(t.path(), false) {
        Err(e @ StoreError::Locked { .. }) => {
            assert_eq!(e.path(), t.path());
            assert!(e.to_string().contains("in use by another process"), "{e}");
        }
        other => panic!("expected Locked, got {other:?}"),
    }
    drop(first);
    StateDir::open(t.path(), false).unwrap();
}

#[test]
fn a_second_process_is_refused() {
    let t = tmp();
    let _held = StateDir::open(t.path(), false).unwrap();
    // flock(1) from util-linux tries the same lock from another process.
    let out = std::process::Command::new("flock")
        .args(["--nonblock", "--conflict-exit-code", "9"])
        .arg(t.path().join(LOCK_FILE))
        .arg("true")
        .status()
        .expect("flock(1) runs");
    assert_eq!(
        out.code(),
        Some(9),
        "the lock must be visible to other processes"
    );
}

#[test]
fn temporary_files_left_by_a_crash_are_removed_on_open() {
    let t = tmp();
    {
        let d = StateDir::open(t.path(), false).unwrap();
        d.save_permanent(b"good").unwrap();
    }
    let stale = t.path().join(format!("{PERMANENT_FILE}{TEMP_SUFFIX}"));
    fs::write(&stale, b"half written").unwrap();
    fs::write(t.path().join(format!("{VOLATILE_FILE}{TEMP_SUFFIX}")), b"x").unwrap();
    let d = StateDir::open(t.path(), false).unwrap();
    assert_eq!(files(t.path()), [LOCK_FILE, PERMANENT_FILE]);
    assert_eq!(d.load().unwrap().unwrap().permanent, b"good");
}

#[test]
fn unreadable_files_are_errors_naming_the_file_and_the_os_error() {
    let t = tmp();
    let d = StateDir::open(t.path(), false).unwrap();
    // A symlink loop cannot be opened, even by root.
    std::os::unix::fs::symlink(PERMANENT_FILE, d.permanent_path()).unwrap();
    let e = d.load().unwrap_err();
    assert_eq!(e.path(), d.permanent_path());
    let msg = e.to_string();
    assert!(
        msg.contains(PERMANENT_FILE) && msg.contains("os error 40"),
        "{msg}"
    );

    fs::remove_file(d.permanent_path()).unwrap();
    fs::create_dir(d.permanent_path()).unwrap();
    let e = d.load().unwrap_err();
    assert!(
        matches!(&e, StoreError::NotAFile { path } if *path == d.permanent_path()),
        "{e}"
    );
}

#[test]
fn a_failed_save_leaves_the_old_file_and_no_temporary() {
    let t = tmp();
    let d = StateDir::open(t.path(), false).unwrap();
    // A non-empty directory where the volatile file goes: rename(2) must fail.
    fs::create_dir(d.volatile_path()).unwrap();
    fs::write(d.volatile_path().join("x"), b"").unwrap();
    let e = d.save_volatile(b"new").unwrap_err();
    assert_eq!(e.path(), d.volatile_path());
    assert!(d.volatile_path().join("x").exists());
    assert!(!t
        .path()
        .join(format!("{VOLATILE_FILE}{TEMP_SUFFIX}"))
        .exists());
}

#[test]
fn volatile_state_without_permanent_state_is_refused() {
    let t = tmp();
    let d = StateDir::open(t.path(), false).unwrap();
    d.save_volatile(b"v").unwrap();
    let e = d.load().unwrap_err();
    assert!(
        matches!(&e, StoreError::VolatileWithoutPermanent { path } if *path == d.volatile_path())
    );
}

#[test]
fn oversized_files_are_refused_unread() {
    let t = tmp();
    let d = StateDir::open(t.path(), false).unwrap();
    let f = fs::File::create(d.permanent_path()).unwrap();
    f.set_len(MAX_STATE_FILE + 1).unwrap();
    let e = d.load().unwrap_err();
    assert!(
        matches!(&e, StoreError::TooLarge { path, .. } if *path == d.permanent_path()),
        "{e}"
    );
}
