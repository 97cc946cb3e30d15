package io.hairpin.engine;

import io.hairpin.shim.Shim;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Keeps this process's other threads off the CPUs its busy-polling threads own. Without it the
 * JVM's compiler and GC threads, the control plane and DPDK's own threads may all be scheduled on
 * a worker's CPU, and a C2 compilation takes that CPU for milliseconds at a time: longer than a
 * NIC's RX ring lasts at line rate. Each other thread loses the reserved CPUs from its affinity;
 * one that had no other CPU (EAL pins its main thread to the main lcore) gets the other online
 * CPUs, and with none left it keeps its own. Threads created later inherit the narrower set from
 * their creator. {@link #close} gives the moved threads their old affinity back.
 */
public final class CpuReservation implements AutoCloseable {
    private static final Path TASKS = Path.of("/proc/self/task");
    private static final int ESRCH = 3;

    private record Moved(int tid, MemorySegment previous) {
    }

    private final Arena arena = Arena.ofShared();
    private final List<Moved> moved = new ArrayList<>();

    private CpuReservation() {
    }

    /**
     * Takes {@code cpus} out of the affinity of every thread of this process but {@code owners}
     * (task ids). A thread that ends meanwhile is skipped; other failures are reported once on
     * stderr and leave that thread as it was.
     */
    public static CpuReservation reserve(int[] cpus, Set<Integer> owners) {
        CpuReservation r = new CpuReservation();
        MemorySegment set = r.arena.allocate(Shim.CPU_SET_BYTES, 8);
        MemorySegment before = r.arena.allocate(Shim.CPU_SET_BYTES, 8);
        int online = Math.min(Cpus.online(), Shim.CPU_SET_BYTES * 8);
        boolean warned = false;
        for (int tid : tasks()) {
            if (owners.contains(tid) || Shim.hp_task_get_cpus(tid, set) != 0) {
                continue;
            }
            before.copyFrom(set);
            if (!clearAll(set, cpus)) {
                continue;
            }
            if (isEmpty(set)) {
                for (int cpu = 0; cpu < online; cpu++) {
                    set(set, cpu);
                }
                clearAll(set, cpus);
                if (isEmpty(set)) {
                    continue;
                }
            }
            int rc = Shim.hp_task_set_cpus(tid, set);
            if (rc == 0) {
                r.moved.add(new Moved(tid, r.arena.allocate(Shim.CPU_SET_BYTES, 8).copyFrom(before)));
            } else if (rc != -ESRCH && !warned) {
                warned = true;
                System.err.println("hairpin: warning: could not keep thread " + tid + " off the workers' CPUs (errno "
                        + -rc + "); it may take a worker's CPU from it.");
            }
        }
        return r;
    }

    /** How many threads {@link #reserve} moved off the reserved CPUs. */
    public int movedThreads() {
        return moved.size();
    }

    @Override
    public synchronized void close() {
        for (Moved m : moved) {
            Shim.hp_task_set_cpus(m.tid(), m.previous()); // a thread that has ended: nothing to give back
        }
        moved.clear();
        arena.close();
    }

    /** Takes cpus out of set; true if set had any of them. */
    private static boolean clearAll(MemorySegment set, int[] cpus) {
        boolean had = false;
        for (int cpu : cpus) {
            if (cpu >= 0 && cpu < Shim.CPU_SET_BYTES * 8 && has(set, cpu)) {
                clear(set, cpu);
                had = true;
            }
        }
        return had;
    }

    private static boolean has(MemorySegment set, int cpu) {
        return (set.get(ValueLayout.JAVA_BYTE, cpu >>> 3) & (1 << (cpu & 7))) != 0;
    }

    private static void set(MemorySegment set, int cpu) {
        set.set(ValueLayout.JAVA_BYTE, cpu >>> 3, (byte) (set.get(ValueLayout.JAVA_BYTE, cpu >>> 3) | 1 << (cpu & 7)));
    }

    private static void clear(MemorySegment set, int cpu) {
        set.set(ValueLayout.JAVA_BYTE, cpu >>> 3, (byte) (set.get(ValueLayout.JAVA_BYTE, cpu >>> 3) & ~(1 << (cpu & 7))));
    }

    private static boolean isEmpty(MemorySegment set) {
        for (long i = 0; i < Shim.CPU_SET_BYTES; i++) {
            if (set.get(ValueLayout.JAVA_BYTE, i) != 0) {
                return false;
            }
        }
        return true;
    }

    private static List<Integer> tasks() {
        List<Integer> tids = new ArrayList<>();
        try (Stream<Path> s = Files.list(TASKS)) {
            s.forEach(p -> {
                try {
                    tids.add(Integer.parseInt(p.getFileName().toString()));
                } catch (NumberFormatException e) {
                    // not a task
                }
            });
        } catch (IOException e) {
            System.err.println("hairpin: warning: cannot list " + TASKS + " (" + e.getMessage()
                    + "); other threads may run on the workers' CPUs.");
        }
        return tids;
    }
}
