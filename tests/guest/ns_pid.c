/* Pid namespaces: unshare CLONE_NEWPID puts the next child at pid 1 of a new namespace (the caller stays where
 * it is), nested numbering (getpid, getppid 0 for pid 1, the parent sees another number), orphans re-parented
 * to the namespace's pid 1, signals with the default action not delivered to it from inside, SIGKILL from
 * outside delivered, the whole namespace killed when pid 1 dies, a proc mount showing the namespace's pids and
 * NSpid lines, NS_GET_PARENT, and the EINVAL cases. */
#define _GNU_SOURCE
#include <dirent.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "errname.h"
#include "say.h"
#include "ns_util.h"

static int proc_pids(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] >= '1' && e->d_name[0] <= '9';
    closedir(d);
    return n;
}

/* the NSpid line of /proc/self/status: how many numbers, and the last one */
static void nspid(int *count, int *last)
{
    char buf[4096];
    int fd = open("/proc/self/status", O_RDONLY);
    int n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    char *line = strstr(buf, "\nNSpid:");
    *count = 0;
    *last = -1;
    if (!line)
        return;
    char *p = line + 7, *end;
    for (;;) {
        long v = strtol(p, &end, 10);
        if (end == p)
            break;
        (*count)++;
        *last = (int)v;
        p = end;
    }
}

static void pid1(int report)
{
    int o2p[2];
    pipe(o2p);
    int count, last;
    say("pid1: getpid %d getppid %d\n", getpid(), getppid());
    say("pid1: unshare CLONE_NEWNS: %s\n", RES(unshare(CLONE_NEWNS)));
    mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL);
    say("pid1: mount proc: %s\n", RES(mount("proc", "/proc", "proc", 0, NULL)));
    nspid(&count, &last);
    say("pid1: NSpid has %d numbers, the last %d\n", count, last);
    say("pid1: /proc shows %d process(es), /proc/self -> 1: %d\n", proc_pids("/proc"),
        access("/proc/1/status", F_OK) == 0);
    signal(SIGUSR1, SIG_DFL);
    pid_t mid = fork();
    if (mid == 0) {
        say("mid: getpid %d getppid %d\n", getpid(), getppid());
        say("mid: kill(1, SIGUSR1) from inside: %s\n", RES(kill(1, SIGUSR1)));
        say("mid: kill(1, SIGKILL) from inside: %s\n", RES(kill(1, SIGKILL)));
        signal(SIGTERM, SIG_IGN);
        say("mid: kill(-1, SIGTERM): %s (only itself in the namespace besides pid 1: nothing)\n",
            RES(kill(-1, SIGTERM)));
        pid_t orphan = fork();
        if (orphan == 0) {
            while (getppid() != 1)
                usleep(1000);
            say("orphan: getpid %d, re-parented to 1\n", getpid());
            signal_peer(o2p[1]);
            pause();
            _exit(0);
        }
        _exit(0);
    }
    int status;
    pid_t got = waitpid(mid, &status, 0);
    wait_peer(o2p[0]);
    say("pid1: fork returned %d\n", mid);
    say("pid1: waitpid %d, status %d\n", got, WEXITSTATUS(status));
    say("pid1: still alive after SIGUSR1 and SIGKILL from inside\n");
    say("pid1: /proc now shows %d process(es)\n", proc_pids("/proc"));
    signal_peer(report);
    pause();                                        /* until the parent namespace kills it */
}

int main(void)
{
    unsigned long outer = ns_ino(0, "pid");
    say("pid link ok: %d, pid_for_children link ok: %d\n", ns_link_ok("pid"), ns_link_ok("pid_for_children"));
    int fds[2];
    pipe(fds);
    pid_t cloned = syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0);
    if (cloned == 0) {
        int me1 = getpid();
        write(fds[1], &me1, sizeof me1);
        _exit(0);
    }
    int got1 = 0;
    close(fds[1]);
    if (cloned > 0)
        read(fds[0], &got1, sizeof got1);
    waitpid(cloned, NULL, 0);
    say("clone CLONE_NEWPID: %s, the child is pid %d\n", RES(cloned), got1);
    pid_t me = getpid();
    say("unshare CLONE_NEWPID: %s\n", RES(unshare(CLONE_NEWPID)));
    say("getpid unchanged: %d, pid ns unchanged: %d, pid_for_children new: %d\n", getpid() == me,
        ns_ino(0, "pid") == outer, ns_ino(0, "pid_for_children") != outer);
    say("unshare CLONE_NEWPID again: %s\n", RES(unshare(CLONE_NEWPID)));
    char text[64];
    say("pid_for_children before its pid 1: %s\n", RES(readlink("/proc/self/ns/pid_for_children", text, 64)));
    int self = open("/proc/self/ns/pid", O_RDONLY);
    say("NS_GET_PARENT of ours: %s\n", RES(ioctl(self, NS_GET_PARENT)));
    static char stack[65536];
    say("a thread now: %s\n", RES(syscall(SYS_clone, CLONE_THREAD | CLONE_SIGHAND | CLONE_VM, stack + 4096, 0,
                                          0, 0)));
    int report[2];
    pipe(report);
    pid_t child = fork();
    if (child == 0) {
        close(report[0]);
        pid1(report[1]);
        _exit(0);
    }
    close(report[1]);
    wait_peer(report[0]);
    say("parent: child in the namespace: %d\n", child != 0 && ns_ino(child, "pid") != outer);
    int pfc = open("/proc/self/ns/pid_for_children", O_RDONLY);
    int parent_fd = ioctl(pfc, NS_GET_PARENT);
    say("NS_GET_PARENT of the new one: %s, is ours: %d\n", RES(parent_fd), fd_ino(parent_fd) == outer);
    char status_path[64], buf[4096];
    snprintf(status_path, sizeof status_path, "/proc/%d/status", child);
    int sfd = open(status_path, O_RDONLY);
    int n = read(sfd, buf, sizeof buf - 1);
    close(sfd);
    buf[n > 0 ? n : 0] = 0;
    char *ns_line = strstr(buf, "\nNSpid:");
    int fields = 0;
    for (char *p = ns_line ? ns_line + 7 : buf + n; *p && *p != '\n'; p++)
        fields += (*p >= '0' && *p <= '9') && (p[-1] == '\t' || p[-1] == ' ' || p[-1] == ':');
    say("parent: the child's NSpid from outside: %d numbers, ends in 1: %d\n", fields,
        ns_line != NULL && strncmp(strchr(ns_line + 1, '\n') - 2, "\t1", 2) == 0);
    say("parent: kill(child, SIGKILL) from outside: %s\n", RES(kill(child, SIGKILL)));
    int status;
    pid_t got = waitpid(child, &status, 0);
    say("parent: waitpid returned the child: %d, killed by %s\n", got == child,
        WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? "SIGKILL" : "?");
    char c;
    say("parent: the orphan died with the namespace: %d\n", read(report[0], &c, 1) == 0);
    say("fork into the dead namespace: %s\n", RES(fork()));
    say("ALL DONE\n");
    return 0;
}
