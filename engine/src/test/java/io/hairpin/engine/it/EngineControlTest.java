package io.hairpin.engine.it;

import static io.hairpin.engine.testing.Frames.ip;
import static io.hairpin.engine.testing.Frames.mac;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.hairpin.engine.Cpus;
import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.SessionView;
import io.hairpin.engine.TraceEntry;
import io.hairpin.engine.nat.NatConfig;
import io.hairpin.engine.session.PortAllocator;
import io.hairpin.engine.session.SessionTable;
import io.hairpin.engine.testing.Affinity;
import io.hairpin.engine.testing.Decoded;
import io.hairpin.engine.testing.Frames;
import io.hairpin.engine.worker.Counters;
import io.hairpin.engine.worker.NatTables;
import io.hairpin.engine.worker.SessionChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control plane's calls on a running engine with real DPDK ports (ring ports the test feeds
 * and drains): apply refusing interface changes, sessions surviving a swap, listing and flushing
 * sessions, and tracing packets. Outputs are checked with the independent decoder.
 */
class EngineControlTest {
    static final int WAN_IP = ip("203.0.113.1");
    static final int LAN_IP = ip("192.168.1.1");
    static final int CLIENT = ip("192.168.1.10");
    static final int CLIENT2 = ip("192.168.1.11");
    static final int REMOTE = ip("203.0.113.254");
    static final int POOL_A = ip("203.0.113.10");
    static final int POOL_B = ip("203.0.113.11");
    static final long WAN_MAC = PcapRun.macOf("w");
    static final long LAN_MAC = PcapRun.macOf("l");
    static final long CLIENT_MAC = mac("02:00:00:00:01:10");
    static final long CLIENT2_MAC = mac("02:00:00:00:01:11");
    static final long REMOTE_MAC = mac("02:00:00:00:02:54");
    static final byte[] PAYLOAD = "control".getBytes(StandardCharsets.US_ASCII);
    static final Predicate<byte[]> IPV4 = f -> Decoded.frame(f).ipv4() != null;

    @TempDir
    Path dir;

    static NatConfig napt(int... pool) {
        return napt(NatConfig.Filtering.ADDRESS_DEPENDENT, pool);
    }

    static NatConfig napt(NatConfig.Filtering filtering, int... pool) {
        return new NatConfig(true, NatConfig.ReflectionSource.MAPPED, filtering, NatConfig.Timeouts.DEFAULTS, 1000, 0,
                List.of(), List.of(),
                List.of(new NatConfig.Outbound(0, ip("192.168.1.0"), 24, pool, false, "lan")));
    }

    private LiveRig rig(NatConfig nat) throws Exception {
        LiveRig rig = new LiveRig(dir, List.of(PcapRun.Port.of("wan", true, "203.0.113.1/24"),
                PcapRun.Port.of("lan", false, "192.168.1.1/24")),
                List.of(LiveRig.Device.ring("w"), LiveRig.Device.ring("l")), nat);
        rig.send("w", Frames.arpReply(REMOTE_MAC, REMOTE, WAN_MAC, WAN_IP));
        rig.send("l", Frames.arpReply(CLIENT_MAC, CLIENT, LAN_MAC, LAN_IP));
        rig.awaitNeighbor(REMOTE);
        rig.awaitNeighbor(CLIENT);
        rig.settle("w", 20);
        rig.settle("l", 20);
        return rig;
    }

    static EngineConfig withNat(EngineConfig c, NatConfig nat) {
        return new EngineConfig(c.workers(), c.eal(), c.interfaces(), c.routes(), c.exceptionPath(), nat);
    }

    static EngineConfig withWan(EngineConfig c, EngineConfig.Interface wan) {
        return new EngineConfig(c.workers(), c.eal(), List.of(wan, c.interfaces().get(1)), c.routes(), c.exceptionPath(),
                c.nat());
    }

    static byte[] fromClient(long mac, int client, int port) {
        return Frames.udp4(mac, LAN_MAC, client, REMOTE, port, 53, PAYLOAD).build();
    }

    static byte[] fromRemote(int to, int port) {
        return Frames.udp4(REMOTE_MAC, WAN_MAC, REMOTE, to, 53, port, PAYLOAD).build();
    }

    /** The single IPv4 packet the engine sends on a device next, checked for valid checksums. */
    static Decoded.Ipv4 next(LiveRig rig, String group) throws InterruptedException {
        List<Decoded.Ipv4> got = rig.await(group, 1, IPV4, 2000).stream().filter(IPV4)
                .map(f -> Decoded.frame(f).ipv4()).toList();
        assertEquals(1, got.size(), got.toString());
        Decoded.Ipv4 p = got.get(0);
        assertTrue(p.headerChecksumValid(), p.toString());
        assertTrue(p.udp() == null || p.udp().checksumValid(), p.toString());
        return p;
    }

    /**
     * The worker pins itself to CPU 1, and while it runs every other thread of the process (the
     * JVM's compiler and GC threads, this test's, DPDK's) is kept off that CPU, as the kernel
     * reports each thread's affinity; once the engine is closed they get it back.
     */
    @Test
    void theWorkersCpuIsLeftToTheWorker() throws Exception {
        assumeTrue(Cpus.online() >= 2, "with one CPU the worker is not pinned");
        List<Affinity.Task> during;
        try (LiveRig rig = rig(napt(POOL_A))) {
            during = Affinity.threads();
        }
        List<Affinity.Task> after = Affinity.threads();
        int workers = 0;
        for (Affinity.Task t : during) {
            if (t.name().startsWith("hairpin-worker")) {
                workers++;
                assertEquals(Set.of(1), t.cpus(), "the worker's affinity: " + t);
            } else {
                assertTrue(!t.cpus().contains(1), "a thread on the worker's CPU: " + t);
            }
        }
        assertEquals(1, workers);
        Affinity.Task vm = after.stream().filter(t -> t.name().equals("VM Thread")).findFirst().orElseThrow();
        assertTrue(vm.cpus().contains(1), "given back after close: " + vm);
    }

    @Test
    void applyRefusesInterfaceChangesNamingThemAndTakesWhatMayChange() throws Exception {
        try (LiveRig rig = rig(napt(POOL_A))) {
            EngineConfig running = rig.config;
            long version = rig.engine.snapshot().version;
            EngineConfig.Interface wan = running.interfaces().get(0);
            EngineConfig.Interface moved = new EngineConfig.Interface("wan", true, "net_ring_elsewhere", 0,
                    wan.addresses(), wan.gateway(), wan.mtu(), wan.antiSpoofing(), wan.mac());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> rig.engine.apply(withWan(running, moved), 1000));
            assertEquals("changing interfaces requires a restart: wan device " + wan.device() + " -> net_ring_elsewhere",
                    e.getMessage());

            EngineConfig twoWorkers = new EngineConfig(2, running.eal(), running.interfaces(), running.routes(),
                    running.exceptionPath(), running.nat());
            assertEquals("changing workers requires a restart: 1 -> 2",
                    assertThrows(IllegalArgumentException.class, () -> rig.engine.apply(twoWorkers, 1000)).getMessage());

            EngineConfig.Interface internal = new EngineConfig.Interface("wan", false, wan.device(), 5, wan.addresses(),
                    wan.gateway(), 9000, wan.antiSpoofing(), wan.mac());
            assertEquals("changing interfaces requires a restart: wan vlan untagged -> 5; wan role external -> internal;"
                    + " raising the mtu of wan to 9000 requires a restart: its port and buffers were set up for 1500",
                    assertThrows(IllegalArgumentException.class,
                            () -> rig.engine.apply(withWan(running, internal), 1000)).getMessage());
            assertEquals(version, rig.engine.snapshot().version, "nothing applied");
            assertEquals(running, rig.engine.config());

            // what may change: the gateway, anti-spoofing, a lower MTU, the rules
            EngineConfig.Interface tuned = new EngineConfig.Interface("wan", true, wan.device(), 0, wan.addresses(),
                    REMOTE, 1400, false, wan.mac());
            EngineConfig next = withNat(withWan(running, tuned), napt(POOL_B));
            long applied = rig.engine.apply(next, 1000);
            assertTrue(applied > version);
            assertEquals(applied, rig.engine.snapshot().version);
            assertEquals(1400, rig.engine.snapshot().mtu[0]);
            assertEquals(next, rig.engine.config());
            rig.send("l", fromClient(CLIENT_MAC, CLIENT, 5000));
            assertEquals(POOL_B, next(rig, "w").src(), "the new rules are in force");
        }
    }

    /**
     * An interface renumbered by apply (an ISP moving the WAN address) is taken up while the
     * appliance runs: the new address is announced with a gratuitous ARP and answered for, the
     * old one no longer is; outbound NAT to "the interface's address" opens new sessions on the
     * new address while the sessions opened before keep the old one, replies included.
     * Oracle: the frames on the wire, decoded independently.
     */
    @Test
    void anInterfaceRenumberedWhileRunningIsAnnouncedAnsweredAndTranslatedTo() throws Exception {
        int renumbered = ip("203.0.113.2");
        Predicate<byte[]> arp = f -> Decoded.frame(f).arp() != null;
        try (LiveRig rig = rig(napt())) {
            rig.send("l", fromClient(CLIENT_MAC, CLIENT, 5000));
            assertEquals(WAN_IP, next(rig, "w").src(), "outbound NAT to the interface's address");

            EngineConfig.Interface wan = rig.config.interfaces().get(0);
            EngineConfig.Interface moved = new EngineConfig.Interface("wan", true, wan.device(), 0,
                    List.of(new EngineConfig.Address(renumbered, 24)), wan.gateway(), wan.mtu(), wan.antiSpoofing(),
                    wan.mac());
            rig.engine.apply(withWan(rig.config, moved), 1000);
            List<Decoded.Arp> announced = rig.await("w", 1, arp, 2000).stream().filter(arp)
                    .map(f -> Decoded.frame(f).arp()).toList();
            assertEquals(1, announced.size(), announced.toString());
            Decoded.Arp garp = announced.get(0);
            assertEquals(1, garp.op(), "a gratuitous request: " + garp);
            assertEquals(renumbered, garp.spa());
            assertEquals(renumbered, garp.tpa());
            assertEquals(WAN_MAC, garp.sha());
            assertEquals(List.of(), rig.settle("l", 50).stream().filter(arp).toList(), "the LAN kept its address");

            rig.send("w", Frames.arpRequest(REMOTE_MAC, REMOTE, renumbered));
            List<Decoded.Arp> answers = rig.await("w", 1, arp, 2000).stream().filter(arp)
                    .map(f -> Decoded.frame(f).arp()).toList();
            assertEquals(1, answers.size(), answers.toString());
            assertEquals(2, answers.get(0).op());
            assertEquals(renumbered, answers.get(0).spa());
            assertEquals(WAN_MAC, answers.get(0).sha());
            rig.send("w", Frames.arpRequest(REMOTE_MAC, REMOTE, WAN_IP));
            assertEquals(List.of(), rig.settle("w", 100).stream().filter(arp).toList(), "the old address is not ours");

            assertOldFlowKeptNewFlowMoved(rig, WAN_IP, renumbered);
            rig.send("w", fromRemote(renumbered, 5001));
            Decoded.Ipv4 reply = next(rig, "l");
            assertEquals(CLIENT, reply.dst());
            assertEquals(5001, reply.udp().dport());

            int published = ip("203.0.113.40");
            NatConfig withServer = new NatConfig(true, NatConfig.ReflectionSource.MAPPED,
                    NatConfig.Filtering.ADDRESS_DEPENDENT, NatConfig.Timeouts.DEFAULTS, 1000, 0,
                    List.of(new NatConfig.OneToOne(0, published, CLIENT2, 32, false, NatConfig.Destination.ANY,
                            NatConfig.Reflection.DEFAULT, null, true, null, "server")),
                    List.of(), napt().outbound());
            rig.engine.apply(withNat(rig.engine.config(), withServer), 1000);
            List<Decoded.Arp> added = rig.await("w", 1, arp, 2000).stream().filter(arp)
                    .map(f -> Decoded.frame(f).arp()).toList();
            assertEquals(1, added.size(), "only the rule's new address, not the WAN's again: " + added);
            assertEquals(published, added.get(0).spa());
            assertEquals(published, added.get(0).tpa());
            assertEquals(List.of(), rig.settle("w", 100).stream().filter(arp).toList(), "announced once");
        }
    }

    /**
     * nat.max-sessions sizes the session state once, on the control thread, when the first rules
     * keeping sessions arrive. Rules whose state would not fit this JVM's heap are refused with
     * the figures, and the running rules go on forwarding; rules that fit have their state built
     * and translate at once; raising max-sessions above what was built needs a restart, lowering
     * it and raising it back do not. Oracle: the configurations and the JVM's own heap limit.
     */
    @Test
    void sessionStateIsBuiltOnceWhenItFitsAndItsSizeHoldsUntilARestart() throws Exception {
        int tooMany = SessionTable.MAX_CAPACITY;
        assumeTrue(NatTables.footprint(tooMany).heapBytes() > Runtime.getRuntime().maxMemory(),
                "this JVM's heap could hold " + tooMany + " sessions");
        try (LiveRig rig = rig(null)) {
            long version = rig.engine.snapshot().version;
            NatTables.DoesNotFit refused = assertThrows(NatTables.DoesNotFit.class,
                    () -> rig.engine.apply(withNat(rig.config, naptFor(tooMany, POOL_A)), 1000));
            assertTrue(refused.getMessage().startsWith("nat.max-sessions " + tooMany + " needs "), refused.getMessage());
            assertTrue(refused.getMessage().contains("the Java heap has room for"), refused.getMessage());
            assertEquals(version, rig.engine.snapshot().version, "nothing applied");
            assertEquals(0, rig.engine.snapshots().natCapacity(), "nor built");
            rig.send("l", fromClient(CLIENT_MAC, CLIENT, 5000));
            assertEquals(CLIENT, next(rig, "w").src(), "still routed as it was");

            rig.engine.apply(withNat(rig.config, naptFor(2000, POOL_A)), 1000);
            assertEquals(2000, rig.engine.snapshots().natCapacity());
            rig.send("l", fromClient(CLIENT_MAC, CLIENT, 5001));
            assertEquals(POOL_A, next(rig, "w").src(), "translated by the state built on applying");

            long built = rig.engine.snapshot().version;
            assertEquals("raising nat.max-sessions to 2001 requires a restart: the session state was built for 2000",
                    assertThrows(IllegalArgumentException.class,
                            () -> rig.engine.apply(withNat(rig.config, naptFor(2001, POOL_A)), 1000)).getMessage());
            assertEquals(built, rig.engine.snapshot().version, "nothing applied");
            rig.engine.apply(withNat(rig.config, naptFor(100, POOL_B)), 1000);
            rig.engine.apply(withNat(rig.config, naptFor(2000, POOL_B)), 1000);
            assertEquals(2000, rig.engine.snapshots().natCapacity(), "built once");
            rig.send("l", fromClient(CLIENT_MAC, CLIENT, 5002));
            assertEquals(POOL_B, next(rig, "w").src(), "the last rules are in force");
        }
    }

    /**
     * Port pools are built by worker 0 when it takes the rules up, 24 KiB an address: rules adding
     * more than the heap holds are refused with the figures, and the running rules go on. Oracle:
     * the JVM's own heap limit.
     */
    @Test
    void portPoolsThatWouldNotFitTheHeapAreRefused() throws Exception {
        int[][] slash16s = new int[4][65536];
        for (int p = 0; p < slash16s.length; p++) {
            for (int a = 0; a < 65536; a++) {
                slash16s[p][a] = ip("10." + (200 + p) + ".0.0") + a;
            }
        }
        assumeTrue(4 * PortAllocator.heapBytesFor(65536) > Runtime.getRuntime().maxMemory(),
                "this JVM's heap could hold four /16 pools");
        try (LiveRig rig = rig(napt(POOL_A))) {
            long version = rig.engine.snapshot().version;
            List<NatConfig.Outbound> four = new java.util.ArrayList<>();
            for (int p = 0; p < slash16s.length; p++) {
                four.add(new NatConfig.Outbound(0, ip("192.168." + (10 + p) + ".0"), 24, slash16s[p], false, "lan"));
            }
            NatConfig n = napt(POOL_A);
            NatConfig big = new NatConfig(n.reflection(), n.reflectionSource(), n.filtering(), n.timeouts(),
                    n.maxSessions(), n.maxSessionsPerHost(), n.oneToOne(), n.portForwards(), four);
            NatTables.DoesNotFit refused = assertThrows(NatTables.DoesNotFit.class,
                    () -> rig.engine.apply(withNat(rig.config, big), 1000));
            assertTrue(refused.getMessage().startsWith("the NAT port pools these rules add (262144 addresses, 24 KiB each)"
                    + " need 6.0 GiB of Java heap, but the Java heap has room for "), refused.getMessage());
            assertEquals(version, rig.engine.snapshot().version, "nothing applied");
            rig.send("l", fromClient(CLIENT_MAC, CLIENT, 5000));
            assertEquals(POOL_A, next(rig, "w").src(), "the running rules go on");
        }
    }

    private static NatConfig naptFor(int maxSessions, int... pool) {
        NatConfig n = napt(pool);
        return new NatConfig(n.reflection(), n.reflectionSource(), n.filtering(), n.timeouts(), maxSessions,
                n.maxSessionsPerHost(), n.oneToOne(), n.portForwards(), n.outbound());
    }

    /**
     * A filtering change applied while running reaches mappings made before it: a mapping made
     * under address-and-port-dependent filtering admits its remote's other ports once the
     * filtering is address-dependent, and stops admitting them when it is changed back.
     */
    @Test
    void aFilteringChangeAppliedWhileRunningReachesMappingsMadeBeforeIt() throws Exception {
        try (LiveRig rig = rig(napt(NatConfig.Filtering.ADDRESS_AND_PORT_DEPENDENT, POOL_A))) {
            rig.send("l", fromClient(CLIENT_MAC, CLIENT, 5000));
            int port = next(rig, "w").udp().sport();
            long notAdmitted = rig.engine.eventCounter(Counters.NAT_NOT_ADMITTED);
            rig.send("w", Frames.udp4(REMOTE_MAC, WAN_MAC, REMOTE, POOL_A, 54, port, PAYLOAD).build());
            assertEquals(List.of(), rig.settle("l", 50).stream().filter(IPV4).toList(), "another remote port: filtered");
            assertEquals(notAdmitted + 1, rig.engine.eventCounter(Counters.NAT_NOT_ADMITTED));

            rig.engine.apply(withNat(rig.config, napt(NatConfig.Filtering.ADDRESS_DEPENDENT, POOL_A)), 1000);
            rig.send("w", Frames.udp4(REMOTE_MAC, WAN_MAC, REMOTE, POOL_A, 54, port, PAYLOAD).build());
            Decoded.Ipv4 in = next(rig, "l");
            assertEquals(CLIENT, in.dst());
            assertEquals(5000, in.udp().dport());
            assertEquals(54, in.udp().sport());

            rig.engine.apply(withNat(rig.config, napt(NatConfig.Filtering.ADDRESS_AND_PORT_DEPENDENT, POOL_A)), 1000);
            rig.send("w", Frames.udp4(REMOTE_MAC, WAN_MAC, REMOTE, POOL_A, 55, port, PAYLOAD).build());
            assertEquals(List.of(), rig.settle("l", 50).stream().filter(IPV4).toList(), "filtered again at once");
            assertEquals(notAdmitted + 2, rig.engine.eventCounter(Counters.NAT_NOT_ADMITTED));
        }
    }

    /**
     * A worker whose loop ends while the engine runs is reported, which is what {@code hairpin run}
     * waits on to stop with exit 1. Its thread is interrupted here: the one way to end a running
     * worker's loop from outside it, as an Error out of the loop would. A close ends the loop too,
     * and is not reported.
     */
    @Test
    void aWorkerWhoseLoopEndsIsReportedAndACloseIsNot() throws Exception {
        try (LiveRig rig = rig(napt(POOL_A))) {
            CompletableFuture<String> stopped = rig.engine.workerStopped();
            rig.send("l", fromClient(CLIENT_MAC, CLIENT, 5000));
            assertEquals(POOL_A, next(rig, "w").src());
            assertFalse(stopped.isDone());
            workerThread(0).interrupt();
            assertEquals("worker 0 stopped: its thread was interrupted", stopped.get(10, TimeUnit.SECONDS));
            rig.send("l", fromClient(CLIENT_MAC, CLIENT, 5001));
            assertEquals(List.of(), rig.settle("w", 100), "nothing is forwarded once it stopped");
        }
        CompletableFuture<String> closed;
        try (LiveRig rig = rig(napt(POOL_A))) {
            closed = rig.engine.workerStopped();
            rig.send("l", fromClient(CLIENT_MAC, CLIENT, 5000));
            assertEquals(POOL_A, next(rig, "w").src());
        }
        assertFalse(closed.isDone(), "closing is not a failure");
    }

    /**
     * The worker's error handler, which its runner calls with an exception out of the loop and then
     * goes on looping, counts each one as {@code worker_errors} (what {@code hairpin stats} shows)
     * and leaves the worker forwarding. Called here directly: nothing a test can send makes the
     * loop throw.
     */
    @Test
    void anExceptionOutOfAWorkersLoopIsCountedAndItGoesOn() throws Exception {
        try (LiveRig rig = rig(napt(POOL_A))) {
            CompletableFuture<String> stopped = rig.engine.workerStopped();
            for (int i = 0; i < 12; i++) {
                rig.engine.workers().get(0).onError(new IllegalStateException("a defect, " + i));
            }
            assertEquals(12L, rig.engine.events().get("worker_errors"));
            rig.send("l", fromClient(CLIENT_MAC, CLIENT, 5000));
            assertEquals(POOL_A, next(rig, "w").src());
            assertFalse(stopped.isDone());
        }
    }

    private static Thread workerThread(int id) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().equals("hairpin-worker-" + id) && t.isAlive()).findFirst().orElseThrow();
    }

    @Test
    void sessionsSurviveASwapAreListedAndFlushedWithTheirPorts() throws Exception {
        try (LiveRig rig = rig(napt(POOL_A))) {
            assertEquals(List.of(), rig.engine.sessions(0, 0, 100), "no session yet");
            rig.send("l", fromClient(CLIENT_MAC, CLIENT, 5000));
            Decoded.Ipv4 first = next(rig, "w");
            assertEquals(POOL_A, first.src());
            assertEquals(5000, first.udp().sport());

            List<SessionView> sessions = rig.engine.sessions(0, 0, 100);
            assertEquals(1, sessions.size());
            SessionView s = sessions.get(0);
            assertEquals(17, s.protocol());
            assertEquals(CLIENT, s.insideIp());
            assertEquals(5000, s.insidePort());
            assertEquals(POOL_A, s.outsideIp());
            assertEquals(5000, s.outsidePort());
            assertEquals(REMOTE, s.remoteIp());
            assertEquals(53, s.remotePort());
            assertEquals(0, s.tcpState());
            assertTrue(s.expiresInMillis() > 295_000 && s.expiresInMillis() <= 300_000, "UDP: 300 s, " + s);
            awaitSessionCount(rig, 1);

            long version = rig.engine.apply(withNat(rig.config, napt(POOL_B)), 1000);
            assertEquals(version, rig.engine.snapshot().version);

            assertOldFlowKeptNewFlowMoved(rig, POOL_A, POOL_B);

            assertEquals(2, rig.engine.sessions(0, 0, 100).size());
            assertEquals(1, rig.engine.sessions(0, 0, 1).size(), "limit");
            assertEquals(List.of(), rig.engine.sessions(0, 6, 100), "no TCP session");
            List<SessionView> onB = rig.engine.sessions(POOL_B, 0, 100);
            assertEquals(1, onB.size());
            assertEquals(5001, onB.get(0).insidePort());
            assertEquals(2, rig.engine.sessions(CLIENT, 17, 100).size(), "filter by inside address");
            assertEquals(2, rig.engine.sessions(REMOTE, 0, 100).size(), "or by remote address");

            assertEquals(1, rig.engine.flushSessions(POOL_B, 17));
            long notAdmitted = rig.engine.eventCounter(Counters.NAT_NO_MAPPING);
            rig.send("w", fromRemote(POOL_B, 5001));
            assertEquals(List.of(), rig.settle("l", 100).stream().filter(IPV4).toList(),
                    "the flushed session's reply is no longer admitted");
            assertEquals(notAdmitted + 1, rig.engine.eventCounter(Counters.NAT_NO_MAPPING));
            rig.send("l", fromClient(CLIENT2_MAC, CLIENT2, 5001));
            Decoded.Ipv4 reused = next(rig, "w");
            assertEquals(POOL_B, reused.src());
            assertEquals(5001, reused.udp().sport(), "the flushed session's port was freed (and preserved again)");

            assertEquals(2, rig.engine.flushSessions(0, 0), "the old session and the new one");
            assertEquals(List.of(), rig.engine.sessions(0, 0, 100));
            awaitSessionCount(rig, 0);
            rig.send("w", fromRemote(POOL_A, 5000));
            assertEquals(List.of(), rig.settle("l", 100).stream().filter(IPV4).toList(),
                    "the pre-swap session is gone too");
        }
    }

    /**
     * After a swap: the client's flow from port 5000, whose session was opened before it, still
     * leaves from {@code kept} and its replies come back; a new flow from port 5001 leaves from
     * {@code moved}, its port preserved.
     */
    private static void assertOldFlowKeptNewFlowMoved(LiveRig rig, int kept, int moved) throws InterruptedException {
        rig.send("l", fromClient(CLIENT_MAC, CLIENT, 5000));
        assertEquals(kept, next(rig, "w").src(), "the session created before the swap keeps its translation");
        rig.send("w", fromRemote(kept, 5000));
        Decoded.Ipv4 back = next(rig, "l");
        assertEquals(CLIENT, back.dst(), "and its replies still come back");
        assertEquals(5000, back.udp().dport());
        rig.send("l", fromClient(CLIENT_MAC, CLIENT, 5001));
        Decoded.Ipv4 fresh = next(rig, "w");
        assertEquals(moved, fresh.src(), "a new flow follows the new rules");
        assertEquals(5001, fresh.udp().sport());
    }

    /**
     * Once a flow's packets come from the flow cache by their session (a session entry), flushing
     * the session stops them there too: the entry carries the session's rewrite, and removing the
     * session drops it. Nor does the next session taking the flushed one's index get them.
     */
    @Test
    void aFlushedSessionsRepliesAreNotTranslatedFromTheFlowCache() throws Exception {
        try (LiveRig rig = rig(napt(POOL_A))) {
            rig.send("l", Frames.arpReply(CLIENT2_MAC, CLIENT2, LAN_MAC, LAN_IP));
            rig.awaitNeighbor(CLIENT2);
            rig.send("l", fromClient(CLIENT_MAC, CLIENT, 5000));
            assertEquals(POOL_A, next(rig, "w").src());
            // the first reply records the pipeline's decisions; the second takes the session path
            // and leaves a session entry, which the third and fourth take
            long shortPath = rig.engine.eventCounter(Counters.SESSION_FAST_PATH);
            for (int i = 0; i < 4; i++) {
                rig.send("w", fromRemote(POOL_A, 5000));
                Decoded.Ipv4 back = next(rig, "l");
                assertEquals(CLIENT, back.dst());
                assertEquals(5000, back.udp().dport());
            }
            assertEquals(shortPath + 3, rig.engine.eventCounter(Counters.SESSION_FAST_PATH));

            assertEquals(1, rig.engine.flushSessions(0, 0));
            awaitSessionCount(rig, 0);
            long noMapping = rig.engine.eventCounter(Counters.NAT_NO_MAPPING);
            rig.send("w", fromRemote(POOL_A, 5000));
            assertEquals(List.of(), rig.settle("l", 100).stream().filter(IPV4).toList(),
                    "the flushed session's reply is not let in");
            assertEquals(noMapping + 1, rig.engine.eventCounter(Counters.NAT_NO_MAPPING));

            rig.send("l", fromClient(CLIENT2_MAC, CLIENT2, 5001)); // its session takes the freed index
            assertEquals(5001, next(rig, "w").udp().sport());
            rig.send("w", fromRemote(POOL_A, 5000));
            assertEquals(List.of(), rig.settle("l", 100).stream().filter(IPV4).toList(),
                    "nor is it sent to the host whose session has the index now");
            assertEquals(noMapping + 2, rig.engine.eventCounter(Counters.NAT_NO_MAPPING));
            rig.send("w", fromRemote(POOL_A, 5001));
            Decoded.Ipv4 back = next(rig, "l");
            assertEquals(CLIENT2, back.dst(), "while that host's own replies come in");
            assertEquals(5001, back.udp().dport());
        }
    }

    /**
     * A session entry's packets do not refresh their session one by one; the session was
     * refreshed when the entry was made, as of the entry's expiry. So a session still lives its
     * full timeout after the last packet the entry took, half a second after the entry was made
     * (and at most one entry lifetime, 1 s, longer). Oracle: this test's clock, the engine's.
     */
    @Test
    void aSessionLivesItsTimeoutAfterTheLastPacketItsSessionEntryTook() throws Exception {
        try (LiveRig rig = rig(napt(POOL_A))) {
            rig.send("l", fromClient(CLIENT_MAC, CLIENT, 5000));
            assertEquals(POOL_A, next(rig, "w").src());
            // the first reply records the pipeline's decisions; the second takes the session path
            // and leaves a session entry, which lives as long as the route entry the first filled
            // (at least 0.75 s) and takes the third
            for (int i = 0; i < 2; i++) {
                rig.send("w", fromRemote(POOL_A, 5000));
                assertEquals(CLIENT, next(rig, "l").dst());
            }
            Thread.sleep(500);
            long sent = System.nanoTime();
            rig.send("w", fromRemote(POOL_A, 5000));
            assertEquals(CLIENT, next(rig, "l").dst());
            assertLivesAfter(rig, sent, NatConfig.Timeouts.DEFAULTS.udp() * 1000L);
        }
    }

    /**
     * A FIN the pipeline sees shortens the session's life to the transitory timeout, and the
     * flow's session entry, made under the established one, goes with it: the next packet of the
     * flow refreshes the session by the transitory timeout from then, as it would without the
     * flow cache. Oracle: this test's clock and the configured timeouts.
     */
    @Test
    void afterAFinTheNextPacketRefreshesTheSessionByTheTransitoryTimeout() throws Exception {
        try (LiveRig rig = rig(napt(POOL_A))) {
            rig.send("l", tcp(CLIENT_MAC, LAN_MAC, CLIENT, 5000, REMOTE, 80, Frames.TCP_SYN));
            assertEquals(POOL_A, next(rig, "w").src());
            rig.send("w", tcp(REMOTE_MAC, WAN_MAC, REMOTE, 80, POOL_A, 5000, Frames.TCP_SYN | Frames.TCP_ACK));
            assertEquals(CLIENT, next(rig, "l").dst());
            // established: the first ACK records the pipeline's decisions, the second leaves a session entry
            long sent = 0;
            for (int i = 0; i < 2; i++) {
                sent = System.nanoTime();
                rig.send("l", tcp(CLIENT_MAC, LAN_MAC, CLIENT, 5000, REMOTE, 80, Frames.TCP_ACK));
                assertEquals(POOL_A, next(rig, "w").src());
            }
            assertLivesAfter(rig, sent, NatConfig.Timeouts.DEFAULTS.tcpEstablished() * 1000L);
            rig.send("w", tcp(REMOTE_MAC, WAN_MAC, REMOTE, 80, POOL_A, 5000, Frames.TCP_FIN | Frames.TCP_ACK));
            assertEquals(CLIENT, next(rig, "l").dst());
            Thread.sleep(500); // the entry (at least 0.75 s from the first ACK) would still take the next ACK
            sent = System.nanoTime();
            rig.send("l", tcp(CLIENT_MAC, LAN_MAC, CLIENT, 5000, REMOTE, 80, Frames.TCP_ACK));
            Decoded.Ipv4 out = next(rig, "w");
            assertEquals(POOL_A, out.src());
            assertTrue(out.tcp().checksumValid(), out.toString());
            assertLivesAfter(rig, sent, NatConfig.Timeouts.DEFAULTS.tcpTransitory() * 1000L);
        }
    }

    private static byte[] tcp(long srcMac, long dstMac, int src, int sport, int dst, int dport, int flags) {
        return Frames.tcp4(srcMac, dstMac, src, dst, sport, dport, 1, 1, flags, PAYLOAD).build();
    }

    /**
     * The one session is listed with at least timeoutMillis left after a packet sent at sentNanos
     * (less the time since), and at most one flow-cache entry lifetime (1 s) more than that.
     */
    private static void assertLivesAfter(LiveRig rig, long sentNanos, long timeoutMillis) {
        List<SessionView> listed = rig.engine.sessions(0, 0, 10);
        long since = (System.nanoTime() - sentNanos) / 1_000_000L + 1;
        assertEquals(1, listed.size(), listed.toString());
        long left = listed.get(0).expiresInMillis();
        assertTrue(left >= timeoutMillis - since, left + " ms left, " + since + " ms after a packet, timeout "
                + timeoutMillis + " ms");
        assertTrue(left <= timeoutMillis + 1000, left + " ms left, timeout " + timeoutMillis + " ms");
    }

    @Test
    void withoutNatThereAreNoSessionsToListOrFlush() throws Exception {
        try (LiveRig rig = rig(null)) {
            assertEquals(List.of(), rig.engine.sessions(0, 0, 4096));
            assertEquals(0, rig.engine.flushSessions(0, 0));
            assertEquals(0, rig.engine.sessionCount());
            rig.send("l", fromClient(CLIENT_MAC, CLIENT, 5000));
            assertEquals(CLIENT, next(rig, "w").src(), "routed as it is");
            assertEquals(List.of(), rig.engine.sessions(0, 0, 10));
        }
    }

    /**
     * Established sessions leave by the route of the current configuration, although each flow
     * memoizes its route decision in its session: thousands of flows (enough that the flow cache
     * stands aside and bursts are looked up in the session table, where the memos are used) send
     * twice to a remote on the WAN link; then a new configuration routes that remote through
     * another WAN neighbour (and another network through the old one), and every later packet of
     * every flow leaves to that neighbour's MAC, still translated as before, and by the short
     * path again. Oracle: the configurations.
     */
    @Test
    void establishedSessionsLeaveByANewRouteAtOnce() throws Exception {
        int flows = 6000;
        NatConfig nat = new NatConfig(true, NatConfig.ReflectionSource.MAPPED, NatConfig.Filtering.ADDRESS_DEPENDENT,
                NatConfig.Timeouts.DEFAULTS, 2 * flows, 0, List.of(), List.of(),
                List.of(new NatConfig.Outbound(0, ip("192.168.1.0"), 24, new int[] {POOL_A}, false, "lan")));
        int gateway = ip("203.0.113.253");
        int beyond = ip("198.51.100.0");
        long gatewayMac = mac("02:00:00:00:02:53");
        try (LiveRig rig = rig(nat)) {
            rig.send("w", Frames.arpReply(gatewayMac, gateway, WAN_MAC, WAN_IP));
            rig.awaitNeighbor(gateway);
            rig.settle("w", 20);
            for (int round = 0; round < 4; round++) {
                if (round == 2) {
                    EngineConfig c = rig.config;
                    rig.engine.apply(new EngineConfig(c.workers(), c.eal(), c.interfaces(),
                            List.of(new EngineConfig.StaticRoute(REMOTE, 32, gateway),
                                    new EngineConfig.StaticRoute(beyond, 24, REMOTE)),
                            c.exceptionPath(), c.nat()), 1000);
                    // a session to a network behind the old next hop: its second packet makes
                    // the new configuration's decision for that next hop, which an old memo
                    // would find valid
                    for (int k = 0; k < 2; k++) {
                        rig.send("l", Frames.udp4(CLIENT_MAC, LAN_MAC, CLIENT, beyond + 1, 9000, 53, PAYLOAD).build());
                        Decoded.Frame via = Decoded.frame(rig.await("w", 1, IPV4, 2000).stream().filter(IPV4)
                                .findFirst().orElseThrow());
                        assertEquals(REMOTE_MAC, via.dstMac(), "behind the old next hop");
                    }
                }
                long shortPath = rig.engine.eventCounter(Counters.SESSION_FAST_PATH);
                List<byte[]> out = new java.util.ArrayList<>();
                for (int f = 0; f < flows; f++) {
                    out.add(fromClient(CLIENT_MAC, CLIENT, 10000 + f));
                }
                rig.send("l", out);
                List<byte[]> got = rig.await("w", flows, IPV4, 10_000).stream().filter(IPV4).toList();
                assertEquals(flows, got.size(), "round " + round);
                long nextHop = round < 2 ? REMOTE_MAC : gatewayMac;
                for (int i = 0; i < flows; i++) {
                    Decoded.Frame frame = Decoded.frame(got.get(i));
                    Decoded.Ipv4 p = frame.ipv4();
                    assertEquals(nextHop, frame.dstMac(), "round " + round + ", flow " + i + "'s next hop");
                    assertEquals(REMOTE, p.dst());
                    assertEquals(POOL_A, p.src());
                    assertEquals(10000 + i, p.udp().sport(), "round " + round + ", flow " + i + " keeps its port");
                }
                if (round > 0) {
                    // all but the packet that records a route decision, and one more each time
                    // a route entry's second of validity runs out during the round
                    long taken = rig.engine.eventCounter(Counters.SESSION_FAST_PATH) - shortPath;
                    assertTrue(taken >= flows - 100, "round " + round + ": short path " + taken);
                }
            }
        }
    }

    /**
     * More sessions than one request to worker 0 returns ({@link SessionChannel#MAX_RESULTS}) are
     * listed in requests that go on from one another, each session once (the list stopped at
     * 4096 before, which the CLI showed as all there were).
     */
    @Test
    void sessionsBeyondOneRequestAreListedEachOnce() throws Exception {
        int n = SessionChannel.MAX_RESULTS + 904;
        try (LiveRig rig = rig(naptFor(10_000, POOL_A))) {
            List<byte[]> frames = new java.util.ArrayList<>();
            for (int i = 0; i < n; i++) {
                frames.add(fromClient(CLIENT_MAC, CLIENT, 10_000 + i));
            }
            rig.send("l", frames);
            rig.await("w", n, IPV4, 20_000);
            awaitSessionCount(rig, n);
            Set<Integer> ports = java.util.stream.IntStream.range(10_000, 10_000 + n).boxed()
                    .collect(java.util.stream.Collectors.toSet());
            List<SessionView> all = rig.engine.sessions(0, 0, 100_000);
            assertEquals(n, all.size());
            assertEquals(ports, all.stream().map(SessionView::insidePort).collect(java.util.stream.Collectors.toSet()));
            List<SessionView> some = rig.engine.sessions(0, 0, n - 1);
            assertEquals(n - 1, some.size());
            assertEquals(n - 1, some.stream().map(SessionView::insidePort).distinct().count());
            assertEquals(SessionChannel.MAX_RESULTS, rig.engine.sessions(0, 0, SessionChannel.MAX_RESULTS).size());
            assertEquals(n, rig.engine.sessions(CLIENT, 17, 100_000).size());
            assertEquals(0, rig.engine.sessions(CLIENT, 6, 100_000).size());
        }
    }

    private static void awaitSessionCount(LiveRig rig, long n) throws InterruptedException {
        long deadline = System.nanoTime() + 1_000_000_000L;
        while (rig.engine.sessionCount() != n && System.nanoTime() < deadline) {
            Thread.sleep(1);
        }
        assertEquals(n, rig.engine.sessionCount());
    }

    @Test
    void traceShowsTheNextPacketsWithWhatBecameOfThem() throws Exception {
        try (LiveRig rig = rig(napt())) { // translation to the WAN interface's address
            assertThrows(IllegalArgumentException.class, () -> rig.engine.trace(0, 100));
            assertThrows(IllegalArgumentException.class, () -> rig.engine.trace(1001, 100));
            assertEquals(List.of(), rig.engine.trace(3, 50), "nothing came in: nothing traced");

            CompletableFuture<List<TraceEntry>> trace = CompletableFuture.supplyAsync(() -> rig.engine.trace(6, 5000));
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (!rig.engine.workers().get(0).tracer().isArmed() && System.nanoTime() < deadline) {
                Thread.sleep(1); // armed in the worker's next housekeeping round
            }
            rig.send("l", fromClient(CLIENT_MAC, CLIENT, 5000));
            assertEquals(WAN_IP, next(rig, "w").src());
            rig.send("w", fromRemote(WAN_IP, 5000));
            assertEquals(CLIENT, next(rig, "l").dst());
            rig.send("l", Frames.udp4(CLIENT_MAC, LAN_MAC, ip("10.9.9.9"), REMOTE, 1, 53, PAYLOAD).build());
            assertEquals(List.of(), rig.settle("w", 20).stream().filter(IPV4).toList());
            rig.send("l", Frames.arpRequest(CLIENT_MAC, CLIENT, LAN_IP));
            rig.await("l", 1, f -> Decoded.frame(f).arp() != null, 2000);
            rig.send("w", Frames.icmpEcho4(REMOTE_MAC, WAN_MAC, REMOTE, WAN_IP, Frames.ICMP_ECHO_REQUEST, 7, 1, PAYLOAD)
                    .build());
            assertEquals(REMOTE, next(rig, "w").dst());
            rig.send("w", Frames.arpReply(REMOTE_MAC, REMOTE, WAN_MAC, WAN_IP));

            List<TraceEntry> t = trace.get();
            assertEquals(6, t.size(), t.toString());
            assertEntry(t.get(0), "lan", "udp 192.168.1.10:5000 > 203.0.113.254:53",
                    "forwarded wan, nat 203.0.113.1:5000 (napt, new session)");
            assertEntry(t.get(1), "wan", "udp 203.0.113.254:53 > 203.0.113.1:5000",
                    "forwarded lan, nat > 192.168.1.10:5000 (napt)");
            assertEntry(t.get(2), "lan", "udp 10.9.9.9:1 > 203.0.113.254:53", "drop spoofed_source");
            assertEntry(t.get(3), "lan", "arp request 192.168.1.10 > 192.168.1.1", "replied lan");
            assertEntry(t.get(4), "wan", "icmp 203.0.113.254 > 203.0.113.1 echo-request id 7", "replied wan");
            assertEntry(t.get(5), "wan", "arp reply 203.0.113.254 > 203.0.113.1", "learnt (an ARP reply)");
            TraceEntry.Rule outbound = new TraceEntry.Rule(TraceEntry.RuleKind.OUTBOUND, 0, false);
            assertEquals(java.util.Arrays.asList(outbound, outbound, null, null, null, null),
                    t.stream().map(TraceEntry::rule).toList(), "the NAPT packets name the outbound rule");
            for (int i = 0; i < t.size(); i++) {
                assertEquals(0, t.get(i).worker());
                assertTrue(t.get(i).nanos() >= (i == 0 ? 0 : t.get(i - 1).nanos()), "in order: " + t);
            }
            // disarmed again: later packets are not traced
            deadline = System.nanoTime() + 1_000_000_000L;
            while (rig.engine.workers().get(0).tracer().recorded() != 0 && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            rig.send("l", fromClient(CLIENT_MAC, CLIENT, 5000));
            next(rig, "w");
            assertEquals(0, rig.engine.workers().get(0).tracer().recorded());
        }
    }

    /**
     * A traced packet names the rule whose work its rewrite is, each rule kind in both directions,
     * and a reflected one the rule its client reached the server by; a rule before it of the same
     * kind is passed over. The index is among the engine's rules of the kind (the control plane
     * turns it into the config's numbering).
     */
    @Test
    void traceNamesTheRuleBehindEachTranslation() throws Exception {
        int server = ip("192.168.1.20");
        int serverPublic = ip("203.0.113.20");
        long serverMac = mac("02:00:00:00:01:20");
        NatConfig n = napt(POOL_A);
        NatConfig.OneToOne other = new NatConfig.OneToOne(0, ip("203.0.113.30"), ip("192.168.1.30"), 32, false,
                NatConfig.Destination.ANY, NatConfig.Reflection.DEFAULT, null, false, null, "other");
        NatConfig.OneToOne binat = new NatConfig.OneToOne(0, serverPublic, server, 32, false, NatConfig.Destination.ANY,
                NatConfig.Reflection.DEFAULT, null, false, null, "server");
        NatConfig.PortForward ssh = new NatConfig.PortForward(0, NatConfig.PROTO_TCP, WAN_IP, 22, 22, server, 22,
                NatConfig.Destination.ANY, NatConfig.Reflection.DEFAULT, null, "ssh");
        NatConfig.PortForward dns = new NatConfig.PortForward(0, NatConfig.PROTO_UDP, WAN_IP, 5353, 5353, server, 53,
                NatConfig.Destination.ANY, NatConfig.Reflection.DEFAULT, null, "dns");
        n = new NatConfig(true, NatConfig.ReflectionSource.MAPPED, n.filtering(), n.timeouts(), n.maxSessions(), 0,
                List.of(other, binat), List.of(ssh, dns), n.outbound());
        try (LiveRig rig = rig(n)) {
            rig.send("l", Frames.arpReply(serverMac, server, LAN_MAC, LAN_IP));
            rig.awaitNeighbor(server);
            CompletableFuture<List<TraceEntry>> trace = CompletableFuture.supplyAsync(() -> rig.engine.trace(6, 5000));
            long deadline = System.nanoTime() + 2_000_000_000L;
            while (!rig.engine.workers().get(0).tracer().isArmed() && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            rig.send("l", Frames.udp4(serverMac, LAN_MAC, server, REMOTE, 4000, 53, PAYLOAD).build());
            assertEquals(serverPublic, next(rig, "w").src());
            rig.send("w", Frames.udp4(REMOTE_MAC, WAN_MAC, REMOTE, serverPublic, 53, 4000, PAYLOAD).build());
            assertEquals(server, next(rig, "l").dst());
            rig.send("w", Frames.udp4(REMOTE_MAC, WAN_MAC, REMOTE, WAN_IP, 6000, 5353, PAYLOAD).build());
            Decoded.Ipv4 forwarded = next(rig, "l");
            assertEquals(server, forwarded.dst());
            assertEquals(53, forwarded.udp().dport());
            rig.send("l", Frames.udp4(serverMac, LAN_MAC, server, REMOTE, 53, 6000, PAYLOAD).build());
            Decoded.Ipv4 answer = next(rig, "w");
            assertEquals(WAN_IP, answer.src());
            assertEquals(5353, answer.udp().sport());
            rig.send("l", Frames.udp4(CLIENT_MAC, LAN_MAC, CLIENT, serverPublic, 7000, 53, PAYLOAD).build());
            Decoded.Ipv4 reflected = next(rig, "l");
            assertEquals(server, reflected.dst());
            rig.send("l", Frames.udp4(serverMac, LAN_MAC, server, reflected.src(), 53, reflected.udp().sport(), PAYLOAD)
                    .build());
            assertEquals(CLIENT, next(rig, "l").dst());

            List<TraceEntry> t = trace.get();
            TraceEntry.Rule binatRule = new TraceEntry.Rule(TraceEntry.RuleKind.ONE_TO_ONE, 1, false);
            TraceEntry.Rule dnsRule = new TraceEntry.Rule(TraceEntry.RuleKind.PORT_FORWARD, 1, false);
            TraceEntry.Rule binatReflected = new TraceEntry.Rule(TraceEntry.RuleKind.ONE_TO_ONE, 1, true);
            assertEquals(List.of(binatRule, binatRule, dnsRule, dnsRule, binatReflected, binatReflected),
                    t.stream().map(TraceEntry::rule).toList(), t.toString());
            assertTrue(t.get(4).verdict().endsWith(" > 192.168.1.20:53 (reflection, new session)"), t.get(4).verdict());
            assertTrue(t.get(5).verdict().endsWith(" > 192.168.1.10:7000 (reflection)"), t.get(5).verdict());
        }
    }

    private static void assertEntry(TraceEntry e, String port, String summary, String verdict) {
        assertEquals(port, e.port(), e.toString());
        assertEquals(summary, e.summary(), e.toString());
        assertEquals(verdict, e.verdict(), e.toString());
    }
}
