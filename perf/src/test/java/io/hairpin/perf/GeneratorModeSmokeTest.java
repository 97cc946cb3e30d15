package io.hairpin.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Runs generator mode in-process for a few seconds on 4 KiB pages (forward, 1:1 NAT and NAPT with
 * 1000 sessions opened first) and checks each JSON line is well-formed and complete: a zero-loss
 * rate and a generator ceiling above 0, the latency percentiles of each run in order, the trials
 * listed, and no frame that left the engine translated otherwise than the scenario says. Says
 * nothing about speed (but when other load kept the DUT thread off its CPU for three quarters of
 * the runs, a zero-loss rate of 0 is a true finding: the rate and latency checks are then skipped
 * and the test reports itself aborted). The bench runs in a JVM of its own (EAL initialises once per process).
 */
class GeneratorModeSmokeTest {
    @Test
    void findsAZeroLossRateAndRecordsOrderedLatencies() throws Exception {
        // EAL initialises once per process and BenchSmokeTest's run cleans it up: run the bench in a JVM of its own
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow());
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), Bench.class.getName(), "forward", "binat",
                "napt-established:1k", "--mode", "generator", "--no-huge", "--mem", "512", "--duration", "0.25",
                "--warmup", "0.2", "--trials", "10", "--packets", "256"));
        Path outFile = Files.createTempFile("generator-smoke", ".out");
        Path errFile = Files.createTempFile("generator-smoke", ".err");
        Process p = new ProcessBuilder(cmd).redirectOutput(outFile.toFile()).redirectError(errFile.toFile()).start();
        String stdout;
        String stderr;
        try {
            boolean ended = p.waitFor(300, TimeUnit.SECONDS);
            stdout = Files.readString(outFile);
            stderr = Files.readString(errFile);
            assertTrue(ended, "the bench did not end within 300 s: " + stderr);
        } finally {
            p.destroyForcibly();
            Files.deleteIfExists(outFile);
            Files.deleteIfExists(errFile);
        }
        assertEquals(0, p.exitValue(), "bench failed: " + stderr);
        assertTrue(stderr.contains("zero-loss"), "table on stderr: " + stderr);
        assertFalse(Files.exists(Path.of("/var/run/dpdk", "hairpin-bench-" + p.pid())), "EAL runtime folder left behind");

        List<String> lines = stdout.lines().toList();
        assertEquals(3, lines.size(), "one JSON line per scenario on stdout, got: " + lines);
        List<String> names = List.of("forward", "binat", "napt-established");
        List<String> tokens = List.of("forward", "binat", "napt-established:1k").stream()
                .map(Bench.Options::canonical).toList();
        List<String> starved = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Map<String, Object> j = object(new JsonReader(lines.get(i)).document());
            String line = lines.get(i);
            assertEquals(names.get(i), j.get("scenario"), line);
            assertEquals("generator", j.get("mode"), line);
            for (String key : List.of("workers", "sessions", "pkt_size", "forwarded_mpps", "loss_pct", "latency_p50_us",
                    "latency_p99_us", "latency_p999_us", "latency_at_10pct", "latency_at_50pct", "latency_at_90pct",
                    "generator_ceiling_mpps", "generator_limited", "trials", "gc_pauses", "c_reference_mpps",
                    "c_reference_generator_limited", "bytes_per_packet")) {
                assertTrue(j.containsKey(key), key + " missing from " + line);
            }
            assertTrue(number(j, "generator_ceiling_mpps") > 0, "ceiling: " + line);
            List<?> trials = assertInstanceOf(List.class, j.get("trials"), line);
            assertFalse(trials.isEmpty(), "trials: " + line);
            assertTrue(trials.size() <= 10, "at most --trials trials: " + line);
            assertEquals(0.0, number(j, "mistranslated"), "frames translated otherwise than expected: " + line);
            assertEquals(0.0, number(j, "bad_checksums"), "checksums broken: " + line);
            assertTrue(number(j, "packets") > 0, line);
            assertEquals(Boolean.TRUE, j.get("trials_interleaved"), line);
            assertEquals(0.0, number(j, "c_reference_mistranslated"), "the C reference mistranslated: " + line);
            assertTrue(number(j, "c_reference_trial_count") > 0, line);
            assertTakeTurns(stderr, tokens.get(i), (int) number(j, "trial_count"),
                    (int) number(j, "c_reference_trial_count"));
            // the host's stops on the DUT's CPU, probed before the scenario: shares of the probe's time
            double stopped = number(j, "dut_cpu_stopped_share");
            double late = number(j, "dut_cpu_late_share_20us");
            assertTrue(0 <= late && late <= stopped && stopped <= 1, line);
            assertTrue(number(j, "dut_cpu_stops_per_s") >= 0 && number(j, "dut_cpu_longest_stop_us") >= 0, line);
            assertTrue(stderr.contains("bench: " + tokens.get(i) + ": the DUT's CPU 0, only reading the clock"), stderr);
            if (number(j, "dut_cpu_share") < 0.25) {
                // other load kept the DUT thread off its CPU: no loss-free rate is to be expected
                starved.add(names.get(i) + " (DUT on its CPU " + j.get("dut_cpu_share") + ")");
                continue;
            }
            assertTrue(number(j, "forwarded_mpps") > 0, "zero-loss rate: " + line);
            assertTrue(number(j, "loss_pct") <= GeneratorMode.LOSS_LIMIT_PCT, "loss at the zero-loss rate: " + line);
            for (String at : List.of("latency_at_10pct", "latency_at_50pct", "latency_at_90pct")) {
                Map<String, Object> l = object(j.get(at));
                double p50 = number(l, "p50_us");
                double p99 = number(l, "p99_us");
                double p999 = number(l, "p999_us");
                assertTrue(p50 > 0 && p50 <= p99 && p99 <= p999 && p999 <= number(l, "max_us"),
                        at + ": percentiles out of order: " + l);
                assertTrue(number(l, "samples") > 0, at + ": no sample: " + l);
            }
            Map<String, Object> half = object(j.get("latency_at_50pct"));
            assertEquals(number(half, "p999_us"), number(j, "latency_p999_us"), "the headline latency is at 50 %");
            assertTrue(number(j, "latency_p50_us") <= number(j, "latency_p99_us")
                    && number(j, "latency_p99_us") <= number(j, "latency_p999_us"), line);
            assertTrue(number(j, "checksums_checked") > 0, "no checksum was checked: " + line);
        }
        Map<String, Object> napt = object(new JsonReader(lines.get(2)).document());
        assertEquals(1000.0, number(napt, "sessions_opened"), "sessions opened before the traffic: " + lines.get(2));
        assertEquals(1000.0, number(napt, "sessions"), "sessions in use: " + lines.get(2));
        assumeTrue(starved.isEmpty(), "rate and latency not checked, the machine starved the DUT: " + starved);
    }

    @Test
    void refusesTheScenariosThatNeedTheMirror() {
        for (String sc : List.of("mirror-only", "napt-cps", "napt-cps:tcp")) {
            var e = assertThrows(Bench.UsageException.class,
                    () -> Bench.Options.parse(new String[] {sc, "--mode", "generator"}));
            assertTrue(e.getMessage().startsWith("--mode generator: "), e.getMessage());
        }
        assertEquals(List.of("forward"), Bench.Options.parse(new String[] {"--mode", "generator"}).scenarios());
        assertFalse(Bench.Options.parse(new String[] {"forward"}).generator(), "capacity stays the default");
    }

    /**
     * The engine's and C's trials of one scenario, in the order the log shows them, took turns:
     * until either search ended, neither was more than one trial ahead of the other.
     */
    private static void assertTakeTurns(String stderr, String token, int engineTrials, int cTrials) {
        String engine = "bench: " + token + ": trial ";
        String c = "bench: " + token + "-c: trial ";
        int e = 0;
        int k = 0;
        for (String l : stderr.lines().toList()) {
            if (l.startsWith(engine)) {
                e++;
            } else if (l.startsWith(c)) {
                k++;
            } else {
                continue;
            }
            if (e < engineTrials && k < cTrials) {
                assertTrue(Math.abs(e - k) <= 1, token + ": " + e + " engine trials against " + k + " of C's: " + stderr);
            }
        }
        assertEquals(engineTrials, e, token + ": engine trials in the log");
        assertEquals(cTrials, k, token + ": C's trials in the log");
    }

    private static double number(Map<String, Object> j, String key) {
        Object v = j.get(key);
        assertNotNull(v, key + " is null in " + j);
        return assertInstanceOf(Double.class, v, key);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object v) {
        return assertInstanceOf(Map.class, v, "not an object: " + v);
    }

    /** A strict reader of one JSON document (objects, arrays, strings, numbers, literals). */
    private static final class JsonReader {
        private final String s;
        private int at;

        JsonReader(String s) {
            this.s = s;
        }

        Object document() {
            Object v = value();
            assertEquals(s.length(), at, "trailing characters at " + at + ": " + s);
            return v;
        }

        private Object value() {
            assertTrue(at < s.length(), "unexpected end: " + s);
            char c = s.charAt(at);
            if (c == '{') {
                Map<String, Object> m = new LinkedHashMap<>();
                at++;
                if (peek('}')) {
                    return m;
                }
                do {
                    String key = string();
                    expect(':');
                    assertFalse(m.containsKey(key), "duplicate key " + key);
                    m.put(key, value());
                } while (peek(','));
                expect('}');
                return m;
            }
            if (c == '[') {
                List<Object> l = new ArrayList<>();
                at++;
                if (peek(']')) {
                    return l;
                }
                do {
                    l.add(value());
                } while (peek(','));
                expect(']');
                return l;
            }
            if (c == '"') {
                return string();
            }
            for (String lit : List.of("null", "true", "false")) {
                if (s.startsWith(lit, at)) {
                    at += lit.length();
                    return lit.equals("null") ? null : Boolean.valueOf(lit);
                }
            }
            int start = at;
            while (at < s.length() && "+-0123456789.eE".indexOf(s.charAt(at)) >= 0) {
                at++;
            }
            assertTrue(at > start, "unexpected character at " + at + ": " + s);
            return Double.parseDouble(s.substring(start, at));
        }

        private String string() {
            expect('"');
            StringBuilder v = new StringBuilder();
            while (true) {
                assertTrue(at < s.length(), "unterminated string: " + s);
                char c = s.charAt(at++);
                if (c == '"') {
                    return v.toString();
                }
                if (c == '\\') {
                    assertTrue(at < s.length() && "\"\\/u".indexOf(s.charAt(at)) >= 0, "bad escape at " + at + ": " + s);
                    c = s.charAt(at++);
                    if (c == 'u') {
                        c = (char) Integer.parseInt(s.substring(at, at + 4), 16);
                        at += 4;
                    }
                }
                v.append(c);
            }
        }

        private boolean peek(char c) {
            if (at < s.length() && s.charAt(at) == c) {
                at++;
                return true;
            }
            return false;
        }

        private void expect(char c) {
            assertTrue(at < s.length() && s.charAt(at) == c, "expected " + c + " at " + at + ": " + s);
            at++;
        }
    }
}
