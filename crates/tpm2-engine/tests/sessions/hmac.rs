//! HMAC authorization (Part 1, §19.6), session-area rules (Part 1, §18.6, §19.6.1),
//! parameter encryption (Part 1, §21) and dictionary-attack accounting (Part 1, §19.8).

use super::*;

const OWNER: u32 = rh::OWNER;
const PLATFORM: u32 = rh::PLATFORM;

fn change_auth(tpm: &mut Tpm, h: u32, old: &[u8], new: &[u8]) {
    let c = Cmd::new(cc::HIERARCHY_CHANGE_AUTH).handle(h).pw(old).b(new);
    run(tpm, &c).ok();
}

fn pcr_reset(tpm: &mut Tpm, uses: &mut [Use<'_>]) -> Out {
    call(tpm, cc::PCR_RESET, &[16], &[hname(16)], uses, &[], false)
}

#[test]
fn hmac_over_cp_hash_with_rolling_nonces() {
    let mut tpm = started();
    change_auth(&mut tpm, PLATFORM, b"", b"plat");
    let mut s = hmac_session(&mut tpm);
    let p = b2(b"plat");
    let names = [hname(PLATFORM)];
    let code = cc::HIERARCHY_CHANGE_AUTH;
    // HMAC(sessionKey || authValue, cpHash || nonceCaller || nonceTPM || attributes); the
    // response is checked by `call` (rpHash, new nonceTPM, nonceCaller, attributes).
    let o = call(
        &mut tpm,
        code,
        &[PLATFORM],
        &names,
        &mut [Use::S(&mut s, CONT, Some(b"plat"))],
        &p,
        false,
    );
    assert_eq!(o.rc, Rc::SUCCESS);
    let first = s.nonce_tpm.clone();
    let o = call(
        &mut tpm,
        code,
        &[PLATFORM],
        &names,
        &mut [Use::S(&mut s, CONT, Some(b"plat"))],
        &p,
        false,
    );
    assert_eq!(o.rc, Rc::SUCCESS);
    assert_ne!(first, s.nonce_tpm, "a new nonceTPM for every command");
    // A replay with the old nonce fails; a failure does not roll the nonce.
    let mut stale = s.clone();
    stale.nonce_tpm = first;
    let o = call(
        &mut tpm,
        code,
        &[PLATFORM],
        &names,
        &mut [Use::S(&mut stale, CONT, Some(b"plat"))],
        &p,
        false,
    );
    assert_eq!(o.rc, Rc::BAD_AUTH.session(1));
    let o = call(
        &mut tpm,
        code,
        &[PLATFORM],
        &names,
        &mut [Use::S(&mut s, CONT, Some(b"plat"))],
        &p,
        false,
    );
    assert_eq!(o.rc, Rc::SUCCESS);
    // The wrong authValue, the wrong handle Name, other parameters: all BAD_AUTH for a
    // DA-exempt hierarchy.
    let o = call(
        &mut tpm,
        code,
        &[PLATFORM],
        &names,
        &mut [Use::S(&mut s, CONT, Some(b"nope"))],
        &p,
        false,
    );
    assert_eq!(o.rc, Rc::BAD_AUTH.session(1));
    let o = call(
        &mut tpm,
        code,
        &[PLATFORM],
        &[hname(OWNER)],
        &mut [Use::S(&mut s, CONT, Some(b"plat"))],
        &p,
        false,
    );
    assert_eq!(o.rc, Rc::BAD_AUTH.session(1));
}

#[test]
fn empty_key_allows_an_empty_hmac() {
    // Unbound, unsalted, Empty authValue: the HMAC key is empty and an empty HMAC is
    // accepted and answered with an empty HMAC (reference `ComputeCommandHMAC`).
    let mut tpm = started();
    let s = hmac_session(&mut tpm);
    let o = pcr_reset(
        &mut tpm,
        &mut [Use::Raw(s.handle, vec![9; 16], CONT, vec![])],
    );
    assert_eq!(o.rc, Rc::SUCCESS);
    assert!(o.sessions[0].2.is_empty());
    assert_eq!(o.sessions[0].0.len(), 32, "nonceTPM keeps its size");
    // With an authValue the empty HMAC is wrong.
    let c = Cmd::new(cc::PCR_SET_AUTH_VALUE)
        .handle(20)
        .pw(b"")
        .b(b"pcr");
    run(&mut tpm, &c).ok();
    let o = call(
        &mut tpm,
        cc::PCR_RESET,
        &[20],
        &[hname(20)],
        &mut [Use::Raw(s.handle, vec![9; 16], CONT, vec![])],
        &[],
        false,
    );
    assert_eq!(o.rc, Rc::BAD_AUTH.session(1));
}

#[test]
fn bound_sessions() {
    let mut tpm = started();
    change_auth(&mut tpm, OWNER, b"", b"abc");
    change_auth(&mut tpm, PLATFORM, b"", b"plat");
    let mut s = Client::start(&mut tpm, se::HMAC, OWNER, b"abc", Sym::Null, SHA256).unwrap();
    assert_eq!(
        s.key.len(),
        32,
        "sessionKey = KDFa(authHash, authValue, \"ATH\", ...)"
    );
    let code = cc::HIERARCHY_CHANGE_AUTH;
    let p = b2(b"abc");
    // For the bound entity the HMAC key is the session key alone (Part 1, §19.6.11).
    let o = call(
        &mut tpm,
        code,
        &[OWNER],
        &[hname(OWNER)],
        &mut [Use::S(&mut s, CONT, None)],
        &p,
        false,
    );
    assert_eq!(o.rc, Rc::SUCCESS);
    let o = call(
        &mut tpm,
        code,
        &[OWNER],
        &[hname(OWNER)],
        &mut [Use::S(&mut s, CONT, Some(b"abc"))],
        &p,
        false,
    );
    assert_eq!(o.rc, Rc::BAD_AUTH.session(1));
    // For any other entity the authValue is appended.
    let p2 = b2(b"plat");
    let o = call(
        &mut tpm,
        code,
        &[PLATFORM],
        &[hname(PLATFORM)],
        &mut [Use::S(&mut s, CONT, Some(b"plat"))],
        &p2,
        false,
    );
    assert_eq!(o.rc, Rc::SUCCESS);
    // Once the bound entity's authValue changes, the session is no longer bound to it.
    change_auth(&mut tpm, OWNER, b"abc", b"xyz");
    let p = b2(b"xyz");
    let o = call(
        &mut tpm,
        code,
        &[OWNER],
        &[hname(OWNER)],
        &mut [Use::S(&mut s, CONT, None)],
        &p,
        false,
    );
    assert_eq!(o.rc, Rc::BAD_AUTH.session(1));
    let o = call(
        &mut tpm,
        code,
        &[OWNER],
        &[hname(OWNER)],
        &mut [Use::S(&mut s, CONT, Some(b"xyz"))],
        &p,
        false,
    );
    assert_eq!(o.rc, Rc::SUCCESS);
}

#[test]
fn continue_session() {
    let mut tpm = started();
    // Clear: the session ends with a successful command, and stays after a failure.
    let mut s = hmac_session(&mut tpm);
    let o = pcr_reset(&mut tpm, &mut [Use::S(&mut s, 0, Some(b"bad"))]);
    assert_eq!(o.rc, Rc::BAD_AUTH.session(1));
    assert_eq!(handles(&mut tpm, 0x0200_0000), vec![s.handle]);
    let o = pcr_reset(&mut tpm, &mut [Use::S(&mut s, 0, Some(b""))]);
    assert_eq!(o.rc, Rc::SUCCESS);
    assert_eq!(o.sessions[0].1, 0, "attributes echoed");
    assert!(handles(&mut tpm, 0x0200_0000).is_empty());
    let o = pcr_reset(&mut tpm, &mut [Use::S(&mut s, CONT, Some(b""))]);
    assert_eq!(o.rc, Rc(Rc::REFERENCE_S0.0));
}

#[test]
fn names_in_cp_hash() {
    let mut tpm = started();
    let attrs = nv_attr::AUTHREAD | nv_attr::AUTHWRITE | nv_attr::NO_DA;
    let mut pubi = define(&mut tpm, 0x0150_0001, attrs, 8, b"nv", b"");
    let h = pubi.nv_index;
    let mut s = hmac_session(&mut tpm);
    let mut p = b2(b"12345678");
    p.extend_from_slice(&0u16.to_be_bytes());
    // An NV index is named nameAlg || H(TPMS_NV_PUBLIC), not by its handle.
    let o = call(
        &mut tpm,
        cc::NV_WRITE,
        &[h, h],
        &[hname(h), hname(h)],
        &mut [Use::S(&mut s, CONT, Some(b"nv"))],
        &p,
        false,
    );
    assert_eq!(o.rc, Rc::BAD_AUTH.session(1));
    let n = nv_name(&pubi);
    let o = call(
        &mut tpm,
        cc::NV_WRITE,
        &[h, h],
        &[n.clone(), n.clone()],
        &mut [Use::S(&mut s, CONT, Some(b"nv"))],
        &p,
        false,
    );
    assert_eq!(o.rc, Rc::SUCCESS);
    // The Name includes TPMA_NV_WRITTEN: it changed with the first write.
    let rp = [8u16.to_be_bytes(), 0u16.to_be_bytes()].concat();
    let o = call(
        &mut tpm,
        cc::NV_READ,
        &[h, h],
        &[n.clone(), n],
        &mut [Use::S(&mut s, CONT, Some(b"nv"))],
        &rp,
        false,
    );
    assert_eq!(o.rc, Rc::BAD_AUTH.session(1));
    pubi.attributes |= nv_attr::WRITTEN;
    let n = nv_name(&pubi);
    let o = call(
        &mut tpm,
        cc::NV_READ,
        &[h, h],
        &[n.clone(), n],
        &mut [Use::S(&mut s, CONT, Some(b"nv"))],
        &rp,
        false,
    );
    assert_eq!(o.rc, Rc::SUCCESS);
    assert_eq!(o.params, b2(b"12345678"));
    // A sequence object's Name is the Empty Buffer (its nameAlg is TPM_ALG_NULL).
    let r = run(
        &mut tpm,
        &Cmd::new(cc::HASH_SEQUENCE_START).b(b"sq").u16(SHA256.id()),
    )
    .ok();
    let seq = r.reader().u32().unwrap();
    let o = call(
        &mut tpm,
        cc::SEQUENCE_UPDATE,
        &[seq],
        &[hname(seq)],
        &mut [Use::S(&mut s, CONT, Some(b"sq"))],
        &b2(b"abc"),
        false,
    );
    assert_eq!(o.rc, Rc::BAD_AUTH.session(1));
    let o = call(
        &mut tpm,
        cc::SEQUENCE_UPDATE,
        &[seq],
        &[vec![]],
        &mut [Use::S(&mut s, CONT, Some(b"sq"))],
        &b2(b"abc"),
        false,
    );
    assert_eq!(o.rc, Rc::SUCCESS);
}

#[test]
fn hmac_failures_and_dictionary_attack() {
    let mut tpm = started();
    let c = Cmd::new(cc::DICTIONARY_ATTACK_PARAMETERS)
        .handle(rh::LOCKOUT)
        .pw(b"")
        .u32(5)
        .u32(1000)
        .u32(1000);
    run(&mut tpm, &c).ok();
    let attrs = nv_attr::AUTHREAD | nv_attr::AUTHWRITE;
    let pubi = define(&mut tpm, 0x0150_0002, attrs, 8, b"nv", b"");
    let h = pubi.nv_index;
    let n = nv_name(&pubi);
    let mut s = hmac_session(&mut tpm);
    let rp = [8u16.to_be_bytes(), 0u16.to_be_bytes()].concat();
    let read = |tpm: &mut Tpm, s: &mut Client, auth: &[u8]| {
        call(
            tpm,
            cc::NV_READ,
            &[h, h],
            &[n.clone(), n.clone()],
            &mut [Use::S(s, CONT, Some(auth))],
            &rp,
            false,
        )
        .rc
    };
    // A DA-protected index: the first check after startup records daUsed (TPM_RC_RETRY),
    // then a wrong HMAC counts (TPM_RC_AUTH_FAIL), as a wrong password does.
    assert_eq!(read(&mut tpm, &mut s, b"bad"), Rc::RETRY);
    assert_eq!(read(&mut tpm, &mut s, b"bad"), Rc::AUTH_FAIL.session(1));
    assert_eq!(property(&mut tpm, pt::LOCKOUT_COUNTER), 1);
    assert_eq!(read(&mut tpm, &mut s, b"nv"), Rc::NV_UNINITIALIZED);
    // A session bound to a DA-protected entity makes every failure count, whatever it
    // authorizes (owner is DA-exempt); one bound to lockoutAuth blocks lockoutAuth.
    let mut b = Client::start(&mut tpm, se::HMAC, h, b"nv", Sym::Null, SHA256).unwrap();
    let p = b2(b"");
    let owner = |tpm: &mut Tpm, s: &mut Client| {
        call(
            tpm,
            cc::HIERARCHY_CHANGE_AUTH,
            &[OWNER],
            &[hname(OWNER)],
            &mut [Use::S(s, CONT, Some(b"bad"))],
            &p,
            false,
        )
        .rc
    };
    assert_eq!(owner(&mut tpm, &mut b), Rc::AUTH_FAIL.session(1));
    assert_eq!(property(&mut tpm, pt::LOCKOUT_COUNTER), 2);
    assert_eq!(owner(&mut tpm, &mut s), Rc::BAD_AUTH.session(1));
    assert_eq!(property(&mut tpm, pt::LOCKOUT_COUNTER), 2);
    let mut l = Client::start(&mut tpm, se::HMAC, rh::LOCKOUT, b"", Sym::Null, SHA256).unwrap();
    assert_eq!(owner(&mut tpm, &mut l), Rc::AUTH_FAIL.session(1));
    let c = Cmd::new(cc::DICTIONARY_ATTACK_LOCK_RESET)
        .handle(rh::LOCKOUT)
        .pw(b"");
    assert_eq!(run(&mut tpm, &c).rc, Rc::LOCKOUT);
    // In lockout a DA-bound session is refused before anything else.
    flush(&mut tpm, l.handle);
    for _ in 0..3 {
        assert_eq!(owner(&mut tpm, &mut b), Rc::AUTH_FAIL.session(1));
    }
    assert_eq!(owner(&mut tpm, &mut b), Rc::LOCKOUT);
    let o = call(
        &mut tpm,
        cc::GET_RANDOM,
        &[],
        &[],
        &mut [Use::S(&mut b, CONT | sa::AUDIT, None)],
        &4u16.to_be_bytes(),
        false,
    );
    assert_eq!(o.rc, Rc::LOCKOUT);
}

#[test]
fn session_area_rules() {
    let mut tpm = started();
    let mut s = hmac_session(&mut tpm);
    let mut t = Client::start(&mut tpm, se::TRIAL, NULL, &[], Sym::Null, SHA256).unwrap();
    let pol = Client::start(&mut tpm, se::POLICY, NULL, &[], Sym::Null, SHA256).unwrap();
    // A trial session can neither authorize nor audit (Part 3, §11.1).
    assert_eq!(
        pcr_reset(&mut tpm, &mut [Use::S(&mut t, CONT, Some(b""))]).rc,
        Rc::ATTRIBUTES.session(1)
    );
    // A handle in the wrong range for the session in that slot; a session named twice.
    let wrong = 0x0200_0000 | (pol.handle & 0xFF_FFFF);
    assert_eq!(
        pcr_reset(&mut tpm, &mut [Use::Raw(wrong, vec![], CONT, vec![])]).rc,
        Rc::HANDLE.session(1)
    );
    let dup = Use::Raw(s.handle, vec![1; 16], CONT | sa::AUDIT, vec![]);
    assert_eq!(
        pcr_reset(&mut tpm, &mut [Use::S(&mut s, CONT, Some(b"")), dup]).rc,
        Rc::HANDLE.session(2)
    );
    // Not loaded (TPM_RC_REFERENCE_S0 + index); beyond the 64 slots, not a session.
    assert_eq!(
        pcr_reset(&mut tpm, &mut [Use::Raw(0x0200_0030, vec![], CONT, vec![])]).rc,
        Rc(Rc::REFERENCE_S0.0)
    );
    let o = pcr_reset(
        &mut tpm,
        &mut [Use::Pw(b""), Use::Raw(0x0200_0030, vec![], CONT, vec![])],
    );
    assert_eq!(o.rc, Rc(Rc::REFERENCE_S0.0 + 1));
    assert_eq!(
        pcr_reset(&mut tpm, &mut [Use::Raw(0x0200_0040, vec![], CONT, vec![])]).rc,
        Rc::VALUE.session(1)
    );
    // Sessions for audit or encryption only: one without those attributes is wrong.
    let gr = 4u16.to_be_bytes();
    let o = call(
        &mut tpm,
        cc::GET_RANDOM,
        &[],
        &[],
        &mut [Use::S(&mut s, CONT, None)],
        &gr,
        false,
    );
    assert_eq!(o.rc, Rc::ATTRIBUTES.session(1));
    // GetRandom has no TPM2B parameter to decrypt; its response one can be encrypted,
    // but not by a session without a symmetric algorithm.
    let o = call(
        &mut tpm,
        cc::GET_RANDOM,
        &[],
        &[],
        &mut [Use::S(&mut s, CONT | sa::DECRYPT, None)],
        &gr,
        false,
    );
    assert_eq!(o.rc, Rc::ATTRIBUTES.session(1));
    let o = call(
        &mut tpm,
        cc::GET_RANDOM,
        &[],
        &[],
        &mut [Use::S(&mut s, CONT | sa::ENCRYPT, None)],
        &gr,
        false,
    );
    assert_eq!(o.rc, Rc::SYMMETRIC.session(1));
    // A policy session cannot audit.
    let o = call(
        &mut tpm,
        cc::GET_RANDOM,
        &[],
        &[],
        &mut [Use::Raw(pol.handle, vec![1; 16], CONT | sa::AUDIT, vec![])],
        &gr,
        false,
    );
    assert_eq!(o.rc, Rc::ATTRIBUTES.session(1));
    // An audit session: its first use makes it exclusive (auditExclusive in the response).
    let o = call(
        &mut tpm,
        cc::GET_RANDOM,
        &[],
        &[],
        &mut [Use::S(&mut s, CONT | sa::AUDIT, None)],
        &gr,
        false,
    );
    assert_eq!(o.rc, Rc::SUCCESS);
    assert_eq!(o.sessions[0].1, CONT | sa::AUDIT | sa::AUDIT_EXCLUSIVE);
    let o = call(
        &mut tpm,
        cc::GET_RANDOM,
        &[],
        &[],
        &mut [Use::S(&mut s, CONT | sa::AUDIT | sa::AUDIT_EXCLUSIVE, None)],
        &gr,
        false,
    );
    assert_eq!(o.sessions[0].1, CONT | sa::AUDIT | sa::AUDIT_EXCLUSIVE);
    // A command without it ends exclusivity; asking for it then is TPM_RC_EXCLUSIVE.
    run(&mut tpm, &Cmd::new(cc::GET_RANDOM).u16(4)).ok();
    let o = call(
        &mut tpm,
        cc::GET_RANDOM,
        &[],
        &[],
        &mut [Use::S(&mut s, CONT | sa::AUDIT | sa::AUDIT_EXCLUSIVE, None)],
        &gr,
        false,
    );
    assert_eq!(o.rc, Rc::EXCLUSIVE);
    let o = call(
        &mut tpm,
        cc::GET_RANDOM,
        &[],
        &[],
        &mut [Use::S(&mut s, CONT | sa::AUDIT, None)],
        &gr,
        false,
    );
    assert_eq!(o.sessions[0].1, CONT | sa::AUDIT);
    let o = call(
        &mut tpm,
        cc::GET_RANDOM,
        &[],
        &[],
        &mut [Use::S(&mut s, CONT | sa::AUDIT | sa::AUDIT_RESET, None)],
        &gr,
        false,
    );
    assert_eq!(
        o.sessions[0].1,
        CONT | sa::AUDIT | sa::AUDIT_RESET | sa::AUDIT_EXCLUSIVE
    );
    // The context commands take no sessions at all.
    let fh = s.handle.to_be_bytes();
    let o = call(
        &mut tpm,
        cc::FLUSH_CONTEXT,
        &[],
        &[],
        &mut [Use::S(&mut s, CONT | sa::AUDIT, None)],
        &fh,
        false,
    );
    assert_eq!(o.rc, Rc::AUTH_CONTEXT);
}

#[test]
fn parameter_encryption_both_ways() {
    let mut tpm = started();
    let attrs = nv_attr::AUTHREAD | nv_attr::AUTHWRITE | nv_attr::NO_DA;
    let mut pubi = define(&mut tpm, 0x0150_0003, attrs, 16, b"nv", b"");
    let h = pubi.nv_index;
    let mut written = false;
    for sym in [Sym::Aes(128), Sym::Aes(256), Sym::Xor(HashAlg::Sha1)] {
        for (bind, bauth, inc) in [(NULL, &b""[..], Some(&b"nv"[..])), (h, &b"nv"[..], None)] {
            let mut s = Client::start(&mut tpm, se::HMAC, bind, bauth, sym, SHA256).unwrap();
            let secret = *b"sixteen secrets!";
            // The command's first parameter (TPM2B data) travels encrypted with
            // nonceCaller, nonceTPM; the key includes the authValue even for the bound
            // entity (Part 1, §21.1).
            let mut enc = secret;
            s.nonce_caller = vec![17; 16];
            s.crypt(b"nv", &[17; 16], &s.nonce_tpm.clone(), &mut enc, true);
            assert_ne!(enc, secret);
            let mut p = b2(&enc);
            p.extend_from_slice(&0u16.to_be_bytes());
            let n = nv_name(&pubi);
            let o = call(
                &mut tpm,
                cc::NV_WRITE,
                &[h, h],
                &[n.clone(), n],
                &mut [Use::S(&mut s, CONT | sa::DECRYPT, inc)],
                &p,
                false,
            );
            assert_eq!(o.rc, Rc::SUCCESS, "{sym:?} bound {bind:#x}");
            if !written {
                written = true;
                pubi.attributes |= nv_attr::WRITTEN;
            }
            // The response's first parameter comes back encrypted with nonceTPM (new),
            // nonceCaller.
            let n = nv_name(&pubi);
            let rp = [16u16.to_be_bytes(), 0u16.to_be_bytes()].concat();
            let o = call(
                &mut tpm,
                cc::NV_READ,
                &[h, h],
                &[n.clone(), n],
                &mut [Use::S(&mut s, CONT | sa::ENCRYPT, inc)],
                &rp,
                false,
            );
            assert_eq!(o.rc, Rc::SUCCESS);
            let mut data = o.params[2..].to_vec();
            assert_ne!(data, secret);
            s.crypt(
                b"nv",
                &s.nonce_tpm.clone(),
                &s.nonce_caller.clone(),
                &mut data,
                false,
            );
            assert_eq!(data, secret, "{sym:?} bound {bind:#x}");
            flush(&mut tpm, s.handle);
        }
    }
    // A size field beyond the parameters cannot be decrypted: TPM_RC_SIZE for the session.
    let mut s = Client::start(&mut tpm, se::HMAC, NULL, b"", Sym::Aes(128), SHA256).unwrap();
    let n = nv_name(&pubi);
    let p = [0u8, 40, 1, 2];
    let o = call(
        &mut tpm,
        cc::NV_WRITE,
        &[h, h],
        &[n.clone(), n.clone()],
        &mut [Use::S(&mut s, CONT | sa::DECRYPT, Some(b"nv"))],
        &p,
        false,
    );
    assert_eq!(o.rc, Rc::SIZE.session(1));
    let o = call(
        &mut tpm,
        cc::NV_WRITE,
        &[h, h],
        &[n.clone(), n],
        &mut [Use::S(&mut s, CONT | sa::DECRYPT, Some(b"nv"))],
        &[0],
        false,
    );
    assert_eq!(o.rc, Rc::INSUFFICIENT.session(1));
}

#[test]
fn several_sessions_in_one_command() {
    let mut tpm = started();
    let mut a = hmac_session(&mut tpm);
    let mut d = Client::start(&mut tpm, se::HMAC, NULL, b"", Sym::Aes(128), SHA256).unwrap();
    // A password, then an audit/decrypt session: each response HMAC covers only the
    // response parameters (`call` checks both).
    let mut secret = *b"0123456789abcdef";
    d.crypt(b"", &[34; 16], &d.nonce_tpm.clone(), &mut secret, true);
    let p = b2(&secret);
    let o = call(
        &mut tpm,
        cc::PCR_EVENT,
        &[16],
        &[hname(16)],
        &mut [
            Use::Pw(b""),
            Use::S(&mut d, CONT | sa::DECRYPT | sa::AUDIT, None),
        ],
        &p,
        false,
    );
    assert_eq!(o.rc, Rc::SUCCESS);
    // The event digest is that of the decrypted data.
    let want = tpm2_crypto::digest(SHA256, &[b"0123456789abcdef"]);
    assert!(o.params.windows(32).any(|w| w == want.as_slice()));
    // The first session authorizing a handle also covers the nonceTPM of a separate
    // decrypt session (Part 1, §19.6.5): `call` adds it.
    let mut secret = *b"0123456789abcdef";
    d.crypt(b"", &[34; 16], &d.nonce_tpm.clone(), &mut secret, true);
    let p = b2(&secret);
    let o = call(
        &mut tpm,
        cc::PCR_EVENT,
        &[16],
        &[hname(16)],
        &mut [
            Use::S(&mut a, CONT, Some(b"")),
            Use::S(&mut d, CONT | sa::DECRYPT, None),
        ],
        &p,
        false,
    );
    assert_eq!(o.rc, Rc::SUCCESS);
    assert!(o.params.windows(32).any(|w| w == want.as_slice()));
}
