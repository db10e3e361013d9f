/*
 * blkbench: drives virtqueue requests from inside the guest and reports requests/s and latency percentiles, for
 * `jkvm bench notify` (module bench, io.jkvm.bench). Workloads, run in the order given:
 *   blk-qd<N>  4 KiB (-b) O_DIRECT reads of the disk (-d, default /dev/vda) by N threads, each with one request in
 *              flight: N=1 measures latency, a higher N throughput (N requests in the queue at once).
 *   rng        reads of -s bytes (default 64) from /dev/hwrng (-r). Linux 6.1's virtio-rng asks the device for
 *              SMP_CACHE_BYTES (64) per virtqueue request and asks again as soon as that buffer is used up, so
 *              at 64 bytes a read is one request.
 * Each workload runs for -n requests (-m for rng) or -t seconds, after -w warm-up requests that are not counted.
 *
 * Output (stdout, one line each, parsed by the host):
 *   BENCH-START <name>          before the measured part (the host samples its exit counters here)
 *   BENCH-END <name>            right after it (and here)
 *   BENCH name=<name> requests=<n> seconds=<s> rps=<r> p50_us=<a> p99_us=<b> mean_us=.. min_us=.. max_us=..
 *         depth=<N> bytes=<request size>
 *   BENCH-DONE workloads=<k>    after the last one
 *   BENCH-ERROR <name> <message>, exit 1, when a workload fails.
 * With -H (handshake) it waits after each marker for a line on stdin (echo off), so that the host has taken its
 * sample before the guest goes on: no request, and no console byte of the result line, falls on the wrong side.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define MAX_DEPTH 64

struct options {
    int handshake;
    long requests;      /* per blk workload; 0 when timed */
    long rng_requests;  /* per rng workload; 0 when timed */
    double seconds;     /* > 0: timed instead of counted */
    long warmup;
    long block;
    long rng_bytes;
    const char *disk;
    const char *rng;
};

/* One thread's latencies in nanoseconds, grown as needed (a timed run does not know its count). */
struct latencies {
    uint64_t *ns;
    size_t n, cap;
};

struct blk_shared {
    const struct options *opt;
    const char *name;
    long long disk_blocks;      /* the disk's size in -b units; reads wrap around it */
    long limit;                 /* requests in total, 0 when timed */
    uint64_t deadline_ns;       /* timed runs: stop issuing after this */
    long next;                  /* the next request number, shared by the threads */
    pthread_barrier_t start;
    char error[256];
    pthread_mutex_t error_lock;
};

struct blk_thread {
    struct blk_shared *shared;
    int index;
    struct latencies lat;
};

static struct termios saved_tty;
static int tty_saved;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: blkbench [-H] [-n REQUESTS] [-m RNG_REQUESTS] [-t SECONDS] [-w WARMUP] [-b BYTES]\n"
            "                [-s RNG_BYTES] [-d DISK] [-r RNGDEV] WORKLOAD...\n"
            "  WORKLOAD: blk-qd<N> (N threads of O_DIRECT reads, 1..%d) or rng\n", MAX_DEPTH);
    exit(2);
}

static long parse_long(const char *opt, const char *s, long min)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *s == '\0' || *end != '\0' || v < min) {
        fprintf(stderr, "blkbench: %s %s: want a whole number >= %ld\n", opt, s, min);
        exit(2);
    }
    return v;
}

/* The depth of a "blk-qd<N>" workload, 0 when the name is not one. */
static int blk_depth(const char *name)
{
    if (strncmp(name, "blk-qd", 6) != 0 || name[6] == '\0')
        return 0;
    char *end;
    long d = strtol(name + 6, &end, 10);
    return *end == '\0' && d >= 1 && d <= MAX_DEPTH ? (int) d : 0;
}

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
    /* The line is on the wire before anything else happens: the host samples on its newline. */
    if (isatty(STDOUT_FILENO))
        tcdrain(STDOUT_FILENO);
}

static void restore_tty(void)
{
    if (tty_saved)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
}

/* Echo off: the host's acknowledgement must not come back as console output inside a measured window. */
static void quiet_tty(void)
{
    struct termios t;
    if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tty) != 0)
        return;
    tty_saved = 1;
    atexit(restore_tty);
    t = saved_tty;
    t.c_lflag &= ~(tcflag_t) (ECHO | ECHONL);
    tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

/* Waits for one line on stdin: the host has sampled its counters. */
static void handshake(const struct options *opt, const char *name)
{
    char c;
    if (!opt->handshake)
        return;
    for (;;) {
        ssize_t n = read(STDIN_FILENO, &c, 1);
        if (n == 1 && c == '\n')
            return;
        if (n == 0 || (n < 0 && errno != EINTR)) {
            say("BENCH-ERROR %s handshake: stdin %s\n", name, n == 0 ? "closed" : strerror(errno));
            exit(1);
        }
    }
}

static int add_latency(struct latencies *l, uint64_t ns)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4096;
        uint64_t *p = realloc(l->ns, cap * sizeof *p);
        if (!p)
            return -1;
        l->ns = p;
        l->cap = cap;
    }
    l->ns[l->n++] = ns;
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
    return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least p percent of the samples at or below it. */
static double percentile_us(const uint64_t *sorted, size_t n, double p)
{
    size_t rank = (size_t) ((p / 100.0) * (double) n + 0.999999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return (double) sorted[rank - 1] / 1000.0;
}

static void report(const char *name, struct latencies *all, uint64_t elapsed_ns, int depth, long bytes)
{
    double seconds = (double) elapsed_ns / 1e9;
    double sum = 0;
    qsort(all->ns, all->n, sizeof *all->ns, cmp_u64);
    for (size_t i = 0; i < all->n; i++)
        sum += (double) all->ns[i];
    say("BENCH name=%s requests=%zu seconds=%.6f rps=%.1f p50_us=%.1f p99_us=%.1f mean_us=%.1f min_us=%.1f "
        "max_us=%.1f depth=%d bytes=%ld\n",
        name, all->n, seconds, (double) all->n / seconds, percentile_us(all->ns, all->n, 50),
        percentile_us(all->ns, all->n, 99), sum / (double) all->n / 1000.0, (double) all->ns[0] / 1000.0,
        (double) all->ns[all->n - 1] / 1000.0, depth, bytes);
}

static void blk_fail(struct blk_shared *s, const char *what, int err)
{
    pthread_mutex_lock(&s->error_lock);
    if (s->error[0] == '\0')
        snprintf(s->error, sizeof s->error, "%s: %s", what, strerror(err));
    pthread_mutex_unlock(&s->error_lock);
}

static void *blk_worker(void *arg)
{
    struct blk_thread *t = arg;
    struct blk_shared *s = t->shared;
    long block = s->opt->block;
    void *buf = NULL;
    int fd = open(s->opt->disk, O_RDONLY | O_DIRECT);
    int err = fd < 0 ? errno : posix_memalign(&buf, 4096, (size_t) block);

    /* Everyone reaches the barrier, failed or not, so the main thread never waits forever. */
    pthread_barrier_wait(&s->start);
    if (fd < 0) {
        blk_fail(s, "open O_DIRECT", err);
        return NULL;
    }
    if (err) {
        blk_fail(s, "posix_memalign", err);
        close(fd);
        return NULL;
    }
    for (;;) {
        long i = __atomic_fetch_add(&s->next, 1, __ATOMIC_RELAXED);
        if (s->limit > 0 && i >= s->limit)
            break;
        if (s->limit == 0 && now_ns() >= s->deadline_ns)
            break;
        off_t off = (off_t) (i % s->disk_blocks) * block;
        uint64_t t0 = now_ns();
        ssize_t n = pread(fd, buf, (size_t) block, off);
        uint64_t t1 = now_ns();
        if (n != block) {
            blk_fail(s, "pread", n < 0 ? errno : EIO);
            break;
        }
        if (add_latency(&t->lat, t1 - t0) != 0) {
            blk_fail(s, "latency buffer", ENOMEM);
            break;
        }
        if (s->error[0])
            break;
    }
    free(buf);
    close(fd);
    return NULL;
}

/* One phase (warm-up or measured) of a blk workload; the latencies of all threads merged into out. */
static int blk_phase(struct blk_shared *s, int depth, long limit, double seconds, struct latencies *out,
                     uint64_t *elapsed)
{
    pthread_t tid[MAX_DEPTH];
    struct blk_thread th[MAX_DEPTH];
    s->limit = limit;
    s->next = 0;
    /* Set before any thread can look at it; the few microseconds until t0 do not matter. */
    s->deadline_ns = now_ns() + (uint64_t) (seconds * 1e9);
    pthread_barrier_init(&s->start, NULL, (unsigned) depth + 1);
    for (int i = 0; i < depth; i++) {
        th[i] = (struct blk_thread) {.shared = s, .index = i};
        int err = pthread_create(&tid[i], NULL, blk_worker, &th[i]);
        if (err) {
            /* Threads already started wait at the barrier; there is no clean way back, so fail the program. */
            say("BENCH-ERROR %s pthread_create: %s\n", s->name, strerror(err));
            exit(1);
        }
    }
    pthread_barrier_wait(&s->start);
    uint64_t t0 = now_ns();
    for (int i = 0; i < depth; i++)
        pthread_join(tid[i], NULL);
    *elapsed = now_ns() - t0;
    pthread_barrier_destroy(&s->start);
    for (int i = 0; i < depth; i++) {
        for (size_t k = 0; k < th[i].lat.n && out; k++)
            if (add_latency(out, th[i].lat.ns[k]) != 0 && !s->error[0])
                snprintf(s->error, sizeof s->error, "latency buffer: %s", strerror(ENOMEM));
        free(th[i].lat.ns);
    }
    return s->error[0] ? -1 : 0;
}

static int run_blk(const struct options *opt, const char *name, int depth)
{
    struct blk_shared s = {.opt = opt, .name = name};
    struct latencies all = {0};
    uint64_t elapsed;
    int fd = open(opt->disk, O_RDONLY);
    if (fd < 0) {
        say("BENCH-ERROR %s open %s: %s\n", name, opt->disk, strerror(errno));
        return -1;
    }
    off_t size = lseek(fd, 0, SEEK_END);
    close(fd);
    if (size < opt->block) {
        say("BENCH-ERROR %s %s has %lld bytes, less than one %ld-byte request\n", name, opt->disk,
            (long long) size, opt->block);
        return -1;
    }
    s.disk_blocks = size / opt->block;
    pthread_mutex_init(&s.error_lock, NULL);
    /* Warm-up: the first reads fault in the driver's and the VMM's paths; not measured. The clock is only
     * used when timed, so a counted warm-up must not look timed: seconds 0 with a limit. */
    if (opt->warmup > 0 && blk_phase(&s, depth, opt->warmup, 0, NULL, &elapsed) != 0) {
        say("BENCH-ERROR %s %s\n", name, s.error);
        return -1;
    }
    say("BENCH-START %s\n", name);
    handshake(opt, name);
    int rc = blk_phase(&s, depth, opt->seconds > 0 ? 0 : opt->requests, opt->seconds, &all, &elapsed);
    say("BENCH-END %s\n", name);
    handshake(opt, name);
    if (rc != 0) {
        say("BENCH-ERROR %s %s\n", name, s.error);
    } else if (all.n == 0) {
        say("BENCH-ERROR %s no request finished in %.3f s\n", name, opt->seconds);
        rc = -1;
    } else {
        report(name, &all, elapsed, depth, opt->block);
    }
    free(all.ns);
    return rc;
}

static int run_rng(const struct options *opt, const char *name)
{
    struct latencies all = {0};
    char *buf = malloc((size_t) opt->rng_bytes);
    int fd = open(opt->rng, O_RDONLY);
    int rc = 0;
    if (fd < 0 || !buf) {
        say("BENCH-ERROR %s open %s: %s\n", name, opt->rng, strerror(fd < 0 ? errno : ENOMEM));
        free(buf);
        return -1;
    }
    for (long i = 0; i < opt->warmup; i++) {
        if (read(fd, buf, (size_t) opt->rng_bytes) <= 0) {
            say("BENCH-ERROR %s read %s: %s\n", name, opt->rng, strerror(errno));
            close(fd);
            free(buf);
            return -1;
        }
    }
    say("BENCH-START %s\n", name);
    handshake(opt, name);
    uint64_t t0 = now_ns();
    uint64_t deadline = t0 + (uint64_t) (opt->seconds * 1e9);
    char error[256] = "";
    for (long i = 0;; i++) {
        if (opt->seconds > 0 ? now_ns() >= deadline : i >= opt->rng_requests)
            break;
        uint64_t a = now_ns();
        /* A short read is a complete request too: hwrng hands out what the device returned. */
        ssize_t n = read(fd, buf, (size_t) opt->rng_bytes);
        uint64_t b = now_ns();
        if (n <= 0) {
            snprintf(error, sizeof error, "read %s: %s", opt->rng, n < 0 ? strerror(errno) : "end of file");
            break;
        }
        if (add_latency(&all, b - a) != 0) {
            snprintf(error, sizeof error, "latency buffer: %s", strerror(ENOMEM));
            break;
        }
    }
    uint64_t elapsed = now_ns() - t0;
    say("BENCH-END %s\n", name);
    handshake(opt, name);
    if (error[0]) {
        say("BENCH-ERROR %s %s\n", name, error);
        rc = -1;
    } else if (all.n == 0) {
        say("BENCH-ERROR %s no request finished in %.3f s\n", name, opt->seconds);
        rc = -1;
    } else {
        report(name, &all, elapsed, 1, opt->rng_bytes);
    }
    close(fd);
    free(buf);
    free(all.ns);
    return rc;
}

int main(int argc, char **argv)
{
    struct options opt = {
        .requests = 2000, .rng_requests = -1, .warmup = 20, .block = 4096, .rng_bytes = 64,
        .disk = "/dev/vda", .rng = "/dev/hwrng",
    };
    int c;
    while ((c = getopt(argc, argv, "Hn:m:t:w:b:s:d:r:")) != -1) {
        switch (c) {
        case 'H': opt.handshake = 1; break;
        case 'n': opt.requests = parse_long("-n", optarg, 1); break;
        case 'm': opt.rng_requests = parse_long("-m", optarg, 1); break;
        case 't': {
            char *end;
            opt.seconds = strtod(optarg, &end);
            if (*optarg == '\0' || *end != '\0' || !(opt.seconds > 0) || opt.seconds > 86400) {
                fprintf(stderr, "blkbench: -t %s: want seconds > 0\n", optarg);
                return 2;
            }
            break;
        }
        case 'w': opt.warmup = parse_long("-w", optarg, 0); break;
        case 'b': opt.block = parse_long("-b", optarg, 512); break;
        case 's': opt.rng_bytes = parse_long("-s", optarg, 1); break;
        case 'd': opt.disk = optarg; break;
        case 'r': opt.rng = optarg; break;
        default: usage();
        }
    }
    if (optind == argc)
        usage();
    if (opt.block % 512 != 0) {
        fprintf(stderr, "blkbench: -b %ld: O_DIRECT wants a multiple of 512\n", opt.block);
        return 2;
    }
    if (opt.rng_requests < 0)
        opt.rng_requests = opt.requests;
    for (int i = optind; i < argc; i++) {
        if (strcmp(argv[i], "rng") != 0 && blk_depth(argv[i]) == 0) {
            fprintf(stderr, "blkbench: unknown workload '%s': use blk-qd<1..%d> or rng\n", argv[i], MAX_DEPTH);
            return 2;
        }
    }
    if (opt.handshake)
        quiet_tty();
    for (int i = optind; i < argc; i++) {
        int depth = blk_depth(argv[i]);
        if ((depth ? run_blk(&opt, argv[i], depth) : run_rng(&opt, argv[i])) != 0)
            return 1;
    }
    say("BENCH-DONE workloads=%d\n", argc - optind);
    return 0;
}
