#!/usr/bin/env bash
# Migrates a running VM and its TPM: boots QEMU + OVMF + Linux on TPM daemon A, waits for
# the guest's report, stops the VM and migrates it to a file (QEMU saves the TPM's state
# blobs with GET_STATEBLOB), then starts a fresh TPM daemon B on an empty state directory
# and an incoming QEMU from that file (SET_STATEBLOB + INIT), and lets the guest report
# again from B. The caller compares the reports (crates/ferrotpm/tests/vm.rs).
#
# usage: tests/vm/run-migrate.sh OUT     env: as run-vm.sh (TPM_BIN, TPM_DEVICE, ACCEL, TIMEOUT)
set -euo pipefail
# shellcheck source=tests/vm/common.sh
source "$(dirname "$0")/common.sh" "${1:-}"
command -v socat >/dev/null || { echo "run-migrate: socat missing" >&2; exit 2; }
rm -rf "$out/state-a" "$out/state-b" "$out"/*.sock "$out"/serial-*.log "$out/vm.mig"
mkdir -p "$out/state-a" "$out/state-b"


start_tpm() { # name
  "$TPM_BIN" socket --tpm2 --tpmstate "dir=$out/state-$1" --ctrl "type=unixio,path=$out/ctrl-$1.sock,mode=0600" \
    --log "file=$out/tpm-$1.log" --terminate >"$out/tpm-$1.stdout" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 500); do [ -S "$out/ctrl-$1.sock" ] && return 0; sleep 0.02; done
  echo "run-migrate: TPM $1 did not start" >&2
  exit 2
}

qemu() { # name extra-args...
  local name=$1
  shift
  local cpu=()
  [ "$ACCEL" = kvm ] && cpu=(-cpu host)
  qemu-system-x86_64 -machine "q35,accel=$ACCEL" "${cpu[@]}" -m 512 -smp 1 \
    -nodefaults -no-user-config -display none \
    -drive "if=pflash,format=raw,unit=0,readonly=on,file=$OVMF_CODE" \
    -drive "if=pflash,format=raw,unit=1,file=$out/vars.fd" \
    -chardev "socket,id=chrtpm,path=$out/ctrl-$name.sock" \
    -tpmdev emulator,id=tpm0,chardev=chrtpm -device "$TPM_DEVICE,tpmdev=tpm0" \
    -kernel "$KERNEL" -initrd "$out/initrd.gz" -append "console=ttyS0 panic=-1 quiet loglevel=4 ftpm.hold=1" \
    -qmp "unix:$out/qmp-$name.sock,server=on,wait=off" \
    -serial "file:$out/serial-$name.log" "$@" >"$out/qemu-$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 500); do [ -S "$out/qmp-$name.sock" ] && return 0; sleep 0.02; done
  echo "run-migrate: QEMU $name did not start" >&2
  exit 2
}

qmp() { # name json-commands...
  local name=$1
  shift
  { echo '{"execute":"qmp_capabilities"}'; for c in "$@"; do echo "$c"; sleep 0.2; done; sleep 0.3; } |
    socat -t 2 - "UNIX-CONNECT:$out/qmp-$name.sock"
}

wait_reports() { # serial-file count
  local start
  start=$(date +%s)
  while [ "$(grep -c '^FTPM-END' "$1" 2>/dev/null || true)" -lt "$2" ]; do
    if [ $(($(date +%s) - start)) -ge "$TIMEOUT" ]; then
      echo "run-migrate: timeout waiting for $2 report(s) in $1" >&2
      exit 1
    fi
    sleep 0.3
  done
}

start_tpm a
qemu a
wait_reports "$out/serial-a.log" 1
qmp a '{"execute":"stop"}' "{\"execute\":\"migrate\",\"arguments\":{\"uri\":\"exec:cat > $out/vm.mig\"}}" >"$out/qmp-a.out"
for _ in $(seq 1 300); do
  qmp a '{"execute":"query-migrate"}' | grep -q '"status": *"completed"' && break
  sleep 0.2
done
qmp a '{"execute":"query-migrate"}' | grep -q '"status": *"completed"' || { echo "run-migrate: migration did not complete" >&2; exit 1; }
qmp a '{"execute":"quit"}' >/dev/null || true

start_tpm b
qemu b -incoming "exec:cat $out/vm.mig"
for _ in $(seq 1 300); do
  qmp b '{"execute":"query-status"}' | grep -q '"status": *"\(paused\|postmigrate\|running\)"' && break
  sleep 0.2
done
qmp b '{"execute":"cont"}' >"$out/qmp-b.out"
wait_reports "$out/serial-b.log" 1
echo "run-migrate: VM migrated from TPM A to TPM B, accel=$ACCEL device=$TPM_DEVICE"
