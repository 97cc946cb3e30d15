#!/usr/bin/env python3
"""The measuring half of perf/linux-compare.sh (which builds and tears down the lab).

  linux_compare.py measure --router NAME --prefix P ... --out FILE   one router, lab already up
  linux_compare.py ceiling --ns-a A --ns-b B ... --out FILE          the generator over a bare veth pair
  linux_compare.py report FILE...                                    JSON lines + table

Every process it starts runs in a lab namespace through `ip netns exec`, is remembered by PID and
stopped by PID; the shell script's trap deletes the namespaces (and anything left in them).
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time

LOSS_MAX = 0.001          # the search's acceptance: at most 0.1 % lost
CORE_GEN = "0"            # generator and sink: the core the appliance's worker does not poll
NICE = 0                  # --nice: CFS priority of the generator and the sink (the script renices the worker)

# traffic type -> (sender ns, source, destination, port, sink ns, sink bind, source the sink must see)
TRAFFIC = {
    "outbound": ("inside", "192.168.1.10", "203.0.113.254", 7000, "outside", "203.0.113.254", "203.0.113.1"),
    "one-to-one": ("outside", "203.0.113.254", "203.0.113.20", 7001, "server", "192.168.1.20", "203.0.113.254"),
}
# the sender's next hop (whose MAC the AF_PACKET generator writes to): the router's LAN address, or the 1:1
# address that the router answers ARP for on the WAN side
NEXT_HOP = {"outbound": "192.168.1.1", "one-to-one": "203.0.113.20"}
# the router's ingress and egress interface for each traffic type
ROUTER_IFS = {"outbound": ("r-lan", "r-wan"), "one-to-one": ("r-wan", "r-lan")}


def set_autogroup_nice(pid):
    """With sched_autogroup (on here), CFS shares a core between sessions first: a thread's own nice
    counts only inside its session's group, so --nice sets the group's."""
    try:
        with open(f"/proc/{pid}/autogroup", "w") as f:
            f.write(str(NICE))
    except OSError as e:
        log(f"cannot set the autogroup nice of pid {pid}: {e}")


def log(msg):
    print(f"linux-compare: {msg}", file=sys.stderr, flush=True)


def run(cmd, timeout=30, check=True):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=check)


def cpu_times():
    """Per-core (busy, softirq, total) jiffies from /proc/stat."""
    out = {}
    with open("/proc/stat") as f:
        for line in f:
            m = re.match(r"cpu(\d+) (.*)", line)
            if m:
                v = [int(x) for x in m.group(2).split()]
                idle = v[3] + v[4]
                total = sum(v[:8])
                out[m.group(1)] = (total - idle, v[6], total)
    return out


TICK_US = 1e6 / os.sysconf("SC_CLK_TCK")


def cpu_delta(a, b, packets):
    """Per core: busy and softirq share of the run, and busy/softirq microseconds per packet received
    (softirq time on these machines is ours: the other load here is compilers and JVMs)."""
    res = {}
    for c in sorted(b):
        busy, si, tot = (b[c][i] - a[c][i] for i in range(3))
        if tot > 0:
            res[f"cpu{c}_busy_pct"] = round(100.0 * busy / tot, 1)
            res[f"cpu{c}_softirq_pct"] = round(100.0 * si / tot, 1)
            if packets:
                res[f"cpu{c}_softirq_us_per_pkt"] = round(si * TICK_US / packets, 3)
    return res


def softnet_drops():
    """Packets dropped because a CPU's backlog queue (netdev_max_backlog) was full, all CPUs."""
    total = 0
    with open("/proc/net/softnet_stat") as f:
        for line in f:
            total += int(line.split()[1], 16)
    return total


class Lab:
    def __init__(self, prefix, blast):
        self.p = prefix
        self.blast = blast
        self.pids = []

    def ns(self, name):
        return self.p + name

    def start(self, ns, args, core):
        """Starts udpblast in namespace ns, pinned to core; returns the Popen (PID recorded)."""
        cmd = ["ip", "netns", "exec", ns, "nice", "-n", str(NICE), "taskset", "-c", core, self.blast] + [str(a) for a in args]
        # its own session, so that --nice can weight its scheduler autogroup against the other jobs' ones
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        self.pids.append(proc)
        if NICE:
            set_autogroup_nice(proc.pid)
        return proc

    def stop_all(self):
        for proc in self.pids:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=3)
        self.pids = []

    def wait_ready(self, proc, what):
        """The sink prints 'ready' on stderr once bound (bounded wait)."""
        line = proc.stderr.readline()
        if line.strip() != "ready":
            proc.kill()
            raise RuntimeError(f"{what} did not start: {line.strip()} {proc.stderr.read().strip()}")

    def one_run(self, sender_ns, src, dst, port, sink_ns, bind, rate, duration, flows, size, sport, counters=None,
                batch=32, worker_pid=None, gen=None, nft_sink=None):
        """One fixed-duration run: the sink ready, the sender for `duration` s, what is in flight drained.

        gen: None (UDP sockets) or (ifname, smac, dmac): prebuilt frames on an AF_PACKET socket.
        nft_sink: None (the udpblast sink process) or an NftSink already loaded in the sink's namespace."""
        sink = None
        if nft_sink is None:
            sink = self.start(sink_ns, ["sink", "--bind", bind, "--port", port, "--size", size,
                                        "--max-seconds", duration + 30], CORE_GEN)
            self.wait_ready(sink, "sink")
        before = counters() if counters else None
        k0 = nft_sink.read() if nft_sink else None
        cpu0, drops0, w0 = cpu_times(), softnet_drops(), worker_threads(worker_pid)
        args = ["send", "--src", src, "--dst", dst, "--dport", port, "--sport", sport, "--flows", flows,
                "--size", size, "--rate", int(rate), "--duration", duration, "--batch", batch]
        if gen:
            args += ["--ifname", gen[0], "--smac", gen[1], "--dmac", gen[2]]
        sender = self.start(sender_ns, args, CORE_GEN)
        s_out, s_err = sender.communicate(timeout=duration + 30)
        cpu1, drops1, w1 = cpu_times(), softnet_drops(), worker_threads(worker_pid)
        time.sleep(0.5)   # what is still queued on the way arrives
        after = counters() if counters else None
        if sink:
            sink.send_signal(signal.SIGINT)
            k_out, k_err = sink.communicate(timeout=10)
        self.pids = [p for p in self.pids if p.poll() is None]
        if sender.returncode != 0 or (sink and sink.returncode != 0):
            raise RuntimeError(f"udpblast failed: sender rc={sender.returncode} {s_err.strip()}; "
                               f"sink rc={sink.returncode if sink else '-'} {k_err.strip() if sink else ''}")
        snd = json.loads(s_out)
        if sink:
            rcv = json.loads(k_out)
        else:
            k1 = nft_sink.read()
            rcv = {"received": k1["translated"] - k0["translated"], "other": k1["other"] - k0["other"]}
        secs = snd["seconds"]
        res = {
            "rate_asked": int(rate), "generator": "af_packet" if gen else "udp-socket",
            "sink": "nft-ingress" if nft_sink else "udp-socket",
            "sent": snd["sent"], "send_errors": snd["errors"],
            "received": rcv["received"], "seconds": round(secs, 3),
            "offered_pps": round(snd["sent"] / secs), "received_pps": round(rcv["received"] / secs),
            "loss_pct": round(100.0 * (1 - rcv["received"] / snd["sent"]), 3) if snd["sent"] else 100.0,
            "backlog_drops": drops1 - drops0, "loadavg": os.getloadavg()[0], "nice": NICE,
        }
        if sink:
            res.update({"sink_sources": rcv["sources"], "sink_src_ports": rcv["src_ports"],
                        "sink_bad_len": rcv["bad_len"], "sink_socket_drops": rcv["socket_drops"]})
        else:
            res["sink_untranslated"] = rcv["other"]   # reached the sink port with another source
        res.update(cpu_delta(cpu0, cpu1, rcv["received"]))
        res["sender_us_per_pkt"] = round(1e6 * (snd["utime"] + snd["stime"]) / snd["sent"], 3) if snd["sent"] else None
        res["sender_cpu_pct"] = round(100.0 * (snd["utime"] + snd["stime"]) / secs, 1)
        if w0 and w1:
            ut = sum(w1[t][1] - w0[t][1] for t in w1 if t in w0)
            st = sum(w1[t][2] - w0[t][2] for t in w1 if t in w0)
            # the worker busy-polls: its CPU time is its share of core 1, used or not
            res["worker_cpu_pct"] = round(100.0 * (ut + st) * TICK_US / 1e6 / secs, 1)
            res["worker_sys_pct_of_its_time"] = round(100.0 * st / (ut + st), 1) if ut + st else None
            res["worker_us_per_pkt"] = round((ut + st) * TICK_US / rcv["received"], 3) if rcv["received"] else None
        if before is not None:
            res["router"] = {k: after[k] - before[k] for k in after if k in before}
        return res


class NftSink:
    """Counts and drops the test traffic at the far host's eth0 ingress (nftables netdev hook, before
    the IP stack): what arrives with the translated source, and what arrives with any other."""
    TABLE = "lc_sink"

    def __init__(self, ns, want_src, bind, port):
        self.ns = ns
        rules = f"""table netdev {self.TABLE} {{
    chain ingress {{
        type filter hook ingress device "eth0" priority -500; policy accept;
        ip saddr {want_src} ip daddr {bind} udp dport {port} counter drop comment "translated"
        udp dport {port} counter drop comment "other"
    }}
}}
"""
        subprocess.run(["ip", "netns", "exec", ns, "nft", "-f", "-"], input=rules, text=True, check=True,
                       capture_output=True, timeout=30)

    def read(self):
        out = run(["ip", "netns", "exec", self.ns, "nft", "-j", "list", "table", "netdev", self.TABLE]).stdout
        res = {}
        for item in json.loads(out)["nftables"]:
            rule = item.get("rule")
            if rule:
                for e in rule["expr"]:
                    if "counter" in e:
                        res[rule["comment"]] = e["counter"]["packets"]
        return res

    def remove(self):
        run(["ip", "netns", "exec", self.ns, "nft", "delete", "table", "netdev", self.TABLE], check=False)


def link_mac(ns, dev):
    return json.loads(run(["ip", "-n", ns, "-j", "link", "show", "dev", dev]).stdout)[0]["address"]


def neigh_mac(ns, ip):
    """The MAC the sender's namespace resolved for ip (its next hop), after the warm-up."""
    for n in json.loads(run(["ip", "-n", ns, "-j", "neigh", "show", "dev", "eth0"]).stdout):
        if n.get("dst") == ip and n.get("lladdr"):
            return n["lladdr"]
    return None


def iface_counters(lab, ifname):
    out = run(["ip", "-n", lab.ns("router"), "-j", "-s", "link", "show", "dev", ifname]).stdout
    st = json.loads(out)[0]["stats64"]
    return {"rx": st["rx"]["packets"], "rx_dropped": st["rx"]["dropped"], "tx": st["tx"]["packets"],
            "tx_dropped": st["tx"]["dropped"]}


def hairpin_stats(home, sock):
    r = run([os.path.join(home, "deploy/hairpin"), "--socket", sock, "stats", "--json"], timeout=60, check=False)
    if r.returncode != 0:
        log(f"hairpin stats failed: {r.stderr.strip()}")
        return {}
    flat = {}

    def walk(prefix, v):
        if isinstance(v, dict):
            for k, x in v.items():
                walk(f"{prefix}.{k}" if prefix else k, x)
        elif isinstance(v, list):
            for i, x in enumerate(v):
                walk(f"{prefix}.{i}", x)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            flat[prefix] = v
    walk("", json.loads(r.stdout))
    return flat


def appliance_pid(state):
    try:
        with open(os.path.join(state, "pids", "appliance.pid")) as f:
            return int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None


def worker_threads(pid):
    """{tid: (affinity list, utime ticks, stime ticks)} of the appliance's worker threads."""
    res = {}
    if not pid:
        return res
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                if not f.read().startswith("hairpin-worker"):
                    continue
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                v = f.read().rsplit(")", 1)[1].split()
            cpus = sorted(os.sched_getaffinity(int(tid)))
            res[tid] = (cpus, int(v[11]), int(v[12]))
        except (OSError, ValueError):
            pass
    return res


def linux_counters(lab):
    flat = {}
    snmp = run(["ip", "netns", "exec", lab.ns("router"), "cat", "/proc/net/snmp"]).stdout.splitlines()
    hdr, val = [l.split() for l in snmp if l.startswith("Ip:")][:2]
    ip = dict(zip(hdr[1:], (int(x) for x in val[1:])))
    flat["ip.ForwDatagrams"] = ip["ForwDatagrams"]
    flat["ip.InDiscards"] = ip["InDiscards"]
    flat["ip.OutDiscards"] = ip["OutDiscards"]
    r = run(["ip", "netns", "exec", lab.ns("router"), "nft", "-j", "list", "table", "ip", "hairpin_lab"], check=False)
    if r.returncode == 0:
        for item in json.loads(r.stdout)["nftables"]:
            rule = item.get("rule")
            if not rule:
                continue
            name = rule.get("comment") or rule["chain"]
            for e in rule["expr"]:
                if "counter" in e:
                    flat[f"nft.{rule['chain']}.{name}"] = e["counter"]["packets"]
    ct = run(["ip", "netns", "exec", lab.ns("router"), "cat", "/proc/sys/net/netfilter/nf_conntrack_count"],
             check=False)
    if ct.returncode == 0:
        flat["conntrack.count"] = int(ct.stdout.strip())
    return flat


def measure(a):
    lab = Lab(a.prefix, a.blast)
    results = []
    try:
        for traffic in a.traffic.split(","):
            s_ns, src, dst, port, k_ns, bind, want_src = TRAFFIC[traffic]
            s_ns, k_ns = lab.ns(s_ns), lab.ns(k_ns)
            ifin, ifout = ROUTER_IFS[traffic]

            def veth_counters():   # cheap: for every run
                c = {}
                for k, v in iface_counters(lab, ifin).items():
                    c[f"{ifin}.{k}"] = v
                for k, v in iface_counters(lab, ifout).items():
                    c[f"{ifout}.{k}"] = v
                return c

            def counters():   # and the router's own (hairpin stats starts a JVM): for the max-rate run
                c = veth_counters()
                if a.router.startswith("hairpin"):
                    c.update(hairpin_stats(a.home, a.socket))
                else:
                    c.update(linux_counters(lab))
                return c

            common = dict(sender_ns=s_ns, src=src, dst=dst, port=port, sink_ns=k_ns, bind=bind,
                          flows=a.flows, size=a.size, sport=a.sport,
                          worker_pid=appliance_pid(a.state) if a.router.startswith("hairpin") else None)
            # warm-up with UDP sockets at both ends: neighbours resolved, one NAT session / conntrack entry
            # per flow, and the sink checks the source the router translated to
            warm = lab.one_run(rate=a.warm_rate, duration=1.0, batch=4, **common)
            ok = warm["received"] > 0 and warm["sink_sources"] == [want_src] and warm["sink_bad_len"] == 0
            log(f"{a.router} {traffic}: warm-up {warm['received']}/{warm['sent']} received, sources "
                f"{warm['sink_sources']} (want [{want_src}]), {warm['sink_src_ports']} source ports")
            entry = {"router": a.router, "round": a.round, "traffic": traffic, "flows": a.flows, "payload_bytes": a.size,
                     "duration_s": a.duration, "translated_ok": ok, "warmup": warm}
            if a.router.startswith("hairpin"):
                entry["worker_cpus"] = [c for (c, _, _) in worker_threads(appliance_pid(a.state)).values()]
            if not ok:
                entry["error"] = f"warm-up: sink saw sources {warm['sink_sources']}, want [{want_src}]"
                results.append(entry)
                continue
            if a.gen == "af_packet":
                dmac = neigh_mac(s_ns, NEXT_HOP[traffic])
                if not dmac:
                    raise RuntimeError(f"{s_ns} has no neighbour entry for {NEXT_HOP[traffic]} after the warm-up")
                common["gen"] = ("eth0", link_mac(s_ns, "eth0"), dmac)
            if a.sink == "nft":
                nft_sink = NftSink(k_ns, want_src, bind, port)
                common["nft_sink"] = nft_sink
            try:
                measure_traffic(a, lab, entry, common, counters, veth_counters)
            finally:
                if a.sink == "nft":
                    nft_sink.remove()
            results.append(entry)
    finally:
        lab.stop_all()
    with open(a.out, "a") as f:
        for e in results:
            f.write(json.dumps(e) + "\n")


def measure_traffic(a, lab, entry, common, counters, veth_counters):
    """The max-rate run and the bisection for <= 0.1 % loss, into entry."""
    name = f"{entry['router']} {entry['traffic']}"
    mx = lab.one_run(rate=0, duration=a.duration, counters=counters, **common)
    log(f"{name}: max rate: offered {mx['offered_pps']} pps, received {mx['received_pps']} pps "
        f"(loss {mx['loss_pct']} %, cpu0 {mx.get('cpu0_busy_pct')} % cpu1 {mx.get('cpu1_busy_pct')} %)")
    entry["max"] = mx
    # the highest offered rate with <= 0.1 % loss: bisection between 0 and the max-rate offer
    best = None
    lo, hi = 0.0, float(mx["offered_pps"])
    rate = min(hi, mx["received_pps"] * 0.98)
    if mx["loss_pct"] <= LOSS_MAX * 100:
        best = mx
    steps = []
    for _ in range(a.search if best is None else 0):
        r = lab.one_run(rate=rate, duration=a.duration, counters=veth_counters, **common)
        passed = r["sent"] > 0 and r["loss_pct"] <= LOSS_MAX * 100 and r["sent"] >= 0.97 * rate * r["seconds"]
        steps.append({k: r[k] for k in ("rate_asked", "offered_pps", "received_pps", "loss_pct", "router")})
        ifin, ifout = ROUTER_IFS[entry["traffic"]]
        rc = r.get("router", {})
        log(f"{name}: search {int(rate)} pps -> offered {r['offered_pps']} received "
            f"{r['received_pps']} loss {r['loss_pct']} % {'ok' if passed else 'too fast'} "
            f"(sent {r['sent']}, router veths: {rc.get(ifin + '.rx')} in, {rc.get(ifout + '.tx')} out)")
        if passed:
            lo = rate
            if best is None or r["received_pps"] > best["received_pps"]:
                best = r
        else:
            hi = rate
        rate = (lo + hi) / 2
    entry["search"] = steps
    if best is not None:
        entry["lossless"] = best


def ceiling(a):
    """The generator and sink alone over one veth pair (no router), both on core 0 as in the lab runs: the
    highest rate this lab could show for any router. With the lab's generator and sink, and with UDP
    sockets at both ends."""
    lab = Lab("", a.blast)
    res = []
    common = dict(sender_ns=a.ns_a, src="198.51.100.1", dst="198.51.100.2", port=7000, sink_ns=a.ns_b,
                  bind="198.51.100.2", flows=a.flows, size=a.size, sport=a.sport)
    try:
        lab.one_run(rate=20000, duration=0.5, batch=4, **common)   # neighbours
        modes = [(a.gen, a.sink)] + ([("socket", "socket")] if (a.gen, a.sink) != ("socket", "socket") else [])
        for gen, sink in modes:
            kw = dict(common)
            if gen == "af_packet":
                kw["gen"] = ("eth0", link_mac(a.ns_a, "eth0"), link_mac(a.ns_b, "eth0"))
            nft_sink = NftSink(a.ns_b, "198.51.100.1", "198.51.100.2", 7000) if sink == "nft" else None
            try:
                r = lab.one_run(rate=0, duration=a.duration, nft_sink=nft_sink, **kw)
            finally:
                if nft_sink:
                    nft_sink.remove()
            res.append(r)
            log(f"ceiling (bare veth pair, core 0, generator {r['generator']}, sink {r['sink']}): offered "
                f"{r['offered_pps']} pps, received {r['received_pps']} pps, loss {r['loss_pct']} %, "
                f"sender {r['sender_us_per_pkt']} us/packet")
    finally:
        lab.stop_all()
    with open(a.out, "a") as f:
        f.write(json.dumps({"router": "none", "traffic": "veth-ceiling", "flows": a.flows, "payload_bytes": a.size,
                            "duration_s": a.duration, "runs": res}) + "\n")


# --- report -----------------------------------------------------------------------------------------
def report(files, label):
    entries = []
    for fn in files:
        with open(fn) as f:
            entries += [json.loads(l) for l in f if l.strip()]
    ceil = [e for e in entries if e["traffic"] == "veth-ceiling"]
    runs = {}   # traffic -> router -> [entries, one per round]
    for e in entries:
        if e["traffic"] != "veth-ceiling":
            runs.setdefault(e["traffic"], {}).setdefault(e["router"], []).append(e)

    def pps(e, key):
        return (e.get(key) or {}).get("received_pps") if e else None

    def best(es, key):   # the round with the highest figure: the least disturbed by other load
        return max(es, key=lambda e: pps(e, key) or 0)

    lines = []
    for traffic, routers in runs.items():
        first = next(iter(routers.values()))[0]
        out = {"scenario": f"linux-compare-{traffic}", "traffic": traffic, "label": label,
               "flows": first["flows"], "payload_bytes": first["payload_bytes"], "duration_s": first["duration_s"],
               "rounds": max(len(es) for es in routers.values())}
        for r, es in routers.items():
            key = r.replace("-", "_")
            bm, bl = best(es, "max"), best(es, "lossless")
            out[f"{key}_max_pps"] = pps(bm, "max")
            out[f"{key}_max_offered_pps"] = (bm.get("max") or {}).get("offered_pps")
            out[f"{key}_max_loss_pct"] = (bm.get("max") or {}).get("loss_pct")
            out[f"{key}_lossless_pps"] = pps(bl, "lossless")
            out[f"{key}_max_pps_rounds"] = [pps(e, "max") for e in es]
            out[f"{key}_lossless_pps_rounds"] = [pps(e, "lossless") for e in es]
            out[f"{key}_translated_ok"] = all(e["translated_ok"] for e in es)
        # CPU per packet on the router's core (core 1), from the max-rate run with the most packets: the
        # worker thread's own time (its syscalls' softirq work, the af_packet TX path into the far side,
        # runs in its context and counts there), and for linux-rps the softirq time on core 1 (RPS).
        # Robust to other load on the machine, unlike pps.
        def core1_cost(r, es):
            m = best(es, "max").get("max") or {}
            return m.get("worker_us_per_pkt") if r.startswith("hairpin") else m.get("cpu1_softirq_us_per_pkt")
        for r, es in routers.items():
            if r.startswith("hairpin") or r == "linux-rps":
                out[f"{r.replace('-', '_')}_core1_us_per_pkt"] = core1_cost(r, es)
        if "hairpin" in routers and "linux-rps" in routers:
            h, l = core1_cost("hairpin", routers["hairpin"]), core1_cost("linux-rps", routers["linux-rps"])
            out["ratio_core1_cost_linux_rps_over_hairpin"] = round(l / h, 2) if h and l else None
        hp = routers.get("hairpin")
        for kind in ("max", "lossless"):
            lx = max(((pps(best(es, kind), kind) or 0, r) for r, es in routers.items() if r.startswith("linux")),
                     default=(0, None))
            h = pps(best(hp, kind), kind) if hp else None
            out[f"linux_best_{kind}_pps"] = lx[0] or None
            out[f"linux_best_{kind}_router"] = lx[1]
            out[f"ratio_{kind}"] = round(h / lx[0], 2) if h and lx[0] else None
            for r, es in routers.items():   # variants (hairpin-krx-drop, hairpin-xdp): their own ratio
                if r.startswith("hairpin-"):
                    v = pps(best(es, kind), kind)
                    out[f"{r.replace('-', '_')}_ratio_{kind}"] = round(v / lx[0], 2) if v and lx[0] else None
        if ceil:   # with the generator and sink the runs used
            g = [r["received_pps"] for e in ceil for r in e["runs"]
                 if (r["generator"], r["sink"]) == ((first.get("max") or {}).get("generator"), (first.get("max") or {}).get("sink"))]
            out["generator_ceiling_pps"] = max(g) if g else None
        m = first.get("max") or {}
        out["generator"], out["sink"] = m.get("generator"), m.get("sink")
        lines.append(out)
    for o in lines:
        print(json.dumps(o))
    # the readable table: one row per router and round
    t = sys.stderr
    print("", file=t)
    for e in ceil:
        for r in e["runs"]:
            print(f"ceiling, bare veth pair, core 0, generator {r['generator']}, sink {r['sink']}: "
                  f"{r['received_pps']:,} pps received of {r['offered_pps']:,} offered "
                  f"(sender {r['sender_us_per_pkt']} us/packet)", file=t)
    print(f"{'traffic':<11} {'router':<10} {'rnd':>3} {'max offered':>12} {'max recv':>10} {'loss %':>7} "
          f"{'<=0.1% loss':>12} {'cpu0 %':>7} {'cpu1 %':>7} {'load':>5}  sink saw", file=t)
    for traffic, routers in runs.items():
        for r, es in routers.items():
            for e in es:
                mx = e.get("max") or {}
                ll = e.get("lossless") or {}
                print(f"{traffic:<11} {r:<10} {e.get('round', 1):>3} {mx.get('offered_pps', 0):>12,} "
                      f"{mx.get('received_pps', 0):>10,} {mx.get('loss_pct', 100):>7} {ll.get('received_pps', 0):>12,} "
                      f"{mx.get('cpu0_busy_pct', 0):>7} {mx.get('cpu1_busy_pct', 0):>7} {mx.get('loadavg', 0):>5.1f}  "
                      f"{','.join(e['warmup']['sink_sources'])}" + ("" if e["translated_ok"] else "  NOT TRANSLATED"),
                      file=t)
    print(f"\nCPU per packet at the max rate (us): {'sender':>7} {'core0 si':>9} {'core1 si':>9} {'worker':>7} "
          f"{'worker %':>8} {'worker sys %':>12}", file=t)
    for traffic, routers in runs.items():
        for r, es in routers.items():
            for e in es:
                m = e.get("max") or {}
                f = lambda k: "-" if m.get(k) is None else m.get(k)
                print(f"  {traffic:<11} {r:<10} rnd {e.get('round', 1):<3}       {f('sender_us_per_pkt'):>7} "
                      f"{f('cpu0_softirq_us_per_pkt'):>9} {f('cpu1_softirq_us_per_pkt'):>9} {f('worker_us_per_pkt'):>7} "
                      f"{f('worker_cpu_pct'):>8} {f('worker_sys_pct_of_its_time'):>12}", file=t)
    for o in lines:
        print(f"{o['traffic']}: Hairpin/Linux = {o['ratio_max']} at max rate (vs {o['linux_best_max_router']}), "
              f"{o['ratio_lossless']} at <= 0.1 % loss (vs {o['linux_best_lossless_router']}); best of "
              f"{o['rounds']} round(s)", file=t)
        for k in o:
            if k.startswith("hairpin_") and k.endswith("_ratio_max"):
                v = k[:-len("_ratio_max")]
                print(f"{o['traffic']}: {v.replace('_', '-')}/Linux = {o[k]} at max rate, "
                      f"{o.get(v + '_ratio_lossless')} at <= 0.1 % loss", file=t)


def main():
    # SIGTERM (from the script's trap) unwinds like Ctrl-C, so `finally` stops the sink and the sender
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("measure", "ceiling"):
        s = sub.add_parser(name)
        s.add_argument("--blast", required=True)
        s.add_argument("--duration", type=float, default=2.0)
        s.add_argument("--flows", type=int, default=1024)
        s.add_argument("--size", type=int, default=64)
        s.add_argument("--sport", type=int, default=20000)
        s.add_argument("--out", required=True)
        s.add_argument("--nice", type=int, default=0)
        s.add_argument("--gen", choices=["af_packet", "socket"], default="af_packet")
        s.add_argument("--sink", choices=["nft", "socket"], default="nft")
    m = sub.choices["measure"]
    m.add_argument("--router", required=True)
    m.add_argument("--prefix", required=True)
    m.add_argument("--traffic", default="outbound,one-to-one")
    m.add_argument("--search", type=int, default=4)
    m.add_argument("--warm-rate", type=float, default=20000)
    m.add_argument("--home", default=".")
    m.add_argument("--socket", default="")
    m.add_argument("--state", default="")
    m.add_argument("--round", type=int, default=1)
    c = sub.choices["ceiling"]
    c.add_argument("--ns-a", required=True)
    c.add_argument("--ns-b", required=True)
    r = sub.add_parser("report")
    r.add_argument("--label", default="")
    r.add_argument("files", nargs="+")
    a = ap.parse_args()
    global NICE
    NICE = getattr(a, "nice", 0)
    if a.cmd == "measure":
        if a.router.startswith("hairpin") and NICE:
            set_autogroup_nice(appliance_pid(a.state))   # lab.sh started it in its own session
            for tid in worker_threads(appliance_pid(a.state)):
                os.setpriority(os.PRIO_PROCESS, int(tid), NICE)
                log(f"worker thread {tid} and its session's autogroup: nice {NICE}")
        measure(a)
    elif a.cmd == "ceiling":
        ceiling(a)
    else:
        report(a.files, a.label)


if __name__ == "__main__":
    main()
