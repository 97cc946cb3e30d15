package io.hairpin.perf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Counts a thread's involuntary context switches (Linux: /proc/self/task/TID/status), to tell a
 * stall the benchmark caused from the scheduler giving its CPU to something else.
 */
final class ThreadSwitches {
    private final Path status;

    private ThreadSwitches(Path status) {
        this.status = status;
    }

    /** For the calling thread; null where /proc cannot tell. */
    static ThreadSwitches ofCurrentThread() {
        try {
            Path self = Files.readSymbolicLink(Path.of("/proc/thread-self")); // "PID/task/TID"
            Path status = Path.of("/proc").resolve(self).resolve("status");
            return Files.isReadable(status) ? new ThreadSwitches(status) : null;
        } catch (IOException | UnsupportedOperationException e) {
            return null;
        }
    }

    /** Involuntary context switches so far, -1 when unreadable. */
    long involuntary() {
        return read("nonvoluntary_ctxt_switches:");
    }

    /** Voluntary context switches so far (the thread blocked: a lock, a safepoint), -1 when unreadable. */
    long voluntary() {
        return read("voluntary_ctxt_switches:");
    }

    private long read(String key) {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    /** to − from, or -1 when either is unknown. */
    static long delta(long from, long to) {
        return from < 0 || to < 0 ? -1 : to - from;
    }
}
