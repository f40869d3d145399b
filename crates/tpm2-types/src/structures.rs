//! Common structures: PCR selections, digests, authorization areas, tickets, clock info.

use crate::buffers::{HashAlg, Tpm2bAuth, Tpm2bDigest, Tpm2bNonce};
use crate::codec::{read_list, Codec, Reader};
use crate::rc::Rc;
use serde::{Deserialize, Serialize};

/// PCRs in the PC Client profile (`IMPLEMENTATION_PCR`).
pub const IMPLEMENTATION_PCR: usize = 24;
/// Bytes of a PCR bitmap: `PCR_SELECT_MIN == PCR_SELECT_MAX == 3` on a PC Client TPM.
pub const PCR_SELECT_SIZE: usize = IMPLEMENTATION_PCR.div_ceil(8);
/// `HASH_COUNT`: the number of implemented hashes, the maximum of hash-indexed lists.
pub const HASH_COUNT: usize = HashAlg::ALL.len();

/// A PCR bitmap (`TPMS_PCR_SELECT` body).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PcrBitmap(pub [u8; PCR_SELECT_SIZE]);

impl PcrBitmap {
    pub const ALL: PcrBitmap = PcrBitmap([0xFF; PCR_SELECT_SIZE]);

    pub fn from_pcrs(pcrs: &[usize]) -> Self {
        let mut b = PcrBitmap::default();
        for &p in pcrs {
            b.set(p);
        }
        b
    }

    pub fn is_set(&self, pcr: usize) -> bool {
        pcr < IMPLEMENTATION_PCR && self.0[pcr / 8] & (1 << (pcr % 8)) != 0
    }

    pub fn set(&mut self, pcr: usize) {
        if pcr < IMPLEMENTATION_PCR {
            self.0[pcr / 8] |= 1 << (pcr % 8);
        }
    }

    pub fn clear(&mut self, pcr: usize) {
        if pcr < IMPLEMENTATION_PCR {
            self.0[pcr / 8] &= !(1 << (pcr % 8));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|b| *b == 0)
    }

    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        (0..IMPLEMENTATION_PCR).filter(|p| self.is_set(*p))
    }

    /// Reads `sizeofSelect` and the bitmap. A size outside `PCR_SELECT_MIN..=PCR_SELECT_MAX`
    /// is `TPM_RC_VALUE` (Part 2, §10.6.1).
    fn read_sized(r: &mut Reader<'_>) -> Result<Self, Rc> {
        let n = r.u8()? as usize;
        if n != PCR_SELECT_SIZE {
            return Err(Rc::VALUE);
        }
        let mut b = [0u8; PCR_SELECT_SIZE];
        b.copy_from_slice(r.take(n)?);
        Ok(PcrBitmap(b))
    }

    fn encode_sized(&self, out: &mut Vec<u8>) {
        out.push(PCR_SELECT_SIZE as u8);
        out.extend_from_slice(&self.0);
    }
}

/// `TPMS_PCR_SELECTION`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TpmsPcrSelection {
    pub hash: HashAlg,
    pub select: PcrBitmap,
}

impl Codec for TpmsPcrSelection {
    fn encode(&self, out: &mut Vec<u8>) {
        self.hash.encode(out);
        self.select.encode_sized(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        Ok(TpmsPcrSelection {
            hash: HashAlg::read(r)?,
            select: PcrBitmap::read_sized(r)?,
        })
    }
}

/// `TPML_PCR_SELECTION`: at most `HASH_COUNT` entries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TpmlPcrSelection(pub Vec<TpmsPcrSelection>);

impl Codec for TpmlPcrSelection {
    fn encode(&self, out: &mut Vec<u8>) {
        crate::codec::encode_list(out, &self.0);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        Ok(TpmlPcrSelection(read_list(r, HASH_COUNT)?))
    }
}

/// `TPMS_TAGGED_PCR_SELECT` (capability data).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TpmsTaggedPcrSelect {
    pub tag: u32,
    pub select: PcrBitmap,
}

impl Codec for TpmsTaggedPcrSelect {
    fn encode(&self, out: &mut Vec<u8>) {
        self.tag.encode(out);
        self.select.encode_sized(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        Ok(TpmsTaggedPcrSelect {
            tag: r.u32()?,
            select: PcrBitmap::read_sized(r)?,
        })
    }
}

/// `TPML_DIGEST`: at most 8 digests. The `{2:}` minimum of Part 2 applies only where the
/// list is an input to PolicyOR; [`TpmlDigest::read_policy_or`] checks it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TpmlDigest(pub Vec<Tpm2bDigest>);

impl TpmlDigest {
    pub const MAX: usize = 8;

    pub fn read_policy_or(r: &mut Reader<'_>) -> Result<Self, Rc> {
        let l = Self::read(r)?;
        if l.0.len() < 2 {
            return Err(Rc::SIZE);
        }
        Ok(l)
    }
}

impl Codec for TpmlDigest {
    fn encode(&self, out: &mut Vec<u8>) {
        crate::codec::encode_list(out, &self.0);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        Ok(TpmlDigest(read_list(r, Self::MAX)?))
    }
}

/// `TPMT_HA`: a digest tagged with its algorithm; the digest length follows from the
/// algorithm (a union, not a sized buffer).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TpmtHa {
    pub hash: HashAlg,
    pub digest: Vec<u8>,
}

impl Codec for TpmtHa {
    fn encode(&self, out: &mut Vec<u8>) {
        self.hash.encode(out);
        out.extend_from_slice(&self.digest);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        let hash = HashAlg::read(r)?;
        let digest = r.take(hash.digest_size())?.to_vec();
        Ok(TpmtHa { hash, digest })
    }
}

/// `TPML_DIGEST_VALUES`: at most `HASH_COUNT` entries.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TpmlDigestValues(pub Vec<TpmtHa>);

impl Codec for TpmlDigestValues {
    fn encode(&self, out: &mut Vec<u8>) {
        crate::codec::encode_list(out, &self.0);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        Ok(TpmlDigestValues(read_list(r, HASH_COUNT)?))
    }
}

/// A `TPML_DIGEST_VALUES` borrowed from the command buffer (no allocation): the same
/// checks as [`TpmlDigestValues`].
#[derive(Clone, Copy, Debug)]
pub struct DigestValuesRef<'a> {
    items: [(HashAlg, &'a [u8]); HASH_COUNT],
    len: usize,
}

impl<'a> DigestValuesRef<'a> {
    pub fn read(r: &mut Reader<'a>) -> Result<Self, Rc> {
        let n = crate::codec::read_count(r, HASH_COUNT)?;
        let mut items = [(HashAlg::Sha1, &[][..]); HASH_COUNT];
        for item in items.iter_mut().take(n) {
            let hash = HashAlg::read(r)?;
            *item = (hash, r.take(hash.digest_size())?);
        }
        Ok(DigestValuesRef { items, len: n })
    }

    pub fn iter(&self) -> impl Iterator<Item = (HashAlg, &'a [u8])> + '_ {
        self.items[..self.len].iter().copied()
    }
}

/// `TPMS_AUTH_COMMAND`: one entry of a command's authorization area.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TpmsAuthCommand {
    pub session_handle: u32,
    pub nonce: Tpm2bNonce,
    pub attributes: u8,
    pub hmac: Tpm2bAuth,
}

impl Codec for TpmsAuthCommand {
    fn encode(&self, out: &mut Vec<u8>) {
        self.session_handle.encode(out);
        self.nonce.encode(out);
        self.attributes.encode(out);
        self.hmac.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        Ok(TpmsAuthCommand {
            session_handle: r.u32()?,
            nonce: Tpm2bNonce::read(r)?,
            attributes: r.u8()?,
            hmac: Tpm2bAuth::read(r)?,
        })
    }
}

/// `TPMS_AUTH_RESPONSE`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TpmsAuthResponse {
    pub nonce: Tpm2bNonce,
    pub attributes: u8,
    pub hmac: Tpm2bAuth,
}

impl Codec for TpmsAuthResponse {
    fn encode(&self, out: &mut Vec<u8>) {
        self.nonce.encode(out);
        self.attributes.encode(out);
        self.hmac.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        Ok(TpmsAuthResponse {
            nonce: Tpm2bNonce::read(r)?,
            attributes: r.u8()?,
            hmac: Tpm2bAuth::read(r)?,
        })
    }
}

/// `TPMT_TK_HASHCHECK` (and the other ticket shapes: tag, hierarchy, digest).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TpmtTicket {
    pub tag: u16,
    pub hierarchy: u32,
    pub digest: Tpm2bDigest,
}

impl TpmtTicket {
    /// The NULL ticket: the given tag, `TPM_RH_NULL`, an empty digest.
    pub fn null(tag: u16) -> Self {
        TpmtTicket {
            tag,
            hierarchy: crate::constants::rh::NULL,
            digest: Tpm2bDigest::empty(),
        }
    }
}

impl Codec for TpmtTicket {
    fn encode(&self, out: &mut Vec<u8>) {
        self.tag.encode(out);
        self.hierarchy.encode(out);
        self.digest.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        Ok(TpmtTicket {
            tag: r.u16()?,
            hierarchy: r.u32()?,
            digest: Tpm2bDigest::read(r)?,
        })
    }
}

/// `TPMS_CLOCK_INFO`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TpmsClockInfo {
    pub clock: u64,
    pub reset_count: u32,
    pub restart_count: u32,
    pub safe: bool,
}

impl Codec for TpmsClockInfo {
    fn encode(&self, out: &mut Vec<u8>) {
        self.clock.encode(out);
        self.reset_count.encode(out);
        self.restart_count.encode(out);
        (self.safe as u8).encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        Ok(TpmsClockInfo {
            clock: r.u64()?,
            reset_count: r.u32()?,
            restart_count: r.u32()?,
            safe: match r.u8()? {
                0 => false,
                1 => true,
                _ => return Err(Rc::VALUE),
            },
        })
    }
}

/// `TPMS_TIME_INFO`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TpmsTimeInfo {
    pub time: u64,
    pub clock_info: TpmsClockInfo,
}

impl Codec for TpmsTimeInfo {
    fn encode(&self, out: &mut Vec<u8>) {
        self.time.encode(out);
        self.clock_info.encode(out);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Rc> {
        Ok(TpmsTimeInfo {
            time: r.u64()?,
            clock_info: TpmsClockInfo::read(r)?,
        })
    }
}

/// `TPMI_YES_NO`: `TPM_RC_VALUE` for anything but 0 or 1.
pub fn read_yes_no(r: &mut Reader<'_>) -> Result<bool, Rc> {
    match r.u8()? {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(Rc::VALUE),
    }
}
