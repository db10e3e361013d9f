#!/bin/sh
# Installed as poweroff, halt and reboot. The guest has no ACPI to power off through: reboot(2) with the
# VMM's reboot= method (reboot=k: i8042 reset, which jkvm takes as the end of the VM; reboot=t with QEMU's
# -no-reboot) is what ends the VM, so every one of these does that.
sync
# reboot -f does not wait for the console: let the UART send what is queued (tcsetattr TCSADRAIN) first.
stty -F /dev/console "$(stty -F /dev/console -g)" 2>/dev/null
exec /bin/busybox reboot -f
