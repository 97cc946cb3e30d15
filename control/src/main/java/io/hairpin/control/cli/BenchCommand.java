package io.hairpin.control.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The benchmark runner (shared/spec/performance.md). It lives in perf/, not in this jar: the
 * launcher hands {@code hairpin bench ...} straight to perf/bench.sh, which builds the engine and
 * the benchmark, sets hugepages up and back as root, and runs them on JDK 25. This command is
 * how {@code hairpin --help} lists it, and does the same when the jar is run directly: every
 * argument after {@code bench}, {@code --help} included, goes to perf/bench.sh unchanged.
 */
@Command(name = "bench", description = {
        "Benchmark the engine (perf/bench.sh): one JSON line per scenario on stdout, a table on stderr.",
        "Arguments go to the runner unchanged: [SCENARIO...] [--mode capacity|generator] [--duration S] ...;"
                + " 'hairpin bench --help' lists them. Needs a Hairpin checkout (perf/); hugepages when root."})
public final class BenchCommand implements Callable<Integer> {
    @CommandLine.Unmatched
    List<String> args = new ArrayList<>();

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Path home = Path.of(System.getProperty("hairpin.home", "."));
        Path script = home.resolve("perf/bench.sh");
        if (!Files.isRegularFile(script)) {
            spec.commandLine().getErr().println("hairpin: the benchmark runner was not found at " + script.toAbsolutePath()
                    + "; run 'hairpin bench' from a Hairpin checkout (its perf/ directory).");
            return 1;
        }
        List<String> cmd = new ArrayList<>(List.of("bash", script.toString()));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).inheritIO().start();
        return p.waitFor();
    }
}
