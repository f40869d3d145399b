//! Comparing two responses to the same command.
//!
//! Response codes must be equal. Successful responses must be byte-identical except for
//! fields that are legitimately random or implementation-specific; each such field has a
//! narrow normalizer below, with the reason. Structured responses (capabilities) are
//! compared item by item so a report names the property, command or algorithm that differs.

use crate::cmd::{cc_name, has_response_handle};
use crate::run::Kind;
use std::collections::BTreeMap;
use tpm2_types::constants::{cap, cc, pt, rh, st};
use tpm2_types::object::{Tpm2bPublic, Unique};
use tpm2_types::{Codec, Rc, Reader};

/// The response code of a response (`TPM_RC_FAILURE` stands in for a malformed one).
pub fn response_rc(resp: &[u8]) -> Rc {
    resp.get(6..10)
        .map(|b| Rc(u32::from_be_bytes([b[0], b[1], b[2], b[3]])))
        .unwrap_or(Rc::FAILURE)
}

/// The parameter area of a successful response to command `code`.
pub fn response_params(code: u32, resp: &[u8]) -> Option<Vec<u8>> {
    if response_rc(resp).0 != 0 {
        return None;
    }
    split(code, resp).map(|p| p.params.to_vec())
}

/// A successful response split into its parts.
struct Parts<'a> {
    tag: u16,
    handle: Option<u32>,
    params: &'a [u8],
    sessions: &'a [u8],
}

fn split(code: u32, resp: &[u8]) -> Option<Parts<'_>> {
    let mut r = Reader::new(resp);
    let tag = r.u16().ok()?;
    let size = r.u32().ok()? as usize;
    if size != resp.len() {
        return None;
    }
    let _rc = r.u32().ok()?;
    let handle = if has_response_handle(code) {
        Some(r.u32().ok()?)
    } else {
        None
    };
    if tag == st::SESSIONS {
        let n = r.u32().ok()? as usize;
        let params = r.take(n).ok()?;
        Some(Parts {
            tag,
            handle,
            params,
            sessions: r.rest(),
        })
    } else {
        Some(Parts {
            tag,
            handle,
            params: r.rest(),
            sessions: &[],
        })
    }
}

fn hex(b: &[u8]) -> String {
    let mut s: String = b.iter().take(48).map(|x| format!("{x:02x}")).collect();
    if b.len() > 48 {
        s.push('…');
    }
    s
}

/// Where two byte strings first differ, for a report.
fn bytes_diff(what: &str, ours: &[u8], theirs: &[u8]) -> Option<String> {
    if ours == theirs {
        return None;
    }
    let at = ours
        .iter()
        .zip(theirs)
        .position(|(a, b)| a != b)
        .unwrap_or(ours.len().min(theirs.len()));
    Some(format!(
        "{what} differ at offset {at} (lengths {} vs {}): ours {} theirs {}",
        ours.len(),
        theirs.len(),
        hex(&ours[at.min(ours.len())..]),
        hex(&theirs[at.min(theirs.len())..])
    ))
}

/// All differences between our response and swtpm's to the command `req`.
pub fn compare(code: u32, req: &[u8], ours: &[u8], theirs: &[u8]) -> Vec<(Kind, String)> {
    let (ro, rt) = (response_rc(ours), response_rc(theirs));
    if ro != rt {
        return vec![(Kind::Rc, format!("ours={ro} theirs={rt}"))];
    }
    if ro.0 != 0 {
        return bytes_diff("error responses", ours, theirs)
            .map(|d| vec![(Kind::Response, d)])
            .unwrap_or_default();
    }
    let (Some(po), Some(pt)) = (split(code, ours), split(code, theirs)) else {
        return bytes_diff("unparsable responses", ours, theirs)
            .map(|d| vec![(Kind::Response, d)])
            .unwrap_or_default();
    };
    let mut out = Vec::new();
    if po.tag != pt.tag {
        out.push(format!("tag ours {:#06x} theirs {:#06x}", po.tag, pt.tag));
    }
    if po.handle != pt.handle {
        out.push(format!(
            "handle ours {:x?} theirs {:x?}",
            po.handle, pt.handle
        ));
    }
    out.extend(session_diff(po.sessions, pt.sessions));
    out.extend(compare_params(code, req, po.params, pt.params));
    out.into_iter().map(|d| (Kind::Response, d)).collect()
}

/// The entries of a response session area: (nonce size, attributes, HMAC size).
fn session_entries(b: &[u8]) -> Option<Vec<(usize, u8, usize)>> {
    let mut r = Reader::new(b);
    let mut v = Vec::new();
    while !r.is_empty() {
        let n = r.u16().ok()? as usize;
        r.take(n).ok()?;
        let a = r.u8().ok()?;
        let m = r.u16().ok()? as usize;
        r.take(m).ok()?;
        v.push((n, a, m));
    }
    Some(v)
}

/// Response session areas: an HMAC or policy session gets a fresh random nonceTPM with
/// every command, and its HMAC covers it, so entries are compared by nonce size,
/// attributes and HMAC size (the HMACs are checked against each TPM's own nonces by the
/// runner). Password entries are fixed and so compared exactly this way too.
fn session_diff(ours: &[u8], theirs: &[u8]) -> Option<String> {
    match (session_entries(ours), session_entries(theirs)) {
        (Some(a), Some(b)) if a == b => None,
        (Some(a), Some(b)) => Some(format!(
            "session entries (nonce size, attributes, hmac size) ours {a:?} theirs {b:?}"
        )),
        _ => bytes_diff("session areas", ours, theirs),
    }
}

fn compare_params(code: u32, req: &[u8], ours: &[u8], theirs: &[u8]) -> Vec<String> {
    let structured = match code {
        cc::START_AUTH_SESSION => random(ours, theirs),
        cc::GET_RANDOM => random(ours, theirs),
        cc::HASH | cc::SEQUENCE_COMPLETE => digest_and_ticket(ours, theirs),
        cc::GET_CAPABILITY => capability(ours, theirs),
        cc::READ_CLOCK => clock(ours, theirs),
        cc::CREATE_PRIMARY | cc::CREATE => created(code, ours, theirs),
        cc::CREATE_LOADED => create_loaded(ours, theirs),
        cc::READ_PUBLIC => read_public(ours, theirs),
        cc::LOAD => names(ours, theirs, 1),
        cc::OBJECT_CHANGE_AUTH => private_only(ours, theirs),
        cc::SIGN => signature(ours, theirs),
        cc::VERIFY_SIGNATURE => ticket_only(ours, theirs),
        cc::RSA_ENCRYPT => sized_random(ours, theirs),
        cc::ECDH_KEY_GEN | cc::ECDH_ZGEN => points(ours, theirs),
        cc::CONTEXT_SAVE => context(ours, theirs),
        cc::QUOTE
        | cc::CERTIFY
        | cc::CERTIFY_CREATION
        | cc::GET_TIME
        | cc::NV_CERTIFY
        | cc::GET_COMMAND_AUDIT_DIGEST
        | cc::GET_SESSION_AUDIT_DIGEST => attested(ours, theirs),
        cc::MAKE_CREDENTIAL | cc::DUPLICATE | cc::REWRAP => sized_fields(ours, theirs),
        cc::IMPORT => private_only(ours, theirs),
        _ => None,
    };
    let _ = req;
    match structured {
        Some(v) => v,
        None => bytes_diff("parameters", ours, theirs).into_iter().collect(),
    }
}

/// GetRandom: the bytes are random by definition; only their number is compared (also
/// StartAuthSession's nonceTPM, a TPM2B of random bytes).
fn random(ours: &[u8], theirs: &[u8]) -> Option<Vec<String>> {
    let n = |b: &[u8]| Reader::new(b).u16().ok();
    let (a, b) = (n(ours)?, n(theirs)?);
    Some(if a == b && ours.len() == theirs.len() {
        Vec::new()
    } else {
        vec![format!("randomBytes size ours {a} theirs {b}")]
    })
}

/// Hash / SequenceComplete: the digest must match exactly; a non-NULL ticket's HMAC is keyed
/// with the hierarchy's proof value, a secret that differs between any two TPMs, so only
/// its tag, hierarchy and size are compared.
fn digest_and_ticket(ours: &[u8], theirs: &[u8]) -> Option<Vec<String>> {
    let parse = |b: &[u8]| -> Option<(Vec<u8>, u16, u32, Vec<u8>)> {
        let mut r = Reader::new(b);
        let n = r.u16().ok()? as usize;
        let d = r.take(n).ok()?.to_vec();
        let tag = r.u16().ok()?;
        let hier = r.u32().ok()?;
        let m = r.u16().ok()? as usize;
        let mac = r.take(m).ok()?.to_vec();
        r.is_empty().then_some((d, tag, hier, mac))
    };
    let (o, t) = (parse(ours)?, parse(theirs)?);
    let mut v = Vec::new();
    v.extend(bytes_diff("digests", &o.0, &t.0));
    if (o.1, o.2) != (t.1, t.2) {
        v.push(format!(
            "ticket tag/hierarchy ours {:#x}/{:#x} theirs {:#x}/{:#x}",
            o.1, o.2, t.1, t.2
        ));
    }
    if o.3.len() != t.3.len() || (o.2 == rh::NULL && o.3 != t.3) {
        v.push(format!(
            "ticket digest ours {} theirs {}",
            hex(&o.3),
            hex(&t.3)
        ));
    }
    Some(v)
}

/// ReadClock: `time` and `clock` count real milliseconds of two different processes;
/// resetCount, restartCount and safe are state and must match.
fn clock(ours: &[u8], theirs: &[u8]) -> Option<Vec<String>> {
    if ours.len() != 25 || theirs.len() != 25 {
        return None;
    }
    Some(
        bytes_diff("clockInfo counters", &ours[16..], &theirs[16..])
            .into_iter()
            .collect(),
    )
}

/// TPM properties whose values identify the implementation, not its behaviour: who made
/// it and which firmware build it is (Part 2, §6.13). Their presence is still compared.
const IDENTITY_PROPERTIES: &[u32] = &[
    pt::MANUFACTURER,
    pt::VENDOR_STRING_1,
    pt::VENDOR_STRING_2,
    pt::VENDOR_STRING_3,
    pt::VENDOR_STRING_4,
    pt::VENDOR_TPM_TYPE,
    pt::FIRMWARE_VERSION_1,
    pt::FIRMWARE_VERSION_2,
];

/// `TPM_PT` names for reports.
const PT_NAMES: &[(u32, &str)] = &[
    (0x100, "FAMILY_INDICATOR"),
    (0x101, "LEVEL"),
    (0x102, "REVISION"),
    (0x103, "DAY_OF_YEAR"),
    (0x104, "YEAR"),
    (0x105, "MANUFACTURER"),
    (0x106, "VENDOR_STRING_1"),
    (0x107, "VENDOR_STRING_2"),
    (0x108, "VENDOR_STRING_3"),
    (0x109, "VENDOR_STRING_4"),
    (0x10a, "VENDOR_TPM_TYPE"),
    (0x10b, "FIRMWARE_VERSION_1"),
    (0x10c, "FIRMWARE_VERSION_2"),
    (0x10d, "INPUT_BUFFER"),
    (0x10e, "HR_TRANSIENT_MIN"),
    (0x10f, "HR_PERSISTENT_MIN"),
    (0x110, "HR_LOADED_MIN"),
    (0x111, "ACTIVE_SESSIONS_MAX"),
    (0x112, "PCR_COUNT"),
    (0x113, "PCR_SELECT_MIN"),
    (0x114, "CONTEXT_GAP_MAX"),
    (0x116, "NV_COUNTERS_MAX"),
    (0x117, "NV_INDEX_MAX"),
    (0x118, "MEMORY"),
    (0x119, "CLOCK_UPDATE"),
    (0x11a, "CONTEXT_HASH"),
    (0x11b, "CONTEXT_SYM"),
    (0x11c, "CONTEXT_SYM_SIZE"),
    (0x11d, "ORDERLY_COUNT"),
    (0x11e, "MAX_COMMAND_SIZE"),
    (0x11f, "MAX_RESPONSE_SIZE"),
    (0x120, "MAX_DIGEST"),
    (0x121, "MAX_OBJECT_CONTEXT"),
    (0x122, "MAX_SESSION_CONTEXT"),
    (0x123, "PS_FAMILY_INDICATOR"),
    (0x124, "PS_LEVEL"),
    (0x125, "PS_REVISION"),
    (0x126, "PS_DAY_OF_YEAR"),
    (0x127, "PS_YEAR"),
    (0x128, "SPLIT_MAX"),
    (0x129, "TOTAL_COMMANDS"),
    (0x12a, "LIBRARY_COMMANDS"),
    (0x12b, "VENDOR_COMMANDS"),
    (0x12c, "NV_BUFFER_MAX"),
    (0x12d, "MODES"),
    (0x12e, "MAX_CAP_BUFFER"),
    (0x200, "PERMANENT"),
    (0x201, "STARTUP_CLEAR"),
    (0x202, "HR_NV_INDEX"),
    (0x203, "HR_LOADED"),
    (0x204, "HR_LOADED_AVAIL"),
    (0x205, "HR_ACTIVE"),
    (0x206, "HR_ACTIVE_AVAIL"),
    (0x207, "HR_TRANSIENT_AVAIL"),
    (0x208, "HR_PERSISTENT"),
    (0x209, "HR_PERSISTENT_AVAIL"),
    (0x20a, "NV_COUNTERS"),
    (0x20b, "NV_COUNTERS_AVAIL"),
    (0x20c, "ALGORITHM_SET"),
    (0x20d, "LOADED_CURVES"),
    (0x20e, "LOCKOUT_COUNTER"),
    (0x20f, "MAX_AUTH_FAIL"),
    (0x210, "LOCKOUT_INTERVAL"),
    (0x211, "LOCKOUT_RECOVERY"),
    (0x212, "NV_WRITE_RECOVERY"),
    (0x213, "AUDIT_COUNTER_0"),
    (0x214, "AUDIT_COUNTER_1"),
];

fn pt_name(p: u32) -> String {
    PT_NAMES
        .iter()
        .find(|(v, _)| *v == p)
        .map(|(_, n)| format!("TPM_PT_{n}"))
        .unwrap_or_else(|| format!("TPM_PT({p:#x})"))
}

/// Keyed items of a capability list: key, display name, value bytes.
type Items = BTreeMap<u32, (String, Vec<u8>)>;

fn capability(ours: &[u8], theirs: &[u8]) -> Option<Vec<String>> {
    let (o, t) = (cap_items(ours)?, cap_items(theirs)?);
    let mut v = Vec::new();
    if o.0 != t.0 {
        v.push(format!("moreData ours {} theirs {}", o.0, t.0));
    }
    if o.1 != t.1 {
        v.push(format!("capability ours {:#x} theirs {:#x}", o.1, t.1));
        return Some(v);
    }
    match (o.2, t.2) {
        (Some(a), Some(b)) => {
            for (k, (name, val)) in &b {
                match a.get(k) {
                    None => v.push(format!("{name}: missing in ours")),
                    Some((_, mine)) if mine != val => {
                        let identity =
                            o.1 == cap::TPM_PROPERTIES && IDENTITY_PROPERTIES.contains(k);
                        if !identity {
                            v.push(format!("{name}: ours {} theirs {}", show(mine), show(val)));
                        }
                    }
                    Some(_) => {}
                }
            }
            for (k, (name, _)) in &a {
                if !b.contains_key(k) {
                    v.push(format!("{name}: extra in ours"));
                }
            }
        }
        _ => v.extend(bytes_diff("capability data", &ours[5..], &theirs[5..])),
    }
    Some(v)
}

fn show(v: &[u8]) -> String {
    if v.len() == 4 {
        let x = u32::from_be_bytes([v[0], v[1], v[2], v[3]]);
        format!("{x} ({x:#x})")
    } else {
        hex(v)
    }
}

/// moreData, capability, and the list as keyed items (`None` for capabilities compared as
/// raw bytes).
fn cap_items(b: &[u8]) -> Option<(u8, u32, Option<Items>)> {
    let mut r = Reader::new(b);
    let more = r.u8().ok()?;
    let capability = r.u32().ok()?;
    let mut items = Items::new();
    let ok = (|| -> Option<()> {
        let n = r.u32().ok()? as usize;
        for _ in 0..n.min(4096) {
            match capability {
                cap::ALGS => {
                    let a = r.u16().ok()?;
                    let attrs = r.take(4).ok()?.to_vec();
                    items.insert(a as u32, (format!("alg {a:#06x}"), attrs));
                }
                cap::COMMANDS => {
                    let a = r.u32().ok()?;
                    let code = a & 0xFFFF;
                    let name = format!("command {} ({code:#x})", cc_name(code));
                    items.insert(code, (name, a.to_be_bytes().to_vec()));
                }
                cap::HANDLES | cap::PP_COMMANDS | cap::AUDIT_COMMANDS => {
                    let h = r.u32().ok()?;
                    let name = if capability == cap::HANDLES {
                        format!("handle {h:#010x}")
                    } else {
                        format!("command {} ({h:#x})", cc_name(h))
                    };
                    items.insert(h, (name, Vec::new()));
                }
                cap::TPM_PROPERTIES => {
                    let p = r.u32().ok()?;
                    let val = r.take(4).ok()?.to_vec();
                    items.insert(p, (pt_name(p), val));
                }
                cap::PCR_PROPERTIES => {
                    let tag = r.u32().ok()?;
                    let n = r.u8().ok()? as usize;
                    let sel = r.take(n).ok()?.to_vec();
                    items.insert(tag, (format!("TPM_PT_PCR {tag:#x}"), sel));
                }
                cap::ECC_CURVES => {
                    let c = r.u16().ok()?;
                    items.insert(c as u32, (format!("curve {c:#06x}"), Vec::new()));
                }
                _ => return None,
            }
        }
        r.is_empty().then_some(())
    })();
    Some((more, capability, ok.map(|_| items)))
}

// Objects. Every key a TPM generates is its own (different seeds, different random
// numbers), so the values that derive from key bits are compared by shape: the sizes
// and selectors are still exact, and every command whose output is fully determined by
// the caller's input (LoadExternal, Unseal, RSA_Decrypt, EncryptDecrypt, HMAC,
// ECC_Parameters, TestParms) is compared byte for byte.

/// Reads a `TPM2B_` and returns its contents.
fn tpm2b<'a>(r: &mut Reader<'a>) -> Option<&'a [u8]> {
    let n = r.u16().ok()? as usize;
    r.take(n).ok()
}

/// A public area with the bytes of its unique field zeroed (sizes kept): the unique
/// field of a generated object is its public key, or H(seedValue || sensitive) with a
/// random seedValue. Type, nameAlg, attributes, authPolicy and parameters stay exact.
fn blank_public(b: &[u8]) -> Option<Vec<u8>> {
    let mut p = Tpm2bPublic::from_bytes(b).ok()?;
    match &mut p.0.unique {
        Unique::Digest(d) => d.0.iter_mut().for_each(|x| *x = 0),
        Unique::Rsa(n) => n.0.iter_mut().for_each(|x| *x = 0),
        Unique::Ecc(q) => {
            q.x.0.iter_mut().for_each(|x| *x = 0);
            q.y.0.iter_mut().for_each(|x| *x = 0);
        }
    }
    Some(p.to_bytes())
}

/// A Name by shape: the nameAlg and the size (the digest covers the unique field).
/// A handle-sized Name (an object without nameAlg, or a hierarchy) is exact.
fn name_shape(n: &[u8]) -> Vec<u8> {
    if n.len() <= 4 {
        return n.to_vec();
    }
    let mut v = n[..2].to_vec();
    v.resize(n.len(), 0);
    v
}

fn with_tpm2b(b: &[u8]) -> Vec<u8> {
    let mut v = (b.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(b);
    v
}

/// A creation ticket (`TPMT_TK_CREATION`) or verified ticket by tag, hierarchy and
/// size: its HMAC is keyed with the hierarchy proof, a secret of each TPM (the NULL
/// hierarchy's proof too, for a creation ticket; a NULL ticket is empty either way).
fn ticket_shape(r: &mut Reader<'_>) -> Option<Vec<u8>> {
    let tag = r.u16().ok()?;
    let hier = r.u32().ok()?;
    let mac = tpm2b(r)?;
    let mut v = tag.to_be_bytes().to_vec();
    v.extend_from_slice(&hier.to_be_bytes());
    v.extend(with_tpm2b(&vec![0; mac.len()]));
    Some(v)
}

/// `TPMS_CREATION_DATA` with the parent's Names by shape (a parent object's Name
/// covers its generated key); everything else exact. Returns whether a Name was
/// blanked (then the creation hash over it differs too).
fn creation_data_shape(b: &[u8]) -> Option<(Vec<u8>, bool)> {
    let mut r = Reader::new(b);
    let sel = tpm2_types::structures::TpmlPcrSelection::read(&mut r).ok()?;
    let pcr_digest = tpm2b(&mut r)?;
    let locality = r.u8().ok()?;
    let parent_alg = r.u16().ok()?;
    let pn = tpm2b(&mut r)?;
    let pqn = tpm2b(&mut r)?;
    let outside = tpm2b(&mut r)?;
    if !r.is_empty() {
        return None;
    }
    let mut v = sel.to_bytes();
    v.extend(with_tpm2b(pcr_digest));
    v.push(locality);
    v.extend_from_slice(&parent_alg.to_be_bytes());
    v.extend(with_tpm2b(&name_shape(pn)));
    v.extend(with_tpm2b(&name_shape(pqn)));
    v.extend(with_tpm2b(outside));
    Some((v, pn.len() > 4))
}

/// CreatePrimary / Create: [outPrivate (Create)], outPublic, creationData, creationHash,
/// creationTicket, [name (CreatePrimary)]. The private is compared by presence (it is
/// each TPM's encryption of its own secret under its own parent); the public with its
/// unique field blanked; the creation data with the parent's Names by shape; the
/// creation hash exactly unless it covers such a Name; the ticket by shape; the Name by
/// shape.
fn created(code: u32, ours: &[u8], theirs: &[u8]) -> Option<Vec<String>> {
    let shape = |b: &[u8]| -> Option<Vec<u8>> {
        let mut r = Reader::new(b);
        let mut v = Vec::new();
        if code == cc::CREATE {
            let private = tpm2b(&mut r)?;
            v.push(u8::from(!private.is_empty()));
        }
        let at = r.position();
        let public = tpm2b(&mut r)?;
        v.extend(blank_public(&b[at..at + 2 + public.len()])?);
        let (cd, blanked) = creation_data_shape(tpm2b(&mut r)?)?;
        v.extend(with_tpm2b(&cd));
        let hash = tpm2b(&mut r)?;
        if blanked {
            v.extend(with_tpm2b(&vec![0; hash.len()]));
        } else {
            v.extend(with_tpm2b(hash));
        }
        v.extend(ticket_shape(&mut r)?);
        if code == cc::CREATE_PRIMARY {
            v.extend(with_tpm2b(&name_shape(tpm2b(&mut r)?)));
        }
        r.is_empty().then_some(v)
    };
    let (o, t) = (shape(ours)?, shape(theirs)?);
    Some(
        bytes_diff("parameters (keys by shape)", &o, &t)
            .into_iter()
            .collect(),
    )
}

/// CreateLoaded: outPrivate by presence, outPublic with its unique field blanked, the
/// Name by shape, as for Create. (A derived object made from the same parent seed in
/// both TPMs is compared exactly by the steps that use it.)
fn create_loaded(ours: &[u8], theirs: &[u8]) -> Option<Vec<String>> {
    let shape = |b: &[u8]| -> Option<Vec<u8>> {
        let mut r = Reader::new(b);
        let mut v = vec![u8::from(!tpm2b(&mut r)?.is_empty())];
        let at = r.position();
        let public = tpm2b(&mut r)?;
        v.extend(blank_public(&b[at..at + 2 + public.len()])?);
        v.extend(with_tpm2b(&name_shape(tpm2b(&mut r)?)));
        r.is_empty().then_some(v)
    };
    let (o, t) = (shape(ours)?, shape(theirs)?);
    Some(
        bytes_diff("parameters (keys by shape)", &o, &t)
            .into_iter()
            .collect(),
    )
}

/// ReadPublic: outPublic with the unique field blanked, Name and qualified Name by shape.
fn read_public(ours: &[u8], theirs: &[u8]) -> Option<Vec<String>> {
    let shape = |b: &[u8]| -> Option<Vec<u8>> {
        let mut r = Reader::new(b);
        let public = tpm2b(&mut r)?;
        let mut v = blank_public(&b[..2 + public.len()])?;
        v.extend(with_tpm2b(&name_shape(tpm2b(&mut r)?)));
        v.extend(with_tpm2b(&name_shape(tpm2b(&mut r)?)));
        r.is_empty().then_some(v)
    };
    let (o, t) = (shape(ours)?, shape(theirs)?);
    Some(
        bytes_diff("parameters (keys by shape)", &o, &t)
            .into_iter()
            .collect(),
    )
}

/// Responses made of `n` Names (Load: the Name of a child whose key each TPM made).
fn names(ours: &[u8], theirs: &[u8], n: usize) -> Option<Vec<String>> {
    let shape = |b: &[u8]| -> Option<Vec<u8>> {
        let mut r = Reader::new(b);
        let mut v = Vec::new();
        for _ in 0..n {
            v.extend(with_tpm2b(&name_shape(tpm2b(&mut r)?)));
        }
        r.is_empty().then_some(v)
    };
    let (o, t) = (shape(ours)?, shape(theirs)?);
    Some(bytes_diff("names (by shape)", &o, &t).into_iter().collect())
}

/// ObjectChangeAuth: outPrivate by presence (each TPM's wrapping of its own secret).
fn private_only(ours: &[u8], theirs: &[u8]) -> Option<Vec<String>> {
    let present = |b: &[u8]| -> Option<bool> {
        let mut r = Reader::new(b);
        let p = tpm2b(&mut r)?;
        r.is_empty().then_some(!p.is_empty())
    };
    let (o, t) = (present(ours)?, present(theirs)?);
    Some(if o == t {
        Vec::new()
    } else {
        vec![format!("outPrivate present ours {o} theirs {t}")]
    })
}

/// Sign: the signature by shape — algorithm, hash and the sizes of its values (an RSA
/// signature, ECDSA/ECSchnorr r and s, an HMAC); the values are made with each TPM's
/// own key (and for ECC a random nonce).
fn signature(ours: &[u8], theirs: &[u8]) -> Option<Vec<String>> {
    let shape = |b: &[u8]| -> Option<Vec<u8>> {
        let mut r = Reader::new(b);
        let sig_alg = r.u16().ok()?;
        let mut v = sig_alg.to_be_bytes().to_vec();
        if sig_alg == tpm2_types::constants::alg::NULL {
            return r.is_empty().then_some(v);
        }
        let hash = r.u16().ok()?;
        v.extend_from_slice(&hash.to_be_bytes());
        let values = match sig_alg {
            tpm2_types::constants::alg::RSASSA | tpm2_types::constants::alg::RSAPSS => 1,
            tpm2_types::constants::alg::HMAC => 0,
            _ => 2,
        };
        if values == 0 {
            v.extend((r.rest().len() as u16).to_be_bytes());
            return Some(v);
        }
        for _ in 0..values {
            v.extend((tpm2b(&mut r)?.len() as u16).to_be_bytes());
        }
        r.is_empty().then_some(v)
    };
    let (o, t) = (shape(ours)?, shape(theirs)?);
    Some(if o == t {
        Vec::new()
    } else {
        vec![format!(
            "signature shape (alg, hash, sizes) ours {} theirs {}",
            hex(&o),
            hex(&t)
        )]
    })
}

/// The shape of a `TPMS_ATTEST`, or `None` if it does not parse. Exact: magic, type,
/// extraData, `safe`, the PCR selection and digest of a quote, the NV contents, offset,
/// digest and index Name of NV_Certify. By shape: the signer's qualified Name and a
/// certified object's Names (they cover each TPM's own keys) and a creation hash (it
/// covers a parent's Name). Not compared: Clock and Time (real milliseconds of two
/// processes) and firmwareVersion (the implementation's identity, as in `capability`).
/// resetCount/restartCount are exact in the clear; for a signer outside the
/// endorsement and platform hierarchies they are obfuscated with a KDF of each TPM's own
/// owner proof: a pair with either value at or above 2^16 counts as obfuscated (a fresh
/// TPM's counters are tiny; an obfuscated pair falls below that with probability
/// 2^-32), and both TPMs must agree on whether it is, but not on the values.
fn attest_shape(b: &[u8]) -> Option<Vec<u8>> {
    let mut r = Reader::new(b);
    let mut v = r.take(6).ok()?.to_vec();
    let ty = u16::from_be_bytes([v[4], v[5]]);
    v.extend(with_tpm2b(&name_shape(tpm2b(&mut r)?)));
    v.extend(with_tpm2b(tpm2b(&mut r)?));
    let counters = |r: &mut Reader<'_>, v: &mut Vec<u8>| -> Option<()> {
        let _clock = r.u64().ok()?;
        let (reset, restart) = (r.u32().ok()?, r.u32().ok()?);
        if reset < 1 << 16 && restart < 1 << 16 {
            v.push(1);
            v.extend_from_slice(&reset.to_be_bytes());
            v.extend_from_slice(&restart.to_be_bytes());
        } else {
            v.push(0);
        }
        v.push(r.u8().ok()?);
        Some(())
    };
    counters(&mut r, &mut v)?;
    let _firmware = r.u64().ok()?;
    match ty {
        st::ATTEST_CERTIFY => {
            v.extend(with_tpm2b(&name_shape(tpm2b(&mut r)?)));
            v.extend(with_tpm2b(&name_shape(tpm2b(&mut r)?)));
        }
        st::ATTEST_CREATION => {
            v.extend(with_tpm2b(&name_shape(tpm2b(&mut r)?)));
            v.extend(with_tpm2b(&vec![0; tpm2b(&mut r)?.len()]));
        }
        st::ATTEST_TIME => {
            let _time = r.u64().ok()?;
            counters(&mut r, &mut v)?;
            let _firmware = r.u64().ok()?;
        }
        _ => v.extend_from_slice(r.rest()),
    }
    if ty == st::ATTEST_TIME && !r.is_empty() {
        return None;
    }
    Some(v)
}

/// The attestation commands: `TPM2B_ATTEST` by [`attest_shape`], the signature by
/// shape as [`signature`] compares it.
fn attested(ours: &[u8], theirs: &[u8]) -> Option<Vec<String>> {
    let split = |b: &[u8]| -> Option<(Vec<u8>, usize)> {
        let mut r = Reader::new(b);
        let a = tpm2b(&mut r)?;
        Some((attest_shape(a)?, 2 + a.len()))
    };
    let ((o, oat), (t, tat)) = (split(ours)?, split(theirs)?);
    let mut v: Vec<String> = bytes_diff("attestation (keys by shape)", &o, &t)
        .into_iter()
        .collect();
    v.extend(signature(&ours[oat..], &theirs[tat..])?);
    Some(v)
}

/// VerifySignature: the verified ticket by shape.
fn ticket_only(ours: &[u8], theirs: &[u8]) -> Option<Vec<String>> {
    let shape = |b: &[u8]| -> Option<Vec<u8>> {
        let mut r = Reader::new(b);
        let v = ticket_shape(&mut r)?;
        r.is_empty().then_some(v)
    };
    let (o, t) = (shape(ours)?, shape(theirs)?);
    Some(
        bytes_diff("ticket (by shape)", &o, &t)
            .into_iter()
            .collect(),
    )
}

/// RSA_Encrypt: the ciphertext by size (each TPM's own key; random padding).
fn sized_random(ours: &[u8], theirs: &[u8]) -> Option<Vec<String>> {
    let n = |b: &[u8]| -> Option<usize> {
        let mut r = Reader::new(b);
        let d = tpm2b(&mut r)?;
        r.is_empty().then_some(d.len())
    };
    let (o, t) = (n(ours)?, n(theirs)?);
    Some(if o == t {
        Vec::new()
    } else {
        vec![format!("outData size ours {o} theirs {t}")]
    })
}

/// MakeCredential (credentialBlob, secret), Duplicate (encryptionKeyOut, duplicate,
/// outSymSeed), Rewrap (outDuplicate, outSymSeed): every field is a `TPM2B` made with a random seed, a
/// random key or each TPM's own keys, so only the number of fields and their sizes are
/// compared (a wrong layout changes the sizes; the contents are checked by
/// ActivateCredential/Import/Load on the same TPM in the corpus). Import's outPrivate
/// is our own private format, compared by presence as Create's (`private_only`).
fn sized_fields(ours: &[u8], theirs: &[u8]) -> Option<Vec<String>> {
    let sizes = |b: &[u8]| -> Option<Vec<usize>> {
        let mut r = Reader::new(b);
        let mut v = Vec::new();
        while !r.is_empty() {
            v.push(tpm2b(&mut r)?.len());
        }
        Some(v)
    };
    let (o, t) = (sizes(ours)?, sizes(theirs)?);
    Some(if o == t {
        Vec::new()
    } else {
        vec![format!("TPM2B sizes ours {o:?} theirs {t:?}")]
    })
}

/// ECDH_KeyGen / ECDH_ZGen: points by coordinate sizes (an ephemeral key, or a product
/// with each TPM's own private key).
fn points(ours: &[u8], theirs: &[u8]) -> Option<Vec<String>> {
    let shape = |b: &[u8]| -> Option<Vec<usize>> {
        let mut r = Reader::new(b);
        let mut v = Vec::new();
        while !r.is_empty() {
            let p = tpm2b(&mut r)?;
            let mut q = Reader::new(p);
            v.push(tpm2b(&mut q)?.len());
            v.push(tpm2b(&mut q)?.len());
            if !q.is_empty() {
                return None;
            }
        }
        Some(v)
    };
    let (o, t) = (shape(ours)?, shape(theirs)?);
    Some(if o == t {
        Vec::new()
    } else {
        vec![format!("point coordinate sizes ours {o:?} theirs {t:?}")]
    })
}

/// ContextSave: sequence, savedHandle and hierarchy exact; the blob by presence (each
/// implementation's own authenticated encryption; listed as intentional).
fn context(ours: &[u8], theirs: &[u8]) -> Option<Vec<String>> {
    let shape = |b: &[u8]| -> Option<Vec<u8>> {
        let mut r = Reader::new(b);
        let head = r.take(16).ok()?.to_vec();
        let blob = tpm2b(&mut r)?;
        let mut v = head;
        v.push(u8::from(!blob.is_empty()));
        r.is_empty().then_some(v)
    };
    let (o, t) = (shape(ours)?, shape(theirs)?);
    Some(
        bytes_diff("context (blob by presence)", &o, &t)
            .into_iter()
            .collect(),
    )
}

#[cfg(test)]
mod object_tests {
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn create_primary_shape() {
        let o = unhex("002e0008000b000000520000001000209b9df2648ac491b58f94cd2938248d330205c901373ab191ff6305d6725cf3be0037000000000020e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855010010000440000001000440000001000000205da041bac0ee3135aebb0cadfba497c6a1877fae832dd3d1f8f7a871b825e85480214000000100406beecbc0f964dad10434d69a5e19457eb64a0f5d36de40492e962ced1fe555007d2f2dc4d596a8aeebc87bbfb485032d15755be008e0a3aa287d27d646db345b0022000b0217c3073ab075ba647562a56dd2417dafe49658cae9f3762a83c4291ebb54f9");
        let mut r = Reader::new(&o);
        let p = tpm2b(&mut r).unwrap();
        assert!(blank_public(&o[..2 + p.len()]).is_some());
        let cd = tpm2b(&mut r).unwrap();
        assert!(creation_data_shape(cd).is_some());
        let h = tpm2b(&mut r).unwrap();
        assert_eq!(h.len(), 32);
        assert!(ticket_shape(&mut r).is_some());
        assert!(tpm2b(&mut r).is_some());
        assert!(r.is_empty());
        assert!(created(cc::CREATE_PRIMARY, &o, &o).is_some());
    }
}
