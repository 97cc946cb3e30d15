"""
The addressing shared by the TRex profiles and the Hairpin config of this directory
(hairpin-trex.yaml, make_config.py). One place, so a profile and the DUT's rules agree.

TRex port 0 is cabled to Hairpin's wan port and plays the upstream router 203.0.113.254
(Hairpin's gateway); the Internet servers and clients sit "behind" it. TRex port 1 is cabled
to Hairpin's lan port and plays the inside router 10.0.0.2, behind which Hairpin has static
routes to the inside hosts. So Hairpin resolves one neighbour per side (TRex answers ARP for
its own port address only), and TRex sends everything to Hairpin's MAC (its default_gw).

Nothing here imports TRex: make_config.py and the checks in RUNBOOK.md run without it.
"""

import ipaddress

# Hairpin (the DUT)
WAN_ADDRESS = "203.0.113.1"      # wan/24; TRex port 0's default_gw
LAN_ADDRESS = "10.0.0.1"         # lan/24; TRex port 1's default_gw
# TRex
TREX_WAN = "203.0.113.254"       # port 0: Hairpin's gateway
TREX_LAN = "10.0.0.2"            # port 1: the next hop of Hairpin's routes to the inside hosts

# Inside hosts (behind TRex port 1, routed)
BINAT_INSIDE = "10.1.0.1"        # 1:1 host i = 10.1.0.1 + i  (route 10.1.0.0/16)
NAPT_CLIENTS = "10.2.0.0/18"     # 16384 NAPT clients         (route 10.2.0.0/16)
PFWD_SERVER = "10.3.0.80"        # the port-forward server     (route 10.3.0.0/24)
STATIC_CLIENT = "10.4.0.1"       # the static-port NAPT client (route 10.4.0.0/16)
# Public side
BINAT_PUBLIC = "198.18.0.1"      # 1:1 public i = 198.18.0.1 + i (RFC 2544 benchmarking space)
NAPT_POOL = "198.18.128.0/26"    # the NAPT pool (64 addresses, paired pooling)
STATIC_POOL = "198.18.129.1"     # 10.4.0.0/16 -> this one address with static-port: 10.4.0.1:p -> 198.18.129.1:p
SERVERS = "198.19.0.1"           # Internet servers 198.19.0.1 .. +SERVER_COUNT-1 (behind TRex port 0)
SERVER_COUNT = 16
MAX_STATIC_SERVERS = 4096        # stl_napt_established.py: servers 198.19.16.1 + k, k < 4096
STATIC_SERVERS = "198.19.16.1"
MAX_STATIC_PORTS = 64512         # client ports 1024..65535 of 10.4.0.1
INTERNET_CLIENTS = "198.19.1.1"  # Internet clients of the port forward, 198.19.1.1 + k
PFWD_PUBLIC_PORT = 8080          # wan 203.0.113.1:8080 -> 10.3.0.80:80, tcp and udp
PFWD_SERVER_PORT = 80
SERVER_PORT = 443                # the UDP/TCP port the Internet servers listen on

MAX_BINAT_RULES = 16384          # 10.1.0.1 + i stays inside 10.1.0.0/18


def add(address, n):
    """address + n, as dotted-quad text."""
    return str(ipaddress.IPv4Address(address) + n)
