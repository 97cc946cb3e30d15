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
BENCH_JVM_OPTS=-XX:+UseTransparentHugePages napt-established:1000000
BENCH_JVM_OPTS=-XX:+UseTransparentHugePages napt-cps:udp'
matrix="${MATRIX:-$default_matrix}"

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
