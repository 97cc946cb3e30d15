package io.hairpin.control.appliance;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hairpin.control.config.ConfigLoader;
import io.hairpin.control.config.NatSettings;
import io.hairpin.control.service.ControlService;
import io.hairpin.engine.SessionView;
import io.hairpin.engine.TraceEntry;
import io.hairpin.engine.packet.Ipv4;
import org.junit.jupiter.api.Test;

class EngineOpsTest {
    @Test
    void sessionsReadAsTheOperatorWritesAddresses() {
        SessionView tcp = new SessionView(6, Ipv4.parse("192.168.1.10"), 40000, Ipv4.parse("203.0.113.1"), 40000,
                Ipv4.parse("198.51.100.7"), 443, SessionView.TCP_SYN_ORIGINAL | SessionView.TCP_SYN_REPLY, 7_439_001,
                new TraceEntry.Rule(TraceEntry.RuleKind.OUTBOUND, 0, false));
        assertEquals(new ControlService.Session("tcp", "192.168.1.10:40000", "203.0.113.1:40000", "198.51.100.7:443",
                "established", 7440, "outbound #1"), EngineOps.session(tcp, NAMES));
        SessionView ping = new SessionView(1, Ipv4.parse("192.168.1.10"), 7, Ipv4.parse("203.0.113.1"), 1030,
                Ipv4.parse("198.51.100.7"), 0, 0, 0, null);
        assertEquals(new ControlService.Session("icmp", "192.168.1.10 id 7", "203.0.113.1 id 1030", "198.51.100.7", "-",
                0, "-"), EngineOps.session(ping, NAMES));
        SessionView gre = new SessionView(47, Ipv4.parse("192.168.1.10"), 0, Ipv4.parse("203.0.113.9"), 0,
                Ipv4.parse("198.51.100.7"), 0, 0, 1500, new TraceEntry.Rule(TraceEntry.RuleKind.ONE_TO_ONE, 1, false));
        assertEquals(new ControlService.Session("47", "192.168.1.10", "203.0.113.9", "198.51.100.7", "-", 2,
                "1:1 #3"), EngineOps.session(gre, NAMES), "numbered among all 1:1 rules, the disabled #2 too");
    }

    /**
     * A session names the rule that opened it as {@code hairpin rules} numbers it; one opened under
     * rules since changed, which the engine finds none of the rules in force for, or whose place the
     * config does not have, names none.
     */
    @Test
    void aSessionNamesTheRuleThatOpenedIt() {
        SessionView reflected = SessionView.of(k1("192.168.1.10", "203.0.113.1"), (6L << 32) | (40000L << 16) | 80,
                k1("203.0.113.1", "192.168.1.20"), (6L << 32) | (40000L << 16) | 80, 0, 1000,
                new TraceEntry.Rule(TraceEntry.RuleKind.PORT_FORWARD, 0, false));
        assertEquals("port-forward #2 web, reflected", EngineOps.session(reflected, NAMES).rule(),
                "both ends rewritten: a client inside reached the server by the public address");
        assertEquals("192.168.1.20:80", EngineOps.session(reflected, NAMES).remote());
        SessionView gone = new SessionView(17, 1, 1, 2, 2, 3, 3, 0, 1000,
                new TraceEntry.Rule(TraceEntry.RuleKind.PORT_FORWARD, 5, false));
        assertEquals("-", EngineOps.session(gone, NAMES).rule());
    }

    private static long k1(String src, String dst) {
        return ((long) Ipv4.parse(src) << 32) | (Ipv4.parse(dst) & 0xffffffffL);
    }

    @Test
    void theRuleColumnIsTheKindOfNatTheVerdictNames() {
        assertEquals("napt", EngineOps.ruleOf("forwarded wan, nat 203.0.113.1:5000 (napt, new session)"));
        assertEquals("1:1", EngineOps.ruleOf("forwarded wan, nat 203.0.113.20 (1:1)"));
        assertEquals("port-forward", EngineOps.ruleOf("forwarded lan, nat > 192.168.1.20:80 (port-forward, new session)"));
        assertEquals("-", EngineOps.ruleOf("forwarded lan"));
        assertEquals("-", EngineOps.ruleOf("drop spoofed_source"));
        assertEquals("-", EngineOps.ruleOf("parked (a fragment waiting for its first fragment)"));
        TraceEntry e = new TraceEntry(1234, 0, "wan", "udp 1.2.3.4:5 > 6.7.8.9:10", "forwarded lan, nat > 10.0.0.1:10 (1:1)",
                null);
        assertEquals(new ControlService.TraceRecord(1234, "wan", "udp 1.2.3.4:5 > 6.7.8.9:10",
                "forwarded lan, nat > 10.0.0.1:10 (1:1)", "1:1"), EngineOps.traceRecord(e, NAMES));
    }

    /** Numbered as {@code hairpin rules} numbers them: every rule of its kind counts, disabled ones too. */
    static final NatSettings RULES = ConfigLoader.parse("""
            interfaces:
              - {name: wan, role: external, device: net_null0, addresses: [203.0.113.1/24]}
              - {name: lan, role: internal, device: net_null1, addresses: [192.168.1.1/24]}
            nat:
              one-to-one:
                - {interface: wan, external: 203.0.113.20, internal: 192.168.1.20, description: server}
                - {interface: wan, external: 203.0.113.21, internal: 192.168.1.21, disabled: true}
                - {interface: wan, external: 203.0.113.22, internal: 192.168.1.22}
              port-forwards:
                - {interface: wan, protocol: tcp, external: "203.0.113.1:22", internal: "192.168.1.20:22", disabled: true}
                - {interface: wan, protocol: tcp, external: "203.0.113.1:80", internal: "192.168.1.20:80", description: web}
              outbound:
                - {interface: wan, source: 192.168.1.0/24, translation: interface}
            """, "rules.yaml").nat();

    static final EnabledRules NAMES = EnabledRules.of(RULES);

    @Test
    void theRuleColumnNamesTheRuleByItsNumberInTheConfig() {
        assertEquals("1:1 #1 server", NAMES.name(new TraceEntry.Rule(TraceEntry.RuleKind.ONE_TO_ONE, 0, false)));
        assertEquals("1:1 #3", NAMES.name(new TraceEntry.Rule(TraceEntry.RuleKind.ONE_TO_ONE, 1, false)));
        assertEquals("port-forward #2 web, reflected",
                NAMES.name(new TraceEntry.Rule(TraceEntry.RuleKind.PORT_FORWARD, 0, true)));
        assertEquals("outbound #1", NAMES.name(new TraceEntry.Rule(TraceEntry.RuleKind.OUTBOUND, 0, false)));
        TraceEntry.Rule gone = new TraceEntry.Rule(TraceEntry.RuleKind.PORT_FORWARD, 1, false);
        assertEquals(null, NAMES.name(gone), "the engine's rules were more than the config holds now");
        assertEquals("port-forward", EngineOps.traceRecord(new TraceEntry(0, 0, "wan", "tcp", "forwarded lan, nat > "
                + "192.168.1.20:80 (port-forward)", gone), NAMES).rule(), "then the kind, as without a rule");
    }
}
