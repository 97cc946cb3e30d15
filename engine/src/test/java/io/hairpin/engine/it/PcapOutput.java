package io.hairpin.engine.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.engine.testing.Decoded;
import java.util.List;

/** What a pcap run sent, read the way the data-plane tests read it. */
final class PcapOutput {
    private PcapOutput() {
    }

    /** The IPv4 packets among the frames, in order. */
    static List<Decoded.Ipv4> ipv4(List<byte[]> frames) {
        return frames.stream().map(Decoded::frame).filter(f -> f.ipv4() != null).map(Decoded.Frame::ipv4).toList();
    }

    /** The frames that carry IPv4, in order, as they are on the wire. */
    static List<byte[]> ipFrames(List<byte[]> frames) {
        return frames.stream().filter(f -> Decoded.frame(f).ipv4() != null).toList();
    }

    /**
     * The IPv4 header checksum, and the UDP, TCP or ICMP checksum where the packet has one, verify;
     * in an ICMP error, so does the quoted header's checksum, and where the whole packet is quoted,
     * its own UDP, TCP or ICMP checksum.
     */
    static void assertValid(Decoded.Ipv4 p) {
        assertValid(p, "");
    }

    /** The same, each failure's message starting with {@code context}. */
    static void assertValid(Decoded.Ipv4 p, String context) {
        assertTrue(p.headerChecksumValid(), () -> context + "IPv4 header checksum: " + p);
        assertL4(p, context, "");
        Decoded.Ipv4 q = p.icmp() != null ? p.icmp().quoted() : null;
        if (q != null) {
            assertTrue(q.headerChecksumValid(), () -> context + "embedded IPv4 header checksum: " + p);
            if (!q.truncated()) {
                assertL4(q, context, "embedded ");
            }
        }
    }

    private static void assertL4(Decoded.Ipv4 p, String context, String which) {
        if (p.udp() != null) {
            assertTrue(p.udp().checksumValid(), () -> context + which + "UDP checksum: " + p);
        }
        if (p.tcp() != null) {
            assertTrue(p.tcp().checksumValid(), () -> context + which + "TCP checksum: " + p);
        }
        if (p.icmp() != null) {
            assertTrue(p.icmp().checksumValid(), () -> context + which + "ICMP checksum: " + p);
        }
    }
}
