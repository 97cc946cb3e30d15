package io.hairpin.perf;

import io.hairpin.shim.Shim;
import java.util.function.BiFunction;

/**
 * Makes the device under test of a scenario for generator mode. Called on the thread that will
 * drive the Dut: when it returns, that thread is registered with DPDK and pinned to cpu. A Dut
 * that is also {@link AutoCloseable} is closed on the same thread at the end.
 */
@FunctionalInterface
interface DutMaker {
    Dut open(Setup s, Rig rig, int cpu);

    /** The engine's worker. */
    DutMaker ENGINE = WorkerDut::open;

    /** Moves each port's RX burst, unchanged, to the other port's TX: the generator's ceiling. */
    DutMaker PASS_THROUGH = pinned((s, rig) -> new PassThroughDut(rig));

    /**
     * A Dut that needs nothing of its thread but DPDK registration and pinning, which this does
     * (and undoes at close); e.g. the C reference: {@code DutMaker.pinned(CReference::new)}.
     */
    static DutMaker pinned(BiFunction<Setup, Rig, Dut> make) {
        return (s, rig, cpu) -> {
            if (Shim.hp_thread_register() < 0) {
                throw new IllegalStateException("rte_thread_register failed");
            }
            try {
                pin(cpu);
                return new Pinned(make.apply(s, rig));
            } catch (RuntimeException e) {
                Shim.hp_thread_unregister();
                throw e;
            }
        };
    }

    static void pin(int cpu) {
        int rc = Shim.hp_thread_pin(cpu);
        if (rc != 0) {
            throw new IllegalStateException("cannot pin the thread to CPU " + cpu + ": " + io.hairpin.shim.Eal.strerror(-rc));
        }
    }

    /** A Dut on a thread that {@link #pinned} registered: closes it, then unregisters the thread. */
    final class Pinned implements Dut, AutoCloseable {
        private final Dut dut;

        Pinned(Dut dut) {
            this.dut = dut;
        }

        @Override
        public int doWork() {
            return dut.doWork();
        }

        @Override
        public void close() throws Exception {
            try {
                if (dut instanceof AutoCloseable c) {
                    c.close();
                }
            } finally {
                Shim.hp_thread_unregister();
            }
        }
    }
}
