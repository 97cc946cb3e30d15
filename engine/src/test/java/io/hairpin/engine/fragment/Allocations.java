package io.hairpin.engine.fragment;

import java.lang.management.ManagementFactory;

/** Bytes allocated by the current thread, for the zero-allocation checks. */
final class Allocations {
    private static final com.sun.management.ThreadMXBean BEAN =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private Allocations() {
    }

    static long allocatedBytes() {
        return BEAN.getCurrentThreadAllocatedBytes();
    }

    /** Bytes allocated while running {@code body} (after one warm-up call of the probe itself). */
    static long during(Runnable body) {
        allocatedBytes();
        long before = allocatedBytes();
        body.run();
        return allocatedBytes() - before;
    }
}
