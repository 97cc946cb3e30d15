package io.hairpin.shim;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** A DPDK ethdev port: found by device name (probing a vdev on demand), configured and started. */
public final class EthPort {
    private final short id;
    private final String device;

    private EthPort(short id, String device) {
        this.id = id;
        this.device = device;
    }

    /** The device name: for a vdev the text before the first comma, for PCI the address. */
    public static String deviceName(String devargs) {
        int comma = devargs.indexOf(',');
        return comma < 0 ? devargs : devargs.substring(0, comma);
    }

    public static boolean isVirtual(String devargs) {
        return deviceName(devargs).startsWith("net_");
    }

    /** Finds the port for a device, hot-plugging a virtual device that EAL has not probed yet. */
    public static EthPort open(String devargs) {
        String name = deviceName(devargs);
        try (Arena arena = Arena.ofConfined()) {
            int port = Shim.hp_port_by_name(arena.allocateFrom(name));
            if (port < 0 && isVirtual(devargs)) {
                int ret = Shim.hp_dev_probe(arena.allocateFrom(devargs));
                if (ret < 0) {
                    throw new DpdkException(explainProbeFailure(devargs, ret));
                }
                port = Shim.hp_port_by_name(arena.allocateFrom(name));
            }
            if (port < 0) {
                throw new DpdkException("Device '" + devargs + "' was not found by DPDK"
                        + (isVirtual(devargs) ? "." : " (is the NIC bound to vfio-pci and allowed with -a?)."));
            }
            return new EthPort((short) port, name);
        }
    }

    /** A port that receives from rx and transmits into tx (rte_eth_from_rings), for wiring ports without a NIC. */
    public static EthPort fromRings(String name, Ring rx, Ring tx) {
        try (Arena arena = Arena.ofConfined()) {
            int port = Shim.hp_ring_port_create(arena.allocateFrom(name), rx.segment(), tx.segment());
            if (port < 0) {
                throw new DpdkException("Cannot create ring port '" + name + "': " + Eal.lastError());
            }
            return new EthPort((short) port, name);
        }
    }

    /**
     * Drivers such as af_packet report every probe failure as -1, so the cause is found the way
     * an operator would: does the named kernel interface exist, and are we root?
     */
    static String explainProbeFailure(String devargs, int ret) {
        String prefix = "Device '" + devargs + "' could not be created: ";
        for (String arg : devargs.split(",")) {
            if (arg.startsWith("iface=")) {
                String iface = arg.substring("iface=".length());
                if (iface.length() > 15) {
                    return prefix + "the interface name '" + iface + "' is longer than 15 characters.";
                }
                if (!java.nio.file.Files.exists(java.nio.file.Path.of("/sys/class/net", iface))) {
                    return prefix + "there is no network interface '" + iface + "' (in this network namespace).";
                }
            }
        }
        if (!"root".equals(System.getProperty("user.name"))) {
            return prefix + "permission denied; run Hairpin as root (raw sockets and device access need it).";
        }
        if (ret == -Eal.Errno.EFAULT) {
            // EAL could not parse the devargs: for a virtual device, no loaded driver's name starts its name
            return prefix + "no DPDK driver takes that name (a virtual device is named after its driver: "
                    + "net_af_packet0, net_af_xdp0, net_pcap0, net_tap0, net_ring0, net_null0).";
        }
        if (ret == -Eal.Errno.EPERM) {
            // drivers return -1 for any failure of their own probe, and log why
            return prefix + "its driver refused it; DPDK's message above says why.";
        }
        return prefix + Eal.strerror(-ret) + " (is the driver available and the device free?)";
    }

    public short id() {
        return id;
    }

    public String device() {
        return device;
    }

    public void configure(int rxQueues, int txQueues, int rxDesc, int txDesc, Mempool pool) {
        int ret = Shim.hp_port_configure(id, (short) rxQueues, (short) txQueues, (short) rxDesc, (short) txDesc, pool.segment());
        if (ret < 0) {
            throw new DpdkException("Cannot configure port " + device + " with " + rxQueues + " RX and " + txQueues
                    + " TX queues: " + Eal.strerror(-ret));
        }
    }

    /** Sets the MTU; returns false where the driver cannot (virtual devices often cannot). */
    public boolean setMtu(int mtu) {
        return Shim.hp_port_set_mtu(id, (short) mtu) == 0;
    }

    public void start() {
        int ret = Shim.hp_port_start(id);
        if (ret < 0) {
            throw new DpdkException("Cannot start port " + device + ": " + Eal.strerror(-ret));
        }
    }

    public void promiscuous(boolean on) {
        Shim.hp_port_promiscuous(id, on ? 1 : 0);
    }

    public void stop() {
        Shim.hp_port_stop(id);
    }

    /** Stops and closes the port and, for a virtual device, removes the device. */
    public void close() {
        Shim.hp_port_stop(id);
        Shim.hp_port_close(id);
        if (device.startsWith("net_")) {
            try (Arena arena = Arena.ofConfined()) {
                Shim.hp_dev_remove(arena.allocateFrom(device));
            }
        }
    }

    /** The port's MAC address as the low 48 bits of a long. */
    public long mac() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(6);
            if (Shim.hp_port_mac(id, out) != 0) {
                throw new DpdkException("Cannot read the MAC address of port " + device);
            }
            long mac = 0;
            for (int i = 0; i < 6; i++) {
                mac = (mac << 8) | (out.get(ValueLayout.JAVA_BYTE, i) & 0xff);
            }
            return mac;
        }
    }

    public boolean setMac(long mac) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment in = arena.allocate(6);
            for (int i = 0; i < 6; i++) {
                in.set(ValueLayout.JAVA_BYTE, i, (byte) (mac >>> (40 - 8 * i)));
            }
            return Shim.hp_port_set_mac(id, in) == 0;
        }
    }

    public LinkStatus link() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.JAVA_LONG, 3);
            if (Shim.hp_port_link(id, out) < 0) {
                return new LinkStatus(false, 0, false);
            }
            return new LinkStatus(out.getAtIndex(ValueLayout.JAVA_LONG, 0) != 0,
                    out.getAtIndex(ValueLayout.JAVA_LONG, 1), out.getAtIndex(ValueLayout.JAVA_LONG, 2) != 0);
        }
    }

    public PortStats stats() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.JAVA_LONG, 8);
            if (Shim.hp_port_stats(id, out, 8) < 0) {
                return new PortStats(0, 0, 0, 0, 0, 0, 0, 0);
            }
            long[] v = out.toArray(ValueLayout.JAVA_LONG);
            return new PortStats(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
        }
    }

    /** Max RX and TX queues the driver offers. */
    public int[] maxQueues() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.JAVA_INT, 2);
            if (Shim.hp_port_max_queues(id, out) < 0) {
                return new int[] {1, 1};
            }
            return out.toArray(ValueLayout.JAVA_INT);
        }
    }

    public record LinkStatus(boolean up, long speedMbps, boolean fullDuplex) {
    }

    public record PortStats(long rxPackets, long txPackets, long rxBytes, long txBytes, long rxMissed, long rxErrors,
                            long txErrors, long rxNoMbuf) {
    }
}
