"""
TRex STL profile: NAT reflection (hairpin) through Hairpin, 64-byte UDP, everything on TRex
port 1 (the lan side): inside clients reach a server inside by its public address.

The server is 1:1 host 0 (10.1.0.1 <-> 198.18.0.1). Run it on port 1 only
(`start -f stl_hairpin.py --port 1 ...`; get_streams sends nothing for port 0):
  * requests: client -> 198.18.0.1:443. Hairpin reflects: destination 10.1.0.1, source the
    client's own public identity (reflection-source mapped), and sends it back out of lan.
  * replies: 10.1.0.1:443 -> the client's public identity, which Hairpin translates back to
    198.18.0.1:443 -> client, again out of lan.
--mode binat (row hairpin:binat): clients are 1:1 hosts 1..C (10.1.0.1+c <-> 198.18.0.1+c), so
  both directions are stateless; the DUT needs C+1 rules (make_config.py --binat-rules C+1).
--mode napt (row hairpin:napt): the client is the static-port NAPT client 10.4.0.1 with ports
  1024 .. 1024+C-1, whose mapping is 198.18.129.1:p; the request creates the session, so the
  replies start --reply-delay seconds later.

Tunables (after -t): --mode binat|napt, --clients C, --size, --rate PPS (per stream),
--latency-pps (0 = none), --reply-delay S, --checksum hw|zero.

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
LATENCY_PG = {"request": 7, "reply": 8}


def parse(tunables):
    p = argparse.ArgumentParser(prog="stl_hairpin.py", formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--mode", choices=["binat", "napt"], default="binat", help="clients' public identity: 1:1 or NAPT")
    p.add_argument("--clients", type=int, default=64, help="binat: client hosts 1..C; napt: client ports")
    p.add_argument("--size", type=int, default=64, help="frame size on the wire, FCS included")
    p.add_argument("--rate", type=float, default=1_000_000, help="packets per second per stream (requests, replies)")
    p.add_argument("--latency-pps", type=int, default=1000, help="latency stream per direction (0 = none)")
    p.add_argument("--reply-delay", type=float, default=1.0, help="napt: seconds before the replies start")
    p.add_argument("--checksum", choices=["hw", "zero"], default="hw", help="UDP checksum: NIC offload or 0")
    a = p.parse_args(tunables)
    limit = lab.MAX_BINAT_RULES - 1 if a.mode == "binat" else lab.MAX_STATIC_PORTS
    if not 1 <= a.clients <= limit:
        p.error("--clients must be 1..%d for --mode %s" % (limit, a.mode))
    if not 64 <= a.size <= 1518:
        p.error("--size must be 64..1518")
    return a


def udp_frame(src, dst, sport, dport, size, zero_checksum):
    udp = UDP(sport=sport, dport=dport, chksum=0) if zero_checksum else UDP(sport=sport, dport=dport)
    base = Ether() / IP(src=src, dst=dst, ttl=64) / udp
    return base / (b"\x00" * max(0, size - FCS - len(base)))


def checksum_fix(zero_checksum):
    if zero_checksum:
        return STLVmFixIpv4(offset="IP")
    return STLVmFixChecksumHw(l3_offset="IP", l4_offset="UDP", l4_type=CTRexVmInsFixHwCs.L4_TYPE_UDP)


def client_walk(a, field):
    """binat: the client address 10.1.0.2 .. (or its public 198.18.0.2 ..); napt: the client port."""
    if a.mode == "binat":
        first = lab.add(lab.BINAT_INSIDE if field == "IP.src" else lab.BINAT_PUBLIC, 1)
        return [STLVmFlowVar(name="client", min_value=first, max_value=lab.add(first, a.clients - 1), size=4,
                             op="inc"),
                STLVmWrFlowVar(fv_name="client", pkt_offset=field)]
    return [STLVmFlowVar(name="client", min_value=1024, max_value=1024 + a.clients - 1, size=2, op="inc"),
            STLVmWrFlowVar(fv_name="client", pkt_offset=field)]


class STLHairpin(object):
    def get_streams(self, tunables=None, direction=0, port_id=0, **kwargs):
        a = parse(tunables or [])
        if direction != 1:
            return []  # reflection happens on the lan side only
        zero = a.checksum == "zero"
        server, server_public = lab.BINAT_INSIDE, lab.BINAT_PUBLIC
        if a.mode == "binat":
            client, client_public = lab.add(lab.BINAT_INSIDE, 1), lab.add(lab.BINAT_PUBLIC, 1)
            request = udp_frame(client, server_public, 1024, lab.SERVER_PORT, a.size, zero)
            reply = udp_frame(server, client_public, lab.SERVER_PORT, 1024, a.size, zero)
            request_vm = client_walk(a, "IP.src")
            reply_vm = client_walk(a, "IP.dst")
            delay = 0
        else:
            request = udp_frame(lab.STATIC_CLIENT, server_public, 1024, lab.SERVER_PORT, a.size, zero)
            reply = udp_frame(server, lab.STATIC_POOL, lab.SERVER_PORT, 1024, a.size, zero)
            request_vm = client_walk(a, "UDP.sport")
            reply_vm = client_walk(a, "UDP.dport")
            delay = int(a.reply_delay * 1_000_000)  # usec
        streams = [
            STLStream(name="hairpin-request", mode=STLTXCont(pps=a.rate),
                      packet=STLPktBuilder(pkt=request, vm=STLScVmRaw(request_vm + [checksum_fix(zero)]))),
            STLStream(name="hairpin-reply", mode=STLTXCont(pps=a.rate), isg=delay,
                      packet=STLPktBuilder(pkt=reply, vm=STLScVmRaw(reply_vm + [checksum_fix(zero)]))),
        ]
        if a.latency_pps > 0:
            streams.append(STLStream(name="hairpin-latency-request", packet=STLPktBuilder(pkt=request.copy()),
                                     mode=STLTXCont(pps=a.latency_pps),
                                     flow_stats=STLFlowLatencyStats(pg_id=LATENCY_PG["request"])))
            streams.append(STLStream(name="hairpin-latency-reply", packet=STLPktBuilder(pkt=reply.copy()),
                                     mode=STLTXCont(pps=a.latency_pps), isg=delay,
                                     flow_stats=STLFlowLatencyStats(pg_id=LATENCY_PG["reply"])))
        return streams


def register():
    return STLHairpin()


if __name__ == "__main__":
    print(STLProfile(register().get_streams(sys.argv[1:], direction=1)))
