#!/usr/bin/env bash
# Tests the reference boot: `scripts/with-kvm scripts/ref-boot` must show the guest's marker, the line of
# /hello.txt read from the virtio-blk disk, 16 hex bytes from /dev/hwrng (virtio-rng), and QEMU exiting 0.
# Prints the wall time from starting with-kvm to the guest's marker (read live from with-kvm's stdout).
# The images are built (or found in the cache) here first, so that the emulated host does not build a kernel.
# Exit 0 when all pass; otherwise 1, with one line per failed check.
set -uo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)

work=$(mktemp -d /tmp/jkvm-test-ref-boot.XXXXXX)
trap 'rm -rf "$work"' EXIT

images=$("$root/guest-images/build") || { echo "test-ref-boot: guest-images/build failed" >&2; exit 1; }
echo "images: $images"
sha_before=$(sha256sum <"$images/rootfs.ext4")

failures=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

start=$EPOCHREALTIME
JKVM_IMAGES=$images "$root/scripts/with-kvm" "$root/scripts/ref-boot" </dev/null 2>"$work/err" |
    while IFS= read -r line; do
        printf '%s\n' "$line" >>"$work/out"
        case "$line" in
            "jkvm-ref: marker"*)
                awk -v a="$start" -v b="$EPOCHREALTIME" \
                    'BEGIN { printf "wall time from with-kvm start to guest marker: %.2f s\n", b - a }' ;;
        esac
    done
rc=${PIPESTATUS[0]}
awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "whole with-kvm ref-boot run: %.2f s\n", b - a }'
touch "$work/out"
out=$(tr -d '\r' <"$work/out")

grep -qx 'jkvm-ref: marker' <<<"$out" && ok "guest marker" || fail "guest marker 'jkvm-ref: marker' missing"
grep -qx 'jkvm-ref: hello.txt: jkvm rootfs hello' <<<"$out" && ok "/hello.txt read from /dev/vda: jkvm rootfs hello" ||
    fail "line 'jkvm-ref: hello.txt: jkvm rootfs hello' missing"
if hex=$(grep -xE 'jkvm-ref: hwrng: [0-9a-f]{32}' <<<"$out"); then
    ok "16 bytes from /dev/hwrng: ${hex##* }"
else
    fail "no line 'jkvm-ref: hwrng: <32 hex digits>'"
fi
grep -qx 'ref-boot: qemu exit 0' "$work/err" && ok "QEMU exited 0" || fail "QEMU did not exit 0 ($(grep -m1 'qemu exit' "$work/err"))"
[ "$rc" = 0 ] && ok "with-kvm ref-boot exit status 0" || fail "with-kvm ref-boot exit status $rc"
[ "$(sha256sum <"$images/rootfs.ext4")" = "$sha_before" ] && ok "cached rootfs.ext4 unchanged" ||
    fail "the cached rootfs.ext4 changed"

if [ "$failures" -ne 0 ]; then
    echo "test-ref-boot: $failures check(s) failed; output was:" >&2
    sed 's/^/  | /' "$work/out" "$work/err" >&2
    exit 1
fi
grep "^ref-boot: .* after" "$work/err"
echo "test-ref-boot: all checks passed"
