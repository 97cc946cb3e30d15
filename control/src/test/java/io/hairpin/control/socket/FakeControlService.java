package io.hairpin.control.socket;

import io.hairpin.control.service.ControlService;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A ControlService that returns fixed records and remembers what it was asked: the socket's tests test
 * the socket, not the data plane. {@link #failWith} makes every call throw.
 */
public final class FakeControlService implements ControlService {

    public static final Status STATUS = new Status("0.1.0", 4242, 3 * 86400 + 4 * 3600 + 5 * 60 + 6, 2,
            "/etc/hairpin/hairpin.yaml", 3,
            List.of(new InterfaceStatus("wan", "external", "0000:01:00.0", List.of("203.0.113.1/24", "203.0.113.2/24"),
                            "02:00:00:00:00:01", true, 10_000),
                    new InterfaceStatus("lan", "internal", "net_tap1", List.of("192.168.1.1/24"), null, false, 0)),
            17, 1_000_000, List.of("*:22", "192.168.1.1:80"));

    public static final Stats STATS;

    static {
        Map<String, Map<String, Long>> ports = new LinkedHashMap<>();
        ports.put("0000:01:00.0", ordered("rx_packets", 1000L, "tx_packets", 900L, "rx_missed", 0L));
        ports.put("net_tap1", ordered("rx_packets", 12345678901L, "tx_packets", 5L));
        STATS = new Stats(ports, List.of(ordered("polls", 10L, "packets", 20L), ordered("polls", 11L, "packets", 0L)),
                ordered("drop.ttl", 2L, "nat.session.new", 17L, "rule.web-1to1", 99L), 17,
                List.of(new ControlService.RuleStats("1:1", 1, "server", 12, 3456, 0, 0),
                        new ControlService.RuleStats("port-forward", 3, "", 7, 700, 2, 1)));
    }

    public static final Rules RULES = new Rules("/etc/hairpin/hairpin.yaml", 3,
            "1:1 NAT\n  EXTERNAL        INTERNAL\n  203.0.113.15    10.3.1.15\n");

    public static final List<Session> SESSIONS = List.of(
            new Session("tcp", "10.3.1.15:44321", "203.0.113.15:44321", "198.51.100.7:443", "established", 7440,
                    "1:1 #1 web"),
            new Session("udp", "10.3.1.16:5353", "203.0.113.1:61000", "198.51.100.9:53", "new", 29, "outbound #2"),
            new Session("icmp", "10.3.1.15:7", "203.0.113.15:7", "198.51.100.7", null, 5, "-"));

    public static final ApplyResult APPLIED = new ApplyResult(true, 4, List.of(),
            List.of("/etc/h.yaml:3:5: warning: 10.3.1.15 and 10.3.1.16 share 203.0.113.15"));

    public static final ApplyResult REJECTED = new ApplyResult(false, 3,
            List.of("/etc/h.yaml:4:63: interfaces[1].addresses[0]: not an address", "/etc/h.yaml:9:1: unknown key"),
            List.of());

    public static final List<TraceRecord> TRACE = List.of(
            new TraceRecord(1_000_000_000L, "wan", "203.0.113.9:5000 > 203.0.113.15:443 tcp syn", "translated",
                    "1:1 203.0.113.15 = 10.3.1.15"),
            new TraceRecord(1_000_250_000L, "lan", "10.3.1.15:443 > 203.0.113.9:5000 tcp syn-ack", "translated",
                    "1:1 203.0.113.15 = 10.3.1.15"),
            new TraceRecord(1_002_000_000L, "wan", "198.51.100.1 > 203.0.113.1 icmp echo", "local", null));

    /** What the calls were asked, as text, in order ("sessions SessionFilter[...] 5"). */
    public final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    public volatile RuntimeException failWith;
    public volatile ApplyResult applyResult = APPLIED;
    /** How long trace() takes (so tests can hold a client in the WORKING phase). */
    public volatile long traceMillis;

    private static Map<String, Long> ordered(Object... kv) {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], (Long) kv[i + 1]);
        }
        return m;
    }

    private void call(String what) {
        calls.add(what);
        RuntimeException e = failWith;
        if (e != null) {
            throw e;
        }
    }

    @Override
    public Status status() {
        call("status");
        return STATUS;
    }

    @Override
    public Stats stats() {
        call("stats");
        return STATS;
    }

    @Override
    public Rules rules() {
        call("rules");
        return RULES;
    }

    @Override
    public List<Session> sessions(SessionFilter filter, int limit) {
        call("sessions " + filter + " " + limit);
        return SESSIONS.subList(0, Math.min(limit, SESSIONS.size()));
    }

    @Override
    public int flushSessions(SessionFilter filter) {
        call("flush " + filter);
        return 2;
    }

    @Override
    public ApplyResult apply(Path config) {
        call("apply " + config);
        return applyResult;
    }

    @Override
    public List<TraceRecord> trace(int n, long timeoutMillis) {
        call("trace " + n + " " + timeoutMillis);
        if (traceMillis > 0) {
            try {
                Thread.sleep(traceMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return TRACE.subList(0, Math.min(n, TRACE.size()));
    }

    @Override
    public String publicAddressOf(String host) {
        call("myip " + host);
        return host.startsWith("10.3.1.") ? "203.0.113." + host.substring("10.3.1.".length()) : null;
    }

    @Override
    public List<String> cpnat(String host) {
        call("cpnat " + host);
        return host.equals("10.3.1.15") ? List.of("10.3.1.15 203.0.113.15", "10.3.1.115 203.0.113.115") : List.of();
    }
}
