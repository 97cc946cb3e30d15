package io.hairpin.control.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code hairpin bench}: listed by --help, and handed to perf/bench.sh with its arguments untouched. */
class BenchCommandTest {
    @TempDir
    Path home;

    record Run(int exit, String out, String err) {
    }

    private static Run inProcess(Path hairpinHome, String... args) {
        String before = System.getProperty("hairpin.home");
        System.setProperty("hairpin.home", hairpinHome.toString());
        try {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            CommandLine cl = HairpinCli.commandLine();
            cl.setOut(new PrintWriter(out, true));
            cl.setErr(new PrintWriter(err, true));
            int exit = cl.execute(args);
            return new Run(exit, out.toString(), err.toString());
        } finally {
            if (before == null) {
                System.clearProperty("hairpin.home");
            } else {
                System.setProperty("hairpin.home", before);
            }
        }
    }

    @Test
    void helpListsBench() {
        Run r = inProcess(home, "--help");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.trim().startsWith("bench ") && l.contains("Benchmark the engine")),
                r.out());
    }

    @Test
    void everyArgumentGoesToPerfBenchShUnchangedAndItsExitCodeComesBack() throws Exception {
        Path perf = Files.createDirectories(home.resolve("perf"));
        Path got = home.resolve("args.txt");
        Files.writeString(perf.resolve("bench.sh"), "printf '%s\\n' \"$@\" > '" + got + "'\nexit 3\n");
        List<String> args = List.of("rule-swap", "imix", "--mode", "generator", "--duration", "3", "--help");
        String[] cli = new String[args.size() + 1];
        cli[0] = "bench";
        for (int i = 0; i < args.size(); i++) {
            cli[i + 1] = args.get(i);
        }
        Run r = inProcess(home, cli);
        assertEquals(3, r.exit(), r.err());
        assertEquals(args, Files.readAllLines(got));
    }

    @Test
    void withoutPerfItSaysWhereItLooked() {
        Run r = inProcess(home, "bench", "forward");
        assertEquals(1, r.exit());
        assertTrue(r.err().startsWith("hairpin: the benchmark runner was not found at " + home.resolve("perf/bench.sh")),
                r.err());
    }

    /** The launcher hands bench to perf/bench.sh before building anything; its --help needs no build or JVM. */
    @Test
    void launcherRunsTheBenchmarkRunnersHelp() throws Exception {
        Path launcher = Path.of("..", "deploy", "hairpin").toAbsolutePath().normalize();
        Process p = new ProcessBuilder("bash", launcher.toString(), "bench", "--help").start();
        p.getOutputStream().close();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("hairpin bench --help did not exit within 30 s");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), err);
        assertTrue(out.contains("perf/bench.sh [SCENARIO[:VARIANT]...]"), out);
        assertTrue(out.contains("rule-swap") && out.contains("imix"), out);
        assertEquals("", err);
    }
}
