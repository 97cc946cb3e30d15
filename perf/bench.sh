#!/usr/bin/env bash
# Runs the capacity-mode benchmark (io.hairpin.perf.Bench) on JDK 25.
#
#   perf/bench.sh [forward] [mirror-only] [--duration S] [--warmup S] [--packets N] [--lcore N] [--no-huge]
#
# As root it reserves 512 × 2 MiB hugepages and mounts hugetlbfs at /dev/hugepages when needed,
# and puts both back as they were afterwards; DPDK runs with --huge-unlink so no hugepage file
# is left behind, and Bench removes /var/run/dpdk/hairpin-bench-<pid>. Otherwise it says why
# and runs with --no-huge. Builds perf with `mvn -o -pl perf package` (native and engine come
# from ~/.m2) unless BENCH_NO_BUILD=1. JSON lines go to stdout, the table to stderr.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
JAVA_HOME="${JAVA_HOME_25:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JAVA="$JAVA_HOME/bin/java"
PAGES=512

say() { echo "bench.sh: $*" >&2; }

want_huge=1
for a in "$@"; do
    [[ "$a" == "--no-huge" ]] && want_huge=0
done

cd "$root"
if [[ "${BENCH_NO_BUILD:-0}" != 1 ]]; then
    mvn -q -B -o -pl perf package -DskipTests >&2
fi
# The runtime classpath as Maven resolves it (perf's classes, engine, native, agrona, HdrHistogram).
# exec-maven-plugin prints it offline; the dependency plugin's own dependencies are not in ~/.m2.
cp_file="$here/target/bench.classpath"
if [[ ! -s "$cp_file" || "$root/perf/pom.xml" -nt "$cp_file" || "$root/pom.xml" -nt "$cp_file" ]]; then
    mvn -q -B -o -pl perf org.codehaus.mojo:exec-maven-plugin:3.5.0:exec -Dexec.executable=echo \
        -Dexec.args='%classpath' 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g' | grep -E '^/' | tail -1 > "$cp_file"
    [[ -s "$cp_file" ]] || { say "could not get the classpath from Maven (mvn -o -pl perf exec:exec)"; exit 1; }
fi
classpath="$(cat "$cp_file")"

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
"$JAVA" --enable-native-access=ALL-UNNAMED --add-exports java.base/jdk.internal.misc=ALL-UNNAMED \
    -Xms1g -Xmx1g -XX:+AlwaysPreTouch ${BENCH_JVM_OPTS:-} \
    -cp "$classpath" io.hairpin.perf.Bench "${huge_arg[@]}" "$@"
rc=$?
set -e
exit $rc
