/* fanotify permission events: a FAN_CLASS_CONTENT group answering FAN_OPEN_PERM, FAN_ACCESS_PERM and
   FAN_OPEN_EXEC_PERM of a child process with FAN_ALLOW or FAN_DENY (the child's open, read or execve then
   fails with EPERM), the checks of a written response, and closing the group while a child waits (it is
   allowed).  The child reports through a pipe, the parent prints everything, so the output does not depend
   on scheduling.  Works on a tmpfs of its own mounted under /tmp (run as root).  Output through write(2) only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fs_util.h"

static int report[2];

/* The child's line, sent to the parent. */
static void tell(const char *fmt, const char *what)
{
    char line[256];
    int n = snprintf(line, sizeof line, fmt, what);
    write(report[1], line, n);
}

static void child_result(pid_t pid)
{
    int status;
    waitpid(pid, &status, 0);
    char buf[1024];
    ssize_t n = read(report[0], buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    say("child said: %s", n > 0 ? buf : "nothing\n");
    say("child exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/* Read one permission event, print it, answer it. */
static void answer(int g, unsigned response)
{
    struct fanotify_event_metadata m[4];
    ssize_t n = read(g, m, sizeof m);
    if (n < (ssize_t)sizeof m[0]) {
        say("read: %s\n", errname(errno));
        return;
    }
    char link[256] = "", proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", m[0].fd);
    readlink(proc, link, sizeof link - 1);
    say("event %zd bytes:%s%s%s%s '%s'\n", n, m[0].mask & FAN_OPEN_PERM ? " OPEN_PERM" : "",
        m[0].mask & FAN_ACCESS_PERM ? " ACCESS_PERM" : "", m[0].mask & FAN_OPEN_EXEC_PERM ? " OPEN_EXEC_PERM" : "",
        m[0].mask & ~(FAN_OPEN_PERM | FAN_ACCESS_PERM | FAN_OPEN_EXEC_PERM) ? " other" : "",
        strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
    struct fanotify_response r = {m[0].fd, response};
    say("answer %s: %s\n", response == FAN_ALLOW ? "allow" : "deny", RES(write(g, &r, sizeof r)));
    close(m[0].fd);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "exit") == 0)
        return 0;
    mount_scratch("fanotify-perm", "size=64m");
    int f = open(at("f"), O_WRONLY | O_CREAT, 0644);
    write(f, "contents", 8);
    close(f);
    pipe2(report, O_NONBLOCK);

    int g = fanotify_init(FAN_CLASS_CONTENT, O_RDONLY);
    say("init content class: %s\n", RES(g));
    say("mark perm events: %s\n", RES(fanotify_mark(g, FAN_MARK_ADD, FAN_OPEN_PERM | FAN_ACCESS_PERM, AT_FDCWD,
                                                      at("f"))));

    /* response checks (no event read yet) */
    struct fanotify_response r = {5, FAN_ALLOW};
    say("short response: %s\n", RES(write(g, &r, 4)));
    say("no such event: %s\n", RES(write(g, &r, sizeof r)));
    r.response = 0;
    say("response 0: %s\n", RES(write(g, &r, sizeof r)));
    r.response = FAN_ALLOW | FAN_DENY;
    say("allow|deny: %s\n", RES(write(g, &r, sizeof r)));
    r.fd = -3;
    r.response = FAN_ALLOW;
    say("negative fd: %s\n", RES(write(g, &r, sizeof r)));
    int notif = fanotify_init(FAN_CLASS_NOTIF, O_RDONLY);
    r.fd = 5;
    say("response to a notification group: %s\n", RES(write(notif, &r, sizeof r)));
    close(notif);

    /* allow the open, deny the read, deny the next open */
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(at("f"), O_RDONLY);
        tell("open %s, ", RES(fd));
        char buf[16];
        ssize_t n = read(fd, buf, sizeof buf);
        tell("read %s, ", RES(n));
        close(fd);
        tell("open again %s\n", RES(open(at("f"), O_RDONLY)));
        _exit(0);
    }
    answer(g, FAN_ALLOW);
    answer(g, FAN_DENY);
    answer(g, FAN_DENY);
    child_result(pid);
    say("answer it again: %s\n", RES(write(g, &r, sizeof r)));

    /* allow both: the read goes through */
    pid = fork();
    if (pid == 0) {
        int fd = open(at("f"), O_RDONLY);
        char buf[16] = "";
        ssize_t n = read(fd, buf, sizeof buf);
        tell("read %s: ", RES(n));
        tell("'%s'\n", n > 0 ? buf : "");
        _exit(0);
    }
    answer(g, FAN_ALLOW);
    answer(g, FAN_ALLOW);
    child_result(pid);

    /* closing the group allows what waits */
    pid = fork();
    if (pid == 0) {
        close(g);                                    /* else the group lives on in the child */
        tell("open while the group closes: %s\n", RES(open(at("f"), O_RDONLY)));
        _exit(0);
    }
    struct pollfd p = {g, POLLIN, 0};
    int ready = poll(&p, 1, 10000);
    say("poll: %d revents %#x\n", ready, p.revents);
    close(g);
    child_result(pid);

    /* exec permission */
    copy_self("prog");
    g = fanotify_init(FAN_CLASS_PRE_CONTENT, O_RDONLY);
    say("init pre-content class: %s\n", RES(g));
    say("mark exec perm: %s\n", RES(fanotify_mark(g, FAN_MARK_ADD, FAN_OPEN_EXEC_PERM, AT_FDCWD, at("prog"))));
    for (int round = 0; round < 2; round++) {
        pid = fork();
        if (pid == 0) {
            execl(at("prog"), "prog", "exit", (char *)NULL);
            tell("execl %s\n", errname(errno));
            _exit(1);
        }
        answer(g, round == 0 ? FAN_DENY : FAN_ALLOW);
        child_result(pid);
    }
    close(g);

    unlink(at("prog"));
    unlink(at("f"));
    umount(scratch);
    rmdir(scratch);
    say("ALL DONE\n");
    return 0;
}
