package io.jkvm.core.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Makes the class-data archive that bin/jkvm starts with: the classes of the run path, parsed, verified and laid
 * out once, mapped by every later start instead of read from the jars. Two kinds:
 * <ul>
 * <li>{@code static}, any JDK &ge; 17: a static AppCDS archive. One JVM runs {@link ClassArchiveTraining} with
 * {@code -XX:DumpLoadedClassList}, another dumps those classes with {@code -Xshare:dump}. Static, not dynamic
 * ({@code -XX:ArchiveClassesAtExit}): a dynamic archive skips classes of class-file version 49 (picocli's jar),
 * a static dump takes them.</li>
 * <li>{@code aot}, JDK &ge; 25: the AOT cache of JEPs 483, 514 and 515 ({@code -XX:AOTCacheOutput}, one training
 * run): classes loaded and linked, plus the training run's method profiles; it too skips version-49 classes.</li>
 * </ul>
 *
 * <p>Usage (bin/jkvm calls it when the archive is missing or older than the JDK or a jar):
 * {@code java -cp <the launcher's class path> io.jkvm.core.cli.ClassArchive static|aot ARCHIVE [JVM-OPTION...]},
 * the options being those that jkvm's JVM gets (each JVM that makes the archive gets them too). The archive appears
 * atomically (written beside it, then renamed), so that concurrent starts see either none or a whole one. It is
 * valid only for the JDK and class path it was made with; the JVM checks both and ignores it otherwise
 * ({@code -Xshare:auto}).
 */
public final class ClassArchive {
    private static final long STEP_TIMEOUT_SECONDS = 300;

    private ClassArchive() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2 || !(args[0].equals("static") || args[0].equals("aot"))) {
            System.err.println("usage: ClassArchive static|aot ARCHIVE [JVM-OPTION...]");
            System.exit(Main.EXIT_USAGE);
        }
        Path archive = Path.of(args[1]).toAbsolutePath();
        try {
            make(args[0].equals("aot"), archive, List.of(args).subList(2, args.length));
        } catch (IOException e) {
            // Not fatal for the launcher: jkvm starts without the archive, only slower.
            System.err.println("jkvm: cannot make the class-data archive " + archive + ": " + e.getMessage());
            System.exit(1);
        }
    }

    static void make(boolean aot, Path archive, List<String> jvmOptions) throws IOException, InterruptedException {
        Files.createDirectories(archive.getParent());
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("java.class.path");
        String tag = archive.getFileName() + "." + ProcessHandle.current().pid();
        Path list = archive.resolveSibling(tag + ".classlist");
        Path tmp = archive.resolveSibling(tag + ".tmp");
        try {
            extractJnaDispatch(jnaFolder(archive));
            if (aot) {
                // The JVM writes the cache at exit (JEP 514); the training run uses jkvm's own GC, as its
                // profiles and linked classes are for that.
                run(List.of(java, "-XX:+UseSerialGC", "-XX:AOTCacheOutput=" + tmp, "-cp", classPath,
                        ClassArchiveTraining.class.getName()), "training run", jvmOptions);
            } else {
                run(List.of(java, "-Xshare:off", "-XX:+UseSerialGC", "-XX:DumpLoadedClassList=" + list, "-cp",
                        classPath, ClassArchiveTraining.class.getName()), "training run", jvmOptions);
                // SerialGC as jkvm's runs: JDK 17 maps an archive's heap objects only under G1, so a G1 dump
                // would buy nothing but a larger file.
                run(List.of(java, "-Xshare:dump", "-XX:+UseSerialGC", "-XX:SharedClassListFile=" + list,
                        "-XX:SharedArchiveFile=" + tmp, "-cp", classPath), "archive dump", jvmOptions);
            }
            try {
                Files.move(tmp, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, archive, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(list);
            Files.deleteIfExists(tmp);
        }
    }

    /** Where bin/jkvm points JNA (-Djna.boot.library.path) for this archive: ARCHIVE.jna. */
    static Path jnaFolder(Path archive) {
        return archive.resolveSibling(archive.getFileName() + ".jna");
    }

    /**
     * JNA's native half (libjnidispatch.so, from the JNA jar on this class path), extracted once beside the
     * archive: otherwise every start of jkvm writes it to a new temporary file (and seeds a SecureRandom for its
     * name) before it can make its first system call. A copy that does not load is skipped by JNA, which then
     * extracts as before.
     */
    static void extractJnaDispatch(Path folder) throws IOException {
        String resource = "/com/sun/jna/" + com.sun.jna.Platform.RESOURCE_PREFIX + "/"
                + System.mapLibraryName("jnidispatch");
        try (InputStream in = com.sun.jna.Native.class.getResourceAsStream(resource)) {
            if (in == null) {
                return; // no native library for this platform in the jar: JNA says so when it is used
            }
            Files.createDirectories(folder);
            Path tmp = folder.resolve("jnidispatch." + ProcessHandle.current().pid() + ".tmp");
            try {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                Files.move(tmp, folder.resolve(System.mapLibraryName("jnidispatch")),
                        StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Runs one JVM with these options after its first word, its output discarded unless it fails. */
    private static void run(List<String> command, String what, List<String> jvmOptions)
            throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(command.subList(0, 1));
        c.addAll(jvmOptions);
        c.addAll(command.subList(1, command.size()));
        Path log = Files.createTempFile("jkvm-cds", ".log");
        try {
            Process p = new ProcessBuilder(c).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null")
                            .toFile())).start();
            if (!p.waitFor(STEP_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(what + " did not finish in " + STEP_TIMEOUT_SECONDS + " s");
            }
            if (p.exitValue() != 0) {
                List<String> lines = Files.readAllLines(log);
                String last = lines.isEmpty() ? "(no output)" : lines.get(lines.size() - 1);
                throw new IOException(what + " exited " + p.exitValue() + ": " + last);
            }
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
