package io.hairpin.engine.it;

import io.hairpin.shim.Eal;
import java.nio.file.Path;
import java.util.List;

/** One EAL per test JVM: no PCI, no hugepages; its runtime folder is removed at exit. */
public final class EalForTests {
    private EalForTests() {
    }

    public static synchronized void ensure() {
        if (Eal.isInitialized()) {
            return;
        }
        String prefix = "hairpin-test-" + ProcessHandle.current().pid();
        Eal.init(List.of("--no-pci", "--no-huge", "-m", "512", "--file-prefix", prefix, "--log-level", "*:error",
                "--no-telemetry", "-l", "0"));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> Eal.deleteRuntimeDir(Path.of("/var/run/dpdk", prefix))));
    }
}
