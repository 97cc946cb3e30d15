/*
 * What a packet handed to the kernel through a TAP costs the core that writes it: the write and
 * the kernel's own work on the packet, which runs in that system call (tun_get_user delivers it
 * to the stack in the writer's context). Writes COUNT frames to the TAP named IFNAME, UDP to a
 * closed port of 203.0.113.1 from 203.0.113.2 (the kernel answers ICMP port unreachable, rate
 * limited), or with "tcp" a TCP ACK to the same port, and prints one JSON line. The worker's
 * exception path does the same writes through DPDK's net_tap. Run it inside a namespace that
 * holds the TAP (perf/tapcost.sh sets one up).
 *
 *   tapcost IFNAME MAC COUNT [tcp]     MAC: the TAP's own address (frames are addressed to it)
 */
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

static uint16_t checksum(const uint8_t *p, int n, uint32_t sum) {
    for (int i = 0; i + 1 < n; i += 2) {
        sum += (uint32_t) (p[i] << 8 | p[i + 1]);
    }
    if (n & 1) {
        sum += (uint32_t) p[n - 1] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t) ~sum;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: tapcost IFNAME MAC COUNT [tcp]\n");
        return 2;
    }
    int tcp = argc > 4 && strcmp(argv[4], "tcp") == 0;
    long count = atol(argv[3]);
    unsigned mac[6];
    if (sscanf(argv[2], "%x:%x:%x:%x:%x:%x", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) != 6 || count < 1) {
        fprintf(stderr, "tapcost: bad MAC or COUNT\n");
        return 2;
    }
    int fd = open("/dev/net/tun", O_RDWR);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", argv[1]);
    if (fd < 0 || ioctl(fd, TUNSETIFF, &ifr) < 0) {
        perror("tapcost: attach to the TAP");
        return 1;
    }
    uint8_t f[64];
    memset(f, 0, sizeof f);
    for (int i = 0; i < 6; i++) {
        f[i] = (uint8_t) mac[i];
    }
    const uint8_t src_mac[6] = {2, 0, 0, 0, 0, 2};
    memcpy(f + 6, src_mac, 6);
    f[12] = 0x08;
    uint8_t *ip = f + 14;
    int l4len = tcp ? 20 : 8;
    ip[0] = 0x45;
    ip[3] = (uint8_t) (20 + l4len);
    ip[8] = 64;
    ip[9] = tcp ? 6 : 17;
    const uint8_t addrs[8] = {203, 0, 113, 2, 203, 0, 113, 1};
    memcpy(ip + 12, addrs, 8);
    uint16_t c = checksum(ip, 20, 0);
    ip[10] = (uint8_t) (c >> 8);
    ip[11] = (uint8_t) c;
    uint8_t *l4 = ip + 20;
    l4[2] = 0x1f; // destination port 8092, closed
    l4[3] = 0x9c;
    if (tcp) {
        l4[12] = 0x50;
        l4[13] = 0x10; // ACK
        l4[14] = 0xff;
    } else {
        l4[5] = 8;
    }
    size_t len = 14 + 20 + (size_t) l4len;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < count; i++) {
        l4[0] = (uint8_t) (0x80 | (i >> 8 & 0x7f)); // a new source port now and then
        l4[1] = (uint8_t) i;
        // UDP checksum 0 (none); TCP's over the pseudo-header, recomputed for the new port
        if (tcp) {
            l4[16] = l4[17] = 0;
            uint32_t pseudo = (203 << 8 | 0) + (113 << 8 | 2) + (203 << 8 | 0) + (113 << 8 | 1) + 6 + 20;
            c = checksum(l4, 20, pseudo);
            l4[16] = (uint8_t) (c >> 8);
            l4[17] = (uint8_t) c;
        }
        if (write(fd, f, len) < 0) {
            perror("tapcost: write");
            return 1;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = (double) (b.tv_sec - a.tv_sec) * 1e9 + (double) (b.tv_nsec - a.tv_nsec);
    printf("{\"packet\": \"%s\", \"writes\": %ld, \"ns_per_packet\": %.0f, \"packets_per_second\": %.0f}\n",
           tcp ? "tcp-ack" : "udp", count, ns / (double) count, (double) count / ns * 1e9);
    return 0;
}
