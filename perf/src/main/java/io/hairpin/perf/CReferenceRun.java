package io.hairpin.perf;

import io.hairpin.shim.Shim;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A scenario's C reference run, set up exactly as the engine's run ({@link Scenarios#engine}):
 * the same rig with a fresh prefill, the same frames, the same mirror (verifying), the same
 * opening of sessions, the same warm-up, window and measurement; only the worker is replaced by
 * {@link CReference}. Its figures go into the scenario's JSON line next to the engine's.
 */
final class CReferenceRun {

    private CReferenceRun() {
    }

    /** The run's measurement and its own figures (sessions, drops, mistranslated). */
    record Result(Measurement m, Map<String, Object> extra) {
    }

    /** Looks at the rig after the window, before its rings are drained (tests check the frames there). */
    interface Inspection {
        Object inspect(Rig rig);
    }

    static Result run(Setup s, Rig rig, Bench.Options o) {
        return run(s, rig, o, null);
    }

    static Result run(Setup s, Rig rig, Bench.Options o, Inspection inspection) {
        Flows walk = s.flows.get();
        Map<String, Object> x = new LinkedHashMap<>();
        Shim.hp_thread_register();
        try (Mirror mirror = s.mirror(rig, walk, true); CReference c = new CReference(s, rig)) {
            long[] first = c.counters();
            rig.prefill(s.startPort, (m, k) -> s.writeFrame(m, k, walk, rig.portMac));
            Scenarios.ForwardLoop loop = new Scenarios.ForwardLoop(c, mirror);
            long t0 = System.nanoTime();
            while (c.sessions() < s.openSessions) {
                loop.chunk();
                if (System.nanoTime() - t0 > Scenarios.OPEN_TIMEOUT_NANOS) {
                    throw new IllegalStateException("C reference: only " + c.sessions() + " of " + s.openSessions
                            + " sessions opened; drops: " + CReference.dropDetail(first, c.counters()));
                }
            }
            double openS = (System.nanoTime() - t0) / 1e9;
            if (s.scatter) {
                walk.scatter();
            }
            long[][] start = new long[1][];
            long[] misStart = new long[1];
            Scenarios.Window w = Scenarios.Window.measure(loop, c::forwarded, o, () -> {
                start[0] = c.counters();
                misStart[0] = mirror.mistranslated();
            });
            long[] end = c.counters();
            Measurement m = w.finish(rig, CReference.drops(start[0], end), 0);
            x.put("sessions", c.sessions());
            x.put("translated", end[CReference.TRANSLATED] - start[0][CReference.TRANSLATED]);
            x.put("sessions_created", end[CReference.SESSIONS_CREATED] - start[0][CReference.SESSIONS_CREATED]);
            x.put("sessions_expired", end[CReference.SESSIONS_EXPIRED] - start[0][CReference.SESSIONS_EXPIRED]);
            x.put("mistranslated", mirror.mistranslated() - misStart[0]);
            x.put("drop_detail", CReference.dropDetail(start[0], end));
            x.put("drops_before_window", CReference.drops(first, start[0]));
            if (s.openSessions > 0) {
                x.put("open_s", Bench.round(openS, 3));
            }
            if (inspection != null) {
                x.put("inspection", inspection.inspect(rig));
            }
            return new Result(m, x);
        } finally {
            rig.drain();
            Shim.hp_thread_unregister();
        }
    }

    /** Adds the C reference's figures to a scenario's JSON line (engine and harness as measured there). */
    static void addTo(Map<String, Object> json, Result c, Measurement engine, Measurement harness) {
        Measurement m = c.m();
        json.put("c_reference_mpps", Bench.round(m.mpps(), 3));
        json.put("c_reference_cycles_per_pkt", Bench.round(m.cyclesPerPacket(), 2));
        json.put("c_reference_cycles_per_pkt_on_cpu", Bench.round(m.cpuCyclesPerPacket(), 2));
        json.put("c_reference_engine_cycles_per_pkt",
                harness == null ? null : Bench.round(m.cyclesPerPacket() - harness.cyclesPerPacket(), 2));
        json.put("c_reference_engine_cycles_per_pkt_on_cpu",
                harness == null ? null : Bench.round(m.cpuCyclesPerPacket() - harness.cpuCyclesPerPacket(), 2));
        json.put("c_reference_mistranslated", c.extra().get("mistranslated"));
        json.put("ratio_to_c", m.mpps() > 0 ? Bench.round(engine.mpps() / m.mpps(), 3) : null);
        // the least disturbed half second of each: on a shared VM a neighbour's burst can cost
        // either run a fifth of its window, so this ratio is the steadier one
        json.put("c_reference_cycles_per_pkt_best_slice", Bench.round(m.sliceMinCycles(), 2));
        json.put("ratio_to_c_best_slice", Double.isNaN(engine.sliceMinCycles()) || Double.isNaN(m.sliceMinCycles())
                ? null : Bench.round(m.sliceMinCycles() / engine.sliceMinCycles(), 3));
        json.put("c_reference_packets", m.packets());
        json.put("c_reference_drops", m.drops());
        json.put("c_reference_lost", m.lost());
        json.put("c_reference_bad_checksums", m.badChecksums());
        json.put("c_reference_cpu_share", Bench.round(m.cpuShare(), 3));
        for (Map.Entry<String, Object> e : c.extra().entrySet()) {
            json.putIfAbsent("c_reference_" + e.getKey(), e.getValue());
        }
    }
}
