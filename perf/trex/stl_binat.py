"""
TRex STL profile: 1:1 NAT (BINAT) through Hairpin, 64-byte UDP by default.

Load it on both ports (`start -f stl_binat.py --port 0 1 ...`): TRex calls get_streams once
per port with direction = port_id % 2.
  * port 1 (lan side, direction 1): inside hosts 10.1.0.1 .. 10.1.0.1+R-1, source ports
    1024 .. 1024+P-1, send UDP to the Internet server 198.19.0.1:443; Hairpin rewrites the
    source to 198.18.0.1+i (SNAT) and sends it out of wan, where TRex port 0 receives it.
  * port 0 (wan side, direction 0): the server's replies to 198.18.0.1+i; Hairpin rewrites the
    destination to 10.1.0.1+i (DNAT) and routes it to 10.0.0.2 (TRex port 1).
Every packet crosses one 1:1 rule: the DUT needs R rules 198.18.0.1+i <-> 10.1.0.1+i
(make_config.py --binat-rules R; hairpin-trex.yaml has R = 1). Plain 1:1 keeps no state, so
replies need no earlier traffic.

Tunables (argparse, after -t): --rules R (hosts/rules used, 1..16384), --size S (frame size on
the wire incl. FCS, 64..1518), --ports P (source ports per host, flow count = R x P),
--rate PPS (data packets/s per port; scale with -m only when --latency-pps is 0), --latency-pps
(a latency/loss-measured flow per port with flow_stats pg_id 1 or 2; 0 = none),
--checksum hw|zero (UDP checksum: NIC offload fills it in, or 0 = none), --route (no NAT: the
wan side sends to the inside hosts 10.1.0.1+i themselves; for the `forward` row, with the DUT
on make_config.py --no-nat).

Not run against TRex here (no TRex on the build machine): written for TRex v3.x's STL API and
checked with py_compile and a parse check only (RUNBOOK.md).
"""

import argparse

import os
import sys

# STLStream, STLPktBuilder, STLScVmRaw, STLVm*, STLFlowLatencyStats, CTRexVmInsFixHwCs, and scapy's
# Ether/IP/UDP, as every TRex STL profile imports them
from trex.stl.api import *  # noqa: F401,F403

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402  (the addressing shared by perf/trex)

FCS = 4
LATENCY_PG = {0: 1, 1: 2}  # pg_id per port: wan-side stream 1, lan-side stream 2


def parse(tunables):
    p = argparse.ArgumentParser(prog="stl_binat.py", formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--rules", type=int, default=1, help="1:1 rules (inside hosts) the traffic covers")
    p.add_argument("--size", type=int, default=64, help="frame size on the wire, FCS included")
    p.add_argument("--ports", type=int, default=1024, help="UDP source ports per host")
    p.add_argument("--rate", type=float, default=1_000_000, help="data packets per second per port")
    p.add_argument("--latency-pps", type=int, default=1000, help="latency stream per port (0 = none)")
    p.add_argument("--checksum", choices=["hw", "zero"], default="hw", help="UDP checksum: NIC offload or 0")
    p.add_argument("--route", action="store_true", help="no NAT: address the inside hosts directly (forward row)")
    a = p.parse_args(tunables)
    if not 1 <= a.rules <= lab.MAX_BINAT_RULES:
        p.error("--rules must be 1..%d" % lab.MAX_BINAT_RULES)
    if not 64 <= a.size <= 1518:
        p.error("--size must be 64..1518")
    if not 1 <= a.ports <= 64511:
        p.error("--ports must be 1..64511")
    return a


def udp_frame(src, dst, sport, dport, size, zero_checksum):
    """Ether/IP/UDP padded so the frame is `size` bytes on the wire; TTL 64, DF clear."""
    udp = UDP(sport=sport, dport=dport, chksum=0) if zero_checksum else UDP(sport=sport, dport=dport)
    base = Ether() / IP(src=src, dst=dst, ttl=64) / udp
    pad = max(0, size - FCS - len(base))
    return base / (b"\x00" * pad)


def field_engine(a, host_field, port_field, host_min, host_max, zero_checksum):
    """Walk (host, port) pairs: host_min..host_max x 1024..1024+ports-1; fix the IPv4 and UDP checksums."""
    ins = [STLVmTupleGen(ip_min=host_min, ip_max=host_max, port_min=1024, port_max=1024 + a.ports - 1,
                         name="tuple"),
           STLVmWrFlowVar(fv_name="tuple.ip", pkt_offset=host_field),
           STLVmWrFlowVar(fv_name="tuple.port", pkt_offset=port_field)]
    if zero_checksum:
        ins.append(STLVmFixIpv4(offset="IP"))
    else:
        ins.append(STLVmFixChecksumHw(l3_offset="IP", l4_offset="UDP", l4_type=CTRexVmInsFixHwCs.L4_TYPE_UDP))
    return STLScVmRaw(ins)


class STLBinat(object):
    def get_streams(self, tunables=None, direction=0, port_id=0, **kwargs):
        a = parse(tunables or [])
        zero = a.checksum == "zero"
        server = lab.SERVERS
        if direction == 1:
            # lan side: 10.1.0.1+i:port -> server:443, translated out as 198.18.0.1+i
            lo, hi = lab.BINAT_INSIDE, lab.add(lab.BINAT_INSIDE, a.rules - 1)
            pkt = udp_frame(lo, server, 1024, lab.SERVER_PORT, a.size, zero)
            vm = field_engine(a, "IP.src", "UDP.sport", lo, hi, zero)
            latency_pkt = pkt.copy()
        else:
            # wan side: server:443 -> 198.18.0.1+i:port, translated in to 10.1.0.1+i
            # (--route: straight to 10.1.0.1+i, which a router without NAT forwards as it is)
            first = lab.BINAT_INSIDE if a.route else lab.BINAT_PUBLIC
            lo, hi = first, lab.add(first, a.rules - 1)
            pkt = udp_frame(server, lo, lab.SERVER_PORT, 1024, a.size, zero)
            vm = field_engine(a, "IP.dst", "UDP.dport", lo, hi, zero)
            latency_pkt = pkt.copy()
        streams = [STLStream(name="binat-data-%d" % direction, packet=STLPktBuilder(pkt=pkt, vm=vm),
                             mode=STLTXCont(pps=a.rate))]
        if a.latency_pps > 0:
            # one fixed flow (host 0, port 1024), timestamped; TRex counts its loss and latency per pg_id
            streams.append(STLStream(name="binat-latency-%d" % direction, packet=STLPktBuilder(pkt=latency_pkt),
                                     mode=STLTXCont(pps=a.latency_pps),
                                     flow_stats=STLFlowLatencyStats(pg_id=LATENCY_PG[direction])))
        return streams


def register():
    return STLBinat()


if __name__ == "__main__":
    # Outside TRex: build both ports' streams and print them (needs trex.stl.api on the path).
    profile = STLProfile(register().get_streams(sys.argv[1:], direction=1)
                         + register().get_streams(sys.argv[1:], direction=0))
    print(profile)
