package io.hairpin.engine.testing;

import java.util.Arrays;

/**
 * Builders for complete Ethernet frames with correct checksums, plus knobs for malformed frames.
 *
 * <p>Conventions: a MAC address is a {@code long} holding 48 bits, first byte most significant
 * ({@code mac("02:00:00:00:00:01") == 0x020000000001L}); an IPv4 address is an {@code int}, first
 * octet most significant ({@code ip("192.168.1.1") == 0xC0A80101}). Frames carry no FCS and are not
 * padded to 60 bytes unless {@code padTo(60)} / {@link #padTo(byte[], int)} is used.
 *
 * <p>Argument order: {@link #ethernet} takes (dst, src) like the wire; the L3/L4 helpers
 * ({@link #ipv4}, {@link #udp4}, {@link #tcp4}, {@link #icmpEcho4}, ...) take (srcMac, dstMac, srcIp, dstIp).
 *
 * <p>Defaults (equal to scapy's): ttl 64, id 1, tos 0, no flags, TCP window 8192, ICMP echo id/seq as given.
 */
public final class Frames {

    public static final long BROADCAST = 0xFFFF_FFFF_FFFFL;

    public static final int ETHERTYPE_IPV4 = 0x0800;
    public static final int ETHERTYPE_ARP = 0x0806;
    public static final int ETHERTYPE_VLAN = 0x8100;
    public static final int ETHERTYPE_IPV6 = 0x86DD;

    public static final int PROTO_ICMP = 1;
    public static final int PROTO_TCP = 6;
    public static final int PROTO_UDP = 17;

    public static final int TCP_FIN = 0x01;
    public static final int TCP_SYN = 0x02;
    public static final int TCP_RST = 0x04;
    public static final int TCP_PSH = 0x08;
    public static final int TCP_ACK = 0x10;
    public static final int TCP_URG = 0x20;
    public static final int TCP_ECE = 0x40;
    public static final int TCP_CWR = 0x80;

    public static final int ICMP_ECHO_REPLY = 0;
    public static final int ICMP_DEST_UNREACHABLE = 3;
    public static final int ICMP_ECHO_REQUEST = 8;
    public static final int ICMP_TIME_EXCEEDED = 11;
    public static final int ICMP_PARAMETER_PROBLEM = 12;
    /** Code of {@link #ICMP_DEST_UNREACHABLE}: fragmentation needed and DF set (next-hop MTU in the header). */
    public static final int ICMP_CODE_FRAG_NEEDED = 4;

    public static final int ARP_REQUEST = 1;
    public static final int ARP_REPLY = 2;

    /** Minimum Ethernet frame length without FCS. */
    public static final int ETH_MIN_FRAME = 60;

    private Frames() {}

    // ------------------------------------------------------------------ addresses

    /** Parses "02:00:00:00:00:01" (also '-' separated) into the low 48 bits of a long. */
    public static long mac(String text) {
        if (!text.matches("[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}")) {
            throw new IllegalArgumentException("not a MAC address: " + text);
        }
        long v = 0;
        for (String p : text.split("[:-]")) {
            v = (v << 8) | Integer.parseInt(p, 16);
        }
        return v;
    }

    /** Parses a dotted quad into an int, first octet most significant. */
    public static int ip(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("not an IPv4 address: " + text);
        }
        int v = 0;
        for (String p : parts) {
            if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            int octet = Integer.parseInt(p);
            if (octet > 255) {
                throw new IllegalArgumentException("not an IPv4 address: " + text);
            }
            v = (v << 8) | octet;
        }
        return v;
    }

    public static String macString(long mac) {
        StringBuilder sb = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8) {
            if (sb.length() > 0) {
                sb.append(':');
            }
            sb.append(String.format("%02x", (mac >>> shift) & 0xFF));
        }
        return sb.toString();
    }

    public static String ipString(int ip) {
        return (ip >>> 24) + "." + ((ip >>> 16) & 0xFF) + "." + ((ip >>> 8) & 0xFF) + "." + (ip & 0xFF);
    }

    // ------------------------------------------------------------------ Ethernet

    /** An untagged Ethernet II frame. */
    public static byte[] ethernet(long dstMac, long srcMac, int etherType, byte[] payload) {
        return ethernetFrame(dstMac, srcMac, -1, etherType, payload);
    }

    /** An Ethernet II frame with one 802.1Q tag (TPID 0x8100, PCP 0, DEI 0, the given VLAN id). */
    public static byte[] ethernetVlan(long dstMac, long srcMac, int vid, int etherType, byte[] payload) {
        if (vid < 0 || vid > 0xFFF) {
            throw new IllegalArgumentException("VLAN id out of range: " + vid);
        }
        return ethernetFrame(dstMac, srcMac, vid, etherType, payload);
    }

    static byte[] ethernetFrame(long dstMac, long srcMac, int vid, int etherType, byte[] payload) {
        int hdr = vid < 0 ? 14 : 18;
        byte[] f = new byte[hdr + payload.length];
        putMac(f, 0, dstMac);
        putMac(f, 6, srcMac);
        if (vid >= 0) {
            put16(f, 12, ETHERTYPE_VLAN);
            put16(f, 14, vid & 0xFFF);
        }
        put16(f, hdr - 2, etherType);
        System.arraycopy(payload, 0, f, hdr, payload.length);
        return f;
    }

    // ------------------------------------------------------------------ ARP

    /** Who-has {@code targetIp}, broadcast, target hardware address zero. */
    public static byte[] arpRequest(long srcMac, int srcIp, int targetIp) {
        return arp(ARP_REQUEST, srcMac, srcIp, 0L, targetIp).build();
    }

    /** {@code srcIp} is-at {@code srcMac}, unicast to {@code dstMac}. */
    public static byte[] arpReply(long srcMac, int srcIp, long dstMac, int dstIp) {
        return arp(ARP_REPLY, srcMac, srcIp, dstMac, dstIp).build();
    }

    /** General ARP builder. Ethernet destination defaults to broadcast for op 1 and to {@code tha} otherwise. */
    public static ArpBuilder arp(int op, long sha, int spa, long tha, int tpa) {
        return new ArpBuilder(op, sha, spa, tha, tpa);
    }

    public static final class ArpBuilder {
        private final int op;
        private final long sha;
        private final int spa;
        private final long tha;
        private final int tpa;
        private long ethDst;
        private long ethSrc;
        private int vlan = -1;
        private int hardwareType = 1;
        private int protocolType = ETHERTYPE_IPV4;
        private int hardwareLength = 6;
        private int protocolLength = 4;
        private int padTo;
        private int truncateTo = -1;

        private ArpBuilder(int op, long sha, int spa, long tha, int tpa) {
            this.op = op;
            this.sha = sha;
            this.spa = spa;
            this.tha = tha;
            this.tpa = tpa;
            this.ethDst = op == ARP_REQUEST ? BROADCAST : tha;
            this.ethSrc = sha;
        }

        public ArpBuilder ethDst(long mac) { this.ethDst = mac; return this; }
        public ArpBuilder ethSrc(long mac) { this.ethSrc = mac; return this; }
        public ArpBuilder vlan(int vid) { this.vlan = vid; return this; }
        public ArpBuilder hardwareType(int v) { this.hardwareType = v; return this; }
        public ArpBuilder protocolType(int v) { this.protocolType = v; return this; }
        /** Malformed-frame knob: changes only the HLEN byte; the addresses are still laid out as 6 bytes. */
        public ArpBuilder hardwareLength(int v) { this.hardwareLength = v; return this; }
        /** Malformed-frame knob: changes only the PLEN byte; the addresses are still laid out as 4 bytes. */
        public ArpBuilder protocolLength(int v) { this.protocolLength = v; return this; }
        public ArpBuilder padTo(int frameLength) { this.padTo = frameLength; return this; }
        public ArpBuilder truncate(int frameLength) { this.truncateTo = frameLength; return this; }

        public byte[] build() {
            byte[] a = new byte[28];
            put16(a, 0, hardwareType);
            put16(a, 2, protocolType);
            a[4] = (byte) hardwareLength;
            a[5] = (byte) protocolLength;
            put16(a, 6, op);
            putMac(a, 8, sha);
            put32(a, 14, spa);
            putMac(a, 18, tha);
            put32(a, 24, tpa);
            byte[] f = ethernetFrame(ethDst, ethSrc, vlan, ETHERTYPE_ARP, a);
            return finishFrame(f, padTo, truncateTo);
        }
    }

    // ------------------------------------------------------------------ IPv4

    /** IPv4 builder with no L4 yet (protocol 0, empty payload); pick one of udp/tcp/icmpEcho/icmp/payload. */
    public static Ipv4Builder ipv4(long srcMac, long dstMac, int srcIp, int dstIp) {
        return new Ipv4Builder(srcMac, dstMac, srcIp, dstIp);
    }

    public static Ipv4Builder udp4(long srcMac, long dstMac, int srcIp, int dstIp, int sport, int dport, byte[] payload) {
        return ipv4(srcMac, dstMac, srcIp, dstIp).udp(sport, dport, payload);
    }

    public static Ipv4Builder tcp4(long srcMac, long dstMac, int srcIp, int dstIp, int sport, int dport,
                                   long seq, long ack, int flags, byte[] payload) {
        return ipv4(srcMac, dstMac, srcIp, dstIp).tcp(sport, dport, seq, ack, flags, payload);
    }

    public static Ipv4Builder icmpEcho4(long srcMac, long dstMac, int srcIp, int dstIp, int type, int id, int seq,
                                       byte[] payload) {
        return ipv4(srcMac, dstMac, srcIp, dstIp).icmpEcho(type, id, seq, payload);
    }

    /**
     * ICMP error (type 3/11/12) quoting the IP header plus the first 8 payload bytes of {@code offendingIpPacket}
     * (RFC 792 minimum). {@code restOfHeader} is bytes 4..7 of the ICMP header: 0, or the next-hop MTU for 3/4,
     * or {@code pointer << 24} for 12.
     */
    public static Ipv4Builder icmpError4(long srcMac, long dstMac, int srcIp, int dstIp, int type, int code,
                                         int restOfHeader, byte[] offendingIpPacket) {
        return ipv4(srcMac, dstMac, srcIp, dstIp).icmp(type, code, restOfHeader, icmpQuote(offendingIpPacket));
    }

    public static final class Ipv4Builder {
        private enum L4 { NONE, UDP, TCP, ICMP, RAW }

        private final long srcMac;
        private final long dstMac;
        private final int srcIp;
        private final int dstIp;
        private int vlan = -1;
        private int tos;
        private int ttl = 64;
        private int id = 1;
        private boolean df;
        private boolean mf;
        private int fragOffset;
        private byte[] options = new byte[0];
        private Integer protocolOverride;

        private L4 l4 = L4.NONE;
        private int rawProtocol;
        private int sport;
        private int dport;
        private long seq;
        private long ack;
        private int tcpFlags;
        private int tcpWindow = 8192;
        private int tcpUrgent;
        private byte[] tcpOptions = new byte[0];
        private int icmpType;
        private int icmpCode;
        private int icmpRest;
        private byte[] l4Payload = new byte[0];
        private Integer l4ChecksumOverride;
        private boolean corruptL4Checksum;

        private Integer versionOverride;
        private Integer ihlOverride;
        private Integer totalLengthOverride;
        private Integer headerChecksumOverride;
        private boolean corruptHeaderChecksum;
        private int padTo;
        private int truncateTo = -1;

        private Ipv4Builder(long srcMac, long dstMac, int srcIp, int dstIp) {
            this.srcMac = srcMac;
            this.dstMac = dstMac;
            this.srcIp = srcIp;
            this.dstIp = dstIp;
        }

        // --- L2 / L3 fields
        public Ipv4Builder vlan(int vid) { this.vlan = vid; return this; }
        public Ipv4Builder tos(int v) { this.tos = v; return this; }
        public Ipv4Builder ttl(int v) { this.ttl = v; return this; }
        public Ipv4Builder id(int v) { this.id = v; return this; }
        public Ipv4Builder df(boolean v) { this.df = v; return this; }
        public Ipv4Builder mf(boolean v) { this.mf = v; return this; }
        /** Fragment offset in 8-byte units, as in the header field (0..8191). */
        public Ipv4Builder fragOffset(int units) { this.fragOffset = units; return this; }
        /** Raw IPv4 options; zero-padded to a multiple of 4 bytes. IHL follows. */
        public Ipv4Builder options(byte[] v) { this.options = v.clone(); return this; }
        /** Overrides the protocol field only (the L4 bytes and their checksum are unchanged). */
        public Ipv4Builder protocol(int v) { this.protocolOverride = v; return this; }

        // --- L4 choice (the last call wins)
        public Ipv4Builder udp(int sport, int dport, byte[] payload) {
            this.l4 = L4.UDP;
            this.sport = sport;
            this.dport = dport;
            this.l4Payload = payload.clone();
            return this;
        }

        /** {@code seq}/{@code ack} are unsigned 32-bit values; {@code flags} uses the TCP_* constants. */
        public Ipv4Builder tcp(int sport, int dport, long seq, long ack, int flags, byte[] payload) {
            this.l4 = L4.TCP;
            this.sport = sport;
            this.dport = dport;
            this.seq = seq;
            this.ack = ack;
            this.tcpFlags = flags;
            this.l4Payload = payload.clone();
            return this;
        }

        public Ipv4Builder tcpWindow(int v) { this.tcpWindow = v; return this; }
        public Ipv4Builder tcpUrgent(int v) { this.tcpUrgent = v; return this; }
        /** Raw TCP options; zero-padded to a multiple of 4 bytes. Data offset follows. */
        public Ipv4Builder tcpOptions(byte[] v) { this.tcpOptions = v.clone(); return this; }

        /** ICMP echo: {@code type} 8 (request) or 0 (reply). */
        public Ipv4Builder icmpEcho(int type, int id, int seq, byte[] payload) {
            return icmp(type, 0, ((id & 0xFFFF) << 16) | (seq & 0xFFFF), payload);
        }

        /** Any ICMP message: type, code, bytes 4..7 of the header as a big-endian int, and the body. */
        public Ipv4Builder icmp(int type, int code, int restOfHeader, byte[] body) {
            this.l4 = L4.ICMP;
            this.icmpType = type;
            this.icmpCode = code;
            this.icmpRest = restOfHeader;
            this.l4Payload = body.clone();
            return this;
        }

        /** Arbitrary IP payload bytes, copied verbatim (no checksum processing), e.g. for non-first fragments. */
        public Ipv4Builder payload(int protocol, byte[] raw) {
            this.l4 = L4.RAW;
            this.rawProtocol = protocol;
            this.l4Payload = raw.clone();
            return this;
        }

        // --- checksum and malformation knobs
        /** Stores this exact value in the UDP/TCP/ICMP checksum field (for UDP, 0 means "no checksum"). */
        public Ipv4Builder l4Checksum(int v) { this.l4ChecksumOverride = v; return this; }
        /** Stores a wrong UDP/TCP/ICMP checksum (never 0, never an alias of the right one). */
        public Ipv4Builder corruptL4Checksum() { this.corruptL4Checksum = true; return this; }
        /** Stores this exact value in the IPv4 header checksum field. */
        public Ipv4Builder headerChecksum(int v) { this.headerChecksumOverride = v; return this; }
        /** Stores a wrong IPv4 header checksum (never an alias of the right one). */
        public Ipv4Builder corruptHeaderChecksum() { this.corruptHeaderChecksum = true; return this; }
        /** Overrides the version nibble (e.g. 6 inside an IPv4 ethertype). Header checksum stays correct. */
        public Ipv4Builder version(int v) { this.versionOverride = v; return this; }
        /**
         * Overrides the IHL nibble without changing the layout. The header checksum is computed over
         * IHL*4 bytes when 20 <= IHL*4 <= packet length, else over the real header, so it stays correct
         * whenever a receiver could check it.
         */
        public Ipv4Builder ihl(int v) { this.ihlOverride = v; return this; }
        /** Overrides the total length field (e.g. larger than the frame). Header checksum stays correct. */
        public Ipv4Builder totalLength(int v) { this.totalLengthOverride = v; return this; }
        /** Zero-pads the finished frame to at least this many bytes (60 = Ethernet minimum). */
        public Ipv4Builder padTo(int frameLength) { this.padTo = frameLength; return this; }
        /** Cuts the finished frame to this many bytes. */
        public Ipv4Builder truncate(int frameLength) { this.truncateTo = frameLength; return this; }

        /** The complete Ethernet frame. */
        public byte[] build() {
            byte[] f = ethernetFrame(dstMac, srcMac, vlan, ETHERTYPE_IPV4, packet());
            return finishFrame(f, padTo, truncateTo);
        }

        /** The IPv4 packet alone (no Ethernet header, no padding/truncation), e.g. to quote in an ICMP error. */
        public byte[] packet() {
            byte[] l4Bytes = buildL4();
            byte[] opts = Arrays.copyOf(options, (options.length + 3) / 4 * 4);
            int hdrLen = 20 + opts.length;
            byte[] p = new byte[hdrLen + l4Bytes.length];
            int version = versionOverride != null ? versionOverride : 4;
            int ihl = ihlOverride != null ? ihlOverride : hdrLen / 4;
            p[0] = (byte) ((version << 4) | (ihl & 0x0F));
            p[1] = (byte) tos;
            put16(p, 2, totalLengthOverride != null ? totalLengthOverride : p.length);
            put16(p, 4, id);
            put16(p, 6, (df ? 0x4000 : 0) | (mf ? 0x2000 : 0) | (fragOffset & 0x1FFF));
            p[8] = (byte) ttl;
            p[9] = (byte) (protocolOverride != null ? protocolOverride : l4Protocol());
            put32(p, 12, srcIp);
            put32(p, 16, dstIp);
            System.arraycopy(opts, 0, p, 20, opts.length);
            System.arraycopy(l4Bytes, 0, p, hdrLen, l4Bytes.length);

            int span = (ihl & 0x0F) * 4;
            if (span < 20 || span > p.length) {
                span = hdrLen;
            }
            int csum = Checksum.finish(Checksum.add(0, p, 0, span));
            if (corruptHeaderChecksum) {
                csum = Checksum.corrupt(csum);
            }
            if (headerChecksumOverride != null) {
                csum = headerChecksumOverride;
            }
            put16(p, 10, csum);
            return p;
        }

        private int l4Protocol() {
            return switch (l4) {
                case NONE -> 0;
                case UDP -> PROTO_UDP;
                case TCP -> PROTO_TCP;
                case ICMP -> PROTO_ICMP;
                case RAW -> rawProtocol;
            };
        }

        private byte[] buildL4() {
            byte[] b;
            int csumOff;
            int csum;
            switch (l4) {
                case UDP -> {
                    b = new byte[8 + l4Payload.length];
                    put16(b, 0, sport);
                    put16(b, 2, dport);
                    put16(b, 4, b.length);
                    System.arraycopy(l4Payload, 0, b, 8, l4Payload.length);
                    csumOff = 6;
                    long acc = Checksum.addPseudoHeader(0, srcIp, dstIp, PROTO_UDP, b.length);
                    csum = Checksum.finish(Checksum.add(acc, b, 0, b.length));
                    if (csum == 0) {
                        csum = 0xFFFF;   // RFC 768: a computed zero is transmitted as all ones
                    }
                }
                case TCP -> {
                    byte[] opts = Arrays.copyOf(tcpOptions, (tcpOptions.length + 3) / 4 * 4);
                    int hdr = 20 + opts.length;
                    b = new byte[hdr + l4Payload.length];
                    put16(b, 0, sport);
                    put16(b, 2, dport);
                    put32(b, 4, (int) seq);
                    put32(b, 8, (int) ack);
                    put16(b, 12, ((hdr / 4) << 12) | (tcpFlags & 0x1FF));
                    put16(b, 14, tcpWindow);
                    put16(b, 18, tcpUrgent);
                    System.arraycopy(opts, 0, b, 20, opts.length);
                    System.arraycopy(l4Payload, 0, b, hdr, l4Payload.length);
                    csumOff = 16;
                    long acc = Checksum.addPseudoHeader(0, srcIp, dstIp, PROTO_TCP, b.length);
                    csum = Checksum.finish(Checksum.add(acc, b, 0, b.length));
                }
                case ICMP -> {
                    b = new byte[8 + l4Payload.length];
                    b[0] = (byte) icmpType;
                    b[1] = (byte) icmpCode;
                    put32(b, 4, icmpRest);
                    System.arraycopy(l4Payload, 0, b, 8, l4Payload.length);
                    csumOff = 2;
                    csum = Checksum.finish(Checksum.add(0, b, 0, b.length));
                }
                case RAW -> {
                    return l4Payload.clone();
                }
                default -> {
                    return new byte[0];
                }
            }
            if (corruptL4Checksum) {
                csum = Checksum.corrupt(csum);
            }
            if (l4ChecksumOverride != null) {
                csum = l4ChecksumOverride;
            }
            put16(b, csumOff, csum);
            return b;
        }
    }

    // ------------------------------------------------------------------ frame surgery

    /** The first {@code length} bytes of {@code frame} (a copy). */
    public static byte[] truncate(byte[] frame, int length) {
        return Arrays.copyOf(frame, Math.min(length, frame.length));
    }

    /** {@code frame} zero-padded to at least {@code length} bytes (a copy). */
    public static byte[] padTo(byte[] frame, int length) {
        return Arrays.copyOf(frame, Math.max(length, frame.length));
    }

    /** The bytes after the Ethernet header (and one 802.1Q tag if present), including any padding. */
    public static byte[] l3Of(byte[] frame) {
        int hdr = frame.length >= 18 && get16(frame, 12) == ETHERTYPE_VLAN ? 18 : 14;
        return Arrays.copyOfRange(frame, Math.min(hdr, frame.length), frame.length);
    }

    /** The RFC 792 quote of an IPv4 packet: its header (IHL*4 bytes) plus the first 8 bytes of its payload. */
    public static byte[] icmpQuote(byte[] ipPacket) {
        int ihl = ipPacket.length > 0 ? (ipPacket[0] & 0x0F) * 4 : 0;
        return Arrays.copyOf(ipPacket, Math.min(ipPacket.length, ihl + 8));
    }

    private static byte[] finishFrame(byte[] f, int padTo, int truncateTo) {
        byte[] out = padTo(f, padTo);
        return truncateTo >= 0 ? truncate(out, truncateTo) : out;
    }

    // ------------------------------------------------------------------ byte helpers

    static void put16(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    static void put32(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    static void putMac(byte[] b, int off, long mac) {
        for (int i = 0; i < 6; i++) {
            b[off + i] = (byte) (mac >>> (40 - 8 * i));
        }
    }

    private static int get16(byte[] b, int off) {
        return ((b[off] & 0xFF) << 8) | (b[off + 1] & 0xFF);
    }
}
