#!/usr/bin/env python3
"""Regenerates ecschnorr_swtpm.txt: EC-Schnorr signatures made by a real libtpms.

Needs swtpm, tpm2-tools and openssl (Debian 12: swtpm 0.7.1 / libtpms 0.9.2, tpm2-tools
5.4). For each curve and hash: openssl makes a key, tpm2_loadexternal loads it into
swtpm with scheme ECSCHNORR-<hash>, tpm2_sign signs a random digest (TPM2_Sign), and
tpm2_verifysignature checks it (TPM2_VerifySignature). One line per signature:
curve hash d x y digest r s (hex; r and s as the TPM returned them).

Usage: gen_swtpm_ecschnorr.py > ecschnorr_swtpm.txt
"""
import os
import subprocess
import sys
import tempfile
import time

CURVES = [("P-256", "secp256r1", 32), ("P-384", "secp384r1", 48), ("P-521", "secp521r1", 66)]
HASHES = [("SHA-1", "sha1", 20), ("SHA-256", "sha256", 32), ("SHA-384", "sha384", 48),
          ("SHA-512", "sha512", 64)]
PER_PAIR = 2
PORT = 24521


def run(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, **kw).stdout


def der_items(b):
    """Top-level TLVs of a DER string: [(tag, value)]."""
    out, i = [], 0
    while i < len(b):
        tag, ln = b[i], b[i + 1]
        i += 2
        if ln & 0x80:
            n = ln & 0x7F
            ln = int.from_bytes(b[i:i + n], "big")
            i += n
        out.append((tag, b[i:i + ln]))
        i += ln
    return out


def key_parts(pem, size):
    der = run("openssl", "ec", "-in", pem, "-outform", "DER")
    (_, seq), = der_items(der)
    items = der_items(seq)
    d = items[1][1].rjust(size, b"\0")
    pub = der_items(items[3][1])[0][1]  # [1] { BIT STRING }
    point = pub[1:]  # unused-bits octet
    assert point[0] == 4
    return d, point[1:1 + size], point[1 + size:]


def main():
    tmp = tempfile.mkdtemp()
    swtpm = subprocess.Popen(
        ["swtpm", "socket", "--tpm2", "--tpmstate", "dir=" + tmp,
         "--server", "type=tcp,port=%d" % PORT, "--ctrl", "type=tcp,port=%d" % (PORT + 1),
         "--flags", "not-need-init,startup-clear"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    env = dict(os.environ, TPM2TOOLS_TCTI="swtpm:host=127.0.0.1,port=%d" % PORT)
    try:
        for cname, oname, size in CURVES:
            for hname, tname, hlen in HASHES:
                for _ in range(PER_PAIR):
                    pem = os.path.join(tmp, "k.pem")
                    run("openssl", "ecparam", "-name", oname, "-genkey", "-noout", "-out", pem)
                    ctx = os.path.join(tmp, "k.ctx")
                    run("tpm2_loadexternal", "-Q", "-C", "n", "-G", "ecc:ecschnorr-" + tname,
                        "-r", pem, "-c", ctx, "-a", "sign|userwithauth", env=env)
                    dig = os.urandom(hlen)
                    dpath = os.path.join(tmp, "dig.bin")
                    open(dpath, "wb").write(dig)
                    spath = os.path.join(tmp, "sig.tss")
                    run("tpm2_sign", "-c", ctx, "-g", tname, "-s", "ecschnorr", "-d", "-o", spath,
                        dpath, env=env)
                    run("tpm2_verifysignature", "-c", ctx, "-d", dpath, "-s", spath, env=env)
                    run("tpm2_flushcontext", "-t", env=env)
                    sig = open(spath, "rb").read()
                    assert sig[:2] == b"\x00\x1c", sig[:2]
                    rl = int.from_bytes(sig[4:6], "big")
                    r = sig[6:6 + rl]
                    sl = int.from_bytes(sig[6 + rl:8 + rl], "big")
                    s = sig[8 + rl:8 + rl + sl]
                    d, x, y = key_parts(pem, size)
                    print(cname, hname, d.hex(), x.hex(), y.hex(), dig.hex(), r.hex(), s.hex())
    finally:
        swtpm.terminate()
        swtpm.wait()


if __name__ == "__main__":
    sys.exit(main())
