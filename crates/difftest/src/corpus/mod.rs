//! The corpus: named cases, each a short sequence of steps run on a freshly manufactured,
//! started TPM. Deterministic: the same seed gives the same cases, byte for byte.
//!
//! Families live in submodules; each adds valid commands, hand-written semantic errors
//! (bad handles, selectors, passwords, localities) and, through [`Corpus::mutated`],
//! mechanical malformations of a valid command (truncation, wrong size fields, bad tags,
//! trailing bytes).

mod attestation;
mod audit;
mod capability;
mod core;
mod credential;
mod hierarchy;
mod hmac;
mod nv;
mod object;
mod pcr;
mod policy;
mod policy_assertions;
mod sessions;

use crate::cmd::{fix_size, Cmd};
use std::collections::BTreeSet;

/// The corpus seed. Changing it changes which truncation offsets are tried.
pub const SEED: u64 = 0x6665_7272_6f74_706d;

/// One step of a case.
#[derive(Clone, Debug)]
pub enum Step {
    /// A TPM command at a locality.
    Cmd { loc: u8, bytes: Vec<u8> },
    /// `_TPM_Init` (swtpm: `CMD_INIT`); `TPM2_Startup` has to follow.
    Init,
    /// `_TPM_Hash_Start`, `_TPM_Hash_Data(data)`, `_TPM_Hash_End` (swtpm: `CMD_HASH_*`).
    HashSequence(Vec<u8>),
    /// `TPM2_StartAuthSession` (no tpmKey); each TPM's session is remembered for
    /// [`Step::Auth`] by start order.
    StartSession(StartSpec),
    /// A command whose session area is computed for each TPM from its own nonces.
    Auth(AuthCmd),
    /// A command whose parameters reuse parts of earlier responses, each TPM its own
    /// (the private/public blobs of a Create, a signature, a saved context).
    Ref(RefCmd),
}

/// The parameters of a [`Step::Ref`]: fixed bytes and parts of earlier responses.
#[derive(Clone, Debug)]
pub struct RefCmd {
    pub loc: u8,
    pub code: u32,
    pub handles: Vec<u32>,
    /// One password session per entry (none: no authorization area).
    pub pws: Vec<Vec<u8>>,
    pub parts: Vec<Part>,
}

/// A piece of a [`RefCmd`]'s parameter area.
#[derive(Clone, Debug)]
pub enum Part {
    Raw(Vec<u8>),
    /// The `index`-th `TPM2B` (size included) of the response parameters of step `step`
    /// (1-based) of the same TPM.
    Field {
        step: usize,
        index: usize,
    },
    /// The whole response parameter area of step `step`.
    All {
        step: usize,
    },
    /// The ticket (`TPMT_TK_*`: tag, hierarchy, a `TPM2B` digest) that follows the first
    /// `after` `TPM2B`s of the response parameters of step `step` (CreatePrimary's
    /// creationTicket follows three).
    Ticket {
        step: usize,
        after: usize,
    },
    /// A part with the byte at `at` (from the start; counted from the end if negative)
    /// XORed with `mask`.
    Flip {
        part: Box<Part>,
        at: isize,
        mask: u8,
    },
}

impl Part {
    /// The same part with its step numbers moved by `n` (steps put in front of a case).
    pub fn shift(&mut self, n: usize) {
        match self {
            Part::Raw(_) => {}
            Part::Field { step, .. } | Part::All { step } | Part::Ticket { step, .. } => *step += n,
            Part::Flip { part, .. } => part.shift(n),
        }
    }

    /// This part for one TPM, from the parameter areas of its successful responses so far
    /// (`None`: a failed step or one without a response).
    pub fn bytes(&self, responses: &[Option<Vec<u8>>]) -> Vec<u8> {
        match self {
            Part::Raw(b) => b.clone(),
            Part::Field { step, index } => {
                let p = resp_params(responses, *step);
                let mut at = 0usize;
                for _ in 0..*index {
                    let n = p
                        .get(at..at + 2)
                        .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
                    at += 2 + n as usize;
                }
                let n = p
                    .get(at..at + 2)
                    .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]));
                p.get(at..at + 2 + n as usize)
                    .map_or_else(|| vec![0, 0], |b| b.to_vec())
            }
            Part::All { step } => resp_params(responses, *step),
            Part::Ticket { step, after } => {
                let p = resp_params(responses, *step);
                let size_at = |at: usize| {
                    p.get(at..at + 2)
                        .map_or(0, |b| u16::from_be_bytes([b[0], b[1]]) as usize)
                };
                let mut at = 0usize;
                for _ in 0..*after {
                    at += 2 + size_at(at);
                }
                let end = at + 6 + 2 + size_at(at + 6);
                p.get(at..end).map_or_else(Vec::new, |b| b.to_vec())
            }
            Part::Flip { part, at, mask } => {
                let mut b = part.bytes(responses);
                let i = if *at < 0 {
                    b.len().checked_sub(at.unsigned_abs())
                } else {
                    Some(*at as usize)
                };
                if let Some(x) = i.and_then(|i| b.get_mut(i)) {
                    *x ^= mask;
                }
                b
            }
        }
    }
}

/// The stored parameter area of step `step` (1-based; empty if it had none).
fn resp_params(params: &[Option<Vec<u8>>], step: usize) -> Vec<u8> {
    step.checked_sub(1)
        .and_then(|i| params.get(i))
        .and_then(|p| p.clone())
        .unwrap_or_default()
}

impl RefCmd {
    /// The command bytes for one TPM.
    pub fn bytes(&self, responses: &[Option<Vec<u8>>]) -> Vec<u8> {
        let mut c = Cmd::new(self.code);
        for h in &self.handles {
            c = c.h(*h);
        }
        for p in &self.pws {
            c = c.pw(p);
        }
        for p in &self.parts {
            c = c.raw(&p.bytes(responses));
        }
        c.build()
    }
}

/// The parameters of a `TPM2_StartAuthSession` step.
#[derive(Clone, Debug)]
pub struct StartSpec {
    pub bind: u32,
    /// The bound entity's authValue, for the session key.
    pub bind_auth: Vec<u8>,
    pub kind: u8,
    /// `TPMT_SYM_DEF` bytes.
    pub sym: Vec<u8>,
    pub hash: u16,
    pub nonce: Vec<u8>,
}

/// A command authorized through sessions of the case.
#[derive(Clone, Debug)]
pub struct AuthCmd {
    pub code: u32,
    pub handles: Vec<u32>,
    /// The handles' Names, for cpHash.
    pub names: Vec<Vec<u8>>,
    pub params: Vec<u8>,
    pub uses: Vec<AuthUse>,
}

#[derive(Clone, Debug)]
pub enum AuthUse {
    Pw(Vec<u8>),
    /// Session number `index` (start order), with these attributes and the authValue its
    /// HMAC key includes (`None`: none). With `decrypt`/`encrypt` in `attrs` the runner
    /// encrypts the first parameter and decrypts the first response parameter with the
    /// session key and `crypt_auth` (the authorized entity's authValue, Part 1, §21.1).
    Session {
        index: usize,
        attrs: u8,
        auth: Option<Vec<u8>>,
        crypt_auth: Vec<u8>,
    },
}

#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    pub steps: Vec<Step>,
}

/// The first authorization of a DA-protected entity after manufacture is answered
/// `TPM_RC_RETRY` (libtpms records `daUsed` first; the engine does the same): these steps
/// spend it on a sealed NULL-hierarchy primary (CreatePrimary, Unseal, FlushContext), so
/// the steps after them are what a case tests.
pub fn da_warm_up() -> Vec<Step> {
    use tpm2_types::constants::{alg, cc, obj_attr, rh};
    let b2 = |d: &[u8]| [&(d.len() as u16).to_be_bytes()[..], d].concat();
    let mut sealed = alg::KEYEDHASH.to_be_bytes().to_vec();
    sealed.extend_from_slice(&alg::SHA256.to_be_bytes());
    let attrs = obj_attr::FIXED_TPM | obj_attr::FIXED_PARENT | obj_attr::USER_WITH_AUTH;
    sealed.extend_from_slice(&attrs.to_be_bytes());
    sealed.extend(b2(&[])); // authPolicy
    sealed.extend_from_slice(&alg::NULL.to_be_bytes()); // scheme
    sealed.extend(b2(&[])); // unique
    let t0 = 0x8000_0000;
    vec![
        c(Cmd::new(cc::CREATE_PRIMARY)
            .h(rh::NULL)
            .pw(b"")
            .raw(&b2(&[b2(&[]), b2(b"w")].concat()))
            .raw(&b2(&sealed))
            .b(&[])
            .u32(0)),
        c(Cmd::new(cc::UNSEAL).h(t0).pw(b"")),
        c(Cmd::new(cc::FLUSH_CONTEXT).h(t0)),
    ]
}

/// Puts [`da_warm_up`] in front of `steps`, moving the step numbers of [`Step::Ref`]
/// parts along.
pub fn with_da_warm_up(steps: &mut Vec<Step>) {
    let w = da_warm_up();
    for s in steps.iter_mut() {
        if let Step::Ref(r) = s {
            for p in &mut r.parts {
                p.shift(w.len());
            }
        }
    }
    steps.splice(0..0, w);
}

/// A command at locality 0.
pub fn c(cmd: Cmd) -> Step {
    at(0, cmd)
}

/// A command at a locality.
pub fn at(loc: u8, cmd: Cmd) -> Step {
    Step::Cmd {
        loc,
        bytes: cmd.build(),
    }
}

/// Raw command bytes at locality 0.
pub fn raw(bytes: Vec<u8>) -> Step {
    Step::Cmd { loc: 0, bytes }
}

/// splitmix64: small, seeded, reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

pub struct Corpus {
    pub cases: Vec<Case>,
    pub rng: Rng,
}

impl Corpus {
    fn new(seed: u64) -> Self {
        Corpus {
            cases: Vec::new(),
            rng: Rng(seed),
        }
    }

    /// Adds a case.
    pub fn case(&mut self, name: impl Into<String>, steps: Vec<Step>) {
        self.cases.push(Case {
            name: name.into(),
            steps,
        });
    }

    /// Adds a one-command case at locality 0.
    pub fn one(&mut self, name: impl Into<String>, cmd: Cmd) {
        self.case(name, vec![c(cmd)]);
    }

    /// Adds `name` (setup, then the command at `loc`) and its malformed variants
    /// (`name/trunc@N`, `name/size+1`, ...), each after the same setup.
    pub fn mutated(&mut self, name: &str, setup: Vec<Step>, loc: u8, cmd: Cmd) {
        let bytes = cmd.build();
        let with = |suffix: String, b: Vec<u8>| {
            let mut steps = setup.clone();
            steps.push(Step::Cmd { loc, bytes: b });
            (format!("{name}{suffix}"), steps)
        };
        let mut out = vec![with(String::new(), bytes.clone())];
        for (suffix, b) in malformations(&mut self.rng, &bytes) {
            out.push(with(format!("/{suffix}"), b));
        }
        for (n, s) in out {
            self.case(n, s);
        }
    }
}

/// Mechanical malformations of a well-formed command.
fn malformations(rng: &mut Rng, bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let len = bytes.len();
    let mut out = Vec::new();
    // Truncated parameter/handle areas with a consistent header: the header alone, the
    // last byte missing, and up to three offsets in between.
    let mut cuts = BTreeSet::new();
    if len > 10 {
        cuts.insert(10);
        cuts.insert(len - 1);
        for _ in 0..3 {
            if len > 12 {
                cuts.insert(11 + rng.below(len - 12));
            }
        }
    }
    for n in cuts {
        let mut b = bytes[..n].to_vec();
        fix_size(&mut b);
        out.push((format!("trunc@{n}"), b));
    }
    // The header's size field disagreeing with the bytes sent.
    for (suffix, size) in [
        ("size+1", len as u32 + 1),
        ("size-1", len as u32 - 1),
        ("size=4097", 4097),
    ] {
        let mut b = bytes.to_vec();
        b[2..6].copy_from_slice(&size.to_be_bytes());
        out.push((suffix.to_string(), b));
    }
    // Tags: a TPM 1.2 request tag, an undefined one, and the other TPM 2 tag.
    let tag = u16::from_be_bytes([bytes[0], bytes[1]]);
    for t in [0x00C1u16, 0x8003, tag ^ 0x8001 ^ 0x8002] {
        let mut b = bytes.to_vec();
        b[0..2].copy_from_slice(&t.to_be_bytes());
        out.push((format!("tag={t:04x}"), b));
    }
    // Trailing bytes after the last parameter.
    for extra in [1usize, 4] {
        let mut b = bytes.to_vec();
        b.extend(std::iter::repeat_n(0xA5, extra));
        fix_size(&mut b);
        out.push((format!("trailing+{extra}"), b));
    }
    out
}

/// Every case of the corpus, in a fixed order.
pub fn all() -> Vec<Case> {
    let mut k = Corpus::new(SEED);
    core::add(&mut k);
    sessions::add(&mut k);
    hmac::add(&mut k);
    policy::add(&mut k);
    policy_assertions::add(&mut k);
    capability::add(&mut k);
    pcr::add(&mut k);
    hierarchy::add(&mut k);
    nv::add(&mut k);
    object::add(&mut k);
    attestation::add(&mut k);
    audit::add(&mut k);
    credential::add(&mut k);
    k.cases
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_unique() {
        let a = all();
        let b = all();
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.name, y.name);
            assert_eq!(format!("{:?}", x.steps), format!("{:?}", y.steps));
        }
        let names: BTreeSet<&str> = a.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names.len(), a.len(), "case names are unique");
        assert!(a.len() >= 300, "several hundred cases, got {}", a.len());
    }
}
