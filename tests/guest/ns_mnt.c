/* Mount namespaces: unshare CLONE_NEWNS gives a copy of the mount tree -- mounts and unmounts made on either
 * side afterwards are invisible on the other, /proc/self/mounts and mountinfo follow the namespace -- setns
 * into another process's mount namespace, CLONE_NEWNS with CLONE_FS refused, chroot still working.
 * Everything happens inside a private namespace of its own (the host's mounts are never touched). */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "errname.h"
#include "say.h"
#include "ns_util.h"

static char base[64], a[80], b[80];

static int listed(const char *file, const char *path)
{
    static char buf[1 << 16];
    int fd = open(file, O_RDONLY), n, total = 0;
    if (fd < 0)
        return -1;
    while ((n = read(fd, buf + total, sizeof buf - 1 - total)) > 0)
        total += n;
    close(fd);
    buf[total] = 0;
    char pattern[100];
    snprintf(pattern, sizeof pattern, " %s ", path);
    return strstr(buf, pattern) != NULL;
}

static int exists(const char *dir, const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static void touch(const char *dir, const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    close(open(path, O_CREAT | O_WRONLY, 0644));
}

int main(void)
{
    say("unshare CLONE_NEWNS: %s\n", RES(unshare(CLONE_NEWNS)));
    say("make / private (MS_REC|MS_PRIVATE): %s\n", RES(mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL)));
    say("two propagation types: %s\n", RES(mount("none", "/", NULL, MS_PRIVATE | MS_SHARED, NULL)));
    strcpy(base, "/tmp/nsmntXXXXXX");
    if (!mkdtemp(base))
        return 1;
    snprintf(a, sizeof a, "%s/a", base);
    snprintf(b, sizeof b, "%s/b", base);
    mkdir(a, 0755);
    mkdir(b, 0755);
    say("mount tmpfs on a: %s\n", RES(mount("x", a, "tmpfs", 0, NULL)));
    touch(a, "outer");
    say("mnt link ok: %d\n", ns_link_ok("mnt"));
    unsigned long outer_ns = ns_ino(0, "mnt");
    int self = open("/proc/self/ns/mnt", O_RDONLY);
    int to_child[2], to_parent[2];
    pipe(to_child);
    pipe(to_parent);
    pid_t pid = fork();
    if (pid == 0) {
        say("child: unshare CLONE_NEWNS: %s\n", RES(unshare(CLONE_NEWNS)));
        say("child: new namespace: %d\n", ns_ino(0, "mnt") != outer_ns);
        say("child: a still mounted, its file there: %d %d\n", listed("/proc/self/mounts", a), exists(a, "outer"));
        say("child: umount a: %s\n", RES(umount(a)));
        say("child: a now: mounted %d, file %d\n", listed("/proc/self/mounts", a), exists(a, "outer"));
        say("child: mount tmpfs on b: %s\n", RES(mount("y", b, "tmpfs", 0, NULL)));
        touch(b, "inner");
        say("child: b in mountinfo: %d\n", listed("/proc/self/mountinfo", b));
        signal_peer(to_parent[1]);
        wait_peer(to_child[0]);
        say("child: setns to the parent's: %s\n", RES(setns(self, CLONE_NEWNS)));
        say("child: now a mounted %d, b mounted %d, cwd: %s\n", listed("/proc/self/mounts", a),
            listed("/proc/self/mounts", b), access(".", F_OK) == 0 ? "ok" : errname(errno));
        _exit(0);
    }
    wait_peer(to_parent[0]);
    say("parent: a mounted %d, file %d\n", listed("/proc/self/mounts", a), exists(a, "outer"));
    say("parent: b mounted %d, file %d\n", listed("/proc/self/mounts", b), exists(b, "inner"));
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mounts", pid);
    say("parent: the child's /proc/PID/mounts: a %d, b %d\n", listed(path, a), listed(path, b));
    say("parent: the child's namespace differs: %d\n", ns_ino(pid, "mnt") != outer_ns);
    signal_peer(to_child[1]);
    waitpid(pid, NULL, 0);

    static char stack[65536];
    say("clone CLONE_NEWNS|CLONE_FS: %s\n",
        RES(syscall(SYS_clone, CLONE_NEWNS | CLONE_FS | SIGCHLD, stack + sizeof stack, 0, 0, 0)));
    pid = fork();
    if (pid == 0) {
        say("chroot into a: %s\n", RES(chroot(a)));
        say("chdir /: %s, the file at the root: %d\n", RES(chdir("/")), access("/outer", F_OK) == 0);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    say("umount a: %s\n", RES(umount(a)));
    snprintf(path, sizeof path, "%s/outer", a);
    unlink(path);
    rmdir(a);
    rmdir(b);
    rmdir(base);
    say("ALL DONE\n");
    return 0;
}
