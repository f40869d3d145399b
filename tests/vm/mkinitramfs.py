#!/usr/bin/env python3
"""Builds the guest initramfs for the VM test: a static busybox, /init, /dev/console.

Writes the cpio "newc" format itself (so no root is needed for the device node) and
gzips it. Deterministic: fixed mtimes and inode numbers.
Usage: mkinitramfs.py INIT_SCRIPT OUTPUT.cpio.gz
"""
import gzip
import os
import shutil
import stat
import sys


def entry(out, ino, name, mode, data=b"", rdev=(0, 0)):
    name_b = name.encode() + b"\0"
    fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0]
    hdr = b"070701" + b"".join(b"%08X" % f for f in fields)
    out.write(hdr + name_b)
    out.write(b"\0" * ((4 - (len(hdr) + len(name_b)) % 4) % 4))
    out.write(data)
    out.write(b"\0" * ((4 - len(data) % 4) % 4))


def main():
    init_script, output = sys.argv[1], sys.argv[2]
    busybox = shutil.which("busybox") or "/bin/busybox"
    with open(busybox, "rb") as f:
        bb = f.read()
    if b"ld-linux" in bb[:4096] or not bb.startswith(b"\x7fELF"):
        sys.exit("busybox is not a static ELF binary (install busybox-static)")
    with open(init_script, "rb") as f:
        init = f.read()
    with gzip.GzipFile(output, "wb", mtime=0) as out:
        ino = 1
        for d in ["bin", "dev", "proc", "sys", "tmp"]:
            entry(out, ino, d, stat.S_IFDIR | 0o755)
            ino += 1
        entry(out, ino, "dev/console", stat.S_IFCHR | 0o600, rdev=(5, 1))
        ino += 1
        entry(out, ino, "bin/busybox", stat.S_IFREG | 0o755, bb)
        ino += 1
        entry(out, ino, "init", stat.S_IFREG | 0o755, init)
        ino += 1
        entry(out, 0, "TRAILER!!!", 0)


if __name__ == "__main__":
    main()
