#!/usr/bin/env bash
# Compares the engines of git revisions in capacity-mode runs that take turns, the way every
# "alternating rounds" figure in perf/RESULTS.md is taken: on this shared VM one engine's figures
# move by 10-20 % from one hour to the next, more than most changes are worth, so two engines
# are only compared in runs interleaved with each other.
#
#   perf/ab.sh [--rounds N] [--out FILE] REV REV... -- BENCH_ARGUMENTS...
#
# A REV is a git revision (commit, tag, branch, HEAD~1) or `.`, this work tree as it is now,
# uncommitted changes included. Each is built once, before any run: a revision's engine module
# is compiled with its own native module in a temporary copy of the revision and kept as
# perf/target/ab/COMMIT.jar for later calls; `.` is built here every call and copied to
# perf/target/ab/work-tree.jar. Only the engine jar is swapped (BENCH_ENGINE_JAR); every run
# uses this work tree's perf and native jars, so a revision whose native/ differs from this
# tree's is refused. Rounds run the revisions in the order given, then reversed (A B, B A, A B,
# ...), so that a host getting busier or quieter during the call weighs on each about equally.
#
# Prints one line per run (Mpps, engine cycles a packet beyond the harness, new sessions/s,
# drops, mistranslated, GCs), then per scenario and revision the median and every round (with
# the C reference, also the engine's Mpps over C's of the same run). --out appends each run's
# JSON line, with ab_rev (the REV as given), ab_commit and ab_round added. Runs perf/bench.sh,
# so the same as root (hugepages); --rounds defaults to 4.
#
#   perf/ab.sh --rounds 4 HEAD~1 HEAD -- napt-established:1000000 --duration 4 --warmup 3 --no-cref
#
# --summary FILE prints that summary again for the lines a call wrote to FILE with --out (one
# call's lines per file: revisions are told apart by REV as given); nothing is built or run.
#
#   perf/ab.sh --summary perf/results/issue5-s26-hash-ab-10.jsonl
#
# --profile SECONDS runs perf/profile.sh instead (one scenario; the arguments after -- are
# profile.sh's: SCENARIO [bench.sh arguments...]) and compares the engine's samples per sample
# of the harness in the same run. On a VM whose runs of one engine differ by a fifth, that ratio
# moved by a few percent: the harness does the same work per packet whatever the engine does.
# It counts the engine's Java methods only (the shim's native code is in neither side). Each
# line holds engine_per_harness, engine_share and harness_share (percent of all samples) and
# the run's forwarded_mpps and cycles_per_pkt_on_cpu.
#
#   perf/ab.sh --profile 5 --rounds 4 HEAD~1 HEAD -- napt-established:1000000
set -euo pipefail

# shellcheck source=usage.sh
. "$(dirname "$0")/usage.sh"

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
say() { echo "ab.sh: $*" >&2; }
usage() { say "usage: perf/ab.sh [--rounds N] [--out FILE] [--profile SECONDS] REV REV... -- BENCH_ARGUMENTS..., or perf/ab.sh --summary FILE (--help for more)"; exit 2; }

# The summary of the runs in FILE (JSON lines with ab_rev and ab_round) for REVS in this order.
summarize() {
    python3 - "$@" <<'PY'
import json, statistics, sys
path, revs = sys.argv[1], sys.argv[2:]
runs = [json.loads(l) for l in open(path)]
for j in runs:
    if j.get("c_reference_mpps") and j.get("forwarded_mpps") is not None:
        j["engine_over_c"] = round(j["forwarded_mpps"] / j["c_reference_mpps"], 3)
def name(j):
    return j["scenario"] + (f":{j['variant']}" if j.get("variant") else "")
scenarios = list(dict.fromkeys(name(j) for j in runs))
def fig(j, key):
    v = j.get(key)
    return "-" if v is None else f"{v:g}"
for s in scenarios:
    print(f"{s}")
    for rev in revs:
        mine = sorted((j for j in runs if j["ab_rev"] == rev and name(j) == s),
                      key=lambda j: j["ab_round"])
        for key, label in (("engine_per_harness", "engine samples per harness sample"), ("forwarded_mpps", "Mpps"),
                           ("engine_cycles_per_pkt", "engine cycles beyond the harness"),
                           ("engine_over_c", "engine / C"), ("new_sessions_per_s", "new sessions/s")):
            xs = [j[key] for j in mine if j.get(key) is not None]
            if xs:
                print(f"  {rev:>12}  {label}: median {statistics.median(xs):g}, rounds {' / '.join(fig(j, key) for j in mine)}")
        bad = [j["ab_round"] for j in mine if j.get("drops") or j.get("mistranslated") or j.get("gc_count")]
        if bad:
            print(f"  {rev:>12}  drops, mistranslations or GCs in rounds {bad}")
PY
}

# One profile.sh run as a JSON line: the bench line it left (ARG 2) with the sample shares its
# output (ARG 1) reported added.
profile_line() {
    python3 - "$@" <<'PY'
import json, re, sys
out, bench = sys.argv[1:]
m = None
for line in open(out):
    m = re.match(r"engine ([0-9.]+) % of samples, harness \(Mirror\) ([0-9.]+) %: ([0-9.]+) engine samples", line) or m
if m is None:
    sys.exit("ab.sh: perf/profile.sh printed no engine/harness ratio")
j = json.loads(open(bench).readline())
j["engine_share"], j["harness_share"], j["engine_per_harness"] = (float(g) for g in m.groups())
print(json.dumps(j))
PY
}

if [[ $# -ge 1 && "$1" == --summary ]]; then
    [[ $# -eq 2 && -f "$2" ]] || { say "--summary takes one file of an earlier call's --out lines"; usage; }
    command -v python3 >/dev/null || { say "needs python3"; exit 1; }
    mapfile -t saved < <(python3 -c 'import json, sys
print("\n".join(dict.fromkeys(json.loads(l)["ab_rev"] for l in open(sys.argv[1]))))' "$2")
    summarize "$2" "${saved[@]}"
    exit 0
fi

rounds=4
out=""
profile=""
revs=()
while [[ $# -gt 0 && "$1" != "--" ]]; do
    case "$1" in
        --rounds) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || usage; rounds="$2"; shift 2 ;;
        --out) [[ $# -ge 2 ]] || usage; out="$2"; shift 2 ;;
        --profile) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || usage; profile="$2"; shift 2 ;;
        -*) say "unknown option $1"; usage ;;
        *) revs+=("$1"); shift ;;
    esac
done
[[ $# -ge 2 && "$1" == "--" ]] || usage
shift
bench_args=("$@")
[[ ${#revs[@]} -ge 2 ]] || { say "give at least two revisions to compare"; usage; }
if [[ -n "$profile" ]]; then
    [[ ${#bench_args[@]} -ge 1 && "${bench_args[0]}" != -* ]] || { say "--profile takes one scenario after --"; usage; }
fi
command -v python3 >/dev/null || { say "needs python3"; exit 1; }

cd "$root"
git rev-parse --git-dir >/dev/null 2>&1 || { say "$root is not a git work tree"; exit 1; }
jars="$here/target/ab"
mkdir -p "$jars"
log="$jars/build.log"

# Each revision's commit, checked before anything is built.
commit_of=()
for rev in "${revs[@]}"; do
    if [[ "$rev" == . ]]; then
        commit_of+=(work-tree)
        continue
    fi
    commit="$(git rev-parse --verify --quiet "$rev^{commit}")" || { say "not a revision: $rev"; exit 1; }
    if ! git diff --quiet "$commit" -- native/; then
        say "$rev ($commit) has another native module than this work tree: its engine cannot run on this tree's shim"
        exit 1
    fi
    commit_of+=("$commit")
done

# This tree's perf, engine and native jars and the classpath every run reuses.
say "building this work tree (perf/bench.sh, BENCH_BUILD_ONLY=1)"
BENCH_BUILD_ONLY=1 "$here/bench.sh" || { say "the build of this work tree failed"; exit 1; }

# Each revision's engine jar.
jar_of=()
for k in "${!revs[@]}"; do
    commit="${commit_of[$k]}"
    jar="$jars/$commit.jar"
    if [[ "$commit" == work-tree ]]; then
        cp "$root"/engine/target/hairpin-engine-*.jar "$jar"
    elif [[ ! -s "$jar" ]]; then
        tmp="$(mktemp -d)"
        git archive "$commit" | tar -x -C "$tmp"
        say "building the engine of ${revs[$k]} ($commit)"
        if ! (cd "$tmp" && mvn -B -q -pl engine -am package -DskipTests) >> "$log" 2>&1; then
            rm -rf "$tmp"
            say "the build of ${revs[$k]} failed (log: $log)"
            exit 1
        fi
        cp "$tmp"/engine/target/hairpin-engine-*.jar "$jar.part"
        mv "$jar.part" "$jar"
        rm -rf "$tmp"
    fi
    jar_of+=("$jar")
done

lines="$(mktemp)"
trap 'rm -f "$lines"' EXIT
for r in $(seq 1 "$rounds"); do
    order=$(seq 0 $((${#revs[@]} - 1)))
    (( r % 2 == 0 )) && order=$(seq $((${#revs[@]} - 1)) -1 0)
    for k in $order; do
        run="$(mktemp)"
        command=("$here/bench.sh" "${bench_args[@]}")
        [[ -z "$profile" ]] || command=("$here/profile.sh" "${bench_args[0]}" "$profile" "${bench_args[@]:1}")
        if ! BENCH_NO_BUILD=1 BENCH_ENGINE_JAR="${jar_of[$k]}" "${command[@]}" > "$run.out" 2> "$run.err"; then
            tail -20 "$run.err" >&2
            rm -f "$run" "$run.out" "$run.err"
            say "the run of ${revs[$k]} in round $r failed"
            exit 1
        fi
        if [[ -n "$profile" ]]; then
            profile_line "$run.out" "$here/target/profile.json" > "$run"
        else
            mv "$run.out" "$run"
        fi
        rm -f "$run.out"
        python3 - "${revs[$k]}" "${commit_of[$k]}" "$r" "$run" >> "$lines" <<'PY'
import json, sys
rev, commit, rnd, path = sys.argv[1:]
for line in open(path):
    j = json.loads(line)
    j["ab_rev"], j["ab_commit"], j["ab_round"] = rev, commit, int(rnd)
    print(json.dumps(j))
PY
        python3 - "$run" "${revs[$k]}" "$r" <<'PY' >&2
import json, sys
path, rev, rnd = sys.argv[1:]
for line in open(path):
    j = json.loads(line)
    name = j['scenario'] + (f":{j['variant']}" if j.get('variant') else "")
    ratio = f", {j['engine_per_harness']} engine samples per harness sample" if "engine_per_harness" in j else ""
    print(f"ab.sh: round {rnd} {rev}: {name} {j['forwarded_mpps']} Mpps{ratio}, "
          f"engine {j.get('engine_cycles_per_pkt')} cycles beyond the harness, new sessions/s {j.get('new_sessions_per_s')}, "
          f"drops {j['drops']}, mistranslated {j.get('mistranslated')}, GCs {j['gc_count']}")
PY
        rm -f "$run" "$run.err"
    done
done
[[ -z "$out" ]] || cat "$lines" >> "$out"

summarize "$lines" "${revs[@]}"
