#!/usr/bin/env bash
# Hairpin namespace lab: real Linux hosts talking through the appliance.
#
#   lab.sh up | down | start-appliance CMD... | start-linux-router | checks
#   lab.sh demo -- CMD... | lab.sh test -- CMD...      (CMD may be "linux" or "linux-nat")
#   lab.sh test --nat [--reflection-source mapped|interface] -- CMD...   (the NAT lab)
#
# See deploy/lab/README.md. Everything this script creates lives in network
# namespaces named "${HP_LAB_PREFIX:-hp-}{router,lanbr,inside,server,outside}";
# it never touches the machine's own interfaces or routes.
set -Eeuo pipefail

LAB_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
P=${HP_LAB_PREFIX:-hp-}
STATE=${HP_LAB_STATE:-/tmp/hairpin-lab-$P}
READY_TIMEOUT=${HP_LAB_READY_TIMEOUT:-30}   # seconds, start-appliance readiness

# --- topology -----------------------------------------------------------------
NS_ROUTER="${P}router"
NS_LANBR="${P}lanbr"
NS_INSIDE="${P}inside"
NS_SERVER="${P}server"
NS_OUTSIDE="${P}outside"
ALL_NS=("$NS_ROUTER" "$NS_LANBR" "$NS_INSIDE" "$NS_SERVER" "$NS_OUTSIDE")

WAN_ADDR=203.0.113.1        # appliance, external side (r-wan)
LAN_ADDR=192.168.1.1        # appliance, internal side (r-lan)
INSIDE_IP=192.168.1.10
SERVER_IP=192.168.1.20
OUTSIDE_IP=203.0.113.254    # the "Internet" host, primary address
OUTSIDE_IP2=203.0.113.253   # ... and its second address
LAN_NET=192.168.1.0/24
PRIVATE_NET=192.168.0.0/16  # must never appear as a source on the external side in NAT mode

SERVER_HTTP_PORT=8080       # http.server on SERVER_IP   (file hello.txt)
SERVER_ECHO_PORT=8081       # echo_server.py on SERVER_IP (what the server sees)
OUTSIDE_HTTP_PORT=8081      # http.server on OUTSIDE_IP  (file hello.txt)
OUTSIDE_ECHO_PORT=8080      # echo_server.py on OUTSIDE_IP2 (what the Internet sees)
UDP_PORT=9999               # socat UDP echo on OUTSIDE_IP
ROUTER_ECHO_PORT=8090       # echo_server.py on the appliance's own LAN address (exception path)
ROUTER_WAN_ECHO_PORT=8091   # NAT mode: echo_server.py on the appliance's own WAN address (exception path)
ROUTER_CLOSED_PORT=8092     # NAT mode: nothing listens here on the WAN address (RFC 5382 REQ-4)
RENUMBERED_WAN_ADDR=203.0.113.2  # NAT mode, check (z): the WAN address an apply moves the appliance to
RENUMBERED_ECHO_PORT=8093   # NAT mode, check (z): echo_server.py bound to that address (exception path)

SERVER_BODY="hello from server"
OUTSIDE_BODY="hello from outside"
# Source address the Internet is expected to see when inside connects out.
# Plain router: the client's own address. (NAT mode has its own checks.)
EXPECT_OUTBOUND_SRC=${HP_LAB_EXPECT_OUTBOUND_SRC:-$INSIDE_IP}

# --- NAT mode (lab-nat.yaml) ---------------------------------------------------
# Topology: "router" (plain routing; outside routes the LAN via the appliance) or "nat" (outside
# has no route to private space; the NAT rules below make the server reachable). Chosen by
# --nat/--router or HP_LAB_MODE; `up` records it in $STATE/topology for later subcommands.
LAB_MODE_REQ=${HP_LAB_MODE:-}
LAB_MODE=router
# The source the server sees for reflected (hairpin) traffic: "mapped" (the client's public
# mapping) or "interface" (the appliance's LAN address). --reflection-source or
# HP_LAB_REFLECTION_SOURCE; otherwise read from the appliance's --config file; default mapped.
REFL_REQ=${HP_LAB_REFLECTION_SOURCE:-}
REFL=mapped
REFL_WHY=default

ONE_TO_ONE_EXT=203.0.113.20 # 1:1: 203.0.113.20 <-> SERVER_IP, all protocols
PF_TCP_PORT=8080            # port forward tcp WAN_ADDR:8080 -> SERVER_IP:8080
PF_UDP_PORT=5353            # port forward udp WAN_ADDR:5353 -> SERVER_IP:5353
NAT_SERVER_ECHO_PF_PORT=8080  # NAT mode: echo_server.py on SERVER_IP:8080 (the port forward's target)
NAT_SERVER_FILE_PORT=8082     # NAT mode: the file server moves here (hello.txt, blob.bin)
NAT_SERVER_UDP_PORT=5353      # NAT mode: socat UDP echo on SERVER_IP:5353
BLOB_KIB=256                  # size of blob.bin, fetched through 1:1 (many full-size segments)
CAPTURE_MAX=${HP_LAB_CAPTURE_MAX:-180}   # seconds: upper bound for the external-side capture
NFT_TABLE=hairpin_lab         # the Linux NAT stand-in's nftables table (router namespace only)

PY=/usr/bin/python3
PASS_N=0
FAIL_N=0
CLEANUP_ON_EXIT=0

# --- small helpers ------------------------------------------------------------
say()  { printf '%s\n' "$*"; }
info() { printf 'lab: %s\n' "$*"; }
warn() { printf 'lab: warning: %s\n' "$*" >&2; }
die()  { printf 'lab: error: %s\n' "$*" >&2; exit 1; }

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

ns_exists() { [[ -e "/var/run/netns/$1" ]] || ip netns list 2>/dev/null | awk '{print $1}' | grep -qxF -- "$1"; }

validate_prefix() {
    [[ "$P" =~ ^[A-Za-z0-9._-]{1,20}$ ]] \
        || die "HP_LAB_PREFIX='$P' must be 1-20 characters of [A-Za-z0-9._-]"
    [[ "$STATE" == /* && "$STATE" != "/" ]] || die "HP_LAB_STATE='$STATE' must be an absolute directory (not /)"
}

need_root() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (network namespaces, veth, bridges)"
}

need_netns() {
    command -v ip >/dev/null 2>&1 || die "'ip' (iproute2) not found"
    ip netns list >/dev/null 2>&1 || die "'ip netns' is not available on this machine"
}

# Install missing tools (Debian). Idempotent: does nothing when all are present.
ensure_tools() {
    local -a missing=()
    command -v ip      >/dev/null 2>&1 || missing+=(iproute2)
    command -v ss      >/dev/null 2>&1 || missing+=(iproute2)
    command -v ethtool >/dev/null 2>&1 || missing+=(ethtool)
    command -v curl    >/dev/null 2>&1 || missing+=(curl)
    command -v socat   >/dev/null 2>&1 || missing+=(socat)
    command -v ping    >/dev/null 2>&1 || missing+=(iputils-ping)
    [[ -x /usr/bin/python3 ]]          || missing+=(python3)
    command -v setsid  >/dev/null 2>&1 || missing+=(util-linux)
    command -v timeout >/dev/null 2>&1 || missing+=(coreutils)
    if [[ "$LAB_MODE" == nat ]]; then   # check (k): capture and checksum validation
        command -v tcpdump >/dev/null 2>&1 || missing+=(tcpdump)
        command -v tshark  >/dev/null 2>&1 || missing+=(tshark)
    fi
    apt_install "${missing[@]}"
    if [[ -x /usr/bin/python3 ]]; then PY=/usr/bin/python3; else PY=$(command -v python3); fi
}

# apt_install PKG... : install the given Debian packages (nothing when none are given)
apt_install() {
    (($#)) || return 0
    local -a pkgs
    mapfile -t pkgs < <(printf '%s\n' "$@" | sort -u)
    [[ $(id -u) -eq 0 ]] || die "missing packages: ${pkgs[*]} (run as root to install them)"
    command -v apt-get >/dev/null 2>&1 || die "missing packages: ${pkgs[*]} (no apt-get to install them)"
    info "installing: ${pkgs[*]}"
    # tshark would otherwise ask whether non-root users may capture, and wait forever
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections 2>/dev/null || true
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >/dev/null; then
        DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${pkgs[@]}" >/dev/null
    fi
}

# State directory: pids/, logs/, www/, mode. A marker file guards against
# clearing a directory that is not ours.
state_init() {
    if [[ -d "$STATE" && ! -e "$STATE/.hairpin-lab" && -n "$(ls -A -- "$STATE" 2>/dev/null)" ]]; then
        die "state dir $STATE exists, is not empty and is not a lab state dir"
    fi
    mkdir -p -- "$STATE/pids" "$STATE/logs" "$STATE/www"
    : >"$STATE/.hairpin-lab"
    rm -f -- "$STATE/control.launcher" "$STATE/control.socket" "$STATE/control.config"
}

# --- processes ----------------------------------------------------------------
# Is PID a live (non-zombie) process inside lab namespace NS? Makes sure we
# never signal a recycled, foreign PID. A child of this shell that has not yet
# entered its namespace (just forked) also counts as ours.
pid_in_ns() {
    local pid=$1 ns=$2 ppid
    pid_alive "$pid" || return 1
    [[ "$(ip netns identify "$pid" 2>/dev/null)" == "$ns" ]] && return 0
    ppid=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f2 || true)
    [[ "$ppid" == "$$" || "$ppid" == "$BASHPID" ]]
}

# start_bg NAME NS CMD... : run CMD in NS in the background (own session, so a
# terminal Ctrl-C reaches only this script, which then tears everything down).
start_bg() {
    local name=$1 ns=$2; shift 2
    local log="$STATE/logs/$name.log"
    setsid ip netns exec "$ns" "$@" >"$log" 2>&1 </dev/null &
    local pid=$!
    printf '%s %s\n' "$ns" "$pid" >"$STATE/pids/$name.pid"
    LAST_PID=$pid
}

# signal_pid SIG PID : the process, and its process group when it leads one
# (start_bg runs every process under setsid, so a wrapper script and the
# program it runs both get the signal).
signal_pid() {
    local sig=$1 pid=$2 pgid
    pgid=$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f3 || true)   # state ppid pgrp
    if [[ "$pgid" == "$pid" ]]; then kill "-$sig" -- "-$pid" 2>/dev/null || true; fi
    kill "-$sig" "$pid" 2>/dev/null || true
}

# stop_pid NS PID GRACE : TERM, wait up to GRACE seconds, then KILL. Only a PID
# that is alive inside the lab namespace NS is signalled.
stop_pid() {
    local ns=$1 pid=$2 grace=$3 i
    pid_in_ns "$pid" "$ns" || { wait "$pid" 2>/dev/null || true; return 0; }
    signal_pid TERM "$pid"
    for ((i = 0; i < grace * 10; i++)); do
        pid_in_ns "$pid" "$ns" || break
        sleep 0.1
    done
    if pid_in_ns "$pid" "$ns"; then
        warn "pid $pid ($ns) ignored SIGTERM for ${grace}s, sending SIGKILL"
        signal_pid KILL "$pid"
        sleep 0.1
        # A killed appliance cannot remove its DPDK runtime folder (named after its PID): do it.
        [[ -d "/var/run/dpdk/hairpin-$pid" ]] && rm -rf -- "/var/run/dpdk/hairpin-$pid"
    fi
    wait "$pid" 2>/dev/null || true   # reap if it was our child
}

# Kill whatever still runs inside one of OUR namespaces (stragglers such as
# forked socat children). Only PIDs that `ip netns pids` lists for the lab
# namespace are touched.
sweep_ns() {
    local ns=$1 pid i
    local -a pids
    ns_exists "$ns" || return 0
    mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null || true)
    ((${#pids[@]})) || return 0
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for ((i = 0; i < 30; i++)); do
        mapfile -t pids < <(ip netns pids "$ns" 2>/dev/null || true)
        ((${#pids[@]})) || return 0
        sleep 0.1
    done
    for pid in "${pids[@]}"; do
        warn "killing straggler pid $pid in $ns"
        kill -KILL "$pid" 2>/dev/null || true
    done
}

# --- down ---------------------------------------------------------------------
lab_down() {
    local f ns pid name grace
    if [[ -d "$STATE/pids" ]]; then
        # the appliance first: it gets time for a clean shutdown
        for f in "$STATE/pids/appliance.pid" "$STATE"/pids/*.pid; do
            [[ -f "$f" ]] || continue
            read -r ns pid <"$f" || true
            name=$(basename -- "$f" .pid)
            grace=2; [[ "$name" == appliance ]] && grace=10
            [[ -n "${ns:-}" && -n "${pid:-}" ]] && stop_pid "$ns" "$pid" "$grace"
            rm -f -- "$f"
        done
    fi
    for ns in "${ALL_NS[@]}"; do sweep_ns "$ns"; done
    for ns in "${ALL_NS[@]}"; do
        if ns_exists "$ns"; then
            ip netns del "$ns" 2>/dev/null || warn "could not delete namespace $ns"
        fi
    done
    rm -f -- "$STATE/mode" "$STATE/topology" "$STATE/reflection-source"
}

# --- up -----------------------------------------------------------------------
ns_base() {   # create a namespace with lo up, IPv6 off, no forwarding
    local ns=$1
    ip netns add "$ns"
    nsx "$ns" ip link set lo up
    if nsx "$ns" test -d /proc/sys/net/ipv6; then
        nsx "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 >/dev/null
    fi
}

offloads_off() {   # offloads_off NS DEV [extra ethtool -K args...]
    local ns=$1 dev=$2; shift 2
    nsx "$ns" ethtool -K "$dev" tx off tso off gso off "$@" >/dev/null 2>&1 \
        || warn "ethtool -K $dev (in $ns) could not change every offload"
}

# veth_pair NS_A DEV_A NS_B DEV_B: created directly inside the namespaces,
# so nothing ever appears in the machine's own namespace.
veth_pair() {
    ip -n "$1" link add "$2" type veth peer name "$4" netns "$3"
}

lab_up() {
    local ns
    lab_down
    state_init
    rm -rf -- "$STATE/logs" "$STATE/www"
    mkdir -p -- "$STATE/logs" "$STATE/www/server" "$STATE/www/outside"
    printf '%s\n' "$SERVER_BODY"  >"$STATE/www/server/hello.txt"
    printf '%s\n' "$OUTSIDE_BODY" >"$STATE/www/outside/hello.txt"
    if [[ "$LAB_MODE" == nat ]]; then
        head -c $((BLOB_KIB * 1024)) /dev/urandom >"$STATE/www/server/blob.bin"
    fi

    for ns in "${ALL_NS[@]}"; do ns_base "$ns"; done

    # router: two veth ends without addresses (the appliance takes them over)
    veth_pair "$NS_ROUTER" r-wan "$NS_OUTSIDE" eth0
    veth_pair "$NS_ROUTER" r-lan "$NS_LANBR" lan-router
    veth_pair "$NS_INSIDE" eth0 "$NS_LANBR" lan-inside
    veth_pair "$NS_SERVER" eth0 "$NS_LANBR" lan-server

    # LAN segment: one bridge joining router, inside and server
    nsx "$NS_LANBR" ip link add br0 type bridge stp_state 0 forward_delay 0
    for dev in lan-router lan-inside lan-server; do
        nsx "$NS_LANBR" ip link set "$dev" master br0
        offloads_off "$NS_LANBR" "$dev"
        nsx "$NS_LANBR" ip link set "$dev" up
    done
    nsx "$NS_LANBR" ip link set br0 up

    for dev in r-wan r-lan; do
        offloads_off "$NS_ROUTER" "$dev" rx off gro off
        nsx "$NS_ROUTER" ip link set "$dev" up
    done

    offloads_off "$NS_INSIDE" eth0
    nsx "$NS_INSIDE" ip addr add "$INSIDE_IP/24" dev eth0
    nsx "$NS_INSIDE" ip link set eth0 up
    nsx "$NS_INSIDE" ip route add default via "$LAN_ADDR"

    offloads_off "$NS_SERVER" eth0
    nsx "$NS_SERVER" ip addr add "$SERVER_IP/24" dev eth0
    nsx "$NS_SERVER" ip link set eth0 up
    nsx "$NS_SERVER" ip route add default via "$LAN_ADDR"

    offloads_off "$NS_OUTSIDE" eth0
    nsx "$NS_OUTSIDE" ip addr add "$OUTSIDE_IP/24" dev eth0
    nsx "$NS_OUTSIDE" ip addr add "$OUTSIDE_IP2/24" dev eth0
    nsx "$NS_OUTSIDE" ip link set eth0 up
    # The Internet has no route to private space: in NAT mode only the NAT rules reach the LAN.
    [[ "$LAB_MODE" == nat ]] || nsx "$NS_OUTSIDE" ip route add "$LAN_NET" via "$WAN_ADDR"
    printf '%s\n' "$LAB_MODE" >"$STATE/topology"

    start_services
    info "up: namespaces ${ALL_NS[*]} ($LAB_MODE mode, state: $STATE)"
}

# wait_listen NS tcp|udp PORT : bounded wait (5 s) for a listening socket
# listening NS tcp|udp PORT : something in NS listens on PORT (any address)
listening() {
    local flag
    [[ "$2" == tcp ]] && flag=-Hltn || flag=-Hlun
    [[ -n "$(nsx "$1" ss "$flag" "sport = :$3" 2>/dev/null)" ]]
}

wait_listen() {
    local ns=$1 proto=$2 port=$3 i
    for ((i = 0; i < 50; i++)); do
        if listening "$ns" "$proto" "$port"; then return 0; fi
        sleep 0.1
    done
    return 1
}

start_services() {
    # file servers: Python's http.server handler via echo_server.py --directory
    # (python3 -m http.server would stall ~6 s on a reverse DNS lookup here)
    local file_port=$SERVER_HTTP_PORT
    [[ "$LAB_MODE" == nat ]] && file_port=$NAT_SERVER_FILE_PORT
    start_bg server-http "$NS_SERVER" "$PY" -u "$LAB_DIR/echo_server.py" \
        --bind "$SERVER_IP" --port "$file_port" --directory "$STATE/www/server"
    start_bg server-echo "$NS_SERVER" "$PY" -u "$LAB_DIR/echo_server.py" \
        --bind "$SERVER_IP" --port "$SERVER_ECHO_PORT"
    if [[ "$LAB_MODE" == nat ]]; then
        # the port forwards' targets: a source echo on tcp/8080 and a UDP echo on udp/5353
        start_bg server-echo-pf "$NS_SERVER" "$PY" -u "$LAB_DIR/echo_server.py" \
            --bind "$SERVER_IP" --port "$NAT_SERVER_ECHO_PF_PORT"
        start_bg server-udp "$NS_SERVER" socat -T 2 \
            "UDP4-RECVFROM:$NAT_SERVER_UDP_PORT,bind=$SERVER_IP,fork" PIPE
    fi
    start_bg outside-http "$NS_OUTSIDE" "$PY" -u "$LAB_DIR/echo_server.py" \
        --bind "$OUTSIDE_IP" --port "$OUTSIDE_HTTP_PORT" --directory "$STATE/www/outside"
    start_bg outside-echo "$NS_OUTSIDE" "$PY" -u "$LAB_DIR/echo_server.py" \
        --bind "$OUTSIDE_IP2" --port "$OUTSIDE_ECHO_PORT"
    # UDP echo: one child per datagram, each child exits after 2 s idle
    start_bg outside-udp "$NS_OUTSIDE" socat -T 2 \
        "UDP4-RECVFROM:$UDP_PORT,bind=$OUTSIDE_IP,fork" PIPE

    wait_listen "$NS_SERVER"  tcp "$file_port"         || die "server http.server did not start: $(tail -n 5 "$STATE/logs/server-http.log")"
    wait_listen "$NS_SERVER"  tcp "$SERVER_ECHO_PORT"  || die "server echo_server did not start: $(tail -n 5 "$STATE/logs/server-echo.log")"
    wait_listen "$NS_OUTSIDE" tcp "$OUTSIDE_HTTP_PORT" || die "outside http.server did not start: $(tail -n 5 "$STATE/logs/outside-http.log")"
    wait_listen "$NS_OUTSIDE" tcp "$OUTSIDE_ECHO_PORT" || die "outside echo_server did not start: $(tail -n 5 "$STATE/logs/outside-echo.log")"
    wait_listen "$NS_OUTSIDE" udp "$UDP_PORT"          || die "outside socat UDP echo did not start: $(tail -n 5 "$STATE/logs/outside-udp.log")"
    if [[ "$LAB_MODE" == nat ]]; then
        wait_listen "$NS_SERVER" tcp "$NAT_SERVER_ECHO_PF_PORT" || die "server echo_server (:$NAT_SERVER_ECHO_PF_PORT) did not start: $(tail -n 5 "$STATE/logs/server-echo-pf.log")"
        wait_listen "$NS_SERVER" udp "$NAT_SERVER_UDP_PORT"     || die "server socat UDP echo did not start: $(tail -n 5 "$STATE/logs/server-udp.log")"
    fi
}

require_up() {
    local ns
    for ns in "${ALL_NS[@]}"; do
        ns_exists "$ns" || die "namespace $ns missing: run '$0 up' first"
    done
}

# --- the appliance ------------------------------------------------------------
appliance_ready() { nsx "$NS_INSIDE" ping -n -q -c 1 -W 1 "$LAN_ADDR" >/dev/null 2>&1; }

wait_ready() {   # wait_ready [PID]: poll ARP/ping of the LAN address, bounded
    local pid=${1:-} deadline=$((SECONDS + READY_TIMEOUT))
    while ((SECONDS < deadline)); do
        if [[ -n "$pid" ]] && ! pid_alive "$pid"; then
            local st=0
            wait "$pid" 2>/dev/null || st=$?    # exit status, when it is our child
            [[ $st -eq 127 ]] && st=unknown
            say "lab: appliance (pid $pid) exited (status $st) before becoming ready; last 40 lines of $STATE/logs/appliance.log:" >&2
            tail -n 40 -- "$STATE/logs/appliance.log" >&2 || true
            return 1
        fi
        appliance_ready && return 0
        sleep 0.3
    done
    say "lab: appliance not ready after ${READY_TIMEOUT}s (no answer from $LAN_ADDR)" >&2
    if [[ -n "$pid" ]]; then
        say "lab: last 40 lines of $STATE/logs/appliance.log:" >&2
        tail -n 40 -- "$STATE/logs/appliance.log" >&2 || true
    fi
    return 1
}

start_linux_router() {
    require_up
    # explicit checks: this may run where set -e is suspended (test's "|| ready=0")
    nsx "$NS_ROUTER" ip addr replace "$WAN_ADDR/24" dev r-wan || die "cannot address r-wan"
    nsx "$NS_ROUTER" ip addr replace "$LAN_ADDR/24" dev r-lan || die "cannot address r-lan"
    if [[ "$LAB_MODE" == nat ]]; then
        start_linux_nat || die "cannot configure the Linux NAT stand-in"
    fi
    nsx "$NS_ROUTER" sysctl -q -w net.ipv4.ip_forward=1 >/dev/null || die "cannot enable ip_forward"
    if [[ "$LAB_MODE" == nat ]]; then printf 'linux-nat\n' >"$STATE/mode"; else printf 'linux\n' >"$STATE/mode"; fi
    local t0=$SECONDS
    wait_ready "" || die "Linux router not reachable"
    if [[ "$LAB_MODE" == nat ]]; then
        info "Linux NAT router ready in $((SECONDS - t0))s (nftables table ip $NFT_TABLE in $NS_ROUTER," \
            "reflection-source $REFL; ruleset: $STATE/linux-nat.nft)"
    else
        info "Linux router ready in $((SECONDS - t0))s (kernel forwarding in $NS_ROUTER)"
    fi
}

# The nftables ruleset that does what lab-nat.yaml (reflection-source $1) asks of Hairpin.
linux_nat_ruleset() {
    local refl=$1 hairpin_rules
    if [[ "$refl" == interface ]]; then
        hairpin_rules="        # reflection-source interface: the server sees the router's LAN address
        ip saddr $LAN_NET oifname \"r-lan\" ct status dnat counter snat to $LAN_ADDR comment \"reflection\""
    else
        hairpin_rules="        # reflection-source mapped: the server sees the client's own public mapping
        ip saddr $SERVER_IP oifname \"r-lan\" ct status dnat counter snat to $ONE_TO_ONE_EXT comment \"reflection: 1:1 server\"
        ip saddr $LAN_NET oifname \"r-lan\" ct status dnat counter snat to $WAN_ADDR comment \"reflection: outbound NAPT\""
    fi
    cat <<EOF
# Linux stand-in for deploy/lab/lab-nat.yaml (reflection-source: $refl), generated by lab.sh.
# Loaded into the ${NS_ROUTER} namespace only. r-wan holds $WAN_ADDR/24 and $ONE_TO_ONE_EXT/32,
# r-lan $LAN_ADDR/24.
table ip $NFT_TABLE {
    chain prerouting {
        type nat hook prerouting priority dstnat; policy accept;
        # port forwards (win over 1:1, as in pfSense), from the Internet ...
        iifname "r-wan" ip daddr $WAN_ADDR tcp dport $PF_TCP_PORT counter dnat to $SERVER_IP:$NAT_SERVER_ECHO_PF_PORT comment "web"
        iifname "r-wan" ip daddr $WAN_ADDR udp dport $PF_UDP_PORT counter dnat to $SERVER_IP:$NAT_SERVER_UDP_PORT comment "udp-echo"
        # ... 1:1 inbound (all protocols, ports unchanged) ...
        iifname "r-wan" ip daddr $ONE_TO_ONE_EXT counter dnat to $SERVER_IP comment "server"
        # ... and reflection: the same translations for LAN clients that use the public addresses
        iifname "r-lan" ip daddr $WAN_ADDR tcp dport $PF_TCP_PORT counter dnat to $SERVER_IP:$NAT_SERVER_ECHO_PF_PORT comment "reflection: web"
        iifname "r-lan" ip daddr $WAN_ADDR udp dport $PF_UDP_PORT counter dnat to $SERVER_IP:$NAT_SERVER_UDP_PORT comment "reflection: udp-echo"
        iifname "r-lan" ip daddr $ONE_TO_ONE_EXT counter dnat to $SERVER_IP comment "reflection: server"
    }
    chain postrouting {
        type nat hook postrouting priority srcnat; policy accept;
        # reflection (hairpin): LAN -> public address -> DNAT -> back out of r-lan. Without this
        # SNAT the server (on the same bridge as the client) would answer the client directly,
        # from its private address, and the client would drop the reply.
$hairpin_rules
        # 1:1 outbound (wins over outbound NAT)
        oifname "r-wan" ip saddr $SERVER_IP counter snat to $ONE_TO_ONE_EXT comment "server"
        # outbound NAPT, translation: interface
        oifname "r-wan" ip saddr $LAN_NET counter masquerade comment "outbound"
    }
    chain input {
        type filter hook input priority filter; policy accept;
        # Hairpin leaves an unsolicited SYN to its NAPT address unanswered unless a host service
        # listens (RFC 5382 REQ-4); Linux would answer with a RST, so the stand-in lists its one service
        iifname "r-wan" ip daddr $WAN_ADDR tcp flags & (syn | ack | rst) == syn tcp dport != $ROUTER_WAN_ECHO_PORT counter drop comment "REQ-4"
    }
    chain forward {
        type filter hook forward priority filter; policy accept;
        # conntrack cannot translate what it does not track: never forward it
        ct state invalid counter drop
    }
    chain leak_guard {
        type filter hook postrouting priority srcnat + 10; policy accept;
        # after SNAT: nothing leaves the external side with a private source (Hairpin: anti-leak rule)
        oifname "r-wan" ip saddr $PRIVATE_NET counter drop
    }
}
EOF
}

# NAT mode of the Linux stand-in: the 1:1 address on r-wan, no ICMP redirects, nftables NAT.
start_linux_nat() {
    if ! command -v nft >/dev/null 2>&1 && [[ ! -x /usr/sbin/nft ]]; then apt_install nftables || return 1; fi
    local nft=nft
    command -v nft >/dev/null 2>&1 || nft=/usr/sbin/nft
    nsx "$NS_ROUTER" ip addr replace "$ONE_TO_ONE_EXT/32" dev r-wan || return 1
    # Hairpin traffic leaves r-lan the way it came: do not tell the client "go direct" (a redirect
    # is sent when all OR the interface allows it, so both are turned off)
    nsx "$NS_ROUTER" sysctl -q -w net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.r-lan.send_redirects=0 \
        >/dev/null || return 1
    linux_nat_ruleset "$REFL" >"$STATE/linux-nat.nft" || return 1
    nsx "$NS_ROUTER" "$nft" -f "$STATE/linux-nat.nft" || { warn "nft rejected $STATE/linux-nat.nft"; return 1; }
    save_refl
}

start_appliance() {
    (($#)) || die "start-appliance needs a command line (or 'linux')"
    if [[ "$1" == linux || "$1" == linux-nat ]]; then start_linux_router; return; fi
    require_up
    if [[ "$LAB_MODE" == nat ]]; then
        if [[ -z "$REFL_REQ" ]]; then
            local cfg_refl
            cfg_refl=$(config_reflection_source "$@")
            [[ -n "$cfg_refl" ]] && { REFL=$cfg_refl; REFL_WHY="from the appliance's --config"; }
        fi
        save_refl
        info "NAT mode: the server must see reflected traffic from the $REFL source ($REFL_WHY)"
    fi
    if [[ -f "$STATE/pids/appliance.pid" ]]; then
        local _ opid
        read -r _ opid <"$STATE/pids/appliance.pid" || true
        if pid_in_ns "${opid:-}" "$NS_ROUTER"; then die "an appliance is already running (pid $opid)"; fi
    fi
    local -a cmd=("$@")
    [[ "$LAB_MODE" == nat ]] && running_config_copy cmd
    info "starting appliance in $NS_ROUTER: ${cmd[*]}"
    start_bg appliance "$NS_ROUTER" "${cmd[@]}" || die "cannot start the appliance"
    local pid=$LAST_PID t0=$SECONDS
    printf 'process %s\n' "$pid" >"$STATE/mode"
    if ! wait_ready "$pid"; then
        stop_pid "$NS_ROUTER" "$pid" 10
        rm -f -- "$STATE/pids/appliance.pid" "$STATE/mode"
        die "appliance did not become ready"
    fi
    info "appliance ready in $((SECONDS - t0))s (pid $pid, log $STATE/logs/appliance.log)"
}

# running_config_copy ARRAY_NAME: NAT mode runs the appliance on a copy of its --config in the
# state dir, because `hairpin apply` (checks o-t) persists to the running config file; the copy
# gets a control socket in the state dir when the file names none, so that labs with different
# prefixes never share one. Records the launcher (the command's first word when it is a
# `hairpin` launcher), the socket and the copy for the control checks.
running_config_copy() {
    local -n _cmd=$1
    local i cfg="" idx=-1 sock
    rm -f -- "$STATE/control.launcher" "$STATE/control.socket" "$STATE/control.config"
    for ((i = 0; i < ${#_cmd[@]}; i++)); do
        if [[ "${_cmd[i]}" == --config ]] && ((i + 1 < ${#_cmd[@]})); then cfg=${_cmd[i + 1]}; idx=$((i + 1)); fi
        if [[ "${_cmd[i]}" == --config=* ]]; then cfg=${_cmd[i]#--config=}; idx=$i; fi
    done
    [[ -n "$cfg" && -r "$cfg" ]] || return 0
    cp -- "$cfg" "$STATE/running.yaml"
    sock=$(sed -n -E 's/^  socket:[[:space:]]*"?([^" #]+)"?.*/\1/p' "$cfg" | head -n 1)
    if [[ -z "$sock" ]]; then
        sock="$STATE/control.sock"
        if grep -q '^control:[[:space:]]*$' "$cfg"; then
            sed -i "s|^control:[[:space:]]*\$|control:\n  socket: $sock  # added by lab.sh: this lab's own socket|" \
                "$STATE/running.yaml"
        else
            printf '\n# added by lab.sh: this lab'"'"'s own control socket\ncontrol:\n  socket: %s\n' "$sock" \
                >>"$STATE/running.yaml"
        fi
    fi
    if [[ "${_cmd[idx]}" == --config=* ]]; then _cmd[idx]="--config=$STATE/running.yaml"; else _cmd[idx]="$STATE/running.yaml"; fi
    [[ "$(basename -- "${_cmd[0]}")" == hairpin ]] && printf '%s\n' "${_cmd[0]}" >"$STATE/control.launcher"
    printf '%s\n' "${sock:-/run/hairpin/control.sock}" >"$STATE/control.socket"
    printf '%s\n' "$STATE/running.yaml" >"$STATE/control.config"
    info "NAT mode: the appliance runs on a copy of $cfg ($STATE/running.yaml), control socket ${sock:-/run/hairpin/control.sock}"
}

# The reflection source the running appliance was started with, for later `checks`.
save_refl() { printf '%s\n%s\n' "$REFL" "$REFL_WHY" >"$STATE/reflection-source"; }
load_refl() {
    [[ -z "$REFL_REQ" && -r "$STATE/reflection-source" ]] || return 0
    { read -r REFL; read -r REFL_WHY; } <"$STATE/reflection-source" || true
    [[ "$REFL" == mapped || "$REFL" == interface ]] || { REFL=mapped; REFL_WHY=default; }
}

# config_reflection_source CMD... : "mapped" or "interface" when CMD has --config FILE (or
# --config=FILE) and FILE sets the global nat reflection-source; nothing otherwise.
config_reflection_source() {
    local cfg="" prev="" a v
    for a in "$@"; do
        [[ "$prev" == --config ]] && cfg=$a
        [[ "$a" == --config=* ]] && cfg=${a#--config=}
        prev=$a
    done
    [[ -n "$cfg" && -r "$cfg" ]] || return 0
    # the nat section's own key: two-space indent, block style (as lab-nat*.yaml)
    v=$(sed -n -E 's/^  reflection-source:[[:space:]]*([a-z]+).*/\1/p' "$cfg" | head -n 1)
    [[ "$v" == mapped || "$v" == interface ]] && printf '%s\n' "$v"
    return 0
}

# --- checks -------------------------------------------------------------------
# report_checked NUM DESCRIPTION RC OUT CHECKED: a control command's output (OUT, its exit code RC)
# read by a python check (CHECKED: a line "ok ..." per thing seen, "BAD ..." per problem)
report_checked() {
    local num=$1 what=$2 rc=$3 out=$4 checked=$5
    if [[ $rc -ne 0 ]]; then
        report FAIL "$num" "$what" "rc=$rc: $(oneline <<<"$out")"
    elif grep -q '^BAD\|Traceback' <<<"$checked"; then
        report FAIL "$num" "$what" "$(oneline <<<"$checked")"
    else
        report PASS "$num" "$what" "$(sed 's/^ok //' <<<"$checked" | paste -sd ';' | sed 's/;/; /g')"
    fi
}

report() {   # report PASS|FAIL NUM DESCRIPTION SEEN
    local verdict=$1 num=$2 what=$3 seen=$4
    if [[ "$verdict" == PASS ]]; then PASS_N=$((PASS_N + 1)); else FAIL_N=$((FAIL_N + 1)); fi
    printf '%s %-5s %-62s %s\n' "$verdict" "($num)" "$what" "[$seen]"
}

oneline() { tr '\n\r' '  ' | sed -e 's/  */ /g' -e 's/^ //' -e 's/ $//' | cut -c1-140; }

# run_cap VAR CMD... : capture stdout+stderr into VAR and rc into RC, never fail
run_cap() {
    local __var=$1; shift
    local __out
    __out=$("$@" 2>&1) && RC=0 || RC=$?
    printf -v "$__var" '%s' "$__out"
}

check_ping() {   # check_ping NUM DESC NS DST EXPECT_TTL|""
    local num=$1 what=$2 ns=$3 dst=$4 want_ttl=$5 out ttl from
    run_cap out nsx "$ns" ping -n -c 1 -i 0.5 -w 3 -W 2 "$dst"
    ttl=$(grep -o 'ttl=[0-9]*' <<<"$out" | head -n 1 | cut -d= -f2 || true)
    from=$(sed -n -E 's/^[0-9]+ bytes from ([0-9.]+):.*/\1/p' <<<"$out" | head -n 1)
    if [[ $RC -eq 0 && -n "$ttl" ]]; then
        if [[ "$from" != "$dst" ]]; then   # a NAT that forgets to translate the reply's source
            report FAIL "$num" "$what" "reply from ${from:-?} ttl=$ttl, expected a reply from $dst"
        elif [[ -z "$want_ttl" || "$ttl" == "$want_ttl" ]]; then
            report PASS "$num" "$what" "reply from $from ttl=$ttl$([[ -n "$want_ttl" ]] && printf ' (expected %s)' "$want_ttl")"
        else
            report FAIL "$num" "$what" "reply from $dst ttl=$ttl, expected ttl=$want_ttl"
        fi
    else
        report FAIL "$num" "$what" "no reply (rc=$RC): $(grep -v '^PING\|^---\|^$' <<<"$out" | oneline)"
    fi
}

check_http() {   # check_http NUM DESC NS URL EXPECTED_BODY [LABEL]
    local num=$1 what=$2 ns=$3 url=$4 want=$5 label=${6:-body} out
    run_cap out nsx "$ns" curl -sS --noproxy '*' --connect-timeout 3 --max-time 5 "$url"
    out=${out%$'\n'}
    if [[ $RC -eq 0 && "$out" == "$want" ]]; then
        report PASS "$num" "$what" "$label \"$out\""
    elif [[ $RC -eq 0 ]]; then
        report FAIL "$num" "$what" "$label \"$(oneline <<<"$out")\", expected \"$want\""
    else
        report FAIL "$num" "$what" "curl rc=$RC: $(oneline <<<"$out")"
    fi
}

check_udp() {   # check_udp NUM [NS DST PORT DESC]: a token sent with socat must come back
    local num=$1 ns=${2:-$NS_INSIDE} dst=${3:-$OUTSIDE_IP} port=${4:-$UDP_PORT} token out
    local what=${5:-"inside -> $OUTSIDE_IP:$UDP_PORT UDP echo (socat)"}
    token="hairpin-udp-$$-$RANDOM"
    run_cap out nsx "$ns" timeout 5 socat -t 2 - "UDP4:$dst:$port" <<<"$token"
    out=${out%$'\n'}
    if [[ "$out" == "$token" ]]; then
        report PASS "$num" "$what" "echoed \"$out\""
    else
        report FAIL "$num" "$what" "sent \"$token\", got \"$(oneline <<<"$out")\" (rc=$RC)"
    fi
}

check_ttl_exceeded() {
    local num=$1 out line
    run_cap out nsx "$NS_INSIDE" ping -n -c 2 -i 0.3 -W 2 -t 1 "$OUTSIDE_IP"
    line=$(grep -m1 -i 'time to live exceeded' <<<"$out" || true)
    if [[ -n "$line" && "$line" == "From $LAN_ADDR "* ]]; then
        report PASS "$num" "inside ping -t 1 $OUTSIDE_IP: ICMP time exceeded" "$(oneline <<<"$line")"
    else
        report FAIL "$num" "inside ping -t 1 $OUTSIDE_IP: ICMP time exceeded" \
            "expected 'From $LAN_ADDR ... Time to live exceeded', saw: $(grep -v '^PING\|^---\|^$' <<<"$out" | oneline)"
    fi
}

run_checks() {
    if [[ "$LAB_MODE" == nat ]]; then run_nat_checks; else run_router_checks; fi
}

run_router_checks() {
    check_ping 1 "inside -> appliance LAN $LAN_ADDR (ping)" "$NS_INSIDE" "$LAN_ADDR" ""
    check_ping 2 "outside -> appliance WAN $WAN_ADDR (ping)" "$NS_OUTSIDE" "$WAN_ADDR" ""
    check_ping 3 "inside -> outside $OUTSIDE_IP via appliance, 1 hop (ping)" "$NS_INSIDE" "$OUTSIDE_IP" 63
    check_http 4 "outside -> server http://$SERVER_IP:$SERVER_HTTP_PORT/hello.txt (curl)" "$NS_OUTSIDE" \
        "http://$SERVER_IP:$SERVER_HTTP_PORT/hello.txt" "$SERVER_BODY"
    check_http 5 "inside -> outside http://$OUTSIDE_IP:$OUTSIDE_HTTP_PORT/hello.txt (curl)" "$NS_INSIDE" \
        "http://$OUTSIDE_IP:$OUTSIDE_HTTP_PORT/hello.txt" "$OUTSIDE_BODY"
    check_http 6 "inside -> outside echo $OUTSIDE_IP2:$OUTSIDE_ECHO_PORT: source outside sees" "$NS_INSIDE" \
        "http://$OUTSIDE_IP2:$OUTSIDE_ECHO_PORT/" "$EXPECT_OUTBOUND_SRC" "outside saw"
    check_udp 7
    check_ttl_exceeded 8
    check_host_service 9 "$NS_INSIDE" "$LAN_ADDR" "$ROUTER_ECHO_PORT" "$INSIDE_IP"
}

# A host service in the router namespace on one of the appliance's own addresses: with the DPDK
# appliance, traffic to it crosses the exception path (the interface's TAP) both ways.
# check_host_service NUM CLIENT_NS ADDRESS PORT CLIENT_IP
check_host_service() {
    local num=$1 ns=$2 addr=$3 port=$4 client=$5
    local what="${ns#"$P"} -> host service on the appliance $addr:$port (exception path)"
    if ! wait_listen "$NS_ROUTER" tcp "$port"; then
        start_router_echo "$num" "$what" "$addr" "$port" || return
    fi
    check_http "$num" "$what" "$ns" "http://$addr:$port/" "$client" "the appliance's host saw"
}

# start_router_echo NUM WHAT ADDR PORT: an echo_server.py bound to ADDR:PORT in the router
# namespace (a host service on the appliance); unless it then listens, a FAIL report for NUM and status 1
start_router_echo() {
    local num=$1 what=$2 addr=$3 port=$4
    start_bg "router-echo-$port" "$NS_ROUTER" "$PY" -u "$LAB_DIR/echo_server.py" --bind "$addr" --port "$port" \
        >/dev/null 2>&1 || true
    wait_listen "$NS_ROUTER" tcp "$port" && return 0
    report FAIL "$num" "$what" "could not start a server on $addr:$port in $NS_ROUTER: $(tail -n 3 "$STATE/logs/router-echo-$port.log" 2>/dev/null | oneline)"
    return 1
}

# (u) RFC 5382 REQ-4: an unsolicited SYN to the NAPT address is not answered while no host service
# listens on its port (the internal host's own SYN may be on its way: simultaneous open). A RST
# makes curl fail at once with "connection refused" (rc 7); silence makes it time out (rc 28).
check_closed_port_silent() {
    local num=$1 out what="outside -> closed port $WAN_ADDR:$ROUTER_CLOSED_PORT: no RST (RFC 5382 REQ-4)"
    if listening "$NS_ROUTER" tcp "$ROUTER_CLOSED_PORT"; then
        report FAIL "$num" "$what" "something listens on port $ROUTER_CLOSED_PORT in $NS_ROUTER"
        return
    fi
    run_cap out nsx "$NS_OUTSIDE" curl -sS --noproxy '*' --connect-timeout 2 --max-time 3 \
        "http://$WAN_ADDR:$ROUTER_CLOSED_PORT/"
    if [[ $RC -eq 28 ]]; then
        report PASS "$num" "$what" "no answer within 2 s (curl rc=28)"
    else
        report FAIL "$num" "$what" "curl rc=$RC, expected a timeout (28): $(oneline <<<"$out")"
    fi
}

# (y) a flood of UDP from outside to a closed port of the appliance's WAN address for 1 s: every
# such packet is the kernel's work behind the exception path, so each worker hands the kernel at
# most its burst and rate (the interface's exception-path-rate, a tenth of it as burst) and counts
# the rest as the drop kernel_policed; the host service of (t) on the same address answers right
# after. The rate is lowered below the default by an apply first, so the bound shows it took.
KERNEL_RATE=2000
check_kernel_policed() {
    local num=$1 running=$2 limited="$STATE/apply-policed.yaml" out before after flood body rc
    local what="a flood to the appliance's own address is policed on its way to the kernel"
    sed "s#{name: wan, #{name: wan, exception-path-rate: $KERNEL_RATE, #" "$running" >"$limited"
    if ! grep -q "exception-path-rate: $KERNEL_RATE" "$limited"; then
        report FAIL "$num" "$what" "no '{name: wan, ' in $running to set exception-path-rate on"
        return
    fi
    run_cap out hairpin_client apply "$limited"
    if [[ $RC -ne 0 ]]; then
        report FAIL "$num" "$what" "applying exception-path-rate: $KERNEL_RATE: rc=$RC: $(oneline <<<"$out")"
        return
    fi
    run_cap before hairpin_client stats --json
    run_cap flood nsx "$NS_OUTSIDE" timeout 10 "$PY" -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setblocking(False)
sent, t0 = 0, time.monotonic()
while time.monotonic() - t0 < 1.0:
    for _ in range(64):
        try:
            s.sendto(b"flood", (sys.argv[1], int(sys.argv[2])))
            sent += 1
        except BlockingIOError:
            pass
print(sent, time.monotonic() - t0)
' "$WAN_ADDR" "$ROUTER_CLOSED_PORT"
    rc=$RC
    run_cap after hairpin_client stats --json
    run_cap body nsx "$NS_OUTSIDE" curl -sS --noproxy '*' --connect-timeout 3 --max-time 5 \
        "http://$WAN_ADDR:$ROUTER_WAN_ECHO_PORT/"
    if [[ $rc -ne 0 ]]; then
        report FAIL "$num" "$what" "the flood did not run: rc=$rc: $(oneline <<<"$flood")"
        return
    fi
    report_checked "$num" "$what" 0 "" "$(python3 -c '
import json, sys
before, after = json.loads(sys.argv[1]), json.loads(sys.argv[2])
sent, seconds = sys.argv[3].split()
burst, rate, body = int(sys.argv[4]), int(sys.argv[5]), sys.argv[6].strip()
def delta(name):
    return after["events"][name] - before["events"][name]
workers = len(after["workers"])
# the stats were read up to a second around the flood
most = workers * (burst + rate * (float(seconds) + 1.0))
kernel, policed = delta("to_kernel"), delta("kernel_policed")
print(("ok " if kernel <= most else "BAD ") + "the kernel got %d packets of the %s sent (at most %d at %d/s for %d worker(s))"
      % (kernel, sent, most, rate, workers))
print(("ok " if policed > 0 else "BAD ") + "%d dropped as kernel_policed" % policed)
print(("ok " if body.startswith(sys.argv[7]) else "BAD ") + "the host service answered %r" % body[:60])
' "$before" "$after" "$flood" "$((KERNEL_RATE / 10))" "$KERNEL_RATE" "$body" "$OUTSIDE_IP" 2>&1)"
}

# --- NAT checks (lab-nat.yaml) ----------------------------------------------------
# refl_expect CLIENT_IP: the source the server must see for CLIENT_IP's reflected traffic
refl_expect() {
    if [[ "$REFL" == interface ]]; then printf '%s\n' "$LAN_ADDR"      # the appliance's LAN address
    elif [[ "$1" == "$SERVER_IP" ]]; then printf '%s\n' "$ONE_TO_ONE_EXT"   # its own 1:1 address
    else printf '%s\n' "$WAN_ADDR"; fi                                  # its outbound NAPT address
}

run_nat_checks() {
    local hp_in hp_srv
    hp_in=$(refl_expect "$INSIDE_IP"); hp_srv=$(refl_expect "$SERVER_IP")
    info "NAT checks: reflection-source $REFL ($REFL_WHY): the server must see $hp_in for inside, $hp_srv for itself"
    capture_start
    check_http a "outside -> 1:1 http://$ONE_TO_ONE_EXT:$SERVER_ECHO_PORT/: source server sees" "$NS_OUTSIDE" \
        "http://$ONE_TO_ONE_EXT:$SERVER_ECHO_PORT/" "$OUTSIDE_IP" "server saw"
    check_http b "server -> outside echo $OUTSIDE_IP2:$OUTSIDE_ECHO_PORT: 1:1 outbound source" "$NS_SERVER" \
        "http://$OUTSIDE_IP2:$OUTSIDE_ECHO_PORT/" "$ONE_TO_ONE_EXT" "outside saw"
    check_http c "outside -> port forward http://$WAN_ADDR:$PF_TCP_PORT/: source server sees" "$NS_OUTSIDE" \
        "http://$WAN_ADDR:$PF_TCP_PORT/" "$OUTSIDE_IP" "server saw"
    check_udp d "$NS_OUTSIDE" "$WAN_ADDR" "$PF_UDP_PORT" "outside -> port forward udp $WAN_ADDR:$PF_UDP_PORT: server's echo (socat)"
    check_http e "inside -> outside echo $OUTSIDE_IP2:$OUTSIDE_ECHO_PORT: outbound NAPT source" "$NS_INSIDE" \
        "http://$OUTSIDE_IP2:$OUTSIDE_ECHO_PORT/" "$WAN_ADDR" "outside saw"
    check_http f "hairpin: inside -> 1:1 http://$ONE_TO_ONE_EXT:$SERVER_ECHO_PORT/ ($REFL)" "$NS_INSIDE" \
        "http://$ONE_TO_ONE_EXT:$SERVER_ECHO_PORT/" "$hp_in" "server saw"
    check_http g "hairpin: inside -> port forward http://$WAN_ADDR:$PF_TCP_PORT/ ($REFL)" "$NS_INSIDE" \
        "http://$WAN_ADDR:$PF_TCP_PORT/" "$hp_in" "server saw"
    check_http h "hairpin: server -> its own 1:1 http://$ONE_TO_ONE_EXT:$SERVER_ECHO_PORT/ ($REFL)" "$NS_SERVER" \
        "http://$ONE_TO_ONE_EXT:$SERVER_ECHO_PORT/" "$hp_srv" "server saw"
    check_ping i "outside -> 1:1 $ONE_TO_ONE_EXT (ping)" "$NS_OUTSIDE" "$ONE_TO_ONE_EXT" ""
    check_ping j "hairpin: inside -> 1:1 $ONE_TO_ONE_EXT (ping)" "$NS_INSIDE" "$ONE_TO_ONE_EXT" ""
    check_host_service t "$NS_OUTSIDE" "$WAN_ADDR" "$ROUTER_WAN_ECHO_PORT" "$OUTSIDE_IP"
    check_closed_port_silent u
    check_bulk l
    capture_stop
    check_capture k
    run_control_checks
}

# --- control-plane checks (NAT mode, an appliance started through a hairpin launcher) ----------
# o-p: the myip responder on the LAN address answers each host with the address it is seen as;
# q: `hairpin cpnat` agrees; w: `hairpin stats` counted the checks' packets for each NAT rule;
# r: `hairpin apply` of a config with a new 1:1 rule (inside client -> APPLY_EXT) takes effect
# without a restart; s: a broken file is refused, the running file and rules stay as they were;
# z: the WAN address renumbered by apply and back (check_renumbered).
APPLY_EXT=203.0.113.30

hairpin_client() {   # hairpin_client ARGS... : the launcher against this lab's control socket
    "$(cat "$STATE/control.launcher")" --socket "$(cat "$STATE/control.socket")" "$@"
}

appliance_pid() { local _ pid; read -r _ pid <"$STATE/pids/appliance.pid" 2>/dev/null && printf '%s\n' "$pid"; }

run_control_checks() {
    if [[ ! -s "$STATE/control.launcher" || ! -s "$STATE/control.config" ]]; then
        info "control checks o-s and v-z skipped: the appliance was not started as 'hairpin run --config FILE'"
        return 0
    fi
    local running new broken out pid_before want got
    running=$(cat "$STATE/control.config")
    cp -- "$running" "$STATE/apply-orig.yaml"   # for (z), which puts it back
    check_http o "myip: server -> http://$LAN_ADDR/myip is its 1:1 address" "$NS_SERVER" \
        "http://$LAN_ADDR/myip" "$ONE_TO_ONE_EXT" "answered"
    check_http p "myip: inside -> http://$LAN_ADDR/myip is its outbound NAT address" "$NS_INSIDE" \
        "http://$LAN_ADDR/myip" "$WAN_ADDR" "answered"

    run_cap out hairpin_client cpnat --host "$SERVER_IP"
    want="$SERVER_IP $ONE_TO_ONE_EXT"
    if [[ $RC -eq 0 ]] && grep -qxF -- "$want" <<<"$out"; then
        report PASS q "hairpin cpnat --host $SERVER_IP agrees with myip" "\"$(oneline <<<"$out")\""
    else
        report FAIL q "hairpin cpnat --host $SERVER_IP agrees with myip" "rc=$RC: \"$(oneline <<<"$out")\", expected a line \"$want\""
    fi

    # v: status lists the host service of (t), which the appliance found among the kernel's listeners
    run_cap out hairpin_client status
    want="$WAN_ADDR:$ROUTER_WAN_ECHO_PORT"
    if [[ $RC -eq 0 ]] && grep -E '^host services +tcp ' <<<"$out" | grep -qF -- "$want"; then
        report PASS v "hairpin status lists the host service $want" "$(grep -E '^host services' <<<"$out" | oneline)"
    else
        report FAIL v "hairpin status lists the host service $want" "rc=$RC: $(grep -E '^host services' <<<"$out" | oneline)"
    fi

    # w: every rule the checks above used counted their packets for it, and the stateful ones
    # their sessions, of which those not yet ended are active (hairpin stats, per rule)
    run_cap out hairpin_client stats --json
    local stats_rc=$RC
    got=$(python3 -c '
import json, sys
rules = json.load(sys.stdin).get("rules", [])
for r in rules:
    label = (r["kind"] + " #" + str(r["number"]) + " " + (r["description"] or "")).strip()
    stateful = r["kind"] != "1:1"
    ok = (r["packets"] > 0 and r["bytes"] >= 20 * r["packets"] and (r["sessions"] > 0 or not stateful)
          and 0 <= r["active"] <= r["sessions"])
    print(("ok " if ok else "BAD ") + label + ": " + str(r["packets"]) + " packets, " + str(r["bytes"])
          + " bytes, " + str(r["sessions"]) + " sessions, " + str(r["active"]) + " active")
if not rules:
    print("BAD no rules listed")
elif sum(r["active"] for r in rules) == 0:
    print("BAD no rule has an active session, though the checks just opened some")
' <<<"$out" 2>&1)
    report_checked w "hairpin stats: every NAT rule counted the checks' packets (and sessions)" \
        "$stats_rc" "$out" "$got"

    # x: every session the checks left names the rule that opened it, one of those stats lists
    local stats_json=$out
    run_cap out hairpin_client sessions --json
    local sessions_rc=$RC
    got=$(python3 -c '
import json, sys
rules = {(r["kind"] + " #" + str(r["number"]) + " " + (r["description"] or "")).strip()
         for r in json.loads(sys.argv[1]).get("rules", [])}
sessions = json.load(sys.stdin).get("sessions", [])
named = {}
for s in sessions:
    rule = s.get("rule") or "-"
    if rule.removesuffix(", reflected") not in rules:
        print("BAD " + s["protocol"] + " " + s["inside"] + " > " + s["remote"] + " names " + rule)
    named[rule] = named.get(rule, 0) + 1
if not sessions:
    print("BAD no sessions listed")
for r, n in sorted(named.items()):
    print("ok " + str(n) + " by " + r)
' "$stats_json" <<<"$out" 2>&1)
    report_checked x "hairpin sessions: each session names the rule that opened it" "$sessions_rc" "$out" "$got"

    check_kernel_policed y "$running"

    # r: the running config plus a 1:1 rule for the inside client, applied while running
    new="$STATE/apply-new.yaml"
    sed "/^  one-to-one:/a\\    - {interface: wan, external: $APPLY_EXT, internal: $INSIDE_IP, description: applied by lab}" \
        "$running" >"$new"
    pid_before=$(appliance_pid)
    run_cap out hairpin_client apply "$new"
    local applied_rc=$RC applied_out=$out
    run_cap got nsx "$NS_INSIDE" curl -sS --noproxy '*' --connect-timeout 3 --max-time 5 \
        "http://$OUTSIDE_IP2:$OUTSIDE_ECHO_PORT/"
    got=${got%$'\n'}
    local what="hairpin apply: new 1:1 $APPLY_EXT <-> $INSIDE_IP takes effect without a restart"
    if [[ $applied_rc -ne 0 ]]; then
        report FAIL r "$what" "apply rc=$applied_rc: $(oneline <<<"$applied_out")"
    elif [[ "$got" != "$APPLY_EXT" ]]; then
        report FAIL r "$what" "outside saw \"$(oneline <<<"$got")\" from inside after apply, expected $APPLY_EXT"
    elif [[ "$(appliance_pid)" != "$pid_before" ]] || ! pid_in_ns "$pid_before" "$NS_ROUTER"; then
        report FAIL r "$what" "the appliance process changed or died (pid $pid_before)"
    elif ! cmp -s "$new" "$running"; then
        report FAIL r "$what" "the running config file $running is not the applied file"
    else
        report PASS r "$what" "outside saw $got; pid $pid_before; $(oneline <<<"$applied_out")"
    fi

    # s: the same file with an invalid address: refused with file:line:column, nothing changes
    broken="$STATE/apply-broken.yaml"
    sed "s/external: $APPLY_EXT,/external: $APPLY_EXT.7,/" "$new" >"$broken"
    want=$(sha256sum <"$running")
    run_cap out hairpin_client apply "$broken"
    local broken_rc=$RC broken_out=$out
    run_cap got nsx "$NS_INSIDE" curl -sS --noproxy '*' --connect-timeout 3 --max-time 5 \
        "http://$OUTSIDE_IP2:$OUTSIDE_ECHO_PORT/"
    got=${got%$'\n'}
    what="hairpin apply of a broken file is refused; the running rules and file stay"
    if [[ $broken_rc -eq 0 ]]; then
        report FAIL s "$what" "apply accepted it: $(oneline <<<"$broken_out")"
    elif ! grep -qE -- "$(basename -- "$broken"):[0-9]+:[0-9]+: " <<<"$broken_out"; then
        report FAIL s "$what" "rc=$broken_rc but no file:line:column error: $(oneline <<<"$broken_out")"
    elif [[ "$(sha256sum <"$running")" != "$want" ]]; then
        report FAIL s "$what" "the running config file $running changed"
    elif [[ "$got" != "$APPLY_EXT" ]]; then
        report FAIL s "$what" "outside saw \"$(oneline <<<"$got")\" from inside, expected $APPLY_EXT (the applied rules)"
    else
        report PASS s "$what" "rc=$broken_rc: $(grep -m1 -E ':[0-9]+:[0-9]+: ' <<<"$broken_out" | oneline); outside still saw $got"
    fi

    check_renumbered z "$STATE/apply-orig.yaml"
}

# (z) the WAN renumbered by apply while running (an ISP moving the address): the file as the lab
# started it, with WAN_ADDR replaced by RENUMBERED_WAN_ADDR in the interface and the port
# forwards. Outbound NAPT then leaves from the new address, the port forward answers on it, a host
# service bound to it is reached through the exception path (the kernel side has the address),
# and the old address answers no ping. Applying the lab's own file back restores all of it.
check_renumbered() {
    local num=$1 orig=$2 moved="$STATE/apply-renumbered.yaml" out
    local new=$RENUMBERED_WAN_ADDR port=$RENUMBERED_ECHO_PORT
    local what="hairpin apply: WAN $WAN_ADDR renumbered to $new and back while running"
    sed -e "s#addresses: \[$WAN_ADDR/#addresses: [$new/#" -e "s#\"$WAN_ADDR:#\"$new:#g" "$orig" >"$moved"
    run_cap out hairpin_client apply "$moved"
    if [[ $RC -ne 0 ]]; then report FAIL "$num" "$what" "apply rc=$RC: $(oneline <<<"$out")"; return; fi
    start_router_echo "$num" "$what" "$new" "$port" || return
    seen_as "$num" "$what" "$NS_INSIDE" "http://$OUTSIDE_IP2:$OUTSIDE_ECHO_PORT/" "$new" || return
    seen_as "$num" "$what" "$NS_OUTSIDE" "http://$new:$PF_TCP_PORT/" "$OUTSIDE_IP" || return
    seen_as "$num" "$what" "$NS_OUTSIDE" "http://$new:$port/" "$OUTSIDE_IP" || return
    if nsx "$NS_OUTSIDE" ping -n -q -c 1 -W 1 "$WAN_ADDR" >/dev/null 2>&1; then
        report FAIL "$num" "$what" "the old address $WAN_ADDR still answers ping"
        return
    fi
    run_cap out hairpin_client apply "$orig"
    if [[ $RC -ne 0 ]]; then report FAIL "$num" "$what" "applying $orig back: rc=$RC: $(oneline <<<"$out")"; return; fi
    seen_as "$num" "$what" "$NS_OUTSIDE" "http://$WAN_ADDR:$PF_TCP_PORT/" "$OUTSIDE_IP" || return
    report PASS "$num" "$what" "inside left as $new, port forward and host service answered on it, $WAN_ADDR silent; back on $WAN_ADDR"
}

# seen_as NUM WHAT NS URL WANT: curl URL from NS; unless the body (the source the far side saw)
# is WANT, a FAIL report for NUM and status 1
seen_as() {
    local num=$1 what=$2 ns=$3 url=$4 want=$5 got
    run_cap got nsx "$ns" curl -sS --noproxy '*' --connect-timeout 3 --max-time 5 "$url"
    got=${got%$'\n'}
    [[ "$got" == "$want" ]] && return 0
    report FAIL "$num" "$what" "${ns#"$P"} -> $url: \"$(oneline <<<"$got")\", expected $want"
    return 1
}

# (l) a 256 KiB file from the server through 1:1 to outside: many full-size segments, and the
# capture of (k) checks every checksum of them. Runs before (k) so the capture covers it.
check_bulk() {
    local num=$1 url="http://$ONE_TO_ONE_EXT:$NAT_SERVER_FILE_PORT/blob.bin" out want got
    local what="outside -> 1:1 $url ($BLOB_KIB KiB, sha256)"
    rm -f -- "$STATE/logs/blob.out"
    run_cap out nsx "$NS_OUTSIDE" curl -sS --noproxy '*' --connect-timeout 3 --max-time 10 -o "$STATE/logs/blob.out" "$url"
    if [[ $RC -ne 0 ]]; then report FAIL "$num" "$what" "curl rc=$RC: $(oneline <<<"$out")"; return; fi
    want=$(sha256sum <"$STATE/www/server/blob.bin" | cut -c1-16)
    got=$(sha256sum <"$STATE/logs/blob.out" | cut -c1-16)
    if [[ "$got" == "$want" ]]; then
        report PASS "$num" "$what" "$(stat -c %s "$STATE/logs/blob.out") bytes, sha256 $got... matches"
    else
        report FAIL "$num" "$what" "$(stat -c %s "$STATE/logs/blob.out") bytes, sha256 $got..., expected $want..."
    fi
}

# (k) capture on the external side: outside's eth0, from before the first NAT check to after the last
CAP_PID=""
CAP_ERR=""
capture_start() {
    local i
    CAP_FILE="$STATE/logs/outside-eth0.pcap"
    rm -f -- "$CAP_FILE"
    CAP_PID=""; CAP_ERR=""
    # bounded twice: CAPTURE_MAX seconds and 100000 packets; -U writes each packet at once
    start_bg capture "$NS_OUTSIDE" timeout "$CAPTURE_MAX" tcpdump -i eth0 -n -U -s 0 -Z root -c 100000 -w "$CAP_FILE" \
        || { CAP_ERR="cannot start tcpdump"; return 0; }
    CAP_PID=$LAST_PID
    for ((i = 0; i < 50; i++)); do   # <= 5 s until tcpdump reports it is listening
        grep -q 'listening on' "$STATE/logs/capture.log" 2>/dev/null && return 0
        pid_alive "$CAP_PID" || break
        sleep 0.1
    done
    CAP_ERR="tcpdump not capturing: $(tail -n 3 "$STATE/logs/capture.log" 2>/dev/null | oneline)"
    capture_stop
}

capture_stop() {
    [[ -n "$CAP_PID" ]] || return 0
    stop_pid "$NS_OUTSIDE" "$CAP_PID" 5
    rm -f -- "$STATE/pids/capture.pid"
    CAP_PID=""
}

check_capture() {
    local num=$1 what="external capture: no $PRIVATE_NET source, no bad IP/TCP/UDP/ICMP checksum"
    local filter total nip bad rc
    if [[ -n "$CAP_ERR" ]]; then report FAIL "$num" "$what" "$CAP_ERR"; return; fi
    if [[ ! -s "$CAP_FILE" ]]; then report FAIL "$num" "$what" "no capture file $CAP_FILE"; return; fi
    # A TCP checksum of 0xffff where 0x0000 was computed verifies (one's complement has two
    # zeros); Linux writes it itself (skb_checksum_help: csum_fold() ?: CSUM_MANGLED_0), about one
    # packet in 65536, and tshark calls it "Bad" (RFC 1624's "should not"): not counted as bad.
    filter="ip.src==$PRIVATE_NET or ip.checksum.status==\"Bad\""
    filter+=" or (tcp.checksum.status==\"Bad\" and not (tcp.checksum==0xffff and tcp.checksum_calculated==0x0000))"
    filter+=" or udp.checksum.status==\"Bad\" or icmp.checksum.status==\"Bad\""
    total=$(timeout 30 tshark -r "$CAP_FILE" -T fields -e frame.number 2>/dev/null | wc -l) || true
    nip=$(timeout 30 tshark -r "$CAP_FILE" -Y ip -T fields -e frame.number 2>/dev/null | wc -l) || true
    bad=$(timeout 30 tshark -r "$CAP_FILE" -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
        -o udp.check_checksum:TRUE -Y "$filter" 2>"$STATE/logs/tshark.err") && rc=0 || rc=$?
    if [[ $rc -ne 0 ]]; then
        report FAIL "$num" "$what" "tshark rc=$rc: $(oneline <"$STATE/logs/tshark.err")"
    elif ((nip == 0)); then
        report FAIL "$num" "$what" "capture has $total frames but no IPv4 packet: nothing was checked"
    elif [[ -n "$bad" ]]; then
        report FAIL "$num" "$what" "$(wc -l <<<"$bad") of $nip IPv4 packets match, first: $(head -n 1 <<<"$bad" | oneline)"
    else
        report PASS "$num" "$what" "$nip IPv4 packets ($total frames) in $(basename -- "$CAP_FILE"), 0 match"
    fi
}

summary() { say "$PASS_N passed, $FAIL_N failed"; }

cmd_checks() {
    require_up
    run_checks
    summary
    ((FAIL_N == 0))
}

check_appliance_alive() {
    local num=$1 mode pid
    mode=$(cat -- "$STATE/mode" 2>/dev/null || true)
    case "$mode" in
        linux)
            if [[ "$(nsx "$NS_ROUTER" sysctl -n net.ipv4.ip_forward 2>/dev/null)" == 1 ]]; then
                report PASS "$num" "appliance still running after the checks" "Linux router: ip_forward=1 in $NS_ROUTER"
            else
                report FAIL "$num" "appliance still running after the checks" "Linux router: ip_forward is off"
            fi ;;
        linux-nat)
            if [[ "$(nsx "$NS_ROUTER" sysctl -n net.ipv4.ip_forward 2>/dev/null)" == 1 ]] \
                && nsx "$NS_ROUTER" nft list table ip "$NFT_TABLE" >/dev/null 2>&1; then
                report PASS "$num" "appliance still running after the checks" "Linux NAT router: ip_forward=1, nft table $NFT_TABLE in $NS_ROUTER"
            else
                report FAIL "$num" "appliance still running after the checks" "Linux NAT router: ip_forward off or nft table $NFT_TABLE gone"
            fi ;;
        process\ *)
            pid=${mode#process }
            if pid_in_ns "$pid" "$NS_ROUTER"; then
                report PASS "$num" "appliance still running after the checks" "pid $pid alive in $NS_ROUTER"
            else
                report FAIL "$num" "appliance still running after the checks" "pid $pid is gone; log tail: $(tail -n 3 -- "$STATE/logs/appliance.log" 2>/dev/null | oneline)"
            fi ;;
        *) report FAIL "$num" "appliance still running after the checks" "no appliance was started" ;;
    esac
}

pid_alive() {   # live, non-zombie process?
    local st
    [[ "$1" =~ ^[0-9]+$ && -r "/proc/$1/stat" ]] || return 1
    st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [[ -n "$st" && "$st" != Z && "$st" != X ]]
}

recorded_pids() {   # PIDs of every process the lab recorded (pid files)
    local f ns pid
    for f in "$STATE"/pids/*.pid; do
        [[ -f "$f" ]] || continue
        read -r ns pid <"$f" || true
        [[ -n "${pid:-}" ]] && printf '%s\n' "$pid"
    done
    return 0
}

# check_torn_down NUM PID... : namespaces gone, pid files gone, PIDs dead
check_torn_down() {
    local num=$1 ns pid left=() procs=(); shift
    for ns in "${ALL_NS[@]}"; do ns_exists "$ns" && left+=("$ns"); done
    for pid in "$@"; do pid_alive "$pid" && procs+=("pid:$pid"); done
    compgen -G "$STATE/pids/*.pid" >/dev/null && procs+=(pidfiles)
    if ((${#left[@]} == 0 && ${#procs[@]} == 0)); then
        report PASS "$num" "teardown: no namespace or process of prefix '$P' left" "no ${P}{router,lanbr,inside,server,outside}; $# recorded pids gone"
    else
        report FAIL "$num" "teardown: no namespace or process of prefix '$P' left" "left: ${left[*]} ${procs[*]}"
    fi
}

# --- demo / test --------------------------------------------------------------
diagram() {
    local w1 w2 w3 c=14 border
    w1=$(( ${#NS_OUTSIDE} > 16 ? ${#NS_OUTSIDE} : 16 ))
    w2=$(( ${#NS_ROUTER} > 2 * c + 3 ? ${#NS_ROUTER} : 2 * c + 3 ))
    w3=$(( ${#NS_LANBR} > 5 ? ${#NS_LANBR} : 5 ))
    diagram_row() {   # diagram_row LINK1 LINK2 BOX1 BOX2 BOX3 TAIL
        printf ' | %-*s |%s| %-*s |%s| %-*s |%s\n' "$w1" "$3" "$1" "$w2" "$4" "$2" "$w3" "$5" "$6"
    }
    border=$(printf ' +%s+    +%s+    +%s+' "$(printf '%*s' $((w1 + 2)) '' | tr ' ' -)" \
        "$(printf '%*s' $((w2 + 2)) '' | tr ' ' -)" "$(printf '%*s' $((w3 + 2)) '' | tr ' ' -)")
    say "Hairpin lab (prefix \"$P\"): every host below is a network namespace on this machine."
    say ""
    printf '   %-*s  %-*s  %s\n' $((w1 + 4)) '"Internet"' $((w2 + 4)) 'appliance' 'LAN segment (bridge)'
    say "$border"
    diagram_row '    ' '    ' "$NS_OUTSIDE" "$NS_ROUTER" "$NS_LANBR" "--- $NS_INSIDE  $INSIDE_IP/24"
    diagram_row '----' '----' "$OUTSIDE_IP/24" "$(printf '%-*s   %-*s' "$c" r-wan "$c" r-lan)" br0 ""
    diagram_row '    ' '    ' "$OUTSIDE_IP2/24" "$(printf '%-*s   %-*s' "$c" "$WAN_ADDR/24" "$c" "$LAN_ADDR/24")" "" "--- $NS_SERVER  $SERVER_IP/24"
    say "$border"
    if [[ "$LAB_MODE" == nat ]]; then
        cat <<EOF
 - r-wan/r-lan carry no kernel address: the appliance owns them (DPDK net_af_packet).
 - NAT mode: $NS_OUTSIDE has NO route to $LAN_NET; $NS_INSIDE and $NS_SERVER default via $LAN_ADDR.
 - NAT (lab-nat.yaml): 1:1 $ONE_TO_ONE_EXT <-> $SERVER_IP; port forwards tcp $WAN_ADDR:$PF_TCP_PORT and
   udp $WAN_ADDR:$PF_UDP_PORT -> $SERVER_IP; outbound NAPT $LAN_NET -> $WAN_ADDR; reflection on,
   reflection-source ${REFL_REQ:-"as the appliance's config says (the Linux stand-in: mapped)"}.
 - services: $NS_SERVER echo-source $SERVER_IP:$SERVER_ECHO_PORT and :$NAT_SERVER_ECHO_PF_PORT, UDP echo :$NAT_SERVER_UDP_PORT,
   files :$NAT_SERVER_FILE_PORT; $NS_OUTSIDE http $OUTSIDE_IP:$OUTSIDE_HTTP_PORT, echo-source $OUTSIDE_IP2:$OUTSIDE_ECHO_PORT,
   UDP echo $OUTSIDE_IP:$UDP_PORT
EOF
    else
        cat <<EOF
 - r-wan/r-lan carry no kernel address: the appliance owns them (DPDK net_af_packet).
 - $NS_OUTSIDE routes $LAN_NET via $WAN_ADDR; $NS_INSIDE and $NS_SERVER default via $LAN_ADDR.
 - services: $NS_SERVER http $SERVER_IP:$SERVER_HTTP_PORT, echo-source $SERVER_IP:$SERVER_ECHO_PORT;
   $NS_OUTSIDE http $OUTSIDE_IP:$OUTSIDE_HTTP_PORT, echo-source $OUTSIDE_IP2:$OUTSIDE_ECHO_PORT, UDP echo $OUTSIDE_IP:$UDP_PORT
EOF
    fi
}

on_exit() {
    local rc=$?
    trap - EXIT INT TERM
    if ((CLEANUP_ON_EXIT)); then
        CLEANUP_ON_EXIT=0
        lab_down || warn "teardown reported an error"
    fi
    exit "$rc"
}
on_signal() { say "lab: interrupted, tearing down" >&2; exit 130; }

strip_dashdash() {   # prints nothing; sets APP_CMD array
    APP_CMD=("$@")
    if ((${#APP_CMD[@]})) && [[ "${APP_CMD[0]}" == -- ]]; then APP_CMD=("${APP_CMD[@]:1}"); fi
    ((${#APP_CMD[@]})) || die "give the appliance command after '--' (or '-- linux'), e.g.: $0 demo -- linux"
}

cmd_demo() {
    strip_dashdash "$@"
    CLEANUP_ON_EXIT=1
    diagram
    say ""
    lab_up
    if [[ "${APP_CMD[0]}" == linux* ]]; then start_linux_router; else start_appliance "${APP_CMD[@]}"; fi
    say ""
    say "Checks:"
    run_checks
    say ""
    lab_down
    CLEANUP_ON_EXIT=0
    info "torn down (${SECONDS}s total; logs kept in $STATE/logs)"
    summary
    ((FAIL_N == 0))
}

cmd_test() {
    strip_dashdash "$@"
    CLEANUP_ON_EXIT=1
    local ready=1
    local n_alive=10 n_down=11
    [[ "$LAB_MODE" == nat ]] && { n_alive=m; n_down=n; }
    say "lab test: prefix '$P', $LAB_MODE mode, appliance: ${APP_CMD[*]}"
    lab_up
    if [[ "${APP_CMD[0]}" == linux* ]]; then
        ( start_linux_router ) || ready=0
    else
        ( start_appliance "${APP_CMD[@]}" ) || ready=0
    fi
    load_refl   # the subshell chose the reflection source (maybe from the --config)
    if ((ready)); then
        run_checks
        check_appliance_alive "$n_alive"
    else
        report FAIL 0 "appliance became ready (ping $LAN_ADDR from inside)" "exited or no answer within ${READY_TIMEOUT}s; log tail above"
    fi
    local -a pids
    mapfile -t pids < <(recorded_pids)
    lab_down
    CLEANUP_ON_EXIT=0
    check_torn_down "$n_down" "${pids[@]}"
    say "lab test: ${SECONDS}s"
    summary
    exit "$FAIL_N"
}

usage() {
    cat <<EOF
usage: $0 SUBCOMMAND [OPTIONS] [ARGS]
  up                      build the lab topology (tears down leftovers of the prefix first)
  down                    stop every lab process and delete the lab namespaces (safe when nothing exists)
  start-appliance CMD...  run CMD in ${P}router in the background, wait (<= ${READY_TIMEOUT}s) until it answers ping
                          on $LAN_ADDR; CMD 'linux' (or 'linux-nat') = start-linux-router
  start-linux-router      stand-in appliance: kernel forwarding with the appliance's addresses;
                          in NAT mode also nftables NAT doing what lab-nat.yaml asks
  checks                  router mode: checks 1-9; NAT mode: checks a-l, t-u and o-s, v (control: myip,
                          cpnat, status, apply; with a hairpin launcher); one PASS/FAIL line each,
                          then "N passed, N failed"
  demo -- CMD...          diagram, up, start-appliance CMD, checks, down
  test -- CMD...          up, start-appliance CMD, checks, appliance alive (10 / m), down,
                          nothing left (11 / n); exit code = number of failed checks
options (before '--'):
  --nat                   NAT mode (lab-nat.yaml): outside has no route to $LAN_NET, NAT services and checks;
                          'up' records the mode, later subcommands follow it. Same: HP_LAB_MODE=nat.
                          CMD 'linux-nat' implies --nat.
  --router                plain-router mode (the default). Same: HP_LAB_MODE=router
  --reflection-source mapped|interface
                          NAT mode: the source the server must see for hairpin traffic (mapped: the
                          client's public mapping; interface: $LAN_ADDR). Same: HP_LAB_REFLECTION_SOURCE.
                          Default: what the appliance's --config file says, else mapped.
environment: HP_LAB_PREFIX (default hp-), HP_LAB_STATE (default /tmp/hairpin-lab-\$prefix),
             HP_LAB_READY_TIMEOUT (default 30), HP_LAB_EXPECT_OUTBOUND_SRC (router mode, default $INSIDE_IP),
             HP_LAB_MODE, HP_LAB_REFLECTION_SOURCE, HP_LAB_CAPTURE_MAX (default 180 s)
examples:
  $0 test -- linux                                   plain router, Linux stand-in
  $0 test --nat -- linux                             NAT, Linux nftables stand-in, reflection mapped
  $0 test --nat --reflection-source interface -- linux
  $0 test --nat -- deploy/hairpin run --config deploy/lab/lab-nat.yaml
EOF
}

# parse_opts ARGS... : the options before the appliance command; sets ARGS to the rest
parse_opts() {
    ARGS=()
    while (($#)); do
        case "$1" in
            --nat) LAB_MODE_REQ=nat ;;
            --router) LAB_MODE_REQ=router ;;
            --reflection-source) (($# >= 2)) || die "--reflection-source needs mapped or interface"; REFL_REQ=$2; shift ;;
            --reflection-source=*) REFL_REQ=${1#--reflection-source=} ;;
            --) ARGS=("$@"); return 0 ;;   # strip_dashdash drops it
            *) ARGS=("$@"); return 0 ;;
        esac
        shift
    done
}

# resolve_mode SUB : LAB_MODE and REFL for this run. up/demo/test build the lab, so they take the
# requested mode (linux-nat implies nat); other subcommands follow the running lab's $STATE/topology.
resolve_mode() {
    local sub=$1 first=${ARGS[0]:-} saved=""
    [[ "$first" == -- ]] && first=${ARGS[1]:-}
    case "$LAB_MODE_REQ" in ""|router|nat) ;; *) die "HP_LAB_MODE/--nat: unknown mode '$LAB_MODE_REQ' (router or nat)" ;; esac
    case "$REFL_REQ" in
        "") ;;
        mapped|interface) REFL=$REFL_REQ; REFL_WHY="given" ;;
        *) die "reflection source '$REFL_REQ': expected mapped or interface" ;;
    esac
    case "$sub" in
        up|demo|test)
            LAB_MODE=${LAB_MODE_REQ:-router}
            if [[ "$first" == linux-nat ]]; then
                [[ "$LAB_MODE" == nat || -z "$LAB_MODE_REQ" ]] || die "'linux-nat' needs NAT mode, but $LAB_MODE_REQ mode was asked for"
                LAB_MODE=nat
            fi ;;
        down) ;;
        *)
            [[ -r "$STATE/topology" ]] && saved=$(cat -- "$STATE/topology")
            LAB_MODE=${saved:-router}
            [[ "$sub" == start-appliance && "$first" == linux-nat && "$LAB_MODE" != nat ]] \
                && die "'linux-nat' needs a lab that is up in NAT mode ('$0 up --nat')"
            [[ -z "$LAB_MODE_REQ" || "$LAB_MODE_REQ" == "$LAB_MODE" ]] \
                || die "the lab is up in ${saved:-router} mode, not $LAB_MODE_REQ (run '$0 up --$LAB_MODE_REQ')"
            [[ "$sub" == checks ]] && load_refl ;;
    esac
    return 0
}

main() {
    local sub=${1:-}
    (($#)) && shift
    case "$sub" in
        ""|-h|--help|help) usage; [[ -n "$sub" ]]; return ;;
    esac
    validate_prefix
    need_root
    parse_opts "$@"
    set -- "${ARGS[@]}"
    resolve_mode "$sub"
    trap on_exit EXIT
    trap on_signal INT TERM
    case "$sub" in
        up)
            ensure_tools; need_netns
            CLEANUP_ON_EXIT=1; lab_up; CLEANUP_ON_EXIT=0 ;;
        down)
            need_netns; lab_down; info "down: prefix '$P' removed" ;;
        start-appliance)
            [[ "${1:-}" == -- ]] && shift
            ensure_tools; need_netns; start_appliance "$@" ;;
        start-linux-router)
            ensure_tools; need_netns; start_linux_router ;;
        checks)
            ensure_tools; need_netns; cmd_checks ;;
        demo)
            ensure_tools; need_netns; cmd_demo "$@" ;;
        test)
            ensure_tools; need_netns; cmd_test "$@" ;;
        *) usage >&2; die "unknown subcommand '$sub'" ;;
    esac
}

main "$@"
