package io.hairpin.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleBinaryOperator;
import org.junit.jupiter.api.Test;

/**
 * The zero-loss search against a DUT of known capacity and a generator whose shortfalls are
 * scripted: the oracle is the capacity itself (a trial passes when what it offered is at most
 * the capacity), so the rate found must lie within the resolution below it, or be flagged as the
 * generator's when the generator never reached it.
 */
class ZeroLossSearchTest {
    private static final double TOP = 30e6;
    private static final double RESOLUTION = 0.01;
    private static final int TRIALS = 16;

    /** Runs a search; offered(trial number from 1, asked rate) is what the generator manages. */
    private static ZeroLossSearch search(double capacity, DoubleBinaryOperator offered, List<Double> asked) {
        return search(capacity, offered, asked, -1);
    }

    /** The same, where trial number stalled (from 1) loses frames whatever its rate: the host stopped the DUT. */
    private static ZeroLossSearch search(double capacity, DoubleBinaryOperator offered, List<Double> asked,
                                         int stalled) {
        ZeroLossSearch s = new ZeroLossSearch(TOP, RESOLUTION, TRIALS);
        while (s.more()) {
            double rate = s.target();
            asked.add(rate);
            int trial = s.trials() + 1;
            double o = offered.applyAsDouble(trial, rate);
            s.record(o, o <= capacity && trial != stalled);
        }
        return s;
    }

    @Test
    void findsTheDutsCapacityWithinTheResolution() {
        double capacity = 17.3e6;
        List<Double> asked = new ArrayList<>();
        ZeroLossSearch s = search(capacity, (t, rate) -> rate, asked);
        assertTrue(s.best() <= capacity, "a rate above the capacity passed: " + s.best());
        assertTrue(s.best() >= capacity * (1 - 2 * RESOLUTION), "found " + s.best() + " for " + capacity);
        assertFalse(s.generatorLimited());
        assertTrue(s.trials() < TRIALS, "the resolution ends the search: " + asked);
    }

    @Test
    void oneTrialTheGeneratorFellShortInDoesNotEndTheSearch() {
        // the first trial asks for the ceiling and gets 4.3 Mpps out of the generator, which the DUT holds
        double capacity = 17.3e6;
        ZeroLossSearch s = search(capacity, (t, rate) -> t == 1 ? 4.3e6 : rate, new ArrayList<>());
        assertTrue(s.best() >= capacity * (1 - 2 * RESOLUTION) && s.best() <= capacity, "found " + s.best());
        assertFalse(s.generatorLimited(), "the best pass offered what it asked");
    }

    @Test
    void aFailWhereTheGeneratorFellShortBoundsTheSearchAtWhatItOffered() {
        // the ceiling is asked twice, 10 Mpps offered each time, and a DUT of 4 Mpps fails: no later trial asks above 10
        double capacity = 4e6;
        List<Double> asked = new ArrayList<>();
        ZeroLossSearch s = search(capacity, (t, rate) -> t <= 2 ? 10e6 : rate, asked);
        for (double a : asked.subList(2, asked.size())) {
            assertTrue(a <= 10e6, "asked " + a + " after a fail at 10 Mpps offered: " + asked);
        }
        assertTrue(s.best() >= capacity * (1 - 2 * RESOLUTION) && s.best() <= capacity, "found " + s.best());
    }

    @Test
    void aGeneratorThatCannotReachTheDutsRateIsNamedAsTheLimit() {
        double capacity = 17e6;
        ZeroLossSearch s = search(capacity, (t, rate) -> Math.min(rate, 8e6), new ArrayList<>());
        assertEquals(8e6, s.best());
        assertTrue(s.generatorLimited());
        assertEquals(2, s.trials(), "two passes short of their rate end the search");
    }

    @Test
    void aLossTheDutDoesNotRepeatDoesNotBoundTheSearch() {
        double capacity = 17.3e6;
        for (int stalled = 1; stalled <= 6; stalled++) {
            List<Double> asked = new ArrayList<>();
            ZeroLossSearch s = search(capacity, (t, rate) -> rate, asked, stalled);
            assertTrue(s.best() >= capacity * (1 - 2 * RESOLUTION) && s.best() <= capacity,
                    "a stall in trial " + stalled + ": found " + s.best() + " for " + capacity + ", asked " + asked);
        }
    }

    @Test
    void aFailIsTriedAgainAtTheSameRateBeforeItBoundsTheSearch() {
        double capacity = 4e6;
        List<Double> asked = new ArrayList<>();
        search(capacity, (t, rate) -> rate, asked);
        int fails = 0;
        for (int i = 0; i < asked.size(); i++) {
            double rate = asked.get(i);
            if (rate > capacity && (i == 0 || asked.get(i - 1) != rate)) {
                fails++;
                assertTrue(i + 1 < asked.size() && asked.get(i + 1) == rate, "no second trial at " + rate + ": " + asked);
            }
        }
        assertTrue(fails > 0, "the search never failed: " + asked);
    }

    @Test
    void noPassNoRate() {
        ZeroLossSearch s = search(0, (t, rate) -> rate, new ArrayList<>());
        assertEquals(-1, s.best());
        assertFalse(s.generatorLimited());
    }
}
