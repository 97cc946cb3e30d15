"""
TRex STL profile: established NAPT sessions through Hairpin at a fixed table size, 64-byte UDP.

Outbound NAPT hands out ports the generator cannot predict, so this profile uses the lab's
static-port rule (make_config.py: 10.4.0.0/16 -> 198.18.129.1, static-port): the one inside
client 10.4.0.1 keeps its source port, so the reply to 10.4.0.1:p comes back to 198.18.129.1:p.
The sessions are (client port p, server s) for P ports x S servers, p in 1024 .. 1024+P-1, s in
198.19.16.1 .. +S-1: N = P x S sessions (P <= 64512, so up to 64512 x 4096).

Load it on both ports (`start -f stl_napt_established.py --port 0 1 ...`):
  * port 1 (lan side, direction 1): 10.4.0.1:p -> s:443, each (p, s) in turn; the first pass
    creates the mapping of p (once) and the session (p, s); then they are the established flows.
  * port 0 (wan side, direction 0): s:443 -> 198.18.129.1:p, the replies, starting --reply-delay
    seconds later (address-dependent filtering admits them once 10.4.0.1:p has sent to s).
RFC 9693's phase 1 is the learning pass: run the profile once at a low rate until Hairpin's
`stats` shows the N sessions, then search (RUNBOOK.md). N must fit max-sessions
(make_config.py --max-sessions; 10 M sessions need a 4 GiB heap, as in perf/RESULTS.md).

Tunables (after -t): --sessions N (rounded up to P x S with S = --servers), --servers S,
--size, --rate PPS per port, --latency-pps (0 = none), --reply-delay S, --checksum hw|zero.

Not run against TRex here (no TRex on the build machine): written for TRex v3.x's STL API and
checked with py_compile and a parse check only (RUNBOOK.md).
"""

import argparse
import os
import sys

from trex.stl.api import *  # noqa: F401,F403

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402

FCS = 4
LATENCY_PG = {0: 5, 1: 6}


def parse(tunables):
    p = argparse.ArgumentParser(prog="stl_napt_established.py",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--sessions", type=int, default=1_000_000, help="established sessions (P ports x S servers)")
    p.add_argument("--servers", type=int, default=16, help="Internet servers 198.19.16.1 + k")
    p.add_argument("--size", type=int, default=64, help="frame size on the wire, FCS included")
    p.add_argument("--rate", type=float, default=1_000_000, help="data packets per second per port")
    p.add_argument("--latency-pps", type=int, default=1000, help="latency stream per port (0 = none)")
    p.add_argument("--reply-delay", type=float, default=2.0, help="seconds before the replies start")
    p.add_argument("--checksum", choices=["hw", "zero"], default="hw", help="UDP checksum: NIC offload or 0")
    a = p.parse_args(tunables)
    if not 1 <= a.servers <= lab.MAX_STATIC_SERVERS:
        p.error("--servers must be 1..%d" % lab.MAX_STATIC_SERVERS)
    if a.sessions < 1:
        p.error("--sessions must be positive")
    a.ports = -(-a.sessions // a.servers)
    if a.ports > lab.MAX_STATIC_PORTS:
        p.error("--sessions %d needs %d ports per server (> %d): raise --servers"
                % (a.sessions, a.ports, lab.MAX_STATIC_PORTS))
    if not 64 <= a.size <= 1518:
        p.error("--size must be 64..1518")
    return a


def udp_frame(src, dst, sport, dport, size, zero_checksum):
    udp = UDP(sport=sport, dport=dport, chksum=0) if zero_checksum else UDP(sport=sport, dport=dport)
    base = Ether() / IP(src=src, dst=dst, ttl=64) / udp
    return base / (b"\x00" * max(0, size - FCS - len(base)))


def field_engine(a, server_field, port_field, zero_checksum):
    """Every (server, port) pair: the tuple generator walks servers x ports."""
    ins = [STLVmTupleGen(ip_min=lab.STATIC_SERVERS, ip_max=lab.add(lab.STATIC_SERVERS, a.servers - 1),
                         port_min=1024, port_max=1024 + a.ports - 1, name="tuple"),
           STLVmWrFlowVar(fv_name="tuple.ip", pkt_offset=server_field),
           STLVmWrFlowVar(fv_name="tuple.port", pkt_offset=port_field)]
    if zero_checksum:
        ins.append(STLVmFixIpv4(offset="IP"))
    else:
        ins.append(STLVmFixChecksumHw(l3_offset="IP", l4_offset="UDP", l4_type=CTRexVmInsFixHwCs.L4_TYPE_UDP))
    return STLScVmRaw(ins)


class STLNaptEstablished(object):
    def get_streams(self, tunables=None, direction=0, port_id=0, **kwargs):
        a = parse(tunables or [])
        zero = a.checksum == "zero"
        server = lab.STATIC_SERVERS
        if direction == 1:
            # lan side: 10.4.0.1:p -> s:443 (p kept by static-port)
            pkt = udp_frame(lab.STATIC_CLIENT, server, 1024, lab.SERVER_PORT, a.size, zero)
            vm = field_engine(a, "IP.dst", "UDP.sport", zero)
            isg = 0
        else:
            # wan side: s:443 -> 198.18.129.1:p
            pkt = udp_frame(server, lab.STATIC_POOL, lab.SERVER_PORT, 1024, a.size, zero)
            vm = field_engine(a, "IP.src", "UDP.dport", zero)
            isg = int(a.reply_delay * 1_000_000)  # usec
        streams = [STLStream(name="napt-data-%d" % direction, packet=STLPktBuilder(pkt=pkt, vm=vm),
                             mode=STLTXCont(pps=a.rate), isg=isg)]
        if a.latency_pps > 0:
            # the session (port 1024, first server), which the first lan packet opens
            streams.append(STLStream(name="napt-latency-%d" % direction, packet=STLPktBuilder(pkt=pkt.copy()),
                                     mode=STLTXCont(pps=a.latency_pps), isg=isg,
                                     flow_stats=STLFlowLatencyStats(pg_id=LATENCY_PG[direction])))
        return streams


def register():
    return STLNaptEstablished()


if __name__ == "__main__":
    profile = STLProfile(register().get_streams(sys.argv[1:], direction=1)
                         + register().get_streams(sys.argv[1:], direction=0))
    print(profile)
