package io.hairpin.control.cli;

import io.hairpin.control.config.LoadedConfig;
import io.hairpin.control.engine.EngineConfigs;
import io.hairpin.engine.Engine;
import io.hairpin.engine.Snapshot;
import io.hairpin.engine.packet.Ethernet;
import io.hairpin.engine.packet.Ipv4;
import io.hairpin.shim.DpdkException;
import io.hairpin.shim.Eal;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "run", description = "Run the appliance in the foreground until SIGINT or SIGTERM (systemd Type=notify).")
public final class RunCommand implements Callable<Integer> {
    @Option(names = {"-c", "--config"}, required = true, description = "the config file")
    Path config;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        LoadedConfig loaded = ConfigFiles.loadOrReport(config, err, "nothing was started");
        if (loaded == null) {
            return 2;
        }
        Engine engine;
        try {
            engine = Engine.start(EngineConfigs.from(loaded.config()));
        } catch (DpdkException e) {
            err.println("hairpin: " + e.getMessage());
            Eal.cleanup();
            return 1;
        }
        Snapshot s = engine.snapshot();
        for (int i = 0; i < s.interfaceCount; i++) {
            StringBuilder addrs = new StringBuilder();
            for (int k = 0; k < s.addresses[i].length; k++) {
                addrs.append(k == 0 ? "" : ", ").append(Ipv4.format(s.addresses[i][k])).append('/')
                        .append(s.prefixLengths[i][k]);
            }
            out.printf("hairpin: %s %s on %s mac %s%s%n", s.names[i], addrs, s.devices.get(s.port[i]),
                    Ethernet.formatMac(s.mac[i]), s.vlan[i] != 0 ? " vlan " + s.vlan[i] : "");
        }
        out.printf("hairpin: running with %d worker(s)%s%n", engine.workers().size(),
                engine.tapNames().isEmpty() ? "" : ", exception path on " + engine.tapNames());
        out.flush();
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stop.countDown();
            try {
                stopped.await();
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "hairpin-shutdown"));
        SystemdNotify.ready();
        stop.await();
        SystemdNotify.stopping();
        engine.close();
        Eal.cleanup();
        out.println("hairpin: stopped; " + engine.events());
        out.flush();
        stopped.countDown();
        return 0;
    }
}
