/* ptrace events and requests beyond ptrace_events.c: PTRACE_GETSIGMASK/SETSIGMASK, PTRACE_PEEKSIGINFO (the
 * tracee's own and its process's queues), PTRACE_EVENT_EXIT before a death by a fatal signal, PTRACE_EVENT_
 * VFORK_DONE, and PTRACE_EVENT_SECCOMP for a filter's SECCOMP_RET_TRACE (the tracer skips a call with its own
 * result, changes a call into another, lets one run; ENOSYS without PTRACE_O_TRACESECCOMP).  Events are named,
 * never pids or addresses.  Output is the same on every ISA. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/ptrace.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

/* <sys/ptrace.h> clashes with <linux/ptrace.h> on glibc: the raw call */
static long pt(long request, pid_t pid, void *addr, void *data)
{
    return syscall(SYS_ptrace, request, pid, addr, data);
}
#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

#if defined(__x86_64__)
#define AUDIT_ARCH_HERE AUDIT_ARCH_X86_64
#define SET_NR(r, v) ((r).orig_rax = (v))
#define SET_RET(r, v) ((r).rax = (v))
#else
#define AUDIT_ARCH_HERE AUDIT_ARCH_RISCV64
#define SET_NR(r, v) ((r).a7 = (v))
#define SET_RET(r, v) ((r).a0 = (v))
#endif

static const char *event_name(int status)
{
    switch (status >> 16) {
    case PTRACE_EVENT_EXIT: return "EXIT";
    case PTRACE_EVENT_VFORK: return "VFORK";
    case PTRACE_EVENT_VFORK_DONE: return "VFORK_DONE";
    case PTRACE_EVENT_SECCOMP: return "SECCOMP";
    case PTRACE_EVENT_STOP: return "STOP";
    case 0: return "none";
    default: return "?";
    }
}

static const char *sig_name(int sig)
{
    static char buf[32];
    if (sig >= SIGRTMIN && sig <= SIGRTMAX) {
        snprintf(buf, sizeof buf, "RTMIN+%d", sig - SIGRTMIN);
        return buf;
    }
    switch (sig) {
    case SIGUSR1: return "USR1";
    case SIGUSR2: return "USR2";
    case SIGURG: return "URG";
    case SIGTERM: return "TERM";
    case SIGSEGV: return "SEGV";
    case SIGTRAP: return "TRAP";
    case SIGSTOP: return "STOP";
    case SIGCHLD: return "CHLD";
    default: return "other";
    }
}

static void describe(const char *what, int status)
{
    if (WIFEXITED(status))
        printf("%s: exited %d\n", what, WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
        printf("%s: killed by %s\n", what, sig_name(WTERMSIG(status)));
    else if (WIFSTOPPED(status))
        printf("%s: stopped by %s, event %s\n", what, sig_name(WSTOPSIG(status)), event_name(status));
    else
        printf("%s: status %#x\n", what, status);
}

static void stop_self(void)
{
    syscall(SYS_kill, getpid(), SIGSTOP);       /* (not raise(): libcs block every signal around it) */
}

static pid_t traced_child(void (*body)(void))
{
    pid_t pid = fork();
    if (pid == 0) {
        pt(PTRACE_TRACEME, 0, 0, 0);
        stop_self();
        body();
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    return pid;
}

static void finish(pid_t pid, const char *what)
{
    int status;
    for (;;) {                                   /* suppress what is still pending, until it ends */
        pt(PTRACE_CONT, pid, 0, 0);
        waitpid(pid, &status, 0);
        if (!WIFSTOPPED(status))
            break;
        printf("  %s: signal-delivery stop %s\n", what, sig_name(WSTOPSIG(status)));
    }
    describe(what, status);
}

/* ------------------------------------------------------------------------- sigmask, peeksiginfo */
static void block_usr1(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    stop_self();
}

static void queue(pid_t pid, int sig, int value, int thread)
{
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_signo = sig;
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_int = value;
    if (thread)
        syscall(SYS_rt_tgsigqueueinfo, pid, pid, sig, &si);
    else
        syscall(SYS_rt_sigqueueinfo, pid, sig, &si);
}

static void peek(pid_t pid, unsigned long off, unsigned flags, int nr, const char *what)
{
    struct { uint64_t off; uint32_t flags; int32_t nr; } args = { off, flags, nr };
    siginfo_t infos[8];
    errno = 0;
    long n = pt(PTRACE_PEEKSIGINFO, pid, &args, infos);
    printf("  peeksiginfo %s: %ld%s%s", what, n, n < 0 ? " " : "", n < 0 ? errname(errno) : "");
    for (long i = 0; i < n; i++)
        printf(" %s(%d)", sig_name(infos[i].si_signo), infos[i].si_value.sival_int);
    printf("\n");
}

static void sigmask_and_peeksiginfo(void)
{
    pid_t pid = traced_child(block_usr1);
    pt(PTRACE_CONT, pid, 0, 0);                  /* to its stop in block_usr1 */
    int status;
    waitpid(pid, &status, 0);
    uint64_t mask = 0;
    long r = pt(PTRACE_GETSIGMASK, pid, (void *)sizeof mask, &mask);
    printf("getsigmask: %ld, USR1 blocked %d, USR2 blocked %d\n", r, !!(mask & (1UL << (SIGUSR1 - 1))),
           !!(mask & (1UL << (SIGUSR2 - 1))));
    r = pt(PTRACE_GETSIGMASK, pid, (void *)4, &mask);
    printf("  with a 4-byte set: %ld %s\n", r, errname(errno));
    mask = (1UL << (SIGUSR2 - 1)) | (1UL << (SIGKILL - 1)) | (1UL << (SIGSTOP - 1));
    r = pt(PTRACE_SETSIGMASK, pid, (void *)sizeof mask, &mask);
    mask = 0;
    pt(PTRACE_GETSIGMASK, pid, (void *)sizeof mask, &mask);
    printf("setsigmask {USR2, KILL, STOP}: %ld, now USR1 %d USR2 %d KILL %d STOP %d\n", r,
           !!(mask & (1UL << (SIGUSR1 - 1))), !!(mask & (1UL << (SIGUSR2 - 1))),
           !!(mask & (1UL << (SIGKILL - 1))), !!(mask & (1UL << (SIGSTOP - 1))));

    queue(pid, SIGUSR1, 1, 1);
    queue(pid, SIGUSR2, 2, 1);
    queue(pid, SIGRTMIN, 3, 1);
    queue(pid, SIGRTMIN, 4, 1);
    queue(pid, SIGURG, 5, 0);
    queue(pid, SIGRTMIN + 1, 6, 0);
    peek(pid, 0, 0, 8, "own queue");
    peek(pid, 1, 0, 2, "own queue from 1, 2 of them");
    peek(pid, 9, 0, 8, "own queue past its end");
    peek(pid, 0, PTRACE_PEEKSIGINFO_SHARED, 8, "process queue");
    peek(pid, 0, 0, 0, "none asked");
    peek(pid, 0, 2, 8, "bad flags");
    peek(pid, 0, 0, -1, "negative count");
    finish(pid, "sigmask child");
}

/* ------------------------------------------------------------------------------- exit events */
static void dies_of_sigterm(void)
{
    syscall(SYS_kill, getpid(), SIGTERM);
}

static void dies_of_sigsegv(void)
{
    *(volatile int *)16 = 1;
}

static void exit_event(void (*body)(void), const char *what)
{
    pid_t pid = traced_child(body);
    pt(PTRACE_SETOPTIONS, pid, 0, (void *)PTRACE_O_TRACEEXIT);
    pt(PTRACE_CONT, pid, 0, 0);
    int status;
    waitpid(pid, &status, 0);
    describe(what, status);
    int sig = WSTOPSIG(status);
    pt(PTRACE_CONT, pid, 0, (void *)(long)sig);   /* deliver it: fatal */
    waitpid(pid, &status, 0);
    describe("  then", status);
    unsigned long msg = 0;
    pt(PTRACE_GETEVENTMSG, pid, 0, &msg);
    printf("  event message: the wait status to be, killed by %s\n", sig_name(WTERMSIG((int)msg)));
    pt(PTRACE_CONT, pid, 0, 0);
    waitpid(pid, &status, 0);
    describe("  end", status);
}

/* ------------------------------------------------------------------------------- vfork done */
static void vforks(void)
{
    pid_t c = vfork();
    if (c == 0)
        _exit(7);
    int status;
    waitpid(c, &status, 0);
    printf("  tracee: its vfork child exited %d\n", WEXITSTATUS(status));
    fflush(stdout);
}

static void vfork_done(void)
{
    pid_t pid = traced_child(vforks);
    pt(PTRACE_SETOPTIONS, pid, 0, (void *)(PTRACE_O_TRACEVFORK | PTRACE_O_TRACEVFORKDONE));
    pt(PTRACE_CONT, pid, 0, 0);
    int status;
    waitpid(pid, &status, 0);
    describe("vfork", status);
    unsigned long child = 0, done = 0;
    pt(PTRACE_GETEVENTMSG, pid, 0, &child);
    waitpid((pid_t)child, &status, __WALL);
    describe("  the vfork child", status);
    pt(PTRACE_CONT, (pid_t)child, 0, 0);
    waitpid((pid_t)child, &status, __WALL);
    describe("  the vfork child", status);
    pt(PTRACE_CONT, pid, 0, 0);
    waitpid(pid, &status, 0);
    describe("  tracee", status);
    pt(PTRACE_GETEVENTMSG, pid, 0, &done);
    printf("  event message is the vfork child's id: %d\n", done == child);
    finish(pid, "  tracee");
}

static void vfork_done_only(void)
{
    pid_t pid = traced_child(vforks);              /* the child is not traced: the tracee sleeps in vfork */
    pt(PTRACE_SETOPTIONS, pid, 0, (void *)PTRACE_O_TRACEVFORKDONE);
    pt(PTRACE_CONT, pid, 0, 0);
    int status;
    waitpid(pid, &status, 0);
    describe("vfork with only TRACEVFORKDONE", status);
    unsigned long done = 0;
    pt(PTRACE_GETEVENTMSG, pid, 0, &done);
    printf("  event message is a pid: %d\n", done > 0);
    finish(pid, "  tracee");
}

/* ---------------------------------------------------------------------------------- seccomp */
#define TRACE_NR(nr, data) \
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE | (data))

static void filtered(void)
{
    struct sock_filter code[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_HERE, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        TRACE_NR(SYS_getppid, 0x123),
        TRACE_NR(SYS_getuid, 0x456),
        TRACE_NR(SYS_getgid, 0x789),
        TRACE_NR(SYS_getegid, 0xabc),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = { sizeof code / sizeof code[0], code };
    long gid = getgid(), pid = getpid();
    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
        _exit(30);
    long a = syscall(SYS_getppid);
    long b = syscall(SYS_getuid);
    long c = syscall(SYS_getgid);
    syscall(SYS_getegid);
    printf("  tracee: getppid -> %ld, getuid became getpid %d, getgid ran %d\n", a, b == pid, c == gid);
    fflush(stdout);
}

static int regs(pid_t pid, struct user_regs_struct *r, int set)
{
    struct iovec iov = { r, sizeof *r };
    return pt(set ? PTRACE_SETREGSET : PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &iov);
}

static void seccomp_stop(pid_t pid, const char *what)
{
    int status;
    waitpid(pid, &status, 0);
    unsigned long msg = 0;
    pt(PTRACE_GETEVENTMSG, pid, 0, &msg);
    struct ptrace_syscall_info info;
    memset(&info, 0, sizeof info);
    long size = pt(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof info, &info);
    printf("%s: stopped by %s event %s, message %#lx, syscall info op %d size %ld data %#x\n", what,
           sig_name(WSTOPSIG(status)), event_name(status), msg, info.op, size, info.seccomp.ret_data);
}

static void seccomp_events(void)
{
    pid_t pid = traced_child(filtered);
    pt(PTRACE_SETOPTIONS, pid, 0, (void *)PTRACE_O_TRACESECCOMP);
    pt(PTRACE_CONT, pid, 0, 0);
    struct user_regs_struct r;
    seccomp_stop(pid, "seccomp getppid");
    regs(pid, &r, 0);
    SET_NR(r, -1);                               /* skipped, with the tracer's result */
    SET_RET(r, 777);
    regs(pid, &r, 1);
    pt(PTRACE_CONT, pid, 0, 0);
    seccomp_stop(pid, "seccomp getuid");
    regs(pid, &r, 0);
    SET_NR(r, SYS_getpid);                       /* another call, which the filter allows */
    regs(pid, &r, 1);
    pt(PTRACE_CONT, pid, 0, 0);
    seccomp_stop(pid, "seccomp getgid");
    /* runs as it is (TRACE lets it run after the stop); from here on with syscall stops too */
    pt(PTRACE_SETOPTIONS, pid, 0, (void *)(PTRACE_O_TRACESECCOMP | PTRACE_O_TRACESYSGOOD));
    int status, egid = 0;
    for (int i = 0; i < 8; i++) {
        pt(PTRACE_SYSCALL, pid, 0, 0);
        waitpid(pid, &status, 0);
        struct ptrace_syscall_info info;
        memset(&info, 0, sizeof info);
        pt(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof info, &info);
        const char *name = info.entry.nr == SYS_getgid ? "getgid" : info.entry.nr == SYS_getegid ? "getegid"
                         : "another call";
        if (info.op == PTRACE_SYSCALL_INFO_EXIT)
            printf("  syscall exit stop, %s\n", info.exit.is_error ? "an error" : "a result");
        else
            printf("  %s stop, %s\n", info.op == PTRACE_SYSCALL_INFO_ENTRY ? "syscall entry"
                   : info.op == PTRACE_SYSCALL_INFO_SECCOMP ? "seccomp" : "other", name);
        if (info.op == PTRACE_SYSCALL_INFO_ENTRY && info.entry.nr == SYS_getegid)
            egid = 1;
        if (egid && info.op == PTRACE_SYSCALL_INFO_EXIT)
            break;
    }
    pt(PTRACE_CONT, pid, 0, 0);
    waitpid(pid, &status, 0);
    describe("  tracee", status);

    pid = traced_child(filtered);                /* traced, without PTRACE_O_TRACESECCOMP */
    pt(PTRACE_CONT, pid, 0, 0);
    waitpid(pid, &status, 0);
    describe("without TRACESECCOMP, tracee", status);
}

static void untraced_enosys(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        struct sock_filter code[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            TRACE_NR(SYS_getppid, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = { sizeof code / sizeof code[0], code };
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
        errno = 0;
        long r = syscall(SYS_getppid);
        printf("untraced: getppid under RET_TRACE -> %ld %s\n", r, errname(errno));
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    sigmask_and_peeksiginfo();
    exit_event(dies_of_sigterm, "exit event, SIGTERM");
    exit_event(dies_of_sigsegv, "exit event, SIGSEGV");
    vfork_done();
    vfork_done_only();
    seccomp_events();
    untraced_enosys();
    printf("ALL DONE\n");
    return 0;
}
