package io.hairpin.shim;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The kernel's memory figures, as DPDK's hugepages and the engine's tables need them. */
public final class MemInfo {
    private MemInfo() {
    }

    /**
     * A field of /proc/meminfo ("MemAvailable", "HugePages_Free", ...): kB for sizes, a count for
     * the HugePages_ ones; -1 when it is not there (not Linux, or a kernel without it).
     */
    public static long field(String name) {
        String key = name + ":";
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // not known
        }
        return -1;
    }

    /** Whether a hugetlbfs is mounted (/proc/mounts). */
    public static boolean hugetlbfsMounted() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 2 && f[2].equals("hugetlbfs")) {
                    return true;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not known: none
        }
        return false;
    }
}
