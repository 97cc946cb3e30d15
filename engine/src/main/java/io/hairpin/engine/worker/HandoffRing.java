package io.hairpin.engine.worker;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A bounded single-producer single-consumer ring of (mbuf, port) pairs from one worker to
 * another: the producer publishes its tail with a release store, the consumer its head; no
 * locks, no allocation. Packets that must be handled by the worker owning their NAT state
 * travel through it untouched.
 */
final class HandoffRing {
    private static final VarHandle LONG = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] mbufs;
    private final int[] ports;
    private final int mask;
    /** [0] = head (consumer), [8] = tail (producer): apart, so they sit on different cache lines. */
    private final long[] cursors = new long[16];
    private long cachedHead;

    HandoffRing(int capacity) {
        int cap = Integer.highestOneBit(Math.max(2, capacity - 1)) << 1;
        mbufs = new long[cap];
        ports = new int[cap];
        mask = cap - 1;
    }

    /** Producer side; false when full (the caller drops and counts the packet). */
    boolean offer(long mbuf, int port) {
        long tail = cursors[8];
        if (tail - cachedHead > mask) {
            cachedHead = (long) LONG.getAcquire(cursors, 0);
            if (tail - cachedHead > mask) {
                return false;
            }
        }
        int i = (int) tail & mask;
        mbufs[i] = mbuf;
        ports[i] = port;
        LONG.setRelease(cursors, 8, tail + 1);
        return true;
    }

    /** Consumer side: how many entries are ready (at most max), starting at {@link #head()}. */
    int available(int max) {
        long tail = (long) LONG.getAcquire(cursors, 8);
        return (int) Math.min(max, tail - cursors[0]);
    }

    long head() {
        return cursors[0];
    }

    long mbuf(long position) {
        return mbufs[(int) position & mask];
    }

    int port(long position) {
        return ports[(int) position & mask];
    }

    /** Consumer side: releases n entries to the producer. */
    void consumed(int n) {
        LONG.setRelease(cursors, 0, cursors[0] + n);
    }
}
