package io.hairpin.perf;

import io.hairpin.shim.Eal;
import java.util.List;
import java.util.Map;

/**
 * Runs the C reference of each scenario given for a moment on 4 KiB pages and prints one line of
 * figures per scenario ("check TOKEN key=value ..."). {@link CReferenceTest} runs it in a JVM of
 * its own, because DPDK can be initialised once per process and BenchSmokeTest does it in the
 * test JVM.
 */
final class CReferenceCheck {
    private CReferenceCheck() {
    }

    public static void main(String[] tokens) throws Exception {
        String prefix = "hairpin-cref-test-" + ProcessHandle.current().pid();
        Eal.init(List.of("--no-pci", "--file-prefix", prefix, "-l", "0", "--log-level", "*:error", "--no-telemetry",
                "--no-huge", "-m", "512"));
        Bench.Options o = Bench.Options.parse(new String[] {"--duration", "0.3", "--warmup", "0.1", "--packets", "256",
                "--max-sessions", "1m", "forward"});
        try (Rig rig = new Rig(o.packets())) {
            for (String token : tokens) {
                Setup s = Bench.setup(Bench.Options.canonical(token), o);
                String why = CReference.unsupported(s);
                if (why != null) {
                    System.out.println("check " + token + " unsupported=" + why.replace(' ', '_'));
                    continue;
                }
                CReferenceRun.Result r = Scenarios.inThread(token + "-cref", () -> CReferenceRun.run(s, rig, o));
                Measurement m = r.m();
                Map<String, Object> x = r.extra();
                System.out.println("check " + token + " packets=" + m.packets() + " bad_checksums=" + m.badChecksums()
                        + " lost=" + m.lost() + " drops=" + m.drops() + " mistranslated=" + x.get("mistranslated")
                        + " drops_before_window=" + x.get("drops_before_window") + " translated=" + x.get("translated")
                        + " sessions=" + x.get("sessions") + " open_sessions=" + s.openSessions + " in_flight="
                        + rig.inFlight + " drop_detail=" + x.get("drop_detail"));
            }
        } finally {
            Eal.cleanup();
        }
        System.out.flush();
        System.exit(0);
    }
}
