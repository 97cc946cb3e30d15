#!/usr/bin/env bash
# Runs every scenario ROUNDS times (default 3) through perf/bench.sh, one JVM per run, the rounds
# interleaved (round 1 of every scenario, then round 2, ...) so that a noisy minute on this shared
# machine does not hit all runs of one scenario. Each JSON line gets the exact command, the round
# and the load average at its start, and is appended to OUT; the summary (perf/summarize.py:
# median and spread per scenario) is printed at the end.
#
#   perf/matrix.sh [OUT]          OUT defaults to perf/target/matrix-<UTC time>.jsonl
#
# ROUNDS, and MATRIX (the runs, one per line: "[ENV=VALUE ...] bench.sh arguments") override the
# defaults below. Builds once (perf/bench.sh without BENCH_NO_BUILD), then runs with BENCH_NO_BUILD=1.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
out="${1:-$here/target/matrix-$(date -u +%Y%m%dT%H%M%SZ).jsonl}"
rounds="${ROUNDS:-3}"
default_matrix='mirror-only forward
binat:1
binat:10000
pfwd
napt-established:1000
napt-established:100000
napt-established:1000000
BENCH_HEAP=4g napt-established:10000000
napt-cps:udp
napt-cps:tcp
hairpin:napt
hairpin:binat
imix
rule-swap
rule-swap:napt'
matrix="${MATRIX:-$default_matrix}"

# Other engineers' DPDK tests pin busy-polling threads to one CPU for minutes; a run pinned to
# the same CPU gets a fraction of it (a starved 10M run got 1 % of CPU 0). So each run takes the
# CPU with fewer runnable threads pinned to it alone (--lcore), unless the arguments name one.
pick_lcore() {
    local cpus
    cpus="$(nproc)"
    awk -v n="$cpus" '
        /^State:/ { st = $2 }
        /^Cpus_allowed_list:/ { if (st == "R" && $2 ~ /^[0-9]+$/) busy[$2]++ }
        END { best = 0; for (c = 1; c < n; c++) if (busy[c] + 0 < busy[best] + 0) best = c; print best }
    ' /proc/[0-9]*/task/[0-9]*/status 2>/dev/null
}

cd "$root"
mkdir -p "$(dirname "$out")"
BENCH_BUILD_ONLY=1 perf/bench.sh
log="${out%.jsonl}.log"
for r in $(seq 1 "$rounds"); do
    while IFS= read -r line; do
        [[ -z "$line" ]] && continue
        envs=()
        args=()
        for w in $line; do
            if [[ "$w" == *=* && ${#args[@]} -eq 0 ]]; then envs+=("$w"); else args+=("$w"); fi
        done
        if [[ " ${args[*]} " != *" --lcore "* ]]; then
            args+=(--lcore "$(pick_lcore)")
        fi
        cmd="${envs[*]:+${envs[*]} }BENCH_NO_BUILD=1 perf/bench.sh ${args[*]}"
        load="$(cut -d' ' -f1-3 /proc/loadavg)"
        echo "matrix.sh: round $r: $cmd (load $load)" | tee -a "$log" >&2
        start="$(date -u +%H:%M:%S)"
        if ! env "${envs[@]}" BENCH_NO_BUILD=1 perf/bench.sh "${args[@]}" 2>>"$log" \
                | jq -c --arg cmd "$cmd" --arg load "$load" --arg start "$start" --argjson round "$r" \
                    '. + {command: $cmd, round: $round, loadavg_at_start: $load, started_utc: $start}' >> "$out"; then
            echo "matrix.sh: FAILED: $cmd (see $log)" >&2
        fi
    done <<< "$matrix"
done
echo "matrix.sh: results in $out" >&2
python3 "$here/summarize.py" "$out"
