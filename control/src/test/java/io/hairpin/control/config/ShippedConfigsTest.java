package io.hairpin.control.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The configs the repository ships are ones `hairpin check` accepts: the examples and the lab's
 * (which the lab tier also runs) without a warning, and the TRex lab's, which no test runs, with
 * only the warnings its runbook tells the operator to expect.
 */
final class ShippedConfigsTest {
    private static final Path ROOT = Path.of("..");

    static Stream<Path> deployConfigs() throws IOException {
        List<Path> files;
        try (Stream<Path> examples = Files.list(ROOT.resolve("deploy/examples"));
             Stream<Path> lab = Files.list(ROOT.resolve("deploy/lab"))) {
            files = Stream.concat(examples, lab).filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
        }
        assertTrue(files.size() >= 8, "the examples and the lab's configs: " + files);
        return files.stream();
    }

    @ParameterizedTest
    @MethodSource("deployConfigs")
    void everyExampleAndLabConfigPassesTheCheckWithoutAWarning(Path file) {
        LoadedConfig loaded = ConfigLoader.loadAndValidate(file);
        assertEquals(List.of(), loaded.warnings(), file.toString());
    }

    /** perf/trex/RUNBOOK.md, "2. Hairpin on the DUT": the public addresses lie outside wan's /24 on purpose. */
    @Test
    void theTrexConfigPassesWithTheWarningsItsRunbookExpects() {
        Path file = ROOT.resolve("perf/trex/hairpin-trex.yaml");
        LoadedConfig loaded = ConfigLoader.loadAndValidate(file);
        long outsideWan = loaded.warnings().stream()
                .filter(w -> w.message().contains("is not inside a connected prefix of interface 'wan'")).count();
        long sharedStaticPort = loaded.warnings().stream()
                .filter(w -> w.message().contains("share one public address 198.18.129.1")).count();
        assertEquals(3, outsideWan, "the 1:1 address and the two pools: " + loaded.warnings());
        assertEquals(1, sharedStaticPort, "the static-port rule's 10.4.0.0/16: " + loaded.warnings());
        assertEquals(4, loaded.warnings().size(), "no other warning: " + loaded.warnings());
    }
}
