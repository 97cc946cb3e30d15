package io.hairpin.perf;

import io.hairpin.engine.worker.Counters;
import io.hairpin.engine.worker.SnapshotHolder;
import io.hairpin.engine.worker.Worker;
import io.hairpin.shim.Shim;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The measured loops. Each run has its own thread (registered with DPDK, like a worker), which
 * inherits the EAL main lcore's CPU affinity: one core does the engine's work and the mirror's.
 * The loop is chunked so the JIT compiles {@code chunk()} as an ordinary method.
 */
final class Scenarios {
    private static final int CHUNK = 256;
    /** -Dhairpin.bench.trace=true prints the measured window's JVM uptimes (to match -Xlog or JFR output). */
    static final boolean TRACE = Boolean.getBoolean("hairpin.bench.trace");

    private Scenarios() {
    }

    /** How long the packets may take to open a scenario's sessions before the run gives up. */
    static final long OPEN_TIMEOUT_NANOS = 900_000_000_000L;
    private static final Runnable NOTHING = () -> { };

    /** An engine run's measurement and the scenario's own figures (sessions, NAT counters, footprint). */
    record Result(Measurement m, Map<String, Object> extra) {
    }

    /** Runs body in its own thread (which inherits the EAL lcore's affinity) and returns its result. */
    static <T> T inThread(String name, Callable<T> body) throws Exception {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                result.set(body.call());
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "bench-" + name);
        t.start();
        t.join();
        if (failure.get() != null) {
            throw new IllegalStateException("scenario " + name + " failed: " + failure.get(), failure.get());
        }
        return result.get();
    }

    /**
     * {@link Worker#heldPackets}: frames the worker received and holds over to its next round,
     * not lost. Looked up by name because perf/ab.sh runs engine jars of earlier revisions with
     * this harness, and those hold nothing between rounds (0).
     */
    private static int heldPackets(Worker worker) {
        try {
            return (int) Worker.class.getMethod("heldPackets").invoke(worker);
        } catch (ReflectiveOperationException e) {
            return 0;
        }
    }

    /**
     * The engine worker translates and forwards; the mirror answers (or rotates, or crosses). The
     * packets first open the scenario's sessions (the worker's slow path), then the warm-up and
     * the window run. One FORWARDED count per packet per pass through the worker.
     */
    static Result engine(Setup s, Rig rig, Bench.Options o) {
        Flows walk = s.flows.get();
        SnapshotHolder holder = s.newHolder(rig);
        Worker worker = s.newWorker(rig, holder);
        NatProbe probe = new NatProbe(worker);
        Counters c = worker.counters();
        Map<String, Object> x = new LinkedHashMap<>();
        try (Mirror mirror = s.mirror(rig, walk, true); SnapshotSwapper swapper = s.swapper(rig, holder, o.lcore())) {
            SwapVerifier swapCheck = mirror.swapCheck(); // rule-swap's; null for rule-swap:napt (its rules stay)
            worker.onStart();
            try {
                long heap0 = heapAfterGc();
                worker.doWork(); // picks up the snapshot (the NAT tables are built here), announces its addresses ...
                mirror.poll();   // ... which the mirror frees
                long heap1 = heapAfterGc();
                long[] first = WorkerCounters.read(c);
                rig.prefill(s.startPort, (m, k) -> s.writeFrame(m, k, walk, rig.portMac));
                ForwardLoop loop = new ForwardLoop(worker::doWork, mirror);
                long t0 = System.nanoTime();
                long opened0 = c.event(Counters.FORWARDED);
                while (probe.sessions() < s.openSessions) {
                    loop.chunk();
                    if (System.nanoTime() - t0 > OPEN_TIMEOUT_NANOS) {
                        throw new IllegalStateException("only " + probe.sessions() + " of " + s.openSessions
                                + " sessions opened; drops: " + WorkerCounters.dropDetail(first, WorkerCounters.read(c), c));
                    }
                }
                double openS = (System.nanoTime() - t0) / 1e9;
                long openPackets = c.event(Counters.FORWARDED) - opened0;
                if (s.scatter) {
                    walk.scatter();
                }
                if (swapper != null) {
                    swapper.start(); // swaps through the warm-up and the window
                }
                long[] start = new long[first.length];
                long[] misStart = new long[1];
                int[] sessStart = new int[1];
                long[] txStart = new long[2];
                Window w = Window.measure(loop, () -> c.event(Counters.FORWARDED), o, () -> {
                    WorkerCounters.read(c, start);
                    misStart[0] = mirror.mistranslated();
                    sessStart[0] = probe.sessions();
                    transmitted(c, txStart);
                    if (swapper != null) {
                        swapper.countFromNow();
                        if (swapCheck != null) {
                            swapCheck.markWindowStart();
                        }
                    }
                });
                long[] txEnd = transmitted(c, new long[2]);
                long[] end = WorkerCounters.read(c);
                int sessEnd = probe.sessions();
                Map<String, Object> swapFigures = new LinkedHashMap<>();
                if (swapper != null) {
                    if (swapCheck != null) {
                        swapCheck.putFigures(swapFigures); // the window's
                    }
                    // the last swap is complete once the worker has acknowledged it: keep it running until
                    // then (the mirror goes on checking those packets: mistranslated counts them too)
                    swapper.stop();
                    long t1 = System.nanoTime();
                    while (!swapper.done()) {
                        loop.chunk();
                        if (System.nanoTime() - t1 > 2 * SnapshotSwapper.LATE_NANOS) {
                            throw new IllegalStateException("the control thread did not finish its last swap");
                        }
                    }
                    swapFigures.put("drops_after_window", WorkerCounters.drops(end, WorkerCounters.read(c), c));
                }
                long drops = WorkerCounters.drops(start, end, c);
                Measurement m = w.finish(rig, drops, heldPackets(worker));
                long translated = end[Counters.NAT_TRANSLATED] - start[Counters.NAT_TRANSLATED];
                x.put("nat_translated", translated);
                x.put("translated_per_packet", m.packets() == 0 ? null : Bench.round((double) translated / m.packets(), 4));
                long hits = end[Counters.FLOW_CACHE_HITS] - start[Counters.FLOW_CACHE_HITS];
                x.put("flow_cache_hits_per_packet", m.packets() == 0 ? null : Bench.round((double) hits / m.packets(), 4));
                long established = end[Counters.SESSION_FAST_PATH] - start[Counters.SESSION_FAST_PATH];
                x.put("session_fast_path_per_packet",
                        m.packets() == 0 ? null : Bench.round((double) established / m.packets(), 4));
                if (s.scenario.equals("napt-cps")) {
                    // every packet through the worker is the first of a new flow (no tuple repeats
                    // within 10^9 flows), so each translation opened one session
                    x.put("new_sessions_per_s", Bench.round(translated / m.seconds(), 0));
                }
                putThroughput(x, txStart, txEnd, m.seconds());
                if (swapper != null) {
                    swapper.putFigures(x, m.seconds());
                    x.putAll(swapFigures);
                }
                x.put("sessions_at_window_start", sessStart[0]);
                x.put("sessions", sessEnd);
                x.put("max_sessions", s.nat() ? s.maxSessions() : 0);
                x.put("flows", walk == null ? rig.inFlight : walk.n);
                x.put("walk_stride", walk == null ? null : walk.stride());
                x.put("mistranslated", mirror.mistranslated() - misStart[0]);
                x.put("drop_detail", WorkerCounters.dropDetail(start, end, c));
                x.put("drops_before_window", WorkerCounters.drops(first, start, c));
                x.put("drop_detail_before_window", WorkerCounters.dropDetail(first, start, c));
                x.put("mirror_freed", mirror.freed());
                if (s.openSessions > 0) {
                    x.put("open_s", Bench.round(openS, 3));
                    x.put("open_packets", openPackets);
                }
                if (s.nat()) {
                    Map<String, Long> fp = probe.footprint();
                    long total = 0;
                    for (Map.Entry<String, Long> e : fp.entrySet()) {
                        x.put(e.getKey() + "_bytes", e.getValue());
                        total += e.getValue();
                    }
                    int cap = s.maxSessions();
                    x.put("nat_state_bytes", total);
                    x.put("bytes_per_session", Bench.round((double) total / cap, 2));
                    x.put("session_table_bytes_per_session",
                            Bench.round((double) fp.getOrDefault("session_table", 0L) / cap, 2));
                    x.put("heap_bytes_per_session", Bench.round((double) (heap1 - heap0) / cap, 2));
                }
                return new Result(m, x);
            } finally {
                worker.onClose();
                rig.drain();
            }
        }
    }

    /**
     * The harness alone, for a scenario: the same rig, frames and mirror modes (without the
     * checks), with a pass-through that moves each port's RX burst to the other port's TX,
     * unchanged, instead of the worker.
     */
    static Measurement harness(Setup s, Rig rig, Bench.Options o) {
        Flows walk = s.flows.get();
        Shim.hp_thread_register();
        try (Mirror mirror = s.mirror(rig, walk, false); PassThrough loop = new PassThrough(rig, mirror)) {
            rig.prefill(s.startPort, (m, k) -> s.writeFrame(m, k, walk, rig.portMac));
            if (s.scatter) {
                walk.scatter();
            }
            Window w = Window.measure(loop, loop::moved, o, NOTHING);
            return w.finish(rig, 0, 0);
        } finally {
            rig.drain();
            Shim.hp_thread_unregister();
        }
    }

    private static long heapAfterGc() {
        System.gc();
        System.gc();
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** Packets and bytes (in the mbufs: without FCS) the worker transmitted on all ports. */
    private static long[] transmitted(Counters c, long[] into) {
        into[0] = 0;
        into[1] = 0;
        for (int p = 0; p < c.ports(); p++) {
            into[0] += c.port(p, Counters.TX_PACKETS);
            into[1] += c.port(p, Counters.TX_BYTES);
        }
        return into;
    }

    /**
     * Bits per second the worker sent over the window: L2 counts each frame with its FCS, L1 adds
     * the preamble and inter-frame gap (20 bytes a frame), as a line rate is quoted.
     */
    private static void putThroughput(Map<String, Object> x, long[] from, long[] to, double seconds) {
        long frames = to[0] - from[0];
        long l2 = to[1] - from[1] + (long) Frames.FCS_LEN * frames;
        x.put("tx_frames", frames);
        x.put("mean_frame_bytes", frames == 0 ? null : Bench.round((double) l2 / frames, 2));
        x.put("gbps_l2", Bench.round(l2 * 8 / seconds / 1e9, 3));
        x.put("gbps_l1", Bench.round((l2 + (long) FrameSizes.L1_OVERHEAD * frames) * 8 / seconds / 1e9, 3));
    }

    interface Loop {
        /** Runs chunks until the TSC passes endTsc. */
        void spin(long endTsc);
    }

    interface PacketCount {
        long get();
    }

    /** The measured loop: one iteration of the device under test (the worker, or the C reference), then the mirror. */
    static final class ForwardLoop implements Loop {
        private final Dut dut;
        private final Mirror mirror;

        ForwardLoop(Dut dut, Mirror mirror) {
            this.dut = dut;
            this.mirror = mirror;
        }

        @Override
        public void spin(long endTsc) {
            do {
                chunk();
            } while (Shim.hp_rdtsc() < endTsc);
        }

        void chunk() {
            for (int i = 0; i < CHUNK; i++) {
                dut.doWork();
                mirror.poll();
            }
        }
    }

    /** Stands in for the worker with the same downcalls (RX burst per port, one TX burst per port). */
    static final class PassThrough implements Loop, AutoCloseable {
        private final short[] port;
        private final Mirror mirror;
        private final Arena arena = Arena.ofShared();
        private final MemorySegment burst;
        private long moved;

        PassThrough(Rig rig, Mirror mirror) {
            port = new short[] {rig.ports[0].id(), rig.ports[1].id()};
            this.mirror = mirror;
            burst = arena.allocate(ValueLayout.JAVA_LONG, Worker.BURST);
        }

        @Override
        public void spin(long endTsc) {
            do {
                chunk();
            } while (Shim.hp_rdtsc() < endTsc);
        }

        void chunk() {
            for (int i = 0; i < CHUNK; i++) {
                for (int p = 0; p < 2; p++) {
                    int n = Shim.hp_rx_burst(port[p], (short) 0, burst, (short) Worker.BURST) & 0xffff;
                    if (n > 0) {
                        Shim.hp_tx_burst_or_free(port[1 - p], (short) 0, burst, (short) n);
                        moved += n;
                    }
                }
                mirror.poll();
            }
        }

        long moved() {
            return moved;
        }

        @Override
        public void close() {
            arena.close();
        }
    }

    /** Warm-up, then the measured window: TSC, packets, this thread's allocations and GCs around it. */
    record Window(long packets, long cycles, long tscHz, long allocated, long gcCount, long gcMillis, long cpuNanos,
                  double sliceMinCycles, double sliceMaxCycles) {
        /** Length of the slices whose best and worst cycles per packet show how steady the window was. */
        static final double SLICE_S = 0.5;

        /** atStart runs between the warm-up and the window (outside the allocation count). */
        static Window measure(Loop loop, PacketCount count, Bench.Options o, Runnable atStart) {
            long hz = Shim.hp_tsc_hz();
            var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            List<GarbageCollectorMXBean> gcs = ManagementFactory.getGarbageCollectorMXBeans();
            loop.spin(Shim.hp_rdtsc() + (long) (o.warmupS() * hz));
            atStart.run();
            long gc0 = 0;
            long gcMs0 = 0;
            for (GarbageCollectorMXBean gc : gcs) {
                gc0 += Math.max(0, gc.getCollectionCount());
                gcMs0 += Math.max(0, gc.getCollectionTime());
            }
            if (TRACE) {
                System.err.printf("bench: %s window starts at JVM uptime %.3f s%n", Thread.currentThread().getName(),
                        ManagementFactory.getRuntimeMXBean().getUptime() / 1e3);
            }
            long cpu0 = threads.getCurrentThreadCpuTime();
            long alloc0 = threads.getCurrentThreadAllocatedBytes();
            long p0 = count.get();
            long t0 = Shim.hp_rdtsc();
            long end = t0 + (long) (o.durationS() * hz);
            long slice = (long) (SLICE_S * hz);
            double best = Double.MAX_VALUE;
            double worst = 0;
            long ts = t0;
            long ps = p0;
            long t1;
            long p1;
            while (true) {
                loop.spin(Math.min(end, ts + slice));
                t1 = Shim.hp_rdtsc();
                p1 = count.get();
                if (p1 > ps) {
                    double c = (double) (t1 - ts) / (p1 - ps);
                    best = Math.min(best, c);
                    worst = Math.max(worst, c);
                }
                if (t1 >= end) {
                    break;
                }
                ts = t1;
                ps = p1;
            }
            long alloc1 = threads.getCurrentThreadAllocatedBytes();
            long cpu1 = threads.getCurrentThreadCpuTime();
            if (TRACE) {
                System.err.printf("bench: %s window ends at JVM uptime %.3f s, %d bytes allocated%n",
                        Thread.currentThread().getName(), ManagementFactory.getRuntimeMXBean().getUptime() / 1e3,
                        alloc1 - alloc0);
            }
            long gc1 = 0;
            long gcMs1 = 0;
            for (GarbageCollectorMXBean gc : gcs) {
                gc1 += Math.max(0, gc.getCollectionCount());
                gcMs1 += Math.max(0, gc.getCollectionTime());
            }
            return new Window(p1 - p0, t1 - t0, hz, alloc1 - alloc0, gc1 - gc0, gcMs1 - gcMs0, cpu1 - cpu0,
                    best == Double.MAX_VALUE ? Double.NaN : best, worst);
        }

        /** held: frames the loop under test had received and not yet processed (not lost). */
        Measurement finish(Rig rig, long drops, int held) {
            long lost = rig.inFlight - rig.inRings() - held;
            long bad = rig.badChecksums();
            return new Measurement(packets, cycles, tscHz, allocated, gcCount, gcMillis, cpuNanos, sliceMinCycles,
                    sliceMaxCycles, lost, drops, bad);
        }
    }
}
