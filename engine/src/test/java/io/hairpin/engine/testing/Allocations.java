package io.hairpin.engine.testing;

import java.lang.management.ManagementFactory;

/** Bytes allocated by the current thread, for the zero-allocation checks. */
public final class Allocations {
    private static final com.sun.management.ThreadMXBean BEAN =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private Allocations() {
    }

    public static long allocatedBytes() {
        return BEAN.getCurrentThreadAllocatedBytes();
    }

    /** Bytes allocated while running {@code body} (after one warm-up call of the probe itself). */
    public static long during(Runnable body) {
        allocatedBytes();
        long before = allocatedBytes();
        body.run();
        return allocatedBytes() - before;
    }
}
