package io.hairpin.control.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

final class ConfigSummaryTest {

    @Test
    void rendersInterfacesAndTheCompiledRoutingTable() {
        HairpinConfig config = ConfigLoader.parse("""
                workers: 2
                eal: [--no-pci, --log-level=7]
                interfaces:
                  - name: wan
                    role: external
                    device: net_af_packet0,iface=r-wan
                    addresses: [203.0.113.1/24]
                    gateway: 203.0.113.254
                  - name: lan
                    role: internal
                    device: net_af_packet1,iface=r-lan
                    addresses: [192.168.1.1/24, 192.168.1.2/24, 192.168.2.1/24]
                    vlan: 10
                    mtu: 9000
                    anti-spoofing: false
                routes:
                  - {prefix: 10.20.0.0/16, via: 192.168.1.254}
                  - {prefix: 10.20.30.0/24, via: 192.168.2.254}
                control:
                  myip: 192.168.1.1:80
                """, "hairpin.yaml");

        assertEquals("""
                Workers: 2
                EAL:     --no-pci --log-level=7

                Interfaces
                  NAME  ROLE      DEVICE                      VLAN  ADDRESSES                                       GATEWAY        MTU   ANTI-SPOOFING
                  wan   external  net_af_packet0,iface=r-wan  -     203.0.113.1/24                                  203.0.113.254  1500  on
                  lan   internal  net_af_packet1,iface=r-lan  10    192.168.1.1/24, 192.168.1.2/24, 192.168.2.1/24  -              9000  off

                Routing table
                  PREFIX          VIA            INTERFACE  ORIGIN
                  10.20.30.0/24   192.168.2.254  lan        static
                  192.168.1.0/24  -              lan        connected
                  192.168.2.0/24  -              lan        connected
                  203.0.113.0/24  -              wan        connected
                  10.20.0.0/16    192.168.1.254  lan        static
                  0.0.0.0/0       203.0.113.254  wan        default gateway

                Control
                  socket:  /run/hairpin/control.sock
                  myip:    192.168.1.1:80
                  metrics: -
                """, ConfigSummary.render(config));
    }

    @Test
    void namesTheSourceAndCopesWithAnUnvalidatedConfig() {
        // An unreachable next hop is the validator's business; the summary shows it as "?" rather than failing.
        SourceLocation here = new SourceLocation("/etc/hairpin.yaml", 1, 1);
        HairpinConfig config = new HairpinConfig(1, List.of(),
                List.of(new InterfaceConfig("lan", Role.INTERNAL, "net_tap0", List.of(Cidr.parse("10.0.0.1/8")), null,
                        1500, 0, true, here)),
                List.of(new RouteConfig(Cidr.parse("172.16.0.0/12"), Ipv4.parse("192.0.2.1"), here)),
                ControlConfig.defaults(), Path.of("/etc/hairpin.yaml"));

        assertEquals("""
                Config:  /etc/hairpin.yaml
                Workers: 1
                EAL:     (none)

                Interfaces
                  NAME  ROLE      DEVICE    VLAN  ADDRESSES   GATEWAY  MTU   ANTI-SPOOFING
                  lan   internal  net_tap0  -     10.0.0.1/8  -        1500  on

                Routing table
                  PREFIX         VIA        INTERFACE  ORIGIN
                  172.16.0.0/12  192.0.2.1  ?          static
                  10.0.0.0/8     -          lan        connected

                Control
                  socket:  /run/hairpin/control.sock
                  myip:    -
                  metrics: -
                """, ConfigSummary.render(config));
    }
}
