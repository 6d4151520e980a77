/* Exact fault addresses: the siginfo of a SIGSEGV/SIGBUS raised by a bad memory access carries the faulting
 * data address itself (not its page) and the si_code saying why -- as Linux fills them in from cr2 (x86_64) or
 * stval (riscv64).  Each case prints si_signo, si_code and si_addr minus the base of the mapping it touched:
 * reads and writes of an unmapped page and a write to a read-only page at odd offsets, a PROT_NONE page, a
 * misaligned access that starts on a mapped page and crosses into an unmapped one (si_addr is then the first
 * byte of the unmapped page, and a store leaves the mapped bytes unchanged) and one that starts on the
 * unmapped page (its own address), an access past the end of a file mapping (SIGBUS), and an instruction
 * fetch from a non-executable page (si_addr is the pc). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"

static sigjmp_buf env;
static volatile int got_signo, got_code;
static void *volatile got_addr;
static long page;

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    got_signo = si->si_signo != sig ? -1 : sig;
    got_code = si->si_code;
    got_addr = si->si_addr;
    siglongjmp(env, 1);
}

static const char *code_name(int signo, int code)
{
    if (signo == SIGSEGV)
        return code == SEGV_MAPERR ? "SEGV_MAPERR" : code == SEGV_ACCERR ? "SEGV_ACCERR" : "SEGV_other";
    if (signo == SIGBUS)
        return code == BUS_ADRALN ? "BUS_ADRALN" : code == BUS_ADRERR ? "BUS_ADRERR" :
               code == BUS_OBJERR ? "BUS_OBJERR" : "BUS_other";
    return "other";
}

/* what the last fault reported, relative to `base` */
static void report(const char *label, const char *base)
{
    if (!got_signo) {
        say("%s: no fault\n", label);
        return;
    }
    long off = (long)((const char *)got_addr - base);
    say("%s: %s %s si_addr=base%c%#lx\n", label, got_signo == SIGSEGV ? "SIGSEGV" : got_signo == SIGBUS ?
        "SIGBUS" : "other", code_name(got_signo, got_code), off < 0 ? '-' : '+', off < 0 ? -off : off);
}

#define FAULT(label, base, statement) do { \
    got_signo = 0; \
    if (sigsetjmp(env, 1) == 0) { statement; } \
    report(label, base); \
} while (0)

static void *must_map(size_t len, int prot, int flags, int fd)
{
    void *p = mmap(NULL, len, prot, flags, fd, 0);
    if (p == MAP_FAILED) {
        say("mmap failed: %s\n", errname(errno));
        _exit(1);
    }
    return p;
}

int main(void)
{
    page = sysconf(_SC_PAGESIZE);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);

    /* four pages: [0] read-write, [1] unmapped, [2] read-only, [3] PROT_NONE */
    char *base = must_map(4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
    memset(base, 0x5a, page);
    munmap(base + page, page);
    mprotect(base + 2 * page, page, PROT_READ);
    mprotect(base + 3 * page, page, PROT_NONE);
    volatile char *hole = base + page;

    FAULT("read unmapped", base, (void)hole[0x123]);
    FAULT("write unmapped", base, hole[0x457] = 1);
    FAULT("write read-only", base, ((volatile char *)base)[2 * page + 0x9] = 1);
    FAULT("read read-only", base, (void)((volatile char *)base)[2 * page + 0x9]);
    FAULT("read PROT_NONE", base, (void)((volatile char *)base)[3 * page + 0xabd]);
    FAULT("write PROT_NONE", base, ((volatile char *)base)[3 * page + 0x3] = 1);

    /* an 8-byte access at 3 bytes before the hole: 3 bytes on the mapped page, 5 on the unmapped one */
    volatile uint64_t *across = (volatile uint64_t *)(base + page - 3);
    FAULT("misaligned read across", base, (void)*across);
    FAULT("misaligned write across", base, *across = 0x0102030405060708ull);
    say("mapped bytes after the write: %02x %02x %02x\n", (unsigned char)base[page - 3],
        (unsigned char)base[page - 2], (unsigned char)base[page - 1]);
    /* and one that starts on the unmapped page and ends on the read-only one: the address itself */
    volatile uint64_t *from_hole = (volatile uint64_t *)(base + 2 * page - 5);
    FAULT("misaligned read from the hole", base, (void)*from_hole);

    /* a call into the hole (before anything else is mapped: a new page may land there), then into a
       readable, writable but not executable page: the fetch faults at the target pc */
    void (*volatile jump)(void) = (void (*)(void))(base + page + 0x20);
    FAULT("fetch from an unmapped page", base, jump());
    char *data = must_map(page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
    jump = (void (*)(void))(data + 0x10);
    FAULT("fetch from a non-executable page", data, jump());

    /* a file of 100 bytes mapped over two pages: the second page is wholly past the end of the file */
    char path[64];
    snprintf(path, sizeof path, "/dev/shm/pynix-fault-addr-%d", (int)getpid());
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, 100) != 0) {
        say("file set-up failed: %s\n", errname(errno));
        return 1;
    }
    unlink(path);
    char *file = must_map(2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd);
    FAULT("read in the file's last page", file, (void)((volatile char *)file)[200]);
    FAULT("read past the end of a file", file, (void)((volatile char *)file)[page + 0x21]);
    FAULT("write past the end of a file", file, ((volatile char *)file)[page + 0x77] = 1);
    char *private_file = must_map(2 * page, PROT_READ, MAP_PRIVATE, fd);
    FAULT("read past the end of a private file mapping", private_file,
          (void)((volatile char *)private_file)[page + 0x5]);
    close(fd);
    return 0;
}
