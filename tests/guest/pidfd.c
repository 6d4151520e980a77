/* pidfds (pidfd_open, pidfd_send_signal, pidfd_getfd, poll, waitid(P_PIDFD), CLONE_PIDFD with clone and clone3),
   process_vm_readv/writev and kcmp.  Output through write(2) only; pids and addresses are never printed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"

#define RES(r) ((r) < 0 ? errname(errno) : "ok")
#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#define KCMP_FILE 0
#define KCMP_VM 1
#define KCMP_FILES 2
#define KCMP_FS 3
#define KCMP_SIGHAND 4
#define CLONE_PIDFD_FLAG 0x1000
#define PIDFD_NONBLOCK_FLAG O_NONBLOCK

struct clone_args_v0 {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static long pidfd_open(pid_t pid, unsigned flags) { return syscall(SYS_pidfd_open, pid, flags); }
static long pidfd_send(int fd, int sig, siginfo_t *info, unsigned flags)
{
    return syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}
static long kcmp(pid_t a, pid_t b, int type, unsigned long i1, unsigned long i2)
{
    return syscall(SYS_kcmp, a, b, type, i1, i2);
}

static const char *cmp(long r)
{
    return r < 0 ? errname(errno) : r == 0 ? "same" : r <= 2 ? "different" : "?";
}

static int pollfd_revents(int fd, int timeout)
{
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, timeout);
    return r < 0 ? -1 : p.revents;
}

static char buffer[64] = "parent's original";
static volatile int got_value = -1;
static void on_usr1(int sig, siginfo_t *si, void *ctx) { (void)sig; (void)ctx; got_value = si->si_value.sival_int; }

static pid_t thread_tid;
static int thread_go[2];
static void *thread_main(void *arg)
{
    (void)arg;
    thread_tid = syscall(SYS_gettid);
    char c;
    read(thread_go[0], &c, 1);
    return NULL;
}

int main(void)
{
    int sync[2], back[2];
    pipe(sync);
    pipe(back);
    pid_t child = fork();
    if (child == 0) {
        strcpy(buffer, "the child's copy");
        int p[2];
        pipe(p);
        dup2(p[0], 50);
        write(p[1], "secret", 6);
        write(back[1], "r", 1);              /* ready */
        char c;
        read(sync[0], &c, 1);                /* the parent wrote into our memory */
        say("child: buffer now '%s'\n", buffer);
        write(back[1], "d", 1);
        pause();
        _exit(0);
    }
    char c;
    read(back[0], &c, 1);

    say("pidfd_open bad flags: %s\n", RES(pidfd_open(child, 1)));
    say("pidfd_open pid 0: %s\n", RES(pidfd_open(0, 0)));
    say("pidfd_open no such pid: %s\n", RES(pidfd_open(0x3ffffff0, 0)));
    int pfd = pidfd_open(child, 0);
    say("pidfd_open: %s cloexec %d\n", RES(pfd), fcntl(pfd, F_GETFD));
    char link[64] = "", path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", pfd);
    readlink(path, link, sizeof link - 1);
    say("link %s\n", link);
    say("poll running: %#x\n", pollfd_revents(pfd, 0));

    /* process_vm_readv / writev */
    char got[64] = "";
    struct iovec local = {got, sizeof got}, remote = {buffer, 17};
    long n = process_vm_readv(child, &local, 1, &remote, 1, 0);
    say("process_vm_readv: %ld '%s'\n", n, got);
    struct iovec out = {"written by the parent", 22}, there = {buffer, 22};
    say("process_vm_writev: %ld\n", (long)process_vm_writev(child, &out, 1, &there, 1, 0));
    struct iovec bad = {(void *)16, 10};
    say("readv bad remote: %s\n", RES(process_vm_readv(child, &local, 1, &bad, 1, 0)));
    struct iovec two[2] = {{buffer, 7}, {(void *)16, 10}};
    memset(got, 0, sizeof got);
    n = process_vm_readv(child, &local, 1, two, 2, 0);
    say("readv partial: %ld '%s'\n", n, got);
    say("readv flags: %s\n", RES(process_vm_readv(child, &local, 1, &remote, 1, 1)));
    say("readv no such pid: %s\n", RES(process_vm_readv(0x3ffffff0, &local, 1, &remote, 1, 0)));
    write(sync[1], "w", 1);
    read(back[0], &c, 1);

    /* pidfd_getfd */
    int fd = syscall(SYS_pidfd_getfd, pfd, 50, 0);
    char secret[16] = "";
    read(fd, secret, 6);
    say("pidfd_getfd: %s cloexec %d reads '%s'\n", RES(fd), fcntl(fd, F_GETFD), secret);
    say("pidfd_getfd bad target: %s\n", RES(syscall(SYS_pidfd_getfd, pfd, 77, 0)));
    say("pidfd_getfd flags: %s\n", RES(syscall(SYS_pidfd_getfd, pfd, 50, 1)));
    say("pidfd_getfd not a pidfd: %s\n", RES(syscall(SYS_pidfd_getfd, 0, 50, 0)));

    /* kcmp */
    say("kcmp vm self: %s\n", cmp(kcmp(getpid(), getpid(), KCMP_VM, 0, 0)));
    say("kcmp vm child: %s\n", cmp(kcmp(getpid(), child, KCMP_VM, 0, 0)));
    say("kcmp files child: %s\n", cmp(kcmp(getpid(), child, KCMP_FILES, 0, 0)));
    int d = dup(sync[0]);
    say("kcmp file dup: %s\n", cmp(kcmp(getpid(), getpid(), KCMP_FILE, sync[0], d)));
    say("kcmp file other: %s\n", cmp(kcmp(getpid(), getpid(), KCMP_FILE, sync[0], sync[1])));
    say("kcmp file inherited: %s\n", cmp(kcmp(getpid(), child, KCMP_FILE, sync[0], sync[0])));
    say("kcmp file bad fd: %s\n", cmp(kcmp(getpid(), getpid(), KCMP_FILE, 99, 0)));
    say("kcmp bad type: %s\n", cmp(kcmp(getpid(), getpid(), 99, 0, 0)));
    pipe(thread_go);
    pthread_t th;
    pthread_create(&th, NULL, thread_main, NULL);
    while (!thread_tid)
        usleep(1000);
    say("kcmp thread files: %s vm: %s fs: %s sighand: %s\n", cmp(kcmp(getpid(), thread_tid, KCMP_FILES, 0, 0)),
        cmp(kcmp(getpid(), thread_tid, KCMP_VM, 0, 0)), cmp(kcmp(getpid(), thread_tid, KCMP_FS, 0, 0)),
        cmp(kcmp(getpid(), thread_tid, KCMP_SIGHAND, 0, 0)));
    say("pidfd_open of a thread: %s\n", RES(pidfd_open(thread_tid, 0)));
    write(thread_go[1], "x", 1);
    pthread_join(th, NULL);

    /* waitid(P_PIDFD) on a non-blocking pidfd, signals, poll at exit and after the reap */
    int nbfd = pidfd_open(child, PIDFD_NONBLOCK_FLAG);
    long r;
    siginfo_t info;
    memset(&info, 0, sizeof info);
    say("waitid nonblocking running: %s\n", RES(waitid(P_PIDFD, nbfd, &info, WEXITED)));
    say("send bad flags: %s\n", RES(pidfd_send(pfd, SIGTERM, NULL, 8)));
    say("send two scopes: %s\n", RES(pidfd_send(pfd, SIGTERM, NULL, 3)));
    say("send not a pidfd: %s\n", RES(pidfd_send(0, SIGTERM, NULL, 0)));
    say("send signal 0: %s\n", RES(pidfd_send(pfd, 0, NULL, 0)));
    memset(&info, 0, sizeof info);
    info.si_signo = SIGTERM;
    info.si_code = SI_USER;
    say("send SI_USER info to another: %s\n", RES(pidfd_send(pfd, SIGTERM, &info, 0)));
    say("send SIGTERM to the thread group: %s\n", RES(pidfd_send(pfd, SIGTERM, NULL, 2)));
    say("poll exited: %#x\n", pollfd_revents(pfd, 5000));
    memset(&info, 0, sizeof info);
    r = waitid(P_PIDFD, pfd, &info, WEXITED);
    say("waitid P_PIDFD: %s code killed %d status %d pid ok %d\n", RES(r), info.si_code == CLD_KILLED,
        info.si_status, info.si_pid == child);
    say("poll reaped: %#x\n", pollfd_revents(pfd, 0));
    say("send after reap: %s\n", RES(pidfd_send(pfd, SIGTERM, NULL, 0)));
    say("getfd after reap: %s\n", RES(syscall(SYS_pidfd_getfd, pfd, 0, 0)));
    say("waitid after reap: %s\n", RES(waitid(P_PIDFD, pfd, &info, WEXITED)));
    say("waitid not a pidfd: %s\n", RES(waitid(P_PIDFD, 0, &info, WEXITED)));

    /* a signal with a value to oneself */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    int self = pidfd_open(getpid(), 0);
    memset(&info, 0, sizeof info);
    info.si_signo = SIGUSR1;
    info.si_code = SI_QUEUE;
    info.si_value.sival_int = 1234;
    say("send to self with info: %s\n", RES(pidfd_send(self, SIGUSR1, &info, 0)));
    say("handler saw value %d\n", got_value);
    say("send mismatched signo: %s\n", RES(pidfd_send(self, SIGUSR2, &info, 0)));

    /* CLONE_PIDFD */
    int cfd = -1;
    r = syscall(SYS_clone, CLONE_PIDFD_FLAG | SIGCHLD, 0, &cfd, 0, 0);
    if (r == 0)
        _exit(7);
    memset(&info, 0, sizeof info);
    waitid(P_PIDFD, cfd, &info, WEXITED);
    say("clone CLONE_PIDFD: fd ok %d cloexec %d exited %d status %d\n", cfd > 2, fcntl(cfd, F_GETFD),
        info.si_code == CLD_EXITED, info.si_status);
    say("clone CLONE_PIDFD|CLONE_PARENT_SETTID: %s\n",
        RES(syscall(SYS_clone, CLONE_PIDFD_FLAG | CLONE_PARENT_SETTID | SIGCHLD, 0, &cfd, 0, 0)));
    struct clone_args_v0 args;
    memset(&args, 0, sizeof args);
    int c3fd = -1;
    args.flags = CLONE_PIDFD_FLAG;
    args.pidfd = (uintptr_t)&c3fd;
    args.exit_signal = SIGCHLD;
    r = syscall(SYS_clone3, &args, sizeof args);
    if (r == 0)
        _exit(9);
    say("poll clone3 child: %#x\n", pollfd_revents(c3fd, 5000));
    memset(&info, 0, sizeof info);
    r = waitid(P_PIDFD, c3fd, &info, WEXITED);
    say("clone3 CLONE_PIDFD: %s status %d\n", RES(r), info.si_status);
    args.flags = CLONE_PIDFD_FLAG | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
    say("clone3 CLONE_PIDFD|CLONE_THREAD: %s\n", RES(syscall(SYS_clone3, &args, sizeof args)));
    /* pidfd_send_signal also takes an open /proc/<pid> directory (pidfd_to_pid), not another directory. */
    char proc_dir[64];
    snprintf(proc_dir, sizeof proc_dir, "/proc/%d", getpid());
    int procfd = open(proc_dir, O_RDONLY | O_DIRECTORY), rootfd = open("/", O_RDONLY | O_DIRECTORY);
    snprintf(proc_dir, sizeof proc_dir, "/proc/self/task/%d", getpid());
    int taskfd = open(proc_dir, O_RDONLY | O_DIRECTORY);
    say("pidfd_send_signal /proc/<pid>: %s, /: %s, /proc/self/task/<tid>: %s, fd 0: %s\n",
        RES(pidfd_send(procfd, 0, NULL, 0)), RES(pidfd_send(rootfd, 0, NULL, 0)),
        RES(pidfd_send(taskfd, 0, NULL, 0)), RES(pidfd_send(0, 0, NULL, 0)));
    say("ALL DONE\n");
    return 0;
}
