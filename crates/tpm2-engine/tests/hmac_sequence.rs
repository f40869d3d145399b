//! HMAC sequences (TPM2_HMAC_Start, SequenceUpdate, SequenceComplete) give the HMAC of
//! the whole data under the loaded key, for short and long (hashed) keys and every hash.

mod outil;
mod util;
use outil::*;
use tpm2_types::constants::{alg, cc, obj_attr as a, rh};
use tpm2_types::object::*;
use tpm2_types::{HashAlg, Rc, Tpm2b};
use util::*;

fn hmac_key(hash: Option<HashAlg>) -> TpmtPublic {
    TpmtPublic {
        name_alg: Some(HashAlg::Sha256),
        attributes: SIGNING & !a::SENSITIVE_DATA_ORIGIN,
        auth_policy: Tpm2b::empty(),
        parms: PublicParms::KeyedHash(match hash {
            Some(h) => KeyedHashScheme::Hmac(h),
            None => KeyedHashScheme::Null,
        }),
        unique: Unique::Digest(Tpm2b::empty()),
    }
}

#[test]
fn hmac_sequences_match_hmac() {
    for (hash, key) in [
        (HashAlg::Sha1, vec![1u8; 20]),
        (HashAlg::Sha256, vec![2u8; 64]),
        (HashAlg::Sha384, vec![3u8; 128]),
        (HashAlg::Sha512, vec![4u8; 7]),
    ] {
        let mut tpm = started();
        let (parent, _) = primary(&mut tpm, rh::OWNER, &ecc_srk());
        let (private, public) =
            try_create(&mut tpm, parent, &hmac_key(Some(hash)), b"", &key).unwrap();
        let k = load(&mut tpm, parent, &private, &public).unwrap();
        let r = go(
            &mut tpm,
            &Cmd::new(cc::HMAC_START)
                .handle(k)
                .pw(b"")
                .b(b"seqpw")
                .u16(alg::NULL),
        )
        .ok();
        let s = r.reader().u32().unwrap();
        let part1 = vec![0xAB; 700];
        go(
            &mut tpm,
            &Cmd::new(cc::SEQUENCE_UPDATE)
                .handle(s)
                .pw(b"seqpw")
                .b(&part1),
        )
        .ok();
        let r = go(
            &mut tpm,
            &Cmd::new(cc::SEQUENCE_COMPLETE)
                .handle(s)
                .pw(b"seqpw")
                .b(b"tail")
                .u32(rh::OWNER),
        )
        .ok();
        let mut all = part1.clone();
        all.extend_from_slice(b"tail");
        let want = tpm2_crypto::hmac(hash, &key, &[&all]);
        let n = hash.digest_size();
        assert_eq!(&r.body[2..2 + n], &want[..], "{hash:?}");
        // The ticket of an HMAC is the NULL ticket.
        assert_eq!(
            &r.body[2 + n..],
            &[0x80, 0x24, 0x40, 0, 0, 7, 0, 0],
            "{hash:?}"
        );
    }
}

#[test]
fn hmac_start_checks_the_key_and_hash() {
    let mut tpm = started();
    let (parent, _) = primary(&mut tpm, rh::OWNER, &ecc_srk());
    // A signing KEYEDHASH key must have the HMAC scheme (as libtpms): no key leaves the
    // hash to the caller.
    assert_eq!(
        try_create(&mut tpm, parent, &hmac_key(None), b"", b"k").err(),
        Some(Rc::SCHEME.param(2))
    );
    let (private, public) = try_create(
        &mut tpm,
        parent,
        &hmac_key(Some(HashAlg::Sha256)),
        b"",
        b"k",
    )
    .unwrap();
    let k = load(&mut tpm, parent, &private, &public).unwrap();
    let start = |tpm: &mut tpm2_engine::Tpm, h: u32, hash: u16| {
        go(
            tpm,
            &Cmd::new(cc::HMAC_START).handle(h).pw(b"").b(b"").u16(hash),
        )
        .rc
    };
    // The key's own hash, named or not (each sequence takes the last free slot).
    assert_eq!(start(&mut tpm, k, alg::NULL), Rc::SUCCESS);
    go(&mut tpm, &Cmd::new(cc::FLUSH_CONTEXT).handle(0x8000_0002));
    assert_eq!(start(&mut tpm, k, alg::SHA256), Rc::SUCCESS);
    // A storage key is not an HMAC key.
    assert_eq!(start(&mut tpm, parent, alg::SHA256), Rc::TYPE.handle(1));
}
