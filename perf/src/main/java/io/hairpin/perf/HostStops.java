package io.hairpin.perf;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * How often the host stops the calling thread while it only reads the clock: stopprobe
 * ({@code perf/src/main/c/stopprobe.c}, which explains the figures) inside the benchmark's own
 * process, on the DUT's CPU, right before generator mode measures there. A gap of more than 1 µs
 * between two readings is a stop; {@code lateShare} is the share of the run's instants from which
 * the thread stayed stopped the threshold or more. Of packets that arrive evenly, at least that
 * share wait the threshold or more, whatever the DUT does (more under load: a stop's backlog makes
 * it 1/(1 − ρ) times as many at a load ρ of the DUT's capacity); above 0.001, a second like the one
 * probed leaves no room for a p99.9 within the threshold. The stops come and go, so it says what
 * the host was like just before the scenario, not during its latency runs.
 */
final class HostStops {
    /** The latency the spec's p99.9 target names. */
    static final long THRESHOLD_NS = 20_000;
    private static final long STOP_NS = 1_000;

    private HostStops() {
    }

    record Figures(double seconds, long stops, double longestUs, double stoppedShare, double lateShare,
                   long thresholdNs) {
        /** Whether the stops alone put more than 0.1 % of evenly arriving packets past the threshold. */
        boolean lateOverOnePerMille() {
            return lateShare > 0.001;
        }

        Map<String, Object> json() {
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("dut_cpu_stops_per_s", Bench.round(stops / seconds, 1));
            j.put("dut_cpu_longest_stop_us", Bench.round(longestUs, 1));
            j.put("dut_cpu_stopped_share", Bench.round(stoppedShare, 6));
            j.put("dut_cpu_late_share_" + thresholdNs / 1000 + "us", Bench.round(lateShare, 6));
            return j;
        }

        String describe(int cpu) {
            return String.format(Locale.ROOT, "CPU %d, only reading the clock for %.2f s, was stopped %.2f %% of the "
                    + "time in %.0f stops a second (longest %.1f us); it stayed stopped %d us or more from %.4f %% "
                    + "of its instants%s", cpu, seconds, 100 * stoppedShare, stops / seconds, longestUs,
                    thresholdNs / 1000, 100 * lateShare, lateOverOnePerMille()
                            ? ": in a second like this one more than 0.1 % of packets wait that long whatever the "
                            + "DUT does, so no p99.9 within it"
                            : "");
        }
    }

    /** Reads the clock in a loop that does nothing else for about {@code seconds}, on the calling thread. */
    static Figures measure(double seconds, long thresholdNs) {
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long prev = start;
        long stops = 0;
        long stopped = 0;
        long late = 0;
        long longest = 0;
        long t;
        while ((t = System.nanoTime()) < end) {
            long gap = t - prev;
            prev = t;
            if (gap > STOP_NS) {
                stops++;
                stopped += gap;
                late += Math.max(0, gap - thresholdNs);
                longest = Math.max(longest, gap);
            }
        }
        double run = Math.max(1, prev - start);
        return new Figures(run / 1e9, stops, longest / 1e3, stopped / run, late / run, thresholdNs);
    }
}
