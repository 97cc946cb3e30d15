package io.hairpin.perf;

/**
 * What a benchmark drives on the measured core: the engine's worker or the C reference. One call
 * is one loop iteration over both ports (RX burst, work, TX burst); returns the packets received.
 */
interface Dut {
    int doWork();
}
