//! Running a case on both TPMs and collecting every difference: per command, then the
//! state left behind (PCRs of every bank, variable TPM properties, NV indices).

use crate::cmd::{cc_name, code_of, Cmd};
use crate::compare::{compare, response_params, response_rc};
use crate::corpus::{Case, Step};
use crate::session::Client;
use crate::swtpm::Swtpm;
use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use tpm2_engine::{SimPlatform, Tpm};
use tpm2_types::constants::{cap, cc, nv_attr, pt, rh, su};
use tpm2_types::{Codec, Reader};

/// What kind of thing differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// The response codes differ.
    Rc,
    /// Same code, different response bytes (after normalization).
    Response,
    /// One side did not answer the command.
    NoResponse,
    /// A control-channel operation (locality, init, hash sequence) was refused.
    Ctrl,
    /// The engine panicked.
    Panic,
    /// PCR values or the update counter after the case.
    PcrState,
    /// Variable TPM properties (`TPM_PT_PERMANENT` and up) after the case.
    PropState,
    /// NV index list, public areas or contents after the case.
    NvState,
}

impl Kind {
    pub const ALL: [Kind; 8] = [
        Kind::Rc,
        Kind::Response,
        Kind::NoResponse,
        Kind::Ctrl,
        Kind::Panic,
        Kind::PcrState,
        Kind::PropState,
        Kind::NvState,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Rc => "rc",
            Kind::Response => "response",
            Kind::NoResponse => "no-response",
            Kind::Ctrl => "ctrl",
            Kind::Panic => "panic",
            Kind::PcrState => "pcr-state",
            Kind::PropState => "prop-state",
            Kind::NvState => "nv-state",
        }
    }
}

/// One observed difference.
#[derive(Clone, Debug)]
pub struct Diff {
    pub case: String,
    /// Step number (1-based) or 0 for the state checks after the case.
    pub step: usize,
    pub command: String,
    pub kind: Kind,
    pub detail: String,
}

impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = if self.step == 0 {
            "state".to_string()
        } else {
            format!("step {}", self.step)
        };
        write!(
            f,
            "{} [{at}] {} {}: {}",
            self.case,
            self.command,
            self.kind.name(),
            self.detail
        )
    }
}

/// The outcome of one case.
pub struct CaseResult {
    pub name: String,
    pub commands: usize,
    pub diffs: Vec<Diff>,
}

/// ferrotpm's engine, manufactured and started like a fresh `swtpm --flags startup-clear`.
pub struct Engine {
    pub tpm: Tpm,
}

impl Engine {
    pub fn new(seed: u64) -> Engine {
        let mut tpm = Tpm::manufacture(Box::new(SimPlatform::new(seed)));
        tpm.execute(0, &Cmd::new(cc::STARTUP).u16(su::CLEAR).build());
        Engine { tpm }
    }

    pub fn command(&mut self, loc: u8, bytes: &[u8]) -> Result<Vec<u8>, String> {
        catch_unwind(AssertUnwindSafe(|| self.tpm.execute(loc, bytes).response))
            .map_err(|p| panic_text(&p))
    }
}

fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string())
}

struct Ctx<'a> {
    case: &'a str,
    diffs: Vec<Diff>,
    commands: usize,
}

impl Ctx<'_> {
    fn add(&mut self, step: usize, command: &str, kind: Kind, detail: String) {
        self.diffs.push(Diff {
            case: self.case.to_string(),
            step,
            command: command.to_string(),
            kind,
            detail,
        });
    }
}

/// Our response (absent if the engine panicked) and swtpm's (absent if it did not answer).
type Pair = (Option<Vec<u8>>, Option<Vec<u8>>);

/// Sends one command to both; records differences of `kind_ok` class (per-command kinds
/// for steps, the given state kind for state probes). Returns both responses.
fn both(
    ctx: &mut Ctx<'_>,
    eng: &mut Engine,
    sw: &mut Swtpm,
    step: usize,
    loc: u8,
    bytes: &[u8],
    state_kind: Option<Kind>,
) -> Result<Pair, String> {
    both_split(ctx, eng, sw, step, loc, (bytes, bytes), state_kind)
}

/// [`both`] with different command bytes for each TPM (`(ours, theirs)`: sessions).
fn both_split(
    ctx: &mut Ctx<'_>,
    eng: &mut Engine,
    sw: &mut Swtpm,
    step: usize,
    loc: u8,
    (bytes, their_bytes): (&[u8], &[u8]),
    state_kind: Option<Kind>,
) -> Result<Pair, String> {
    let name = code_of(bytes).map_or_else(|| "(short)".to_string(), cc_name);
    let r = sw
        .set_locality(loc)
        .map_err(|e| format!("swtpm ctrl: {e}"))?;
    if r != 0 {
        ctx.add(
            step,
            &name,
            Kind::Ctrl,
            format!("SET_LOCALITY({loc}) -> {r:#x}"),
        );
    }
    let pair = send_at(ctx, eng, sw, step, &name, loc, bytes, their_bytes)?;
    let code = code_of(bytes).unwrap_or(0);
    record(
        ctx,
        step,
        &name,
        code,
        bytes,
        (&pair.0, &pair.1),
        state_kind,
    );
    Ok(pair)
}

/// Sends a command to both at locality 0 without comparing (the caller post-processes
/// the responses, then calls [`record`]).
fn send_both(
    ctx: &mut Ctx<'_>,
    eng: &mut Engine,
    sw: &mut Swtpm,
    step: usize,
    name: &str,
    bytes: &[u8],
    their_bytes: &[u8],
) -> Result<Pair, String> {
    sw.set_locality(0).map_err(|e| format!("swtpm ctrl: {e}"))?;
    send_at(ctx, eng, sw, step, name, 0, bytes, their_bytes)
}

#[allow(clippy::too_many_arguments)]
fn send_at(
    ctx: &mut Ctx<'_>,
    eng: &mut Engine,
    sw: &mut Swtpm,
    step: usize,
    name: &str,
    loc: u8,
    bytes: &[u8],
    their_bytes: &[u8],
) -> Result<Pair, String> {
    ctx.commands += 1;
    let theirs = sw
        .command(their_bytes)
        .map_err(|e| format!("swtpm data: {e}"))?;
    let ours = match eng.command(loc, bytes) {
        Ok(r) => Some(r),
        Err(p) => {
            ctx.add(step, name, Kind::Panic, p);
            None
        }
    };
    Ok((ours, theirs))
}

/// Records the differences between two responses to command `code` (request `req`).
fn record(
    ctx: &mut Ctx<'_>,
    step: usize,
    name: &str,
    code: u32,
    req: &[u8],
    (ours, theirs): (&Option<Vec<u8>>, &Option<Vec<u8>>),
    state_kind: Option<Kind>,
) {
    match (ours, theirs) {
        (Some(o), Some(t)) => {
            for (kind, detail) in compare(code, req, o, t) {
                ctx.add(step, name, state_kind.unwrap_or(kind), detail);
            }
        }
        (Some(o), None) => ctx.add(
            step,
            name,
            state_kind.unwrap_or(Kind::NoResponse),
            format!("swtpm did not answer; ours {}", response_rc(o)),
        ),
        (None, _) => {}
    }
}

/// Runs one case against a fresh engine and a fresh swtpm.
pub fn run_case(case: &Case, seed: u64) -> Result<CaseResult, String> {
    let mut sw = Swtpm::start().map_err(|e| format!("{}: cannot start swtpm: {e}", case.name))?;
    let mut eng = Engine::new(seed);
    let mut ctx = Ctx {
        case: &case.name,
        diffs: Vec::new(),
        commands: 0,
    };
    let (mut our_sessions, mut their_sessions) = (Client::default(), Client::default());
    // Each TPM's response parameters per step, for [`Step::Ref`].
    let (mut our_params, mut their_params) = (Vec::new(), Vec::new());
    for (i, step) in case.steps.iter().enumerate() {
        let n = i + 1;
        let mut pair: Pair = (None, None);
        let mut code = 0;
        match step {
            Step::Cmd { loc, bytes } => {
                pair = both(&mut ctx, &mut eng, &mut sw, n, *loc, bytes, None)?;
                code = code_of(bytes).unwrap_or(0);
            }
            Step::Ref(r) => {
                let (ob, tb) = (r.bytes(&our_params), r.bytes(&their_params));
                pair = both_split(&mut ctx, &mut eng, &mut sw, n, r.loc, (&ob, &tb), None)?;
                code = r.code;
            }
            Step::Init => {
                let r = sw.init().map_err(|e| format!("swtpm ctrl: {e}"))?;
                if r != 0 {
                    ctx.add(n, "_TPM_Init", Kind::Ctrl, format!("CMD_INIT -> {r:#x}"));
                }
                eng.tpm.init();
            }
            Step::HashSequence(data) => {
                let r = sw
                    .hash_sequence(data)
                    .map_err(|e| format!("swtpm ctrl: {e}"))?;
                if r != [0, 0, 0] {
                    ctx.add(
                        n,
                        "_TPM_Hash",
                        Kind::Ctrl,
                        format!("HASH_START/DATA/END -> {r:x?}"),
                    );
                }
                eng.tpm.hash_start();
                eng.tpm.hash_data(data);
                eng.tpm.hash_end();
            }
            Step::StartSession(spec) => {
                let b = spec.bytes();
                let (o, t) = both(&mut ctx, &mut eng, &mut sw, n, 0, &b, None)?;
                our_sessions.started(spec, o.as_deref().unwrap_or(&[]));
                their_sessions.started(spec, t.as_deref().unwrap_or(&[]));
            }
            Step::Auth(a) => {
                let (ob, tb) = (our_sessions.bytes(a), their_sessions.bytes(a));
                let name = cc_name(a.code);
                let (mut o, mut t) = send_both(&mut ctx, &mut eng, &mut sw, n, &name, &ob, &tb)?;
                if let Some(e) = o.as_mut().and_then(|o| our_sessions.response(a, o)) {
                    ctx.add(n, &name, Kind::Response, format!("ours: {e}"));
                }
                if let Some(e) = t.as_mut().and_then(|t| their_sessions.response(a, t)) {
                    ctx.add(n, &name, Kind::Response, format!("theirs: {e}"));
                }
                record(&mut ctx, n, &name, a.code, &ob, (&o, &t), None);
            }
        }
        let params = |r: &Option<Vec<u8>>| r.as_deref().and_then(|r| response_params(code, r));
        our_params.push(params(&pair.0));
        their_params.push(params(&pair.1));
    }
    compare_state(&mut ctx, &mut eng, &mut sw)?;
    Ok(CaseResult {
        name: case.name.clone(),
        commands: ctx.commands,
        diffs: ctx.diffs,
    })
}

/// Reads the state both TPMs were left in and compares it.
fn compare_state(ctx: &mut Ctx<'_>, eng: &mut Engine, sw: &mut Swtpm) -> Result<(), String> {
    // PCRs: every bank, 8 PCRs per read (the most one PCR_Read returns).
    for alg in [0x0004u16, 0x000B, 0x000C, 0x000D] {
        for chunk in 0..3usize {
            let mut sel = [0u8; 3];
            sel[chunk] = 0xFF;
            let c = Cmd::new(cc::PCR_READ).u32(1).u16(alg).u8(3).raw(&sel);
            both(ctx, eng, sw, 0, 0, &c.build(), Some(Kind::PcrState))?;
        }
    }
    // Variable properties: permanent and startup-clear attributes, counters, DA state.
    let c = Cmd::new(cc::GET_CAPABILITY)
        .u32(cap::TPM_PROPERTIES)
        .u32(pt::VAR)
        .u32(64);
    both(ctx, eng, sw, 0, 0, &c.build(), Some(Kind::PropState))?;
    // NV: the index list, then each index's public area and contents.
    let c = Cmd::new(cc::GET_CAPABILITY)
        .u32(cap::HANDLES)
        .u32(rh::NV_INDEX_FIRST)
        .u32(64);
    let (o, t) = both(ctx, eng, sw, 0, 0, &c.build(), Some(Kind::NvState))?;
    let mut handles = handle_list(o.as_deref());
    for h in handle_list(t.as_deref()) {
        if !handles.contains(&h) {
            handles.push(h);
        }
    }
    handles.sort_unstable();
    for h in handles {
        let c = Cmd::new(cc::NV_READ_PUBLIC).h(h);
        let (_, t) = both(ctx, eng, sw, 0, 0, &c.build(), Some(Kind::NvState))?;
        // Read the whole index through whichever authorization its attributes allow with
        // an empty password, in chunks of at most MAX_NV_BUFFER_SIZE.
        let Some((attrs, size)) = t.as_deref().and_then(nv_public) else {
            continue;
        };
        // The hierarchies' passwords are empty unless a case changed them; an index's own
        // password is whatever the case chose, so it is the last resort.
        let auth = if attrs & nv_attr::OWNERREAD != 0 {
            rh::OWNER
        } else if attrs & nv_attr::PPREAD != 0 {
            rh::PLATFORM
        } else if attrs & nv_attr::AUTHREAD != 0 {
            h
        } else {
            continue;
        };
        let nt = (attrs & nv_attr::TPM_NT_MASK) >> nv_attr::TPM_NT_SHIFT;
        let size = if matches!(nt, 1 | 2 | 8 | 9) { 8 } else { size };
        let mut off = 0u16;
        loop {
            let n = (size - off).min(1024);
            let c = Cmd::new(cc::NV_READ).h(auth).h(h).pw(b"").u16(n).u16(off);
            let (_, t) = both(ctx, eng, sw, 0, 0, &c.build(), Some(Kind::NvState))?;
            off += n;
            if off >= size || t.as_deref().is_none_or(|r| response_rc(r).0 != 0) {
                break;
            }
        }
    }
    Ok(())
}

/// The handles of a successful `GetCapability(TPM_CAP_HANDLES)` response.
fn handle_list(resp: Option<&[u8]>) -> Vec<u32> {
    let Some(r) = resp else { return Vec::new() };
    if response_rc(r).0 != 0 {
        return Vec::new();
    }
    let mut rd = Reader::new(&r[10..]);
    let parse = |rd: &mut Reader<'_>| -> Option<Vec<u32>> {
        let _more = rd.u8().ok()?;
        let _cap = rd.u32().ok()?;
        let n = rd.u32().ok()? as usize;
        (0..n.min(256)).map(|_| rd.u32().ok()).collect()
    };
    parse(&mut rd).unwrap_or_default()
}

/// Attributes and data size from a successful `NV_ReadPublic` response.
fn nv_public(resp: &[u8]) -> Option<(u32, u16)> {
    if response_rc(resp).0 != 0 {
        return None;
    }
    let mut rd = Reader::new(resp.get(10..)?);
    let _size = rd.u16().ok()?;
    let _index = rd.u32().ok()?;
    let _alg = rd.u16().ok()?;
    let attrs = rd.u32().ok()?;
    let policy = tpm2_types::Tpm2bDigest::read(&mut rd).ok()?;
    let _ = policy;
    let size = rd.u16().ok()?;
    Some((attrs, size))
}
