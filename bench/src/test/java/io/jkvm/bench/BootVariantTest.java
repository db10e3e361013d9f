package io.jkvm.bench;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BootVariantTest {
    @Test
    void theFeatureReleaseOfAVersion() {
        assertEquals(25, BootVariant.majorOf("25.0.3"));
        assertEquals(17, BootVariant.majorOf("17"));
        assertEquals(8, BootVariant.majorOf("1.8.0_402"));
        assertEquals(0, BootVariant.majorOf("ea"));
    }

    @Test
    void everyJdkWithoutAndWithTheStaticArchiveAndTheAotCacheFrom25() {
        List<BootVariant> v = BootVariant.jkvmVariants(List.of(new BootVariant.Jdk(Path.of("/j17"), 17),
                new BootVariant.Jdk(Path.of("/j25"), 25)));
        assertEquals(List.of("jkvm-17-off", "jkvm-17-static", "jkvm-25-off", "jkvm-25-static", "jkvm-25-aot"),
                v.stream().map(BootVariant::name).toList());
        assertEquals("aot", v.get(4).environment().get("JKVM_CDS"));
        assertEquals("/j25", v.get(4).environment().get("JAVA_HOME"));
    }
}
