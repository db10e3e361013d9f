package io.jkvm.api.cli;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The warm path: before the API accepts a request, every class of the VMM (vmm-core and devices) is loaded, linked
 * and initialised, so that InstanceStart spends its time on the guest rather than on class loading, which under
 * emulation costs seconds (README, Benchmarks). A class that fails to initialise here is skipped: the real use
 * reports the failure where it matters.
 */
final class WarmUp {
    private WarmUp() {
    }

    /** Loads every class beside each anchor (a class of the module); returns how many were loaded. */
    static int loadModulesOf(Class<?>... anchors) {
        int loaded = 0;
        ClassLoader cl = WarmUp.class.getClassLoader();
        for (Class<?> anchor : anchors) {
            for (String name : classNames(anchor)) {
                try {
                    Class.forName(name, true, cl);
                    loaded++;
                } catch (Throwable e) { // LinkageError, ExceptionInInitializerError: skip, see above
                    // nothing: this class is loaded on first use instead
                }
            }
        }
        return loaded;
    }

    private static List<String> classNames(Class<?> anchor) {
        List<String> names = new ArrayList<>();
        Path where;
        try {
            where = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException | NullPointerException | SecurityException e) {
            return names;
        }
        if (Files.isDirectory(where)) { // target/classes, under Maven
            try (Stream<Path> s = Files.walk(where)) {
                s.filter(p -> p.toString().endsWith(".class")).forEach(p -> names.add(className(where.relativize(p)
                        .toString())));
            } catch (IOException e) {
                return names;
            }
            return names;
        }
        try (JarFile jar = new JarFile(where.toFile())) {
            for (Enumeration<JarEntry> en = jar.entries(); en.hasMoreElements(); ) {
                String n = en.nextElement().getName();
                if (n.endsWith(".class") && !n.endsWith("module-info.class")) {
                    names.add(className(n));
                }
            }
        } catch (IOException e) {
            return names;
        }
        return names;
    }

    private static String className(String file) {
        return file.substring(0, file.length() - ".class".length()).replace('/', '.').replace('\\', '.');
    }
}
