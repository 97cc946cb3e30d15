package io.hairpin.control.cli;

import io.hairpin.control.appliance.ApplianceService;
import io.hairpin.control.appliance.HttpEndpoint;
import io.hairpin.control.config.ControlConfig;
import io.hairpin.control.config.LoadedConfig;
import io.hairpin.control.engine.EngineConfigs;
import io.hairpin.control.metrics.MetricsServer;
import io.hairpin.control.myip.MyipServer;
import io.hairpin.control.persist.ConfigStore;
import io.hairpin.control.socket.ControlServer;
import io.hairpin.engine.Engine;
import io.hairpin.engine.Snapshot;
import io.hairpin.engine.packet.Ethernet;
import io.hairpin.engine.packet.Ipv4;
import io.hairpin.engine.worker.NatTables;
import io.hairpin.shim.DpdkException;
import io.hairpin.shim.Eal;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import sun.misc.Signal;

@Command(name = "run", description = "Run the appliance in the foreground until SIGINT or SIGTERM (systemd Type=notify); exit 1 if a worker stops.")
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
        } catch (DpdkException | NatTables.DoesNotFit e) {
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
        ApplianceService service = new ApplianceService(engine, loaded.config(), new ConfigStore(config),
                String.join(" ", spec.root().version()));
        List<AutoCloseable> endpoints = new ArrayList<>();
        try {
            startEndpoints(loaded.config().control(), service, endpoints, out);
        } catch (HttpEndpoint.EndpointException | IOException e) {
            String m = e.getMessage();
            err.println("hairpin: " + m + (m.endsWith(".") ? "" : "."));
            err.flush();
            stop(endpoints, service, engine, err);
            return 1;
        }
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
        // a worker whose loop has ended forwards nothing more: the appliance stops with exit 1, so
        // that the service manager restarts it (on the config in force, which apply stores)
        AtomicReference<String> failure = new AtomicReference<>();
        engine.workerStopped().thenAccept(what -> {
            failure.set(what);
            stop.countDown();
        });
        reloadOnHangup(service, out, err);
        // "running" once SIGTERM, SIGHUP and a worker's stop are handled: callers act on it
        out.printf("hairpin: running with %d worker(s)%s%n", engine.workers().size(),
                engine.tapNames().isEmpty() ? "" : ", exception path on " + engine.tapNames());
        out.flush();
        SystemdNotify.ready();
        stop.await();
        SystemdNotify.stopping();
        if (failure.get() != null) {
            err.println("hairpin: " + failure.get() + "; stopping the appliance (exit 1)");
            err.flush();
        }
        stop(endpoints, service, engine, err);
        out.println("hairpin: stopped; " + engine.events());
        out.flush();
        stopped.countDown();
        return failure.get() == null ? 0 : 1;
    }

    /**
     * SIGHUP applies the config file again, as {@code hairpin apply} of it does: the daemons'
     * convention for a reload, where the JVM would otherwise stop. The apply runs on a thread of
     * its own, not the JVM's signal thread; one at a time, as applies through the socket are.
     */
    private void reloadOnHangup(ApplianceService service, PrintWriter out, PrintWriter err) {
        Path file = config.toAbsolutePath().normalize();
        Signal.handle(new Signal("HUP"), signal -> Thread.ofPlatform().name("hairpin-reload").start(() -> {
            out.println("hairpin: SIGHUP: applying " + file);
            try {
                ApplyCommand.report(service.apply(file), file, out, err);
            } catch (RuntimeException e) {
                err.println("hairpin: SIGHUP: " + file + " was not applied: " + e.getMessage());
            }
            out.flush();
            err.flush();
        }));
    }

    /**
     * The control plane's listeners: the control socket first (a second appliance on the same
     * config fails there), then metrics and myip. Each one started is added to endpoints at once,
     * so a later failure stops the earlier ones.
     */
    private static void startEndpoints(ControlConfig control, ApplianceService service, List<AutoCloseable> endpoints,
                                       PrintWriter out) throws HttpEndpoint.EndpointException, IOException {
        ControlServer socket = ControlServer.start(Path.of(control.socket()), service);
        endpoints.add(socket);
        out.printf("hairpin: control socket %s%n", socket.socket());
        if (control.metrics() != null) {
            MetricsServer metrics = MetricsServer.start(control.metrics(), service);
            endpoints.add(metrics);
            out.printf("hairpin: metrics on http://%s/metrics%n", control.metrics());
        }
        if (control.myip() != null) {
            MyipServer myip = MyipServer.start(control.myip(), service);
            endpoints.add(myip);
            out.printf("hairpin: myip responder on http://%s/myip%n", control.myip());
        }
    }

    /**
     * Stops the listeners first (newest first), then lets the calls still in progress finish and
     * refuses new ones, so nothing reads a closed port; then the data plane, then EAL.
     */
    private static void stop(List<AutoCloseable> endpoints, ApplianceService service, Engine engine, PrintWriter err) {
        for (int i = endpoints.size() - 1; i >= 0; i--) {
            try {
                endpoints.get(i).close();
            } catch (Exception e) {
                err.println("hairpin: stopping a control endpoint failed: " + e.getMessage());
            }
        }
        service.close();
        engine.close();
        Eal.cleanup();
    }
}
