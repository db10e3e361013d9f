#!/usr/bin/env bash
# Tests 'jkvm serve' (Firecracker's API) and 'jkvm run --config-file' on a real guest. Run it where /dev/kvm runs
# guests (inside scripts/with-kvm). Firecracker's getting-started sequence with curl --unix-socket (logger,
# boot-source, drive, machine-config, InstanceStart), the guest's marker, a pause seen from the guest (its clock
# does not count it, and it prints nothing meanwhile), resume, SendCtrlAltDel ending the VM with status 0 and the
# socket removed; then each refusal with its status code and message; then the same VM from a --config-file.
# Exit 0 when all pass; otherwise 1, with one line per failed check.
set -uo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
jkvm=$root/bin/jkvm

images=$("$root/guest-images/build") || { echo "test-serve: guest-images/build failed" >&2; exit 1; }
work=$(mktemp -d /tmp/jkvm-test-serve.XXXXXX)
# Sockets cannot live on the emulated host's 9p share: /run is its own tmpfs.
sock=/run/jkvm-test-serve.$$.sock
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; rm -f "$sock"; }
trap cleanup EXIT

failures=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }

# api METHOD PATH [BODY]: prints "STATUS BODY".
api() {
    local code
    code=$(curl -s --unix-socket "$sock" -o "$work/resp" -w '%{http_code}' -X "$1" "http://localhost$2" \
        -H 'Content-Type: application/json' ${3:+--data-binary "$3"})
    printf '%s %s' "$code" "$(cat "$work/resp" 2>/dev/null)"
}
# expect WHAT "STATUS BODY" ACTUAL
expect() {
    if [ "$3" = "$2" ]; then ok "$1: $3"; else fail "$1: expected '$2', got '$3'"; fi
}
# wait_for FILE PATTERN SECONDS: until a line of FILE matches the extended regex.
wait_for() {
    local end=$((SECONDS + $3))
    while [ $SECONDS -lt $end ]; do
        tr -d '\r' <"$1" 2>/dev/null | grep -qE "$2" && return 0
        sleep 0.2
    done
    return 1
}
ticks() { tr -d '\r' <"$work/console" | grep -cE '^tick [0-9.]+$'; }
last_tick() { tr -d '\r' <"$work/console" | grep -E '^tick [0-9.]+$' | tail -n 1 | cut -d' ' -f2; }

kernel=$images/bzImage
initrd=$images/initramfs.cpio.gz
cp "$images/rootfs.ext4" "$work/rootfs.ext4"
# The guest prints its uptime (kvm-clock) five times a second.
script=$(printf 'echo "clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"\necho "cmdline $(grep -o "root=[^ ]* r[ow]" /proc/cmdline)"\nwhile :; do echo "tick $(cut -d" " -f1 /proc/uptime)"; sleep 0.2; done\n' | base64 -w0)

# --- the getting-started sequence
"$jkvm" serve --api-sock "$sock" --id test-vm </dev/null >"$work/console" 2>"$work/err" &
pid=$!
end=$((SECONDS + 120))
while [ ! -S "$sock" ] && [ $SECONDS -lt $end ] && kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
[ -S "$sock" ] && ok "socket $sock is there" || fail "no socket after 120 s: $(cat "$work/err")"

expect "GET / before the start" '200 {"id":"test-vm","state":"Not started","vmm_version":"0.1.0-SNAPSHOT","app_name":"jkvm"}' \
    "$(api GET /)"
expect "PUT /logger" "204 " "$(api PUT /logger "{\"log_path\":\"$work/fc.log\",\"level\":\"Info\",\"show_level\":true}")"
expect "PUT /metrics" "204 " "$(api PUT /metrics "{\"metrics_path\":\"$work/metrics.json\"}")"
expect "PUT /boot-source" "204 " "$(api PUT /boot-source "{\"kernel_image_path\":\"$kernel\",\"initrd_path\":\"$initrd\",\"boot_args\":\"jkvm.script=$script\"}")"
expect "PUT /drives/rootfs" "204 " "$(api PUT /drives/rootfs "{\"drive_id\":\"rootfs\",\"path_on_host\":\"$work/rootfs.ext4\",\"is_root_device\":true,\"is_read_only\":false}")"
expect "PUT /machine-config" "204 " "$(api PUT /machine-config '{"vcpu_count":1,"mem_size_mib":256}')"
expect "GET /machine-config" '200 {"vcpu_count":1,"mem_size_mib":256,"smt":false,"track_dirty_pages":false,"huge_pages":"None"}' \
    "$(api GET /machine-config)"
t0=$EPOCHREALTIME
expect "InstanceStart" "204 " "$(api PUT /actions '{"action_type":"InstanceStart"}')"
if wait_for "$work/console" '^jkvm-init: ready$' 120; then
    awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "ok   guest marker %.2f s after InstanceStart\n", b - a }'
else
    fail "no 'jkvm-init: ready' within 120 s of InstanceStart: $(tail -c 600 "$work/console") $(cat "$work/err")"
fi
wait_for "$work/console" '^cmdline ' 30
tr -d '\r' <"$work/console" | grep -qx 'cmdline root=/dev/vda rw' && ok "root=/dev/vda rw in the guest's /proc/cmdline" ||
    fail "root=/dev/vda rw not in the guest's /proc/cmdline: $(tr -d '\r' <"$work/console" | grep '^cmdline')"
wait_for "$work/console" '^tick ' 60 || fail "no tick from the guest"
expect "a second InstanceStart" '400 {"fault_message":"InstanceStart is refused: the microVM has already been started (state Running); one microVM per process"}' \
    "$(api PUT /actions '{"action_type":"InstanceStart"}')"
expect "PUT /boot-source after the start" '400 {"fault_message":"the boot source can only be set before InstanceStart: the microVM is Running"}' \
    "$(api PUT /boot-source "{\"kernel_image_path\":\"$kernel\"}")"

# --- pause and resume: no tick while paused, and the guest's clock skips the pause
sleep 1
expect "PATCH /vm Paused" "204 " "$(api PATCH /vm '{"state":"Paused"}')"
expect "GET / while paused" '200 {"id":"test-vm","state":"Paused","vmm_version":"0.1.0-SNAPSHOT","app_name":"jkvm"}' \
    "$(api GET /)"
n_paused=$(ticks)
before=$(last_tick)
sleep 4
n_after=$(ticks)
[ "$n_after" = "$n_paused" ] && ok "no tick in 4 s of pause ($n_paused ticks before)" ||
    fail "the guest printed $((n_after - n_paused)) ticks while paused"
expect "PATCH /vm Resumed" "204 " "$(api PATCH /vm '{"state":"Resumed"}')"
wait_for "$work/console" "^tick " 10
end=$((SECONDS + 30))
while [ "$(ticks)" -le "$n_after" ] && [ $SECONDS -lt $end ]; do sleep 0.1; done
after=$(last_tick)
# Host time paused: 4 s; the guest's clock between its last tick before and its first after must not show them.
if awk -v a="$before" -v b="$after" 'BEGIN { exit !(b - a < 2.5 && b > a) }'; then
    ok "guest clock across a 4 s pause advanced $(awk -v a="$before" -v b="$after" 'BEGIN { printf "%.2f", b - a }') s ($before -> $after)"
else
    fail "guest clock across a 4 s pause: $before -> $after (expected less than 2.5 s; $(tr -d '\r' <"$work/console" | grep -m1 '^clocksource'))"
fi
expect "FlushMetrics" "204 " "$(api PUT /actions '{"action_type":"FlushMetrics"}')"
grep -q '"exits.KVM_EXIT_IO":[1-9]' "$work/metrics.json" && ok "metrics line with jkvm's counters" ||
    fail "no exits.KVM_EXIT_IO counter in $(cat "$work/metrics.json")"

# --- the refusals, each a 400 with its message, and the process goes on serving
expect "unknown field" "400 {\"fault_message\":\"the PUT /machine-config body: unknown field 'vcpus': the fields are cpu_template, huge_pages, mem_size_mib, smt, track_dirty_pages, vcpu_count\"}" \
    "$(api PUT /machine-config '{"vcpus":2}')"
expect "wrong type" "400 {\"fault_message\":\"the PATCH /vm body: field 'state' is 1 (a number): it must be a string\"}" \
    "$(api PATCH /vm '{"state":1}')"
expect "missing file" "400 {\"fault_message\":\"the PUT /drives/x body: field 'path_on_host' is \\\"/nonexistent.img\\\": no such file\"}" \
    "$(api PUT /drives/x '{"drive_id":"x","path_on_host":"/nonexistent.img","is_root_device":false}')"
expect "snapshot" '400 {"fault_message":"PUT /snapshot/create: jkvm does not implement snapshots"}' \
    "$(api PUT /snapshot/create '{}')"
expect "balloon" '400 {"fault_message":"PUT /balloon: jkvm does not implement the balloon device"}' "$(api PUT /balloon '{}')"
expect "vsock" '400 {"fault_message":"PUT /vsock: jkvm does not implement vsock"}' "$(api PUT /vsock '{}')"
expect "mmds" '400 {"fault_message":"PUT /mmds: jkvm does not implement the microVM metadata service (MMDS)"}' "$(api PUT /mmds '{}')"
expect "cpu-config" '400 {"fault_message":"PUT /cpu-config: jkvm does not implement custom CPU templates"}' "$(api PUT /cpu-config '{}')"
expect "network interface" "400 {\"fault_message\":\"the PUT /network-interfaces/eth0 body: network interface 'eth0' on tap0 cannot be added: jkvm has no virtio-net device yet\"}" \
    "$(api PUT /network-interfaces/eth0 '{"iface_id":"eth0","host_dev_name":"tap0"}')"
head -c 60000 /dev/zero | tr '\0' 'x' >"$work/big"
expect "body over 51200 bytes" '400 {"fault_message":"the request body is 60000 bytes; jkvm accepts at most 51200"}' \
    "$(api PUT /boot-source "@$work/big")"
expect "still serving" '200 {"id":"test-vm","state":"Running","vmm_version":"0.1.0-SNAPSHOT","app_name":"jkvm"}' "$(api GET /)"

# --- the socket is refused while it exists
"$jkvm" serve --api-sock "$sock" </dev/null >/dev/null 2>"$work/err2"
rc=$?
expect "a second serve on the same socket" "2 jkvm: --api-sock $sock exists: remove it (a socket left by a jkvm that was killed?) or choose another path" \
    "$rc $(cat "$work/err2")"

# --- SendCtrlAltDel ends the VM through the guest's keyboard: status 0, socket removed
expect "SendCtrlAltDel" "204 " "$(api PUT /actions '{"action_type":"SendCtrlAltDel"}')"
end=$((SECONDS + 60))
while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $end ]; do sleep 0.2; done
if kill -0 "$pid" 2>/dev/null; then
    fail "jkvm serve still runs 60 s after SendCtrlAltDel"
else
    wait "$pid"
    rc=$?
    pid=
    expect "exit status after SendCtrlAltDel" 0 "$rc"
fi
[ ! -e "$sock" ] && ok "socket removed at exit" || fail "socket $sock left behind"
grep -q '\[test-vm:INFO\] PUT /actions: 204' "$work/fc.log" && ok "the log has the requests" ||
    fail "log: $(head -c 300 "$work/fc.log")"

# --- the same VM from a configuration file, and a bad one
script2=$(printf 'echo "config-file guest $(grep -o "root=[^ ]*" /proc/cmdline)"\n' | base64 -w0)
cat >"$work/vm.json" <<JSON
{
  "boot-source": {"kernel_image_path": "$kernel", "initrd_path": "$initrd", "boot_args": "jkvm.script=$script2"},
  "drives": [{"drive_id": "rootfs", "path_on_host": "$work/rootfs.ext4", "is_root_device": true, "is_read_only": true}],
  "machine-config": {"vcpu_count": 2, "mem_size_mib": 256},
  "network-interfaces": []
}
JSON
"$jkvm" run --config-file "$work/vm.json" --timeout 300 </dev/null >"$work/console2" 2>"$work/err3"
rc=$?
expect "jkvm run --config-file exit status" 0 "$rc"
tr -d '\r' <"$work/console2" | grep -qx 'config-file guest root=/dev/vda' && ok "the guest from vm.json ran, root=/dev/vda" ||
    fail "no 'config-file guest root=/dev/vda': $(tail -c 400 "$work/console2") $(cat "$work/err3")"
echo '{"boot-source": {"kernel_image_path": "'"$kernel"'"}, "vsock": {"guest_cid": 3}}' >"$work/bad.json"
"$jkvm" run --config-file "$work/bad.json" </dev/null >/dev/null 2>"$work/err4"
rc=$?
expect "a config file with vsock" "2 jkvm: configuration file $work/bad.json: section 'vsock' is given, but jkvm does not implement vsock; remove it" \
    "$rc $(cat "$work/err4")"

[ $failures = 0 ] && { echo "test-serve: all passed"; exit 0; }
echo "test-serve: $failures failed"
exit 1
