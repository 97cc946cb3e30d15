package io.hairpin.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Runs the benchmark in-process for a few seconds on 4 KiB pages and checks its output is
 * well-formed, that the engine forwarded packets and that the NAT scenarios translated them
 * (1:1, NAPT with 1000 sessions opened first and then rotated through, and NAPT opening a new
 * session with every packet, whose table must not fill in the run), that rule-swap lost
 * and mistranslated nothing while the rule sets were swapped under the worker, that imix carried
 * its mix of frame sizes, and that the lines of the scenarios the C reference covers carry its
 * figures (run right after the engine). Says nothing about speed. This is the only test of the
 * module that initialises EAL in the test JVM (DPDK allows it once per process; CReferenceTest
 * runs its EAL in a child JVM).
 */
class BenchSmokeTest {
    private static final Pattern FIELD = Pattern.compile("\"([a-z_0-9]+)\":(\"[^\"]*\"|null|true|false|-?[0-9.Ee+-]+)");

    @Test
    void forwardsAndTranslatesPacketsAndPrintsOneJsonLinePerScenario() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Bench.run(new String[] {"mirror-only", "forward", "binat", "napt-established:1k", "rule-swap", "imix", "napt-cps",
                "rule-swap:napt:100k", "--no-huge", "--mem", "512",
                "--duration", "0.4", "--warmup", "0.2", "--packets", "256"},
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));

        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(8, lines.size(), "one JSON line per scenario on stdout, got: " + lines);
        Map<String, String> mirror = parse(lines.get(0));
        Map<String, String> forward = parse(lines.get(1));
        Map<String, String> binat = parse(lines.get(2));
        Map<String, String> napt = parse(lines.get(3));
        Map<String, String> swap = parse(lines.get(4));
        Map<String, String> imix = parse(lines.get(5));
        Map<String, String> cps = parse(lines.get(6));
        Map<String, String> swapNapt = parse(lines.get(7));
        assertEquals("\"mirror-only\"", mirror.get("scenario"));
        assertEquals("\"forward\"", forward.get("scenario"));
        assertEquals("\"binat\"", binat.get("scenario"));
        assertEquals("\"1\"", binat.get("variant"));
        assertEquals("\"napt-established\"", napt.get("scenario"));
        assertEquals("\"1000\"", napt.get("variant"));
        for (Map<String, String> j : List.of(mirror, forward, binat, napt, swap, imix, cps, swapNapt)) {
            for (String key : List.of("mode", "workers", "sessions", "pkt_size", "forwarded_mpps", "cycles_per_pkt",
                    "bytes_per_packet", "bytes_per_session", "gc_count", "duration_s", "hugepages", "engine_jar")) {
                assertTrue(j.containsKey(key), key + " missing from " + j);
            }
            assertEquals("\"capacity\"", j.get("mode"));
            assertEquals("1", j.get("workers"));
            assertEquals(j == imix ? "\"imix\"" : "64", j.get("pkt_size"));
            assertEquals("false", j.get("hugepages"));
            assertTrue(Long.parseLong(j.get("packets")) > 0, "packets moved: " + j);
            assertTrue(Double.parseDouble(j.get("forwarded_mpps")) > 0, "rate: " + j);
            assertEquals("0", j.get("lost"), "packets lost: " + j);
            assertEquals("0", j.get("bad_checksums"), "checksums broken: " + j);
        }
        for (Map<String, String> j : List.of(forward, binat, napt, swap, imix, cps, swapNapt)) {
            assertEquals("0", j.get("drops"), "the engine dropped packets: " + j);
            assertFalse(j.get("engine_cycles_per_pkt").equals("null"), "engine share missing: " + j);
        }
        for (Map<String, String> j : List.of(binat, napt, swap, imix, cps, swapNapt)) {
            assertTrue(Long.parseLong(j.get("nat_translated")) > 0, "nothing translated: " + j);
            assertEquals("1.0", j.get("translated_per_packet"), "every packet is translated: " + j);
            assertEquals("0", j.get("mistranslated"), "the mirror saw mistranslated packets: " + j);
            assertEquals("\"\"", j.get("drop_detail"), "drops: " + j);
            assertTrue(Double.parseDouble(j.get("bytes_per_session")) > 0, "footprint: " + j);
        }
        for (Map<String, String> j : List.of(forward, binat, napt, imix, cps)) {
            // the C reference ran right after the engine, in the same invocation
            assertTrue(Double.parseDouble(j.get("c_reference_mpps")) > 0, "C reference rate: " + j);
            assertTrue(Double.parseDouble(j.get("c_reference_cycles_per_pkt")) > 0, "C reference cycles: " + j);
            assertTrue(Double.parseDouble(j.get("c_reference_cycles_per_pkt_on_cpu")) > 0, "C reference cycles: " + j);
            assertTrue(Double.parseDouble(j.get("ratio_to_c")) > 0, "engine / C: " + j);
            assertTrue(j.containsKey("ratio_to_c_best_slice"), "engine / C over the best slices: " + j);
            assertFalse(j.get("c_reference_engine_cycles_per_pkt").equals("null"), "C minus harness: " + j);
            assertEquals("0", j.get("c_reference_mistranslated"), "the C reference mistranslated: " + j);
            assertEquals("0", j.get("c_reference_bad_checksums"), "the C reference broke checksums: " + j);
            assertEquals("0", j.get("c_reference_lost"), "the C reference lost packets: " + j);
        }
        assertEquals("null", mirror.get("c_reference_mpps"), "mirror-only has no C reference: " + mirror);
        assertEquals("null", swap.get("c_reference_mpps"), "rule swaps are the engine's own: " + swap);
        assertEquals("null", swapNapt.get("c_reference_mpps"), "rule swaps are the engine's own: " + swapNapt);
        assertEquals("0", binat.get("sessions"), "1:1 is stateless: " + binat);
        assertEquals("1000", napt.get("sessions"), "sessions in use: " + napt);
        assertEquals("1000", napt.get("sessions_at_window_start"), "sessions opened before the window: " + napt);
        // napt-cps: every packet in the window opened a session, none was refused (drops is 0
        // above: a full table would have dropped every frame in flight), and none expired yet
        // (warm-up and window take 0.6 s, the timeout is 1 s)
        assertEquals("\"napt-cps\"", cps.get("scenario"));
        assertEquals(Long.parseLong(cps.get("sessions_at_window_start")) + Long.parseLong(cps.get("packets")),
                Long.parseLong(cps.get("sessions")), "one new session per packet: " + cps);
        assertTrue(Double.parseDouble(cps.get("new_sessions_per_s")) > 0, "new sessions/s: " + cps);
        assertEquals("\"\"", cps.get("drop_detail_before_window"), "drops in the warm-up: " + cps);

        // rule-swap: the control thread swapped A and B under the worker; every swap was picked up,
        // packets went out under both sets, and each came back to its own host
        assertEquals("\"rule-swap\"", swap.get("scenario"));
        long swaps = Long.parseLong(swap.get("swaps"));
        assertTrue(swaps >= 1, "swaps in the window: " + swap);
        assertEquals(swap.get("swaps"), swap.get("swaps_acknowledged"), "every swap acknowledged: " + swap);
        assertEquals(swap.get("swaps_total"), swap.get("swaps_acknowledged_total"), swap.toString());
        assertTrue(Long.parseLong(swap.get("translated_by_a")) > 0, "nothing went out under A: " + swap);
        assertTrue(Long.parseLong(swap.get("translated_by_b")) > 0, "nothing went out under B: " + swap);
        assertTrue(Long.parseLong(swap.get("translated_back")) > 0, "no reply came back: " + swap);
        assertEquals("0", swap.get("drops_after_window"), "drops while the last swap completed: " + swap);
        assertEquals(1 + Long.parseLong(swap.get("swaps_total")), Long.parseLong(swap.get("snapshot_version_end")),
                "versions: the first snapshot and one per swap: " + swap);

        // rule-swap:napt: a new snapshot of the same rules, again and again, under a table big
        // enough that the worker holds each port's burst over to the next round (4096 sessions or
        // more) and too big for the flow cache: the sessions stayed, every swap was picked up, and
        // (above) every packet left translated by its own session, none lost or dropped
        assertEquals("\"rule-swap\"", swapNapt.get("scenario"));
        assertEquals("\"napt:100000\"", swapNapt.get("variant"));
        assertEquals("100000", swapNapt.get("sessions"), "the sessions stay: " + swapNapt);
        assertEquals("100000", swapNapt.get("sessions_at_window_start"), swapNapt.toString());
        assertTrue(Long.parseLong(swapNapt.get("swaps")) >= 1, "swaps in the window: " + swapNapt);
        assertEquals(swapNapt.get("swaps"), swapNapt.get("swaps_acknowledged"), "every swap acknowledged: " + swapNapt);
        assertEquals("0", swapNapt.get("drops_after_window"), "drops while the last swap completed: " + swapNapt);
        assertEquals("0.0", swapNapt.get("flow_cache_hits_per_packet"), "the flow cache stood aside: " + swapNapt);
        assertTrue(Double.parseDouble(swapNapt.get("session_fast_path_per_packet")) > 0.9,
                "the established-session path took the packets: " + swapNapt);

        // imix: the frames kept their sizes through the engine (mean of what the worker sent)
        assertEquals("\"imix\"", imix.get("scenario"));
        assertEquals("\"28x64,16x570,4x1518\"", imix.get("frame_sizes"));
        double mean = Double.parseDouble(imix.get("mean_frame_bytes"));
        assertTrue(mean > 300 && mean < 400, "mean frame size sent: " + imix);
        assertTrue(Double.parseDouble(imix.get("gbps_l1")) > Double.parseDouble(imix.get("gbps_l2")), imix.toString());
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("forward"), "table on stderr");
        assertTrue(forward.get("engine_jar").contains("engine"), "engine origin: " + forward);
        String prefix = "hairpin-bench-" + ProcessHandle.current().pid();
        assertFalse(Files.exists(Path.of("/var/run/dpdk", prefix)), "EAL runtime folder left behind");
    }

    /** Checks the line is one flat JSON object and returns its fields (values as written). */
    private static Map<String, String> parse(String line) {
        assertTrue(line.startsWith("{") && line.endsWith("}"), "not a JSON object: " + line);
        Map<String, String> fields = new LinkedHashMap<>();
        String body = line.substring(1, line.length() - 1);
        Matcher m = FIELD.matcher(body);
        int at = 0;
        while (m.find()) {
            assertEquals(at, m.start(), "malformed JSON at " + at + ": " + line);
            fields.put(m.group(1), m.group(2));
            at = m.end();
            if (at < body.length()) {
                assertEquals(',', body.charAt(at), "malformed JSON at " + at + ": " + line);
                at++;
            }
        }
        assertEquals(body.length(), at, "malformed JSON: " + line);
        return fields;
    }
}
