/* ptrace: a tracer follows its child's syscalls with PTRACE_SYSCALL (PTRACE_GET_SYSCALL_INFO for the number
 * and arguments), changes an argument at entry (write's count), the return value at exit (getpid), skips a
 * call (number -1), and reads and writes the child's memory (PEEKDATA/POKEDATA, POKEDATA into read-only data as
 * FOLL_FORCE) and registers (GETREGSET NT_PRSTATUS, and on x86_64 GETREGS/PEEKUSER, which must agree).
 * Output is the same on every ISA: syscalls are named, never numbered. */
#include <elf.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/ptrace.h>
#include <stddef.h>
#include "errname.h"

static volatile long value = 0x1122334455667788;
static const long constant = 0x600d;

#if defined(__x86_64__)
#define REG_PC(r) ((r).rip)
#define REG_ARG2(r) ((r).rdx)
#define REG_RET(r) ((r).rax)
#else
/* struct user_regs_struct (pc, ra, sp, ... t6) comes from <asm/ptrace.h> */
#define REG_PC(r) ((r).pc)
#define REG_ARG2(r) ((r).a2)
#define REG_RET(r) ((r).a0)
#endif

static const char *name_of(long nr)
{
    switch (nr) {
    case SYS_getpid: return "getpid";
    case SYS_getppid: return "getppid";
    case SYS_write: return "write";
    case SYS_close: return "close";
    case SYS_exit_group: return "exit_group";
    default: return NULL;
    }
}

static void child(void)
{
    ptrace(PTRACE_TRACEME, 0, 0, 0);
    raise(SIGSTOP);
    long pid = syscall(SYS_getpid);
    syscall(SYS_write, 1, "AAAAAA\n", 7);
    long r = syscall(SYS_close, 12345);
    char buf[128];
    int n = snprintf(buf, sizeof buf, "child: getpid -> %ld, close -> %ld %s, value %#lx, constant %#lx\n", pid, r,
                     r < 0 ? errname(errno) : "", value, *(volatile const long *)&constant);
    syscall(SYS_write, 1, buf, n);
    syscall(SYS_getppid);
    syscall(SYS_exit_group, 3);
}

static int getregset(pid_t pid, struct user_regs_struct *regs)
{
    struct iovec iov = { regs, sizeof *regs };
    long r = ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &iov);
    return r == 0 && iov.iov_len == sizeof *regs ? 0 : -1;
}

static int setregset(pid_t pid, struct user_regs_struct *regs)
{
    struct iovec iov = { regs, sizeof *regs };
    return ptrace(PTRACE_SETREGSET, pid, (void *)NT_PRSTATUS, &iov);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    pid_t pid = fork();
    if (pid == 0) {
        child();
        return 99;
    }
    int status;
    waitpid(pid, &status, 0);
    printf("first stop: stopped %d sig %s\n", WIFSTOPPED(status), WSTOPSIG(status) == SIGSTOP ? "SIGSTOP" : "?");

    /* memory */
    errno = 0;
    long word = ptrace(PTRACE_PEEKDATA, pid, (void *)&value, 0);
    printf("peekdata: %#lx errno %s\n", word, errname(errno));
    printf("pokedata: %ld\n", ptrace(PTRACE_POKEDATA, pid, (void *)&value, (void *)0x5555L));
    printf("poke read-only: %ld\n", ptrace(PTRACE_POKEDATA, pid, (void *)&constant, (void *)0xbeefL));
    errno = 0;
    long bad = ptrace(PTRACE_PEEKDATA, pid, (void *)8, 0);
    printf("peek unmapped: %ld %s\n", bad, errname(errno));
    printf("tracer's constant unchanged: %#lx\n", constant);

    /* registers */
    struct user_regs_struct regs;
    printf("getregset: %d\n", getregset(pid, &regs));
#if defined(__x86_64__)
    struct user_regs_struct old;
    ptrace(PTRACE_GETREGS, pid, 0, &old);
    errno = 0;
    long rip = ptrace(PTRACE_PEEKUSER, pid, (void *)offsetof(struct user_regs_struct, rip), 0);
    long dr7 = ptrace(PTRACE_PEEKUSER, pid, (void *)(offsetof(struct user, u_debugreg) + 7 * 8), 0);
    int agree = memcmp(&old, &regs, sizeof regs) == 0 && rip == (long)regs.rip && dr7 == 0;
#else
    int agree = 1;
#endif
    printf("register views agree: %d\n", agree);

    /* floating-point registers: the regset is the ISA's struct, holding a new program's control words */
#if defined(__x86_64__)
    struct user_fpregs_struct fp, fp2;
    struct iovec fpiov = { &fp, sizeof fp };
    long fpr = ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRFPREG, &fpiov);
    ptrace(PTRACE_GETFPREGS, pid, 0, &fp2);
    int fp_ok = fpr == 0 && fpiov.iov_len == sizeof fp && memcmp(&fp, &fp2, sizeof fp) == 0 && fp.cwd == 0x37f
                && fp.mxcsr == 0x1f80;
    fp.mxcsr |= 0x6000;                          /* round toward zero */
    ptrace(PTRACE_SETFPREGS, pid, 0, &fp);
    ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRFPREG, &fpiov);
    fp_ok = fp_ok && fp.mxcsr == 0x7f80;
    fp.mxcsr = 0x1f80;
    ptrace(PTRACE_SETREGSET, pid, (void *)NT_PRFPREG, &fpiov);
#else
    struct __riscv_d_ext_state fp;
    struct iovec fpiov = { &fp, sizeof fp };
    long fpr = ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRFPREG, &fpiov);
    int fp_ok = fpr == 0 && fpiov.iov_len == sizeof fp && fp.fcsr == 0;
    fp.fcsr = 1 << 5;                            /* frm: round toward zero */
    ptrace(PTRACE_SETREGSET, pid, (void *)NT_PRFPREG, &fpiov);
    ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRFPREG, &fpiov);
    fp_ok = fp_ok && fp.fcsr == 1 << 5;
    fp.fcsr = 0;
    ptrace(PTRACE_SETREGSET, pid, (void *)NT_PRFPREG, &fpiov);
#endif
    printf("fp regset: defaults, set and read back: %d\n", fp_ok);
    struct iovec small = { &regs, 16 };
    ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &small);
    printf("short regset iov_len: %zu\n", small.iov_len);
    long r = ptrace(PTRACE_GETREGSET, pid, (void *)0x999, &small);
    printf("bad regset: %ld %s\n", r, errname(errno));

    ptrace(PTRACE_SETOPTIONS, pid, 0, (void *)(long)(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL));
    int stops = 0, entries = 0;
    const char *last = NULL;
    for (;;) {
        if (ptrace(PTRACE_SYSCALL, pid, 0, 0) != 0) {
            printf("PTRACE_SYSCALL failed: %s\n", errname(errno));
            break;
        }
        if (waitpid(pid, &status, 0) != pid)
            break;
        if (WIFEXITED(status)) {
            printf("exited %d after %s stops\n", WEXITSTATUS(status), stops > 10 && stops % 2 == 1 ? "enough" : "?");
            break;
        }
        if (!WIFSTOPPED(status) || WSTOPSIG(status) != (SIGTRAP | 0x80)) {
            printf("unexpected stop %#x\n", status);
            continue;
        }
        stops++;
        struct ptrace_syscall_info info;
        long size = ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof info, &info);
        if (info.op == PTRACE_SYSCALL_INFO_ENTRY) {
            entries++;
            const char *name = last = name_of(info.entry.nr);
            if (!name)
                continue;
            printf("enter %s (info size %ld)", name, size);
            getregset(pid, &regs);
            printf(" pc matches %d", REG_PC(regs) == info.instruction_pointer);
            if (info.entry.nr == SYS_write && info.entry.args[0] == 1 && info.entry.args[2] == 7) {
                REG_ARG2(regs) = 3;                      /* the child writes "AAA" */
                printf(" count 7 -> 3 (%d)", setregset(pid, &regs));
            }
            if (info.entry.nr == SYS_close) {
#if defined(__x86_64__)
                regs.orig_rax = -1;
#else
                regs.a7 = -1;
#endif
                printf(" skipped (%d)", setregset(pid, &regs));
            }
            printf("\n");
        } else if (info.op == PTRACE_SYSCALL_INFO_EXIT && last) {
            getregset(pid, &regs);
            long ret = (long)REG_RET(regs);
            printf("  exit rval %s is_error %d (info size %ld)\n",
                   info.exit.rval == ret ? "= return register" : "differs", info.exit.is_error, size);
            if (strcmp(last, "getpid") == 0) {
                REG_RET(regs) = 4242;
                printf("  return value -> 4242 (%d)\n", setregset(pid, &regs));
            }
        }
    }
    printf("syscall entries seen: %s\n", entries > 5 ? "several" : "few");
    return 0;
}
