package io.hairpin.engine.it;

import static io.hairpin.engine.testing.Frames.ip;
import static io.hairpin.engine.testing.Frames.mac;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.nat.NatConfig;
import io.hairpin.engine.testing.Decoded;
import io.hairpin.engine.testing.Frames;
import io.hairpin.engine.worker.Counters;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The must-show: 100 swaps alternating two rule sets while packets flow through real
 * DPDK ports; every packet is translated by exactly one of the two rule sets, none is lost.
 *
 * <p>Design. Both rule sets map the same internal host 1:1 on the WAN, set A to 198.51.100.10 and
 * set B to 198.51.100.11. The host's UDP packets, each carrying a sequence number, enter on the
 * LAN and leave on the WAN. The WAN is a net_pcap port: whatever the appliance sends is written
 * to a pcap that the independent oracle ({@link Decoded}) reads back after the run. The LAN is a
 * DPDK ring port (rte_eth_from_rings) that a feeder thread fills while the test thread calls
 * {@link io.hairpin.engine.Engine#apply} — because a net_pcap RX port cannot be paced: it hands
 * the worker its whole file as fast as the worker polls (20 000 frames are gone in a few
 * milliseconds, long before 100 swaps), and its {@code infinite_rx} mode replays the same frames
 * for ever, so no frame could be told from another and none counted once. The swapper waits
 * for 150 fresh packets before each swap, so every swap lands in the middle of the stream, and
 * the stream goes on until the last swap is done and 20 000 packets were sent.
 */
class RuleSwapUnderTrafficTest {
    static final int WAN_IP = ip("198.51.100.1");
    static final int LAN_IP = ip("192.168.1.1");
    static final int HOST = ip("192.168.1.10");
    static final int A = ip("198.51.100.10");
    static final int B = ip("198.51.100.11");
    static final int REMOTE = ip("198.51.100.254");
    static final long WAN_MAC = PcapRun.macOf("w");
    static final long LAN_MAC = PcapRun.macOf("l");
    static final long HOST_MAC = mac("02:00:00:00:01:10");
    static final long REMOTE_MAC = mac("02:00:00:00:02:54");
    static final int PACKETS = 20_000;
    static final int SWAPS = 100;
    static final int PACKETS_PER_SWAP = 150;

    @TempDir
    Path dir;

    static NatConfig oneToOne(int external) {
        return new NatConfig(true, NatConfig.ReflectionSource.MAPPED, NatConfig.Filtering.ADDRESS_DEPENDENT,
                NatConfig.Timeouts.DEFAULTS, 1000, 0,
                List.of(new NatConfig.OneToOne(0, external, HOST, 32, false, NatConfig.Destination.ANY,
                        NatConfig.Reflection.DEFAULT, null, true, null, "host")),
                List.of(), List.of());
    }

    static byte[] packet(int seq) {
        byte[] payload = ByteBuffer.allocate(16).putLong(0x6861697270696e21L).putInt(seq).putInt(~seq).array();
        return Frames.udp4(HOST_MAC, LAN_MAC, HOST, REMOTE, 5000, 53, payload).build();
    }

    @Test
    void hundredSwapsWhilePacketsFlowEveryPacketTranslatedByExactlyOneRuleSetNoneLost() throws Exception {
        List<PcapRun.Port> ports = List.of(PcapRun.Port.of("wan", true, "198.51.100.1/24"),
                PcapRun.Port.of("lan", false, "192.168.1.1/24"));
        List<byte[]> wanIn = List.of(Frames.arpReply(REMOTE_MAC, REMOTE, WAN_MAC, WAN_IP));
        LiveRig rig = new LiveRig(dir, ports, List.of(LiveRig.Device.pcap("w", wanIn), LiveRig.Device.ring("l")),
                oneToOne(A));
        AtomicLong sent = new AtomicLong();
        AtomicReference<Throwable> feederFailed = new AtomicReference<>();
        long[] versions = new long[SWAPS];
        int[] queuedAtSwap = new int[SWAPS];
        long wanPackets;
        try {
            rig.awaitNeighbor(REMOTE);
            EngineConfig a = rig.config;
            EngineConfig b = new EngineConfig(a.workers(), a.eal(), a.interfaces(), a.routes(), a.exceptionPath(),
                    oneToOne(B));
            java.util.concurrent.atomic.AtomicBoolean swapsDone = new java.util.concurrent.atomic.AtomicBoolean();
            Thread feeder = new Thread(() -> {
                try {
                    int seq = 0;
                    long doneAt = -1;
                    while (true) {
                        if (doneAt < 0 && swapsDone.get()) {
                            doneAt = seq;
                        }
                        if (doneAt >= 0 && seq >= PACKETS && seq >= doneAt + PACKETS_PER_SWAP) {
                            break;
                        }
                        List<byte[]> burst = new ArrayList<>();
                        for (int k = 0; k < 8; k++) {
                            burst.add(packet(seq++));
                        }
                        rig.send("l", burst);
                        sent.set(seq);
                    }
                } catch (Throwable t) {
                    feederFailed.set(t);
                }
            }, "feeder");
            feeder.start();
            long lanRx;
            for (int i = 0; i < SWAPS; i++) {
                long target = sent.get() + PACKETS_PER_SWAP;
                while (sent.get() < target && feeder.isAlive()) {
                    java.util.concurrent.locks.LockSupport.parkNanos(20_000); // two CPUs: leave one to the feeder
                }
                lanRx = rig.engine.portCounter(1, Counters.RX_PACKETS);
                queuedAtSwap[i] = (int) (sent.get() - lanRx);
                versions[i] = rig.engine.apply(i % 2 == 0 ? b : a, 2000);
            }
            swapsDone.set(true);
            feeder.join(60_000);
            assertTrue(feederFailed.get() == null, () -> "feeder: " + feederFailed.get());
            long total = sent.get();
            // all of it in, and the WAN quiet, before the ports close
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (rig.engine.portCounter(1, Counters.RX_PACKETS) < total && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            long tx = -1;
            while (tx != rig.engine.portCounter(0, Counters.TX_PACKETS) && System.nanoTime() < deadline) {
                tx = rig.engine.portCounter(0, Counters.TX_PACKETS);
                Thread.sleep(50);
            }
            wanPackets = total;
        } finally {
            rig.close();
        }
        for (int i = 1; i < SWAPS; i++) {
            assertTrue(versions[i] > versions[i - 1], "versions increase");
        }

        // the oracle: read what left on the WAN
        long total = wanPackets;
        assertTrue(total >= PACKETS, "at least " + PACKETS + " sent, got " + total);
        BitSet seen = new BitSet();
        int viaA = 0;
        int viaB = 0;
        int transitions = 0;
        int lastSrc = 0;
        int lastSeq = -1;
        int count = 0;
        for (byte[] f : rig.pcapOutput("w")) {
            Decoded.Frame frame = Decoded.frame(f);
            if (frame.ipv4() == null) {
                continue; // the appliance's own ARP
            }
            Decoded.Ipv4 p = frame.ipv4();
            count++;
            assertTrue(p.src() == A || p.src() == B, () -> "translated by A or B: " + p);
            assertEquals(REMOTE, p.dst());
            assertEquals(REMOTE_MAC, frame.dstMac());
            assertTrue(p.headerChecksumValid(), () -> "IPv4 checksum " + p);
            assertTrue(p.udp() != null && p.udp().checksumValid(), () -> "UDP checksum " + p);
            assertEquals(5000, p.udp().sport());
            assertEquals(53, p.udp().dport());
            ByteBuffer payload = ByteBuffer.wrap(p.udp().payload());
            assertEquals(0x6861697270696e21L, payload.getLong(), "payload intact");
            int seq = payload.getInt();
            assertEquals(~seq, payload.getInt(), "payload intact");
            assertTrue(seq >= 0 && seq < total, "a sequence number that was sent: " + seq);
            assertTrue(!seen.get(seq), "packet " + seq + " came out once");
            seen.set(seq);
            assertTrue(seq > lastSeq, "in order");
            lastSeq = seq;
            if (p.src() == A) {
                viaA++;
            } else {
                viaB++;
            }
            if (lastSrc != 0 && p.src() != lastSrc) {
                transitions++;
            }
            lastSrc = p.src();
        }
        assertEquals(total, count, "every packet sent came out (none lost)");
        assertEquals(total, seen.cardinality());
        assertTrue(viaA > 0 && viaB > 0, "both rule sets translated: A " + viaA + ", B " + viaB);
        int swapsWithTrafficQueued = 0;
        for (int q : queuedAtSwap) {
            if (q > 0) {
                swapsWithTrafficQueued++;
            }
        }
        System.out.printf("rule swap under traffic: %d packets, %d via A, %d via B, %d transitions in the stream,"
                + " %d of %d swaps with packets queued at the LAN port when apply() began%n", total, viaA, viaB,
                transitions, swapsWithTrafficQueued, SWAPS);
        assertTrue(transitions >= SWAPS / 2, "the swaps happened inside the stream: " + transitions + " transitions");
        assertTrue(transitions <= SWAPS, "never more changes of translation than swaps");
    }
}
