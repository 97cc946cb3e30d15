package io.hairpin.perf;

import io.hairpin.engine.CpuReservation;
import io.hairpin.engine.worker.Counters;
import io.hairpin.shim.Shim;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * Generator mode's DUT thread: makes the Dut on itself (registered with DPDK, pinned to its CPU,
 * the process's other threads moved off that CPU until it stops), runs one iteration (the worker
 * picks its snapshot up and announces its addresses), opens the scenario's sessions the way capacity mode does when asked (the rig's in-flight packets through
 * the DUT and the {@link Mirror}, until every flow has been through it once), empties the rings,
 * says it is ready and then only calls {@link Dut#doWork()} until stopped.
 */
final class DutRunner implements Runnable {
    private static final int CHUNK = 256;

    private final DutMaker maker;
    private final Setup setup;
    private final Rig rig;
    private final int cpu;
    private final boolean openSessions;
    private final CountDownLatch ready = new CountDownLatch(1);
    private volatile boolean stop;
    private volatile Throwable failure;
    /** Figures of the opening phase and, for the engine's worker, its session table and drops. */
    volatile double openSeconds = Double.NaN;
    volatile long openMistranslated;
    volatile int sessionsOpened = -1;
    volatile int sessionsAtEnd = -1;
    volatile long drops = -1;
    volatile String dropDetail = "";
    volatile long iterations;
    /** This thread's involuntary context switches (set once it runs; null where /proc cannot tell). */
    volatile ThreadSwitches switches;

    DutRunner(DutMaker maker, Setup setup, Rig rig, int cpu, boolean openSessions) {
        this.maker = maker;
        this.setup = setup;
        this.rig = rig;
        this.cpu = cpu;
        this.openSessions = openSessions;
    }

    @Override
    public void run() {
        try {
            switches = ThreadSwitches.ofCurrentThread();
            Dut dut = maker.open(setup, rig, cpu);
            // the rest of the process keeps off the DUT's CPU while it runs, as Engine.start keeps
            // it off a worker's: a JIT compilation there would stop the DUT for milliseconds
            CpuReservation reserved = CpuReservation.reserve(new int[] {cpu}, Set.of(Shim.hp_gettid()));
            try {
                dut.doWork();
                if (openSessions && setup.openSessions > 0) {
                    open(dut);
                }
                rig.drain();
                WorkerDut w = dut instanceof WorkerDut wd ? wd : null;
                NatProbe probe = w == null ? null : new NatProbe(w.worker);
                long[] start = w == null ? null : counters(w.worker.counters());
                if (probe != null) {
                    sessionsOpened = probe.sessions();
                }
                ready.countDown();
                long n = 0;
                while (!stop) {
                    for (int i = 0; i < CHUNK; i++) {
                        dut.doWork();
                    }
                    n += CHUNK;
                }
                iterations = n;
                if (w != null) {
                    Counters c = w.worker.counters();
                    long[] end = counters(c);
                    long d = 0;
                    for (int e = 0; e < Counters.DROP_REASONS; e++) {
                        d += end[e] - start[e];
                    }
                    for (int p = 0; p < c.ports(); p++) {
                        d += end[Counters.EVENT_COUNT + p] - start[Counters.EVENT_COUNT + p];
                    }
                    drops = d;
                    dropDetail = Scenarios.dropDetail(start, end, c);
                    sessionsAtEnd = probe.sessions();
                }
            } finally {
                reserved.close();
                if (dut instanceof AutoCloseable c) {
                    c.close();
                }
            }
        } catch (Throwable e) {
            failure = e;
        } finally {
            ready.countDown();
        }
    }

    /**
     * Capacity mode's opening phase: the in-flight packets circulate through the DUT and the
     * mirror (which rotates them through the flows where the scenario does) until every flow has
     * passed the DUT once. The loop is FIFO, so 2 × (flows + in flight) reflections are enough.
     */
    private void open(Dut dut) {
        Flows walk = setup.flows.get();
        try (Mirror mirror = setup.mirror(rig, walk, true)) {
            rig.prefill(setup.startPort, (m, k) -> setup.writeFrame(m, k, walk, rig.portMac));
            long need = 2L * ((long) setup.openSessions + rig.inFlight);
            long t0 = System.nanoTime();
            while (mirror.reflected() < need) {
                for (int i = 0; i < CHUNK; i++) {
                    dut.doWork();
                    mirror.poll();
                }
                if (System.nanoTime() - t0 > Scenarios.OPEN_TIMEOUT_NANOS) {
                    throw new IllegalStateException("opening " + setup.openSessions + " sessions: only "
                            + mirror.reflected() + " of " + need + " reflections");
                }
            }
            openSeconds = (System.nanoTime() - t0) / 1e9;
            openMistranslated = mirror.mistranslated();
        }
    }

    private static long[] counters(Counters c) {
        long[] v = new long[Counters.EVENT_COUNT + c.ports()];
        for (int e = 0; e < Counters.EVENT_COUNT; e++) {
            v[e] = c.event(e);
        }
        for (int p = 0; p < c.ports(); p++) {
            v[Counters.EVENT_COUNT + p] = c.port(p, Counters.TX_FULL);
        }
        return v;
    }

    /** Waits until the DUT is ready for traffic (or failed: then throws). */
    void awaitReady() throws InterruptedException {
        ready.await();
        check();
    }

    void stop() {
        stop = true;
    }

    void check() {
        Throwable f = failure;
        if (f != null) {
            throw new IllegalStateException("the DUT thread failed: " + f, f);
        }
    }
}
