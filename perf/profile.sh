#!/usr/bin/env bash
# Profiles one capacity-mode scenario's engine phase with Linux perf and prints where the time
# goes: the hottest methods, the hottest instructions, and the engine's samples per sample of the
# harness (Mirror.*). On a shared VM the rate of two runs can differ by a fifth, but that ratio
# stays put (the mirror's work per packet is the same whatever the engine does), so an A/B of two
# engine builds compares it. Needs root (or perf_event_paranoid ≤ 1) and the perf tool
# (Debian: linux-perf).
#
#   perf/profile.sh SCENARIO [SECONDS] [perf/bench.sh arguments...]
#
# Runs perf/bench.sh SCENARIO --no-cref --no-harness with a window long enough to sample SECONDS
# (default 5) after the warm-up, with the JIT's symbol map (jcmd Compiler.perfmap), and leaves
# perf.data in perf/target/profile.data and the per-method report in perf/target/profile.txt.
# BENCH_NO_BUILD=1 reuses the last build, as for bench.sh. PROFILE_ASM=METHOD also has the JVM
# print the engine's compiled code (perf/target/profile-jvm.log) and lists METHOD's (a substring
# of its name, e.g. Worker::established) hottest instructions, disassembled (perf/annotate.py).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=../deploy/env.sh
. "$root/deploy/env.sh"

say() { echo "profile.sh: $*" >&2; }

[[ $# -ge 1 ]] || { say "usage: perf/profile.sh SCENARIO [SECONDS] [bench.sh arguments...]"; exit 2; }
scenario="$1"
shift
seconds=5
if [[ $# -ge 1 && "$1" =~ ^[0-9]+$ ]]; then
    seconds="$1"
    shift
fi
command -v perf >/dev/null || { say "the perf tool is missing (apt-get install linux-perf)"; exit 1; }
jcmd="$HAIRPIN_JDK/bin/jcmd"
warmup=3
data="$here/target/profile.data"
mkdir -p "$here/target"
jvm_log="$here/target/profile-jvm.log"
if [[ -n "${PROFILE_ASM:-}" ]]; then
    command -v objdump >/dev/null || { say "PROFILE_ASM needs objdump (apt-get install binutils)"; exit 1; }
    rm -f "$jvm_log"
    asm="-XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=print,io.hairpin.engine.*::*"
    export BENCH_JVM_OPTS="${BENCH_JVM_OPTS:-} $asm -XX:+LogVMOutput -XX:LogFile=$jvm_log -XX:-DisplayVMOutput -Xlog:disable -Xlog:all=warning:stderr"
fi

"$here/bench.sh" "$scenario" --no-cref --no-harness --warmup "$warmup" --duration $((seconds + 4)) "$@" \
    > "$here/target/profile.json" 2> "$here/target/profile.log" &
bench=$!
# the JVM is bench.sh's child: wait until it has started and warmed up
pid=""
for _ in $(seq 1 600); do
    pid="$(pgrep -P "$bench" -f io.hairpin.perf.Bench || true)"
    [[ -n "$pid" ]] && grep -q "$scenario: engine" "$here/target/profile.log" 2>/dev/null && break
    sleep 0.1
done
[[ -n "$pid" ]] || { say "the benchmark did not start (see $here/target/profile.log)"; kill "$bench" 2>/dev/null; exit 1; }
sleep $((warmup + 1))
"$jcmd" "$pid" Compiler.perfmap > /dev/null
perf record -q -F 4999 -p "$pid" -o "$data" -- sleep "$seconds" 2> /dev/null
wait "$bench" || { say "the benchmark failed (see $here/target/profile.log)"; exit 1; }

set +o pipefail # head closes the pipes early

report="$here/target/profile.txt"
perf report -i "$data" --no-children --sort sym 2> /dev/null | grep -v '^#' | grep -v '^$' > "$report"
head -15 "$report"
echo
perf script -i "$data" -F ip,sym 2> /dev/null \
    | awk '{n[$1 " " $2 " " $3]++; t++} END {for (k in n) printf "%5.1f%% %s\n", 100 * n[k] / t, k}' \
    | sort -rn | head -10
echo
awk '/io\.hairpin\.engine/ {e += $1} /io\.hairpin\.perf\.Mirror/ {m += $1}
     END {if (m > 0) printf "engine %.1f %% of samples, harness (Mirror) %.1f %%: %.2f engine samples per harness sample\n", e, m, e / m}' \
    "$report"
if [[ -n "${PROFILE_ASM:-}" ]]; then
    echo
    python3 "$here/annotate.py" "$jvm_log" "$data" "$PROFILE_ASM" 40 | sed -n '/samples, the/,$p'
fi
rm -f "/tmp/perf-$pid.map" # the JIT's symbol map, only for perf report
jq -r '"\(.scenario)\(if .variant then ":" + .variant else "" end): \(.forwarded_mpps) Mpps, \(.cycles_per_pkt_on_cpu) on-CPU cycles/packet over the whole window"' \
    "$here/target/profile.json"
