package io.hairpin.engine.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.Snapshot;
import io.hairpin.engine.nat.NatConfig;
import io.hairpin.engine.packet.Ipv4;
import io.hairpin.shim.Mem;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Rule swaps against worker 0's NAT state, without DPDK: sessions survive, pools are kept by
 * their addresses (not by rule index), and a port goes back to the pool that handed it out.
 */
class Nat44RuleSwapTest {
    static final int WAN = 0;
    static final int LAN = 1;
    static final int WAN_IP = Ipv4.parse("203.0.113.1");
    static final int P1 = Ipv4.parse("198.51.100.1");
    static final int P2 = Ipv4.parse("198.51.100.2");
    static final int P3 = Ipv4.parse("198.51.100.3");
    static final int HOST = Ipv4.parse("192.168.1.10");
    static final int HOST2 = Ipv4.parse("192.168.1.11");
    static final int REMOTE = Ipv4.parse("203.0.113.254");
    static final long SECOND = 1_000_000_000L;

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment packet = arena.allocate(128);
    private final long ip = packet.address();
    private final Nat44 nat = new Nat44(new Counters(2), new RuleCounters(), 0, 1);
    /** Builds the session state as the engine's holder does, on publishing the first snapshot needing it. */
    private SnapshotHolder holder;
    private long version;
    private long now = 1_000 * SECOND;

    @AfterEach
    void close() {
        arena.close();
    }

    static NatConfig.Outbound outbound(String source, int length, int... pool) {
        return new NatConfig.Outbound(WAN, Ipv4.parse(source), length, pool, false, "");
    }

    static NatConfig rules(NatConfig.Outbound... outbound) {
        return new NatConfig(true, NatConfig.ReflectionSource.MAPPED, NatConfig.Filtering.ADDRESS_DEPENDENT,
                NatConfig.Timeouts.DEFAULTS, 1000, 0, List.of(), List.of(), List.of(outbound));
    }

    private Snapshot snapshot(NatConfig nat) {
        EngineConfig c = new EngineConfig(1, List.of(), List.of(
                new EngineConfig.Interface("wan", true, "dev_w", 0, List.of(new EngineConfig.Address(WAN_IP, 24)), 0,
                        1500, true),
                new EngineConfig.Interface("lan", false, "dev_l", 0,
                        List.of(new EngineConfig.Address(Ipv4.parse("192.168.1.1"), 24)), 0, 1500, true)),
                List.of(), false, nat);
        return Snapshot.compile(++version, c, Map.of("dev_w", 1L, "dev_l", 2L));
    }

    private Snapshot use(NatConfig rules) {
        Snapshot s = snapshot(rules);
        if (holder == null) {
            holder = new SnapshotHolder(s, 1);
        } else {
            holder.publish(s);
        }
        nat.use(s, holder.natTables());
        return s;
    }

    private void udp(int src, int sport, int dst, int dport) {
        Ipv4.writeHeader(ip, 0, 28, 1, 0, 64, Ipv4.PROTO_UDP, src, dst);
        Mem.u16(ip + 20, sport);
        Mem.u16(ip + 22, dport);
        Mem.u16(ip + 24, 8);
        Mem.u16(ip + 26, 0);
    }

    /** A LAN host's packet towards the WAN, as the worker runs it; returns "address:port" it leaves with. */
    private long out(Snapshot s, int src, int sport) {
        udp(src, sport, REMOTE, 53);
        int v = nat.inbound(0, ip, 20, 28, LAN, s, now);
        if (v == Nat44.PASS) {
            v = nat.outbound(0, ip, 20, 28, LAN, WAN, s);
        }
        assertEquals(Nat44.TRANSLATE, v, "translated");
        return ((long) nat.newSrc << 16) | nat.newSrcPort;
    }

    /** The remote's reply to addr:port; returns the internal host:port it reaches, or -1. */
    private long reply(Snapshot s, int addr, int port) {
        udp(REMOTE, 53, addr, port);
        int v = nat.inbound(0, ip, 20, 28, WAN, s, now);
        return v == Nat44.TRANSLATE ? ((long) nat.newDst << 16) | nat.newDstPort : -1;
    }

    private static long at(int addr, int port) {
        return ((long) addr << 16) | port;
    }

    @Test
    void aSessionKeepsItsTranslationAndItsPortGoesBackToItsOwnPoolAfterSwaps() {
        Snapshot a = use(rules(outbound("192.168.1.0", 24, P1)));
        assertEquals(at(P1, 5000), out(a, HOST, 5000));

        // B: another rule first (rule indices shift), the LAN on a different pool
        Snapshot b = use(rules(outbound("10.0.0.0", 8, P2), outbound("192.168.1.0", 24, P3)));
        assertEquals(at(P1, 5000), out(b, HOST, 5000), "the old session keeps its translation");
        assertEquals(at(HOST, 5000), reply(b, P1, 5000), "and its replies come back");
        assertEquals(at(P3, 6000), out(b, HOST, 6000), "a new flow follows the new rules");
        assertTrue(nat.portInUse(P1, Ipv4.PROTO_UDP, 5000));
        assertEquals(5, nat.poolCount(), "P1 is kept while its port is out, next to P2, P3 and the two interface pools");

        // back to a rule set with P1, at another rule index: the same pool, port 5000 still taken
        Snapshot c = use(rules(outbound("10.0.0.0", 8, P2), outbound("192.168.1.0", 24, P1)));
        long other = out(c, HOST2, 5000);
        assertEquals(P1, (int) (other >>> 16));
        assertNotEquals(5000, (int) other & 0xffff, "port 5000 of P1 is still the first session's");

        // everything idles out: every port goes back to the pool that handed it out
        now += 400 * SECOND;
        nat.expire(now);
        assertEquals(0, nat.sessionCount());
        assertFalse(nat.portInUse(P1, Ipv4.PROTO_UDP, 5000));
        assertFalse(nat.portInUse(P1, Ipv4.PROTO_UDP, (int) other & 0xffff));
        assertFalse(nat.portInUse(P3, Ipv4.PROTO_UDP, 6000), "P3 (no longer in the rules) got its port back");
        assertEquals(4, nat.poolCount(), "P3 is dropped once empty; P1, P2 (current) and the interface pools stay");
    }

    @Test
    void swappingToRulesWithoutNatKeepsTheSessionsUntilTheyExpire() {
        Snapshot a = use(rules(outbound("192.168.1.0", 24, P1)));
        out(a, HOST, 5000);
        Snapshot none = use(NatConfig.none());
        assertEquals(1, nat.sessionCount());
        assertEquals(at(HOST, 5000), reply(none, P1, 5000), "the session still translates the reply");
        assertTrue(nat.portInUse(P1, Ipv4.PROTO_UDP, 5000));
        now += 400 * SECOND;
        nat.expire(now);
        assertFalse(nat.portInUse(P1, Ipv4.PROTO_UDP, 5000));
        assertEquals(2, nat.poolCount(), "no rule uses P1 and its port is back: only the interface pools are left");
    }

    @Test
    void rulesSharingAPoolShareItsPorts() {
        // two source prefixes translated to the same address: one owner per external port
        Snapshot s = use(rules(outbound("192.168.1.10", 32, P1), outbound("192.168.1.0", 24, P1)));
        long first = out(s, HOST, 5000);
        long second = out(s, HOST2, 5000);
        assertEquals(at(P1, 5000), first);
        assertEquals(P1, (int) (second >>> 16));
        assertNotEquals(5000, (int) second & 0xffff);
    }

    @Test
    void aLowerMaxSessionsTakesEffectForNewSessions() {
        Snapshot a = use(rules(outbound("192.168.1.0", 24, P1)));
        out(a, HOST, 5000);
        out(a, HOST, 5001);
        NatConfig one = new NatConfig(true, NatConfig.ReflectionSource.MAPPED, NatConfig.Filtering.ADDRESS_DEPENDENT,
                NatConfig.Timeouts.DEFAULTS, 2, 0, List.of(), List.of(), List.of(outbound("192.168.1.0", 24, P1)));
        Snapshot b = use(one);
        udp(HOST, 5002, REMOTE, 53);
        assertEquals(Nat44.PASS, nat.inbound(0, ip, 20, 28, LAN, b, now));
        assertEquals(Counters.NAT_SESSIONS_FULL, nat.outbound(0, ip, 20, 28, LAN, WAN, b));
        assertFalse(nat.portInUse(P1, Ipv4.PROTO_UDP, 5002), "the failed session's port went back");
        assertEquals(at(P1, 5000), out(b, HOST, 5000), "existing sessions go on");
    }

    @Test
    void listAndFlushThroughTheSessionRequest() {
        Snapshot a = use(rules(outbound("192.168.1.0", 24, P1)));
        out(a, HOST, 5000);
        out(a, HOST2, 7000);
        SessionChannel.Request list = new SessionChannel.Request();
        list.op = SessionChannel.LIST;
        list.address = HOST2;
        list.limit = 10;
        while (!nat.serve(list)) {
            // a slice of the table per round
        }
        assertEquals(1, list.count);
        assertEquals(((long) HOST2 << 32) | (REMOTE & 0xffffffffL), list.results[0], "flow 0 as the host sent it");

        SessionChannel.Request flush = new SessionChannel.Request();
        flush.op = SessionChannel.FLUSH;
        flush.address = P1;
        while (!nat.serve(flush)) {
            // a slice of the table per round
        }
        assertEquals(2, flush.count, "both sessions use P1");
        assertEquals(0, nat.sessionCount());
        assertFalse(nat.portInUse(P1, Ipv4.PROTO_UDP, 5000));
        assertFalse(nat.portInUse(P1, Ipv4.PROTO_UDP, 7000));
        assertEquals(-1, reply(a, P1, 5000), "no session, no mapping: the reply is not admitted");
    }
}
