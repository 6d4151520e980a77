/* Extended attributes on tmpfs (/dev/shm) and on new files in /tmp: the twelve *xattr calls, their namespace,
 * flag, size and permission rules, as root and as an unprivileged user.  Lists are printed sorted. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "errname.h"

static void res(const char *what, long r) {
    if (r < 0)
        printf("%s: %s\n", what, errname(errno));
    else
        printf("%s: %ld\n", what, r);
    fflush(stdout);
}

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void show_list(const char *what, const char *buf, long n) {
    if (n < 0) {
        res(what, n);
        return;
    }
    const char *names[64];
    int count = 0;
    for (long i = 0; i < n && count < 64; i += strlen(buf + i) + 1)
        names[count++] = buf + i;
    qsort(names, count, sizeof names[0], cmp);
    printf("%s: %ld [", what, n);
    for (int i = 0; i < count; i++)
        printf("%s%s", i ? " " : "", names[i]);
    printf("]\n");
    fflush(stdout);
}

static void show_get(const char *what, long n, const char *buf) {
    if (n < 0)
        res(what, n);
    else
        printf("%s: %ld '%.*s'\n", what, n, (int)n, buf);
    fflush(stdout);
}

static char big[65537];

static void basics(const char *dir) {
    char f[256], l[256], d[256], p[256], buf[256], list[1024];
    snprintf(f, sizeof f, "%s/file", dir);
    snprintf(l, sizeof l, "%s/link", dir);
    snprintf(d, sizeof d, "%s/sub", dir);
    snprintf(p, sizeof p, "%s/fifo", dir);
    close(open(f, O_CREAT | O_WRONLY, 0644));
    symlink("file", l);
    mkdir(d, 0755);
    mkfifo(p, 0644);

    res("list empty", listxattr(f, list, sizeof list));
    res("set user.a", setxattr(f, "user.a", "hello", 5, 0));
    res("get size 0", getxattr(f, "user.a", NULL, 0));
    show_get("get", getxattr(f, "user.a", buf, sizeof buf), buf);
    res("get small buffer", getxattr(f, "user.a", buf, 2));
    res("get absent", getxattr(f, "user.nope", buf, sizeof buf));
    res("create existing", setxattr(f, "user.a", "x", 1, XATTR_CREATE));
    res("replace absent", setxattr(f, "user.b", "x", 1, XATTR_REPLACE));
    res("replace present", setxattr(f, "user.a", "world!", 6, XATTR_REPLACE));
    show_get("get replaced", getxattr(f, "user.a", buf, sizeof buf), buf);
    res("create new", setxattr(f, "user.b", "bee", 3, XATTR_CREATE));
    res("bad flags", setxattr(f, "user.c", "x", 1, 4));
    res("bad flags and name", setxattr(f, "", "x", 1, 8));
    res("empty name set", setxattr(f, "", "x", 1, 0));
    res("empty name get", getxattr(f, "", buf, sizeof buf));
    char name[300];
    memset(name, 'n', sizeof name);
    memcpy(name, "user.", 5);
    name[255] = 0;
    res("name 255 set", setxattr(f, name, "v", 1, 0));
    res("name 255 get", getxattr(f, name, NULL, 0));
    res("name 255 remove", removexattr(f, name));
    name[255] = 'n';
    name[256] = 0;
    res("name 256 set", setxattr(f, name, "v", 1, 0));
    res("name 256 get", getxattr(f, name, NULL, 0));
    res("name 256 remove", removexattr(f, name));
    res("unknown namespace", setxattr(f, "foo.bar", "x", 1, 0));
    res("unknown namespace get", getxattr(f, "foo.bar", buf, sizeof buf));
    res("system.foo", setxattr(f, "system.foo", "x", 1, 0));
    res("bare user.", setxattr(f, "user.", "x", 1, 0));
    res("bare user. get", getxattr(f, "user.", buf, sizeof buf));
    res("too big value", setxattr(f, "user.big", big, 65537, 0));
    res("empty value", setxattr(f, "user.empty", "", 0, 0));
    res("get empty", getxattr(f, "user.empty", buf, sizeof buf));
    res("set security.t", setxattr(f, "security.t", "sec", 3, 0));
    show_get("get security.t", getxattr(f, "security.t", buf, sizeof buf), buf);
    res("set trusted.t", setxattr(f, "trusted.t", "tru", 3, 0));
    show_get("get trusted.t", getxattr(f, "trusted.t", buf, sizeof buf), buf);
    long n = listxattr(f, NULL, 0);
    res("list size 0", n);
    res("list small buffer", listxattr(f, list, n - 1));
    show_list("list", list, listxattr(f, list, sizeof list));
    res("remove user.b", removexattr(f, "user.b"));
    res("remove again", removexattr(f, "user.b"));
    res("get removed", getxattr(f, "user.b", buf, sizeof buf));
    res("remove unknown ns", removexattr(f, "foo.bar"));

    /* symlinks: the plain calls follow, the l* ones act on the link */
    show_get("get via link", getxattr(l, "user.a", buf, sizeof buf), buf);
    res("lget user on link", lgetxattr(l, "user.a", buf, sizeof buf));
    res("lset user on link", lsetxattr(l, "user.a", "x", 1, 0));
    res("lset trusted on link", lsetxattr(l, "trusted.l", "ln", 2, 0));
    show_list("llist link", list, llistxattr(l, list, sizeof list));
    res("lremove trusted on link", lremovexattr(l, "trusted.l"));
    res("lremove user on link", lremovexattr(l, "user.a"));
    res("remove via link", removexattr(l, "user.empty"));
    show_list("list after", list, listxattr(f, list, sizeof list));

    /* a directory may have user.*, a fifo may not */
    res("set user on dir", setxattr(d, "user.d", "dir", 3, 0));
    show_list("list dir", list, listxattr(d, list, sizeof list));
    res("set user on fifo", setxattr(p, "user.p", "x", 1, 0));
    res("get user on fifo", getxattr(p, "user.p", buf, sizeof buf));
    res("set trusted on fifo", setxattr(p, "trusted.p", "x", 1, 0));
    show_list("list fifo", list, listxattr(p, list, sizeof list));

    /* descriptors */
    int fd = open(f, O_RDONLY);
    res("fset", fsetxattr(fd, "user.fd", "viafd", 5, 0));
    show_get("fget", fgetxattr(fd, "user.fd", buf, sizeof buf), buf);
    show_list("flist", list, flistxattr(fd, list, sizeof list));
    res("fremove", fremovexattr(fd, "user.fd"));
    res("fremove again", fremovexattr(fd, "user.fd"));
    close(fd);
    int pfd = open(f, O_PATH);
    res("fget O_PATH", fgetxattr(pfd, "user.a", buf, sizeof buf));
    res("fset O_PATH", fsetxattr(pfd, "user.a", "x", 1, 0));
    res("flist O_PATH", flistxattr(pfd, list, sizeof list));
    res("fremove O_PATH", fremovexattr(pfd, "user.a"));
    close(pfd);
    res("fget bad fd", fgetxattr(99, "user.a", buf, sizeof buf));
    res("get missing path", getxattr("/dev/shm/no/such", "user.a", buf, sizeof buf));
    res("get bad name, missing path", getxattr("/dev/shm/no/such", "", buf, sizeof buf));
    res("set bad flags, missing path", setxattr("/dev/shm/no/such", "user.a", "x", 1, 4));
    res("set bad name, missing path", setxattr("/dev/shm/no/such", "", "x", 1, 0));
    res("remove bad name, missing path", removexattr("/dev/shm/no/such", ""));
    res("list missing path", listxattr("/dev/shm/no/such", list, sizeof list));
}

static void unprivileged(const char *dir) {
    char f[256], s[256], sd[256], buf[256], list[1024];
    snprintf(f, sizeof f, "%s/file", dir);
    snprintf(s, sizeof s, "%s/secret", dir);
    snprintf(sd, sizeof sd, "%s/sticky", dir);
    close(open(s, O_CREAT | O_WRONLY, 0600));
    setxattr(s, "user.s", "s", 1, 0);
    mkdir(sd, 0777);
    chmod(sd, 01777);
    pid_t pid = fork();
    if (pid == 0) {
        if (setgid(65534) < 0 || setuid(65534) < 0) {
            res("drop privileges", -1);
            _exit(1);
        }
        res("nobody set user (0644 root file)", setxattr(f, "user.n", "x", 1, 0));
        show_get("nobody get user", getxattr(f, "user.a", buf, sizeof buf), buf);
        res("nobody remove user", removexattr(f, "user.a"));
        res("nobody set trusted", setxattr(f, "trusted.n", "x", 1, 0));
        res("nobody get trusted", getxattr(f, "trusted.t", buf, sizeof buf));
        res("nobody remove trusted", removexattr(f, "trusted.t"));
        show_get("nobody get security", getxattr(f, "security.t", buf, sizeof buf), buf);
        res("nobody set security", setxattr(f, "security.n", "x", 1, 0));
        res("nobody remove security", removexattr(f, "security.t"));
        show_list("nobody list (no trusted.*)", list, listxattr(f, list, sizeof list));
        res("nobody get user (0600 file)", getxattr(s, "user.s", buf, sizeof buf));
        res("nobody set user on sticky dir", setxattr(sd, "user.n", "x", 1, 0));
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("child exit %d\n", WEXITSTATUS(status));
}

static void readonly(const char *dir) {
    char m[256], f[300], buf[64], list[256];
    snprintf(m, sizeof m, "%s/ro", dir);
    mkdir(m, 0755);
    if (mount("none", m, "tmpfs", 0, NULL) < 0) {
        res("mount", -1);
        return;
    }
    snprintf(f, sizeof f, "%s/file", m);
    close(open(f, O_CREAT | O_WRONLY, 0644));
    setxattr(f, "user.r", "ro", 2, 0);
    res("remount ro", mount("none", m, NULL, MS_REMOUNT | MS_RDONLY, NULL));
    res("set on ro", setxattr(f, "user.r", "x", 1, 0));
    res("remove on ro", removexattr(f, "user.r"));
    res("bad name on ro", setxattr(f, "", "x", 1, 0));
    show_get("get on ro", getxattr(f, "user.r", buf, sizeof buf), buf);
    show_list("list on ro", list, listxattr(f, list, sizeof list));
    umount(m);
    rmdir(m);
}

static void cleanup(const char *dir) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "%s/file", dir); unlink(cmd);
    snprintf(cmd, sizeof cmd, "%s/link", dir); unlink(cmd);
    snprintf(cmd, sizeof cmd, "%s/fifo", dir); unlink(cmd);
    snprintf(cmd, sizeof cmd, "%s/secret", dir); unlink(cmd);
    snprintf(cmd, sizeof cmd, "%s/sub", dir); rmdir(cmd);
    snprintf(cmd, sizeof cmd, "%s/sticky", dir); rmdir(cmd);
    rmdir(dir);
}

/* A file that already existed (under pynix: in the overlay's lower layer, the host's /tmp): its user.*
 * attributes show through, and changing one copies the file up with them. */
static void existing(const char *f) {
    char buf[64], list[256];
    printf("== existing file\n");
    show_get("lower get", getxattr(f, "user.lower", buf, sizeof buf), buf);
    show_list("lower list", list, listxattr(f, list, sizeof list));
    res("lower create existing", setxattr(f, "user.lower", "x", 1, XATTR_CREATE));
    res("lower set new", setxattr(f, "user.new", "new", 3, 0));
    show_list("after set", list, listxattr(f, list, sizeof list));
    show_get("after set get", getxattr(f, "user.lower", buf, sizeof buf), buf);
    res("remove lower", removexattr(f, "user.lower"));
    show_list("after remove", list, listxattr(f, list, sizeof list));
    res("get removed", getxattr(f, "user.lower", buf, sizeof buf));
}

int main(int argc, char **argv) {
    if (argc > 1) {
        existing(argv[1]);
        printf("ALL DONE\n");
        return 0;
    }
    char dir[64];
    snprintf(dir, sizeof dir, "/dev/shm/xattr-%d", (int)getpid());
    mkdir(dir, 0755);
    printf("== /dev/shm\n");
    basics(dir);
    unprivileged(dir);
    readonly(dir);
    cleanup(dir);

    /* /tmp: new files, user.* only */
    char t[64], buf[64], list[256];
    snprintf(t, sizeof t, "/tmp/xattr-%d", (int)getpid());
    close(open(t, O_CREAT | O_WRONLY, 0644));
    printf("== /tmp\n");
    res("tmp set", setxattr(t, "user.a", "tmp", 3, 0));
    res("tmp create existing", setxattr(t, "user.a", "x", 1, XATTR_CREATE));
    show_get("tmp get", getxattr(t, "user.a", buf, sizeof buf), buf);
    res("tmp set b", setxattr(t, "user.b", "b", 1, 0));
    show_list("tmp list", list, listxattr(t, list, sizeof list));
    res("tmp remove", removexattr(t, "user.a"));
    res("tmp get removed", getxattr(t, "user.a", buf, sizeof buf));
    unlink(t);
    printf("ALL DONE\n");
    return 0;
}
