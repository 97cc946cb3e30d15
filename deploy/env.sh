# Shared by the launcher and the test script: the JDK 25 selection and the JVM flags.
# Maven keeps running on the machine's default JDK; .mvn/toolchains.xml makes it build and test on 25.
HAIRPIN_JDK=${HAIRPIN_JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}
if [ ! -x "$HAIRPIN_JDK/bin/java" ]; then
    echo "hairpin: JDK 25 not found at $HAIRPIN_JDK; install Temurin 25 there or set HAIRPIN_JDK." >&2
    exit 1
fi
HAIRPIN_JAVA="$HAIRPIN_JDK/bin/java"
HAIRPIN_JVM_FLAGS="--enable-native-access=ALL-UNNAMED --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -XX:+UseParallelGC"
# The data plane's leaf helpers (Mem, Mbuf: one load or store each; ChecksumDelta: a few adds) are
# always inlined. C2 otherwise leaves a call site out of line when the profile taken during the
# warm-up saw it rarely, and that warm-up is all misses: ARP resolution and the flow cache filling
# (or stepping aside). It then never recompiles, and every later hit pays a dozen calls (binat:10000:
# about 100 cycles a packet). "quiet" keeps the JVM from printing each command.
# RuleCounters' adds (two loads and stores each) are such helpers too: without this, -XX:+PrintInlining
# showed RuleCounters::packet out of line ("callee is too large") in some of the hot paths' compiles.
for helper in io.hairpin.shim.Mem io.hairpin.shim.Mbuf io.hairpin.engine.packet.ChecksumDelta io.hairpin.engine.worker.RuleCounters; do
    HAIRPIN_JVM_FLAGS="$HAIRPIN_JVM_FLAGS -XX:CompileCommand=inline,$helper::*"
done
# The big table's per-packet step (Worker.establishedLookedUp) is inlined into its loop too. C2
# compiles it on its own during the warm-up and then leaves it as a call per packet ("already
# compiled into a big method"); inlined, napt-established at 1 M sessions takes about 7 % fewer
# cycles (perf/RESULTS.md, session 37).
HAIRPIN_JVM_FLAGS="$HAIRPIN_JVM_FLAGS -XX:CompileCommand=inline,io.hairpin.engine.worker.Worker::establishedLookedUp"
HAIRPIN_JVM_FLAGS="-XX:CompileCommand=quiet $HAIRPIN_JVM_FLAGS"
unset helper
# Added for `hairpin run` (and the benchmarks): the session tables live on the Java heap, and on
# 2 MiB pages a lookup into tables of tens of MB costs a cache miss instead of a miss plus a page
# walk (napt-established at 1 M sessions: about +12 %). Only where the kernel offers THP to
# madvise, so that the JVM has no warning to print.
HAIRPIN_RUN_JVM_FLAGS=""
if grep -qE '\[(always|madvise)\]' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null; then
    HAIRPIN_RUN_JVM_FLAGS="-XX:+UseTransparentHugePages"
fi
export HAIRPIN_JDK HAIRPIN_JAVA HAIRPIN_JVM_FLAGS HAIRPIN_RUN_JVM_FLAGS
