#!/bin/sh
# /init of the jkvm guest initramfs. The contract (other tests rely on it) is in guest-images/README.md:
#   mounts, hostname, then the line "jkvm-init: ready";
#   jkvm.script=<base64>  -> decoded and run by /bin/sh, then "jkvm-init: exit <status>", power off;
#   jkvm.run=<command>    -> sh -c <command>, then "jkvm-init: exit <status>", power off;
#   neither               -> a job-control shell on the console, power off when it exits.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=linux
# Interactive shells read $ENV: it makes poweroff, halt and reboot the /sbin scripts (see shrc).
export PS1='\h:\w\$ ' ENV=/etc/jkvm-shrc

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=755 tmpfs /run
ln -sf /proc/self/fd /dev/fd
hostname jkvm-guest
echo "jkvm-init: ready"

# The kernel leaves dotted parameters out of init's arguments and environment, so read /proc/cmdline and
# split it the way the kernel does (lib/cmdline.c next_arg): spaces separate words except inside double
# quotes, and the quotes around a value are dropped. Prints the last value of parameter $1; fails if absent.
cmdline_param() {
  awk -v want="$1" '
    {
      s = $0; n = length(s); i = 1; found = 0
      while (i <= n) {
        while (i <= n && substr(s, i, 1) ~ /[ \t\n]/) i++
        if (i > n) break
        start = i; q = 0
        while (i <= n) {
          c = substr(s, i, 1)
          if (c ~ /[ \t\n]/ && !q) break
          if (c == "\"") q = !q
          i++
        }
        arg = substr(s, start, i - start)
        if (substr(arg, 1, 1) == "\"") {
          arg = substr(arg, 2)
          if (substr(arg, length(arg)) == "\"") arg = substr(arg, 1, length(arg) - 1)
        }
        eq = index(arg, "=")
        if (eq == 0 || substr(arg, 1, eq - 1) != want) continue
        val = substr(arg, eq + 1)
        if (substr(val, 1, 1) == "\"") {
          val = substr(val, 2)
          if (substr(val, length(val)) == "\"") val = substr(val, 1, length(val) - 1)
        }
        found = 1; last = val
      }
    }
    END { if (!found) exit 1; printf "%s", last }
  ' /proc/cmdline
}

# No ACPI: reboot(2) with the VMM's reboot= method (k: i8042 reset, t: triple fault) is what ends the VM.
power_off() {
  /sbin/poweroff # sync, drain the console, reboot -f (poweroff.sh)
  sleep 5
  echo "jkvm-init: reboot -f returned; halting" >&2
  while :; do sleep 3600; done
}

# busybox's halt, poweroff and reboot applets signal pid 1 (USR1, USR2, TERM); the shell prefers its applets
# to /sbin scripts, so an applet called by full name (busybox poweroff) lands here. ash runs the trap once the foreground
# command has ended (a background child plus wait would react at once, but would start with SIGINT ignored).
trap power_off USR1 USR2 TERM

# When a session leader exits, the kernel hangs up its terminal and throws away output that the UART has not
# sent yet: a slow serial port (QEMU's, under emulation) lost a script's last line that way. Setting the tty's own
# settings again is a tcsetattr(TCSADRAIN), which waits until everything is sent.
drain="trap 'stty \"\$(stty -g)\" 2>/dev/null' EXIT"

# Runs "$@" in its own session with the console as controlling tty (so ^C reaches it), reports its status.
run_reported() {
  setsid cttyhack "$@"
  status=$?
  echo "jkvm-init: exit $status"
  power_off
}

if script=$(cmdline_param jkvm.script); then
  if ! printf '%s' "$script" | base64 -d > /run/jkvm-script 2>/run/jkvm-script.err; then
    echo "jkvm-init: jkvm.script does not decode as base64: $(cat /run/jkvm-script.err)"
    echo "jkvm-init: exit 2"
    power_off
  fi
  # Sourced after the shrc, so that a poweroff in the script ends the VM there and then, as typed at the shell.
  run_reported /bin/sh -c "$drain; . /etc/jkvm-shrc; . /run/jkvm-script"
elif cmd=$(cmdline_param jkvm.run); then
  run_reported /bin/sh -c "$drain; . /etc/jkvm-shrc
$cmd"
else
  setsid cttyhack sh
  power_off
fi
