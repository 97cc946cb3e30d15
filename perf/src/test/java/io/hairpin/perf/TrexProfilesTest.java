package io.hairpin.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The TRex profiles, which no test can run against TRex (it is not installed here), still load:
 * perf/trex/check_profiles.py compiles each, finds the entry point TRex calls, feeds its
 * tunables the runbook's values and out-of-range ones, and checks that make_config.py wrote
 * the shipped hairpin-trex.yaml.
 */
class TrexProfilesTest {
    private static final List<String> CHECKED = List.of("stl_binat.py", "stl_pfwd.py", "stl_napt_established.py",
            "stl_hairpin.py", "astf_napt_cps.py", "make_config.py");

    @Test
    void everyProfileAndTheConfigMakerPassTheirChecks() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("python3", "trex/check_profiles.py").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "check_profiles.py did not finish: " + out);
        assertEquals(0, p.exitValue(), out);
        for (String name : CHECKED) {
            assertTrue(out.lines().anyMatch(l -> l.matches("ok\\s+" + name.replace(".", "\\.") + "\\s.*")),
                    name + " not checked: " + out);
        }
    }
}
