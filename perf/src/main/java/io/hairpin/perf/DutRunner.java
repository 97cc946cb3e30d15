package io.hairpin.perf;

import io.hairpin.engine.CpuReservation;
import io.hairpin.engine.worker.Counters;
import io.hairpin.shim.Shim;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.LockSupport;

/**
 * Generator mode's DUT thread: makes the Dut on itself (registered with DPDK, pinned to its CPU,
 * the process's other threads moved off that CPU until it stops), runs one iteration (the worker
 * picks its snapshot up and announces its addresses), opens the scenario's sessions the way capacity mode does when asked (the rig's in-flight packets through
 * the DUT and the {@link Mirror}, until every flow has been through it once), empties the rings,
 * says it is ready and then only calls {@link Dut#doWork()} until stopped.
 *
 * <p>A switched runner ({@link #switched}) shares its CPU with others: once ready it polls only
 * between {@link #activate()} and {@link #deactivate()} and is parked otherwise, so that two DUTs
 * (the engine's worker and the C reference) can take turns on one CPU, trial by trial, each with
 * its own state kept between its turns.
 */
final class DutRunner implements Runnable {
    private static final int CHUNK = 256;

    private final DutMaker maker;
    private final Setup setup;
    private final Rig rig;
    private final int cpu;
    private final boolean openSessions;
    /** The task ids the CPU is reserved for: this runner's and, when switched, the others'. */
    private final Set<Integer> cpuOwners;
    private final CountDownLatch ready = new CountDownLatch(1);
    private volatile boolean stop;
    private volatile boolean active;
    private volatile boolean idle;
    private volatile boolean ended;
    private volatile Thread thread;
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

    /** A runner that polls from the moment it is ready until stopped, alone on its CPU. */
    DutRunner(DutMaker maker, Setup setup, Rig rig, int cpu, boolean openSessions) {
        this(maker, setup, rig, cpu, openSessions, ConcurrentHashMap.newKeySet(), true);
    }

    private DutRunner(DutMaker maker, Setup setup, Rig rig, int cpu, boolean openSessions, Set<Integer> cpuOwners,
                      boolean active) {
        this.maker = maker;
        this.setup = setup;
        this.rig = rig;
        this.cpu = cpu;
        this.openSessions = openSessions;
        this.cpuOwners = cpuOwners;
        this.active = active;
    }

    /**
     * A runner that opens the scenario's sessions, then stays parked until activated; runners made
     * with the same cpuOwners (a concurrent set) share the CPU. Start them one at a time, each
     * after the one before is ready and {@link #deactivate() idle}, and stop them in reverse
     * order: each keeps the process's other threads off the CPU until it stops.
     */
    static DutRunner switched(DutMaker maker, Setup setup, Rig rig, int cpu, Set<Integer> cpuOwners) {
        return new DutRunner(maker, setup, rig, cpu, true, cpuOwners, false);
    }

    @Override
    public void run() {
        thread = Thread.currentThread();
        try {
            switches = ThreadSwitches.ofCurrentThread();
            Dut dut = maker.open(setup, rig, cpu);
            // the rest of the process keeps off the DUT's CPU while it runs, as Engine.start keeps
            // it off a worker's: a JIT compilation there would stop the DUT for milliseconds
            cpuOwners.add(Shim.hp_gettid());
            CpuReservation reserved = CpuReservation.reserve(new int[] {cpu}, Set.copyOf(cpuOwners));
            try {
                dut.doWork();
                if (openSessions && setup.openSessions > 0) {
                    open(dut);
                }
                rig.drain();
                WorkerDut w = dut instanceof WorkerDut wd ? wd : null;
                NatProbe probe = w == null ? null : new NatProbe(w.worker);
                long[] start = w == null ? null : WorkerCounters.read(w.worker.counters());
                if (probe != null) {
                    sessionsOpened = probe.sessions();
                }
                ready.countDown();
                long n = 0;
                while (!stop) {
                    if (!active) {
                        idle = true;
                        while (!active && !stop) {
                            LockSupport.park(this);
                        }
                        idle = false;
                        continue;
                    }
                    for (int i = 0; i < CHUNK; i++) {
                        dut.doWork();
                    }
                    n += CHUNK;
                }
                iterations = n;
                if (w != null) {
                    Counters c = w.worker.counters();
                    long[] end = WorkerCounters.read(c);
                    drops = WorkerCounters.drops(start, end, c);
                    dropDetail = WorkerCounters.dropDetail(start, end, c);
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
            ended = true;
            ready.countDown();
        }
    }

    /** Lets a switched runner poll; returns once it does (or has ended). */
    void activate() {
        active = true;
        LockSupport.unpark(thread);
        while (idle && !ended) {
            Thread.onSpinWait();
        }
    }

    /** Stops a switched runner polling; returns once it is parked (or has ended). */
    void deactivate() {
        active = false;
        while (!idle && !ended) {
            Thread.onSpinWait();
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

    /** Waits until the DUT is ready for traffic (or failed: then throws). */
    void awaitReady() throws InterruptedException {
        ready.await();
        check();
    }

    void stop() {
        stop = true;
        Thread t = thread;
        if (t != null) {
            LockSupport.unpark(t);
        }
    }

    void check() {
        Throwable f = failure;
        if (f != null) {
            throw new IllegalStateException("the DUT thread failed: " + f, f);
        }
    }
}
