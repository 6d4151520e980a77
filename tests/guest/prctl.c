/* prctl (names, parent-death signal, child subreaper, dumpable, no_new_privs, bounding set), membarrier,
 * getcpu and capget: what a process can ask the kernel about itself. */
#define _GNU_SOURCE
#include <errno.h>
#include "errname.h"
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void result(const char *what, long rc) {
    printf("%s = %ld%s%s\n", what, rc, rc < 0 ? " " : "", rc < 0 ? errname(errno) : "");
}

static void show_comm(const char *when) {
    char name[32] = {0}, proc[32] = {0};
    prctl(PR_GET_NAME, name);
    int fd = open("/proc/self/comm", O_RDONLY);
    ssize_t n = read(fd, proc, sizeof proc - 1);
    close(fd);
    if (n > 0 && proc[n - 1] == '\n') proc[n - 1] = 0;
    printf("%s: PR_GET_NAME [%s] /proc/self/comm [%s]\n", when, name, proc);
}

static volatile sig_atomic_t got_usr1;
static void on_usr1(int sig) { (void)sig; got_usr1 = 1; }

int main(int argc, char **argv) {
    (void)argc;
    char name[32] = {0};
    prctl(PR_GET_NAME, name);
    const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    printf("at start the name is the program's, cut to 15 bytes: %d\n", strncmp(name, base, 15) == 0);
    result("PR_SET_NAME", prctl(PR_SET_NAME, "worker-thread-name-that-is-long"));
    show_comm("after PR_SET_NAME");

    result("PR_GET_DUMPABLE", prctl(PR_GET_DUMPABLE));
    result("PR_SET_DUMPABLE 2", prctl(PR_SET_DUMPABLE, 2));
    result("PR_SET_DUMPABLE 0", prctl(PR_SET_DUMPABLE, 0));
    result("PR_GET_DUMPABLE", prctl(PR_GET_DUMPABLE));
    prctl(PR_SET_DUMPABLE, 1);
    result("PR_GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    result("PR_SET_NO_NEW_PRIVS 2", prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0));
    result("PR_SET_NO_NEW_PRIVS", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    result("PR_GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    result("PR_CAPBSET_READ CAP_CHOWN", prctl(PR_CAPBSET_READ, 0));
    result("PR_CAPBSET_READ 99", prctl(PR_CAPBSET_READ, 99));
    result("PR_SET_PDEATHSIG 65", prctl(PR_SET_PDEATHSIG, 65));
    result("unknown option", prctl(0x7fff0000, 0, 0, 0, 0));

    /* The parent-death signal and the subreaper: this process adopts its grandchild when the middle one
     * exits, and the grandchild is told by SIGUSR1. */
    result("PR_SET_CHILD_SUBREAPER", prctl(PR_SET_CHILD_SUBREAPER, 1));
    int reaper;
    prctl(PR_GET_CHILD_SUBREAPER, &reaper);
    printf("PR_GET_CHILD_SUBREAPER -> %d\n", reaper);
    pid_t top = getpid();
    int ready[2], report[2];
    pipe(ready);
    pipe(report);
    pid_t middle = fork();
    if (middle == 0) {
        if (fork() == 0) {
            signal(SIGUSR1, on_usr1);
            prctl(PR_SET_PDEATHSIG, SIGUSR1);
            int sig;
            prctl(PR_GET_PDEATHSIG, &sig);
            write(ready[1], "r", 1);
            while (!got_usr1) usleep(1000);
            char line[64];
            int n = snprintf(line, sizeof line, "grandchild: pdeathsig %d, got SIGUSR1, parent is reaper: %d\n",
                             sig, getppid() == top);
            write(report[1], line, n);
            _exit(0);
        }
        char c;
        read(ready[0], &c, 1);
        _exit(0);
    }
    close(report[1]);
    waitpid(middle, NULL, 0);
    char line[128] = {0};
    read(report[0], line, sizeof line - 1);
    fputs(line, stdout);
    printf("reaped adopted grandchild: %d\n", wait(NULL) > 0);

    /* membarrier: every command this kernel answers, and the registration rule. */
    long query = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
    printf("membarrier query has GLOBAL and PRIVATE_EXPEDITED: %d\n",
           (query & MEMBARRIER_CMD_GLOBAL) && (query & MEMBARRIER_CMD_PRIVATE_EXPEDITED));
    result("membarrier GLOBAL", syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0));
    result("membarrier PRIVATE_EXPEDITED unregistered", syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
    result("membarrier REGISTER_PRIVATE_EXPEDITED",
           syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0));
    result("membarrier PRIVATE_EXPEDITED", syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
    result("membarrier bad flags", syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 1, 0));

    unsigned cpu = 99, node = 99;
    result("getcpu", syscall(SYS_getcpu, &cpu, &node, NULL));
    printf("cpu in range: %d, node %u\n", cpu < 1024, node);

    struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct data[2];
    result("capget", syscall(SYS_capget, &header, data));
    printf("CAP_SYS_ADMIN effective iff root: %d\n", !!(data[0].effective & (1u << CAP_SYS_ADMIN)) == (geteuid() == 0));
    header.version = 0x1234;
    result("capget bad version", syscall(SYS_capget, &header, data));
    printf("version offered: %#x\n", header.version);
    return 0;
}
