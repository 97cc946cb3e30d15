package io.hairpin.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.hairpin.engine.testing.Affinity;
import io.hairpin.shim.Shim;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** {@link CpuReservation} against the affinity the kernel reports for each thread. */
class CpuReservationTest {

    /**
     * A thread pinned to the reserved CPU alone (as EAL pins its main thread to the main lcore)
     * moves to the other online CPUs, the owner keeps its affinity, and close gives the moved
     * thread its CPU back.
     */
    @Test
    void aThreadPinnedOnlyToTheReservedCpuMovesToTheOthersAndBack() throws Exception {
        int cpus = Cpus.online();
        assumeTrue(cpus >= 2, "needs a CPU besides the reserved one");
        int reserved = cpus - 1;
        CountDownLatch pinned = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        int[] tid = new int[1];
        Thread t = new Thread(() -> {
            Shim.hp_thread_pin(reserved);
            tid[0] = Shim.hp_gettid();
            pinned.countDown();
            try {
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.start();
        try {
            pinned.await();
            int self = Shim.hp_gettid();
            Set<Integer> selfBefore = Affinity.of(self).cpus();
            assertEquals(Set.of(reserved), Affinity.of(tid[0]).cpus());
            Set<Integer> others = new TreeSet<>();
            for (int c = 0; c < cpus; c++) {
                if (c != reserved) {
                    others.add(c);
                }
            }
            try (CpuReservation r = CpuReservation.reserve(new int[] {reserved}, Set.of(self))) {
                assertEquals(others, Affinity.of(tid[0]).cpus());
                assertEquals(selfBefore, Affinity.of(self).cpus(), "the owner is left alone");
                for (Affinity.Task task : Affinity.threads()) {
                    if (task.tid() != self) {
                        assertFalse(task.cpus().contains(reserved), "on the reserved CPU: " + task);
                    }
                }
            }
            assertEquals(Set.of(reserved), Affinity.of(tid[0]).cpus());
        } finally {
            done.countDown();
            t.join();
        }
    }
}
