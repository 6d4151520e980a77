/* unshare, restart_syscall, process_madvise, process_mrelease, cachestat, lsm_list_modules: results and
   argument checks.  Output through write(2) only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"

#define RES(r) ((r) < 0 ? errname(errno) : "ok")
#define NR_PROCESS_MADVISE 440
#define NR_PROCESS_MRELEASE 448
#define NR_CACHESTAT 451
#define NR_LSM_LIST_MODULES 461
#define NR_PIDFD_OPEN 434

int main(void)
{
    /* unshare */
    say("unshare 0: %s\n", RES(unshare(0)));
    say("unshare CLONE_FILES|CLONE_FS|CLONE_SYSVSEM: %s\n", RES(unshare(CLONE_FILES | CLONE_FS | CLONE_SYSVSEM)));
    say("unshare CLONE_THREAD|CLONE_VM|CLONE_SIGHAND alone: %s\n", RES(unshare(CLONE_THREAD | CLONE_VM | CLONE_SIGHAND)));
    say("unshare unknown flag: %s\n", RES(unshare(0x1000)));
    int p[2];
    pipe(p);
    pid_t pid = syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) {
        close(p[0]);                       /* shared table: closes the parent's too */
        unshare(CLONE_FILES);
        close(p[1]);                       /* our own copy now */
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    say("shared close seen: %s; unshared close not seen: %s\n", fcntl(p[0], F_GETFD) < 0 ? errname(errno) : "open",
        fcntl(p[1], F_GETFD) < 0 ? errname(errno) : "open");
    pid = fork();
    if (pid == 0) {
        if (setuid(1000) == 0)
            say("user: unshare CLONE_NEWNS: %s\n", RES(unshare(CLONE_NEWNS)));
        _exit(0);
    }
    waitpid(pid, NULL, 0);

    say("restart_syscall: %s\n", RES(syscall(SYS_restart_syscall)));

    /* process_madvise / process_mrelease */
    char *area = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    area[0] = 1;
    int self = syscall(NR_PIDFD_OPEN, getpid(), 0);
    struct iovec iov[2] = {{area, 4096}, {area + 4096, 4096}};
    say("process_madvise self COLD: %ld\n", (long)syscall(NR_PROCESS_MADVISE, self, iov, 2, MADV_COLD, 0));
    say("process_madvise flags: %s\n", RES(syscall(NR_PROCESS_MADVISE, self, iov, 2, MADV_COLD, 1)));
    say("process_madvise not a pidfd: %s\n", RES(syscall(NR_PROCESS_MADVISE, 0, iov, 2, MADV_COLD, 0)));
    say("process_madvise bad advice: %s\n", RES(syscall(NR_PROCESS_MADVISE, self, iov, 2, 9999, 0)));
    pid = fork();
    if (pid == 0) {
        pause();
        _exit(0);
    }
    int cfd = syscall(NR_PIDFD_OPEN, pid, 0);
    say("process_madvise child WILLNEED: %ld\n", (long)syscall(NR_PROCESS_MADVISE, cfd, iov, 1, MADV_WILLNEED, 0));
    say("process_madvise child DONTNEED: %s\n", RES(syscall(NR_PROCESS_MADVISE, cfd, iov, 1, MADV_DONTNEED, 0)));
    say("process_mrelease running: %s\n", RES(syscall(NR_PROCESS_MRELEASE, cfd, 0)));
    say("process_mrelease flags: %s\n", RES(syscall(NR_PROCESS_MRELEASE, cfd, 1)));
    kill(pid, SIGKILL);
    siginfo_t info;
    waitid(P_PID, pid, &info, WEXITED | WNOWAIT);
    say("process_mrelease exited: %s\n", RES(syscall(NR_PROCESS_MRELEASE, cfd, 0)));
    waitpid(pid, NULL, 0);
    say("process_mrelease reaped: %s\n", RES(syscall(NR_PROCESS_MRELEASE, cfd, 0)));

    /* cachestat */
    uint64_t range[2] = {0, 0}, cs[5];
    say("cachestat flags: %s\n", RES(syscall(NR_CACHESTAT, p[0], range, cs, 1)));
    say("cachestat bad fd: %s\n", RES(syscall(NR_CACHESTAT, 99, range, cs, 0)));
    memset(cs, 0xff, sizeof cs);
    long r = syscall(NR_CACHESTAT, p[0], range, cs, 0);
    say("cachestat pipe: %s writeback %llu evicted %llu\n", RES(r), (unsigned long long)cs[2],
        (unsigned long long)cs[3]);

    /* lsm_list_modules */
    uint64_t ids[32];
    uint32_t size = 0;
    r = syscall(NR_LSM_LIST_MODULES, ids, &size, 0);
    say("lsm_list_modules size 0: %s size needed %d\n", RES(r), size > 0 && size % 8 == 0);
    size = sizeof ids;
    r = syscall(NR_LSM_LIST_MODULES, ids, &size, 0);
    int capability = 0;
    for (long i = 0; i < r; i++)
        capability |= ids[i] == 100;
    say("lsm_list_modules: count ok %d size ok %d capability listed %d\n", r >= 1, size == 8 * r, capability);
    say("lsm_list_modules flags: %s\n", RES(syscall(NR_LSM_LIST_MODULES, ids, &size, 1)));
    say("ALL DONE\n");
    return 0;
}
