package io.hairpin.perf;

/**
 * The wire size of each in-flight frame: one size for all (--pkt-size), or the simple IMIX
 * (28 × 64 B, 16 × 570 B, 4 × 1518 B per 48 frames). Sizes are Ethernet frames on the wire
 * including the 4-byte FCS (the mbuf holds 4 bytes less), without preamble and gap.
 */
final class FrameSizes {
    static final int MIN = Frames.MIN_WIRE_SIZE;
    /** The largest frame an interface of MTU 1500 takes: 14 + 1500 + 4. */
    static final int MAX = 1518;
    /** Preamble + start delimiter (8) and inter-frame gap (12): what a frame costs on the wire beyond its bytes. */
    static final int L1_OVERHEAD = 20;
    /**
     * The IMIX as a block of 12 (7 × 64, 4 × 570, 1 × 1518), the sizes spread out so that a burst
     * never holds only large or only small frames; 4 blocks make the 28/16/4 of 48.
     */
    private static final int[] IMIX_BLOCK = {64, 570, 64, 64, 570, 64, 1518, 64, 570, 64, 570, 64};

    private final int[] pattern;
    private final String label;
    private final String mix;

    private FrameSizes(int[] pattern, String label, String mix) {
        this.pattern = pattern;
        this.label = label;
        this.mix = mix;
    }

    static FrameSizes fixed(int wireSize) {
        if (wireSize < MIN || wireSize > MAX) {
            throw new IllegalArgumentException("frame size " + wireSize + " is outside " + MIN + ".." + MAX);
        }
        return new FrameSizes(new int[] {wireSize}, Integer.toString(wireSize), Integer.toString(wireSize));
    }

    static FrameSizes imix() {
        return new FrameSizes(IMIX_BLOCK.clone(), "imix", "28x64,16x570,4x1518");
    }

    /** The wire size of in-flight frame k. */
    int of(int k) {
        return pattern[k % pattern.length];
    }

    boolean isFixed(int wireSize) {
        return pattern.length == 1 && pattern[0] == wireSize;
    }

    /** "64", or "imix". */
    String label() {
        return label;
    }

    /** "28x64,16x570,4x1518" for the IMIX, "64" for a fixed size. */
    String mix() {
        return mix;
    }

    /** The mean wire size of the first n frames (the in-flight set). */
    double mean(int n) {
        long sum = 0;
        for (int k = 0; k < n; k++) {
            sum += of(k);
        }
        return (double) sum / n;
    }
}
