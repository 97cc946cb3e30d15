package io.hairpin.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Runs stopprobe (built by this module's make) for short runs and checks its line adds up, and
 * that it sees the stops it is for: two copies spinning on one CPU take it from each other.
 */
class StopprobeSmokeTest {
    private static final Pattern FIELD = Pattern.compile("\"([a-z_0-9]+)\":(\"[^\"]*\"|-?[0-9.]+)");
    private static final int[] BUCKET_US = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000};

    @Test
    void printsOneLineWhoseBucketsAddUpToItsStops() throws Exception {
        Map<String, Double> j = fields(run(10, "0.3", "0"));
        assertEquals(0.3, j.get("seconds"), 0.05, j.toString());
        assertTrue(j.get("loops") > 1000, j.toString());
        assertEquals(20.0, j.get("threshold_us"));
        double inBuckets = 0;
        int longestBucket = -1;
        for (int b = 0; b < BUCKET_US.length; b++) {
            double c = j.get("stops_from_" + BUCKET_US[b] + "us");
            inBuckets += c;
            if (c > 0) {
                longestBucket = b;
            }
        }
        assertEquals(j.get("stops"), inBuckets, j.toString());
        assertTrue(j.get("late_share") <= j.get("stopped_share"), j.toString());
        if (longestBucket >= 0) {
            assertTrue(j.get("longest_us") >= BUCKET_US[longestBucket], j.toString());
        }
    }

    @Test
    void twoCopiesOnOneCpuSeeEachOtherAsStops() throws Exception {
        List<Process> both = List.of(start("1", "0", "50"), start("1", "0", "50"));
        for (Process p : both) {
            assertTrue(p.waitFor(20, TimeUnit.SECONDS), "stopprobe did not finish");
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), out);
            Map<String, Double> j = fields(out);
            // the scheduler gives each about half the CPU, in slices of a millisecond or more
            assertTrue(j.get("stopped_share") > 0.25, j.toString());
            assertTrue(j.get("longest_us") > 200, j.toString());
            assertTrue(j.get("late_share") > 0.1, j.toString());
            assertEquals(50.0, j.get("threshold_us"));
        }
    }

    @Test
    void refusesARunItCannotMake() throws Exception {
        for (List<String> args : List.of(List.of("0", "0"), List.of("0.1", "0", "0.5"), List.of("0.1"),
                List.of("0.1", "0", "20", "9"))) {
            Process p = start(args.toArray(String[]::new));
            assertTrue(p.waitFor(10, TimeUnit.SECONDS));
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(2, p.exitValue(), args + ": " + out);
            assertTrue(out.contains(args.size() == 2 || args.size() == 3 ? "SECONDS must be" : "usage:"),
                    args + ": " + out);
        }
    }

    /** Runs stopprobe with these arguments for at most the seconds given; its one line. */
    private static String run(int seconds, String... args) throws Exception {
        Process p = start(args);
        assertTrue(p.waitFor(seconds, TimeUnit.SECONDS), "stopprobe did not finish in " + seconds + " s");
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), out);
        assertEquals(1, out.lines().count(), "one line: " + out);
        return out;
    }

    private static Process start(String... args) throws Exception {
        Path bin = Path.of("target", "c-obj", "stopprobe");
        assertTrue(Files.isExecutable(bin), bin.toAbsolutePath() + " was not built");
        List<String> command = new ArrayList<>(List.of(bin.toString()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    private static Map<String, Double> fields(String line) {
        Map<String, Double> j = new HashMap<>();
        Matcher m = FIELD.matcher(line);
        while (m.find()) {
            j.put(m.group(1), Double.parseDouble(m.group(2)));
        }
        return j;
    }
}
