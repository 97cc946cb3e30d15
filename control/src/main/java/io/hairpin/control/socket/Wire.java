package io.hairpin.control.socket;

import io.hairpin.control.service.ControlService.ApplyResult;
import io.hairpin.control.service.ControlService.InterfaceStatus;
import io.hairpin.control.service.ControlService.Rules;
import io.hairpin.control.service.ControlService.Session;
import io.hairpin.control.service.ControlService.RuleStats;
import io.hairpin.control.service.ControlService.Stats;
import io.hairpin.control.service.ControlService.Status;
import io.hairpin.control.service.ControlService.TraceRecord;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The JSON shape of each {@link io.hairpin.control.service.ControlService} record, both ways: the server
 * encodes, the client decodes. Field names are the record components' names; every field is always
 * present (null where the record holds null). Written out here, not by reflection, so that the wire
 * format changes only when this file does.
 *
 * <p>Decoding is strict about types and names the field at fault: a {@link WireException} means the
 * other side does not speak this protocol (or a request is malformed).
 */
public final class Wire {

    private Wire() {
    }

    /** A JSON value of the wrong shape: a bad request on the server, a protocol error on the client. */
    public static final class WireException extends RuntimeException {
        public WireException(String message) {
            super(message);
        }
    }

    // ------------------------------------------------------------------ protocols

    /** The wire names of {@link io.hairpin.control.service.ControlService.SessionFilter#protocol()}. */
    public static int protocolNumber(String name) {
        return switch (name) {
            case "icmp" -> 1;
            case "tcp" -> 6;
            case "udp" -> 17;
            default -> throw new WireException("protocol must be tcp, udp or icmp, not \"" + name + "\"");
        };
    }

    /** The wire name of an IP protocol number, or null for 0 (any). */
    public static String protocolName(int number) {
        return switch (number) {
            case 0 -> null;
            case 1 -> "icmp";
            case 6 -> "tcp";
            case 17 -> "udp";
            default -> throw new WireException("protocol " + number + " is not tcp, udp or icmp");
        };
    }

    // ------------------------------------------------------------------ records → JSON

    public static Map<String, Object> status(Status s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", s.version());
        m.put("pid", s.pid());
        m.put("uptimeSeconds", s.uptimeSeconds());
        m.put("workers", s.workers());
        m.put("config", s.config());
        m.put("snapshotVersion", s.snapshotVersion());
        List<Object> interfaces = null;
        if (s.interfaces() != null) {
            interfaces = new ArrayList<>();
            for (InterfaceStatus i : s.interfaces()) {
                Map<String, Object> im = new LinkedHashMap<>();
                im.put("name", i.name());
                im.put("role", i.role());
                im.put("device", i.device());
                im.put("addresses", i.addresses());
                im.put("mac", i.mac());
                im.put("linkUp", i.linkUp());
                im.put("speedMbps", i.speedMbps());
                interfaces.add(im);
            }
        }
        m.put("interfaces", interfaces);
        m.put("sessions", s.sessions());
        m.put("sessionCapacity", s.sessionCapacity());
        m.put("hostServices", s.hostServices());
        return m;
    }

    public static Map<String, Object> stats(Stats s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ports", s.ports());
        m.put("workers", s.workers());
        m.put("events", s.events());
        m.put("sessions", s.sessions());
        List<Object> rules = new ArrayList<>();
        for (RuleStats r : s.rules()) {
            Map<String, Object> rm = new LinkedHashMap<>();
            rm.put("kind", r.kind());
            rm.put("number", r.number());
            rm.put("description", r.description());
            rm.put("packets", r.packets());
            rm.put("bytes", r.bytes());
            rm.put("sessions", r.sessions());
            rm.put("active", r.active());
            rules.add(rm);
        }
        m.put("rules", rules);
        return m;
    }

    public static Map<String, Object> rules(Rules r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("config", r.config());
        m.put("snapshotVersion", r.snapshotVersion());
        m.put("text", r.text());
        return m;
    }

    public static Map<String, Object> sessions(List<Session> sessions, int limit) {
        List<Object> list = new ArrayList<>();
        for (Session s : sessions) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("protocol", s.protocol());
            m.put("inside", s.inside());
            m.put("outside", s.outside());
            m.put("remote", s.remote());
            m.put("state", s.state());
            m.put("expiresInSeconds", s.expiresInSeconds());
            m.put("rule", s.rule());
            list.add(m);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sessions", list);
        m.put("limit", limit);
        return m;
    }

    public static Map<String, Object> applyResult(ApplyResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("applied", r.applied());
        m.put("snapshotVersion", r.snapshotVersion());
        m.put("errors", r.errors());
        m.put("warnings", r.warnings());
        return m;
    }

    public static Map<String, Object> trace(List<TraceRecord> records) {
        List<Object> list = new ArrayList<>();
        for (TraceRecord t : records) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("timestampNanos", t.timestampNanos());
            m.put("port", t.port());
            m.put("summary", t.summary());
            m.put("verdict", t.verdict());
            m.put("rule", t.rule());
            list.add(m);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("packets", list);
        return m;
    }

    // ------------------------------------------------------------------ JSON → records

    public static Status status(Map<String, Object> m) {
        List<InterfaceStatus> interfaces = null;
        List<Map<String, Object>> list = objects(m, "interfaces");
        if (list != null) {
            interfaces = new ArrayList<>();
            for (Map<String, Object> im : list) {
                interfaces.add(new InterfaceStatus(str(im, "name"), str(im, "role"), str(im, "device"),
                        strings(im, "addresses"), str(im, "mac"), bool(im, "linkUp"), num(im, "speedMbps")));
            }
        }
        return new Status(str(m, "version"), num(m, "pid"), num(m, "uptimeSeconds"), integer(m, "workers"),
                str(m, "config"), num(m, "snapshotVersion"), interfaces, num(m, "sessions"),
                num(m, "sessionCapacity"), strings(m, "hostServices"));
    }

    public static Stats stats(Map<String, Object> m) {
        Map<String, Map<String, Long>> ports = null;
        Map<String, Object> pm = object(m, "ports");
        if (pm != null) {
            ports = new LinkedHashMap<>();
            for (String port : pm.keySet()) {
                ports.put(port, counters(pm, port));
            }
        }
        List<Map<String, Long>> workers = null;
        List<Map<String, Object>> wl = objects(m, "workers");
        if (wl != null) {
            workers = new ArrayList<>();
            for (int i = 0; i < wl.size(); i++) {
                workers.add(countersOf(wl.get(i), "workers[" + i + "]"));
            }
        }
        List<RuleStats> rules = new ArrayList<>();
        List<Map<String, Object>> rl = objects(m, "rules");
        for (Map<String, Object> r : rl == null ? List.<Map<String, Object>>of() : rl) {
            rules.add(new RuleStats(str(r, "kind"), integer(r, "number"), str(r, "description"), num(r, "packets"),
                    num(r, "bytes"), num(r, "sessions"), num(r, "active")));
        }
        return new Stats(ports, workers, counters(m, "events"), num(m, "sessions"), rules);
    }

    public static Rules rules(Map<String, Object> m) {
        return new Rules(str(m, "config"), num(m, "snapshotVersion"), str(m, "text"));
    }

    public static List<Session> sessions(Map<String, Object> m) {
        List<Session> out = new ArrayList<>();
        List<Map<String, Object>> list = objects(m, "sessions");
        for (Map<String, Object> s : list == null ? List.<Map<String, Object>>of() : list) {
            out.add(new Session(str(s, "protocol"), str(s, "inside"), str(s, "outside"), str(s, "remote"),
                    str(s, "state"), num(s, "expiresInSeconds"), str(s, "rule")));
        }
        return out;
    }

    public static ApplyResult applyResult(Map<String, Object> m) {
        return new ApplyResult(bool(m, "applied"), num(m, "snapshotVersion"), strings(m, "errors"),
                strings(m, "warnings"));
    }

    public static List<TraceRecord> trace(Map<String, Object> m) {
        List<TraceRecord> out = new ArrayList<>();
        List<Map<String, Object>> list = objects(m, "packets");
        for (Map<String, Object> t : list == null ? List.<Map<String, Object>>of() : list) {
            out.add(new TraceRecord(num(t, "timestampNanos"), str(t, "port"), str(t, "summary"), str(t, "verdict"),
                    str(t, "rule")));
        }
        return out;
    }

    // ------------------------------------------------------------------ typed field access

    /** Rejects fields outside {@code allowed}: a misspelt option is an error, not silently ignored. */
    public static void onlyFields(Map<String, Object> m, Set<String> allowed, String what) {
        for (String k : m.keySet()) {
            if (!allowed.contains(k)) {
                throw new WireException("unknown field \"" + k + "\" for " + what);
            }
        }
    }

    /** A string field, or null when absent or null. */
    public static String str(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null || v instanceof String) {
            return (String) v;
        }
        throw wrongType(key, "a string", v);
    }

    /** An integer field (a JSON number without fraction that fits a long); absent or null is 0. */
    public static long num(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null) {
            return 0;
        }
        if (v instanceof Long l) {
            return l;
        }
        throw wrongType(key, "an integer", v);
    }

    /** An integer field that must fit an int. */
    public static int integer(Map<String, Object> m, String key) {
        long v = num(m, key);
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
            throw new WireException(key + " is out of range: " + v);
        }
        return (int) v;
    }

    /** A boolean field; absent or null is false. */
    public static boolean bool(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null) {
            return false;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        throw wrongType(key, "a boolean", v);
    }

    @SuppressWarnings("unchecked")
    public static Map<String, Object> object(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null || v instanceof Map) {
            return (Map<String, Object>) v;
        }
        throw wrongType(key, "an object", v);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> objects(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof List<?> list)) {
            throw wrongType(key, "an array", v);
        }
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof Map)) {
                throw wrongType(key + "[" + i + "]", "an object", list.get(i));
            }
        }
        return (List<Map<String, Object>>) v;
    }

    /** An array of strings, or null when absent or null. */
    public static List<String> strings(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v == null) {
            return null;
        }
        if (!(v instanceof List<?> list)) {
            throw wrongType(key, "an array of strings", v);
        }
        List<String> out = new ArrayList<>(list.size());
        for (int i = 0; i < list.size(); i++) {
            if (!(list.get(i) instanceof String s)) {
                throw wrongType(key + "[" + i + "]", "a string", list.get(i));
            }
            out.add(s);
        }
        return out;
    }

    /** An object of integer counters, or null when absent or null. */
    private static Map<String, Long> counters(Map<String, Object> m, String key) {
        Map<String, Object> o = object(m, key);
        return o == null ? null : countersOf(o, key);
    }

    private static Map<String, Long> countersOf(Map<String, Object> o, String key) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String k : o.keySet()) {
            Object v = o.get(k);
            if (!(v instanceof Long l)) {
                throw wrongType(key + "." + k, "an integer", v);
            }
            out.put(k, l);
        }
        return out;
    }

    private static WireException wrongType(String key, String expected, Object got) {
        return new WireException(key + " must be " + expected + ", not " + Json.typeName(got));
    }
}
