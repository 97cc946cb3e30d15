#!/bin/bash
# Session 36's alternating runs of one build, a switch off and on (perf/RESULTS.md "The rest of a
# big table's misses tried"): `env VAR` sets VAR=1 (the slot-line switch of
# perf/results/issue5-s36-slot-line.patch), `opts "JVM_OPTIONS"` passes them as BENCH_JVM_OPTS (the
# forced inlining of Worker.established). TREE: a built work tree (BENCH_BUILD_ONLY=1
# perf/bench.sh), with the patch applied for `env`. Appends one JSON line a run to OUT (a path
# from TREE, or absolute), with cfg
# (base or on) and round; the order of the two alternates from round to round.
#   bash perf/results/issue5-s36-alternate.sh TREE OUT ROUNDS env|opts ARG "SCENARIOS"
tree=$1; out=$2; rounds=$3; kind=$4; arg=$5; scen=$6
export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 PATH=/usr/lib/jvm/temurin-25-jdk-amd64/bin:$PATH
cd "$tree"
for r in $(seq "$rounds"); do
  if [ $((r % 2)) = 1 ]; then order="base on"; else order="on base"; fi
  for cfg in $order; do
    opts=""
    if [ "$kind" = env ]; then unset "$arg"; fi
    if [ "$cfg" = on ]; then
      if [ "$kind" = env ]; then export "$arg"=1; else opts="$arg"; fi
    fi
    # shellcheck disable=SC2086
    BENCH_NO_BUILD=1 BENCH_JVM_OPTS="$opts" perf/bench.sh $scen --duration 4 --warmup 2 2>/dev/null | while read -r line; do
      echo "$line" | python3 -c "import json,sys; j=json.loads(sys.stdin.read()); j['cfg']='$cfg'; j['round']=$r; print(json.dumps(j))" >> "$out"
    done
  done
done
