#!/usr/bin/env python3
"""Regenerates wycheproof_ecdsa_p{256,384,521}.txt from Wycheproof's ECDSA vectors.

Source: Project Wycheproof (C2SP/wycheproof) ecdsa_secp256r1_sha256_test.json,
ecdsa_secp384r1_sha384_test.json and ecdsa_secp521r1_sha512_test.json, as packed (blobby
.blb format: wx, wy, msg, DER sig, pass) in the RustCrypto crates p256/p384/p521 0.14.0,
src/test_vectors/data/wycheproof.blb. Our API takes r and s, not DER, so each signature is
decoded with a strict DER parser here; vectors whose DER is malformed (all of them
expected to fail) are left out, and counted on stderr. One line per vector:
wx wy msg r s result (hex; result 1 = valid, 0 = invalid).

Usage: gen_wycheproof.py <crate-src-dir> > file, e.g.
  gen_wycheproof.py ~/.cargo/registry/src/*/p256-0.14.0 > wycheproof_ecdsa_p256.txt
"""
import sys


def vlq(b, i):
    # git-flavoured VLQ (blobby)
    x = b[i]
    i += 1
    v = x & 0x7F
    while x & 0x80:
        x = b[i]
        i += 1
        v = ((v + 1) << 7) | (x & 0x7F)
    return v, i


def blobs(data):
    i = 0
    n, i = vlq(data, i)
    m, i = vlq(data, i)
    dedup = []
    for _ in range(m):
        ln, i = vlq(data, i)
        dedup.append(data[i:i + ln])
        i += ln
    out = []
    for _ in range(n):
        v, i = vlq(data, i)
        if v & 1:
            out.append(dedup[v >> 1])
        else:
            out.append(data[i:i + (v >> 1)])
            i += v >> 1
    assert i == len(data)
    return out


def der_len(b, i):
    if i >= len(b):
        return None
    ln = b[i]
    i += 1
    if ln < 0x80:
        return ln, i
    n = ln & 0x7F
    if n == 0 or n > 2 or i + n > len(b) or b[i] == 0:
        return None
    ln = int.from_bytes(b[i:i + n], "big")
    if ln < 0x80:
        return None  # not minimal
    return ln, i + n


def der_uint(b, i):
    if i >= len(b) or b[i] != 0x02:
        return None
    r = der_len(b, i + 1)
    if r is None:
        return None
    ln, i = r
    v = b[i:i + ln]
    if ln == 0 or i + ln > len(b):
        return None
    if v[0] & 0x80:
        return None  # negative
    if ln > 1 and v[0] == 0 and not v[1] & 0x80:
        return None  # not minimal
    return v.lstrip(b"\0") or b"\0", i + ln


def der_sig(sig):
    """(r, s) of a strict DER ECDSA-Sig-Value, or None."""
    if len(sig) < 2 or sig[0] != 0x30:
        return None
    r = der_len(sig, 1)
    if r is None or r[0] + r[1] != len(sig):
        return None
    a = der_uint(sig, r[1])
    if a is None:
        return None
    b = der_uint(sig, a[1])
    if b is None or b[1] != len(sig):
        return None
    return a[0], b[0]


def main():
    data = open(sys.argv[1] + "/src/test_vectors/data/wycheproof.blb", "rb").read()
    items = blobs(data)
    skipped = 0
    for j in range(0, len(items), 5):
        wx, wy, msg, sig, ok = items[j:j + 5]
        rs = der_sig(sig)
        if rs is None:
            assert ok == b"\0", "a valid vector with malformed DER"
            skipped += 1
            continue
        print(wx.hex() or "-", wy.hex() or "-", msg.hex() or "-", rs[0].hex(), rs[1].hex(),
              ok[0])
    print("kept %d, skipped %d (malformed DER)" % (len(items) // 5 - skipped, skipped),
          file=sys.stderr)


if __name__ == "__main__":
    main()
