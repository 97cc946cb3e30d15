package io.hairpin.perf;

import io.hairpin.shim.Eal;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmark runner, capacity mode (docs: shared/spec/performance.md): the real engine worker
 * on one core, its two ports joined to themselves through a {@link Mirror}, prefilled with
 * packets that then circulate forever. Prints one JSON line per scenario on stdout and a table
 * on stderr.
 *
 * <pre>
 * Bench [forward] [mirror-only] [--duration S] [--warmup S] [--packets N] [--pkt-size B]
 *       [--huge | --no-huge] [--mem MB] [--lcore N]
 * </pre>
 * Without scenarios it runs mirror-only (the mirror with a pass-through instead of the engine,
 * the harness's own cost) and then forward, whose line then carries the engine's share.
 */
public final class Bench {
    static final List<String> SCENARIOS = List.of("mirror-only", "forward");

    private Bench() {
    }

    public static void main(String[] args) {
        int code;
        try {
            run(args, System.out, System.err);
            code = 0;
        } catch (UsageException e) {
            System.err.println("bench: " + e.getMessage());
            System.err.println(USAGE);
            code = 2;
        } catch (Exception e) {
            System.err.println("bench: " + e.getMessage());
            e.printStackTrace(System.err);
            code = 1;
        }
        System.exit(code);
    }

    static final String USAGE = "usage: Bench [forward] [mirror-only] [--duration S] [--warmup S] [--packets N] "
            + "[--pkt-size B] [--huge | --no-huge] [--mem MB] [--lcore N]";

    /** The parsed command line. */
    record Options(List<String> scenarios, double durationS, double warmupS, int packets, int pktSize,
                   Boolean huge, int memMb, int lcore) {
        static Options parse(String[] args) {
            List<String> scenarios = new ArrayList<>();
            double duration = 10;
            double warmup = 5;
            int packets = 1024;
            int pktSize = 64;
            Boolean huge = null;
            int mem = 1024;
            int lcore = 0;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--duration" -> duration = positive(a, value(args, ++i, a));
                    case "--warmup" -> warmup = nonNegative(a, value(args, ++i, a));
                    case "--packets" -> packets = (int) positive(a, value(args, ++i, a));
                    case "--pkt-size" -> pktSize = (int) positive(a, value(args, ++i, a));
                    case "--mem" -> mem = (int) positive(a, value(args, ++i, a));
                    case "--lcore" -> lcore = (int) nonNegative(a, value(args, ++i, a));
                    case "--huge" -> huge = Boolean.TRUE;
                    case "--no-huge" -> huge = Boolean.FALSE;
                    case "-h", "--help" -> throw new UsageException("help requested");
                    default -> {
                        if (a.startsWith("-")) {
                            throw new UsageException("unknown option " + a);
                        }
                        if (!SCENARIOS.contains(a)) {
                            throw new UsageException("unknown scenario " + a + " (known: " + SCENARIOS + ")");
                        }
                        if (!scenarios.contains(a)) {
                            scenarios.add(a);
                        }
                    }
                }
            }
            if (scenarios.isEmpty()) {
                scenarios.addAll(SCENARIOS);
            }
            if (pktSize != 64) {
                throw new UsageException("only --pkt-size 64 is implemented so far");
            }
            if (packets > 65_536) {
                throw new UsageException("--packets is at most 65536");
            }
            return new Options(List.copyOf(scenarios), duration, warmup, packets, pktSize, huge, mem, lcore);
        }

        private static String value(String[] args, int i, String option) {
            if (i >= args.length) {
                throw new UsageException(option + " needs a value");
            }
            return args[i];
        }

        private static double positive(String option, String v) {
            double d = nonNegative(option, v);
            if (d <= 0) {
                throw new UsageException(option + " must be positive");
            }
            return d;
        }

        private static double nonNegative(String option, String v) {
            try {
                double d = Double.parseDouble(v);
                if (d < 0 || Double.isNaN(d)) {
                    throw new UsageException(option + " must not be negative");
                }
                return d;
            } catch (NumberFormatException e) {
                throw new UsageException(option + ": not a number: " + v);
            }
        }
    }

    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }

    /**
     * Runs the scenarios; JSON lines go to out, the table and notes to err. Initialises EAL (once
     * per process) and cleans it up at the end.
     */
    public static List<Map<String, Object>> run(String[] args, PrintStream out, PrintStream err) throws Exception {
        Options o = Options.parse(args);
        boolean huge = decideHugepages(o.huge(), err);
        String prefix = "hairpin-bench-" + ProcessHandle.current().pid();
        List<String> eal = new ArrayList<>(List.of("--no-pci", "--file-prefix", prefix, "-l", Integer.toString(o.lcore()),
                "--log-level", "*:error", "--no-telemetry"));
        if (huge) {
            eal.add("--huge-unlink");
        } else {
            eal.addAll(List.of("--no-huge", "-m", Integer.toString(o.memMb())));
        }
        Path runtimeDir = Path.of("/var/run/dpdk", prefix);
        Thread cleanupHook = new Thread(() -> Eal.deleteRuntimeDir(runtimeDir), "bench-eal-cleanup");
        Runtime.getRuntime().addShutdownHook(cleanupHook);
        Eal.init(eal);
        List<Map<String, Object>> lines = new ArrayList<>();
        try (Rig rig = new Rig(o.packets())) {
            if (rig.portMac[0] == rig.portMac[1]) {
                err.println("bench: note: both ring ports report MAC " + Long.toHexString(rig.portMac[0])
                        + " (harmless here: each port only sees its own mirror)");
            }
            Measurement mirrorOnly = null;
            for (String scenario : o.scenarios()) {
                Measurement m = Scenarios.run(scenario, rig, o);
                if (scenario.equals("mirror-only")) {
                    mirrorOnly = m;
                }
                Map<String, Object> json = toJson(scenario, m, o, huge, mirrorOnly);
                lines.add(json);
                out.println(Json.write(json));
                out.flush();
            }
        } finally {
            Eal.cleanup();
            try {
                Runtime.getRuntime().removeShutdownHook(cleanupHook);
            } catch (IllegalStateException ignored) {
                // already shutting down
            }
        }
        printTable(lines, err);
        return lines;
    }

    /** Uses 2 MiB hugepages when asked or, by default, when a hugetlbfs mount has enough free pages. */
    static boolean decideHugepages(Boolean wanted, PrintStream err) throws IOException {
        if (Boolean.FALSE.equals(wanted)) {
            return false;
        }
        String reason = null;
        boolean mounted = Files.readAllLines(Path.of("/proc/mounts")).stream()
                .anyMatch(l -> l.split(" ").length > 2 && l.split(" ")[2].equals("hugetlbfs"));
        long free = 0;
        for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
            if (l.startsWith("HugePages_Free:")) {
                free = Long.parseLong(l.substring("HugePages_Free:".length()).trim());
            }
        }
        if (!mounted) {
            reason = "no hugetlbfs is mounted";
        } else if (free < 64) {
            reason = "only " + free + " free hugepages (need 64)";
        }
        if (reason == null) {
            return true;
        }
        if (Boolean.TRUE.equals(wanted)) {
            throw new IllegalStateException("--huge asked for hugepages but " + reason
                    + "; as root: echo 512 > /proc/sys/vm/nr_hugepages; mount -t hugetlbfs nodev /dev/hugepages");
        }
        err.println("bench: running on 4 KiB pages (--no-huge): " + reason + "; figures will be far below hugepage ones.");
        return false;
    }

    static Map<String, Object> toJson(String scenario, Measurement m, Options o, boolean huge, Measurement mirrorOnly) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("scenario", scenario);
        j.put("mode", "capacity");
        j.put("workers", 1);
        j.put("sessions", 0);
        j.put("pkt_size", o.pktSize());
        j.put("packets_in_flight", o.packets());
        j.put("forwarded_mpps", round(m.mpps(), 3));
        j.put("cycles_per_pkt", round(m.cyclesPerPacket(), 2));
        if (scenario.equals("forward")) {
            Double mirror = mirrorOnly == null ? null : round(mirrorOnly.cyclesPerPacket(), 2);
            j.put("mirror_cycles_per_pkt", mirror);
            j.put("engine_cycles_per_pkt",
                    mirrorOnly == null ? null : round(m.cyclesPerPacket() - mirrorOnly.cyclesPerPacket(), 2));
        }
        j.put("cycles_per_pkt_best_slice", round(m.sliceMinCycles(), 2));
        j.put("cycles_per_pkt_worst_slice", round(m.sliceMaxCycles(), 2));
        j.put("bytes_per_packet", round(m.bytesPerPacket(), 4));
        j.put("allocated_bytes", m.allocatedBytes());
        j.put("gc_count", m.gcCount());
        j.put("gc_time_ms", m.gcMillis());
        j.put("duration_s", round(m.seconds(), 3));
        j.put("cpu_share", round(m.cpuShare(), 3));
        j.put("warmup_s", o.warmupS());
        j.put("packets", m.packets());
        j.put("lost", m.lost());
        j.put("drops", m.drops());
        j.put("bad_checksums", m.badChecksums());
        j.put("hugepages", huge);
        j.put("lcore", o.lcore());
        j.put("tsc_hz", m.tscHz());
        j.put("c_reference_mpps", null);
        j.put("c_reference_cycles_per_pkt", null);
        return j;
    }

    static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    static void printTable(List<Map<String, Object>> lines, PrintStream err) {
        err.printf(Locale.ROOT, "%n%-12s %-8s %6s %9s %11s %13s %10s %4s %5s %5s %5s%n", "scenario", "mode", "pkts",
                "Mpps", "cycles/pkt", "engine cyc/p", "bytes/pkt", "GCs", "lost", "huge", "cpu");
        for (Map<String, Object> j : lines) {
            Object engine = j.get("engine_cycles_per_pkt");
            err.printf(Locale.ROOT, "%-12s %-8s %6d %9.3f %11.2f %13s %10.4f %4d %5d %5s %4.0f%%%n", j.get("scenario"),
                    j.get("mode"), (Integer) j.get("packets_in_flight"), (Double) j.get("forwarded_mpps"),
                    (Double) j.get("cycles_per_pkt"), engine == null ? "-" : String.format(Locale.ROOT, "%.2f", engine),
                    (Double) j.get("bytes_per_packet"), (Long) j.get("gc_count"), (Long) j.get("lost"),
                    (Boolean) j.get("hugepages") ? "yes" : "no", 100 * (Double) j.get("cpu_share"));
        }
        err.printf(Locale.ROOT, "cycles are TSC cycles at %.3f GHz; engine cyc/p = forward - mirror-only; "
                + "cpu = share of the window the benchmark thread was running (< 100%%: preempted).%n",
                lines.isEmpty() ? 0.0 : ((Long) lines.get(0).get("tsc_hz")) / 1e9);
    }

    /** Flat JSON objects of strings, numbers, booleans and nulls. */
    static final class Json {
        private Json() {
        }

        static String write(Map<String, Object> map) {
            StringBuilder sb = new StringBuilder("{");
            for (Map.Entry<String, Object> e : map.entrySet()) {
                if (sb.length() > 1) {
                    sb.append(',');
                }
                string(sb, e.getKey());
                sb.append(':');
                Object v = e.getValue();
                if (v == null) {
                    sb.append("null");
                } else if (v instanceof String s) {
                    string(sb, s);
                } else if (v instanceof Double d) {
                    sb.append(Double.isFinite(d) ? String.format(Locale.ROOT, "%s", d) : "null");
                } else {
                    sb.append(v);
                }
            }
            return sb.append('}').toString();
        }

        private static void string(StringBuilder sb, String s) {
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    default -> {
                        if (c < 0x20) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            sb.append('"');
        }
    }
}
