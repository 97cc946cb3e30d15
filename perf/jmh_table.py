#!/usr/bin/env python3
"""
Prints JMH JSON results (perf/jmh.sh ... -rf json -rff FILE) as a Markdown table: benchmark,
parameters, ns/op (score, the error JMH gives at 99.9 %, and the min-max of the iterations),
the on-CPU ns/op and CPU share when -prof io.hairpin.perf.jmh.CpuTimeProfiler ran, and
gc.alloc.rate.norm in B/op when -prof gc ran. Several files: their columns side by side.

    python3 perf/jmh_table.py run1.json [run2.json ...]
"""

import json
import sys


def key(r):
    params = ", ".join("%s=%s" % kv for kv in sorted((r.get("params") or {}).items()))
    return r["benchmark"].replace("io.hairpin.perf.jmh.", ""), params


def load(path):
    with open(path) as f:
        return {key(r): r for r in json.load(f)}


def ns(r):
    m = r["primaryMetric"]
    raw = [x for fork in m.get("rawData", []) for x in fork]
    spread = " (%.1f–%.1f)" % (min(raw), max(raw)) if raw else ""
    return "%.1f ± %.1f%s" % (m["score"], m["scoreError"], spread) if m["scoreError"] == m["scoreError"] \
        else "%.1f%s" % (m["score"], spread)


def secondary(r, name, fmt):
    s = (r.get("secondaryMetrics") or {}).get(name)
    return "-" if s is None else fmt % s["score"]


COLUMNS = [("ns/op", ns),
           ("on-CPU ns/op", lambda r: secondary(r, "cpu.ns/op", "%.1f")),
           ("CPU share", lambda r: secondary(r, "cpu.share", "%.2f")),
           ("B/op", lambda r: secondary(r, "gc.alloc.rate.norm", "%.3f"))]


def main(paths):
    runs = [load(p) for p in paths]
    keys = sorted(set().union(*runs))
    suffix = (lambda i: "") if len(runs) == 1 else (lambda i: " (run %d)" % (i + 1))
    head = ["benchmark", "parameters"] + [title + suffix(i) for i in range(len(runs)) for title, _ in COLUMNS]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for k in keys:
        cells = [k[0], k[1] or "-"]
        cells += [cell(run[k]) if k in run else "-" for run in runs for _, cell in COLUMNS]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
