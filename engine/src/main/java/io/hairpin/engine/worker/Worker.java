package io.hairpin.engine.worker;

import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.KernelListeners;
import io.hairpin.engine.Snapshot;
import io.hairpin.engine.neighbor.NeighborTable;
import io.hairpin.engine.packet.Arp;
import io.hairpin.engine.packet.Checksum;
import io.hairpin.engine.packet.ChecksumDelta;
import io.hairpin.engine.packet.Ethernet;
import io.hairpin.engine.packet.Icmp;
import io.hairpin.engine.packet.Ipv4;
import io.hairpin.engine.route.RouteTable;
import io.hairpin.shim.Mbuf;
import io.hairpin.shim.Mem;
import io.hairpin.shim.Shim;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.function.Consumer;
import org.agrona.concurrent.Agent;

/**
 * One poll-mode worker: owns RX/TX queue {@code id} of every port and of every exception-path
 * TAP, its pending-ARP queue and its counters. Each {@link #doWork()} picks up the current
 * snapshot, then for each port: RX burst, per packet parse → classify → route → rewrite, then
 * TX bursts and a bulk free of what was dropped. Nothing here allocates once started.
 */
public final class Worker implements Agent {
    public static final int BURST = 32;
    /** Distinct NAT pools (address lists, each interface's address counting as one) that may live at once. */
    public static final int MAX_NAT_POOLS = Nat44.MAX_POOLS;
    static final int PENDING_CAPACITY = 256;
    static final long ARP_RETRY_NANOS = 1_000_000_000L;
    static final long PENDING_TIMEOUT_NANOS = 3_000_000_000L;
    static final long HOUSEKEEPING_NANOS = 1_000_000L;
    /**
     * How often the exception-path TAPs are read: each read is a system call (≈ 1 µs here), which
     * on every loop iteration cost about as much as the packets' own work; 20 µs adds at most
     * that much latency to the host's traffic.
     */
    static final long KERNEL_POLL_NANOS = 20_000L;
    static final int ICMP_ERRORS_PER_SECOND = 1000;
    static final int ICMP_ERRORS_BURST = 100;
    /** RFC 1812 4.3.2.3: an ICMP error holds as much of the original as fits in 576 bytes. */
    static final int ICMP_ERROR_MAX_IP_LEN = 576;
    static final int DEFAULT_TTL = 64;
    /** Flow cache buckets (four flows each, 256 bytes): 128 Ki flows in 8 MiB per worker. */
    static final int FLOW_CACHE_BUCKETS = 1 << 15;
    private static final int[] NO_ADDRESSES = new int[0];
    /** A burst packet's bucket when it is eligible but the flow-cache bypass skips its lookup. */
    private static final long BYPASSED = 1;
    /** The TCP flags that change a session's state (Nat44.refresh): SYN, FIN, RST. */
    private static final int TCP_SYN_FIN_RST = 0x07;
    /** Candidates {@link #interleaveStep} finds at a time, one step every as many packets (a power of two). */
    private static final int INTERLEAVE = 8;
    /** Exceptions whose stack {@link #onError} prints; later ones are only counted. */
    static final int ERRORS_PRINTED = 10;

    private final int id;
    private final short queue;
    private final SnapshotHolder snapshots;
    private final NeighborTable neighbors;
    private final MemorySegment mempool;
    private final Counters counters;
    private final RuleCounters ruleCounters = new RuleCounters();
    private final Nat44 nat;
    /** DPDK port ids: physical ports first, then one TAP per interface (-1 when there is none). */
    private final short[] txPortId;
    private final int physicalPorts;

    // Global scope (a few KiB for the life of the process): a shared arena would make every
    // downcall acquire and release its scope, two atomics per burst.
    private final Arena arena = Arena.global();
    /** One per physical port (one at least, for the kernel ports): see {@link RxBurst}. */
    private final RxBurst[] bursts;
    /** The RX burst being received or processed: its mbufs ({@link #select}). */
    private MemorySegment rx;
    private long rxAddr;
    private final MemorySegment[] tx;
    private final long[] txAddr;
    private final int[] txCount;
    /** Bytes staged per TX slot, counted when the slot is flushed. */
    private final long[] txBytes;
    private final MemorySegment drops;
    private final long dropsAddr;
    private int dropCount;
    private final MemorySegment one;
    private final long oneAddr;

    private final long[] fragmentsTimedOut = new long[io.hairpin.engine.fragment.FragmentTracker.DEFAULT_MAX_PARKED_PER_DATAGRAM];
    private final long[] pendingMbuf = new long[PENDING_CAPACITY];
    private final int[] pendingIface = new int[PENDING_CAPACITY];
    private final int[] pendingNextHop = new int[PENDING_CAPACITY];
    private final long[] pendingSince = new long[PENDING_CAPACITY];
    private int pendingCount;
    private long pendingSeenVersion = -1;

    /** Towards worker 0, which owns all NAT session state when there are several workers. */
    private HandoffRing toOwner;
    /** At worker 0: one ring from each other worker. */
    private HandoffRing[] inboxes = new HandoffRing[0];
    private final int workerCount;

    /** worker 0 serves the control plane's session requests from here and publishes its session count. */
    private final SessionChannel sessionChannel;
    private final Tracer tracer = new Tracer();
    private Consumer<Error> whenStopped = cause -> { };
    /** Packets still to trace: the only thing the hot path looks at for tracing (a plain read). */
    private int traceRemaining;
    private long traceArmSeen;
    private final long[] traceEvents = new long[Counters.EVENT_COUNT];
    /** Hand packets that may need NAT state to worker 0 (decided per snapshot, not per packet). */
    private boolean handOff;
    /** Consult the NAT at all: the rules have some, or this worker still holds sessions of earlier rules. */
    private boolean natActive;

    private Snapshot snap;
    private long now;

    private final FlowCache flows = new FlowCache(FLOW_CACHE_BUCKETS);
    /** The snapshot version, shifted: with the neighbour-table version (read per packet) the stamp a cached decision must carry. */
    private long flowStamp;
    /** Per physical port: its untagged interface (-1: none) and that interface's MAC. */
    private int[] fastIface = new int[0];
    private long[] fastMac = new long[0];
    /** A flow-cache miss: the flow's key, for {@link #ipv4} to record the decision it reaches. */
    private boolean fillArmed;
    /** Per packet of the RX burst being processed: its flow key and flow-cache bucket (0: not for the fast path). */
    private long[] burstK1;
    private long[] burstK2;
    private long[] burstBucket;
    /**
     * Per packet of the RX burst when {@link #burstLookedUp}, for the established-session path: its
     * session flow (-1: none), its route entry's key ({@link #routeKey}; -1 also when its source
     * fails the pipeline's checks) and bucket (0: none).
     */
    private final int[] burstFlow = new int[BURST];
    private final long[] burstRouteKey = new long[BURST];
    private final long[] burstRoute = new long[BURST];
    /** The next burst whose candidates {@link #uncached} finds among this one's packets; null when none. */
    private RxBurst interleaved;
    /**
     * Every physical port's burst was received at the end of the last round and waits for this
     * one (a big table's rounds, see {@link #doWork}); such a burst's home slots are not prefetched
     * on reception but a few at a time among the packets of the burst before it.
     */
    private boolean heldOver;
    /** The flow cache stands aside for the whole burst, on the session path ({@link #classifyAside}). */
    private boolean burstAside;
    /** The burst's session flows were looked up all at once (see {@link #lookUpSessions}). */
    private boolean burstLookedUp;
    /** The burst's eligible packets' tuples and positions ({@link #gatherSessionTuples}), and their flows. */
    private long[] sessionK1;
    private long[] sessionK2;
    private int[] sessionAt;
    private int[] sessionFlow;
    /** The route decisions session flows memoize (see {@link #memoizedRoute}, {@link #routeOfSession}). */
    private final RouteMemos routeMemos = new RouteMemos();
    /** Keeps the first pass's loads from being optimised away. */
    long flowTouch;
    /** Fast-path packets of this doWork (forwarded, and of them translated), counted once at its end. */
    private int fastHits;
    private int fastTranslated;
    /** Packets of this doWork the established-session path sent (forwarded and translated). */
    private int sessionHits;
    /**
     * This worker holds the NAT sessions its packets match (it hands nothing off, and has a
     * session table): eligible packets the flow cache does not take try the established-session
     * path.
     */
    private boolean sessionPath;
    /**
     * An established-session packet found no route entry for its egress and next hop: {@link #ipv4}
     * records them when the pipeline reaches the same decision.
     */
    private boolean routeFillArmed;
    /**
     * Traffic the flow cache cannot serve (more flows than it holds, a million sessions) would pay
     * a probe per packet for nothing, a cache miss at a million flows. So the hit rate is sampled
     * over FLOW_SAMPLE lookups; under a quarter, the next packets skip the cache: FLOW_BYPASS of
     * them, twice as many after each further poor sample up to FLOW_BYPASS_MAX (a steady stream of
     * new flows then pays for a lookup on 0.4 % of its packets), back to FLOW_BYPASS after a good
     * sample or a new snapshot. While there are sessions the bar is three quarters: without the
     * cache their packets take the established path with the burst's lookups made at once, which
     * beats a cache that misses often (each miss is then a lookup on its own and an entry
     * written): 30 000 sessions ran at 4.9–5.3 Mpps at a quarter, 8.0–8.7 with the cache aside.
     */
    private int flowLookups;
    private int flowHits;
    private int flowBypass;
    private int flowBypassNext = FLOW_BYPASS;
    static final int FLOW_SAMPLE = 4096;
    static final int FLOW_BYPASS = 1 << 16;
    static final int FLOW_BYPASS_MAX = 1 << 20;
    /** EtherType 0x0800, then version 4 with a 20-byte header, as bytes 12..14 load on a little-endian host. */
    private static final long IPV4_IHL5_LE = 0x45_0008;
    /** More-fragments and the fragment offset (0x3fff of bytes 6..7) as a little-endian load sees them. */
    private static final long FRAGMENT_BITS_LE = 0xff3f;
    private long fillK1;
    private long fillK2;
    private long nextHousekeeping;
    private long kernelPolledAt;
    private final TokenBucket icmpErrors = new TokenBucket(ICMP_ERRORS_PER_SECOND, ICMP_ERRORS_BURST);
    /** Per interface: what may still go to the kernel behind it. */
    private final TokenBucket[] toKernel;
    private int ipId;
    private final int cpu;
    private volatile int tid;

    /**
     * @param txPortId DPDK port ids, physical ports in engine port order followed by one TAP per
     *                 interface in interface order (-1 where the exception path is off)
     * @param cpu      the CPU to pin to, or -1 to leave the thread unpinned
     */
    public Worker(int id, SnapshotHolder snapshots, NeighborTable neighbors, MemorySegment mempool, short[] txPortId,
                  int physicalPorts, int cpu) {
        this(id, snapshots, neighbors, mempool, txPortId, physicalPorts, cpu, new SessionChannel(), new KernelListeners());
    }

    /**
     * @param sessionChannel  where worker 0 takes the control plane's session requests (the other
     *                        workers ignore it)
     * @param kernelListeners the TCP ports the kernel behind the exception path listens on
     */
    public Worker(int id, SnapshotHolder snapshots, NeighborTable neighbors, MemorySegment mempool, short[] txPortId,
                  int physicalPorts, int cpu, SessionChannel sessionChannel, KernelListeners kernelListeners) {
        this.id = id;
        this.sessionChannel = sessionChannel;
        this.queue = (short) id;
        this.snapshots = snapshots;
        this.neighbors = neighbors;
        this.mempool = mempool;
        this.txPortId = txPortId.clone();
        this.physicalPorts = physicalPorts;
        this.toKernel = new TokenBucket[txPortId.length - physicalPorts];
        for (int i = 0; i < toKernel.length; i++) {
            toKernel[i] = kernelBucket(EngineConfig.Interface.DEFAULT_KERNEL_RATE);
        }
        this.cpu = cpu;
        this.counters = new Counters(txPortId.length);
        this.workerCount = snapshots.workers();
        this.nat = new Nat44(counters, ruleCounters, id, workerCount);
        nat.flows = flows;
        nat.kernelListeners = kernelListeners;
        bursts = new RxBurst[Math.max(1, physicalPorts)];
        for (int p = 0; p < bursts.length; p++) {
            bursts[p] = new RxBurst(arena);
        }
        select(bursts[0]);
        tx = new MemorySegment[txPortId.length];
        txAddr = new long[txPortId.length];
        txCount = new int[txPortId.length];
        txBytes = new long[txPortId.length];
        for (int i = 0; i < tx.length; i++) {
            tx[i] = arena.allocate(ValueLayout.JAVA_LONG, BURST);
            txAddr[i] = tx[i].address();
        }
        drops = arena.allocate(ValueLayout.JAVA_LONG, BURST * 2);
        dropsAddr = drops.address();
        one = arena.allocate(ValueLayout.JAVA_LONG, 1);
        oneAddr = one.address();
    }

    /**
     * Packets received and not yet processed between two calls of {@link #doWork}: the bursts a
     * big table's rounds hold over to the next round, else 0.
     */
    public int heldPackets() {
        int n = 0;
        for (int p = 0; heldOver && p < physicalPorts; p++) {
            n += bursts[p].n;
        }
        return n;
    }

    public Counters counters() {
        return counters;
    }

    /** The packets, bytes and sessions of each NAT rule, by counter id, as this worker counted them. */
    public RuleCounters ruleCounters() {
        return ruleCounters;
    }

    public int id() {
        return id;
    }

    /** The CPU this worker pins itself to, or -1. */
    public int cpu() {
        return cpu;
    }

    /** The worker thread's kernel task id once it has started (pinned), else 0. */
    public int tid() {
        return tid;
    }

    /** This worker's packet trace (armed by the control plane). */
    public Tracer tracer() {
        return tracer;
    }

    /**
     * Wires the handoff rings between workers before they start: worker 0 owns the NAT
     * sessions; the others pass it the packets that may need them.
     */
    public static void connect(Worker[] workers, int capacity) {
        HandoffRing[] inboxes = new HandoffRing[workers.length - 1];
        for (int w = 1; w < workers.length; w++) {
            HandoffRing ring = new HandoffRing(capacity);
            workers[w].toOwner = ring;
            inboxes[w - 1] = ring;
        }
        workers[0].inboxes = inboxes;
    }

    @Override
    public String roleName() {
        return "hairpin-worker-" + id;
    }

    @Override
    public void onStart() {
        Shim.hp_thread_register();
        if (cpu >= 0) {
            Shim.hp_thread_pin(cpu);
        }
        tid = Shim.hp_gettid();
    }

    /**
     * The runner's error handler, on this worker's thread, for what {@link #doWork} threw. An
     * exception leaves the loop running: it is counted ({@code worker_errors}) and the first
     * {@link #ERRORS_PRINTED} stacks are printed, not every one, since one packet's way of
     * throwing may come at line rate. An {@link Error} ends the loop: the runner rethrows it
     * (the thread's handler prints it) without calling {@link #onClose}, so it is reported here.
     */
    public void onError(Throwable t) {
        if (t instanceof Error e) {
            whenStopped.accept(e);
            return;
        }
        counters.count(Counters.WORKER_ERRORS);
        long n = counters.event(Counters.WORKER_ERRORS);
        if (n <= ERRORS_PRINTED) {
            System.err.println("hairpin: worker " + id + " error (the loop goes on): " + t);
            t.printStackTrace();
            if (n == ERRORS_PRINTED) {
                System.err.println("hairpin: worker " + id + ": further errors are only counted (worker_errors)");
            }
        }
    }

    /**
     * Called on this worker's thread when its loop has ended, once, with the {@link Error} that
     * ended it (from {@link #onError}: the runner calls {@link #onClose} only after a loop that
     * ended without one), or null (a close, or an interrupt of the thread). Set before the worker
     * starts.
     */
    public void whenStopped(Consumer<Error> listener) {
        whenStopped = listener;
    }

    @Override
    public void onClose() {
        processHeldOver();
        flows.close();
        int timedOut;
        while ((timedOut = nat.expireFragments(Long.MAX_VALUE / 2, fragmentsTimedOut)) > 0) {
            for (int i = 0; i < timedOut; i++) {
                drop(fragmentsTimedOut[i], Counters.FRAGMENT_TIMEOUT);
            }
        }
        for (int i = 0; i < pendingCount; i++) {
            drop(pendingMbuf[i], Counters.NEIGHBOR_UNRESOLVED);
        }
        pendingCount = 0;
        for (int p = 0; p < tx.length; p++) {
            flush(p);
        }
        freeDrops();
        Shim.hp_thread_unregister();
        whenStopped.accept(null);
    }

    /**
     * Takes a newly published snapshot up, at the top of a loop iteration (out of {@link
     * #doWork}'s own code, which runs every iteration): the NAT state follows its rules, route
     * memos are forgotten when its routing differs, new addresses are announced, the kernel
     * policers follow its rates, and the control plane is told.
     */
    private void takeUp(Snapshot s) {
        Snapshot before = snap;
        boolean sameRouting = before != null && s.routes.sameRoutes(before.routes)
                && Arrays.equals(s.antiSpoofing, before.antiSpoofing);
        snap = s;
        fastPorts(s);
        nat.use(s, snapshots.natTables());
        if (!sameRouting) {
            routeMemos.advance();
            nat.sweepRouteMemos(routeMemos);
        }
        handOff = toOwner != null && ((s.nat.hasRules && s.nat.needsSessions()) || s.retiredNat != null);
        if (id == 0) {
            announce(before);
        }
        for (int i = 0; i < toKernel.length; i++) {
            if (toKernel[i].rate() != s.kernelRate[i]) {
                toKernel[i] = kernelBucket(s.kernelRate[i]);
            }
        }
        snapshots.acknowledge(id, s.version);
        flowBypass = 0; // new rules may make the traffic cacheable
        flowBypassNext = FLOW_BYPASS;
    }

    @Override
    public int doWork() {
        Snapshot s = snapshots.current();
        if (s != snap && heldOver) {
            // received under the snapshot in force: processed under it, before the new one applies
            now = System.nanoTime();
            processHeldOver();
        }
        if (s != snap) {
            takeUp(s);
        }
        natActive = snap.nat.hasRules || nat.sessionCount() > 0;
        sessionPath = !handOff && nat.holdsSessions();
        now = System.nanoTime();
        // 16 bits of the version: an entry lives a second at most, and no 65536 applies fit in one
        flowStamp = (snap.version & 0xffff) << 32;
        int work = 0;
        if (sessionPath && nat.bigTable()) {
            // a big table: each port's burst is received one burst ahead of its processing, the
            // last ports' bursts at the end of a round for the next, so that the misses its
            // session look-ups start with (the home slots, then the candidates' records) are
            // issued a few at a time among the packets of the burst before it (interleaveStep):
            // issued all at once, more of them than this core keeps in flight, the work after
            // them waits for all of them (perf/RESULTS.md, sessions 35 and 39)
            if (!heldOver) {
                for (int p = 0; p < physicalPorts; p++) {
                    receive(p);
                }
            }
            heldOver = physicalPorts > 1;
            for (int p = 0; p < physicalPorts; p++) {
                work += process(p, p + 1 < physicalPorts ? bursts[p + 1] : heldOver ? bursts[0] : null);
                if (heldOver) {
                    receive(p);
                }
            }
        } else if (heldOver) {
            work += processHeldOver();
        } else {
            for (int p = 0; p < physicalPorts; p++) {
                receive(p);
                work += process(p, null);
            }
        }
        for (HandoffRing inbox : inboxes) {
            int n = inbox.available(BURST);
            long head = inbox.head();
            for (int i = 0; i < n; i++) {
                long position = head + i;
                if (traceRemaining != 0) {
                    traced(inbox.mbuf(position), inbox.port(position));
                } else {
                    frame(inbox.mbuf(position), inbox.port(position));
                }
            }
            inbox.consumed(n);
            work += n;
        }
        boolean pollKernel = now - kernelPolledAt >= KERNEL_POLL_NANOS;
        if (pollKernel) {
            kernelPolledAt = now;
        }
        for (int t = physicalPorts; pollKernel && t < txPortId.length; t++) {
            if (txPortId[t] < 0) {
                continue;
            }
            int n = Shim.hp_rx_burst(txPortId[t], queue, rx, (short) BURST) & 0xffff;
            for (int i = 0; i < n; i++) {
                fromKernel(Mem.nativeLong(rxAddr + 8L * i), t - physicalPorts);
            }
            work += n;
        }
        for (int p = 0; p < tx.length; p++) {
            flush(p);
        }
        freeDrops();
        if (fastHits != 0) {
            counters.addEvent(Counters.FORWARDED, fastHits);
            counters.addEvent(Counters.FLOW_CACHE_HITS, fastHits);
            counters.addEvent(Counters.NAT_TRANSLATED, fastTranslated);
            fastHits = 0;
            fastTranslated = 0;
        }
        if (sessionHits != 0) {
            counters.addEvent(Counters.FORWARDED, sessionHits);
            counters.addEvent(Counters.NAT_TRANSLATED, sessionHits);
            counters.addEvent(Counters.SESSION_FAST_PATH, sessionHits);
            sessionHits = 0;
        }
        if (flowLookups >= FLOW_SAMPLE) {
            if (flowHits < (sessionPath && nat.sessionCount() > 0 ? FLOW_SAMPLE * 3 / 4 : FLOW_SAMPLE / 4)) {
                flowBypass = flowBypassNext;
                flowBypassNext = Math.min(flowBypassNext << 1, FLOW_BYPASS_MAX);
            } else {
                flowBypassNext = FLOW_BYPASS;
            }
            flowLookups = 0;
            flowHits = 0;
        }
        if (now >= nextHousekeeping) {
            nextHousekeeping = now + HOUSEKEEPING_NANOS;
            housekeeping();
        }
        return work;
    }

    private void select(RxBurst b) {
        rx = b.rx;
        rxAddr = b.rxAddr;
        burstK1 = b.k1;
        burstK2 = b.k2;
        burstBucket = b.bucket;
        sessionK1 = b.sessionK1;
        sessionK2 = b.sessionK2;
        sessionAt = b.sessionAt;
        sessionFlow = b.sessionFlow;
    }

    /** Processes the bursts {@link #heldOver} from the last round, if any; returns their packet count. */
    private int processHeldOver() {
        int work = 0;
        if (heldOver) {
            heldOver = false;
            for (int p = 0; p < physicalPorts; p++) {
                work += process(p, null);
            }
        }
        return work;
    }

    /**
     * Receives port p's burst and classifies it; on the session path with the flow cache aside,
     * gathers the tuples its session look-ups will take and, in a big table, finds the index
     * slots they start with: prefetched now, or while {@link #heldOver}, among the packets of the
     * burst before it ({@link #interleaveStep}). Nothing is looked up yet: the bursts before it
     * may still make sessions.
     */
    private void receive(int p) {
        RxBurst b = bursts[p];
        select(b);
        int n = Shim.hp_rx_burst(txPortId[p], queue, rx, (short) BURST) & 0xffff;
        b.n = n;
        long touched = touchHeaders(n);
        // on the session path, while the flow cache is in use its session entries take the
        // flows it holds, while it stands aside the burst's session lookups are made at once:
        // Nat44.prefetch would only load the same records again, through the index
        boolean sessionPort = sessionPath && fastIface[p] >= 0 && nat.sessionCount() > 0;
        b.lookedUp = sessionPort && flowBypass > 0;
        if (natActive && !sessionPort) {
            nat.prefetch(rxAddr, n);
        }
        b.bytes = classify(p, n);
        b.aside = burstAside;
        flowTouch = touched + touchBuckets(n);
        b.sessions = b.lookedUp ? gatherSessionTuples(n) : 0;
        b.inside = fastIface[p] >= 0 && !snap.external[fastIface[p]];
        b.started = false;
        b.homesReady = b.sessions > 0 && nat.bigTable();
        b.homesUpTo = b.sessions;
        if (b.homesReady) {
            nat.findHomes(sessionK1, sessionK2, b.sessions, b.inside, b.batch, !heldOver);
            if (heldOver) {
                b.homesUpTo = 0;
            }
        }
    }

    /**
     * Processes the burst {@link #receive} took from port p; {@code next}, the next port's burst
     * when this round has received it already, may have its look-ups started meanwhile. Returns
     * its packet count.
     */
    private int process(int p, RxBurst next) {
        RxBurst b = bursts[p];
        select(b);
        int n = b.n;
        burstAside = b.aside;
        burstLookedUp = b.lookedUp;
        if (burstLookedUp) {
            flowTouch += lookUpSessions(b, next);
        }
        fromWire(p, n);
        interleaved = null; // what is left of it is found when its own turn comes
        counters.add(p, Counters.RX_PACKETS, n);
        counters.add(p, Counters.RX_BYTES, b.bytes);
        return n;
    }

    // ---- ingress ----------------------------------------------------------------------------

    /**
     * The first pass over an RX burst: for each packet the fast path may take, its flow key and
     * flow-cache bucket address ({@link #touchBuckets} then loads the buckets); bucket 0 when not
     * eligible. Returns the burst's bytes.
     */
    private long classify(int port, int n) {
        final int iface = fastIface[port];
        final long mac = fastMac[port];
        burstAside = sessionPath && flowBypass >= n;
        if (burstAside) {
            flowBypass -= n;
            return classifyAside(iface, mac, n);
        }
        long bytes = 0;
        for (int i = 0; i < n; i++) {
            long m = Mem.nativeLong(rxAddr + 8L * i);
            int len = Mbuf.dataLen(m);
            bytes += len;
            burstBucket[i] = 0;
            boolean lookup = true;
            if (flowBypass > 0) {
                flowBypass--;
                if (!sessionPath) {
                    continue;
                }
                lookup = false; // still classified: the established-session path may take it
            }
            if (!parse(m, len, i, iface, mac)) {
                continue;
            }
            long k1 = burstK1[i];
            long k2 = burstK2[i];
            burstBucket[i] = lookup ? flows.bucket(k1, k2) : BYPASSED;
        }
        return bytes;
    }

    /**
     * {@link #classify} of a burst the flow cache stands aside for, on the session path: a loop
     * of its own, so that C2 compiles it without the cache's branches.
     */
    private long classifyAside(int iface, long mac, int n) {
        long bytes = 0;
        for (int i = 0; i < n; i++) {
            long m = Mem.nativeLong(rxAddr + 8L * i);
            int len = Mbuf.dataLen(m);
            bytes += len;
            if (!parse(m, len, i, iface, mac)) {
                burstBucket[i] = 0;
                continue;
            }
            burstBucket[i] = BYPASSED;
        }
        return bytes;
    }

    /**
     * Whether packet m (len bytes, burst position i) may take the fast path; if so, its flow key
     * goes to burstK1[i] and burstK2[i].
     */
    private boolean parse(long m, int len, int i, int iface, long mac) {
        if (iface < 0 || len < Ethernet.HEADER_LEN + Ipv4.MIN_HEADER_LEN + 8 || Mbuf.nbSegs(m) != 1) {
            return false;
        }
        // five loads, taken apart as a little-endian host lays them out (as FlowCache requires)
        long f = Mbuf.data(m);
        long ip = f + Ethernet.HEADER_LEN;
        long eth0 = Mem.nativeLong(f);      // destination MAC, source MAC's first two bytes
        long eth1 = Mem.nativeLong(f + 8);  // source MAC's last four, EtherType, version and IHL, TOS
        long h0 = Mem.nativeLong(ip);       // version and IHL, TOS, total length, id, flags and offset
        long h1 = Mem.nativeLong(ip + 8);   // TTL, protocol, checksum, source
        long h2 = Mem.nativeLong(ip + 16);  // destination, ports
        int total = Short.reverseBytes((short) (h0 >>> 16)) & 0xffff;
        int proto = (int) (h1 >>> 8) & 0xff;
        if (((eth1 >>> 32) & 0xff_ffff) != IPV4_IHL5_LE || total > len - Ethernet.HEADER_LEN
                || ((h0 >>> 48) & FRAGMENT_BITS_LE) != 0 || (h1 & 0xff) <= 1
                || !(proto == Ipv4.PROTO_UDP ? total >= 28 : proto == Ipv4.PROTO_TCP && total >= 40)
                || (eth0 & 0xffff_ffff_ffffL) != mac || !Checksum.headerOk20(h0, h1, (int) h2)) {
            return false;
        }
        burstK1[i] = ((long) Integer.reverseBytes((int) (h1 >>> 32)) << 32)
                | (Integer.reverseBytes((int) h2) & 0xffffffffL);
        burstK2[i] = FlowCache.k2(iface, proto, Integer.reverseBytes((int) (h2 >>> 32)));
        return true;
    }

    /**
     * Loads each received mbuf's header line and the first line of its frame, in a loop that does
     * nothing else, so that the misses of the whole burst overlap: the passes after it then find
     * them in L1, as C finds them after {@code rte_prefetch0}. Returns the sum of what it loaded.
     */
    private long touchHeaders(int n) {
        long sum = 0;
        for (int i = 0; i < n; i++) {
            sum += Mem.nativeLong(Mbuf.data(Mem.nativeLong(rxAddr + 8L * i)));
        }
        return sum;
    }

    /**
     * Loads the first line of each classified packet's flow-cache bucket, in a loop that does
     * nothing else: Java has no prefetch instruction, but a loop this small keeps a whole burst of
     * independent misses in flight at once (inside {@link #classify} the parsing around each load
     * leaves room for only a few). Returns the sum of what it loaded so the loads stay.
     */
    private long touchBuckets(int n) {
        final long[] buckets = burstBucket;
        long sum = 0;
        for (int i = 0; i < n; i++) {
            long b = buckets[i];
            if (b != 0 && b != BYPASSED) {
                sum += Mem.nativeLong(b);
            }
        }
        return sum;
    }

    /**
     * Starts a big table's look-ups of burst b's session flows: from the home slots
     * {@link #receive} prefetched (or now, if the table was smaller then), looks them up in the
     * session index. Their candidate sessions are found, and the candidates' records
     * prefetched, by {@link #findCandidates}.
     */
    private void startLookUps(RxBurst b) {
        if (!b.homesReady) {
            nat.findHomes(b.sessionK1, b.sessionK2, b.sessions, b.inside, b.batch, true);
            b.homesUpTo = b.sessions;
        }
        nat.establishedInIndex(b.sessionK1, b.sessionK2, b.sessions, b.sessionFlow);
        b.started = true;
        b.removals = nat.sessionRemovals();
        b.candidatesUpTo = 0;
    }

    /** The candidates of burst b's flows from the last found up to {@code to} ({@link Nat44#establishedCandidates}). */
    private void findCandidates(RxBurst b, int to) {
        nat.establishedCandidates(b.candidatesUpTo, to, b.sessionFlow, b.inside, b.batch);
        b.candidatesUpTo = to;
    }

    /**
     * The next {@link #INTERLEAVE} home slots of the burst {@link #interleaved} names prefetched,
     * when they were not on reception, and the candidates of the flows whose slots were
     * prefetched a step before found, among the packets of the burst before it: a whole burst's
     * prefetches at once are more than this host's core keeps in flight, and the work after them
     * then waits for all of them (memprobe's overlap mode), while a few at a time among other
     * work arrive behind it.
     */
    private void interleaveStep() {
        RxBurst b = interleaved;
        int homes = b.homesUpTo;
        if (homes < b.sessions) {
            b.homesUpTo = Math.min(homes + INTERLEAVE, b.sessions);
            nat.prefetchHomes(homes, b.homesUpTo, b.inside, b.batch);
            if (b.candidatesUpTo == homes) {
                return; // the first step: no slot has had time to arrive
            }
        }
        int to = Math.min(b.candidatesUpTo + INTERLEAVE, homes);
        findCandidates(b, to);
        if (to == b.sessions) {
            interleaved = null;
        }
    }

    /**
     * Gathers the tuples (without the interface) and burst positions of the burst's packets that
     * may take the established-session path, for {@link #lookUpSessions}. Returns their count.
     */
    private int gatherSessionTuples(int n) {
        int c = 0;
        for (int i = 0; i < n; i++) {
            if (burstBucket[i] != 0) {
                sessionK1[c] = burstK1[i];
                sessionK2[c] = burstK2[i] & FlowCache.TUPLE_MASK;
                sessionAt[c++] = i;
            }
        }
        return c;
    }

    /**
     * Looks up the session flows of the burst's eligible packets all at once (their index and
     * record misses overlapped: memory at a million sessions, L2 even at a thousand), then loads
     * the first line of each found flow's route-entry bucket, in a loop that does nothing else,
     * as {@link #touchBuckets} does. A found flow's route comes from its memo when it has one
     * ({@link #memoizedRoute}), else from {@link #routeOfSession}. In a big table the look-ups
     * are made with the shim's prefetch instructions, in two halves (loads would hold the core
     * until the records came); the next port's burst ({@code next}) gets its first half among
     * this burst's packets ({@link #interleaveStep}), so that its records arrive while this burst
     * is processed. Sessions are only removed after a round's bursts (housekeeping: expiry, the
     * control plane), so a flow found here is still that session's when its packet's turn comes
     * (a burst held over to the next round has the flows the session index gave checked again
     * if that round removed any); one its session came for in between is not found, and its
     * packet takes the pipeline.
     * Returns the sum of what it loaded.
     */
    private long lookUpSessions(RxBurst burst, RxBurst next) {
        int n = burst.n;
        int c = burst.sessions;
        boolean inside = burst.inside;
        for (int i = 0; i < n; i++) {
            burstFlow[i] = -1;
        }
        if (c == 0) {
            return 0;
        }
        RouteTable routes = snap.routes;
        if (burst.started && burst.removals != nat.sessionRemovals()) {
            // held over a round whose housekeeping removed sessions: a flow the session index
            // gave may be gone (a mapping's candidate is checked against its session anyway)
            nat.forgetRemovedFlows(sessionK1, sessionK2, c, sessionFlow);
        }
        boolean big = nat.bigTable();
        if (big) {
            if (!burst.started) {
                startLookUps(burst);
            }
            if (burst.candidatesUpTo < c) {
                findCandidates(burst, c);
            }
            // the next port's burst's too, its candidates found among this one's packets
            // (interleaveStep): their records arrive while this one is processed
            if (next != null && next.sessions > 0 && !next.started) {
                startLookUps(next);
                interleaved = next;
            }
        } else if (!burst.started) {
            nat.establishedFlows(sessionK1, sessionK2, c, sessionFlow, inside);
        }
        if (burst.started) {
            nat.confirmEstablished(sessionK1, sessionK2, c, sessionFlow, inside, burst.batch);
        }
        int found = 0;
        int generation = routeMemos.generation();
        for (int j = 0; j < c; j++) {
            int flow = sessionFlow[j];
            if (flow >= 0) {
                int i = sessionAt[j];
                burstFlow[i] = flow;
                if (!memoizedRoute(generation, i, flow)) {
                    routeOfSession(routes, generation, i, flow);
                }
                found++;
            }
        }
        long sum = inside && found < c ? nat.prepareNewFlows(sessionK1, sessionK2, c, sessionFlow) : 0;
        for (int j = 0; j < c; j++) {
            long b = sessionFlow[j] >= 0 ? burstRoute[sessionAt[j]] : 0;
            if (b != 0) {
                sum += Mem.nativeLong(b);
            }
        }
        return sum;
    }

    /**
     * The stamp a flow-cache entry is valid under now: the snapshot's version and the neighbour
     * table's, which another worker may change at any time. The short paths read it once per run
     * of packets they take ({@link #cached}, {@link #uncached}), not once a packet: the
     * neighbour version is volatile, and each read is a barrier C2 may not move the loop's loads
     * across. A change made during such a run counts from the next run, as if it had come after
     * those packets; the pipeline runs between two runs, and a fill reads the stamp afresh
     * ({@link #fillEntry}).
     */
    private long stamp() {
        return flowStamp ^ (neighbors.version() & 0xffffffffL);
    }

    private void fastPorts(Snapshot s) {
        fastIface = new int[physicalPorts];
        fastMac = new long[physicalPorts];
        for (int p = 0; p < physicalPorts; p++) {
            int iface = s.interfaceOf(p, 0);
            fastIface[p] = iface;
            fastMac[p] = iface < 0 ? -1 : Long.reverseBytes(s.mac[iface] << 16); // as classify loads it
        }
    }

    /**
     * The second pass over an RX burst: runs of packets the flow cache can take go through
     * {@link #cached}, each other packet through the full pipeline, in arrival order.
     */
    private void fromWire(int port, int n) {
        int i = 0;
        while (i < n) {
            if (traceRemaining != 0) {
                traced(Mem.nativeLong(rxAddr + 8L * i), port);
                i++;
                continue;
            }
            i = burstAside ? uncached(i, n) : cached(port, i, n);
            if (i < n) {
                frame(Mem.nativeLong(rxAddr + 8L * i), port);
                fillArmed = false;
                routeFillArmed = false;
                i++;
            }
        }
    }

    /**
     * The fast path, from packet {@code from} of the burst on: a packet {@link #classify} found
     * eligible (untagged, unfragmented TCP or UDP with a plain 20-byte IPv4 header, addressed to
     * us, a valid header checksum and TTL above 1) whose flow has a valid flow-cache entry gets
     * that entry's rewrite and is queued. Returns the index of the first packet it cannot take
     * (not eligible, a miss — which arms the fill — or too big for the egress MTU), or n. It never
     * calls the pipeline itself, so that C2 does not inline the pipeline into this loop.
     */
    private int cached(int port, int from, int n) {
        long stamp = stamp();
        for (int i = from; i < n; i++) {
            long b = burstBucket[i];
            if (b == 0) {
                return i;
            }
            long m = Mem.nativeLong(rxAddr + 8L * i);
            long k1 = burstK1[i];
            long k2 = burstK2[i];
            long e = 0;
            if (b != BYPASSED) {
                e = flows.findIn(b, k1, k2, stamp, now);
                flowLookups++;
            }
            if (e == 0) {
                if (sessionPath && established(m, i, k1, k2, stamp)) {
                    continue;
                }
                if (b != BYPASSED) {
                    fillArmed = true;
                    fillK1 = k1;
                    fillK2 = k2;
                }
                return i;
            }
            // the decision in four loads; then stores of wire-order bytes, and checksums updated in
            // native order (see FlowCache: its words are read as a little-endian host lays them out)
            long ports = Mem.nativeLong(e + FlowCache.OFF_PORTS);
            long macTail = Mem.nativeLong(e + FlowCache.OFF_MACS + 8);
            long f = Mbuf.data(m);
            long ip = f + Ethernet.HEADER_LEN;
            int total = Mem.u16(ip + 2);
            if (total > ((int) (macTail >>> 32) & 0xffff)) {
                return i; // too big for the egress MTU: the pipeline decides (ICMP or drop)
            }
            int proto = (int) (k2 >>> 32) & 0xff;
            if ((macTail & FlowCache.SESSION_BIT) != 0) {
                if (changesTcpState(ip, proto)) {
                    return i;
                }
                sessionHits++;
            } else {
                fastHits++;
                fastTranslated += (int) (macTail >>> 63);
            }
            if (macTail < 0) { // the TRANSLATED flag is the top bit
                Mem.nativeLong(ip + 12, Mem.nativeLong(e + FlowCache.OFF_ADDRESSES));
                Mem.nativeInt(ip + 20, (int) ports);
                int l4Delta = (int) (ports >>> 48);
                if (proto == Ipv4.PROTO_TCP) {
                    Mem.nativeU16(ip + 36, ChecksumDelta.apply(Mem.nativeU16(ip + 36), l4Delta));
                } else {
                    Mem.nativeU16(ip + 26, ChecksumDelta.applyUdp(Mem.nativeU16(ip + 26), l4Delta));
                }
            }
            // TTL, protocol and header checksum as one little-endian word; classify saw TTL > 1
            int w2 = Mem.nativeInt(ip + 8);
            int checksum = ChecksumDelta.apply(w2 >>> 16, (int) (ports >>> 32) & 0xffff);
            Mem.nativeInt(ip + 8, checksum << 16 | (w2 & 0xff00) | ((w2 & 0xff) - 1));
            flowHits++;
            ruleCounters.packet(FlowCache.rule(e), total); // rule 0 (none) for a plain forward
            sendAsEntry(m, f, total, e, macTail);
        }
        return n;
    }

    /**
     * {@link #cached} for a burst the flow cache stands aside for ({@link #classifyAside}): each
     * packet tries the established-session path. Returns the index of the first packet it cannot
     * take, or n.
     */
    private int uncached(int from, int n) {
        long stamp = stamp();
        for (int i = from; i < n; i++) {
            if ((i & (INTERLEAVE - 1)) == 0 && interleaved != null) {
                interleaveStep();
            }
            if (burstBucket[i] == 0) {
                return i;
            }
            long m = Mem.nativeLong(rxAddr + 8L * i);
            if (!(burstLookedUp ? establishedLookedUp(m, i, stamp) : established(m, i, burstK1[i], burstK2[i], stamp))) {
                return i;
            }
        }
        return n;
    }

    /**
     * The established-session path (VPP's nat44-ed fast path), for an eligible packet the flow
     * cache did not take: a TCP or UDP packet of a NAT session that changes no TCP state (no SYN,
     * FIN or RST) gets the session's rewrite, with the checksum deltas kept in the session. What
     * the pipeline decides around the NAT is decided the same way here: the source's checks
     * ({@link #sourceVerdict}) and the route of the translated destination ({@link #routeKey})
     * from the snapshot's route table; egress MACs, MTU and TX slot from the flow cache's route
     * entry of that route's egress and next hop, as the pipeline last filled it. The session is
     * refreshed as the pipeline would refresh it. While the flow cache is in use, the flow then
     * gets a session entry ({@link FlowCache#writeSession}), so that its next packets skip all of
     * this and the session's record too; the session is then refreshed as of the entry's expiry.
     * False (nothing changed) when the packet needs the pipeline: no session, TCP flags, a
     * martian or spoofed address, no route to forward by, no route entry (which arms its fill), or
     * too big for the egress MTU.
     */
    private boolean established(long m, int i, long k1, long k2, long stamp) {
        int proto = (int) (k2 >>> 32) & 0xff;
        long ip = Mbuf.data(m) + Ethernet.HEADER_LEN;
        if (!plainPacket(ip, proto, k1)) {
            return false;
        }
        int flow = burstLookedUp ? burstFlow[i] : nat.establishedFlow(k1, k2 & FlowCache.TUPLE_MASK);
        if (flow < 0) {
            return false;
        }
        long key = burstLookedUp ? burstRouteKey[i]
                : sessionRouteKey(snap.routes, sourceVerdict(snap.routes, k1, k2), flow);
        long e = routeEntry(key, burstLookedUp ? burstRoute[i] : flows.bucket(key, FlowCache.ROUTE_K2), stamp);
        if (e == 0) {
            return false;
        }
        boolean entry = burstBucket[i] != BYPASSED;
        long until = entry ? FlowCache.expiresAt(e) : now;
        if (!translateEstablished(m, ip, proto, flow, e, until)) {
            return false;
        }
        if (entry) {
            long rk1 = nat.rewriteK1(flow);
            int deltas = nat.flowDeltas(flow);
            FlowCache.writeSession(flows.put(k1, k2, stamp, nat.ruleOf(flow), now, until), e, (int) (rk1 >>> 32),
                    (int) rk1, (int) nat.rewriteK2(flow), ChecksumDelta.add(deltas & 0xffff, Ipv4.TTL_DECREMENT_DELTA),
                    deltas >>> 16);
        }
        return true;
    }

    /**
     * {@link #established} for packet i of a burst whose session look-ups {@link #lookUpSessions}
     * made, when the flow cache stands aside (no session entry to leave): a method of its own,
     * so that C2 compiles the big table's path without the other's branches, look-ups and entry.
     */
    private boolean establishedLookedUp(long m, int i, long stamp) {
        long k2 = burstK2[i];
        int proto = (int) (k2 >>> 32) & 0xff;
        long ip = Mbuf.data(m) + Ethernet.HEADER_LEN;
        if (!plainPacket(ip, proto, burstK1[i])) {
            return false;
        }
        int flow = burstFlow[i];
        if (flow < 0) {
            return false;
        }
        long e = routeEntry(burstRouteKey[i], burstRoute[i], stamp);
        return e != 0 && translateEstablished(m, ip, proto, flow, e, now);
    }

    /**
     * Whether a packet (IP header at ip, flow key k1) may take the established-session path as
     * far as its own header goes: it changes no TCP state, and neither address is one the
     * pipeline drops before NAT (both tests are the first-octet ones of Ipv4).
     */
    private static boolean plainPacket(long ip, int proto, long k1) {
        int src = (int) (k1 >>> 32);
        int dst = (int) k1;
        return !changesTcpState(ip, proto) && src != dst && !Ipv4.isMartianSource(src) && !Ipv4.isMartianSource(dst);
    }

    /**
     * The valid route entry of {@link #routeKey} key in flow-cache bucket {@code bucket}, or 0:
     * none to leave by (key -1), or none filled yet, which arms its fill.
     */
    private long routeEntry(long key, long bucket, long stamp) {
        if (key < 0) {
            return 0;
        }
        long e = flows.findIn(bucket, key, FlowCache.ROUTE_K2, stamp, now);
        if (e == 0) {
            routeFillArmed = true;
        }
        return e;
    }

    /**
     * The end of the established-session path, for packet m (IP header at ip) of session flow
     * {@code flow}, leaving as route entry e says: the session refreshed as of {@code asOf}, its
     * rewrite applied with the checksum deltas kept in the session, the frame staged. False
     * (nothing changed) when the packet is too big for the egress MTU: the pipeline decides
     * (ICMP or drop).
     */
    private boolean translateEstablished(long m, long ip, int proto, int flow, long e, long asOf) {
        long macTail = Mem.nativeLong(e + FlowCache.OFF_MACS + 8);
        int total = Mem.u16(ip + 2);
        if (total > ((int) (macTail >>> 32) & 0xffff)) {
            return false;
        }
        nat.refreshEstablished(flow, proto, asOf);
        long rk1 = nat.rewriteK1(flow);
        int newPorts = (int) nat.rewriteK2(flow);
        int deltas = nat.flowDeltas(flow);
        int ipDelta = ChecksumDelta.add(deltas & 0xffff, Ipv4.TTL_DECREMENT_DELTA);
        int l4Delta = deltas >>> 16;
        Mem.i32(ip + 12, (int) (rk1 >>> 32));
        Mem.i32(ip + 16, (int) rk1);
        Mem.i32(ip + 20, newPorts);
        if (proto == Ipv4.PROTO_TCP) {
            Mem.u16(ip + 36, ChecksumDelta.apply(Mem.u16(ip + 36), l4Delta));
        } else {
            Mem.u16(ip + 26, ChecksumDelta.applyUdp(Mem.u16(ip + 26), l4Delta));
        }
        // TTL, protocol, header checksum; classify saw TTL > 1
        int w2 = Mem.i32(ip + 8);
        Mem.i32(ip + 8, ((w2 - 0x0100_0000) & 0xffff_0000) | ChecksumDelta.apply(w2 & 0xffff, ipDelta));
        sessionHits++;
        ruleCounters.packet(nat.ruleOf(flow), total);
        sendAsEntry(m, ip - Ethernet.HEADER_LEN, total, e, macTail);
        return true;
    }

    /**
     * The pipeline's verdict on a packet's source, past the martian tests: 0 when it passes;
     * {@link Counters#MARTIAN_SOURCE} for one of the appliance's own addresses;
     * {@link Counters#SPOOFED_SOURCE} when anti-spoofing is on for the ingress interface and the
     * source is not routed back through it.
     */
    private int sourceVerdict(RouteTable routes, int src, int iface) {
        int back = routes.lookup(src);
        if (back >= 0 && routes.kind(back) == RouteTable.KIND_LOCAL) {
            return Counters.MARTIAN_SOURCE;
        }
        if (snap.antiSpoofing[iface] && (back < 0 || routes.egressInterface(back) != iface)) {
            return Counters.SPOOFED_SOURCE;
        }
        return 0;
    }

    /** {@link #sourceVerdict} of a packet with flow key k1, k2. */
    private int sourceVerdict(RouteTable routes, long k1, long k2) {
        return sourceVerdict(routes, (int) (k1 >>> 32), (int) (k2 >>> 48));
    }

    /**
     * For burst packet i of session flow {@code flow}: {@link #sessionRouteKey} into
     * {@link #burstRouteKey} and its flow-cache bucket into {@link #burstRoute}, from the flow's
     * route memo when it has one of this generation for the packet's ingress interface; false
     * otherwise ({@link #routeOfSession} then computes them). Kept apart from that so that C2
     * inlines it into {@link #lookUpSessions}: the two as one method were compiled on their own
     * first and then left as a call per packet ("already compiled into a big method").
     */
    private boolean memoizedRoute(int generation, int i, int flow) {
        int memo = nat.routeMemo(flow, generation);
        if (memo == 0 || !routeMemos.madeFor(memo, (int) (burstK2[i] >>> 48))) {
            return false;
        }
        burstRouteKey[i] = routeMemos.key(memo);
        burstRoute[i] = routeMemos.bucket(memo);
        return true;
    }

    /**
     * {@link #memoizedRoute} for a flow with no memo of use: computed (0 for none in
     * {@link #burstRoute}), and memoized when the packet may leave that way.
     */
    private void routeOfSession(RouteTable routes, int generation, int i, int flow) {
        long k2 = burstK2[i];
        long key = sessionRouteKey(routes, sourceVerdict(routes, burstK1[i], k2), flow);
        long bucket = key < 0 ? 0 : flows.bucket(key, FlowCache.ROUTE_K2);
        burstRouteKey[i] = key;
        burstRoute[i] = bucket;
        if (key >= 0) {
            int memo = routeMemos.number((int) (k2 >>> 48), key, bucket);
            if (memo != 0) {
                nat.setRouteMemo(flow, generation, memo);
            }
        }
    }

    /**
     * The {@link #routeKey} a packet of session flow {@code flow} leaves by once translated; -1
     * also when its source failed the pipeline's checks (verdict not 0, {@link #sourceVerdict}).
     */
    private long sessionRouteKey(RouteTable routes, int verdict, int flow) {
        return verdict != 0 ? -1 : routeKey(routes, (int) nat.rewriteK1(flow));
    }

    /**
     * The key of the route entry a translated packet to dst leaves by: its egress interface and
     * next hop ({@code egress << 32 | next hop}), what the entry's MACs, MTU and TX slot depend
     * on. So route entries are as many as next hops, however many destinations lie behind them.
     * -1 when the pipeline must decide: no route, a local route, a directed broadcast.
     */
    private static long routeKey(RouteTable routes, int dst) {
        int r = routes.lookup(dst);
        if (r < 0 || routes.kind(r) == RouteTable.KIND_LOCAL || isDirectedBroadcast(routes, r, dst)) {
            return -1;
        }
        int gw = routes.gateway(r);
        return routeEntryKey(routes.egressInterface(r), gw != 0 ? gw : dst);
    }

    private static long routeEntryKey(int egress, int nextHop) {
        return (long) egress << 32 | (nextHop & 0xffffffffL);
    }

    /** A TCP packet (20-byte IP header at ip) with SYN, FIN or RST: only the pipeline follows TCP state. */
    private static boolean changesTcpState(long ip, int proto) {
        return proto == Ipv4.PROTO_TCP && (Mem.u8(ip + 33) & TCP_SYN_FIN_RST) != 0;
    }

    /**
     * The end of both short paths, for a frame whose IP packet is total bytes: its Ethernet
     * padding dropped, the MACs of flow-cache entry e written, the frame staged on the entry's TX
     * slot. macTail is the entry's last word (source MAC tail, MTU, slot, flags).
     */
    private void sendAsEntry(long m, long f, int total, long e, long macTail) {
        int len = Mbuf.dataLen(m);
        if (total < len - Ethernet.HEADER_LEN) {
            len = Ethernet.HEADER_LEN + total;
            Mbuf.setLength(m, len); // drop Ethernet padding
        }
        Mem.nativeLong(f, Mem.nativeLong(e + FlowCache.OFF_MACS));
        Mem.nativeInt(f + 8, (int) macTail);
        int slot = (int) (macTail >>> 48) & 0xff;
        if (stage(slot, m, len)) {
            flush(slot);
        }
    }

    /**
     * Records the decision the pipeline just reached for the flow whose cache miss armed it: the
     * packet (already translated, TTL not yet decremented) leaves on egress towards nextHop.
     * Only plain forwarding and stateless 1:1 get here; the caller checked that.
     */
    private void fill(long ip, int egress, int nextHop, boolean translated) {
        fillArmed = false;
        int src = (int) (fillK1 >>> 32);
        int dst = (int) fillK1;
        int ports = (int) fillK2;
        int newSrc = Ipv4.src(ip);
        int newDst = Ipv4.dst(ip);
        int newPorts = Mem.i32(ip + 20);
        int ipDelta = ChecksumDelta.add(ChecksumDelta.delta32(src, newSrc), ChecksumDelta.delta32(dst, newDst));
        int l4Delta = ChecksumDelta.add(ipDelta, ChecksumDelta.delta32(ports, newPorts));
        fillEntry(fillK1, fillK2, egress, nextHop, newSrc, newDst, newPorts,
                ChecksumDelta.add(ipDelta, Ipv4.TTL_DECREMENT_DELTA), l4Delta, translated ? nat.rule : 0, translated);
    }

    /**
     * Records what the pipeline just decided for the established-session packet whose missing
     * route entry armed it: how packets leave by this egress and next hop (a route entry: the
     * egress half of an entry, keyed as {@link #routeKey} keys it).
     */
    private void fillEstablished(int egress, int nextHop) {
        routeFillArmed = false;
        fillEntry(routeEntryKey(egress, nextHop), FlowCache.ROUTE_K2, egress, nextHop, 0, 0, 0, 0, 0, 0, false);
    }

    /**
     * A flow-cache entry for this key, the decision of NAT rule {@code rule} (a counter id, 0 for
     * none), unless the next hop is unresolved or stale or the egress tagged.
     */
    private void fillEntry(long k1, long k2, int egress, int nextHop, int newSrc, int newDst, int newPorts, int ipDelta,
                           int l4Delta, int rule, boolean translated) {
        long stamp = stamp(); // before the MAC: a change after it invalidates
        long mac = neighbors.mac(nextHop);
        if (mac == NeighborTable.UNKNOWN || neighbors.isStale(nextHop, now) || snap.vlan[egress] != 0) {
            return;
        }
        long e = flows.put(k1, k2, stamp, rule, now, flows.expiry(now));
        FlowCache.write(e, newSrc, newDst, newPorts, ipDelta, l4Delta, mac, snap.mac[egress], snap.mtu[egress],
                snap.port[egress], translated);
    }

    /**
     * The trace's slow path, taken only while tracing is armed: the packet goes through
     * {@link #frame} like any other, but on a clean slate (TX staging and drops flushed first),
     * so that its fate can be read off afterwards from the staging arrays, the pending queue and
     * the counters, with no trace hooks anywhere else in the pipeline.
     */
    private void traced(long m, int port) {
        traceRemaining--;
        int i = tracer.next();
        if (i >= Tracer.CAPACITY) {
            frame(m, port);
            return;
        }
        for (int p = 0; p < tx.length; p++) {
            flush(p);
        }
        freeDrops();
        long[] e = tracer.entries;
        int b = i * Tracer.STRIDE;
        long l2 = Tracer.describe(Mbuf.data(m), Mbuf.dataLen(m), e, b + Tracer.BEFORE_L3);
        int vid = (int) l2 & 0xfff;
        int ingress = snap.interfaceOf(port, vid);
        e[b + Tracer.NANOS] = now;
        e[b + Tracer.INGRESS] = ((long) (ingress + 1) << 48) | ((l2 >>> 32) << 32) | ((long) vid << 16) | port;
        int eventBase = counters.ports() * Counters.PORT_STRIDE;
        System.arraycopy(counters.values, eventBase, traceEvents, 0, Counters.EVENT_COUNT);
        int pendingBefore = pendingCount;
        int sessionsBefore = nat.sessionCount();

        frame(m, port);

        int outcome = Tracer.UNKNOWN;
        int detail = 0;
        int natWord = 0;
        int slot = stagedSlotOf(m);
        if (slot >= 0) {
            long after = Tracer.describe(Mbuf.data(m), Mbuf.dataLen(m), e, b + Tracer.AFTER_L3);
            natWord |= Tracer.HAS_AFTER;
            if (slot >= physicalPorts) {
                outcome = Tracer.TO_KERNEL;
                detail = slot - physicalPorts + 1;
            } else {
                outcome = traceCounted(Counters.ECHO_REPLIED, eventBase) || traceCounted(Counters.ARP_REPLIED, eventBase)
                        ? Tracer.REPLIED : Tracer.FORWARDED;
                detail = snap.interfaceOf(slot, (int) after & 0xfff) + 1;
            }
        } else {
            int k = pendingBefore;
            while (k < pendingCount && pendingMbuf[k] != m) {
                k++;
            }
            if (k < pendingCount) {
                Tracer.describe(Mbuf.data(m), Mbuf.dataLen(m), e, b + Tracer.AFTER_L3);
                natWord |= Tracer.HAS_AFTER;
                outcome = Tracer.AWAITING_ARP;
                detail = pendingIface[k] + 1;
            } else if (traceCounted(Counters.HANDED_OFF, eventBase)) {
                outcome = Tracer.HANDED_OFF; // m belongs to worker 0 now: not read again here
            } else if (traceCounted(Counters.FRAGMENTS_PARKED, eventBase)) {
                outcome = Tracer.PARKED;
            } else if (traceCounted(Counters.ARP_REPLIES_LEARNT, eventBase)) {
                outcome = Tracer.LEARNT;
            } else {
                for (int r = 0; r < Counters.DROP_REASONS; r++) {
                    if (r != Counters.NEIGHBOR_TABLE_FULL && traceCounted(r, eventBase)) {
                        outcome = Tracer.DROPPED;
                        detail = r;
                        break;
                    }
                }
            }
        }
        if (traceCounted(Counters.ICMP_ERRORS_SENT, eventBase)) {
            natWord |= Tracer.ICMP_ERROR_SENT;
        }
        if ((outcome == Tracer.FORWARDED || outcome == Tracer.AWAITING_ARP)
                && traceCounted(Counters.NAT_TRANSLATED, eventBase)) {
            natWord |= nat.traceKind(e[b + Tracer.BEFORE_L3], e[b + Tracer.BEFORE_L4]);
            if (nat.sessionCount() > sessionsBefore) {
                natWord |= Tracer.NEW_SESSION;
            }
        }
        e[b + Tracer.VERDICT] = ((long) outcome << 32) | detail;
        e[b + Tracer.NAT] = natWord;
        tracer.publish(i + 1);
    }

    /** The TX slot where m waits to be sent, or -1. */
    private int stagedSlotOf(long m) {
        for (int p = 0; p < tx.length; p++) {
            for (int k = 0; k < txCount[p]; k++) {
                if (Mem.nativeLong(txAddr[p] + 8L * k) == m) {
                    return p;
                }
            }
        }
        return -1;
    }

    /** Did the traced packet's processing count this event? */
    private boolean traceCounted(int event, int eventBase) {
        return counters.values[eventBase + event] != traceEvents[event];
    }

    /** A frame received on an engine port (directly, or handed over by another worker). */
    private void frame(long m, int port) {
        int len = Mbuf.dataLen(m);
        if (Mbuf.nbSegs(m) != 1) {
            drop(m, Counters.MULTI_SEGMENT);
            return;
        }
        long f = Mbuf.data(m);
        if (len < Ethernet.HEADER_LEN) {
            drop(m, Counters.TRUNCATED);
            return;
        }
        int type = Mem.u16(f + Ethernet.OFF_TYPE);
        int l2 = Ethernet.HEADER_LEN;
        int vid = 0;
        if (type == Ethernet.TPID_VLAN) {
            if (len < Ethernet.HEADER_LEN + Ethernet.VLAN_TAG_LEN) {
                drop(m, Counters.TRUNCATED);
                return;
            }
            vid = Mem.u16(f + 14) & 0xfff;
            type = Mem.u16(f + 16);
            l2 += Ethernet.VLAN_TAG_LEN;
        }
        int iface = snap.interfaceOf(port, vid);
        if (iface < 0) {
            drop(m, Counters.UNKNOWN_VLAN);
            return;
        }
        long dmac = Ethernet.dst(f);
        if (dmac != snap.mac[iface] && !(dmac == Ethernet.BROADCAST && type == Ethernet.TYPE_ARP)) {
            drop(m, Counters.NOT_FOR_US);
            return;
        }
        if (type == Ethernet.TYPE_IPV4) {
            ipv4(m, f, l2, len, iface);
        } else if (type == Ethernet.TYPE_ARP) {
            arp(m, f, l2, len, iface);
        } else {
            drop(m, Counters.UNKNOWN_ETHERTYPE);
        }
    }

    private void arp(long m, long f, int l2, int len, int iface) {
        if (len < l2 + Arp.LEN) {
            drop(m, Counters.TRUNCATED);
            return;
        }
        long a = f + l2;
        if (!Arp.isEthernetIpv4(a)) {
            drop(m, Counters.ARP_INVALID);
            return;
        }
        int op = Arp.op(a);
        int spa = Arp.senderIp(a);
        long sha = Arp.senderMac(a);
        int tpa = Arp.targetIp(a);
        if ((op != Arp.OP_REQUEST && op != Arp.OP_REPLY) || Ethernet.isMulticast(sha) || !onLink(iface, spa)
                || snap.isOwnAddress(spa)) {
            drop(m, Counters.ARP_INVALID);
            return;
        }
        if (!isLocalOn(iface, tpa) && snap.nat.proxyArpInterface(tpa) != iface) {
            neighbors.refreshIfKnown(spa, sha, now);
            drop(m, Counters.ARP_NOT_FOR_US);
            return;
        }
        if (!neighbors.learn(spa, sha, now)) {
            counters.count(Counters.NEIGHBOR_TABLE_FULL);
        }
        if (op == Arp.OP_REQUEST) {
            long mine = snap.mac[iface];
            Ethernet.dst(f, sha);
            Ethernet.src(f, mine);
            Arp.write(a, Arp.OP_REPLY, mine, tpa, sha, spa);
            Mbuf.setLength(m, Math.max(l2 + Arp.LEN, 60));
            counters.count(Counters.ARP_REPLIED);
            enqueue(snap.port[iface], m);
        } else if (txPortId[physicalPorts + iface] < 0) {
            drop(m, Counters.ARP_REPLIES_LEARNT); // freed, and counted among the events, not the drops
        } else {
            // The kernel behind the TAP learns neighbours from replies to its own requests.
            toKernel(m, f, l2, iface);
        }
    }

    private void ipv4(long m, long f, int l2, int len, int iface) {
        long ip = f + l2;
        int avail = len - l2;
        if (avail < Ipv4.MIN_HEADER_LEN) {
            drop(m, Counters.TRUNCATED);
            return;
        }
        int vihl = Mem.u8(ip);
        if ((vihl >>> 4) != 4) {
            drop(m, Counters.BAD_VERSION);
            return;
        }
        int ihl = (vihl & 0xf) << 2;
        if (ihl < Ipv4.MIN_HEADER_LEN) {
            drop(m, Counters.BAD_IHL);
            return;
        }
        if (ihl > avail) {
            drop(m, Counters.TRUNCATED);
            return;
        }
        int total = Ipv4.totalLen(ip);
        if (total < ihl || total > avail) {
            drop(m, Counters.BAD_TOTAL_LENGTH);
            return;
        }
        if (!Ipv4.headerChecksumOk(ip, ihl)) {
            drop(m, Counters.BAD_IP_CHECKSUM);
            return;
        }
        if (total < avail) {
            Mbuf.setLength(m, l2 + total); // drop Ethernet padding
        }
        int src = Ipv4.src(ip);
        int dst = Ipv4.dst(ip);
        RouteTable routes = snap.routes;
        if (Ipv4.isMartianSource(src) || src == dst) {
            drop(m, Counters.MARTIAN_SOURCE);
            return;
        }
        int verdict = sourceVerdict(routes, src, iface);
        if (verdict != 0) {
            drop(m, verdict);
            return;
        }
        if (Ipv4.isMartianDestination(dst) || Ipv4.isMulticast(dst)) {
            drop(m, Counters.MARTIAN_DESTINATION);
            return;
        }
        boolean natRules = snap.nat.hasRules;
        boolean natOn = natActive;
        if (handOff && needsOwner(iface, dst)) {
            if (toOwner.offer(m, snap.port[iface])) {
                counters.count(Counters.HANDED_OFF);
            } else {
                drop(m, Counters.HANDOFF_FULL);
            }
            return;
        }
        boolean translate = false;
        if (natOn) {
            if (Ipv4.protocol(ip) == Ipv4.PROTO_ICMP && !icmpIntact(ip, ihl, total)) {
                drop(m, Counters.BAD_ICMP_CHECKSUM);
                return;
            }
            if (!l4HeaderFits(ip, ihl, total)) {
                drop(m, Counters.TRUNCATED); // NAT would read and rewrite ports that are not there
                return;
            }
            int v = nat.inbound(m, ip, ihl, total, iface, snap, now);
            if (v == Nat44.TRANSLATE) {
                translate = true;
                dst = nat.newDst;
            } else if (v == Nat44.PARKED) {
                return;
            } else if (v != Nat44.PASS) {
                drop(m, v);
                return;
            }
        }
        int r = routes.lookup(dst);
        if (r < 0) {
            icmpError(m, ip, ihl, total, iface, Icmp.TYPE_UNREACHABLE, Icmp.CODE_NET_UNREACHABLE, 0);
            drop(m, Counters.NO_ROUTE);
            return;
        }
        if (routes.kind(r) == RouteTable.KIND_LOCAL && !translate) {
            local(m, f, l2, ip, ihl, total, iface);
            return;
        }
        if (isDirectedBroadcast(routes, r, dst)) {
            drop(m, Counters.MARTIAN_DESTINATION);
            return;
        }
        int egress = routes.egressInterface(r);
        if (Ipv4.ttl(ip) <= 1) {
            icmpError(m, ip, ihl, total, iface, Icmp.TYPE_TIME_EXCEEDED, Icmp.CODE_TTL_EXCEEDED, 0);
            drop(m, Counters.TTL_EXPIRED);
            return;
        }
        if (total > snap.mtu[egress]) {
            if ((Ipv4.fragField(ip) & Ipv4.FLAG_DF) != 0) {
                icmpError(m, ip, ihl, total, iface, Icmp.TYPE_UNREACHABLE, Icmp.CODE_FRAGMENTATION_NEEDED,
                        snap.mtu[egress]);
                drop(m, Counters.TOO_BIG_DF);
            } else {
                drop(m, Counters.TOO_BIG_NO_FRAGMENTATION);
            }
            return;
        }
        if (natOn) {
            if (!translate && natRules) {
                int v = nat.outbound(m, ip, ihl, total, iface, egress, snap);
                if (v == Nat44.TRANSLATE) {
                    translate = true;
                } else if (v == Nat44.PARKED) {
                    return;
                } else if (v != Nat44.PASS) {
                    drop(m, v);
                    return;
                }
            }
            if (translate) {
                if (!nat.quoteUsable(ip, ihl, total)) {
                    drop(m, Counters.NAT_BAD_QUOTE);
                    return;
                }
                int released = nat.recordFirstFragment(ip, ihl, total);
                if (released < 0) {
                    drop(m, -released);
                    return;
                }
                nat.apply(ip, ihl, total);
                counters.count(Counters.NAT_TRANSLATED);
                ruleCounters.packet(nat.rule, total);
                if (released > 0) {
                    forwardThenRelease(m, l2, r, released);
                    return;
                }
            }
        }
        int gw = routes.gateway(r);
        if (fillArmed && (!translate || nat.stateless) && l2 == Ethernet.HEADER_LEN && ihl == Ipv4.MIN_HEADER_LEN) {
            fill(ip, egress, gw != 0 ? gw : dst, translate);
        } else if (routeFillArmed && translate && nat.bySession && l2 == Ethernet.HEADER_LEN
                && ihl == Ipv4.MIN_HEADER_LEN) {
            fillEstablished(egress, gw != 0 ? gw : dst);
        }
        Ipv4.decrementTtl(ip);
        counters.count(Counters.FORWARDED);
        output(m, l2, egress, gw != 0 ? gw : dst);
    }

    /**
     * Could this packet need NAT session state (which worker 0 owns)? Traffic to a NAT public
     * address or to the appliance (reflection and its replies), and traffic from an internal
     * interface that leaves an external one (outbound NAT, port-forward replies).
     */
    private boolean needsOwner(int iface, int dst) {
        if (snap.nat.natAddressInterface(dst) >= 0) {
            return true;
        }
        if (snap.retiredNat != null && snap.retiredNat.get(dst) >= 0) {
            return true;
        }
        int r = snap.routes.lookup(dst);
        if (r < 0) {
            return false;
        }
        return snap.routes.kind(r) == RouteTable.KIND_LOCAL
                || (!snap.external[iface] && snap.external[snap.routes.egressInterface(r)]);
    }

    /** ICMP errors crossing the NAT must have a good checksum (RFC 5508 REQ-4); other ICMP is not checked here. */
    /** A first fragment of TCP or UDP holds its whole header (20 and 8 bytes); anything else passes. */
    private static boolean l4HeaderFits(long ip, int ihl, int total) {
        int proto = Ipv4.protocol(ip);
        if ((Ipv4.fragField(ip) & Ipv4.FRAG_OFFSET_MASK) != 0) {
            return true;
        }
        return proto == Ipv4.PROTO_TCP ? total - ihl >= 20 : proto != Ipv4.PROTO_UDP || total - ihl >= 8;
    }

    private static boolean icmpIntact(long ip, int ihl, int total) {
        if ((Ipv4.fragField(ip) & (Ipv4.FLAG_MF | Ipv4.FRAG_OFFSET_MASK)) != 0 || total - ihl < Icmp.HEADER_LEN) {
            return true;
        }
        return !Icmp.isError(Icmp.type(ip + ihl)) || Icmp.checksumOk(ip + ihl, total - ihl);
    }

    /**
     * Sends a translated first fragment on, then the later fragments that arrived before it
     * (parked by the NAT, validated then): they get the same addresses and go the same way.
     */
    private void forwardThenRelease(long m, int l2, int r, int released) {
        long ip = Mbuf.data(m) + l2;
        int newSrc = Ipv4.src(ip);
        int newDst = Ipv4.dst(ip);
        Ipv4.decrementTtl(ip);
        int egress = snap.routes.egressInterface(r);
        int gw = snap.routes.gateway(r);
        int nextHop = gw != 0 ? gw : newDst;
        counters.count(Counters.FORWARDED);
        output(m, l2, egress, nextHop);
        for (int i = 0; i < released; i++) {
            long fragment = nat.released[i];
            long f = Mbuf.data(fragment);
            int fl2 = Mem.u16(f + Ethernet.OFF_TYPE) == Ethernet.TPID_VLAN
                    ? Ethernet.HEADER_LEN + Ethernet.VLAN_TAG_LEN : Ethernet.HEADER_LEN;
            long fip = f + fl2;
            if (Ipv4.ttl(fip) <= 1) {
                drop(fragment, Counters.TTL_EXPIRED);
                continue;
            }
            if (Ipv4.totalLen(fip) > snap.mtu[egress]) {
                drop(fragment, Counters.TOO_BIG_NO_FRAGMENTATION);
                continue;
            }
            nat.applyAddresses(fip, newSrc, newDst);
            Ipv4.decrementTtl(fip);
            counters.count(Counters.NAT_TRANSLATED);
            ruleCounters.packet(nat.rule, Ipv4.totalLen(fip));
            counters.count(Counters.FORWARDED);
            output(fragment, fl2, egress, nextHop);
        }
    }

    private static boolean isDirectedBroadcast(RouteTable routes, int r, int dst) {
        int len = routes.prefixLength(r);
        return routes.kind(r) == RouteTable.KIND_CONNECTED && len <= 30 && (dst | (-1 << (32 - len))) == -1;
    }

    /** Traffic to one of the appliance's addresses: echo is answered here, the rest goes to the kernel. */
    private void local(long m, long f, int l2, long ip, int ihl, int total, int iface) {
        if (Ipv4.protocol(ip) == Ipv4.PROTO_ICMP && (Ipv4.fragField(ip) & (Ipv4.FLAG_MF | Ipv4.FRAG_OFFSET_MASK)) == 0
                && total - ihl >= Icmp.HEADER_LEN && Icmp.type(ip + ihl) == Icmp.TYPE_ECHO_REQUEST
                && Icmp.code(ip + ihl) == 0) {
            long icmp = ip + ihl;
            if (!Icmp.checksumOk(icmp, total - ihl)) {
                drop(m, Counters.BAD_ICMP_CHECKSUM);
                return;
            }
            int src = Ipv4.src(ip);
            int r = snap.routes.lookup(src);
            if (r < 0) {
                drop(m, Counters.NO_ROUTE);
                return;
            }
            Mem.u8(icmp, Icmp.TYPE_ECHO_REPLY);
            Mem.u16(icmp + 2, ChecksumDelta.update16(Mem.u16(icmp + 2), Icmp.TYPE_ECHO_REQUEST << 8, 0));
            int oldTtlWord = Mem.u16(ip + Ipv4.OFF_TTL);
            int newTtlWord = (DEFAULT_TTL << 8) | Ipv4.PROTO_ICMP;
            Mem.u16(ip + Ipv4.OFF_TTL, newTtlWord);
            Mem.u16(ip + Ipv4.OFF_CHECKSUM, ChecksumDelta.update16(Ipv4.checksum(ip), oldTtlWord, newTtlWord));
            // Swapping source and destination leaves the header sum unchanged.
            Ipv4.src(ip, Ipv4.dst(ip));
            Ipv4.dst(ip, src);
            counters.count(Counters.ECHO_REPLIED);
            int gw = snap.routes.gateway(r);
            output(m, l2, snap.routes.egressInterface(r), gw != 0 ? gw : src);
            return;
        }
        if (txPortId[physicalPorts + iface] < 0) {
            int proto = Ipv4.protocol(ip);
            // ICMP other than echo is dropped quietly (RFC 1122 3.2.2): "protocol unreachable" would
            // say the appliance has no ICMP
            if (proto != Ipv4.PROTO_ICMP) {
                icmpError(m, ip, ihl, total, iface, Icmp.TYPE_UNREACHABLE,
                        proto == Ipv4.PROTO_UDP || proto == Ipv4.PROTO_TCP ? Icmp.CODE_PORT_UNREACHABLE
                                : Icmp.CODE_PROTOCOL_UNREACHABLE, 0);
            }
            drop(m, Counters.LOCAL_UNHANDLED);
            return;
        }
        toKernel(m, f, l2, iface);
    }

    /** Hands a frame to the interface's TAP, untagged, MAC addresses kept. */
    private void toKernel(long m, long f, int l2, int iface) {
        int slot = physicalPorts + iface;
        if (txPortId[slot] < 0) {
            drop(m, Counters.LOCAL_UNHANDLED);
            return;
        }
        if (!toKernel[iface].take()) {
            drop(m, Counters.KERNEL_POLICED);
            return;
        }
        if (l2 != Ethernet.HEADER_LEN) {
            Mem.copy(f, f + Ethernet.VLAN_TAG_LEN, 12);
            Mbuf.adjustFront(m, Ethernet.VLAN_TAG_LEN);
        }
        counters.count(Counters.TO_KERNEL);
        enqueue(slot, m);
    }

    /** A frame the kernel sent through an interface's TAP goes out on that interface as it is. */
    private void fromKernel(long m, int iface) {
        int len = Mbuf.dataLen(m);
        counters.add(physicalPorts + iface, Counters.RX_PACKETS, 1);
        counters.add(physicalPorts + iface, Counters.RX_BYTES, len);
        if (len < Ethernet.HEADER_LEN || Mbuf.nbSegs(m) != 1) {
            drop(m, Counters.TRUNCATED);
            return;
        }
        int vid = snap.vlan[iface];
        if (vid != 0) {
            if (Mbuf.dataOff(m) < Ethernet.VLAN_TAG_LEN) {
                drop(m, Counters.MBUF_EXHAUSTED);
                return;
            }
            long f = Mbuf.data(m);
            int type = Mem.u16(f + Ethernet.OFF_TYPE);
            Mbuf.adjustFront(m, -Ethernet.VLAN_TAG_LEN);
            long nf = f - Ethernet.VLAN_TAG_LEN;
            Mem.copy(f, nf, 12);
            Mem.u16(nf + 12, Ethernet.TPID_VLAN);
            Mem.u16(nf + 14, vid);
            Mem.u16(nf + 16, type);
        }
        counters.count(Counters.FROM_KERNEL);
        enqueue(snap.port[iface], m);
    }

    // ---- egress -----------------------------------------------------------------------------

    /** Sends an IPv4 packet (whose L2 header is l2 bytes) towards nextHop on egress, resolving it first if needed. */
    private void output(long m, int l2, int egress, int nextHop) {
        long mac = neighbors.mac(nextHop);
        if (mac == NeighborTable.UNKNOWN) {
            requestIfDue(egress, nextHop);
            if (pendingCount == PENDING_CAPACITY) {
                drop(m, Counters.NEIGHBOR_QUEUE_FULL);
                return;
            }
            long f = Mbuf.data(m);
            if (l2 != Ethernet.HEADER_LEN) { // park it untagged; send() re-tags for the egress interface
                Mem.copy(f, f + Ethernet.VLAN_TAG_LEN, 12);
                Mbuf.adjustFront(m, Ethernet.VLAN_TAG_LEN);
            }
            pendingMbuf[pendingCount] = m;
            pendingIface[pendingCount] = egress;
            pendingNextHop[pendingCount] = nextHop;
            pendingSince[pendingCount] = now;
            pendingCount++;
            return;
        }
        if (neighbors.isStale(nextHop, now)) {
            requestIfDue(egress, nextHop);
        }
        send(m, l2, egress, mac);
    }

    /** Writes the L2 header for egress (adding or removing the 802.1Q tag as needed) and queues the frame. */
    private void send(long m, int l2, int egress, long dstMac) {
        int vid = snap.vlan[egress];
        int want = vid != 0 ? Ethernet.HEADER_LEN + Ethernet.VLAN_TAG_LEN : Ethernet.HEADER_LEN;
        if (want != l2) {
            if (l2 - want < 0 && Mbuf.dataOff(m) < want - l2) {
                drop(m, Counters.MBUF_EXHAUSTED);
                return;
            }
            Mbuf.adjustFront(m, l2 - want);
        }
        long f = Mbuf.data(m);
        Ethernet.dst(f, dstMac);
        Ethernet.src(f, snap.mac[egress]);
        if (vid != 0) {
            Mem.u16(f + 12, Ethernet.TPID_VLAN);
            Mem.u16(f + 14, vid);
            Mem.u16(f + 16, Ethernet.TYPE_IPV4);
        } else {
            Mem.u16(f + 12, Ethernet.TYPE_IPV4);
        }
        enqueue(snap.port[egress], m);
    }

    private void enqueue(int slot, long m) {
        if (stage(slot, m, Mbuf.dataLen(m))) {
            flush(slot);
        }
    }

    /**
     * Adds a packet to a TX slot's burst; true when the burst is full and must be flushed. Kept
     * apart from {@link #flush} so that it stays small enough for C2 to always inline (a method
     * already compiled with the flush's downcall inside is too big to inline, and whether it was
     * compiled first varied from run to run: a 30 % swing in binat).
     */
    private boolean stage(int slot, long m, int len) {
        int c = txCount[slot];
        Mem.nativeLong(txAddr[slot] + 8L * c, m);
        txBytes[slot] += len;
        txCount[slot] = ++c;
        return c == BURST;
    }

    private void flush(int slot) {
        int c = txCount[slot];
        if (c == 0) {
            return;
        }
        txCount[slot] = 0;
        int sent = Shim.hp_tx_burst_or_free(txPortId[slot], queue, tx[slot], (short) c) & 0xffff;
        counters.add(slot, Counters.TX_PACKETS, sent);
        counters.add(slot, Counters.TX_BYTES, txBytes[slot]);
        txBytes[slot] = 0;
        if (sent < c) {
            counters.add(slot, Counters.TX_FULL, c - sent);
        }
    }

    private void drop(long m, int reason) {
        counters.count(reason);
        Mem.nativeLong(dropsAddr + 8L * dropCount, m);
        if (++dropCount == BURST * 2) {
            freeDrops();
        }
    }

    private void freeDrops() {
        if (dropCount > 0) {
            Shim.hp_mbuf_free_bulk(drops, dropCount);
            dropCount = 0;
        }
    }

    private long allocate() {
        if (Shim.hp_mbuf_alloc_bulk(mempool, one, 1) != 0) {
            counters.count(Counters.MBUF_EXHAUSTED);
            return 0;
        }
        return Mem.nativeLong(oneAddr);
    }

    // ---- generated packets ------------------------------------------------------------------

    /**
     * Sends an ICMP error about the packet at ip back to its source (RFC 1812 4.3.2.7: never about
     * an ICMP error, a non-first fragment or a broadcast), rate-limited per worker.
     */
    private void icmpError(long m, long ip, int ihl, int total, int iface, int type, int code, int mtu) {
        if ((Ipv4.fragField(ip) & Ipv4.FRAG_OFFSET_MASK) != 0) {
            return;
        }
        if (Ipv4.protocol(ip) == Ipv4.PROTO_ICMP && total - ihl >= 1 && Icmp.isError(Icmp.type(ip + ihl))) {
            return;
        }
        if (icmpErrors.tokens() == 0) {
            counters.count(Counters.ICMP_RATE_LIMITED);
            return;
        }
        int origSrc = Ipv4.src(ip);
        int r = snap.routes.lookup(origSrc);
        if (r < 0 || snap.routes.kind(r) == RouteTable.KIND_LOCAL) {
            return;
        }
        long n = allocate();
        if (n == 0) {
            return;
        }
        icmpErrors.take();
        int quote = Math.min(total, ICMP_ERROR_MAX_IP_LEN - Ipv4.MIN_HEADER_LEN - Icmp.HEADER_LEN);
        int ipLen = Ipv4.MIN_HEADER_LEN + Icmp.HEADER_LEN + quote;
        long f = Mbuf.data(n);
        long nip = f + Ethernet.HEADER_LEN;
        long icmp = nip + Ipv4.MIN_HEADER_LEN;
        Mem.u8(icmp, type);
        Mem.u8(icmp + 1, code);
        Mem.u16(icmp + 2, 0);
        Mem.u16(icmp + 4, 0);
        Mem.u16(icmp + 6, mtu);
        Mem.copy(ip, icmp + Icmp.HEADER_LEN, quote);
        Mem.u16(icmp + 2, Checksum.finish(Checksum.sum(icmp, Icmp.HEADER_LEN + quote, 0)));
        Ipv4.writeHeader(nip, 0xc0, ipLen, ++ipId & 0xffff, 0, DEFAULT_TTL, Ipv4.PROTO_ICMP,
                snap.sourceAddressFor(iface, origSrc), origSrc);
        Mbuf.setLength(n, Ethernet.HEADER_LEN + ipLen);
        counters.count(Counters.ICMP_ERRORS_SENT);
        int gw = snap.routes.gateway(r);
        output(n, Ethernet.HEADER_LEN, snap.routes.egressInterface(r), gw != 0 ? gw : origSrc);
    }

    private void requestIfDue(int egress, int target) {
        if (neighbors.shouldRequest(target, now, ARP_RETRY_NANOS)) {
            sendArpRequest(egress, snap.sourceAddressFor(egress, target), target);
        }
    }

    /** A broadcast ARP request; with senderIp == target it is a gratuitous announcement. */
    private void sendArpRequest(int iface, int senderIp, int target) {
        long n = allocate();
        if (n == 0) {
            return;
        }
        long f = Mbuf.data(n);
        int vid = snap.vlan[iface];
        int l2 = vid != 0 ? Ethernet.HEADER_LEN + Ethernet.VLAN_TAG_LEN : Ethernet.HEADER_LEN;
        long mine = snap.mac[iface];
        Ethernet.dst(f, Ethernet.BROADCAST);
        Ethernet.src(f, mine);
        if (vid != 0) {
            Mem.u16(f + 12, Ethernet.TPID_VLAN);
            Mem.u16(f + 14, vid);
        }
        Mem.u16(f + l2 - 2, Ethernet.TYPE_ARP);
        Arp.write(f + l2, Arp.OP_REQUEST, mine, senderIp, 0, target);
        int len = Math.max(l2 + Arp.LEN, 60);
        for (int i = l2 + Arp.LEN; i < len; i++) {
            Mem.u8(f + i, 0);
        }
        Mbuf.setLength(n, len);
        counters.count(Counters.ARP_REQUESTS_SENT);
        enqueue(snap.port[iface], n);
    }

    /**
     * The policer of packets to one interface's kernel side ({@link Counters#KERNEL_POLICED}
     * beyond it): its rate, in bursts of a tenth of a second's worth.
     */
    private static TokenBucket kernelBucket(int rate) {
        return new TokenBucket(rate, Math.max(1, rate / 10));
    }

    /**
     * Gratuitous ARP, so neighbours drop what they cached: with no snapshot before (at start) for
     * every address (NAT's public ones too), later for each one a new snapshot adds to an
     * interface (its own, renumbered, or a rule's public one).
     */
    private void announce(Snapshot before) {
        for (int i = 0; i < snap.interfaceCount; i++) {
            int[] own = before == null ? NO_ADDRESSES : before.addresses[i];
            int[] nat = before == null ? NO_ADDRESSES : before.nat.announcedAddresses(i);
            announceUnless(i, snap.addresses[i], own, nat);
            announceUnless(i, snap.nat.announcedAddresses(i), own, nat);
        }
    }

    private void announceUnless(int iface, int[] addresses, int[] own, int[] nat) {
        for (int a : addresses) {
            if (!contains(own, a) && !contains(nat, a)) {
                sendArpRequest(iface, a, a);
            }
        }
    }

    private static boolean contains(int[] values, int value) {
        for (int v : values) {
            if (v == value) {
                return true;
            }
        }
        return false;
    }

    // ---- housekeeping -----------------------------------------------------------------------

    private void housekeeping() {
        long arm = tracer.armWord();
        if (arm != traceArmSeen) {
            traceArmSeen = arm;
            traceRemaining = tracer.start(arm);
        }
        icmpErrors.refill(now);
        for (TokenBucket b : toKernel) {
            b.refill(now);
        }
        nat.expire(now);
        if (id == 0) {
            SessionChannel.Request request = sessionChannel.pending();
            if (request != null && nat.serve(request)) {
                SessionChannel.finish(request, now);
            }
            sessionChannel.publishSessionCount(nat.sessionCount());
        }
        int timedOut;
        while ((timedOut = nat.expireFragments(now, fragmentsTimedOut)) > 0) {
            for (int i = 0; i < timedOut; i++) {
                drop(fragmentsTimedOut[i], Counters.FRAGMENT_TIMEOUT);
            }
        }
        if (pendingCount > 0) {
            long v = neighbors.version();
            boolean changed = v != pendingSeenVersion;
            pendingSeenVersion = v;
            servicePending(changed);
        }
    }

    /** Sends parked packets whose next hop got resolved, drops those that waited too long. */
    private void servicePending(boolean neighborsChanged) {
        int kept = 0;
        for (int i = 0; i < pendingCount; i++) {
            long m = pendingMbuf[i];
            int nh = pendingNextHop[i];
            long mac = neighborsChanged ? neighbors.mac(nh) : NeighborTable.UNKNOWN;
            if (mac != NeighborTable.UNKNOWN) {
                send(m, Ethernet.HEADER_LEN, pendingIface[i], mac);
            } else if (now - pendingSince[i] > PENDING_TIMEOUT_NANOS) {
                drop(m, Counters.NEIGHBOR_UNRESOLVED);
            } else {
                requestIfDue(pendingIface[i], nh);
                pendingMbuf[kept] = m;
                pendingIface[kept] = pendingIface[i];
                pendingNextHop[kept] = nh;
                pendingSince[kept] = pendingSince[i];
                kept++;
            }
        }
        pendingCount = kept;
    }

    // ---- lookups ----------------------------------------------------------------------------

    private boolean isLocalOn(int iface, int addr) {
        int r = snap.routes.lookup(addr);
        return r >= 0 && snap.routes.kind(r) == RouteTable.KIND_LOCAL && snap.routes.egressInterface(r) == iface;
    }

    /** True when addr lies in one of the interface's connected prefixes. */
    private boolean onLink(int iface, int addr) {
        int r = snap.routes.lookup(addr);
        return r >= 0 && snap.routes.egressInterface(r) == iface && snap.routes.kind(r) != RouteTable.KIND_STATIC;
    }

}
