package io.hairpin.shim;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/** DPDK's Environment Abstraction Layer: initialised once per process. */
public final class Eal {
    private static List<String> initArgs;

    private Eal() {
    }

    public static synchronized boolean isInitialized() {
        return initArgs != null;
    }

    /**
     * Initialises EAL with the given arguments (program name excluded). A second call with any
     * arguments is an error: DPDK allows one initialisation per process.
     */
    public static synchronized void init(List<String> args) {
        if (initArgs != null) {
            throw new DpdkException("DPDK is already initialised in this process with " + initArgs);
        }
        Mbuf.verifyAbi();
        List<String> argv = new ArrayList<>();
        argv.add("hairpin");
        argv.addAll(args);
        // EAL keeps pointers into argv, so it lives as long as the process.
        Arena arena = Arena.global();
        MemorySegment array = arena.allocate(ValueLayout.ADDRESS, argv.size() + 1);
        for (int i = 0; i < argv.size(); i++) {
            array.setAtIndex(ValueLayout.ADDRESS, i, arena.allocateFrom(argv.get(i)));
        }
        int ret = Shim.hp_eal_init(argv.size(), array);
        if (ret < 0) {
            throw new DpdkException(explainInitFailure(-ret, args));
        }
        initArgs = List.copyOf(args);
    }

    /**
     * Releases EAL's resources and removes its runtime folder (/var/run/dpdk/PREFIX), so a
     * stopped appliance leaves nothing behind. DPDK cannot be initialised again afterwards.
     */
    public static synchronized void cleanup() {
        if (initArgs == null) {
            return;
        }
        Shim.hp_eal_cleanup();
        int i = initArgs.indexOf("--file-prefix");
        String prefix = i >= 0 && i + 1 < initArgs.size() ? initArgs.get(i + 1) : "rte";
        for (String a : initArgs) {
            if (a.startsWith("--file-prefix=")) {
                prefix = a.substring("--file-prefix=".length());
            }
        }
        deleteRuntimeDir(runtimeDir(prefix));
    }

    /** Where EAL keeps a prefix's runtime files: /var/run/dpdk for root, else $XDG_RUNTIME_DIR/dpdk or /tmp/dpdk. */
    public static java.nio.file.Path runtimeDir(String prefix) {
        boolean root = "root".equals(System.getProperty("user.name"));
        String xdg = System.getenv("XDG_RUNTIME_DIR");
        String base = root ? "/var/run" : xdg != null && !xdg.isEmpty() ? xdg : "/tmp";
        return java.nio.file.Path.of(base, "dpdk", prefix);
    }

    /** Removes a DPDK runtime folder; a missing one is fine. */
    public static void deleteRuntimeDir(java.nio.file.Path dir) {
        if (!java.nio.file.Files.isDirectory(dir)) {
            return;
        }
        try (var paths = java.nio.file.Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException e) {
            System.err.println("hairpin: could not remove " + dir + ": " + e.getMessage());
        }
    }

    static String explainInitFailure(int errno, List<String> args) {
        return switch (errno) {
            case Errno.EACCES, Errno.EPERM -> "DPDK could not start: permission denied; run Hairpin as root "
                    + "(it needs hugepages or --no-huge memory, raw sockets and /var/run/dpdk).";
            case Errno.EALREADY -> "DPDK could not start: it is already initialised in this process.";
            case Errno.ENODEV -> "DPDK could not start: a configured device was not found or could not be probed "
                    + "(EAL arguments " + args + ").";
            case Errno.ENOMEM -> "DPDK could not start: not enough memory (no free hugepages? use --no-huge -m 512 for tests).";
            case Errno.EINVAL -> "DPDK could not start: invalid EAL arguments " + args + ".";
            default -> "DPDK could not start: " + strerror(errno) + " (EAL arguments " + args + ").";
        };
    }

    public static String strerror(int errno) {
        MemorySegment s = Shim.hp_strerror(errno);
        return s.equals(MemorySegment.NULL) ? "error " + errno : s.reinterpret(256).getString(0);
    }

    /** The last DPDK error of this thread (rte_errno) as text. */
    public static String lastError() {
        return strerror(Shim.hp_errno());
    }

    /** The errno values DPDK returns (Linux). */
    public static final class Errno {
        public static final int EPERM = 1;
        public static final int ENOENT = 2;
        public static final int EIO = 5;
        public static final int ENOMEM = 12;
        public static final int EACCES = 13;
        public static final int EEXIST = 17;
        public static final int ENODEV = 19;
        public static final int EINVAL = 22;
        public static final int ENOTSUP = 95;
        public static final int EALREADY = 114;

        private Errno() {
        }
    }
}
