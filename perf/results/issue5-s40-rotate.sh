#!/usr/bin/env bash
# Scratch driver (session 40; sessions 41 and 42 ran it at other sizes): runs perf/bench.sh
# napt-established:1000 with the in-cache switches for each variant in turn, ROUNDS times (order
# reversed every other round), and appends each JSON line with a "tag" field to OUT. A variant is
# TAG=JAR or TAG=JAR|EXTRA_JVM_OPTS. ROTATE_SCENARIO names another scenario (session 41's and 42's
# napt-established:1000000, 100000 and 10000000), and ROTATE_IN_CACHE=0 leaves the switches' two
# properties out (those runs, with engine jars that have no switches).
set -euo pipefail
out=$1; shift; rounds=$1; shift
cd /work/main
scenario=${ROTATE_SCENARIO:-napt-established:1000}
switches="-Dscratch.aside=true -Dscratch.min=0"
[[ ${ROTATE_IN_CACHE:-1} == 1 ]] || switches=""
variants=("$@")
for ((r = 1; r <= rounds; r++)); do
    order=("${variants[@]}")
    if (( r % 2 == 0 )); then
        order=(); for ((k = ${#variants[@]} - 1; k >= 0; k--)); do order+=("${variants[k]}"); done
    fi
    for v in "${order[@]}"; do
        tag=${v%%=*}; rest=${v#*=}; jar=${rest%%|*}; extra=""
        [[ $rest == *"|"* ]] && extra=${rest#*|}
        BENCH_NO_BUILD=1 BENCH_ENGINE_JAR=$jar BENCH_JVM_OPTS="$switches $extra" \
            perf/bench.sh "$scenario" --duration 4 --warmup 2 --no-cref 2>/dev/null |
            python3 -c "
import json,sys
for l in sys.stdin:
    d=json.loads(l); d['tag']='$tag'; d['round']=$r
    print(json.dumps(d)); print('$tag', $r, d['forwarded_mpps'], d['engine_cycles_per_pkt'], d['lost'], d['mistranslated'], file=sys.stderr)
" >> "$out"
    done
done
