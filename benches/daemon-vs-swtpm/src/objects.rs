//! Object commands on both daemons (issue 4): CreatePrimary ECC P-256; CreatePrimary
//! RSA-2048 the first time (distinct templates: the primes per template vary a lot, so the
//! median over several) and repeated; Create+Load of an ECC child; Sign ECDSA P-256 and
//! RSA-2048 PKCS#1; RSA_Decrypt OAEP-2048; Quote with a restricted ECDSA P-256 AK (issue
//! 6). Each command must succeed; medians in ms.

use super::{command, round_trip, Server};
use std::time::Instant;

const OWNER: u32 = 0x4000_0001;

fn tpm2b(b: &[u8]) -> Vec<u8> {
    let mut v = (b.len() as u16).to_be_bytes().to_vec();
    v.extend_from_slice(b);
    v
}

fn public(ty: u16, attrs: u32, sym: &[u8], detail: &[u8], unique: &[u8]) -> Vec<u8> {
    let mut p = ty.to_be_bytes().to_vec();
    p.extend_from_slice(&0x000Bu16.to_be_bytes());
    p.extend_from_slice(&attrs.to_be_bytes());
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(sym);
    p.extend_from_slice(&0x0010u16.to_be_bytes()); // scheme NULL
    p.extend_from_slice(detail);
    p.extend_from_slice(unique);
    tpm2b(&p)
}

const STORAGE: u32 = 0x0003_0072;
const SIGN: u32 = 0x0004_0072;
const DECRYPT: u32 = 0x0002_0072;
const AES128CFB: [u8; 6] = [0, 6, 0, 0x80, 0, 0x43];
const SYM_NULL: [u8; 2] = [0, 0x10];

fn ecc(attrs: u32, sym: &[u8]) -> Vec<u8> {
    public(0x23, attrs, sym, &[0, 3, 0, 0x10], &[0, 0, 0, 0])
}

/// A restricted signing ECC P-256 key with ECDSA-SHA256 (an attestation key).
fn ecc_ak() -> Vec<u8> {
    let mut p = 0x23u16.to_be_bytes().to_vec();
    p.extend_from_slice(&0x000Bu16.to_be_bytes());
    p.extend_from_slice(&0x0005_0072u32.to_be_bytes()); // restricted | sign | userWithAuth ...
    p.extend_from_slice(&[0, 0]);
    p.extend_from_slice(&SYM_NULL);
    p.extend_from_slice(&[0, 0x18, 0, 0x0B]); // ECDSA, SHA-256
    p.extend_from_slice(&[0, 3, 0, 0x10]); // NIST P-256, no KDF
    p.extend_from_slice(&[0, 0, 0, 0]);
    tpm2b(&p)
}

/// TPM2_Quote of PCRs 0–7 (SHA-256) with a 16-byte nonce, the key's own scheme.
fn quote_cmd(key: u32) -> Vec<u8> {
    let mut p = tpm2b(&[0x5A; 16]);
    p.extend_from_slice(&[0, 0x10]); // inScheme NULL
    p.extend_from_slice(&[0, 0, 0, 1, 0, 0x0B, 3, 0xFF, 0, 0]);
    command(0x158, &[key], true, &p)
}

fn rsa(attrs: u32, sym: &[u8], unique: &[u8]) -> Vec<u8> {
    public(1, attrs, sym, &[8, 0, 0, 0, 0, 0], &tpm2b(unique))
}

fn create_params(public: &[u8]) -> Vec<u8> {
    let mut p = vec![0, 4, 0, 0, 0, 0];
    p.extend_from_slice(public);
    p.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    p
}

fn ok(s: &Server, what: &str, r: &[u8]) {
    assert_eq!(
        r[6..10],
        [0, 0, 0, 0],
        "{} answered {:02x?} to {what}",
        s.name,
        &r[6..10]
    );
}

/// One timed command (retried once on TPM_RC_RETRY, which both TPMs answer to the first
/// DA-protected authorization after a startup).
fn call(s: &mut Server, what: &str, cmd: &[u8]) -> (Vec<u8>, f64) {
    let mut t = Instant::now();
    let mut r = round_trip(&mut s.conn, cmd);
    if r[6..10] == [0, 0, 9, 0x22] {
        t = Instant::now();
        r = round_trip(&mut s.conn, cmd);
    }
    let ms = t.elapsed().as_secs_f64() * 1e3;
    ok(s, what, &r);
    (r, ms)
}

fn handle(r: &[u8]) -> u32 {
    u32::from_be_bytes([r[10], r[11], r[12], r[13]])
}

fn flush(s: &mut Server, h: u32) {
    let r = round_trip(&mut s.conn, &command(0x165, &[], false, &h.to_be_bytes()));
    ok(s, "FlushContext", &r);
}

fn primary(s: &mut Server, t: &[u8]) -> (u32, f64) {
    let (r, ms) = call(
        s,
        "CreatePrimary",
        &command(0x131, &[OWNER], true, &create_params(t)),
    );
    (handle(&r), ms)
}

/// Create then Load under `parent`: the loaded handle and the time of both.
fn child(s: &mut Server, parent: u32, t: &[u8]) -> (u32, f64) {
    let (r, ms1) = call(
        s,
        "Create",
        &command(0x153, &[parent], true, &create_params(t)),
    );
    // parameterSize, then TPM2B_PRIVATE and TPM2B_PUBLIC.
    let mut at = 14;
    let mut take = || {
        let n = u16::from_be_bytes([r[at], r[at + 1]]) as usize;
        let v = r[at..at + 2 + n].to_vec();
        at += 2 + n;
        v
    };
    let mut load = take();
    load.extend(take());
    let (r, ms2) = call(s, "Load", &command(0x157, &[parent], true, &load));
    (handle(&r), ms1 + ms2)
}

fn sign_cmd(key: u32, scheme: u16) -> Vec<u8> {
    let mut p = tpm2b(&[0x3C; 32]);
    p.extend_from_slice(&scheme.to_be_bytes());
    p.extend_from_slice(&0x000Bu16.to_be_bytes());
    p.extend_from_slice(&[0x80, 0x24, 0x40, 0, 0, 7, 0, 0]);
    command(0x15D, &[key], true, &p)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// Runs every measurement on each server, interleaved; prints the table.
pub fn run(servers: &mut [Server], rounds: usize) {
    let names = [
        "CreatePrimary ECC P-256",
        "CreatePrimary RSA-2048, repeated",
        "CreatePrimary RSA-2048, first time (distinct templates)",
        "Create + Load ECC P-256 child",
        "Sign ECDSA P-256",
        "Sign RSA-2048 PKCS#1",
        "RSA_Decrypt OAEP 2048",
        "Quote ECDSA P-256 (restricted AK, PCRs 0-7)",
    ];
    let mut samples: Vec<[Vec<f64>; 2]> = names.iter().map(|_| Default::default()).collect();
    let ecc_srk = ecc(STORAGE, &AES128CFB);
    let rsa_srk = rsa(STORAGE, &AES128CFB, b"");
    for round in 0..rounds {
        let order: [usize; 2] = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for &i in &order {
            let s = &mut servers[i];
            let (h, ms) = primary(s, &ecc_srk);
            samples[0][i].push(ms);
            flush(s, h);
            let (h, _) = primary(s, &rsa_srk);
            flush(s, h);
            let (h, ms) = primary(s, &rsa_srk);
            samples[1][i].push(ms);
            flush(s, h);
            let unique = format!("bench {round}");
            let (h, ms) = primary(s, &rsa(STORAGE, &AES128CFB, unique.as_bytes()));
            samples[2][i].push(ms);
            flush(s, h);
            let (parent, _) = primary(s, &ecc_srk);
            let (k, ms) = child(s, parent, &ecc(SIGN, &SYM_NULL));
            samples[3][i].push(ms);
            for _ in 0..10 {
                let (_, ms) = call(s, "Sign ECDSA", &sign_cmd(k, 0x18));
                samples[4][i].push(ms);
            }
            flush(s, k);
            let (k, _) = child(s, parent, &rsa(SIGN, &SYM_NULL, b""));
            for _ in 0..10 {
                let (_, ms) = call(s, "Sign RSASSA", &sign_cmd(k, 0x14));
                samples[5][i].push(ms);
            }
            flush(s, k);
            let (k, _) = child(s, parent, &rsa(DECRYPT, &SYM_NULL, b""));
            let mut enc = tpm2b(b"a wrapped symmetric key");
            enc.extend_from_slice(&[0, 0x17, 0, 0x0B, 0, 0]);
            let (r, _) = call(s, "RSA_Encrypt", &command(0x174, &[k], false, &enc));
            let mut dec = r[10..].to_vec();
            dec.extend_from_slice(&[0, 0x17, 0, 0x0B, 0, 0]);
            for _ in 0..10 {
                let (_, ms) = call(s, "RSA_Decrypt", &command(0x159, &[k], true, &dec));
                samples[6][i].push(ms);
            }
            flush(s, k);
            flush(s, parent);
            let (ak, _) = primary(s, &ecc_ak());
            for _ in 0..10 {
                let (_, ms) = call(s, "Quote", &quote_cmd(ak));
                samples[7][i].push(ms);
            }
            flush(s, ak);
        }
    }
    println!("\nObject commands, {rounds} interleaved rounds (medians, ms)\n");
    println!("| operation | ferrotpm | swtpm | ferrotpm / swtpm |");
    println!("|---|---:|---:|---:|");
    for (name, [f, s]) in names.iter().zip(samples) {
        let (f, s) = (median(f), median(s));
        println!("| {name} | {f:.3} | {s:.3} | {:.3}× |", f / s);
    }
}
