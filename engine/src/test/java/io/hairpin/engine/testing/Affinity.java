package io.hairpin.engine.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** Threads' CPU affinity as the kernel reports it in /proc (the oracle of the CPU reservation tests). */
public final class Affinity {
    /** One thread of this process: its task id, name and allowed CPUs. */
    public record Task(int tid, String name, Set<Integer> cpus) {
        @Override
        public String toString() {
            return tid + " " + name + " " + cpus;
        }
    }

    private Affinity() {
    }

    /** Every thread of this process (a thread that ends while being read is left out). */
    public static List<Task> threads() throws IOException {
        List<Task> out = new ArrayList<>();
        try (var tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    out.add(task(t));
                } catch (IOException e) {
                    // the thread ended while being read
                }
            }
        }
        return out;
    }

    /** One thread of this process, by task id. */
    public static Task of(int tid) throws IOException {
        return task(Path.of("/proc/self/task", Integer.toString(tid)));
    }

    private static Task task(Path t) throws IOException {
        String name = Files.readString(t.resolve("comm")).trim();
        String list = Files.readAllLines(t.resolve("status")).stream()
                .filter(l -> l.startsWith("Cpus_allowed_list:")).findFirst().orElseThrow()
                .substring("Cpus_allowed_list:".length()).trim();
        return new Task(Integer.parseInt(t.getFileName().toString()), name, cpuList(list));
    }

    /** The CPUs of a kernel CPU list such as "0", "0-1" or "0,2-3". */
    public static Set<Integer> cpuList(String list) {
        Set<Integer> cpus = new TreeSet<>();
        for (String part : list.split(",")) {
            int dash = part.indexOf('-');
            int lo = Integer.parseInt(dash < 0 ? part : part.substring(0, dash));
            int hi = dash < 0 ? lo : Integer.parseInt(part.substring(dash + 1));
            for (int c = lo; c <= hi; c++) {
                cpus.add(c);
            }
        }
        return cpus;
    }
}
