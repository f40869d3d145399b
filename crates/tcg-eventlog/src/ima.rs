//! Linux IMA runtime measurement logs (`/sys/kernel/security/ima/`): the binary and the
//! ASCII form, templates `ima`, `ima-ng`, `ima-sig`, `ima-buf`, `ima-modsig` (and any
//! other template of length-prefixed fields), the template-hash check, `boot_aggregate`,
//! and the replay into PCR 10 in any bank.
//!
//! Binary entry (little-endian): `pcr u32 | template hash (20, SHA-1) | name length u32 |
//! name | data length u32 | template data`; the `ima` template's data is `digest (20) |
//! file name, zero-padded to 256`, every other template's data is a sequence of
//! `length u32 | bytes` fields. The ASCII form prints `pcr template-hash template-name
//! fields…`; its template data is rebuilt from the fields (`d-ng` as `alg:hex`, `n-ng`
//! the name; `sig`/`buf`/`d-modsig`/`modsig` hex). A violation entry (a file measured
//! while open for writing) has an all-zero template hash and extends all-ones.

use crate::error::{ErrorKind, ParseError};
use crate::types::ser_hex;
use serde::Serialize;
use tpm2_crypto::Hasher;
use tpm2_types::HashAlg;

/// Template name length limit of the kernel (`IMA_TEMPLATE_NAME_LEN_MAX`).
const MAX_NAME: usize = 15;
/// The `ima` template's file-name field (`IMA_EVENT_NAME_LEN_MAX + 1`).
const IMA_NAME_FIELD: usize = 256;
/// Template data larger than this is refused (the kernel's limit is far lower).
const MAX_DATA: usize = 1 << 20;

mod par;

pub(crate) use par::{pcr_counts, run as replay_and_check};

/// One IMA measurement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImaEntry {
    pub number: usize,
    pub pcr: u32,
    #[serde(serialize_with = "ser_hex")]
    pub template_hash: Vec<u8>,
    pub template: String,
    /// The template data exactly as the kernel hashed it.
    #[serde(serialize_with = "ser_hex")]
    pub data: Vec<u8>,
}

/// One IMA measurement borrowed from the bytes of a binary log ([`parse_binary_ref`]) or
/// from an [`ImaEntry`] ([`ImaEntry::borrowed`]): the same fields, nothing copied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ImaEntryRef<'a> {
    pub number: usize,
    pub pcr: u32,
    #[serde(serialize_with = "ser_hex")]
    pub template_hash: &'a [u8],
    pub template: &'a str,
    /// The template data exactly as the kernel hashed it.
    #[serde(serialize_with = "ser_hex")]
    pub data: &'a [u8],
}

impl ImaEntry {
    /// The entry as an [`ImaEntryRef`] (what the verification takes).
    pub fn borrowed(&self) -> ImaEntryRef<'_> {
        ImaEntryRef {
            number: self.number,
            pcr: self.pcr,
            template_hash: &self.template_hash,
            template: &self.template,
            data: &self.data,
        }
    }

    /// A violation (the all-zero template hash): extends all-ones.
    pub fn is_violation(&self) -> bool {
        self.borrowed().is_violation()
    }

    /// Whether the template hash is SHA-1 of the template data (violations aside).
    pub fn hash_ok(&self) -> bool {
        self.borrowed().hash_ok()
    }

    /// The fields of the template data (`ima`: digest and name).
    pub fn fields(&self) -> Vec<Vec<u8>> {
        self.borrowed()
            .fields()
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect()
    }

    /// The file (or buffer) name of the entry.
    pub fn name(&self) -> String {
        self.borrowed().name()
    }

    /// What this entry extends into a bank of `alg`: see [`ImaEntryRef::extend_digest`].
    pub fn extend_digest(&self, alg: HashAlg, how: BankDigest) -> Vec<u8> {
        self.borrowed().extend_digest(alg, how)
    }
}

impl<'a> ImaEntryRef<'a> {
    /// The owned copy.
    pub fn to_owned_entry(&self) -> ImaEntry {
        ImaEntry {
            number: self.number,
            pcr: self.pcr,
            template_hash: self.template_hash.to_vec(),
            template: self.template.to_string(),
            data: self.data.to_vec(),
        }
    }

    /// A violation (the all-zero template hash): extends all-ones.
    pub fn is_violation(&self) -> bool {
        self.template_hash.iter().all(|b| *b == 0)
    }

    /// Whether the template hash is SHA-1 of the template data (violations aside).
    pub fn hash_ok(&self) -> bool {
        self.is_violation() || par::sha1_ok(self.data, self.template_hash)
    }

    /// The fields of the template data (`ima`: digest and name).
    pub fn fields(&self) -> Vec<&'a [u8]> {
        let data = self.data;
        if self.template == "ima" {
            if data.len() < 20 {
                return vec![data];
            }
            let name = &data[20..];
            let end = name.iter().position(|b| *b == 0).unwrap_or(name.len());
            return vec![&data[..20], &name[..end]];
        }
        let mut out = Vec::new();
        let mut d = data;
        while d.len() >= 4 {
            let n = u32::from_le_bytes([d[0], d[1], d[2], d[3]]) as usize;
            if n > d.len() - 4 {
                break;
            }
            out.push(&d[4..4 + n]);
            d = &d[4 + n..];
        }
        out
    }

    /// The file (or buffer) name of the entry.
    pub fn name(&self) -> String {
        let f = self.fields();
        let n = f.get(1).copied().unwrap_or_default();
        let end = n.iter().position(|b| *b == 0).unwrap_or(n.len());
        String::from_utf8_lossy(&n[..end]).into_owned()
    }

    /// What this entry extends into a bank of `alg`: the SHA-1 template hash in the SHA-1
    /// bank; in the others the template data hashed with the bank's hash
    /// ([`BankDigest::Hashed`]), or — when the kernel lacks that hash — the SHA-1 template
    /// hash padded with zeros ([`BankDigest::PaddedSha1`]); all-ones for a violation.
    pub fn extend_digest(&self, alg: HashAlg, how: BankDigest) -> Vec<u8> {
        if self.is_violation() {
            return vec![0xff; alg.digest_size()];
        }
        if alg == HashAlg::Sha1 {
            return self.template_hash.to_vec();
        }
        match how {
            BankDigest::Hashed => Hasher::new(alg).with(self.data).finish(),
            BankDigest::PaddedSha1 => {
                let mut v = self.template_hash.to_vec();
                v.resize(alg.digest_size(), 0);
                v
            }
        }
    }
}

fn err(offset: usize, event: usize, what: &'static str) -> ParseError {
    ParseError {
        offset,
        event: Some(event),
        kind: ErrorKind::Invalid(what),
    }
}

/// Parses a binary IMA log into owned entries (see [`parse_binary_ref`]).
pub fn parse_binary(bytes: &[u8]) -> Result<Vec<ImaEntry>, ParseError> {
    Ok(parse_binary_ref(bytes)?
        .iter()
        .map(ImaEntryRef::to_owned_entry)
        .collect())
}

/// Parses a binary IMA log into entries that borrow `bytes` (no copies: what the
/// verification of big logs uses). Errors name the byte offset and the entry.
pub fn parse_binary_ref(bytes: &[u8]) -> Result<Vec<ImaEntryRef<'_>>, ParseError> {
    let mut out: Vec<ImaEntryRef<'_>> = Vec::new();
    let mut at = 0usize;
    // The template name of the previous entry: nearly every entry repeats it, so its
    // text check is done once.
    let mut last: &str = "";
    while at < bytes.len() {
        let number = out.len();
        let take = |at: &mut usize, n: usize, what: &'static str| -> Result<&[u8], ParseError> {
            let end = at.checked_add(n).filter(|e| *e <= bytes.len());
            let Some(end) = end else {
                return Err(err(*at, number, what));
            };
            let s = &bytes[*at..end];
            *at = end;
            Ok(s)
        };
        let u32le = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let pcr = u32le(take(&mut at, 4, "truncated PCR index")?);
        let template_hash = take(&mut at, 20, "truncated template hash")?;
        let name_len = u32le(take(&mut at, 4, "truncated template name length")?) as usize;
        if name_len == 0 || name_len > MAX_NAME {
            return Err(err(at - 4, number, "template name length out of range"));
        }
        let name = take(&mut at, name_len, "truncated template name")?;
        let template = if name == last.as_bytes() {
            last
        } else {
            last = std::str::from_utf8(name)
                .map_err(|_| err(at - name_len, number, "template name is not text"))?;
            last
        };
        let data_len = u32le(take(&mut at, 4, "truncated template data length")?) as usize;
        if data_len > MAX_DATA {
            return Err(err(at - 4, number, "template data length out of range"));
        }
        let data = take(&mut at, data_len, "truncated template data")?;
        out.push(ImaEntryRef {
            number,
            pcr,
            template_hash,
            template,
            data,
        });
    }
    Ok(out)
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

fn field(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u32).to_le_bytes());
    out.extend_from_slice(b);
}

/// A `d-ng` field from its ASCII form `alg:hex` (`alg:\0` then the digest).
fn d_ng(s: &str) -> Option<Vec<u8>> {
    let (alg, hex) = s.split_once(':')?;
    let mut v = alg.as_bytes().to_vec();
    v.extend_from_slice(b":\0");
    v.extend(unhex(hex)?);
    Some(v)
}

/// Parses an ASCII IMA log (`ascii_runtime_measurements`), rebuilding each entry's
/// template data from its fields. Templates whose fields cannot be rebuilt exactly are an
/// error naming the line.
pub fn parse_ascii(text: &str) -> Result<Vec<ImaEntry>, ParseError> {
    let mut out = Vec::new();
    let mut offset = 0usize;
    for line in text.split_inclusive('\n') {
        let number = out.len();
        let l = line.trim_end_matches(['\n', '\r']);
        let here = offset;
        offset += line.len();
        if l.trim().is_empty() {
            continue;
        }
        let bad = |what| err(here, number, what);
        let mut parts = l.splitn(4, ' ');
        let pcr: u32 = parts
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(|| bad("bad PCR index"))?;
        let hash = parts
            .next()
            .and_then(unhex)
            .filter(|h| h.len() == 20)
            .ok_or_else(|| bad("bad template hash"))?;
        let template = parts
            .next()
            .ok_or_else(|| bad("no template name"))?
            .to_string();
        let rest = parts.next().unwrap_or("");
        let mut data = Vec::new();
        match template.as_str() {
            "ima" => {
                let (d, n) = rest
                    .split_once(' ')
                    .ok_or_else(|| bad("ima: digest and name"))?;
                let d = unhex(d)
                    .filter(|d| d.len() == 20)
                    .ok_or_else(|| bad("ima: digest"))?;
                if n.len() >= IMA_NAME_FIELD {
                    return Err(bad("ima: name too long"));
                }
                data.extend(d);
                let mut name = n.as_bytes().to_vec();
                name.resize(IMA_NAME_FIELD, 0);
                data.extend(name);
            }
            "ima-ng" | "ima-sig" | "ima-buf" | "ima-modsig" => {
                // d-ng, then the name (which may hold spaces), then hex fields.
                let (d, tail) = rest.split_once(' ').ok_or_else(|| bad("fields"))?;
                let extra = match template.as_str() {
                    "ima-ng" => 0,
                    "ima-sig" | "ima-buf" => 1,
                    _ => 2,
                };
                let mut t: Vec<&str> = tail.rsplitn(extra + 1, ' ').collect();
                t.reverse();
                // ima-sig/modsig may omit empty trailing fields.
                let (name, hexes) = if t.len() == extra + 1 {
                    (t[0], &t[1..])
                } else {
                    (tail, &t[..0])
                };
                field(&mut data, &d_ng(d).ok_or_else(|| bad("d-ng"))?);
                let mut n = name.as_bytes().to_vec();
                n.push(0);
                field(&mut data, &n);
                for (i, h) in hexes.iter().enumerate() {
                    let b = if template == "ima-modsig" && i == 0 {
                        if h.is_empty() {
                            Vec::new()
                        } else {
                            d_ng(h).ok_or_else(|| bad("d-modsig"))?
                        }
                    } else {
                        unhex(h).ok_or_else(|| bad("hex field"))?
                    };
                    field(&mut data, &b);
                }
                for _ in hexes.len()..extra {
                    field(&mut data, &[]);
                }
            }
            _ => return Err(bad("template not rebuildable from ASCII")),
        }
        out.push(ImaEntry {
            number,
            pcr,
            template_hash: hash,
            template,
            data,
        });
    }
    Ok(out)
}

/// The binary form of `entries` (what [`parse_binary`] reads).
pub fn encode_binary(entries: &[ImaEntry]) -> Vec<u8> {
    let mut out = Vec::new();
    for e in entries {
        out.extend_from_slice(&e.pcr.to_le_bytes());
        out.extend_from_slice(&e.template_hash);
        field(&mut out, e.template.as_bytes());
        field(&mut out, &e.data);
    }
    out
}

/// The ASCII form of `ima-ng` (and `ima-sig`/`ima-buf`) entries as the kernel prints them:
/// `pcr template-hash template d-ng name [hex fields]`. `None` for other templates.
pub fn encode_ascii(entries: &[ImaEntry]) -> Option<String> {
    use std::fmt::Write;
    let mut out = String::new();
    for e in entries {
        if !matches!(e.template.as_str(), "ima-ng" | "ima-sig" | "ima-buf") {
            return None;
        }
        let f = e.fields();
        let d = f.first()?;
        let sep = d.iter().position(|b| *b == 0)?;
        let alg = std::str::from_utf8(d.get(..sep)?).ok()?;
        let _ = write!(
            out,
            "{} {} {} {}{} {}",
            e.pcr,
            crate::types::hex(&e.template_hash),
            e.template,
            alg,
            crate::types::hex(&d[sep + 1..]),
            e.name()
        );
        for x in f.iter().skip(2) {
            let _ = write!(out, " {}", crate::types::hex(x));
        }
        out.push('\n');
    }
    Some(out)
}

/// How the kernel filled a non-SHA-1 bank (Linux `ima_calc_field_array_hash`): with the
/// bank's own hash when its crypto is available when IMA starts, else the SHA-1 digest
/// zero-padded — so a bank whose hash is a module (SHA-384 in an initramfs) gets the
/// padded form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum BankDigest {
    Hashed,
    PaddedSha1,
}

/// PCR 10 (or whichever PCRs the entries name) after the entries, from all-zero values.
pub fn replay(
    entries: &[ImaEntry],
    alg: HashAlg,
    how: BankDigest,
) -> std::collections::BTreeMap<u32, Vec<u8>> {
    let refs: Vec<ImaEntryRef<'_>> = entries.iter().map(ImaEntry::borrowed).collect();
    replay_ref(&refs, alg, how)
}

/// [`replay`] of borrowed entries. Big logs hash the template data of consecutive chunks
/// of entries on every core while one thread folds the extends in order.
pub fn replay_ref(
    entries: &[ImaEntryRef<'_>],
    alg: HashAlg,
    how: BankDigest,
) -> std::collections::BTreeMap<u32, Vec<u8>> {
    par::run(entries, Some((alg, how)), false).pcrs
}

/// The `boot_aggregate` check: the first entry's digest field against the hash of PCRs
/// 0–9 (TPM 2.0 kernels; 0–7 before Linux 5.8) of the firmware log's bank of that hash.
/// `pcr(alg, i)` gives replayed values. `None` if the first entry is not a boot aggregate
/// or its hash is unknown.
pub fn check_boot_aggregate(
    entries: &[ImaEntry],
    pcr: impl Fn(HashAlg, u32) -> Option<Vec<u8>>,
) -> Option<bool> {
    boot_aggregate(entries.first()?.borrowed(), &pcr)
}

/// [`check_boot_aggregate`] of borrowed entries.
pub fn check_boot_aggregate_ref(
    entries: &[ImaEntryRef<'_>],
    pcr: impl Fn(HashAlg, u32) -> Option<Vec<u8>>,
) -> Option<bool> {
    boot_aggregate(*entries.first()?, &pcr)
}

fn boot_aggregate(
    first: ImaEntryRef<'_>,
    pcr: &dyn Fn(HashAlg, u32) -> Option<Vec<u8>>,
) -> Option<bool> {
    if first.name() != "boot_aggregate" {
        return None;
    }
    let f = first.fields();
    let d = *f.first()?;
    let (alg, digest) = match first.template {
        "ima" => (HashAlg::Sha1, d),
        _ => {
            let sep = d.iter().position(|b| *b == 0)?;
            let name = std::str::from_utf8(d.get(..sep.checked_sub(1)?)?).ok()?;
            let alg = match name {
                "sha1" => HashAlg::Sha1,
                "sha256" => HashAlg::Sha256,
                "sha384" => HashAlg::Sha384,
                "sha512" => HashAlg::Sha512,
                _ => return None,
            };
            (alg, &d[sep + 1..])
        }
    };
    let mut ok = false;
    for last in [9u32, 7] {
        let mut h = Hasher::new(alg);
        for i in 0..=last {
            h.update(&pcr(alg, i).unwrap_or_else(|| vec![0; alg.digest_size()]));
        }
        ok |= h.finish() == digest;
    }
    Some(ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_is_the_fold_of_the_extends_per_pcr() {
        let mut entries = crate::simulate::ima_entries(5, 12, &[7; 32]);
        for (i, e) in entries.iter_mut().enumerate() {
            e.pcr = [10, 10, 11, 10, 12, 11][i % 6];
        }
        entries[4].template_hash = vec![0; 20]; // a violation
        for alg in [HashAlg::Sha1, HashAlg::Sha256, HashAlg::Sha384] {
            for how in [BankDigest::Hashed, BankDigest::PaddedSha1] {
                let mut want = std::collections::BTreeMap::new();
                for e in &entries {
                    let v = want
                        .entry(e.pcr)
                        .or_insert_with(|| vec![0u8; alg.digest_size()]);
                    *v = Hasher::new(alg)
                        .with(v)
                        .with(&e.extend_digest(alg, how))
                        .finish();
                }
                assert_eq!(replay(&entries, alg, how), want, "{alg:?} {how:?}");
            }
        }
    }

    /// Logs longer than one hashing chunk go through the parallel pass (`ima/par.rs`):
    /// its replay equals the sequential fold, and a bad template hash in a late chunk is
    /// reported by its entry number.
    #[test]
    fn the_parallel_pass_equals_the_sequential_fold_across_chunks() {
        let mut entries = crate::simulate::ima_entries(12, 7000, &[9; 32]);
        for (i, e) in entries.iter_mut().enumerate() {
            e.pcr = if i % 97 == 3 { 11 } else { 10 };
        }
        entries[100].template_hash = vec![0; 20]; // a violation
        entries[5123].template_hash[0] ^= 1; // a lying hash in the third chunk
        let refs: Vec<ImaEntryRef<'_>> = entries.iter().map(ImaEntry::borrowed).collect();
        for alg in [HashAlg::Sha1, HashAlg::Sha256] {
            let mut want = std::collections::BTreeMap::new();
            for e in &entries {
                let v = want
                    .entry(e.pcr)
                    .or_insert_with(|| vec![0u8; alg.digest_size()]);
                *v = Hasher::new(alg)
                    .with(v)
                    .with(&e.extend_digest(alg, BankDigest::Hashed))
                    .finish();
            }
            let pass = par::run(&refs, Some((alg, BankDigest::Hashed)), true);
            assert_eq!(pass.pcrs, want, "{alg:?}");
            assert_eq!(pass.bad, vec![5123], "{alg:?}");
        }
    }
}
