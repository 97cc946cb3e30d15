package io.hairpin.shim;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.List;

/**
 * FFM bindings of hairpin_shim.h, written by hand in jextract's style (jextract is not obtainable
 * here): one holder class per C function with its descriptor and handle, resolved on first use,
 * and a static method that invokes it. Burst and bulk calls are {@code critical}: short, never
 * blocking, one per burst. C {@code uint16_t} maps to {@code short}, {@code uint32_t} to {@code int}.
 */
public final class Shim {
    private Shim() {
    }

    /** Every exported C function this class binds, in header order; a test checks it against the library. */
    public static final List<String> FUNCTIONS = List.of(
            "hp_abi_info",
            "hp_errno",
            "hp_strerror",
            "hp_eal_init",
            "hp_eal_cleanup",
            "hp_dev_probe",
            "hp_dev_remove",
            "hp_mempool_create",
            "hp_mempool_free",
            "hp_mempool_avail",
            "hp_port_count",
            "hp_port_by_name",
            "hp_port_name",
            "hp_port_configure",
            "hp_port_set_mtu",
            "hp_port_start",
            "hp_port_stop",
            "hp_port_close",
            "hp_port_promiscuous",
            "hp_port_mac",
            "hp_port_set_mac",
            "hp_port_link",
            "hp_port_stats",
            "hp_port_max_queues",
            "hp_rx_burst",
            "hp_tx_burst",
            "hp_tx_burst_or_free",
            "hp_mbuf_free_bulk",
            "hp_mbuf_alloc_bulk",
            "hp_mbuf_clone_copy",
            "hp_ring_create",
            "hp_ring_free",
            "hp_ring_port_create",
            "hp_ring_enqueue_burst",
            "hp_ring_dequeue_burst",
            "hp_ring_count",
            "hp_thread_register",
            "hp_thread_unregister",
            "hp_lcore_id",
            "hp_thread_pin",
            "hp_gettid",
            "hp_task_get_cpus",
            "hp_task_set_cpus",
            "hp_tsc_hz",
            "hp_rdtsc",
            "hp_prefetch_slots",
            "hp_prefetch");

    private static MemorySegment symbol(String name) {
        return NativeLibrary.lookup().find(name)
                .orElseThrow(() -> new DpdkException("The native shim does not export " + name + "; rebuild it."));
    }

    private static MethodHandle bind(String name, FunctionDescriptor desc, boolean critical) {
        return critical
                ? Linker.nativeLinker().downcallHandle(symbol(name), desc, Linker.Option.critical(false))
                : Linker.nativeLinker().downcallHandle(symbol(name), desc);
    }

    /** A critical downcall that may be given heap segments (arrays), read in place during the call. */
    private static MethodHandle bindHeap(String name, FunctionDescriptor desc) {
        return Linker.nativeLinker().downcallHandle(symbol(name), desc, Linker.Option.critical(true));
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("unexpected checked exception from a downcall", t);
    }

    private static final class hp_abi_info {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT);
        static final MethodHandle HANDLE = bind("hp_abi_info", DESC, false);
    }

    public static int hp_abi_info(MemorySegment out, int n) {
        try {
            return (int) hp_abi_info.HANDLE.invokeExact(out, n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_errno {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT);
        static final MethodHandle HANDLE = bind("hp_errno", DESC, false);
    }

    public static int hp_errno() {
        try {
            return (int) hp_errno.HANDLE.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_strerror {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ADDRESS, JAVA_INT);
        static final MethodHandle HANDLE = bind("hp_strerror", DESC, false);
    }

    public static MemorySegment hp_strerror(int err) {
        try {
            return (MemorySegment) hp_strerror.HANDLE.invokeExact(err);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_eal_init {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = bind("hp_eal_init", DESC, false);
    }

    public static int hp_eal_init(int argc, MemorySegment argv) {
        try {
            return (int) hp_eal_init.HANDLE.invokeExact(argc, argv);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_eal_cleanup {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT);
        static final MethodHandle HANDLE = bind("hp_eal_cleanup", DESC, false);
    }

    public static int hp_eal_cleanup() {
        try {
            return (int) hp_eal_cleanup.HANDLE.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_dev_probe {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = bind("hp_dev_probe", DESC, false);
    }

    public static int hp_dev_probe(MemorySegment devargs) {
        try {
            return (int) hp_dev_probe.HANDLE.invokeExact(devargs);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_dev_remove {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = bind("hp_dev_remove", DESC, false);
    }

    public static int hp_dev_remove(MemorySegment name) {
        try {
            return (int) hp_dev_remove.HANDLE.invokeExact(name);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_mempool_create {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, JAVA_SHORT, JAVA_INT);
        static final MethodHandle HANDLE = bind("hp_mempool_create", DESC, false);
    }

    public static MemorySegment hp_mempool_create(MemorySegment name, int n, int cache, short dataRoom, int socket) {
        try {
            return (MemorySegment) hp_mempool_create.HANDLE.invokeExact(name, n, cache, dataRoom, socket);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_mempool_free {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(ADDRESS);
        static final MethodHandle HANDLE = bind("hp_mempool_free", DESC, false);
    }

    public static void hp_mempool_free(MemorySegment mp) {
        try {
            hp_mempool_free.HANDLE.invokeExact(mp);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_mempool_avail {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = bind("hp_mempool_avail", DESC, true);
    }

    public static int hp_mempool_avail(MemorySegment mp) {
        try {
            return (int) hp_mempool_avail.HANDLE.invokeExact(mp);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_port_count {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT);
        static final MethodHandle HANDLE = bind("hp_port_count", DESC, false);
    }

    public static int hp_port_count() {
        try {
            return (int) hp_port_count.HANDLE.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_port_by_name {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = bind("hp_port_by_name", DESC, false);
    }

    public static int hp_port_by_name(MemorySegment name) {
        try {
            return (int) hp_port_by_name.HANDLE.invokeExact(name);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_port_name {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS, JAVA_INT);
        static final MethodHandle HANDLE = bind("hp_port_name", DESC, false);
    }

    public static int hp_port_name(short port, MemorySegment out, int len) {
        try {
            return (int) hp_port_name.HANDLE.invokeExact(port, out, len);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_port_configure {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, ADDRESS);
        static final MethodHandle HANDLE = bind("hp_port_configure", DESC, false);
    }

    public static int hp_port_configure(short port, short nrxq, short ntxq, short nbRxd, short nbTxd, MemorySegment mp) {
        try {
            return (int) hp_port_configure.HANDLE.invokeExact(port, nrxq, ntxq, nbRxd, nbTxd, mp);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_port_set_mtu {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, JAVA_SHORT);
        static final MethodHandle HANDLE = bind("hp_port_set_mtu", DESC, false);
    }

    public static int hp_port_set_mtu(short port, short mtu) {
        try {
            return (int) hp_port_set_mtu.HANDLE.invokeExact(port, mtu);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_port_start {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_SHORT);
        static final MethodHandle HANDLE = bind("hp_port_start", DESC, false);
    }

    public static int hp_port_start(short port) {
        try {
            return (int) hp_port_start.HANDLE.invokeExact(port);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_port_stop {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_SHORT);
        static final MethodHandle HANDLE = bind("hp_port_stop", DESC, false);
    }

    public static int hp_port_stop(short port) {
        try {
            return (int) hp_port_stop.HANDLE.invokeExact(port);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_port_close {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_SHORT);
        static final MethodHandle HANDLE = bind("hp_port_close", DESC, false);
    }

    public static int hp_port_close(short port) {
        try {
            return (int) hp_port_close.HANDLE.invokeExact(port);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_port_promiscuous {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, JAVA_INT);
        static final MethodHandle HANDLE = bind("hp_port_promiscuous", DESC, false);
    }

    public static int hp_port_promiscuous(short port, int on) {
        try {
            return (int) hp_port_promiscuous.HANDLE.invokeExact(port, on);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_port_mac {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS);
        static final MethodHandle HANDLE = bind("hp_port_mac", DESC, false);
    }

    public static int hp_port_mac(short port, MemorySegment out6) {
        try {
            return (int) hp_port_mac.HANDLE.invokeExact(port, out6);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_port_set_mac {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS);
        static final MethodHandle HANDLE = bind("hp_port_set_mac", DESC, false);
    }

    public static int hp_port_set_mac(short port, MemorySegment mac6) {
        try {
            return (int) hp_port_set_mac.HANDLE.invokeExact(port, mac6);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_port_link {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS);
        static final MethodHandle HANDLE = bind("hp_port_link", DESC, false);
    }

    public static int hp_port_link(short port, MemorySegment out3) {
        try {
            return (int) hp_port_link.HANDLE.invokeExact(port, out3);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_port_stats {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS, JAVA_INT);
        static final MethodHandle HANDLE = bind("hp_port_stats", DESC, false);
    }

    public static int hp_port_stats(short port, MemorySegment out, int n) {
        try {
            return (int) hp_port_stats.HANDLE.invokeExact(port, out, n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_port_max_queues {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_SHORT, ADDRESS);
        static final MethodHandle HANDLE = bind("hp_port_max_queues", DESC, false);
    }

    public static int hp_port_max_queues(short port, MemorySegment out2) {
        try {
            return (int) hp_port_max_queues.HANDLE.invokeExact(port, out2);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_rx_burst {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, ADDRESS, JAVA_SHORT);
        static final MethodHandle HANDLE = bind("hp_rx_burst", DESC, true);
    }

    public static short hp_rx_burst(short port, short queue, MemorySegment pkts, short n) {
        try {
            return (short) hp_rx_burst.HANDLE.invokeExact(port, queue, pkts, n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_tx_burst {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, ADDRESS, JAVA_SHORT);
        static final MethodHandle HANDLE = bind("hp_tx_burst", DESC, true);
    }

    public static short hp_tx_burst(short port, short queue, MemorySegment pkts, short n) {
        try {
            return (short) hp_tx_burst.HANDLE.invokeExact(port, queue, pkts, n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_tx_burst_or_free {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_SHORT, JAVA_SHORT, JAVA_SHORT, ADDRESS, JAVA_SHORT);
        static final MethodHandle HANDLE = bind("hp_tx_burst_or_free", DESC, true);
    }

    public static short hp_tx_burst_or_free(short port, short queue, MemorySegment pkts, short n) {
        try {
            return (short) hp_tx_burst_or_free.HANDLE.invokeExact(port, queue, pkts, n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_mbuf_free_bulk {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT);
        static final MethodHandle HANDLE = bind("hp_mbuf_free_bulk", DESC, true);
    }

    public static void hp_mbuf_free_bulk(MemorySegment pkts, int n) {
        try {
            hp_mbuf_free_bulk.HANDLE.invokeExact(pkts, n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_mbuf_alloc_bulk {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT);
        static final MethodHandle HANDLE = bind("hp_mbuf_alloc_bulk", DESC, true);
    }

    public static int hp_mbuf_alloc_bulk(MemorySegment mp, MemorySegment pkts, int n) {
        try {
            return (int) hp_mbuf_alloc_bulk.HANDLE.invokeExact(mp, pkts, n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_mbuf_clone_copy {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS);
        static final MethodHandle HANDLE = bind("hp_mbuf_clone_copy", DESC, true);
    }

    public static MemorySegment hp_mbuf_clone_copy(MemorySegment mp, MemorySegment src) {
        try {
            return (MemorySegment) hp_mbuf_clone_copy.HANDLE.invokeExact(mp, src);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_ring_create {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT);
        static final MethodHandle HANDLE = bind("hp_ring_create", DESC, false);
    }

    public static MemorySegment hp_ring_create(MemorySegment name, int size) {
        try {
            return (MemorySegment) hp_ring_create.HANDLE.invokeExact(name, size);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_ring_free {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(ADDRESS);
        static final MethodHandle HANDLE = bind("hp_ring_free", DESC, false);
    }

    public static void hp_ring_free(MemorySegment ring) {
        try {
            hp_ring_free.HANDLE.invokeExact(ring);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_ring_port_create {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS);
        static final MethodHandle HANDLE = bind("hp_ring_port_create", DESC, false);
    }

    public static int hp_ring_port_create(MemorySegment name, MemorySegment rxRing, MemorySegment txRing) {
        try {
            return (int) hp_ring_port_create.HANDLE.invokeExact(name, rxRing, txRing);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_ring_enqueue_burst {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT);
        static final MethodHandle HANDLE = bind("hp_ring_enqueue_burst", DESC, true);
    }

    public static int hp_ring_enqueue_burst(MemorySegment ring, MemorySegment objs, int n) {
        try {
            return (int) hp_ring_enqueue_burst.HANDLE.invokeExact(ring, objs, n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_ring_dequeue_burst {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT);
        static final MethodHandle HANDLE = bind("hp_ring_dequeue_burst", DESC, true);
    }

    public static int hp_ring_dequeue_burst(MemorySegment ring, MemorySegment objs, int n) {
        try {
            return (int) hp_ring_dequeue_burst.HANDLE.invokeExact(ring, objs, n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_ring_count {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = bind("hp_ring_count", DESC, true);
    }

    public static int hp_ring_count(MemorySegment ring) {
        try {
            return (int) hp_ring_count.HANDLE.invokeExact(ring);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_thread_register {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT);
        static final MethodHandle HANDLE = bind("hp_thread_register", DESC, false);
    }

    public static int hp_thread_register() {
        try {
            return (int) hp_thread_register.HANDLE.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_thread_unregister {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid();
        static final MethodHandle HANDLE = bind("hp_thread_unregister", DESC, false);
    }

    public static void hp_thread_unregister() {
        try {
            hp_thread_unregister.HANDLE.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_lcore_id {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT);
        static final MethodHandle HANDLE = bind("hp_lcore_id", DESC, true);
    }

    public static int hp_lcore_id() {
        try {
            return (int) hp_lcore_id.HANDLE.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_thread_pin {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_INT);
        static final MethodHandle HANDLE = bind("hp_thread_pin", DESC, false);
    }

    public static int hp_thread_pin(int cpu) {
        try {
            return (int) hp_thread_pin.HANDLE.invokeExact(cpu);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_gettid {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT);
        static final MethodHandle HANDLE = bind("hp_gettid", DESC, false);
    }

    /** The calling thread's kernel task id. */
    public static int hp_gettid() {
        try {
            return (int) hp_gettid.HANDLE.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Bytes of the CPU set {@link #hp_task_get_cpus} and {@link #hp_task_set_cpus} take (glibc's cpu_set_t). */
    public static final int CPU_SET_BYTES = 128;

    private static final class hp_task_get_cpus {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = bind("hp_task_get_cpus", DESC, false);
    }

    /** Task tid's CPU affinity into set (CPU i is bit i % 8 of byte i / 8); 0 or -errno. */
    public static int hp_task_get_cpus(int tid, MemorySegment set) {
        try {
            return (int) hp_task_get_cpus.HANDLE.invokeExact(tid, set);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_task_set_cpus {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS);
        static final MethodHandle HANDLE = bind("hp_task_set_cpus", DESC, false);
    }

    /** Sets task tid's CPU affinity to set; 0 or -errno. */
    public static int hp_task_set_cpus(int tid, MemorySegment set) {
        try {
            return (int) hp_task_set_cpus.HANDLE.invokeExact(tid, set);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_tsc_hz {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_LONG);
        static final MethodHandle HANDLE = bind("hp_tsc_hz", DESC, false);
    }

    public static long hp_tsc_hz() {
        try {
            return (long) hp_tsc_hz.HANDLE.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_rdtsc {
        static final FunctionDescriptor DESC = FunctionDescriptor.of(JAVA_LONG);
        static final MethodHandle HANDLE = bind("hp_rdtsc", DESC, true);
    }

    public static long hp_rdtsc() {
        try {
            return (long) hp_rdtsc.HANDLE.invokeExact();
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_prefetch_slots {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_INT, JAVA_INT);
        static final MethodHandle HANDLE = bindHeap("hp_prefetch_slots", DESC);
    }

    /** table and at may be heap segments of a {@code long[]}. */
    public static void hp_prefetch_slots(MemorySegment table, MemorySegment at, int n, int mask) {
        try {
            hp_prefetch_slots.HANDLE.invokeExact(table, at, n, mask);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    private static final class hp_prefetch {
        static final FunctionDescriptor DESC = FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT);
        static final MethodHandle HANDLE = bindHeap("hp_prefetch", DESC);
    }

    /** addrs may be a heap segment of a {@code long[]}. */
    public static void hp_prefetch(MemorySegment addrs, int n) {
        try {
            hp_prefetch.HANDLE.invokeExact(addrs, n);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }
}
