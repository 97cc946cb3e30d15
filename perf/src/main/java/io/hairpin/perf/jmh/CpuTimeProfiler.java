package io.hairpin.perf.jmh;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * On-CPU time per operation: the CPU time of JMH's worker threads over an iteration divided by
 * the operations they ran, next to the wall-clock score. On a shared machine the wall-clock
 * ns/op includes the time the thread waited for a CPU; {@code cpu.ns/op} does not, and
 * {@code cpu.share} (CPU time / wall time of the workers) says how much of the iteration they
 * had. The same idea as the capacity rig's "on-CPU cycles" (perf/RESULTS.md).
 *
 * <pre>perf/jmh.sh -prof io.hairpin.perf.jmh.CpuTimeProfiler ...</pre>
 */
public final class CpuTimeProfiler implements InternalProfiler {
    private static final String WORKER = "-jmh-worker-";
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final Map<Long, Long> cpuAtStart = new HashMap<>();
    private long wallAtStart;

    @Override
    public String getDescription() {
        return "CPU time of the benchmark threads per operation (cpu.ns/op) and their CPU share";
    }

    @Override
    public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
        cpuAtStart.clear();
        for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (t != null && t.getThreadName().contains(WORKER)) {
                cpuAtStart.put(t.getThreadId(), Math.max(0, threads.getThreadCpuTime(t.getThreadId())));
            }
        }
        wallAtStart = System.nanoTime();
    }

    @Override
    public List<? extends Result> afterIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams,
                                                IterationResult result) {
        long wall = System.nanoTime() - wallAtStart;
        long cpu = 0;
        int seen = 0;
        for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (t == null || !t.getThreadName().contains(WORKER)) {
                continue;
            }
            long now = threads.getThreadCpuTime(t.getThreadId());
            Long start = cpuAtStart.get(t.getThreadId());
            if (now >= 0 && start != null) {
                cpu += now - start;
                seen++;
            }
        }
        long ops = result.getMetadata().getAllOps();
        if (seen == 0 || ops == 0 || wall <= 0) {
            return List.of();
        }
        return List.of(new ScalarResult("cpu.ns/op", (double) cpu / ops, "ns/op", AggregationPolicy.AVG),
                new ScalarResult("cpu.share", (double) cpu / ((double) wall * seen), "", AggregationPolicy.AVG));
    }
}
