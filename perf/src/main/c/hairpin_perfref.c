/*
 * The benchmark's C reference (shared/spec/performance.md, "the C reference"): the engine's
 * per-packet work for the capacity-mode scenarios, written as a plain C DPDK loop. It runs in
 * the benchmark's process and EAL, on the benchmark rig's two ring ports and mempool, one
 * hp_ref_poll() per loop iteration, exactly like the engine's Worker.doWork(): an RX burst of 32
 * per port, the work, a TX burst per port, a bulk free of what TX refused and of the drops.
 *
 * Per packet: untagged IPv4 for this port's MAC, version 4 / IHL 5, total length within the
 * frame, header checksum, martian and anti-spoofing checks (reverse LPM lookup), then the NAT
 * decision (a session hit, or a new session / stateless 1:1 rewrite), LPM route of the
 * (translated) destination, TTL > 1, MTU, the rewrite with incremental checksum updates
 * (RFC 1624; deltas precomputed per 1:1 rule and per session flow) and the TTL decrement folded
 * into the same header-checksum update, Ethernet addresses from the neighbour table.
 *
 * NAT semantics follow the engine's Nat44 for TCP and UDP: sessions of two flows (each with its
 * match tuple and its rewrite) in one open-addressing table (linear probing, load <= 0.5,
 * backward-shift deletion) looked up a burst at a time with prefetching; endpoint-independent
 * mappings with paired pooling, port preservation and a random scan otherwise; stateless 1:1
 * both ways; port forwards; reflection (mapped source); idle timeouts per protocol and TCP
 * state, expired with the engine's tick (≈ 268 ms) and budget (4096 per millisecond), from one FIFO
 * per timeout class in arming order (arming order is expiry order within a class) with lazy
 * re-arming of refreshed sessions, the way VPP keeps per-protocol lists; the FIFOs are arrays, so
 * the expiry loop prefetches the sessions, index slots and mappings it is about to remove.
 * Not covered (never in the benchmark's traffic, dropped and counted as unsupported): ICMP
 * translation, fragments, IP options, VLANs, ARP, traffic to the appliance itself, unsolicited
 * inbound traffic to a NAPT mapping (the engine's address-dependent filtering), and reflection
 * through a port forward or for hosts with no public identity.
 *
 * Addresses, ports and keys are kept as loaded from the packet (network order): one's-complement
 * sums do not depend on the byte order, so the hot path never swaps bytes except for the LPM.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <netinet/in.h>
#include <stdio.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_lpm.h>
#include <rte_malloc.h>
#include <rte_memory.h>
#include <rte_tcp.h>
#include <rte_udp.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#define BURST 32
#define TX_CAP (2 * BURST)
#define NIL UINT32_MAX
#define MAX_IFACES 2
#define MAX_ROUTES 64
/* A NAPT pool's addresses: 4096 hold 2^27 sessions, the engine's most, at Setup.naptPool's 32768 ports each. */
#define MAX_POOL_ADDRESSES 4096

enum {
    C_RX, C_FORWARDED, C_TRANSLATED, C_SESSIONS_CREATED, C_SESSIONS_EXPIRED, C_TX_FULL,
    D_NOT_IPV4, D_NOT_FOR_US, D_BAD_HEADER, D_BAD_CHECKSUM, D_MARTIAN, D_SPOOFED, D_NO_ROUTE, D_LOCAL,
    D_TTL, D_MTU, D_UNSUPPORTED, D_NO_MAPPING, D_SESSIONS_FULL, D_PORTS_EXHAUSTED, D_UNTRANSLATED,
    D_NO_NEIGHBOR,
    C_COUNT
};
#define FIRST_DROP D_NOT_IPV4

/* ---- one's-complement arithmetic on 16-bit words as loaded ------------------------------------ */

static inline uint32_t fold(uint32_t s)
{
    s = (s & 0xffff) + (s >> 16);
    return (s & 0xffff) + (s >> 16);
}

/* What adding to a checksummed sum turns old into new (RFC 1624: ~m + m'). */
static inline uint32_t delta32(uint32_t old, uint32_t new_)
{
    return fold((~old & 0xffff) + (~old >> 16) + (new_ & 0xffff) + (new_ >> 16));
}

/* HC' = ~(~HC + delta) */
static inline uint16_t apply_delta(uint16_t ck, uint32_t delta)
{
    return (uint16_t)~fold((uint32_t)(uint16_t)~ck + delta);
}

static inline uint32_t negate(uint32_t d) { return (~d) & 0xffff; }

/* ---- hashing ----------------------------------------------------------------------------------- */

static inline uint64_t mix(uint64_t a, uint64_t b, uint64_t seed)
{
    uint64_t h = (a ^ seed) * 0x9E3779B97F4A7C15ULL ^ b * 0xC2B2AE3D27D4EB4FULL;
    return h ^ (h >> 29);
}

/* ---- a small u64 -> u32 table (rules, neighbours, mappings) ------------------------------------- */

struct kv { uint64_t key; uint32_t val; uint32_t used; };
struct kvt { struct kv *e; uint32_t mask; uint64_t seed; };

/*
 * Big tables go where a DPDK program puts them: DPDK's hugepage heap (2 MiB pages, no TLB misses
 * to speak of); when it has not enough (tests on 4 KiB pages), anonymous memory with transparent
 * huge pages asked for. Zeroed and touched now (the JVM pre-touches its heap too).
 */
static void *big_alloc(size_t bytes)
{
    void *p = rte_zmalloc_socket("hpref", bytes, RTE_CACHE_LINE_SIZE, SOCKET_ID_ANY);
    if (p != NULL) {
        return p;
    }
    p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        return NULL;
    }
    madvise(p, bytes, MADV_HUGEPAGE);
    memset(p, 0, bytes);
    return p;
}

static void big_free(void *p, size_t bytes)
{
    if (p == NULL) {
        return;
    }
    if (rte_mem_virt2memseg(p, NULL) != NULL) {
        rte_free(p);
    } else {
        munmap(p, bytes);
    }
}

static size_t pow2_at_least(size_t n)
{
    size_t s = 16;
    while (s < n) {
        s <<= 1;
    }
    return s;
}

static int kvt_init(struct kvt *t, size_t capacity, uint64_t seed)
{
    size_t slots = pow2_at_least(2 * capacity);
    t->e = big_alloc(slots * sizeof(struct kv));
    t->mask = (uint32_t)(slots - 1);
    t->seed = seed;
    return t->e == NULL ? -1 : 0;
}

static void kvt_free(struct kvt *t)
{
    if (t->e != NULL) {
        big_free(t->e, ((size_t)t->mask + 1) * sizeof(struct kv));
        t->e = NULL;
    }
}

static inline uint32_t kvt_home(const struct kvt *t, uint64_t key)
{
    return (uint32_t)mix(key, 0, t->seed) & t->mask;
}

static inline uint32_t kvt_get(const struct kvt *t, uint64_t key)
{
    uint32_t i = kvt_home(t, key);
    for (;;) {
        const struct kv *e = &t->e[i];
        if (!e->used) {
            return NIL;
        }
        if (e->key == key) {
            return e->val;
        }
        i = (i + 1) & t->mask;
    }
}

static void kvt_put(struct kvt *t, uint64_t key, uint32_t val)
{
    uint32_t i = kvt_home(t, key);
    while (t->e[i].used && t->e[i].key != key) {
        i = (i + 1) & t->mask;
    }
    t->e[i].key = key;
    t->e[i].val = val;
    t->e[i].used = 1;
}

static void kvt_del(struct kvt *t, uint64_t key)
{
    uint32_t i = kvt_home(t, key);
    while (t->e[i].used && t->e[i].key != key) {
        i = (i + 1) & t->mask;
    }
    if (!t->e[i].used) {
        return;
    }
    uint32_t j = i;
    for (;;) { /* backward shift */
        j = (j + 1) & t->mask;
        if (!t->e[j].used) {
            break;
        }
        uint32_t k = kvt_home(t, t->e[j].key);
        if (((j - k) & t->mask) >= ((j - i) & t->mask)) {
            t->e[i] = t->e[j];
            i = j;
        }
    }
    t->e[i].used = 0;
}

/* ---- neighbours: address -> MAC in the slot itself (one cache line touched per lookup) ------------- */

struct nb { uint32_t ip; uint8_t mac[6]; uint8_t used, pad[5]; };
struct nbt { struct nb *e; uint32_t mask; uint64_t seed; };

static inline uint32_t nbt_home(const struct nbt *t, uint32_t ip)
{
    return (uint32_t)mix(ip, 0, t->seed) & t->mask;
}

static inline const struct nb *nbt_get(const struct nbt *t, uint32_t ip)
{
    uint32_t i = nbt_home(t, ip);
    for (;;) {
        const struct nb *e = &t->e[i];
        if (!e->used) {
            return NULL;
        }
        if (e->ip == ip) {
            return e;
        }
        i = (i + 1) & t->mask;
    }
}

static void nbt_put(struct nbt *t, uint32_t ip, const uint8_t *mac)
{
    uint32_t i = nbt_home(t, ip);
    while (t->e[i].used && t->e[i].ip != ip) {
        i = (i + 1) & t->mask;
    }
    t->e[i].ip = ip;
    memcpy(t->e[i].mac, mac, 6);
    t->e[i].used = 1;
}

/* ---- sessions ------------------------------------------------------------------------------------ */

/* A flow's rewrite: the tuple it becomes and the checksum deltas that takes (IP header, L4). */
struct rw { uint32_t src, dst, ports; uint16_t d_ip, d_l4; };

/* A session flow's rewrite into the packet's pending translation. */
static inline void take_rewrite(const struct rw *r, uint32_t *src, uint32_t *dst, uint32_t *ports, uint32_t *d_ip,
                                uint32_t *d_l4)
{
    *src = r->src;
    *dst = r->dst;
    *ports = r->ports;
    *d_ip = r->d_ip;
    *d_l4 = r->d_l4;
}

struct sess {
    struct rw rw[2];     /* flow 0 (as first seen) and flow 1 (the return) */
    uint64_t expires;    /* TSC */
    uint32_t mapping;    /* NIL: none */
    uint32_t next;       /* the free list */
    uint8_t proto, state;
    uint8_t pad[10];
} __rte_aligned(64);

/* Index slot: a flow's match tuple and (proto << 26 | flow + 1); val 0 = empty. */
struct slot { uint32_t src, dst, ports, val; };

#define TCP_SYN0 1
#define TCP_SYN1 2
#define TCP_FIN0 4
#define TCP_FIN1 8
#define TCP_RST 16

/* Timeout classes, one expiry FIFO each: entries (armed tick << 32 | session). */
enum { T_UDP, T_TCP_TRANS, T_TCP_EST, T_CLASSES };
struct fifo { uint64_t *e; uint64_t head, tail; uint64_t mask; };

struct mapping { uint64_t key; uint32_t ext_addr; uint16_t ext_port; uint8_t pi, rule; uint32_t addr_index, refs; };

/* One NAPT pool: paired pooling over its addresses, one port bitmap per (TCP|UDP, address). */
struct pool {
    uint32_t n;
    uint32_t *addr;              /* n addresses, as in the packet */
    uint64_t *bits;              /* [(pi * n + a) * 1024 + word] */
    uint32_t *free_count;        /* [(pi * n + a) * 2 + range] */
    uint64_t rnd;
};

struct route { uint8_t iface, local, connected, len; uint32_t gw; uint32_t net_host, mask_host; };

struct binat { uint32_t ext, in; uint16_t d_out; uint8_t iface; uint8_t reflect; };
struct pfwd { uint32_t in_addr; uint16_t in_port_base_host, ext_port_low_host, ext_port_high_host; uint8_t iface; };

struct pkt {
    uint32_t src, dst, ports;
    uint8_t proto, ok;
    uint32_t hash;
    uint32_t flow; /* NIL: no session */
};

struct hp_ref {
    uint16_t port_id[MAX_IFACES];
    uint8_t port_mac[MAX_IFACES][8];
    uint8_t external[MAX_IFACES], anti_spoof[MAX_IFACES];
    uint16_t mtu[MAX_IFACES];
    uint64_t tsc_hz;
    uint64_t now;
    uint64_t next_housekeeping, housekeeping_every;

    struct rte_lpm *lpm;
    struct route routes[MAX_ROUTES];
    uint32_t route_count;

    struct nbt neighbors;
    uint32_t neighbor_count, neighbor_cap;

    struct kvt public_addr;      /* NAT public address -> kind << 24 | index */
    struct kvt binat_by_in;      /* internal address -> rule */
    struct binat *binat;
    uint32_t binat_count;
    struct kvt pfwd_by_ext;      /* ext addr | ext port << 32 | proto << 48 -> rule */
    struct pfwd *pfwd;
    uint32_t pfwd_count;
    int reflection;
    int nat_rules;               /* any 1:1, port forward or outbound rule */
    uint32_t burst_creates;      /* sessions created while processing the current RX burst */

    /* outbound NAPT rules: source prefix -> pool (egress interface) */
    uint32_t out_net[8], out_mask[8];
    uint8_t out_iface[8];
    struct pool *out_pool[8];
    uint32_t out_count;

    /* sessions */
    uint32_t max_sessions, session_count;
    struct sess *sess;
    struct slot *slots;
    uint32_t slot_mask;
    uint64_t seed;
    uint32_t free_head;
    struct fifo fifo[T_CLASSES];
    uint32_t tick_shift;
    uint64_t timeout_udp, timeout_tcp_est, timeout_tcp_trans;

    /* endpoint-independent mappings */
    struct kvt map_by_in;        /* proto << 48 | port << 32 | host -> mapping */
    struct mapping *maps;
    uint32_t *map_free;
    uint32_t map_free_top;

    /* bursts */
    struct rte_mbuf *rx[BURST];
    struct pkt pk[BURST];
    struct rte_mbuf *tx[MAX_IFACES][TX_CAP];
    uint32_t tx_count[MAX_IFACES];
    struct rte_mbuf *drops[2 * BURST];
    uint32_t drop_count;

    uint64_t c[C_COUNT];
};

enum { PUB_BINAT = 1, PUB_PFWD = 2, PUB_POOL = 3, PUB_LOCAL = 4 };

/* ---- construction (the Java side calls these once per run) --------------------------------------- */

static void mac_bytes(uint8_t *out, uint64_t mac)
{
    for (int i = 0; i < 6; i++) {
        out[i] = (uint8_t)(mac >> (40 - 8 * i));
    }
    out[6] = out[7] = 0;
}

static int lpm_serial;

struct hp_ref *hp_ref_create(uint16_t wan_port, uint16_t lan_port, int64_t wan_mac, int64_t lan_mac,
                             int32_t max_sessions, int32_t max_neighbors, int32_t max_rules, int64_t seed)
{
    struct hp_ref *x = calloc(1, sizeof(*x));
    if (x == NULL) {
        return NULL;
    }
    x->port_id[0] = wan_port;
    x->port_id[1] = lan_port;
    mac_bytes(x->port_mac[0], (uint64_t)wan_mac);
    mac_bytes(x->port_mac[1], (uint64_t)lan_mac);
    x->tsc_hz = rte_get_tsc_hz();
    x->housekeeping_every = x->tsc_hz / 1000;
    x->seed = (uint64_t)seed | 1;
    /* expiry tick ≈ 268 ms like the engine's wheel (2^28 ns), in TSC cycles */
    uint64_t tick = x->tsc_hz / 4;
    x->tick_shift = 63 - __builtin_clzll(tick);
    char name[32];
    snprintf(name, sizeof(name), "hpref_lpm%d", lpm_serial++);
    struct rte_lpm_config cfg = { .max_rules = MAX_ROUTES, .number_tbl8s = 64, .flags = 0 };
    x->lpm = rte_lpm_create(name, SOCKET_ID_ANY, &cfg);
    x->max_sessions = max_sessions < 16 ? 16 : (uint32_t)max_sessions;
    x->neighbor_cap = (uint32_t)max_neighbors;
    size_t nb_slots = pow2_at_least(2 * (size_t)max_neighbors);
    x->neighbors.e = big_alloc(nb_slots * sizeof(struct nb));
    x->neighbors.mask = (uint32_t)(nb_slots - 1);
    x->neighbors.seed = x->seed;
    x->binat = calloc(max_rules, sizeof(struct binat));
    x->pfwd = calloc(max_rules, sizeof(struct pfwd));
    size_t slots = pow2_at_least(4 * (size_t)x->max_sessions);
    x->slots = big_alloc(slots * sizeof(struct slot));
    x->slot_mask = (uint32_t)(slots - 1);
    x->sess = big_alloc((size_t)x->max_sessions * sizeof(struct sess));
    x->maps = big_alloc((size_t)x->max_sessions * sizeof(struct mapping));
    x->map_free = malloc((size_t)x->max_sessions * sizeof(uint32_t));
    size_t fifo_len = pow2_at_least(x->max_sessions);
    for (int c = 0; c < T_CLASSES; c++) {
        x->fifo[c].e = big_alloc(fifo_len * sizeof(uint64_t));
        x->fifo[c].mask = fifo_len - 1;
        if (x->fifo[c].e == NULL) {
            return NULL;
        }
    }
    if (x->lpm == NULL || x->neighbors.e == NULL || x->binat == NULL || x->pfwd == NULL || x->slots == NULL
            || x->sess == NULL || x->maps == NULL || x->map_free == NULL
            || kvt_init(&x->public_addr, max_rules + 64, x->seed)
            || kvt_init(&x->binat_by_in, max_rules, x->seed) || kvt_init(&x->pfwd_by_ext, max_rules, x->seed)
            || kvt_init(&x->map_by_in, x->max_sessions, x->seed)) {
        return NULL; /* leaks on a failure that ends the benchmark anyway */
    }
    for (uint32_t s = 0; s < x->max_sessions; s++) {
        x->sess[s].next = s + 1 < x->max_sessions ? s + 1 : NIL;
        x->map_free[s] = x->max_sessions - 1 - s;
    }
    x->map_free_top = x->max_sessions;
    x->free_head = 0;
    x->timeout_udp = 300 * x->tsc_hz;
    x->timeout_tcp_est = 7440 * x->tsc_hz;
    x->timeout_tcp_trans = 240 * x->tsc_hz;
    return x;
}

void hp_ref_interface(struct hp_ref *x, int32_t iface, int32_t external, int32_t anti_spoof, int32_t mtu)
{
    x->external[iface] = (uint8_t)external;
    x->anti_spoof[iface] = (uint8_t)anti_spoof;
    x->mtu[iface] = (uint16_t)mtu;
}

/* A route (addresses in host order): local (one of the appliance's own), connected, or via gw. */
int hp_ref_route(struct hp_ref *x, int32_t prefix, int32_t len, int32_t iface, int32_t gw, int32_t local)
{
    if (x->route_count == MAX_ROUTES) {
        return -1;
    }
    uint32_t r = x->route_count++;
    x->routes[r].iface = (uint8_t)iface;
    x->routes[r].local = (uint8_t)local;
    x->routes[r].connected = (uint8_t)(gw == 0 && !local);
    x->routes[r].len = (uint8_t)len;
    x->routes[r].gw = rte_cpu_to_be_32((uint32_t)gw);
    x->routes[r].mask_host = len == 0 ? 0 : UINT32_MAX << (32 - len);
    x->routes[r].net_host = (uint32_t)prefix & x->routes[r].mask_host;
    if (local) {
        kvt_put(&x->public_addr, rte_cpu_to_be_32((uint32_t)prefix), PUB_LOCAL << 24);
    }
    if (len == 0) { /* rte_lpm takes depths 1..32: the default route is two halves */
        int ret = rte_lpm_add(x->lpm, 0, 1, r);
        return ret != 0 ? ret : rte_lpm_add(x->lpm, 0x80000000u, 1, r);
    }
    return rte_lpm_add(x->lpm, (uint32_t)prefix, (uint8_t)len, r);
}

int hp_ref_neighbor(struct hp_ref *x, int32_t ip, int64_t mac)
{
    if (x->neighbor_count == x->neighbor_cap) {
        return -1;
    }
    x->neighbor_count++;
    uint8_t bytes[8];
    mac_bytes(bytes, (uint64_t)mac);
    nbt_put(&x->neighbors, rte_cpu_to_be_32((uint32_t)ip), bytes);
    return 0;
}

void hp_ref_timeouts(struct hp_ref *x, int32_t udp, int32_t tcp_est, int32_t tcp_trans, int32_t reflection)
{
    x->timeout_udp = (uint64_t)udp * x->tsc_hz;
    x->timeout_tcp_est = (uint64_t)tcp_est * x->tsc_hz;
    x->timeout_tcp_trans = (uint64_t)tcp_trans * x->tsc_hz;
    x->reflection = reflection;
}

/* A single-address 1:1 rule on iface (host order). */
int hp_ref_binat(struct hp_ref *x, int32_t iface, int32_t external, int32_t internal, int32_t reflect)
{
    uint32_t r = x->binat_count++;
    x->nat_rules = 1;
    struct binat *b = &x->binat[r];
    b->ext = rte_cpu_to_be_32((uint32_t)external);
    b->in = rte_cpu_to_be_32((uint32_t)internal);
    b->d_out = (uint16_t)delta32(b->in, b->ext);
    b->iface = (uint8_t)iface;
    b->reflect = (uint8_t)reflect;
    if (kvt_get(&x->public_addr, b->ext) == NIL) {
        kvt_put(&x->public_addr, b->ext, PUB_BINAT << 24 | r);
    }
    if (kvt_get(&x->binat_by_in, b->in) == NIL) {
        kvt_put(&x->binat_by_in, b->in, r);
    }
    return 0;
}

/* A port forward: protocols bit 1 TCP, bit 2 UDP; ports in host order. */
int hp_ref_pfwd(struct hp_ref *x, int32_t iface, int32_t protocols, int32_t external, int32_t ext_low, int32_t ext_high,
                int32_t internal, int32_t in_low)
{
    if (ext_high - ext_low > 1024) {
        return -1;
    }
    uint32_t r = x->pfwd_count++;
    x->nat_rules = 1;
    struct pfwd *f = &x->pfwd[r];
    f->in_addr = rte_cpu_to_be_32((uint32_t)internal);
    f->in_port_base_host = (uint16_t)in_low;
    f->ext_port_low_host = (uint16_t)ext_low;
    f->ext_port_high_host = (uint16_t)ext_high;
    f->iface = (uint8_t)iface;
    uint32_t ext = rte_cpu_to_be_32((uint32_t)external);
    uint32_t kind = kvt_get(&x->public_addr, ext);
    if (kind == NIL || (kind >> 24) == PUB_LOCAL) {
        kvt_put(&x->public_addr, ext, PUB_PFWD << 24);
    }
    for (int p = ext_low; p <= ext_high; p++) {
        uint64_t port = rte_cpu_to_be_16((uint16_t)p);
        if (protocols & 1) {
            kvt_put(&x->pfwd_by_ext, ext | port << 32 | (uint64_t)IPPROTO_TCP << 48, r);
        }
        if (protocols & 2) {
            kvt_put(&x->pfwd_by_ext, ext | port << 32 | (uint64_t)IPPROTO_UDP << 48, r);
        }
    }
    return 0;
}

/* An outbound NAPT rule: source prefix (host order) leaving iface gets a pool address and port. */
int hp_ref_outbound(struct hp_ref *x, int32_t iface, int32_t prefix, int32_t len, const int32_t *addrs, int32_t n,
                    int64_t seed)
{
    if (x->out_count == 8 || n < 1 || n > MAX_POOL_ADDRESSES) {
        return -1;
    }
    struct pool *p = calloc(1, sizeof(*p));
    if (p == NULL) {
        return -1;
    }
    p->addr = malloc((size_t)n * sizeof(uint32_t));
    if (p->addr == NULL) {
        free(p);
        return -1;
    }
    p->n = (uint32_t)n;
    for (int i = 0; i < n; i++) {
        p->addr[i] = rte_cpu_to_be_32((uint32_t)addrs[i]);
        if (kvt_get(&x->public_addr, p->addr[i]) == NIL) {
            kvt_put(&x->public_addr, p->addr[i], PUB_POOL << 24);
        }
    }
    p->bits = big_alloc((size_t)2 * n * 1024 * sizeof(uint64_t));
    p->free_count = calloc((size_t)2 * n * 2, sizeof(uint32_t));
    if (p->bits == NULL || p->free_count == NULL) {
        return -1;
    }
    for (int i = 0; i < 2 * n; i++) {
        p->free_count[2 * i] = 1023;
        p->free_count[2 * i + 1] = 65535 - 1024 + 1;
    }
    p->rnd = ((uint64_t)seed ^ 0x5DEECE66DULL) | 1;
    uint32_t o = x->out_count++;
    x->nat_rules = 1;
    x->out_mask[o] = len == 0 ? 0 : rte_cpu_to_be_32(UINT32_MAX << (32 - len));
    x->out_net[o] = rte_cpu_to_be_32((uint32_t)prefix) & x->out_mask[o];
    x->out_iface[o] = (uint8_t)iface;
    x->out_pool[o] = p;
    return 0;
}

void hp_ref_destroy(struct hp_ref *x)
{
    if (x == NULL) {
        return;
    }
    rte_lpm_free(x->lpm);
    size_t slots = (size_t)x->slot_mask + 1;
    big_free(x->slots, slots * sizeof(struct slot));
    big_free(x->sess, (size_t)x->max_sessions * sizeof(struct sess));
    big_free(x->maps, (size_t)x->max_sessions * sizeof(struct mapping));
    for (int c = 0; c < T_CLASSES; c++) {
        big_free(x->fifo[c].e, (x->fifo[c].mask + 1) * sizeof(uint64_t));
    }
    free(x->map_free);
    for (uint32_t o = 0; o < x->out_count; o++) {
        big_free(x->out_pool[o]->bits, (size_t)2 * x->out_pool[o]->n * 1024 * sizeof(uint64_t));
        free(x->out_pool[o]->free_count);
        free(x->out_pool[o]->addr);
        free(x->out_pool[o]);
    }
    big_free(x->neighbors.e, ((size_t)x->neighbors.mask + 1) * sizeof(struct nb));
    kvt_free(&x->public_addr);
    kvt_free(&x->binat_by_in);
    kvt_free(&x->pfwd_by_ext);
    kvt_free(&x->map_by_in);
    free(x->binat);
    free(x->pfwd);
    free(x);
}

int64_t hp_ref_counter(const struct hp_ref *x, int32_t i)
{
    return i < C_COUNT ? (int64_t)x->c[i] : -1;
}

int32_t hp_ref_sessions(const struct hp_ref *x)
{
    return (int32_t)x->session_count;
}

/* ---- port allocation (RFC 4787 REQ-2/3, RFC 6056 algorithm 1, like the engine's PortAllocator) ---- */

static inline uint64_t next_random(struct pool *p)
{
    uint64_t v = p->rnd;
    v ^= v >> 12;
    v ^= v << 25;
    v ^= v >> 27;
    p->rnd = v;
    return v * 0x2545F4914F6CDD1DULL;
}

static uint32_t address_for(const struct pool *p, uint32_t host_ip_host_order)
{
    if (p->n == 1) {
        return 0;
    }
    uint64_t h = (uint64_t)host_ip_host_order * 0x9E3779B97F4A7C15ULL;
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ULL;
    return (uint32_t)(((h >> 32) * p->n) >> 32);
}

static int scan(const uint64_t *bits, int from, int to)
{
    for (int p = from; p <= to;) {
        uint64_t w = ~bits[p >> 6] >> (p & 63);
        if (w != 0) {
            int q = p + __builtin_ctzll(w);
            return q <= to ? q : -1;
        }
        p = (p | 63) + 1;
    }
    return -1;
}

/* An external port (host order) on address a, the preferred one when free; -1 when the range is full. */
static int port_allocate(struct pool *p, uint32_t pi, uint32_t a, int preferred)
{
    uint64_t *bits = p->bits + ((size_t)pi * p->n + a) * 1024;
    int range = preferred >= 1024;
    uint32_t *free_count = &p->free_count[(pi * p->n + a) * 2 + range];
    if (*free_count == 0) {
        return -1;
    }
    int port = -1;
    if (preferred > 0 && !(bits[preferred >> 6] >> (preferred & 63) & 1)) {
        port = preferred;
    } else {
        int lo = range ? 1024 : 1;
        int hi = range ? 65535 : 1023;
        int start = lo + (int)(((next_random(p) >> 32) * (uint64_t)(hi - lo + 1)) >> 32);
        port = scan(bits, start, hi);
        if (port < 0) {
            port = scan(bits, lo, start - 1);
        }
        if (port < 0) {
            return -1;
        }
    }
    bits[port >> 6] |= 1ULL << (port & 63);
    (*free_count)--;
    return port;
}

static void port_free(struct pool *p, uint32_t pi, uint32_t a, int port)
{
    uint64_t *bits = p->bits + ((size_t)pi * p->n + a) * 1024;
    bits[port >> 6] &= ~(1ULL << (port & 63));
    p->free_count[(pi * p->n + a) * 2 + (port >= 1024)]++;
}

/* ---- the session table ------------------------------------------------------------------------------ */

/*
 * The addresses in host order, as the engine hashes its keys. As they are on the wire, the byte that
 * tells two hosts apart (the last) is the top of a little-endian word, and mix()'s multiply carries
 * bits only upwards: the million forward flows of napt-established (2048 hosts, 16 servers) had 469 000
 * distinct home slots among 4 Mi and sat 6.6 slots past home on average (0.15 in host order), and C's
 * look-ups at a million sessions were half as fast as with 256 servers.
 */
static inline uint32_t flow_hash(const struct hp_ref *x, uint32_t src, uint32_t dst, uint32_t ports, uint32_t proto)
{
    uint64_t h = mix((uint64_t)rte_be_to_cpu_32(src) << 32 | rte_be_to_cpu_32(dst), (uint64_t)ports << 8 | proto,
                     x->seed);
    return (uint32_t)(h >> 32);
}

static inline uint32_t flow_lookup(const struct hp_ref *x, uint32_t h, uint32_t src, uint32_t dst, uint32_t ports,
                                   uint32_t proto)
{
    uint32_t i = h & x->slot_mask;
    for (;;) {
        const struct slot *s = &x->slots[i];
        if (s->val == 0) {
            return NIL;
        }
        if (s->src == src && s->dst == dst && s->ports == ports && (s->val >> 26) == proto) {
            return (s->val & 0x3ffffff) - 1;
        }
        i = (i + 1) & x->slot_mask;
    }
}

static void flow_insert(struct hp_ref *x, uint32_t src, uint32_t dst, uint32_t ports, uint32_t proto, uint32_t flow)
{
    uint32_t i = flow_hash(x, src, dst, ports, proto) & x->slot_mask;
    while (x->slots[i].val != 0) {
        i = (i + 1) & x->slot_mask;
    }
    x->slots[i] = (struct slot){ src, dst, ports, proto << 26 | (flow + 1) };
}

static void flow_remove(struct hp_ref *x, uint32_t src, uint32_t dst, uint32_t ports, uint32_t proto)
{
    uint32_t mask = x->slot_mask;
    uint32_t i = flow_hash(x, src, dst, ports, proto) & mask;
    for (;;) {
        struct slot *s = &x->slots[i];
        if (s->val == 0) {
            return;
        }
        if (s->src == src && s->dst == dst && s->ports == ports && (s->val >> 26) == proto) {
            break;
        }
        i = (i + 1) & mask;
    }
    uint32_t j = i;
    for (;;) {
        j = (j + 1) & mask;
        struct slot *s = &x->slots[j];
        if (s->val == 0) {
            break;
        }
        uint32_t k = flow_hash(x, s->src, s->dst, s->ports, s->val >> 26) & mask;
        if (((j - k) & mask) >= ((j - i) & mask)) {
            x->slots[i] = *s;
            i = j;
        }
    }
    x->slots[i].val = 0;
}

static inline uint32_t swap_ports(uint32_t ports) { return ports >> 16 | ports << 16; }

static inline uint64_t session_timeout(const struct hp_ref *x, uint32_t proto, uint32_t state)
{
    if (proto == IPPROTO_TCP) {
        int established = (state & (TCP_SYN0 | TCP_SYN1)) == (TCP_SYN0 | TCP_SYN1)
                && (state & (TCP_FIN0 | TCP_FIN1 | TCP_RST)) == 0;
        return established ? x->timeout_tcp_est : x->timeout_tcp_trans;
    }
    return x->timeout_udp;
}

/* Follows the TCP flags and refreshes the idle timeout (its FIFO entry re-arms it lazily when reached). */
static inline void session_refresh(struct hp_ref *x, struct sess *s, uint32_t dir, const struct rte_udp_hdr *l4)
{
    uint32_t state = s->state;
    if (s->proto == IPPROTO_TCP) {
        uint8_t flags = ((const struct rte_tcp_hdr *)l4)->tcp_flags;
        if (flags & RTE_TCP_SYN_FLAG) {
            state |= dir ? TCP_SYN1 : TCP_SYN0;
        }
        if (flags & RTE_TCP_FIN_FLAG) {
            state |= dir ? TCP_FIN1 : TCP_FIN0;
        }
        if (flags & RTE_TCP_RST_FLAG) {
            state |= TCP_RST;
        }
        s->state = (uint8_t)state;
    }
    s->expires = x->now + session_timeout(x, s->proto, state);
}

static inline uint32_t timeout_class(uint32_t proto, uint32_t state)
{
    if (proto != IPPROTO_TCP) {
        return T_UDP;
    }
    int established = (state & (TCP_SYN0 | TCP_SYN1)) == (TCP_SYN0 | TCP_SYN1)
            && (state & (TCP_FIN0 | TCP_FIN1 | TCP_RST)) == 0;
    return established ? T_TCP_EST : T_TCP_TRANS;
}

/* Queues a session for expiry at its current expiry tick (each live session has one entry). */
static inline void arm(struct hp_ref *x, uint32_t s)
{
    const struct sess *e = &x->sess[s];
    struct fifo *f = &x->fifo[timeout_class(e->proto, e->state)];
    f->e[f->tail++ & f->mask] = (e->expires >> x->tick_shift) << 32 | s;
}

static void mapping_release(struct hp_ref *x, uint32_t m)
{
    struct mapping *mp = &x->maps[m];
    if (--mp->refs > 0) {
        return;
    }
    struct pool *p = x->out_pool[mp->rule];
    port_free(p, mp->pi, mp->addr_index, rte_be_to_cpu_16(mp->ext_port));
    kvt_del(&x->map_by_in, mp->key);
    x->map_free[x->map_free_top++] = m;
}

static void session_remove(struct hp_ref *x, uint32_t s)
{
    struct sess *e = &x->sess[s];
    /* flow 0 matches the reverse of flow 1's rewrite and vice versa */
    flow_remove(x, e->rw[1].dst, e->rw[1].src, swap_ports(e->rw[1].ports), e->proto);
    flow_remove(x, e->rw[0].dst, e->rw[0].src, swap_ports(e->rw[0].ports), e->proto);
    if (e->mapping != NIL) {
        mapping_release(x, e->mapping);
    }
    e->next = x->free_head;
    x->free_head = s;
    x->session_count--;
    x->c[C_SESSIONS_EXPIRED]++;
}

static inline void prefetch_removal(const struct hp_ref *x, uint32_t s)
{
    const struct sess *e = &x->sess[s];
    rte_prefetch0(&x->slots[flow_hash(x, e->rw[1].dst, e->rw[1].src, swap_ports(e->rw[1].ports), e->proto)
                            & x->slot_mask]);
    rte_prefetch0(&x->slots[flow_hash(x, e->rw[0].dst, e->rw[0].src, swap_ports(e->rw[0].ports), e->proto)
                            & x->slot_mask]);
    if (e->mapping != NIL) {
        rte_prefetch0(&x->maps[e->mapping]);
    }
}

/*
 * Removes sessions whose expiry tick lies before now's (at most budget), oldest first, and
 * re-arms those refreshed since they were armed. The next sessions' records are prefetched 8
 * entries ahead and their index slots and mapping 4 ahead.
 */
static void expire(struct hp_ref *x, uint32_t budget)
{
    const uint64_t now_tick = x->now >> x->tick_shift;
    for (int c = 0; c < T_CLASSES && budget > 0; c++) {
        struct fifo *f = &x->fifo[c];
        uint64_t tail = f->tail; /* entries re-armed now go behind it */
        while (f->head != tail && budget > 0) {
            uint64_t entry = f->e[f->head & f->mask];
            if ((entry >> 32) >= now_tick) {
                break;
            }
            if (f->head + 8 < tail && (f->e[(f->head + 8) & f->mask] >> 32) < now_tick) {
                rte_prefetch0(&x->sess[(uint32_t)f->e[(f->head + 8) & f->mask]]);
            }
            if (f->head + 4 < tail && (f->e[(f->head + 4) & f->mask] >> 32) < now_tick) {
                prefetch_removal(x, (uint32_t)f->e[(f->head + 4) & f->mask]);
            }
            f->head++;
            uint32_t s = (uint32_t)entry;
            if ((x->sess[s].expires >> x->tick_shift) < now_tick) {
                session_remove(x, s);
                budget--;
            } else {
                arm(x, s);
            }
        }
    }
}

/*
 * Creates a session for the packet's flow (src, dst, ports) that rewrites it to
 * (to_src, to_dst, to_ports); returns its flow 0, or NIL when the table is full.
 */
static uint32_t session_create(struct hp_ref *x, uint32_t proto, uint32_t src, uint32_t dst, uint32_t ports,
                               uint32_t to_src, uint32_t to_dst, uint32_t to_ports, uint32_t mapping)
{
    if (x->session_count >= x->max_sessions || x->free_head == NIL) {
        return NIL;
    }
    uint32_t s = x->free_head;
    struct sess *e = &x->sess[s];
    x->free_head = e->next;
    uint32_t d_ip = fold(delta32(src, to_src) + delta32(dst, to_dst));
    uint32_t d_l4 = fold(d_ip + delta32(ports, to_ports));
    e->rw[0] = (struct rw){ to_src, to_dst, to_ports, (uint16_t)d_ip, (uint16_t)d_l4 };
    e->rw[1] = (struct rw){ dst, src, swap_ports(ports), (uint16_t)negate(d_ip), (uint16_t)negate(d_l4) };
    e->mapping = mapping;
    e->proto = (uint8_t)proto;
    e->state = 0;
    e->expires = x->now + session_timeout(x, proto, 0);
    flow_insert(x, src, dst, ports, proto, 2 * s);
    flow_insert(x, to_dst, to_src, swap_ports(to_ports), proto, 2 * s + 1);
    arm(x, s);
    x->session_count++;
    x->burst_creates++;
    x->c[C_SESSIONS_CREATED]++;
    if (mapping != NIL) {
        x->maps[mapping].refs++;
    }
    return 2 * s;
}

/* The endpoint-independent mapping of (proto, host, port) under outbound rule o; NIL + *why on failure. */
static uint32_t mapping_for(struct hp_ref *x, uint32_t o, uint32_t proto, uint32_t host, uint32_t port_be, int *why)
{
    uint64_t key = (uint64_t)proto << 48 | (uint64_t)port_be << 32 | host;
    uint32_t m = kvt_get(&x->map_by_in, key);
    if (m != NIL) {
        return m;
    }
    if (x->map_free_top == 0) {
        *why = D_SESSIONS_FULL;
        return NIL;
    }
    struct pool *p = x->out_pool[o];
    uint32_t pi = proto == IPPROTO_TCP ? 0 : 1;
    uint32_t a = address_for(p, rte_be_to_cpu_32(host));
    int ext = port_allocate(p, pi, a, rte_be_to_cpu_16((uint16_t)port_be));
    if (ext < 0) {
        *why = D_PORTS_EXHAUSTED;
        return NIL;
    }
    m = x->map_free[--x->map_free_top];
    struct mapping *mp = &x->maps[m];
    mp->key = key;
    mp->ext_addr = p->addr[a];
    mp->ext_port = rte_cpu_to_be_16((uint16_t)ext);
    mp->pi = (uint8_t)pi;
    mp->rule = (uint8_t)o;
    mp->addr_index = a;
    mp->refs = 0;
    kvt_put(&x->map_by_in, key, m);
    return m;
}

static inline int outbound_rule(const struct hp_ref *x, uint32_t src, uint32_t egress)
{
    for (uint32_t o = 0; o < x->out_count; o++) {
        if (x->out_iface[o] == egress && (src & x->out_mask[o]) == x->out_net[o]) {
            return (int)o;
        }
    }
    return -1;
}

/* A new NAPT session for the packet (src:sport -> dst:dport), translated to the mapping -> (to_dst, to_ports' dport). */
static uint32_t napt_session(struct hp_ref *x, int o, struct pkt *pk, uint32_t to_dst, uint32_t to_dport_be, int *why)
{
    uint32_t m = mapping_for(x, (uint32_t)o, pk->proto, pk->src, pk->ports & 0xffff, why);
    if (m == NIL) {
        return NIL;
    }
    const struct mapping *mp = &x->maps[m];
    uint32_t to_ports = (uint32_t)mp->ext_port | to_dport_be << 16;
    uint32_t f = session_create(x, pk->proto, pk->src, pk->dst, pk->ports, mp->ext_addr, to_dst, to_ports, m);
    if (f == NIL) {
        if (mp->refs == 0) {
            x->maps[m].refs = 1;
            mapping_release(x, m);
        }
        *why = D_SESSIONS_FULL;
    }
    return f;
}

/* ---- the loop ----------------------------------------------------------------------------------------- */

static inline void drop(struct hp_ref *x, struct rte_mbuf *m, int reason)
{
    x->c[reason]++;
    x->drops[x->drop_count++] = m;
}

/* Stage 1: checks the frame and IPv4 header, extracts the flow tuple and hashes it. */
static inline int parse(struct hp_ref *x, struct rte_mbuf *m, uint32_t in, struct pkt *pk)
{
    pk->ok = 0;
    if (unlikely(m->nb_segs != 1 || m->data_len < sizeof(struct rte_ether_hdr) + sizeof(struct rte_ipv4_hdr))) {
        return D_BAD_HEADER;
    }
    const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
    const struct rte_ether_hdr *eth = (const struct rte_ether_hdr *)f;
    if (unlikely(eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4))) {
        return D_NOT_IPV4;
    }
    if (unlikely(memcmp(eth->dst_addr.addr_bytes, x->port_mac[in], 6) != 0)) {
        return D_NOT_FOR_US;
    }
    const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(f + sizeof(*eth));
    uint32_t avail = m->data_len - sizeof(*eth);
    uint32_t total = rte_be_to_cpu_16(ip->total_length);
    if (unlikely(ip->version_ihl != 0x45)) {
        return (ip->version_ihl >> 4) == 4 && (ip->version_ihl & 0xf) > 5 ? D_UNSUPPORTED : D_BAD_HEADER;
    }
    if (unlikely(total < 20 || total > avail)) {
        return D_BAD_HEADER;
    }
    const uint16_t *w = (const uint16_t *)(const void *)(f + sizeof(*eth));
    uint32_t sum = (uint32_t)w[0] + w[1] + w[2] + w[3] + w[4] + w[5] + w[6] + w[7] + w[8] + w[9];
    if (unlikely(fold(sum) != 0xffff)) {
        return D_BAD_CHECKSUM;
    }
    if (unlikely(total < avail)) {
        rte_pktmbuf_trim(m, (uint16_t)(avail - total)); /* Ethernet padding */
    }
    if (unlikely((ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0)) {
        return D_UNSUPPORTED;
    }
    pk->src = ip->src_addr;
    pk->dst = ip->dst_addr;
    pk->proto = ip->next_proto_id;
    if (likely((pk->proto == IPPROTO_UDP && total >= 28) || (pk->proto == IPPROTO_TCP && total >= 40))) {
        pk->ports = *(const uint32_t *)(const void *)(f + sizeof(*eth) + 20);
    } else {
        pk->ports = 0;
        pk->proto = 0; /* no NAT for it */
    }
    pk->ok = 1;
    return 0;
}

static inline uint32_t first_octet(uint32_t be) { return be & 0xff; }

static inline int martian_source(uint32_t src, uint32_t dst)
{
    uint32_t a = first_octet(src);
    return a == 0 || a == 127 || a >= 224 || src == dst;
}

static inline int martian_destination(uint32_t dst)
{
    uint32_t a = first_octet(dst);
    return a == 0 || a == 127 || a >= 224;
}

/* Rewrites the IPv4 header and L4 header, with the TTL decrement in the same header-checksum update. */
static inline void rewrite(struct rte_ipv4_hdr *ip, uint32_t proto, uint32_t src, uint32_t dst, uint32_t ports,
                           uint32_t d_ip, uint32_t d_l4)
{
    ip->src_addr = src;
    ip->dst_addr = dst;
    ip->time_to_live--;
    ip->hdr_checksum = apply_delta(ip->hdr_checksum, d_ip + 0xfffe); /* TTL word - 0x0100 */
    if (proto == IPPROTO_UDP) {
        struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);
        *(uint32_t *)(void *)u = ports;
        if (u->dgram_cksum != 0) {
            uint16_t ck = apply_delta(u->dgram_cksum, d_l4);
            u->dgram_cksum = ck == 0 ? 0xffff : ck;
        }
    } else if (proto == IPPROTO_TCP) {
        struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)(ip + 1);
        *(uint32_t *)(void *)t = ports;
        t->cksum = apply_delta(t->cksum, d_l4);
    }
}

/* Stage 3: NAT decision, routing, rewrite, output. */
static inline void process(struct hp_ref *x, struct rte_mbuf *m, uint32_t in, struct pkt *pk)
{
    struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
    uint32_t src = pk->src, dst = pk->dst, ports = pk->ports, proto = pk->proto;
    if (unlikely(martian_source(src, dst))) {
        drop(x, m, D_MARTIAN);
        return;
    }
    uint32_t back;
    if (unlikely(rte_lpm_lookup(x->lpm, rte_be_to_cpu_32(src), &back) != 0)) {
        if (x->anti_spoof[in]) {
            drop(x, m, D_SPOOFED);
            return;
        }
    } else if (unlikely(x->routes[back].local)) {
        drop(x, m, D_MARTIAN);
        return;
    } else if (unlikely(x->anti_spoof[in] && x->routes[back].iface != in)) {
        drop(x, m, D_SPOOFED);
        return;
    }
    if (unlikely(martian_destination(dst))) {
        drop(x, m, D_MARTIAN);
        return;
    }
    /* the NAT before routing: a session, or a public address */
    int translate = 0;
    uint32_t n_src = src, n_dst = dst, n_ports = ports, d_ip = 0, d_l4 = 0;
    struct sess *hit = NULL;
    uint32_t dir = 0;
    uint32_t flow = pk->flow;
    if (unlikely(flow == NIL && x->burst_creates != 0 && proto != 0)) {
        /* an earlier packet of this burst may have opened this flow's session after the lookups */
        flow = flow_lookup(x, flow_hash(x, src, dst, ports, proto), src, dst, ports, proto);
    }
    if (flow != NIL) {
        hit = &x->sess[flow >> 1];
        dir = flow & 1;
        take_rewrite(&hit->rw[dir], &n_src, &n_dst, &n_ports, &d_ip, &d_l4);
        translate = 1;
    } else if (x->nat_rules) {
        uint32_t pub = kvt_get(&x->public_addr, dst);
        uint32_t kind = pub >> 24;
        if (pub != NIL && kind != PUB_LOCAL) {
            uint32_t f = NIL;
            int why = D_NO_MAPPING;
            if (kind == PUB_PFWD && proto != 0) {
                uint32_t r = kvt_get(&x->pfwd_by_ext, dst | (uint64_t)(ports >> 16) << 32 | (uint64_t)proto << 48);
                if (r != NIL && !x->external[in]) {
                    drop(x, m, D_UNSUPPORTED); /* reflection through a port forward */
                    return;
                }
                if (r != NIL) {
                    const struct pfwd *pf = &x->pfwd[r];
                    uint32_t dport = rte_be_to_cpu_16((uint16_t)(ports >> 16));
                    uint32_t to_dport = rte_cpu_to_be_16((uint16_t)(pf->in_port_base_host + dport - pf->ext_port_low_host));
                    f = session_create(x, proto, src, dst, ports, src, pf->in_addr, (ports & 0xffff) | to_dport << 16,
                                       NIL);
                    why = D_SESSIONS_FULL;
                }
            } else if (kind == PUB_BINAT) {
                const struct binat *b = &x->binat[pub & 0xffffff];
                if (x->external[in]) {
                    n_dst = b->in;
                    d_ip = d_l4 = negate(b->d_out);
                    translate = 1;
                } else if (!x->reflection || !b->reflect) {
                    drop(x, m, D_NO_MAPPING);
                    return;
                } else {
                    /* reflection, mapped source: the client's own 1:1 address, else its NAPT mapping */
                    uint32_t c = kvt_get(&x->binat_by_in, src);
                    if (c != NIL && x->binat[c].iface == b->iface) {
                        n_src = x->binat[c].ext;
                        n_dst = b->in;
                        d_ip = d_l4 = fold(x->binat[c].d_out + negate(b->d_out));
                        translate = 1;
                    } else {
                        int o = outbound_rule(x, src, b->iface);
                        if (o < 0 || proto == 0) {
                            drop(x, m, o < 0 ? D_NO_MAPPING : D_UNSUPPORTED);
                            return;
                        }
                        f = napt_session(x, o, pk, b->in, ports >> 16, &why);
                    }
                }
            }
            if (!translate) {
                if (f == NIL) {
                    drop(x, m, why);
                    return;
                }
                hit = &x->sess[f >> 1];
                take_rewrite(&hit->rw[0], &n_src, &n_dst, &n_ports, &d_ip, &d_l4);
                translate = 1;
            }
        }
    }
    /* routing */
    uint32_t rt;
    if (unlikely(rte_lpm_lookup(x->lpm, rte_be_to_cpu_32(n_dst), &rt) != 0)) {
        drop(x, m, D_NO_ROUTE);
        return;
    }
    const struct route *route = &x->routes[rt];
    if (unlikely(route->local)) {
        drop(x, m, D_LOCAL);
        return;
    }
    if (unlikely(route->connected && route->len <= 30
                 && (rte_be_to_cpu_32(n_dst) | route->mask_host) == UINT32_MAX)) {
        drop(x, m, D_MARTIAN); /* directed broadcast */
        return;
    }
    uint32_t egress = route->iface;
    if (unlikely(ip->time_to_live <= 1)) {
        drop(x, m, D_TTL);
        return;
    }
    if (unlikely(rte_be_to_cpu_16(ip->total_length) > x->mtu[egress])) {
        drop(x, m, D_MTU);
        return;
    }
    /* the NAT after routing: 1:1 source, then outbound NAPT */
    if (!translate && (x->binat_count | x->out_count) != 0) {
        uint32_t r = x->binat_count ? kvt_get(&x->binat_by_in, src) : NIL;
        if (r != NIL && x->binat[r].iface == egress) {
            n_src = x->binat[r].ext;
            d_ip = d_l4 = x->binat[r].d_out;
            translate = 1;
        } else if (x->external[egress] && !x->external[in]) {
            int o = outbound_rule(x, src, egress);
            if (o < 0 || proto == 0) {
                drop(x, m, o < 0 ? D_UNTRANSLATED : D_UNSUPPORTED);
                return;
            }
            int why = D_NO_MAPPING;
            uint32_t f = napt_session(x, o, pk, dst, ports >> 16, &why);
            if (f == NIL) {
                drop(x, m, why);
                return;
            }
            hit = &x->sess[f >> 1];
            take_rewrite(&hit->rw[0], &n_src, &n_dst, &n_ports, &d_ip, &d_l4);
            translate = 1;
        }
    }
    uint32_t next_hop = route->gw != 0 ? route->gw : n_dst;
    const struct nb *nb = nbt_get(&x->neighbors, next_hop);
    if (unlikely(nb == NULL)) {
        drop(x, m, D_NO_NEIGHBOR);
        return;
    }
    if (hit != NULL) {
        session_refresh(x, hit, dir, (const struct rte_udp_hdr *)(ip + 1));
    }
    rewrite(ip, proto, n_src, n_dst, n_ports, d_ip, d_l4);
    x->c[C_TRANSLATED] += translate;
    uint8_t *eth = rte_pktmbuf_mtod(m, uint8_t *);
    memcpy(eth, nb->mac, 6);
    memcpy(eth + 6, x->port_mac[egress], 6);
    x->c[C_FORWARDED]++;
    x->tx[egress][x->tx_count[egress]++] = m;
}

/* One loop iteration over both ports; returns the packets received. */
int32_t hp_ref_poll(struct hp_ref *x)
{
    x->now = rte_rdtsc();
    int32_t work = 0;
    const int sessions = x->session_count > 0;
    for (uint32_t in = 0; in < MAX_IFACES; in++) {
        uint16_t n = rte_eth_rx_burst(x->port_id[in], 0, x->rx, BURST);
        if (n == 0) {
            continue;
        }
        work += n;
        x->c[C_RX] += n;
        x->burst_creates = 0;
        for (uint16_t i = 0; i < n; i++) { /* the headers of the whole burst, loading in parallel */
            rte_prefetch0(rte_pktmbuf_mtod(x->rx[i], void *));
        }
        for (uint16_t i = 0; i < n; i++) {
            struct pkt *pk = &x->pk[i];
            int v = parse(x, x->rx[i], in, pk);
            if (unlikely(v != 0)) {
                drop(x, x->rx[i], v);
                continue;
            }
            pk->flow = NIL;
            if (x->nat_rules) { /* the stateless lookups of stage 3, in flight for the whole burst */
                rte_prefetch0(&x->public_addr.e[kvt_home(&x->public_addr, pk->dst)]);
                if (x->binat_count) {
                    rte_prefetch0(&x->binat_by_in.e[kvt_home(&x->binat_by_in, pk->src)]);
                }
            }
            if (sessions && pk->proto != 0) {
                pk->hash = flow_hash(x, pk->src, pk->dst, pk->ports, pk->proto);
                rte_prefetch0(&x->slots[pk->hash & x->slot_mask]);
            }
        }
        if (sessions) {
            for (uint16_t i = 0; i < n; i++) {
                struct pkt *pk = &x->pk[i];
                if (pk->ok && pk->proto != 0) {
                    pk->flow = flow_lookup(x, pk->hash, pk->src, pk->dst, pk->ports, pk->proto);
                    if (pk->flow != NIL) {
                        rte_prefetch0(&x->sess[pk->flow >> 1]);
                    } else if (x->out_count) { /* a new flow: its mapping's slot */
                        uint64_t key = (uint64_t)pk->proto << 48 | (uint64_t)(pk->ports & 0xffff) << 32 | pk->src;
                        rte_prefetch0(&x->map_by_in.e[kvt_home(&x->map_by_in, key)]);
                    }
                }
            }
        }
        for (uint16_t i = 0; i < n; i++) {
            if (x->pk[i].ok) {
                process(x, x->rx[i], in, &x->pk[i]);
            }
        }
    }
    for (uint32_t p = 0; p < MAX_IFACES; p++) {
        uint32_t k = x->tx_count[p];
        if (k == 0) {
            continue;
        }
        uint16_t sent = rte_eth_tx_burst(x->port_id[p], 0, x->tx[p], (uint16_t)k);
        if (unlikely(sent < k)) {
            x->c[C_TX_FULL] += k - sent;
            rte_pktmbuf_free_bulk(&x->tx[p][sent], k - sent);
        }
        x->tx_count[p] = 0;
    }
    if (unlikely(x->drop_count > 0)) {
        rte_pktmbuf_free_bulk(x->drops, x->drop_count);
        x->drop_count = 0;
    }
    if (x->now >= x->next_housekeeping) {
        x->next_housekeeping = x->now + x->housekeeping_every;
        if (x->session_count > 0) {
            expire(x, 4096);
        }
    }
    return work;
}
