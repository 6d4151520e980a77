/* mount(2)/umount2(2) in a scratch directory (argv[1]): new tmpfs mounts, bind mounts (MS_REC), remounts
 * read-only, lazy unmounts, and the errors of each (printed as errno numbers).  Needs root; cleans up after
 * itself.  Run natively (as root) and under pynix: the outputs must be equal. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char buf[4096];

static const char *at(const char *dir, const char *name)
{
    static char paths[8][512];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 512, "%s/%s", dir, name);
    return p;
}

static void report(const char *what, int rc)
{
    printf("%-28s %d\n", what, rc == 0 ? 0 : errno);
    fflush(stdout);
}

/* is `path` listed as a mount point in /proc/self/mounts? */
static int listed(const char *path)
{
    int fd = open("/proc/self/mounts", O_RDONLY);
    ssize_t n, total = 0;
    while ((n = read(fd, buf + total, sizeof buf - 1 - total)) > 0)
        total += n;
    close(fd);
    buf[total] = 0;
    char needle[600];
    snprintf(needle, sizeof needle, " %s ", path);
    int count = 0;
    for (char *p = buf; (p = strstr(p, needle)) != NULL; p++)
        count++;
    return count;
}

int main(int argc, char **argv)
{
    const char *d = argv[1];
    const char *a = strdup(at(d, "a")), *b = strdup(at(d, "b")), *f = strdup(at(d, "file"));
    mkdir(a, 0755);
    mkdir(b, 0755);
    close(open(f, O_CREAT | O_WRONLY, 0644));

    report("mount tmpfs", mount("none", a, "tmpfs", 0, "mode=0700"));
    struct stat s;
    stat(a, &s);
    printf("mode %o listed %d\n", s.st_mode & 07777, listed(a));
    report("create inside", close(open(at(a, "x"), O_CREAT | O_WRONLY, 0600)));
    report("mount bogus type", mount("none", b, "nosuchfs", 0, NULL));
    report("mount no target", mount("none", at(d, "missing"), "tmpfs", 0, NULL));
    report("tmpfs on a file", mount("none", f, "tmpfs", 0, NULL));
    report("tmpfs bad option", mount("none", b, "tmpfs", 0, "bogus=1"));
    report("umount not a mount", umount2(b, 0));
    report("umount bad flags", umount2(a, 0x100));
    report("umount expire+detach", umount2(a, MNT_EXPIRE | MNT_DETACH));

    /* busy: an open file, then a working directory */
    int fd = open(at(a, "x"), O_RDONLY);
    report("umount open file", umount2(a, 0));
    report("umount force open", umount2(a, MNT_FORCE));
    close(fd);
    chdir(a);
    report("umount cwd inside", umount2(a, 0));
    chdir("/");

    /* bind mounts, with and without MS_REC, and a read-only bind */
    mkdir(at(a, "sub"), 0755);
    report("bind", mount(a, b, NULL, MS_BIND, NULL));
    report("bind sees file", access(at(b, "x"), F_OK));
    report("remount bind ro", mount(NULL, b, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL));
    report("write on ro bind", open(at(b, "y"), O_CREAT | O_WRONLY, 0600) < 0 ? -1 : 0);
    report("write on original", close(open(at(a, "y"), O_CREAT | O_WRONLY, 0600)));
    report("remount not root", mount(NULL, at(b, "sub"), NULL, MS_REMOUNT | MS_BIND, NULL));
    report("umount bind", umount2(b, 0));
    report("mount on sub", mount("none", at(a, "sub"), "tmpfs", 0, NULL));
    report("umount parent busy", umount2(a, 0));
    report("bind rec", mount(a, b, NULL, MS_BIND | MS_REC, NULL));
    printf("rec listed %d\n", listed(at(b, "sub")));
    report("umount rec sub", umount2(at(b, "sub"), 0));
    report("umount rec", umount2(b, 0));
    report("bind no rec", mount(a, b, NULL, MS_BIND, NULL));
    printf("norec listed %d\n", listed(at(b, "sub")));
    report("umount bind again", umount2(b, 0));
    report("make private", mount(NULL, a, NULL, MS_PRIVATE, NULL));

    /* a non-root caller */
    pid_t pid = fork();
    if (pid == 0) {
        if (setuid(1000) != 0)
            _exit(99);
        report("mount as user", mount("none", b, "tmpfs", 0, NULL));
        report("umount as user", umount2(at(a, "sub"), 0));
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);

    /* lazy unmount of a tree that is in use */
    fd = open(at(a, "x"), O_RDONLY);
    report("umount detach", umount2(a, MNT_DETACH));
    printf("after detach listed %d %d\n", listed(a), listed(at(a, "sub")));
    report("detached file usable", fstat(fd, &s));
    close(fd);
    report("gone", access(at(a, "x"), F_OK));
    report("umount again", umount2(a, 0));
    report("umount root", umount2("/", 0));
    return 0;
}
