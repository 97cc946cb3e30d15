package io.hairpin.shim;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** Off-heap tables of the data plane: cache-line aligned, on transparent huge pages when big. */
public final class OffHeap {
    private static final long HUGE_PAGE = 2L << 20;
    private static final int CACHE_LINE = 64;
    private static final int MADV_HUGEPAGE = 14;

    private OffHeap() {
    }

    /**
     * {@code bytes} from the arena, aligned to a cache line; from 2 MiB up aligned to 2 MiB and
     * advised to use transparent huge pages (THP is "madvise" on Debian): a random probe into a
     * table of megabytes would otherwise cost a TLB miss, and a nested page walk in a VM, on top
     * of the cache miss. The advice is best effort; without it the table works the same, only
     * slower. The contents are not defined.
     */
    public static MemorySegment allocate(Arena arena, long bytes) {
        if (bytes < HUGE_PAGE) {
            return arena.allocate(bytes, CACHE_LINE);
        }
        MemorySegment mem = arena.allocate(bytes, HUGE_PAGE);
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle madvise = linker.downcallHandle(linker.defaultLookup().find("madvise").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG,
                            ValueLayout.JAVA_INT));
            int rc = (int) madvise.invokeExact(mem, mem.byteSize(), MADV_HUGEPAGE);
            assert rc == 0 || rc == -1;
        } catch (Throwable e) {
            // not Linux, or no madvise: keep the small pages
        }
        return mem;
    }
}
