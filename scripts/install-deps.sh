#!/usr/bin/env bash
# Installs what the test suite needs: the real peers (Debian packages) and cargo tools.
# Idempotent; needs root (or sudo) for apt-get.
set -euo pipefail

DEBIAN_PACKAGES=(
  swtpm swtpm-tools libtpms-dev
  tpm2-tools libtss2-tcti-swtpm0 libtss2-tcti-mssim0
  # a resource manager for the context-heavy flows, on its own D-Bus session bus
  tpm2-abrmd libtss2-tcti-tabrmd0 dbus
  # the IBM TSS utilities
  tss2
  openssl python3
  # the VM test (tests/vm): QEMU, OVMF, a kernel to boot, a static busybox for the guest
  qemu-system-x86 ovmf linux-image-amd64 busybox-static socat
)

missing=()
for p in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q "${missing[@]}"
fi

if ! command -v cargo-deny >/dev/null 2>&1; then
  echo "installing cargo-deny (a few minutes)"
  cargo install cargo-deny --locked
fi

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "installing cargo-fuzz (a minute or two)"
  cargo install cargo-fuzz --locked
fi
