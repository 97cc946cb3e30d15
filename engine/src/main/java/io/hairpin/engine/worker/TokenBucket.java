package io.hairpin.engine.worker;

/**
 * A token bucket on the worker's clock (single-threaded): {@code rate} tokens a second, at most
 * {@code burst} of them saved, full to begin with. {@link #refill} is called from housekeeping,
 * {@link #take} per packet.
 */
final class TokenBucket {
    private static final long SECOND = 1_000_000_000L;

    private final long rate;
    private final long burst;
    /** The time that earns a full bucket. */
    private final long fillNanos;
    private long tokens;
    private long refilledAt;

    TokenBucket(long rate, long burst) {
        if (rate < 1 || rate > SECOND || burst < 1 || burst > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("rate 1.." + SECOND + " a second, burst 1.." + Integer.MAX_VALUE + ": " + rate + ", " + burst);
        }
        this.rate = rate;
        this.burst = burst;
        this.tokens = burst;
        this.fillNanos = Math.ceilDiv(burst * SECOND, rate);
    }

    /** Takes a token: false when there is none (the caller drops or skips its packet). */
    boolean take() {
        if (tokens == 0) {
            return false;
        }
        tokens--;
        return true;
    }

    /** Adds the tokens earned since the last refill, as of {@code nowNanos}. */
    void refill(long nowNanos) {
        long elapsed = nowNanos - refilledAt;
        // Long enough to fill the bucket from empty: full. (The clock counts from boot, so the
        // first call's elapsed time times the rate would overflow on a host up for months.)
        if (elapsed >= fillNanos) {
            tokens = burst;
            refilledAt = nowNanos;
            return;
        }
        long earned = elapsed * rate / SECOND;
        if (earned > 0) {
            tokens = Math.min(burst, tokens + earned);
            refilledAt += earned * SECOND / rate; // what is left of a token's time counts next time
        }
    }

    long rate() {
        return rate;
    }

    long tokens() {
        return tokens;
    }
}
