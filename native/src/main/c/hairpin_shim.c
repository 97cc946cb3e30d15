#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_bus.h>
#include <rte_cycles.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_eth_ring.h>
#include <rte_ring.h>
#include <rte_version.h>

#include "hairpin_shim.h"

/* The Java side hard-codes nothing it has not checked against these. */
_Static_assert(sizeof(struct rte_mbuf) == 128, "rte_mbuf is 128 bytes in DPDK 22.11");
_Static_assert(offsetof(struct rte_mbuf, buf_addr) == 0, "buf_addr");
_Static_assert(offsetof(struct rte_mbuf, data_off) == 16, "data_off");
_Static_assert(offsetof(struct rte_mbuf, ol_flags) == 24, "ol_flags");
_Static_assert(offsetof(struct rte_mbuf, packet_type) == 32, "packet_type");
_Static_assert(offsetof(struct rte_mbuf, pkt_len) == 36, "pkt_len");
_Static_assert(offsetof(struct rte_mbuf, data_len) == 40, "data_len");
_Static_assert(offsetof(struct rte_mbuf, pool) == 56, "pool");
_Static_assert(offsetof(struct rte_mbuf, next) == 64, "next");

int hp_abi_info(int64_t *out, int n)
{
    int64_t v[HP_ABI_FIELD_COUNT];
    v[HP_ABI_VERSION_FIELD] = HP_ABI_VERSION;
    v[HP_ABI_MBUF_SIZE] = sizeof(struct rte_mbuf);
    v[HP_ABI_OFF_BUF_ADDR] = offsetof(struct rte_mbuf, buf_addr);
    v[HP_ABI_OFF_DATA_OFF] = offsetof(struct rte_mbuf, data_off);
    v[HP_ABI_OFF_OL_FLAGS] = offsetof(struct rte_mbuf, ol_flags);
    v[HP_ABI_OFF_PACKET_TYPE] = offsetof(struct rte_mbuf, packet_type);
    v[HP_ABI_OFF_PKT_LEN] = offsetof(struct rte_mbuf, pkt_len);
    v[HP_ABI_OFF_DATA_LEN] = offsetof(struct rte_mbuf, data_len);
    v[HP_ABI_OFF_POOL] = offsetof(struct rte_mbuf, pool);
    v[HP_ABI_OFF_NEXT] = offsetof(struct rte_mbuf, next);
    v[HP_ABI_OFF_NB_SEGS] = offsetof(struct rte_mbuf, nb_segs);
    v[HP_ABI_OFF_PORT] = offsetof(struct rte_mbuf, port);
    v[HP_ABI_OFF_BUF_LEN] = offsetof(struct rte_mbuf, buf_len);
    v[HP_ABI_OFF_VLAN_TCI] = offsetof(struct rte_mbuf, vlan_tci);
    v[HP_ABI_HEADROOM] = RTE_PKTMBUF_HEADROOM;
    int count = n < HP_ABI_FIELD_COUNT ? n : HP_ABI_FIELD_COUNT;
    memcpy(out, v, sizeof(int64_t) * count);
    return HP_ABI_FIELD_COUNT;
}

int hp_errno(void) { return rte_errno; }

const char *hp_strerror(int err) { return rte_strerror(err); }

int hp_eal_init(int argc, char **argv)
{
    int ret = rte_eal_init(argc, argv);
    return ret < 0 ? -rte_errno : ret;
}

int hp_eal_cleanup(void) { return rte_eal_cleanup(); }

/* devargs is "name,key=value,..."; only virtual devices are hot-plugged. */
int hp_dev_probe(const char *devargs)
{
    char name[RTE_DEV_NAME_MAX_LEN];
    const char *comma = strchr(devargs, ',');
    size_t len = comma ? (size_t)(comma - devargs) : strlen(devargs);
    if (len == 0 || len >= sizeof(name))
        return -EINVAL;
    memcpy(name, devargs, len);
    name[len] = '\0';
    return rte_eal_hotplug_add("vdev", name, comma ? comma + 1 : "");
}

int hp_dev_remove(const char *name) { return rte_eal_hotplug_remove("vdev", name); }

void *hp_mempool_create(const char *name, uint32_t n, uint32_t cache, uint16_t data_room, int socket)
{
    return rte_pktmbuf_pool_create(name, n, cache, 0, data_room, socket < 0 ? (int)rte_socket_id() : socket);
}

void hp_mempool_free(void *mp) { rte_mempool_free((struct rte_mempool *)mp); }

uint32_t hp_mempool_avail(void *mp) { return rte_mempool_avail_count((struct rte_mempool *)mp); }

int hp_port_count(void) { return rte_eth_dev_count_avail(); }

int hp_port_by_name(const char *name)
{
    uint16_t port;
    int ret = rte_eth_dev_get_port_by_name(name, &port);
    return ret < 0 ? ret : port;
}

int hp_port_name(uint16_t port, char *out, int len)
{
    char name[RTE_ETH_NAME_MAX_LEN];
    int ret = rte_eth_dev_get_name_by_port(port, name);
    if (ret < 0)
        return ret;
    snprintf(out, len, "%s", name);
    return 0;
}

int hp_port_configure(uint16_t port, uint16_t nrxq, uint16_t ntxq, uint16_t nb_rxd, uint16_t nb_txd, void *mp)
{
    struct rte_eth_conf conf;
    struct rte_eth_dev_info info;
    memset(&conf, 0, sizeof(conf));
    int ret = rte_eth_dev_info_get(port, &info);
    if (ret < 0)
        return ret;
    if (nrxq > 1) {
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_hf =
            (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
    }
    ret = rte_eth_dev_configure(port, nrxq, ntxq, &conf);
    if (ret < 0)
        return ret;
    ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nb_rxd, &nb_txd);
    if (ret < 0)
        return ret;
    int socket = rte_eth_dev_socket_id(port);
    if (socket < 0)
        socket = (int)rte_socket_id();
    for (uint16_t q = 0; q < nrxq; q++) {
        ret = rte_eth_rx_queue_setup(port, q, nb_rxd, socket, NULL, (struct rte_mempool *)mp);
        if (ret < 0)
            return ret;
    }
    for (uint16_t q = 0; q < ntxq; q++) {
        ret = rte_eth_tx_queue_setup(port, q, nb_txd, socket, NULL);
        if (ret < 0)
            return ret;
    }
    return 0;
}

int hp_port_set_mtu(uint16_t port, uint16_t mtu) { return rte_eth_dev_set_mtu(port, mtu); }
int hp_port_start(uint16_t port) { return rte_eth_dev_start(port); }
int hp_port_stop(uint16_t port) { return rte_eth_dev_stop(port); }
int hp_port_close(uint16_t port) { return rte_eth_dev_close(port); }

int hp_port_promiscuous(uint16_t port, int on)
{
    return on ? rte_eth_promiscuous_enable(port) : rte_eth_promiscuous_disable(port);
}

int hp_port_mac(uint16_t port, uint8_t *out6)
{
    struct rte_ether_addr addr;
    int ret = rte_eth_macaddr_get(port, &addr);
    if (ret == 0)
        memcpy(out6, addr.addr_bytes, 6);
    return ret;
}

int hp_port_set_mac(uint16_t port, const uint8_t *mac6)
{
    struct rte_ether_addr addr;
    memcpy(addr.addr_bytes, mac6, 6);
    return rte_eth_dev_default_mac_addr_set(port, &addr);
}

/* out3: link up (0/1), speed in Mbps, full duplex (0/1). */
int hp_port_link(uint16_t port, int64_t *out3)
{
    struct rte_eth_link link;
    memset(&link, 0, sizeof(link));
    int ret = rte_eth_link_get_nowait(port, &link);
    if (ret < 0)
        return ret;
    out3[0] = link.link_status;
    out3[1] = link.link_speed;
    out3[2] = link.link_duplex;
    return 0;
}

int hp_port_stats(uint16_t port, uint64_t *out, int n)
{
    struct rte_eth_stats s;
    int ret = rte_eth_stats_get(port, &s);
    if (ret < 0)
        return ret;
    uint64_t v[HP_STAT_COUNT] = {s.ipackets, s.opackets, s.ibytes, s.obytes,
                                 s.imissed, s.ierrors, s.oerrors, s.rx_nombuf};
    int count = n < HP_STAT_COUNT ? n : HP_STAT_COUNT;
    memcpy(out, v, sizeof(uint64_t) * count);
    return HP_STAT_COUNT;
}

int hp_port_max_queues(uint16_t port, int32_t *out2)
{
    struct rte_eth_dev_info info;
    int ret = rte_eth_dev_info_get(port, &info);
    if (ret < 0)
        return ret;
    out2[0] = info.max_rx_queues;
    out2[1] = info.max_tx_queues;
    return 0;
}

uint16_t hp_rx_burst(uint16_t port, uint16_t queue, void **pkts, uint16_t n)
{
    return rte_eth_rx_burst(port, queue, (struct rte_mbuf **)pkts, n);
}

uint16_t hp_tx_burst(uint16_t port, uint16_t queue, void **pkts, uint16_t n)
{
    return rte_eth_tx_burst(port, queue, (struct rte_mbuf **)pkts, n);
}

/* One downcall per burst: whatever the queue does not take is freed here. */
uint16_t hp_tx_burst_or_free(uint16_t port, uint16_t queue, void **pkts, uint16_t n)
{
    uint16_t sent = rte_eth_tx_burst(port, queue, (struct rte_mbuf **)pkts, n);
    if (unlikely(sent < n))
        rte_pktmbuf_free_bulk((struct rte_mbuf **)pkts + sent, n - sent);
    return sent;
}

void hp_mbuf_free_bulk(void **pkts, uint32_t n) { rte_pktmbuf_free_bulk((struct rte_mbuf **)pkts, n); }

int hp_mbuf_alloc_bulk(void *mp, void **pkts, uint32_t n)
{
    return rte_pktmbuf_alloc_bulk((struct rte_mempool *)mp, (struct rte_mbuf **)pkts, n);
}

/* A full copy (not an indirect clone) whose data can be rewritten freely. */
void *hp_mbuf_clone_copy(void *mp, void *src)
{
    return rte_pktmbuf_copy((struct rte_mbuf *)src, (struct rte_mempool *)mp, 0, UINT32_MAX);
}

/* Rings, and ethdev ports made of them: a port whose RX and TX are two distinct rings lets a
 * benchmark or test wire ports together (or through a mirror) without a NIC. */
void *hp_ring_create(const char *name, uint32_t size)
{
    return rte_ring_create(name, size, (int)rte_socket_id(), RING_F_SP_ENQ | RING_F_SC_DEQ);
}

void hp_ring_free(void *ring) { rte_ring_free((struct rte_ring *)ring); }

int hp_ring_port_create(const char *name, void *rx_ring, void *tx_ring)
{
    struct rte_ring *rx = (struct rte_ring *)rx_ring;
    struct rte_ring *tx = (struct rte_ring *)tx_ring;
    return rte_eth_from_rings(name, &rx, 1, &tx, 1, (unsigned)rte_socket_id());
}

uint32_t hp_ring_enqueue_burst(void *ring, void **objs, uint32_t n)
{
    return rte_ring_enqueue_burst((struct rte_ring *)ring, objs, n, NULL);
}

uint32_t hp_ring_dequeue_burst(void *ring, void **objs, uint32_t n)
{
    return rte_ring_dequeue_burst((struct rte_ring *)ring, objs, n, NULL);
}

uint32_t hp_ring_count(void *ring) { return rte_ring_count((struct rte_ring *)ring); }

int hp_thread_register(void) { return rte_thread_register() < 0 ? -rte_errno : (int)rte_lcore_id(); }
void hp_thread_unregister(void) { rte_thread_unregister(); }
int hp_lcore_id(void) { return (int)rte_lcore_id(); }

int hp_thread_pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return -pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

int hp_gettid(void) { return (int)syscall(SYS_gettid); }

/* Shim.CPU_SET_BYTES, the size Java allocates for these two calls. */
_Static_assert(sizeof(cpu_set_t) == HP_CPU_SET_BYTES, "cpu_set_t is not HP_CPU_SET_BYTES bytes");

/* A task's CPU affinity as a cpu_set_t (HP_CPU_SET_BYTES bytes, CPU i is bit i % 8 of byte i / 8). */
int hp_task_get_cpus(int tid, void *set)
{
    return sched_getaffinity(tid, sizeof(cpu_set_t), (cpu_set_t *)set) != 0 ? -errno : 0;
}

int hp_task_set_cpus(int tid, const void *set)
{
    return sched_setaffinity(tid, sizeof(cpu_set_t), (const cpu_set_t *)set) != 0 ? -errno : 0;
}

uint64_t hp_tsc_hz(void) { return rte_get_tsc_hz(); }
uint64_t hp_rdtsc(void) { return rte_rdtsc(); }

void hp_prefetch_slots(const int64_t *table, const int64_t *at, uint32_t n, uint32_t mask)
{
    for (uint32_t i = 0; i < n; i++) {
        int64_t s = at[i];
        if (s >= 0) {
            rte_prefetch0(&table[s]);
            rte_prefetch0(&table[(s + 3) & mask]);
        }
    }
}

void hp_prefetch(const uint64_t *addrs, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (addrs[i] != 0)
            rte_prefetch0((const void *)(uintptr_t)addrs[i]);
    }
}
