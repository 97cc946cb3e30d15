package io.hairpin.control.appliance;

import io.hairpin.control.config.Ipv4;
import io.hairpin.control.config.NatSettings;
import io.hairpin.control.service.ControlService;
import io.hairpin.engine.Engine;
import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.RuleCounts;
import io.hairpin.engine.SessionView;
import io.hairpin.engine.TraceEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What the control plane asks of a running engine beyond its counters and snapshot: the rule swap,
 * the session table and packet tracing, in the control service's terms. A seam so that the apply
 * logic can be tested with an engine that refuses or fails on cue.
 */
interface EngineOps {

    /**
     * Swaps in the rules of config; returns the new snapshot's version.
     *
     * @throws IllegalArgumentException when the change needs a restart (nothing changed)
     * @throws IllegalStateException    when the workers did not confirm in time (the rules may be published)
     */
    long apply(EngineConfig config, long timeoutMillis);

    long sessionCount();

    /** Sessions matching filter; rules (the config in force) name the rules that opened them. */
    List<ControlService.Session> sessions(ControlService.SessionFilter filter, int limit, NatSettings rules);

    int flushSessions(ControlService.SessionFilter filter);

    /** Traces the next n packets; rules (the config in force) name the NAT rules by their place in it. */
    List<ControlService.TraceRecord> trace(int n, long timeoutMillis, NatSettings rules);

    /** The operations of a running engine. */
    static EngineOps of(Engine engine) {
        return new EngineOps() {
            @Override
            public long apply(EngineConfig config, long timeoutMillis) {
                return engine.apply(config, timeoutMillis);
            }

            @Override
            public long sessionCount() {
                return engine.sessionCount();
            }

            @Override
            public List<ControlService.Session> sessions(ControlService.SessionFilter filter, int limit,
                                                         NatSettings rules) {
                EnabledRules names = EnabledRules.of(rules);
                return engine.sessions(address(filter), filter.protocol(), limit).stream().map(v -> session(v, names))
                        .toList();
            }

            @Override
            public int flushSessions(ControlService.SessionFilter filter) {
                return engine.flushSessions(address(filter), filter.protocol());
            }

            @Override
            public List<ControlService.TraceRecord> trace(int n, long timeoutMillis, NatSettings rules) {
                EnabledRules names = EnabledRules.of(rules);
                return engine.trace(n, timeoutMillis).stream().map(e -> traceRecord(e, names)).toList();
            }
        };
    }

    /** The filter's address as the engine takes it: 0 = any. */
    private static int address(ControlService.SessionFilter filter) {
        String a = filter.address();
        if (a == null || a.isBlank()) {
            return 0;
        }
        if (!Ipv4.isValid(a.trim())) {
            throw new IllegalArgumentException("'" + a + "' is not an IPv4 address.");
        }
        return Ipv4.parse(a.trim());
    }

    /** A session, named by the rule that opened it ("-" when rules have none such). */
    static ControlService.Session session(SessionView v, EnabledRules rules) {
        String proto = switch (v.protocol()) {
            case 6 -> "tcp";
            case 17 -> "udp";
            case 1 -> "icmp";
            default -> Integer.toString(v.protocol());
        };
        boolean ports = v.protocol() == 6 || v.protocol() == 17;
        String state = v.protocol() == 6 ? v.tcpStateName() : "-";
        return new ControlService.Session(proto, endpoint(v.insideIp(), v.insidePort(), ports, v.protocol()),
                endpoint(v.outsideIp(), v.outsidePort(), ports, v.protocol()),
                endpoint(v.remoteIp(), v.remotePort(), ports, v.protocol()), state,
                (v.expiresInMillis() + 999) / 1000, v.rule() == null ? "-" : Objects.requireNonNullElse(
                        rules.name(v.rule()), "-"));
    }

    /** "a.b.c.d:port" for TCP and UDP, "a.b.c.d id N" for an ICMP query's identifier, else the address. */
    private static String endpoint(int ip, int port, boolean ports, int protocol) {
        String a = Ipv4.format(ip);
        if (ports) {
            return a + ":" + port;
        }
        return protocol == 1 && port != 0 ? a + " id " + port : a;
    }

    /**
     * A traced packet. Its rule column names the NAT rule as {@code hairpin rules} numbers it
     * ("port-forward #2 web", "outbound #1", "1:1 #1 server, reflected"). When the engine found no
     * rule of the config in force for it (a session made under rules since changed, an ICMP error
     * translated with the flow it quotes) the column is the kind of NAT the verdict names
     * ("…, nat 203.0.113.1:5000 (napt, new session)" gives "napt"), "-" when none touched it.
     */
    static ControlService.TraceRecord traceRecord(TraceEntry e, EnabledRules rules) {
        String rule = e.rule() == null ? null : rules.name(e.rule());
        return new ControlService.TraceRecord(e.nanos(), e.port(), e.summary(), e.verdict(),
                rule == null ? ruleOf(e.verdict()) : rule);
    }

    /**
     * The counts of the rules in force by the numbers {@code hairpin rules} gives them; rules
     * (the config in force) is what counts' rules were compiled from: its enabled rules are
     * counts' rules, in order.
     */
    static List<ControlService.RuleStats> ruleStats(RuleCounts counts, NatSettings rules) {
        EnabledRules enabled = EnabledRules.of(rules);
        List<ControlService.RuleStats> out = new ArrayList<>();
        kind(out, enabled.oneToOne(), counts.oneToOne());
        kind(out, enabled.portForwards(), counts.portForwards());
        kind(out, enabled.outbound(), counts.outbound());
        return out;
    }

    private static void kind(List<ControlService.RuleStats> out, List<EnabledRules.Numbered> rules,
                             List<RuleCounts.Rule> counted) {
        for (int k = 0; k < Math.min(rules.size(), counted.size()); k++) {
            EnabledRules.Numbered r = rules.get(k);
            RuleCounts.Rule c = counted.get(k);
            out.add(new ControlService.RuleStats(r.kind(), r.number(), r.description(), c.packets(), c.bytes(),
                    c.sessions(), c.active()));
        }
    }

    static String ruleOf(String verdict) {
        int nat = verdict.indexOf(", nat ");
        int open = nat < 0 ? -1 : verdict.indexOf(" (", nat);
        if (open < 0) {
            return "-";
        }
        int end = verdict.indexOf(')', open);
        int comma = verdict.indexOf(',', open);
        int stop = comma >= 0 && (end < 0 || comma < end) ? comma : end;
        return stop < 0 ? "-" : verdict.substring(open + 2, stop);
    }
}
