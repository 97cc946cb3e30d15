package io.hairpin.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.hairpin.engine.nat.NatConfig;
import io.hairpin.shim.Mem;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * rule-swap's oracle: frames translated entirely by rule set A or entirely by B pass, anything
 * else counts as mistranslated. The "engine" here is the test rewriting addresses and TTL and
 * recomputing checksums from scratch (Rfc1071), and the rule sets are read from the scenario's
 * own configs, so the expected public addresses do not come from the verifier's tables.
 */
class SwapVerifierTest {
    private static final long[] PORT_MAC = {0x02_00_00_00_aa_01L, 0x02_00_00_00_aa_02L};
    private static final int IP = Rfc1071.IP;

    private final Setup setup = Setup.ruleSwap(64);
    private final Flows walk = setup.flows.get();
    private final SwapVerifier verifier = new SwapVerifier(walk, setup.ruleSets.publicA(), setup.ruleSets.publicB());

    /** What the first 1:1 rule of a config with internal address host maps it to (outbound: the first rule wins). */
    private static int firstExternal(List<NatConfig.OneToOne> rules, int host) {
        return rules.stream().filter(r -> r.internal() == host).findFirst().orElseThrow().external();
    }

    /** Writes flow g's request as the client sends it; returns the frame's address. */
    private long request(FakeMbuf buf, int g) {
        int written;
        do {
            setup.writeFrame(buf.m, 0, walk, PORT_MAC);
            written = Mem.i32(buf.data + 42);
        } while (written != g);
        return buf.data;
    }

    /** Rewrites source, destination and TTL as a router would, then (optionally) each checksum from scratch. */
    private static void translate(long f, int src, int dst, int ttl, boolean fixIp, boolean fixUdp) {
        Mem.i32(f + IP + 12, src);
        Mem.i32(f + IP + 16, dst);
        Mem.u8(f + IP + 8, ttl);
        if (fixIp) {
            Rfc1071.fixIp(f, bytes(f));
        }
        if (fixUdp) {
            Rfc1071.fixUdp(f, bytes(f));
        }
    }

    private static byte[] bytes(long f) {
        byte[] b = new byte[60];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) Mem.u8(f + i);
        }
        return b;
    }

    private Map<String, Object> figures() {
        Map<String, Object> x = new LinkedHashMap<>();
        verifier.putFigures(x);
        x.put("mistranslated", verifier.mistranslated());
        return x;
    }

    @Test
    void acceptsATranslationEntirelyByEitherSetAndNothingElse() {
        List<NatConfig.OneToOne> setA = setup.config.nat().oneToOne();
        List<NatConfig.OneToOne> setB = setup.ruleSets.b().nat().oneToOne();
        try (FakeMbuf buf = new FakeMbuf()) {
            int g = 5;
            int client = walk.clientIp(g);
            int server = walk.serverIp(g);
            int other = walk.clientIp(g + 1);
            int byA = firstExternal(setA, client);
            int byB = firstExternal(setB, client);
            assertEquals(true, byA != byB, "the two sets map the host to different addresses");

            long f = request(buf, g);
            translate(f, byA, server, 63, true, true);
            verifier.check(f, Rig.WAN);
            f = request(buf, g);
            translate(f, byB, server, 63, true, true);
            verifier.check(f, Rig.WAN);
            assertEquals(Map.of("translated_by_a", 1L, "translated_by_b", 1L, "translated_back", 0L, "mistranslated", 0L),
                    figures());

            // the reply, translated back to the client (either set maps either address back)
            f = request(buf, g);
            translate(f, byA, server, 63, true, true);
            Mirror.reflect(buf.m);
            translate(f, server, client, 63, true, true);
            verifier.check(f, Rig.LAN);
            assertEquals(1L, figures().get("translated_back"));

            long wrong = 0;
            for (int[] bad : new int[][] {
                    {firstExternal(setA, other), server, 63, 1, 1}, // the neighbour's address
                    {walk.clientIp(g), server, 63, 1, 1},          // not translated at all
                    {byA, server, 64, 1, 1},                       // TTL not decremented
                    {byA, server + 1, 63, 1, 1},                   // wrong server
                    {byB, server, 63, 1, 0},                       // half: the UDP checksum not updated
                    {byA, server, 63, 0, 1}}) {                    // half: the header checksum not updated
                f = request(buf, g);
                translate(f, bad[0], bad[1], bad[2], bad[3] == 1, bad[4] == 1);
                verifier.check(f, Rig.WAN);
                assertEquals(++wrong, verifier.mistranslated(), "accepted " + List.of(bad[0], bad[1], bad[2]));
            }
            f = request(buf, g);
            translate(f, byA, server, 63, true, true);
            Mirror.reflect(buf.m);
            translate(f, server, other, 63, true, true); // the reply delivered to another host
            verifier.check(f, Rig.LAN);
            assertEquals(++wrong, verifier.mistranslated());

            Mem.u16(f + 12, 0x0806); // not IPv4 (the engine's gratuitous ARP): not counted at all
            verifier.check(f, Rig.WAN);
            assertEquals(Map.of("translated_by_a", 1L, "translated_by_b", 1L, "translated_back", 1L, "mistranslated",
                    wrong), figures());
        }
    }
}
