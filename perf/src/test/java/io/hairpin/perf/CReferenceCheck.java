package io.hairpin.perf;

import io.hairpin.shim.Eal;
import io.hairpin.shim.Mbuf;
import io.hairpin.shim.Mem;
import io.hairpin.shim.Ring;
import io.hairpin.shim.Shim;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
        Bench.Options shortRun = Bench.Options.parse(new String[] {"--duration", "0.3", "--warmup", "0.1", "--packets",
                "256", "--max-sessions", "1m", "forward"});
        // napt-cps keeps its own table (Setup.CPS_MAX_SESSIONS, 2 s of new sessions at 4 M/s): with
        // 1 m and its 1 s timeout, a quiet machine fills the table before the first session expires
        Bench.Options shortCps = Bench.Options.parse(new String[] {"--duration", "0.3", "--warmup", "0.1", "--packets",
                "256", "forward"});
        try (Rig rig = new Rig(shortRun.packets())) {
            for (String arg : tokens) {
                // TOKEN@SECONDS: a longer window (expiry needs more than napt-cps's 1 s timeout)
                int at = arg.indexOf('@');
                String token = at < 0 ? arg : arg.substring(0, at);
                Bench.Options o = at >= 0 ? Bench.Options.parse(new String[] {"--duration", arg.substring(at + 1),
                        "--warmup", "0.1", "--packets", "256", "forward"})
                        : token.startsWith("napt-cps") ? shortCps : shortRun;
                Setup s = Bench.setup(Bench.Options.canonical(token), o);
                String why = CReference.unsupported(s);
                if (why != null) {
                    System.out.println("check " + arg + " unsupported=" + why.replace(' ', '_'));
                    continue;
                }
                CReferenceRun.Result r = Scenarios.inThread(token + "-cref",
                        () -> CReferenceRun.run(s, rig, o, g -> inspect(token, g)));
                Measurement m = r.m();
                Map<String, Object> x = r.extra();
                System.out.println("check " + arg + " packets=" + m.packets() + " bad_checksums=" + m.badChecksums()
                        + " lost=" + m.lost() + " drops=" + m.drops() + " mistranslated=" + x.get("mistranslated")
                        + " drops_before_window=" + x.get("drops_before_window") + " translated=" + x.get("translated")
                        + " sessions=" + x.get("sessions") + " created=" + x.get("sessions_created") + " expired="
                        + x.get("sessions_expired") + " open_sessions=" + s.openSessions + " in_flight="
                        + rig.inFlight + " drop_detail=" + x.get("drop_detail") + " " + x.get("inspection"));
            }
        } finally {
            Eal.cleanup();
            Eal.deleteRuntimeDir(Eal.runtimeDir(prefix));
        }
        System.out.flush();
        System.exit(0);
    }

    /**
     * Looks at every frame left in the rings (both directions of every port) and counts those
     * whose addresses and ports are not what the scenario's topology allows on that side: nothing
     * from the inside (10.0.0.0/16) on the WAN side, and for the scenarios whose mirror only swaps
     * (so never checks), each side's exact pairs. Returns "frames=N unexpected=M".
     */
    static String inspect(String token, Rig rig) {
        int frames = 0;
        int unexpected = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment objs = arena.allocate(ValueLayout.JAVA_LONG, rig.ringSize);
            for (int p = 0; p < 2; p++) {
                for (Ring ring : new Ring[] {rig.rx[p], rig.tx[p]}) {
                    int n = Shim.hp_ring_dequeue_burst(ring.segment(), objs, rig.ringSize);
                    for (int i = 0; i < n; i++) {
                        long ip = Mbuf.data(objs.getAtIndex(ValueLayout.JAVA_LONG, i)) + Frames.ETH_LEN;
                        frames++;
                        if (!allowed(token, p, Mem.i32(ip + 12), Mem.i32(ip + 16), Mem.u16(ip + 20), Mem.u16(ip + 22))) {
                            unexpected++;
                        }
                    }
                    Shim.hp_ring_enqueue_burst(ring.segment(), objs, n);
                }
            }
        }
        return "frames=" + frames + " unexpected=" + unexpected;
    }

    private static boolean allowed(String token, int port, int src, int dst, int sport, int dport) {
        if (port == Rig.WAN && !token.equals("forward") && (inside(src) || inside(dst))) {
            return false;
        }
        return switch (token) {
            case "binat:1", "imix" -> port == Rig.WAN ? pair(src, dst, Setup.BINAT_BASE) : pair(src, dst, Setup.HOST_BASE);
            case "pfwd" -> port == Rig.WAN
                    ? pairWithPort(src, dst, sport, dport, Setup.WAN_ADDRESS, 8080, clientsOnline(src, dst))
                    : pairWithPort(src, dst, sport, dport, Setup.PFWD_SERVER, 80, clientsOnline(src, dst));
            case "hairpin:napt" -> port == Rig.LAN
                    && (pairWithPort(src, dst, sport, dport, Setup.HAIRPIN_PUBLIC, 80, inside(src) || inside(dst))
                    || pairWithPort(src, dst, sport, dport, Setup.HAIRPIN_SERVER, 80,
                            src == Setup.POOL_BASE || dst == Setup.POOL_BASE));
            case "hairpin:binat" -> port == Rig.LAN
                    && (pairWithPort(src, dst, sport, dport, Setup.HAIRPIN_PUBLIC, 80, inside(src) || inside(dst))
                    || pairWithPort(src, dst, sport, dport, Setup.HAIRPIN_SERVER, 80,
                            (src >>> 8) == (Setup.HAIRPIN_CLIENT_BASE >>> 8) || (dst >>> 8) == (Setup.HAIRPIN_CLIENT_BASE >>> 8)));
            default -> true; // the mirror checks the rest (ROTATE, CROSS) or there is no NAT (forward)
        };
    }

    private static boolean inside(int a) {
        return (a >>> 16) == (Setup.INSIDE >>> 16);
    }

    private static boolean server(int a) {
        return a - Setup.SERVER_BASE >= 0 && a - Setup.SERVER_BASE < Setup.SERVERS;
    }

    /** One end is the given address, the other one of the Internet servers. */
    private static boolean pair(int src, int dst, int address) {
        return (src == address && server(dst)) || (dst == address && server(src));
    }

    private static boolean clientsOnline(int src, int dst) {
        return (src >>> 8) == (Setup.INTERNET_CLIENTS >>> 8) || (dst >>> 8) == (Setup.INTERNET_CLIENTS >>> 8);
    }

    /** One end is address:port, and the other end is what otherEnd says. */
    private static boolean pairWithPort(int src, int dst, int sport, int dport, int address, int port, boolean otherEnd) {
        return otherEnd && ((src == address && sport == port) || (dst == address && dport == port));
    }
}
