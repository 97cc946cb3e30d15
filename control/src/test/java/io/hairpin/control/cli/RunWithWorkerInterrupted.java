package io.hairpin.control.cli;

import java.util.Optional;

/**
 * {@code hairpin run} with one more thread, which interrupts worker 0's thread a second after it
 * has started: a worker's loop that ends while the appliance runs, as an {@link Error} out of
 * it would end it, for {@link RunCommandTest} (a test cannot throw into another thread).
 */
public final class RunWithWorkerInterrupted {
    private RunWithWorkerInterrupted() {
    }

    public static void main(String[] args) {
        Thread.ofPlatform().daemon().name("test-interrupter").start(() -> {
            try {
                Optional<Thread> worker = Optional.empty();
                while (worker.isEmpty()) {
                    Thread.sleep(50);
                    worker = Thread.getAllStackTraces().keySet().stream()
                            .filter(t -> t.getName().equals("hairpin-worker-0")).findFirst();
                }
                Thread.sleep(1000);
                worker.get().interrupt();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        HairpinCli.main(args);
    }
}
