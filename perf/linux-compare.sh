#!/usr/bin/env bash
# Hairpin versus Linux nftables in the namespace lab (performance.md: Hairpin >= 2 x the pps of Linux).
#
#   perf/linux-compare.sh [--duration S] [--flows N] [--search N] [--rounds N] [--routers LIST]
#                         [--traffic LIST] [--gen af_packet|socket] [--sink nft|socket] [--nice N]
#                         [--no-huge] [--no-ceiling] [--out FILE]
#
# Builds the NAT lab (deploy/lab/lab.sh up --nat, prefix $HP_LAB_PREFIX, default "lc-") once per
# router and offers each router the same traffic: 64-byte-payload UDP, --flows flows (one source
# port each), for --duration seconds,
#   outbound    inside 192.168.1.10 -> outside 203.0.113.254:7000 through outbound NAPT (sink sees 203.0.113.1)
#   one-to-one  outside 203.0.113.254 -> 203.0.113.20:7001, 1:1 to server 192.168.1.20 (sink sees 203.0.113.254)
# first at the generator's maximum rate, then a short bisection (--search runs) for the highest rate
# with <= 0.1 % loss. Counts what arrives on the far side, and the router's own counters (hairpin stats,
# or the router namespace's ForwDatagrams and nft counters; the router's veth counters on every run).
#
# Routers (--routers, default hairpin,linux,linux-rps):
#   hairpin           `hairpin run` with deploy/lab/lab-nat.yaml's interfaces and NAT rules (net_af_packet on
#                     the router's veths), on 2 MiB hugepages unless --no-huge; eal -l 1: its worker busy-polls
#                     core 1
#   hairpin-krx-drop  the same, plus an nft netdev ingress drop on r-wan/r-lan in the router namespace, so
#                     the kernel stops running ip_rcv on every frame af_packet has already taken
#   hairpin-xdp       deploy/lab/lab-nat-xdp.yaml: the same with net_af_xdp instead of net_af_packet on
#                     r-wan/r-lan; the veths' native XDP hands each frame to the appliance's AF_XDP
#                     socket, and the router namespace's stack never sees it
#   linux             lab.sh's nftables stand-in (the same NAT rules), forwarding in softirq on the core the
#                     packets arrive on: the generator's, core 0
#   linux-rps         the same, with RPS on r-lan and r-wan steering the router's receive processing
#                     (forwarding, conntrack, NAT) to core 1: the split Hairpin has (router on core 1,
#                     generator on core 0)
# Traffic ends (perf/lab/udpblast.c, built here with cc; pinned to core 0): a warm-up at 20 kpps with UDP
# sockets at both ends checks the translated source and opens every flow's session; the measured runs
# use --gen af_packet (prebuilt frames on an AF_PACKET socket, PACKET_QDISC_BYPASS, to the next hop's
# MAC) and --sink nft (an nftables netdev ingress rule on the far host counts and drops what has the
# translated source), or --gen socket / --sink socket (sendmmsg / recvmmsg on UDP sockets).
# First it measures the generator and sink alone over a bare veth pair (no router): the lab's ceiling.
# --nice N (e.g. -19 on a machine shared with other jobs): see below.
#
# One JSON line per traffic type on stdout (pps of each router, the ratio Hairpin / best Linux), a
# table on stderr; raw per-run JSON in perf/target/linux-compare/. Results: perf/LINUX.md. Must run as
# root. Everything it creates (namespaces ${prefix}{router,lanbr,inside,server,outside,ceil-a,ceil-b},
# processes, nft tables in them, ksoftirqd's nice) is removed or put back on exit, also on failure or
# on a signal.
set -Eeuo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
export HP_LAB_PREFIX=${HP_LAB_PREFIX:-lc-}
P=$HP_LAB_PREFIX
export HP_LAB_STATE=${HP_LAB_STATE:-/tmp/hairpin-lab-$P}
LAB="$root/deploy/lab/lab.sh"
work="$root/perf/target/linux-compare"
blast="$root/perf/target/udpblast"

duration=2
flows=1024
search=4
rounds=1
routers=hairpin,linux,linux-rps
traffic=outbound,one-to-one
huge=1
do_ceiling=1
gen=af_packet
nice=0
sink=nft
out=""
while (($#)); do
    case "$1" in
        --duration) duration=$2; shift ;;
        --flows) flows=$2; shift ;;
        --search) search=$2; shift ;;
        --rounds) rounds=$2; shift ;;
        --routers) routers=$2; shift ;;
        --traffic) traffic=$2; shift ;;
        --no-huge) huge=0 ;;
        --gen) gen=$2; shift ;;
        --nice) nice=$2; shift ;;
        --sink) sink=$2; shift ;;
        --no-ceiling) do_ceiling=0 ;;
        --out) out=$2; shift ;;
        -h|--help) sed -n '2,/^set -E/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "linux-compare: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done

say() { echo "linux-compare: $*" >&2; }
[[ $(id -u) -eq 0 ]] || { say "must run as root (network namespaces)"; exit 1; }
[[ $(nproc) -ge 2 ]] || { say "needs 2 cores (the appliance's worker polls core 1)"; exit 1; }

CEIL_A="${P}ceil-a"
CEIL_B="${P}ceil-b"
child=""
declare -A ksoftirqd_nice=()
cleanup() {
    local rc=$? ns pid
    trap - EXIT INT TERM
    set +e
    if [[ -n "$child" ]] && kill -0 "$child" 2>/dev/null; then   # the measuring python: it stops its own children
        kill -TERM "$child" 2>/dev/null
        wait "$child" 2>/dev/null
    fi
    for ns in "$CEIL_A" "$CEIL_B"; do
        if [[ -e "/var/run/netns/$ns" ]]; then
            for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
            ip netns del "$ns" 2>/dev/null
        fi
    done
    bash "$LAB" down >/dev/null 2>&1 || say "lab.sh down failed"
    for pid in "${!ksoftirqd_nice[@]}"; do renice -n "${ksoftirqd_nice[$pid]}" -p "$pid" >/dev/null 2>&1; done
    for ns in router lanbr inside server outside ceil-a ceil-b; do
        [[ -e "/var/run/netns/$P$ns" ]] && say "warning: namespace $P$ns still exists"
    done
    exit "$rc"
}
trap cleanup EXIT
trap 'say "interrupted"; exit 130' INT TERM

mkdir -p "$work"
cc -O2 -Wall -Wextra -o "$blast" "$here/lab/udpblast.c"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
raw="$work/runs-$stamp.jsonl"
: >"$raw"
# in the background + wait, so that a signal reaches the trap at once (bash runs traps only between commands)
py() {
    python3 "$here/lab/linux_compare.py" "$@" &
    child=$!
    wait "$child"
    child=""
}
common=(--blast "$blast" --duration "$duration" --flows "$flows" --gen "$gen" --sink "$sink" --nice "$nice" --out "$raw")

# --nice N (e.g. -19, on a machine shared with other jobs): the generator, the sink and the appliance
# (each in its own session: the scheduler autogroup's nice, and the worker thread's own) run at CFS
# nice N, and so do ksoftirqd/0 and ksoftirqd/1, where the kernel defers softirq work it cannot finish
# at once (Linux's forwarding under load); their nice is put back on exit.
if ((nice != 0)); then
    for pid in $(pgrep -x 'ksoftirqd/[0-9]+'); do
        ksoftirqd_nice[$pid]=$(ps -o ni= -p "$pid" | tr -d ' ')
        renice -n "$nice" -p "$pid" >/dev/null
    done
fi

# --- the generator's ceiling: sender -> sink over one veth pair, no router ------------------------------
if ((do_ceiling)); then
    for ns in "$CEIL_A" "$CEIL_B"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
    ip -n "$CEIL_A" link add eth0 type veth peer name eth0 netns "$CEIL_B"
    for ns in "$CEIL_A" "$CEIL_B"; do
        ip netns exec "$ns" ethtool -K eth0 tx off tso off gso off >/dev/null 2>&1 || true
        ip -n "$ns" link set eth0 up
    done
    ip -n "$CEIL_A" addr add 198.51.100.1/24 dev eth0
    ip -n "$CEIL_B" addr add 198.51.100.2/24 dev eth0
    ip netns exec "$CEIL_A" ping -c 1 -W 2 198.51.100.2 >/dev/null
    py ceiling --ns-a "$CEIL_A" --ns-b "$CEIL_B" "${common[@]}"
    for ns in "$CEIL_A" "$CEIL_B"; do ip netns del "$ns"; done
fi

# --- the appliance's config: lab-nat.yaml with its own control socket (and hugepages) -------------------
cfg="$work/hairpin-lab-nat.yaml"
sock="$work/control.sock"
# EAL's main lcore stays on core 0 (the default -l 0) with the control thread; the engine pins
# worker 0 to core 1 (it counts the machine's online CPUs), away from the generator on core 0.
eal='[--no-huge, -m, "512"]'
if ((huge)); then
    free=$(awk '/HugePages_Free/ {print $2}' /proc/meminfo)
    if [[ "${free:-0}" -ge 256 && -n "$(grep -w hugetlbfs /proc/mounts)" ]]; then
        eal='[--in-memory, -m, "256"]'
    else
        say "fewer than 256 free 2 MiB hugepages or no hugetlbfs mount: the appliance runs with --no-huge"
        huge=0
    fi
fi
# a lab config with this run's eal and its own control socket
lab_config() {   # SOURCE TARGET
    sed -e "s|^eal:.*|eal: $eal|" "$1" >"$2"
    if grep -q '^control:[[:space:]]*$' "$2"; then
        sed -i "s|^control:[[:space:]]*\$|control:\n  socket: $sock|" "$2"
    else
        printf 'control:\n  socket: %s\n' "$sock" >>"$2"
    fi
}
lab_config "$root/deploy/lab/lab-nat.yaml" "$cfg"
cfg_xdp="$work/hairpin-lab-nat-xdp.yaml"
lab_config "$root/deploy/lab/lab-nat-xdp.yaml" "$cfg_xdp"
label="hugepages"; ((huge)) || label="no-huge"

for ((round = 1; round <= rounds; round++)); do
for router in ${routers//,/ }; do
    say "=== round $round, router: $router"
    bash "$LAB" up --nat >&2
    case "$router" in
        hairpin)
            bash "$LAB" start-appliance "$root/deploy/hairpin" run --config "$cfg" >&2 ;;
        hairpin-krx-drop)
            # Hairpin, and the router namespace's kernel drops what arrives on r-wan/r-lan at ingress,
            # after af_packet's tap has copied it: r-wan/r-lan carry no address, so otherwise the
            # kernel runs ip_rcv on every frame and drops it there (Ip: InAddrErrors)
            bash "$LAB" start-appliance "$root/deploy/hairpin" run --config "$cfg" >&2
            ip netns exec "${P}router" nft -f - <<'EOF'
table netdev lc_krx_drop {
    chain wan { type filter hook ingress device "r-wan" priority 0; policy drop; }
    chain lan { type filter hook ingress device "r-lan" priority 0; policy drop; }
}
EOF
            ;;
        hairpin-xdp)
            bash "$LAB" start-appliance "$root/deploy/hairpin" run --config "$cfg_xdp" >&2 ;;
        linux)
            bash "$LAB" start-linux-router >&2 ;;
        linux-rps)
            bash "$LAB" start-linux-router >&2
            for dev in r-lan r-wan; do   # ip netns exec mounts the router namespace's own /sys
                ip netns exec "${P}router" sh -c "echo 2 > /sys/class/net/$dev/queues/rx-0/rps_cpus"
            done ;;
        *) say "unknown router $router (hairpin, hairpin-krx-drop, hairpin-xdp, linux, linux-rps)"; exit 2 ;;
    esac
    py measure --router "$router" --round "$round" --prefix "$P" --traffic "$traffic" --search "$search" \
        --home "$root" --socket "$sock" --state "$HP_LAB_STATE" "${common[@]}"
    bash "$LAB" down >&2
done
done

say "raw runs: $raw"
if [[ -n "$out" ]]; then
    py report --label "$label" "$raw" | tee -a "$out"
else
    py report --label "$label" "$raw"
fi
