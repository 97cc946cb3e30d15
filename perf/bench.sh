#!/usr/bin/env bash
# Runs the benchmark (io.hairpin.perf.Bench) on JDK 25, capacity mode unless --mode generator.
#
#   perf/bench.sh [SCENARIO[:VARIANT]...] [--duration S] [--warmup S] [--packets N] [--pkt-size B] [--lcore N]
#                 [--no-huge] [--no-harness] [--max-sessions N] [--no-cref] [--mode capacity|generator]
#                 [--trials N] [--gen-cpu N]
#
# Scenarios: mirror-only, forward, binat[:RULES], pfwd, napt-established[:SESSIONS[:REMOTES]], napt-cps[:udp|tcp|udp-apdf|tcp-apdf],
# hairpin[:napt|binat], imix, rule-swap[:napt[:SESSIONS]], or nat for all NAT ones (see perf/RESULTS.md and Bench.java).
# Also `hairpin bench ...` (the launcher hands it here).
# Every scenario the C reference covers (perf/src/main/c/hairpin_perfref.c: the same work as a plain C
# DPDK loop) also runs it right after the engine, on the same rig, frames, mirror and window; its line
# then carries c_reference_mpps, c_reference_cycles_per_pkt (..._on_cpu, c_reference_engine_... = minus
# the harness), c_reference_mistranslated and ratio_to_c (engine Mpps / C Mpps). --no-cref skips it.
#
# --mode generator (GeneratorMode.java): the DUT alone on --lcore's CPU, a generator + sink on the
# other CPU (--gen-cpu) offering the scenario's frames into the DUT's RX ring at a TSC-paced rate.
# Per scenario: the generator's ceiling through a pass-through DUT, then the zero-loss rate by
# binary search (trials of --duration, loss <= 0.001 %, a fail tried again once, 1 % resolution or
# --trials trials, default 24), then latency runs (HdrHistogram) at 10/50/90 % of it; with the C
# reference, its trials and the engine's take turns. Not for mirror-only or napt-cps. Before each
# scenario the DUT's CPU is probed for a second with nothing but clock reads (HostStops.java, as
# perf/stopprobe.sh): its line carries dut_cpu_late_share_20us, and stderr says when the host's own
# stops in that second would leave no room for a p99.9 of 20 µs.
#   perf/bench.sh forward binat:1 --mode generator --duration 1
#
# As root it reserves 512 × 2 MiB hugepages and mounts hugetlbfs at /dev/hugepages when needed,
# and puts both back as they were afterwards; DPDK runs with --huge-unlink so no hugepage file
# is left behind, and Bench removes /var/run/dpdk/hairpin-bench-<pid>. Otherwise it says why
# and runs with --no-huge. Builds native, engine and perf of this work tree with
# `mvn -pl perf -am package` (the reactor; nothing is installed) and runs those jars, unless
# BENCH_NO_BUILD=1 (then the classpath of the last build is reused). The JVM heap is BENCH_HEAP
# (default 4g, which napt-cps and napt-established:10000000 need). BENCH_ENGINE_JAR runs that engine
# jar in place of this tree's (perf/ab.sh: another revision's engine, on this tree's native and perf).
# JSON lines go to stdout, the table to stderr.
set -euo pipefail

# shellcheck source=usage.sh
. "$(dirname "$0")/usage.sh"

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
# The product's JDK and JVM flags (deploy/env.sh: JDK 25, native access, -XX:+UseParallelGC, the
# leaf helpers always inlined, and the heap on transparent huge pages where the kernel offers
# them), so the engine runs here as `hairpin run` runs it. BENCH_BASE_FLAGS replaces those flags
# (A/B runs).
# shellcheck source=../deploy/env.sh
. "$root/deploy/env.sh"
JAVA="$HAIRPIN_JAVA"
JVM_FLAGS="${BENCH_BASE_FLAGS-$HAIRPIN_JVM_FLAGS $HAIRPIN_RUN_JVM_FLAGS}"
PAGES=512

say() { echo "bench.sh: $*" >&2; }

want_huge=1
for a in "$@"; do
    [[ "$a" == "--no-huge" ]] && want_huge=0
done

cd "$root"
# shellcheck source=classpath.sh
. "$here/classpath.sh"
perf_classpath bench "${BENCH_NO_BUILD:-0}" BENCH_NO_BUILD
for jar in engine/target/hairpin-engine- native/target/hairpin-native-; do
    [[ ":$classpath:" == *":$root/$jar"* ]] || { say "classpath does not use $root/$jar*.jar: $classpath"; exit 1; }
done
[[ "${BENCH_BUILD_ONLY:-0}" == 1 ]] && exit 0
if [[ -n "${BENCH_ENGINE_JAR:-}" ]]; then
    [[ -s "$BENCH_ENGINE_JAR" ]] || { say "BENCH_ENGINE_JAR: no such jar: $BENCH_ENGINE_JAR"; exit 1; }
    swapped=""
    IFS=: read -ra entries <<< "$classpath"
    for e in "${entries[@]}"; do
        [[ "$e" == "$root/engine/target/hairpin-engine-"*.jar ]] && e="$BENCH_ENGINE_JAR"
        swapped="${swapped:+$swapped:}$e"
    done
    classpath="$swapped"
fi

# ---- hugepages ---------------------------------------------------------------------------
nr_file=/proc/sys/vm/nr_hugepages
old_nr=""
mounted_here=0
made_dir=0
huge_arg=(--no-huge)
restore() {
    local leftovers
    leftovers="$(find /dev/hugepages -maxdepth 1 -type f -name 'hairpin-bench-*' 2>/dev/null | head -3 || true)"
    [[ -z "$leftovers" ]] || say "warning: hugepage files left behind: $leftovers"
    if [[ -n "$old_nr" ]]; then
        echo "$old_nr" > "$nr_file" 2>/dev/null || say "could not put nr_hugepages back to $old_nr"
    fi
    if [[ "$mounted_here" == 1 ]]; then
        umount /dev/hugepages 2>/dev/null || say "left hugetlbfs mounted at /dev/hugepages (busy)"
    fi
    if [[ "$made_dir" == 1 ]]; then
        rmdir /dev/hugepages 2>/dev/null || true
    fi
    return 0
}
if [[ "$want_huge" == 1 ]]; then
    free_pages() { awk '/^HugePages_Free:/ {print $2}' /proc/meminfo; }
    if [[ "$(id -u)" != 0 ]]; then
        say "not root, so no hugepages can be reserved: running with --no-huge (4 KiB pages, about 5x slower)."
    else
        trap restore EXIT
        cur="$(cat "$nr_file")"
        if (( $(free_pages) < 64 )); then
            old_nr="$cur"
            echo $((cur + PAGES)) > "$nr_file" 2>/dev/null || true
        fi
        if ! awk '$3 == "hugetlbfs" {found=1} END {exit !found}' /proc/mounts; then
            if [[ ! -d /dev/hugepages ]]; then
                mkdir -p /dev/hugepages && made_dir=1
            fi
            if mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null; then
                mounted_here=1
            fi
        fi
        if ! awk '$3 == "hugetlbfs" {found=1} END {exit !found}' /proc/mounts; then
            say "hugetlbfs cannot be mounted here: running with --no-huge (4 KiB pages, about 5x slower)."
        elif (( $(free_pages) < 64 )); then
            say "the kernel gave only $(free_pages) free 2 MiB pages (memory too fragmented?): running with --no-huge."
        else
            huge_arg=(--huge)
        fi
    fi
fi

set +e
echo "bench.sh: $JAVA $JVM_FLAGS -Xms${BENCH_HEAP:-4g} -Xmx${BENCH_HEAP:-4g} -XX:+AlwaysPreTouch ${BENCH_JVM_OPTS:-}" >&2
# shellcheck disable=SC2086
"$JAVA" $JVM_FLAGS \
    -Xms"${BENCH_HEAP:-4g}" -Xmx"${BENCH_HEAP:-4g}" -XX:+AlwaysPreTouch ${BENCH_JVM_OPTS:-} \
    -cp "$classpath" io.hairpin.perf.Bench "${huge_arg[@]}" "$@"
rc=$?
set -e
exit $rc
