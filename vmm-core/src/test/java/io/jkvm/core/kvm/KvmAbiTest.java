package io.jkvm.core.kvm;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every ioctl number, structure size, field offset and constant of the bindings against the host's linux/kvm.h
 * (and libc headers), as the C compiler sees them: the test writes a C program that prints each expression, builds
 * it with gcc and compares. It also fails when a constant of the binding classes is not in its table, so a new one
 * cannot go unchecked.
 */
class KvmAbiTest {
    private record Check(String what, String cExpression, long javaValue) {
    }

    private final List<Check> checks = new ArrayList<>();
    private final Set<Field> covered = new LinkedHashSet<>();

    private static final List<Class<?>> BINDING_CLASSES = List.of(LibC.class, Ioctls.class, KvmCap.class,
            KvmExit.class, KvmRun.class, KvmUserspaceMemoryRegion.class, KvmRegs.class, KvmSegment.class,
            KvmDtable.class, KvmSregs.class, KvmFpu.class, KvmCpuid2.class, KvmMsrs.class, KvmMsrList.class,
            KvmLapicState.class, KvmPitConfig.class, KvmIoeventfd.class, KvmIrqfd.class, KvmIrqLevel.class, KvmClockData.class,
            KvmStats.class, Kvm.class, MmapRegion.class);

    @Test
    void bindingsMatchTheKernelHeaders(@TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(gccAvailable(), "gcc is not installed: cannot compile against linux/kvm.h");
        table();

        Set<String> unchecked = new LinkedHashSet<>();
        for (Class<?> c : BINDING_CLASSES) {
            for (Field f : c.getDeclaredFields()) {
                int m = f.getModifiers();
                boolean constant = Modifier.isPublic(m) && Modifier.isStatic(m) && Modifier.isFinal(m)
                        && (f.getType() == int.class || f.getType() == long.class);
                if (constant && !covered.contains(f)) {
                    unchecked.add(c.getSimpleName() + "." + f.getName());
                }
            }
        }
        assertTrue(unchecked.isEmpty(), "constants without a C counterpart in KvmAbiTest's table: " + unchecked);

        List<Long> cValues = compileAndRun(dir);
        assertEquals(checks.size(), cValues.size(), "the C program printed a value per check");
        List<String> mismatches = new ArrayList<>();
        for (int i = 0; i < checks.size(); i++) {
            Check c = checks.get(i);
            if (c.javaValue() != cValues.get(i)) {
                mismatches.add(String.format("%s: Java 0x%x, C (%s) 0x%x", c.what(), c.javaValue(),
                        c.cExpression(), cValues.get(i)));
            }
        }
        assertTrue(mismatches.isEmpty(), mismatches.size() + " of " + checks.size() + " differ:\n"
                + String.join("\n", mismatches));
    }

    /** The table: a Java constant and the C expression that must equal it. */
    private void table() throws ReflectiveOperationException {
        for (Ioctl ioctl : Ioctls.ALL) {
            checks.add(new Check(ioctl.name(), ioctl.name(), ioctl.number()));
        }
        for (Field f : Ioctls.class.getDeclaredFields()) {
            if (f.getType() == Ioctl.class && Modifier.isPublic(f.getModifiers())) {
                assertTrue(Ioctls.ALL.contains((Ioctl) f.get(null)), "Ioctls.ALL lacks " + f.getName());
                assertEquals(f.getName(), ((Ioctl) f.get(null)).name(), "ioctl named after its field");
            }
        }
        c(Ioctls.class, "KVMIO", "KVMIO");

        // struct kvm_run and its exit unions
        String run = "struct kvm_run";
        c(KvmRun.class, "SIZE", "sizeof(" + run + ")");
        for (String[] f : new String[][]{
            {"REQUEST_INTERRUPT_WINDOW", "request_interrupt_window"}, {"IMMEDIATE_EXIT", "immediate_exit"},
            {"EXIT_REASON", "exit_reason"}, {"READY_FOR_INTERRUPT_INJECTION", "ready_for_interrupt_injection"},
            {"IF_FLAG", "if_flag"}, {"FLAGS", "flags"}, {"CR8", "cr8"}, {"APIC_BASE", "apic_base"},
            {"EXIT_UNION", "hw"}, {"HW_HARDWARE_EXIT_REASON", "hw.hardware_exit_reason"},
            {"FAIL_ENTRY_HARDWARE_ENTRY_FAILURE_REASON", "fail_entry.hardware_entry_failure_reason"},
            {"FAIL_ENTRY_CPU", "fail_entry.cpu"}, {"EX_EXCEPTION", "ex.exception"}, {"EX_ERROR_CODE", "ex.error_code"},
            {"IO_DIRECTION", "io.direction"}, {"IO_SIZE", "io.size"}, {"IO_PORT", "io.port"},
            {"IO_COUNT", "io.count"}, {"IO_DATA_OFFSET", "io.data_offset"}, {"MMIO_PHYS_ADDR", "mmio.phys_addr"},
            {"MMIO_DATA", "mmio.data"}, {"MMIO_LEN", "mmio.len"}, {"MMIO_IS_WRITE", "mmio.is_write"},
            {"INTERNAL_SUBERROR", "internal.suberror"}, {"INTERNAL_NDATA", "internal.ndata"},
            {"INTERNAL_DATA", "internal.data"}, {"SYSTEM_EVENT_TYPE", "system_event.type"},
            {"SYSTEM_EVENT_NDATA", "system_event.ndata"}, {"SYSTEM_EVENT_DATA", "system_event.data"}}) {
            c(KvmRun.class, f[0], offsetof(run, f[1]));
        }
        for (Field f : KvmExit.class.getDeclaredFields()) {
            if (f.getType() == int.class) {
                String n = f.getName();
                boolean subCode = n.startsWith("SYSTEM_EVENT_") || n.startsWith("INTERNAL_ERROR_");
                c(KvmExit.class, n, (subCode ? "KVM_" : "KVM_EXIT_") + n);
            }
        }
        for (Field f : KvmCap.class.getDeclaredFields()) {
            c(KvmCap.class, f.getName(), "KVM_CAP_" + f.getName());
        }

        struct(KvmUserspaceMemoryRegion.class, "struct kvm_userspace_memory_region",
                "SLOT", "FLAGS", "GUEST_PHYS_ADDR", "MEMORY_SIZE", "USERSPACE_ADDR");
        c(KvmUserspaceMemoryRegion.class, "KVM_MEM_LOG_DIRTY_PAGES", "KVM_MEM_LOG_DIRTY_PAGES");
        c(KvmUserspaceMemoryRegion.class, "KVM_MEM_READONLY", "KVM_MEM_READONLY");

        struct(KvmRegs.class, "struct kvm_regs", "RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RSP", "RBP", "R8",
                "RIP", "RFLAGS");
        struct(KvmSegment.class, "struct kvm_segment", "BASE", "LIMIT", "SELECTOR", "TYPE", "PRESENT", "DPL", "DB",
                "S", "L", "G", "AVL", "UNUSABLE");
        struct(KvmDtable.class, "struct kvm_dtable", "BASE", "LIMIT");
        struct(KvmSregs.class, "struct kvm_sregs", "CS", "DS", "ES", "FS", "GS", "SS", "TR", "LDT", "GDT", "IDT",
                "CR0", "CR2", "CR3", "CR4", "CR8", "EFER", "APIC_BASE", "INTERRUPT_BITMAP");
        struct(KvmFpu.class, "struct kvm_fpu", "FPR", "FCW", "FSW", "FTWX", "LAST_OPCODE", "LAST_IP", "LAST_DP",
                "XMM", "MXCSR");

        struct(KvmCpuid2.class, "struct kvm_cpuid2", "NENT", "ENTRIES");
        c(KvmCpuid2.class, "ENTRY_SIZE", "sizeof(struct kvm_cpuid_entry2)");
        for (String f : new String[]{"FUNCTION", "INDEX", "FLAGS", "EAX", "EBX", "ECX", "EDX"}) {
            c(KvmCpuid2.class, "ENTRY_" + f, offsetof("struct kvm_cpuid_entry2", f.toLowerCase()));
        }
        c(KvmCpuid2.class, "KVM_CPUID_FLAG_SIGNIFCANT_INDEX", "KVM_CPUID_FLAG_SIGNIFCANT_INDEX");

        struct(KvmMsrs.class, "struct kvm_msrs", "NMSRS", "ENTRIES");
        c(KvmMsrs.class, "ENTRY_SIZE", "sizeof(struct kvm_msr_entry)");
        c(KvmMsrs.class, "ENTRY_INDEX", offsetof("struct kvm_msr_entry", "index"));
        c(KvmMsrs.class, "ENTRY_DATA", offsetof("struct kvm_msr_entry", "data"));
        struct(KvmMsrList.class, "struct kvm_msr_list", "NMSRS", "INDICES");

        c(KvmLapicState.class, "SIZE", "sizeof(struct kvm_lapic_state)");
        // The APIC register layout is the SDM's, not kvm.h's; these are checked against asm/apicdef.h values.
        checkLiteral(KvmLapicState.class, "APIC_LVT0", 0x350);
        checkLiteral(KvmLapicState.class, "APIC_LVT1", 0x360);
        checkLiteral(KvmLapicState.class, "APIC_MODE_NMI", 0x4);
        checkLiteral(KvmLapicState.class, "APIC_MODE_EXTINT", 0x7);

        struct(KvmPitConfig.class, "struct kvm_pit_config", "FLAGS");
        c(KvmPitConfig.class, "KVM_PIT_SPEAKER_DUMMY", "KVM_PIT_SPEAKER_DUMMY");
        struct(KvmIoeventfd.class, "struct kvm_ioeventfd", "DATAMATCH", "ADDR", "LEN", "FD", "FLAGS");
        for (String f : new String[]{"DATAMATCH", "PIO", "DEASSIGN"}) {
            c(KvmIoeventfd.class, "KVM_IOEVENTFD_FLAG_" + f, "KVM_IOEVENTFD_FLAG_" + f);
        }
        struct(KvmIrqfd.class, "struct kvm_irqfd", "FD", "GSI", "FLAGS", "RESAMPLEFD");
        c(KvmIrqfd.class, "KVM_IRQFD_FLAG_DEASSIGN", "KVM_IRQFD_FLAG_DEASSIGN");
        c(KvmIrqfd.class, "KVM_IRQFD_FLAG_RESAMPLE", "KVM_IRQFD_FLAG_RESAMPLE");
        struct(KvmIrqLevel.class, "struct kvm_irq_level", "IRQ", "LEVEL");
        struct(KvmClockData.class, "struct kvm_clock_data", "CLOCK", "FLAGS");

        String header = "struct kvm_stats_header";
        c(KvmStats.class, "HEADER_SIZE", "sizeof(" + header + ")");
        for (String f : new String[]{"FLAGS", "NAME_SIZE", "NUM_DESC", "ID_OFFSET", "DESC_OFFSET", "DATA_OFFSET"}) {
            c(KvmStats.class, "HEADER_" + f, offsetof(header, f.toLowerCase()));
        }
        String desc = "struct kvm_stats_desc";
        c(KvmStats.class, "DESC_SIZE", "sizeof(" + desc + ")");
        c(KvmStats.class, "DESC_SIZE_FIELD", offsetof(desc, "size"));
        for (String f : new String[]{"FLAGS", "EXPONENT", "OFFSET", "BUCKET_SIZE", "NAME"}) {
            c(KvmStats.class, "DESC_" + f, offsetof(desc, f.toLowerCase()));
        }

        c(Kvm.class, "KVM_API_VERSION", "KVM_API_VERSION");
        c(MmapRegion.class, "PAGE_SIZE", "sysconf(_SC_PAGESIZE)");
        checkLiteral(MmapRegion.class, "MAX_CHUNK", 1L << 30);

        for (Field f : LibC.class.getDeclaredFields()) {
            if (Modifier.isPublic(f.getModifiers()) && (f.getType() == int.class || f.getType() == long.class)) {
                c(LibC.class, f.getName(), f.getName().equals("MAP_FAILED") ? "(long long) MAP_FAILED" : f.getName());
            }
        }
    }

    private void struct(Class<?> c, String cStruct, String... fields) throws ReflectiveOperationException {
        c(c, "SIZE", "sizeof(" + cStruct + ")");
        for (String f : fields) {
            c(c, f, offsetof(cStruct, f.toLowerCase()));
        }
    }

    private static String offsetof(String struct, String member) {
        return "offsetof(" + struct + ", " + member + ")";
    }

    private void c(Class<?> c, String field, String cExpression) throws ReflectiveOperationException {
        Field f = c.getDeclaredField(field);
        covered.add(f);
        checks.add(new Check(c.getSimpleName() + "." + field, cExpression, ((Number) f.get(null)).longValue()));
    }

    /** A constant with no C header counterpart here: checked against the value its comment cites. */
    private void checkLiteral(Class<?> c, String field, long expected) throws ReflectiveOperationException {
        Field f = c.getDeclaredField(field);
        covered.add(f);
        assertEquals(expected, ((Number) f.get(null)).longValue(), c.getSimpleName() + "." + field);
    }

    private List<Long> compileAndRun(Path dir) throws IOException, InterruptedException {
        StringBuilder src = new StringBuilder();
        src.append("#include <stddef.h>\n#include <stdio.h>\n#include <errno.h>\n#include <fcntl.h>\n")
                .append("#include <signal.h>\n#include <unistd.h>\n#include <sys/mman.h>\n#include <sys/eventfd.h>\n")
                .append("#include <linux/kvm.h>\n\nint main(void) {\n");
        for (Check c : checks) {
            src.append("    printf(\"%lld\\n\", (long long) (").append(c.cExpression()).append("));\n");
        }
        src.append("    return 0;\n}\n");
        Path c = dir.resolve("kvm_abi.c");
        Path exe = dir.resolve("kvm_abi");
        Files.writeString(c, src);
        String compiler = run(dir, "gcc", "-std=gnu11", "-Wall", "-Werror", "-o", exe.toString(), c.toString());
        String out = run(dir, exe.toString());
        List<Long> values = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (!line.isBlank()) {
                values.add(Long.parseLong(line.trim()));
            }
        }
        return values;
    }

    private static String run(Path dir, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", command) + " did not finish in 60 s");
        }
        if (p.exitValue() != 0) {
            fail(String.join(" ", command) + " exited " + p.exitValue() + ":\n" + out);
        }
        return out;
    }

    private static boolean gccAvailable() {
        try {
            Process p = new ProcessBuilder("gcc", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
