# Sourced by perf/bench.sh and perf/jmh.sh (which define $root and say): perf's runtime classpath
# as the reactor resolves it — this work tree's own perf, engine and native jars (built here,
# never the copies in ~/.m2, which other work trees overwrite with `mvn install`), plus agrona,
# HdrHistogram and JMH from ~/.m2. exec-maven-plugin prints it in the same reactor run as the
# build, so hairpin-engine resolves to engine/target/*.jar; the dependency plugin's own
# dependencies are not in ~/.m2. Not offline: on a fresh machine the test command has fetched
# the build's plugins but not exec-maven-plugin, which only this build uses.
#
#   perf_classpath NAME SKIP_BUILD FLAG
# builds unless SKIP_BUILD is 1 (FLAG names the variable that said so, for the error), keeps the
# classpath in perf/target/NAME.classpath and the build's log in perf/target/NAME-build.log, and
# sets $classpath.
perf_classpath() {
    local name="$1" skip="$2" flag="$3"
    local cp_file="$root/perf/target/$name.classpath" log="$root/perf/target/$name-build.log"
    if [[ "$skip" != 1 ]]; then
        mkdir -p "$root/perf/target"
        if ! (cd "$root" && mvn -B -pl perf -am package -DskipTests org.codehaus.mojo:exec-maven-plugin:3.5.0:exec \
                -Dexec.executable=echo -Dexec.args='%classpath') > "$log" 2>&1; then
            tail -40 "$log" >&2
            say "the build failed (full log: $log)"
            exit 1
        fi
        sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E "^$root/perf/target/classes:" | tail -1 > "$cp_file" || true
        [[ -s "$cp_file" ]] || { say "the reactor build did not print perf's classpath (see $log)"; exit 1; }
    elif [[ ! -s "$cp_file" ]]; then
        say "$flag=1 but $cp_file is missing: run once without it"
        exit 1
    fi
    classpath="$(cat "$cp_file")"
}
