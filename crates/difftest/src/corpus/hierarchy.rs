//! Hierarchy commands: HierarchyChangeAuth, HierarchyControl, Clear, ClearControl,
//! ChangeEPS/PPS, SetPrimaryPolicy, dictionary-attack lock reset and parameters,
//! ReadClock, ClockSet, ClockRateAdjust — and what their effects do to other commands.

use super::{at, c, Corpus, Step};
use crate::cmd::Cmd;
use tpm2_types::constants::{cc, rh, su};

const SHA256: u16 = 0x000B;
const HIERARCHIES: [(u32, &str); 4] = [
    (rh::OWNER, "owner"),
    (rh::ENDORSEMENT, "endorsement"),
    (rh::PLATFORM, "platform"),
    (rh::LOCKOUT, "lockout"),
];

fn change_auth(h: u32, pw: &[u8], new: &[u8]) -> Cmd {
    Cmd::new(cc::HIERARCHY_CHANGE_AUTH).h(h).pw(pw).b(new)
}

fn control(h: u32, enable: u32, state: u8) -> Cmd {
    Cmd::new(cc::HIERARCHY_CONTROL)
        .h(h)
        .pw(b"")
        .u32(enable)
        .u8(state)
}

fn clear(h: u32, pw: &[u8]) -> Cmd {
    Cmd::new(cc::CLEAR).h(h).pw(pw)
}

fn clear_control(h: u32, disable: u8) -> Cmd {
    Cmd::new(cc::CLEAR_CONTROL).h(h).pw(b"").u8(disable)
}

fn primary_policy(h: u32, digest: &[u8], alg: u16) -> Cmd {
    Cmd::new(cc::SET_PRIMARY_POLICY)
        .h(h)
        .pw(b"")
        .b(digest)
        .u16(alg)
}

fn da_params(pw: &[u8], max: u32, recovery: u32, lockout: u32) -> Cmd {
    Cmd::new(cc::DICTIONARY_ATTACK_PARAMETERS)
        .h(rh::LOCKOUT)
        .pw(pw)
        .u32(max)
        .u32(recovery)
        .u32(lockout)
}

fn da_reset(pw: &[u8]) -> Cmd {
    Cmd::new(cc::DICTIONARY_ATTACK_LOCK_RESET)
        .h(rh::LOCKOUT)
        .pw(pw)
}

fn hash_in(h: u32) -> Cmd {
    Cmd::new(cc::HASH).b(b"x").u16(SHA256).u32(h)
}

fn read_clock() -> Cmd {
    Cmd::new(cc::READ_CLOCK)
}

pub fn add(k: &mut Corpus) {
    auth_values(k);
    enables(k);
    clears(k);
    policies(k);
    dictionary_attack(k);
    clock(k);
}

fn auth_values(k: &mut Corpus) {
    for (h, name) in HIERARCHIES {
        k.case(
            format!("hier/change-auth/{name}"),
            vec![
                c(change_auth(h, b"", b"new-secret")),
                c(change_auth(h, b"", b"again")),
                c(change_auth(h, b"new-secret\0", b"")),
                c(change_auth(h, b"", b"")),
            ],
        );
    }
    k.mutated(
        "hier/change-auth/owner-mutated",
        vec![],
        0,
        change_auth(rh::OWNER, b"", b"pw"),
    );
    k.one(
        "hier/change-auth/too-long",
        change_auth(rh::OWNER, b"", &[1; 65]),
    );
    k.one(
        "hier/change-auth/sha256-size",
        change_auth(rh::OWNER, b"", &[1; 32]),
    );
    k.one(
        "hier/change-auth/null-handle",
        change_auth(rh::NULL, b"", b"x"),
    );
    k.one("hier/change-auth/pcr-handle", change_auth(0, b"", b"x"));
    k.one(
        "hier/change-auth/nv-handle",
        change_auth(0x0150_0000, b"", b"x"),
    );
    k.case(
        "hier/change-auth/platform-reset-by-startup",
        vec![
            c(change_auth(rh::PLATFORM, b"", b"pp")),
            c(Cmd::new(cc::SHUTDOWN).u16(su::CLEAR)),
            Step::Init,
            c(Cmd::new(cc::STARTUP).u16(su::CLEAR)),
            c(change_auth(rh::PLATFORM, b"", b"")),
        ],
    );
    k.case(
        "hier/change-auth/lockout-wrong-password",
        vec![
            c(change_auth(rh::LOCKOUT, b"", b"lock")),
            c(change_auth(rh::LOCKOUT, b"bad", b"")),
            c(change_auth(rh::LOCKOUT, b"lock", b"")),
        ],
    );
}

fn enables(k: &mut Corpus) {
    let enables = [
        (rh::OWNER, "owner"),
        (rh::ENDORSEMENT, "endorsement"),
        (rh::PLATFORM, "platform"),
        (rh::PLATFORM_NV, "platform-nv"),
    ];
    for (e, name) in enables {
        k.case(
            format!("hier/control/platform-disables-{name}"),
            vec![
                c(control(rh::PLATFORM, e, 0)),
                c(hash_in(rh::OWNER)),
                c(hash_in(rh::ENDORSEMENT)),
                c(hash_in(rh::PLATFORM)),
                c(control(rh::PLATFORM, e, 1)),
                c(Cmd::new(cc::GET_CAPABILITY).u32(6).u32(0x201).u32(1)),
            ],
        );
    }
    k.mutated(
        "hier/control/owner-self",
        vec![],
        0,
        control(rh::OWNER, rh::OWNER, 0),
    );
    k.case(
        "hier/control/owner-cannot-reenable",
        vec![
            c(control(rh::OWNER, rh::OWNER, 0)),
            c(control(rh::OWNER, rh::OWNER, 1)),
        ],
    );
    k.one(
        "hier/control/owner-disables-endorsement",
        control(rh::OWNER, rh::ENDORSEMENT, 0),
    );
    k.one(
        "hier/control/endorsement-self",
        control(rh::ENDORSEMENT, rh::ENDORSEMENT, 0),
    );
    k.one(
        "hier/control/bad-enable",
        control(rh::PLATFORM, rh::LOCKOUT, 0),
    );
    k.one(
        "hier/control/bad-state",
        control(rh::PLATFORM, rh::OWNER, 2),
    );
    k.one(
        "hier/control/lockout-handle",
        control(rh::LOCKOUT, rh::OWNER, 0),
    );
    k.case(
        "hier/control/restored-by-startup",
        vec![
            c(control(rh::PLATFORM, rh::ENDORSEMENT, 0)),
            c(Cmd::new(cc::SHUTDOWN).u16(su::CLEAR)),
            Step::Init,
            c(Cmd::new(cc::STARTUP).u16(su::CLEAR)),
            c(hash_in(rh::ENDORSEMENT)),
        ],
    );
}

fn clears(k: &mut Corpus) {
    k.mutated("hier/clear/lockout", vec![], 0, clear(rh::LOCKOUT, b""));
    k.one("hier/clear/platform", clear(rh::PLATFORM, b""));
    k.one("hier/clear/owner", clear(rh::OWNER, b""));
    k.case(
        "hier/clear/resets-owner-auth",
        vec![
            c(change_auth(rh::OWNER, b"", b"o")),
            c(change_auth(rh::ENDORSEMENT, b"", b"e")),
            c(change_auth(rh::LOCKOUT, b"", b"l")),
            c(clear(rh::LOCKOUT, b"l")),
            c(change_auth(rh::OWNER, b"", b"")),
            c(change_auth(rh::LOCKOUT, b"", b"")),
        ],
    );
    k.case(
        "hier/clear/disabled",
        vec![
            c(clear_control(rh::PLATFORM, 1)),
            c(clear(rh::LOCKOUT, b"")),
            c(clear(rh::PLATFORM, b"")),
            c(clear_control(rh::LOCKOUT, 0)),
            c(clear_control(rh::PLATFORM, 0)),
            c(clear(rh::LOCKOUT, b"")),
        ],
    );
    k.mutated(
        "hier/clear-control/lockout",
        vec![],
        0,
        clear_control(rh::LOCKOUT, 1),
    );
    k.one(
        "hier/clear-control/bad-yes-no",
        clear_control(rh::PLATFORM, 9),
    );
    k.one("hier/clear-control/owner", clear_control(rh::OWNER, 1));
    k.mutated(
        "hier/change-pps",
        vec![],
        0,
        Cmd::new(cc::CHANGE_PPS).h(rh::PLATFORM).pw(b""),
    );
    k.one(
        "hier/change-eps",
        Cmd::new(cc::CHANGE_EPS).h(rh::PLATFORM).pw(b""),
    );
    k.one(
        "hier/change-eps-owner",
        Cmd::new(cc::CHANGE_EPS).h(rh::OWNER).pw(b""),
    );
    k.case(
        "hier/change-eps-resets-endorsement",
        vec![
            c(change_auth(rh::ENDORSEMENT, b"", b"e")),
            c(Cmd::new(cc::CHANGE_EPS).h(rh::PLATFORM).pw(b"")),
            c(change_auth(rh::ENDORSEMENT, b"", b"")),
        ],
    );
}

fn policies(k: &mut Corpus) {
    for (h, name) in HIERARCHIES {
        k.case(
            format!("hier/primary-policy/{name}"),
            vec![
                c(primary_policy(h, &[0xAB; 32], SHA256)),
                c(Cmd::new(cc::GET_CAPABILITY).u32(9).u32(0x4000_0000).u32(16)),
                c(primary_policy(h, &[], 0x0010)),
            ],
        );
    }
    k.mutated(
        "hier/primary-policy/mutated",
        vec![],
        0,
        primary_policy(rh::OWNER, &[1; 20], 0x0004),
    );
    k.one(
        "hier/primary-policy/wrong-size",
        primary_policy(rh::OWNER, &[1; 20], SHA256),
    );
    k.one(
        "hier/primary-policy/null-with-digest",
        primary_policy(rh::OWNER, &[1; 32], 0x0010),
    );
    k.one(
        "hier/primary-policy/bad-alg",
        primary_policy(rh::OWNER, &[1; 32], 0x7777),
    );
    k.one(
        "hier/primary-policy/null-handle",
        primary_policy(rh::NULL, &[], 0x0010),
    );
}

fn dictionary_attack(k: &mut Corpus) {
    k.mutated("hier/da/parameters", vec![], 0, da_params(b"", 5, 60, 120));
    k.mutated("hier/da/lock-reset", vec![], 0, da_reset(b""));
    k.case(
        "hier/da/lockout-blocked",
        vec![
            c(da_reset(b"wrong")),
            c(da_reset(b"")),
            c(da_params(b"", 1, 1, 1)),
        ],
    );
    k.case(
        "hier/da/zero-tries",
        vec![
            c(da_params(b"", 0, 10, 10)),
            c(Cmd::new(cc::GET_CAPABILITY).u32(6).u32(0x200).u32(1)),
        ],
    );
    k.case(
        "hier/da/no-recovery",
        vec![
            c(da_params(b"", 3, 0, 0)),
            c(da_reset(b"x")),
            c(da_reset(b"")),
        ],
    );
    k.one(
        "hier/da/parameters-owner",
        Cmd::new(cc::DICTIONARY_ATTACK_PARAMETERS)
            .h(rh::OWNER)
            .pw(b"")
            .u32(1)
            .u32(1)
            .u32(1),
    );
    k.one(
        "hier/da/reset-platform",
        Cmd::new(cc::DICTIONARY_ATTACK_LOCK_RESET)
            .h(rh::PLATFORM)
            .pw(b""),
    );
}

fn clock(k: &mut Corpus) {
    k.mutated("clock/read", vec![], 0, read_clock());
    for loc in 1..=4u8 {
        k.case(
            format!("clock/read-locality{loc}"),
            vec![at(loc, read_clock())],
        );
    }
    let set = |h: u32, t: u64| Cmd::new(cc::CLOCK_SET).h(h).pw(b"").u64(t);
    k.mutated("clock/set-forward", vec![], 0, set(rh::OWNER, 1 << 40));
    k.case(
        "clock/set-backward",
        vec![
            c(set(rh::PLATFORM, 1 << 40)),
            c(set(rh::OWNER, 1 << 20)),
            c(read_clock()),
        ],
    );
    k.one("clock/set-endorsement", set(rh::ENDORSEMENT, 1 << 40));
    k.one("clock/set-max", set(rh::OWNER, u64::MAX));
    let rate = |h: u32, r: u8| Cmd::new(cc::CLOCK_RATE_ADJUST).h(h).pw(b"").u8(r);
    k.mutated("clock/rate-faster", vec![], 0, rate(rh::OWNER, 3));
    for (r, name) in [
        (0xFDu8, "coarse-slower"),
        (0, "none"),
        (1, "fine-faster"),
        (4, "out-of-range"),
        (0xFC, "out-of-range-neg"),
    ] {
        k.one(format!("clock/rate-{name}"), rate(rh::PLATFORM, r));
    }
    k.one("clock/rate-lockout", rate(rh::LOCKOUT, 1));
    k.case(
        "clock/restart-counters",
        vec![
            c(Cmd::new(cc::SHUTDOWN).u16(su::STATE)),
            Step::Init,
            c(Cmd::new(cc::STARTUP).u16(su::CLEAR)),
            c(read_clock()),
            c(Cmd::new(cc::SHUTDOWN).u16(su::STATE)),
            Step::Init,
            c(Cmd::new(cc::STARTUP).u16(su::STATE)),
            c(read_clock()),
            Step::Init,
            c(Cmd::new(cc::STARTUP).u16(su::CLEAR)),
            c(read_clock()),
        ],
    );
}
