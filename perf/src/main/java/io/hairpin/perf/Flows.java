package io.hairpin.perf;

/**
 * A numbered set of flows and the order the {@link Mirror} hands them out in. Flow g (0 ≤ g &lt; n)
 * goes from client host {@code g mod hosts} (address clientBase + host), client port
 * {@code portBase + g / hosts}, to one of {@code servers} servers ({@link #serverIp}) on
 * serverPort. {@code hosts} is a power of two (or n itself), so no division.
 *
 * <p>{@link #next()} walks the flows as g, g + stride, g + 2·stride, … (mod n). With stride 1 the
 * flows come in creation order; with a stride coprime with n every flow still comes exactly once
 * per n calls, but consecutive flows are far apart ({@link #scatter()} picks ≈ 0.618·n), so that a
 * table filled in creation order is then read in an order no prefetcher follows.
 */
final class Flows {
    final int n;
    final int hosts;
    private final int hostMask;
    private final int hostShift;
    final int clientBase;
    final int portBase;
    final int serverBase;
    final int servers;
    final int serverPort;
    final int proto;
    private int cursor;
    private int stride = 1;

    /**
     * @param hosts   a power of two ≤ n, or n (then every flow has its own host and port portBase)
     * @param servers a power of two
     */
    Flows(int n, int hosts, int clientBase, int portBase, int serverBase, int servers, int serverPort, int proto) {
        if (n < 1 || n > 1 << 30 || hosts < 1 || hosts > n || (hosts != n && Integer.bitCount(hosts) != 1)) {
            throw new IllegalArgumentException("n " + n + ", hosts " + hosts);
        }
        if (Integer.bitCount(servers) != 1) {
            throw new IllegalArgumentException("servers must be a power of two: " + servers);
        }
        long lastPort = portBase + (long) (n - 1) / hosts;
        if (portBase < 1 || lastPort > 65535) {
            throw new IllegalArgumentException("client ports " + portBase + ".." + lastPort + " do not fit");
        }
        this.n = n;
        this.hosts = hosts;
        this.hostMask = hosts == n ? -1 : hosts - 1;
        this.hostShift = hosts == n ? 31 : Integer.numberOfTrailingZeros(hosts);
        this.clientBase = clientBase;
        this.portBase = portBase;
        this.serverBase = serverBase;
        this.servers = servers;
        this.serverPort = serverPort;
        this.proto = proto;
    }

    /** Ports per client host. */
    int portsPerHost() {
        return (n + hosts - 1) / hosts;
    }

    int host(int g) {
        return g & hostMask;
    }

    int clientIp(int g) {
        return clientBase + (g & hostMask);
    }

    int clientPort(int g) {
        return portBase + (g >>> hostShift);
    }

    /**
     * Flow g's server: serverBase + (host + g / hosts) mod 16, each host's flows going round the
     * first 16 servers; with more servers, g / 16 picks which 16 in turn (its 16 consecutive flows
     * have 16 consecutive hosts, so they cover the 16), and every server gets n / servers flows
     * give or take one.
     */
    int serverIp(int g) {
        return serverBase + ((((g & hostMask) + (g >>> hostShift)) & 15 | (g >>> 4) << 4) & (servers - 1));
    }

    int serverPort(int g) {
        return serverPort;
    }

    /** A locally administered MAC derived from an address (what the neighbour table learns for it). */
    static long mac(int ip) {
        return 0x02_00_00_00_00_00L | (ip & 0xffffffffL);
    }

    /** The next flow of the walk. */
    int next() {
        int g = cursor;
        int c = g + stride;
        if (c >= n) { // no overflow: n ≤ 2^30
            c -= n;
        }
        cursor = c;
        return g;
    }

    /** From now on, walk with a stride ≈ 0.618·n coprime with n (every flow once per n, scattered). */
    void scatter() {
        stride = scatterStride(n);
    }

    int stride() {
        return stride;
    }

    static int scatterStride(int n) {
        if (n <= 2) {
            return 1;
        }
        int s = (int) Math.round(n * 0.6180339887498949);
        while (gcd(s, n) != 1) {
            s++;
        }
        return s % n;
    }

    private static int gcd(int a, int b) {
        while (b != 0) {
            int t = a % b;
            a = b;
            b = t;
        }
        return a;
    }
}
