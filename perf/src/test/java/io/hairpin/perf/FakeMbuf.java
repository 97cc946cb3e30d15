package io.hairpin.perf;

import io.hairpin.shim.Mbuf;
import io.hairpin.shim.Mem;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * An rte_mbuf header and its buffer in plain native memory, for the frame writers and the mirror
 * without EAL: only buf_addr, data_off and the lengths are set, which is all they touch.
 */
final class FakeMbuf implements AutoCloseable {
    static final int HEADROOM = 128;
    private final Arena arena = Arena.ofConfined();
    final long m;
    final long data;

    FakeMbuf() {
        MemorySegment header = arena.allocate(128, 64);
        MemorySegment buffer = arena.allocate(HEADROOM + 2048, 64);
        m = header.address();
        Mem.nativeLong(m + Mbuf.OFF_BUF_ADDR, buffer.address());
        Mem.nativeU16(m + Mbuf.OFF_DATA_OFF, HEADROOM);
        data = buffer.address() + HEADROOM;
    }

    /** The frame's bytes as they are now (its data length). */
    byte[] bytes() {
        int len = Mbuf.dataLen(m);
        byte[] b = new byte[len];
        for (int i = 0; i < len; i++) {
            b[i] = (byte) Mem.u8(data + i);
        }
        return b;
    }

    @Override
    public void close() {
        arena.close();
    }
}
