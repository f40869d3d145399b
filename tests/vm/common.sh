# shellcheck shell=bash
# Shared set-up of run-vm.sh and run-migrate.sh: paths and knobs, the checks that the
# tools exist, the accelerator choice, the guest's initramfs and firmware variables, and
# stopping what was started. Sourced with $1 = the output directory.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${1:?usage: $(basename "$0") OUT}
mkdir -p "$out"
out=$(cd "$out" && pwd)
TPM_BIN=${TPM_BIN:-$root/target/release/ferrotpm}
TPM_DEVICE=${TPM_DEVICE:-tpm-crb}
TIMEOUT=${TIMEOUT:-240}
OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE_4M.fd}
OVMF_VARS=${OVMF_VARS:-/usr/share/OVMF/OVMF_VARS_4M.fd}
KERNEL=${KERNEL:-$(ls -1 /boot/vmlinuz-* | sort -V | tail -1)}

for f in "$TPM_BIN" "$OVMF_CODE" "$OVMF_VARS" "$KERNEL"; do
  [ -e "$f" ] || { echo "$(basename "$0"): missing $f" >&2; exit 2; }
done
command -v qemu-system-x86_64 >/dev/null || { echo "$(basename "$0"): qemu-system-x86_64 missing" >&2; exit 2; }

# KVM only if it is a hardware KVM (kvm_pvm cannot run firmware).
if [ -z "${ACCEL:-}" ]; then
  ACCEL=tcg
  if [ -r /dev/kvm ] && [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
    ACCEL=kvm
  fi
fi

python3 "$here/mkinitramfs.py" "$here/init.sh" "$out/initrd.gz"
cp "$OVMF_VARS" "$out/vars.fd"

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
