package io.hairpin.engine.worker;

import static io.hairpin.engine.testing.Frames.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.Snapshot;
import io.hairpin.engine.nat.NatConfig;
import io.hairpin.engine.testing.Decoded;
import io.hairpin.engine.testing.Frames;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Session lifetimes that a pcap run cannot show (it lasts a second): Nat44 driven directly with a
 * clock of our own, packets built by {@link Frames} in native memory, the result decoded by
 * {@link Decoded}. The harness makes the calls the worker makes: {@code inbound} before routing,
 * {@code outbound} for what inbound passed, {@code apply} when a rewrite was decided.
 *
 * <p>RFC 5508 REQ-4 / spec §2: an ICMP error never creates, refreshes or deletes a session.
 * RFC 7857 §2.2 / spec §2: after a RST the session is kept for the transitory timeout (240 s).
 */
class Nat44SessionLifeTest {
    static final int WAN_IP = ip("203.0.113.1");
    static final int POOL = ip("203.0.113.5");
    static final int CLIENT = ip("192.168.1.10");
    static final int REMOTE = ip("203.0.113.254");
    static final int ROUTER = ip("203.0.113.250");
    static final int WAN = 0;
    static final int LAN = 1;
    static final long S = 1_000_000_000L;
    /** An arbitrary start of the monotonic clock. */
    static final long T0 = 5_000 * S;
    static final byte[] PAYLOAD = "life".getBytes(StandardCharsets.US_ASCII);

    private final Arena arena = Arena.ofConfined();
    private final MemorySegment buffer = arena.allocate(2048, 8);
    private Snapshot snap;
    private Nat44 nat;
    /** Builds the session state as the engine's holder does. */
    private SnapshotHolder holder;
    private byte[] last;

    @AfterEach
    void close() {
        arena.close();
    }

    private void start(NatConfig.Filtering filtering) {
        snap = snapshot(1, filtering);
        nat = new Nat44(new Counters(2), new RuleCounters(), 0, 1);
        holder = new SnapshotHolder(snap, 1);
        nat.use(snap, holder.natTables());
        nat.expire(T0);
    }

    /** The operator applies a configuration that differs in its filtering only. */
    private void refilter(int version, NatConfig.Filtering filtering) {
        snap = snapshot(version, filtering);
        holder.publish(snap);
        nat.use(snap, holder.natTables());
    }

    private static Snapshot snapshot(int version, NatConfig.Filtering filtering) {
        return snapshot(version, filtering, List.of());
    }

    private static Snapshot snapshot(int version, NatConfig.Filtering filtering, List<NatConfig.PortForward> forwards) {
        NatConfig cfg = new NatConfig(true, NatConfig.ReflectionSource.MAPPED, filtering, NatConfig.Timeouts.DEFAULTS, 1024,
                0, List.of(), forwards, List.of(new NatConfig.Outbound(WAN, ip("192.168.1.0"), 24, new int[] {POOL}, false,
                "")));
        EngineConfig engine = new EngineConfig(1, List.of(), List.of(
                new EngineConfig.Interface("wan", true, "w", 0, List.of(new EngineConfig.Address(WAN_IP, 24)), 0, 1500, true),
                new EngineConfig.Interface("lan", false, "l", 0, List.of(new EngineConfig.Address(ip("192.168.1.1"), 24)), 0,
                        1500, true)), List.of(), false, cfg);
        return Snapshot.compile(version, engine, Map.of("w", 0x02005e000077L, "l", 0x02005e00006cL));
    }

    /**
     * One packet through NAT at time {@code now}, as the worker does it.
     *
     * @return Nat44.TRANSLATE, Nat44.PASS or the drop reason
     */
    private int packet(byte[] ipPacket, int ingress, long now) {
        MemorySegment.copy(ipPacket, 0, buffer, ValueLayout.JAVA_BYTE, 0, ipPacket.length);
        long ip = buffer.address();
        int ihl = (ipPacket[0] & 0xf) * 4;
        int total = ipPacket.length;
        int v = nat.inbound(0, ip, ihl, total, ingress, snap, now); // no mbuf: these packets are not fragments
        if (v == Nat44.PASS) {
            int dst = nat.newDst;
            int egress = snap.routes.egressInterface(snap.routes.lookup(dst));
            v = nat.outbound(0, ip, ihl, total, ingress, egress, snap);
        }
        if (v == Nat44.TRANSLATE) {
            nat.apply(ip, ihl, total);
        }
        last = buffer.asSlice(0, total).toArray(ValueLayout.JAVA_BYTE);
        return v;
    }

    private Decoded.Ipv4 lastPacket() {
        return Decoded.ipv4(last);
    }

    private int sessionsAt(long now) {
        nat.expire(now);
        return nat.sessionCount();
    }

    static byte[] udp(int src, int sport, int dst, int dport) {
        return Frames.udp4(0, 0, src, dst, sport, dport, PAYLOAD).packet();
    }

    static byte[] tcp(int src, int sport, int dst, int dport, int flags) {
        return Frames.tcp4(0, 0, src, dst, sport, dport, 1, 1, flags, new byte[0]).packet();
    }

    static byte[] error(byte[] quote) {
        return Frames.ipv4(0, 0, ROUTER, POOL).icmp(Frames.ICMP_DEST_UNREACHABLE, 1, 0, quote).packet();
    }

    /**
     * A filtering change applies to mappings made before it: under address-dependent filtering
     * they admit their peers' other ports, under endpoint-independent filtering anyone.
     */
    @Test
    void filteringChangesReachMappingsMadeBeforeThem() {
        start(NatConfig.Filtering.ADDRESS_AND_PORT_DEPENDENT);
        assertEquals(Nat44.TRANSLATE, packet(udp(CLIENT, 5000, REMOTE, 53), LAN, T0));
        assertEquals(Nat44.TRANSLATE, packet(udp(REMOTE, 53, POOL, 5000), WAN, T0), "the session's own reply");
        assertEquals(Counters.NAT_NOT_ADMITTED, packet(udp(REMOTE, 54, POOL, 5000), WAN, T0),
                "another port of the remote: filtered");
        assertEquals(Counters.NAT_NO_MAPPING, packet(udp(REMOTE, 53, POOL, 5001), WAN, T0), "a port never handed out");

        refilter(2, NatConfig.Filtering.ADDRESS_DEPENDENT);
        assertEquals(Nat44.TRANSLATE, packet(udp(CLIENT, 6000, REMOTE, 53), LAN, T0), "a mapping made after the change");
        nat.expire(T0 + S / 1000);
        assertEquals(Nat44.TRANSLATE, packet(udp(REMOTE, 54, POOL, 5000), WAN, T0 + S / 1000),
                "the mapping made before the change admits the remote's other port");
        assertEquals(CLIENT, lastPacket().dst());
        assertEquals(5000, lastPacket().udp().dport());
        assertEquals(Nat44.TRANSLATE, packet(udp(REMOTE, 54, POOL, 6000), WAN, T0 + S / 1000));
        assertEquals(6000, lastPacket().udp().dport());
        assertEquals(Counters.NAT_NOT_ADMITTED, packet(udp(ROUTER, 53, POOL, 5000), WAN, T0 + S / 1000),
                "an address the host never sent to");

        refilter(3, NatConfig.Filtering.ADDRESS_AND_PORT_DEPENDENT);
        assertEquals(Counters.NAT_NOT_ADMITTED, packet(udp(REMOTE, 55, POOL, 5000), WAN, T0 + 2 * S / 1000));
        assertEquals(Nat44.TRANSLATE, packet(udp(REMOTE, 54, POOL, 5000), WAN, T0 + 2 * S / 1000),
                "the session opened under the looser filtering stays");
        refilter(4, NatConfig.Filtering.ENDPOINT_INDEPENDENT);
        nat.expire(T0 + 3 * S / 1000);
        nat.expire(T0 + 4 * S / 1000);
        assertEquals(Nat44.TRANSLATE, packet(udp(ROUTER, 53, POOL, 5000), WAN, T0 + 4 * S / 1000),
                "endpoint-independent: anyone reaches the mapping");
        assertEquals(CLIENT, lastPacket().dst());
    }

    /**
     * The session that made a mapping is found through it (it has no index entries of its own);
     * when it ends before the mapping, the mapping must stay findable from both sides, also once
     * a new session has taken the ended one's place in the table.
     */
    @Test
    void aMappingOutlivesTheSessionThatMadeIt() {
        start(NatConfig.Filtering.ADDRESS_DEPENDENT);
        int client2 = CLIENT + 1;
        assertEquals(Nat44.TRANSLATE, packet(udp(CLIENT, 5000, REMOTE, 53), LAN, T0));
        int ext = lastPacket().udp().sport();
        assertEquals(Nat44.TRANSLATE, packet(udp(REMOTE, 53, POOL, ext), WAN, T0), "the first session's reply");
        assertEquals(CLIENT, lastPacket().dst());
        assertEquals(Nat44.TRANSLATE, packet(udp(CLIENT, 5000, ROUTER, 53), LAN, T0 + 200 * S));
        assertEquals(ext, lastPacket().udp().sport(), "endpoint-independent mapping: the same port");
        assertEquals(1, sessionsAt(T0 + 350 * S), "the first session has timed out, the second not");
        assertEquals(Nat44.TRANSLATE, packet(udp(client2, 7000, REMOTE, 53), LAN, T0 + 350 * S),
                "another host's session, in the ended one's place");
        int ext2 = lastPacket().udp().sport();
        assertNotEquals(ext, ext2);

        assertEquals(Nat44.TRANSLATE, packet(udp(ROUTER, 53, POOL, ext), WAN, T0 + 350 * S), "the second session's reply");
        assertEquals(CLIENT, lastPacket().dst());
        assertEquals(Nat44.TRANSLATE, packet(udp(ROUTER, 54, POOL, ext), WAN, T0 + 350 * S),
                "a peer's other port reaches the mapping by its external endpoint");
        assertEquals(CLIENT, lastPacket().dst());
        assertEquals(5000, lastPacket().udp().dport());
        assertEquals(Counters.NAT_NOT_ADMITTED, packet(udp(REMOTE, 53, POOL, ext), WAN, T0 + 350 * S),
                "the host has no session with that remote any more");
        assertEquals(Nat44.TRANSLATE, packet(udp(CLIENT, 5000, REMOTE, 53), LAN, T0 + 350 * S));
        assertEquals(ext, lastPacket().udp().sport(), "the mapping is found by its internal endpoint");
        assertEquals(Nat44.TRANSLATE, packet(udp(REMOTE, 53, POOL, ext), WAN, T0 + 350 * S));
        assertEquals(CLIENT, lastPacket().dst());
        assertEquals(Nat44.TRANSLATE, packet(udp(REMOTE, 53, POOL, ext2), WAN, T0 + 350 * S));
        assertEquals(client2, lastPacket().dst());
        assertEquals(7000, lastPacket().udp().dport());

        assertEquals(0, sessionsAt(T0 + 1000 * S));
        assertEquals(Counters.NAT_NO_MAPPING, packet(udp(ROUTER, 53, POOL, ext), WAN, T0 + 1000 * S),
                "the mapping went with its last session");
    }

    /**
     * A session whose flow a mapping's first session holds already is refused, as the session
     * index refuses its own duplicates: the first session has no entries there.
     */
    @Test
    void aPortForwardDoesNotTakeTheFlowOfAMappingsFirstSession() {
        int forwarded = ip("203.0.113.6");
        snap = snapshot(1, NatConfig.Filtering.ADDRESS_DEPENDENT, List.of(new NatConfig.PortForward(WAN,
                NatConfig.PROTO_UDP, forwarded, 8080, 8080, CLIENT, 5000, NatConfig.Destination.ANY,
                NatConfig.Reflection.DEFAULT, NatConfig.ReflectionSource.MAPPED, "")));
        nat = new Nat44(new Counters(2), new RuleCounters(), 0, 1);
        holder = new SnapshotHolder(snap, 1);
        nat.use(snap, holder.natTables());
        nat.expire(T0);
        assertEquals(Nat44.TRANSLATE, packet(udp(CLIENT, 5000, REMOTE, 53), LAN, T0));
        int ext = lastPacket().udp().sport();
        assertNotEquals(Nat44.TRANSLATE, packet(udp(REMOTE, 53, forwarded, 8080), WAN, T0),
                "its reply tuple, CLIENT:5000 -> REMOTE:53, is the NAPT session's");
        assertEquals(1, sessionsAt(T0));
        assertEquals(Nat44.TRANSLATE, packet(udp(CLIENT, 5000, REMOTE, 53), LAN, T0));
        assertEquals(POOL, lastPacket().src(), "still the NAPT session's translation");
        assertEquals(ext, lastPacket().udp().sport());
        assertEquals(Nat44.TRANSLATE, packet(udp(REMOTE, 54, forwarded, 8080), WAN, T0), "another port is forwarded");
        assertEquals(CLIENT, lastPacket().dst());
        assertEquals(5000, lastPacket().udp().dport());
    }

    @Test
    void anIcmpErrorDoesNotRefreshTheSessionItQuotes() {
        start(NatConfig.Filtering.ADDRESS_AND_PORT_DEPENDENT);
        assertEquals(Nat44.TRANSLATE, packet(udp(CLIENT, 5000, REMOTE, 53), LAN, T0));
        assertEquals(Nat44.TRANSLATE, packet(error(udp(POOL, 5000, REMOTE, 53)), WAN, T0 + 200 * S),
                "the error is translated by the session");
        assertEquals(CLIENT, lastPacket().dst());
        assertEquals(1, sessionsAt(T0 + 295 * S), "UDP: 300 s from the last packet");
        assertEquals(0, sessionsAt(T0 + 305 * S), "the error at 200 s did not extend it");
        assertNotEquals(Nat44.TRANSLATE, packet(udp(REMOTE, 53, POOL, 5000), WAN, T0 + 306 * S));
    }

    @Test
    void aPacketDoesRefreshTheSession() { // the control for the test above
        start(NatConfig.Filtering.ADDRESS_AND_PORT_DEPENDENT);
        assertEquals(Nat44.TRANSLATE, packet(udp(CLIENT, 5000, REMOTE, 53), LAN, T0));
        assertEquals(Nat44.TRANSLATE, packet(udp(REMOTE, 53, POOL, 5000), WAN, T0 + 200 * S));
        assertEquals(1, sessionsAt(T0 + 305 * S));
        assertEquals(1, sessionsAt(T0 + 495 * S));
        assertEquals(0, sessionsAt(T0 + 505 * S));
    }

    @Test
    void anIcmpErrorNeitherCreatesNorDeletesSessions() {
        start(NatConfig.Filtering.ADDRESS_DEPENDENT);
        assertNotEquals(Nat44.TRANSLATE, packet(error(udp(POOL, 5000, REMOTE, 53)), WAN, T0));
        Frames.Ipv4Builder clientError = Frames.ipv4(0, 0, CLIENT, REMOTE).icmp(Frames.ICMP_DEST_UNREACHABLE, 3, 0,
                udp(REMOTE, 53, CLIENT, 5000));
        assertNotEquals(Nat44.TRANSLATE, packet(clientError.packet(), LAN, T0));
        assertEquals(0, nat.sessionCount(), "errors about flows that do not exist create nothing");
        assertEquals(Nat44.TRANSLATE, packet(tcp(CLIENT, 40000, REMOTE, 80, Frames.TCP_SYN), LAN, T0));
        for (int code : new int[] {0, 1, 3, 4, 13}) {
            byte[] err = Frames.ipv4(0, 0, ROUTER, POOL).icmp(Frames.ICMP_DEST_UNREACHABLE, code, 0,
                    tcp(POOL, 40000, REMOTE, 80, Frames.TCP_SYN)).packet();
            assertEquals(Nat44.TRANSLATE, packet(err, WAN, T0 + S));
        }
        assertEquals(1, sessionsAt(T0 + 2 * S), "hard errors do not delete the session");
        assertEquals(Nat44.TRANSLATE, packet(tcp(REMOTE, 80, POOL, 40000, Frames.TCP_SYN | Frames.TCP_ACK), WAN, T0 + 3 * S));
        assertEquals(CLIENT, lastPacket().dst());
    }

    @Test
    void afterARstTheSessionStillTranslatesAndIsKeptForTheTransitoryTimeout() {
        start(NatConfig.Filtering.ADDRESS_DEPENDENT);
        assertEquals(Nat44.TRANSLATE, packet(tcp(CLIENT, 40000, REMOTE, 80, Frames.TCP_SYN), LAN, T0));
        assertEquals(Nat44.TRANSLATE, packet(tcp(REMOTE, 80, POOL, 40000, Frames.TCP_SYN | Frames.TCP_ACK), WAN, T0));
        assertEquals(Nat44.TRANSLATE, packet(tcp(CLIENT, 40000, REMOTE, 80, Frames.TCP_ACK), LAN, T0));
        assertEquals(Nat44.TRANSLATE, packet(tcp(CLIENT, 40000, REMOTE, 80, Frames.TCP_RST), LAN, T0 + 10 * S));
        assertEquals(Nat44.TRANSLATE, packet(tcp(REMOTE, 80, POOL, 40000, Frames.TCP_ACK), WAN, T0 + 20 * S),
                "a packet after the RST still translates");
        Decoded.Ipv4 p = lastPacket();
        assertEquals(CLIENT, p.dst());
        assertEquals(40000, p.tcp().dport());
        assertTrue(p.tcp().checksumValid(), "TCP checksum");
        assertEquals(1, sessionsAt(T0 + 255 * S), "kept 240 s after the last packet");
        assertEquals(0, sessionsAt(T0 + 265 * S), "after a RST the transitory timeout applies, not 7440 s");
    }

    @Test
    void anEstablishedSessionWithoutRstOutlivesTheTransitoryTimeout() { // the control for the test above
        start(NatConfig.Filtering.ADDRESS_DEPENDENT);
        assertEquals(Nat44.TRANSLATE, packet(tcp(CLIENT, 40000, REMOTE, 80, Frames.TCP_SYN), LAN, T0));
        assertEquals(Nat44.TRANSLATE, packet(tcp(REMOTE, 80, POOL, 40000, Frames.TCP_SYN | Frames.TCP_ACK), WAN, T0));
        assertEquals(Nat44.TRANSLATE, packet(tcp(CLIENT, 40000, REMOTE, 80, Frames.TCP_ACK), LAN, T0 + 20 * S));
        assertEquals(1, sessionsAt(T0 + 265 * S));
        assertEquals(1, sessionsAt(T0 + 7000 * S));
        assertEquals(0, sessionsAt(T0 + 7470 * S));
    }

    /**
     * A big table's burst held over to the next round was looked up before that round's
     * expiry: a flow the session index gave it may since have ended, and its record been taken
     * by a new session. {@code forgetRemovedFlows} must drop such a flow (its packet then takes
     * the pipeline) and keep the ones still live.
     */
    @Test
    void aFlowLookedUpBeforeItsSessionEndedIsForgottenNotReused() {
        start(NatConfig.Filtering.ADDRESS_DEPENDENT);
        int client2 = CLIENT + 1;
        assertEquals(Nat44.TRANSLATE, packet(udp(CLIENT, 5000, REMOTE, 53), LAN, T0));
        // the mapping's second session, found through the session index (the first is not)
        assertEquals(Nat44.TRANSLATE, packet(udp(CLIENT, 5000, ROUTER, 53), LAN, T0 + 200 * S));
        assertEquals(Nat44.TRANSLATE, packet(udp(client2, 6000, ROUTER, 53), LAN, T0 + 200 * S));
        long[] k1 = {tuple1(CLIENT, ROUTER), tuple1(client2, ROUTER)};
        long[] k2 = {tuple2(5000, 53), tuple2(6000, 53)};
        int[] flows = new int[2];
        nat.establishedFlows(k1, k2, 2, flows, true);
        assertTrue(flows[0] >= 0 && flows[1] >= 0, "both found: " + flows[0] + ", " + flows[1]);
        long removals = nat.sessionRemovals();

        // the round's housekeeping: the first session ends, then the second; client2's stays
        assertEquals(2, sessionsAt(T0 + 350 * S), "the first session has ended");
        packet(udp(client2, 6000, ROUTER, 53), LAN, T0 + 450 * S);
        assertEquals(1, sessionsAt(T0 + 510 * S), "only client2's session is left");
        // a new session takes the record the looked-up flow named
        assertEquals(Nat44.TRANSLATE, packet(udp(client2, 7000, REMOTE, 53), LAN, T0 + 510 * S));
        int[] now = new int[1];
        nat.establishedFlows(new long[] {tuple1(client2, REMOTE)}, new long[] {tuple2(7000, 53)}, 1, now, true);
        assertEquals(flows[0], now[0], "the ended session's flow number is the new session's now");

        assertNotEquals(removals, nat.sessionRemovals());
        nat.forgetRemovedFlows(k1, k2, 2, flows);
        assertEquals(-1, flows[0], "the ended session's flow is forgotten, not taken for the new one");
        assertTrue(flows[1] >= 0, "a flow whose session lives is kept");
    }

    private static long tuple1(int src, int dst) {
        return (long) src << 32 | (dst & 0xFFFF_FFFFL);
    }

    private static long tuple2(int sport, int dport) {
        return (long) Frames.PROTO_UDP << 32 | sport << 16 | dport;
    }
}
