package io.hairpin.engine.worker;

import io.hairpin.engine.fragment.FragmentTracker;
import io.hairpin.engine.nat.NatRules;
import io.hairpin.engine.session.HostCounters;
import io.hairpin.engine.session.MappingTable;
import io.hairpin.engine.session.PortAllocator;
import io.hairpin.engine.session.SessionTable;
import io.hairpin.shim.MemInfo;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * The NAT session state worker 0 keeps: sessions, mappings, per-host counts and fragments, sized
 * once for {@code nat.max-sessions}. Built by the thread that publishes the snapshot first needing
 * it ({@link SnapshotHolder}), never by a worker: at ten million sessions building takes seconds
 * and gigabytes, which a worker would take from forwarding, and a failure there would kill it. The
 * tables are checked against the memory there is before anything is allocated.
 */
public final class NatTables {
    /** Room left to the rest of the machine when the tables are checked against MemAvailable. */
    static final long MEMORY_RESERVE = 256L << 20;
    private static final long FRAGMENTS = new FragmentTracker().footprintBytes();

    final int capacity;
    final SessionTable sessions;
    final MappingTable mappings;
    final HostCounters hosts;
    final FragmentTracker fragments;

    private NatTables(int capacity) {
        this.capacity = capacity;
        sessions = new SessionTable(capacity);
        mappings = new MappingTable(capacity, sessions);
        hosts = new HostCounters(hostsFor(capacity));
        fragments = new FragmentTracker();
    }

    /** What session state takes: its indexes on the Java heap, its records off it. */
    public record Footprint(long heapBytes, long offHeapBytes) {
        public long totalBytes() {
            return heapBytes + offHeapBytes;
        }
    }

    /** A nat.max-sessions the session state cannot be built for here; nothing was kept. */
    public static final class DoesNotFit extends IllegalArgumentException {
        public DoesNotFit(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The capacity rules with this max-sessions get: at least 16. */
    public static int capacityFor(int maxSessions) {
        return Math.max(16, maxSessions);
    }

    private static int hostsFor(int capacity) {
        return Math.min(capacity, 65536);
    }

    /** Whether a worker running these rules keeps session state (worker 0 does). */
    public static boolean needed(NatRules r) {
        return r.hasRules && (r.needsSessions() || r.binatReflects());
    }

    /** What the session state for max-sessions takes (without array headers). */
    public static Footprint footprint(int maxSessions) {
        int c = capacityFor(maxSessions);
        return new Footprint(
                SessionTable.heapBytesFor(c) + MappingTable.heapBytesFor(c) + HostCounters.heapBytesFor(hostsFor(c))
                        + FRAGMENTS,
                SessionTable.offHeapBytesFor(c) + MappingTable.offHeapBytesFor(c));
    }

    /** The bytes the built tables hold, as each reports them. */
    long footprintBytes() {
        return sessions.footprintBytes() + mappings.footprintBytes() + hosts.footprintBytes() + fragments.footprintBytes();
    }

    /**
     * Builds the session state for max-sessions, after checking it against the Java heap's room
     * and the machine's available memory.
     *
     * @throws DoesNotFit when it cannot fit, or could not be allocated after all
     */
    static NatTables build(int maxSessions) {
        String refusal = cannotHoldHere(maxSessions);
        if (refusal != null) {
            throw new DoesNotFit(refusal, null);
        }
        try {
            return new NatTables(capacityFor(maxSessions));
        } catch (OutOfMemoryError e) {
            throw new DoesNotFit(prefix(maxSessions, footprint(maxSessions)) + "could not be allocated ("
                    + e.getMessage() + "): " + remedy(), e);
        }
    }

    /**
     * Why session state for max-sessions cannot be built in this JVM on this machine now, or null
     * ({@link #cannotHold} with this JVM's heap and the machine's MemAvailable).
     */
    public static String cannotHoldHere(int maxSessions) {
        return cannotHold(maxSessions, footprint(maxSessions), heapRoom(), Runtime.getRuntime().freeMemory(),
                memAvailable());
    }

    /** The Java heap's room: its limit less what is in use. */
    private static long heapRoom() {
        Runtime rt = Runtime.getRuntime();
        return rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
    }

    /**
     * Why session state of this footprint cannot be built, or null: its heap part must fit the
     * heap's room ({@code heapRoom}: the limit less what is in use), and what it adds to the
     * process (off-heap, and the heap part beyond the heap's committed free bytes) must fit the
     * machine's available memory less {@link #MEMORY_RESERVE} ({@code memAvailable} &lt; 0: not
     * known, not checked).
     */
    static String cannotHold(int maxSessions, Footprint need, long heapRoom, long heapCommittedFree, long memAvailable) {
        if (need.heapBytes() > heapRoom) {
            return prefix(maxSessions, need) + "but the Java heap has room for " + size(heapRoom) + ": " + remedy();
        }
        long added = need.offHeapBytes() + Math.max(0, need.heapBytes() - heapCommittedFree);
        if (memAvailable >= 0 && added > memAvailable - MEMORY_RESERVE) {
            return prefix(maxSessions, need) + "but this machine has " + size(memAvailable)
                    + " of memory available (MemAvailable), and leaves " + size(MEMORY_RESERVE)
                    + " to the rest: lower nat.max-sessions or free memory.";
        }
        return null;
    }

    /** NAT port pools, which worker 0 builds when it takes the rules up: 24 KiB of Java heap an address. */
    public record Pools(long addresses, long heapBytes) {
        /** The pools of these address lists. */
        public static Pools of(Collection<List<Integer>> addressLists) {
            long addresses = 0;
            long bytes = 0;
            for (List<Integer> pool : addressLists) {
                addresses += pool.size();
                bytes += PortAllocator.heapBytesFor(pool.size());
            }
            return new Pools(addresses, bytes);
        }
    }

    /**
     * Why this JVM on this machine cannot hold, now, port pools and (when {@code tables}: they
     * come with them) the session state for max-sessions, or null; the state's own lack first.
     */
    public static String cannotHoldHere(int maxSessions, boolean tables, Pools pools) {
        if (tables) {
            String state = cannotHoldHere(maxSessions);
            if (state != null) {
                return state;
            }
        }
        return poolsCannotFit(pools, tables ? footprint(maxSessions).heapBytes() : 0, heapRoom());
    }

    /** Why pools cannot fit the heap's room besides {@code tablesHeap} of session state built with them, or null. */
    static String poolsCannotFit(Pools pools, long tablesHeap, long heapRoom) {
        if (pools.heapBytes() + tablesHeap <= heapRoom) {
            return null;
        }
        return "the NAT port pools these rules add (" + pools.addresses() + " addresses, 24 KiB each) need "
                + size(pools.heapBytes()) + " of Java heap" + (tablesHeap > 0 ? ", besides " + size(tablesHeap) + " for the"
                + " session state" : "") + ", but the Java heap has room for " + size(heapRoom) + ": use smaller pools,"
                + " or " + MORE_HEAP;
    }

    private static String prefix(int maxSessions, Footprint need) {
        return "nat.max-sessions " + maxSessions + " needs " + size(need.totalBytes()) + " of session state ("
                + size(need.heapBytes()) + " of it on the Java heap), ";
    }

    private static final String MORE_HEAP = "give the Java heap more room (HAIRPIN_JVM_OPTS=-Xmx..., whose default is"
            + " a quarter of the machine's memory).";

    private static String remedy() {
        return "lower nat.max-sessions, or " + MORE_HEAP;
    }

    /** A byte count as operators read it: KiB below a MiB, MiB below a GiB, else GiB, one decimal. */
    public static String size(long bytes) {
        return bytes < 1L << 20 ? String.format(Locale.ROOT, "%.1f KiB", bytes / (double) (1L << 10))
                : bytes < 1L << 30 ? String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20))
                : String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
    }

    /** MemAvailable in bytes, or -1 when not known. */
    static long memAvailable() {
        long kb = MemInfo.field("MemAvailable");
        return kb < 0 ? -1 : kb * 1024;
    }
}
