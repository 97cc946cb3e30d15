#!/usr/bin/env bash
# Installs what Hairpin needs from Debian, only what is missing, so it is cheap to run again.
#   setup.sh build   DPDK runtime and headers, the C toolchain, Maven
#   setup.sh lab     the namespace lab's tools
#   setup.sh test    both
set -euo pipefail

build_pkgs=(dpdk libdpdk-dev pkg-config gcc make maven)
lab_pkgs=(iproute2 ethtool curl socat iputils-ping python3 tcpdump tshark python3-scapy nftables)

want=()
case "${1:-test}" in
    build) want=("${build_pkgs[@]}") ;;
    lab) want=("${lab_pkgs[@]}") ;;
    test) want=("${build_pkgs[@]}" "${lab_pkgs[@]}") ;;
    *) echo "usage: setup.sh build|lab|test" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "hairpin: missing Debian packages: ${missing[*]}; run as root (or: apt-get install -y ${missing[*]})." >&2
    exit 1
fi
echo "hairpin: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# tshark otherwise asks whether non-root users may capture, and waits forever.
echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
if ! apt-get install -y -q "${missing[@]}" >/tmp/hairpin-apt.log 2>&1; then
    apt-get update -q >>/tmp/hairpin-apt.log 2>&1
    apt-get install -y -q "${missing[@]}" >>/tmp/hairpin-apt.log 2>&1 || {
        tail -20 /tmp/hairpin-apt.log >&2
        echo "hairpin: apt-get install failed (log: /tmp/hairpin-apt.log)" >&2
        exit 1
    }
fi
