/*
 * udpblast: the traffic generator and sink of perf/linux-compare.sh.
 *
 *   udpblast send --src A --dst B --dport P [--sport BASE] [--flows N] [--size BYTES]
 *                 [--rate PPS] [--duration S] [--batch N] [--ifname DEV --smac MAC --dmac MAC]
 *   udpblast sink --bind A --port P [--size BYTES] [--max-seconds S]
 *
 * send: N UDP sockets, socket i bound to A:BASE+i and connected to B:P (one flow each), sends
 * BYTES-byte payloads with sendmmsg, a batch per socket in turn, for S seconds, at PPS (0 = as
 * fast as it can). Ahead of its schedule it sleeps, so a sink on the same core gets the CPU.
 * With --ifname it writes the same flows as prebuilt Ethernet frames (IPv4 and UDP checksums
 * filled in) to an AF_PACKET socket on DEV with PACKET_QDISC_BYPASS, one flow after the other
 * in each sendmmsg: no UDP/IP/route/neighbour work on the sending side, a cheaper generator.
 * sink: one UDP socket with a large buffer, recvmmsg until SIGINT/SIGTERM (or S seconds); counts
 * datagrams, wrong lengths, distinct source addresses and ports, and the socket's own drops.
 * Both print one JSON object on stdout when done; the sink prints "ready" on stderr once bound.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 256
#define MAX_SOURCES 8

static volatile sig_atomic_t stop;
static void on_signal(int sig) { (void)sig; stop = 1; }

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *what) { perror(what); exit(2); }

static const char *arg(int argc, char **argv, const char *name, const char *dflt) {
    for (int i = 2; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    return dflt;
}

static struct sockaddr_in addr_of(const char *ip, int port) {
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, ip, &a.sin_addr) != 1) { fprintf(stderr, "udpblast: bad address %s\n", ip); exit(2); }
    return a;
}

static uint16_t csum_fold(uint32_t sum) {
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static uint32_t csum_add(uint32_t sum, const unsigned char *p, int len) {
    for (int i = 0; i + 1 < len; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (len & 1) sum += (uint32_t)(p[len - 1] << 8);
    return sum;
}

static void parse_mac(const char *s, unsigned char *mac) {
    unsigned int b[6];
    if (!s || sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6) {
        fprintf(stderr, "udpblast: bad MAC %s\n", s ? s : "(none)");
        exit(2);
    }
    for (int i = 0; i < 6; i++) mac[i] = (unsigned char)b[i];
}

/* An Ethernet + IPv4 + UDP frame of flow i, checksums filled in; returns its length. */
static int build_frame(unsigned char *f, const unsigned char *smac, const unsigned char *dmac, uint32_t src,
                       uint32_t dst, int sport, int dport, int size, int id) {
    int iplen = 20 + 8 + size;
    memcpy(f, dmac, 6);
    memcpy(f + 6, smac, 6);
    f[12] = 0x08, f[13] = 0x00;
    unsigned char *ip = f + 14, *udp = ip + 20;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    ip[2] = (unsigned char)(iplen >> 8), ip[3] = (unsigned char)iplen;
    ip[4] = (unsigned char)(id >> 8), ip[5] = (unsigned char)id;
    ip[8] = 64, ip[9] = 17;
    memcpy(ip + 12, &src, 4);
    memcpy(ip + 16, &dst, 4);
    uint16_t c = csum_fold(csum_add(0, ip, 20));
    ip[10] = (unsigned char)(c >> 8), ip[11] = (unsigned char)c;
    udp[0] = (unsigned char)(sport >> 8), udp[1] = (unsigned char)sport;
    udp[2] = (unsigned char)(dport >> 8), udp[3] = (unsigned char)dport;
    udp[4] = (unsigned char)((8 + size) >> 8), udp[5] = (unsigned char)(8 + size);
    udp[6] = udp[7] = 0;
    memset(udp + 8, 0x5a, (size_t)size);
    uint32_t sum = csum_add(0, ip + 12, 8) + 17 + (uint32_t)(8 + size);   /* pseudo header */
    c = csum_fold(csum_add(sum, udp, 8 + size));
    if (c == 0) c = 0xffff;
    udp[6] = (unsigned char)(c >> 8), udp[7] = (unsigned char)c;
    return 14 + iplen;
}

/* --ifname: prebuilt frames through one AF_PACKET socket. */
static int do_send_packet(int argc, char **argv, const char *src, const char *dst, int dport, int sport, int flows,
                          int size, double rate, double duration, int batch) {
    const char *ifname = arg(argc, argv, "--ifname", NULL);
    unsigned char smac[6], dmac[6];
    parse_mac(arg(argc, argv, "--smac", NULL), smac);
    parse_mac(arg(argc, argv, "--dmac", NULL), dmac);
    int fd = socket(AF_PACKET, SOCK_RAW, 0);   /* protocol 0: this socket receives nothing */
    if (fd < 0) die("socket(AF_PACKET)");
    struct sockaddr_ll ll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
                             .sll_ifindex = (int)if_nametoindex(ifname)};
    if (!ll.sll_ifindex) die(ifname);
    if (bind(fd, (struct sockaddr *)&ll, sizeof ll) < 0) die("bind(AF_PACKET)");
    int one = 1;
    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    uint32_t s4 = addr_of(src, 0).sin_addr.s_addr, d4 = addr_of(dst, 0).sin_addr.s_addr;
    int flen = 0;
    unsigned char *frames = malloc((size_t)flows * 1536);
    struct iovec *iov = calloc((size_t)flows, sizeof *iov);
    for (int i = 0; i < flows; i++) {
        flen = build_frame(frames + (size_t)i * 1536, smac, dmac, s4, d4, sport + i, dport, size, i);
        iov[i].iov_base = frames + (size_t)i * 1536;
        iov[i].iov_len = (size_t)flen;
    }
    struct mmsghdr msg[MAX_BATCH];
    memset(msg, 0, sizeof msg);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    uint64_t sent = 0, errors = 0, calls = 0;
    uint64_t t0 = now_ns(), end = t0 + (uint64_t)(duration * 1e9), t = t0;
    int f = 0;
    while (!stop && (t = now_ns()) < end) {
        if (rate > 0) {
            double due = (double)(t - t0) * 1e-9 * rate;
            if ((double)(sent + errors + (uint64_t)batch) > due) {
                double ahead_ns = ((double)(sent + errors + (uint64_t)batch) - due) / rate * 1e9;
                if (ahead_ns > 20000) {
                    struct timespec ts = {0, (long)ahead_ns};
                    nanosleep(&ts, NULL);
                } else {
                    sched_yield();
                }
                continue;
            }
        }
        for (int b = 0; b < batch; b++) {   /* consecutive flows in one call */
            msg[b].msg_hdr.msg_iov = &iov[f];
            msg[b].msg_hdr.msg_iovlen = 1;
            if (++f == flows) f = 0;
        }
        int n = sendmmsg(fd, msg, (unsigned)batch, 0);
        calls++;
        if (n < 0) {
            if (errno == EINTR) continue;
            errors += (uint64_t)batch;
        } else {
            sent += (uint64_t)n;
            errors += (uint64_t)(batch - n);
        }
    }
    double secs = (double)(t - t0) * 1e-9;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"sent\":%llu,\"errors\":%llu,\"calls\":%llu,\"seconds\":%.6f,\"pps\":%.0f,\"flows\":%d,\"size\":%d,"
           "\"rate\":%.0f,\"batch\":%d,\"utime\":%.6f,\"stime\":%.6f,\"frame\":%d,\"mode\":\"packet\"}\n",
           (unsigned long long)sent, (unsigned long long)errors, (unsigned long long)calls, secs,
           secs > 0 ? (double)sent / secs : 0.0, flows, size, rate, batch,
           ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6, ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6, flen);
    return 0;
}

static int do_send(int argc, char **argv) {
    const char *src = arg(argc, argv, "--src", NULL), *dst = arg(argc, argv, "--dst", NULL);
    int dport = atoi(arg(argc, argv, "--dport", "7000"));
    int sport = atoi(arg(argc, argv, "--sport", "20000"));
    int flows = atoi(arg(argc, argv, "--flows", "1024"));
    int size = atoi(arg(argc, argv, "--size", "64"));
    double rate = atof(arg(argc, argv, "--rate", "0"));
    double duration = atof(arg(argc, argv, "--duration", "2"));
    int batch = atoi(arg(argc, argv, "--batch", "32"));
    if (!src || !dst || flows < 1 || flows > 40000 || size < 8 || size > 1472 || batch < 1 || batch > MAX_BATCH) {
        fprintf(stderr, "udpblast send: need --src and --dst; 1 <= flows <= 40000, 8 <= size <= 1472, 1 <= batch <= %d\n", MAX_BATCH);
        return 2;
    }
    if (rate > 0 && rate < batch * 1000.0) batch = rate / 1000.0 < 1 ? 1 : (int)(rate / 1000.0);  /* >= 1000 batches/s */
    if (arg(argc, argv, "--ifname", NULL))
        return do_send_packet(argc, argv, src, dst, dport, sport, flows, size, rate, duration, batch);
    int *fd = calloc((size_t)flows, sizeof *fd);
    struct sockaddr_in dsta = addr_of(dst, dport);
    for (int i = 0; i < flows; i++) {
        fd[i] = socket(AF_INET, SOCK_DGRAM, 0);
        if (fd[i] < 0) die("socket");
        int one = 1;
        setsockopt(fd[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        struct sockaddr_in s = addr_of(src, sport + i);
        if (bind(fd[i], (struct sockaddr *)&s, sizeof s) < 0) die("bind");
        if (connect(fd[i], (struct sockaddr *)&dsta, sizeof dsta) < 0) die("connect");
    }
    static unsigned char payload[MAX_BATCH][1472];
    struct iovec iov[MAX_BATCH];
    struct mmsghdr msg[MAX_BATCH];
    memset(msg, 0, sizeof msg);
    for (int b = 0; b < batch; b++) {
        memset(payload[b], 0x5a, (size_t)size);
        iov[b].iov_base = payload[b];
        iov[b].iov_len = (size_t)size;
        msg[b].msg_hdr.msg_iov = &iov[b];
        msg[b].msg_hdr.msg_iovlen = 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    uint64_t sent = 0, errors = 0, calls = 0, seq = 0;
    uint64_t t0 = now_ns(), end = t0 + (uint64_t)(duration * 1e9), t = t0;
    int f = 0;
    while (!stop && (t = now_ns()) < end) {
        if (rate > 0) {
            double due = (double)(t - t0) * 1e-9 * rate;   /* packets the schedule allows by now */
            if ((double)(sent + errors + (uint64_t)batch) > due) {
                double ahead_ns = ((double)(sent + errors + (uint64_t)batch) - due) / rate * 1e9;
                if (ahead_ns > 20000) {
                    struct timespec ts = {0, (long)ahead_ns};
                    nanosleep(&ts, NULL);
                } else {
                    sched_yield();
                }
                continue;
            }
        }
        for (int b = 0; b < batch; b++) memcpy(payload[b], &seq, sizeof seq), seq++;
        int n = sendmmsg(fd[f], msg, (unsigned)batch, 0);
        calls++;
        if (n < 0) {
            if (errno == EINTR) continue;
            errors += (uint64_t)batch;
        } else {
            sent += (uint64_t)n;
            errors += (uint64_t)(batch - n);
        }
        if (++f == flows) f = 0;
    }
    double secs = (double)(t - t0) * 1e-9;
    struct rusage ru;   /* includes the softirq work the kernel did in our syscalls, if not accounted apart */
    getrusage(RUSAGE_SELF, &ru);
    printf("{\"sent\":%llu,\"errors\":%llu,\"calls\":%llu,\"seconds\":%.6f,\"pps\":%.0f,\"flows\":%d,\"size\":%d,"
           "\"rate\":%.0f,\"batch\":%d,\"utime\":%.6f,\"stime\":%.6f}\n",
           (unsigned long long)sent, (unsigned long long)errors, (unsigned long long)calls, secs,
           secs > 0 ? (double)sent / secs : 0.0, flows, size, rate, batch,
           ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6, ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6);
    return 0;
}

static int do_sink(int argc, char **argv) {
    const char *bind_ip = arg(argc, argv, "--bind", NULL);
    int port = atoi(arg(argc, argv, "--port", "7000"));
    int size = atoi(arg(argc, argv, "--size", "64"));
    double max_seconds = atof(arg(argc, argv, "--max-seconds", "600"));
    if (!bind_ip) { fprintf(stderr, "udpblast sink: need --bind\n"); return 2; }
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) die("socket");
    int buf = 64 << 20, one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);
    setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof one);
    struct timeval tv = {0, 100000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct sockaddr_in a = addr_of(bind_ip, port);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0) die("bind");
    struct sigaction sa = {.sa_handler = on_signal};   /* no SA_RESTART: recvmmsg returns EINTR */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    fprintf(stderr, "ready\n");
    fflush(stderr);

    static unsigned char data[MAX_BATCH][2048];
    static unsigned char ctrl[MAX_BATCH][64];
    static struct sockaddr_in from[MAX_BATCH];
    static struct iovec iov[MAX_BATCH];
    static struct mmsghdr msg[MAX_BATCH];
    static uint8_t port_seen[65536];
    uint32_t sources[MAX_SOURCES];
    int nsources = 0, nports = 0;
    uint64_t received = 0, bad_len = 0, first = 0, last = 0;
    uint32_t drops = 0;
    uint64_t deadline = now_ns() + (uint64_t)(max_seconds * 1e9);
    while (!stop && now_ns() < deadline) {
        for (int i = 0; i < MAX_BATCH; i++) {
            iov[i].iov_base = data[i];
            iov[i].iov_len = sizeof data[i];
            msg[i].msg_hdr.msg_iov = &iov[i];
            msg[i].msg_hdr.msg_iovlen = 1;
            msg[i].msg_hdr.msg_name = &from[i];
            msg[i].msg_hdr.msg_namelen = sizeof from[i];
            msg[i].msg_hdr.msg_control = ctrl[i];
            msg[i].msg_hdr.msg_controllen = sizeof ctrl[i];
        }
        int n = recvmmsg(fd, msg, MAX_BATCH, MSG_WAITFORONE, NULL);
        if (n <= 0) continue;   /* timeout (checks the stop flag) or EINTR */
        uint64_t t = now_ns();
        if (!first) first = t;
        last = t;
        received += (uint64_t)n;
        for (int i = 0; i < n; i++) {
            if ((int)msg[i].msg_len != size) bad_len++;
            uint32_t s = from[i].sin_addr.s_addr;
            int k = 0;
            while (k < nsources && sources[k] != s) k++;
            if (k == nsources && nsources < MAX_SOURCES) sources[nsources++] = s;
            uint16_t p = ntohs(from[i].sin_port);
            if (!port_seen[p]) port_seen[p] = 1, nports++;
        }
        struct msghdr *h = &msg[n - 1].msg_hdr;   /* the socket's drop count rides on every datagram */
        for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c))
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) memcpy(&drops, CMSG_DATA(c), sizeof drops);
    }
    printf("{\"received\":%llu,\"bad_len\":%llu,\"socket_drops\":%u,\"src_ports\":%d,\"window_s\":%.6f,\"sources\":[",
           (unsigned long long)received, (unsigned long long)bad_len, drops, nports,
           last > first ? (double)(last - first) * 1e-9 : 0.0);
    for (int k = 0; k < nsources; k++) {
        char ip[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &sources[k], ip, sizeof ip);
        printf("%s\"%s\"", k ? "," : "", ip);
    }
    printf("]}\n");
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 2 && strcmp(argv[1], "send") == 0) return do_send(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "sink") == 0) return do_sink(argc, argv);
    fprintf(stderr, "usage: udpblast send --src A --dst B --dport P [--sport BASE] [--flows N] [--size BYTES]"
                    " [--rate PPS] [--duration S] [--batch N] [--ifname DEV --smac MAC --dmac MAC]\n"
                    "       udpblast sink --bind A --port P [--size BYTES] [--max-seconds S]\n");
    return 2;
}
