package io.jkvm.devices.blk;

import java.nio.file.Path;

/** Run in a second JVM by VirtioBlockTest: tries to open an image read-write and prints what happened. */
public final class LockProbe {
    public static void main(String[] args) {
        try (VirtioBlock b = VirtioBlock.open(Path.of(args[0]), false)) {
            System.out.println("OPENED");
        } catch (Exception e) {
            System.out.println("REFUSED " + e.getMessage());
        }
    }
}
