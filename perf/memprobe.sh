#!/usr/bin/env bash
# What this machine's memory allows one core, whatever program runs on it
# (perf/src/main/c/memprobe.c): per table size, the latency of one miss (chase), the cost of
# a random line when loads are independent (stream), and of a two-line hash table lookup
# (slot, then record) batched, one at a time, pipelined a burst ahead with prefetches, and staged
# a burst apart with plain loads. One JSON line per size on stdout. --split INDEX_MIB RECORD_MIB
# (repeatable) times napt-established's lookups over an index and records of those sizes instead
# (memprobe.c says how), one line each. --pattern INDEX_MIB RECORD_MIB (repeatable) times the
# parts of a big table's established look-up: reads only, the record written, and a second
# index line prefetched beside the home slot's (memprobe.c says how), one line each.
# --overlap INDEX_MIB RECORD_MIB (repeatable) asks whether a packet's own work hides the misses
# of the bursts behind it, in three schedules (memprobe.c says how), one line each.
# --layout SESSIONS INDEX_MIB RECORD_BYTES (repeatable) times split's pattern over SESSIONS records
# of RECORD_BYTES, packed (a record that 64 is not a multiple of spans two lines now and then),
# behind an index of INDEX_MIB: the memory side of a smaller record or index, one line each.
#
#   perf/memprobe.sh [--cpu N] [--rounds R] [MIB...]     (default: CPU 0, 5 rounds, 1 .. 2048 MiB)
#   perf/memprobe.sh [--cpu N] [--rounds R] --split 32 64 --split 16 64
#   perf/memprobe.sh [--cpu N] [--rounds R] --pattern 32 64
#   perf/memprobe.sh [--cpu N] [--rounds R] --overlap 32 64
#   perf/memprobe.sh [--cpu N] [--rounds R] --layout 1000000 32 64 --layout 1000000 16 48
#
# As root it reserves the 2 MiB pages the largest table needs and puts nr_hugepages back
# afterwards; otherwise (or when the kernel cannot give them) the table is on 4 KiB pages with
# transparent huge pages asked for, and each line says which. Builds memprobe with the perf
# module's make when it is missing or older than its source.
set -euo pipefail

# shellcheck source=usage.sh
. "$(dirname "$0")/usage.sh"

here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/target/c-obj/memprobe"
cpu=0
rounds=5
sizes=()
# the split, pattern and overlap runs asked for, in order: "MODE INDEX_MIB RECORD_MIB"
two_tables=()
# the layout runs asked for, in order: "SESSIONS INDEX_MIB RECORD_BYTES"
layouts=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --cpu) cpu="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        --split) two_tables+=("split $2 $3"); shift 3 ;;
        --pattern) two_tables+=("pattern $2 $3"); shift 3 ;;
        --overlap) two_tables+=("overlap $2 $3"); shift 3 ;;
        --layout) layouts+=("$2 $3 $4"); shift 4 ;;
        *) sizes+=("$1"); shift ;;
    esac
done
[[ ${#sizes[@]} -gt 0 || ${#two_tables[@]} -gt 0 || ${#layouts[@]} -gt 0 ]] || sizes=(1 2 4 8 16 64 256 1024 2048)

say() { echo "memprobe.sh: $*" >&2; }

# the Makefile's own rule (the Maven build's too), which rebuilds it only when the source is newer
make -s -C "$here/src/main/c" OBJ="$here/target/c-obj" "$bin" >&2

nr_file=/proc/sys/vm/nr_hugepages
old_nr=""
restore() {
    if [[ -n "$old_nr" ]]; then
        echo "$old_nr" > "$nr_file" 2>/dev/null || say "could not put nr_hugepages back to $old_nr"
    fi
    return 0
}
largest=0
for s in "${sizes[@]}"; do
    (( s > largest )) && largest=$s
done
for run in "${two_tables[@]}"; do
    read -r _ i r <<< "$run"
    (( i + r > largest )) && largest=$(( i + r ))
done
for run in "${layouts[@]}"; do
    read -r n i b <<< "$run"
    (( i + n * b / 1048576 + 2 > largest )) && largest=$(( i + n * b / 1048576 + 2 ))
done
if [[ "$(id -u)" == 0 ]]; then
    trap restore EXIT
    free="$(awk '/^HugePages_Free:/ {print $2}' /proc/meminfo)"
    need=$(( largest / 2 + 1 ))
    if (( free < need )); then
        old_nr="$(cat "$nr_file")"
        echo $(( old_nr + need - free )) > "$nr_file" 2>/dev/null || true
    fi
else
    say "not root: no 2 MiB pages can be reserved, so the tables are on 4 KiB pages (THP asked for)."
fi

for s in "${sizes[@]}"; do
    "$bin" "$s" "$cpu" "$rounds"
done
for run in "${two_tables[@]}"; do
    read -r mode i r <<< "$run"
    "$bin" "$mode" "$i" "$r" "$cpu" "$rounds"
done
for run in "${layouts[@]}"; do
    read -r n i b <<< "$run"
    "$bin" layout "$n" "$i" "$b" "$cpu" "$rounds"
done
