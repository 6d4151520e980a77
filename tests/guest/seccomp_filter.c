/* seccomp filters: deny openat with EPERM, trap getpid with SIGSYS (the siginfo fields printed), kill on
 * ptrace; then each other action: ERRNO's cap and 0, TRACE without a tracer, LOG, KILL_THREAD, a TRAP whose
 * SIGSYS is blocked, a wrong arch.  Each filtered part runs in a child; the parent prints how it ended. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>
#include "errname.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif

#if defined(__x86_64__)
#define ARCH_NR AUDIT_ARCH_X86_64
#define UC_PC(uc) ((uc)->uc_mcontext.gregs[REG_RIP])
#elif defined(__riscv)
#define ARCH_NR AUDIT_ARCH_RISCV64
#define UC_PC(uc) ((uc)->uc_mcontext.__gregs[0])
#endif

#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))
#define ON(nr, ret) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, (ret))
#define ALLOW BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

static void install(struct sock_filter *insns, unsigned short len)
{
    struct sock_fprog prog = { .len = len, .filter = insns };
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
        printf("install failed: %s\n", errname(errno));
        exit(1);
    }
}

static void report(const char *what, pid_t pid)
{
    int status;
    if (waitpid(pid, &status, 0) != pid) {
        printf("%s: waitpid failed\n", what);
        return;
    }
    if (WIFEXITED(status))
        printf("%s: exited %d\n", what, WEXITSTATUS(status));
    else
        printf("%s: killed by signal %d (%s)\n", what, WTERMSIG(status), WTERMSIG(status) == SIGSYS ? "SIGSYS" :
               WTERMSIG(status) == SIGKILL ? "SIGKILL" : "other");
    fflush(stdout);
}

static volatile sig_atomic_t trapped;
static siginfo_t trap_info;
static long trap_pc;

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    trap_info = *si;
    trap_pc = (long)UC_PC((ucontext_t *)ctx);
    trapped = 1;
}

static void acceptance(void)
{
    struct sock_filter insns[] = {
        LOAD(arch),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH_NR, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
        LOAD(nr),
        ON(__NR_openat, SECCOMP_RET_ERRNO | EPERM),
        ON(__NR_getpid, SECCOMP_RET_TRAP | 42),
        ON(__NR_ptrace, SECCOMP_RET_KILL_PROCESS),
        ALLOW,
    };
    install(insns, sizeof insns / sizeof insns[0]);
    printf("PR_GET_SECCOMP = %d\n", prctl(PR_GET_SECCOMP, 0, 0, 0, 0));
    int fd = openat(AT_FDCWD, "/etc/passwd", O_RDONLY);
    printf("openat: %d %s\n", fd, fd < 0 ? errname(errno) : "");
    struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
    sigaction(SIGSYS, &sa, NULL);
    syscall(SYS_getpid);
    printf("trapped %d: si_signo %s si_code %s si_errno %d si_syscall %s si_arch %s si_call_addr %s\n",
           trapped, trap_info.si_signo == SIGSYS ? "SIGSYS" : "?",
           trap_info.si_code == SYS_SECCOMP ? "SYS_SECCOMP" : "?", trap_info.si_errno,
           trap_info.si_syscall == __NR_getpid ? "getpid" : "?",
           trap_info.si_arch == ARCH_NR ? "native" : "?",
           (long)trap_info.si_call_addr == trap_pc && trap_pc ? "= the pc after the syscall" : "wrong");
    printf("getppid allowed: %s\n", getppid() > 0 ? "yes" : "no");
    fflush(stdout);
    syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
    printf("ptrace returned\n");
    exit(0);
}

static void actions(void)
{
    struct sock_filter insns[] = {
        LOAD(nr),
        ON(__NR_getppid, SECCOMP_RET_ERRNO | 5000),           /* capped at MAX_ERRNO */
        ON(__NR_getuid, SECCOMP_RET_ERRNO | 0),                /* "succeeds" with 0, not run */
        ON(__NR_getgid, SECCOMP_RET_TRACE | 7),                /* no tracer: ENOSYS */
        ON(__NR_geteuid, SECCOMP_RET_LOG),                     /* runs */
        ON(__NR_sched_yield, SECCOMP_RET_ERRNO | EACCES),
        ON(1000, SECCOMP_RET_ERRNO | EXDEV),                   /* no such syscall: filtered all the same */
        ALLOW,
    };
    install(insns, sizeof insns / sizeof insns[0]);
    errno = 0;
    long r = syscall(SYS_getppid);
    printf("getppid: %ld errno %d\n", r, errno);
    r = syscall(SYS_getuid);
    printf("getuid: %ld\n", r);
    r = syscall(SYS_getgid);
    printf("getgid: %ld %s\n", r, r < 0 ? errname(errno) : "");
    printf("geteuid: %s\n", syscall(SYS_geteuid) == (long)geteuid() ? "ran" : "?");
    r = sched_yield();
    printf("sched_yield: %ld %s\n", r, r < 0 ? errname(errno) : "");
    r = syscall(1000);
    printf("syscall 1000: %ld %s\n", r, r < 0 ? errname(errno) : "");
    r = syscall(1001);
    printf("syscall 1001: %ld %s\n", r, r < 0 ? errname(errno) : "");
    exit(0);
}

static void kill_with(unsigned int action, int block_sigsys)
{
    struct sock_filter insns[] = { LOAD(nr), ON(__NR_getppid, action), ALLOW };
    if (block_sigsys) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGSYS);
        sigprocmask(SIG_BLOCK, &set, NULL);
        signal(SIGSYS, SIG_IGN);
    }
    install(insns, sizeof insns / sizeof insns[0]);
    syscall(SYS_getppid);
    printf("survived\n");
    exit(0);
}

static volatile pid_t killed_tid;

static void *killed_thread(void *arg)
{
    (void)arg;
    killed_tid = syscall(SYS_gettid);
    syscall(SYS_getppid);
    printf("thread survived\n");
    return NULL;
}

/* KILL_THREAD in a process with another thread: only the calling thread dies.  (It is not joined: musl's
 * pthread_join waits for the thread's own exit code to say it ended, which a killed thread never runs.) */
static void kill_one_thread(void)
{
    struct sock_filter insns[] = { LOAD(nr), ON(__NR_getppid, SECCOMP_RET_KILL_THREAD), ALLOW };
    pthread_t t;
    install(insns, sizeof insns / sizeof insns[0]);
    pthread_create(&t, NULL, killed_thread, NULL);
    while (!killed_tid || syscall(SYS_tgkill, getpid(), killed_tid, 0) == 0)
        usleep(1000);
    printf("the other thread was killed (tgkill: %s); this one goes on\n", errname(errno));
    exit(5);
}

static void wrong_arch(void)
{
    struct sock_filter insns[] = {
        LOAD(arch),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ARCH_NR ^ 1, 0, 1),   /* another arch: allowed */
        ALLOW,
        LOAD(nr),
        ON(__NR_getppid, SECCOMP_RET_ERRNO | ENOEXEC),
        ALLOW,
    };
    install(insns, sizeof insns / sizeof insns[0]);
    long r = syscall(SYS_getppid);
    printf("another arch's filter: %ld %s\n", r, r < 0 ? errname(errno) : "");
    exit(0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    pid_t pid = fork();
    if (pid == 0)
        acceptance();
    report("acceptance", pid);
    if ((pid = fork()) == 0)
        actions();
    report("actions", pid);
    if ((pid = fork()) == 0)
        kill_with(SECCOMP_RET_KILL_THREAD, 0);
    report("KILL_THREAD alone", pid);
    if ((pid = fork()) == 0)
        kill_with(SECCOMP_RET_KILL_PROCESS, 0);
    report("KILL_PROCESS", pid);
    if ((pid = fork()) == 0)
        kill_with(SECCOMP_RET_TRAP | 1, 1);
    report("TRAP with SIGSYS blocked and ignored", pid);
    if ((pid = fork()) == 0)
        kill_with(0x00010000, 0);
    report("an unknown action", pid);
    if ((pid = fork()) == 0)
        kill_one_thread();
    report("KILL_THREAD with two threads", pid);
    if ((pid = fork()) == 0)
        wrong_arch();
    report("wrong arch", pid);
    return 0;
}
