#!/usr/bin/python3
"""Regenerate the scapy reference pcaps used by io.hairpin.engine.testing.OracleSelfCheck.

Usage: /usr/bin/python3 make_reference.py [OUTPUT_DIR]   (default: this script's directory)

Writes the same frames three times:
  reference.pcap     little-endian, microsecond magic 0xa1b2c3d4
  reference_be.pcap  big-endian,    microsecond magic
  reference_ns.pcap  little-endian, nanosecond magic 0xa1b23c4d
The frame ORDER is part of the contract with OracleSelfCheck: append, never reorder.
Frame i gets timestamp 1700000000 + i seconds.
"""
import os
import struct
import sys

from scapy.all import (ARP, ICMP, IP, TCP, UDP, Dot1Q, Ether, IPOption_Router_Alert,
                       Padding, PcapWriter, Raw)

A_MAC = "02:00:00:00:00:01"      # inside host
B_MAC = "02:00:00:00:00:02"      # next hop
GW_MAC = "02:00:00:00:00:fe"
IN_IP = "192.168.1.10"
OUT_IP = "203.0.113.5"
GW_IP = "192.168.1.1"
ROUTER_IP = "198.51.100.1"


def inet_sum(data):
    if len(data) % 2:
        data += b"\x00"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def udp_payload_with_zero_checksum(src, dst, sport, dport, prefix):
    """Payload (prefix + 2 filler bytes) whose UDP checksum computes to 0, i.e. must be sent as 0xffff."""
    payload = prefix + b"\x00\x00"
    udp_len = 8 + len(payload)
    pseudo = bytes(map(int, src.split("."))) + bytes(map(int, dst.split("."))) + struct.pack("!BBH", 0, 17, udp_len)
    hdr = struct.pack("!HHHH", sport, dport, udp_len, 0)
    s = inet_sum(pseudo + hdr + payload)
    filler = (0xFFFF - s) & 0xFFFF          # makes the one's-complement sum 0xffff -> checksum 0
    assert len(prefix) % 2 == 0
    return prefix + struct.pack("!H", filler)


def frames():
    out = []
    # 0 UDP with DF
    out.append(Ether(dst=B_MAC, src=A_MAC) / IP(src=IN_IP, dst=OUT_IP, id=0x1234, flags="DF", ttl=64)
               / UDP(sport=40000, dport=53) / b"hello hairpin")
    # 1 TCP PSH|ACK with tos
    out.append(Ether(dst=B_MAC, src=A_MAC) / IP(src=IN_IP, dst=OUT_IP, id=7, tos=0x10, ttl=63)
               / TCP(sport=51000, dport=80, seq=1000, ack=2000, flags="PA", window=8192)
               / b"GET / HTTP/1.0\r\n\r\n")
    # 2 TCP SYN with MSS option, seq near wrap
    out.append(Ether(dst=B_MAC, src=A_MAC) / IP(src=IN_IP, dst=OUT_IP, id=8, flags="DF")
               / TCP(sport=51001, dport=443, seq=0xFFFFFFF0, ack=0, flags="S", window=64240,
                     options=[("MSS", 1460)]))
    # 3 ICMP echo request
    out.append(Ether(dst=B_MAC, src=A_MAC) / IP(src=IN_IP, dst=OUT_IP, id=0x0BAD)
               / ICMP(type=8, id=0x4242, seq=3) / b"ping-payload-0123")
    # 4 ICMP echo reply
    out.append(Ether(dst=A_MAC, src=B_MAC) / IP(src=OUT_IP, dst=IN_IP, id=0x0BAE, ttl=55)
               / ICMP(type=0, id=0x4242, seq=3) / b"ping-payload-0123")
    # 5 ICMP time exceeded quoting (IP header + 8 bytes of) a UDP packet that had ttl=1
    offending = IP(src=IN_IP, dst=OUT_IP, id=0x5555, ttl=1) / UDP(sport=40001, dport=33434) / b"traceroute!!"
    out.append(Ether(dst=A_MAC, src=GW_MAC) / IP(src=ROUTER_IP, dst=IN_IP, id=0x1111, ttl=254)
               / ICMP(type=11, code=0) / Raw(bytes(offending)[:28]))
    # 6 ICMP frag needed (3/4), next-hop MTU 1400, quoting a DF TCP packet
    offending = IP(src=IN_IP, dst=OUT_IP, id=0x6666, flags="DF") / TCP(sport=51002, dport=443, seq=5, ack=6, flags="A") / (b"x" * 1460)
    out.append(Ether(dst=A_MAC, src=GW_MAC) / IP(src=ROUTER_IP, dst=IN_IP, id=0x2222, ttl=254)
               / ICMP(type=3, code=4, nexthopmtu=1400) / Raw(bytes(offending)[:28]))
    # 7 ARP request (broadcast)
    out.append(Ether(dst="ff:ff:ff:ff:ff:ff", src=A_MAC)
               / ARP(op=1, hwsrc=A_MAC, psrc=IN_IP, hwdst="00:00:00:00:00:00", pdst=GW_IP))
    # 8 ARP reply (unicast)
    out.append(Ether(dst=A_MAC, src=GW_MAC)
               / ARP(op=2, hwsrc=GW_MAC, psrc=GW_IP, hwdst=A_MAC, pdst=IN_IP))
    # 9 VLAN 100 tagged UDP
    out.append(Ether(dst=B_MAC, src=A_MAC) / Dot1Q(vlan=100) / IP(src="10.1.2.3", dst="10.4.5.6", id=42)
               / UDP(sport=1234, dport=5678) / b"vlan")
    # 10 UDP whose checksum computes to 0 and is therefore transmitted as 0xffff (RFC 768)
    pl = udp_payload_with_zero_checksum(IN_IP, OUT_IP, 40002, 9999, b"edge")
    out.append(Ether(dst=B_MAC, src=A_MAC) / IP(src=IN_IP, dst=OUT_IP, id=0x0100)
               / UDP(sport=40002, dport=9999) / pl)
    # 11 IPv4 with Router Alert option (IHL 6)
    out.append(Ether(dst=B_MAC, src=A_MAC) / IP(src=IN_IP, dst="224.0.0.22", id=0x0200, ttl=1,
                                                 options=[IPOption_Router_Alert()])
               / UDP(sport=5000, dport=5001) / b"opt")
    # 12 non-first fragment (offset 3 * 8 = 24 bytes) of a UDP datagram: no L4 header
    out.append(Ether(dst=B_MAC, src=A_MAC) / IP(src=IN_IP, dst=OUT_IP, id=99, frag=3, proto=17)
               / Raw(b"0123456789abcdef"))
    # 13 UDP with checksum 0 ("no checksum")
    out.append(Ether(dst=B_MAC, src=A_MAC) / IP(src=IN_IP, dst=OUT_IP, id=0x0300)
               / UDP(sport=7, dport=7, chksum=0) / b"nocsum")
    # 14 tiny UDP padded to the 60-byte Ethernet minimum
    out.append(Ether(dst=B_MAC, src=A_MAC) / IP(src=IN_IP, dst=OUT_IP, id=0x0400)
               / UDP(sport=1, dport=2) / b"x" / Padding(b"\x00" * 17))
    return out


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(outdir, exist_ok=True)
    pkts = [Ether(bytes(p)) for p in frames()]       # freeze checksums/lengths
    for i, p in enumerate(pkts):
        p.time = 1700000000 + i
    for name, kw in (("reference.pcap", {}),
                     ("reference_be.pcap", {"endianness": ">"}),
                     ("reference_ns.pcap", {"nano": True})):
        w = PcapWriter(os.path.join(outdir, name), linktype=1, sync=True, **kw)
        for p in pkts:
            w.write(p)
        w.close()
    if "-v" in sys.argv or os.environ.get("VERBOSE"):
        for i, p in enumerate(pkts):
            print("=== frame %d len %d" % (i, len(p)))
            print(bytes(p).hex())
            p.show2()


if __name__ == "__main__":
    main()
