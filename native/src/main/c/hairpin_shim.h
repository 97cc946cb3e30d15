/* Hairpin's flat C ABI over DPDK 22.11: scalars and pointers only, so the
 * Java side binds it by hand with FFM. DPDK's burst and mbuf functions are
 * static inline, hence the wrappers. Every exported function starts "hp_". */
#ifndef HAIRPIN_SHIM_H
#define HAIRPIN_SHIM_H
#include <stdint.h>

#define HP_ABI_VERSION 1

/* Indexes into hp_abi_info's output. */
enum hp_abi_field {
    HP_ABI_VERSION_FIELD = 0,
    HP_ABI_MBUF_SIZE,
    HP_ABI_OFF_BUF_ADDR,
    HP_ABI_OFF_DATA_OFF,
    HP_ABI_OFF_OL_FLAGS,
    HP_ABI_OFF_PACKET_TYPE,
    HP_ABI_OFF_PKT_LEN,
    HP_ABI_OFF_DATA_LEN,
    HP_ABI_OFF_POOL,
    HP_ABI_OFF_NEXT,
    HP_ABI_OFF_NB_SEGS,
    HP_ABI_OFF_PORT,
    HP_ABI_OFF_BUF_LEN,
    HP_ABI_OFF_VLAN_TCI,
    HP_ABI_HEADROOM,
    HP_ABI_FIELD_COUNT
};

/* Indexes into hp_port_stats's output. */
enum hp_stat_field {
    HP_STAT_IPACKETS = 0, HP_STAT_OPACKETS, HP_STAT_IBYTES, HP_STAT_OBYTES,
    HP_STAT_IMISSED, HP_STAT_IERRORS, HP_STAT_OERRORS, HP_STAT_RX_NOMBUF,
    HP_STAT_COUNT
};

int hp_abi_info(int64_t *out, int n);
int hp_errno(void);
const char *hp_strerror(int err);

int hp_eal_init(int argc, char **argv);
int hp_eal_cleanup(void);
int hp_dev_probe(const char *devargs);
int hp_dev_remove(const char *name);

void *hp_mempool_create(const char *name, uint32_t n, uint32_t cache, uint16_t data_room, int socket);
void hp_mempool_free(void *mp);
uint32_t hp_mempool_avail(void *mp);

int hp_port_count(void);
int hp_port_by_name(const char *name);
int hp_port_name(uint16_t port, char *out, int len);
int hp_port_configure(uint16_t port, uint16_t nrxq, uint16_t ntxq, uint16_t nb_rxd, uint16_t nb_txd, void *mp);
int hp_port_set_mtu(uint16_t port, uint16_t mtu);
int hp_port_start(uint16_t port);
int hp_port_stop(uint16_t port);
int hp_port_close(uint16_t port);
int hp_port_promiscuous(uint16_t port, int on);
int hp_port_mac(uint16_t port, uint8_t *out6);
int hp_port_set_mac(uint16_t port, const uint8_t *mac6);
int hp_port_link(uint16_t port, int64_t *out3);
int hp_port_stats(uint16_t port, uint64_t *out, int n);
int hp_port_max_queues(uint16_t port, int32_t *out2);

uint16_t hp_rx_burst(uint16_t port, uint16_t queue, void **pkts, uint16_t n);
uint16_t hp_tx_burst(uint16_t port, uint16_t queue, void **pkts, uint16_t n);
uint16_t hp_tx_burst_or_free(uint16_t port, uint16_t queue, void **pkts, uint16_t n);
void hp_mbuf_free_bulk(void **pkts, uint32_t n);
int hp_mbuf_alloc_bulk(void *mp, void **pkts, uint32_t n);
void *hp_mbuf_clone_copy(void *mp, void *src);

void *hp_ring_create(const char *name, uint32_t size);
void hp_ring_free(void *ring);
int hp_ring_port_create(const char *name, void *rx_ring, void *tx_ring);
uint32_t hp_ring_enqueue_burst(void *ring, void **objs, uint32_t n);
uint32_t hp_ring_dequeue_burst(void *ring, void **objs, uint32_t n);
uint32_t hp_ring_count(void *ring);

int hp_thread_register(void);
void hp_thread_unregister(void);
int hp_lcore_id(void);
int hp_thread_pin(int cpu);
/* Bytes of the cpu_set_t hp_task_get_cpus and hp_task_set_cpus take. */
#define HP_CPU_SET_BYTES 128
int hp_gettid(void);
int hp_task_get_cpus(int tid, void *set);
int hp_task_set_cpus(int tid, const void *set);
uint64_t hp_tsc_hz(void);
uint64_t hp_rdtsc(void);
/* Prefetch instructions for the Java hot path, which has none: table[at[i]] and
 * table[(at[i] + 3) & mask] for each at[i] >= 0 (an index's slots, the line after too when the
 * probe may run into it); then each nonzero addrs[i]. Either array may be empty (n 0). */
void hp_prefetch_slots(const int64_t *table, const int64_t *at, uint32_t n, uint32_t mask);
void hp_prefetch(const uint64_t *addrs, uint32_t n);

#endif
