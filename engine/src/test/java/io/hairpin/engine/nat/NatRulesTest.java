package io.hairpin.engine.nat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.hairpin.engine.nat.NatConfig.Destination;
import io.hairpin.engine.nat.NatConfig.OneToOne;
import io.hairpin.engine.nat.NatConfig.Reflection;
import io.hairpin.engine.packet.Ipv4;
import io.hairpin.engine.route.PrefixMap;
import java.util.List;
import org.junit.jupiter.api.Test;

class NatRulesTest {
    static final int WAN = 0;
    static final int LAN = 1;

    static int ip(String s) {
        return Ipv4.parse(s);
    }

    static OneToOne binat(String external, String internal, int len) {
        return new OneToOne(WAN, ip(external), ip(internal), len, false, Destination.ANY, Reflection.DEFAULT, null, true,
                null, "");
    }

    static NatRules rules(List<OneToOne> binat, List<NatConfig.PortForward> forwards, List<NatConfig.Outbound> outbound) {
        NatConfig c = new NatConfig(true, NatConfig.ReflectionSource.MAPPED, NatConfig.Filtering.ADDRESS_DEPENDENT,
                NatConfig.Timeouts.DEFAULTS, 1000, 0, binat, forwards, outbound);
        return NatRules.compile(c, new int[] {ip("198.51.100.1"), ip("10.3.1.1")});
    }

    static OneToOne binatReflecting(String external, String internal, Reflection reflection,
                                    NatConfig.ReflectionSource source) {
        return new OneToOne(WAN, ip(external), ip(internal), 32, false, Destination.ANY, reflection, source, true,
                null, "");
    }

    @Test
    void plainBinatKeepsStateOnlyWhenItReflects() {
        // mapped mode: a client with no 1:1 or NAPT identity falls back to the interface's address,
        // which takes a port and so a session (kept by the state's owner, not a reason to hand off)
        NatRules mapped = rules(List.of(binat("198.51.100.210", "10.3.1.15", 32)), List.of(), List.of());
        assertFalse(mapped.needsSessions(), "reflection on by default, mapped");
        assertTrue(mapped.binatReflects());
        NatRules iface = rules(List.of(binatReflecting("198.51.100.210", "10.3.1.15", Reflection.ENABLE,
                NatConfig.ReflectionSource.INTERFACE)), List.of(), List.of());
        assertTrue(iface.needsSessions(), "interface mode");
        assertTrue(iface.binatReflects());
        NatRules off = rules(List.of(binatReflecting("198.51.100.210", "10.3.1.15", Reflection.DISABLE, null)),
                List.of(), List.of());
        assertFalse(off.needsSessions(), "no reflection, admits all: stateless");
        assertFalse(off.binatReflects());
    }

    @Test
    void singleAddressBinatFromTheSpec() {
        NatRules r = rules(List.of(binat("198.51.100.210", "10.3.1.15", 32)), List.of(), List.of());
        int rule = r.binatByExternal(ip("198.51.100.210"), ip("192.0.2.7"));
        assertEquals(0, rule);
        assertEquals(ip("10.3.1.15"), r.binatToInternal(rule, ip("198.51.100.210")));
        assertEquals(0, r.binatByInternal(ip("10.3.1.15"), ip("192.0.2.7"), WAN));
        assertEquals(ip("198.51.100.210"), r.binatToExternal(0, ip("10.3.1.15")));
        assertEquals(-1, r.binatByInternal(ip("10.3.1.15"), ip("192.0.2.7"), LAN), "applies leaving its interface only");
        assertEquals(-1, r.binatByExternal(ip("198.51.100.211"), 0));
        assertEquals(-1, r.binatByInternal(ip("10.3.1.16"), 0, WAN));
    }

    @Test
    void subnetBinatKeepsHostBitsBothWays() {
        NatRules same = rules(List.of(binat("198.51.100.64", "10.3.1.64", 30)), List.of(), List.of());
        NatRules shifted = rules(List.of(binat("198.51.100.64", "10.3.1.200", 30)), List.of(), List.of());
        for (int h = 0; h < 4; h++) {
            int ext = ip("198.51.100.64") + h;
            assertEquals(ip("10.3.1.64") + h, same.binatToInternal(same.binatByExternal(ext, 0), ext));
            assertEquals(ip("10.3.1.200") + h, shifted.binatToInternal(shifted.binatByExternal(ext, 0), ext));
            assertEquals(ext, shifted.binatToExternal(shifted.binatByInternal(ip("10.3.1.200") + h, 0, WAN),
                    ip("10.3.1.200") + h));
        }
        assertEquals(-1, shifted.binatByExternal(ip("198.51.100.68"), 0));
        assertEquals(-1, shifted.binatByInternal(ip("10.3.1.199"), 0, WAN));
    }

    @Test
    void noBinatExcludesOnlyTheRulesAfterIt() {
        OneToOne exclude = new OneToOne(WAN, 0, ip("10.3.1.66"), 32, true, Destination.ANY, Reflection.DEFAULT, null,
                true, null, "");
        NatRules before = rules(List.of(exclude, binat("198.51.100.64", "10.3.1.64", 30)), List.of(), List.of());
        assertEquals(-1, before.binatByInternal(ip("10.3.1.66"), 0, WAN));
        assertEquals(1, before.binatByInternal(ip("10.3.1.65"), 0, WAN));
        NatRules after = rules(List.of(binat("198.51.100.64", "10.3.1.64", 30), exclude), List.of(), List.of());
        assertEquals(0, after.binatByInternal(ip("10.3.1.66"), 0, WAN), "a No-BINAT after the rule does not apply");
    }

    @Test
    void destinationRestrictionAndItsInversion() {
        OneToOne onlyPartner = new OneToOne(WAN, ip("198.51.100.210"), ip("10.3.1.15"), 32, false,
                new Destination(ip("192.0.2.0"), 24, false), Reflection.DEFAULT, null, true, null, "");
        OneToOne everyoneElse = new OneToOne(WAN, ip("198.51.100.211"), ip("10.3.1.15"), 32, false,
                new Destination(ip("192.0.2.0"), 24, true), Reflection.DEFAULT, null, true, null, "");
        NatRules r = rules(List.of(onlyPartner, everyoneElse), List.of(), List.of());
        assertEquals(0, r.binatByInternal(ip("10.3.1.15"), ip("192.0.2.9"), WAN));
        assertEquals(1, r.binatByInternal(ip("10.3.1.15"), ip("203.0.113.9"), WAN));
        assertEquals(0, r.binatByExternal(ip("198.51.100.210"), ip("192.0.2.9")));
        assertEquals(-1, r.binatByExternal(ip("198.51.100.210"), ip("203.0.113.9")));
        assertEquals(-1, r.binatByExternal(ip("198.51.100.211"), ip("192.0.2.9")));
    }

    @Test
    void inboundAllowList() {
        OneToOne web = new OneToOne(WAN, ip("198.51.100.210"), ip("10.3.1.15"), 32, false, Destination.ANY,
                Reflection.DEFAULT, null, true, List.of(new NatConfig.InboundAllow(6, 80, 80),
                new NatConfig.InboundAllow(17, 5000, 5010), new NatConfig.InboundAllow(1, 0, 65535)), "");
        NatRules r = rules(List.of(web), List.of(), List.of());
        assertTrue(r.binatAdmits(0, 6, 80));
        assertFalse(r.binatAdmits(0, 6, 81));
        assertTrue(r.binatAdmits(0, 17, 5005));
        assertFalse(r.binatAdmits(0, 17, 5011));
        assertTrue(r.binatAdmits(0, 1, 0));
        assertFalse(r.binatAdmitsAll(0));
    }

    @Test
    void portForwardRangesMapOntoRangesOfTheSameLength() {
        NatConfig.PortForward fwd = new NatConfig.PortForward(WAN, NatConfig.PROTO_TCP | NatConfig.PROTO_UDP,
                ip("198.51.100.1"), 5000, 5010, ip("10.3.1.20"), 6000, Destination.ANY, Reflection.DEFAULT, null, "");
        NatConfig.PortForward restricted = new NatConfig.PortForward(WAN, NatConfig.PROTO_TCP, ip("198.51.100.1"), 22,
                22, ip("10.3.1.21"), 22, new Destination(ip("192.0.2.0"), 24, false), Reflection.DISABLE, null, "");
        NatRules r = rules(List.of(), List.of(fwd, restricted), List.of());
        int f = r.portForward(ip("198.51.100.1"), 17, 5007, ip("203.0.113.5"));
        assertEquals(0, f);
        assertEquals(6007, r.forwardInternalPort(f, 5007));
        assertEquals(-1, r.portForward(ip("198.51.100.1"), 17, 5011, ip("203.0.113.5")));
        assertEquals(-1, r.portForward(ip("198.51.100.1"), 1, 5007, ip("203.0.113.5")));
        assertEquals(1, r.portForward(ip("198.51.100.1"), 6, 22, ip("192.0.2.44")));
        assertEquals(-1, r.portForward(ip("198.51.100.1"), 6, 22, ip("203.0.113.5")));
        assertTrue(r.forwardReflects(0));
        assertFalse(r.forwardReflects(1));
    }

    @Test
    void outboundFirstMatchAndInterfaceAddressPool() {
        NatConfig.Outbound servers = new NatConfig.Outbound(WAN, ip("10.3.1.0"), 28, new int[] {ip("198.51.100.9")}, true, "");
        NatConfig.Outbound all = new NatConfig.Outbound(WAN, ip("10.3.0.0"), 16, new int[0], false, "");
        NatRules r = rules(List.of(), List.of(), List.of(servers, all));
        assertEquals(0, r.outbound(ip("10.3.1.5"), WAN));
        assertEquals(1, r.outbound(ip("10.3.1.17"), WAN));
        assertEquals(-1, r.outbound(ip("10.3.1.5"), LAN));
        assertEquals(ip("198.51.100.1"), r.outboundPool(1)[0], "translation: interface uses the interface address");
        assertTrue(r.outboundStaticPort(0));
    }

    @Test
    void proxyArpCoversBinatRangesForwardsAndPoolsUnlessTurnedOff() {
        OneToOne quiet = new OneToOne(WAN, ip("198.51.100.220"), ip("10.3.1.22"), 32, false, Destination.ANY,
                Reflection.DEFAULT, null, false, null, "");
        NatConfig.PortForward fwd = new NatConfig.PortForward(WAN, NatConfig.PROTO_TCP, ip("198.51.100.2"), 80, 80,
                ip("10.3.1.20"), 80, Destination.ANY, Reflection.DEFAULT, null, "");
        NatConfig.Outbound pool = new NatConfig.Outbound(WAN, ip("10.3.0.0"), 16, new int[] {ip("198.51.100.3")}, false, "");
        NatRules r = rules(List.of(binat("198.51.100.64", "10.3.1.64", 30), quiet), List.of(fwd), List.of(pool));
        for (int h = 0; h < 4; h++) {
            assertEquals(WAN, r.proxyArpInterface(ip("198.51.100.64") + h));
        }
        assertEquals(-1, r.proxyArpInterface(ip("198.51.100.220")));
        assertEquals(WAN, r.natAddressInterface(ip("198.51.100.220")));
        assertEquals(WAN, r.proxyArpInterface(ip("198.51.100.2")));
        assertEquals(WAN, r.proxyArpInterface(ip("198.51.100.3")));
        assertEquals(-1, r.proxyArpInterface(ip("198.51.100.68")));
    }

    /** Oracle: the checksum of a header with the address rewritten, computed in full. */
    private static int headerChecksum(int src, int dst) {
        int[] words = {0x4500, 0x0054, 0x1234, 0x4000, 0x4001, 0, src >>> 16, src & 0xffff, dst >>> 16, dst & 0xffff};
        int sum = 0;
        for (int w : words) {
            sum += w;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xffff) + (sum >>> 16);
        }
        return ~sum & 0xffff;
    }

    @Test
    void precomputedDeltasMatchAFullRecomputationForEveryHost() {
        NatRules r = rules(List.of(binat("198.51.100.64", "10.3.1.200", 30)), List.of(), List.of());
        int dst = ip("192.0.2.7");
        for (int h = 0; h < 4; h++) {
            int internal = ip("10.3.1.200") + h;
            int external = ip("198.51.100.64") + h;
            int before = headerChecksum(internal, dst);
            int after = io.hairpin.engine.packet.ChecksumDelta.apply(before, r.binatDeltaOut(0));
            assertEquals(headerChecksum(external, dst), after, "host " + h);
            assertEquals(before, io.hairpin.engine.packet.ChecksumDelta.apply(after, r.binatDeltaIn(0)));
        }
    }

    @Test
    void prefixMapPaintsLastWins() {
        PrefixMap m = new PrefixMap.Builder().paint(ip("10.0.0.0"), 8, 1).paint(ip("10.1.2.0"), 24, 2)
                .paint(ip("10.0.0.0"), 8, 3).paint(ip("10.9.9.9"), 32, 4).build();
        assertEquals(3, m.get(ip("10.1.2.3")), "a later short paint covers an earlier long one");
        assertEquals(4, m.get(ip("10.9.9.9")));
        assertEquals(3, m.get(ip("10.9.9.8")));
        assertEquals(PrefixMap.NONE, m.get(ip("11.0.0.0")));
    }
}
