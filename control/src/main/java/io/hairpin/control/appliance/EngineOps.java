package io.hairpin.control.appliance;

import io.hairpin.control.config.Ipv4;
import io.hairpin.control.config.NatSettings;
import io.hairpin.control.config.OneToOneRule;
import io.hairpin.control.config.OutboundRule;
import io.hairpin.control.config.PortForwardRule;
import io.hairpin.control.service.ControlService;
import io.hairpin.engine.Engine;
import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.RuleCounts;
import io.hairpin.engine.SessionView;
import io.hairpin.engine.TraceEntry;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;

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
                return engine.sessions(address(filter), filter.protocol(), limit).stream().map(v -> session(v, rules))
                        .toList();
            }

            @Override
            public int flushSessions(ControlService.SessionFilter filter) {
                return engine.flushSessions(address(filter), filter.protocol());
            }

            @Override
            public List<ControlService.TraceRecord> trace(int n, long timeoutMillis, NatSettings rules) {
                return engine.trace(n, timeoutMillis).stream().map(e -> traceRecord(e, rules)).toList();
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

    static ControlService.Session session(SessionView v, NatSettings rules) {
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
                        ruleName(v.rule(), rules), "-"));
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
    static ControlService.TraceRecord traceRecord(TraceEntry e, NatSettings rules) {
        String rule = e.rule() == null ? null : ruleName(e.rule(), rules);
        return new ControlService.TraceRecord(e.nanos(), e.port(), e.summary(), e.verdict(),
                rule == null ? ruleOf(e.verdict()) : rule);
    }

    /**
     * "port-forward #2 web": the rule's kind, its number among all rules of its kind (disabled
     * ones too), and its description.
     */
    static String ruleName(TraceEntry.Rule rule, NatSettings rules) {
        String name = switch (rule.kind()) {
            case ONE_TO_ONE -> nth("1:1", rules.oneToOne(), OneToOneRule::enabled, OneToOneRule::description,
                    rule.index());
            case PORT_FORWARD -> nth("port-forward", rules.portForwards(), PortForwardRule::enabled,
                    PortForwardRule::description, rule.index());
            case OUTBOUND -> nth("outbound", rules.outbound(), OutboundRule::enabled, OutboundRule::description,
                    rule.index());
        };
        return name == null ? null : rule.reflected() ? name + ", reflected" : name;
    }

    /** The label of the index-th enabled rule of the list, or null when it has fewer. */
    private static <R> String nth(String kind, List<R> list, Predicate<R> enabled, Function<R, String> description,
                                  int index) {
        List<Integer> numbers = enabledNumbers(list, enabled);
        if (index >= numbers.size()) {
            return null;
        }
        int number = numbers.get(index);
        return ControlService.RuleStats.label(kind, number, description.apply(list.get(number - 1)));
    }

    /** The numbers of the list's enabled rules (1 for its first rule), in order: the engine's rules, numbered. */
    private static <R> List<Integer> enabledNumbers(List<R> list, Predicate<R> enabled) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            if (enabled.test(list.get(i))) {
                out.add(i + 1);
            }
        }
        return out;
    }

    /**
     * The counts of the rules in force by the numbers {@code hairpin rules} gives them; rules
     * (the config in force) is what counts' rules were compiled from: its enabled rules are
     * counts' rules, in order.
     */
    static List<ControlService.RuleStats> ruleStats(RuleCounts counts, NatSettings rules) {
        List<ControlService.RuleStats> out = new ArrayList<>();
        kind(out, "1:1", rules.oneToOne(), OneToOneRule::enabled, OneToOneRule::description, counts.oneToOne());
        kind(out, "port-forward", rules.portForwards(), PortForwardRule::enabled, PortForwardRule::description,
                counts.portForwards());
        kind(out, "outbound", rules.outbound(), OutboundRule::enabled, OutboundRule::description, counts.outbound());
        return out;
    }

    private static <R> void kind(List<ControlService.RuleStats> out, String kind, List<R> list, Predicate<R> enabled,
                                 Function<R, String> description, List<RuleCounts.Rule> counted) {
        List<Integer> numbers = enabledNumbers(list, enabled);
        for (int k = 0; k < Math.min(numbers.size(), counted.size()); k++) {
            int number = numbers.get(k);
            RuleCounts.Rule c = counted.get(k);
            out.add(new ControlService.RuleStats(kind, number, description.apply(list.get(number - 1)), c.packets(),
                    c.bytes(), c.sessions(), c.active()));
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
