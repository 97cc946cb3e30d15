package io.hairpin.perf;

import io.hairpin.shim.Eal;
import io.hairpin.shim.MemInfo;
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
 * The benchmark runner (docs: shared/spec/performance.md). --mode generator is {@link GeneratorMode}.
 * Capacity mode (the default): the real engine worker
 * on one core, its two ports joined to themselves through a {@link Mirror}, prefilled with
 * packets that then circulate forever. Prints one JSON line per scenario on stdout and a table
 * on stderr.
 *
 * <pre>
 * Bench [SCENARIO[:VARIANT]...] [--duration S] [--warmup S] [--packets N] [--pkt-size B]
 *       [--huge | --no-huge] [--mem MB] [--lcore N] [--no-harness] [--max-sessions N] [--no-cref]
 *       [--mode capacity|generator] [--trials N] [--gen-cpu N]
 * </pre>
 * Scenarios: mirror-only, forward, binat[:RULES], pfwd, napt-established[:SESSIONS[:REMOTES]] (REMOTES
 * remote addresses, a power of two up to 65536, default 16),
 * napt-cps[:udp|tcp|udp-apdf|tcp-apdf], hairpin[:napt|binat], imix (binat:1 with IMIX frame sizes), rule-swap
 * (1:1 NAT while a control thread swaps two rule sets 10 times a second), rule-swap:napt[:SESSIONS]
 * (napt-established, default 1m sessions, while the control thread publishes the same rules 10 times
 * a second); "nat" stands for all
 * NAT ones but napt-established:10m and imix. --pkt-size is the frame size on the wire with FCS,
 * 64..1518 (TCP SYN scenarios: 64 only). Counts take k and m suffixes (1k = 1000, 1m = 1000000). Without
 * scenarios it runs mirror-only and then forward, whose line then carries the engine's share.
 * Every scenario first runs its own harness (its frames and mirror modes with a pass-through
 * instead of the worker; for forward that is mirror-only, reused when it ran just before) unless
 * --no-harness, and its line carries engine = total − harness. Every scenario the C reference
 * covers (all but mirror-only and rule-swap) then runs it ({@link CReference}) the same way, right
 * after the engine, unless --no-cref, and its line carries c_reference_* and ratio_to_c (engine
 * Mpps / C Mpps).
 */
public final class Bench {
    static final List<String> SCENARIOS = List.of("mirror-only", "forward", "binat", "pfwd", "napt-established",
            "napt-cps", "hairpin", "imix", "rule-swap");
    static final List<String> NAT = List.of("binat:1", "binat:10000", "pfwd", "napt-established:1000",
            "napt-established:100000", "napt-established:1000000", "napt-cps:udp", "napt-cps:tcp", "hairpin:napt",
            "hairpin:binat", "rule-swap");

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

    static final String USAGE = "usage: Bench [mirror-only] [forward] [binat[:RULES]] [pfwd] "
            + "[napt-established[:SESSIONS[:REMOTES]]] [napt-cps[:udp|tcp|udp-apdf|tcp-apdf]] [hairpin[:napt|binat]] [imix] [rule-swap[:napt[:SESSIONS]]] [nat] [--duration S] "
            + "[--warmup S] [--packets N] [--pkt-size B] [--huge | --no-huge] [--mem MB] [--lcore N] [--no-harness] "
            + "[--max-sessions N] [--no-cref] [--mode capacity|generator] [--trials N] [--gen-cpu N]";

    /** The parsed command line. */
    record Options(List<String> scenarios, double durationS, double warmupS, int packets, int pktSize,
                   Boolean huge, int memMb, int lcore, boolean harness, int maxSessions, boolean cref,
                   boolean generator, int trials, int genCpu) {
        static Options parse(String[] args) {
            List<String> scenarios = new ArrayList<>();
            double duration = 10;
            double warmup = 5;
            int packets = 1024;
            int pktSize = 64;
            Boolean huge = null;
            int mem = 1024;
            int lcore = 0;
            boolean harness = true;
            int maxSessions = Setup.CPS_MAX_SESSIONS;
            boolean cref = true;
            boolean generator = false;
            int trials = 24;
            int genCpu = -1;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                switch (a) {
                    case "--duration" -> duration = positive(a, value(args, ++i, a));
                    case "--warmup" -> warmup = nonNegative(a, value(args, ++i, a));
                    case "--packets" -> packets = (int) positive(a, value(args, ++i, a));
                    case "--pkt-size" -> pktSize = (int) positive(a, value(args, ++i, a));
                    case "--mem" -> mem = (int) positive(a, value(args, ++i, a));
                    case "--lcore" -> lcore = (int) nonNegative(a, value(args, ++i, a));
                    case "--max-sessions" -> maxSessions = count(a, value(args, ++i, a));
                    case "--huge" -> huge = Boolean.TRUE;
                    case "--no-huge" -> huge = Boolean.FALSE;
                    case "--no-harness" -> harness = false;
                    case "--no-cref" -> cref = false;
                    case "--mode" -> generator = switch (value(args, ++i, a)) {
                        case "capacity" -> false;
                        case "generator" -> true;
                        default -> throw new UsageException("--mode is capacity or generator");
                    };
                    case "--trials" -> trials = (int) positive(a, value(args, ++i, a));
                    case "--gen-cpu" -> genCpu = (int) nonNegative(a, value(args, ++i, a));
                    case "-h", "--help" -> throw new UsageException("help requested");
                    default -> {
                        if (a.startsWith("-")) {
                            throw new UsageException("unknown option " + a);
                        }
                        for (String sc : a.equals("nat") ? NAT : List.of(a)) {
                            String canonical = canonical(sc);
                            if (!scenarios.contains(canonical)) {
                                scenarios.add(canonical);
                            }
                        }
                    }
                }
            }
            if (scenarios.isEmpty()) {
                scenarios.addAll(generator ? List.of("forward") : List.of("mirror-only", "forward"));
            }
            if (generator) {
                for (String sc : scenarios) {
                    String why = GeneratorMode.refusal(sc);
                    if (why != null) {
                        throw new UsageException("--mode generator: " + why);
                    }
                }
                if (Runtime.getRuntime().availableProcessors() < 2) {
                    throw new UsageException("--mode generator needs two CPUs (the generator runs on the other one)");
                }
            }
            if (pktSize < FrameSizes.MIN || pktSize > FrameSizes.MAX) {
                throw new UsageException("--pkt-size is a frame size on the wire, " + FrameSizes.MIN + ".." + FrameSizes.MAX);
            }
            if (packets > 65_536) {
                throw new UsageException("--packets is at most 65536");
            }
            return new Options(List.copyOf(scenarios), duration, warmup, packets, pktSize, huge, mem, lcore, harness,
                    maxSessions, cref, generator, trials, genCpu);
        }

        /** "name" or "name:variant" with the variant checked and normalised (default filled in). */
        static String canonical(String token) {
            int colon = token.indexOf(':');
            String name = colon < 0 ? token : token.substring(0, colon);
            String v = colon < 0 ? null : token.substring(colon + 1);
            if (!SCENARIOS.contains(name)) {
                throw new UsageException("unknown scenario " + token + " (known: " + SCENARIOS + ", nat)");
            }
            String variant = switch (name) {
                case "binat" -> {
                    int r = v == null ? 1 : count(token, v);
                    if (r > 16_000) {
                        throw new UsageException("binat: at most 16000 rules (10.0.0.0/16 hosts)");
                    }
                    yield Integer.toString(r);
                }
                case "napt-established" -> {
                    String[] parts = v == null ? new String[0] : v.split(":", 2);
                    int n = naptSessions(token, parts.length == 0 ? null : parts[0]);
                    int remotes = parts.length < 2 ? Setup.SERVERS : count(token, parts[1]);
                    if (Integer.bitCount(remotes) != 1 || remotes > Setup.MAX_REMOTES) {
                        throw new UsageException(token + ": remote addresses must be a power of two up to "
                                + Setup.MAX_REMOTES);
                    }
                    yield Setup.naptEstablishedVariant(n, remotes);
                }
                case "napt-cps" -> oneOf(token, v == null ? "udp" : v, "udp", "tcp", "udp-apdf", "tcp-apdf");
                case "hairpin" -> oneOf(token, v == null ? "napt" : v, "napt", "binat");
                case "rule-swap" -> {
                    if (v == null) {
                        yield null;
                    }
                    String[] parts = v.split(":", 2);
                    if (!parts[0].equals("napt")) {
                        throw new UsageException(token + ": the variant must be napt or napt:SESSIONS");
                    }
                    yield "napt:" + naptSessions(token, parts.length < 2 ? null : parts[1]);
                }
                default -> {
                    if (v != null) {
                        throw new UsageException(name + " takes no variant: " + token);
                    }
                    yield null;
                }
            };
            return variant == null ? name : name + ":" + variant;
        }

        /** The sessions of a napt-established setup: v as a {@link #count} (null: 1m), at most 16m. */
        private static int naptSessions(String token, String v) {
            int n = v == null ? 1_000_000 : count(token, v);
            if (n > 16_000_000) {
                throw new UsageException(token + ": at most 16m sessions");
            }
            return n;
        }

        private static String oneOf(String token, String v, String... allowed) {
            if (!List.of(allowed).contains(v)) {
                throw new UsageException(token + ": the variant must be one of " + List.of(allowed));
            }
            return v;
        }

        /** A positive count: digits with an optional k (×1000) or m (×1000000) suffix. */
        static int count(String what, String v) {
            String t = v.toLowerCase(Locale.ROOT);
            long mult = 1;
            if (t.endsWith("k")) {
                mult = 1_000;
                t = t.substring(0, t.length() - 1);
            } else if (t.endsWith("m")) {
                mult = 1_000_000;
                t = t.substring(0, t.length() - 1);
            }
            try {
                long n = Long.parseLong(t) * mult;
                if (n < 1 || n > Integer.MAX_VALUE) {
                    throw new UsageException(what + ": out of range: " + v);
                }
                return (int) n;
            } catch (NumberFormatException e) {
                throw new UsageException(what + ": not a count: " + v);
            }
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

    /** The setup of a canonical scenario token. */
    static Setup setup(String token, Options o) {
        int colon = token.indexOf(':');
        String name = colon < 0 ? token : token.substring(0, colon);
        String v = colon < 0 ? "" : token.substring(colon + 1);
        if (name.equals("imix")) {
            return Setup.imix(o.packets()); // its own frame sizes
        }
        Setup s = switch (name) {
            case "mirror-only", "forward" -> Setup.forward();
            case "binat" -> Setup.binat(Integer.parseInt(v), o.packets());
            case "pfwd" -> Setup.pfwd(o.packets());
            case "napt-established" -> Setup.naptEstablished(v);
            case "napt-cps" -> Setup.naptCps(v.startsWith("tcp") ? Frames.PROTO_TCP : Frames.PROTO_UDP, v.endsWith("-apdf"),
                    o.maxSessions());
            case "hairpin" -> Setup.hairpin(v, o.packets());
            case "rule-swap" -> v.isEmpty() ? Setup.ruleSwap(o.packets())
                    : Setup.ruleSwapNapt(Integer.parseInt(v.substring("napt:".length())));
            default -> throw new IllegalArgumentException(token);
        };
        try {
            return s.wireSize(o.pktSize());
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    /** An estimate of the heap the NAT state of a setup takes (measured: 236 bytes per session of capacity at 1 M, 305 at 10 M). */
    static long heapNeeded(Setup s) {
        return s.nat() ? 320L * s.maxSessions() + (64L << 20) : 0;
    }

    /** Where a class was loaded from (a jar or a classes directory). */
    static String origin(Class<?> c) {
        var src = c.getProtectionDomain().getCodeSource();
        return src == null ? "?" : src.getLocation().getPath();
    }

    /**
     * Runs the scenarios; JSON lines go to out, the table and notes to err. Initialises EAL (once
     * per process) and cleans it up at the end.
     */
    public static List<Map<String, Object>> run(String[] args, PrintStream out, PrintStream err) throws Exception {
        Options o = Options.parse(args);
        List<Setup> setups = new ArrayList<>();
        for (String sc : o.scenarios()) {
            Setup s = setup(sc, o);
            long need = heapNeeded(s);
            if (need > Runtime.getRuntime().maxMemory()) {
                throw new UsageException(sc + " needs about " + (need >> 20) + " MiB of heap, the JVM has "
                        + (Runtime.getRuntime().maxMemory() >> 20) + " (bench.sh: BENCH_HEAP=" + ((need >> 30) + 2) + "g)");
            }
            setups.add(s);
        }
        String engineJar = origin(io.hairpin.engine.worker.Worker.class);
        err.println("bench: engine classes from " + engineJar + ", native from " + origin(Eal.class));
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
            if (o.generator()) {
                return GeneratorMode.run(o, o.scenarios(), setups, rig, huge, engineJar, out, err, DutMaker.ENGINE,
                        o.cref() ? DutMaker.pinned(CReference::new) : null);
            }
            Measurement mirrorOnly = null;
            for (int i = 0; i < setups.size(); i++) {
                String token = o.scenarios().get(i);
                Setup s = setups.get(i);
                Map<String, Object> json;
                if (token.equals("mirror-only")) {
                    mirrorOnly = Scenarios.inThread(token, () -> Scenarios.harness(s, rig, o));
                    json = toJson("mirror-only", s, mirrorOnly, null, Map.of(), o, huge, engineJar);
                } else {
                    Measurement harness = null;
                    if (token.equals("forward") && mirrorOnly != null) {
                        harness = mirrorOnly; // forward's harness is mirror-only
                    } else if (o.harness()) {
                        err.println("bench: " + token + ": harness (pass-through instead of the worker)");
                        harness = Scenarios.inThread(token + "-harness", () -> Scenarios.harness(s, rig, o));
                    }
                    err.println("bench: " + token + ": engine" + (s.openSessions > 0 ? " (opening " + s.openSessions
                            + " sessions first)" : ""));
                    Scenarios.Result r = Scenarios.inThread(token, () -> Scenarios.engine(s, rig, o));
                    json = toJson(s.scenario, s, r.m(), harness, r.extra(), o, huge, engineJar);
                    String full = tableFull(token, s, json);
                    if (full != null) {
                        err.println(full);
                    }
                    if (o.cref() && CReference.unsupported(s) == null) {
                        err.println("bench: " + token + ": C reference");
                        CReferenceRun.Result c = Scenarios.inThread(token + "-cref", () -> CReferenceRun.run(s, rig, o));
                        CReferenceRun.addTo(json, c, r.m(), harness);
                    }
                }
                lines.add(json);
                out.println(JsonLine.write(json));
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

    /**
     * A sentence when the engine refused sessions for want of room: in napt-cps the frames it
     * drops are not sent again, so a full table ends the run at 0 new sessions/s, which says
     * nothing about speed. Null otherwise.
     */
    static String tableFull(String token, Setup s, Map<String, Object> json) {
        String detail = json.get("drop_detail") + " " + json.get("drop_detail_before_window");
        if (!detail.contains("nat_sessions_full")) {
            return null;
        }
        return "bench: " + token + ": the session table (" + s.maxSessions() + " sessions) filled and refused new"
                + " ones (" + detail.trim() + "): sessions live for their timeout plus up to a tick of the expiry"
                + " wheel, so the table needs room for that long at the rate measured; --max-sessions sets its size";
    }

    /** Uses 2 MiB hugepages when asked or, by default, when a hugetlbfs mount has enough free pages. */
    static boolean decideHugepages(Boolean wanted, PrintStream err) {
        if (Boolean.FALSE.equals(wanted)) {
            return false;
        }
        String reason = null;
        boolean mounted = MemInfo.hugetlbfsMounted();
        long free = Math.max(0, MemInfo.field("HugePages_Free"));
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

    static Map<String, Object> toJson(String scenario, Setup s, Measurement m, Measurement harness,
                                      Map<String, Object> extra, Options o, boolean huge, String engineJar) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("scenario", scenario);
        j.put("variant", s.variant.isEmpty() ? null : s.variant);
        j.put("mode", "capacity");
        j.put("workers", 1);
        j.put("sessions", extra.getOrDefault("sessions", 0));
        j.put("pkt_size", s.sizes.isFixed(o.pktSize()) ? (Object) o.pktSize() : s.sizes.label());
        j.put("packets_in_flight", o.packets());
        j.put("forwarded_mpps", round(m.mpps(), 3));
        j.put("cycles_per_pkt", round(m.cyclesPerPacket(), 2));
        j.put("cycles_per_pkt_on_cpu", round(m.cpuCyclesPerPacket(), 2));
        if (!scenario.equals("mirror-only")) {
            j.put("mirror_cycles_per_pkt", harness == null ? null : round(harness.cyclesPerPacket(), 2));
            j.put("engine_cycles_per_pkt",
                    harness == null ? null : round(m.cyclesPerPacket() - harness.cyclesPerPacket(), 2));
            j.put("mirror_cpu_share", harness == null ? null : round(harness.cpuShare(), 3));
            j.put("mirror_cycles_per_pkt_on_cpu", harness == null ? null : round(harness.cpuCyclesPerPacket(), 2));
            j.put("engine_cycles_per_pkt_on_cpu",
                    harness == null ? null : round(m.cpuCyclesPerPacket() - harness.cpuCyclesPerPacket(), 2));
        }
        j.put("cycles_per_pkt_best_slice", round(m.sliceMinCycles(), 2));
        j.put("cycles_per_pkt_worst_slice", round(m.sliceMaxCycles(), 2));
        j.put("bytes_per_packet", round(m.bytesPerPacket(), 4));
        j.put("allocated_bytes", m.allocatedBytes());
        j.put("gc_count", m.gcCount());
        j.put("gc_time_ms", m.gcMillis());
        j.put("gc_pauses", m.gcCount());
        j.put("duration_s", round(m.seconds(), 3));
        j.put("cpu_share", round(m.cpuShare(), 3));
        j.put("warmup_s", o.warmupS());
        j.put("packets", m.packets());
        j.put("lost", m.lost());
        j.put("drops", m.drops());
        j.put("bad_checksums", m.badChecksums());
        j.put("bytes_per_session", extra.getOrDefault("bytes_per_session", null));
        for (Map.Entry<String, Object> e : extra.entrySet()) {
            j.putIfAbsent(e.getKey(), e.getValue());
        }
        for (Map.Entry<String, Object> e : s.describe.entrySet()) {
            j.putIfAbsent(e.getKey(), e.getValue());
        }
        j.put("loss_pct", null);
        j.put("latency_p50_us", null);
        j.put("latency_p99_us", null);
        j.put("latency_p999_us", null);
        j.put("hugepages", huge);
        j.put("lcore", o.lcore());
        j.put("tsc_hz", m.tscHz());
        j.put("c_reference_mpps", null);
        j.put("c_reference_cycles_per_pkt", null);
        j.put("engine_jar", engineJar);
        j.put("jvm_args", String.join(" ", java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()));
        return j;
    }

    static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    static void printTable(List<Map<String, Object>> lines, PrintStream err) {
        err.printf(Locale.ROOT, "%n%-26s %6s %8s %9s %9s %9s %9s %3s %9s %6s %5s %5s %8s %6s %6s%n", "scenario", "pkts",
                "Mpps", "cyc/pkt", "harness", "engine", "B/pkt", "GCs", "sessions", "drops", "wrong", "cpu", "C Mpps",
                "ratio", "best");
        for (Map<String, Object> j : lines) {
            Object variant = j.get("variant");
            String name = j.get("scenario") + (variant == null ? "" : ":" + variant);
            err.printf(Locale.ROOT, "%-26s %6d %8.3f %9.2f %9s %9s %9.4f %3d %9s %6d %5s %4.0f%% %8s %6s %6s%n", name,
                    (Integer) j.get("packets_in_flight"), (Double) j.get("forwarded_mpps"),
                    (Double) j.get("cycles_per_pkt"), fmt(j.get("mirror_cycles_per_pkt")),
                    fmt(j.get("engine_cycles_per_pkt")), (Double) j.get("bytes_per_packet"), (Long) j.get("gc_count"),
                    j.get("sessions"), (Long) j.get("drops"), j.getOrDefault("mistranslated", "-"),
                    100 * (Double) j.get("cpu_share"), fmt(j.get("c_reference_mpps")),
                    fmt(j.get("ratio_to_c")), fmt(j.get("ratio_to_c_best_slice")));
        }
        err.printf(Locale.ROOT, "cycles are TSC cycles at %.3f GHz; engine = cyc/pkt - harness (the same frames and "
                + "mirror with a pass-through); wrong = frames the mirror found mistranslated; cpu = share of the "
                + "window the benchmark thread was running (< 100%%: preempted); C Mpps = the scenario's C reference, "
                + "ratio = Mpps / C Mpps, best = the same over each run's best 0.5 s.%n",
                lines.isEmpty() ? 0.0 : ((Long) lines.get(0).get("tsc_hz")) / 1e9);
    }

    private static String fmt(Object v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.2f", (Double) v);
    }
}
