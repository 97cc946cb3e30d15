#!/usr/bin/env python3
"""The C reference's flow table under its old and new flow_hash, for the million forward flows of
napt-established:1000000 (2048 hosts 10.0.0.2+h, client port 1024 + g/2048, 16 servers 192.0.2.16+,
port 443, as perf/src/main/java/io/hairpin/perf/Flows.java makes them): distinct home slots among
4 Mi and the mean distance past home under linear probing (inserted in a random order).
    python3 perf/results/issue5-s23-cref-hash-sim.py   (numpy; a few seconds)"""
import numpy as np

U = np.uint64
n, hosts, servers, slots = 1_000_000, 2048, 16, 1 << 22
g = np.arange(n, dtype=U)
h, p = g & U(hosts - 1), g >> U(11)
host_ip = U(0x0A000002) + h
server_ip = U(0xC0000210) + ((h + p + (g & ~U(15))) & U(servers - 1))


def bswap32(x):
    return ((x & U(0xff)) << U(24)) | ((x & U(0xff00)) << U(8)) | ((x >> U(8)) & U(0xff00)) | ((x >> U(24)) & U(0xff))


def bswap16(x):
    return ((x & U(0xff)) << U(8)) | ((x >> U(8)) & U(0xff))


ports = bswap16(U(1024) + p) | (bswap16(np.full(n, 443, dtype=U)) << U(16))  # as loaded from the wire
seed = U(0x1234567890ABCDEF | 1)
for name, src, dst in (("wire order (before)", bswap32(host_ip), bswap32(server_ip)),
                       ("host order (after)", host_ip, server_ip)):
    with np.errstate(over="ignore"):
        m = ((((src << U(32)) | dst) ^ seed) * U(0x9E3779B97F4A7C15)) ^ (((ports << U(8)) | U(17)) * U(0xC2B2AE3D27D4EB4F))
        m ^= m >> U(29)
    home = ((m >> U(32)) & U(slots - 1)).astype(np.int64)
    taken = np.zeros(slots, dtype=bool)
    past = 0
    for k in home[np.random.default_rng(1).permutation(n)]:
        i = k
        while taken[i]:
            i = (i + 1) & (slots - 1)
        taken[i] = True
        past += (i - k) & (slots - 1)
    print(f"{name}: {len(np.unique(home))} distinct home slots, {past / n:.2f} slots past home on average")
