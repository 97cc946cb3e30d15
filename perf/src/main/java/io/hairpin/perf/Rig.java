package io.hairpin.perf;

import io.hairpin.shim.DpdkException;
import io.hairpin.shim.EthPort;
import io.hairpin.shim.Mempool;
import io.hairpin.shim.Mem;
import io.hairpin.shim.Ring;
import io.hairpin.shim.Shim;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The capacity-mode test bed: one mbuf pool and two engine ports made of DPDK rings, port 0
 * "wan" (the servers' side) and port 1 "lan" (the clients' side). Each port receives from its
 * own RX ring and transmits into its own TX ring; the {@link Mirror} joins the TX rings back to
 * RX rings. The engine configuration, neighbours and packets of each scenario are a
 * {@link Setup}; the addresses here are forward's.
 */
final class Rig implements AutoCloseable {
    static final int WAN = 0;
    static final int LAN = 1;
    static final String[] DEVICES = {"hpbench_wan", "hpbench_lan"};
    static final int WAN_ADDRESS = ip(203, 0, 113, 1);
    static final int LAN_ADDRESS = ip(192, 168, 1, 1);
    static final int CLIENTS = 16;
    static final int SERVERS = 4;
    /** Neighbours never go stale during a run. */
    static final long REACHABLE_NANOS = Long.MAX_VALUE / 4;

    final int inFlight;
    final int ringSize;
    final Mempool pool;
    final Ring[] rx = new Ring[2];
    final Ring[] tx = new Ring[2];
    final EthPort[] ports = new EthPort[2];
    final long[] portMac = new long[2];
    private int portsOpen;

    /** @param inFlight the packets that circulate; every ring can hold all of them */
    Rig(int inFlight) {
        this.inFlight = inFlight;
        ringSize = Integer.highestOneBit(inFlight) << 2; // holds 2 × inFlight at least
        int poolSize = Math.max(4096, Integer.highestOneBit(inFlight) << 2) - 1;
        pool = Mempool.create("hpbench_pool", poolSize, 256, 2048 + 128);
        try {
            for (int p = 0; p < 2; p++) {
                rx[p] = Ring.create("hpb_rx" + p, ringSize);
                tx[p] = Ring.create("hpb_tx" + p, ringSize);
                ports[p] = EthPort.fromRings(DEVICES[p], rx[p], tx[p]);
                portsOpen++;
                ports[p].configure(1, 1, 1024, 1024, pool);
                ports[p].start();
                portMac[p] = ports[p].mac();
            }
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    static int ip(int a, int b, int c, int d) {
        return (a << 24) | (b << 16) | (c << 8) | d;
    }

    static int clientIp(int i) {
        return ip(192, 168, 1, 10 + i);
    }

    static long clientMac(int i) {
        return 0x02_00_00_00_01_00L | i;
    }

    static int serverIp(int j) {
        return ip(203, 0, 113, 254 - j);
    }

    static long serverMac(int j) {
        return 0x02_00_00_00_02_00L | j;
    }

    /** Writes in-flight frame k into mbuf m. */
    interface FrameWriter {
        void write(long m, int k);
    }

    /**
     * Puts inFlight frames into a port's RX ring, as if they had just arrived on its wire.
     */
    void prefill(int port, FrameWriter frames) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment objs = arena.allocate(ValueLayout.JAVA_LONG, inFlight);
            if (Shim.hp_mbuf_alloc_bulk(pool.segment(), objs, inFlight) != 0) {
                throw new DpdkException("cannot allocate " + inFlight + " mbufs from the benchmark pool");
            }
            for (int k = 0; k < inFlight; k++) {
                frames.write(objs.getAtIndex(ValueLayout.JAVA_LONG, k), k);
            }
            int n = Shim.hp_ring_enqueue_burst(rx[port].segment(), objs, inFlight);
            if (n != inFlight) {
                throw new IllegalStateException("the RX ring of port " + port + " took " + n + " of " + inFlight
                        + " packets");
            }
        }
    }

    /** Packets sitting in the four rings. */
    int inRings() {
        int n = 0;
        for (int p = 0; p < 2; p++) {
            n += rx[p].count() + tx[p].count();
        }
        return n;
    }

    /** Verifies the checksums of every frame in the rings (after a run); returns the number of bad ones. */
    int badChecksums() {
        int bad = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment objs = arena.allocate(ValueLayout.JAVA_LONG, ringSize);
            for (Ring r : new Ring[] {rx[0], rx[1], tx[0], tx[1]}) {
                int n = Shim.hp_ring_dequeue_burst(r.segment(), objs, ringSize);
                for (int i = 0; i < n; i++) {
                    long f = io.hairpin.shim.Mbuf.data(objs.getAtIndex(ValueLayout.JAVA_LONG, i));
                    if (Mem.u16(f + 12) != 0x0800 || !Frames.checksumsValid(f + Frames.ETH_LEN)) {
                        bad++;
                    }
                }
                Shim.hp_ring_enqueue_burst(r.segment(), objs, n);
            }
        }
        return bad;
    }

    /** Frees every packet left in the rings; returns how many there were. */
    int drain() {
        int total = 0;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment objs = arena.allocate(ValueLayout.JAVA_LONG, 256);
            for (int p = 0; p < 2; p++) {
                for (Ring r : new Ring[] {rx[p], tx[p]}) {
                    int n;
                    while ((n = Shim.hp_ring_dequeue_burst(r.segment(), objs, 256)) > 0) {
                        Shim.hp_mbuf_free_bulk(objs, n);
                        total += n;
                    }
                }
            }
        }
        return total;
    }

    @Override
    public void close() {
        for (int p = 0; p < portsOpen; p++) {
            ports[p].close();
        }
        portsOpen = 0;
        for (int p = 0; p < 2; p++) {
            if (rx[p] != null) {
                rx[p].free();
                rx[p] = null;
            }
            if (tx[p] != null) {
                tx[p].free();
                tx[p] = null;
            }
        }
        pool.free();
    }
}
