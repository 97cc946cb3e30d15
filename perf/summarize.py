#!/usr/bin/env python3
"""Summarises perf/matrix.sh output (JSON lines): per scenario, the median of the runs and their
spread (min-max), as a Markdown table, plus the per-run details. Usage: summarize.py FILE.jsonl

Generator-mode lines (perf/bench.sh --mode generator, one per scenario and round; several files
may be given): per scenario, the engine's zero-loss rate over C's in each round, their median, the
best of all rounds for each loop, how many figures the generator set (generator_limited), in how
many rounds each loop's p99.9 at half its zero-loss rate was within 20 us, how many rounds had
the two loops' trials taking turns (trials_interleaved), the median ratio over the rounds where
neither loop was generator-limited, how many rounds were within 0.8-1.2 x C, the generator's
ceilings, each loop's range of zero-loss rates and of p99.9 at half of it, and the most trials a
search took. Usage:
summarize.py --generator FILE.jsonl [FILE.jsonl ...]"""
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


def grouped(paths, keep=lambda j: True):
    """The JSON lines of the files that keep accepts, per scenario[:variant], in order of appearance."""
    groups = OrderedDict()
    for path in paths:
        for line in open(path):
            line = line.strip()
            if not line:
                continue
            j = json.loads(line)
            if keep(j):
                name = j["scenario"] + (":" + j["variant"] if j.get("variant") else "")
                groups.setdefault(name, []).append(j)
    return groups


def main(path):
    groups = grouped([path])
    print("| scenario | runs | Mpps | on-CPU cycles/pkt | engine beyond harness | C Mpps | C on-CPU cycles/pkt "
          "| C beyond harness | engine / C (Mpps) | engine / C (best 0.5 s) | new sessions/s (engine / C) | B/pkt "
          "| GCs | wrong (engine / C) | CPU share | bytes/session |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, runs in groups.items():
        wrong = sum(r.get("mistranslated", 0) or 0 for r in runs)
        c_wrong = [r.get("c_reference_mistranslated") for r in runs if r.get("c_reference_mistranslated") is not None]
        bpp = max(r.get("bytes_per_packet") or 0 for r in runs)
        gcs = sum(r.get("gc_count", 0) for r in runs)
        shares = ", ".join(fmt(r.get("cpu_share"), 2) for r in runs)
        cps = cell(runs, "new_sessions_per_s")
        if cps != "-":  # napt-cps: every packet opens a session, in C as well
            for r in runs:
                if r.get("c_reference_mpps") is not None:
                    r["c_new_sessions_per_s"] = round(r["c_reference_mpps"] * 1e6)
            cps += " / " + cell(runs, "c_new_sessions_per_s")
        print(f"| {name} | {len(runs)} | {cell(runs, 'forwarded_mpps', 2)} | {cell(runs, 'cycles_per_pkt_on_cpu')} "
              f"| {cell(runs, 'engine_cycles_per_pkt_on_cpu')} | {cell(runs, 'c_reference_mpps', 2)} "
              f"| {cell(runs, 'c_reference_cycles_per_pkt_on_cpu')} "
              f"| {cell(runs, 'c_reference_engine_cycles_per_pkt_on_cpu')} | {cell(runs, 'ratio_to_c', 2)} "
              f"| {cell(runs, 'ratio_to_c_best_slice', 2)} | {cps} | {bpp:.4f} | {gcs} "
              f"| {wrong} / {sum(c_wrong) if c_wrong else '-'} | {shares} "
              f"| {fmt(med([r.get('bytes_per_session') for r in runs]), 1)} |")
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


P999_TARGET_US = 20


def span(runs, key, digits):
    vals = [r[key] for r in runs if r.get(key) is not None]
    return f"{min(vals):.{digits}f}–{max(vals):.{digits}f}" if vals else "-"


def generator(paths):
    groups = grouped(paths, lambda j: j.get("mode") == "generator")
    print("| scenario | rounds | engine / C per round | median | best engine / best C (Mpps) | generator-limited "
          "(engine / C) | p99.9 at 50 % within 20 us (engine / C) | rounds in turns | median where neither was "
          "generator-limited (rounds) | rounds within 0.8-1.2 | ceiling, Mpps | Mpps (engine / C) "
          "| p99.9 at 50 %, us (engine / C) | most trials a search (engine / C) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, runs in groups.items():
        ratios = [r["forwarded_mpps"] / r["c_reference_mpps"] for r in runs if r.get("c_reference_mpps")]
        best = max(r["forwarded_mpps"] for r in runs)
        best_c = max(r.get("c_reference_mpps") or 0 for r in runs)
        limited = sum(1 for r in runs if r.get("generator_limited"))
        limited_c = sum(1 for r in runs if r.get("c_reference_generator_limited"))
        tail = sum(1 for r in runs if r.get("latency_p999_us") is not None and r["latency_p999_us"] <= P999_TARGET_US)
        tail_c = sum(1 for r in runs if r.get("c_reference_latency_p999_us") is not None
                     and r["c_reference_latency_p999_us"] <= P999_TARGET_US)
        turns = sum(1 for r in runs if r.get("trials_interleaved"))
        loops_set = [r["forwarded_mpps"] / r["c_reference_mpps"] for r in runs if r.get("c_reference_mpps")
                     and not r.get("generator_limited") and not r.get("c_reference_generator_limited")]
        most = max(r["trial_count"] for r in runs)
        most_c = max((r.get("c_reference_trial_count") or 0) for r in runs)
        print(f"| {name} | {len(runs)} | {' / '.join(f'{x:.2f}' for x in ratios)} "
              f"| {fmt(med(ratios), 2)} | {best:.2f} / {best_c:.2f} = {best / best_c if best_c else 0:.2f} "
              f"| {limited} / {limited_c} | {tail} / {tail_c} | {turns} "
              f"| {fmt(med(loops_set), 2)} ({len(loops_set)}) | {sum(1 for x in ratios if 0.8 <= x <= 1.2)} "
              f"| {span(runs, 'generator_ceiling_mpps', 1)} "
              f"| {span(runs, 'forwarded_mpps', 2)} / {span(runs, 'c_reference_mpps', 2)} "
              f"| {span(runs, 'latency_p999_us', 1)} / {span(runs, 'c_reference_latency_p999_us', 1)} "
              f"| {most} / {most_c} |")


if __name__ == "__main__":
    if sys.argv[1] == "--generator":
        generator(sys.argv[2:])
    else:
        main(sys.argv[1])
