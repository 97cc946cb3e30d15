package io.hairpin.engine.session;

import io.hairpin.shim.Mem;
import io.hairpin.shim.OffHeap;
import io.hairpin.shim.Shim;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.security.SecureRandom;
import java.util.Arrays;
import org.agrona.BitUtil;
import org.agrona.collections.Long2LongHashMap;

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
 * <p>First sessions: while the session that made a mapping lives, the mapping's two index
 * entries name it through that session ({@link #bindFirst}), whose flows then need no entries
 * of their own in the session table ({@link SessionTable#createUnindexed}): its forward flow
 * starts at the mapping's internal endpoint, its return flow ends at the external one, so
 * {@link #firstFlow} finds them through the mapping's entries. Most mappings only ever have that
 * session (a client's connections each have their own source port), so a NAPT session usually
 * costs two index entries, not four. When the first session goes before its mapping, the
 * entries name the mapping again ({@link #unbindFirst}); later sessions are indexed as usual.
 * The index hashes leave the pool number out of the keys, since a flow's pool is not known
 * when it is looked up.
 *
 * <p>Peers (RFC 4787 address-dependent filtering): {@link #addPeer} and {@link #dropPeer} count a
 * mapping's sessions per remote address, and {@link #hasPeer} says whether a remote address may
 * reach the mapping. The first remote a mapping talks to is counted in its own record, which is
 * all most mappings ever need (a client's connections each have their own source port, so their
 * own mapping); other remotes go to a table shared by all mappings, of a third to two thirds of
 * {@code maxMappings} entries (0.65 of the least power of two at least half of it: 0.34 at a
 * million, 0.55 at ten million). When that table is full, a further remote is not recorded
 * ({@link #addPeer} returns false): that address then reaches the mapping only through its
 * sessions' own tuples, so a full table filters more, never less.
 *
 * <p>Layout: one 32-byte record per mapping, off-heap and aligned so that it never spans two
 * cache lines: {@code [internal key, external key, refs | tag, peer | peer count]}, keys packed
 * as {@code proto << 48 | port << 32 | address}; a free record holds the next free index in
 * its peer field. Two {@link RecordIndex} of 8 bytes per slot at load ≤ 0.7 find it by either
 * endpoint (32 bytes per mapping when the capacity is a power of two, from 22.9 to 45.7 in
 * general), and the peer table about 8 more. Nothing is allocated after construction.
 */
public final class MappingTable {
    private static final int REC = 32;
    /** Most flows {@link #firstCandidates} takes at once. */
    public static final int PREFETCH_BATCH = 64;
    private static final int INT_KEY = 0;
    private static final int EXT_KEY = 8;
    /** Sessions using the mapping; -1 for a free record. */
    private static final int REFS = 16;
    private static final int TAG = 20;
    /** The first remote; in a free record, the next free one. */
    private static final int PEER = 24;
    private static final int PEER_REFS = 28;

    /** The pool number's bits of a key (see {@link #key}), which the index hashes leave out. */
    private static final long POOL_BITS = 0xFF00_0000_0000_0000L;

    private final int capacity;
    /** Freed with this table: nothing outside it holds the address. */
    private final MemorySegment records;
    private final long rec;
    private final RecordIndex byInternal;
    private final RecordIndex byExternal;
    /** Where first sessions live; null when there are none. */
    private final SessionTable sessions;
    /** Written by {@link #firstFlows} so that its loads have a use. */
    private long prefetched;
    /** The mapping {@link #create} made last and the slots its entries took, for {@link #bindFirst}. */
    private int lastCreated = -1;
    private int lastInternalSlot;
    private int lastExternalSlot;
    /** Sessions per (mapping << 32 | remote) for remotes beyond a mapping's own peer. */
    private final Long2LongHashMap morePeers;
    private final int morePeersMax;
    private int freeHead;
    private int size;
    /** {@link #firstCandidates}' scratch, with the segment its prefetch call is given. */
    private final long[] batchRecords = new long[PREFETCH_BATCH];
    private final MemorySegment batchRecordsSegment = MemorySegment.ofArray(batchRecords);
    /** {@link #firstFlows}' keys' hashes. */
    private final long[] batchHashes = new long[PREFETCH_BATCH];

    /** A table whose mappings' first sessions are sessions of {@code sessions}. */
    public MappingTable(int maxMappings, SessionTable sessions) {
        this(maxMappings, new SecureRandom().nextLong(), sessions);
    }

    /** A table with no first sessions ({@link #bindFirst} is not to be called). */
    public MappingTable(int maxMappings, long seed) {
        this(maxMappings, seed, null);
    }

    public MappingTable(int maxMappings, long seed, SessionTable sessions) {
        this.capacity = maxMappings;
        this.sessions = sessions;
        this.records = OffHeap.allocate(Arena.ofAuto(), (long) maxMappings * REC);
        this.rec = records.address();
        this.byInternal = new RecordIndex(maxMappings, seed, rec, REC, INT_KEY, POOL_BITS, sessions);
        this.byExternal = new RecordIndex(maxMappings, seed * 0x9E3779B97F4A7C15L + 1, rec, REC, EXT_KEY, POOL_BITS,
                sessions);
        for (int m = 0; m < maxMappings; m++) {
            Mem.nativeInt(at(m) + REFS, -1);
            Mem.nativeInt(at(m) + PEER, m + 1 < maxMappings ? m + 1 : -1);
        }
        this.morePeers = new Long2LongHashMap(peerEntries(maxMappings), 0.65f, 0);
        this.morePeersMax = morePeers.resizeThreshold(); // so that it never grows
    }

    private long at(int m) {
        return rec + (long) m * REC;
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
     * The flow (of a session table's numbering) whose key is (k1, k2), packed as that table's,
     * when it is a first session's forward flow ({@code outbound}) or return flow (see the class
     * comment); -1 otherwise.
     */
    public int firstFlow(long k1, long k2, boolean outbound) {
        if (size == 0) {
            return -1;
        }
        return (outbound ? byInternal : byExternal).firstFlow(endpointKey(k1, k2, outbound), outbound ? 0 : 1, k1, k2);
    }

    /**
     * {@link #firstFlow} for the flows of a burst with none yet ({@code flows[i] < 0}), each
     * looked for in one direction: its index slots loaded in a loop that does nothing else, then
     * the candidate sessions' records, so that the misses of the burst overlap.
     *
     * @param slots scratch of at least n longs; n at most {@link #PREFETCH_BATCH}
     */
    public void firstFlows(long[] k1, long[] k2, int n, int[] flows, boolean outbound, long[] slots) {
        if (size == 0) {
            return; // no probe of a big empty index
        }
        RecordIndex index = outbound ? byInternal : byExternal;
        homes(k1, k2, n, flows, outbound, slots, batchHashes);
        long sum = 0;
        for (int i = 0; i < n; i++) {
            if (slots[i] >= 0) {
                sum += index.load((int) slots[i]);
            }
        }
        candidates(0, n, outbound, slots, batchHashes);
        for (int i = 0; i < n; i++) {
            if (slots[i] >= 0) {
                sum += sessions.prefetchFlow(2 * (int) slots[i]);
            }
        }
        prefetched = sum;
        confirm(k1, k2, n, flows, outbound, slots);
    }

    /**
     * {@link #firstFlows} in two halves, with prefetch instructions (the native shim's) where
     * firstFlows loads: this one finds the candidate sessions of the flows from {@code from} to
     * {@code to} from the index slots {@link #findHomes} put in {@code batch} for the same
     * flows (and prefetched), leaves the candidates there and prefetches their records;
     * {@link #confirmFirstFlows} then reads them, and the caller's work in between overlaps the
     * records' misses. A batch may be taken in pieces, with other work in between. The table may
     * change in between: each candidate is checked against its session, but a flow the table
     * gained in between may not be found (a look-up made before it came). At most
     * {@link #PREFETCH_BATCH} flows.
     */
    public void firstCandidates(int from, int to, int[] flows, boolean outbound, SlotBatch batch) {
        long[] at = batch.at;
        if (size == 0) {
            Arrays.fill(at, from, to, RecordIndex.ABSENT);
            return;
        }
        for (int i = from; i < to; i++) {
            if (flows[i] >= 0) {
                at[i] = RecordIndex.ABSENT;
            }
        }
        candidates(from, to, outbound, at, batch.hash);
        for (int i = from; i < to; i++) {
            long c = at[i];
            batchRecords[i - from] = c >= 0 ? sessions.recordAddress((int) c) : 0;
        }
        Shim.hp_prefetch(batchRecordsSegment, to - from);
    }

    /**
     * The index slots where the look-ups of these flows start, and their keys' hashes, put in
     * {@code batch} for {@link #firstCandidates}; with {@code prefetch}, the slots prefetched
     * (else the caller prefetches them later, a few at a time: {@link #prefetchHomes}). Nothing is
     * looked up: the table may change before firstCandidates is called, and a key's hash and home
     * slot stay. At most {@link #PREFETCH_BATCH} flows.
     */
    public void findHomes(long[] k1, long[] k2, int n, boolean outbound, SlotBatch batch, boolean prefetch) {
        RecordIndex index = outbound ? byInternal : byExternal;
        long[] at = batch.at;
        long[] hash = batch.hash;
        for (int i = 0; i < n; i++) {
            long h = index.hash(endpointKey(k1[i], k2[i], outbound));
            hash[i] = h;
            at[i] = index.homeOf(h);
        }
        if (prefetch && size != 0) {
            index.prefetchSlots(batch.segment, n);
        }
    }

    /** Prefetches the home slots {@link #findHomes} put in {@code batch} for its flows {@code from} to {@code to}. */
    public void prefetchHomes(int from, int to, boolean outbound, SlotBatch batch) {
        if (size == 0 || to <= from) {
            return;
        }
        // the shim's prefetch takes the slots from the start of a segment
        System.arraycopy(batch.at, from, batch.piece, 0, to - from);
        (outbound ? byInternal : byExternal).prefetchSlots(batch.pieceSegment, to - from);
    }

    /** The second half of {@link #firstCandidates}: the same flows and batch, what firstFlows would give. */
    public void confirmFirstFlows(long[] k1, long[] k2, int n, int[] flows, boolean outbound, SlotBatch batch) {
        confirm(k1, k2, n, flows, outbound, batch.at);
    }

    /** The home slots (and hashes) of the flows with none yet. */
    private void homes(long[] k1, long[] k2, int n, int[] flows, boolean outbound, long[] slots, long[] hashes) {
        RecordIndex index = outbound ? byInternal : byExternal;
        for (int i = 0; i < n; i++) {
            if (flows[i] >= 0) {
                slots[i] = -1;
            } else {
                long h = index.hash(endpointKey(k1[i], k2[i], outbound));
                hashes[i] = h;
                slots[i] = index.homeOf(h);
            }
        }
    }

    /** Each home slot (not negative) replaced by the candidate found from it, by its key's hash. */
    private void candidates(int from, int to, boolean outbound, long[] slots, long[] hashes) {
        RecordIndex index = outbound ? byInternal : byExternal;
        for (int i = from; i < to; i++) {
            if (slots[i] >= 0) {
                slots[i] = index.candidate(hashes[i]);
            }
        }
    }

    private void confirm(long[] k1, long[] k2, int n, int[] flows, boolean outbound, long[] slots) {
        RecordIndex index = outbound ? byInternal : byExternal;
        int direction = outbound ? 0 : 1;
        for (int i = 0; i < n; i++) {
            int c = (int) slots[i];
            if (flows[i] < 0 && c != RecordIndex.ABSENT) {
                int flow = 2 * c + direction;
                flows[i] = c >= 0 && sessions.isFlow(flow, k1[i], k2[i]) ? flow
                        : index.firstFlow(endpointKey(k1[i], k2[i], outbound), direction, k1[i], k2[i]);
            }
        }
    }

    /**
     * The mapping endpoint's key of a flow: a forward flow's source (internal), a return flow's
     * destination (external); pool 0, which the index hashes leave out.
     */
    private static long endpointKey(long k1, long k2, boolean outbound) {
        int proto = (int) (k2 >>> 32) & 0xFF;
        return outbound ? key(proto, (int) (k1 >>> 32), (int) (k2 >>> 16)) : key(proto, (int) k1, (int) k2);
    }

    /**
     * Session s, just made with {@link SessionTable#createUnindexed} and tagged m, is mapping m's
     * first: its flows are found through m's entries until {@link #unbindFirst}.
     */
    public void bindFirst(int m, int s) {
        // usually just made: its entries are where create put them, no probe needed
        boolean made = m == lastCreated;
        if (!made || !byInternal.renameAt(lastInternalSlot, m, s)) {
            byInternal.rename(intKey(m), s);
        }
        if (!made || !byExternal.renameAt(lastExternalSlot, m, s)) {
            byExternal.rename(extKey(m), s);
        }
        lastCreated = -1;
    }

    /** Mapping m's first session is about to go while m stays: its entries name m again. */
    public void unbindFirst(int m) {
        byInternal.rename(intKey(m), -1);
        byExternal.rename(extKey(m), -1);
    }

    /**
     * Creates a mapping with 0 references, tag 0 and no peers.
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
        long r = at(m);
        freeHead = Mem.nativeInt(r + PEER);
        Mem.nativeLong(r + INT_KEY, ik);
        Mem.nativeLong(r + EXT_KEY, ek);
        Mem.nativeInt(r + REFS, 0);
        Mem.nativeInt(r + TAG, 0);
        Mem.nativeInt(r + PEER_REFS, 0);
        lastInternalSlot = byInternal.put(ik, m);
        lastExternalSlot = byExternal.put(ek, m);
        lastCreated = m;
        size++;
        return m;
    }

    /** Loads mapping m's record (a hint; the value only gives the load a use). */
    public long loadRecord(int m) {
        return Mem.nativeLong(at(m) + INT_KEY);
    }

    /** The {@link #internalHome} slot of live mapping m: where removing it probes first. */
    public int internalHomeOf(int m) {
        return byInternal.home(intKey(m));
    }

    /** The {@link #externalHome} slot of live mapping m: where removing it probes first. */
    public int externalHomeOf(int m) {
        return byExternal.home(extKey(m));
    }

    /**
     * The internal index slot that {@link #find} of the endpoint probes first, for
     * {@link #loadInternal}: a batch's slots are computed first and loaded in a loop that does
     * nothing else, so that their misses overlap.
     */
    public int internalHome(int proto, int intIp, int intPort) {
        return byInternal.home(key(proto, intIp, intPort));
    }

    /** As {@link #internalHome}, for the external index slot a new mapping to (extIp, extPort) probes first. */
    public int externalHome(int proto, int extIp, int extPort) {
        return byExternal.home(key(proto, extIp, extPort));
    }

    /** Loads an {@link #internalHome} slot (a hint; the value only gives the load a use). */
    public long loadInternal(int home) {
        return byInternal.load(home);
    }

    /** Loads an {@link #externalHome} slot (a hint; the value only gives the load a use). */
    public long loadExternal(int home) {
        return byExternal.load(home);
    }

    /**
     * Loads the external index slot that creating a mapping to (extIp, extPort) will probe first
     * (a hint; the value only gives the load a use).
     */
    public long prefetchExternal(int proto, int extIp, int extPort) {
        return byExternal.prefetch(key(proto, extIp, extPort));
    }

    private long intKey(int m) {
        return Mem.nativeLong(at(m) + INT_KEY);
    }

    private long extKey(int m) {
        return Mem.nativeLong(at(m) + EXT_KEY);
    }

    public int proto(int m) {
        return (int) (intKey(m) >>> 48);
    }

    public int internalIp(int m) {
        return (int) intKey(m);
    }

    public int internalPort(int m) {
        return (int) (intKey(m) >>> 32) & 0xFFFF;
    }

    public int externalIp(int m) {
        return (int) extKey(m);
    }

    public int externalPort(int m) {
        return (int) (extKey(m) >>> 32) & 0xFFFF;
    }

    public int tag(int m) {
        return Mem.nativeInt(at(m) + TAG);
    }

    public void setTag(int m, int tag) {
        Mem.nativeInt(at(m) + TAG, tag);
    }

    /** Sessions using the mapping (-1 when m is not a live mapping). */
    public int refs(int m) {
        return Mem.nativeInt(at(m) + REFS);
    }

    public boolean isLive(int m) {
        return m >= 0 && m < capacity && refs(m) >= 0;
    }

    /** One more session uses the mapping. */
    public void retain(int m) {
        int r = refs(m);
        if (r < 0) {
            throw new IllegalArgumentException("not a live mapping: " + m);
        }
        Mem.nativeInt(at(m) + REFS, r + 1);
    }

    /**
     * One session fewer uses the mapping.
     *
     * @return true when that was the last one: the mapping is removed and the caller frees its
     *         external port
     */
    public boolean release(int m) {
        int r = refs(m);
        if (r <= 0) {
            throw new IllegalArgumentException(r < 0 ? "not a live mapping: " + m : "mapping " + m + " has no sessions");
        }
        if (r > 1) {
            Mem.nativeInt(at(m) + REFS, r - 1);
            return false;
        }
        remove(m);
        return true;
    }

    /**
     * Removes a live mapping whatever its count (the caller frees its external port). Its peers
     * must have been dropped (each session drops its own before it releases the mapping): peers
     * left in the shared table would pass to the next mapping created at this index.
     */
    public void remove(int m) {
        long r = at(m);
        if (Mem.nativeInt(r + REFS) < 0) {
            throw new IllegalArgumentException("not a live mapping: " + m);
        }
        byInternal.remove(intKey(m));
        byExternal.remove(extKey(m));
        Mem.nativeInt(r + REFS, -1);
        Mem.nativeInt(r + PEER, freeHead);
        freeHead = m;
        size--;
    }

    // ---------------------------------------------------------------- peers

    private static long peerKey(int m, int remote) {
        return ((long) m << 32) | (remote & 0xFFFF_FFFFL);
    }

    /**
     * One more session of mapping m talks to remote.
     *
     * @return false when the remote could not be recorded (the shared table is full)
     */
    public boolean addPeer(int m, int remote) {
        long r = at(m);
        int n = Mem.nativeInt(r + PEER_REFS);
        if (n == 0) {
            Mem.nativeInt(r + PEER, remote);
            Mem.nativeInt(r + PEER_REFS, 1);
            return true;
        }
        if (Mem.nativeInt(r + PEER) == remote) {
            Mem.nativeInt(r + PEER_REFS, n + 1);
            return true;
        }
        long key = peerKey(m, remote);
        long c = morePeers.get(key);
        if (c > 0) {
            morePeers.put(key, c + 1);
        } else if (morePeers.size() < morePeersMax) {
            morePeers.put(key, 1);
        } else {
            return false;
        }
        return true;
    }

    /**
     * One session fewer of mapping m talks to remote. A session whose peer was not recorded
     * (the table was full) takes one off another session's count of that remote, if there is
     * one: filtering can only get stricter for it.
     */
    public void dropPeer(int m, int remote) {
        long r = at(m);
        int n = Mem.nativeInt(r + PEER_REFS);
        if (n > 0 && Mem.nativeInt(r + PEER) == remote) {
            Mem.nativeInt(r + PEER_REFS, n - 1);
            return;
        }
        long key = peerKey(m, remote);
        long c = morePeers.get(key);
        if (c > 1) {
            morePeers.put(key, c - 1);
        } else if (c == 1) {
            morePeers.remove(key);
        }
    }

    /** Has mapping m a session with this remote address? */
    public boolean hasPeer(int m, int remote) {
        long r = at(m);
        return Mem.nativeInt(r + PEER_REFS) > 0 && Mem.nativeInt(r + PEER) == remote
                || morePeers.get(peerKey(m, remote)) > 0;
    }

    public int size() {
        return size;
    }

    public int capacity() {
        return capacity;
    }

    private static int peerEntries(int maxMappings) {
        return Math.max(2, maxMappings / 2);
    }

    /**
     * What a table of maxMappings takes on the Java heap: both indexes and the peer table (without
     * array headers; Agrona sizes the peer table to a power of two of at least 8 entries, 16
     * bytes each). With {@link #offHeapBytesFor} it is what {@link #footprintBytes} gives once the
     * table is built.
     */
    public static long heapBytesFor(int maxMappings) {
        return 2 * 8L * LinearProbing.slotsFor(maxMappings)
                + 16L * BitUtil.findNextPositivePowerOfTwo(Math.max(8, peerEntries(maxMappings)));
    }

    /** What a table of maxMappings takes off the heap: its records. */
    public static long offHeapBytesFor(int maxMappings) {
        return (long) REC * maxMappings;
    }

    /** Bytes this table holds: records, both indexes and the peer table (without object headers). */
    public long footprintBytes() {
        return records.byteSize() + byInternal.footprintBytes() + byExternal.footprintBytes()
                + 16L * morePeers.capacity();
    }
}
