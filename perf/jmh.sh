#!/usr/bin/env bash
# Runs the JMH microbenchmarks of the data plane's hot pieces (io.hairpin.perf.jmh: packet parse,
# route lookup, 1:1 rule lookup, session and mapping tables, checksums) on JDK 25.
#
#   perf/jmh.sh [JMH args]
#   perf/jmh.sh -prof gc -f 1 -wi 2 -w 1 -i 3 -r 1              all of them, short, with allocation per op
#   perf/jmh.sh -prof gc SessionTableBench -p sessions=1000000   one class, one table size
#   perf/jmh.sh -l                                               list them
#   perf/jmh.sh -prof gc -prof io.hairpin.perf.jmh.CpuTimeProfiler -rf json -rff /tmp/jmh.json ...
#                                                                also on-CPU ns/op (this machine is shared);
#                                                                python3 perf/jmh_table.py /tmp/jmh.json
#
# Builds native, engine and perf of this work tree with `mvn -pl perf -am package` (the
# reactor; nothing installed) and runs org.openjdk.jmh.Main on that classpath, unless
# JMH_NO_BUILD=1 (then the classpath of the last build is reused). The JVM gets the product's JDK
# and flags from deploy/env.sh (JDK 25, native access, -XX:+UseParallelGC, the leaf helpers
# always inlined) plus -Xms/-Xmx
# JMH_HEAP (default 2g); JMH's forks inherit them (see "# VM options" in the output).
# Extra JVM options for the forks: JMH's own -jvmArgsAppend.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
# shellcheck source=../deploy/env.sh
. "$root/deploy/env.sh"

say() { echo "jmh.sh: $*" >&2; }

cd "$root"
# shellcheck source=classpath.sh
. "$here/classpath.sh"
perf_classpath jmh "${JMH_NO_BUILD:-0}" JMH_NO_BUILD
[[ ":$classpath:" == *":$root/engine/target/hairpin-engine-"* ]] \
    || { say "classpath does not use $root/engine/target/hairpin-engine-*.jar: $classpath"; exit 1; }
[[ -f "$root/perf/target/classes/META-INF/BenchmarkList" ]] \
    || { say "no META-INF/BenchmarkList: JMH's annotation processor did not run"; exit 1; }

heap="${JMH_HEAP:-2g}"
# shellcheck disable=SC2086
exec "$HAIRPIN_JAVA" $HAIRPIN_JVM_FLAGS -Xms"$heap" -Xmx"$heap" -cp "$classpath" org.openjdk.jmh.Main "$@"
