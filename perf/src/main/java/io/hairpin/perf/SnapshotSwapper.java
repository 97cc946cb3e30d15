package io.hairpin.perf;

import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.Snapshot;
import io.hairpin.engine.worker.SnapshotHolder;
import io.hairpin.shim.Shim;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * rule-swap's control plane: a thread of its own (on another CPU when there is one, as the
 * appliance's control thread is) that alternates two rule sets 10 times a second the way
 * {@code Engine.apply} does it with one worker: compile the next config into a new snapshot
 * version, {@link SnapshotHolder#publish} it, and wait until the worker acknowledges it (it
 * switches at the top of a loop iteration). Engine.apply itself needs a started Engine, which
 * runs its workers on their own threads; here the worker is the benchmark thread's, so the same
 * three steps are taken directly.
 *
 * <p>The benchmark thread must keep running the worker until {@link #done()} after
 * {@link #stop()}: the last publication is only complete once the worker has acknowledged it.
 */
final class SnapshotSwapper implements AutoCloseable {
    static final int SWAPS_PER_SECOND = 10;
    private static final long PERIOD_NANOS = 1_000_000_000L / SWAPS_PER_SECOND;
    /** How long an acknowledgement may take before the swap counts as late (Engine.apply's callers use 1-5 s). */
    static final long LATE_NANOS = 1_000_000_000L;

    private final SnapshotHolder holder;
    private final EngineConfig[] configs;
    private final Map<String, Long> macs;
    private final int cpu;
    private final Thread thread;
    private volatile boolean stop;
    private volatile boolean abandon;
    private volatile boolean counting;
    private volatile boolean done;
    private volatile Throwable failure;
    private volatile boolean pinned = true;
    // written by the swapper thread; read by others after done (volatile done orders them)
    private long published;
    private long acknowledged;
    private long windowPublished;
    private long windowAcknowledged;
    private long windowLate;
    private long windowAckNanosSum;
    private long windowAckNanosMax;
    private long windowCompileNanosMax;

    /**
     * @param a   the rule set the worker starts with (its snapshot is already in holder)
     * @param b   the other one: the first swap publishes b
     * @param cpu the CPU to pin the control thread to, or -1 to leave it where it is created
     */
    SnapshotSwapper(SnapshotHolder holder, EngineConfig a, EngineConfig b, Map<String, Long> macs, int cpu) {
        this.holder = holder;
        this.configs = new EngineConfig[] {a, b};
        this.macs = Map.copyOf(macs);
        this.cpu = cpu;
        this.thread = new Thread(this::run, "bench-control-plane");
        thread.setDaemon(true);
    }

    /**
     * The CPU for the control thread: the next online one after the worker's, or -1 when there is
     * no other. (Not availableProcessors(): the JVM counts the calling thread's CPUs, and the
     * benchmark thread is pinned to one.)
     */
    static int controlCpu(int workerCpu) {
        List<Integer> online = new ArrayList<>();
        try {
            for (String range : Files.readString(Path.of("/sys/devices/system/cpu/online")).trim().split(",")) {
                String[] ends = range.split("-");
                int lo = Integer.parseInt(ends[0]);
                int hi = Integer.parseInt(ends[ends.length - 1]);
                for (int c = lo; c <= hi; c++) {
                    online.add(c);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        for (int c : online) {
            if (c > workerCpu) {
                return c;
            }
        }
        return online.stream().filter(c -> c != workerCpu).findFirst().orElse(-1);
    }

    void start() {
        thread.start();
    }

    /** From now on, swaps published count as the window's. */
    void countFromNow() {
        counting = true;
    }

    /** No new publication after this one; the current one still waits for its acknowledgement. */
    void stop() {
        counting = false;
        stop = true;
        LockSupport.unpark(thread);
    }

    /** True once the thread has ended (after stop, with the last publication acknowledged). */
    boolean done() {
        return done;
    }

    private void run() {
        try {
            if (cpu >= 0 && Shim.hp_thread_pin(cpu) != 0) {
                pinned = false; // not allowed there (cpuset): it stays on the CPUs it inherited
            }
            long version = holder.current().version;
            int next = 1;
            long due = System.nanoTime() + PERIOD_NANOS;
            while (!stop) {
                long wait;
                while (!stop && (wait = due - System.nanoTime()) > 0) {
                    LockSupport.parkNanos(wait);
                }
                if (stop) {
                    break;
                }
                boolean inWindow = counting;
                long t0 = System.nanoTime();
                version++;
                Snapshot snapshot = Snapshot.compile(version, configs[next], macs);
                long t1 = System.nanoTime();
                holder.publish(snapshot);
                published++;
                if (inWindow) {
                    windowPublished++;
                    windowCompileNanosMax = Math.max(windowCompileNanosMax, t1 - t0);
                }
                if (!awaitAcknowledged(version)) {
                    return; // abandoned: the worker stopped running
                }
                long ack = System.nanoTime() - t1;
                acknowledged++;
                if (inWindow) {
                    windowAcknowledged++;
                    windowAckNanosSum += ack;
                    windowAckNanosMax = Math.max(windowAckNanosMax, ack);
                    if (ack > LATE_NANOS) {
                        windowLate++;
                    }
                }
                next ^= 1;
                due += PERIOD_NANOS;
                long now = System.nanoTime();
                if (due < now) {
                    due = now; // behind (a late acknowledgement): swap again at once, then keep the pace
                }
            }
        } catch (Throwable t) {
            failure = t;
        } finally {
            done = true;
        }
    }

    /** As Engine.awaitAcknowledged: spin a little, then sleep in 50 µs steps; false when abandoned. */
    private boolean awaitAcknowledged(long version) {
        int spins = 0;
        while (!holder.allAcknowledged(version)) {
            if (abandon) {
                return false;
            }
            if (++spins < 1000) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(50_000);
            }
        }
        return true;
    }

    /** The window's figures (call after done()). */
    void putFigures(Map<String, Object> x, double windowSeconds) {
        if (failure != null) {
            throw new IllegalStateException("the control thread failed: " + failure, failure);
        }
        x.put("swaps", windowPublished);
        x.put("swaps_acknowledged", windowAcknowledged);
        x.put("swaps_late", windowLate);
        x.put("swaps_per_s", Bench.round(windowPublished / windowSeconds, 2));
        x.put("swap_ack_us_mean", windowAcknowledged == 0 ? null
                : Bench.round(windowAckNanosSum / 1e3 / windowAcknowledged, 1));
        x.put("swap_ack_us_max", Bench.round(windowAckNanosMax / 1e3, 1));
        x.put("swap_compile_us_max", Bench.round(windowCompileNanosMax / 1e3, 1));
        x.put("swaps_total", published);
        x.put("swaps_acknowledged_total", acknowledged);
        x.put("snapshot_version_end", holder.current().version);
        x.put("control_cpu", pinned ? cpu : -1);
    }

    /** Stops the thread without waiting for the worker (after a failure of the benchmark thread). */
    @Override
    public void close() {
        stop = true;
        abandon = true;
        LockSupport.unpark(thread);
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
