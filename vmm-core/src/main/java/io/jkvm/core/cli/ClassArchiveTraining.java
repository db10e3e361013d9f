package io.jkvm.core.cli;

import io.jkvm.core.boot.LinuxLoader;
import io.jkvm.core.host.HostCheck;
import io.jkvm.core.kvm.Kvm;
import io.jkvm.core.kvm.MmapRegion;
import io.jkvm.core.vm.VmConfig;
import io.jkvm.devices.event.EventLoop;
import io.jkvm.devices.memory.GuestMemory;
import picocli.CommandLine;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * The training run of {@link ClassArchive}: what {@code jkvm run} does before its first vCPU entry, short of KVM
 * itself (so that it runs, and boots nothing, on any host): picocli's parsing and help of every command, the host
 * check (JNA and /dev/kvm when there is one), guest RAM mapped and the default guest loaded into it, an event loop
 * started and stopped; then every class of jkvm's own jars loaded, which covers the VM's classes that only KVM
 * would reach.
 */
final class ClassArchiveTraining {
    private ClassArchiveTraining() {
    }

    public static void main(String[] args) throws Exception {
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        System.setOut(quiet);
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(quiet));
        cl.setErr(new PrintWriter(quiet));
        cl.execute("--help");
        cl.execute("run", "--help");
        cl.execute("check");
        cl.parseArgs("run", "--kernel", "bzImage", "--initrd", "initrd", "--memory", "256M", "--cpus", "2",
                "--disk", "disk.img,ro", "--rng", "--console", "serial", "--boot-times");
        HostCheck.run(Kvm.DEVICE);
        loadDefaultGuest();
        new EventLoop("jkvm-training").close();
        loadOwnClasses(Main.class, EventLoop.class);
    }

    private static void loadDefaultGuest() {
        DefaultGuest.Files3 guest;
        try {
            guest = DefaultGuest.find();
        } catch (IllegalArgumentException e) {
            return; // no guest built on this host: the loader's classes still load below
        }
        long ram = MemorySize.parse("256M");
        VmConfig config = new VmConfig(guest.kernel(), guest.initrd(), "", ram, 1, List.of(), false,
                VmConfig.Console.SERIAL, VmConfig.Notify.IOEVENTFD, VmConfig.Registers.EXIT);
        try (MmapRegion region = MmapRegion.anonymous(ram)) {
            LinuxLoader.load(new GuestMemory(region.regions(0)), guest.kernel(), guest.initrd(),
                    config.kernelCmdline(), 1, ram);
        }
    }

    /** Loads (without initialising) every class in the jars of these classes. */
    private static void loadOwnClasses(Class<?>... inJars) throws IOException, URISyntaxException {
        ClassLoader loader = Main.class.getClassLoader();
        for (Class<?> c : inJars) {
            Path jar = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (!jar.toString().endsWith(".jar")) {
                continue; // classes folder (running from an IDE): nothing to archive
            }
            try (JarFile f = new JarFile(jar.toFile())) {
                for (Enumeration<JarEntry> e = f.entries(); e.hasMoreElements(); ) {
                    String name = e.nextElement().getName();
                    if (name.endsWith(".class") && !name.contains("-")) {
                        try {
                            Class.forName(name.substring(0, name.length() - 6).replace('/', '.'), false, loader);
                        } catch (ClassNotFoundException | LinkageError ex) {
                            // a class that needs what this host lacks: it is not archived, and loads from the jar
                        }
                    }
                }
            }
        }
    }
}
