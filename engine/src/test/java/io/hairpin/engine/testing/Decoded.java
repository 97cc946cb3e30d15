package io.hairpin.engine.testing;

import java.util.Arrays;

/**
 * Decodes Ethernet frames into plain records for assertions. Never throws on garbage: fields that
 * could not be read are -1 (addresses as int: 0), byte arrays are empty, sub-records are null, and
 * {@code truncated} / {@code wellFormed} say what went wrong.
 *
 * <p>Checksum validity is always a full recomputation over the received bytes, compared for equality
 * with the stored field ({@code expectedChecksum} holds the recomputed value, -1 if it could not be
 * computed). UDP checksum 0 means "none" and counts as valid. L4 is decoded only when the fragment
 * offset is 0; for a first fragment (MF set) the L4 checksum covers bytes not present and will
 * normally be reported invalid.
 *
 * <p>Records hold {@code byte[]} components, so compare them field by field, not with {@code equals}.
 */
public final class Decoded {

    private static final int MAX_DEPTH = 4;

    private Decoded() {}

    /** An Ethernet frame. {@code vlan} is the 802.1Q VLAN id or -1; {@code etherType} is the inner one. */
    public record Frame(int length, long dstMac, long srcMac, int vlan, int etherType, byte[] l3,
                        Arp arp, Ipv4 ipv4, boolean truncated) {
        @Override
        public String toString() {
            return "Frame[len=" + length + " " + macStr(srcMac) + " -> " + macStr(dstMac)
                    + (vlan >= 0 ? " vlan=" + vlan : "") + " type=" + hex16(etherType)
                    + (truncated ? " TRUNCATED" : "")
                    + (arp != null ? " " + arp : ipv4 != null ? " " + ipv4 : " l3=" + hex(l3)) + "]";
        }
    }

    /** ARP. Addresses are decoded only when HLEN is 6 and PLEN is 4 (else sha/tha -1, spa/tpa 0). */
    public record Arp(int hardwareType, int protocolType, int hardwareLength, int protocolLength, int op,
                      long sha, int spa, long tha, int tpa, boolean wellFormed, boolean truncated) {
        @Override
        public String toString() {
            return "Arp[op=" + op + " sha=" + macStr(sha) + " spa=" + Frames.ipString(spa) + " tha=" + macStr(tha)
                    + " tpa=" + Frames.ipString(tpa) + " htype=" + hardwareType + " ptype=" + hex16(protocolType)
                    + " hlen=" + hardwareLength + " plen=" + protocolLength
                    + (wellFormed ? "" : " MALFORMED") + (truncated ? " TRUNCATED" : "") + "]";
        }
    }

    /**
     * IPv4. {@code fragOffset} is in 8-byte units. {@code payload} is the bytes between IHL*4 and
     * total length (clipped to what is present; link padding excluded). {@code truncated}: the header
     * or total length runs past the available bytes. {@code wellFormed}: version 4, IHL >= 5,
     * total length >= IHL*4, not truncated (says nothing about checksums).
     */
    public record Ipv4(int version, int ihl, int tos, int totalLength, int id, boolean df, boolean mf,
                       int fragOffset, int ttl, int protocol, int headerChecksum, boolean headerChecksumValid,
                       int expectedHeaderChecksum, int src, int dst, byte[] options, byte[] payload,
                       Udp udp, Tcp tcp, Icmp icmp, boolean wellFormed, boolean truncated) {
        @Override
        public String toString() {
            return "Ipv4[" + Frames.ipString(src) + " -> " + Frames.ipString(dst) + " v=" + version + " ihl=" + ihl
                    + " tos=" + tos + " len=" + totalLength + " id=" + id + (df ? " DF" : "") + (mf ? " MF" : "")
                    + " frag=" + fragOffset + " ttl=" + ttl + " proto=" + protocol
                    + " csum=" + hex16(headerChecksum) + (headerChecksumValid ? " ok" : " BAD(expected "
                    + hex16(expectedHeaderChecksum) + ")")
                    + (options.length > 0 ? " options=" + hex(options) : "")
                    + (wellFormed ? "" : " MALFORMED") + (truncated ? " TRUNCATED" : "")
                    + (udp != null ? " " + udp : tcp != null ? " " + tcp : icmp != null ? " " + icmp
                    : " payload=" + hex(payload)) + "]";
        }
    }

    /** UDP. {@code truncated}: fewer than 8 bytes, or the length field runs past the IP payload. */
    public record Udp(int sport, int dport, int length, int checksum, boolean checksumValid, int expectedChecksum,
                      byte[] payload, boolean truncated) {
        @Override
        public String toString() {
            return "Udp[" + sport + " -> " + dport + " len=" + length + " csum=" + hex16(checksum)
                    + (checksumValid ? " ok" : " BAD(expected " + hex16(expectedChecksum) + ")")
                    + (truncated ? " TRUNCATED" : "") + " payload=" + hex(payload) + "]";
        }
    }

    /** TCP. {@code seq}/{@code ack} are unsigned 32-bit; {@code flags} holds the 9 flag bits (TCP_* constants). */
    public record Tcp(int sport, int dport, long seq, long ack, int dataOffset, int flags, int window, int checksum,
                      boolean checksumValid, int expectedChecksum, int urgentPointer, byte[] options, byte[] payload,
                      boolean truncated) {
        @Override
        public String toString() {
            return "Tcp[" + sport + " -> " + dport + " seq=" + seq + " ack=" + ack + " doff=" + dataOffset
                    + " flags=" + hex16(flags) + " win=" + window + " csum=" + hex16(checksum)
                    + (checksumValid ? " ok" : " BAD(expected " + hex16(expectedChecksum) + ")")
                    + (options.length > 0 ? " options=" + hex(options) : "")
                    + (truncated ? " TRUNCATED" : "") + " payload=" + hex(payload) + "]";
        }
    }

    /**
     * ICMP. {@code restOfHeader} is bytes 4..7 (unsigned, -1 if absent). {@code id}/{@code seq} only for
     * echo (types 0, 8), {@code mtu} only for 3/4, {@code pointer} only for 12, else -1. For errors
     * (types 3, 11, 12) {@code quoted} is the quoted IPv4 header decoded recursively (normally
     * {@code truncated}, its L4 decoded from the quoted bytes) and {@code quotedL4} the first (up to) 8
     * bytes after the quoted header; otherwise null. {@code body} is everything after the 8-byte header.
     */
    public record Icmp(int type, int code, int checksum, boolean checksumValid, int expectedChecksum,
                       long restOfHeader, int id, int seq, int mtu, int pointer, Ipv4 quoted, byte[] quotedL4,
                       byte[] body, boolean truncated) {
        @Override
        public String toString() {
            return "Icmp[type=" + type + " code=" + code + " csum=" + hex16(checksum)
                    + (checksumValid ? " ok" : " BAD(expected " + hex16(expectedChecksum) + ")")
                    + (id >= 0 ? " id=" + id + " seq=" + seq : "") + (mtu >= 0 ? " mtu=" + mtu : "")
                    + (pointer >= 0 ? " pointer=" + pointer : "") + (truncated ? " TRUNCATED" : "")
                    + (quoted != null ? " quoted=" + quoted : " body=" + hex(body)) + "]";
        }
    }

    // ------------------------------------------------------------------ decoding

    public static Frame frame(byte[] f) {
        if (f == null) {
            f = new byte[0];
        }
        int n = f.length;
        long dst = n >= 6 ? mac(f, 0) : -1;
        long src = n >= 12 ? mac(f, 6) : -1;
        int etherType = u16(f, 12);
        int vlan = -1;
        int hdr = 14;
        if (etherType == Frames.ETHERTYPE_VLAN) {
            int tci = u16(f, 14);
            vlan = tci < 0 ? -1 : tci & 0x0FFF;
            etherType = u16(f, 16);
            hdr = 18;
        }
        boolean truncated = n < hdr;
        byte[] l3 = n > hdr ? Arrays.copyOfRange(f, hdr, n) : new byte[0];
        Arp arp = null;
        Ipv4 ipv4 = null;
        if (!truncated && etherType == Frames.ETHERTYPE_ARP) {
            arp = arp(l3);
        } else if (!truncated && etherType == Frames.ETHERTYPE_IPV4) {
            ipv4 = ipv4(l3, 0);
        }
        return new Frame(n, dst, src, vlan, etherType, l3, arp, ipv4, truncated);
    }

    /** An ARP packet (bytes after the Ethernet header). */
    public static Arp arp(byte[] a) {
        int n = a.length;
        int htype = u16(a, 0);
        int ptype = u16(a, 2);
        int hlen = u8(a, 4);
        int plen = u8(a, 5);
        int op = u16(a, 6);
        boolean standardLengths = hlen == 6 && plen == 4;
        boolean truncated = n < 8 || (hlen >= 0 && plen >= 0 && n < 8 + 2 * hlen + 2 * plen);
        long sha = -1;
        long tha = -1;
        int spa = 0;
        int tpa = 0;
        if (standardLengths && !truncated) {
            sha = mac(a, 8);
            spa = i32(a, 14);
            tha = mac(a, 18);
            tpa = i32(a, 24);
        }
        boolean wellFormed = htype == 1 && ptype == Frames.ETHERTYPE_IPV4 && standardLengths && !truncated;
        return new Arp(htype, ptype, hlen, plen, op, sha, spa, tha, tpa, wellFormed, truncated);
    }

    /** A bare IPv4 packet (bytes after the Ethernet header). */
    public static Ipv4 ipv4(byte[] p) {
        return ipv4(p, 0);
    }

    private static Ipv4 ipv4(byte[] p, int depth) {
        int n = p.length;
        int b0 = u8(p, 0);
        int version = b0 < 0 ? -1 : b0 >>> 4;
        int ihl = b0 < 0 ? -1 : b0 & 0x0F;
        int tos = u8(p, 1);
        int totalLength = u16(p, 2);
        int id = u16(p, 4);
        int flagsFrag = u16(p, 6);
        boolean df = flagsFrag >= 0 && (flagsFrag & 0x4000) != 0;
        boolean mf = flagsFrag >= 0 && (flagsFrag & 0x2000) != 0;
        int fragOffset = flagsFrag < 0 ? -1 : flagsFrag & 0x1FFF;
        int ttl = u8(p, 8);
        int protocol = u8(p, 9);
        int checksum = u16(p, 10);
        int src = n >= 16 ? i32(p, 12) : 0;
        int dst = n >= 20 ? i32(p, 16) : 0;

        int hdrLen = ihl * 4;
        boolean headerPresent = ihl >= 5 && hdrLen <= n;
        int expected = headerPresent ? Checksum.computeWithFieldZeroed(p, 0, hdrLen, 10, 0) : -1;
        boolean checksumValid = headerPresent && checksum == expected;
        boolean payloadComplete = totalLength >= 0 && totalLength <= n;
        boolean truncated = n < 20 || (ihl >= 5 && hdrLen > n) || !payloadComplete;
        boolean wellFormed = version == 4 && ihl >= 5 && totalLength >= hdrLen && !truncated;

        byte[] options = headerPresent ? Arrays.copyOfRange(p, 20, hdrLen) : new byte[0];
        byte[] payload = headerPresent && totalLength > hdrLen
                ? Arrays.copyOfRange(p, hdrLen, Math.min(totalLength, n)) : new byte[0];

        Udp udp = null;
        Tcp tcp = null;
        Icmp icmp = null;
        if (headerPresent && fragOffset == 0 && totalLength > hdrLen) {
            switch (protocol) {
                case Frames.PROTO_UDP -> udp = udp(payload, src, dst);
                case Frames.PROTO_TCP -> tcp = tcp(payload, src, dst, payloadComplete);
                case Frames.PROTO_ICMP -> icmp = icmp(payload, payloadComplete, depth);
                default -> { }
            }
        }
        return new Ipv4(version, ihl, tos, totalLength, id, df, mf, fragOffset, ttl, protocol, checksum,
                checksumValid, expected, src, dst, options, payload, udp, tcp, icmp, wellFormed, truncated);
    }

    private static Udp udp(byte[] u, int srcIp, int dstIp) {
        int n = u.length;
        int sport = u16(u, 0);
        int dport = u16(u, 2);
        int length = u16(u, 4);
        int checksum = u16(u, 6);
        boolean truncated = n < 8 || length > n;
        int end = length >= 8 ? Math.min(length, n) : n;
        byte[] payload = n > 8 && end > 8 ? Arrays.copyOfRange(u, 8, end) : new byte[0];
        int expected = -1;
        if (n >= 8 && length >= 8 && length <= n) {
            long acc = Checksum.addPseudoHeader(0, srcIp, dstIp, Frames.PROTO_UDP, length);
            expected = Checksum.computeWithFieldZeroed(u, 0, length, 6, acc);
            if (expected == 0) {
                expected = 0xFFFF;
            }
        }
        boolean valid = checksum == 0 || (expected >= 0 && checksum == expected);
        return new Udp(sport, dport, length, checksum, valid, expected, payload, truncated);
    }

    private static Tcp tcp(byte[] t, int srcIp, int dstIp, boolean complete) {
        int n = t.length;
        int sport = u16(t, 0);
        int dport = u16(t, 2);
        long seq = u32(t, 4);
        long ack = u32(t, 8);
        int offFlags = u16(t, 12);
        int dataOffset = u8(t, 12) < 0 ? -1 : u8(t, 12) >>> 4;
        int flags = offFlags < 0 ? -1 : offFlags & 0x1FF;
        int window = u16(t, 14);
        int checksum = u16(t, 16);
        int urgent = u16(t, 18);
        int hdr = dataOffset * 4;
        boolean headerPresent = dataOffset >= 5 && hdr <= n;
        boolean truncated = !complete || n < 20 || hdr > n;
        byte[] options = headerPresent ? Arrays.copyOfRange(t, 20, hdr) : new byte[0];
        byte[] payload = headerPresent ? Arrays.copyOfRange(t, hdr, n) : new byte[0];
        int expected = -1;
        if (complete && n >= 18) {
            long acc = Checksum.addPseudoHeader(0, srcIp, dstIp, Frames.PROTO_TCP, n);
            expected = Checksum.computeWithFieldZeroed(t, 0, n, 16, acc);
        }
        boolean valid = expected >= 0 && checksum == expected;
        return new Tcp(sport, dport, seq, ack, dataOffset, flags, window, checksum, valid, expected, urgent,
                options, payload, truncated);
    }

    private static Icmp icmp(byte[] m, boolean complete, int depth) {
        int n = m.length;
        int type = u8(m, 0);
        int code = u8(m, 1);
        int checksum = u16(m, 2);
        long rest = u32(m, 4);
        boolean truncated = !complete || n < 8;
        int expected = complete && n >= 4 ? Checksum.computeWithFieldZeroed(m, 0, n, 2, 0) : -1;
        boolean valid = expected >= 0 && checksum == expected;
        boolean echo = type == Frames.ICMP_ECHO_REPLY || type == Frames.ICMP_ECHO_REQUEST;
        int id = echo && n >= 8 ? u16(m, 4) : -1;
        int seq = echo && n >= 8 ? u16(m, 6) : -1;
        int mtu = type == Frames.ICMP_DEST_UNREACHABLE && code == Frames.ICMP_CODE_FRAG_NEEDED && n >= 8
                ? u16(m, 6) : -1;
        int pointer = type == Frames.ICMP_PARAMETER_PROBLEM && n >= 5 ? u8(m, 4) : -1;
        byte[] body = n > 8 ? Arrays.copyOfRange(m, 8, n) : new byte[0];
        Ipv4 quoted = null;
        byte[] quotedL4 = null;
        boolean error = type == Frames.ICMP_DEST_UNREACHABLE || type == Frames.ICMP_TIME_EXCEEDED
                || type == Frames.ICMP_PARAMETER_PROBLEM;
        if (error && depth < MAX_DEPTH) {
            quoted = ipv4(body, depth + 1);
            int qhl = quoted.ihl() * 4;
            quotedL4 = quoted.ihl() >= 5 && body.length > qhl
                    ? Arrays.copyOfRange(body, qhl, Math.min(qhl + 8, body.length)) : new byte[0];
        }
        return new Icmp(type, code, checksum, valid, expected, rest, id, seq, mtu, pointer, quoted, quotedL4, body,
                truncated);
    }

    // ------------------------------------------------------------------ helpers

    private static int u8(byte[] b, int off) {
        return off < b.length ? b[off] & 0xFF : -1;
    }

    private static int u16(byte[] b, int off) {
        return off + 1 < b.length ? ((b[off] & 0xFF) << 8) | (b[off + 1] & 0xFF) : -1;
    }

    private static long u32(byte[] b, int off) {
        return off + 3 < b.length ? Integer.toUnsignedLong(i32(b, off)) : -1;
    }

    private static int i32(byte[] b, int off) {
        return ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8) | (b[off + 3] & 0xFF);
    }

    private static long mac(byte[] b, int off) {
        long v = 0;
        for (int i = 0; i < 6; i++) {
            v = (v << 8) | (b[off + i] & 0xFF);
        }
        return v;
    }

    private static String macStr(long mac) {
        return mac < 0 ? "?" : Frames.macString(mac);
    }

    private static String hex16(int v) {
        return v < 0 ? "?" : String.format("0x%04x", v);
    }

    static String hex(byte[] b) {
        if (b == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(b.length, 32); i++) {
            sb.append(String.format("%02x", b[i]));
        }
        return b.length > 32 ? sb + "...(" + b.length + " bytes)" : sb.toString();
    }
}
