package io.hairpin.perf.jmh;

/**
 * The NAPT flow number g as a tuple, computed (no table of keys to read): inside client
 * 10.0.0.0 + g mod 16384, client port 1024 + (g / 16384) mod 32768, one of 16 servers on 443,
 * public address 198.18.0.1 + g mod 32 and public port 1024 + (g / 32) mod 65536. Forward keys
 * are distinct for any 2^29 consecutive g, reverse keys (and external endpoints) for any 2^21,
 * so a live window of up to 1 M + 1 flows never repeats a key. Packed as the engine packs
 * session keys: k1 = src << 32 | dst, k2 = proto << 32 | srcPort << 16 | dstPort.
 */
final class Tuples {
    static final int SERVER_PORT = 443;

    private Tuples() {
    }

    static int client(int g) {
        return Worlds.ip(10, 0, 0, 0) + (g & 0x3FFF);
    }

    static int clientPort(int g) {
        return 1024 + ((g >>> 14) & 0x7FFF);
    }

    static int server(int g) {
        return Worlds.SERVER_BASE + (g & 15);
    }

    static int publicIp(int g) {
        return Worlds.POOL_BASE + (g & 31);
    }

    static int publicPort(int g) {
        return (1024 + ((g >>> 5) & 0xFFFF)) & 0xFFFF;
    }

    static long k1(int src, int dst) {
        return (long) src << 32 | (dst & 0xFFFF_FFFFL);
    }

    static long k2(int proto, int srcPort, int dstPort) {
        return (long) proto << 32 | (long) srcPort << 16 | dstPort;
    }
}
