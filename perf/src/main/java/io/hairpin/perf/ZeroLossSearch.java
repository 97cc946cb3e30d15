package io.hairpin.perf;

/**
 * Generator mode's zero-loss search (RFC 2544 style: halve the interval between the highest rate
 * held and the lowest not held), apart from the trials so that its decisions can be tested.
 *
 * <p>The bounds move to the rate a trial offered, not the rate it asked for. On this VM the
 * generator falls short for seconds at a time (crossing cores is expensive here, performance.md,
 * and more so in some phases of the host than in others), and a trial that offered 4 Mpps when
 * 24 were asked says nothing about 24: taken as a pass at the asked rate, it ended the search at
 * 4. A pass that fell short of its target by more than the resolution marks the result as the
 * generator's limit; after two in a row the search stops, since the generator cannot offer more.
 *
 * <p>A fail is taken only when the next trial, at the same asked rate, fails too; the search's
 * upper bound is then the higher of the two rates offered. The VM stops a loop for a fraction of
 * a millisecond now and then (performance.md), and one such stop loses a few hundred frames of a
 * trial at any rate: taken at once, it bounded the search far below what the DUT held for the
 * rest of it (a 1000-session NAPT at 1.25 Mpps after a fail at 2.89 with 0.004 % lost, while C
 * held 3.1 in the trials around it).
 */
final class ZeroLossSearch {
    private static final int SHORT_PASSES_TO_STOP = 2;

    private final double resolution;
    private final int maxTrials;
    private double lo;
    private double hi;
    private double next;
    private int trials;
    private int shortPasses;
    /** The rate the last trial offered when it failed and awaits its confirmation, else -1. */
    private double unconfirmedFail = -1;
    private double best = -1;
    private boolean bestFellShort;

    /** A search from {@code top} pps (the generator's ceiling) down, of at most maxTrials trials. */
    ZeroLossSearch(double top, double resolution, int maxTrials) {
        this.hi = top;
        this.next = top;
        this.resolution = resolution;
        this.maxTrials = maxTrials;
    }

    /** Whether another trial is due. */
    boolean more() {
        return trials < maxTrials && hi > 0 && hi - lo > resolution * hi && shortPasses < SHORT_PASSES_TO_STOP;
    }

    /** The rate the next trial asks for. */
    double target() {
        return next;
    }

    /**
     * Records the trial that asked for {@link #target()}: it offered offeredPps and passed or not.
     * Returns true when it is the best pass so far.
     */
    boolean record(double offeredPps, boolean pass) {
        double asked = next;
        trials++;
        boolean better = false;
        if (pass) {
            boolean fellShort = offeredPps < (1 - resolution) * asked;
            shortPasses = fellShort ? shortPasses + 1 : 0;
            lo = Math.max(lo, Math.min(offeredPps, hi));
            if (offeredPps > best) {
                best = offeredPps;
                bestFellShort = fellShort;
                better = true;
            }
        } else if (unconfirmedFail < 0) {
            unconfirmedFail = offeredPps;
            return false; // the next trial asks for the same rate
        } else {
            shortPasses = 0;
            // a fail below a rate held before (the host slowed down meanwhile) ends the search at that rate
            hi = Math.max(lo, Math.min(hi, Math.max(offeredPps, unconfirmedFail)));
        }
        unconfirmedFail = -1;
        next = (lo + hi) / 2;
        return better;
    }

    /** Whether the last trial failed and the next one asks for its rate again. */
    boolean failToConfirm() {
        return unconfirmedFail >= 0;
    }

    /** The highest rate offered by a passing trial; -1 when none passed. */
    double best() {
        return best;
    }

    /** Whether the best pass offered less than it asked: the generator, not the DUT, set the figure. */
    boolean generatorLimited() {
        return best >= 0 && bestFellShort;
    }

    int trials() {
        return trials;
    }
}
