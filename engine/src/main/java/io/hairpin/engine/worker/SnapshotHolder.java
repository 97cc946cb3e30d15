package io.hairpin.engine.worker;

import io.hairpin.engine.Snapshot;

/**
 * Where the control thread publishes snapshots and workers acknowledge them (RCU): a worker reads
 * the reference once per loop iteration, never per packet, and records the version it runs. The
 * first snapshot whose rules keep session state has that state ({@link NatTables}) built here,
 * on the publishing thread, before it is published; worker 0 takes it over.
 */
public final class SnapshotHolder {
    private volatile Snapshot current;
    private final long[] acknowledged;
    /** Written before the snapshot that needs them is published, so a worker that sees it sees them. */
    private NatTables natTables;

    /** @throws NatTables.DoesNotFit when initial keeps session state that cannot be built */
    public SnapshotHolder(Snapshot initial, int workers) {
        prepare(initial);
        current = initial;
        acknowledged = new long[workers];
    }

    /**
     * Builds the session state next needs, if it needs some and none is built yet (publish does
     * this too; the engine calls it first, so that a refusal comes before anything changes).
     *
     * @throws NatTables.DoesNotFit when it cannot be built; nothing changed
     */
    public void prepare(Snapshot next) {
        if (natTables == null && NatTables.needed(next.nat)) {
            natTables = NatTables.build(next.nat.maxSessions);
        }
    }

    /** The capacity of the session state built so far, or 0 when none is. */
    public int natCapacity() {
        NatTables t = natTables;
        return t == null ? 0 : t.capacity;
    }

    /** The session state for worker 0, once a snapshot needing it was published (else null). */
    NatTables natTables() {
        return natTables;
    }

    public int workers() {
        return acknowledged.length;
    }

    public Snapshot current() {
        return current;
    }

    /** @throws NatTables.DoesNotFit when next needs session state that cannot be built; nothing changed */
    public void publish(Snapshot next) {
        prepare(next);
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
