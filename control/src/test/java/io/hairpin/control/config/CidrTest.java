package io.hairpin.control.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

final class CidrTest {

    @Test
    void parseKeepsTheHostBits() {
        Cidr cidr = Cidr.parse("203.0.113.1/24");
        assertEquals(Ipv4.parse("203.0.113.1"), cidr.address());
        assertEquals(24, cidr.prefixLength());
        assertEquals("203.0.113.1/24", cidr.toString());
    }

    @Test
    void networkMaskAndBroadcast() {
        Cidr cidr = Cidr.parse("203.0.113.77/26");
        assertEquals(Ipv4.parse("255.255.255.192"), cidr.mask());
        assertEquals(Ipv4.parse("203.0.113.64"), cidr.network());
        assertEquals(Ipv4.parse("203.0.113.127"), cidr.broadcast());
        assertEquals(Cidr.parse("203.0.113.64/26"), cidr.networkPrefix());
    }

    @Test
    void edgePrefixLengths() {
        Cidr everything = Cidr.parse("1.2.3.4/0");
        assertEquals(0, everything.mask());
        assertEquals(0, everything.network());
        assertEquals(-1, everything.broadcast());
        assertTrue(everything.contains(Ipv4.parse("255.255.255.255")));

        Cidr host = Cidr.parse("192.0.2.9/32");
        assertEquals(-1, host.mask());
        assertEquals(host.address(), host.network());
        assertEquals(host.address(), host.broadcast());
        assertTrue(host.contains(Ipv4.parse("192.0.2.9")));
        assertFalse(host.contains(Ipv4.parse("192.0.2.8")));

        assertFalse(Cidr.parse("192.0.2.0/31").hasNetworkAndBroadcast());
        assertTrue(Cidr.parse("192.0.2.0/30").hasNetworkAndBroadcast());
    }

    @Test
    void containsUsesThePrefixNotTheHostAddress() {
        Cidr cidr = Cidr.parse("192.168.1.1/24");
        assertTrue(cidr.contains(Ipv4.parse("192.168.1.0")));
        assertTrue(cidr.contains(Ipv4.parse("192.168.1.255")));
        assertFalse(cidr.contains(Ipv4.parse("192.168.2.1")));
        // High addresses are negative ints; containment must not care.
        assertTrue(Cidr.parse("240.0.0.0/4").contains(Ipv4.parse("255.1.2.3")));
    }

    @Test
    void overlapsIsSymmetricAndCoversNesting() {
        Cidr slash16 = Cidr.parse("10.20.0.0/16");
        Cidr inside = Cidr.parse("10.20.30.1/24");
        Cidr beside = Cidr.parse("10.21.0.0/16");
        assertTrue(slash16.overlaps(inside));
        assertTrue(inside.overlaps(slash16));
        assertFalse(slash16.overlaps(beside));
        assertFalse(beside.overlaps(inside));
        assertTrue(Cidr.parse("0.0.0.0/0").overlaps(beside));
    }

    @Test
    void rejectsMalformedPrefixes() {
        for (String text : new String[] {"1.2.3.4/33", "1.2.3.4/", "1.2.3.4/-1", "1.2.3.4/08", "1.2.3/8", "1.2.3.4/2 4",
                "/24", "1.2.3.4/24/1", "1.2.3.4/x", "256.0.0.0/8"}) {
            assertThrows(IllegalArgumentException.class, () -> Cidr.parse(text), text);
        }
        assertEquals("'1.2.3.4' has no prefix length (expected address/length, such as 192.0.2.1/24)",
                assertThrows(IllegalArgumentException.class, () -> Cidr.parse("1.2.3.4")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Cidr(0, 33));
    }
}
