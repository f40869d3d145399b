//! Reading `--key` / `--migration-key` material: raw keys (hex or binary) and passwords,
//! from a file or an inherited descriptor, with swtpm's rules (its man page and, where that
//! is silent, what swtpm 0.7.1 accepts):
//!
//! * hex: an optional `0x`, then exactly as many digits as `mode=` asks for (32 for
//!   `aes-cbc`/`aes-128-cbc`, 64 for `aes-256-cbc`), then the end or whitespace (anything
//!   after that whitespace is ignored, as swtpm does);
//! * binary: 16 or 32 bytes, no more than `mode=` asks for (a 16-byte key with
//!   `aes-256-cbc` is a 128-bit key, as in swtpm);
//! * a password is the whole content, newline included (swtpm does not strip it either).
//!
//! An fd is read to its end (a pipe's writer must close it, as libvirt does) and closed.
//! `remove` deletes a named file once read. Digits are decoded without branching on them.

use crate::options::{KeyFormat, KeyOpt, KeySource};
use crate::statekey::StateKey;
use std::io::Read;
use std::path::Path;
use tracing::warn;
use zeroize::Zeroizing;

/// Longest key file read (a hex key and whitespace fit many times over).
const MAX_KEY_FILE: u64 = 4096;
/// Longest password read.
const MAX_PASSWORD: u64 = 1024 * 1024;

/// Reads the key an option names. `opt` is the option's name, for messages.
pub fn load(opt: &str, k: &KeyOpt) -> Result<StateKey, String> {
    let (data, what) = match &k.source {
        KeySource::File(p) => (read_path(opt, p, MAX_KEY_FILE)?, "key"),
        KeySource::Fd(fd) => (read_fd(opt, *fd, MAX_KEY_FILE)?, "key"),
        KeySource::PwdFile(p) => (read_path(opt, p, MAX_PASSWORD)?, "password"),
        KeySource::PwdFd(fd) => (read_fd(opt, *fd, MAX_PASSWORD)?, "password"),
    };
    if k.remove {
        if let KeySource::File(p) | KeySource::PwdFile(p) = &k.source {
            // swtpm ignores a failed removal too; we say so.
            if let Err(e) = std::fs::remove_file(p) {
                warn!("--{opt}: cannot remove {}: {e}", p.display());
            }
        }
    }
    if what == "password" {
        return Ok(StateKey::password(&data, k.kdf));
    }
    let key = match k.format {
        KeyFormat::Hex => parse_hex(&data, k.mode_key_len),
        KeyFormat::Binary => {
            if data.len() > k.mode_key_len {
                Err(format!(
                    "the binary key has {} bytes, more than the {} the mode asks for",
                    data.len(),
                    k.mode_key_len
                ))
            } else {
                Ok(data)
            }
        }
    }
    .map_err(|e| format!("--{opt}: {e}"))?;
    StateKey::raw(&key).map_err(|e| format!("--{opt}: {e}"))
}

fn read_limited(r: impl Read, limit: u64) -> std::io::Result<Option<Zeroizing<Vec<u8>>>> {
    let mut buf = Zeroizing::new(Vec::new());
    r.take(limit + 1).read_to_end(&mut buf)?;
    Ok((buf.len() as u64 <= limit).then_some(buf))
}

fn read_path(opt: &str, p: &Path, limit: u64) -> Result<Zeroizing<Vec<u8>>, String> {
    let f = std::fs::File::open(p).map_err(|e| format!("--{opt}: {}: {e}", p.display()))?;
    read_limited(f, limit)
        .map_err(|e| format!("--{opt}: {}: {e}", p.display()))?
        .ok_or_else(|| format!("--{opt}: {}: longer than {limit} bytes", p.display()))
}

fn read_fd(opt: &str, fd: i32, limit: u64) -> Result<Zeroizing<Vec<u8>>, String> {
    let owned = crate::swtpm::inherit_fd(fd).map_err(|e| format!("--{opt}: fd {fd}: {e}"))?;
    read_limited(std::fs::File::from(owned), limit)
        .map_err(|e| format!("--{opt}: fd {fd}: {e}"))?
        .ok_or_else(|| format!("--{opt}: fd {fd}: longer than {limit} bytes"))
}

/// One hex digit's value and 0xFF if it is a digit (0 otherwise), computed without a
/// branch or table lookup on the character.
fn hex_nibble(c: u8) -> (u8, u8) {
    let c = c as i16;
    // All ones when lo <= c <= hi: both differences are negative then.
    let within = |lo: u8, hi: u8| ((lo as i16 - 1 - c) & (c - hi as i16 - 1)) >> 8;
    let digit = within(b'0', b'9');
    let lower = within(b'a', b'f');
    let upper = within(b'A', b'F');
    let value = (digit & (c - b'0' as i16))
        | (lower & (c - b'a' as i16 + 10))
        | (upper & (c - b'A' as i16 + 10));
    ((value & 0xF) as u8, ((digit | lower | upper) & 0xFF) as u8)
}

/// A hex key of exactly `len` bytes, as swtpm reads one.
fn parse_hex(data: &[u8], len: usize) -> Result<Zeroizing<Vec<u8>>, String> {
    let digits = data.strip_prefix(b"0x").unwrap_or(data);
    // Where the digits end: the first whitespace (or the end). Counting it looks only at
    // whether each character is whitespace, which is not secret.
    let n = digits
        .iter()
        .position(|c| c.is_ascii_whitespace())
        .unwrap_or(digits.len());
    if n != 2 * len {
        return Err(format!(
            "a hex key for this mode has {} digits; found {n} characters before the end or whitespace",
            2 * len
        ));
    }
    let mut key = Zeroizing::new(vec![0u8; len]);
    let mut valid = 0xFFu8;
    for (i, pair) in digits[..n].chunks_exact(2).enumerate() {
        let (hi, vh) = hex_nibble(pair[0]);
        let (lo, vl) = hex_nibble(pair[1]);
        key[i] = (hi << 4) | lo;
        valid &= vh & vl;
    }
    if valid != 0xFF {
        return Err("the key is not hex digits".into());
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nibbles_match_a_plain_decoder() {
        for c in 0..=255u8 {
            let (v, ok) = hex_nibble(c);
            match (c as char).to_digit(16) {
                Some(d) => assert_eq!((v, ok), (d as u8, 0xFF), "{c}"),
                None => assert_eq!(ok, 0, "{c}"),
            }
        }
    }

    #[test]
    fn hex_keys_as_swtpm_accepts_them() {
        let k16 = "0123456789abcdef0123456789ABCDEF";
        let want: Vec<u8> = (0..16)
            .map(|i| u8::from_str_radix(&k16[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        assert_eq!(&parse_hex(k16.as_bytes(), 16).unwrap()[..], &want[..]);
        assert_eq!(
            &parse_hex(format!("0x{k16}\n").as_bytes(), 16).unwrap()[..],
            &want[..]
        );
        // After whitespace the rest is ignored (swtpm reads no further).
        assert!(parse_hex(format!("{k16}\nsome comment").as_bytes(), 16).is_ok());
        let k32 = k16.repeat(2);
        assert_eq!(parse_hex(k32.as_bytes(), 32).unwrap().len(), 32);
        // The length must be the mode's.
        assert!(parse_hex(k32.as_bytes(), 16).is_err());
        assert!(parse_hex(k16.as_bytes(), 32).is_err());
        assert!(parse_hex(&k16.as_bytes()[1..], 16).is_err());
        assert!(parse_hex(format!("0X{k16}").as_bytes(), 16).is_err());
        assert!(parse_hex(format!("{k16}x").as_bytes(), 16).is_err());
        assert!(parse_hex(k16.replace('a', "g").as_bytes(), 16).is_err());
        assert!(parse_hex(b"", 16).is_err());
    }

    fn opt(source: KeySource, format: KeyFormat, len: usize, remove: bool) -> KeyOpt {
        KeyOpt {
            source,
            format,
            mode_key_len: len,
            remove,
            kdf: crate::statekey::Kdf::Pbkdf2,
        }
    }

    #[test]
    fn keys_from_files() {
        use crate::statekey::KeyKind;
        let dir = std::env::temp_dir().join(format!("ferrotpm-keyfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("k");
        std::fs::write(&f, [7u8; 16]).unwrap();
        let bin = |len| opt(KeySource::File(f.clone()), KeyFormat::Binary, len, false);
        assert_eq!(load("key", &bin(16)).unwrap().kind(), KeyKind::Aes128);
        // A 16-byte binary key with aes-256-cbc is a 128-bit key (as swtpm).
        assert_eq!(load("key", &bin(32)).unwrap().kind(), KeyKind::Aes128);
        std::fs::write(&f, [7u8; 17]).unwrap();
        assert!(load("key", &bin(32)).is_err());
        assert!(load("key", &bin(16)).is_err());
        std::fs::write(&f, "ab".repeat(32)).unwrap();
        let hex = opt(KeySource::File(f.clone()), KeyFormat::Hex, 32, true);
        assert_eq!(load("key", &hex).unwrap().kind(), KeyKind::Aes256);
        assert!(!f.exists(), "remove deletes the key file");
        let err = load("migration-key", &hex).unwrap_err();
        assert!(
            err.starts_with("--migration-key: ") && err.contains("/k"),
            "{err}"
        );
        std::fs::write(&f, "pass\n").unwrap();
        let pw = opt(KeySource::PwdFile(f.clone()), KeyFormat::Hex, 16, false);
        assert_eq!(load("key", &pw).unwrap().kind(), KeyKind::PasswordPbkdf2);
        assert!(f.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn keys_from_fds_are_read_to_the_end_and_closed() {
        use crate::statekey::KeyKind;
        use std::io::Write;
        use std::os::fd::IntoRawFd;
        let (r, mut w) = std::io::pipe().unwrap();
        // Written in two pieces: the key is read to the end, not to the first short read.
        w.write_all(b"0x00112233445566778899").unwrap();
        w.write_all(b"aabbccddeeff\n").unwrap();
        drop(w);
        // The descriptor's ownership passes to the loader, which closes it.
        let fd = r.into_raw_fd();
        let k = opt(KeySource::Fd(fd), KeyFormat::Hex, 16, true);
        assert_eq!(load("key", &k).unwrap().kind(), KeyKind::Aes128);
        // (Reading it again is not tried: the number may already belong to another test.)
        // Standard streams are never taken.
        assert!(load("key", &opt(KeySource::PwdFd(1), KeyFormat::Hex, 16, false)).is_err());
    }
}
