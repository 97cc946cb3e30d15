package io.hairpin.perf;

import io.hairpin.engine.worker.Worker;
import io.hairpin.shim.Shim;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Stands in for the worker with its downcalls: each port's RX burst goes, unchanged, to the other port's TX. */
final class PassThroughDut implements Dut, AutoCloseable {
    private final short[] port;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment burst;

    PassThroughDut(Rig rig) {
        port = new short[] {rig.ports[0].id(), rig.ports[1].id()};
        burst = arena.allocate(ValueLayout.JAVA_LONG, Worker.BURST);
    }

    @Override
    public int doWork() {
        int work = 0;
        for (int p = 0; p < 2; p++) {
            int n = Shim.hp_rx_burst(port[p], (short) 0, burst, (short) Worker.BURST) & 0xffff;
            if (n > 0) {
                Shim.hp_tx_burst_or_free(port[1 - p], (short) 0, burst, (short) n);
                work += n;
            }
        }
        return work;
    }

    @Override
    public void close() {
        arena.close();
    }
}
