#!/usr/bin/env bash
# Boots QEMU + OVMF + the Debian kernel (direct boot, our initramfs) with a TPM served by
# an swtpm-compatible binary, and leaves the guest's report in OUT/serial.log.
#
# usage: tests/vm/run-vm.sh OUT
# env:   TPM_BIN     the TPM daemon (default: target/release/ferrotpm)
#        TPM_DEVICE  tpm-crb (default) | tpm-tis
#        REBOOT      1: the guest reboots once (two reports expected)
#        ACCEL       kvm | tcg (default: kvm only when it can run firmware)
#        TIMEOUT     seconds for the whole boot (default 240)
# Exit status 0 when the expected number of reports arrived; the report is checked by the
# caller (crates/ferrotpm/tests/vm.rs).
set -euo pipefail
# shellcheck source=tests/vm/common.sh
source "$(dirname "$0")/common.sh" "${1:-}"
REBOOT=${REBOOT:-0}
rm -f "$out/ctrl.sock" "$out/serial.log"
mkdir -p "$out/state"

"$TPM_BIN" socket --tpm2 --tpmstate "dir=$out/state" --ctrl "type=unixio,path=$out/ctrl.sock,mode=0600" \
  --log "file=$out/tpm.log" --terminate >"$out/tpm.stdout" 2>&1 &
pids+=($!)
for _ in $(seq 1 500); do [ -S "$out/ctrl.sock" ] && break; sleep 0.02; done
[ -S "$out/ctrl.sock" ] || { echo "run-vm: TPM control socket did not appear" >&2; cat "$out/tpm.stdout" >&2; exit 2; }

append="console=ttyS0 panic=-1 quiet loglevel=4"
[ "$REBOOT" = 1 ] && append="$append ftpm.reboot=1"
cpu=()
[ "$ACCEL" = kvm ] && cpu=(-cpu host)
qemu-system-x86_64 -machine "q35,accel=$ACCEL" "${cpu[@]}" -m 512 -smp 1 \
  -nodefaults -no-user-config -display none \
  -drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" \
  -drive "if=pflash,format=raw,unit=1,file=$out/vars.fd" \
  -chardev "socket,id=chrtpm,path=$out/ctrl.sock" \
  -tpmdev emulator,id=tpm0,chardev=chrtpm -device "$TPM_DEVICE,tpmdev=tpm0" \
  -kernel "$KERNEL" -initrd "$out/initrd.gz" -append "$append" \
  -serial "file:$out/serial.log" >"$out/qemu.log" 2>&1 &
qpid=$!
pids+=($qpid)
want=1
[ "$REBOOT" = 1 ] && want=2
start=$(date +%s)
while kill -0 "$qpid" 2>/dev/null; do
  got=$(grep -c "^FTPM-END" "$out/serial.log" 2>/dev/null || true)
  [ "${got:-0}" -ge "$want" ] && break
  if [ $(($(date +%s) - start)) -ge "$TIMEOUT" ]; then
    echo "run-vm: timeout after ${TIMEOUT}s" >&2
    exit 1
  fi
  sleep 0.5
done
# Let a final poweroff finish, then stop whatever is left.
for _ in $(seq 1 20); do kill -0 "$qpid" 2>/dev/null || break; sleep 0.25; done
got=$(grep -c "^FTPM-END" "$out/serial.log" 2>/dev/null || true)
echo "run-vm: $got report(s), accel=$ACCEL device=$TPM_DEVICE"
[ "${got:-0}" -ge "$want" ]
