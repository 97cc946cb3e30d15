package io.hairpin.engine.it;

import static io.hairpin.engine.it.NaptPcapTest.CLIENT;
import static io.hairpin.engine.it.NaptPcapTest.CLIENT2;
import static io.hairpin.engine.it.NaptPcapTest.CLIENT2_MAC;
import static io.hairpin.engine.it.NaptPcapTest.CLIENT_MAC;
import static io.hairpin.engine.it.NaptPcapTest.LAN_IP;
import static io.hairpin.engine.it.NaptPcapTest.LAN_MAC;
import static io.hairpin.engine.it.NaptPcapTest.PAYLOAD;
import static io.hairpin.engine.it.NaptPcapTest.REMOTE;
import static io.hairpin.engine.it.NaptPcapTest.REMOTE_MAC;
import static io.hairpin.engine.it.NaptPcapTest.SERVER;
import static io.hairpin.engine.it.NaptPcapTest.SERVER_MAC;
import static io.hairpin.engine.it.NaptPcapTest.WAN_IP;
import static io.hairpin.engine.it.NaptPcapTest.WAN_MAC;
import static io.hairpin.engine.testing.Frames.ip;
import static io.hairpin.engine.testing.Frames.mac;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.RuleCounts;
import io.hairpin.engine.SessionView;
import io.hairpin.engine.TraceEntry;
import io.hairpin.engine.nat.NatConfig;
import io.hairpin.engine.nat.NatConfig.Destination;
import io.hairpin.engine.nat.NatConfig.Reflection;
import io.hairpin.engine.testing.Decoded;
import io.hairpin.engine.testing.Frames;
import io.hairpin.engine.worker.Counters;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-rule counters on real DPDK: every packet a rule translates counts for it once, whichever
 * path took it (the pipeline, the flow cache's stateless and session entries, the session table,
 * a burst's look-ups in a big table, a fragment following its first), and sessions count for the
 * rule that opened them. The oracle is what left the appliance: each frame is told to a rule by
 * its addresses and ports, and its IP total length summed.
 */
class RuleCountersTest {
    static final int COPIES = 6;
    static final int HOST_PUBLIC = ip("203.0.113.50");
    static final int WAN_PADDING = 96;

    @TempDir
    Path dir;

    /** 1:1 #0 for CLIENT2, port forwards #0 web (tcp 8080 → SERVER:80) and #1 never used, outbound #0 for the LAN. */
    static NatConfig rules(List<NatConfig.PortForward> forwards) {
        return rules(forwards, NatConfig.Timeouts.DEFAULTS);
    }

    static NatConfig rules(List<NatConfig.PortForward> forwards, NatConfig.Timeouts timeouts) {
        return new NatConfig(true, NatConfig.ReflectionSource.MAPPED, NatConfig.Filtering.ADDRESS_DEPENDENT,
                timeouts, 20_000, 0,
                List.of(new NatConfig.OneToOne(0, HOST_PUBLIC, CLIENT2, 32, false, null, Reflection.DEFAULT, null, true,
                        null, "host")),
                forwards, List.of(new NatConfig.Outbound(0, ip("192.168.1.0"), 24, new int[0], false, "lan")));
    }

    static NatConfig.PortForward forward(int port, int to, String description) {
        return new NatConfig.PortForward(0, NatConfig.PROTO_TCP, WAN_IP, port, port, SERVER, to, Destination.ANY,
                Reflection.DEFAULT, null, description);
    }

    static final NatConfig RULES = rules(List.of(forward(8080, 80, "web"), forward(9090, 90, "unused")));

    /** What left for one rule, by the oracle. */
    private record Expected(long packets, long bytes) {
        static Expected of(List<Decoded.Ipv4> frames, Predicate<Decoded.Ipv4> rule) {
            List<Decoded.Ipv4> mine = frames.stream().filter(rule).toList();
            return new Expected(mine.size(), mine.stream().mapToLong(Decoded.Ipv4::totalLength).sum());
        }
    }

    /** ... and every session the rule opened is still open. */
    private static void assertCounted(Expected e, RuleCounts.Rule got, long sessions, String rule) {
        assertEquals(new RuleCounts.Rule(e.packets(), e.bytes(), sessions, 0), got, rule);
        assertEquals(sessions, got.active(), rule);
    }

    private static byte[] tcp(long srcMac, long dstMac, int src, int dst, int sport, int dport, int seq, int flags) {
        return Frames.tcp4(srcMac, dstMac, src, dst, sport, dport, seq, 1, flags, PAYLOAD).build();
    }

    private static List<byte[]> padding(long srcMac, int src, int dst) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < WAN_PADDING; i++) {
            out.add(Frames.udp4(srcMac, mac("02:99:00:00:00:01"), src, dst, 1, 1, PAYLOAD).build());
        }
        return out;
    }

    @Test
    void everyTranslatedPacketCountsOnceForItsRuleWhateverPathTookIt() throws Exception {
        List<byte[]> lan = new ArrayList<>(NaptPcapTest.LAN_NEIGHBOURS);
        List<byte[]> wan = new ArrayList<>(NaptPcapTest.WAN_NEIGHBOURS);
        for (int c = 0; c < COPIES; c++) {
            lan.add(NaptPcapTest.udpOut(CLIENT_MAC, CLIENT, 5000, REMOTE, 53));       // outbound: a session
            lan.add(NaptPcapTest.udpOut(CLIENT2_MAC, CLIENT2, 7000, REMOTE, 53));     // 1:1: stateless
        }
        lan.add(NaptPcapTest.firstFragment(CLIENT_MAC, LAN_MAC, CLIENT, REMOTE, 5001, 53, 100));
        lan.add(NaptPcapTest.laterFragment(CLIENT_MAC, LAN_MAC, CLIENT, REMOTE, 100, 5));
        lan.add(NaptPcapTest.laterFragment(CLIENT_MAC, LAN_MAC, CLIENT, REMOTE, 101, 5)); // parked till its first
        lan.add(NaptPcapTest.firstFragment(CLIENT_MAC, LAN_MAC, CLIENT, REMOTE, 5002, 53, 101));
        // reflection: a LAN client reaches the web server by the public address
        lan.add(tcp(CLIENT_MAC, LAN_MAC, CLIENT, WAN_IP, 6001, 8080, 10, Frames.TCP_SYN));
        lan.add(tcp(CLIENT_MAC, LAN_MAC, CLIENT, WAN_IP, 6001, 8080, 11, Frames.TCP_ACK));
        // from the Internet: the web server, the 1:1 host, a port no rule forwards
        wan.add(tcp(REMOTE_MAC, WAN_MAC, REMOTE, WAN_IP, 40000, 8080, 100, Frames.TCP_SYN));
        for (int c = 0; c < COPIES; c++) {
            wan.add(tcp(REMOTE_MAC, WAN_MAC, REMOTE, WAN_IP, 40000, 8080, 101 + c, Frames.TCP_ACK));
            wan.add(Frames.udp4(REMOTE_MAC, WAN_MAC, REMOTE, HOST_PUBLIC, 53, 7001, PAYLOAD).build());
        }
        wan.add(tcp(REMOTE_MAC, WAN_MAC, REMOTE, WAN_IP, 40000, 9999, 1, Frames.TCP_SYN));
        // then the answers, behind padding so that the other port has opened the sessions by then
        wan.addAll(padding(REMOTE_MAC, REMOTE, WAN_IP));
        for (int c = 0; c < COPIES; c++) {
            wan.add(NaptPcapTest.udpIn(REMOTE_MAC, REMOTE, 53, 5000));
        }
        wan.add(NaptPcapTest.udpIn(REMOTE_MAC, REMOTE, 54, 5000)); // another port of a remote the host sent to
        wan.add(NaptPcapTest.firstFragment(REMOTE_MAC, WAN_MAC, REMOTE, WAN_IP, 53, 5000, 300));
        wan.add(NaptPcapTest.laterFragment(REMOTE_MAC, WAN_MAC, REMOTE, WAN_IP, 300, 5));
        lan.addAll(padding(SERVER_MAC, SERVER, LAN_IP));
        for (int c = 0; c < COPIES; c++) {
            lan.add(tcp(SERVER_MAC, LAN_MAC, SERVER, REMOTE, 80, 40000, 500 + c, Frames.TCP_ACK));
        }
        PcapRun.Result r = PcapRun.run(dir, List.of(PcapRun.Port.of("wan", true, "203.0.113.1/24"),
                PcapRun.Port.of("lan", false, "192.168.1.1/24")), List.of("w", "l"), Map.of("w", wan, "l", lan),
                List.of(), RULES);

        List<Decoded.Ipv4> toWan = PcapOutput.ipv4(r.out("w"));
        List<Decoded.Ipv4> toLan = PcapOutput.ipv4(r.out("l"));
        List<Decoded.Ipv4> all = new ArrayList<>(toWan);
        all.addAll(toLan);
        Predicate<Decoded.Ipv4> host = p -> p.src() == HOST_PUBLIC || p.dst() == CLIENT2;
        Predicate<Decoded.Ipv4> web = p -> p.dst() == SERVER && p.tcp() != null && p.tcp().dport() == 80
                || p.src() == WAN_IP && p.tcp() != null && p.tcp().sport() == 8080;
        Predicate<Decoded.Ipv4> lanOut = p -> p.src() == WAN_IP && p.udp() != null && p.tcp() == null
                || p.dst() == CLIENT || p.src() == WAN_IP && p.fragOffset() != 0;
        for (Decoded.Ipv4 p : all) {
            int rules = (host.test(p) ? 1 : 0) + (web.test(p) ? 1 : 0) + (lanOut.test(p) ? 1 : 0);
            assertEquals(1, rules, "every packet that left was translated by one rule: " + p);
        }
        Expected hostOut = Expected.of(all, host);
        Expected webOut = Expected.of(all, web);
        Expected lanOutOut = Expected.of(all, lanOut);
        assertEquals(2 * COPIES, hostOut.packets(), "the 1:1 host's packets both ways: " + all);
        assertEquals(1 + COPIES + 2 + COPIES, webOut.packets(), "SYN, ACKs, the reflected two, the server's: " + all);
        assertEquals(COPIES + 4 + COPIES + 3, lanOutOut.packets(),
                "requests, fragments, replies, one from another port, a fragmented one: " + all);
        assertEquals(1, r.event(Counters.FRAGMENTS_PARKED));
        assertTrue(r.event(Counters.FLOW_CACHE_HITS) > 0 && r.event(Counters.SESSION_FAST_PATH) > 0,
                "the fast paths took some: " + r.events());

        RuleCounts counts = r.engine().ruleCounts();
        assertCounted(hostOut, counts.oneToOne().get(0), 0, "1:1 host");
        assertCounted(webOut, counts.portForwards().get(0), 2, "port-forward web: the remote's and the reflected");
        assertCounted(new Expected(0, 0), counts.portForwards().get(1), 0, "port-forward unused");
        assertCounted(lanOutOut, counts.outbound().get(0), 4,
                "outbound: the UDP flow, the fragmented ones, the one the filtering admitted");
    }

    /**
     * A table big enough that a burst's session look-ups are made at once and the flow cache
     * stands aside: every packet still counts.
     */
    @Test
    void aBigTablesPacketsCountToo() throws Exception {
        int flows = 5000;
        int rounds = 3;
        List<byte[]> lan = new ArrayList<>(NaptPcapTest.LAN_NEIGHBOURS);
        for (int round = 0; round < rounds; round++) {
            for (int f = 0; f < flows; f++) {
                lan.add(NaptPcapTest.udpOut(CLIENT_MAC, CLIENT, 10000 + f, REMOTE, 53));
            }
        }
        PcapRun.Result r = PcapRun.run(dir, List.of(PcapRun.Port.of("wan", true, "203.0.113.1/24"),
                PcapRun.Port.of("lan", false, "192.168.1.1/24")), List.of("w", "l"),
                Map.of("w", NaptPcapTest.WAN_NEIGHBOURS, "l", lan), List.of(), RULES);

        List<Decoded.Ipv4> toWan = PcapOutput.ipv4(r.out("w"));
        assertEquals(rounds * flows, toWan.size());
        assertTrue(r.event(Counters.SESSION_FAST_PATH) >= (rounds - 1) * flows - 100, r.events().toString());
        assertCounted(Expected.of(toWan, p -> p.src() == WAN_IP), r.engine().ruleCounts().outbound().get(0), flows,
                "outbound");
    }

    /**
     * Across a rule swap a rule that stays keeps its counts, and its sessions go on counting for
     * it; a new rule starts from nothing; a rule whose settings changed is a new rule.
     */
    @Test
    void aRuleKeptAcrossASwapKeepsCountingAndANewOneStartsFromNothing() throws Exception {
        try (LiveRig rig = new LiveRig(dir, List.of(PcapRun.Port.of("wan", true, "203.0.113.1/24"),
                PcapRun.Port.of("lan", false, "192.168.1.1/24")),
                List.of(LiveRig.Device.ring("w"), LiveRig.Device.ring("l")), RULES)) {
            rig.send("w", Frames.arpReply(REMOTE_MAC, REMOTE, WAN_MAC, WAN_IP));
            rig.send("l", Frames.arpReply(CLIENT_MAC, CLIENT, LAN_MAC, LAN_IP));
            rig.send("l", Frames.arpReply(SERVER_MAC, SERVER, LAN_MAC, LAN_IP));
            rig.awaitNeighbor(REMOTE);
            rig.awaitNeighbor(CLIENT);
            rig.awaitNeighbor(SERVER);
            rig.send("l", NaptPcapTest.udpOut(CLIENT_MAC, CLIENT, 5000, REMOTE, 53));
            rig.send("w", tcp(REMOTE_MAC, WAN_MAC, REMOTE, WAN_IP, 40000, 8080, 1, Frames.TCP_SYN));
            rig.await("w", 1, f -> true, 2000);
            rig.await("l", 1, f -> Decoded.frame(f).ipv4() != null, 2000);
            RuleCounts before = rig.engine.ruleCounts();
            assertEquals(1, before.outbound().get(0).packets());
            assertEquals(1, before.portForwards().get(0).packets());

            // the web forward moves to 8081 (a new rule), the unused one goes, a new one comes first
            NatConfig next = rules(List.of(forward(7070, 70, "new"), forward(8081, 80, "web")));
            EngineConfig c = rig.config;
            rig.engine.apply(new EngineConfig(c.workers(), c.eal(), c.interfaces(), c.routes(), c.exceptionPath(), next),
                    5000);
            RuleCounts swapped = rig.engine.ruleCounts();
            assertEquals(before.outbound(), swapped.outbound(), "outbound stays");
            assertEquals(before.oneToOne(), swapped.oneToOne(), "1:1 stays");
            assertEquals(List.of(RuleCounts.Rule.ZERO, RuleCounts.Rule.ZERO), swapped.portForwards(),
                    "both forwards are new");

            // the outbound session and the old web session (made under the old rules) still translate
            rig.send("w", NaptPcapTest.udpIn(REMOTE_MAC, REMOTE, 53, 5000));
            rig.send("w", tcp(REMOTE_MAC, WAN_MAC, REMOTE, WAN_IP, 40000, 8080, 2, Frames.TCP_ACK));
            rig.await("l", 2, f -> Decoded.frame(f).ipv4() != null, 2000);
            RuleCounts after = rig.engine.ruleCounts();
            assertEquals(2, after.outbound().get(0).packets(), "the reply counts for the outbound rule it kept");
            assertEquals(1, after.outbound().get(0).sessions());
            assertEquals(List.of(RuleCounts.Rule.ZERO, RuleCounts.Rule.ZERO), after.portForwards(),
                    "the old forward's session counts for the rule that opened it, not for the new ones");
            Map<Integer, List<TraceEntry.Rule>> opener = openers(rig);
            assertEquals(List.of(new TraceEntry.Rule(TraceEntry.RuleKind.OUTBOUND, 0, false)), opener.get(17),
                    "the outbound session names its rule, which stayed");
            assertEquals(java.util.Collections.singletonList(null), opener.get(6),
                    "the web session names no rule: the one that opened it is gone, " + opener);
        }
    }

    /**
     * A rule's active sessions are the ones it opened that are still in the session table: a
     * flushed session and an expired one leave them, and the rule's other counts stay. The oracle is
     * the engine's own session count, which the table keeps apart from the rules.
     */
    @Test
    void aRulesActiveSessionsAreItsSessionsStillOpen() throws Exception {
        NatConfig shortIcmp = rules(List.of(forward(8080, 80, "web")), new NatConfig.Timeouts(300, 7440, 240, 1));
        try (LiveRig rig = new LiveRig(dir, List.of(PcapRun.Port.of("wan", true, "203.0.113.1/24"),
                PcapRun.Port.of("lan", false, "192.168.1.1/24")),
                List.of(LiveRig.Device.ring("w"), LiveRig.Device.ring("l")), shortIcmp)) {
            rig.send("w", Frames.arpReply(REMOTE_MAC, REMOTE, WAN_MAC, WAN_IP));
            rig.send("l", Frames.arpReply(SERVER_MAC, SERVER, LAN_MAC, LAN_IP));
            rig.awaitNeighbor(REMOTE);
            rig.awaitNeighbor(SERVER);
            rig.send("l", NaptPcapTest.udpOut(CLIENT_MAC, CLIENT, 5000, REMOTE, 53));
            rig.send("l", NaptPcapTest.udpOut(CLIENT_MAC, CLIENT, 5001, REMOTE, 53));
            rig.send("w", tcp(REMOTE_MAC, WAN_MAC, REMOTE, WAN_IP, 40000, 8080, 1, Frames.TCP_SYN));
            rig.await("w", 2, f -> Decoded.frame(f).ipv4() != null, 2000);
            rig.await("l", 1, f -> Decoded.frame(f).ipv4() != null, 2000);
            awaitSessions(rig, 3);
            RuleCounts open = rig.engine.ruleCounts();
            assertEquals(2, open.outbound().get(0).active(), "two UDP flows out");
            assertEquals(1, open.portForwards().get(0).active(), "the SYN to the server");
            TraceEntry.Rule outbound = new TraceEntry.Rule(TraceEntry.RuleKind.OUTBOUND, 0, false);
            assertEquals(Map.of(17, List.of(outbound, outbound),
                    6, List.of(new TraceEntry.Rule(TraceEntry.RuleKind.PORT_FORWARD, 0, false))), openers(rig),
                    "each session lists the rule that opened it");

            assertEquals(1, rig.engine.flushSessions(SERVER, 0));
            awaitSessions(rig, 2);
            RuleCounts flushed = rig.engine.ruleCounts();
            assertEquals(0, flushed.portForwards().get(0).active(), "flushed");
            assertEquals(1, flushed.portForwards().get(0).sessions(), "it did open one");
            assertEquals(2, flushed.outbound().get(0).active());

            // an echo out, whose session lives a second
            rig.send("l", Frames.icmpEcho4(CLIENT_MAC, LAN_MAC, CLIENT, REMOTE, Frames.ICMP_ECHO_REQUEST, 7, 1, PAYLOAD)
                    .build());
            rig.await("w", 1, f -> Decoded.frame(f).ipv4() != null, 2000);
            awaitSessions(rig, 2);
            RuleCounts expired = rig.engine.ruleCounts();
            assertEquals(3, expired.outbound().get(0).sessions(), "it opened the echo's too");
            assertEquals(2, expired.outbound().get(0).active(), "the echo's expired");
            assertEquals(1, expired.outbound().get(0).closed());
        }
    }

    /**
     * Waits for n sessions in the table and n active over all rules (each is published on its own,
     * by worker 0's housekeeping and its expiries), then asserts both.
     */
    private static void awaitSessions(LiveRig rig, long n) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while ((rig.engine.sessionCount() != n || active(rig.engine.ruleCounts()) != n)
                && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(n, rig.engine.sessionCount(), "sessions in the table");
        assertEquals(n, active(rig.engine.ruleCounts()), "active sessions of all rules");
    }

    /** The rule each listed session names (null for none), by the session's protocol. */
    private static Map<Integer, List<TraceEntry.Rule>> openers(LiveRig rig) {
        Map<Integer, List<TraceEntry.Rule>> out = new HashMap<>();
        for (SessionView v : rig.engine.sessions(0, 0, 10)) {
            out.computeIfAbsent(v.protocol(), p -> new ArrayList<>()).add(v.rule());
        }
        return out;
    }

    private static long active(RuleCounts c) {
        long n = 0;
        for (List<RuleCounts.Rule> kind : List.of(c.oneToOne(), c.portForwards(), c.outbound())) {
            for (RuleCounts.Rule r : kind) {
                n += r.active();
            }
        }
        return n;
    }
}
