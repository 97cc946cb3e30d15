# Sourced first by the perf scripts (with their arguments): with -h or --help, prints the
# script's header comment, which is its usage, and exits. Nothing is built or run.
for a in "$@"; do
    if [[ "$a" == -h || "$a" == --help ]]; then
        sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0"
        exit 0
    fi
done
