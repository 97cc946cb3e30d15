package io.hairpin.engine.it;

import static io.hairpin.engine.it.NaptPcapTest.CLIENT;
import static io.hairpin.engine.it.NaptPcapTest.CLIENT2;
import static io.hairpin.engine.it.NaptPcapTest.CLIENT2_MAC;
import static io.hairpin.engine.it.NaptPcapTest.CLIENT_MAC;
import static io.hairpin.engine.it.NaptPcapTest.LAN_IP;
import static io.hairpin.engine.it.NaptPcapTest.LAN_MAC;
import static io.hairpin.engine.it.NaptPcapTest.PAYLOAD;
import static io.hairpin.engine.it.NaptPcapTest.REMOTE;
import static io.hairpin.engine.it.NaptPcapTest.REMOTE2;
import static io.hairpin.engine.it.NaptPcapTest.REMOTE2_MAC;
import static io.hairpin.engine.it.NaptPcapTest.REMOTE_MAC;
import static io.hairpin.engine.it.NaptPcapTest.SERVER;
import static io.hairpin.engine.it.NaptPcapTest.SERVER_MAC;
import static io.hairpin.engine.it.NaptPcapTest.WAN_IP;
import static io.hairpin.engine.it.NaptPcapTest.WAN_MAC;
import static io.hairpin.engine.it.RuleCountersTest.HOST_PUBLIC;
import static io.hairpin.engine.testing.Frames.ip;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.TraceEntry;
import io.hairpin.engine.nat.NatConfig;
import io.hairpin.engine.nat.NatConfig.Destination;
import io.hairpin.engine.nat.NatConfig.Reflection;
import io.hairpin.engine.testing.Decoded;
import io.hairpin.engine.testing.Frames;
import io.hairpin.engine.worker.Counters;
import io.hairpin.engine.worker.Tracer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Random traffic through a running engine on real DPDK, with 1:1 NAT, port forwards, outbound NAPT
 * and reflection configured: first frames of every kind the pipeline parses, with random
 * addresses, ports, flags, options, fragments and ICMP quotes and correct checksums; then such
 * frames with random bytes broken, cut short or run on. One worker takes them from net_ring rings,
 * traced, while an operator lists sessions and applies rules, on untagged interfaces and on VLAN
 * sub-interfaces; two workers take them from every queue of net_pcap ports. Whatever arrives, no
 * worker may fail; every traced packet must be sent, held or counted as dropped; every IPv4 packet
 * sent must be well formed with a correct header checksum and, from well-formed input, correct
 * TCP, UDP and ICMP checksums; every frame must leave on the VLAN of its destination's
 * interface; no internal address may leave on the WAN side, in a header, an ICMP error's quote or
 * an ARP frame; and the sessions and rules in force before must translate a fixed set of probes
 * exactly as they did before.
 * The oracle is the tests' own decoder and checksum ({@link Decoded}) and the frames the engine
 * sent for the same probes before. A failure names its seed; {@code -Dhairpin.random.seeds=7,8}
 * runs other seeds.
 */
class RandomTrafficTest {
    private static final int FRAMES = 3000;
    private static final int LAN_PREFIX = ip("192.168.1.0");
    /** The third case's guest VLAN beside the untagged LAN, and the VLAN id of its tagged WAN. */
    private static final int GUEST_PREFIX = ip("192.168.10.0");
    private static final int GUEST_GATEWAY = ip("192.168.10.1");
    private static final int GUEST = ip("192.168.10.20");
    private static final long GUEST_MAC = Frames.mac("02:00:00:00:10:20");
    private static final int GUEST_VID = 10;
    private static final int WAN_VID = 100;
    /** The probes' own client ports, which no random frame uses, so that it cannot end their sessions. */
    private static final int PROBE_UDP_PORT = 5000;
    private static final int PROBE_REMOTE_PORT = 40000;
    private static final int PROBE_REFLECTED_PORT = 6001;

    @TempDir
    Path dir;

    /** A 1:1 host of the second rule set's subnet rule. */
    private static final int SUBNET_HOST = ip("192.168.1.65");
    private static final long SUBNET_HOST_MAC = Frames.mac("02:00:00:00:01:65");
    private static final int SUBNET_HOST_PUBLIC = ip("203.0.113.65");
    private static final int[] POOL = {ip("203.0.113.100"), ip("203.0.113.101")};

    /**
     * The first rule set: RuleCountersTest's (1:1 of one host, two TCP forwards, outbound NAPT of the
     * LAN to the interface address, reflection from the mapped address, address-dependent filtering).
     */
    private static final NatConfig FIRST = RuleCountersTest.RULES;

    /**
     * The second: reflection from the interface address, endpoint-independent filtering, a
     * 1:1 subnet that admits only tcp/80 unsolicited and excludes one host (No-BINAT), a 1:1 rule
     * only for one destination, a TCP and UDP forward of a port range from all but one source prefix,
     * outbound NAPT of the rest to a pool, and room for 300 sessions, 40 a host, so that the table
     * and a host's share fill.
     */
    private static final NatConfig SECOND = new NatConfig(true, NatConfig.ReflectionSource.INTERFACE,
            NatConfig.Filtering.ENDPOINT_INDEPENDENT, NatConfig.Timeouts.DEFAULTS, 300, 40,
            List.of(new NatConfig.OneToOne(0, 0, ip("192.168.1.66"), 32, true, Destination.ANY, Reflection.DEFAULT, null,
                            false, null, "no-binat"),
                    new NatConfig.OneToOne(0, ip("203.0.113.64"), ip("192.168.1.64"), 30, false, Destination.ANY,
                            Reflection.ENABLE, null, true, List.of(new NatConfig.InboundAllow(6, 80, 80)), "subnet"),
                    new NatConfig.OneToOne(0, HOST_PUBLIC, CLIENT2, 32, false, new Destination(REMOTE2, 32, false),
                            Reflection.DISABLE, null, true, null, "to remote2")),
            List.of(new NatConfig.PortForward(0, NatConfig.PROTO_TCP | NatConfig.PROTO_UDP, WAN_IP, 7000, 7010, SERVER,
                    8000, new Destination(ip("198.51.100.0"), 24, true), Reflection.DEFAULT, null, "range")),
            List.of(new NatConfig.Outbound(0, ip("192.168.1.0"), 24, POOL, false, "pool")));

    /**
     * The third: the first rule set with outbound NAPT for the guest VLAN too, on a WAN that is a
     * VLAN sub-interface (VLAN 100) and a LAN port that carries the untagged LAN and the guest
     * VLAN 10, so that every frame is tagged, untagged or retagged on its way through.
     */
    private static final NatConfig THIRD = new NatConfig(FIRST.reflection(), FIRST.reflectionSource(),
            FIRST.filtering(), FIRST.timeouts(), FIRST.maxSessions(), FIRST.maxSessionsPerHost(), FIRST.oneToOne(),
            FIRST.portForwards(), Stream.concat(FIRST.outbound().stream(),
                    Stream.of(new NatConfig.Outbound(0, GUEST_PREFIX, 24, new int[0], false, "guest"))).toList());

    /**
     * The VLAN ids on the wires: a frame to or from the WAN port carries {@code wanVid}, one to or
     * from a guest address on the LAN port carries {@code guestVid}, 0 meaning untagged.
     */
    private record Wire(int wanVid, int guestVid) {
        static final Wire UNTAGGED = new Wire(0, 0);

        /** The frame as it is on the wire of the device ("w" or "l"): tagged when it is untagged and should not be. */
        byte[] tag(String device, byte[] f) {
            Decoded.Frame d = Decoded.frame(f);
            int vid = device.equals("w") ? wanVid : guest(source(d)) ? guestVid : 0;
            if (vid == 0 || f.length < 14 || d.vlan() >= 0) {
                return f;
            }
            int etherType = (f[12] & 0xff) << 8 | f[13] & 0xff; // as it stands, even a broken tag's
            return Frames.ethernetVlan(d.dstMac(), d.srcMac(), vid, etherType, Arrays.copyOfRange(f, 14, f.length));
        }

        List<byte[]> tag(String device, List<byte[]> frames) {
            return frames.stream().map(f -> tag(device, f)).toList();
        }

        /**
         * The VLAN id, or -1 for none, that an IPv4 packet to {@code dst} must carry when it
         * leaves by the device: the guest VLAN's only for an address in it.
         */
        int expectedVlan(String device, int dst) {
            int vid = device.equals("w") ? wanVid : guest(dst) ? guestVid : 0;
            return vid == 0 ? -1 : vid;
        }

        private static int source(Decoded.Frame d) {
            return d.arp() != null ? d.arp().spa() : d.ipv4() != null ? d.ipv4().src() : 0;
        }
    }

    static Stream<Long> seeds() {
        String s = System.getProperty("hairpin.random.seeds", "1,2");
        return Arrays.stream(s.split(",")).map(String::trim).map(Long::parseLong);
    }

    static Stream<Arguments> cases() {
        return seeds().flatMap(seed -> Stream.of(Arguments.of("first", seed), Arguments.of("second", seed),
                Arguments.of("vlan", seed)));
    }

    @ParameterizedTest(name = "{0} rule set, seed {1}")
    @MethodSource("cases")
    void randomAndBrokenFramesLeaveTheWorkerRunningTheOutputWellFormedAndTheSessionsAsTheyWere(String rules, long seed)
            throws Exception {
        boolean second = rules.equals("second");
        boolean vlan = rules.equals("vlan");
        Wire wire = vlan ? new Wire(WAN_VID, GUEST_VID) : Wire.UNTAGGED;
        List<PcapRun.Port> ports = new ArrayList<>(List.of(PcapRun.Port.of("wan", true, "203.0.113.1/24").vlan(wire.wanVid()),
                PcapRun.Port.of("lan", false, "192.168.1.1/24")));
        List<LiveRig.Device> devices = new ArrayList<>(List.of(LiveRig.Device.ring("w"), LiveRig.Device.ring("l")));
        if (vlan) {
            ports.add(PcapRun.Port.of("guest", false, "192.168.10.1/24").vlan(GUEST_VID));
            devices.add(LiveRig.Device.ring("l"));
        }
        try (LiveRig rig = new LiveRig(dir, ports, devices, second ? SECOND : vlan ? THIRD : FIRST)) {
            rig.send("w", wire.tag("w", NaptPcapTest.WAN_NEIGHBOURS));
            rig.send("l", NaptPcapTest.LAN_NEIGHBOURS);
            rig.send("l", Frames.arpReply(SUBNET_HOST_MAC, SUBNET_HOST, LAN_MAC, LAN_IP));
            rig.send("l", wire.tag("l", Frames.arpReply(GUEST_MAC, GUEST, LAN_MAC, GUEST_GATEWAY)));
            for (int host : vlan ? new int[] {REMOTE, REMOTE2, CLIENT, CLIENT2, SERVER, SUBNET_HOST, GUEST}
                    : new int[] {REMOTE, REMOTE2, CLIENT, CLIENT2, SERVER, SUBNET_HOST}) {
                rig.awaitNeighbor(host);
            }
            List<byte[]> before = second ? probeSecond(rig) : probeFirst(rig, wire);

            RandomFrames random = new RandomFrames(new Random(seed), vlan);
            long sent = PcapRun.received(rig.engine);
            List<TraceEntry> traced = new ArrayList<>();
            try (Operator operator = new Operator(rig)) {
                sent += sendTraced(rig, wire, random, false, traced);
                checkOutput(rig, wire, sent, true, rules + " rule set, seed " + seed + ", well-formed random frames: ");
                sent += sendTraced(rig, wire, random, true, traced);
                checkOutput(rig, wire, sent, false, rules + " rule set, seed " + seed + ", broken random frames: ");
            }
            assertEquals(2 * Tracer.CAPACITY, traced.size(), "the traces saw the first packets of both kinds");
            for (TraceEntry e : traced) {
                assertFalse(e.verdict().startsWith("consumed"), rules + " rule set, seed " + seed
                        + ": every packet is sent, held or counted as dropped, but " + e.summary() + ": " + e.verdict());
            }

            List<byte[]> after = second ? probeSecond(rig) : probeFirst(rig, wire);
            for (int i = 0; i < before.size(); i++) {
                assertEquals(HexFormat.of().formatHex(before.get(i)), HexFormat.of().formatHex(after.get(i)),
                        rules + " rule set, seed " + seed + ": probe " + i + " is translated as before the random frames: "
                                + Decoded.frame(after.get(i)));
            }
        }
    }

    /**
     * What an operator does meanwhile, on another thread: lists sessions and applies the rules
     * with another port forward added, then without it. Closing stops it, applies the rules it
     * found, and fails with whatever the engine threw.
     */
    private static final class Operator implements AutoCloseable {
        private final LiveRig rig;
        private final Thread thread;
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicReference<Throwable> failed = new AtomicReference<>();

        Operator(LiveRig rig) {
            this.rig = rig;
            EngineConfig c = rig.config;
            List<NatConfig.PortForward> forwards = new ArrayList<>(c.nat().portForwards());
            forwards.add(new NatConfig.PortForward(0, NatConfig.PROTO_TCP, WAN_IP, 2222, 2222, SERVER, 22,
                    Destination.ANY, Reflection.DEFAULT, null, "added"));
            NatConfig n = c.nat();
            EngineConfig more = new EngineConfig(c.workers(), c.eal(), c.interfaces(), c.routes(), c.exceptionPath(),
                    new NatConfig(n.reflection(), n.reflectionSource(), n.filtering(), n.timeouts(), n.maxSessions(),
                            n.maxSessionsPerHost(), n.oneToOne(), forwards, n.outbound()));
            thread = new Thread(() -> {
                try {
                    for (int round = 0; !stop.get(); round++) {
                        rig.engine.sessions(0, 0, 100);
                        rig.engine.apply(round % 2 == 0 ? more : c, 5000);
                    }
                } catch (Throwable t) {
                    failed.set(t);
                }
            }, "operator");
            thread.start();
        }

        @Override
        public void close() throws Exception {
            stop.set(true);
            thread.join(30_000);
            rig.engine.apply(rig.config, 5000);
            if (failed.get() != null) {
                throw new AssertionError("the operator's call failed", failed.get());
            }
        }
    }

    /**
     * Two workers, random frames on every queue of both ports (net_pcap), so that packets of one
     * flow reach either worker and cross to the sessions' owner: the same checks of what is sent,
     * once for well-formed frames and once for broken ones, each with the first rule set.
     */
    @ParameterizedTest(name = "seed {0}")
    @MethodSource("seeds")
    void twoWorkersTakeRandomAndBrokenFramesOnEveryQueue(long seed) throws Exception {
        RandomFrames random = new RandomFrames(new Random(seed), false);
        for (boolean broken : new boolean[] {false, true}) {
            Map<String, List<byte[]>> in = new HashMap<>();
            for (String queue : List.of("w:0", "w:1", "l:0", "l:1")) {
                boolean wan = queue.startsWith("w");
                List<byte[]> frames = new ArrayList<>(queue.endsWith("0")
                        ? wan ? NaptPcapTest.WAN_NEIGHBOURS : NaptPcapTest.LAN_NEIGHBOURS : List.of());
                for (int i = 0; i < FRAMES / 4; i++) {
                    byte[] f = random.wellFormed(wan);
                    frames.add(broken ? random.broken(f) : f);
                }
                in.put(queue, frames);
            }
            Path runDir = Files.createDirectories(dir.resolve(broken ? "broken" : "well-formed"));
            PcapRun.Result r = PcapRun.run(runDir, 2, List.of(PcapRun.Port.of("wan", true, "203.0.113.1/24"),
                    PcapRun.Port.of("lan", false, "192.168.1.1/24")), List.of("w", "l"), in, List.of(), FIRST);
            String context = "two workers, seed " + seed + (broken ? ", broken" : ", well-formed") + " random frames: ";
            assertEquals(0, r.event(Counters.WORKER_ERRORS), context + "errors in the workers' loops");
            for (byte[] f : r.out("w")) {
                checkSent(f, Wire.UNTAGGED, !broken, true, context);
            }
            for (byte[] f : r.out("l")) {
                checkSent(f, Wire.UNTAGGED, !broken, false, context);
            }
        }
    }

    /**
     * {@link #send}, with a trace of the first {@link Tracer#CAPACITY} packets the worker takes,
     * armed before the first frame goes; adds what it traced to traced.
     */
    private static int sendTraced(LiveRig rig, Wire wire, RandomFrames random, boolean broken,
            List<TraceEntry> traced) throws Exception {
        Tracer tracer = rig.engine.workers().get(0).tracer();
        CompletableFuture<List<TraceEntry>> trace =
                CompletableFuture.supplyAsync(() -> rig.engine.trace(Tracer.CAPACITY, 30_000));
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!tracer.isArmed()) {
            assertTrue(System.nanoTime() < deadline, "the worker runs the trace within 10 s");
            Thread.sleep(1);
        }
        int n = send(rig, wire, random, broken);
        traced.addAll(trace.get(30, TimeUnit.SECONDS));
        return n;
    }

    /**
     * Sends FRAMES random frames, each to the WAN or the LAN port, interleaved in bursts; returns how
     * many. Where the wire is tagged, one frame in twenty stays untagged.
     */
    private static int send(LiveRig rig, Wire wire, RandomFrames random, boolean broken) {
        List<byte[]> wan = new ArrayList<>();
        List<byte[]> lan = new ArrayList<>();
        for (int i = 0; i < FRAMES; i++) {
            boolean fromWan = random.fromWan();
            byte[] f = random.wellFormed(fromWan);
            if (wire.wanVid() != 0 && random.chance(95)) {
                f = wire.tag(fromWan ? "w" : "l", f);
            }
            (fromWan ? wan : lan).add(broken ? random.broken(f) : f);
        }
        for (int i = 0; i < Math.max(wan.size(), lan.size()); i += 64) {
            rig.send("w", wan.subList(Math.min(i, wan.size()), Math.min(i + 64, wan.size())));
            rig.send("l", lan.subList(Math.min(i, lan.size()), Math.min(i + 64, lan.size())));
        }
        return FRAMES;
    }

    /**
     * Waits until the engine has taken every frame sent and gone quiet, then checks all it sent
     * meanwhile. From well-formed input every checksum must hold; from broken input the IPv4 header's.
     */
    private static void checkOutput(LiveRig rig, Wire wire, long sent, boolean wellFormedInput, String context)
            throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        List<byte[]> toWan = new ArrayList<>();
        List<byte[]> toLan = new ArrayList<>();
        while (PcapRun.received(rig.engine) < sent) {
            if (System.nanoTime() > deadline) {
                fail(context + "the engine took " + PcapRun.received(rig.engine) + " of " + sent + " frames in 20 s");
            }
            toWan.addAll(rig.take("w"));
            toLan.addAll(rig.take("l"));
            Thread.sleep(1);
        }
        toWan.addAll(rig.settle("w", 300));
        toLan.addAll(rig.settle("l", 50));
        assertFalse(rig.engine.workerStopped().isDone(), context + "the worker stopped");
        assertEquals(0, rig.engine.eventCounter(Counters.WORKER_ERRORS), context + "errors in the worker's loop");
        for (byte[] f : toWan) {
            checkSent(f, wire, wellFormedInput, true, context);
        }
        for (byte[] f : toLan) {
            checkSent(f, wire, wellFormedInput, false, context);
        }
    }

    private static void checkSent(byte[] f, Wire wire, boolean wellFormedInput, boolean wan, String context) {
        Decoded.Frame d = Decoded.frame(f);
        String where = context + (wan ? "sent to the WAN: " : "sent to the LAN: ") + d;
        if (d.arp() != null && wan && (internal(d.arp().spa()) || internal(d.arp().tpa()))) {
            fail(where + " (an internal address in ARP on the WAN side)");
        }
        if (wan && d.vlan() != wire.expectedVlan("w", 0)) {
            fail(where + " (not on the WAN's VLAN)");
        }
        if (!wan && d.vlan() >= 0 && d.vlan() != wire.guestVid()) {
            fail(where + " (on no VLAN of the LAN port)");
        }
        Decoded.Ipv4 p = d.ipv4();
        if (p == null) {
            return;
        }
        if (!wan && d.vlan() != wire.expectedVlan("l", p.dst())) {
            fail(where + " (on the VLAN of another subnet than its destination's)");
        }
        if (!p.wellFormed() || !p.headerChecksumValid()) {
            fail(where + " (a malformed IPv4 header or a wrong header checksum)");
        }
        if (wan && (internal(p.src()) || internal(p.dst()))) {
            fail(where + " (an internal address leaves untranslated)");
        }
        Decoded.Icmp icmp = p.icmp();
        if (icmp != null && icmp.quoted() != null) {
            if (wan && (internal(icmp.quoted().src()) || internal(icmp.quoted().dst()))) {
                fail(where + " (an internal address leaves in an ICMP error's quote)");
            }
            boolean wholeHeader = icmp.quoted().ihl() >= 5 && icmp.body().length >= icmp.quoted().ihl() * 4;
            if (wellFormedInput && wholeHeader && !icmp.quoted().headerChecksumValid()) {
                fail(where + " (the quoted header's checksum is wrong)");
            }
        }
        boolean whole = !p.mf() && p.fragOffset() == 0;
        if (wellFormedInput && whole) {
            PcapOutput.assertValid(p, where + ", from well-formed input: ");
        }
    }

    private static boolean internal(int address) {
        return (address & 0xFFFF_FF00) == LAN_PREFIX || guest(address);
    }

    private static boolean guest(int address) {
        return (address & 0xFFFF_FF00) == GUEST_PREFIX;
    }

    /**
     * Frames that use every rule and session kind of the first rule set, each sent alone, as they
     * are on the wire; returns what the engine sent for each, in order. Where there is a guest
     * VLAN, its host's outbound session and reflection to the untagged LAN too.
     */
    private static List<byte[]> probeFirst(LiveRig rig, Wire wire) throws InterruptedException {
        List<byte[]> out = new ArrayList<>();
        out.add(exchange(rig, wire, "l", "w", NaptPcapTest.udpOut(CLIENT_MAC, CLIENT, PROBE_UDP_PORT, REMOTE, 53)));
        int mapped = Decoded.frame(out.get(0)).ipv4().udp().sport();
        out.add(exchange(rig, wire, "w", "l", NaptPcapTest.udpIn(REMOTE_MAC, REMOTE, 53, mapped)));
        out.add(exchange(rig, wire, "w", "l", Frames.tcp4(REMOTE_MAC, WAN_MAC, REMOTE, WAN_IP, PROBE_REMOTE_PORT,
                8080, 1000, 0, Frames.TCP_SYN, PAYLOAD).build()));
        out.add(exchange(rig, wire, "l", "w", Frames.tcp4(SERVER_MAC, LAN_MAC, SERVER, REMOTE, 80, PROBE_REMOTE_PORT,
                5000, 1001, Frames.TCP_SYN | Frames.TCP_ACK, PAYLOAD).build()));
        out.add(exchange(rig, wire, "w", "l", Frames.udp4(REMOTE_MAC, WAN_MAC, REMOTE, HOST_PUBLIC, 53, 7001, PAYLOAD)
                .build()));
        out.add(exchange(rig, wire, "l", "l", Frames.tcp4(CLIENT_MAC, LAN_MAC, CLIENT, WAN_IP, PROBE_REFLECTED_PORT,
                8080, 7000, 0, Frames.TCP_SYN, PAYLOAD).build()));
        if (wire.guestVid() != 0) {
            out.add(exchange(rig, wire, "l", "w", NaptPcapTest.udpOut(GUEST_MAC, GUEST, PROBE_UDP_PORT, REMOTE, 53)));
            int guestMapped = Decoded.frame(out.get(out.size() - 1)).ipv4().udp().sport();
            out.add(exchange(rig, wire, "w", "l", NaptPcapTest.udpIn(REMOTE_MAC, REMOTE, 53, guestMapped)));
            out.add(exchange(rig, wire, "l", "l", Frames.tcp4(GUEST_MAC, LAN_MAC, GUEST, WAN_IP, PROBE_REFLECTED_PORT,
                    8080, 7000, 0, Frames.TCP_SYN, PAYLOAD).build()));
        }
        return out;
    }

    /** The same for the second rule set. */
    private static List<byte[]> probeSecond(LiveRig rig) throws InterruptedException {
        List<byte[]> out = new ArrayList<>();
        Wire wire = Wire.UNTAGGED;
        out.add(exchange(rig, wire, "l", "w", NaptPcapTest.udpOut(CLIENT_MAC, CLIENT, PROBE_UDP_PORT, REMOTE, 53)));
        Decoded.Ipv4 sent = Decoded.frame(out.get(0)).ipv4();
        out.add(exchange(rig, wire, "w", "l", Frames.udp4(REMOTE_MAC, WAN_MAC, REMOTE, sent.src(), 53, sent.udp().sport(),
                PAYLOAD).build()));
        out.add(exchange(rig, wire, "w", "l", Frames.udp4(REMOTE_MAC, WAN_MAC, REMOTE, WAN_IP, PROBE_REMOTE_PORT, 7005,
                PAYLOAD).build()));
        out.add(exchange(rig, wire, "l", "w", Frames.udp4(SERVER_MAC, LAN_MAC, SERVER, REMOTE, 8005, PROBE_REMOTE_PORT,
                PAYLOAD).build()));
        out.add(exchange(rig, wire, "w", "l", Frames.tcp4(REMOTE_MAC, WAN_MAC, REMOTE, SUBNET_HOST_PUBLIC,
                PROBE_REMOTE_PORT, 80, 1000, 0, Frames.TCP_SYN, PAYLOAD).build()));
        out.add(exchange(rig, wire, "l", "w", Frames.udp4(CLIENT2_MAC, LAN_MAC, CLIENT2, REMOTE2, PROBE_UDP_PORT, 53,
                PAYLOAD).build()));
        out.add(exchange(rig, wire, "l", "l", Frames.tcp4(CLIENT_MAC, LAN_MAC, CLIENT, WAN_IP, PROBE_REFLECTED_PORT, 7005,
                7000, 0, Frames.TCP_SYN, PAYLOAD).build()));
        return out;
    }

    private static byte[] exchange(LiveRig rig, Wire wire, String in, String out, byte[] frame)
            throws InterruptedException {
        rig.send(in, wire.tag(in, frame));
        List<byte[]> got = rig.await(out, 1, f -> Decoded.frame(f).ipv4() != null, 2000);
        List<byte[]> ip = got.stream().filter(f -> Decoded.frame(f).ipv4() != null).toList();
        assertEquals(1, ip.size(), "one frame for the probe " + Decoded.frame(frame));
        return ip.get(0);
    }

    /** Frames with random fields from pools that hit the configured rules and hosts often. */
    static final class RandomFrames {
        private static final int[] ADDRESSES = {WAN_IP, LAN_IP, HOST_PUBLIC, CLIENT, CLIENT2, SERVER, REMOTE, REMOTE2,
            ip("198.51.100.7"), ip("192.168.1.99"), ip("192.168.1.255"), ip("203.0.113.255"), ip("203.0.113.51"),
            SUBNET_HOST, SUBNET_HOST_PUBLIC, ip("192.168.1.66"), ip("203.0.113.66"), POOL[0], POOL[1],
            0, -1, ip("127.0.0.1"), ip("224.0.0.5"), ip("10.1.2.3"), ip("169.254.1.1")};
        private static final int[] WAN_SOURCES = {REMOTE, REMOTE, REMOTE2, ip("198.51.100.7")};
        private static final int[] WAN_DESTINATIONS = {WAN_IP, WAN_IP, HOST_PUBLIC, ip("203.0.113.51"),
            SUBNET_HOST_PUBLIC, ip("203.0.113.66"), POOL[0], POOL[1]};
        private static final int[] LAN_SOURCES = {CLIENT, CLIENT, CLIENT2, SERVER, ip("192.168.1.99"), SUBNET_HOST,
            ip("192.168.1.66")};
        private static final int[] LAN_DESTINATIONS = {REMOTE, REMOTE2, WAN_IP, HOST_PUBLIC, LAN_IP,
            ip("198.51.100.7"), SUBNET_HOST_PUBLIC, POOL[0]};
        private static final int[] PORTS = {53, 80, 90, 8080, 9090, 7001, 7000, 7005, 7010, 8005, 0, 1, 1024, 65535};
        private static final int[] OTHER_PROTOCOLS = {0, 2, 4, 47, 50, 58, 132, 255};
        private static final int[] TTLS = {64, 64, 64, 64, 1, 0, 2, 255};

        private final Random r;
        /** Whether there is a guest VLAN, whose addresses then join the pools. */
        private final boolean guest;
        private final int[] addresses;
        private final int[] lanSources;
        private final int[] lanDestinations;

        RandomFrames(Random r, boolean guest) {
            this.r = r;
            this.guest = guest;
            this.addresses = guest ? with(ADDRESSES, GUEST, GUEST_GATEWAY, ip("192.168.10.99")) : ADDRESSES;
            this.lanSources = guest ? with(LAN_SOURCES, GUEST, GUEST) : LAN_SOURCES;
            this.lanDestinations = guest ? with(LAN_DESTINATIONS, GUEST, GUEST_GATEWAY) : LAN_DESTINATIONS;
        }

        private static int[] with(int[] pool, int... more) {
            int[] out = Arrays.copyOf(pool, pool.length + more.length);
            System.arraycopy(more, 0, out, pool.length, more.length);
            return out;
        }

        boolean fromWan() {
            return r.nextBoolean();
        }

        private int pick(int[] values) {
            return values[r.nextInt(values.length)];
        }

        private boolean chance(int percent) {
            return r.nextInt(100) < percent;
        }

        private byte[] bytes(int n) {
            byte[] b = new byte[n];
            r.nextBytes(b);
            return b;
        }

        private int port() {
            if (chance(50)) {
                return pick(PORTS);
            }
            int p;
            do {
                p = 1025 + r.nextInt(65535 - 1025);
            } while (p == PROBE_UDP_PORT || p == PROBE_REMOTE_PORT || p == PROBE_REFLECTED_PORT);
            return p;
        }

        /** The hosts the engine knows, by address, with their own MACs. */
        private static final Map<Integer, Long> KNOWN = Map.of(REMOTE, REMOTE_MAC, REMOTE2, REMOTE2_MAC,
                CLIENT, CLIENT_MAC, CLIENT2, CLIENT2_MAC, SERVER, SERVER_MAC, SUBNET_HOST, SUBNET_HOST_MAC,
                GUEST, GUEST_MAC);

        private static boolean known(int address) {
            return KNOWN.containsKey(address);
        }

        /** A host's own MAC when it is one the engine knows, so that no frame claims another's address. */
        private static long macOf(int address, boolean wan) {
            Long mac = KNOWN.get(address);
            return mac != null ? mac : wan ? Frames.mac("02:00:00:00:03:01") : Frames.mac("02:00:00:00:03:02");
        }

        /** A frame as it might arrive on the WAN (wan) or LAN port, with correct checksums. */
        byte[] wellFormed(boolean wan) {
            long routerMac = wan ? WAN_MAC : LAN_MAC;
            int kind = r.nextInt(100);
            if (kind < 6) {
                return arp(wan, routerMac);
            }
            int src = chance(75) ? pick(wan ? WAN_SOURCES : lanSources) : pick(addresses);
            int dst = chance(75) ? pick(wan ? WAN_DESTINATIONS : lanDestinations) : pick(addresses);
            while (wan && internal(dst)) {
                dst = pick(addresses); // the oracle takes an internal address leaving on the WAN side for a leak
            }
            long dstMac = chance(95) ? routerMac : chance(50) ? Frames.BROADCAST : Frames.mac("02:00:00:00:09:09");
            if (kind < 9) {
                return Frames.ethernet(dstMac, macOf(src, wan), chance(50) ? Frames.ETHERTYPE_IPV6 : r.nextInt(0x10000),
                        bytes(r.nextInt(80)));
            }
            Frames.Ipv4Builder b = l4(Frames.ipv4(macOf(src, wan), dstMac, src, dst), src, dst, 2, wan);
            b.ttl(pick(TTLS)).id(chance(50) ? r.nextInt(4) : r.nextInt(0x10000)).df(chance(30));
            if (chance(10)) {
                b.tos(r.nextInt(256));
            }
            if (chance(8)) {
                b.options(bytes(1 + r.nextInt(40)));
            }
            if (chance(8)) {
                b.mf(true);
            } else if (chance(5)) {
                b.mf(chance(50)).fragOffset(1 + r.nextInt(200));
            }
            if (chance(3)) {
                b.vlan(1 + r.nextInt(4094));
            }
            if (chance(10)) {
                b.padTo(60 + r.nextInt(60));
            }
            return b.build();
        }

        private Frames.Ipv4Builder l4(Frames.Ipv4Builder b, int src, int dst, int depth, boolean wan) {
            int kind = r.nextInt(100);
            byte[] payload = bytes(chance(10) ? r.nextInt(1400) : r.nextInt(64));
            if (kind < 35) {
                return b.udp(port(), port(), payload);
            } else if (kind < 65) {
                int flags = chance(60) ? pick(new int[] {Frames.TCP_SYN, Frames.TCP_ACK, Frames.TCP_SYN | Frames.TCP_ACK,
                    Frames.TCP_FIN | Frames.TCP_ACK, Frames.TCP_RST, Frames.TCP_RST | Frames.TCP_ACK}) : r.nextInt(0x200);
                b.tcp(port(), port(), r.nextInt() & 0xFFFF_FFFFL, r.nextInt() & 0xFFFF_FFFFL, flags, payload);
                if (chance(10)) {
                    b.tcpOptions(bytes(1 + r.nextInt(40)));
                }
                return b;
            } else if (kind < 77) {
                return b.icmpEcho(chance(50) ? Frames.ICMP_ECHO_REQUEST : Frames.ICMP_ECHO_REPLY,
                        chance(50) ? r.nextInt(4) : r.nextInt(0x10000), r.nextInt(0x10000), payload);
            } else if (kind < 90 && depth > 0) {
                // an error about a packet that went the other way
                int innerSrc = chance(80) ? dst : pick(addresses);
                int innerDst = chance(80) ? src : pick(addresses);
                while (wan && (internal(innerSrc) || internal(innerDst))) {
                    innerSrc = pick(addresses);
                    innerDst = pick(addresses);
                }
                Frames.Ipv4Builder inner = l4(Frames.ipv4(0, 0, innerSrc, innerDst), innerSrc, innerDst, depth - 1,
                        wan).ttl(pick(TTLS));
                if (chance(10)) {
                    inner.mf(true);
                }
                byte[] offending = inner.packet();
                int header = (offending[0] & 0x0F) * 4;
                byte[] quote = chance(70) ? Frames.icmpQuote(offending)
                        : Arrays.copyOf(offending, header + r.nextInt(offending.length - header + 1));
                int type = pick(new int[] {Frames.ICMP_DEST_UNREACHABLE, Frames.ICMP_DEST_UNREACHABLE,
                    Frames.ICMP_TIME_EXCEEDED, Frames.ICMP_PARAMETER_PROBLEM, 4, 5});
                return b.icmp(type, r.nextInt(16), chance(50) ? 0 : r.nextInt(), quote);
            } else if (kind < 93) {
                int type;
                do {
                    type = r.nextInt(256);
                } while (type == Frames.ICMP_DEST_UNREACHABLE || type == Frames.ICMP_TIME_EXCEEDED
                        || type == Frames.ICMP_PARAMETER_PROBLEM); // errors are made above, with whole quotes
                return b.icmp(type, r.nextInt(256), r.nextInt(), payload);
            }
            return b.payload(pick(OTHER_PROTOCOLS), payload);
        }

        /** ARP that never claims a known host's address with another MAC (that would rightly move its traffic). */
        private byte[] arp(boolean wan, long routerMac) {
            int spa = chance(50) ? (wan ? ip("203.0.113.77") : ip("192.168.1.77")) : pick(addresses);
            int tpa = chance(70) ? (wan ? WAN_IP : LAN_IP) : pick(addresses);
            if (guest && !wan && chance(30)) {
                spa = ip("192.168.10.77");
                tpa = GUEST_GATEWAY;
            }
            long sha = macOf(spa, wan);
            int op = chance(45) ? Frames.ARP_REQUEST : chance(80) ? Frames.ARP_REPLY : r.nextInt(0x10000);
            Frames.ArpBuilder a = Frames.arp(op, sha, spa, op == Frames.ARP_REQUEST ? 0 : routerMac, tpa);
            if (op != Frames.ARP_REQUEST) {
                a.ethDst(routerMac);
            }
            return a.build();
        }

        /**
         * The frame with one to three kinds of damage: bytes changed, the frame cut short, or run on;
         * never an ARP frame that moves a known host to another MAC (that would rightly move its traffic).
         */
        byte[] broken(byte[] f) {
            byte[] out;
            Decoded.Arp arp;
            do {
                out = damaged(f);
                arp = Decoded.frame(out).arp();
            } while (arp != null && known(arp.spa()) && arp.sha() != macOf(arp.spa(), true));
            return out;
        }

        private byte[] damaged(byte[] f) {
            byte[] out = f.clone();
            int damages = 1 + r.nextInt(3);
            for (int d = 0; d < damages; d++) {
                int kind = r.nextInt(100);
                if (kind < 50 && out.length > 0) {
                    int at = chance(70) ? r.nextInt(Math.min(out.length, 64)) : r.nextInt(out.length);
                    out[at] ^= (byte) (1 << r.nextInt(8));
                } else if (kind < 70 && out.length > 0) {
                    out[r.nextInt(Math.min(out.length, 64))] = (byte) r.nextInt(256);
                } else if (kind < 90) {
                    out = Arrays.copyOf(out, r.nextInt(out.length + 1));
                } else {
                    int n = out.length;
                    out = Arrays.copyOf(out, Math.min(n + 1 + r.nextInt(64), 1514));
                    for (int i = n; i < out.length; i++) {
                        out[i] = (byte) r.nextInt(256);
                    }
                }
            }
            return out;
        }
    }
}
