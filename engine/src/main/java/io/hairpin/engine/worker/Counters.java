package io.hairpin.engine.worker;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One worker's counters: per-port traffic and per-reason drops in one long[] that only the
 * worker writes (plain stores) and others read with opaque loads; monotonic, never reset.
 */
public final class Counters {
    // per port, at port * PORT_STRIDE
    public static final int RX_PACKETS = 0;
    public static final int RX_BYTES = 1;
    public static final int TX_PACKETS = 2;
    public static final int TX_BYTES = 3;
    public static final int TX_FULL = 4;
    public static final int PORT_STRIDE = 5;
    public static final String[] PORT_NAMES = {"rx_packets", "rx_bytes", "tx_packets", "tx_bytes", "tx_full"};

    // events and drops, after the port block
    public static final int TRUNCATED = 0;
    public static final int BAD_VERSION = 1;
    public static final int BAD_IHL = 2;
    public static final int BAD_TOTAL_LENGTH = 3;
    public static final int BAD_IP_CHECKSUM = 4;
    public static final int NOT_FOR_US = 5;
    public static final int UNKNOWN_ETHERTYPE = 6;
    public static final int UNKNOWN_VLAN = 7;
    public static final int MARTIAN_SOURCE = 8;
    public static final int MARTIAN_DESTINATION = 9;
    public static final int SPOOFED_SOURCE = 10;
    public static final int NO_ROUTE = 11;
    public static final int TTL_EXPIRED = 12;
    public static final int TOO_BIG_DF = 13;
    public static final int TOO_BIG_NO_FRAGMENTATION = 14;
    public static final int NEIGHBOR_UNRESOLVED = 15;
    public static final int NEIGHBOR_QUEUE_FULL = 16;
    public static final int ARP_INVALID = 17;
    public static final int ARP_NOT_FOR_US = 18;
    public static final int BAD_ICMP_CHECKSUM = 19;
    public static final int LOCAL_UNHANDLED = 20;
    public static final int MULTI_SEGMENT = 21;
    public static final int MBUF_EXHAUSTED = 22;
    public static final int NEIGHBOR_TABLE_FULL = 23;
    public static final int NAT_NO_MAPPING = 24;
    public static final int NAT_NOT_ADMITTED = 25;
    public static final int NAT_REFLECTION_DISABLED = 26;
    public static final int NAT_UNTRANSLATED_SOURCE = 27;
    public static final int NAT_SESSIONS_FULL = 28;
    public static final int NAT_PORTS_EXHAUSTED = 29;
    public static final int NAT_BAD_QUOTE = 30;
    public static final int HANDOFF_FULL = 31;
    public static final int FRAGMENT_DUPLICATE = 32;
    public static final int FRAGMENT_OVERLAP = 33;
    public static final int FRAGMENT_LIMIT = 34;
    public static final int FRAGMENT_INVALID = 35;
    public static final int FRAGMENT_TIMEOUT = 36;
    /**
     * Packets for the kernel behind an interface's exception path beyond what the worker hands it
     * (the interface's {@link io.hairpin.engine.EngineConfig.Interface#kernelRate} a second): each
     * costs the worker's core the kernel's work.
     */
    public static final int KERNEL_POLICED = 37;
    public static final int FORWARDED = 38;
    public static final int ECHO_REPLIED = 39;
    public static final int ICMP_ERRORS_SENT = 40;
    public static final int ICMP_RATE_LIMITED = 41;
    public static final int ARP_REPLIED = 42;
    public static final int ARP_REQUESTS_SENT = 43;
    public static final int TO_KERNEL = 44;
    public static final int FROM_KERNEL = 45;
    public static final int NAT_TRANSLATED = 46;
    public static final int HANDED_OFF = 47;
    public static final int FRAGMENTS_PARKED = 48;
    /** Packets forwarded by the flow cache's fast path with a stateless decision (also counted as forwarded). */
    public static final int FLOW_CACHE_HITS = 49;
    /**
     * Packets forwarded by the established-session path, through the session table or a flow's
     * session entry in the flow cache (also counted as forwarded and translated).
     */
    public static final int SESSION_FAST_PATH = 50;
    /**
     * New sessions whose remote address the mapping table had no room to note for
     * address-dependent filtering (see MappingTable#addPeer): that address reaches the mapping only
     * through its sessions' own tuples.
     */
    public static final int NAT_PEERS_UNRECORDED = 51;
    /** Exceptions out of a worker's loop (a defect of the engine; the loop goes on, see Worker#onError). */
    public static final int WORKER_ERRORS = 52;
    /**
     * ARP replies to the appliance that it learnt from and, with no kernel behind the interface
     * to hand them to, kept (not a drop: a reply to the appliance's own request ends there).
     */
    public static final int ARP_REPLIES_LEARNT = 53;
    public static final int EVENT_COUNT = 54;

    /** Names for display, indexed like the constants above; the first DROP_REASONS are drops. */
    public static final String[] EVENT_NAMES = {
        "truncated", "bad_version", "bad_ihl", "bad_total_length", "bad_ip_checksum", "not_for_us",
        "unknown_ethertype", "unknown_vlan", "martian_source", "martian_destination", "spoofed_source", "no_route",
        "ttl_expired", "too_big_df", "too_big_no_fragmentation", "neighbor_unresolved", "neighbor_queue_full",
        "arp_invalid", "arp_not_for_us", "bad_icmp_checksum", "local_unhandled", "multi_segment", "mbuf_exhausted",
        "neighbor_table_full", "nat_no_mapping", "nat_not_admitted", "nat_reflection_disabled",
        "nat_untranslated_source", "nat_sessions_full", "nat_ports_exhausted", "nat_bad_quote", "handoff_full", "fragment_duplicate", "fragment_overlap", "fragment_limit",
        "fragment_invalid", "fragment_timeout", "kernel_policed", "forwarded",
        "echo_replied", "icmp_errors_sent", "icmp_rate_limited", "arp_replied", "arp_requests_sent", "to_kernel",
        "from_kernel", "nat_translated", "handed_off", "fragments_parked", "flow_cache_hits",
        "session_fast_path", "nat_peers_unrecorded", "worker_errors", "arp_replies_learnt"};
    public static final int DROP_REASONS = KERNEL_POLICED + 1;

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final int ports;
    final long[] values;

    public Counters(int ports) {
        this.ports = ports;
        values = new long[ports * PORT_STRIDE + EVENT_COUNT];
    }

    public int ports() {
        return ports;
    }

    void add(int port, int counter, long delta) {
        values[port * PORT_STRIDE + counter] += delta;
    }

    void count(int event) {
        values[ports * PORT_STRIDE + event]++;
    }

    void addEvent(int event, long delta) {
        values[ports * PORT_STRIDE + event] += delta;
    }

    /** Reads a port counter from another thread. */
    public long port(int port, int counter) {
        return (long) LONGS.getOpaque(values, port * PORT_STRIDE + counter);
    }

    /** Reads an event counter from another thread. */
    public long event(int event) {
        return (long) LONGS.getOpaque(values, ports * PORT_STRIDE + event);
    }
}
