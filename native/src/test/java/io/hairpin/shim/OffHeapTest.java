package io.hairpin.shim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class OffHeapTest {

    /** True when some line of /proc/self/maps covers address. */
    private static boolean mapped(long address) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/maps"))) {
            String[] range = line.substring(0, line.indexOf(' ')).split("-");
            if (Long.parseUnsignedLong(range[0], 16) <= address && address < Long.parseUnsignedLong(range[1], 16)) {
                return true;
            }
        }
        return false;
    }

    @Test
    void bigTablesAreHugePageAlignedZeroedAndGoWithTheirArena() throws IOException {
        long bytes = (6L << 20) + 4096;
        long address;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = OffHeap.allocate(arena, bytes);
            address = m.address();
            assertEquals(bytes, m.byteSize());
            assertEquals(0, address % (2L << 20), "2 MiB aligned, so that it can sit on huge pages");
            for (long at = 0; at < bytes; at += 4096) {
                assertEquals(0, m.get(ValueLayout.JAVA_LONG, at), "zeroed at " + at);
                m.set(ValueLayout.JAVA_LONG, at, at + 1);
            }
            assertEquals(bytes - 4096 + 1, m.get(ValueLayout.JAVA_LONG, bytes - 4096));
            assertTrue(mapped(address));
        }
        assertFalse(mapped(address), "unmapped when the arena closed");
    }

    @Test
    void smallTablesAreLineAligned() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = OffHeap.allocate(arena, 1000);
            assertEquals(0, m.address() % 64);
            assertEquals(1000, m.byteSize());
        }
    }
}
