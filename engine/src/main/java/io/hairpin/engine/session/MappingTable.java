package io.hairpin.engine.session;

import java.security.SecureRandom;

/**
 * Endpoint-independent NAPT mappings (RFC 4787 REQ-1, RFC 5382 REQ-1), one table per worker,
 * single-threaded: (proto, internal address, internal port) ↔ (proto, external address, external
 * port), both directions findable, with a count of the sessions using it.
 *
 * <p>Life cycle: {@link #create} makes a mapping with 0 references; the caller {@link #retain}s
 * it once per session that uses it (including the first) and {@link #release}s it from the session
 * table's expiry listener (and wherever it removes a session). When the count drops to 0 the
 * mapping is removed and {@code release} returns true: the caller then frees the external port in
 * the {@link PortAllocator} of the mapping's pool (a table may serve several pools; {@link #tag}
 * is the caller's place to note which one). A mapping's fields stay readable after its removal
 * until {@link #create} reuses the index, so the caller can free the port after
 * {@code release} returned true. {@link #remove} drops a mapping regardless of its count (flush,
 * or a session that could not be created after all).
 *
 * <p>Layout: per mapping two packed keys ({@code proto << 48 | port << 32 | address}) and two ints,
 * plus two {@link LongIntIndex} of 12 bytes per slot at load ≤ 0.5: about 72–120 bytes per
 * mapping. Nothing is allocated after construction.
 */
public final class MappingTable {
    private final int capacity;
    private final long[] intKey;
    private final long[] extKey;
    /** Sessions using the mapping; -1 for a free index. */
    private final int[] refs;
    private final int[] tags;
    private final int[] nextFree;
    private final LongIntIndex byInternal;
    private final LongIntIndex byExternal;
    private int freeHead;
    private int size;

    public MappingTable(int maxMappings) {
        this(maxMappings, new SecureRandom().nextLong());
    }

    public MappingTable(int maxMappings, long seed) {
        this.capacity = maxMappings;
        this.byInternal = new LongIntIndex(maxMappings, seed);
        this.byExternal = new LongIntIndex(maxMappings, seed * 0x9E3779B97F4A7C15L + 1);
        this.intKey = new long[maxMappings];
        this.extKey = new long[maxMappings];
        this.refs = new int[maxMappings];
        this.tags = new int[maxMappings];
        this.nextFree = new int[maxMappings];
        for (int m = 0; m < maxMappings; m++) {
            refs[m] = -1;
            nextFree[m] = m + 1;
        }
        nextFree[maxMappings - 1] = -1;
    }

    /**
     * The low 8 bits of proto are the IP protocol; the caller may put a pool number in bits 8..15,
     * so that one internal endpoint can hold a mapping per pool (one per external interface).
     */
    static long key(int proto, int ip, int port) {
        return (long) (proto & 0xFFFF) << 48 | (long) (port & 0xFFFF) << 32 | (ip & 0xFFFF_FFFFL);
    }

    /** The mapping of an internal endpoint, or -1. */
    public int find(int proto, int intIp, int intPort) {
        return byInternal.get(key(proto, intIp, intPort));
    }

    /** The mapping owning an external endpoint, or -1. */
    public int findExternal(int proto, int extIp, int extPort) {
        return byExternal.get(key(proto, extIp, extPort));
    }

    /**
     * Creates a mapping with 0 references and tag 0.
     *
     * @return its index, or -1 when the table is full or either endpoint is already mapped
     */
    public int create(int proto, int intIp, int intPort, int extIp, int extPort) {
        if (size == capacity) {
            return -1;
        }
        long ik = key(proto, intIp, intPort);
        long ek = key(proto, extIp, extPort);
        if (byInternal.get(ik) >= 0 || byExternal.get(ek) >= 0) {
            return -1;
        }
        int m = freeHead;
        freeHead = nextFree[m];
        intKey[m] = ik;
        extKey[m] = ek;
        refs[m] = 0;
        tags[m] = 0;
        byInternal.put(ik, m);
        byExternal.put(ek, m);
        size++;
        return m;
    }

    /**
     * Loads what releasing or removing mapping m will touch (a hint before a batch of expiries;
     * the sum only gives the loads a use).
     */
    public long prefetch(int m) {
        return refs[m] + tags[m] + byInternal.prefetch(intKey[m]) + byExternal.prefetch(extKey[m]);
    }

    public int proto(int m) {
        return (int) (intKey[m] >>> 48);
    }

    public int internalIp(int m) {
        return (int) intKey[m];
    }

    public int internalPort(int m) {
        return (int) (intKey[m] >>> 32) & 0xFFFF;
    }

    public int externalIp(int m) {
        return (int) extKey[m];
    }

    public int externalPort(int m) {
        return (int) (extKey[m] >>> 32) & 0xFFFF;
    }

    public int tag(int m) {
        return tags[m];
    }

    public void setTag(int m, int tag) {
        tags[m] = tag;
    }

    /** Sessions using the mapping (-1 when m is not a live mapping). */
    public int refs(int m) {
        return refs[m];
    }

    public boolean isLive(int m) {
        return m >= 0 && m < capacity && refs[m] >= 0;
    }

    /** One more session uses the mapping. */
    public void retain(int m) {
        if (refs[m] < 0) {
            throw new IllegalArgumentException("not a live mapping: " + m);
        }
        refs[m]++;
    }

    /**
     * One session fewer uses the mapping.
     *
     * @return true when that was the last one: the mapping is removed and the caller frees its
     *         external port
     */
    public boolean release(int m) {
        int r = refs[m];
        if (r <= 0) {
            throw new IllegalArgumentException(r < 0 ? "not a live mapping: " + m : "mapping " + m + " has no sessions");
        }
        if (r > 1) {
            refs[m] = r - 1;
            return false;
        }
        remove(m);
        return true;
    }

    /** Removes a live mapping whatever its count (the caller frees its external port). */
    public void remove(int m) {
        if (refs[m] < 0) {
            throw new IllegalArgumentException("not a live mapping: " + m);
        }
        byInternal.remove(intKey[m]);
        byExternal.remove(extKey[m]);
        refs[m] = -1;
        nextFree[m] = freeHead;
        freeHead = m;
        size--;
    }

    public int size() {
        return size;
    }

    public int capacity() {
        return capacity;
    }
}
