#!/usr/bin/env bash
# Scratch driver (session 42; session 41's issue5-s41-rotate-1m.sh with the table size from
# BENCH_SCEN_SESSIONS, default 1000000): runs perf/bench.sh napt-established:${BENCH_SCEN_SESSIONS:-1000000} (no in-cache switches, no C
# reference) for each variant in turn, ROUNDS times (order reversed every other round), and appends each
# JSON line with a "tag" field to OUT. A variant is TAG=ENGINE_JAR.
set -euo pipefail
out=$1; shift; rounds=$1; shift
cd /work/main
variants=("$@")
for ((r = 1; r <= rounds; r++)); do
    order=("${variants[@]}")
    if (( r % 2 == 0 )); then order=(); for ((k = ${#variants[@]} - 1; k >= 0; k--)); do order+=("${variants[k]}"); done; fi
    for v in "${order[@]}"; do
        tag=${v%%=*}; jar=${v#*=}
        BENCH_NO_BUILD=1 BENCH_ENGINE_JAR=$jar perf/bench.sh napt-established:${BENCH_SCEN_SESSIONS:-1000000} --duration 4 --warmup 2 --no-cref 2>/dev/null |
            python3 -c "
import json,sys
for l in sys.stdin:
    d=json.loads(l); d['tag']='$tag'; d['round']=$r
    print(json.dumps(d)); print('$tag', $r, d['forwarded_mpps'], d['engine_cycles_per_pkt'], d['lost'], d['mistranslated'], file=sys.stderr)
" >> "$out"
    done
done
