package io.hairpin.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The machine's CPUs, as the kernel lists them. */
public final class Cpus {
    private Cpus() {
    }

    /**
     * The online CPUs. Not {@code availableProcessors()}: once EAL has started it has pinned the
     * calling thread to its main lcore, and the JVM reports that thread's affinity (one CPU).
     */
    public static int online() {
        try {
            int n = countList(Files.readString(Path.of("/sys/devices/system/cpu/online")));
            if (n > 0) {
                return n;
            }
        } catch (IOException | RuntimeException e) {
            // no sysfs: fall back to what the JVM sees
        }
        return Runtime.getRuntime().availableProcessors();
    }

    /** The number of CPUs in a kernel CPU list such as "0-1" or "0,2-5,7"; 0 when it is not one. */
    public static int countList(String list) {
        int n = 0;
        for (String part : list.trim().split(",")) {
            int dash = part.indexOf('-');
            try {
                int lo = Integer.parseInt(dash < 0 ? part : part.substring(0, dash));
                int hi = dash < 0 ? lo : Integer.parseInt(part.substring(dash + 1));
                if (lo < 0 || hi < lo) {
                    return 0;
                }
                n += hi - lo + 1;
            } catch (NumberFormatException e) {
                return 0;
            }
        }
        return n;
    }
}
