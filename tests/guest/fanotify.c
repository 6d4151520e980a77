/* fanotify (classic mode: an open descriptor per event): fanotify_init and fanotify_mark argument checks, marks
   on a directory (with and without FAN_EVENT_ON_CHILD and FAN_ONDIR), on a file, on a mount and on a whole
   filesystem, open/access/modify/close/exec events merged per object and process, the event's descriptor (its
   path through /proc/self/fd, its open flags, no events of its own), ignore masks, FAN_MARK_REMOVE/FLUSH, a
   child's events with its pid, poll, FIONREAD, a blocking read, read sizes, FAN_NONBLOCK's EAGAIN and queue
   overflow.  Works on a tmpfs of its own mounted under /tmp (fanotify needs CAP_SYS_ADMIN: run as root).
   Output through write(2) only. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fs_util.h"

static const struct flag_name names[] = {
    {FAN_ACCESS, "ACCESS"}, {FAN_MODIFY, "MODIFY"}, {FAN_CLOSE_WRITE, "CLOSE_WRITE"},
    {FAN_CLOSE_NOWRITE, "CLOSE_NOWRITE"}, {FAN_OPEN, "OPEN"}, {FAN_OPEN_EXEC, "OPEN_EXEC"},
    {FAN_Q_OVERFLOW, "Q_OVERFLOW"}, {FAN_ONDIR, "ONDIR"}, {FAN_EVENT_ON_CHILD, "ON_CHILD"},
};

static pid_t child;

static void get(const char *name)
{
    char buf[64];
    int f = open(at(name), O_RDONLY);
    read(f, buf, sizeof buf);
    close(f);
}

/* One line per event: its mask, its object's path (relative to the test directory) and whose it is. */
static void print_events(char *events, ssize_t n)
{
    for (struct fanotify_event_metadata *m = (void *)events; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
        char line[512], link[256] = "", proc[64];
        int len = 0;
        if (m->vers != FANOTIFY_METADATA_VERSION || m->metadata_len != sizeof *m || m->event_len != sizeof *m)
            len += snprintf(line + len, sizeof line - len, " bad header %u %u %u", m->vers, m->metadata_len,
                            m->event_len);
        len = APPEND_FLAGS(line, len, m->mask, names);
        if (m->fd >= 0) {
            snprintf(proc, sizeof proc, "/proc/self/fd/%d", m->fd);
            readlink(proc, link, sizeof link - 1);
            size_t d = strlen(scratch);
            const char *rel = strncmp(link, scratch, d) == 0 ? link + d : link;
            len += snprintf(line + len, sizeof line - len, " '%s'", *rel ? rel : "/");
            close(m->fd);
        } else {
            len += snprintf(line + len, sizeof line - len, " fd %d", m->fd);
        }
        len += snprintf(line + len, sizeof line - len, " %s",
                        m->pid == getpid() ? "self" : m->pid == child ? "child" : m->pid == 0 ? "pid 0" : "other");
        say("  %s\n", line + 1);
    }
}

static void drain(int g, const char *what)
{
    say("%s:\n", what);
    read_events(g, 4096, "  ", print_events);
}

static void read_dir(const char *path)
{
    DIR *dd = opendir(path);
    while (readdir(dd))
        ;
    closedir(dd);
}

static int group(unsigned flags, unsigned f_flags)
{
    return fanotify_init(flags | FAN_CLASS_NOTIF | FAN_NONBLOCK, f_flags);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "exit") == 0)
        return 0;
    mount_scratch("fanotify", "size=64m");
    mkdir(at("sub"), 0755);
    put("a", "hello");
    put("sub/b", "b");

    /* fanotify_init */
    say("init bad flag: %s\n", RES(fanotify_init(0x80000000, O_RDONLY)));
    say("init bad class: %s\n", RES(fanotify_init(FAN_CLASS_CONTENT | FAN_CLASS_PRE_CONTENT, O_RDONLY)));
    say("init bad event_f_flags: %s\n", RES(fanotify_init(FAN_CLASS_NOTIF, O_ACCMODE)));
    say("init event_f_flags O_CREAT: %s\n", RES(fanotify_init(FAN_CLASS_NOTIF, O_RDONLY | O_CREAT)));
    say("init REPORT_NAME alone: %s\n", RES(fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_NAME, O_RDONLY)));
    say("init REPORT_TID|REPORT_PIDFD: %s\n",
        RES(fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_TID | FAN_REPORT_PIDFD, O_RDONLY)));
    int g = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK | FAN_CLOEXEC, O_RDONLY);
    say("init: %s nonblock %d cloexec %d accmode %d\n", RES(g), !!(fcntl(g, F_GETFL) & O_NONBLOCK),
        fcntl(g, F_GETFD), fcntl(g, F_GETFL) & O_ACCMODE);
    char link[256] = "", proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", g);
    readlink(proc, link, sizeof link - 1);
    say("link %s\n", link);
    char buf[4096] __attribute__((aligned(8)));
    say("read empty: %s\n", RES(read(g, buf, sizeof buf)));

    /* fanotify_mark's checks */
    int plain = open(at("a"), O_RDONLY);
    say("mark no command: %s\n", RES(fanotify_mark(g, 0, FAN_OPEN, AT_FDCWD, scratch)));
    say("mark add|remove: %s\n", RES(fanotify_mark(g, FAN_MARK_ADD | FAN_MARK_REMOVE, FAN_OPEN, AT_FDCWD, scratch)));
    say("mark mask 0: %s\n", RES(fanotify_mark(g, FAN_MARK_ADD, 0, AT_FDCWD, scratch)));
    say("mark bad flag: %s\n", RES(fanotify_mark(g, FAN_MARK_ADD | 0x80000000, FAN_OPEN, AT_FDCWD, scratch)));
    say("mark mount|filesystem|inode bits: %s\n",
        RES(fanotify_mark(g, FAN_MARK_ADD | 0x1000000, FAN_OPEN, AT_FDCWD, scratch)));
    say("mark upper mask bits: %s\n", RES(fanotify_mark(g, FAN_MARK_ADD, 1ull << 40 | FAN_OPEN, AT_FDCWD, scratch)));
    say("mark FAN_CREATE without fid: %s\n", RES(fanotify_mark(g, FAN_MARK_ADD, FAN_CREATE, AT_FDCWD, scratch)));
    say("mark FAN_OPEN_PERM in a notification group: %s\n",
        RES(fanotify_mark(g, FAN_MARK_ADD, FAN_OPEN_PERM, AT_FDCWD, scratch)));
    say("mark flush with extra flags: %s\n", RES(fanotify_mark(g, FAN_MARK_FLUSH | FAN_MARK_ONLYDIR, 0, AT_FDCWD,
                                                                 scratch)));
    say("mark bad fd: %s\n", RES(fanotify_mark(99, FAN_MARK_ADD, FAN_OPEN, AT_FDCWD, scratch)));
    say("mark not fanotify: %s\n", RES(fanotify_mark(plain, FAN_MARK_ADD, FAN_OPEN, AT_FDCWD, scratch)));
    say("mark missing path: %s\n", RES(fanotify_mark(g, FAN_MARK_ADD, FAN_OPEN, AT_FDCWD, at("nope"))));
    say("mark onlydir on a file: %s\n", RES(fanotify_mark(g, FAN_MARK_ADD | FAN_MARK_ONLYDIR, FAN_OPEN, AT_FDCWD,
                                                            at("a"))));
    say("remove without a mark: %s\n", RES(fanotify_mark(g, FAN_MARK_REMOVE, FAN_OPEN, AT_FDCWD, scratch)));
    close(plain);

    /* a directory's mark: its children's events only with FAN_EVENT_ON_CHILD */
    say("mark dir: %s\n", RES(fanotify_mark(g, FAN_MARK_ADD | FAN_MARK_ONLYDIR,
                                            FAN_OPEN | FAN_CLOSE | FAN_MODIFY | FAN_ACCESS, AT_FDCWD, scratch)));
    put("a", "again");
    drain(g, "write a, dir mark without ON_CHILD");
    say("add ON_CHILD: %s\n", RES(fanotify_mark(g, FAN_MARK_ADD, FAN_EVENT_ON_CHILD | FAN_OPEN, AT_FDCWD, scratch)));
    put("a", "again");
    drain(g, "write a");
    get("a");
    drain(g, "read a");
    get("sub/b");
    drain(g, "read sub/b (a grandchild)");
    read_dir(scratch);
    drain(g, "list the directory, no FAN_ONDIR");
    say("add ONDIR: %s\n", RES(fanotify_mark(g, FAN_MARK_ADD, FAN_ONDIR, AT_FDCWD, scratch)));
    read_dir(scratch);
    int d = open(at("sub"), O_RDONLY | O_DIRECTORY);
    close(d);
    drain(g, "list the directory, open sub");

    /* the event's descriptor */
    put("a", "x");
    int a = open(at("a"), O_RDONLY);
    close(a);
    ssize_t n = read(g, buf, sizeof buf);
    struct fanotify_event_metadata *m = (void *)buf;
    say("one event: %zd bytes, fd flags accmode %d cloexec %d\n", n, fcntl(m->fd, F_GETFL) & O_ACCMODE,
        fcntl(m->fd, F_GETFD));
    char tmp[16];
    say("read through it: %zd\n", read(m->fd, tmp, sizeof tmp));
    close(m->fd);
    drain(g, "after reading through the event's descriptor");
    say("remove OPEN: %s\n", RES(fanotify_mark(g, FAN_MARK_REMOVE, FAN_OPEN | FAN_ACCESS, AT_FDCWD, scratch)));
    get("a");
    drain(g, "read a without OPEN, ACCESS");
    say("flush: %s\n", RES(fanotify_mark(g, FAN_MARK_FLUSH, 0, AT_FDCWD, NULL)));
    get("a");
    drain(g, "after flush");
    say("remove after flush: %s\n", RES(fanotify_mark(g, FAN_MARK_REMOVE, FAN_CLOSE, AT_FDCWD, scratch)));
    close(g);

    /* a file's own mark, a group with O_RDWR descriptors and FAN_CLOEXEC off */
    g = group(0, O_RDWR | O_CLOEXEC);
    int afd = open(at("a"), O_RDONLY);
    say("mark a by descriptor: %s\n", RES(fanotify_mark(g, FAN_MARK_ADD, FAN_OPEN | FAN_MODIFY | FAN_CLOSE_WRITE,
                                                          afd, NULL)));
    close(afd);
    put("a", "yy");
    get("sub/b");
    n = read(g, buf, sizeof buf);
    m = (void *)buf;
    say("rdwr event: %zd bytes, mask %#llx, accmode %d cloexec %d\n", n, (unsigned long long)m->mask,
        fcntl(m->fd, F_GETFL) & O_ACCMODE, fcntl(m->fd, F_GETFD));
    say("write through it: %zd\n", write(m->fd, "z", 1));
    close(m->fd);
    drain(g, "after writing through the event's descriptor");
    close(g);

    /* a mount mark and a filesystem mark see the whole tmpfs */
    g = group(0, O_RDONLY);
    say("mark mount: %s\n", RES(fanotify_mark(g, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_OPEN | FAN_CLOSE_WRITE, AT_FDCWD,
                                              scratch)));
    say("mark mount with FAN_ATTRIB: %s\n", RES(fanotify_mark(g, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_ATTRIB, AT_FDCWD,
                                                              scratch)));
    put("sub/c", "c");
    get("a");
    drain(g, "mount mark: write sub/c, read a");
    int g2 = group(0, O_RDONLY);
    say("mark filesystem: %s\n", RES(fanotify_mark(g2, FAN_MARK_ADD | FAN_MARK_FILESYSTEM,
                                                    FAN_CLOSE_NOWRITE | FAN_ONDIR, AT_FDCWD, at("sub"))));
    get("sub/c");
    d = open(at("sub"), O_RDONLY);
    close(d);
    drain(g2, "filesystem mark: read sub/c, open sub");
    drain(g, "mount mark, same reads");

    /* an ignore mask on a file under the mount mark */
    say("ignore OPEN of a: %s\n", RES(fanotify_mark(g, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK, FAN_OPEN, AT_FDCWD,
                                                      at("a"))));
    get("a");
    get("sub/c");
    drain(g, "read a (ignored), read sub/c");
    say("ignore CLOSE_WRITE of a, surviving modification: %s\n",
        RES(fanotify_mark(g, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK | FAN_MARK_IGNORED_SURV_MODIFY, FAN_CLOSE_WRITE,
                          AT_FDCWD, at("a"))));
    put("a", "modified");
    drain(g, "write a: both ignores survive (SURV_MODIFY is the mark's)");
    put("a", "again");
    drain(g, "write a again");

    /* a child's events carry its pid */
    child = fork();
    if (child == 0) {
        put("sub/from-child", "");
        _exit(0);
    }
    waitpid(child, NULL, 0);
    drain(g, "a child writes sub/from-child");

    /* exec */
    copy_self("prog");
    drain(g, "copy the program");
    int ge = group(0, O_RDONLY);
    fanotify_mark(ge, FAN_MARK_ADD | FAN_MARK_MOUNT, FAN_OPEN_EXEC | FAN_OPEN | FAN_ACCESS, AT_FDCWD, scratch);
    child = fork();
    if (child == 0) {
        execl(at("prog"), "prog", "exit", (char *)NULL);
        _exit(127);
    }
    int status;
    waitpid(child, &status, 0);
    say("exec'd copy exited %d\n", WEXITSTATUS(status));
    drain(ge, "exec the copy");
    close(ge);
    drain(g, "the exec, seen by the mount mark");

    /* poll, FIONREAD, read sizes, a blocking read */
    struct pollfd p = {g, POLLIN, 0};
    int r;
    say("poll empty: %d\n", poll(&p, 1, 0));
    put("sub/c", "c");
    put("sub/d", "d");
    r = poll(&p, 1, 0);
    say("poll: %d revents %#x\n", r, p.revents);
    int avail = -1;
    r = ioctl(g, FIONREAD, &avail);
    say("FIONREAD: %s %d\n", RES(r), avail);
    say("read 10 bytes: %s\n", RES(read(g, buf, 10)));
    n = read(g, buf, sizeof *m + 10);
    say("read one event and a bit: %zd\n", n);
    close(((struct fanotify_event_metadata *)buf)->fd);
    drain(g, "the rest");
    close(g);
    close(g2);

    int gb = fanotify_init(FAN_CLASS_NOTIF, O_RDONLY);
    fanotify_mark(gb, FAN_MARK_ADD, FAN_CLOSE_WRITE | FAN_EVENT_ON_CHILD, AT_FDCWD, scratch);
    child = fork();
    if (child == 0) {
        usleep(100000);
        put("late", "");
        _exit(0);
    }
    n = read(gb, buf, sizeof buf);
    m = (void *)buf;
    say("blocking read: %zd mask %#llx %s\n", n, (unsigned long long)m->mask, m->pid == child ? "child" : "other");
    close(m->fd);
    waitpid(child, NULL, 0);
    close(gb);

    /* overflow: one CLOSE_WRITE event per new file (events of different files never merge) */
    int max = 16384;
    FILE *mq = fopen("/proc/sys/fs/fanotify/max_queued_events", "r");
    if (mq) {
        fscanf(mq, "%d", &max);
        fclose(mq);
    }
    mkdir(at("many"), 0755);
    int go = group(0, O_RDONLY);
    fanotify_mark(go, FAN_MARK_ADD, FAN_CLOSE_WRITE | FAN_EVENT_ON_CHILD, AT_FDCWD, at("many"));
    for (int i = 0; i < max + 2; i++) {
        char name[64];
        snprintf(name, sizeof name, "many/%d", i);
        close(open(at(name), O_WRONLY | O_CREAT, 0644));
    }
    ioctl(go, FIONREAD, &avail);
    say("max_queued_events %d, FIONREAD %d events\n", max, avail / (int)sizeof *m);
    int events = 0, overflows = 0, overflow_fd = 0, overflow_last = 0;
    for (;;) {
        n = read(go, buf, sizeof buf);
        if (n <= 0)
            break;
        for (m = (void *)buf; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
            events++;
            overflow_last = 0;
            if (m->mask & FAN_Q_OVERFLOW) {
                overflows++;
                overflow_fd = m->fd;
                overflow_last = 1;
            } else {
                close(m->fd);
            }
        }
    }
    say("events %d overflow %d (fd %d, last %d)\n", events, overflows, overflow_fd, overflow_last);
    put("many/after", "");
    drain(go, "after the overflow");
    close(go);

    /* FAN_REPORT_PIDFD: a pidfd of the event's process, FAN_NOPIDFD once it was reaped */
    int gp = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK | FAN_REPORT_PIDFD, O_RDONLY);
    say("init REPORT_PIDFD: %s\n", RES(gp));
    fanotify_mark(gp, FAN_MARK_ADD, FAN_OPEN | FAN_EVENT_ON_CHILD, AT_FDCWD, scratch);
    int hold[2];
    pipe(hold);
    child = fork();
    if (child == 0) {
        close(open(at("a"), O_RDONLY));
        char c;
        read(hold[0], &c, 1);
        _exit(0);
    }
    struct pollfd pp = {gp, POLLIN, 0};
    poll(&pp, 1, 20000);
    n = read(gp, buf, sizeof buf);
    m = (void *)buf;
    struct { struct fanotify_event_info_header hdr; int32_t pidfd; } *pi = (void *)(buf + m->metadata_len);
    say("pidfd event: %zd bytes, event_len %u, record type %u len %u, pidfd %s cloexec %d, signal 0 %s\n", n,
        m->event_len, pi->hdr.info_type, pi->hdr.len, pi->pidfd >= 0 ? "ok" : "none", fcntl(pi->pidfd, F_GETFD),
        RES(syscall(SYS_pidfd_send_signal, pi->pidfd, 0, NULL, 0)));
    close(m->fd);
    write(hold[1], "x", 1);
    waitpid(child, NULL, 0);
    say("after the child was reaped, signal 0: %s\n", RES(syscall(SYS_pidfd_send_signal, pi->pidfd, 0, NULL, 0)));
    close(pi->pidfd);
    child = fork();
    if (child == 0) {
        close(open(at("a"), O_RDONLY));
        _exit(0);
    }
    waitpid(child, NULL, 0);
    n = read(gp, buf, sizeof buf);
    say("event of a reaped child: %zd bytes, pidfd %d (FAN_NOPIDFD %d)\n", n, pi->pidfd, FAN_NOPIDFD);
    close(m->fd);
    close(gp);

    umount(scratch);
    rmdir(scratch);
    say("ALL DONE\n");
    return 0;
}
