#!/usr/bin/env bash
# What a packet handed to the kernel through a TAP costs the core that writes it
# (perf/src/main/c/tapcost.c): one JSON line per kind of packet and round. As root: the TAP lives
# in a network namespace of its own (hp-tapcost, 203.0.113.1/24), deleted at the end.
#
#   perf/tapcost.sh [--count N] [--rounds R]   (default: 200000 packets, 3 rounds)
#
# Builds tapcost with the perf module's make when it is missing or older than its source.
set -euo pipefail

# shellcheck source=usage.sh
. "$(dirname "$0")/usage.sh"

here="$(cd "$(dirname "$0")" && pwd)"
bin="$here/target/c-obj/tapcost"
count=200000
rounds=3
while [[ $# -gt 0 ]]; do
    case "$1" in
        --count) count="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
        *) echo "tapcost.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done

make -s -C "$here/src/main/c" OBJ="$here/target/c-obj" "$bin" >&2

ns=hp-tapcost
if ip netns list | awk '{print $1}' | grep -qxF "$ns"; then
    echo "tapcost.sh: namespace $ns exists already (another run?); delete it with: ip netns del $ns" >&2
    exit 1
fi
ip netns add "$ns"
trap 'ip netns del "$ns"' EXIT
ip netns exec "$ns" ip tuntap add dev tapcost0 mode tap
ip netns exec "$ns" ip link set tapcost0 up
ip netns exec "$ns" ip addr add 203.0.113.1/24 dev tapcost0
ip netns exec "$ns" ip neigh add 203.0.113.2 lladdr 02:00:00:00:00:02 dev tapcost0
mac=$(ip netns exec "$ns" cat /sys/class/net/tapcost0/address)
for ((r = 1; r <= rounds; r++)); do
    ip netns exec "$ns" "$bin" tapcost0 "$mac" "$count"
    ip netns exec "$ns" "$bin" tapcost0 "$mac" "$count" tcp
done
