#!/usr/bin/env python3
"""Summarises perf/matrix.sh output (JSON lines): per scenario, the median of the runs and their
spread (min-max), as a Markdown table, plus the per-run details. Usage: summarize.py FILE.jsonl"""
import json
import statistics
import sys
from collections import OrderedDict


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(x, digits=0):
    if x is None:
        return "-"
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def cell(runs, key, digits=0):
    xs = [r.get(key) for r in runs]
    m = med(xs)
    if m is None:
        return "-"
    vals = [x for x in xs if x is not None]
    if len(vals) == 1:
        return fmt(m, digits)
    return f"**{fmt(m, digits)}** ({fmt(min(vals), digits)}–{fmt(max(vals), digits)})"


def main(path):
    groups = OrderedDict()
    for line in open(path):
        line = line.strip()
        if not line:
            continue
        j = json.loads(line)
        name = j["scenario"] + (":" + j["variant"] if j.get("variant") else "")
        if "UseTransparentHugePages" in j.get("jvm_args", ""):
            name += " (THP heap)"
        groups.setdefault(name, []).append(j)
    print("| scenario | runs | Mpps | cycles/pkt | on-CPU cycles/pkt | harness on-CPU | engine on-CPU "
          "| CPU share | new sessions/s | bytes/pkt | GCs | sessions | drops | wrong | bytes/session |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, runs in groups.items():
        drops = sum(r.get("drops", 0) for r in runs)
        wrong = sum(r.get("mistranslated", 0) or 0 for r in runs)
        bpp = max(r.get("bytes_per_packet") or 0 for r in runs)
        gcs = sum(r.get("gc_count", 0) for r in runs)
        shares = ", ".join(fmt(r.get("cpu_share"), 2) for r in runs)
        print(f"| {name} | {len(runs)} | {cell(runs, 'forwarded_mpps', 2)} | {cell(runs, 'cycles_per_pkt')} "
              f"| {cell(runs, 'cycles_per_pkt_on_cpu')} | {cell(runs, 'mirror_cycles_per_pkt_on_cpu')} "
              f"| {cell(runs, 'engine_cycles_per_pkt_on_cpu')} | {shares} | {cell(runs, 'new_sessions_per_s')} "
              f"| {bpp:.4f} | {gcs} | {cell(runs, 'sessions')} | {drops} | {wrong} | {fmt(med([r.get('bytes_per_session') for r in runs]), 1)} |")
    print()
    print("| scenario | round | started (UTC) | load at start | Mpps | cycles/pkt | on-CPU | engine on-CPU | CPU share "
          "| drop detail (window) | drops before window | command |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, runs in groups.items():
        for r in runs:
            print(f"| {name} | {r.get('round')} | {r.get('started_utc', '')} | {r.get('loadavg_at_start', '')} "
                  f"| {fmt(r.get('forwarded_mpps'), 2)} | {fmt(r.get('cycles_per_pkt'))} "
                  f"| {fmt(r.get('cycles_per_pkt_on_cpu'))} | {fmt(r.get('engine_cycles_per_pkt_on_cpu'))} "
                  f"| {fmt(r.get('cpu_share'), 2)} | {r.get('drop_detail') or ''} | {r.get('drops_before_window', '')} "
                  f"| `{r.get('command', '')}` |")


if __name__ == "__main__":
    main(sys.argv[1])
