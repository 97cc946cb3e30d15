package io.hairpin.control.cli;

import io.hairpin.control.service.ControlService.RuleStats;
import io.hairpin.control.service.ControlService.Stats;
import io.hairpin.control.socket.ControlClient;
import io.hairpin.control.socket.Wire;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;

@Command(name = "stats", description = "Show the counters: per port, per worker (core), per NAT rule, and events and"
        + " drops by reason.")
public final class StatsCommand extends ClientCommand {

    @Override
    int run(ControlClient client, PrintWriter out, PrintWriter err) {
        Map<String, Object> result = client.call("stats", Map.of());
        if (printedJson(result, out)) {
            return 0;
        }
        Stats s = Wire.stats(result);
        if (s.ports() != null && !s.ports().isEmpty()) {
            out.println("ports");
            counters(new ArrayList<>(s.ports().keySet()), new ArrayList<>(s.ports().values())).print(out, "  ");
        }
        if (s.workers() != null && !s.workers().isEmpty()) {
            out.println("workers");
            List<String> names = new ArrayList<>();
            for (int i = 0; i < s.workers().size(); i++) {
                names.add("worker " + i);
            }
            counters(names, s.workers()).print(out, "  ");
        }
        if (!s.rules().isEmpty()) {
            out.println("rules");
            Columns t = new Columns("RULE", "PACKETS", "BYTES", "SESSIONS", "ACTIVE").right(1, 2, 3, 4);
            for (RuleStats r : s.rules()) {
                t.add(r.label(), r.packets(), r.bytes(), r.sessions(), r.active());
            }
            t.print(out, "  ");
        }
        if (s.events() != null && !s.events().isEmpty()) {
            out.println("events");
            Columns t = new Columns("EVENT", "COUNT").right(1);
            s.events().forEach(t::add);
            t.print(out, "  ");
        }
        out.println("sessions  " + s.sessions());
        return 0;
    }

    /** One row per counter name (in order of first appearance), one column per source. */
    private static Columns counters(List<String> sources, List<Map<String, Long>> values) {
        Set<String> names = new LinkedHashSet<>();
        for (Map<String, Long> m : values) {
            if (m != null) {
                names.addAll(m.keySet());
            }
        }
        String[] header = new String[sources.size() + 1];
        header[0] = "COUNTER";
        int[] right = new int[sources.size()];
        for (int i = 0; i < sources.size(); i++) {
            header[i + 1] = sources.get(i);
            right[i] = i + 1;
        }
        Columns t = new Columns(header).right(right);
        for (String name : names) {
            Object[] row = new Object[sources.size() + 1];
            row[0] = name;
            for (int i = 0; i < sources.size(); i++) {
                Map<String, Long> m = values.get(i);
                row[i + 1] = m == null ? null : m.get(name);
            }
            t.add(row);
        }
        return t;
    }
}
