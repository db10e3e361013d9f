#!/usr/bin/env bash
# Tests scripts/with-kvm through one invocation (each start of the emulated host costs seconds): CMD's exit status
# comes back, the working directory and an environment variable reach CMD, stdin from a pipe reaches it (and ends),
# stdout and stderr arrive separately and stdout is no terminal, a file CMD writes under /tmp is here afterwards,
# /dev/kvm opens read-write inside, a JVM starts. Then, when this host needs the emulated host, a cheap run checks
# that a failure of the emulated host itself is status 125 with a one-line error, and another that a hung one
# (its heartbeat frozen) is stopped with 125 too.
# Exit 0 when all pass; otherwise 1, with one line per failed check.
set -uo pipefail
root=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
with_kvm=$root/scripts/with-kvm

work=$(mktemp -d /tmp/jkvm-test-with-kvm.XXXXXX)
trap 'rm -rf "$work"' EXIT
cwd="$work/cwd with space"
mkdir -p "$cwd"

failures=0
check() { # check DESCRIPTION EXPECTED ACTUAL
    if [ "$2" = "$3" ]; then
        echo "ok   $1"
    else
        echo "FAIL $1: expected '$2', got '$3'"
        failures=$((failures + 1))
    fi
}
field() { sed -n "s/^$1=//p" "$work/out" | head -n1; }

if verdict=$("$root/scripts/kvm-usable"); then emulated=no; else emulated=yes; fi
echo "kvm-usable: $verdict (emulated host used: $emulated)"

token="tok-$$-$RANDOM"
inner='
echo "cwd=$(pwd -P)"
echo "env=${JKVM_TEST_TOKEN:-}"
IFS= read -r first; echo "stdin1=$first"
rest=$(cat); echo "stdin-rest=$rest"
if [ -t 1 ]; then echo "stdout-tty=yes"; else echo "stdout-tty=no"; fi
if { exec 3<>/dev/kvm; } 2>/dev/null; then echo "kvm=open"; exec 3>&-; else echo "kvm=closed"; fi
j=$(command -v java) && echo "java=$("$(readlink -f "$j")" -version 2>&1 | head -n1)"
if pgrep -x kvm-keeper >/dev/null; then echo "keeper=yes"; else echo "keeper=no"; fi
echo "written inside" > "$JKVM_TEST_FILE"
echo "to-stderr"  >&2
exit 42'
start=$EPOCHREALTIME
cd "$cwd" && printf 'first line from pipe\nsecond\n' |
    JKVM_TEST_TOKEN=$token JKVM_TEST_FILE=$work/written "$with_kvm" bash -c "$inner" >"$work/out" 2>"$work/err"
rc=$?
cd "$root"
awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "one with-kvm run: %.2f s\n", b - a }'

check "exit status of CMD (42)" 42 "$rc"
check "working directory" "$(cd "$cwd" && pwd -P)" "$(field cwd)"
check "environment variable JKVM_TEST_TOKEN" "$token" "$(field env)"
check "stdin first line from a pipe" "first line from pipe" "$(field stdin1)"
check "stdin rest, then EOF" "second" "$(field stdin-rest)"
check "stdout is no terminal when ours is not" no "$(field stdout-tty)"
check "/dev/kvm opens read-write inside" open "$(field kvm)"
# with-kvm's own progress (its first run builds the emulated host: with-kvm: and l1-build: lines) is not CMD's.
check "stderr separate from stdout" "to-stderr" "$(grep -Ev '^(with-kvm|l1-build): ' "$work/err")"
check "stdout holds no stderr line" 0 "$(grep -c to-stderr "$work/out")"
check "stdout has no carriage returns" 0 "$(tr -cd '\r' <"$work/out" | wc -c)"
check "file written under /tmp inside is here" "written inside" "$(cat "$work/written" 2>/dev/null)"
if command -v java >/dev/null; then
    java_line=$(field java)
    case "$java_line" in
        *version*) echo "ok   a JVM starts inside: $java_line" ;;
        *) check "a JVM starts inside (java -version)" "a version line" "$java_line" ;;
    esac
fi

if [ "$emulated" = yes ]; then
    # scripts/lib/kvm-keeper.c: without its idle VM, guests coming and going made KVM patch L1's kernel text.
    check "the emulated host holds an idle VM (kvm-keeper)" yes "$(field keeper)"
    # An emulated host that cannot start the command in 1 s: with-kvm's own failure, not CMD's.
    JKVM_L1_BOOT_TIMEOUT=1 "$with_kvm" true </dev/null >"$work/out2" 2>"$work/err2"
    rc=$?
    check "emulated-host failure status (boot timeout)" 125 "$rc"
    # A kept run folder (for post-mortem) is named on a line of its own; it is not part of the error.
    check "emulated-host failure is one error line on stderr" 1 "$(grep -v 'run folder kept' "$work/err2" | grep -c .)"
    echo "     ($(grep -m1 '^with-kvm: ' "$work/err2"))"
    # A hung emulated host: the command stays silent longer than the stall limit (the heartbeat keeps the run
    # alive), then freezes the heartbeat (every child of L1's init but itself), as a kernel that no longer
    # schedules would; with-kvm must end the run with 125 instead of waiting forever.
    hang='sleep 25; echo survived; for p in $(pgrep -P 1); do [ "$p" = "$$" ] || kill -STOP "$p"; done; sleep 300'
    JKVM_L1_STALL_TIMEOUT=20 "$with_kvm" bash -c "$hang" </dev/null >"$work/out3" 2>"$work/err3"
    rc=$?
    check "a silent command outlives the stall limit (heartbeat)" survived "$(cat "$work/out3")"
    check "hung emulated host: status 125" 125 "$rc"
    check "hung emulated host: said so" 1 "$(grep -c '^with-kvm: the emulated host stopped responding' "$work/err3")"
    # with-kvm keeps the run folder of a failed start for post-mortem; these failures were on purpose.
    for kept in $(grep -ohE '/tmp/jkvm-with-kvm\.[A-Za-z0-9]+' "$work/err2" "$work/err3" | sort -u); do
        rm -rf "$kept"
    done
fi

if [ "$failures" -ne 0 ]; then
    echo "test-with-kvm: $failures check(s) failed; with-kvm stderr was:" >&2
    sed 's/^/  | /' "$work/err" >&2
    exit 1
fi
echo "test-with-kvm: all checks passed"
