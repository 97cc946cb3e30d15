package io.hairpin.engine.session;

import java.lang.foreign.MemorySegment;

/**
 * A batch of index slot numbers (negative: none) with the heap segment over them that the shim's
 * prefetch calls are given, made once so that the hot path makes no segment; and the keys'
 * hashes, so that a key is hashed once for its home slot and its fingerprint.
 */
public final class SlotBatch {
    final long[] at = new long[MappingTable.PREFETCH_BATCH];
    final long[] hash = new long[MappingTable.PREFETCH_BATCH];
    final MemorySegment segment = MemorySegment.ofArray(at);
    /** A few of {@link #at}'s slots at a time, for {@link MappingTable#prefetchHomes}. */
    final long[] piece = new long[MappingTable.PREFETCH_BATCH];
    final MemorySegment pieceSegment = MemorySegment.ofArray(piece);
}
