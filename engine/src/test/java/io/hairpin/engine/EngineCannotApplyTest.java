package io.hairpin.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.hairpin.engine.nat.NatConfig;
import io.hairpin.engine.packet.Ipv4;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What apply() refuses, without DPDK: the sentences the control plane shows. */
class EngineCannotApplyTest {
    static final Map<String, Integer> MTU = Map.of("dev_w", 1500, "dev_l", 9000);

    static EngineConfig.Interface wan(String address, int gateway, int mtu) {
        return new EngineConfig.Interface("wan", true, "dev_w", 0,
                List.of(new EngineConfig.Address(Ipv4.parse(address), 24)), gateway, mtu, true);
    }

    static EngineConfig.Interface lan() {
        return new EngineConfig.Interface("lan", false, "dev_l", 0,
                List.of(new EngineConfig.Address(Ipv4.parse("192.168.1.1"), 24)), 0, 9000, true);
    }

    static EngineConfig config(EngineConfig.Interface wan, NatConfig nat, List<String> eal) {
        return new EngineConfig(1, eal, List.of(wan, lan()), List.of(), true, nat);
    }

    static NatConfig pools(int n) {
        List<NatConfig.Outbound> rules = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rules.add(new NatConfig.Outbound(0, Ipv4.parse("10.0.0.0") + (i << 8), 24,
                    new int[] {Ipv4.parse("198.51.100.0") + i}, false, ""));
        }
        return new NatConfig(true, NatConfig.ReflectionSource.MAPPED, NatConfig.Filtering.ADDRESS_DEPENDENT,
                NatConfig.Timeouts.DEFAULTS, 1000, 0, List.of(), List.of(), rules);
    }

    @Test
    void rulesRoutesAddressesGatewayAntiSpoofingAndMtuWithinThePortMayChange() {
        EngineConfig running = config(wan("203.0.113.1", 0, 1500), NatConfig.none(), List.of());
        EngineConfig next = new EngineConfig(1, List.of(), List.of(new EngineConfig.Interface("wan", true, "dev_w", 0,
                List.of(new EngineConfig.Address(Ipv4.parse("198.51.100.7"), 25)), Ipv4.parse("198.51.100.1"), 1280,
                false), lan()), List.of(new EngineConfig.StaticRoute(Ipv4.parse("10.0.0.0"), 8,
                Ipv4.parse("192.168.1.254"))), true, pools(3));
        assertNull(Engine.cannotApply(running, next, MTU, 0));
    }

    /** With several workers, traffic to an address an interface lost still goes to the sessions' owner. */
    @Test
    void theAddressesAnApplyTakesFromTheInterfacesAreRetired() {
        EngineConfig running = config(wan("203.0.113.1", 0, 1500), NatConfig.none(), List.of());
        List<long[]> gone = Engine.addressesGone(running, config(wan("203.0.113.2", 0, 1500), NatConfig.none(), List.of()));
        assertEquals(1, gone.size());
        assertArrayEquals(new long[] {Ipv4.parse("203.0.113.1"), 32}, gone.get(0));
        assertEquals(List.of(), Engine.addressesGone(running, running));
    }

    @Test
    void eachDifferenceThatNeedsARestartIsNamed() {
        EngineConfig running = config(wan("203.0.113.1", 0, 1500), NatConfig.none(), List.of());
        assertEquals("changing eal requires a restart: [] -> [--no-huge]",
                Engine.cannotApply(running, config(wan("203.0.113.1", 0, 1500), NatConfig.none(),
                        List.of("--no-huge")), MTU, 0));
        EngineConfig noExceptionPath = new EngineConfig(1, List.of(), running.interfaces(), List.of(), false, null);
        assertEquals("changing exception-path requires a restart: true -> false",
                Engine.cannotApply(running, noExceptionPath, MTU, 0));
        EngineConfig renamed = new EngineConfig(1, List.of(), List.of(running.interfaces().get(0),
                new EngineConfig.Interface("dmz", false, "dev_l", 0, lan().addresses(), 0, 9000, true)), List.of(),
                true, null);
        assertEquals("changing interfaces requires a restart: [wan, lan] -> [wan, dmz]",
                Engine.cannotApply(running, renamed, MTU, 0));
        assertEquals("raising the mtu of wan to 1600 requires a restart: its port and buffers were set up for 1500",
                Engine.cannotApply(running, config(wan("203.0.113.1", 0, 1600), NatConfig.none(), List.of()), MTU, 0));
    }

    @Test
    void moreNatPoolsThanCanLiveAtOnceAreRefused() {
        EngineConfig running = config(wan("203.0.113.1", 0, 1500), NatConfig.none(), List.of());
        assertNull(Engine.cannotApply(running, config(wan("203.0.113.1", 0, 1500), pools(254), List.of()), MTU, 0),
                "254 pools and the two interfaces' addresses: 256");
        assertEquals("the rules use 257 distinct NAT pools (counting each interface's address); at most 256 can be"
                + " in use at once",
                Engine.cannotApply(running, config(wan("203.0.113.1", 0, 1500), pools(255), List.of()), MTU, 0));
    }
}
