package io.hairpin.perf;

import io.hairpin.shim.Mbuf;
import io.hairpin.shim.Mem;
import io.hairpin.shim.Ring;
import io.hairpin.shim.Shim;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The far end of both ports: takes what a port transmitted (its TX ring) and sends it straight
 * back into the same port (its RX ring) as the reply, so the packets circulate forever with the
 * working set in cache. Per IPv4 frame it swaps the Ethernet addresses, the IP addresses and the
 * L4 ports (all checksum-neutral: the one's-complement sums do not change) and puts the TTL back
 * to 64 with an incremental header-checksum update (RFC 1624), undoing the router's decrement.
 * Anything else (the engine's gratuitous ARP at start) is freed and counted. Runs in the
 * benchmark thread between worker iterations; no allocation.
 */
final class Mirror implements AutoCloseable {
    static final int BURST = 64;
    private static final int TTL_WORD = Frames.TTL << 8;
    /** 0x0800 as a little-endian 16-bit load sees it. */
    private static final int ETHERTYPE_IPV4_LE = 0x0008;

    private final MemorySegment[] txRing;
    private final MemorySegment[] rxRing;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment buf;
    private final long bufAddr;
    private final MemorySegment junk;
    private final long junkAddr;
    private long reflected;
    private long freed;

    /** @param tx the rings the ports transmit into; rx the rings they receive from, same order */
    Mirror(Ring[] tx, Ring[] rx) {
        txRing = new MemorySegment[tx.length];
        rxRing = new MemorySegment[rx.length];
        for (int p = 0; p < tx.length; p++) {
            txRing[p] = tx[p].segment();
            rxRing[p] = rx[p].segment();
        }
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
            int kept = 0;
            int dropped = 0;
            for (int i = 0; i < n; i++) {
                long m = Mem.nativeLong(bufAddr + 8L * i);
                if (reflect(m)) {
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
                int sent = Shim.hp_ring_enqueue_burst(rxRing[p], buf, kept);
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

    /** RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'). */
    static int updateChecksum(int checksum, int oldWord, int newWord) {
        int s = (~checksum & 0xffff) + (~oldWord & 0xffff) + newWord;
        s = (s & 0xffff) + (s >>> 16);
        s = (s & 0xffff) + (s >>> 16);
        return ~s & 0xffff;
    }

    long reflected() {
        return reflected;
    }

    /** Frames freed because they were not IPv4 (or, never expected, found a full ring). */
    long freed() {
        return freed;
    }

    @Override
    public void close() {
        arena.close();
    }
}
