package io.hairpin.engine.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TokenBucketTest {
    private static final long MS = 1_000_000L;
    /** What System.nanoTime() reads on Linux 200 days after boot (it counts from boot). */
    private static final long MONTHS_UP = 200L * 86_400 * 1_000_000_000L;

    private static int takeAll(TokenBucket b) {
        int n = 0;
        while (b.take()) {
            n++;
        }
        return n;
    }

    @Test
    void startsFullAndGivesNoMoreThanItsBurst() {
        TokenBucket b = new TokenBucket(1000, 100);
        assertEquals(100, takeAll(b));
        assertFalse(b.take());
    }

    @Test
    void earnsItsRateAndSavesNoMoreThanItsBurst() {
        TokenBucket b = new TokenBucket(10_000, 1000);
        long t = MONTHS_UP;
        b.refill(t);
        takeAll(b);
        b.refill(t + 1 * MS);
        assertEquals(10, takeAll(b), "10 000 a second: 10 in a millisecond");
        b.refill(t + 1000 * MS);
        assertEquals(1000, takeAll(b), "a second idle saves the burst, no more");
    }

    @Test
    void refillsMoreOftenThanATokenIsEarnedLoseNothing() {
        TokenBucket b = new TokenBucket(10_000, 1000); // a token every 100 µs
        long t = MONTHS_UP;
        b.refill(t);
        takeAll(b);
        int taken = 0;
        long at = t;
        for (; at + 30_000 <= t + 10 * MS; ) { // every 30 µs, up to 9.99 ms
            at += 30_000;
            b.refill(at);
            taken += takeAll(b);
        }
        // a refill that only counted whole tokens since the last would have earned one per 120 µs: 83
        assertEquals(99, taken, "9.99 ms at 10 000 a second, whatever the refills' spacing");
    }

    /**
     * The clock counts from boot. The ICMP error limit computed its first refill as the time since
     * boot times the rate, which overflows on a host up for more than about 106 days (1000 a
     * second): no token came back after the first burst.
     */
    @Test
    void aClockThatCountsFromMonthsAgoStillRefills() {
        TokenBucket b = new TokenBucket(1000, 100);
        takeAll(b);
        b.refill(MONTHS_UP);
        assertEquals(100, takeAll(b));
        b.refill(MONTHS_UP + 20 * MS);
        assertEquals(20, takeAll(b));
    }

    @Test
    void nonsenseIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(1, 0));
        assertTrue(new TokenBucket(1, 1).take());
    }
}
