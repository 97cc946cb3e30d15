package io.hairpin.shim;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** A DPDK packet-buffer pool. */
public final class Mempool {
    private final String name;
    private final MemorySegment pool;

    private Mempool(String name, MemorySegment pool) {
        this.name = name;
        this.pool = pool;
    }

    /**
     * @param size  number of mbufs (a power of two minus one is optimal)
     * @param cache per-lcore cache size
     */
    public static Mempool create(String name, int size, int cache, int dataRoom) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment mp = Shim.hp_mempool_create(arena.allocateFrom(name), size, cache, (short) dataRoom, -1);
            if (mp.equals(MemorySegment.NULL)) {
                throw new DpdkException("Cannot create the packet buffer pool '" + name + "' of " + size + " buffers: "
                        + Eal.lastError());
            }
            return new Mempool(name, mp);
        }
    }

    public String name() {
        return name;
    }

    public MemorySegment segment() {
        return pool;
    }

    public int available() {
        return Shim.hp_mempool_avail(pool);
    }

    public void free() {
        Shim.hp_mempool_free(pool);
    }
}
