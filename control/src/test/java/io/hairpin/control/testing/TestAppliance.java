package io.hairpin.control.testing;

import io.hairpin.control.config.ConfigLoader;
import io.hairpin.control.config.HairpinConfig;
import io.hairpin.control.engine.EngineConfigs;
import io.hairpin.engine.Engine;
import io.hairpin.shim.Eal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real engine for control-plane tests: EAL once per JVM without PCI or hugepages, interfaces on
 * net_pcap devices that read an empty capture (so no traffic) and write to files, no exception
 * path. The config is YAML so the tests go through the same loader as the appliance.
 */
public final class TestAppliance {
    private static final AtomicInteger RUNS = new AtomicInteger();

    /** The NAT section most tests use: 1:1, a subnet, an outbound rule for the LAN, a pool for the lab. */
    public static final String NAT = """
            nat:
              one-to-one:
                - {interface: wan, external: 203.0.113.20, internal: 192.168.1.20, description: web}
                - {interface: wan, external: 203.0.113.64/30, internal: 192.168.1.64/30}
              outbound:
                - {interface: wan, source: 192.168.1.0/24, translation: interface}
                - {interface: wan, source: 10.9.0.0/16, translation: 203.0.113.32/29}
            """;

    private TestAppliance() {
    }

    public static synchronized void ensureEal() {
        if (Eal.isInitialized()) {
            return;
        }
        String prefix = "hairpin-ctltest-" + ProcessHandle.current().pid();
        Eal.init(List.of("--no-pci", "--no-huge", "-m", "256", "--file-prefix", prefix, "--log-level", "*:error",
                "--no-telemetry", "-l", "0"));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> Eal.deleteRuntimeDir(Path.of("/var/run/dpdk", prefix))));
    }

    /**
     * The interfaces block of a test config: wan (external, 203.0.113.1/24, gateway .254), lan
     * (internal, 192.168.1.1/24) and lab (internal, 10.9.0.1/16), each on its own net_pcap device.
     */
    public static String interfaces(Path dir) {
        int run = RUNS.incrementAndGet();
        Path empty = dir.resolve("empty.pcap");
        try {
            if (!Files.exists(empty)) {
                Files.write(empty, pcapHeader());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return "workers: 1\nexception-path: false\ninterfaces:\n"
                + iface(dir, run, "wan", "external", "203.0.113.1/24", ", gateway: 203.0.113.254")
                + iface(dir, run, "lan", "internal", "192.168.1.1/24", "")
                + iface(dir, run, "lab", "internal", "10.9.0.1/16", "");
    }

    private static String iface(Path dir, int run, String name, String role, String cidr, String extra) {
        String device = "net_pcap_ct" + run + name + ",rx_pcap=" + dir.resolve("empty.pcap") + ",tx_pcap="
                + dir.resolve("out-" + run + "-" + name + ".pcap");
        return "  - {name: " + name + ", role: " + role + ", device: \"" + device + "\", addresses: [" + cidr + "]"
                + extra + "}\n";
    }

    /** The 24-byte pcap global header: microsecond timestamps, Ethernet, snaplen 65535. */
    public static byte[] pcapHeader() {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(24).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(1);
        return b.array();
    }

    /** Writes the config to file, loads it as hairpin run would and starts the engine. */
    public static Started start(Path file, String yaml) throws IOException {
        ensureEal();
        Files.writeString(file, yaml);
        HairpinConfig config = ConfigLoader.loadAndValidate(file).config();
        return new Started(config, Engine.start(EngineConfigs.from(config)));
    }

    public record Started(HairpinConfig config, Engine engine) {
    }
}
