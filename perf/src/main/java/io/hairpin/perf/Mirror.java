package io.hairpin.perf;

import io.hairpin.shim.Mbuf;
import io.hairpin.shim.Mem;
import io.hairpin.shim.Ring;
import io.hairpin.shim.Shim;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The far end of both ports: takes what a port transmitted (its TX ring) and sends it back into
 * a port (an RX ring), so the packets circulate forever with the working set in cache. Each port
 * has a {@link Mode}:
 * <ul>
 *   <li>{@link Mode#SWAP}: the reply, into the same port. Swaps the Ethernet addresses, the IP
 *       addresses and the L4 ports (checksum-neutral: the one's-complement sums do not change) and
 *       puts the TTL back to 64 with an incremental header-checksum update (RFC 1624), undoing the
 *       router's decrement. Works for any frame size (only headers are touched). rule-swap
 *       first has a {@link SwapVerifier} check each frame.</li>
 *   <li>{@link Mode#ROTATE}: into the same port, but as the first packet of the next flow of a
 *       {@link Flows} walk instead of the reply: what left the LAN port as the reply of flow f
 *       comes back as client(g) → server(g), g = flows.next(). So the in-flight packets rotate
 *       through all the flows and the engine's working set is the whole flow set. Before
 *       rewriting it checks the packet really was f's reply, translated back (mistranslated).</li>
 *   <li>{@link Mode#CROSS}: into the <em>other</em> port as the next flow (new-session rate: what
 *       the WAN port sent out is dropped as traffic and re-enters the LAN port as a brand-new
 *       flow; there is no reply direction). Checks what left was f, translated to a pool address
 *       and a port ≥ 1024.</li>
 * </ul>
 * The flow number travels in the packet (UDP: the first 4 payload bytes; TCP: the sequence
 * number). Every rewrite fixes the IP and L4 checksums incrementally. Anything not IPv4 (the
 * engine's gratuitous ARP at start) is freed and counted. Runs in the benchmark thread between
 * worker iterations; no allocation.
 */
final class Mirror implements AutoCloseable {
    enum Mode { SWAP, ROTATE, CROSS }

    static final int BURST = 64;
    private static final int TTL_WORD = Frames.TTL << 8;
    /** 0x0800 as a little-endian 16-bit load sees it. */
    private static final int ETHERTYPE_IPV4_LE = 0x0008;

    private final MemorySegment[] txRing;
    /** Per port, the RX ring its transmitted frames go back into. */
    private final MemorySegment[] toRing;
    private final Mode[] mode;
    private final Flows flows;
    /** The MAC of the port a rotated or crossed frame enters (its destination MAC). */
    private final long[] destMac;
    private final boolean verify;
    private final int poolBase;
    private final int poolCount;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buf;
    private final long bufAddr;
    private final MemorySegment junk;
    private final long junkAddr;
    private long reflected;
    private long freed;
    private long mistranslated;
    /** rule-swap: checks each frame before it is swapped (null: no check). */
    private SwapVerifier swapCheck;

    /** Both ports in SWAP mode. */
    Mirror(Ring[] tx, Ring[] rx) {
        this(tx, rx, new Mode[] {Mode.SWAP, Mode.SWAP}, null, new long[2], false, 0, 0);
    }

    /**
     * @param tx        the rings the ports transmit into; rx the rings they receive from, same order
     *                  (two ports: CROSS sends into the other one)
     * @param flows     the walk ROTATE and CROSS take the next flow from (null when neither is used)
     * @param portMac   each port's MAC (the destination of a rotated or crossed frame)
     * @param verify    check each rotated or crossed frame was translated as expected
     * @param poolBase  CROSS: the first NAPT pool address; poolCount the pool's size
     */
    Mirror(Ring[] tx, Ring[] rx, Mode[] mode, Flows flows, long[] portMac, boolean verify, int poolBase,
           int poolCount) {
        int ports = tx.length;
        txRing = new MemorySegment[ports];
        toRing = new MemorySegment[ports];
        destMac = new long[ports];
        this.mode = mode.clone();
        for (int p = 0; p < ports; p++) {
            txRing[p] = tx[p].segment();
            int to = mode[p] == Mode.CROSS ? 1 - p : p;
            toRing[p] = rx[to].segment();
            destMac[p] = portMac[to];
            if (mode[p] != Mode.SWAP && flows == null) {
                throw new IllegalArgumentException("mode " + mode[p] + " needs flows");
            }
        }
        this.flows = flows;
        this.verify = verify;
        this.poolBase = poolBase;
        this.poolCount = poolCount;
        buf = arena.allocate(ValueLayout.JAVA_LONG, BURST);
        bufAddr = buf.address();
        junk = arena.allocate(ValueLayout.JAVA_LONG, BURST);
        junkAddr = junk.address();
    }

    /** One pass over every port; returns the packets sent back. */
    int poll() {
        int total = 0;
        for (int p = 0; p < txRing.length; p++) {
            int n = Shim.hp_ring_dequeue_burst(txRing[p], buf, BURST);
            if (n == 0) {
                continue;
            }
            Mode md = mode[p];
            long mac = destMac[p];
            int kept = 0;
            int dropped = 0;
            for (int i = 0; i < n; i++) {
                long m = Mem.nativeLong(bufAddr + 8L * i);
                boolean ok = md == Mode.SWAP ? swap(m, p) : nextFlow(m, md == Mode.CROSS, mac);
                if (ok) {
                    Mem.nativeLong(bufAddr + 8L * kept++, m);
                } else {
                    Mem.nativeLong(junkAddr + 8L * dropped++, m);
                }
            }
            if (dropped > 0) {
                Shim.hp_mbuf_free_bulk(junk, dropped);
                freed += dropped;
            }
            if (kept > 0) {
                int sent = Shim.hp_ring_enqueue_burst(toRing[p], buf, kept);
                if (sent < kept) { // cannot happen: every ring holds all the packets in flight
                    Shim.hp_mbuf_free_bulk(buf.asSlice(8L * sent), kept - sent);
                    freed += kept - sent;
                }
                total += sent;
            }
        }
        reflected += total;
        return total;
    }

    private boolean swap(long m, int port) {
        if (swapCheck != null) {
            swapCheck.check(Mbuf.data(m), port);
        }
        return reflect(m);
    }

    /** From now on, checks every frame before swapping it (rule-swap). */
    void verifySwaps(SwapVerifier check) {
        swapCheck = check;
    }

    SwapVerifier swapCheck() {
        return swapCheck;
    }

    /**
     * Turns an IPv4 frame into its reply in place; false (untouched) for anything else. Wide
     * native-order accesses keep it short: swapping two equal halves of a field is the same in
     * either byte order, so only the TTL and the checksum are read in network order.
     */
    static boolean reflect(long m) {
        long f = Mbuf.data(m);
        if (Mem.nativeU16(f + 12) != ETHERTYPE_IPV4_LE) {
            return false;
        }
        // bytes 0-5 dst, 6-11 src: in a little-endian long (0-7) and int (8-11)
        long lo = Mem.nativeLong(f);
        int hi = Mem.nativeInt(f + 8);
        Mem.nativeLong(f, (lo >>> 48) | ((hi & 0xffffffffL) << 16) | (lo << 48));
        Mem.nativeInt(f + 8, (int) (lo >>> 16));
        long ip = f + Frames.ETH_LEN;
        Mem.nativeLong(ip + 12, Long.rotateLeft(Mem.nativeLong(ip + 12), 32));
        int oldWord = Mem.u16(ip + 8);
        int newWord = TTL_WORD | (oldWord & 0xff);
        Mem.u16(ip + 8, newWord);
        Mem.u16(ip + 10, updateChecksum(Mem.u16(ip + 10), oldWord, newWord));
        long l4 = ip + ((Mem.u8(ip) & 0xf) << 2);
        Mem.nativeInt(l4, Integer.rotateLeft(Mem.nativeInt(l4), 16));
        return true;
    }

    /**
     * Rewrites a frame into the first packet of the next flow, client → server, as it would
     * arrive from the client; false (untouched) when it is not IPv4. Checks first (when verifying)
     * that it left the engine translated as expected for the flow it carried.
     */
    private boolean nextFlow(long m, boolean cross, long dstMac) {
        long f = Mbuf.data(m);
        if (Mem.nativeU16(f + 12) != ETHERTYPE_IPV4_LE) {
            return false;
        }
        final Flows fl = flows;
        long ip = f + Frames.ETH_LEN;
        long l4 = ip + ((Mem.u8(ip) & 0xf) << 2);
        int proto = Mem.u8(ip + 9);
        long idAt = l4 + (proto == Frames.PROTO_TCP ? 4 : 8);
        long ckAt = l4 + (proto == Frames.PROTO_TCP ? 16 : 6);
        int oSrc = Mem.i32(ip + 12);
        int oDst = Mem.i32(ip + 16);
        int oPorts = Mem.i32(l4);
        int oId = Mem.i32(idAt);
        int oTtl = Mem.u16(ip + 8);
        if (verify) {
            check(fl, cross, oId, oSrc, oDst, oPorts);
        }
        int g = fl.next();
        int nSrc = fl.clientIp(g);
        int nDst = fl.serverIp(g);
        int nPorts = (fl.clientPort(g) << 16) | fl.serverPort(g);
        int nTtl = TTL_WORD | proto;
        Mem.mac(f, dstMac);
        Mem.mac(f + 6, Flows.mac(nSrc));
        Mem.i32(ip + 12, nSrc);
        Mem.i32(ip + 16, nDst);
        Mem.u16(ip + 8, nTtl);
        int ipSum = (~Mem.u16(ip + 10) & 0xffff) + neg(oSrc) + neg(oDst) + (~oTtl & 0xffff) + pos(nSrc) + pos(nDst)
                + nTtl;
        Mem.u16(ip + 10, ~fold(ipSum) & 0xffff);
        Mem.i32(l4, nPorts);
        Mem.i32(idAt, g);
        int l4Sum = (~Mem.u16(ckAt) & 0xffff) + neg(oSrc) + neg(oDst) + neg(oPorts) + neg(oId) + pos(nSrc) + pos(nDst)
                + pos(nPorts) + pos(g);
        int ck = ~fold(l4Sum) & 0xffff;
        Mem.u16(ckAt, ck == 0 && proto == Frames.PROTO_UDP ? 0xffff : ck);
        return true;
    }

    private void check(Flows fl, boolean cross, int f, int src, int dst, int ports) {
        if (f < 0 || f >= fl.n) {
            mistranslated++;
            return;
        }
        boolean ok;
        if (cross) { // left the WAN port: pool address and port → server
            ok = Integer.compareUnsigned(src - poolBase, poolCount) < 0 && (ports >>> 16) >= 1024
                    && dst == fl.serverIp(f) && (ports & 0xffff) == fl.serverPort(f);
        } else { // left the LAN port: the server's reply, translated back to the client
            ok = src == fl.serverIp(f) && dst == fl.clientIp(f)
                    && ports == ((fl.serverPort(f) << 16) | fl.clientPort(f));
        }
        if (!ok) {
            mistranslated++;
        }
    }

    /** The 16-bit halves of v, as one's-complement addends. */
    private static int pos(int v) {
        return (v >>> 16) + (v & 0xffff);
    }

    /** The one's-complement negation of v's 16-bit halves. */
    private static int neg(int v) {
        return pos(~v);
    }

    private static int fold(int s) {
        s = (s & 0xffff) + (s >>> 16);
        return (s & 0xffff) + (s >>> 16);
    }

    /** RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). */
    static int updateChecksum(int checksum, int oldWord, int newWord) {
        int s = (~checksum & 0xffff) + (~oldWord & 0xffff) + newWord;
        s = (s & 0xffff) + (s >>> 16);
        s = (s & 0xffff) + (s >>> 16);
        return ~s & 0xffff;
    }

    /** RFC 1624 for a 32-bit field (two 16-bit words). */
    static int updateChecksum32(int checksum, int oldValue, int newValue) {
        return ~fold((~checksum & 0xffff) + neg(oldValue) + pos(newValue)) & 0xffff;
    }

    long reflected() {
        return reflected;
    }

    /** Frames freed because they were not IPv4 (or, never expected, found a full ring). */
    long freed() {
        return freed;
    }

    /** Rotated, crossed or (rule-swap) swapped frames that had not been translated as expected (when verifying). */
    long mistranslated() {
        return mistranslated + (swapCheck == null ? 0 : swapCheck.mistranslated());
    }

    @Override
    public void close() {
        arena.close();
    }
}
