package io.hairpin.engine.it;

import io.hairpin.engine.Engine;
import io.hairpin.engine.EngineConfig;
import io.hairpin.engine.testing.Pcap;
import io.hairpin.engine.worker.Counters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the real engine on net_pcap ports: each interface's device reads a pcap of crafted frames
 * and writes what the appliance transmits to another pcap. The run ends once every input frame
 * was received and the engine has been quiet for a while; the outputs are then read back.
 */
public final class PcapRun {
    private static final AtomicInteger RUNS = new AtomicInteger();

    /** An interface of the test appliance; the device is filled in by the run. */
    public record Port(String name, boolean external, int vlan, String cidr, int gateway, int mtu, boolean antiSpoofing) {
        public static Port of(String name, boolean external, String cidr) {
            return new Port(name, external, 0, cidr, 0, 1500, true);
        }

        public Port gateway(int gw) {
            return new Port(name, external, vlan, cidr, gw, mtu, antiSpoofing);
        }

        public Port mtu(int m) {
            return new Port(name, external, vlan, cidr, gateway, m, antiSpoofing);
        }

        public Port vlan(int v) {
            return new Port(name, external, v, cidr, gateway, mtu, antiSpoofing);
        }
    }

    public record Result(Map<String, List<byte[]>> out, Map<String, Long> events, Engine engine) {
        public List<byte[]> out(String device) {
            return out.get(device);
        }

        public long event(int counter) {
            return events.getOrDefault(Counters.EVENT_NAMES[counter], 0L);
        }
    }

    private PcapRun() {
    }

    /**
     * @param ports     interfaces; ports with the same {@code group} letter share a device
     * @param devices   for each interface, the device group it is on (e.g. "a", "b", "a")
     * @param input     frames fed into each device group
     * @param routes    static routes
     */
    public static Result run(Path dir, List<Port> ports, List<String> devices, Map<String, List<byte[]>> input,
                             List<EngineConfig.StaticRoute> routes) throws IOException, InterruptedException {
        return run(dir, ports, devices, input, routes, null);
    }

    public static Result run(Path dir, List<Port> ports, List<String> devices, Map<String, List<byte[]>> input,
                             List<EngineConfig.StaticRoute> routes, io.hairpin.engine.nat.NatConfig nat)
            throws IOException, InterruptedException {
        return run(dir, 1, ports, devices, input, routes, nat);
    }

    /**
     * With several workers each device gets one RX and one TX queue per worker (net_pcap: one
     * rx_pcap and tx_pcap per queue). Input keys name the device group, optionally with the queue:
     * "w" or "w:0" is queue 0, "w:1" queue 1. Outputs of all queues of a group are concatenated.
     */
    public static Result run(Path dir, int workers, List<Port> ports, List<String> devices,
                             Map<String, List<byte[]>> input, List<EngineConfig.StaticRoute> routes,
                             io.hairpin.engine.nat.NatConfig nat) throws IOException, InterruptedException {
        EalForTests.ensure();
        int run = RUNS.incrementAndGet();
        Map<String, String> devArgs = new LinkedHashMap<>();
        for (String group : devices.stream().distinct().toList()) {
            StringBuilder args = new StringBuilder("net_pcap_" + run + group);
            for (int q = 0; q < workers; q++) {
                Path in = dir.resolve("in-" + group + "-q" + q + ".pcap");
                List<byte[]> frames = input.getOrDefault(group + ":" + q, q == 0 ? input.getOrDefault(group, List.of())
                        : List.of());
                Pcap.write(in, frames);
                args.append(",rx_pcap=").append(in);
            }
            for (int q = 0; q < workers; q++) {
                args.append(",tx_pcap=").append(dir.resolve("out-" + group + "-q" + q + ".pcap"));
            }
            devArgs.put(group, args.toString());
        }
        List<EngineConfig.Interface> ifs = new ArrayList<>();
        for (int i = 0; i < ports.size(); i++) {
            Port p = ports.get(i);
            String[] c = p.cidr().split("/");
            ifs.add(new EngineConfig.Interface(p.name(), p.external(), devArgs.get(devices.get(i)), p.vlan(),
                    List.of(new EngineConfig.Address(io.hairpin.engine.packet.Ipv4.parse(c[0]), Integer.parseInt(c[1]))),
                    p.gateway(), p.mtu(), p.antiSpoofing(), macOf(devices.get(i))));
        }
        long expected = input.values().stream().mapToLong(List::size).sum();
        Engine engine = Engine.start(new EngineConfig(workers, List.of(), ifs, routes, false, nat));
        Map<String, Long> events;
        try {
            waitUntilQuiet(engine, expected);
        } finally {
            engine.close();
        }
        events = engine.events();
        Map<String, List<byte[]>> out = new LinkedHashMap<>();
        for (String group : devArgs.keySet()) {
            List<byte[]> frames = new ArrayList<>();
            for (int q = 0; q < workers; q++) {
                Path file = dir.resolve("out-" + group + "-q" + q + ".pcap");
                if (Files.exists(file)) {
                    frames.addAll(Pcap.read(file));
                }
            }
            out.put(group, frames);
        }
        return new Result(out, events, engine);
    }

    /** The fixed MAC each device group gets: 02:00:5e:00:00:<letter>. */
    public static long macOf(String group) {
        return 0x02005e000000L | group.charAt(0);
    }

    /** Frames the engine has taken from all its ports. */
    static long received(Engine engine) {
        long sum = 0;
        for (int p = 0; p < engine.ports().size(); p++) {
            sum += engine.portCounter(p, Counters.RX_PACKETS);
        }
        return sum;
    }

    /** Waits (bounded) until all input arrived and nothing more happened for 200 ms: housekeeping ran. */
    private static void waitUntilQuiet(Engine engine, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        long last = -1;
        long stableSince = System.nanoTime();
        while (System.nanoTime() < deadline) {
            long now = received(engine) + engine.events().values().stream().mapToLong(Long::longValue).sum();
            if (now != last) {
                last = now;
                stableSince = System.nanoTime();
            } else if (received(engine) >= expected && System.nanoTime() - stableSince > 200_000_000L) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("the engine did not receive all " + expected + " input frames within 10 s (got "
                + received(engine) + ")");
    }
}
