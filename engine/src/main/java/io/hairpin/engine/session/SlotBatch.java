package io.hairpin.engine.session;

import java.lang.foreign.MemorySegment;

/**
 * A batch of index slot numbers (negative: none) with the heap segment over them that the shim's
 * prefetch calls are given, made once so that the hot path makes no segment.
 */
public final class SlotBatch {
    final long[] at = new long[MappingTable.PREFETCH_BATCH];
    final MemorySegment segment = MemorySegment.ofArray(at);
}
