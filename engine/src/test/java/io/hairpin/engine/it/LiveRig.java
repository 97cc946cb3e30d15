package io.hairpin.engine.it;

import io.hairpin.engine.Engine;
import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.nat.NatConfig;
import io.hairpin.engine.testing.Pcap;
import io.hairpin.shim.EthPort;
import io.hairpin.shim.Mbuf;
import io.hairpin.shim.Mem;
import io.hairpin.shim.Mempool;
import io.hairpin.shim.Ring;
import io.hairpin.shim.Shim;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A running engine (one worker) the test talks to while it runs, unlike {@link PcapRun}, which
 * replays fixed input to the end. Each interface's device is either a DPDK ring port (net_ring,
 * rte_eth_from_rings) that the test feeds and drains frame by frame, whenever it likes, or a
 * net_pcap port reading a fixed pcap and writing what the appliance sends to another pcap.
 * Frames go in as mbufs of the rig's own pool; frames taken out are copied and freed.
 */
final class LiveRig implements AutoCloseable {
    private static final AtomicInteger RUNS = new AtomicInteger();
    private static final int RING_SIZE = 8192;
    private static final int BURST = 32;

    /** How an interface's device is made: a ring port, or net_pcap with a fixed input. */
    record Device(String group, List<byte[]> pcapInput) {
        static Device ring(String group) {
            return new Device(group, null);
        }

        static Device pcap(String group, List<byte[]> input) {
            return new Device(group, input);
        }
    }

    final Engine engine;
    final EngineConfig config;
    private final Mempool pool;
    private final Map<String, Ring> rx = new LinkedHashMap<>();
    private final Map<String, Ring> tx = new LinkedHashMap<>();
    private final Map<String, Path> pcapOut = new LinkedHashMap<>();
    private final Arena arena = Arena.ofShared();
    private final MemorySegment objs = arena.allocate(ValueLayout.JAVA_LONG, BURST);
    private final MemorySegment outObjs = arena.allocate(ValueLayout.JAVA_LONG, BURST);
    private boolean closed;

    LiveRig(Path dir, List<PcapRun.Port> ports, List<Device> devices, NatConfig nat) throws IOException {
        EalForTests.ensure();
        int run = RUNS.incrementAndGet();
        pool = Mempool.create("live_" + run, 16383, 256, 2048 + 128);
        Map<String, String> devArgs = new LinkedHashMap<>();
        try {
            for (Device d : devices) {
                if (devArgs.containsKey(d.group())) {
                    continue;
                }
                if (d.pcapInput() == null) {
                    String name = "net_ring_live" + run + d.group(); // what Engine.start finds by name
                    Ring r = Ring.create("lrx" + run + d.group(), RING_SIZE);
                    rx.put(d.group(), r);
                    Ring t = Ring.create("ltx" + run + d.group(), RING_SIZE);
                    tx.put(d.group(), t);
                    // rte_eth_from_rings names the port "net_ring_" + the name it is given
                    EthPort.fromRings("live" + run + d.group(), r, t);
                    devArgs.put(d.group(), name);
                } else {
                    Path in = dir.resolve("in-" + d.group() + ".pcap");
                    Path out = dir.resolve("out-" + d.group() + ".pcap");
                    Pcap.write(in, d.pcapInput());
                    pcapOut.put(d.group(), out);
                    devArgs.put(d.group(), "net_pcap_live" + run + d.group() + ",rx_pcap=" + in + ",tx_pcap=" + out);
                }
            }
            List<EngineConfig.Interface> ifs = new ArrayList<>();
            for (int i = 0; i < ports.size(); i++) {
                PcapRun.Port p = ports.get(i);
                String[] c = p.cidr().split("/");
                String group = devices.get(i).group();
                ifs.add(new EngineConfig.Interface(p.name(), p.external(), devArgs.get(group), p.vlan(),
                        List.of(new EngineConfig.Address(io.hairpin.engine.packet.Ipv4.parse(c[0]),
                                Integer.parseInt(c[1]))), p.gateway(), p.mtu(), p.antiSpoofing(), PcapRun.macOf(group)));
            }
            config = new EngineConfig(1, List.of(), ifs, List.of(), false, nat);
            engine = Engine.start(config);
        } catch (RuntimeException | IOException e) {
            freeRings();
            pool.free();
            arena.close();
            throw e;
        }
    }

    /** Sends frames into a ring device as if they had just arrived on its wire; waits while its RX ring is full. */
    void send(String group, List<byte[]> frames) {
        Ring r = rx.get(group);
        int i = 0;
        while (i < frames.size()) {
            int n = Math.min(BURST, frames.size() - i);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (Shim.hp_mbuf_alloc_bulk(pool.segment(), objs, n) != 0) {
                stuck(deadline, "no free mbuf in the rig's pool");
                Thread.onSpinWait(); // the rig's mbufs are all in flight: wait for the engine to send some
            }
            for (int k = 0; k < n; k++) {
                byte[] f = frames.get(i + k);
                long m = objs.getAtIndex(ValueLayout.JAVA_LONG, k);
                MemorySegment.copy(f, 0, Mem.ALL, ValueLayout.JAVA_BYTE, Mbuf.data(m), f.length);
                Mbuf.setLength(m, f.length);
            }
            int done = 0;
            while (done < n) {
                MemorySegment rest = objs.asSlice(8L * done);
                done += Shim.hp_ring_enqueue_burst(r.segment(), rest, n - done);
                if (done < n) {
                    stuck(deadline, "the RX ring of " + group + " stays full");
                    Thread.onSpinWait();
                }
            }
            i += n;
        }
    }

    private void stuck(long deadline, String what) {
        if (System.nanoTime() > deadline) {
            throw new IllegalStateException(what + " for 10 s: the engine does not take packets; events "
                    + engine.events());
        }
    }

    void send(String group, byte[]... frames) {
        send(group, List.of(frames));
    }

    /** Frames the engine transmitted on a ring device so far (copied out; the mbufs are freed). */
    List<byte[]> take(String group) {
        Ring t = tx.get(group);
        List<byte[]> out = new ArrayList<>();
        int n;
        while ((n = Shim.hp_ring_dequeue_burst(t.segment(), outObjs, BURST)) > 0) {
            for (int k = 0; k < n; k++) {
                long m = outObjs.getAtIndex(ValueLayout.JAVA_LONG, k);
                byte[] f = new byte[Mbuf.dataLen(m)];
                MemorySegment.copy(Mem.ALL, ValueLayout.JAVA_BYTE, Mbuf.data(m), f, 0, f.length);
                out.add(f);
            }
            Shim.hp_mbuf_free_bulk(outObjs, n);
        }
        return out;
    }

    /** Waits (bounded) until the engine transmitted at least n frames matching a filter on a ring device; returns all it took. */
    List<byte[]> await(String group, int n, java.util.function.Predicate<byte[]> filter, long timeoutMillis)
            throws InterruptedException {
        List<byte[]> got = new ArrayList<>();
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        while (got.stream().filter(filter).count() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the engine sent " + got.stream().filter(filter).count() + " of " + n
                        + " expected frames on " + group + " within " + timeoutMillis + " ms; events: " + engine.events());
            }
            got.addAll(take(group));
            Thread.sleep(1);
        }
        return got;
    }

    /** Collects what a ring device sends during a quiet wait (for "nothing comes out" checks). */
    List<byte[]> settle(String group, long millis) throws InterruptedException {
        List<byte[]> got = new ArrayList<>();
        long end = System.nanoTime() + millis * 1_000_000L;
        while (System.nanoTime() < end) {
            got.addAll(take(group));
            Thread.sleep(1);
        }
        got.addAll(take(group));
        return got;
    }

    /** Waits until the engine has a neighbour entry for ip (learnt from an ARP frame the test sent). */
    void awaitNeighbor(int ip) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (engine.neighbors().mac(ip) == io.hairpin.engine.neighbor.NeighborTable.UNKNOWN) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the engine did not learn " + io.hairpin.engine.packet.Ipv4.format(ip));
            }
            Thread.sleep(1);
        }
    }

    /** Stops the engine; net_pcap outputs are complete and readable afterwards. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (String g : tx.keySet()) {
            take(g);
        }
        engine.close(); // its pool goes: nothing of it may be touched after this
        freeRings();
        pool.free();
        arena.close();
    }

    /** What the engine wrote to a net_pcap device (after {@link #close()}). */
    List<byte[]> pcapOutput(String group) throws IOException {
        if (!closed) {
            throw new IllegalStateException("close the rig first: net_pcap writes its file until the port closes");
        }
        return Pcap.read(pcapOut.get(group));
    }

    private void freeRings() {
        for (Ring r : rx.values()) {
            r.free();
        }
        for (Ring r : tx.values()) {
            r.free();
        }
        rx.clear();
        tx.clear();
    }
}
