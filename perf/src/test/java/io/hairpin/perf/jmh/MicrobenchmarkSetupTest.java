package io.hairpin.perf.jmh;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Runs every microbenchmark's setup (which checks the engine's answers against its own oracle:
 * checksums recomputed in full, routes by a linear longest-prefix scan, each 1:1 rule both ways,
 * every table entry findable) and a few hundred invocations of each benchmark method, then its
 * teardown checks, at the small sizes; no JMH run and nothing timed.
 */
class MicrobenchmarkSetupTest {
    private static final int CALLS = 300;
    private final Blackhole bh =
            new Blackhole("Today's password is swordfish. I understand instantiating Blackholes directly is dangerous.");

    @Test
    void packetParse() {
        for (String proto : new String[] {"udp", "tcp"}) {
            PacketParseBench b = new PacketParseBench();
            b.proto = proto;
            b.setUp();
            for (int i = 0; i < CALLS; i++) {
                b.parse(bh);
            }
            b.tearDown();
        }
    }

    @Test
    void checksums() {
        ChecksumBench b = new ChecksumBench();
        b.setUp();
        for (int i = 0; i < CALLS; i++) {
            b.ttlDecrement(bh);
            b.natRewrite(bh);
            b.update32(bh);
            b.headerVerify(bh);
            b.fullSum556(bh);
        }
        assertDoesNotThrow(b::tearDown, "the IPv4 and UDP checksums stay valid");
    }

    @Test
    void routeLookup() {
        for (String table : new String[] {"appliance", "internet10k"}) {
            RouteLookupBench b = new RouteLookupBench();
            b.table = table;
            b.setUp();
            for (int i = 0; i < CALLS; i++) {
                b.lookup(bh);
                b.forwardDecision(bh);
            }
        }
    }

    @Test
    void natRuleLookup() {
        for (int rules : new int[] {1, 10_000}) {
            NatRuleLookupBench b = new NatRuleLookupBench();
            b.rules = rules;
            b.setUp();
            for (int i = 0; i < CALLS; i++) {
                b.inbound(bh);
                b.outbound(bh);
            }
        }
    }

    @Test
    void sessionTable() {
        SessionTableBench b = new SessionTableBench();
        b.sessions = 1000;
        b.setUp();
        for (int i = 0; i < 5 * b.sessions; i++) { // the live window goes round the ring several times
            b.findHit(bh);
            b.findMiss(bh);
            b.createAndRemove(bh);
        }
        b.tearDown();
    }

    @Test
    void mappingTable() {
        MappingTableBench b = new MappingTableBench();
        b.mappings = 1000;
        b.setUp();
        for (int i = 0; i < 5 * b.mappings; i++) {
            b.findHit(bh);
            b.findExternalHit(bh);
            b.findMiss(bh);
            b.createAndRemove(bh);
        }
        b.tearDown();
    }

    @Test
    void routeMemo() {
        for (String table : new String[] {"appliance", "internet10k"}) {
            RouteMemoBench.Routing r = new RouteMemoBench.Routing();
            r.table = table;
            r.setUp();
            RouteMemoBench b = new RouteMemoBench();
            for (int i = 0; i < CALLS; i++) {
                b.sameRouting(r, bh);
            }
        }
        RouteMemoBench.Memos m = new RouteMemoBench.Memos();
        m.sessions = 1000;
        m.setUp();
        RouteMemoBench b = new RouteMemoBench();
        for (int i = 0; i < 3; i++) {
            b.sweepOneAdvance(m);
            b.sweepAll(m);
        }
        m.tearDown();
    }
}
