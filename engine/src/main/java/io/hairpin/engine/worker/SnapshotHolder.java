package io.hairpin.engine.worker;

import io.hairpin.engine.Snapshot;

/**
 * Where the control thread publishes snapshots and workers acknowledge them (RCU): a worker reads
 * the reference once per loop iteration, never per packet, and records the version it runs.
 */
public final class SnapshotHolder {
    private volatile Snapshot current;
    private final long[] acknowledged;

    public SnapshotHolder(Snapshot initial, int workers) {
        current = initial;
        acknowledged = new long[workers];
    }

    public int workers() {
        return acknowledged.length;
    }

    public Snapshot current() {
        return current;
    }

    public void publish(Snapshot next) {
        current = next;
    }

    void acknowledge(int worker, long version) {
        java.lang.invoke.VarHandle.releaseFence();
        acknowledged[worker] = version;
    }

    /** The snapshot version a worker last acknowledged (any thread). */
    public long acknowledged(int worker) {
        java.lang.invoke.VarHandle.acquireFence();
        return acknowledged[worker];
    }

    /** True once every worker runs a snapshot at least as new as version. */
    public boolean allAcknowledged(long version) {
        java.lang.invoke.VarHandle.acquireFence();
        for (long v : acknowledged) {
            if (v < version) {
                return false;
            }
        }
        return true;
    }
}
