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
            String prefix = prefixOf(args);
            if (prefix.equals("hairpin-" + ProcessHandle.current().pid())) {
                // EAL made its runtime folder before it failed; a shared prefix may be another
                // process's, so only this process's own is removed
                deleteRuntimeDir(runtimeDir(prefix));
            }
            boolean root = "root".equals(System.getProperty("user.name"));
            throw new DpdkException(explainInitFailure(-ret, args, root, root ? Hugepages.read() : null));
        }
        initArgs = List.copyOf(args);
    }

    /** The --file-prefix of EAL arguments, or EAL's default "rte". */
    static String prefixOf(List<String> args) {
        int i = args.indexOf("--file-prefix");
        String prefix = i >= 0 && i + 1 < args.size() ? args.get(i + 1) : "rte";
        for (String a : args) {
            if (a.startsWith("--file-prefix=")) {
                prefix = a.substring("--file-prefix=".length());
            }
        }
        return prefix;
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
        deleteRuntimeDir(runtimeDir(prefixOf(initArgs)));
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

    /**
     * What the machine offers EAL in hugepages: 2 MiB pages reserved and free (/proc/meminfo), and
     * whether a hugetlbfs is mounted (/proc/mounts).
     */
    record Hugepages(long total, long free, boolean mounted) {
        static Hugepages read() {
            return new Hugepages(MemInfo.field("HugePages_Total"), MemInfo.field("HugePages_Free"),
                    MemInfo.hugetlbfsMounted());
        }

        /** Why EAL found none to use, or null when some are reserved, free and mounted (or nothing is known). */
        String lack() {
            List<String> why = new ArrayList<>();
            if (total == 0) {
                why.add("none is reserved (HugePages_Total is 0)");
            } else if (free == 0) {
                why.add("all " + total + " are in use (HugePages_Free is 0)");
            }
            if (!mounted && total >= 0) {
                why.add("no hugetlbfs is mounted");
            }
            return why.isEmpty() ? null : String.join(" and ", why);
        }
    }

    /**
     * What an EAL init failure means to an operator. EAL reports a lack of hugepages as EACCES,
     * which as root is that lack, not a permission (hugepages: as {@link Hugepages#read}, null when
     * not root).
     */
    static String explainInitFailure(int errno, List<String> args, boolean root, Hugepages hugepages) {
        String lack = root && hugepages != null && !args.contains("--no-huge") ? hugepages.lack() : null;
        return switch (errno) {
            case Errno.EACCES, Errno.EPERM -> lack != null
                    ? "DPDK could not start: it found no hugepages to use: " + lack + ". Reserve and mount some (echo 512"
                            + " > /proc/sys/vm/nr_hugepages; mkdir -p /dev/hugepages; mount -t hugetlbfs nodev"
                            + " /dev/hugepages), or run on ordinary memory with eal: [--no-huge, -m, \"512\"], about"
                            + " five times slower."
                    : root ? "DPDK could not start: permission denied, although running as root (EAL arguments " + args
                            + "; EAL's own lines above say what it could not do)."
                    : "DPDK could not start: permission denied; run Hairpin as root "
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
        public static final int EFAULT = 14;
        public static final int EEXIST = 17;
        public static final int ENODEV = 19;
        public static final int EINVAL = 22;
        public static final int ENOTSUP = 95;
        public static final int EALREADY = 114;

        private Errno() {
        }
    }
}
