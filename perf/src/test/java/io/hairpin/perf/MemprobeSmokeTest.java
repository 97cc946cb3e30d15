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
 * Runs memprobe (built by this module's make) on a 4 MiB table for one round, and in its split,
 * pattern, overlap and layout modes, and checks each line is well-formed. Says nothing about this
 * machine's figures, only that they are figures of the right kind: a load that waits for the
 * previous one costs more than a load that does not.
 */
class MemprobeSmokeTest {
    private static final Pattern FIELD = Pattern.compile("\"([a-z_0-9]+)\":(\"[^\"]*\"|-?[0-9.]+)");

    @Test
    void printsOneWellFormedLineWhereADependentLoadCostsMoreThanAnIndependentOne() throws Exception {
        Map<String, String> j = run("4", "0", "1");
        assertEquals("4", j.get("mib"));
        assertTrue(List.of("\"2MiB-hugetlb\"", "\"4KiB+THP-advised\"").contains(j.get("pages")), j.toString());
        for (String key : List.of("chase_ns", "stream_ns_per_line", "lookup_batched_ns", "lookup_one_at_a_time_ns",
                "lookup_pipelined_ns", "lookup_staged_loads_ns")) {
            assertTrue(Double.parseDouble(j.get(key)) > 0, key + " in " + j);
        }
        assertTrue(Double.parseDouble(j.get("chase_ns")) > Double.parseDouble(j.get("stream_ns_per_line")),
                "a chase's loads wait for each other, a stream's do not: " + j);
    }

    @Test
    void splitModeTimesAnIndexAndRecordsOfTheSizesAsked() throws Exception {
        Map<String, String> j = run("split", "2", "4", "0", "1");
        assertEquals("2", j.get("index_mib"));
        assertEquals("4", j.get("record_mib"));
        assertTrue(Double.parseDouble(j.get("split_lookup_ns")) > 0, j.toString());
    }

    @Test
    void patternModeTimesEachPartOfABigTablesLookUp() throws Exception {
        Map<String, String> j = run("pattern", "2", "4", "0", "1");
        assertEquals("2", j.get("index_mib"));
        assertEquals("4", j.get("record_mib"));
        for (String key : List.of("read_ns", "write_ns", "write_next_s1_ns", "write_next_s3_ns")) {
            assertTrue(Double.parseDouble(j.get(key)) > 0, key + " in " + j);
        }
    }

    @Test
    void overlapModeTimesEachScheduleAndTheWorkAloneForEveryAmountOfWork() throws Exception {
        Map<String, String> j = run("overlap", "2", "4", "0", "1");
        assertEquals("2", j.get("index_mib"));
        assertEquals("4", j.get("record_mib"));
        for (int steps : new int[] {0, 8, 16, 32}) {
            for (String schedule : List.of("batched", "pipelined", "interleaved", "work_alone")) {
                String key = "steps" + steps + "_" + schedule + "_ns";
                assertTrue(Double.parseDouble(j.get(key)) > 0, key + " in " + j);
            }
        }
        // the work is really done: 32 dependent multiplies a look-up cost more than none
        assertTrue(Double.parseDouble(j.get("steps32_work_alone_ns")) > Double.parseDouble(j.get("steps0_work_alone_ns")),
                j.toString());
    }

    @Test
    void layoutModePacksRecordsSoThatThoseNotDividingALineSpanTwo() throws Exception {
        // worked by hand: of four 48-byte records from a line's start, the 2nd (48..95) and the 3rd
        // (96..143) cross a line; of eight 24-byte records, the 3rd (48..71) and the 6th (120..143)
        Map<String, String> j = run("layout", "100000", "2", "48", "0", "1");
        assertEquals("100000", j.get("sessions"));
        assertEquals("2", j.get("index_mib"));
        assertEquals("48", j.get("record_bytes"));
        assertEquals(100000 * 48 / 1048576.0, Double.parseDouble(j.get("record_mib")), 0.05, j.toString());
        assertEquals("50.0", j.get("straddling_pct"), j.toString());
        assertTrue(Double.parseDouble(j.get("layout_lookup_ns")) > 0, j.toString());
        assertEquals("25.0", run("layout", "100000", "2", "24", "0", "1").get("straddling_pct"));
        assertEquals("0.0", run("layout", "100000", "2", "64", "0", "1").get("straddling_pct"));
    }

    @Test
    void layoutModeRefusesARecordSizeOutOfItsRangeAndAWrongArgumentCount() throws Exception {
        for (List<String> args : List.of(List.of("layout", "1000", "2", "12", "0", "1"),
                List.of("layout", "1000", "2", "136", "0", "1"), List.of("layout", "1000", "2", "44", "0", "1"),
                List.of("layout", "1000", "3", "48", "0", "1"), List.of("layout", "0", "2", "48", "0", "1"),
                List.of("layout", "1000", "2", "48", "0"))) {
            Exit e = memprobe(10, args.toArray(String[]::new));
            assertEquals(2, e.code(), args + ": " + e.output());
            assertTrue(e.output().contains(args.size() == 6 ? "RECORD_BYTES a multiple of 8" : "usage:"),
                    args + ": " + e.output());
        }
    }

    @Test
    void twoTableModesRefuseSizesThatAreNotPowersOfTwoAndAWrongArgumentCount() throws Exception {
        for (List<String> args : List.of(List.of("split", "3", "4", "0", "1"), List.of("split", "2", "0", "0", "1"),
                List.of("split", "2", "4", "0"), List.of("pattern", "3", "4", "0", "1"),
                List.of("pattern", "2", "6", "0", "1"), List.of("pattern", "2", "4", "0"),
                List.of("overlap", "2", "5", "0", "1"), List.of("overlap", "2", "4", "0", "1", "9"))) {
            Exit e = memprobe(10, args.toArray(String[]::new));
            assertEquals(2, e.code(), args + ": " + e.output());
            assertTrue(e.output().contains(args.size() == 5 ? "powers of two" : "usage:"), args + ": " + e.output());
        }
    }

    @Test
    void refusesASizeThatIsNotAPowerOfTwo() throws Exception {
        Exit e = memprobe(10, "3", "0", "1");
        assertEquals(2, e.code(), e.output());
        assertTrue(e.output().contains("power of two"), e.output());
    }

    /** Runs memprobe with these arguments; its one line's fields. */
    private static Map<String, String> run(String... args) throws Exception {
        Exit e = memprobe(60, args);
        List<String> lines = e.output().lines().toList();
        assertEquals(0, e.code(), "memprobe failed: " + lines);
        assertEquals(1, lines.size(), "one line: " + lines);
        Map<String, String> j = new HashMap<>();
        Matcher m = FIELD.matcher(lines.get(0));
        while (m.find()) {
            j.put(m.group(1), m.group(2));
        }
        return j;
    }

    /** How a run of memprobe ended: its exit code and what it printed (stdout and stderr). */
    private record Exit(int code, String output) {
    }

    /** Runs memprobe (built by this module's make) with these arguments, for at most the seconds given. */
    private static Exit memprobe(int seconds, String... args) throws Exception {
        Path bin = Path.of("target", "c-obj", "memprobe");
        assertTrue(Files.isExecutable(bin), bin.toAbsolutePath() + " was not built");
        List<String> command = new ArrayList<>(List.of(bin.toString()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        // waits first, so that a hung memprobe fails the test: what it prints (a line) fits the pipe
        assertTrue(p.waitFor(seconds, TimeUnit.SECONDS), "memprobe did not finish in " + seconds + " s");
        return new Exit(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }
}
