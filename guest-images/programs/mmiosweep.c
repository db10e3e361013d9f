/*
 * mmiosweep: loads and stores of every size at guest physical addresses through /dev/mem, for the tests that a
 * hostile guest cannot end the VMM (issue 9): page-crossing accesses, which KVM hands to userspace as two exits
 * of 1 to 7 bytes each (arch/x86/kvm/x86.c, emulator_read_write), unclaimed addresses, and many distinct ones.
 *
 *   mmiosweep edge ADDR         1, 2, 4 and 8-byte loads and stores at every address from ADDR-8 to ADDR+7
 *   mmiosweep edge-loads ADDR   the same, loads only (ADDR-1 and below may be RAM the kernel uses)
 *   mmiosweep spread ADDR N     an 8-byte load and store at ADDR, ADDR+8, ... (N addresses)
 *   mmiosweep peek ADDR         one 4-byte load, printed
 *   mmiosweep ports FIRST LAST  at each port: in and out of 1, 2 and 4 bytes, and rep ins/outs of 8 of each
 * ADDR (hex or decimal) is page-aligned. With -1 first, every load must read all ones (an address no device has).
 * Prints one line "mmiosweep: MODE ADDR loads L stores S load-exits LE store-exits SE not-ones K": an access that
 * crosses a page is two exits. Exits 1 when a load with -1 did not read all ones, 2 on bad use or a failed mmap.
 * For ports the line reads "mmiosweep: ports FIRST-LAST ins I outs O not-ones K" (a rep is one exit).
 * Needs CONFIG_DEVMEM without STRICT_DEVMEM, and CONFIG_X86_IOPL_IOPERM for ports (guest-images/kernel.config).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096UL

static long loads, stores, load_exits, store_exits, not_ones;
static int want_ones;

static uint64_t load(volatile unsigned char *p, int size)
{
    switch (size) {
    case 1: return *(volatile uint8_t *)p;
    case 2: return *(volatile uint16_t *)p;
    case 4: return *(volatile uint32_t *)p;
    default: return *(volatile uint64_t *)p;
    }
}

static void store(volatile unsigned char *p, int size, uint64_t v)
{
    switch (size) {
    case 1: *(volatile uint8_t *)p = (uint8_t)v; break;
    case 2: *(volatile uint16_t *)p = (uint16_t)v; break;
    case 4: *(volatile uint32_t *)p = (uint32_t)v; break;
    default: *(volatile uint64_t *)p = v; break;
    }
}

static int exits(uint64_t phys, int size)
{
    return (phys / PAGE) != ((phys + size - 1) / PAGE) ? 2 : 1;
}

static void access_at(volatile unsigned char *p, uint64_t phys, int size, int do_store)
{
    uint64_t ones = size == 8 ? ~0ULL : (1ULL << (8 * size)) - 1;
    uint64_t v = load(p, size);
    loads++;
    load_exits += exits(phys, size);
    if (want_ones && v != ones) {
        if (not_ones++ < 5)
            fprintf(stderr, "mmiosweep: %d-byte load at 0x%" PRIx64 " read 0x%" PRIx64 "\n", size, phys, v);
    }
    if (do_store) {
        store(p, size, 0x5a5a5a5a5a5a5a5aULL);
        stores++;
        store_exits += exits(phys, size);
    }
}

/* Maps [phys, phys + len) of /dev/mem, both page-aligned. */
static volatile unsigned char *map(int fd, uint64_t phys, size_t len)
{
    void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)phys);
    if (m == MAP_FAILED) {
        fprintf(stderr, "mmiosweep: mmap /dev/mem at 0x%" PRIx64 " (%zu bytes): %s\n", phys, len, strerror(errno));
        exit(2);
    }
    return m;
}

static void check_ones(uint64_t v, uint64_t ones, unsigned port, int size)
{
    if (want_ones && v != ones && not_ones++ < 5)
        fprintf(stderr, "mmiosweep: %d-byte in at port 0x%x read 0x%" PRIx64 "\n", size, port, v);
}

/* Every in and out at ports first..last, single and string, of each size; string ins must read all ones too. */
static int ports(unsigned first, unsigned last)
{
    static uint32_t buf[8];
    long ins = 0, outs = 0;
    if (iopl(3) != 0) {
        fprintf(stderr, "mmiosweep: iopl(3): %s\n", strerror(errno));
        return 2;
    }
    for (unsigned port = first; port <= last; port++) {
        unsigned short p = (unsigned short)port;
        check_ones(inb(p), 0xff, port, 1);
        check_ones(inw(p), 0xffff, port, 2);
        check_ones(inl(p), 0xffffffffu, port, 4);
        outb(0x5a, p);
        outw(0x5a5a, p);
        outl(0x5a5a5a5a, p);
        ins += 3;
        outs += 3;
        for (int size = 1; size <= 4; size *= 2) {
            void *d = buf;
            unsigned long n = 8;
            memset(buf, 0, sizeof buf);
            if (size == 1)
                __asm__ volatile("rep insb" : "+D"(d), "+c"(n) : "d"(p) : "memory");
            else if (size == 2)
                __asm__ volatile("rep insw" : "+D"(d), "+c"(n) : "d"(p) : "memory");
            else
                __asm__ volatile("rep insl" : "+D"(d), "+c"(n) : "d"(p) : "memory");
            for (int i = 0; i < 8 * size; i++)
                check_ones(((unsigned char *)buf)[i], 0xff, port, size);
            const void *s = buf;
            n = 8;
            if (size == 1)
                __asm__ volatile("rep outsb" : "+S"(s), "+c"(n) : "d"(p) : "memory");
            else if (size == 2)
                __asm__ volatile("rep outsw" : "+S"(s), "+c"(n) : "d"(p) : "memory");
            else
                __asm__ volatile("rep outsl" : "+S"(s), "+c"(n) : "d"(p) : "memory");
            ins++;
            outs++;
        }
    }
    printf("mmiosweep: ports 0x%x-0x%x ins %ld outs %ld not-ones %ld\n", first, last, ins, outs, not_ones);
    return not_ones ? 1 : 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: mmiosweep [-1] edge|edge-loads|spread|peek ADDR [N] | [-1] ports FIRST LAST\n");
    return 2;
}

int main(int argc, char **argv)
{
    static const int sizes[] = {1, 2, 4, 8};
    int a = 1;
    if (a < argc && strcmp(argv[a], "-1") == 0) {
        want_ones = 1;
        a++;
    }
    if (argc - a < 2)
        return usage();
    const char *mode = argv[a];
    char *end;
    if (strcmp(mode, "ports") == 0) {
        if (argc - a != 3)
            return usage();
        unsigned long first = strtoul(argv[a + 1], &end, 0);
        if (*end)
            return usage();
        unsigned long last = strtoul(argv[a + 2], &end, 0);
        if (*end || first > last || last > 0xffff)
            return usage();
        return ports((unsigned)first, (unsigned)last);
    }
    uint64_t addr = strtoull(argv[a + 1], &end, 0);
    if (*end || addr % PAGE)
        return usage();
    int fd = open("/dev/mem", O_RDWR | O_SYNC);
    if (fd < 0) {
        fprintf(stderr, "mmiosweep: open /dev/mem: %s\n", strerror(errno));
        return 2;
    }
    if (strcmp(mode, "edge") == 0 || strcmp(mode, "edge-loads") == 0) {
        if (argc - a != 2)
            return usage();
        int do_store = strcmp(mode, "edge") == 0;
        volatile unsigned char *m = map(fd, addr - PAGE, 2 * PAGE);
        for (uint64_t phys = addr - 8; phys < addr + 8; phys++)
            for (int s = 0; s < 4; s++)
                access_at(m + (phys - (addr - PAGE)), phys, sizes[s], do_store);
    } else if (strcmp(mode, "spread") == 0) {
        if (argc - a != 3)
            return usage();
        long n = strtol(argv[a + 2], &end, 0);
        if (*end || n <= 0)
            return usage();
        size_t len = ((size_t)n * 8 + PAGE - 1) / PAGE * PAGE;
        volatile unsigned char *m = map(fd, addr, len);
        for (long i = 0; i < n; i++)
            access_at(m + 8 * i, addr + 8 * i, 8, 1);
    } else if (strcmp(mode, "peek") == 0) {
        volatile unsigned char *m = map(fd, addr, PAGE);
        printf("mmiosweep: peek 0x%" PRIx64 " = 0x%" PRIx64 "\n", addr, load(m, 4));
        return 0;
    } else {
        return usage();
    }
    printf("mmiosweep: %s 0x%" PRIx64 " loads %ld stores %ld load-exits %ld store-exits %ld not-ones %ld\n", mode,
           addr, loads, stores, load_exits, store_exits, not_ones);
    return not_ones ? 1 : 0;
}
