/* dnotify, fcntl(F_NOTIFY): which changes of a directory's entries signal its watcher (access, modify, create,
   delete, rename within the directory and across, attrib -- of an entry and of the directory itself), SIGIO by
   default or the F_SETSIG signal with si_code POLL_MSG, si_band and si_fd, DN_MULTISHOT against one-shot,
   a second F_NOTIFY adding to the first, arg 0 and closing a descriptor (also a dup) ending it, a forked
   child's changes and closes, ENOTDIR.  Signals are blocked and collected with sigtimedwait, so nothing
   depends on timing.  Output through write(2) only. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "fs_util.h"

static int dfd, dfd2;
static sigset_t set;

static const char *fdname(int fd)
{
    static char other[32];
    if (fd == dfd)
        return "dfd";
    if (fd == dfd2)
        return "dfd2";
    snprintf(other, sizeof other, "fd?");
    return other;
}

/* Every signal now pending from `set`, in the order they come. */
static void signals(const char *what)
{
    struct timespec zero = {0, 0};
    siginfo_t si;
    char line[512];
    int len = snprintf(line, sizeof line, "%s:", what);
    int n = 0;
    while (sigtimedwait(&set, &si, &zero) > 0) {
        n++;
        if (si.si_signo == SIGIO)
            len += snprintf(line + len, sizeof line - len, " SIGIO(code %#x)", si.si_code);
        else
            len += snprintf(line + len, sizeof line - len, " RT%d(code %d band %#lx fd %s)",
                            si.si_signo - SIGRTMIN, si.si_code, (long)si.si_band, fdname(si.si_fd));
    }
    if (!n)
        len += snprintf(line + len, sizeof line - len, " none");
    say("%s\n", line);
}

static int notify(int fd, unsigned long arg)
{
    return fcntl(fd, F_NOTIFY, arg);
}

int main(void)
{
    snprintf(scratch, sizeof scratch, "/tmp/pynix-dnotify-%d", getpid());
    mkdir(scratch, 0755);
    mkdir(at("other"), 0755);
    sigemptyset(&set);
    sigaddset(&set, SIGIO);
    sigaddset(&set, SIGRTMIN + 1);
    sigaddset(&set, SIGRTMIN + 2);
    sigprocmask(SIG_BLOCK, &set, NULL);

    char enable[16] = "";
    int en = open("/proc/sys/fs/dir-notify-enable", O_RDONLY);
    read(en, enable, sizeof enable - 1);
    close(en);
    say("dir-notify-enable: %s", enable);

    put("file", "contents");
    int ffd = open(at("file"), O_RDONLY);
    say("on a file: %s\n", RES(notify(ffd, DN_CREATE)));
    say("on a file, arg 0: %s\n", RES(notify(ffd, 0)));
    say("on a file, multishot only: %s\n", RES(notify(ffd, DN_MULTISHOT)));
    int pfd[2];
    pipe(pfd);
    say("on a pipe: %s\n", RES(notify(pfd[0], DN_MODIFY)));
    close(pfd[0]);
    close(pfd[1]);
    close(ffd);

    dfd = open(scratch, O_RDONLY | O_DIRECTORY);
    dfd2 = -100;

    /* SIGIO by default, one-shot */
    say("create, one-shot, SIGIO: %s\n", RES(notify(dfd, DN_CREATE)));
    put("a", "");
    put("b", "");
    signals("two creates");
    put("c", "");
    signals("after the one shot");

    /* F_SETSIG, multishot */
    say("F_SETSIG: %s\n", RES(fcntl(dfd, F_SETSIG, SIGRTMIN + 1)));
    say("create|delete multishot: %s\n", RES(notify(dfd, DN_CREATE | DN_DELETE | DN_MULTISHOT)));
    put("d", "");
    unlink(at("d"));
    put("e", "");
    signals("create, unlink, create");
    mkdir(at("sub"), 0755);
    rmdir(at("sub"));
    signals("mkdir, rmdir");
    say("arg 0 ends it: %s\n", RES(notify(dfd, 0)));
    put("f", "");
    signals("after arg 0");

    /* each event kind alone */
    static const struct { unsigned long arg; const char *name; } kinds[] = {
        {DN_ACCESS, "ACCESS"}, {DN_MODIFY, "MODIFY"}, {DN_ATTRIB, "ATTRIB"}, {DN_RENAME, "RENAME"},
        {DN_DELETE, "DELETE"}, {DN_CREATE, "CREATE"},
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        char what[64];
        notify(dfd, kinds[k].arg | DN_MULTISHOT);
        int f = open(at("a"), O_RDWR);
        char buf[16];
        snprintf(what, sizeof what, "%s: open", kinds[k].name);
        signals(what);
        read(f, buf, sizeof buf);
        snprintf(what, sizeof what, "%s: read at the end", kinds[k].name);
        signals(what);
        write(f, "xy", 2);
        snprintf(what, sizeof what, "%s: write", kinds[k].name);
        signals(what);
        lseek(f, 0, SEEK_SET);
        read(f, buf, sizeof buf);
        snprintf(what, sizeof what, "%s: read", kinds[k].name);
        signals(what);
        close(f);
        snprintf(what, sizeof what, "%s: close", kinds[k].name);
        signals(what);
        chmod(at("a"), 0600);
        snprintf(what, sizeof what, "%s: chmod entry", kinds[k].name);
        signals(what);
        chmod(scratch, 0700);
        snprintf(what, sizeof what, "%s: chmod the directory", kinds[k].name);
        signals(what);
        rename(at("a"), at("a2"));
        snprintf(what, sizeof what, "%s: rename within", kinds[k].name);
        signals(what);
        rename(at("a2"), at("other/a"));
        snprintf(what, sizeof what, "%s: rename out", kinds[k].name);
        signals(what);
        rename(at("other/a"), at("a"));
        snprintf(what, sizeof what, "%s: rename in", kinds[k].name);
        signals(what);
        put("new", "");
        unlink(at("new"));
        snprintf(what, sizeof what, "%s: create and unlink", kinds[k].name);
        signals(what);
        notify(dfd, 0);
    }

    /* a second F_NOTIFY through the same descriptor adds to the first; another descriptor is another one */
    notify(dfd, DN_CREATE | DN_MULTISHOT);
    notify(dfd, DN_DELETE);
    put("g", "");
    unlink(at("g"));
    signals("create then delete, registrations merged");
    dfd2 = open(scratch, O_RDONLY);
    fcntl(dfd2, F_SETSIG, SIGRTMIN + 2);
    say("second descriptor: %s\n", RES(notify(dfd2, DN_CREATE | DN_MULTISHOT)));
    put("h", "");
    signals("create with two registrations");

    /* closing a dup of the descriptor ends the registration of that file */
    int dup_fd = dup(dfd);
    close(dup_fd);
    put("i", "");
    signals("after closing a dup of dfd");

    /* a forked child's changes signal the parent; its closes do not end the parent's registration */
    pid_t pid = fork();
    if (pid == 0) {
        close(dfd2);
        put("from-child", "");
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    signals("child closes dfd2, creates a file");
    pid = fork();
    if (pid == 0) {
        say("child's own registration: %s\n", RES(notify(dfd2, DN_DELETE | DN_MULTISHOT)));
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    unlink(at("from-child"));
    signals("unlink after the child's registration went with its exit");

    close(dfd2);
    put("j", "");
    signals("after closing dfd2");
    close(dfd);

    static const char *names[] = {"a", "b", "c", "e", "f", "h", "i", "j", "file", "other"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        if (unlink(at(names[k])) < 0)
            rmdir(at(names[k]));
    rmdir(scratch);
    say("ALL DONE\n");
    return 0;
}
