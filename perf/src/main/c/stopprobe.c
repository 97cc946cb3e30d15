/*
 * stopprobe: how often, and for how long, this machine stops a core that only spins.
 *
 * `stopprobe SECONDS CPU [THRESHOLD_US]` pins itself to CPU and reads CLOCK_MONOTONIC in a loop
 * that does nothing else, for SECONDS. Whenever two readings are more than 1 µs apart, something
 * else had the core (an interrupt, a kernel thread, the hypervisor): a stop. One JSON line: the
 * stops by length (µs, buckets from 1 to 2000 and above), the longest, the share of the time
 * stopped, and `late_share`, the share of the run's instants from which the core was still stopped
 * THRESHOLD_US (default 20) or more later: the sum over the stops longer than it of their length
 * less it, over the run.
 *
 * That last figure bounds any program on this core from below. A packet that arrives while the
 * core is stopped waits at least until the stop ends, so of packets that arrive evenly, at least
 * `late_share` wait THRESHOLD_US or more, whatever the program does with them, before queueing or
 * its own work. If it is above 0.001, no program can hold p99.9 ≤ THRESHOLD_US here; steal time and
 * `perf sched` show a stop happened, this shows what it costs a latency percentile. Under load the
 * backlog a stop leaves behind adds to it: for a program busy a share ρ of the time (served at a
 * steady rate), a packet that arrives a into a stop of length g waits g − (1 − ρ)a, and those after
 * the stop wait for the backlog, so (g − THRESHOLD)/(1 − ρ) of each stop's instants are late:
 * `late_share` / (1 − ρ) in all. (The benchmark's latency runs, at 50 % of a zero-loss rate that the
 * stops themselves hold far below the DUT's capacity, load it little: ρ near 0.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Lower bounds of the buckets, µs; the last is open. */
static const double BUCKET_US[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000};
#define BUCKETS (sizeof(BUCKET_US) / sizeof(BUCKET_US[0]))

static inline int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 4) {
        fprintf(stderr, "usage: stopprobe SECONDS CPU [THRESHOLD_US]\n");
        return 2;
    }
    double seconds = strtod(argv[1], NULL);
    int cpu = atoi(argv[2]);
    double threshold_us = argc == 4 ? strtod(argv[3], NULL) : 20.0;
    if (!(seconds > 0 && seconds <= 3600) || !(threshold_us >= 1 && threshold_us <= 1e6)) {
        fprintf(stderr, "stopprobe: SECONDS must be in (0, 3600] and THRESHOLD_US in [1, 1000000]\n");
        return 2;
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        fprintf(stderr, "stopprobe: cannot run on CPU %d: %s\n", cpu, strerror(errno));
        return 1;
    }
    uint64_t count[BUCKETS] = {0};
    uint64_t loops = 0, stops = 0;
    int64_t stopped_ns = 0, late_ns = 0, longest_ns = 0;
    const int64_t stop_ns = 1000, threshold_ns = (int64_t) (threshold_us * 1000);
    const int64_t start = now_ns(), end = start + (int64_t) (seconds * 1e9);
    int64_t prev = start, t;
    while ((t = now_ns()) < end) {
        int64_t gap = t - prev;
        prev = t;
        loops++;
        if (gap <= stop_ns) {
            continue;
        }
        stops++;
        stopped_ns += gap;
        if (gap > threshold_ns) {
            late_ns += gap - threshold_ns;
        }
        if (gap > longest_ns) {
            longest_ns = gap;
        }
        size_t b = BUCKETS - 1;
        while (gap < (int64_t) (BUCKET_US[b] * 1000)) {
            b--;
        }
        count[b]++;
    }
    double run_ns = (double) (prev - start);
    printf("{\"cpu\":%d,\"seconds\":%.3f,\"loops\":%llu,\"ns_per_loop\":%.1f,\"stops\":%llu,\"stops_per_s\":%.1f,"
           "\"longest_us\":%.1f,\"stopped_share\":%.6f,\"threshold_us\":%.1f,\"late_share\":%.6f",
           cpu, run_ns / 1e9, (unsigned long long) loops, run_ns / (double) (loops ? loops : 1),
           (unsigned long long) stops, (double) stops / (run_ns / 1e9), (double) longest_ns / 1000.0,
           (double) stopped_ns / run_ns, threshold_us, (double) late_ns / run_ns);
    for (size_t b = 0; b < BUCKETS; b++) {
        printf(",\"stops_from_%.0fus\":%llu", BUCKET_US[b], (unsigned long long) count[b]);
    }
    printf("}\n");
    return 0;
}
