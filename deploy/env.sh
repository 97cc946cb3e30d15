# Shared by the launcher and the test script: the JDK 25 selection and the JVM flags.
# Maven keeps running on the machine's default JDK; .mvn/toolchains.xml makes it build and test on 25.
HAIRPIN_JDK=${HAIRPIN_JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}
if [ ! -x "$HAIRPIN_JDK/bin/java" ]; then
    echo "hairpin: JDK 25 not found at $HAIRPIN_JDK; install Temurin 25 there or set HAIRPIN_JDK." >&2
    exit 1
fi
HAIRPIN_JAVA="$HAIRPIN_JDK/bin/java"
HAIRPIN_JVM_FLAGS="--enable-native-access=ALL-UNNAMED --add-exports java.base/jdk.internal.misc=ALL-UNNAMED -XX:+UseParallelGC"
export HAIRPIN_JDK HAIRPIN_JAVA HAIRPIN_JVM_FLAGS
