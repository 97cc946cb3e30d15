package io.hairpin.shim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/** One EAL per test JVM, with no PCI and no hugepages; its runtime folder is removed at exit. */
public final class TestEal {
    private TestEal() {
    }

    public static synchronized void ensure() {
        if (Eal.isInitialized()) {
            return;
        }
        String prefix = "hairpin-test-" + ProcessHandle.current().pid();
        Eal.init(List.of("--no-pci", "--no-huge", "-m", "256", "--file-prefix", prefix, "--log-level", "*:error",
                "--no-telemetry", "-l", "0"));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(Path.of("/var/run/dpdk", prefix))));
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort at exit
        }
    }
}
