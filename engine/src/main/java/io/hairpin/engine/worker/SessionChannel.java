package io.hairpin.engine.worker;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The control plane's single-slot command queue to worker 0, which owns every NAT session: a
 * control thread posts one request (list or flush, with a filter) and waits; worker 0 serves it
 * in its housekeeping, never per packet, a bounded slice of the session table per round, writing
 * matches into the request's preallocated result buffer, then marks it done. Requests are
 * serialised on the control side; the buffer is reused from call to call, except after a timeout,
 * when it is abandoned to the worker (which may still be writing into it) and a fresh one made.
 * Worker 0 also publishes its session count here, once per housekeeping round.
 */
public final class SessionChannel {
    /** Most sessions one list request returns. */
    public static final int MAX_RESULTS = 4096;
    /**
     * Longs per listed session: flow 0's k1, k2, rk1, rk2 (packed as in
     * {@link io.hairpin.engine.session.SessionTable}), its expiry (System.nanoTime based), and
     * TCP state bits &lt;&lt; 32 | the counter id of the rule that opened it.
     */
    public static final int FIELDS = 6;
    static final int LIST = 1;
    static final int FLUSH = 2;

    private static final VarHandle COUNT;

    static {
        try {
            COUNT = MethodHandles.lookup().findVarHandle(SessionChannel.class, "sessionCount", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** One request and its answer. Written by the control thread before posting, by worker 0 until done. */
    static final class Request {
        final long[] results = new long[MAX_RESULTS * FIELDS];
        int op;
        int address;
        int protocol;
        int limit;
        /** Next session slot to examine. */
        int cursor;
        /** A list stopped at its limit with a match at cursor still to come. */
        boolean more;
        /** Sessions listed or removed so far. */
        int count;
        /** Worker 0's clock when it finished. */
        long now;
        volatile long seq;
        volatile long done;
    }

    /**
     * A list answer: count sessions of FIELDS longs each in data, worker 0's clock when it
     * answered, and the session slot a further request for more goes on from (-1: no more).
     */
    public record Listing(int count, long now, long[] data, int next) {
    }

    private volatile Request posted;
    private Request spare = new Request();
    private long seq;
    @SuppressWarnings("unused") // through COUNT
    private long sessionCount;

    /** Sessions held by worker 0 as of its last housekeeping round (any thread). */
    public long sessionCount() {
        return (long) COUNT.getOpaque(this);
    }

    void publishSessionCount(long n) {
        COUNT.setOpaque(this, n);
    }

    /**
     * Sessions matching the filter (address 0 = any, matched against every address of the
     * session; protocol 0 = any), at most limit (1..MAX_RESULTS), from session slot from on (0,
     * or the {@link Listing#next} of an earlier answer).
     *
     * @throws IllegalStateException when worker 0 does not answer within timeoutNanos
     */
    public synchronized Listing list(int address, int protocol, int limit, int from, long timeoutNanos)
            throws InterruptedException {
        if (limit < 1 || limit > MAX_RESULTS) {
            throw new IllegalArgumentException("limit must be 1.." + MAX_RESULTS + ": " + limit);
        }
        Request r = call(LIST, address, protocol, limit, from, timeoutNanos);
        long[] copy = java.util.Arrays.copyOf(r.results, r.count * FIELDS);
        return new Listing(r.count, r.now, copy, r.more ? r.cursor : -1);
    }

    /** Removes the matching sessions (releasing their mappings and ports); returns how many. */
    public synchronized int flush(int address, int protocol, long timeoutNanos) throws InterruptedException {
        return call(FLUSH, address, protocol, 0, 0, timeoutNanos).count;
    }

    private Request call(int op, int address, int protocol, int limit, int from, long timeoutNanos)
            throws InterruptedException {
        Request r = spare;
        r.op = op;
        r.address = address;
        r.protocol = protocol;
        r.limit = limit;
        r.cursor = Math.max(0, from);
        r.more = false;
        r.count = 0;
        r.now = 0;
        long s = ++seq;
        r.seq = s; // publishes the fields above
        posted = r;
        long deadline = System.nanoTime() + timeoutNanos;
        int spins = 0;
        while (r.done != s) {
            if (System.nanoTime() - deadline > 0) {
                posted = null;
                spare = new Request(); // the worker may still write into r
                throw new IllegalStateException("worker 0 did not answer the session request within "
                        + timeoutNanos / 1_000_000 + " ms (is it running?)");
            }
            if (++spins < 100) {
                Thread.onSpinWait();
            } else {
                Thread.sleep(0, 100_000);
            }
        }
        posted = null;
        return r;
    }

    /** Worker side: the request to work on, or null (one volatile read; called from housekeeping). */
    Request pending() {
        Request r = posted;
        return r != null && r.done != r.seq ? r : null;
    }

    /** Worker side: the request is answered. */
    static void finish(Request r, long now) {
        r.now = now;
        r.done = r.seq;
    }
}
