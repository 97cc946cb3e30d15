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

    /** The IPv4 header checksum, and the UDP, TCP or ICMP checksum where the packet has one, verify. */
    static void assertValid(Decoded.Ipv4 p) {
        assertValid(p, "");
    }

    /** The same, each failure's message starting with {@code context}. */
    static void assertValid(Decoded.Ipv4 p, String context) {
        assertTrue(p.headerChecksumValid(), context + "IPv4 header checksum");
        if (p.udp() != null) {
            assertTrue(p.udp().checksumValid(), context + "UDP checksum");
        }
        if (p.tcp() != null) {
            assertTrue(p.tcp().checksumValid(), context + "TCP checksum");
        }
        if (p.icmp() != null) {
            assertTrue(p.icmp().checksumValid(), context + "ICMP checksum");
        }
    }
}
