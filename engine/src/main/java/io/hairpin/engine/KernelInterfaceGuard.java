package io.hairpin.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps the kernel's own stack off an interface that net_af_packet or net_af_xdp drives. af_packet
 * only copies frames, so the kernel would still answer them: with the appliance's addresses on its
 * TAPs, a TCP SYN for a port forward would also get a RST from the kernel (weak host model).
 * af_xdp takes the frames of the queue it binds, but the kernel still gets the other queues' and
 * still sends its own (IPv6 router solicitations, DAD). Strict reverse-path filtering drops every
 * IPv4 frame on an interface with no address or route; arp_ignore 8 stops ARP answers; IPv6 is
 * turned off. Restored on close.
 */
final class KernelInterfaceGuard implements AutoCloseable {
    private record Setting(Path file, String previous) {
    }

    private final List<Setting> changed = new ArrayList<>();

    /** The kernel interface a net_af_packet or net_af_xdp device string names, or null for other devices. */
    static String kernelInterface(String device) {
        if (!device.startsWith("net_af_packet") && !device.startsWith("net_af_xdp")) {
            return null;
        }
        for (String arg : device.split(",")) {
            if (arg.startsWith("iface=")) {
                return arg.substring("iface=".length());
            }
        }
        return null;
    }

    void guard(String iface) {
        set(Path.of("/proc/sys/net/ipv4/conf", iface, "rp_filter"), "1");
        set(Path.of("/proc/sys/net/ipv4/conf", iface, "arp_ignore"), "8");
        set(Path.of("/proc/sys/net/ipv6/conf", iface, "disable_ipv6"), "1");
    }

    private void set(Path file, String value) {
        try {
            String previous = Files.readString(file).trim();
            if (!previous.equals(value)) {
                Files.writeString(file, value);
                changed.add(new Setting(file, previous));
            }
        } catch (IOException e) {
            System.err.println("hairpin: warning: could not set " + file + " to " + value + " (" + e.getMessage()
                    + "); the kernel may also answer traffic on that interface.");
        }
    }

    @Override
    public void close() {
        for (Setting s : changed) {
            try {
                Files.writeString(s.file(), s.previous());
            } catch (IOException e) {
                System.err.println("hairpin: warning: could not restore " + s.file() + ": " + e.getMessage());
            }
        }
        changed.clear();
    }
}
