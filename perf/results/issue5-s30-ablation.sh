#!/bin/bash
# The session-30 ablation runs of perf/RESULTS.md ("Where the established path's cycles go").
# Apply perf/results/issue5-s30-ablation.patch and build (BENCH_BUILD_ONLY=1 perf/bench.sh) first.
#   perf/results/issue5-s30-ablation.sh OUT ROUNDS SCENARIO CONFIG...
# CONFIG: base, or a comma list of the patch's switches (v, vl, r, t, mv, mr, rk), each passed
# as -Dabl.X=true. Appends one JSON line a run to OUT (relative to the repository's top).
out=$1; rounds=$2; scen=$3; shift 3
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 PATH=/usr/lib/jvm/temurin-25-jdk-amd64/bin:$PATH
cd "$(git rev-parse --show-toplevel)"
for r in $(seq $rounds); do
  for cfg in "$@"; do
    opts=""
    for f in ${cfg//,/ }; do [ "$f" != base ] && opts="$opts -Dabl.$f=true"; done
    line=$(BENCH_NO_BUILD=1 BENCH_JVM_OPTS="$opts" perf/bench.sh $scen --duration 4 --warmup 2 --no-cref 2>/dev/null | tail -1)
    echo "$line" | python3 -c "import json,sys; j=json.loads(sys.stdin.read()); j['abl']='$cfg'; j['round']=$r; print(json.dumps(j))" >> $out
    echo "$r $cfg $(echo "$line" | python3 -c "import json,sys; j=json.loads(sys.stdin.read()); print(j['forwarded_mpps'], j['engine_cycles_per_pkt'])")"
  done
done
