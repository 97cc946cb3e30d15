package io.hairpin.shim;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/** A DPDK ring of mbuf pointers (single producer, single consumer). */
public final class Ring {
    private final String name;
    private final MemorySegment ring;

    private Ring(String name, MemorySegment ring) {
        this.name = name;
        this.ring = ring;
    }

    /** @param size a power of two; the ring holds size - 1 entries */
    public static Ring create(String name, int size) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment r = Shim.hp_ring_create(arena.allocateFrom(name), size);
            if (r.equals(MemorySegment.NULL)) {
                throw new DpdkException("Cannot create ring '" + name + "' of " + size + ": " + Eal.lastError());
            }
            return new Ring(name, r);
        }
    }

    public String name() {
        return name;
    }

    public MemorySegment segment() {
        return ring;
    }

    public int count() {
        return Shim.hp_ring_count(ring);
    }

    public void free() {
        Shim.hp_ring_free(ring);
    }
}
