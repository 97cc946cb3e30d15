package io.hairpin.shim;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** Off-heap tables of the data plane: cache-line aligned, on transparent huge pages when big. */
public final class OffHeap {
    private static final long HUGE_PAGE = 2L << 20;
    private static final int CACHE_LINE = 64;
    private static final int PROT_READ_WRITE = 0x3;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final int MADV_HUGEPAGE = 14;

    private static final MethodHandle MMAP;
    private static final MethodHandle MUNMAP;
    private static final MethodHandle MADVISE;

    static {
        Linker linker = Linker.nativeLinker();
        SymbolLookup libc = linker.defaultLookup();
        MethodHandle mmap = null;
        MethodHandle munmap = null;
        MethodHandle madvise = null;
        try {
            mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
            munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
            madvise = linker.downcallHandle(libc.find("madvise").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_INT));
        } catch (RuntimeException e) {
            // not Linux: tables come from the arena on small pages
        }
        MMAP = mmap;
        MUNMAP = munmap;
        MADVISE = madvise;
    }

    private OffHeap() {
    }

    /**
     * {@code bytes} of zeroed memory that lives as long as the arena, aligned to a cache line.
     * From 2 MiB up it is its own anonymous mapping, aligned to 2 MiB and advised to use
     * transparent huge pages (THP is "madvise" on Debian) before anything touches it, so that
     * the first touch of each 2 MiB faults in a huge page: a random probe into a table of
     * megabytes would otherwise cost a TLB miss, and a nested page walk in a VM, on top of the
     * cache miss. (Memory from the arena is zeroed when allocated, so advice given after that
     * only lets khugepaged collapse it, at 16 MB per 10 s by default.) Without mmap or the advice
     * the table works the same, only slower.
     */
    public static MemorySegment allocate(Arena arena, long bytes) {
        if (bytes < HUGE_PAGE || MMAP == null) {
            return arena.allocate(bytes, CACHE_LINE);
        }
        long length = bytes + HUGE_PAGE; // room to align the start
        long base;
        try {
            base = (long) MMAP.invokeExact(0L, length, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
        } catch (Throwable e) {
            base = -1;
        }
        if (base == -1) {
            return arena.allocate(bytes, CACHE_LINE);
        }
        long start = (base + HUGE_PAGE - 1) & -HUGE_PAGE;
        try {
            int rc = (int) MADVISE.invokeExact(start, bytes, MADV_HUGEPAGE);
            assert rc == 0 || rc == -1; // best effort
        } catch (Throwable e) {
            // keep the small pages
        }
        final long mapped = base;
        return MemorySegment.ofAddress(start).reinterpret(bytes, arena, segment -> unmap(mapped, length));
    }

    private static void unmap(long base, long length) {
        try {
            int rc = (int) MUNMAP.invokeExact(base, length);
            assert rc == 0;
        } catch (Throwable e) {
            throw new IllegalStateException("munmap failed", e);
        }
    }
}
