package io.hairpin.perf;

import io.hairpin.engine.worker.Counters;
import io.hairpin.engine.worker.Worker;
import io.hairpin.shim.Shim;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The measured loops. Each scenario runs in its own thread (registered with DPDK, like a worker),
 * which inherits the EAL main lcore's CPU affinity: one core does the engine's work and the
 * mirror's. The loop is chunked so the JIT compiles {@code chunk()} as an ordinary method.
 */
final class Scenarios {
    private static final int CHUNK = 256;
    /** -Dhairpin.bench.trace=true prints the measured window's JVM uptimes (to match -Xlog or JFR output). */
    static final boolean TRACE = Boolean.getBoolean("hairpin.bench.trace");

    private Scenarios() {
    }

    static Measurement run(String scenario, Rig rig, Bench.Options o) throws Exception {
        AtomicReference<Measurement> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                result.set(switch (scenario) {
                    case "forward" -> forward(rig, o);
                    case "mirror-only" -> mirrorOnly(rig, o);
                    default -> throw new IllegalArgumentException(scenario);
                });
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "bench-" + scenario);
        t.start();
        t.join();
        if (failure.get() != null) {
            throw new IllegalStateException("scenario " + scenario + " failed: " + failure.get(), failure.get());
        }
        return result.get();
    }

    /** The engine worker forwards; the mirror answers. One FORWARDED count per packet per pass. */
    static Measurement forward(Rig rig, Bench.Options o) {
        Worker worker = rig.newWorker();
        Counters c = worker.counters();
        try (Mirror mirror = new Mirror(rig.tx, rig.rx)) {
            worker.onStart();
            try {
                worker.doWork(); // announces the addresses (gratuitous ARP) ...
                mirror.poll();   // ... which the mirror frees
                rig.prefill(o.pktSize());
                ForwardLoop loop = new ForwardLoop(worker, mirror);
                long drops0 = drops(c);
                Window w = Window.measure(loop, () -> c.event(Counters.FORWARDED), o);
                long drops = drops(c) - drops0;
                return w.finish(rig, drops);
            } finally {
                worker.onClose();
                rig.drain();
            }
        }
    }

    /** The harness alone: a pass-through moves each port's RX burst to the other port's TX, unchanged. */
    static Measurement mirrorOnly(Rig rig, Bench.Options o) {
        Shim.hp_thread_register();
        try (Mirror mirror = new Mirror(rig.tx, rig.rx); PassThrough loop = new PassThrough(rig, mirror)) {
            rig.prefill(o.pktSize());
            Window w = Window.measure(loop, loop::moved, o);
            return w.finish(rig, 0);
        } finally {
            rig.drain();
            Shim.hp_thread_unregister();
        }
    }

    private static long drops(Counters c) {
        long d = 0;
        for (int e = 0; e < Counters.DROP_REASONS; e++) {
            d += c.event(e);
        }
        for (int p = 0; p < c.ports(); p++) {
            d += c.port(p, Counters.TX_FULL);
        }
        return d;
    }

    interface Loop {
        /** Runs chunks until the TSC passes endTsc. */
        void spin(long endTsc);
    }

    interface PacketCount {
        long get();
    }

    static final class ForwardLoop implements Loop {
        private final Worker worker;
        private final Mirror mirror;

        ForwardLoop(Worker worker, Mirror mirror) {
            this.worker = worker;
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
                worker.doWork();
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

        static Window measure(Loop loop, PacketCount count, Bench.Options o) {
            long hz = Shim.hp_tsc_hz();
            var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            List<GarbageCollectorMXBean> gcs = ManagementFactory.getGarbageCollectorMXBeans();
            loop.spin(Shim.hp_rdtsc() + (long) (o.warmupS() * hz));
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

        Measurement finish(Rig rig, long drops) {
            long lost = rig.inFlight - rig.inRings();
            long bad = rig.badChecksums();
            return new Measurement(packets, cycles, tscHz, allocated, gcCount, gcMillis, cpuNanos, sliceMinCycles,
                    sliceMaxCycles, lost, drops, bad);
        }
    }
}
