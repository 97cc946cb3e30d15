#!/usr/bin/env bash
# How often, and for how long, this machine stops a core that only spins
# (perf/src/main/c/stopprobe.c): one JSON line per CPU and round, with the stops by length and
# late_share, the share of instants from which the core stays stopped THRESHOLD µs or more. Above
# 0.001, no program on that core can hold a p99.9 latency of THRESHOLD µs (stopprobe.c says why).
#
#   perf/stopprobe.sh [--seconds S] [--rounds R] [--threshold US] [CPU...]   (default: 10 s, 1 round, 20 µs, CPUs 0 and 1)
#
# The CPUs of a round are probed one after another, never at once. Builds stopprobe with the perf
# module's make when it is missing or older than its source.
set -euo pipefail

# shellcheck source=usage.sh
. "$(dirname "$0")/usage.sh"

here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/target/c-obj/stopprobe"
seconds=10
rounds=1
threshold=20
cpus=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --threshold) threshold="$2"; shift 2 ;;
        *) cpus+=("$1"); shift ;;
    esac
done
[[ ${#cpus[@]} -gt 0 ]] || cpus=(0 1)

make -s -C "$here/src/main/c" OBJ="$here/target/c-obj" "$bin" >&2

for ((r = 1; r <= rounds; r++)); do
    for cpu in "${cpus[@]}"; do
        "$bin" "$seconds" "$cpu" "$threshold"
    done
done
