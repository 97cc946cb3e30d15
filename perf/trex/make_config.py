#!/usr/bin/env python3
"""
Writes the Hairpin config for the TRex lab (RUNBOOK.md) with N single-address 1:1 rules,
198.18.0.1+i <-> 10.1.0.1+i, plus the port forward and the outbound NAPT rule the other
profiles use; with --no-nat, the same router without any NAT (the `forward` row).
hairpin-trex.yaml is this script's output for --binat-rules 1.

    perf/trex/make_config.py --binat-rules 10000 > /etc/hairpin/trex-binat10k.yaml
    deploy/hairpin check --config /etc/hairpin/trex-binat10k.yaml
"""

import argparse
import sys

import lab

HEADER = """\
# Hairpin on the DUT for the TRex lab (perf/trex/RUNBOOK.md); written by perf/trex/make_config.py
# --binat-rules {rules}{nonat} --wan {wan} --lan {lan}. TRex port 0 is cabled to wan and plays the
# gateway {trex_wan}; TRex port 1 is cabled to lan and plays the inside router {trex_lan}, behind
# which the inside hosts of the profiles live (the three routes). Replace the two PCI addresses
# with the DUT's (dpdk-devbind.py --status).
"""


def render(rules, wan_device, lan_device, workers, max_sessions, nat=True):
    if not 0 <= rules <= lab.MAX_BINAT_RULES:
        raise SystemExit("--binat-rules must be 0..%d" % lab.MAX_BINAT_RULES)
    out = [HEADER.format(rules=rules, nonat="" if nat else " --no-nat", wan=wan_device, lan=lan_device, trex_wan=lab.TREX_WAN,
                         trex_lan=lab.TREX_LAN)]
    out.append("workers: %d\n" % workers)
    out.append("interfaces:\n")
    out.append("  - {name: wan, role: external, device: \"%s\", addresses: [%s/24], gateway: %s}\n"
               % (wan_device, lab.WAN_ADDRESS, lab.TREX_WAN))
    out.append("  - {name: lan, role: internal, device: \"%s\", addresses: [%s/24]}\n"
               % (lan_device, lab.LAN_ADDRESS))
    out.append("routes:\n")
    out.append("  - {prefix: 10.1.0.0/16, via: %s}   # 1:1 hosts (stl_binat.py)\n" % lab.TREX_LAN)
    out.append("  - {prefix: 10.2.0.0/16, via: %s}   # NAPT clients (astf_napt_cps.py)\n" % lab.TREX_LAN)
    out.append("  - {prefix: 10.3.0.0/24, via: %s}   # the port-forward server (stl_pfwd.py)\n" % lab.TREX_LAN)
    out.append("  - {prefix: 10.4.0.0/16, via: %s}   # the static-port client (stl_napt_established.py)\n" % lab.TREX_LAN)
    if not nat:
        return "".join(out)
    out.append("nat:\n")
    out.append("  max-sessions: %d\n" % max_sessions)
    if rules > 0:
        out.append("  one-to-one:\n")
    for i in range(rules):
        out.append("    - {interface: wan, external: %s, internal: %s}\n"
                   % (lab.add(lab.BINAT_PUBLIC, i), lab.add(lab.BINAT_INSIDE, i)))
    out.append("  port-forwards:\n")
    out.append("    - {interface: wan, protocol: tcp/udp, external: \"%s:%d\", internal: \"%s:%d\", description: pfwd}\n"
               % (lab.WAN_ADDRESS, lab.PFWD_PUBLIC_PORT, lab.PFWD_SERVER, lab.PFWD_SERVER_PORT))
    out.append("  outbound:\n")
    out.append("    - {interface: wan, source: 10.2.0.0/16, translation: %s, description: napt}\n" % lab.NAPT_POOL)
    out.append("    - {interface: wan, source: 10.4.0.0/16, translation: %s, static-port: true, description: napt-static}\n"
               % lab.STATIC_POOL)
    return "".join(out)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--binat-rules", type=int, default=1, help="single-address 1:1 rules (default 1; 0 = none)")
    p.add_argument("--no-nat", action="store_true", help="no nat section at all: a plain router (stl_binat.py --route)")
    p.add_argument("--wan", default="0000:03:00.0", help="the DUT's PCI address cabled to TRex port 0")
    p.add_argument("--lan", default="0000:03:00.1", help="the DUT's PCI address cabled to TRex port 1")
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--max-sessions", type=int, default=1000000)
    a = p.parse_args(argv)
    sys.stdout.write(render(a.binat_rules, a.wan, a.lan, a.workers, a.max_sessions, nat=not a.no_nat))


if __name__ == "__main__":
    main(sys.argv[1:])
