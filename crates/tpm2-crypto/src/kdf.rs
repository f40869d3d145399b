//! The TPM's key derivation functions (Part 1, §11.4.10).

use crate::hash::{Hasher, HmacState};
use tpm2_types::HashAlg;

/// KDFa: SP 800-108 counter mode with HMAC (Part 1, §11.4.10.2). `label` gets its
/// terminating zero octet if it lacks one; the result has `bits` bits (the unused high bits
/// of the first octet are cleared).
pub fn kdfa(
    alg: HashAlg,
    key: &[u8],
    label: &[u8],
    context_u: &[u8],
    context_v: &[u8],
    bits: u32,
) -> Vec<u8> {
    let bytes = bits.div_ceil(8) as usize;
    let mut out = Vec::with_capacity(bytes + alg.digest_size());
    let mut counter: u32 = 0;
    while out.len() < bytes {
        counter += 1;
        let mut m = HmacState::new(alg, key);
        m.update(&counter.to_be_bytes());
        m.update(label);
        if label.last() != Some(&0) {
            m.update(&[0]);
        }
        m.update(context_u);
        m.update(context_v);
        m.update(&bits.to_be_bytes());
        out.extend_from_slice(&m.finish());
    }
    out.truncate(bytes);
    if !bits.is_multiple_of(8) {
        out[0] &= (1u8 << (bits % 8)) - 1;
    }
    out
}

/// KDFe: the SP 800-56A §5.8.1 (SP 800-56C single-step) concatenation KDF as Part 1
/// §11.4.10.3 defines it: K(i) = H(counter || Z || Use || PartyUInfo || PartyVInfo) with a
/// 32-bit big-endian counter from 1, the blocks concatenated and cut to `bits` bits (the
/// unused high bits of the first octet cleared). `label` (Use) gets its terminating zero
/// octet if it lacks one, as in [`kdfa`]; unlike KDFa, `bits` itself is not hashed.
pub fn kdfe(
    alg: HashAlg,
    z: &[u8],
    label: &[u8],
    party_u: &[u8],
    party_v: &[u8],
    bits: u32,
) -> Vec<u8> {
    let bytes = bits.div_ceil(8) as usize;
    let mut out = Vec::with_capacity(bytes + alg.digest_size());
    let mut counter: u32 = 0;
    while out.len() < bytes {
        counter += 1;
        let mut h = Hasher::new(alg)
            .with(&counter.to_be_bytes())
            .with(z)
            .with(label);
        if label.last() != Some(&0) {
            h.update(&[0]);
        }
        h.update(party_u);
        h.update(party_v);
        out.extend_from_slice(&h.finish());
    }
    out.truncate(bytes);
    if !bits.is_multiple_of(8) {
        out[0] &= (1u8 << (bits % 8)) - 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kdfa_shape() {
        let a = kdfa(HashAlg::Sha256, b"k", b"STORAGE", b"u", b"v", 256);
        let b = kdfa(HashAlg::Sha256, b"k", b"STORAGE\0", b"u", b"v", 256);
        assert_eq!(a, b, "the terminating zero is implied");
        assert_eq!(kdfa(HashAlg::Sha256, b"k", b"L", b"", b"", 600).len(), 75);
        let odd = kdfa(HashAlg::Sha1, b"k", b"L", b"", b"", 9);
        assert_eq!(odd.len(), 2);
        assert!(odd[0] <= 1);
        // First block: HMAC(key, 00000001 || "L" 00 || 00000100).
        let one = crate::hash::hmac(
            HashAlg::Sha256,
            b"k",
            &[&1u32.to_be_bytes(), b"L\0", &256u32.to_be_bytes()],
        );
        assert_eq!(kdfa(HashAlg::Sha256, b"k", b"L", b"", b"", 256), one);
    }

    #[test]
    fn kdfe_by_hand() {
        use crate::hash::digest;
        let (z, u, v) = (b"shared-x", b"partyU", b"partyV");
        let block = |i: u32| digest(HashAlg::Sha256, &[&i.to_be_bytes(), z, b"SECRET\0", u, v]);
        let mut want = block(1);
        want.extend_from_slice(&block(2));
        want.truncate(40);
        assert_eq!(kdfe(HashAlg::Sha256, z, b"SECRET", u, v, 320), want);
        assert_eq!(kdfe(HashAlg::Sha256, z, b"SECRET\0", u, v, 320), want);
        // 9 bits: two octets, the first masked to its low bit.
        let odd = kdfe(HashAlg::Sha256, z, b"SECRET", u, v, 9);
        assert_eq!(odd, vec![want[0] & 1, want[1]]);
        assert!(kdfe(HashAlg::Sha1, z, b"L", u, v, 0).is_empty());
        // An empty label still gets its zero octet.
        assert_eq!(
            kdfe(HashAlg::Sha1, z, b"", b"", b"", 160),
            digest(HashAlg::Sha1, &[&1u32.to_be_bytes(), z, b"\0"])
        );
    }
}
