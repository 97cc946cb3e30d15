package io.hairpin.engine;

import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * The TCP ports the appliance's own kernel listens on: the host services the exception path
 * reaches. NAT asks it about one kind of packet only, an unsolicited SYN to a NAPT address that
 * is also the appliance's own (RFC 5382 REQ-4: the NAT must not answer that SYN, since the
 * internal host's own SYN may be on its way — TCP simultaneous open). Where no service listens,
 * the SYN is dropped silently instead of reaching the kernel, which would answer with a RST.
 *
 * <p>{@link #refresh} reads {@code /proc/net/tcp} and {@code /proc/net/tcp6} of this process's
 * network namespace, where the exception path's TAPs are, and publishes the listeners whole;
 * workers read the published table with one volatile load.
 */
public final class KernelListeners {
    private static final Path PROC_TCP = Path.of("/proc/net/tcp");
    private static final Path PROC_TCP6 = Path.of("/proc/net/tcp6");
    private static final String STATE_LISTEN = "0A";
    private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    private volatile Table table = Table.EMPTY;

    /** True when a kernel socket listens on TCP port of addr, bound to addr itself or to any address. */
    public boolean listens(int addr, int port) {
        return table.listens(addr, port);
    }

    /** The listeners as last published: per socket (address, port), address 0 for any. */
    public Table table() {
        return table;
    }

    /**
     * Reads the kernel's listening sockets and publishes them.
     *
     * @return true when they differ from what was published before
     * @throws IOException when {@code /proc/net/tcp} cannot be read (what was published stays)
     */
    public boolean refresh() throws IOException {
        String tcp6;
        try {
            tcp6 = Files.readString(PROC_TCP6);
        } catch (NoSuchFileException e) {
            tcp6 = ""; // a kernel without IPv6
        }
        return publish(parse(Files.readString(PROC_TCP), tcp6));
    }

    /**
     * Refreshes every periodMillis on a daemon thread until the returned handle is closed, so a
     * service started or stopped on the appliance is seen within a period. A failed read is
     * reported once on stderr and the last table stays.
     */
    public AutoCloseable watch(long periodMillis) {
        Thread thread = Thread.ofPlatform().daemon().name("hairpin-listeners").start(() -> {
            boolean warned = false;
            while (!Thread.currentThread().isInterrupted()) {
                try {
                    refresh();
                } catch (IOException | RuntimeException e) {
                    if (!warned) {
                        System.err.println("hairpin: warning: cannot read the kernel's TCP listeners (" + e
                                + "); unsolicited SYNs to NAPT addresses go by the last list read");
                        warned = true;
                    }
                }
                try {
                    Thread.sleep(periodMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        return () -> {
            thread.interrupt();
            thread.join(1000);
        };
    }

    /** Publishes next; true when it differs from the table it replaces. */
    public boolean publish(Table next) {
        boolean changed = !next.equals(table);
        if (changed) {
            table = next;
        }
        return changed;
    }

    /**
     * The listening sockets of a {@code /proc/net/tcp} and a {@code /proc/net/tcp6} text. IPv6
     * sockets count when bound to any address (Linux's default lets them take IPv4 too) or to an
     * IPv4-mapped one; other IPv6 addresses are not the appliance's IPv4 addresses.
     */
    public static Table parse(String tcp, String tcp6) {
        long[] wildcard = new long[65536 / 64];
        long[] specific = new long[16];
        int n = 0;
        for (String text : new String[] {tcp, tcp6}) {
            for (String line : text.split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (f.length < 4 || !f[0].endsWith(":") || !f[3].equals(STATE_LISTEN)) {
                    continue; // the header, or a socket that does not listen
                }
                int colon = f[1].indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String hex = f[1].substring(0, colon);
                int port = Integer.parseInt(f[1].substring(colon + 1), 16);
                long addr = hex.length() == 8 ? word(hex, 0) & 0xFFFF_FFFFL : ipv4OfIpv6(hex);
                if (addr == 0) {
                    wildcard[port >>> 6] |= 1L << port;
                } else if (addr > 0) {
                    if (n == specific.length) {
                        specific = Arrays.copyOf(specific, 2 * n);
                    }
                    specific[n++] = addr << 16 | port;
                }
            }
        }
        Arrays.sort(specific, 0, n);
        int distinct = 0;
        for (int i = 0; i < n; i++) {
            if (distinct == 0 || specific[i] != specific[distinct - 1]) {
                specific[distinct++] = specific[i]; // SO_REUSEPORT: several sockets, one listener
            }
        }
        return new Table(wildcard, Arrays.copyOf(specific, distinct));
    }

    /** The i-th 32-bit word of a /proc address: the kernel prints each in the host's byte order. */
    private static int word(String hex, int i) {
        int v = (int) Long.parseLong(hex.substring(8 * i, 8 * i + 8), 16);
        return LITTLE_ENDIAN ? Integer.reverseBytes(v) : v;
    }

    /** 0 for ::, the IPv4 address of ::ffff:a.b.c.d, -1 for any other IPv6 address. */
    private static long ipv4OfIpv6(String hex) {
        if (hex.length() != 32 || word(hex, 0) != 0 || word(hex, 1) != 0) {
            return -1;
        }
        int w2 = word(hex, 2);
        int w3 = word(hex, 3);
        if (w2 == 0 && w3 == 0) {
            return 0;
        }
        return w2 == 0x0000_FFFF ? w3 & 0xFFFF_FFFFL : -1;
    }

    /** A listening socket's address (0: any) and TCP port. */
    public record Listener(int address, int port) {
    }

    /**
     * Listening sockets: a bitmap of the ports some socket listens on for any address, and the
     * sorted (address << 16 | port) of those bound to one address.
     */
    public static final class Table {
        static final Table EMPTY = new Table(new long[65536 / 64], new long[0]);

        private final long[] wildcardPorts;
        private final long[] addressPorts;

        Table(long[] wildcardPorts, long[] addressPorts) {
            this.wildcardPorts = wildcardPorts;
            this.addressPorts = addressPorts;
        }

        public boolean listens(int addr, int port) {
            return (wildcardPorts[port >>> 6] & 1L << port) != 0
                    || Arrays.binarySearch(addressPorts, (addr & 0xFFFF_FFFFL) << 16 | port) >= 0;
        }

        /** The listeners, those of any address (address 0) first, each group by address and port. */
        public java.util.List<Listener> listeners() {
            java.util.List<Listener> all = new java.util.ArrayList<>();
            for (int port = 0; port < 65536; port++) {
                if ((wildcardPorts[port >>> 6] & 1L << port) != 0) {
                    all.add(new Listener(0, port));
                }
            }
            for (long ap : addressPorts) {
                all.add(new Listener((int) (ap >>> 16), (int) (ap & 0xFFFF)));
            }
            return all;
        }

        /** How many distinct (address, port) listeners, a port of any address counted once. */
        public int size() {
            int n = addressPorts.length;
            for (long w : wildcardPorts) {
                n += Long.bitCount(w);
            }
            return n;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Table t && Arrays.equals(wildcardPorts, t.wildcardPorts)
                    && Arrays.equals(addressPorts, t.addressPorts);
        }

        @Override
        public int hashCode() {
            return 31 * Arrays.hashCode(wildcardPorts) + Arrays.hashCode(addressPorts);
        }
    }
}
