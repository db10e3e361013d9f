#!/usr/bin/env bash
# Tests the ELF kernel loader on a real guest: the vmlinux of our own kernel build (guest-images/build keeps it
# beside the bzImage) boots under 'jkvm run' with 2 vCPUs and the initramfs, runs a command and powers off with 0.
# Run it where /dev/kvm runs guests (inside scripts/with-kvm). Exit 0 when all pass, else 1 with one line each.
set -uo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
images=$("$root/guest-images/build") || { echo "test-vmlinux: guest-images/build failed" >&2; exit 1; }
work=$(mktemp -d /tmp/jkvm-test-vmlinux.XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

head -c 4 "$images/vmlinux" | od -An -c | grep -q 'E   L   F' && ok "vmlinux is an ELF file" || fail "vmlinux is not ELF"
"$root/bin/jkvm" run --kernel "$images/vmlinux" --initrd "$images/initramfs.cpio.gz" --cpus 2 --verbose \
    --cmdline 'jkvm.run="echo elf-guest $(nproc)"' --timeout 300 </dev/null >"$work/out" 2>"$work/err"
rc=$?
[ $rc = 0 ] && ok "exit status 0" || fail "exit status $rc: $(tail -n 3 "$work/err")"
grep -q 'ELF vmlinux, segments at' "$work/err" && ok "loaded as ELF: $(grep 'ELF vmlinux' "$work/err")" ||
    fail "not loaded as ELF: $(head -n 3 "$work/err")"
tr -d '\r' <"$work/out" | grep -qx 'elf-guest 2' && ok "the guest ran with 2 vCPUs" ||
    fail "no 'elf-guest 2' line: $(tail -c 500 "$work/out")"
[ $failures = 0 ] && { echo "test-vmlinux: all passed"; exit 0; }
echo "test-vmlinux: $failures failed"
exit 1
