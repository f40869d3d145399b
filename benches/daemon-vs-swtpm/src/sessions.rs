//! Session round trips on both daemons (issue 5): Unseal through a salted (RSA-2048 SRK),
//! AES-CFB response-encrypting HMAC session, and StartAuthSession + PolicyPCR + Unseal
//! through a policy session. This is a small TSS of its own: salt encryption, session
//! key, command HMAC, nonce rolling and response decryption (checked: the unsealed data
//! must come back).

use super::{command, round_trip, Server};
use std::time::Instant;
use tpm2_crypto::rsa::RsaPublicKey;
use tpm2_crypto::{hash::Hasher, hmac, kdf::kdfa, sym::aes_cfb};
use tpm2_types::HashAlg;

const OWNER: u32 = 0x4000_0001;
const SECRET: &[u8] = b"bench secret";
const SHA256: HashAlg = HashAlg::Sha256;

fn tpm2b(b: &[u8]) -> Vec<u8> {
    let mut v = (b.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(b);
    v
}

fn ok(s: &Server, what: &str, r: &[u8]) {
    assert_eq!(r[6..10], [0, 0, 0, 0], "{} answered {:02x?} to {what}", s.name, &r[6..10]);
}

/// A command, retried once on TPM_RC_RETRY.
fn call(s: &mut Server, what: &str, cmd: &[u8]) -> Vec<u8> {
    let mut r = round_trip(&mut s.conn, cmd);
    if r[6..10] == [0, 0, 9, 0x22] {
        r = round_trip(&mut s.conn, cmd);
    }
    ok(s, what, &r);
    r
}

fn u16_at(r: &[u8], at: usize) -> usize {
    u16::from_be_bytes([r[at], r[at + 1]]) as usize
}

fn handle(r: &[u8]) -> u32 {
    u32::from_be_bytes([r[10], r[11], r[12], r[13]])
}

/// A command with one session entry (`handle`, nonce, attributes, hmac).
fn with_session(code: u32, handles: &[u32], session: u32, nonce: &[u8], attrs: u8, mac: &[u8], params: &[u8]) -> Vec<u8> {
    let mut area = session.to_be_bytes().to_vec();
    area.extend(tpm2b(nonce));
    area.push(attrs);
    area.extend(tpm2b(mac));
    let mut body = Vec::new();
    for h in handles {
        body.extend_from_slice(&h.to_be_bytes());
    }
    body.extend_from_slice(&(area.len() as u32).to_be_bytes());
    body.extend(area);
    body.extend_from_slice(params);
    let mut out = 0x8002u16.to_be_bytes().to_vec();
    out.extend_from_slice(&((body.len() + 10) as u32).to_be_bytes());
    out.extend_from_slice(&code.to_be_bytes());
    out.extend(body);
    out
}

/// An RSA-2048 SRK, a sealed object under it (loaded): (srk, its public key, item, item name).
fn setup(s: &mut Server) -> (u32, RsaPublicKey, u32, Vec<u8>) {
    let srk_t = [
        0, 1, 0, 0x0B, 0, 3, 0, 0x72, 0, 0, 0, 6, 0, 0x80, 0, 0x43, 0, 0x10, 8, 0, 0, 0, 0, 0, 0, 0,
    ];
    let mut p = vec![0, 4, 0, 0, 0, 0];
    p.extend(tpm2b(&srk_t));
    p.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let r = call(s, "CreatePrimary", &command(0x131, &[OWNER], true, &p));
    let srk = handle(&r);
    // outPublic: parameterSize (4) after the handle, then TPM2B_PUBLIC; the modulus is its
    // unique field, the last 256 bytes.
    let n = u16_at(&r, 18);
    let public = &r[20..20 + n];
    let modulus = &public[public.len() - 256..];
    let key = RsaPublicKey::new(modulus, 65537).unwrap();
    // A sealed object with an empty authValue and the policy PolicyPCR(sha256:0) of the
    // current PCR 0, computed by a trial session on the TPM itself.
    let policy = pcr_policy(s);
    // fixedTPM | fixedParent | userWithAuth: the HMAC session and the policy both work.
    let mut sealed = vec![0, 8, 0, 0x0B, 0, 0, 0, 0x52];
    sealed.extend(tpm2b(&policy));
    sealed.extend_from_slice(&[0, 0x10, 0, 0]);
    let mut p = tpm2b(&{
        let mut v = tpm2b(b"");
        v.extend(tpm2b(SECRET));
        v
    });
    p.extend(tpm2b(&sealed));
    p.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    let r = call(s, "Create", &command(0x153, &[srk], true, &p));
    let mut at = 14;
    let mut take = || {
        let n = u16_at(&r, at);
        let v = r[at..at + 2 + n].to_vec();
        at += 2 + n;
        v
    };
    let mut load = take();
    let pubarea = take();
    load.extend_from_slice(&pubarea);
    let r = call(s, "Load", &command(0x157, &[srk], true, &load));
    let item = handle(&r);
    let name = r[20..20 + u16_at(&r, 18)].to_vec();
    (srk, key, item, name)
}

fn start_session(s: &mut Server, tpm_key: u32, salt: &[u8], kind: u8, sym: &[u8], nonce: &[u8]) -> (u32, Vec<u8>) {
    let mut p = tpm2b(nonce);
    p.extend(tpm2b(salt));
    p.push(kind);
    p.extend_from_slice(sym);
    p.extend_from_slice(&[0, 0x0B]);
    let r = call(s, "StartAuthSession", &command(0x176, &[tpm_key, 0x4000_0007], false, &p));
    (handle(&r), r[16..16 + u16_at(&r, 14)].to_vec())
}

fn pcr_select() -> Vec<u8> {
    vec![0, 0, 0, 1, 0, 0x0B, 3, 1, 0, 0]
}

fn pcr_policy(s: &mut Server) -> Vec<u8> {
    let (h, _) = start_session(s, 0x4000_0007, b"", 3, &[0, 0x10], &[1; 16]);
    let mut p = tpm2b(b"");
    p.extend(pcr_select());
    call(s, "PolicyPCR", &command(0x17F, &[h], false, &p));
    let r = call(s, "PolicyGetDigest", &command(0x189, &[h], false, &[]));
    let d = r[12..12 + u16_at(&r, 10)].to_vec();
    let r = round_trip(&mut s.conn, &command(0x165, &[], false, &h.to_be_bytes()));
    ok(s, "FlushContext", &r);
    d
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// Runs both measurements on each server, interleaved; prints the table.
pub fn run(servers: &mut [Server], rounds: usize) {
    let mut salted: [Vec<f64>; 2] = Default::default();
    let mut policy: [Vec<f64>; 2] = Default::default();
    let mut setups = Vec::new();
    for s in servers.iter_mut() {
        setups.push(setup(s));
    }
    for round in 0..rounds {
        let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for &i in &order {
            let s = &mut servers[i];
            let (srk, key, item, name) = (setups[i].0, setups[i].1.clone(), setups[i].2, setups[i].3.clone());
            // A salted HMAC session with AES-128-CFB.
            let salt = [0x5A; 32];
            let mut rng = |out: &mut [u8]| out.fill(0x42);
            let enc = key.encrypt_oaep(SHA256, b"SECRET\0", &salt, &mut rng).unwrap();
            let mut nonce_caller = vec![7u8; 16];
            let (sh, mut nonce_tpm) = start_session(s, srk, &enc, 0, &[0, 6, 0, 0x80, 0, 0x43], &nonce_caller);
            let session_key = kdfa(SHA256, &salt, b"ATH", &nonce_tpm, &nonce_caller, 256);
            for _ in 0..10 {
                nonce_caller = nonce_caller.iter().map(|b| b.wrapping_add(1)).collect();
                let attrs = 0x41; // continueSession | encrypt
                let cp = Hasher::new(SHA256).with(&0x15Eu32.to_be_bytes()).with(&name).finish();
                let mac = hmac(SHA256, &session_key, &[&cp, &nonce_caller, &nonce_tpm, &[attrs]]);
                let cmd = with_session(0x15E, &[item], sh, &nonce_caller, attrs, &mac, &[]);
                let t = Instant::now();
                let r = call(s, "Unseal (salted session)", &cmd);
                salted[i].push(t.elapsed().as_secs_f64() * 1e3);
                // parameterSize, outData, then the session: nonceTPM, attributes, hmac.
                let psize = u32::from_be_bytes([r[10], r[11], r[12], r[13]]) as usize;
                let mut data = r[16..14 + psize].to_vec();
                let at = 14 + psize;
                nonce_tpm = r[at + 2..at + 2 + u16_at(&r, at)].to_vec();
                // Response encryption: KDFa(key, "CFB", nonceTPM, nonceCaller) → key, IV.
                let kiv = kdfa(SHA256, &session_key, b"CFB", &nonce_tpm, &nonce_caller, 256);
                let iv: [u8; 16] = kiv[16..32].try_into().unwrap();
                assert_ne!(data, SECRET, "{}: the response was not encrypted", s.name);
                aes_cfb(&kiv[..16], &iv, &mut data, false);
                assert_eq!(data, SECRET, "{}: unsealed data", s.name);
            }
            let r = round_trip(&mut s.conn, &command(0x165, &[], false, &sh.to_be_bytes()));
            ok(s, "FlushContext", &r);
            // PolicyPCR + Unseal, a fresh policy session each time.
            for _ in 0..10 {
                let t = Instant::now();
                let (ph, _) = start_session(s, 0x4000_0007, b"", 1, &[0, 0x10], &[3; 16]);
                let mut p = tpm2b(b"");
                p.extend(pcr_select());
                call(s, "PolicyPCR", &command(0x17F, &[ph], false, &p));
                let cmd = with_session(0x15E, &[item], ph, &[4; 16], 0, &[], &[]);
                let r = call(s, "Unseal (policy session)", &cmd);
                policy[i].push(t.elapsed().as_secs_f64() * 1e3);
                assert_eq!(&r[16..16 + SECRET.len()], SECRET);
            }
        }
    }
    println!("\nSession round trips, {rounds} interleaved rounds × 10 (medians, ms)\n");
    println!("| operation | ferrotpm | swtpm | ferrotpm / swtpm |");
    println!("|---|---:|---:|---:|");
    for (name, [f, s]) in [
        ("Unseal, salted AES-CFB HMAC session (one command)", salted),
        ("StartAuthSession + PolicyPCR + Unseal", policy),
    ] {
        let (f, s) = (median(f), median(s));
        println!("| {name} | {f:.3} | {s:.3} | {:.3}× |", f / s);
    }
}
