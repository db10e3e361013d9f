package io.jkvm.core.cli;

import com.sun.jna.Native;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The archive itself needs jars on the class path (CDS refuses folders), so the build's tests cannot dump one. */
class ClassArchiveTest {
    @Test
    void jnasNativeLibraryIsExtractedWholeBesideTheArchiveAndNothingElseStays(@TempDir Path dir) throws Exception {
        Path folder = ClassArchive.jnaFolder(dir.resolve("jkvm.static"));
        assertEquals(dir.resolve("jkvm.static.jna"), folder);
        ClassArchive.extractJnaDispatch(folder);
        String name = System.mapLibraryName("jnidispatch");
        byte[] expected;
        try (var in = Native.class.getResourceAsStream("/com/sun/jna/" + com.sun.jna.Platform.RESOURCE_PREFIX + "/"
                + name)) {
            expected = in.readAllBytes();
        }
        assertArrayEquals(expected, Files.readAllBytes(folder.resolve(name)));
        try (var files = Files.list(folder)) {
            assertEquals(List.of(name), files.map(p -> p.getFileName().toString()).toList());
        }
    }
}
