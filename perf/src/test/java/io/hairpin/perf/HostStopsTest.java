package io.hairpin.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link HostStops} against a known stop: stopprobe (the C tool, built by this module's make)
 * spinning on the same CPU takes about half of it, in scheduler slices of a millisecond or more.
 */
class HostStopsTest {
    @Test
    void aSecondSpinnerOnItsCpuShowsAsHalfTheTimeStopped() throws Exception {
        Path bin = Path.of("target", "c-obj", "stopprobe");
        assertTrue(Files.isExecutable(bin), bin.toAbsolutePath() + " was not built");
        Process rival = new ProcessBuilder(bin.toString(), "1.5", "0").redirectErrorStream(true).start();
        try {
            HostStops.Figures f = onCpu0(() -> {
                Thread.sleep(100); // the rival has started spinning
                return HostStops.measure(1, HostStops.THRESHOLD_NS);
            });
            assertTrue(f.stoppedShare() > 0.25, f.toString());
            assertTrue(f.longestUs() > 200, f.toString());
            assertTrue(f.lateShare() > 0.1 && f.lateShare() <= f.stoppedShare(), f.toString());
            assertTrue(f.lateOverOnePerMille(), f.toString());
            assertEquals(f.lateShare(), (Double) f.json().get("dut_cpu_late_share_20us"), 1e-6);
            assertTrue(f.describe(0).contains("no p99.9 within it"), f.describe(0));
        } finally {
            assertTrue(rival.waitFor(10, TimeUnit.SECONDS));
            rival.destroyForcibly();
        }
    }

    @Test
    void itsFiguresAreSharesOfTheRunItMeasured() throws Exception {
        HostStops.Figures f = onCpu0(() -> HostStops.measure(0.2, HostStops.THRESHOLD_NS));
        assertEquals(0.2, f.seconds(), 0.05, f.toString());
        assertTrue(0 <= f.lateShare() && f.lateShare() <= f.stoppedShare() && f.stoppedShare() <= 1, f.toString());
        assertTrue(f.stops() == 0 ? f.longestUs() == 0 : f.longestUs() > 1, f.toString());
        assertEquals(f.lateShare() > 0.001, f.lateOverOnePerMille(), f.toString());
    }

    private static HostStops.Figures onCpu0(Callable<HostStops.Figures> body) throws Exception {
        return Scenarios.inThread("host-stops-test", () -> {
            DutMaker.pin(0);
            return body.call();
        });
    }
}
