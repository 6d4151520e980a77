/* seccomp's checks: the classic-BPF checker and seccomp's own rules (EINVAL), bad pointers (EFAULT), flags,
 * the no_new_privs rule for a non-root user (EACCES), the length limit of a chain (ENOMEM), the queries; and
 * a filter that computes with the ALU, X and scratch memory. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define ALLOW RET(SECCOMP_RET_ALLOW)

static long set_filter(unsigned int flags, struct sock_filter *insns, unsigned short len)
{
    struct sock_fprog prog = { .len = len, .filter = insns };
    return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

#define TRY(what, flags, ...) do { \
        struct sock_filter insns_[] = { __VA_ARGS__ }; \
        long r_ = set_filter(flags, insns_, sizeof insns_ / sizeof insns_[0]); \
        printf("%-44s %s\n", what, r_ < 0 ? errname(errno) : "accepted"); \
    } while (0)

static void report(const char *what, pid_t pid)
{
    int status;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status))
        printf("%s: exited %d\n", what, WEXITSTATUS(status));
    else
        printf("%s: killed by signal %d\n", what, WTERMSIG(status));
}

static void refusals(void)
{
    static struct sock_filter big[BPF_MAXINSNS + 1];
    for (int i = 0; i <= BPF_MAXINSNS; i++)
        big[i] = (struct sock_filter)ALLOW;
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    printf("%-44s %s\n", "length 0", set_filter(0, big, 0) < 0 ? errname(errno) : "accepted");
    printf("%-44s %s\n", "length 4097", set_filter(0, big, BPF_MAXINSNS + 1) < 0 ? errname(errno) : "accepted");
    TRY("backward jump (JA -1)", 0, LOAD(nr), BPF_JUMP(BPF_JMP | BPF_JA, 0xFFFFFFFF, 0, 0), ALLOW);
    TRY("JA past the end", 0, LOAD(nr), BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0), ALLOW);
    TRY("conditional jump past the end", 0, LOAD(nr), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1), ALLOW);
    TRY("load at offset 64", 0, BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64), ALLOW);
    TRY("load at offset 2 (unaligned)", 0, BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), ALLOW);
    TRY("half-word load", 0, BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0), ALLOW);
    TRY("indirect load", 0, BPF_STMT(BPF_LD | BPF_W | BPF_IND, 0), ALLOW);
    TRY("ancillary load", 0, BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_PROTOCOL), ALLOW);
    TRY("no RET at the end", 0, LOAD(nr), ALLOW, LOAD(arch));
    TRY("unknown opcode", 0, BPF_STMT(0xFF, 0), ALLOW);
    TRY("BPF_MOD (not for seccomp)", 0, LOAD(nr), BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 3), ALLOW);
    TRY("division by the constant 0", 0, LOAD(nr), BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), ALLOW);
    TRY("shift by 32", 0, LOAD(nr), BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 32), ALLOW);
    TRY("scratch word 16", 0, BPF_STMT(BPF_ST, 16), ALLOW);
    TRY("scratch word read before written", 0, BPF_STMT(BPF_LD | BPF_MEM, 3), ALLOW);
    TRY("written on one path only", 0, LOAD(nr), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1),
        BPF_STMT(BPF_ST, 3), BPF_STMT(BPF_LD | BPF_MEM, 3), ALLOW);
    TRY("unknown flag", 1 << 10, ALLOW);
    TRY("WAIT_KILLABLE_RECV without NEW_LISTENER", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, ALLOW);
    printf("%-44s %s\n", "bad sock_fprog pointer",
           syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (void *)8) < 0 ? errname(errno) : "accepted");
    struct sock_fprog bad = { .len = 1, .filter = (void *)8 };
    printf("%-44s %s\n", "bad instructions pointer",
           syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &bad) < 0 ? errname(errno) : "accepted");
    printf("%-44s %s\n", "unknown operation", syscall(SYS_seccomp, 7, 0, NULL) < 0 ? errname(errno) : "0");
    printf("%-44s %s\n", "strict with flags",
           syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 1, NULL) < 0 ? errname(errno) : "0");
    printf("%-44s %s\n", "PR_SET_SECCOMP mode 3", prctl(PR_SET_SECCOMP, 3, 0, 0, 0) < 0 ? errname(errno) : "0");
    printf("PR_GET_SECCOMP after all that: %d\n", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
    exit(0);
}

static void queries(void)
{
    unsigned int actions[] = { SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP,
                               SECCOMP_RET_ERRNO, SECCOMP_RET_USER_NOTIF, SECCOMP_RET_TRACE, SECCOMP_RET_LOG,
                               SECCOMP_RET_ALLOW, 0x00010000, SECCOMP_RET_ERRNO | 1 };
    for (unsigned i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        long r = syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &actions[i]);
        printf("action %#x: %s\n", actions[i], r < 0 ? errname(errno) : "available");
    }
    struct seccomp_notif_sizes sizes;
    if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes) == 0)
        printf("notif sizes: %d %d %d\n", sizes.seccomp_notif, sizes.seccomp_notif_resp, sizes.seccomp_data);
    printf("notif sizes at a bad pointer: %s\n",
           syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, (void *)8) < 0 ? errname(errno) : "0");
    printf("action avail with flags: %s\n",
           syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 1, &actions[0]) < 0 ? errname(errno) : "0");
}

static void no_new_privs(void)
{
    if (setuid(65534) != 0) {
        printf("setuid: %s\n", errname(errno));
        exit(1);
    }
    TRY("as nobody without no_new_privs", 0, ALLOW);
    printf("%-44s %s\n", "  with PR_SET_SECCOMP", prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, 0, 0, 0) < 0 ?
           errname(errno) : "0");
    TRY("  length 0 is still EINVAL first", 0);
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    TRY("as nobody with no_new_privs", 0, ALLOW);
    exit(0);
}

static void as_root(void)
{
    TRY("as root without no_new_privs", 0, ALLOW);
    printf("NoNewPrivs stays %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    exit(0);
}

static void chain_limit(void)
{
    static struct sock_filter big[BPF_MAXINSNS];
    for (int i = 0; i < BPF_MAXINSNS - 1; i++)
        big[i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0);
    big[BPF_MAXINSNS - 1] = (struct sock_filter)ALLOW;
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    int n = 0;
    while (set_filter(0, big, BPF_MAXINSNS) == 0)
        n++;
    printf("4096-instruction filters attached: %d, then %s\n", n, errname(errno));
    exit(0);
}

/* A = nr; X = A; M[0] = nr * 3 + 1; A = nr ^ 5 ... the answer is ERRNO with data computed from nr. */
static void computing(void)
{
    struct sock_filter insns[] = {
        LOAD(nr),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getppid, 1, 0),
        ALLOW,
        BPF_STMT(BPF_MISC | BPF_TAX, 0),                  /* X = nr */
        BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 3),
        BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1),
        BPF_STMT(BPF_ST, 0),                              /* M[0] = nr*3+1 */
        BPF_STMT(BPF_ALU | BPF_SUB | BPF_X, 0),           /* A = 2*nr + 1 */
        BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 1),           /* A = nr */
        BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),           /* A = 0 */
        BPF_STMT(BPF_ALU | BPF_OR | BPF_K, 12),
        BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 2),           /* 48 */
        BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 4),           /* 12 */
        BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xD),         /* 12 */
        BPF_STMT(BPF_LDX | BPF_MEM, 0),                   /* X = nr*3+1 */
        BPF_STMT(BPF_ST, 1),                              /* M[1] = 12 */
        BPF_STMT(BPF_MISC | BPF_TXA, 0),
        BPF_STMT(BPF_ALU | BPF_NEG, 0),
        BPF_STMT(BPF_ALU | BPF_NEG, 0),
        BPF_JUMP(BPF_JMP | BPF_JGT | BPF_X, 0, 4, 0),     /* A > X? no: equal */
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_X, 0, 0, 3),     /* A >= X: yes */
        BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),            /* 64 */
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x40, 0, 1),
        BPF_STMT(BPF_LD | BPF_MEM, 1),                    /* A = 12 */
        BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, SECCOMP_RET_ERRNO),
        BPF_STMT(BPF_RET | BPF_A, 0),
    };
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    long r = set_filter(0, insns, sizeof insns / sizeof insns[0]);
    printf("computing filter: %s\n", r < 0 ? errname(errno) : "accepted");
    r = syscall(SYS_getppid);
    printf("getppid: %ld %s\n", r, r < 0 ? errname(errno) : "");
    exit(0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    pid_t pid;
    if ((pid = fork()) == 0)
        refusals();
    report("refusals", pid);
    queries();
    if ((pid = fork()) == 0)
        no_new_privs();
    report("no_new_privs", pid);
    if ((pid = fork()) == 0)
        as_root();
    report("root", pid);
    if ((pid = fork()) == 0)
        chain_limit();
    report("chain limit", pid);
    if ((pid = fork()) == 0)
        computing();
    report("computing", pid);
    return 0;
}
