"""
TRex ASTF profile: NAPT connection rate through Hairpin. Clients 10.2.0.0 .. 10.2.0.0+C-1
(behind TRex's client port, on Hairpin's lan side) open short TCP and/or UDP flows to the
Internet servers 198.19.0.1..16 (behind TRex's server port, on Hairpin's wan side); Hairpin's
outbound rule (10.2.0.0/16 -> the pool 198.18.128.0/26) gives every new flow a mapping and a
session. TRex's server side is a real TCP/UDP stack that answers whatever source it sees, so
the translated source needs no "learn mode" (the ASTF manual: "NAT - no need for complex learn
mode").

ASTF puts clients on the even port and servers on the odd port of a pair, so run it with
trex_cfg_astf.yaml (port 0 = Hairpin's lan, port 1 = wan), not trex_cfg.yaml.

A flow: TCP = handshake, a request of --req bytes, a response of --resp bytes, close (about 8
packets); UDP = one request datagram and one response datagram (2 packets). The connection
rate is --cps new flows per second in total (split by --udp-share), times the console's -m.

Tunables (after -t): --cps N, --udp-share F (0 = TCP only, 1 = UDP only), --clients C
(1..16384), --servers S (1..16), --req B, --resp B.

Not run against TRex here (no TRex on the build machine): written for TRex v3.x's ASTF API and
checked with py_compile and a parse check only (RUNBOOK.md).
"""

import argparse
import os
import sys

# ASTFProfile, ASTFTemplate, ASTFTCPClientTemplate, ASTFTCPServerTemplate, ASTFProgram,
# ASTFIPGen, ASTFIPGenDist, ASTFIPGenGlobal, ASTFAssociationRule, as every ASTF profile imports them
from trex.astf.api import *  # noqa: F401,F403

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lab  # noqa: E402

TCP_PORT = 80
UDP_PORT = 53


def parse(tunables):
    p = argparse.ArgumentParser(prog="astf_napt_cps.py", formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--cps", type=float, default=100_000, help="new flows per second, TCP and UDP together")
    p.add_argument("--udp-share", type=float, default=0.5, help="share of the new flows that are UDP (0..1)")
    p.add_argument("--clients", type=int, default=16384, help="inside client addresses 10.2.0.0 + k")
    p.add_argument("--servers", type=int, default=16, help="Internet servers 198.19.0.1 + k")
    p.add_argument("--req", type=int, default=64, help="request bytes per flow")
    p.add_argument("--resp", type=int, default=64, help="response bytes per flow")
    a = p.parse_args(tunables)
    if not 0.0 <= a.udp_share <= 1.0:
        p.error("--udp-share must be 0..1")
    if not 1 <= a.clients <= 16384:
        p.error("--clients must be 1..16384 (10.2.0.0/18)")
    if not 1 <= a.servers <= lab.SERVER_COUNT:
        p.error("--servers must be 1..%d" % lab.SERVER_COUNT)
    if a.cps <= 0 or a.req < 1 or a.resp < 1:
        p.error("--cps, --req and --resp must be positive")
    return a


class NaptCps(object):
    def create_profile(self, a):
        first_client = lab.NAPT_CLIENTS.split("/")[0]
        ip_gen = ASTFIPGen(glob=ASTFIPGenGlobal(ip_offset="1.0.0.0"),
                           dist_client=ASTFIPGenDist(ip_range=[first_client, lab.add(first_client, a.clients - 1)],
                                                     distribution="seq"),
                           dist_server=ASTFIPGenDist(ip_range=[lab.SERVERS, lab.add(lab.SERVERS, a.servers - 1)],
                                                     distribution="seq"))
        request = b"q" * a.req
        response = b"r" * a.resp
        templates = []
        tcp_cps = a.cps * (1.0 - a.udp_share)
        udp_cps = a.cps * a.udp_share
        if tcp_cps > 0:
            client = ASTFProgram()               # stream (TCP): connect, send, wait for the answer, close
            client.send(request)
            client.recv(len(response))
            server = ASTFProgram()
            server.recv(len(request))
            server.send(response)
            templates.append(ASTFTemplate(
                client_template=ASTFTCPClientTemplate(program=client, ip_gen=ip_gen, port=TCP_PORT, cps=tcp_cps),
                server_template=ASTFTCPServerTemplate(program=server, assoc=ASTFAssociationRule(port=TCP_PORT)),
                tg_name="tcp"))
        if udp_cps > 0:
            client = ASTFProgram(stream=False)   # message (UDP): one datagram each way
            client.send_msg(request)
            client.recv_msg(1)
            server = ASTFProgram(stream=False)
            server.recv_msg(1)
            server.send_msg(response)
            templates.append(ASTFTemplate(
                client_template=ASTFTCPClientTemplate(program=client, ip_gen=ip_gen, port=UDP_PORT, cps=udp_cps),
                server_template=ASTFTCPServerTemplate(program=server, assoc=ASTFAssociationRule(port=UDP_PORT)),
                tg_name="udp"))
        return ASTFProfile(default_ip_gen=ip_gen, templates=templates)

    def get_profile(self, tunables=None, **kwargs):
        return self.create_profile(parse(tunables or []))


def register():
    return NaptCps()


if __name__ == "__main__":
    print(register().get_profile(sys.argv[1:]).to_json_str())
