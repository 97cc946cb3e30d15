package io.hairpin.perf;

import io.hairpin.engine.worker.Worker;

/**
 * The engine's worker as a {@link Dut}, started on the thread that drives it the way the
 * engine's agent runner starts it ({@code onStart}: DPDK registration), then pinned, and closed
 * there ({@code onClose}: flushes, frees, unregisters).
 */
final class WorkerDut implements Dut, AutoCloseable {
    final Worker worker;

    private WorkerDut(Worker worker) {
        this.worker = worker;
    }

    static WorkerDut open(Setup s, Rig rig, int cpu) {
        Worker w = s.newWorker(rig);
        w.onStart();
        try {
            DutMaker.pin(cpu);
        } catch (RuntimeException e) {
            w.onClose();
            throw e;
        }
        return new WorkerDut(w);
    }

    @Override
    public int doWork() {
        return worker.doWork();
    }

    @Override
    public void close() {
        worker.onClose();
    }
}
