/*
 * memprobe: what this machine's memory allows a core, whatever program runs on it.
 *
 * A table of `size` bytes of 64-byte lines, on 2 MiB pages (MAP_HUGETLB) when the system has
 * them, else on 4 KiB pages with transparent huge pages asked for (the output says which). One
 * thread, on the CPU given. Six figures, each the best of `rounds` passes:
 *   chase   ns per load when each load's address comes from the previous one (the latency of
 *           one miss, nothing overlapped);
 *   stream  ns per line when the loads are independent and their addresses cheap to make
 *           (as many misses in flight as the core allows: the floor for any random access);
 *   lookup  ns per lookup of two dependent lines, slot then record, a burst of 32 at a time
 *           with every slot loaded first (what a hash table lookup costs at best, batched the
 *           way the engine and the C reference batch theirs);
 *   lookup1 the same lookup one at a time (no batching: the two misses of a lookup in a row);
 *   pipelined  the batched lookup with prefetch instructions, three bursts in flight;
 *   staged     the batched lookup with plain loads, one burst's slots read in the same loop as
 *           the records of the burst before (what Java, which has no prefetch, can do).
 * Numbers are for the benchmarks' RESULTS.md: the floor a table lookup cannot go under here.
 *
 * `memprobe pattern INDEX_MIB RECORD_MIB CPU ROUNDS` times the parts of an established packet's
 * look-up at a big table, batched as C's loop batches it (a burst's 8-byte index slots
 * prefetched, then read and their records prefetched, then the records read): reads only; the
 * record's line written too (the refresh); and with the line of slot s + 1 or of slot s + 3
 * prefetched beside each home slot s (the engine's hp_prefetch_slots takes s + 3), which is
 * another line for one home in eight or three in eight. ns per lookup.
 *
 * `memprobe overlap INDEX_MIB RECORD_MIB CPU ROUNDS` asks whether a packet's own work hides the
 * misses of the bursts behind it. Each look-up (a slot, then its record, as in `pattern`) is
 * followed by a chain of STEPS dependent multiply-xor steps that starts from the packet's key and
 * never waits on memory (only its result meets the record's value), for STEPS of 0, 8, 16 and 32.
 * Three schedules: batched (a burst's slots prefetched, then its records, then the records read
 * and worked on: C's loop); pipelined (separate loops per round: burst b's slots prefetched, burst
 * b-1's slots read and records prefetched, burst b-2's records read and worked on: the work has
 * two bursts of misses behind it); interleaved (the same three stages in one loop, a packet of
 * each burst per iteration, so the misses are issued among the work, as VPP's loops issue them).
 * And the work alone: the interleaved loop over one slot and one record, both in L1. ns per
 * look-up, for each STEPS. If the work hid the misses, a schedule's figure would be the larger of
 * its memory-only figure (STEPS 0) and the work alone; if nothing overlapped, their sum.
 *
 * `memprobe split INDEX_MIB RECORD_MIB CPU ROUNDS` times napt-established's pattern instead: an
 * index of INDEX_MIB (two halves, the two directions' indexes) and records of RECORD_MIB; a
 * session's outbound packet reads a slot of the first half, then a random record; its return
 * packet, 512 lookups later, a slot of the second half, then the same record again. Batched 32 at
 * a time as above; ns per lookup. It shows what the index's size costs when only it changes.
 *
 * `memprobe layout SESSIONS INDEX_MIB RECORD_BYTES CPU ROUNDS` times the same pattern over a table
 * laid out as a design would lay it out: SESSIONS records of RECORD_BYTES each (a multiple of 8,
 * 16..128), packed from a line-aligned base so that a record not a divisor of 64 spans two lines
 * now and then, behind an index of INDEX_MIB (two halves, as in `split`). Each look-up reads a
 * slot, then (the slot's load needed first) its session's record: its first word and its last, and
 * writes the one before the last (the refresh); a session's return packet comes 512 look-ups after
 * its outbound one and reads and writes the same record. ns per look-up, and the share of records
 * that span two lines. It prices the memory side of a smaller record or index.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define LINE 64
#define BURST 32

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double) t.tv_sec * 1e9 + (double) t.tv_nsec;
}

static inline uint64_t xorshift(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

static volatile uint64_t sink;

/* A random cyclic permutation of the lines (Sattolo), so a chase visits each line once. */
static void make_chase(uint64_t *t, uint64_t lines, uint64_t seed)
{
    uint64_t *order = malloc(lines * sizeof(uint64_t));
    if (order == NULL) {
        fprintf(stderr, "memprobe: out of memory\n");
        exit(1);
    }
    for (uint64_t i = 0; i < lines; i++) {
        order[i] = i;
    }
    for (uint64_t i = lines - 1; i > 0; i--) {
        uint64_t j = xorshift(&seed) % i;
        uint64_t x = order[i];
        order[i] = order[j];
        order[j] = x;
    }
    for (uint64_t i = 0; i < lines; i++) {
        t[order[i] * (LINE / 8)] = order[(i + 1) % lines];
    }
    free(order);
}

static double chase(const uint64_t *t, uint64_t n)
{
    uint64_t p = 0;
    double t0 = now_ns();
    for (uint64_t i = 0; i < n; i++) {
        p = t[p * (LINE / 8)];
    }
    double t1 = now_ns();
    sink = p;
    return (t1 - t0) / (double) n;
}

static double stream(const uint64_t *t, uint64_t lines, uint64_t n)
{
    uint64_t s = 88172645463325252ULL, sum = 0, mask = lines - 1;
    double t0 = now_ns();
    for (uint64_t i = 0; i < n; i++) {
        sum += t[(xorshift(&s) & mask) * (LINE / 8) + 1];
    }
    double t1 = now_ns();
    sink = sum;
    return (t1 - t0) / (double) n;
}

/* Word 0 of every line is the chase link, a random line: here it serves as a slot's record. */
static double lookup(const uint64_t *t, uint64_t lines, uint64_t n, int batched)
{
    uint64_t s = 0x9E3779B97F4A7C15ULL, sum = 0, mask = lines - 1;
    uint64_t rec[BURST];
    double t0 = now_ns();
    if (batched) {
        for (uint64_t i = 0; i < n; i += BURST) {
            for (int k = 0; k < BURST; k++) {
                rec[k] = t[(xorshift(&s) & mask) * (LINE / 8)];
            }
            for (int k = 0; k < BURST; k++) {
                sum += t[rec[k] * (LINE / 8) + 2];
            }
        }
    } else {
        for (uint64_t i = 0; i < n; i++) {
            uint64_t r = t[(xorshift(&s) & mask) * (LINE / 8)];
            sum += t[r * (LINE / 8) + 2];
        }
    }
    double t1 = now_ns();
    sink = sum;
    return (t1 - t0) / (double) n;
}

/*
 * The same lookups a burst ahead, as a loop with a prefetch instruction can make them: each round
 * prefetches one burst's slots, reads the burst before's slots and prefetches their records, and
 * reads the records of the burst before that.
 */
static double lookup_pipelined(const uint64_t *t, uint64_t lines, uint64_t n)
{
    uint64_t s = 0x9E3779B97F4A7C15ULL, sum = 0, mask = lines - 1;
    uint64_t slot[3][BURST], rec[3][BURST];
    uint64_t bursts = n / BURST;
    double t0 = now_ns();
    for (uint64_t b = 0; b < bursts + 2; b++) {
        uint64_t *ahead = slot[b % 3], *found = slot[(b + 2) % 3], *records = rec[(b + 2) % 3], *due = rec[(b + 1) % 3];
        if (b < bursts) {
            for (int k = 0; k < BURST; k++) {
                ahead[k] = (xorshift(&s) & mask) * (LINE / 8);
                __builtin_prefetch(&t[ahead[k]]);
            }
        }
        if (b >= 1 && b <= bursts) {
            for (int k = 0; k < BURST; k++) {
                records[k] = t[found[k]] * (LINE / 8) + 2;
                __builtin_prefetch(&t[records[k]]);
            }
        }
        if (b >= 2) {
            for (int k = 0; k < BURST; k++) {
                sum += t[due[k]];
            }
        }
    }
    double t1 = now_ns();
    sink = sum;
    return (t1 - t0) / (double) n;
}

/*
 * The same two stages a burst apart with plain loads only, as a loop without prefetch instructions
 * (Java's) can make them: one loop per round reads one burst's slots and the records of the burst
 * before (whose slots the round before read), so both bursts' misses are in flight together.
 */
static double lookup_staged_loads(const uint64_t *t, uint64_t lines, uint64_t n)
{
    uint64_t s = 0x9E3779B97F4A7C15ULL, sum = 0, mask = lines - 1;
    uint64_t rec[2][BURST];
    uint64_t bursts = n / BURST;
    double t0 = now_ns();
    for (int k = 0; k < BURST; k++) {
        rec[1][k] = 0; /* the round before the first: a line already in cache */
    }
    /* two loops, not one with a branch inside: that branch alone costs ≈ 1 ns a lookup here */
    for (uint64_t b = 0; b < bursts + 1; b++) {
        uint64_t *read = rec[b & 1], *due = rec[(b + 1) & 1];
        if (b < bursts) {
            for (int k = 0; k < BURST; k++) {
                read[k] = t[(xorshift(&s) & mask) * (LINE / 8)] * (LINE / 8) + 2;
                sum += t[due[k]];
            }
        } else {
            for (int k = 0; k < BURST; k++) {
                sum += t[due[k]];
            }
        }
    }
    double t1 = now_ns();
    sink = sum;
    return (t1 - t0) / (double) n;
}

static int power_of_two(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

static int pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set) != 0) {
        fprintf(stderr, "memprobe: cannot run on CPU %d: %s\n", cpu, strerror(errno));
        return 0;
    }
    return 1;
}

static void *map_table(size_t bytes, const char **pages)
{
    *pages = "2MiB-hugetlb";
    void *t = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
    if (t == MAP_FAILED) {
        *pages = "4KiB+THP-advised";
        t = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (t == MAP_FAILED) {
            fprintf(stderr, "memprobe: cannot map %llu MiB: %s\n", (unsigned long long) (bytes >> 20), strerror(errno));
            exit(1);
        }
        madvise(t, bytes, MADV_HUGEPAGE);
    }
    memset(t, 1, bytes);
    return t;
}

#define RETURN_LAG 512

/*
 * napt-established's look-ups as `split` and `layout` make them, a burst at a time: in each pair a
 * session's outbound packet (a slot of the index's first half, a record picked at random) and the
 * return packet of the session picked RETURN_LAG look-ups before (a slot of the second half, that
 * session's record).
 */
struct session_walk {
    uint64_t s, records, lag[RETURN_LAG];
    unsigned pos;
};

/* x's upper half scaled to 0..n-1. */
static inline uint64_t pick(uint64_t x, uint64_t n)
{
    return ((x >> 32) * n) >> 32;
}

static void walk_start(struct session_walk *w, uint64_t records)
{
    w->s = 0x9E3779B97F4A7C15ULL;
    w->records = records;
    w->pos = 0;
    for (int k = 0; k < RETURN_LAG; k++) {
        w->lag[k] = pick(xorshift(&w->s), records);
    }
}

/* Loads the next burst's slots into slot[] and names their records in record[]. */
static inline void walk_burst(struct session_walk *w, const uint64_t *index, uint64_t slots_half,
                              uint64_t slot[BURST], uint64_t record[BURST])
{
    uint64_t half = slots_half - 1;
    for (int k = 0; k < BURST; k += 2) {
        uint64_t out = xorshift(&w->s), back = xorshift(&w->s);
        slot[k] = index[out & half];
        slot[k + 1] = index[slots_half + (back & half)];
        record[k] = pick(out, w->records);
        record[k + 1] = w->lag[w->pos % RETURN_LAG];
        w->lag[w->pos++ % RETURN_LAG] = record[k];
    }
}

static double split_lookup(const uint64_t *index, uint64_t slots_half, const uint64_t *rec, uint64_t lines,
                           uint64_t n)
{
    uint64_t sum = 0, mask = lines - 1;
    uint64_t slot[BURST], record[BURST];
    struct session_walk w;
    walk_start(&w, lines);
    double t0 = now_ns();
    for (uint64_t i = 0; i < n; i += BURST) {
        walk_burst(&w, index, slots_half, slot, record);
        for (int k = 0; k < BURST; k++) { /* the slot's value joins the address, so its load is needed first */
            sum += rec[((record[k] + (slot[k] >> 40)) & mask) * (LINE / 8) + 2];
        }
    }
    double t1 = now_ns();
    sink = sum;
    return (t1 - t0) / (double) n;
}

/*
 * One variant of `pattern`: write says whether the record's line is written, ahead (0, 1 or 3)
 * which slot after the home one has its line prefetched too (0: none).
 */
static double pattern_lookup(const uint64_t *index, uint64_t slots, uint64_t *rec, uint64_t lines, uint64_t n,
                             int write, int ahead)
{
    uint64_t s = 0x9E3779B97F4A7C15ULL, sum = 0, mask = slots - 1;
    uint64_t slot[BURST], record[BURST];
    double t0 = now_ns();
    for (uint64_t i = 0; i < n; i += BURST) {
        for (int k = 0; k < BURST; k++) {
            slot[k] = xorshift(&s) & mask;
            __builtin_prefetch(&index[slot[k]]);
            if (ahead != 0) {
                __builtin_prefetch(&index[(slot[k] + ahead) & mask]);
            }
        }
        for (int k = 0; k < BURST; k++) {
            record[k] = (index[slot[k]] & (lines - 1)) * (LINE / 8);
            __builtin_prefetch(&rec[record[k]]);
        }
        if (write) {
            for (int k = 0; k < BURST; k++) {
                uint64_t v = rec[record[k] + 2];
                sum += v;
                rec[record[k] + 6] = v + i;
            }
        } else {
            for (int k = 0; k < BURST; k++) {
                sum += rec[record[k] + 2];
            }
        }
    }
    double t1 = now_ns();
    sink = sum;
    return (t1 - t0) / (double) n;
}

/* The packet's own work in `overlap`: STEPS dependent steps from its key, none waiting on memory. */
static inline uint64_t work(uint64_t x, int steps)
{
    for (int i = 0; i < steps; i++) {
        x = x * 0x9E3779B97F4A7C15ULL + (uint64_t) i;
        x ^= x >> 29;
    }
    return x;
}

enum schedule { BATCHED, PIPELINED, INTERLEAVED };

/*
 * One variant of `overlap`: slots and records masked by slot_mask and line_mask (0 and 0 for the
 * work alone: one slot, one record), the schedule given, STEPS of work per look-up.
 */
static double overlap_lookup(const uint64_t *index, uint64_t slot_mask, const uint64_t *rec, uint64_t line_mask,
                             uint64_t n, enum schedule how, int steps)
{
    uint64_t s = 0x9E3779B97F4A7C15ULL, sum = 0;
    uint64_t key[3][BURST], slot[3][BURST], record[3][BURST];
    uint64_t bursts = n / BURST;
    double t0 = now_ns();
    if (how == BATCHED) {
        for (uint64_t b = 0; b < bursts; b++) {
            for (int k = 0; k < BURST; k++) {
                key[0][k] = xorshift(&s);
                slot[0][k] = key[0][k] & slot_mask;
                __builtin_prefetch(&index[slot[0][k]]);
            }
            for (int k = 0; k < BURST; k++) {
                record[0][k] = (index[slot[0][k]] & line_mask) * (LINE / 8);
                __builtin_prefetch(&rec[record[0][k]]);
            }
            for (int k = 0; k < BURST; k++) {
                sum += rec[record[0][k] + 2] ^ work(key[0][k], steps);
            }
        }
    } else {
        for (uint64_t b = 0; b < bursts + 2; b++) {
            /* burst b's stage 1, burst b-1's stage 2 (its slots prefetched a round ago), b-2's stage 3 */
            uint64_t *k1 = key[b % 3], *s1 = slot[b % 3];
            uint64_t *s2 = slot[(b + 2) % 3], *r2 = record[(b + 2) % 3];
            uint64_t *k3 = key[(b + 1) % 3], *r3 = record[(b + 1) % 3];
            int one = b < bursts, two = b >= 1 && b <= bursts, three = b >= 2;
            if (how == INTERLEAVED && one && two && three) {
                for (int k = 0; k < BURST; k++) {
                    k1[k] = xorshift(&s);
                    s1[k] = k1[k] & slot_mask;
                    __builtin_prefetch(&index[s1[k]]);
                    r2[k] = (index[s2[k]] & line_mask) * (LINE / 8);
                    __builtin_prefetch(&rec[r2[k]]);
                    sum += rec[r3[k] + 2] ^ work(k3[k], steps);
                }
                continue;
            }
            if (one) {
                for (int k = 0; k < BURST; k++) {
                    k1[k] = xorshift(&s);
                    s1[k] = k1[k] & slot_mask;
                    __builtin_prefetch(&index[s1[k]]);
                }
            }
            if (two) {
                for (int k = 0; k < BURST; k++) {
                    r2[k] = (index[s2[k]] & line_mask) * (LINE / 8);
                    __builtin_prefetch(&rec[r2[k]]);
                }
            }
            if (three) {
                for (int k = 0; k < BURST; k++) {
                    sum += rec[r3[k] + 2] ^ work(k3[k], steps);
                }
            }
        }
    }
    double t1 = now_ns();
    sink = sum;
    return (t1 - t0) / (double) n;
}

#define OVERLAP_STEPS 4

/* An index and records of the sizes a mode's arguments give, mapped (every byte 1), on the CPU given. */
struct two_tables {
    uint64_t index_mib, record_mib;
    int cpu, rounds;
    const char *pages;
    uint64_t *index, *rec;
};

/* Parses `memprobe MODE INDEX_MIB RECORD_MIB CPU ROUNDS` and maps both tables; 0, or the exit code. */
static int open_two_tables(int argc, char **argv, struct two_tables *t)
{
    if (argc != 6) {
        fprintf(stderr, "usage: memprobe %s INDEX_MIB RECORD_MIB CPU ROUNDS   (both powers of two, at least 1)\n",
                argc >= 2 ? argv[1] : "MODE");
        return 2;
    }
    t->index_mib = strtoull(argv[2], NULL, 10);
    t->record_mib = strtoull(argv[3], NULL, 10);
    t->cpu = atoi(argv[4]);
    t->rounds = atoi(argv[5]);
    if (!power_of_two(t->index_mib) || !power_of_two(t->record_mib) || t->rounds < 1) {
        fprintf(stderr, "memprobe: INDEX_MIB and RECORD_MIB must be powers of two and ROUNDS at least 1\n");
        return 2;
    }
    if (!pin(t->cpu)) {
        return 1;
    }
    t->index = map_table((size_t) t->index_mib << 20, &t->pages);
    t->rec = map_table((size_t) t->record_mib << 20, &t->pages);
    return 0;
}

static void close_two_tables(struct two_tables *t)
{
    munmap(t->index, (size_t) t->index_mib << 20);
    munmap(t->rec, (size_t) t->record_mib << 20);
}

/* The opening of a mode's JSON line: the tables' sizes and pages, the CPU and the rounds. */
static void print_two_tables(const struct two_tables *t)
{
    printf("{\"index_mib\":%llu,\"record_mib\":%llu,\"pages\":\"%s\",\"cpu\":%d,\"rounds\":%d",
           (unsigned long long) t->index_mib, (unsigned long long) t->record_mib, t->pages, t->cpu, t->rounds);
}

/* Fills an index of index_mib MiB with random words (a slot's record, masked, and its fingerprint); its slot count. */
static uint64_t random_index(uint64_t *index, uint64_t index_mib)
{
    uint64_t slots = (index_mib << 20) / 8, seed = 12345;
    for (uint64_t i = 0; i < slots; i++) {
        index[i] = xorshift(&seed);
    }
    return slots;
}

static int pattern_main(int argc, char **argv)
{
    struct two_tables t;
    int rc = open_two_tables(argc, argv, &t);
    if (rc != 0) {
        return rc;
    }
    uint64_t slots = random_index(t.index, t.index_mib), lines = (t.record_mib << 20) / LINE;
    static const int write[4] = {0, 1, 1, 1}, ahead[4] = {0, 0, 1, 3};
    double best[4] = {1e18, 1e18, 1e18, 1e18};
    for (int r = 0; r < t.rounds; r++) {
        for (int v = 0; v < 4; v++) { /* in turns, so that every variant meets the same phases */
            double ns = pattern_lookup(t.index, slots, t.rec, lines, 1u << 24, write[v], ahead[v]);
            if (ns < best[v]) {
                best[v] = ns;
            }
        }
    }
    print_two_tables(&t);
    printf(",\"read_ns\":%.2f,\"write_ns\":%.2f,\"write_next_s1_ns\":%.2f,\"write_next_s3_ns\":%.2f}\n", best[0],
           best[1], best[2], best[3]);
    close_two_tables(&t);
    return 0;
}

static int overlap_main(int argc, char **argv)
{
    struct two_tables t;
    int rc = open_two_tables(argc, argv, &t);
    if (rc != 0) {
        return rc;
    }
    uint64_t slots = random_index(t.index, t.index_mib), lines = (t.record_mib << 20) / LINE;
    static const int steps[OVERLAP_STEPS] = {0, 8, 16, 32};
    /* per STEPS: batched, pipelined, interleaved, the work alone */
    double best[OVERLAP_STEPS][4];
    for (int w = 0; w < OVERLAP_STEPS; w++) {
        for (int v = 0; v < 4; v++) {
            best[w][v] = 1e18;
        }
    }
    for (int r = 0; r < t.rounds; r++) {
        for (int w = 0; w < OVERLAP_STEPS; w++) { /* in turns, so that every variant meets the same phases */
            for (int v = 0; v < 4; v++) {
                int alone = v == 3;
                double ns = overlap_lookup(t.index, alone ? 0 : slots - 1, t.rec, alone ? 0 : lines - 1, 1u << 23,
                                           alone ? INTERLEAVED : (enum schedule) v, steps[w]);
                if (ns < best[w][v]) {
                    best[w][v] = ns;
                }
            }
        }
    }
    print_two_tables(&t);
    for (int w = 0; w < OVERLAP_STEPS; w++) {
        printf(",\"steps%d_batched_ns\":%.2f,\"steps%d_pipelined_ns\":%.2f,\"steps%d_interleaved_ns\":%.2f,"
               "\"steps%d_work_alone_ns\":%.2f",
               steps[w], best[w][0], steps[w], best[w][1], steps[w], best[w][2], steps[w], best[w][3]);
    }
    printf("}\n");
    close_two_tables(&t);
    return 0;
}

/* Read once at run time, so that the compiler cannot drop the slot's part in a record's address. */
static volatile uint64_t zero_bits;

static double layout_lookup(const uint64_t *index, uint64_t slots_half, uint64_t *rec, uint64_t sessions,
                            uint64_t words, uint64_t n)
{
    uint64_t sum = 0, z = zero_bits;
    uint64_t slot[BURST], record[BURST];
    struct session_walk w;
    walk_start(&w, sessions);
    double t0 = now_ns();
    for (uint64_t i = 0; i < n; i += BURST) {
        walk_burst(&w, index, slots_half, slot, record);
        for (int k = 0; k < BURST; k++) {
            uint64_t *r = rec + (record[k] ^ (slot[k] & z)) * words;
            uint64_t v = r[0] + r[words - 1];
            sum += v;
            r[words - 2] = v + i;
        }
    }
    double t1 = now_ns();
    sink = sum;
    return (t1 - t0) / (double) n;
}

static int layout_main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: memprobe layout SESSIONS INDEX_MIB RECORD_BYTES CPU ROUNDS\n");
        return 2;
    }
    uint64_t sessions = strtoull(argv[2], NULL, 10), index_mib = strtoull(argv[3], NULL, 10);
    uint64_t record_bytes = strtoull(argv[4], NULL, 10);
    int cpu = atoi(argv[5]), rounds = atoi(argv[6]);
    if (sessions < 1 || sessions > (1ULL << 28) || !power_of_two(index_mib) || record_bytes < 16
        || record_bytes > 128 || record_bytes % 8 != 0 || rounds < 1) {
        fprintf(stderr, "memprobe: SESSIONS must be 1..2^28, INDEX_MIB a power of two, RECORD_BYTES a multiple of "
                        "8 in 16..128 and ROUNDS at least 1\n");
        return 2;
    }
    if (!pin(cpu)) {
        return 1;
    }
    const char *pages;
    size_t index_bytes = (size_t) index_mib << 20;
    size_t rec_bytes = ((size_t) (sessions * record_bytes) + (2u << 20) - 1) & ~(size_t) ((2u << 20) - 1);
    uint64_t *index = map_table(index_bytes, &pages);
    uint64_t *rec = map_table(rec_bytes, &pages);
    random_index(index, index_mib);
    uint64_t straddling = 0;
    for (uint64_t r = 0; r < sessions; r++) {
        straddling += (r * record_bytes) / LINE != (r * record_bytes + record_bytes - 1) / LINE;
    }
    double best = 1e18;
    for (int r = 0; r < rounds; r++) {
        double v = layout_lookup(index, index_bytes / 16, rec, sessions, record_bytes / 8, 1u << 24);
        if (v < best) {
            best = v;
        }
    }
    printf("{\"sessions\":%llu,\"index_mib\":%llu,\"record_bytes\":%llu,\"record_mib\":%.1f,\"pages\":\"%s\","
           "\"cpu\":%d,\"rounds\":%d,\"straddling_pct\":%.1f,\"layout_lookup_ns\":%.2f}\n",
           (unsigned long long) sessions, (unsigned long long) index_mib, (unsigned long long) record_bytes,
           (double) (sessions * record_bytes) / (1 << 20), pages, cpu, rounds, 100.0 * (double) straddling / (double) sessions,
           best);
    munmap(index, index_bytes);
    munmap(rec, rec_bytes);
    return 0;
}

static int split_main(int argc, char **argv)
{
    struct two_tables t;
    int rc = open_two_tables(argc, argv, &t);
    if (rc != 0) {
        return rc;
    }
    uint64_t slots_half = (t.index_mib << 20) / 16;
    double best = 1e18;
    for (int r = 0; r < t.rounds; r++) {
        double v = split_lookup(t.index, slots_half, t.rec, (t.record_mib << 20) / LINE, 1u << 24);
        if (v < best) {
            best = v;
        }
    }
    print_two_tables(&t);
    printf(",\"split_lookup_ns\":%.2f}\n", best);
    close_two_tables(&t);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "split") == 0) {
        return split_main(argc, argv);
    }
    if (argc >= 2 && strcmp(argv[1], "pattern") == 0) {
        return pattern_main(argc, argv);
    }
    if (argc >= 2 && strcmp(argv[1], "overlap") == 0) {
        return overlap_main(argc, argv);
    }
    if (argc >= 2 && strcmp(argv[1], "layout") == 0) {
        return layout_main(argc, argv);
    }
    if (argc != 4) {
        fprintf(stderr, "usage: memprobe MIB CPU ROUNDS   (MIB a power of two)\n");
        return 2;
    }
    uint64_t mib = strtoull(argv[1], NULL, 10);
    int cpu = atoi(argv[2]);
    int rounds = atoi(argv[3]);
    if (!power_of_two(mib) || rounds < 1) {
        fprintf(stderr, "memprobe: MIB must be a power of two and ROUNDS at least 1\n");
        return 2;
    }
    if (!pin(cpu)) {
        return 1;
    }
    size_t bytes = (size_t) mib << 20;
    const char *pages;
    uint64_t *t = map_table(bytes, &pages);
    uint64_t lines = bytes / LINE;
    make_chase(t, lines, 12345);
    uint64_t n = 1u << 24;
    double best[6] = {1e18, 1e18, 1e18, 1e18, 1e18, 1e18};
    for (int r = 0; r < rounds; r++) {
        double v[6] = {chase(t, n / 4), stream(t, lines, n), lookup(t, lines, n, 1), lookup(t, lines, n, 0),
                       lookup_pipelined(t, lines, n), lookup_staged_loads(t, lines, n)};
        for (int k = 0; k < 6; k++) {
            if (v[k] < best[k]) {
                best[k] = v[k];
            }
        }
    }
    printf("{\"mib\":%llu,\"pages\":\"%s\",\"cpu\":%d,\"rounds\":%d,\"chase_ns\":%.1f,"
           "\"stream_ns_per_line\":%.2f,\"lookup_batched_ns\":%.2f,\"lookup_one_at_a_time_ns\":%.2f,"
           "\"lookup_pipelined_ns\":%.2f,\"lookup_staged_loads_ns\":%.2f}\n",
           (unsigned long long) mib, pages, cpu, rounds, best[0], best[1], best[2], best[3], best[4], best[5]);
    munmap(t, bytes);
    return 0;
}
