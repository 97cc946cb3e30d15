package io.hairpin.control.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

final class Ipv4Test {

    @Test
    void parsesDottedQuadsInNetworkOrder() {
        assertEquals(0xC0000201, Ipv4.parse("192.0.2.1"));
        assertEquals(0, Ipv4.parse("0.0.0.0"));
        assertEquals(-1, Ipv4.parse("255.255.255.255"));
        assertEquals(0x0A000000, Ipv4.parse("10.0.0.0"));
    }

    @Test
    void formatsBackToTheSameText() {
        for (String text : new String[] {"0.0.0.0", "10.20.0.1", "192.168.1.254", "255.255.255.255", "203.0.113.7"}) {
            assertEquals(text, Ipv4.format(Ipv4.parse(text)));
        }
    }

    @Test
    void rejectsAnythingButFourDecimalOctets() {
        for (String text : new String[] {
                "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.256", "+1.2.3.4", "1.2.3.-4", "01.2.3.4", "1.2.3.00",
                "", "1..3.4", "1.2.3.4.", " 1.2.3.4", "1.2.3.4 ", "a.b.c.d", "0x1.2.3.4", "1.2.3.4/24", "1234.1.1.1"}) {
            assertFalse(Ipv4.isValid(text), text);
            assertThrows(IllegalArgumentException.class, () -> Ipv4.parse(text), text);
        }
        assertTrue(Ipv4.isValid("0.10.100.0"));
    }

    @Test
    void errorMessageQuotesTheTextAndShowsTheExpectedForm() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Ipv4.parse("256.1.1.1"));
        assertEquals("'256.1.1.1' is not an IPv4 address (expected four numbers 0-255 separated by dots, such as 192.0.2.1)",
                e.getMessage());
    }
}
