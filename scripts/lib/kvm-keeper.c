/*
 * kvm-keeper: holds one idle KVM VM (in-kernel irqchip, one vCPU that never runs) for the life of the emulated
 * host (L1), started by l1-init once kvm-amd is loaded.
 *
 * Why: KVM flips static keys when the first VM of the host appears and when the last one goes, above all
 * preempt_notifier_key, whose jump labels sit inside __schedule (and apic_sw_disabled, per vCPU). Each flip
 * rewrites kernel text with text_poke_bp: an int3 on the site, IPIs, the new bytes. Under QEMU's multi-threaded
 * TCG that cross-CPU code patching is unreliable: L1 was seen with both CPUs looping forever between the int3 on
 * a jump label in __schedule and the int3 handler (a whole-host hang, about once in 20 guest boots; each test
 * boot is such a first VM). Its panics "corrupted stack end detected inside scheduler" likely came from the same.
 * With one VM always there, guests come and go without any of those keys changing.
 *
 * Built static by l1-build (the initramfs has no libc). Exits 0 once the VM exists, leaving a child that holds it;
 * 1 with a message when KVM refuses.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int fail(const char *what)
{
    fprintf(stderr, "kvm-keeper: %s: %s\n", what, strerror(errno));
    return 1;
}

int main(void)
{
    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0)
        return fail("open /dev/kvm");
    int vm = ioctl(kvm, KVM_CREATE_VM, 0);
    if (vm < 0)
        return fail("KVM_CREATE_VM");
    /* Like every guest's: without it, each vCPU would flip kvm_has_noapic_vcpu instead. */
    if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0)
        return fail("KVM_CREATE_IRQCHIP");
    if (ioctl(vm, KVM_CREATE_VCPU, 0) < 0)
        return fail("KVM_CREATE_VCPU");
    /* The caller waits for this exit status; the child holds the fds on. */
    pid_t child = fork();
    if (child < 0)
        return fail("fork");
    if (child > 0)
        return 0;
    for (;;)
        pause();
}
