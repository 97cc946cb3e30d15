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
                    exception-path-rate: 2000
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
                  NAME  ROLE      DEVICE                      VLAN  ADDRESSES                                       GATEWAY        MTU   ANTI-SPOOFING  TO KERNEL
                  wan   external  net_af_packet0,iface=r-wan  -     203.0.113.1/24                                  203.0.113.254  1500  on             2000/s
                  lan   internal  net_af_packet1,iface=r-lan  10    192.168.1.1/24, 192.168.1.2/24, 192.168.2.1/24  -              9000  off            10000/s

                Routing table
                  PREFIX          VIA            INTERFACE  ORIGIN
                  10.20.30.0/24   192.168.2.254  lan        static
                  192.168.1.0/24  -              lan        connected
                  192.168.2.0/24  -              lan        connected
                  203.0.113.0/24  -              wan        connected
                  10.20.0.0/16    192.168.1.254  lan        static
                  0.0.0.0/0       203.0.113.254  wan        default gateway

                NAT
                  reflection:   enable (source: mapped)
                  filtering:    address-dependent
                  timeouts:     udp 300 s, tcp-established 7440 s, tcp-transitory 240 s, icmp 60 s
                  max-sessions: 1000000 (per host: unlimited)
                  rules:        none

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
                  NAME  ROLE      DEVICE    VLAN  ADDRESSES   GATEWAY  MTU   ANTI-SPOOFING  TO KERNEL
                  lan   internal  net_tap0  -     10.0.0.1/8  -        1500  on             10000/s

                Routing table
                  PREFIX         VIA        INTERFACE  ORIGIN
                  172.16.0.0/12  192.0.2.1  ?          static
                  10.0.0.0/8     -          lan        connected

                NAT
                  reflection:   enable (source: mapped)
                  filtering:    address-dependent
                  timeouts:     udp 300 s, tcp-established 7440 s, tcp-transitory 240 s, icmp 60 s
                  max-sessions: 1000000 (per host: unlimited)
                  rules:        none

                Control
                  socket:  /run/hairpin/control.sock
                  myip:    -
                  metrics: -
                """, ConfigSummary.render(config));
    }

    @Test
    void rendersTheNatSettingsAndOneTablePerRuleKind() {
        HairpinConfig config = ConfigLoader.parse("""
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24], gateway: 203.0.113.254}
                  - {name: lan, role: internal, device: net_tap1, addresses: [192.168.1.1/24]}
                nat:
                  reflection-source: interface
                  filtering: endpoint-independent
                  max-sessions-per-host: 2000
                  one-to-one:
                    - {interface: wan, external: 203.0.113.20, internal: 192.168.1.20, description: web, inbound: [tcp/80, tcp/443]}
                    - {interface: wan, external: 203.0.113.64/30, internal: 192.168.1.64/30, destination: "!10.0.0.0/8", proxy-arp: false}
                    - {interface: wan, no-binat: true, internal: 192.168.1.66}
                    - {interface: wan, external: 203.0.113.21, internal: 192.168.1.21, reflection: disable, reflection-source: mapped, inbound: [], disabled: true}
                  port-forwards:
                    - {interface: wan, protocol: tcp, external: "203.0.113.1:8080", internal: "192.168.1.20:80"}
                    - {interface: wan, protocol: tcp/udp, external: "203.0.113.1:5000-5010", internal: "192.168.1.21:6000-6010", source: 198.51.100.0/24, reflection: enable, description: games}
                  outbound:
                    - {interface: wan, source: 192.168.1.0/24, translation: interface}
                    - {interface: wan, source: 192.168.2.0/24, translation: 203.0.113.32/29, static-port: true}
                    - {interface: wan, source: 192.168.3.0/24, translation: [203.0.113.40, 203.0.113.41], description: guests, disabled: true}
                """, "hairpin.yaml");

        String summary = ConfigSummary.render(config);
        String nat = summary.substring(summary.indexOf("NAT\n"), summary.indexOf("Control\n"));
        assertEquals("""
                NAT
                  reflection:   enable (source: interface)
                  filtering:    endpoint-independent
                  timeouts:     udp 300 s, tcp-established 7440 s, tcp-transitory 240 s, icmp 60 s
                  max-sessions: 1000000 (per host: 2000)

                  1:1 NAT
                    #  INTERFACE  EXTERNAL         INTERNAL         OPTIONS
                    1  wan        203.0.113.20     192.168.1.20     description "web", inbound tcp/80 tcp/443
                    2  wan        203.0.113.64/30  192.168.1.64/30  destination !10.0.0.0/8, proxy-arp off
                    3  wan        (no-binat)       192.168.1.66
                    4  wan        203.0.113.21     192.168.1.21     reflection disable, reflection-source mapped, inbound none, (disabled)

                  Port forwards
                    #  INTERFACE  PROTOCOL  EXTERNAL               INTERNAL                OPTIONS
                    1  wan        tcp       203.0.113.1:8080       192.168.1.20:80
                    2  wan        tcp/udp   203.0.113.1:5000-5010  192.168.1.21:6000-6010  description "games", source 198.51.100.0/24, reflection enable

                  Outbound NAT
                    #  INTERFACE  SOURCE          TRANSLATION                 OPTIONS
                    1  wan        192.168.1.0/24  interface
                    2  wan        192.168.2.0/24  203.0.113.32/29             static-port
                    3  wan        192.168.3.0/24  203.0.113.40, 203.0.113.41  description "guests", (disabled)

                """, nat);
    }

    @Test
    void onlyTheRuleKindsThatHaveRulesGetATable() {
        HairpinConfig config = ConfigLoader.parse("""
                interfaces:
                  - {name: wan, role: external, device: net_tap0, addresses: [203.0.113.1/24]}
                nat:
                  reflection: disable
                  timeouts: {udp: 120}
                  outbound:
                    - {interface: wan, source: 192.168.1.0/24}
                """, "hairpin.yaml");

        String summary = ConfigSummary.render(config);
        assertEquals("""
                NAT
                  reflection:   disable (source: mapped)
                  filtering:    address-dependent
                  timeouts:     udp 120 s, tcp-established 7440 s, tcp-transitory 240 s, icmp 60 s
                  max-sessions: 1000000 (per host: unlimited)

                  Outbound NAT
                    #  INTERFACE  SOURCE          TRANSLATION  OPTIONS
                    1  wan        192.168.1.0/24  interface

                """, summary.substring(summary.indexOf("NAT\n"), summary.indexOf("Control\n")));
    }
}
