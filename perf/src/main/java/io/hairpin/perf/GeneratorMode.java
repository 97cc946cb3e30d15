package io.hairpin.perf;

import io.hairpin.engine.CpuReservation;
import io.hairpin.shim.Shim;
import java.io.PrintStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The benchmark runner's generator mode (shared/spec/performance.md): the DUT (the engine's
 * worker, or any {@link DutMaker}) runs alone on its own thread pinned to the EAL lcore; on the
 * other CPU one thread both generates (TSC-paced bursts of the scenario's frames into the DUT's
 * RX ring, see {@link Generator}) and sinks (both TX rings: count, latency, translation check,
 * free, see {@link Sink}). Per scenario:
 * <ol>
 *   <li>the generator's ceiling: the same frames as fast as the generator can, through a
 *       pass-through DUT ({@link PassThroughDut}), received rate over --duration;</li>
 *   <li>the DUT made on its thread, the scenario's sessions opened first as capacity mode does,
 *       a warm-up at half the ceiling for --warmup;</li>
 *   <li>the zero-loss rate, RFC 2544 style: a binary search on the offered rate between 0 and the
 *       ceiling, trials of --duration, a trial passes with loss ≤ 0.001 % (frames offered but not
 *       received: refused by a full RX ring or an empty pool, dropped by the DUT, lost), each
 *       trial's bounds taken at the rate it offered, a fail taken only when a second trial at the
 *       same rate fails too ({@link ZeroLossSearch}); it stops at 1 %
 *       resolution, after --trials trials, or when the generator twice fell short of a rate the
 *       DUT held (the line's {@code generator_limited});</li>
 *   <li>latency runs of --duration at 10 %, 50 % and 90 % of the zero-loss rate (HdrHistogram,
 *       ns, 3 significant digits).</li>
 * </ol>
 * With the C reference, both DUTs are made (each with its sessions) before the first trial and
 * take turns on the DUT's CPU: one trial of the engine's search, one of C's, the first of each
 * round alternating, and so for the latency runs. This VM's slow phases last tens of seconds;
 * searched one after the other, the engine and C met different phases and their ratio was the
 * host's (0.07 to 3.41 in single rounds on e52ab8f); in turns, both meet the same ones
 * ({@code trials_interleaved} in the line).
 * Traffic goes one way, as the scenario's packets enter in capacity mode (forward, binat and
 * napt-established: LAN → WAN; pfwd: WAN → LAN; hairpin: LAN → LAN): the reply direction of a
 * NAPT flow would need the mapping the worker chose.
 */
final class GeneratorMode {
    static final double LOSS_LIMIT_PCT = 0.001;
    static final double RESOLUTION = 0.01;
    static final double[] LATENCY_SHARES = {0.1, 0.5, 0.9};
    /** After a trial: frames still missing arrive within this, or count as lost (RFC 2544 waits 2 s). */
    private static final double QUIET_S = 0.05;
    private static final double MAX_DRAIN_S = 1.0;
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private GeneratorMode() {
    }

    /** Null when the scenario maps onto generator mode, else why it does not (one sentence). */
    static String refusal(String token) {
        String name = token.contains(":") ? token.substring(0, token.indexOf(':')) : token;
        return switch (name) {
            case "mirror-only" -> "mirror-only measures the capacity-mode mirror, which generator mode has not "
                    + "(its generator_ceiling_mpps is the pass-through figure).";
            case "napt-cps" -> "napt-cps needs the capacity-mode mirror to turn every packet into a new flow; "
                    + "generator mode does not model new-session rates.";
            default -> null;
        };
    }

    /** The CPU the generator runs on: the other one of the two. */
    static int generatorCpu(int lcore) {
        return lcore == 0 ? 1 : 0;
    }

    /** How the DUT treats a frame of each scenario (see {@link Setup}'s topology). */
    static Sink.Expect expect(Setup s) {
        return switch (s.scenario) {
            case "forward" -> new Sink.Expect(Rig.WAN, Sink.Expect.KEEP, 0, 0, 0, 0, 0);
            case "binat" -> new Sink.Expect(Rig.WAN, Sink.Expect.SHIFT, Setup.BINAT_BASE - Setup.HOST_BASE, 0, 0, 0, 0);
            case "napt-established" -> new Sink.Expect(Rig.WAN, Sink.Expect.POOL, 0, s.poolBase, s.poolCount, 0, 0);
            case "pfwd" -> new Sink.Expect(Rig.LAN, Sink.Expect.KEEP, 0, 0, 0, Setup.PFWD_SERVER, 80);
            case "hairpin" -> s.variant.equals("napt")
                    ? new Sink.Expect(Rig.LAN, Sink.Expect.POOL, 0, Setup.POOL_BASE, 1, Setup.HAIRPIN_SERVER, 80)
                    : new Sink.Expect(Rig.LAN, Sink.Expect.SHIFT, Setup.HAIRPIN_CLIENT_BASE - Setup.HOST_BASE, 0, 0,
                    Setup.HAIRPIN_SERVER, 80);
            default -> throw new IllegalArgumentException("generator mode: no expectation for " + s.scenario);
        };
    }

    static String direction(Setup s) {
        int out = expect(s).outPort();
        return (s.startPort == Rig.WAN ? "wan" : "lan") + "->" + (out == Rig.WAN ? "wan" : "lan");
    }

    /** One trial's figures; latencies in ns. */
    record Trial(double targetPps, long offered, long received, long ringFull, long noMbuf, long late,
                 long mistranslated, double seconds, long p50, long p99, long p999, long max, long samples,
                 double cpuShare) {
        double lossPct() {
            return offered == 0 ? 100 : 100.0 * (offered - received) / offered;
        }

        double offeredPps() {
            return offered / seconds;
        }

        double receivedPps() {
            return received / seconds;
        }

        boolean pass() {
            return offered > 0 && lossPct() <= LOSS_LIMIT_PCT;
        }

        Map<String, Object> json() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("target_mpps", targetPps <= 0 ? null : Bench.round(targetPps / 1e6, 4));
            j.put("offered_mpps", Bench.round(offeredPps() / 1e6, 4));
            j.put("received_mpps", Bench.round(receivedPps() / 1e6, 4));
            j.put("loss_pct", Bench.round(lossPct(), 6));
            j.put("pass", pass());
            j.put("ring_full", ringFull);
            j.put("no_mbuf", noMbuf);
            j.put("generator_cpu_share", Bench.round(cpuShare, 3));
            return j;
        }

        Map<String, Object> latencyJson() {
            Map<String, Object> j = json();
            j.put("p50_us", us(p50));
            j.put("p99_us", us(p99));
            j.put("p999_us", us(p999));
            j.put("max_us", us(max));
            j.put("samples", samples);
            return j;
        }

        private static double us(long ns) {
            return Bench.round(ns / 1e3, 3);
        }
    }

    /** The generator and the sink, driven by the generator thread. */
    static final class Driver implements AutoCloseable {
        final Generator gen;
        final Sink sink;
        private final long hz;
        private int trialNo;

        Driver(Setup s, Rig rig, Sink.Expect expect) {
            hz = Shim.hp_tsc_hz();
            Flows walk = s.flows.get();
            if (walk != null && s.scatter) {
                walk.scatter();
            }
            gen = new Generator(s, rig, walk);
            sink = new Sink(rig, s.flows.get(), expect, hz);
        }

        /** Offers pps frames per second (≤ 0: as fast as it can) for seconds, then collects the stragglers. */
        Trial run(double pps, double seconds) {
            int t = ++trialNo;
            sink.startTrial(t);
            gen.trial = t;
            long offered0 = gen.offered;
            long ringFull0 = gen.ringFull;
            long noMbuf0 = gen.noMbuf;
            long received0 = sink.received;
            long late0 = sink.late;
            long wrong0 = sink.mistranslated;
            int burst = pps <= 0 ? Generator.MAX_BURST : (int) Math.max(1, Math.min(Generator.MAX_BURST, Math.round(pps / 1e6)));
            double interval = pps <= 0 ? 0 : hz * (double) burst / pps;
            long cpu0 = THREADS.getCurrentThreadCpuTime();
            long t0 = Shim.hp_rdtsc();
            long end = t0 + (long) (seconds * hz);
            double next = t0;
            long now;
            while ((now = Shim.hp_rdtsc()) < end) {
                if (now >= next) {
                    gen.send(burst, now);
                    next += interval;
                }
                sink.poll();
            }
            long cpu1 = THREADS.getCurrentThreadCpuTime();
            long accepted = (gen.offered - offered0) - (gen.ringFull - ringFull0) - (gen.noMbuf - noMbuf0);
            long quiet = (long) (QUIET_S * hz);
            long last = Shim.hp_rdtsc();
            long giveUp = last + (long) (MAX_DRAIN_S * hz);
            while (sink.received - received0 < accepted) {
                long n = sink.poll();
                long at = Shim.hp_rdtsc();
                if (n > 0) {
                    last = at;
                } else if (at - last > quiet || at > giveUp) {
                    break;
                }
            }
            var h = sink.histogram;
            return new Trial(pps, gen.offered - offered0, sink.received - received0, gen.ringFull - ringFull0,
                    gen.noMbuf - noMbuf0, sink.late - late0, sink.mistranslated - wrong0, (double) (end - t0) / hz,
                    h.getValueAtPercentile(50), h.getValueAtPercentile(99), h.getValueAtPercentile(99.9),
                    h.getMaxValue(), h.getTotalCount(), (cpu1 - cpu0) / (seconds * 1e9));
        }

        @Override
        public void close() {
            gen.close();
            sink.close();
        }
    }

    /** What the generator thread found for one scenario. */
    record Outcome(Trial ceiling, List<Trial> trials, Trial best, Trial[] latency, long gcCount, long gcMillis,
                   long dutAllocated, long received, long mistranslated, long badChecksums, long checksumsChecked,
                   long late, long other, double dutCpuShare, double generatorCpuShare, long dutPreemptions,
                   long generatorPreemptions, long dutBlocked, boolean generatorLimited) {
    }

    /**
     * Runs every scenario; prints one JSON line each on out and a table on err. maker is the DUT
     * measured; reference, when not null (the C reference), is measured the same way right after
     * it, with the same ceiling, and goes into the same line (c_reference_*).
     */
    static List<Map<String, Object>> run(Bench.Options o, List<String> tokens, List<Setup> setups, Rig rig,
                                         boolean huge, String engineJar, PrintStream out, PrintStream err,
                                         DutMaker maker, DutMaker reference) throws Exception {
        int genCpu = o.genCpu() >= 0 ? o.genCpu() : generatorCpu(o.lcore());
        List<Map<String, Object>> lines = new ArrayList<>();
        for (int i = 0; i < setups.size(); i++) {
            String token = tokens.get(i);
            Setup s = setups.get(i);
            HostStops.Figures stops = hostStops(o.lcore(), Math.min(1, o.durationS()));
            err.println("bench: " + token + ": the DUT's " + stops.describe(o.lcore()));
            err.println("bench: " + token + ": generator on CPU " + genCpu + ", DUT on CPU " + o.lcore() + ", "
                    + direction(s) + "; the generator's ceiling (pass-through DUT)");
            DutRunner pass = new DutRunner(DutMaker.PASS_THROUGH, s, rig, o.lcore(), false);
            Trial ceiling = withDut(token + "-pass", pass, () -> onCpu(token + "-ceiling", genCpu, () -> {
                try (Driver d = new Driver(s, rig, new Sink.Expect(1 - s.startPort, Sink.Expect.KEEP, 0, 0, 0, 0, 0))) {
                    d.run(0, Math.min(1, o.warmupS()));
                    return d.run(0, o.durationS());
                }
            }));
            err.printf(Locale.ROOT, "bench: %s: ceiling %.3f Mpps (offered %.3f, loss %.4f %%, generator on its CPU "
                    + "%.0f %%)%n", token, ceiling.receivedPps() / 1e6, ceiling.offeredPps() / 1e6, ceiling.lossPct(),
                    100 * ceiling.cpuShare());
            err.println("bench: " + token + ": DUT" + (s.openSessions > 0 ? " (opening " + s.openSessions
                    + " sessions first)" : "") + (reference == null ? "" : " and the C reference, taking turns on its "
                    + "CPU trial by trial") + ", zero-loss search");
            Set<Integer> cpuOwners = ConcurrentHashMap.newKeySet();
            List<Side> sides = new ArrayList<>();
            double top = ceiling.receivedPps();
            sides.add(new Side(token, DutRunner.switched(maker, s, rig, o.lcore(), cpuOwners),
                    new ZeroLossSearch(top, RESOLUTION, o.trials())));
            if (reference != null) {
                sides.add(new Side(token + "-c", DutRunner.switched(reference, s, rig, o.lcore(), cpuOwners),
                        new ZeroLossSearch(top, RESOLUTION, o.trials())));
            }
            List<Outcome> outcomes = withDuts(sides, () -> onCpu(token + "-generator", genCpu,
                    () -> search(s, rig, o, ceiling, sides, err)));
            Outcome r = outcomes.get(0);
            DutRunner dut = sides.get(0).dut;
            Map<String, Object> json = toJson(token, s, r, dut, o, huge, engineJar, genCpu);
            json.put("trials_interleaved", reference != null);
            json.putAll(stops.json());
            err.printf(Locale.ROOT, "bench: %s: during its turns the scheduler preempted the DUT thread %d times, the "
                    + "generator %d times; the DUT thread blocked %d times (-1: unknown)%n", token, r.dutPreemptions(),
                    r.generatorPreemptions(), r.dutBlocked());
            if (r.dutCpuShare() < 0.9 || r.generatorCpuShare() < 0.9) {
                err.printf(Locale.ROOT, "bench: %s: warning: the DUT thread was on its CPU %.0f %% of its turns, the "
                        + "generator %.0f %%: other load preempted them, the figures say little%n", token,
                        100 * r.dutCpuShare(), 100 * r.generatorCpuShare());
            }
            if (reference != null) {
                putReference(json, outcomes.get(1));
            }
            lines.add(json);
            out.println(JsonLine.write(json));
            out.flush();
        }
        printTable(lines, err);
        return lines;
    }

    /** The reference's figures in the DUT's line, and the DUT's zero-loss rate over the reference's. */
    static void putReference(Map<String, Object> j, Outcome c) {
        Trial best = c.best();
        Trial half = c.latency()[1];
        double mpps = best == null ? 0.0 : Bench.round(best.offeredPps() / 1e6, 3);
        j.put("c_reference_mpps", mpps);
        j.put("c_reference_loss_pct", best == null ? null : Bench.round(best.lossPct(), 6));
        j.put("c_reference_latency_p50_us", half == null ? null : Bench.round(half.p50() / 1e3, 3));
        j.put("c_reference_latency_p99_us", half == null ? null : Bench.round(half.p99() / 1e3, 3));
        j.put("c_reference_latency_p999_us", half == null ? null : Bench.round(half.p999() / 1e3, 3));
        j.put("c_reference_mistranslated", c.mistranslated());
        j.put("c_reference_trial_count", c.trials().size());
        j.put("c_reference_generator_limited", c.generatorLimited());
        j.put("vs_c_reference", mpps == 0 ? null : Bench.round((Double) j.get("forwarded_mpps") / mpps, 3));
    }

    /**
     * One DUT under search: its runner, its zero-loss search, and its figures summed over its turns
     * (the trials run while it polled), so that two DUTs taking turns on one CPU are each measured
     * over their own trials only.
     */
    private static final class Side {
        final String token;
        final DutRunner dut;
        final ZeroLossSearch search;
        final List<Trial> trials = new ArrayList<>();
        final Trial[] latency = new Trial[LATENCY_SHARES.length];
        Trial best;
        private long dutThread;
        private ThreadSwitches genSwitches;
        private long gcCount;
        private long gcMillis;
        private long allocated;
        private long dutCpu;
        private long genCpu;
        private long wall;
        private long genPreemptions;
        private long dutPreemptions;
        private long dutBlocked;
        private long received;
        private long mistranslated;
        private long badChecksums;
        private long checked;
        private long late;
        private long other;

        Side(String token, DutRunner dut, ZeroLossSearch search) {
            this.token = token;
            this.dut = dut;
            this.search = search;
        }

        /** A run of the driver with this side's DUT polling; counted into its figures unless a warm-up. */
        Trial run(Driver d, double pps, double seconds, boolean counted) {
            dut.activate();
            try {
                if (!counted) {
                    return d.run(pps, seconds);
                }
                long[] gc0 = gc();
                long alloc0 = THREADS.getThreadAllocatedBytes(dutThread);
                long dutCpu0 = THREADS.getThreadCpuTime(dutThread);
                long genCpu0 = THREADS.getCurrentThreadCpuTime();
                long genSw0 = involuntary(genSwitches);
                long dutSw0 = involuntary(dut.switches);
                long dutVol0 = voluntary(dut.switches);
                long received0 = d.sink.received;
                long wrong0 = d.sink.mistranslated;
                long bad0 = d.sink.badChecksums;
                long checked0 = d.sink.checked;
                long late0 = d.sink.late;
                long other0 = d.sink.other;
                long wall0 = System.nanoTime();
                Trial t = d.run(pps, seconds);
                wall += System.nanoTime() - wall0;
                long[] gc1 = gc();
                gcCount += gc1[0] - gc0[0];
                gcMillis += gc1[1] - gc0[1];
                allocated += THREADS.getThreadAllocatedBytes(dutThread) - alloc0;
                dutCpu += THREADS.getThreadCpuTime(dutThread) - dutCpu0;
                genCpu += THREADS.getCurrentThreadCpuTime() - genCpu0;
                genPreemptions = sum(genPreemptions, ThreadSwitches.delta(genSw0, involuntary(genSwitches)));
                dutPreemptions = sum(dutPreemptions, ThreadSwitches.delta(dutSw0, involuntary(dut.switches)));
                dutBlocked = sum(dutBlocked, ThreadSwitches.delta(dutVol0, voluntary(dut.switches)));
                received += d.sink.received - received0;
                mistranslated += d.sink.mistranslated - wrong0;
                badChecksums += d.sink.badChecksums - bad0;
                checked += d.sink.checked - checked0;
                late += d.sink.late - late0;
                other += d.sink.other - other0;
                return t;
            } finally {
                dut.deactivate();
            }
        }

        /** -1 where /proc cannot tell (no ThreadSwitches). */
        private static long involuntary(ThreadSwitches s) {
            return s == null ? -1 : s.involuntary();
        }

        private static long voluntary(ThreadSwitches s) {
            return s == null ? -1 : s.voluntary();
        }

        /** -1 (unknown) once either is unknown. */
        private static long sum(long total, long delta) {
            return total < 0 || delta < 0 ? -1 : total + delta;
        }

        Outcome outcome(Trial ceiling) {
            double seconds = Math.max(1, wall);
            return new Outcome(ceiling, trials, best, latency, gcCount, gcMillis, allocated, received, mistranslated,
                    badChecksums, checked, late, other, dutCpu / seconds, genCpu / seconds, dutPreemptions,
                    genPreemptions, dutBlocked, search.generatorLimited());
        }
    }

    /**
     * Runs on the generator thread: each side's warm-up, then the sides' searches and latency runs
     * with their trials taking turns (one trial each, the first side alternating), so that the
     * host's slow phases, tens of seconds long on this VM, fall on both alike.
     */
    private static List<Outcome> search(Setup s, Rig rig, Bench.Options o, Trial ceiling, List<Side> sides,
                                        PrintStream err) {
        try (Driver d = new Driver(s, rig, expect(s))) {
            double top = ceiling.receivedPps();
            ThreadSwitches genSwitches = ThreadSwitches.ofCurrentThread();
            for (Side side : sides) {
                side.genSwitches = genSwitches;
                if (o.warmupS() > 0) {
                    side.run(d, top / 2, o.warmupS(), false);
                }
            }
            for (int round = 0; ; round++) {
                boolean any = false;
                for (Side side : inTurn(sides, round)) {
                    if (!side.search.more()) {
                        continue;
                    }
                    any = true;
                    double asked = side.search.target();
                    Trial r = side.run(d, asked, o.durationS(), true);
                    side.trials.add(r);
                    if (side.search.record(r.offeredPps(), r.pass())) {
                        side.best = r;
                    }
                    err.printf(Locale.ROOT, "bench: %s: trial %d: %.3f Mpps asked, %.3f offered, %.3f received, loss "
                            + "%.5f %% %s (generator on its CPU %.0f %%)%n", side.token, side.trials.size(), asked / 1e6,
                            r.offeredPps() / 1e6, r.receivedPps() / 1e6, r.lossPct(), r.pass() ? "pass"
                            : side.search.failToConfirm() ? "fail, to be tried again" : "fail", 100 * r.cpuShare());
                }
                if (!any) {
                    break;
                }
            }
            for (Side side : sides) {
                if (side.search.generatorLimited()) {
                    err.printf(Locale.ROOT, "bench: %s: warning: the best passing trial offered less than it asked for: "
                            + "the generator, not the DUT, set this zero-loss rate%n", side.token);
                }
            }
            for (int k = 0; k < LATENCY_SHARES.length; k++) {
                for (Side side : inTurn(sides, k)) {
                    if (side.best == null) {
                        continue;
                    }
                    Trial l = side.run(d, LATENCY_SHARES[k] * side.best.offeredPps(), o.durationS(), true);
                    side.latency[k] = l;
                    err.printf(Locale.ROOT, "bench: %s: latency at %.0f %% (%.3f Mpps): p50 %.2f µs, p99 %.2f, p99.9 "
                            + "%.2f, max %.2f, loss %.5f %%%n", side.token, 100 * LATENCY_SHARES[k],
                            l.offeredPps() / 1e6, l.p50() / 1e3, l.p99() / 1e3, l.p999() / 1e3, l.max() / 1e3,
                            l.lossPct());
                }
            }
            List<Outcome> outcomes = new ArrayList<>();
            for (Side side : sides) {
                outcomes.add(side.outcome(ceiling));
            }
            return outcomes;
        }
    }

    /** The sides in the order of one round: as given in even rounds, the other way round in odd ones. */
    static <T> List<T> inTurn(List<T> sides, int round) {
        return round % 2 == 0 ? sides : sides.reversed();
    }

    private static long[] gc() {
        long n = 0;
        long ms = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            n += Math.max(0, gc.getCollectionCount());
            ms += Math.max(0, gc.getCollectionTime());
        }
        return new long[] {n, ms};
    }

    /** Starts the DUT thread, waits until it is ready, runs body, stops the DUT. */
    private static <T> T withDut(String name, DutRunner dut, Callable<T> body) throws Exception {
        Thread t = new Thread(dut, "bench-dut-" + name);
        t.start();
        T result;
        try {
            dut.awaitReady();
            result = body.call();
        } finally {
            dut.stop();
            t.join();
        }
        dut.check();
        return result;
    }

    /**
     * Starts the sides' switched DUT threads one at a time, each once the one before is ready and
     * parked (opening sessions uses the rings), runs body, stops them in reverse order.
     */
    private static <T> T withDuts(List<Side> sides, Callable<T> body) throws Exception {
        List<Thread> started = new ArrayList<>();
        T result;
        try {
            for (Side side : sides) {
                Thread t = new Thread(side.dut, "bench-dut-" + side.token);
                side.dutThread = t.threadId();
                started.add(t);
                t.start();
                side.dut.awaitReady();
                side.dut.deactivate();
            }
            result = body.call();
        } finally {
            for (int i = started.size() - 1; i >= 0; i--) {
                sides.get(i).dut.stop();
                started.get(i).join();
            }
        }
        for (Side side : sides) {
            side.dut.check();
        }
        return result;
    }

    /**
     * {@link HostStops} on cpu, with the rest of the process kept off it as it is kept off the DUT's
     * CPU during the trials, so that what it counts is what the DUT would meet from the host.
     */
    private static HostStops.Figures hostStops(int cpu, double seconds) throws Exception {
        return onCpu("host-stops", cpu, () -> {
            try (CpuReservation reserved = CpuReservation.reserve(new int[] {cpu}, Set.of(Shim.hp_gettid()))) {
                HostStops.measure(0.05, HostStops.THRESHOLD_NS); // its loop compiled before the run that counts
                return HostStops.measure(seconds, HostStops.THRESHOLD_NS);
            }
        });
    }

    /** Runs body on a new thread registered with DPDK (the mempool's per-lcore cache) and pinned to cpu. */
    private static <T> T onCpu(String name, int cpu, Callable<T> body) throws Exception {
        return Scenarios.inThread(name, () -> {
            if (Shim.hp_thread_register() < 0) {
                throw new IllegalStateException("rte_thread_register failed");
            }
            try {
                DutMaker.pin(cpu);
                return body.call();
            } finally {
                Shim.hp_thread_unregister();
            }
        });
    }

    static Map<String, Object> toJson(String token, Setup s, Outcome r, DutRunner dut, Bench.Options o, boolean huge,
                                      String engineJar, int genCpu) {
        Map<String, Object> j = new LinkedHashMap<>();
        Trial best = r.best();
        Trial half = r.latency()[1];
        j.put("scenario", s.scenario);
        j.put("variant", s.variant.isEmpty() ? null : s.variant);
        j.put("mode", "generator");
        j.put("workers", 1);
        j.put("sessions", Math.max(0, dut.sessionsAtEnd));
        j.put("pkt_size", o.pktSize());
        j.put("direction", direction(s));
        j.put("forwarded_mpps", best == null ? 0.0 : Bench.round(best.offeredPps() / 1e6, 3));
        j.put("cycles_per_pkt", null);
        j.put("loss_pct", best == null ? null : Bench.round(best.lossPct(), 6));
        j.put("generator_limited", r.generatorLimited());
        j.put("latency_p50_us", half == null ? null : Bench.round(half.p50() / 1e3, 3));
        j.put("latency_p99_us", half == null ? null : Bench.round(half.p99() / 1e3, 3));
        j.put("latency_p999_us", half == null ? null : Bench.round(half.p999() / 1e3, 3));
        for (int k = 0; k < LATENCY_SHARES.length; k++) {
            Trial l = r.latency()[k];
            j.put("latency_at_" + Math.round(100 * LATENCY_SHARES[k]) + "pct", l == null ? null : l.latencyJson());
        }
        j.put("generator_ceiling_mpps", Bench.round(r.ceiling().receivedPps() / 1e6, 3));
        j.put("generator_ceiling", r.ceiling().json());
        List<Object> trials = new ArrayList<>();
        for (Trial t : r.trials()) {
            trials.add(t.json());
        }
        j.put("trials", trials);
        j.put("trial_count", trials.size());
        j.put("loss_limit_pct", LOSS_LIMIT_PCT);
        j.put("search_resolution_pct", 100 * RESOLUTION);
        // below 1: the thread was preempted (other load on its CPU), and the figures say little
        j.put("dut_cpu_share", Bench.round(r.dutCpuShare(), 3));
        j.put("generator_cpu_share", Bench.round(r.generatorCpuShare(), 3));
        // times the scheduler took the CPU from the thread (each a stall of up to a time slice)
        j.put("dut_preemptions", r.dutPreemptions() < 0 ? null : r.dutPreemptions());
        j.put("generator_preemptions", r.generatorPreemptions() < 0 ? null : r.generatorPreemptions());
        // times the DUT thread blocked (it never should: a safepoint, a lock)
        j.put("dut_blocked", r.dutBlocked() < 0 ? null : r.dutBlocked());
        j.put("gc_pauses", r.gcCount());
        j.put("gc_count", r.gcCount());
        j.put("gc_time_ms", r.gcMillis());
        j.put("dut_allocated_bytes", r.dutAllocated());
        j.put("bytes_per_packet", r.received() == 0 ? null : Bench.round((double) r.dutAllocated() / r.received(), 4));
        j.put("bytes_per_session", null);
        j.put("packets", r.received());
        j.put("mistranslated", r.mistranslated());
        j.put("bad_checksums", r.badChecksums());
        j.put("checksums_checked", r.checksumsChecked());
        j.put("late", r.late());
        j.put("not_generated", r.other());
        j.put("drops", dut.drops < 0 ? null : dut.drops);
        j.put("drop_detail", dut.drops < 0 ? null : dut.dropDetail);
        j.put("sessions_opened", dut.sessionsOpened < 0 ? null : dut.sessionsOpened);
        if (s.openSessions > 0) {
            j.put("open_s", Bench.round(dut.openSeconds, 3));
            j.put("open_mistranslated", dut.openMistranslated);
        }
        for (Map.Entry<String, Object> e : s.describe.entrySet()) {
            j.putIfAbsent(e.getKey(), e.getValue());
        }
        j.put("duration_s", o.durationS());
        j.put("warmup_s", o.warmupS());
        j.put("hugepages", huge);
        j.put("lcore", o.lcore());
        j.put("generator_cpu", genCpu);
        j.put("tsc_hz", Shim.hp_tsc_hz());
        j.put("c_reference_mpps", null);
        j.put("c_reference_cycles_per_pkt", null);
        j.put("engine_jar", engineJar);
        j.put("jvm_args", String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
        return j;
    }

    @SuppressWarnings("unchecked")
    static void printTable(List<Map<String, Object>> lines, PrintStream err) {
        err.printf(Locale.ROOT, "%n%-26s %8s %9s %9s %8s %8s %8s %10s %6s %3s %5s %5s %5s%n", "scenario", "ceiling",
                "zero-loss", "loss%", "p50us", "p99us", "p99.9us", "p99.9@90%", "trials", "GCs", "wrong", "dut", "gen");
        for (Map<String, Object> j : lines) {
            Object variant = j.get("variant");
            Object at90 = j.get("latency_at_90pct");
            Object p999at90 = at90 == null ? null : ((Map<String, Object>) at90).get("p999_us");
            err.printf(Locale.ROOT, "%-26s %8.3f %9.3f %9s %8s %8s %8s %10s %6d %3d %5d %4.0f%% %4.0f%%%n",
                    j.get("scenario") + (variant == null ? "" : ":" + variant), (Double) j.get("generator_ceiling_mpps"),
                    (Double) j.get("forwarded_mpps"), j.get("loss_pct"), j.get("latency_p50_us"),
                    j.get("latency_p99_us"), j.get("latency_p999_us"), p999at90, (Integer) j.get("trial_count"),
                    (Long) j.get("gc_count"), (Long) j.get("mistranslated"), 100 * (Double) j.get("dut_cpu_share"),
                    100 * (Double) j.get("generator_cpu_share"));
        }
        err.printf(Locale.ROOT, "Mpps offered by a generator on the other core; zero-loss = the highest rate with "
                + "loss <= %s %%; latency at 50 %% of it (p99.9@90%%: at 90 %%); dut, gen = the share of the runs the "
                + "DUT and generator threads were on a CPU (< 100 %%: preempted).%n", LOSS_LIMIT_PCT);
    }
}
