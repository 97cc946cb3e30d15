package io.hairpin.perf;

/**
 * What one measured window produced. Cycles are TSC cycles; allocated bytes are those of the
 * benchmark thread (worker + mirror + loop) during the window.
 */
/**
 * @param sliceMinCycles the best cycles per packet over the window's 0.5 s slices (the worst in
 *                       sliceMaxCycles): a wide spread means the core was disturbed
 */
record Measurement(long packets, long tscCycles, long tscHz, long allocatedBytes, long gcCount, long gcMillis,
                   long cpuNanos, double sliceMinCycles, double sliceMaxCycles, long lost, long drops, long badChecksums) {

    double seconds() {
        return (double) tscCycles / tscHz;
    }

    /** The share of the window the benchmark thread was on a CPU (below 1: it was preempted). */
    double cpuShare() {
        return cpuNanos / (seconds() * 1e9);
    }

    double mpps() {
        return packets / seconds() / 1e6;
    }

    double cyclesPerPacket() {
        return packets == 0 ? Double.NaN : (double) tscCycles / packets;
    }

    /**
     * TSC cycles per packet counting only the time the benchmark thread was on a CPU (its CPU time
     * instead of the wall-clock window): an estimate of the figure on an undisturbed core.
     */
    double cpuCyclesPerPacket() {
        return packets == 0 ? Double.NaN : cpuNanos * (tscHz / 1e9) / packets;
    }

    double bytesPerPacket() {
        return packets == 0 ? Double.NaN : (double) allocatedBytes / packets;
    }
}
