"""
TRex STL profile: a port forward through Hairpin (wan 203.0.113.1:8080 -> 10.3.0.80:80, UDP),
64-byte frames by default.

Load it on both ports (`start -f stl_pfwd.py --port 0 1 ...`); TRex calls get_streams once per
port with direction = port_id % 2.
  * port 0 (wan side, direction 0): Internet clients 198.19.1.1 .. +C-1, source ports
    1024 .. 1024+P-1, send to 203.0.113.1:8080. Hairpin creates one session per (client, port)
    on the first packet (DNAT to 10.3.0.80:80) and routes it to 10.0.0.2 (TRex port 1).
  * port 1 (lan side, direction 1): the server's replies 10.3.0.80:80 -> client:port, which
    only pass once the session exists (the server is under no outbound rule), so this stream
    starts --reply-delay seconds after the other; Hairpin rewrites the source back to
    203.0.113.1:8080.
The DUT needs the port forward of hairpin-trex.yaml; the C x P sessions must fit max-sessions.
Before each trial, send the flows once at a low rate (the RFC 2544 "learning" frames) so that
the sessions of the trial exist when it starts (RUNBOOK.md).

Tunables (after -t): --clients C, --ports P (flows = C x P), --size S (frame size on the wire
incl. FCS), --rate PPS (data packets/s per port), --latency-pps (0 = none), --reply-delay S,
--checksum hw|zero.

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
LATENCY_PG = {0: 3, 1: 4}


def parse(tunables):
    p = argparse.ArgumentParser(prog="stl_pfwd.py", formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--clients", type=int, default=64, help="Internet client addresses")
    p.add_argument("--ports", type=int, default=16, help="source ports per client")
    p.add_argument("--size", type=int, default=64, help="frame size on the wire, FCS included")
    p.add_argument("--rate", type=float, default=1_000_000, help="data packets per second per port")
    p.add_argument("--latency-pps", type=int, default=1000, help="latency stream per port (0 = none)")
    p.add_argument("--reply-delay", type=float, default=1.0, help="seconds before the replies start")
    p.add_argument("--checksum", choices=["hw", "zero"], default="hw", help="UDP checksum: NIC offload or 0")
    a = p.parse_args(tunables)
    if not 1 <= a.clients <= 254:
        p.error("--clients must be 1..254 (198.19.1.0/24)")
    if not 1 <= a.ports <= 64511:
        p.error("--ports must be 1..64511")
    if not 64 <= a.size <= 1518:
        p.error("--size must be 64..1518")
    return a


def udp_frame(src, dst, sport, dport, size, zero_checksum):
    udp = UDP(sport=sport, dport=dport, chksum=0) if zero_checksum else UDP(sport=sport, dport=dport)
    base = Ether() / IP(src=src, dst=dst, ttl=64) / udp
    return base / (b"\x00" * max(0, size - FCS - len(base)))


def field_engine(a, host_field, port_field, zero_checksum):
    hi = lab.add(lab.INTERNET_CLIENTS, a.clients - 1)
    ins = [STLVmTupleGen(ip_min=lab.INTERNET_CLIENTS, ip_max=hi, port_min=1024, port_max=1024 + a.ports - 1,
                         name="tuple"),
           STLVmWrFlowVar(fv_name="tuple.ip", pkt_offset=host_field),
           STLVmWrFlowVar(fv_name="tuple.port", pkt_offset=port_field)]
    if zero_checksum:
        ins.append(STLVmFixIpv4(offset="IP"))
    else:
        ins.append(STLVmFixChecksumHw(l3_offset="IP", l4_offset="UDP", l4_type=CTRexVmInsFixHwCs.L4_TYPE_UDP))
    return STLScVmRaw(ins)


class STLPortForward(object):
    def get_streams(self, tunables=None, direction=0, port_id=0, **kwargs):
        a = parse(tunables or [])
        zero = a.checksum == "zero"
        client = lab.INTERNET_CLIENTS
        if direction == 0:
            # wan side: client:port -> 203.0.113.1:8080 (opens the sessions)
            pkt = udp_frame(client, lab.WAN_ADDRESS, 1024, lab.PFWD_PUBLIC_PORT, a.size, zero)
            vm = field_engine(a, "IP.src", "UDP.sport", zero)
            isg = 0
        else:
            # lan side: 10.3.0.80:80 -> client:port (the replies; need the sessions)
            pkt = udp_frame(lab.PFWD_SERVER, client, lab.PFWD_SERVER_PORT, 1024, a.size, zero)
            vm = field_engine(a, "IP.dst", "UDP.dport", zero)
            isg = int(a.reply_delay * 1_000_000)  # usec
        streams = [STLStream(name="pfwd-data-%d" % direction, packet=STLPktBuilder(pkt=pkt, vm=vm),
                             mode=STLTXCont(pps=a.rate), isg=isg)]
        if a.latency_pps > 0:
            # the flow of client 0, port 1024: its session is the first one the wan stream opens
            streams.append(STLStream(name="pfwd-latency-%d" % direction, packet=STLPktBuilder(pkt=pkt.copy()),
                                     mode=STLTXCont(pps=a.latency_pps), isg=isg,
                                     flow_stats=STLFlowLatencyStats(pg_id=LATENCY_PG[direction])))
        return streams


def register():
    return STLPortForward()


if __name__ == "__main__":
    profile = STLProfile(register().get_streams(sys.argv[1:], direction=0)
                         + register().get_streams(sys.argv[1:], direction=1))
    print(profile)
