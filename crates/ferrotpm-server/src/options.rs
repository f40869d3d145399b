//! swtpm's option syntax: comma-separated `key=value` lists (`--server type=tcp,port=2321`),
//! bare keys as booleans (`disconnect`), octal modes with a leading `0`.

use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    #[error("--{opt}: unknown parameter '{key}'")]
    UnknownKey { opt: &'static str, key: String },
    #[error("--{opt}: bad value '{value}' for '{key}'")]
    BadValue {
        opt: &'static str,
        key: String,
        value: String,
    },
    #[error("--{opt}: {msg}")]
    Invalid { opt: &'static str, msg: String },
}

/// A parsed `key=value,...` list; keys without `=` map to `"true"`.
pub struct KvList {
    opt: &'static str,
    map: BTreeMap<String, String>,
}

impl KvList {
    pub fn parse(opt: &'static str, s: &str, allowed: &[&str]) -> Result<KvList, OptionError> {
        let mut map = BTreeMap::new();
        for part in s.split(',').filter(|p| !p.is_empty()) {
            let (k, v) = match part.split_once('=') {
                Some((k, v)) => (k, v),
                None => (part, "true"),
            };
            if !allowed.contains(&k) {
                return Err(OptionError::UnknownKey {
                    opt,
                    key: k.to_string(),
                });
            }
            map.insert(k.to_string(), v.to_string());
        }
        Ok(KvList { opt, map })
    }

    pub fn get(&self, k: &str) -> Option<&str> {
        self.map.get(k).map(|s| s.as_str())
    }

    fn bad(&self, k: &str, v: &str) -> OptionError {
        OptionError::BadValue {
            opt: self.opt,
            key: k.into(),
            value: v.into(),
        }
    }

    /// A boolean: bare key, `true`/`1` or `false`/`0` (swtpm's spellings).
    pub fn flag(&self, k: &str) -> Result<bool, OptionError> {
        match self.get(k) {
            None | Some("false") | Some("0") => Ok(false),
            Some("true") | Some("1") => Ok(true),
            Some(v) => Err(self.bad(k, v)),
        }
    }

    pub fn num<T: std::str::FromStr>(&self, k: &str) -> Result<Option<T>, OptionError> {
        match self.get(k) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| self.bad(k, v)),
        }
    }

    /// A file mode: octal with a leading `0` (as swtpm requires).
    pub fn mode(&self, k: &str) -> Result<Option<u32>, OptionError> {
        match self.get(k) {
            None => Ok(None),
            Some(v) if v.starts_with('0') => u32::from_str_radix(v, 8)
                .map(Some)
                .map_err(|_| self.bad(k, v)),
            Some(v) => Err(self.bad(k, v)),
        }
    }
}

/// `--tpmstate`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TpmState {
    pub dir: PathBuf,
    pub mode: Option<u32>,
}

pub fn parse_tpmstate(s: &str) -> Result<TpmState, OptionError> {
    let kv = KvList::parse(
        "tpmstate",
        s,
        &["dir", "backend-uri", "mode", "lock", "backup", "fsync"],
    )?;
    let dir = match (kv.get("dir"), kv.get("backend-uri")) {
        (Some(d), None) => PathBuf::from(d),
        (None, Some(uri)) => match uri.strip_prefix("dir://") {
            Some(d) => PathBuf::from(d),
            None => {
                return Err(OptionError::Invalid {
                    opt: "tpmstate",
                    msg: format!("backend '{uri}' is not supported (use dir://)"),
                })
            }
        },
        _ => {
            return Err(OptionError::Invalid {
                opt: "tpmstate",
                msg: "exactly one of dir= or backend-uri= is required".into(),
            })
        }
    };
    Ok(TpmState {
        dir,
        mode: kv.mode("mode")?,
    })
}

/// Where a channel listens or which connection it uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Tcp {
        bind: String,
        port: u16,
    },
    Unix {
        path: PathBuf,
        mode: Option<u32>,
    },
    /// An inherited listening socket.
    ListenFd(i32),
    /// An inherited, already connected socket.
    ConnectedFd(i32),
}

/// `--server`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerOpt {
    pub endpoint: Endpoint,
    pub disconnect: bool,
}

pub fn parse_server(s: &str) -> Result<ServerOpt, OptionError> {
    let kv = KvList::parse(
        "server",
        s,
        &[
            "type",
            "port",
            "bindaddr",
            "ifname",
            "fd",
            "disconnect",
            "path",
            "mode",
            "uid",
            "gid",
        ],
    )?;
    let disconnect = kv.flag("disconnect")?;
    let endpoint = match kv.get("type").unwrap_or("tcp") {
        "tcp" => match kv.num::<i32>("fd")? {
            // swtpm: a tcp fd= is an already connected stream (swtpm_setup's socketpair).
            Some(fd) => Endpoint::ConnectedFd(fd),
            None => {
                let port = match kv.num::<u16>("port")? {
                    Some(p) => p,
                    None => std::env::var("TPM_PORT")
                        .ok()
                        .and_then(|p| p.parse().ok())
                        .ok_or(OptionError::Invalid {
                            opt: "server",
                            msg: "no port given".into(),
                        })?,
                };
                Endpoint::Tcp {
                    bind: kv.get("bindaddr").unwrap_or("127.0.0.1").to_string(),
                    port,
                }
            }
        },
        "unixio" => match (kv.get("path"), kv.num::<i32>("fd")?) {
            (Some(p), None) => Endpoint::Unix {
                path: p.into(),
                mode: kv.mode("mode")?,
            },
            (None, Some(fd)) => Endpoint::ConnectedFd(fd),
            _ => {
                return Err(OptionError::Invalid {
                    opt: "server",
                    msg: "unixio needs path= or fd=".into(),
                })
            }
        },
        t => return Err(kv.bad("type", t)),
    };
    Ok(ServerOpt {
        endpoint,
        disconnect,
    })
}

/// `--ctrl`.
pub fn parse_ctrl(s: &str) -> Result<Endpoint, OptionError> {
    let kv = KvList::parse(
        "ctrl",
        s,
        &[
            "type",
            "port",
            "bindaddr",
            "ifname",
            "fd",
            "clientfd",
            "path",
            "mode",
            "uid",
            "gid",
            "terminate",
        ],
    )?;
    Ok(match kv.get("type") {
        Some("tcp") => match kv.num::<i32>("fd")? {
            Some(fd) => Endpoint::ListenFd(fd),
            None => Endpoint::Tcp {
                bind: kv.get("bindaddr").unwrap_or("127.0.0.1").to_string(),
                port: kv.num::<u16>("port")?.ok_or(OptionError::Invalid {
                    opt: "ctrl",
                    msg: "no port given".into(),
                })?,
            },
        },
        Some("unixio") => match (
            kv.get("path"),
            kv.num::<i32>("fd")?,
            kv.num::<i32>("clientfd")?,
        ) {
            (Some(p), None, None) => Endpoint::Unix {
                path: p.into(),
                mode: kv.mode("mode")?,
            },
            (None, Some(fd), None) => Endpoint::ListenFd(fd),
            (None, None, Some(fd)) => Endpoint::ConnectedFd(fd),
            _ => {
                return Err(OptionError::Invalid {
                    opt: "ctrl",
                    msg: "unixio needs one of path=, fd=, clientfd=".into(),
                })
            }
        },
        Some(t) => return Err(kv.bad("type", t)),
        None => {
            return Err(OptionError::Invalid {
                opt: "ctrl",
                msg: "type= is required".into(),
            })
        }
    })
}

/// `--flags`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flags {
    pub not_need_init: bool,
    /// `Some(su)`: run `TPM2_Startup(su)` at start (`startup-clear` / `startup-state`).
    pub startup: Option<u16>,
}

pub fn parse_flags(s: &str) -> Result<Flags, OptionError> {
    let kv = KvList::parse(
        "flags",
        s,
        &[
            "not-need-init",
            "startup-clear",
            "startup-state",
            "startup-deactivated",
            "startup-none",
            "disable-auto-shutdown",
        ],
    )?;
    let mut f = Flags {
        not_need_init: kv.flag("not-need-init")?,
        startup: None,
    };
    if kv.flag("startup-clear")? {
        f.startup = Some(tpm2_types::constants::su::CLEAR);
    }
    if kv.flag("startup-state")? {
        f.startup = Some(tpm2_types::constants::su::STATE);
    }
    if kv.flag("startup-deactivated")? {
        return Err(OptionError::Invalid {
            opt: "flags",
            msg: "startup-deactivated is a TPM 1.2 flag".into(),
        });
    }
    if f.startup.is_some() {
        f.not_need_init = true;
    }
    Ok(f)
}

/// `--pid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PidOpt {
    File(PathBuf),
    Fd(i32),
}

pub fn parse_pid(s: &str) -> Result<PidOpt, OptionError> {
    let kv = KvList::parse("pid", s, &["file", "fd"])?;
    match (kv.get("file"), kv.num::<i32>("fd")?) {
        (Some(f), None) => Ok(PidOpt::File(f.into())),
        (None, Some(fd)) => Ok(PidOpt::Fd(fd)),
        _ => Err(OptionError::Invalid {
            opt: "pid",
            msg: "one of file= or fd= is required".into(),
        }),
    }
}

/// `--log`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogOpt {
    pub file: Option<PathBuf>,
    pub fd: Option<i32>,
    pub level: u32,
    pub truncate: bool,
}

pub fn parse_log(s: &str) -> Result<LogOpt, OptionError> {
    let kv = KvList::parse("log", s, &["file", "fd", "level", "prefix", "truncate"])?;
    Ok(LogOpt {
        file: kv.get("file").filter(|f| *f != "-").map(PathBuf::from),
        fd: kv.num("fd")?,
        level: kv.num("level")?.unwrap_or(1),
        truncate: kv.flag("truncate")?,
    })
}

/// `--locality`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LocalityOpt {
    pub reject_locality_4: bool,
    pub allow_set_locality: bool,
}

pub fn parse_locality(s: &str) -> Result<LocalityOpt, OptionError> {
    let kv = KvList::parse("locality", s, &["reject-locality-4", "allow-set-locality"])?;
    Ok(LocalityOpt {
        reject_locality_4: kv.flag("reject-locality-4")?,
        allow_set_locality: kv.flag("allow-set-locality")?,
    })
}

/// Where `--key` / `--migration-key` material comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    /// `file=`: a raw key.
    File(PathBuf),
    /// `fd=`: a raw key read from an inherited descriptor.
    Fd(i32),
    /// `pwdfile=`: a password.
    PwdFile(PathBuf),
    /// `pwdfd=`: a password read from an inherited descriptor.
    PwdFd(i32),
}

/// `format=` of a raw key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFormat {
    /// 32 or 64 hex digits with an optional `0x` (the default).
    Hex,
    /// The key's bytes.
    Binary,
}

/// `--key` / `--migration-key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyOpt {
    pub source: KeySource,
    pub format: KeyFormat,
    /// The key length `mode=` asks for: 16 (`aes-cbc`, `aes-128-cbc`, the default) or 32
    /// (`aes-256-cbc`). ferrotpm always encrypts with AES-GCM; the mode only sets the size
    /// a raw key must have (a password always gives a 256-bit key).
    pub mode_key_len: usize,
    /// `remove`: delete the key or password file once read.
    pub remove: bool,
    pub kdf: crate::statekey::Kdf,
}

/// Parses `--key` (`opt` = "key") or `--migration-key` (`opt` = "migration-key") as swtpm
/// does: the first of `file=`, `fd=`, `pwdfile=`, `pwdfd=` present is used; `format=` and
/// `mode=` are checked whatever the source, `kdf=` only for a password.
pub fn parse_key(opt: &'static str, s: &str) -> Result<KeyOpt, OptionError> {
    use crate::statekey::Kdf;
    let kv = KvList::parse(
        opt,
        s,
        &[
            "file", "fd", "pwdfile", "pwdfd", "format", "mode", "remove", "kdf",
        ],
    )?;
    let source = if let Some(f) = kv.get("file") {
        KeySource::File(f.into())
    } else if let Some(fd) = kv.num::<i32>("fd")? {
        KeySource::Fd(fd)
    } else if let Some(f) = kv.get("pwdfile") {
        KeySource::PwdFile(f.into())
    } else if let Some(fd) = kv.num::<i32>("pwdfd")? {
        KeySource::PwdFd(fd)
    } else {
        return Err(OptionError::Invalid {
            opt,
            msg: "one of file=, fd=, pwdfile= or pwdfd= is required".into(),
        });
    };
    let format = match kv.get("format").unwrap_or("hex") {
        "hex" => KeyFormat::Hex,
        "binary" => KeyFormat::Binary,
        v => return Err(kv.bad("format", v)),
    };
    let mode_key_len = match kv.get("mode").unwrap_or("aes-128-cbc") {
        "aes-cbc" | "aes-128-cbc" => 16,
        "aes-256-cbc" => 32,
        v => return Err(kv.bad("mode", v)),
    };
    let kdf = match source {
        KeySource::PwdFile(_) | KeySource::PwdFd(_) => match kv.get("kdf").unwrap_or("pbkdf2") {
            "pbkdf2" => Kdf::Pbkdf2,
            "sha512" => Kdf::Sha512,
            v => return Err(kv.bad("kdf", v)),
        },
        // swtpm ignores kdf= for a raw key.
        _ => Kdf::Pbkdf2,
    };
    Ok(KeyOpt {
        source,
        format,
        mode_key_len,
        remove: kv.flag("remove")?,
        kdf,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_options_as_swtpm_reads_them() {
        use crate::statekey::Kdf;
        // libvirt's line.
        let k = parse_key("key", "pwdfd=9,mode=aes-256-cbc").unwrap();
        assert_eq!(k.source, KeySource::PwdFd(9));
        assert_eq!((k.mode_key_len, k.kdf, k.remove), (32, Kdf::Pbkdf2, false));
        let k = parse_key("key", "file=/k,format=binary,remove").unwrap();
        assert_eq!(k.source, KeySource::File("/k".into()));
        assert_eq!(
            (k.format, k.mode_key_len, k.remove),
            (KeyFormat::Binary, 16, true)
        );
        let k = parse_key("migration-key", "fd=5,mode=aes-cbc,remove=1").unwrap();
        assert_eq!(
            (k.source, k.format, k.remove),
            (KeySource::Fd(5), KeyFormat::Hex, true)
        );
        assert_eq!(
            parse_key("key", "file=/k,mode=aes-128-cbc")
                .unwrap()
                .mode_key_len,
            16
        );
        assert_eq!(
            parse_key("key", "pwdfile=/p,kdf=sha512").unwrap().kdf,
            Kdf::Sha512
        );
        assert!(!parse_key("key", "file=/k,remove=false").unwrap().remove);
        assert!(!parse_key("key", "file=/k,remove=0").unwrap().remove);
        // The first source present wins (file, fd, pwdfile, pwdfd).
        assert_eq!(
            parse_key("key", "pwdfd=4,pwdfile=/p,fd=3").unwrap().source,
            KeySource::Fd(3)
        );
        // kdf= is only read for a password; format= and mode= always.
        assert!(parse_key("key", "file=/k,kdf=foo").is_ok());
        assert!(parse_key("key", "pwdfile=/p,kdf=foo").is_err());
        assert!(parse_key("key", "pwdfile=/p,format=foo").is_err());
        assert!(parse_key("key", "file=/k,mode=aes-256-gcm").is_err());
        assert!(parse_key("key", "mode=aes-cbc").is_err());
        assert!(parse_key("key", "file=/k,bogus=1").is_err());
        assert!(parse_key("key", "fd=x").is_err());
        assert!(parse_key("key", "file=/k,remove=maybe").is_err());
        assert_eq!(
            parse_key("migration-key", "").unwrap_err().to_string(),
            "--migration-key: one of file=, fd=, pwdfile= or pwdfd= is required"
        );
    }

    #[test]
    fn libvirt_and_qemu_lines() {
        assert_eq!(
            parse_ctrl("type=unixio,path=/run/x.sock,mode=0600").unwrap(),
            Endpoint::Unix {
                path: "/run/x.sock".into(),
                mode: Some(0o600)
            }
        );
        assert_eq!(
            parse_ctrl("type=unixio,clientfd=5").unwrap(),
            Endpoint::ConnectedFd(5)
        );
        assert_eq!(
            parse_server("type=tcp,fd=7").unwrap().endpoint,
            Endpoint::ConnectedFd(7)
        );
        let s = parse_server("type=tcp,port=2321,disconnect").unwrap();
        assert!(s.disconnect);
        assert_eq!(
            parse_tpmstate("backend-uri=dir:///var/x").unwrap().dir,
            PathBuf::from("/var/x")
        );
        assert_eq!(
            parse_tpmstate("dir=/s,mode=0600").unwrap().mode,
            Some(0o600)
        );
        let f = parse_flags("not-need-init,startup-clear").unwrap();
        assert_eq!(f.startup, Some(0));
        assert!(parse_flags("bogus").is_err());
        assert!(parse_tpmstate("dir=/s,mode=600").is_err());
        assert!(parse_ctrl("path=/x").is_err());
    }
}
