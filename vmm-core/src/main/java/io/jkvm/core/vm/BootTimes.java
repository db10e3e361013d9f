package io.jkvm.core.vm;

import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * When this process reached each step of a boot, in wall-clock milliseconds, for {@code jkvm run --boot-times} and
 * the boot benchmark's breakdown. One set per process: a process runs one VM, and the first time each step is
 * reached is the one that counts. The launcher passes the time it started and the time it exec'd the JVM as the
 * system properties {@code jkvm.launched} and {@code jkvm.exec} (bash's {@code $EPOCHREALTIME}, seconds with
 * microseconds), so the launcher's own work and the JVM's start are in the breakdown too.
 */
public final class BootTimes {
    /** The steps, in the order a boot reaches them. */
    public enum Step {
        /** The JVM entered {@code Main.main}. */
        MAIN("main"),
        /** The options were parsed and {@code jkvm run} began. */
        RUN("run"),
        /** KVM_CREATE_VM returned. */
        VM_CREATED("vm-created"),
        /** The kernel, initrd, command line and boot tables are in guest RAM. */
        KERNEL_LOADED("kernel-loaded"),
        /** Devices and vCPUs are set up. */
        VM_READY("vm-ready"),
        /** A vCPU thread is about to make its first KVM_RUN. */
        FIRST_VCPU_ENTRY("first-vcpu-entry"),
        /** The guest wrote its first console byte. */
        FIRST_CONSOLE_BYTE("first-console-byte");

        final String label;

        Step(String label) {
            this.label = label;
        }
    }

    private static final AtomicLongArray AT = new AtomicLongArray(Step.values().length);

    private BootTimes() {
    }

    /** Records that the process reached this step now, unless it had already. */
    public static void reached(Step step) {
        if (AT.get(step.ordinal()) == 0) {
            AT.compareAndSet(step.ordinal(), 0, System.currentTimeMillis());
        }
    }

    /** The wall-clock time of a step in ms, or 0 when it was not reached. */
    public static long at(Step step) {
        return AT.get(step.ordinal());
    }

    /** When the launcher started (epoch ms), or 0 when the JVM was not started by bin/jkvm. */
    public static long launched() {
        return epochMs("jkvm.launched");
    }

    /** When the launcher exec'd the JVM (epoch ms), or 0 when the JVM was not started by bin/jkvm. */
    public static long exec() {
        return epochMs("jkvm.exec");
    }

    private static long epochMs(String property) {
        String s = System.getProperty(property, "");
        try {
            return s.isEmpty() ? 0 : Math.round(Double.parseDouble(s.replace(',', '.')) * 1000);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /**
     * One line: {@code launched-epoch-ms=<epoch ms>} and then, in ms after it, the JVM's exec and each reached step
     * (after {@code main}, with {@code main-epoch-ms}, when the launcher's time is unknown), e.g.
     * {@code launched-epoch-ms=1764750000123 exec=12 main=1480 run=2210 vm-created=2290 ...}.
     */
    public static String describe() {
        long base = launched();
        StringJoiner j = new StringJoiner(" ");
        if (base == 0) {
            base = at(Step.MAIN);
            j.add("main-epoch-ms=" + base);
        } else {
            j.add("launched-epoch-ms=" + base);
            if (exec() != 0) {
                j.add("exec=" + (exec() - base));
            }
        }
        for (Step s : Step.values()) {
            long t = at(s);
            if (t != 0) {
                j.add(s.label + "=" + (t - base));
            }
        }
        return j.toString();
    }
}
