//! swtpm's control-channel protocol: request framing and response encoding.
//!
//! A request is a big-endian `u32` command code and a command-specific body; a response is
//! the body alone, starting with a `u32` result (TPM 1.2 numbering) except for
//! `GET_CAPABILITY`. Layouts and codes: swtpm's `tpm_ioctl.h` as documented in the project's
//! interface reference (§2).

/// Command codes.
pub mod code {
    pub const GET_CAPABILITY: u32 = 0x01;
    pub const INIT: u32 = 0x02;
    pub const SHUTDOWN: u32 = 0x03;
    pub const GET_TPMESTABLISHED: u32 = 0x04;
    pub const SET_LOCALITY: u32 = 0x05;
    pub const HASH_START: u32 = 0x06;
    pub const HASH_DATA: u32 = 0x07;
    pub const HASH_END: u32 = 0x08;
    pub const CANCEL_TPM_CMD: u32 = 0x09;
    pub const STORE_VOLATILE: u32 = 0x0A;
    pub const RESET_TPMESTABLISHED: u32 = 0x0B;
    pub const GET_STATEBLOB: u32 = 0x0C;
    pub const SET_STATEBLOB: u32 = 0x0D;
    pub const STOP: u32 = 0x0E;
    pub const GET_CONFIG: u32 = 0x0F;
    pub const SET_DATAFD: u32 = 0x10;
    pub const SET_BUFFERSIZE: u32 = 0x11;
    pub const GET_INFO: u32 = 0x12;
    pub const LOCK_STORAGE: u32 = 0x13;
    /// ferrotpm's own commands, far outside swtpm's range (0x01–0x13 and its future
    /// additions): `"FT"` in the high half. swtpm answers them `TPM_BAD_ORDINAL`.
    /// `PPI_STATUS`: no body; answered by [`super::PpiStatusReply`].
    pub const PPI_STATUS: u32 = 0x4654_0001;
    /// `PPI_REQUEST`: `u32 operation`, `u32 parameter`, `u32 flags`
    /// ([`super::PPI_REQUEST_CONFIRM`]); answered by a `u32` result.
    pub const PPI_REQUEST: u32 = 0x4654_0002;
}

/// Result codes (TPM 1.2 numbering, as swtpm answers them).
pub mod res {
    pub const SUCCESS: u32 = 0x00;
    pub const BAD_PARAMETER: u32 = 0x03;
    pub const FAIL: u32 = 0x09;
    pub const BAD_ORDINAL: u32 = 0x0A;
    pub const KEYNOTFOUND: u32 = 0x0D;
    /// `SET_STATEBLOB`: the blob does not authenticate with the key (wrong key, damage).
    pub const DECRYPT_ERROR: u32 = 0x21;
    /// `SET_STATEBLOB`: the blob was encrypted with another kind of key.
    pub const BAD_KEY_PROPERTY: u32 = 0x28;
    pub const SIZE: u32 = 0x17;
    pub const IOERROR: u32 = 0x1F;
    pub const BAD_LOCALITY: u32 = 0x3D;
    pub const RETRY: u32 = 0x800;
}

/// `INIT` flag: delete the volatile state after loading it.
pub const INIT_DELETE_VOLATILE: u32 = 1;
/// `GET_STATEBLOB` request flag: return the blob decrypted.
pub const STATE_FLAG_DECRYPTED: u32 = 1;
/// State blob flag: the blob is encrypted.
pub const STATE_FLAG_ENCRYPTED: u32 = 2;
/// `GET_CONFIG` flags: a state-file key (`--key`), a migration key (`--migration-key`).
pub const CONFIG_FILE_KEY: u32 = 1;
pub const CONFIG_MIGRATION_KEY: u32 = 2;
/// Blob types.
pub const BLOB_PERMANENT: u32 = 1;
pub const BLOB_VOLATILE: u32 = 2;
pub const BLOB_SAVESTATE: u32 = 3;
/// Largest state blob accepted by `SET_STATEBLOB` (as swtpm master limits it).
pub const MAX_STATE_BLOB: usize = 512 * 1024;
/// Largest `HASH_DATA` chunk accepted in one message.
pub const MAX_HASH_DATA: usize = 1024 * 1024;
/// `GET_INFO` flags.
pub const INFO_TPMSPECIFICATION: u64 = 1;
pub const INFO_TPMATTRIBUTES: u64 = 2;
/// `GET_INFO` returns at most this many bytes per response.
pub const INFO_CHUNK: usize = 3072;

/// `PPI_REQUEST` flag: the host, standing for the physically present user, confirms the
/// operation. No other flag bit is defined (`TPM_BAD_PARAMETER`).
pub const PPI_REQUEST_CONFIRM: u32 = 1;
/// `PPI_STATUS` reply flags: a request is pending; it is confirmed.
pub const PPI_STATUS_PENDING: u32 = 1;
pub const PPI_STATUS_CONFIRMED: u32 = 2;
/// `PPI_STATUS` reply: the PPI flags, one bit each.
pub const PPI_FLAG_PP_REQUIRED_FOR_CLEAR: u32 = 1 << 0;
pub const PPI_FLAG_PP_REQUIRED_FOR_TURN_ON: u32 = 1 << 1;
pub const PPI_FLAG_PP_REQUIRED_FOR_TURN_OFF: u32 = 1 << 2;
pub const PPI_FLAG_PP_REQUIRED_FOR_CHANGE_EPS: u32 = 1 << 3;
pub const PPI_FLAG_PP_REQUIRED_FOR_CHANGE_PCRS: u32 = 1 << 4;
pub const PPI_FLAG_PP_REQUIRED_FOR_ENABLE_BLOCK_SID: u32 = 1 << 5;
pub const PPI_FLAG_PP_REQUIRED_FOR_DISABLE_BLOCK_SID: u32 = 1 << 6;
pub const PPI_FLAG_BLOCK_SID: u32 = 1 << 7;

/// The `PPI_STATUS` reply after its `u32` result (six big-endian `u32`s, 24 bytes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PpiStatusReply {
    /// [`PPI_STATUS_PENDING`], [`PPI_STATUS_CONFIRMED`].
    pub status: u32,
    pub pending_op: u32,
    pub pending_param: u32,
    pub last_op: u32,
    pub last_response: u32,
    /// `PPI_FLAG_*`.
    pub flags: u32,
}

impl PpiStatusReply {
    pub const SIZE: usize = 24;

    pub fn from_engine(p: &tpm2_engine::state::PpiState) -> Self {
        let f = &p.flags;
        let flags = [
            (f.pp_required_for_clear, PPI_FLAG_PP_REQUIRED_FOR_CLEAR),
            (f.pp_required_for_turn_on, PPI_FLAG_PP_REQUIRED_FOR_TURN_ON),
            (
                f.pp_required_for_turn_off,
                PPI_FLAG_PP_REQUIRED_FOR_TURN_OFF,
            ),
            (
                f.pp_required_for_change_eps,
                PPI_FLAG_PP_REQUIRED_FOR_CHANGE_EPS,
            ),
            (
                f.pp_required_for_change_pcrs,
                PPI_FLAG_PP_REQUIRED_FOR_CHANGE_PCRS,
            ),
            (
                f.pp_required_for_enable_block_sid,
                PPI_FLAG_PP_REQUIRED_FOR_ENABLE_BLOCK_SID,
            ),
            (
                f.pp_required_for_disable_block_sid,
                PPI_FLAG_PP_REQUIRED_FOR_DISABLE_BLOCK_SID,
            ),
            (f.block_sid, PPI_FLAG_BLOCK_SID),
        ]
        .iter()
        .filter(|(set, _)| *set)
        .fold(0, |m, (_, bit)| m | bit);
        let (status, pending_op, pending_param) = match p.pending {
            None => (0, 0, 0),
            Some(r) => (
                PPI_STATUS_PENDING | if r.confirmed { PPI_STATUS_CONFIRMED } else { 0 },
                r.op,
                r.param,
            ),
        };
        PpiStatusReply {
            status,
            pending_op,
            pending_param,
            last_op: p.last_op,
            last_response: p.last_response,
            flags,
        }
    }

    pub fn to_bytes(&self) -> [u8; Self::SIZE] {
        let mut b = [0u8; Self::SIZE];
        let v = [
            self.status,
            self.pending_op,
            self.pending_param,
            self.last_op,
            self.last_response,
            self.flags,
        ];
        for (chunk, x) in b.chunks_exact_mut(4).zip(v) {
            chunk.copy_from_slice(&x.to_be_bytes());
        }
        b
    }

    pub fn from_bytes(b: &[u8; Self::SIZE]) -> Self {
        let at = |i: usize| be32(&b[4 * i..]);
        PpiStatusReply {
            status: at(0),
            pending_op: at(1),
            pending_param: at(2),
            last_op: at(3),
            last_response: at(4),
            flags: at(5),
        }
    }
}

/// Capability bits of `GET_CAPABILITY` (§2.3): every command we implement.
pub const CAPABILITIES: u32 = 0x0001_FFFF;

/// A decoded control request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    GetCapability,
    Init {
        flags: u32,
    },
    Shutdown,
    GetTpmEstablished,
    SetLocality(u8),
    HashStart,
    HashData(Vec<u8>),
    HashEnd,
    CancelTpmCmd,
    StoreVolatile,
    ResetTpmEstablished(u8),
    GetStateBlob {
        flags: u32,
        blob_type: u32,
        offset: u32,
    },
    SetStateBlob {
        flags: u32,
        blob_type: u32,
        data: Vec<u8>,
    },
    Stop,
    GetConfig,
    SetDataFd,
    SetBufferSize(u32),
    GetInfo {
        flags: u64,
        offset: u32,
    },
    LockStorage {
        retries: u32,
    },
    /// ferrotpm's `PPI_STATUS`.
    PpiStatus,
    /// ferrotpm's `PPI_REQUEST`.
    PpiRequest {
        op: u32,
        param: u32,
        flags: u32,
    },
}

/// The outcome of framing the bytes received so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Framed {
    /// A whole request and how many bytes it took.
    Request(Request, usize),
    /// More bytes are needed.
    Incomplete,
    /// A known command whose body cannot be valid (e.g. a blob larger than allowed).
    BadParameter(usize),
    /// An unknown command code.
    Unknown(u32),
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// Frames one request from the start of `buf`.
pub fn frame(buf: &[u8]) -> Framed {
    if buf.len() < 4 {
        return Framed::Incomplete;
    }
    let c = be32(buf);
    let body = &buf[4..];
    // Fixed-size bodies.
    let fixed = |n: usize, f: &dyn Fn(&[u8]) -> Request| {
        if body.len() < n {
            Framed::Incomplete
        } else {
            Framed::Request(f(&body[..n]), 4 + n)
        }
    };
    match c {
        code::GET_CAPABILITY => fixed(0, &|_| Request::GetCapability),
        code::INIT => fixed(4, &|b| Request::Init { flags: be32(b) }),
        code::SHUTDOWN => fixed(0, &|_| Request::Shutdown),
        code::GET_TPMESTABLISHED => fixed(0, &|_| Request::GetTpmEstablished),
        code::SET_LOCALITY => fixed(1, &|b| Request::SetLocality(b[0])),
        code::HASH_START => fixed(0, &|_| Request::HashStart),
        code::HASH_DATA => {
            if body.len() < 4 {
                return Framed::Incomplete;
            }
            let n = be32(body) as usize;
            if n > MAX_HASH_DATA {
                return Framed::BadParameter(8);
            }
            if body.len() < 4 + n {
                return Framed::Incomplete;
            }
            Framed::Request(Request::HashData(body[4..4 + n].to_vec()), 8 + n)
        }
        code::HASH_END => fixed(0, &|_| Request::HashEnd),
        code::CANCEL_TPM_CMD => fixed(0, &|_| Request::CancelTpmCmd),
        code::STORE_VOLATILE => fixed(0, &|_| Request::StoreVolatile),
        code::RESET_TPMESTABLISHED => fixed(1, &|b| Request::ResetTpmEstablished(b[0])),
        code::GET_STATEBLOB => fixed(12, &|b| Request::GetStateBlob {
            flags: be32(b),
            blob_type: be32(&b[4..]),
            offset: be32(&b[8..]),
        }),
        code::SET_STATEBLOB => {
            if body.len() < 12 {
                return Framed::Incomplete;
            }
            let n = be32(&body[8..]) as usize;
            if n > MAX_STATE_BLOB {
                return Framed::BadParameter(16);
            }
            if body.len() < 12 + n {
                return Framed::Incomplete;
            }
            Framed::Request(
                Request::SetStateBlob {
                    flags: be32(body),
                    blob_type: be32(&body[4..]),
                    data: body[12..12 + n].to_vec(),
                },
                16 + n,
            )
        }
        code::STOP => fixed(0, &|_| Request::Stop),
        code::GET_CONFIG => fixed(0, &|_| Request::GetConfig),
        code::SET_DATAFD => fixed(0, &|_| Request::SetDataFd),
        code::SET_BUFFERSIZE => fixed(4, &|b| Request::SetBufferSize(be32(b))),
        code::GET_INFO => fixed(16, &|b| Request::GetInfo {
            flags: u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
            offset: be32(&b[8..]),
        }),
        code::LOCK_STORAGE => fixed(4, &|b| Request::LockStorage { retries: be32(b) }),
        code::PPI_STATUS => fixed(0, &|_| Request::PpiStatus),
        code::PPI_REQUEST => fixed(12, &|b| Request::PpiRequest {
            op: be32(b),
            param: be32(&b[4..]),
            flags: be32(&b[8..]),
        }),
        other => Framed::Unknown(other),
    }
}

/// Whether a request arriving with more bytes than it needs is still served. swtpm checks
/// that a body is at least as long as needed (QEMU sends whole request unions, e.g. 4 bytes
/// for SET_LOCALITY's one), but refuses any bytes after a command without a body — except
/// GET_CAPABILITY, which it answers regardless. ferrotpm's own commands take exactly
/// their body.
pub fn tolerates_trailing(req: &Request) -> bool {
    use Request::*;
    !matches!(
        req,
        PpiStatus
            | PpiRequest { .. }
            | Shutdown
            | GetTpmEstablished
            | HashStart
            | HashEnd
            | CancelTpmCmd
            | StoreVolatile
            | Stop
            | GetConfig
            | SetDataFd
    )
}

/// A response that is only a result code.
pub fn result(r: u32) -> Vec<u8> {
    r.to_be_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_every_command() {
        assert_eq!(
            frame(&[0, 0, 0, 1]),
            Framed::Request(Request::GetCapability, 4)
        );
        assert_eq!(frame(&[0, 0, 0, 2, 0, 0]), Framed::Incomplete);
        assert_eq!(
            frame(&[0, 0, 0, 2, 0, 0, 0, 1]),
            Framed::Request(Request::Init { flags: 1 }, 8)
        );
        assert_eq!(
            frame(&[0, 0, 0, 5, 3]),
            Framed::Request(Request::SetLocality(3), 5)
        );
        assert_eq!(
            frame(&[0, 0, 0, 7, 0, 0, 0, 2, 0xAA, 0xBB]),
            Framed::Request(Request::HashData(vec![0xAA, 0xBB]), 10)
        );
        assert_eq!(frame(&[0, 0, 0, 7, 0, 0, 0, 2, 0xAA]), Framed::Incomplete);
        assert_eq!(frame(&[0, 0, 0, 0x99]), Framed::Unknown(0x99));
        let mut set = vec![0, 0, 0, 0x0D, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 3, 1, 2];
        assert_eq!(frame(&set), Framed::Incomplete);
        set.push(3);
        assert_eq!(
            frame(&set),
            Framed::Request(
                Request::SetStateBlob {
                    flags: 0,
                    blob_type: 1,
                    data: vec![1, 2, 3]
                },
                19
            )
        );
        let huge = [
            0, 0, 0, 0x0D, 0, 0, 0, 0, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF,
        ];
        assert_eq!(frame(&huge), Framed::BadParameter(16));
    }

    #[test]
    fn frames_the_ppi_commands() {
        let status = code::PPI_STATUS.to_be_bytes();
        assert_eq!(frame(&status), Framed::Request(Request::PpiStatus, 4));
        assert!(!tolerates_trailing(&Request::PpiStatus));
        let mut req = code::PPI_REQUEST.to_be_bytes().to_vec();
        for v in [5u32, 0, PPI_REQUEST_CONFIRM] {
            req.extend_from_slice(&v.to_be_bytes());
        }
        for cut in 0..req.len() {
            assert_eq!(frame(&req[..cut]), Framed::Incomplete, "cut at {cut}");
        }
        let want = Request::PpiRequest {
            op: 5,
            param: 0,
            flags: 1,
        };
        assert!(!tolerates_trailing(&want));
        assert_eq!(frame(&req), Framed::Request(want, 16));
        let reply = PpiStatusReply {
            status: PPI_STATUS_PENDING,
            pending_op: 23,
            pending_param: 2,
            last_op: 5,
            last_response: 0xFFFF_FFF0,
            flags: PPI_FLAG_BLOCK_SID | PPI_FLAG_PP_REQUIRED_FOR_CLEAR,
        };
        let b = reply.to_bytes();
        assert_eq!(&b[4..8], &[0, 0, 0, 23]);
        assert_eq!(PpiStatusReply::from_bytes(&b), reply);
        let manufactured = PpiStatusReply::from_engine(&Default::default());
        assert_eq!(manufactured.status, 0);
        assert_eq!(manufactured.flags, 0x7D);
    }
}
