#!/bin/busybox sh
# Guest /init for the VM test: report what the kernel sees of the TPM on the serial
# console between FTPM-BEGIN and FTPM-END markers, then reboot or power off.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
mkdir -p /tmp && mount -t tmpfs tmpfs /tmp
# Kernel messages on the console would interleave with the report lines: keep them off.
dmesg -n 1

i=0
while [ ! -e /dev/tpmrm0 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done

echo "FTPM-BEGIN"
echo "FTPM-BOOT $(cat /proc/sys/kernel/random/boot_id)"
if [ -e /sys/class/tpm/tpm0 ]; then
  echo "FTPM-VERSION $(cat /sys/class/tpm/tpm0/tpm_version_major 2>/dev/null)"
  for bank in sha1 sha256 sha384 sha512; do
    d=/sys/class/tpm/tpm0/pcr-$bank
    [ -d $d ] || continue
    n=0
    while [ $n -lt 24 ]; do
      echo "FTPM-PCR $bank $n $(cat $d/$n)"
      n=$((n + 1))
    done
  done
  # A raw TPM2_GetRandom(8) through the resource manager.
  printf '\200\001\000\000\000\014\000\000\001\173\000\010' > /tmp/getrandom
  exec 3<>/dev/tpmrm0
  cat /tmp/getrandom >&3
  echo "FTPM-GETRANDOM $(dd bs=64 count=1 <&3 2>/dev/null | od -An -tx1 | tr -d ' \n')"
  exec 3>&-
  if [ -r /sys/kernel/security/tpm0/binary_bios_measurements ]; then
    echo "FTPM-EVENTLOG-BEGIN"
    base64 /sys/kernel/security/tpm0/binary_bios_measurements
    echo "FTPM-EVENTLOG-END"
  fi
  if [ -r /sys/kernel/security/ima/ascii_runtime_measurements ]; then
    echo "FTPM-IMA-BEGIN"
    cat /sys/kernel/security/ima/ascii_runtime_measurements
    echo "FTPM-IMA-END"
  fi
else
  echo "FTPM-NOTPM"
fi
echo "FTPM-END"

# ftpm.hold=1: keep reporting the PCRs every second (the host migrates the VM meanwhile).
case " $(cat /proc/cmdline) " in
  *" ftpm.hold=1 "*)
    while true; do
      sleep 1
      echo "FTPM-BEGIN"
      echo "FTPM-VERSION $(cat /sys/class/tpm/tpm0/tpm_version_major 2>/dev/null)"
      for bank in sha1 sha256 sha384 sha512; do
        d=/sys/class/tpm/tpm0/pcr-$bank
        [ -d $d ] || continue
        n=0
        while [ $n -lt 24 ]; do
          echo "FTPM-PCR $bank $n $(cat $d/$n)"
          n=$((n + 1))
        done
      done
      echo "FTPM-END"
    done
    ;;
esac

# ftpm.reboot=1 on the kernel command line: reboot after reporting (the host counts the
# reports and stops the VM after the second); otherwise power off.
case " $(cat /proc/cmdline) " in
  *" ftpm.reboot=1 "*) echo "FTPM-REBOOTING"; reboot -f ;;
esac
poweroff -f
