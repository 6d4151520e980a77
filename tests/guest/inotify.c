/* inotify: the events the VFS raises for a watched directory and file (create, open, access, modify, attrib,
   close-write/nowrite, moved-from/to with one cookie, move-self, delete, delete-self, ignored), event merging,
   IN_ONESHOT / IN_MASK_ADD / IN_MASK_CREATE / IN_ONLYDIR, rm_watch, read sizes, FIONREAD, poll, a blocking read,
   and queue overflow.  Works in a directory of its own under /tmp; output through write(2) only. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fs_util.h"

static uint32_t last_cookie;

static void print_events(char *events, ssize_t n)
{
    for (char *p = events; p < events + n;) {
        struct inotify_event *e = (struct inotify_event *)p;
        char line[512];
        int len = snprintf(line, sizeof line, "  wd %d", e->wd);
        len = APPEND_FLAGS(line, len, e->mask, inotify_flags);
        if (e->cookie) {
            len += snprintf(line + len, sizeof line - len, " cookie%s", e->cookie == last_cookie ? "=prev" : "");
            last_cookie = e->cookie;
        }
        if (e->len)
            len += snprintf(line + len, sizeof line - len, " len%%16=%u '%s'", e->len % 16, e->name);
        say("%s\n", line);
        p += sizeof *e + e->len;
    }
}

static void drain(int fd, const char *what)
{
    say("%s:\n", what);
    read_events(fd, 65536, "  ", print_events);
}

int main(void)
{
    snprintf(scratch, sizeof scratch, "/tmp/pynix-inotify-%d", getpid());
    mkdir(scratch, 0755);
    int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    say("init1: %s flags nonblock %d cloexec %d\n", RES(fd), !!(fcntl(fd, F_GETFL) & O_NONBLOCK),
        fcntl(fd, F_GETFD));
    char target[64] = "";
    char self[64];
    snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
    readlink(self, target, sizeof target - 1);
    say("link %s\n", target);
    say("init1 bad flags: %s\n", RES(inotify_init1(1)));
    int wd_dir = inotify_add_watch(fd, scratch, IN_ALL_EVENTS);
    say("watch dir: %d\n", wd_dir);
    say("same dir again: %d\n", inotify_add_watch(fd, scratch, IN_ALL_EVENTS));

    put("a", "hello");
    drain(fd, "create and write a");
    int f = open(at("a"), O_RDONLY);
    char buf[64];
    read(f, buf, sizeof buf);
    read(f, buf, sizeof buf);                    /* at the end: 0 bytes, no event */
    close(f);
    drain(fd, "read a");

    int wd_a = inotify_add_watch(fd, at("a"), IN_ALL_EVENTS);
    say("watch a: %d\n", wd_a);
    chmod(at("a"), 0600);
    drain(fd, "chmod a");
    rename(at("a"), at("b"));
    drain(fd, "rename a b");
    mkdir(at("sub"), 0755);
    rmdir(at("sub"));
    drain(fd, "mkdir rmdir sub");
    link(at("b"), at("c"));
    unlink(at("c"));
    drain(fd, "link and unlink c");
    f = open(at("b"), O_WRONLY | O_TRUNC);
    write(f, "x", 1);
    write(f, "y", 1);                            /* merged with the previous MODIFY */
    ftruncate(f, 0);
    close(f);
    drain(fd, "truncate and two writes to b");
    unlink(at("b"));
    drain(fd, "unlink b");
    symlink("target", at("sym"));
    unlink(at("sym"));
    drain(fd, "symlink");
    DIR *dd = opendir(scratch);
    while (readdir(dd))
        ;
    closedir(dd);
    drain(fd, "readdir");

    /* flags */
    put("d", "d");
    drain(fd, "d made");
    int wd_d = inotify_add_watch(fd, at("d"), IN_OPEN);
    say("watch d: %d\n", wd_d);
    say("mask add: %d\n", inotify_add_watch(fd, at("d"), IN_CLOSE | IN_MASK_ADD) == wd_d);
    say("mask create existing: %s\n", RES(inotify_add_watch(fd, at("d"), IN_MODIFY | IN_MASK_CREATE)));
    say("mask add|create: %s\n", RES(inotify_add_watch(fd, at("d"), IN_MODIFY | IN_MASK_CREATE | IN_MASK_ADD)));
    say("rm_watch dir: %s\n", RES(inotify_rm_watch(fd, wd_dir)));
    f = open(at("d"), O_RDONLY);
    close(f);
    drain(fd, "open and close d, dir unwatched");
    say("replace mask: %d\n", inotify_add_watch(fd, at("d"), IN_ATTRIB | IN_ONESHOT) == wd_d);
    chmod(at("d"), 0600);
    chmod(at("d"), 0644);
    drain(fd, "oneshot attrib");
    say("rm_watch gone: %s\n", RES(inotify_rm_watch(fd, wd_d)));
    say("onlydir on a file: %s\n", RES(inotify_add_watch(fd, at("d"), IN_ALL_EVENTS | IN_ONLYDIR)));
    say("missing path: %s\n", RES(inotify_add_watch(fd, at("nope"), IN_ALL_EVENTS)));
    say("mask 0: %s\n", RES(inotify_add_watch(fd, scratch, 0)));
    say("bad fd: %s\n", RES(inotify_add_watch(99, scratch, IN_ALL_EVENTS)));
    say("not inotify: %s\n", RES(inotify_add_watch(1, scratch, IN_ALL_EVENTS)));
    say("rm_watch bad: %s\n", RES(inotify_rm_watch(fd, 12345)));

    /* reading: sizes, FIONREAD, poll */
    int wd2 = inotify_add_watch(fd, scratch, IN_CREATE | IN_DELETE | IN_ATTRIB);
    say("watch dir again: new wd %d\n", wd2 > wd_dir);
    put("longer-name-for-padding", "");
    int avail = -1;
    ioctl(fd, FIONREAD, &avail);
    say("FIONREAD %d\n", avail);
    struct pollfd p = {fd, POLLIN, 0};
    int pr = poll(&p, 1, 0);
    say("poll %d revents %#x\n", pr, p.revents);
    say("read 16 bytes: %s\n", RES(read(fd, buf, 16)));
    drain(fd, "created");
    say("poll empty %d\n", poll(&p, 1, 0));

    /* a blocking read waits for a child's change */
    int bfd = inotify_init();
    inotify_add_watch(bfd, scratch, IN_CREATE);
    pid_t pid = fork();
    if (pid == 0) {
        usleep(100000);
        put("from-child", "");
        _exit(0);
    }
    char big[4096] __attribute__((aligned(8)));
    ssize_t n = read(bfd, big, sizeof big);
    struct inotify_event *e = (struct inotify_event *)big;
    say("blocking read: %zd CREATE %d name %s\n", n, !!(e->mask & IN_CREATE), e->name);
    waitpid(pid, NULL, 0);
    close(bfd);
    drain(fd, "child's file");

    /* overflow: alternate attribute changes of two files, so that no event merges with the one before */
    put("x", "");
    put("y", "");
    drain(fd, "x y");
    int max = 16384;
    FILE *mq = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
    if (mq) {
        fscanf(mq, "%d", &max);
        fclose(mq);
    }
    say("max_queued_events %d\n", max);
    for (int i = 0; i <= max; i++)
        chmod(at(i & 1 ? "y" : "x"), i & 2 ? 0600 : 0644);
    int count = 0, overflow = 0, lastwd = 0;
    for (;;) {
        char ov[65536] __attribute__((aligned(8)));
        n = read(fd, ov, sizeof ov);
        if (n <= 0)
            break;
        for (char *q = ov; q < ov + n; count++) {
            struct inotify_event *ev = (struct inotify_event *)q;
            if (ev->mask & IN_Q_OVERFLOW)
                overflow++, lastwd = ev->wd;
            q += sizeof *ev + ev->len;
        }
    }
    say("events %d overflow %d wd %d\n", count, overflow, lastwd);
    chmod(at("x"), 0600);
    drain(fd, "after the overflow");

    unlink(at("d"));
    unlink(at("x"));
    unlink(at("y"));
    unlink(at("longer-name-for-padding"));
    unlink(at("from-child"));
    drain(fd, "cleanup");
    close(fd);
    rmdir(scratch);
    say("ALL DONE\n");
    return 0;
}
