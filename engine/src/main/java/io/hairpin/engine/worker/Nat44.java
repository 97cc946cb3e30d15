package io.hairpin.engine.worker;

import io.hairpin.engine.KernelListeners;
import io.hairpin.engine.Snapshot;
import io.hairpin.engine.nat.NatConfig;
import io.hairpin.engine.nat.NatRules;
import io.hairpin.engine.packet.Checksum;
import io.hairpin.engine.packet.ChecksumDelta;
import io.hairpin.engine.packet.Ethernet;
import io.hairpin.engine.packet.Icmp;
import io.hairpin.engine.packet.Ipv4;
import io.hairpin.engine.session.HostCounters;
import io.hairpin.engine.session.MappingTable;
import io.hairpin.engine.session.PortAllocator;
import io.hairpin.engine.session.SessionTable;
import io.hairpin.engine.session.SlotBatch;
import io.hairpin.shim.Mem;

/**
 * One worker's NAT44, VPP nat44-ed style. {@link #inbound} (before routing) and
 * {@link #outbound} (after it) decide a rewrite — new source, destination and ports — without
 * touching the packet, so the router still checks TTL and MTU against the packet as it arrived;
 * {@link #apply} then rewrites in place with incremental checksum updates.
 *
 * <p>The fast path is a session lookup: a session is two flows (one per direction), each with
 * the tuple it matches and the tuple it becomes. Sessions are created on the slow path by port
 * forwards, outbound NAPT (through endpoint-independent mappings), reflection that needs a port,
 * and 1:1 rules that restrict inbound traffic. Plain 1:1 is stateless. ICMP errors never create
 * or refresh a session; the packet they quote is translated with the session it belongs to.
 */
final class Nat44 implements SessionTable.ExpiryListener {
    static final int PASS = -1;
    static final int TRANSLATE = -2;
    /** The packet (a fragment) is held until its datagram's first fragment has been translated. */
    static final int PARKED = -3;

    // TCP state bits of a session: SYN and FIN seen per direction, RST seen
    private static final int SYN0 = io.hairpin.engine.SessionView.TCP_SYN_ORIGINAL;
    private static final int SYN1 = io.hairpin.engine.SessionView.TCP_SYN_REPLY;
    private static final int FIN0 = io.hairpin.engine.SessionView.TCP_FIN_ORIGINAL;
    private static final int FIN1 = io.hairpin.engine.SessionView.TCP_FIN_REPLY;
    private static final int RST = io.hairpin.engine.SessionView.TCP_RST;
    // TCP header flags
    private static final int TCP_FIN = 0x01;
    private static final int TCP_SYN = 0x02;
    private static final int TCP_RST = 0x04;
    private static final int TCP_ACK = 0x10;
    /**
     * Not TCP: the session counts in its host's {@link HostCounters} entry. Hosts are counted only
     * while a per-host limit is configured (an update per session and per expiry otherwise spent
     * for nothing), so a session created without one is not taken off at expiry either.
     */
    private static final int HOST_COUNTED = 1 << 8;
    /** Session tags below this encode an interface-pool port to free: -(pool * 65536 + address) - 2. */
    static final int NO_MAPPING = -1;
    /** Live pools at most: a pool's id rides in bits 8..15 of its mappings' keys (one mapping per endpoint and pool). */
    static final int MAX_POOLS = 256;
    /** Session slots a session request examines per housekeeping round. */
    static final int SCAN_STEP = 65536;
    /** Sessions expired per millisecond at most, and per call (after a long gap). */
    static final int EXPIRY_PER_MS = 4096;
    static final int EXPIRY_MAX = 1 << 16;

    // the decided rewrite of the packet
    int newSrc;
    int newDst;
    int newSrcPort;
    int newDstPort;
    // for an ICMP error, the decided rewrite of the packet it quotes
    private boolean quoteDecided;
    private int quoteSrc;
    private int quoteDst;
    private int quoteSrcPort;
    private int quoteDstPort;

    /**
     * The counter id of the NAT rule behind the last TRANSLATE ({@link RuleCounters}; 0 for none):
     * for a session's packet, the rule that opened the session; for a reflected one, the rule the
     * client reached the server by.
     */
    int rule;

    private final Counters counters;
    private final RuleCounters ruleCounters;
    private final int worker;
    private final int workers;
    private NatRules rules;
    private SessionTable sessions;
    private MappingTable mappings;
    private HostCounters hosts;
    /**
     * Port pools by id, one per distinct address list (rules translating to the same addresses
     * share one, so their ports never collide; static-port is given per allocation). A mapping's
     * tag and key and an interface-pool session's tag name the pool id, never a rule index, so a
     * port goes back to the pool that handed it out whatever rule set runs by then. A pool lives
     * while the current rules use its addresses or while it has ports out; its id is then reused.
     */
    private PortAllocator[] pools = new PortAllocator[0];
    /** Ports each pool has handed out and not got back yet. */
    private int[] poolPorts = new int[0];
    /** Pools the current rules use. */
    private boolean[] poolCurrent = new boolean[0];
    /** The current rules' pool ids (-1: none free, see bindPools): per outbound rule, and per interface (its first address, interface-mode reflection). */
    private int[] outboundPool = new int[0];
    private int[] interfacePool = new int[0];
    /** Each interface's first address, for binding the interface pools again. */
    private int[] interfaceAddresses = new int[0];
    /** Some rule got no pool id (all MAX_POOLS held ports): housekeeping binds again as pools free up. */
    private boolean poolsUnbound;
    /** Pool address → its pool id (the current rules' pools first), for inbound packets to a mapping. */
    private final org.agrona.collections.Int2IntHashMap poolOfAddress = new org.agrona.collections.Int2IntHashMap(-1);
    private long now;
    private long lastExpiry;
    /** Virtual reassembly: later fragments of a datagram follow the first fragment's translation. */
    private io.hairpin.engine.fragment.FragmentTracker fragments;
    /** The current decision came from a session (so later fragments must follow it). */
    boolean bySession;
    /** The last TRANSLATE was a stateless 1:1 rewrite of a flow's own tuple (the worker may cache it). */
    boolean stateless;
    /** The appliance's own TCP listeners, for unsolicited SYNs to a NAPT address that is also its own. */
    KernelListeners kernelListeners = new KernelListeners();
    /** The worker's flow cache: a new session's tuples are forgotten there (null: no cache). */
    FlowCache flows;
    /** Parked fragments released by the last {@link #recordFirstFragment}, to run through the pipeline again. */
    final long[] released = new long[io.hairpin.engine.fragment.FragmentTracker.DEFAULT_MAX_PARKED_PER_DATAGRAM];
    /** Scratch of {@link #prefetch}: the burst's keys and their first index slots. */
    private final long[] burstK1 = new long[Worker.BURST];
    private final long[] burstK2 = new long[Worker.BURST];
    private final long[] burstSlots = new long[Worker.BURST];
    /** Scratch of {@link #prepareNewFlows}: per new flow its place in the burst, pool << 16 | address, and search start. */
    private final int[] newAt = new int[Worker.BURST];
    private final int[] newPool = new int[Worker.BURST];
    private final int[] newStart = new int[Worker.BURST];
    /** Scratch of {@link #prepareNewFlows}: per new flow proto << 16 | its own port. */
    private final int[] newKey = new int[Worker.BURST];
    /** Scratch of {@link #prepareNewFlows}: the mapping index slots and bitmap words a round loads. */
    private final int[] newSlot = new int[Worker.BURST];
    private final int[] newWord = new int[Worker.BURST];
    /** Scratch of {@link #prepareNewFlows}: the session index slot of each new flow's return flow. */
    private final int[] newReturnSlot = new int[Worker.BURST];
    /** Scratch of {@link #prepareNewFlows}: each pool's generator state as the burst's draws advance it. */
    private final long[] drawState = new long[MAX_POOLS];
    /** 4096 sessions: 320 KiB of records and at most 8192 index lines, well inside a 1 MiB L2. */
    static final int PREFETCH_MIN_SESSIONS = 4096;
    /** Written by {@link #mapping} so that its loads have a use. */
    private long prefetched;
    /** Scratch of {@link #willExpire}: the due sessions' mappings, their index slots and bitmap words. */
    private final int[] expiringMapping = new int[SessionTable.EXPIRY_BATCH];
    private final int[] expiringSlots = new int[2 * SessionTable.EXPIRY_BATCH];
    private final int[] expiringWord = new int[SessionTable.EXPIRY_BATCH];
    private final long[] timedOut = new long[io.hairpin.engine.fragment.FragmentTracker.DEFAULT_MAX_PARKED_PER_DATAGRAM];

    Nat44(Counters counters, RuleCounters ruleCounters, int worker, int workers) {
        this.counters = counters;
        this.ruleCounters = ruleCounters;
        this.worker = worker;
        this.workers = workers;
    }

    /**
     * Called when a snapshot is picked up; builds the session state for the first rule set that
     * needs it. A later rule set keeps the sessions, mappings and pools (sessions created under
     * the old rules keep their translation until they expire or are flushed); only which pool
     * each rule allocates from is bound anew.
     */
    void use(Snapshot snap, NatTables tables) {
        NatRules r = snap.nat;
        if (r == rules) {
            return;
        }
        rules = r;
        // Worker 0 owns all session state (the others hand it the packets that need it), so it
        // has the whole table and the whole port range. The holder built the tables before it
        // published the first snapshot needing them. Their capacity is fixed; a later rule set may
        // lower the limit (see mayCreate), and the engine refuses one that raises it.
        if (sessions == null && NatTables.needed(r) && worker == 0) {
            sessions = tables.sessions;
            mappings = tables.mappings;
            hosts = tables.hosts;
            fragments = tables.fragments;
        }
        if (sessions != null) {
            interfaceAddresses = new int[snap.interfaceCount];
            for (int i = 0; i < interfaceAddresses.length; i++) {
                interfaceAddresses[i] = snap.addresses[i][0];
            }
            bindPools();
        }
    }

    /**
     * Binds the current rules' pools to pool ids: same addresses, same pool (its ports stay
     * taken); new addresses, a new pool; a pool no rule uses any more and with no port out goes.
     */
    private void bindPools() {
        NatRules r = rules;
        java.util.Arrays.fill(poolCurrent, false);
        poolsUnbound = false;
        int[] out = new int[r.outboundCount];
        for (int i = 0; i < out.length; i++) {
            out[i] = poolFor(r.outboundPool(i));
        }
        int[] ifs = new int[interfaceAddresses.length];
        for (int i = 0; i < ifs.length; i++) {
            ifs[i] = poolFor(new int[] {interfaceAddresses[i]});
        }
        outboundPool = out;
        interfacePool = ifs;
        for (int id = 0; id < pools.length; id++) {
            if (pools[id] != null && !poolCurrent[id] && poolPorts[id] == 0) {
                pools[id] = null; // nothing refers to it any more
            }
        }
        poolOfAddress.clear();
        for (int pool : out) {
            addressesOf(pool);
        }
        for (int pool : ifs) {
            addressesOf(pool);
        }
        for (int id = 0; id < pools.length; id++) {
            addressesOf(id); // earlier rules' pools that still have ports out
        }
    }

    private void addressesOf(int pool) {
        if (pool < 0 || pools[pool] == null) {
            return;
        }
        PortAllocator p = pools[pool];
        for (int i = 0; i < p.addressCount(); i++) {
            if (!poolOfAddress.containsKey(p.address(i))) {
                poolOfAddress.put(p.address(i), pool);
            }
        }
    }

    /** The id of the pool with these addresses, made if needed; -1 when all MAX_POOLS ids are taken. */
    private int poolFor(int[] addresses) {
        int free = -1;
        for (int id = 0; id < pools.length; id++) {
            PortAllocator p = pools[id];
            if (p == null) {
                if (free < 0 && !poolCurrent[id]) {
                    free = id;
                }
            } else if (sameAddresses(p, addresses)) {
                poolCurrent[id] = true;
                return id;
            }
        }
        if (free < 0) {
            if (pools.length == MAX_POOLS) {
                poolsUnbound = true;
                return -1;
            }
            free = pools.length;
            int n = Math.min(MAX_POOLS, Math.max(8, 2 * pools.length));
            pools = java.util.Arrays.copyOf(pools, n);
            poolPorts = java.util.Arrays.copyOf(poolPorts, n);
            poolCurrent = java.util.Arrays.copyOf(poolCurrent, n);
        }
        pools[free] = new PortAllocator(addresses, 1, 0, false);
        poolPorts[free] = 0;
        poolCurrent[free] = true;
        return free;
    }

    private static boolean sameAddresses(PortAllocator p, int[] addresses) {
        if (p.addressCount() != addresses.length) {
            return false;
        }
        for (int i = 0; i < addresses.length; i++) {
            if (p.address(i) != addresses[i]) {
                return false;
            }
        }
        return true;
    }

    private int allocatePort(int pool, int proto, int addressIndex, int preferredPort, boolean staticPort) {
        int port = pools[pool].allocate(proto, addressIndex, preferredPort, staticPort);
        if (port >= 0) {
            poolPorts[pool]++;
        }
        return port;
    }

    private void freePort(int pool, int proto, int addressIndex, int port) {
        if (pools[pool].free(proto, addressIndex, port) && --poolPorts[pool] == 0 && !poolCurrent[pool]) {
            pools[pool] = null; // its last port came back and no rule uses it any more
        }
    }

    /** True when the port is handed out by a live pool holding address (tests). */
    boolean portInUse(int address, int proto, int port) {
        for (PortAllocator p : pools) {
            if (p == null) {
                continue;
            }
            for (int i = 0; i < p.addressCount(); i++) {
                if (p.address(i) == address && p.isAllocated(proto, i, port)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Live pools (tests). */
    int poolCount() {
        int n = 0;
        for (PortAllocator p : pools) {
            if (p != null) {
                n++;
            }
        }
        return n;
    }

    /** The current rules may create one more session (the table's capacity is fixed; a later rule set may lower the limit). */
    private boolean mayCreate() {
        return sessions.size() < rules.maxSessions;
    }

    /** Has a session table (this worker owns session state, and some rules need it or did). */
    boolean holdsSessions() {
        return sessions != null;
    }

    int sessionCount() {
        return sessions == null ? 0 : sessions.size();
    }

    /** {@link SessionTable#removals}, 0 without a table. */
    long sessionRemovals() {
        return sessions == null ? 0 : sessions.removals();
    }

    /**
     * After sessions were removed: each of these flows ({@code flows[i] >= 0}) that is no longer
     * its tuple's (its session gone, its record free or another's) becomes -1, none found.
     */
    void forgetRemovedFlows(long[] k1, long[] k2, int n, int[] flows) {
        for (int i = 0; i < n; i++) {
            if (flows[i] >= 0 && !sessions.isFlow(flows[i], k1[i], k2[i])) {
                flows[i] = -1;
            }
        }
    }

    /** The session table is big enough ({@link #PREFETCH_MIN_SESSIONS}) that its look-ups are prefetched. */
    boolean bigTable() {
        return sessionCount() >= PREFETCH_MIN_SESSIONS;
    }

    /**
     * Before a received burst is processed one packet at a time: loads the session index slots and
     * records its TCP/UDP packets will look up, all at once, so that their cache misses overlap
     * instead of each packet waiting for its own two. Decides nothing and changes nothing. A
     * table of fewer than {@link #PREFETCH_MIN_SESSIONS} sessions stays in L2 anyway, and this
     * pass would only parse and hash each packet once more.
     */
    void prefetch(long rxAddr, int n) {
        if (!bigTable()) {
            return;
        }
        SessionTable t = sessions;
        final long[] k1s = burstK1;
        final long[] k2s = burstK2;
        int c = 0;
        for (int i = 0; i < n && c < k1s.length; i++) {
            long m = Mem.nativeLong(rxAddr + 8L * i);
            long f = io.hairpin.shim.Mbuf.data(m);
            int len = io.hairpin.shim.Mbuf.dataLen(m);
            int l2 = Ethernet.HEADER_LEN;
            int type = Mem.u16(f + Ethernet.OFF_TYPE);
            if (type == Ethernet.TPID_VLAN) {
                l2 += Ethernet.VLAN_TAG_LEN;
                type = Mem.u16(f + Ethernet.OFF_TYPE + Ethernet.VLAN_TAG_LEN);
            }
            if (type != Ethernet.TYPE_IPV4 || len < l2 + Ipv4.MIN_HEADER_LEN) {
                continue;
            }
            long ip = f + l2;
            int vihl = Mem.u8(ip);
            int ihl = (vihl & 0xf) << 2;
            int proto = Ipv4.protocol(ip);
            if ((vihl >>> 4) != 4 || len < l2 + ihl + 4 || (proto != Ipv4.PROTO_TCP && proto != Ipv4.PROTO_UDP)
                    || (Ipv4.fragField(ip) & Ipv4.FRAG_OFFSET_MASK) != 0) {
                continue;
            }
            k1s[c] = k1(Ipv4.src(ip), Ipv4.dst(ip));
            k2s[c] = k2(proto, Mem.u16(ip + ihl), Mem.u16(ip + ihl + 2));
            c++;
        }
        if (c > 1) {
            t.prefetch(k1s, k2s, c, burstSlots);
        }
    }

    /** Removes expired sessions (bounded work per call); binds pools a full registry left unbound. */
    void expire(long nowNanos) {
        if (sessions != null && sessions.size() > 0) {
            // a budget per millisecond elapsed, so that a late call does not fall behind for good
            long elapsed = nowNanos - lastExpiry;
            int budget = elapsed <= 1_000_000 ? EXPIRY_PER_MS
                    : (int) Math.min(EXPIRY_MAX, elapsed / 1_000_000 * EXPIRY_PER_MS);
            sessions.expire(nowNanos, budget, this);
        }
        lastExpiry = nowNanos;
        if (poolsUnbound) {
            bindPools();
        }
    }

    /**
     * One housekeeping round of a control request: examines the next {@link #SCAN_STEP} session
     * slots, listing or removing those that match. Returns true once the request is answered.
     */
    boolean serve(SessionChannel.Request r) {
        if (sessions == null) {
            return true;
        }
        int capacity = sessions.capacity();
        int end = (int) Math.min(capacity, (long) r.cursor + SCAN_STEP);
        boolean list = r.op == SessionChannel.LIST;
        for (int s = r.cursor; s < end; s++) {
            if (!sessions.isLive(s) || !matches(s, r.address, r.protocol)) {
                continue;
            }
            if (list) {
                if (r.count == r.limit) {
                    r.cursor = s; // a further request goes on from this one
                    r.more = true;
                    return true;
                }
                int b = r.count * SessionChannel.FIELDS;
                long[] out = r.results;
                out[b] = sessions.keyK1(2 * s);
                out[b + 1] = sessions.keyK2(2 * s);
                out[b + 2] = sessions.rewriteK1(2 * s);
                out[b + 3] = sessions.rewriteK2(2 * s);
                out[b + 4] = sessions.expiresAt(s);
                out[b + 5] = ((long) (sessions.state(s) & ~HOST_COUNTED) << 32) | sessions.rule(s);
            } else {
                expired(s); // releases the mapping, its port, the host's count and the permit
                sessions.remove(s);
            }
            r.count++;
        }
        r.cursor = end;
        return end >= capacity;
    }

    /**
     * For a trace: the kind of NAT that translated a packet, told from the session its tuple (as
     * it arrived, in {@link Tracer}'s packing) matches now, or stateless 1:1 when none does.
     */
    int traceKind(long k1, long l4) {
        int flags = (int) (l4 >>> 56);
        int proto = (int) (l4 >>> 48) & 0xff;
        int a = (int) (l4 >>> 32) & 0xffff;
        int b = (int) (l4 >>> 16) & 0xffff;
        if ((flags & Tracer.L4_LATER_FRAGMENT) != 0) {
            return Tracer.NAT_RELATED; // follows its first fragment
        }
        int sp = 0;
        int dp = 0;
        if ((flags & Tracer.L4_PRESENT) != 0) {
            if (proto == Ipv4.PROTO_TCP || proto == Ipv4.PROTO_UDP) {
                sp = a;
                dp = b;
            } else if (proto == Ipv4.PROTO_ICMP) {
                int type = a >>> 8;
                if (type == Icmp.TYPE_ECHO_REQUEST) {
                    sp = b;
                } else if (type == Icmp.TYPE_ECHO_REPLY) {
                    dp = b;
                } else if (Icmp.isError(type)) {
                    return Tracer.NAT_RELATED; // translated with the flow it quotes
                }
            }
        }
        int flow = sessions == null ? -1 : flowOf(k1, k2(proto, sp, dp));
        if (flow < 0) {
            return Tracer.NAT_ONE_TO_ONE;
        }
        int session = flow >>> 1;
        int tag = sessions.tag(session);
        long fk1 = sessions.keyK1(2 * session);
        long fk2 = sessions.keyK2(2 * session);
        long rk1 = sessions.rewriteK1(2 * session);
        long rk2 = sessions.rewriteK2(2 * session);
        boolean srcChanged = (fk1 >>> 32) != (rk1 >>> 32) || ((fk2 >>> 16) & 0xffff) != ((rk2 >>> 16) & 0xffff);
        boolean dstChanged = (int) fk1 != (int) rk1 || (fk2 & 0xffff) != (rk2 & 0xffff);
        // both ends rewritten: reflected, whether its source is the client's mapping (a NAPT tag) or the interface's
        if (tag < NO_MAPPING || srcChanged && dstChanged) {
            return Tracer.NAT_REFLECTION;
        }
        if (tag >= 0) {
            return Tracer.NAT_NAPT;
        }
        return dstChanged ? Tracer.NAT_PORT_FORWARD : Tracer.NAT_ONE_TO_ONE;
    }

    /** Protocol 0 = any; address 0 = any, else one of the session's addresses (inside, outside or remote). */
    private boolean matches(int s, int address, int protocol) {
        long k2 = sessions.keyK2(2 * s);
        if (protocol != 0 && (int) (k2 >>> 32) != protocol) {
            return false;
        }
        if (address == 0) {
            return true;
        }
        long k1 = sessions.keyK1(2 * s);
        long rk1 = sessions.rewriteK1(2 * s);
        return (int) (k1 >>> 32) == address || (int) k1 == address || (int) (rk1 >>> 32) == address
                || (int) rk1 == address;
    }

    /**
     * Loads what expiring these sessions will touch beyond their own records and slots: each
     * mapping's record, then its index slots (removed with its last session, renamed with its
     * first) and, when this is its last session, the pool's
     * bitmap word of its port, each round in loops that only load.
     */
    @Override
    public long willExpire(int[] due, int n) {
        int c = 0;
        for (int i = 0; i < n; i++) {
            int tag = sessions.tag(due[i]);
            if (tag >= 0) {
                expiringMapping[c++] = tag;
            }
        }
        long sum = 0;
        for (int i = 0; i < c; i++) {
            sum += mappings.loadRecord(expiringMapping[i]);
        }
        for (int i = 0; i < c; i++) {
            int m = expiringMapping[i];
            expiringSlots[2 * i] = mappings.internalHomeOf(m);
            expiringSlots[2 * i + 1] = mappings.externalHomeOf(m);
            int where = mappings.tag(m);
            PortAllocator a = pools[where >>> 16];
            // its last session: the port goes back to the pool
            expiringWord[i] = mappings.refs(m) != 1 || a == null ? -1
                    : a.wordOf(mappings.proto(m) & 0xff, where & 0xffff, mappings.externalPort(m));
        }
        for (int i = 0; i < c; i++) {
            sum += mappings.loadInternal(expiringSlots[2 * i]) + mappings.loadExternal(expiringSlots[2 * i + 1]);
        }
        for (int i = 0; i < c; i++) {
            if (expiringWord[i] >= 0) {
                sum += pools[mappings.tag(expiringMapping[i]) >>> 16].loadWord(expiringWord[i]);
            }
        }
        return sum;
    }

    @Override
    public void expired(int session) {
        ruleCounters.closed(sessions.rule(session));
        forgetSession(session);
        int tag = sessions.tag(session);
        if (tag >= 0) {
            mappings.dropPeer(tag, (int) sessions.rewriteK1(2 * session));
            int proto = mappings.proto(tag) & 0xff;
            int internalIp = mappings.internalIp(tag);
            if (!sessions.isIndexed(session) && mappings.refs(tag) > 1) {
                mappings.unbindFirst(tag); // the mapping outlives its first session
            }
            if (mappings.release(tag)) {
                int where = mappings.tag(tag);
                freePort(where >>> 16, proto, where & 0xffff, mappings.externalPort(tag));
            }
            if ((sessions.state(session) & HOST_COUNTED) != 0) {
                hosts.hostAdd(internalIp, -1);
            }
        } else if (tag < NO_MAPPING) {
            // an interface-pool port: the forward flow's translated source port
            int where = -(tag + 2);
            long rk2 = sessions.rewriteK2(2 * session);
            freePort(where >>> 16, (int) (rk2 >>> 32), where & 0xffff, (int) (rk2 >>> 16) & 0xffff);
        }
    }

    // ---- tuples -------------------------------------------------------------------------------

    static long k1(int src, int dst) {
        return ((long) src << 32) | (dst & 0xffffffffL);
    }

    static long k2(int proto, int srcPort, int dstPort) {
        return ((long) proto << 32) | ((long) srcPort << 16) | dstPort;
    }

    /**
     * The "ports" of a packet: TCP/UDP ports of a first fragment; for ICMP echo the identifier
     * stands as the source port of a request and the destination port of a reply, so that a
     * reply's tuple is the reverse of its request's (RFC 5508 REQ-1). Otherwise 0.
     */
    static int srcPort(long ip, int ihl, int proto) {
        if (proto == Ipv4.PROTO_TCP || proto == Ipv4.PROTO_UDP) {
            return Mem.u16(ip + ihl);
        }
        return proto == Ipv4.PROTO_ICMP && Icmp.type(ip + ihl) == Icmp.TYPE_ECHO_REQUEST ? Mem.u16(ip + ihl + 4) : 0;
    }

    static int dstPort(long ip, int ihl, int proto) {
        if (proto == Ipv4.PROTO_TCP || proto == Ipv4.PROTO_UDP) {
            return Mem.u16(ip + ihl + 2);
        }
        return proto == Ipv4.PROTO_ICMP && Icmp.type(ip + ihl) == Icmp.TYPE_ECHO_REPLY ? Mem.u16(ip + ihl + 4) : 0;
    }

    /** An ICMP echo request or reply (first fragment): its identifier is translated like a port. */
    static boolean isEcho(long ip, int ihl, int proto) {
        if (proto != Ipv4.PROTO_ICMP || (Ipv4.fragField(ip) & Ipv4.FRAG_OFFSET_MASK) != 0) {
            return false;
        }
        int type = Icmp.type(ip + ihl);
        return type == Icmp.TYPE_ECHO_REQUEST || type == Icmp.TYPE_ECHO_REPLY;
    }

    /** TCP/UDP header present: a first fragment (the caller validated the length). */
    static boolean hasL4Header(long ip, int ihl, int proto) {
        return (proto == Ipv4.PROTO_TCP || proto == Ipv4.PROTO_UDP)
                && (Ipv4.fragField(ip) & Ipv4.FRAG_OFFSET_MASK) == 0;
    }

    /** Packets whose flows NAPT and sessions can track: TCP, UDP and ICMP echo. */
    static boolean hasPorts(long ip, int ihl, int proto) {
        return hasL4Header(ip, ihl, proto) || isEcho(ip, ihl, proto);
    }

    private static boolean isIcmpError(long ip, int ihl, int total) {
        return Ipv4.protocol(ip) == Ipv4.PROTO_ICMP && (Ipv4.fragField(ip) & Ipv4.FRAG_OFFSET_MASK) == 0
                && total - ihl >= Icmp.HEADER_LEN && Icmp.isError(Icmp.type(ip + ihl));
    }

    private void keep(long ip, int ihl, int proto) {
        newSrc = Ipv4.src(ip);
        newDst = Ipv4.dst(ip);
        boolean ports = hasPorts(ip, ihl, proto);
        newSrcPort = ports ? srcPort(ip, ihl, proto) : 0;
        newDstPort = ports ? dstPort(ip, ihl, proto) : 0;
        quoteDecided = false;
    }

    private static boolean isLaterFragment(long ip, int proto) {
        return (Ipv4.fragField(ip) & Ipv4.FRAG_OFFSET_MASK) != 0
                && (proto == Ipv4.PROTO_TCP || proto == Ipv4.PROTO_UDP || proto == Ipv4.PROTO_ICMP);
    }

    /**
     * A later fragment of a datagram NAT keeps state for: it follows the first fragment's
     * translation, or is parked until that arrives. Returns TRANSLATE, PARKED or a drop reason.
     */
    private int followFirstFragment(long m, long ip, int ihl, int total, int proto) {
        if (fragments == null) {
            return Counters.NAT_NO_MAPPING;
        }
        int v = fragments.nonFirst(Ipv4.src(ip), Ipv4.dst(ip), proto, Mem.u16(ip + Ipv4.OFF_ID), Ipv4.fragField(ip),
                total - ihl, m, now);
        if (v == io.hairpin.engine.fragment.FragmentTracker.FORWARD) {
            long t = fragments.translation();
            newSrc = (int) (t >>> 32);
            newDst = (int) t;
            rule = fragments.label();
            return TRANSLATE;
        }
        if (v == io.hairpin.engine.fragment.FragmentTracker.PARKED) {
            counters.count(Counters.FRAGMENTS_PARKED);
            return PARKED;
        }
        return fragmentDrop(v);
    }

    private static int fragmentDrop(int result) {
        return switch (result) {
            case io.hairpin.engine.fragment.FragmentTracker.DUPLICATE -> Counters.FRAGMENT_DUPLICATE;
            case io.hairpin.engine.fragment.FragmentTracker.OVERLAP -> Counters.FRAGMENT_OVERLAP;
            case io.hairpin.engine.fragment.FragmentTracker.LIMIT -> Counters.FRAGMENT_LIMIT;
            default -> Counters.FRAGMENT_INVALID;
        };
    }

    /**
     * After a session-based translation of a first fragment (offset 0, more to come) was decided:
     * remembers it for the later fragments. Returns how many parked fragments were released into
     * {@link #released} (to run through the pipeline again), or a negated drop reason.
     */
    int recordFirstFragment(long ip, int ihl, int total) {
        if (!bySession || fragments == null || (Ipv4.fragField(ip) & (Ipv4.FLAG_MF | Ipv4.FRAG_OFFSET_MASK))
                != Ipv4.FLAG_MF) {
            return 0;
        }
        long translation = ((long) newSrc << 32) | (newDst & 0xffffffffL);
        int n = fragments.first(Ipv4.src(ip), Ipv4.dst(ip), Ipv4.protocol(ip), Mem.u16(ip + Ipv4.OFF_ID), total - ihl,
                translation, rule, now, released);
        return n >= 0 ? n : -fragmentDrop(n);
    }

    /** Parked fragments whose datagram timed out, into out (call again while it returns > 0). */
    int expireFragments(long nowNanos, long[] out) {
        return fragments == null ? 0 : fragments.expire(nowNanos, out);
    }

    private void rewriteFrom(int flow) {
        long rk1 = sessions.rewriteK1(flow);
        long rk2 = sessions.rewriteK2(flow);
        newSrc = (int) (rk1 >>> 32);
        newDst = (int) rk1;
        newSrcPort = (int) (rk2 >>> 16) & 0xffff;
        newDstPort = (int) rk2 & 0xffff;
    }

    private long timeout(int proto, int state) {
        if (proto == Ipv4.PROTO_TCP) {
            boolean established = (state & (SYN0 | SYN1)) == (SYN0 | SYN1) && (state & (FIN0 | FIN1 | RST)) == 0;
            return established ? rules.tcpEstablishedNanos : rules.tcpTransitoryNanos;
        }
        return proto == Ipv4.PROTO_ICMP ? rules.icmpTimeoutNanos : rules.udpTimeoutNanos;
    }

    /**
     * Follows TCP flags (SYN/FIN per direction, RST) and refreshes the session's timeout. Only a
     * change of state may shorten the session's life (a FIN or RST: the transitory timeout), and
     * then the session entries made under the longer one go.
     */
    private void refresh(long ip, int ihl, int total, int proto, int flow) {
        int session = flow >>> 1;
        int before = sessions.state(session);
        int state = before;
        if (proto == Ipv4.PROTO_TCP && total - ihl >= 14) {
            int flags = Mem.u8(ip + ihl + 13);
            int dir = flow & 1;
            if ((flags & TCP_SYN) != 0) {
                state |= dir == 0 ? SYN0 : SYN1;
            }
            if ((flags & TCP_FIN) != 0) {
                state |= dir == 0 ? FIN0 : FIN1;
            }
            if ((flags & TCP_RST) != 0) {
                state |= RST;
            }
        }
        if (state == before) {
            sessions.extend(session, now, timeout(proto, state));
            return;
        }
        sessions.setState(session, state);
        if (sessions.touch(session, now, timeout(proto, state))) {
            forgetSession(session); // its session entries' packets counted on the longer life
        }
    }

    /**
     * The worker's established-session path: the flow of a TCP or UDP tuple (k1, k2 packed as
     * {@link #k1} and {@link #k2}) if a session holds it, else -1. Changes nothing.
     */
    int establishedFlow(long k1, long k2) {
        SessionTable t = sessions;
        return t == null || t.size() == 0 ? -1 : flowOf(k1, k2); // empty: no probe of a big index
    }

    /** The flow of a tuple: a session's flow in the session index, or a mapping's first session's, or -1. */
    private int flowOf(long k1, long k2) {
        int flow = sessions.lookup(k1, k2);
        return flow >= 0 ? flow : firstFlow(k1, k2);
    }

    /**
     * A mapping's first session's flow of a tuple (see {@link MappingTable}), or -1. A return flow
     * is addressed to a pool address, so any other tuple is looked for as a forward flow only,
     * and a tuple to a pool address as a return flow first: one probe where a session is found.
     * (A forward flow to a pool address is never made, but one may predate a rule change.)
     */
    private int firstFlow(long k1, long k2) {
        if (!poolOfAddress.containsKey((int) k1)) {
            return mappings.firstFlow(k1, k2, true);
        }
        int flow = mappings.firstFlow(k1, k2, false);
        return flow >= 0 ? flow : mappings.firstFlow(k1, k2, true);
    }

    /**
     * {@link #establishedFlow} for n tuples at once, their misses overlapped (see
     * {@link SessionTable#lookupBurst}), of packets that arrived on an internal interface
     * ({@code inside}) or an external one. A first session's forward flow comes from inside and
     * its return flow from outside, so only that one is looked for; a packet that comes the other
     * way is found by the pipeline's full look-up ({@link #inbound}).
     */
    void establishedFlows(long[] k1, long[] k2, int n, int[] flows, boolean inside) {
        sessions.lookupBurst(k1, k2, n, flows, burstSlots);
        mappings.firstFlows(k1, k2, n, flows, inside, burstSlots);
    }

    /**
     * {@link #establishedFlows} in two halves, for a big table, the first of them in two parts:
     * this one looks the tuples up in the session index; {@link #establishedCandidates} starts
     * the mapping look-ups with prefetches (see {@link MappingTable#firstCandidates}) from the
     * slots {@link #findHomes} gave, all at once or a few flows at a time;
     * {@link #confirmEstablished} finishes them. The caller's work in between overlaps the misses
     * of the candidates' records.
     */
    void establishedInIndex(long[] k1, long[] k2, int n, int[] flows) {
        sessions.lookupBurst(k1, k2, n, flows, burstSlots);
    }

    /** The mapping look-ups of {@link #establishedInIndex}'s flows from {@code from} to {@code to}. */
    void establishedCandidates(int from, int to, int[] flows, boolean inside, SlotBatch batch) {
        mappings.firstCandidates(from, to, flows, inside, batch);
    }

    /**
     * The mapping-index slots {@link #establishedCandidates} starts from for these tuples, and
     * their keys' hashes (into {@code batch}); with {@code prefetch}, the slots prefetched now,
     * else a few at a time ({@link #prefetchHomes}). See {@link MappingTable#findHomes}.
     */
    void findHomes(long[] k1, long[] k2, int n, boolean inside, SlotBatch batch, boolean prefetch) {
        mappings.findHomes(k1, k2, n, inside, batch, prefetch);
    }

    /** Prefetches the slots {@link #findHomes} found for flows {@code from} to {@code to}. */
    void prefetchHomes(int from, int to, boolean inside, SlotBatch batch) {
        mappings.prefetchHomes(from, to, inside, batch);
    }

    void confirmEstablished(long[] k1, long[] k2, int n, int[] flows, boolean inside, SlotBatch batch) {
        mappings.confirmFirstFlows(k1, k2, n, flows, inside, batch);
    }

    /**
     * Loads, for the flows of a burst that have no session yet ({@code found[j] < 0}) and look
     * like an outbound NAPT rule's, what creating their mapping and session will touch, so that
     * those misses overlap instead of coming one after another inside each packet. Three rounds,
     * each computing where its loads go and then making them in loops that do nothing else (see
     * {@link SessionTable#prefetch}): (1) the mapping's internal index slot and the pool's bitmap
     * word of the host's own port; (2) for a flow that will not keep its port, the bitmap word
     * where the random search starts, known ahead from the pool's generator state; (3) the
     * external index slot of the port it will get and, while the session index holds sessions
     * (a mapping's first session is checked against it), the slot of its return flow. Every
     * guess (the rule before routing, the ports) only decides what is loaded; nothing changes.
     */
    long prepareNewFlows(long[] k1, long[] k2, int n, int[] found) {
        NatRules r = rules;
        if (r == null || r.outboundCount == 0 || sessions == null) {
            return 0;
        }
        int c = 0;
        for (int j = 0; j < n; j++) {
            if (found[j] >= 0) {
                continue;
            }
            int src = (int) (k1[j] >>> 32);
            int o = r.outboundFrom(src);
            int pool = o < 0 || r.outboundStaticPort(o) ? -1 : outboundPool[o];
            if (pool < 0) {
                continue;
            }
            int proto = (int) (k2[j] >>> 32);
            int port = (int) (k2[j] >>> 16) & 0xffff;
            PortAllocator a = pools[pool];
            int addr = a.addressFor(src);
            newAt[c] = j;
            newPool[c] = pool << 16 | addr;
            newKey[c] = proto << 16 | port;
            newSlot[c] = mappings.internalHome(proto | pool << 8, src, port);
            newWord[c] = a.wordOf(proto, addr, port);
            drawState[pool] = a.randomState();
            c++;
        }
        if (c == 0) {
            return 0;
        }
        long sum = 0;
        for (int i = 0; i < c; i++) {
            sum += mappings.loadInternal(newSlot[i]);
        }
        for (int i = 0; i < c; i++) {
            sum += pools[newPool[i] >>> 16].loadWord(newWord[i]);
        }
        for (int i = 0; i < c; i++) {
            int pool = newPool[i] >>> 16;
            int addr = newPool[i] & 0xffff;
            int proto = newKey[i] >>> 16;
            int port = newKey[i] & 0xffff;
            int start = -1; // keeps its own port
            newWord[i] = -1;
            if (mappings.find(proto | pool << 8, (int) (k1[newAt[i]] >>> 32), port) >= 0) {
                start = -2; // the host's mapping is there: nothing to allocate
            } else if (!pools[pool].wouldKeep(proto, addr, port)) {
                start = pools[pool].startOf(proto, port, drawState[pool]);
                drawState[pool] = PortAllocator.advance(drawState[pool]);
                newWord[i] = pools[pool].wordOf(proto, addr, start);
            }
            newStart[i] = start;
        }
        for (int i = 0; i < c; i++) {
            sum += pools[newPool[i] >>> 16].loadWord(newWord[i]);
        }
        for (int i = 0; i < c; i++) {
            PortAllocator a = pools[newPool[i] >>> 16];
            int key = newKey[i];
            int ext = newStart[i] == -1 ? key & 0xffff
                    : a.firstFreeFrom(key >>> 16, newPool[i] & 0xffff, key & 0xffff, newStart[i]);
            int extIp = a.address(newPool[i] & 0xffff);
            int j = newAt[i];
            newSlot[i] = ext < 0 ? -1 : mappings.externalHome(key >>> 16 | (newPool[i] >>> 16) << 8, extIp, ext);
            // the session index is probed for the return flow only while it holds sessions
            newReturnSlot[i] = ext < 0 || sessions.indexedSize() == 0 ? -1
                    : sessions.home(k1((int) k1[j], extIp), k2(key >>> 16, (int) k2[j] & 0xffff, ext));
        }
        for (int i = 0; i < c; i++) {
            if (newSlot[i] >= 0) {
                sum += mappings.loadExternal(newSlot[i]);
            }
            if (newReturnSlot[i] >= 0) {
                sum += sessions.loadSlot(newReturnSlot[i]);
            }
        }
        return sum;
    }

    long rewriteK1(int flow) {
        return sessions.rewriteK1(flow);
    }

    /** The route memo of a session flow under generation ({@link SessionTable#routeMemo}), 0 for none. */
    int routeMemo(int flow, int generation) {
        return sessions.routeMemo(flow, generation);
    }

    void setRouteMemo(int flow, int generation, int memo) {
        sessions.setRouteMemo(flow, generation, memo);
    }

    /** A new route generation's share of the memo sweep ({@link RouteMemos#sweepPerAdvance}). */
    void sweepRouteMemos(RouteMemos memos) {
        if (sessions != null) {
            sessions.sweepRouteMemos(memos.sweepPerAdvance(sessions.capacity()));
        }
    }

    /**
     * The checksum deltas of a flow's rewrite (RFC 1624), computed when its session was created:
     * the IP header's (addresses) in the low 16 bits, the TCP/UDP checksum's (addresses and
     * ports) in the high 16.
     */
    int flowDeltas(int flow) {
        return (int) (sessions.aux(flow >>> 1) >>> ((flow & 1) << 5));
    }

    /** The counter id of the rule that opened a flow's session. */
    int ruleOf(int flow) {
        return sessions.rule(flow >>> 1);
    }

    /** Stores the {@link #flowDeltas} of a new session's two flows in its record. */
    private void storeDeltas(int s) {
        sessions.setAux(s, computeDeltas(sessions, 2 * s) | computeDeltas(sessions, 2 * s + 1) << 32);
    }

    private static long computeDeltas(SessionTable t, int flow) {
        long k1 = t.keyK1(flow);
        long rk1 = t.rewriteK1(flow);
        int ip = ChecksumDelta.add(ChecksumDelta.delta32((int) (k1 >>> 32), (int) (rk1 >>> 32)),
                ChecksumDelta.delta32((int) k1, (int) rk1));
        int l4 = ChecksumDelta.add(ip, ChecksumDelta.delta32((int) t.keyK2(flow), (int) t.rewriteK2(flow)));
        return ip | (long) l4 << 16;
    }

    long rewriteK2(int flow) {
        return sessions.rewriteK2(flow);
    }

    /**
     * What {@link #refresh} does for a packet of the flow that changes no TCP state (no SYN, FIN
     * or RST): the session lives for its timeout from {@code asOfNanos}, which is now, or later
     * for a packet that leaves a session entry: that entry's expiry, since the packets it takes
     * until then do not refresh the session themselves (see {@link FlowCache#writeSession}).
     */
    void refreshEstablished(int flow, int proto, long asOfNanos) {
        int session = flow >>> 1;
        sessions.extend(session, asOfNanos, timeout(proto, sessions.state(session)));
    }

    // ---- decisions ----------------------------------------------------------------------------

    /**
     * Decides the translation of a packet before routing: an existing session's rewrite, or a
     * new one for traffic to a NAT public address.
     *
     * @return PASS (not NAT's), TRANSLATE (rewrite decided), or a Counters drop reason
     */
    int inbound(long mbuf, long ip, int ihl, int total, int ingress, Snapshot snap, long nowNanos) {
        now = nowNanos;
        bySession = false;
        stateless = false;
        rule = 0;
        NatRules nat = snap.nat;
        int proto = Ipv4.protocol(ip);
        keep(ip, ihl, proto);
        int src = newSrc;
        int dst = newDst;
        if (isLaterFragment(ip, proto)) {
            if (nat.natAddressInterface(dst) < 0) {
                return PASS; // routed; outbound() decides if it leaves through NAT
            }
            int r = nat.binatByExternal(dst, src);
            if (r >= 0 && nat.binatAdmitsAll(r)) {
                return binatInbound(ip, ihl, total, proto, ingress, snap, r, false); // stateless: every fragment
            }
            return followFirstFragment(mbuf, ip, ihl, total, proto);
        }
        if (isIcmpError(ip, ihl, total)) {
            int v = errorBySession(ip, ihl, total);
            if (v != PASS) {
                return v;
            }
        } else if (sessions != null && sessions.size() > 0 && hasPorts(ip, ihl, proto)) {
            int flow = flowOf(k1(src, dst), k2(proto, newSrcPort, newDstPort));
            if (flow >= 0) {
                rewriteFrom(flow);
                refresh(ip, ihl, total, proto, flow);
                bySession = true;
                rule = ruleOf(flow);
                return TRANSLATE;
            }
        }
        if (nat.natAddressInterface(dst) < 0) {
            return PASS;
        }
        boolean error = isIcmpError(ip, ihl, total);
        if (!error && hasL4Header(ip, ihl, proto)) {
            int f = nat.portForward(dst, proto, newDstPort, src);
            if (f >= 0) {
                return portForward(ip, ihl, total, proto, ingress, snap, f);
            }
        }
        int r = nat.binatByExternal(dst, src);
        if (r >= 0) {
            return binatInbound(ip, ihl, total, proto, ingress, snap, r, error);
        }
        int pool = mappings != null ? poolOfAddress.get(dst) : -1;
        if (!error && hasPorts(ip, ihl, proto) && pool >= 0) {
            int m = mappings.findExternal(proto | (pool << 8), dst, newDstPort);
            if (m >= 0) {
                return mappingInbound(ip, ihl, total, proto, m, ingress);
            }
        }
        if (!snap.isOwnAddress(dst) || !error && isUnheardSyn(ip, ihl, proto, dst)) {
            return Counters.NAT_NO_MAPPING;
        }
        return PASS;
    }

    /**
     * An unsolicited SYN (no ACK, no RST) to a port no host service listens on. To a NAPT address
     * that is also the appliance's own it is dropped like one to a pool address, not answered with
     * the kernel's RST (RFC 5382 REQ-4), so a simultaneous open survives the remote's SYN coming first.
     */
    private boolean isUnheardSyn(long ip, int ihl, int proto, int dst) {
        return proto == Ipv4.PROTO_TCP && hasL4Header(ip, ihl, proto)
                && (Mem.u8(ip + ihl + 13) & (TCP_SYN | TCP_ACK | TCP_RST)) == TCP_SYN
                && !kernelListeners.listens(dst, newDstPort);
    }

    private int binatInbound(long ip, int ihl, int total, int proto, int ingress, Snapshot snap, int r, boolean error) {
        NatRules nat = snap.nat;
        int port = proto == Ipv4.PROTO_ICMP ? 0 : newDstPort;
        if (!error && !nat.binatAdmits(r, proto, port)) {
            return Counters.NAT_NOT_ADMITTED;
        }
        int server = nat.binatToInternal(r, newDst);
        rule = nat.binatCounter(r);
        if (snap.external[ingress]) {
            newDst = server;
            if (error) {
                int v = oneToOneErrorQuote(ip, ihl, total);
                if (v != TRANSLATE) {
                    return v;
                }
            }
            stateless = !error;
            return TRANSLATE;
        }
        if (!nat.binatReflects(r)) {
            return Counters.NAT_REFLECTION_DISABLED;
        }
        return reflect(ip, ihl, total, proto, snap, nat.binatInterface(r), nat.binatReflectsFromInterface(r), server,
                newDstPort, error, false);
    }

    private int portForward(long ip, int ihl, int total, int proto, int ingress, Snapshot snap, int f) {
        if (sessions == null) {
            return Counters.NAT_NO_MAPPING;
        }
        NatRules nat = snap.nat;
        int server = nat.forwardInternal(f);
        int serverPort = nat.forwardInternalPort(f, newDstPort);
        rule = nat.forwardCounter(f);
        if (snap.external[ingress]) {
            return createSession(ip, ihl, total, proto, newSrc, newSrcPort, server, serverPort, NO_MAPPING, false);
        }
        if (!nat.forwardReflects(f)) {
            return Counters.NAT_REFLECTION_DISABLED;
        }
        return reflect(ip, ihl, total, proto, snap, nat.forwardInterface(f), nat.forwardReflectsFromInterface(f), server,
                serverPort, false, true);
    }

    /**
     * Hairpin: an internal client reached a public address. The destination becomes the server;
     * the source becomes the client's own public identity (mapped: its 1:1 address, else its
     * NAPT mapping) or the appliance's address facing the server (interface), so the server's
     * reply comes back through the appliance. It counts for the {@link #rule} the client reached
     * the server by, which the caller has set.
     */
    private int reflect(long ip, int ihl, int total, int proto, Snapshot snap, int ruleIface, boolean fromInterface,
                        int server, int serverPort, boolean error, boolean viaForward) {
        NatRules nat = snap.nat;
        int client = newSrc;
        int clientPort = newSrcPort;
        if (!fromInterface) {
            int c = nat.binatByInternal(client, newDst, ruleIface);
            if (c >= 0) {
                int mapped = nat.binatToExternal(c, client);
                // Between two 1:1 hosts it is stateless: the reply is reflected the same way.
                if (!viaForward || error || !hasPorts(ip, ihl, proto) || sessions == null) {
                    newSrc = mapped;
                    newDst = server;
                    if (error) {
                        int v = errorFromOneToOneHost(nat, ip, ihl, total, ruleIface);
                        if (v != TRANSLATE) {
                            return v;
                        }
                    }
                    stateless = !error;
                    return TRANSLATE;
                }
                return createSession(ip, ihl, total, proto, mapped, clientPort, server, serverPort, NO_MAPPING, false);
            }
            int o = nat.outbound(client, ruleIface);
            if (o >= 0 && hasPorts(ip, ihl, proto) && sessions != null) {
                int m = mapping(proto, client, clientPort, o, server, serverPort);
                if (m < 0) {
                    return -m;
                }
                return createSession(ip, ihl, total, proto, mappings.externalIp(m), mappings.externalPort(m), server,
                        serverPort, m, false);
            }
        }
        if (error || !hasPorts(ip, ihl, proto) || sessions == null) {
            return Counters.NAT_NO_MAPPING;
        }
        // interface mode (or a client with no public identity): the appliance's address facing the server
        int rt = snap.routes.lookup(server);
        if (rt < 0) {
            return Counters.NO_ROUTE;
        }
        int facing = snap.routes.egressInterface(rt);
        int pool = interfacePool[facing];
        int port = pool < 0 ? -1 : allocatePort(pool, proto, 0, clientPort, false);
        if (port < 0) {
            return Counters.NAT_PORTS_EXHAUSTED;
        }
        int v = createSession(ip, ihl, total, proto, pools[pool].address(0), port, server, serverPort,
                -((pool << 16) + 2), false);
        if (v != TRANSLATE) {
            freePort(pool, proto, 0, port);
        }
        return v;
    }

    /** Inbound traffic to an outbound NAPT mapping, admitted according to the filtering mode (RFC 4787 REQ-8). */
    private int mappingInbound(long ip, int ihl, int total, int proto, int m, int ingress) {
        NatConfig.Filtering filtering = rules.filtering;
        if (filtering == NatConfig.Filtering.ADDRESS_AND_PORT_DEPENDENT) {
            return Counters.NAT_NOT_ADMITTED; // only existing sessions (the fast path) get in
        }
        if (filtering == NatConfig.Filtering.ADDRESS_DEPENDENT && !sentTo(m, proto, newSrc)) {
            return Counters.NAT_NOT_ADMITTED;
        }
        int remote = newSrc;
        int remotePort = newSrcPort;
        int client = mappings.internalIp(m);
        int clientPort = mappings.internalPort(m);
        // a session as if the client had opened it: forward = client → remote
        long fk1 = k1(client, remote);
        long fk2 = k2(proto, clientPort, remotePort);
        long frk1 = k1(mappings.externalIp(m), remote);
        long frk2 = k2(proto, mappings.externalPort(m), remotePort);
        long rk1 = k1(remote, mappings.externalIp(m));
        long rk2 = k2(proto, remotePort, mappings.externalPort(m));
        // the return flow is translated back to fk1, fk2 reversed: remote → client
        int s = mayCreate() ? createIndexed(fk1, fk2, frk1, frk2, rk1, rk2, proto) : -1;
        if (s < 0) {
            return Counters.NAT_SESSIONS_FULL;
        }
        forgetFlows(fk1, fk2, rk1, rk2);
        storeDeltas(s);
        // the mapping's rule as the rules in force now choose it for its host on this interface
        int o = rules.outbound(client, ingress);
        rule = o < 0 ? 0 : rules.outboundCounter(o);
        opened(s);
        mappings.retain(m);
        countHost(s, client);
        addPeer(m, remote);
        sessions.setTag(s, m);
        refresh(ip, ihl, total, proto, 2 * s + 1);
        bySession = true;
        newDst = client;
        newDstPort = clientPort;
        return TRANSLATE;
    }

    /** A new NAPT session counts for its host while a per-host limit is configured. */
    private void countHost(int s, int host) {
        // a host that finds no room in the counters (more than their 65536 hosts) goes uncounted,
        // and so is not taken off at expiry either
        if (rules.maxSessionsPerHost > 0 && hosts.hostAdd(host, 1) > 0) {
            sessions.setState(s, HOST_COUNTED);
        }
    }

    /** Address-dependent filtering: has the mapping's host a live session with this remote address? */
    private boolean sentTo(int m, int proto, int remote) {
        return mappings.hasPeer(m, remote);
    }

    private void addPeer(int m, int remote) {
        if (!mappings.addPeer(m, remote)) {
            counters.addEvent(Counters.NAT_PEERS_UNRECORDED, 1);
        }
    }

    /**
     * Decides the source translation of a routed packet leaving egress: 1:1 first (as pfSense),
     * then outbound NAPT; an internal source that no rule translates never leaves an external
     * interface.
     *
     * @return PASS (leave as is), TRANSLATE, or a Counters drop reason
     */
    int outbound(long mbuf, long ip, int ihl, int total, int ingress, int egress, Snapshot snap) {
        NatRules nat = snap.nat;
        int proto = Ipv4.protocol(ip);
        int src = newSrc;
        int dst = newDst;
        int r = nat.binatByInternal(src, dst, egress);
        stateless = false;
        rule = r >= 0 ? nat.binatCounter(r) : 0;
        if (r >= 0 && isLaterFragment(ip, proto)) {
            newSrc = nat.binatToExternal(r, src); // stateless: every fragment
            return TRANSLATE;
        }
        if (r >= 0) {
            int mapped = nat.binatToExternal(r, src);
            if (!nat.binatAdmitsAll(r) && hasPorts(ip, ihl, proto) && !isIcmpError(ip, ihl, total) && sessions != null) {
                // replies to what the host opens must get back in past its inbound list
                return createSession(ip, ihl, total, proto, mapped, newSrcPort, dst, newDstPort, NO_MAPPING, false);
            }
            newSrc = mapped;
            stateless = true;
            if (isIcmpError(ip, ihl, total)) {
                stateless = false;
                return errorFromOneToOneHost(nat, ip, ihl, total, egress);
            }
            return TRANSLATE;
        }
        if (snap.external[ingress] || !snap.external[egress]) {
            return PASS;
        }
        int o = nat.outbound(src, egress);
        if (o < 0) {
            return Counters.NAT_UNTRANSLATED_SOURCE;
        }
        rule = nat.outboundCounter(o);
        if (isLaterFragment(ip, proto)) {
            return followFirstFragment(mbuf, ip, ihl, total, proto);
        }
        if (!hasPorts(ip, ihl, proto) || isIcmpError(ip, ihl, total) || sessions == null) {
            return Counters.NAT_NO_MAPPING;
        }
        int m = mapping(proto, src, newSrcPort, o, dst, newDstPort);
        if (m < 0) {
            return -m;
        }
        return createSession(ip, ihl, total, proto, mappings.externalIp(m), mappings.externalPort(m), dst, newDstPort,
                m, true);
    }

    /**
     * The endpoint-independent mapping of (proto, host, port) under outbound rule o, created on
     * first use (paired pooling, port preservation, random otherwise); a negated drop reason on failure.
     * (remote, remotePort) is the other end of the session about to use it.
     */
    private int mapping(int proto, int host, int port, int o, int remote, int remotePort) {
        int pool = outboundPool[o];
        if (pool < 0) {
            return -Counters.NAT_PORTS_EXHAUSTED; // no pool id free (see bindPools)
        }
        int key = proto | (pool << 8); // one mapping per endpoint and pool: per external interface
        int m = mappings.find(key, host, port);
        if (m >= 0) {
            return m;
        }
        if (rules.maxSessionsPerHost > 0 && hosts.hostSessions(host) >= rules.maxSessionsPerHost) {
            return -Counters.NAT_SESSIONS_FULL;
        }
        PortAllocator a = pools[pool];
        int addr = a.addressFor(host);
        int ext = allocatePort(pool, proto, addr, port, rules.outboundStaticPort(o));
        if (ext < 0) {
            return -Counters.NAT_PORTS_EXHAUSTED;
        }
        // the new mapping's external index slot and its session's return-flow slot: misses apart
        // at a million sessions, loaded at once before either probe waits for its own
        prefetched += mappings.prefetchExternal(key, a.address(addr), ext);
        if (sessions.indexedSize() > 0) {
            prefetched += sessions.prefetch(k1(remote, a.address(addr)), k2(proto, remotePort, ext));
        }
        m = mappings.create(key, host, port, a.address(addr), ext);
        if (m < 0) {
            freePort(pool, proto, addr, ext);
            return -Counters.NAT_SESSIONS_FULL;
        }
        mappings.setTag(m, (pool << 16) | addr);
        return m;
    }

    /**
     * Creates a session for the packet's flow (as it arrived: newSrc/newDst/ports hold it) that
     * rewrites it to (src, srcPort) → (dst, dstPort), and decides that rewrite for this packet.
     *
     * @param mapping the NAPT mapping the session uses, NO_MAPPING, or an encoded interface-pool port
     * @param outbound true for outbound NAPT, whose forward flow comes from the inside and return
     *                 flow from the outside: a session that is its mapping's first is found
     *                 through the mapping (see {@link MappingTable}), with no index entries of its own
     */
    private int createSession(long ip, int ihl, int total, int proto, int toSrc, int toSrcPort, int toDst,
                              int toDstPort, int mapping, boolean outbound) {
        int src = newSrc;
        int dst = newDst;
        int sp = newSrcPort;
        int dp = newDstPort;
        // The reply's tuple is the reverse of the translated one, and it is translated back to the
        // reverse of the original (the table derives that); for ICMP echo too, since a request's
        // identifier is its source "port" (destination 0) and a reply's is its destination.
        long k1 = k1(src, dst);
        long k2 = k2(proto, sp, dp);
        long rk1 = k1(toSrc, toDst);
        long rk2 = k2(proto, toSrcPort, toDstPort);
        int s;
        if (!mayCreate()) {
            s = -1;
        } else if (mapping >= 0 && outbound && mappings.refs(mapping) == 0) {
            // Its flows could only be another first session's through their own endpoints, which
            // its look-up (forward) and its new mapping's unused external endpoint (return) rule out.
            s = sessions.createUnindexed(k1, k2, rk1, rk2, now, timeout(proto, 0));
            if (s >= 0) {
                sessions.setTag(s, mapping);
                mappings.bindFirst(mapping, s);
            }
        } else {
            s = createIndexed(k1, k2, rk1, rk2, k1(toDst, toSrc), k2(proto, toDstPort, toSrcPort), proto);
        }
        if (s < 0) {
            if (mapping >= 0 && mappings.refs(mapping) == 0) {
                releaseNewMapping(mapping);
            }
            return Counters.NAT_SESSIONS_FULL;
        }
        forgetFlows(k1(src, dst), k2(proto, sp, dp), k1(toDst, toSrc), k2(proto, toDstPort, toSrcPort));
        storeDeltas(s);
        sessions.setTag(s, mapping);
        opened(s);
        if (mapping >= 0) {
            mappings.retain(mapping);
            countHost(s, mappings.internalIp(mapping));
            addPeer(mapping, toDst);
        }
        refresh(ip, ihl, total, proto, 2 * s);
        bySession = true;
        newSrc = toSrc;
        newSrcPort = toSrcPort;
        newDst = toDst;
        newDstPort = toDstPort;
        return TRANSLATE;
    }

    /** New session s is the work of {@link #rule}: it carries the rule, which counts it. */
    private void opened(int s) {
        sessions.setRule(s, rule);
        ruleCounters.session(rule);
    }

    /**
     * A session in the session index, whose return flow is (rk1, rk2); -1 when the table is full or
     * a flow of it is taken, a first session's included (see {@link MappingTable}), which the
     * index does not hold.
     */
    private int createIndexed(long k1, long k2, long rewriteK1, long rewriteK2, long rk1, long rk2, int proto) {
        if (firstFlow(k1, k2) >= 0 || firstFlow(rk1, rk2) >= 0) {
            return -1;
        }
        return sessions.create(k1, k2, rewriteK1, rewriteK2, now, timeout(proto, 0));
    }

    /**
     * Drops the flow cache's entries of both of a session's arriving tuples: its session entries
     * carry its rewrite and take its packets without looking at it, so they must go when it does,
     * or when it is to end sooner than they counted on ({@link #refreshEstablished}).
     */
    private void forgetSession(int s) {
        forgetFlows(sessions.keyK1(2 * s), sessions.keyK2(2 * s), sessions.keyK1(2 * s + 1), sessions.keyK2(2 * s + 1));
    }

    /** A session's two arriving tuples now belong to it, not to whatever the flow cache decided before. */
    private void forgetFlows(long fk1, long fk2, long rk1, long rk2) {
        if (flows != null) {
            flows.forget(fk1, fk2, now);
            flows.forget(rk1, rk2, now);
        }
    }

    private void releaseNewMapping(int m) {
        int where = mappings.tag(m);
        freePort(where >>> 16, mappings.proto(m) & 0xff, where & 0xffff, mappings.externalPort(m));
        mappings.remove(m);
    }

    /**
     * An ICMP error about a packet of a session (RFC 5508): the quoted packet went the other way,
     * so the flow it belongs to is found with its tuple reversed; that flow's rewrite gives the
     * error's new destination and the quote's new tuple. Never creates or refreshes a session.
     */
    private int errorBySession(long ip, int ihl, int total) {
        if (sessions == null || sessions.size() == 0) {
            return PASS;
        }
        long q = ip + ihl + Icmp.HEADER_LEN;
        int qlen = total - ihl - Icmp.HEADER_LEN;
        if (qlen < Ipv4.MIN_HEADER_LEN || Ipv4.version(q) != 4) {
            return Counters.NAT_BAD_QUOTE;
        }
        int qihl = Ipv4.headerLen(q);
        int qproto = Ipv4.protocol(q);
        if (qihl < Ipv4.MIN_HEADER_LEN || qlen < qihl + 8) {
            return PASS; // no ports quoted: only a 1:1 rule can translate it
        }
        if (!hasPorts(q, qihl, qproto)) {
            return PASS;
        }
        int qsrc = Ipv4.src(q);
        int qdst = Ipv4.dst(q);
        int qsp = srcPort(q, qihl, qproto);
        int qdp = dstPort(q, qihl, qproto);
        // reversed: the flow of packets travelling like this error, towards the quote's sender
        int flow = flowOf(k1(qdst, qsrc), k2(qproto, qdp, qsp));
        if (flow < 0) {
            return PASS;
        }
        long rk1 = sessions.rewriteK1(flow);
        long rk2 = sessions.rewriteK2(flow);
        int rwSrc = (int) (rk1 >>> 32);
        int rwDst = (int) rk1;
        int rwSp = (int) (rk2 >>> 16) & 0xffff;
        int rwDp = (int) rk2 & 0xffff;
        // The far host itself reports, or the error crosses towards the outside (the flow's source is
        // translated): then it must carry the public address, never an internal router's.
        if (Ipv4.src(ip) == qdst || rwSrc != qdst) {
            newSrc = rwSrc;
        }
        newDst = rwDst;
        rule = ruleOf(flow);
        quoteDecided = true;
        quoteSrc = rwDst;
        quoteDst = rwSrc;
        quoteSrcPort = rwDp;
        quoteDstPort = rwSp;
        return TRANSLATE;
    }

    /**
     * Decides the quote of an ICMP error a 1:1 rule translates, either way: TRANSLATE, or
     * NAT_BAD_QUOTE for a quote too short to read, or NAT_NO_MAPPING for a quote whose source is
     * not the error's destination. An error goes to the sender of the packet it quotes, so such a
     * quote is a packet that no mapping holds (RFC 5508 REQ-4).
     */
    private int oneToOneErrorQuote(long ip, int ihl, int total) {
        decideQuoteFromOuter(ip);
        if (!quoteUsable(ip, ihl, total)) {
            return Counters.NAT_BAD_QUOTE;
        }
        return Ipv4.src(ip + ihl + Icmp.HEADER_LEN) == Ipv4.dst(ip) ? TRANSLATE : Counters.NAT_NO_MAPPING;
    }

    /**
     * {@link #oneToOneErrorQuote} of an error from a 1:1 host (leaving through iface, or reflected
     * to another host), then its quote's destination: the quoted packet went to the host reporting
     * it or to another 1:1 host, which the error's destination knows only by its public address.
     * No mapping holds any other quote, and passing it would show that destination an address it
     * never sent to. Returns TRANSLATE, NAT_BAD_QUOTE or NAT_NO_MAPPING.
     */
    private int errorFromOneToOneHost(NatRules nat, long ip, int ihl, int total, int iface) {
        int v = oneToOneErrorQuote(ip, ihl, total);
        if (v != TRANSLATE) {
            return v;
        }
        long q = ip + ihl + Icmp.HEADER_LEN;
        if (quoteDst != Ipv4.dst(q)) {
            return TRANSLATE; // the reporting host's own packet: translated with the error
        }
        int other = nat.binatByInternal(quoteDst, Ipv4.src(q), iface);
        if (other < 0) {
            return Counters.NAT_NO_MAPPING;
        }
        quoteDst = nat.binatToExternal(other, quoteDst);
        return TRANSLATE;
    }

    /** Stateless (1:1) error translation: the quote gets the inverse of the outer rewrite, ports kept. */
    private void decideQuoteFromOuter(long ip) {
        long q = ip + Ipv4.headerLen(ip) + Icmp.HEADER_LEN;
        int qsrc = Ipv4.src(q);
        int qdst = Ipv4.dst(q);
        quoteSrc = qsrc == Ipv4.dst(ip) ? newDst : qsrc;
        quoteDst = qdst == Ipv4.src(ip) ? newSrc : qdst;
        int qihl = Ipv4.headerLen(q);
        int qproto = Ipv4.protocol(q);
        quoteSrcPort = srcPort(q, qihl, qproto);
        quoteDstPort = dstPort(q, qihl, qproto);
        quoteDecided = true;
    }

    // ---- rewriting ----------------------------------------------------------------------------

    /** Rewrites the packet as decided, fixing the IPv4, TCP/UDP and ICMP echo checksums incrementally. */
    void apply(long ip, int ihl, int total) {
        int proto = Ipv4.protocol(ip);
        int addrDelta = ChecksumDelta.add(ChecksumDelta.delta32(Ipv4.src(ip), newSrc),
                ChecksumDelta.delta32(Ipv4.dst(ip), newDst));
        Ipv4.src(ip, newSrc);
        Ipv4.dst(ip, newDst);
        Mem.u16(ip + Ipv4.OFF_CHECKSUM, ChecksumDelta.apply(Ipv4.checksum(ip), addrDelta));
        if (isEcho(ip, ihl, proto)) {
            rewriteEchoId(ip + ihl, newSrcPort, newDstPort);
        } else if (hasL4Header(ip, ihl, proto)) {
            rewritePorts(ip + ihl, total - ihl, proto, addrDelta, newSrcPort, newDstPort);
        }
        if (quoteDecided) {
            rewriteQuote(ip, ihl, total);
        }
    }

    /** Rewrites a later fragment's addresses (it has no ports) with its IPv4 header checksum. */
    void applyAddresses(long ip, int src, int dst) {
        int delta = ChecksumDelta.add(ChecksumDelta.delta32(Ipv4.src(ip), src), ChecksumDelta.delta32(Ipv4.dst(ip), dst));
        Ipv4.src(ip, src);
        Ipv4.dst(ip, dst);
        Mem.u16(ip + Ipv4.OFF_CHECKSUM, ChecksumDelta.apply(Ipv4.checksum(ip), delta));
    }

    /** No pseudo-header in ICMP: only the identifier counts (the request's source, the reply's destination). */
    private static void rewriteEchoId(long icmp, int srcPort, int dstPort) {
        int oldId = Mem.u16(icmp + 4);
        int newId = Icmp.type(icmp) == Icmp.TYPE_ECHO_REQUEST ? srcPort : dstPort;
        if (oldId != newId) {
            Mem.u16(icmp + 4, newId);
            Mem.u16(icmp + 2, ChecksumDelta.apply(Mem.u16(icmp + 2), ChecksumDelta.delta16(oldId, newId)));
        }
    }

    /** Writes TCP/UDP ports and patches the checksum (a zero UDP checksum means none and stays zero). */
    private static void rewritePorts(long l4, int len, int proto, int addrDelta, int srcPort, int dstPort) {
        int delta = ChecksumDelta.add(addrDelta, ChecksumDelta.add(ChecksumDelta.delta16(Mem.u16(l4), srcPort),
                ChecksumDelta.delta16(Mem.u16(l4 + 2), dstPort)));
        Mem.u16(l4, srcPort);
        Mem.u16(l4 + 2, dstPort);
        if (proto == Ipv4.PROTO_TCP) {
            if (len >= 18) {
                Mem.u16(l4 + 16, ChecksumDelta.apply(Mem.u16(l4 + 16), delta));
            }
        } else if (len >= 8) {
            Mem.u16(l4 + 6, ChecksumDelta.applyUdp(Mem.u16(l4 + 6), delta));
        }
    }

    /** The quoted packet of an ICMP error: addresses, ports or echo identifier, its checksums, then the ICMP checksum. */
    private void rewriteQuote(long ip, int ihl, int total) {
        long icmp = ip + ihl;
        long q = icmp + Icmp.HEADER_LEN;
        int qlen = total - ihl - Icmp.HEADER_LEN;
        int qihl = Ipv4.headerLen(q);
        int qproto = Ipv4.protocol(q);
        int delta = ChecksumDelta.add(ChecksumDelta.delta32(Ipv4.src(q), quoteSrc),
                ChecksumDelta.delta32(Ipv4.dst(q), quoteDst));
        Ipv4.src(q, quoteSrc);
        Ipv4.dst(q, quoteDst);
        Mem.u16(q + Ipv4.OFF_CHECKSUM, ChecksumDelta.apply(Ipv4.checksum(q), delta));
        if (qlen >= qihl + 8) {
            if (isEcho(q, qihl, qproto)) {
                rewriteEchoId(q + qihl, quoteSrcPort, quoteDstPort);
            } else if (hasL4Header(q, qihl, qproto)) {
                rewritePorts(q + qihl, qlen - qihl, qproto, delta, quoteSrcPort, quoteDstPort);
            }
        }
        // The ICMP checksum covers the whole quote: recompute it (errors are rare).
        Mem.u16(icmp + 2, 0);
        Mem.u16(icmp + 2, Checksum.finish(Checksum.sum(icmp, total - ihl, 0)));
    }

    /** A quote too short or not IPv4 cannot be translated: the error is dropped. */
    boolean quoteUsable(long ip, int ihl, int total) {
        if (!quoteDecided) {
            return true;
        }
        long q = ip + ihl + Icmp.HEADER_LEN;
        int qlen = total - ihl - Icmp.HEADER_LEN;
        int qihl = qlen >= Ipv4.MIN_HEADER_LEN ? Ipv4.headerLen(q) : 0;
        return qlen >= Ipv4.MIN_HEADER_LEN && Ipv4.version(q) == 4 && qihl >= Ipv4.MIN_HEADER_LEN && qihl <= qlen;
    }
}
