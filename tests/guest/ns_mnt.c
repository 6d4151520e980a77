/* Mount namespaces: unshare CLONE_NEWNS gives a copy of the mount tree -- mounts and unmounts made on either
 * side afterwards are invisible on the other, /proc/self/mounts and mountinfo follow the namespace -- setns
 * into another process's mount namespace, CLONE_NEWNS with CLONE_FS refused, chroot still working; then
 * propagation: a shared mount's copy in a new namespace is its peer (mounts and unmounts go both ways), a slave
 * only receives, an unbindable mount cannot be bound.
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

static char base[64], a[80], b[80], s[80];

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

static const char *sub(const char *dir, const char *name)
{
    static char paths[8][128];
    static int next;
    char *path = paths[next++ % 8];
    snprintf(path, 128, "%s/%s", dir, name);
    return path;
}

/* the mountinfo line of mount point `path` has a "shared:N" field */
static int shared_in_mountinfo(const char *path)
{
    static char buf[1 << 16];
    int fd = open("/proc/self/mountinfo", O_RDONLY), n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    char pattern[100];
    snprintf(pattern, sizeof pattern, " %s ", path);
    char *line = strstr(buf, pattern), *shared = line ? strstr(line, " shared:") : NULL;
    return shared != NULL && shared < strchr(line, '\n');
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
        int here = open("/", O_RDONLY | O_DIRECTORY);
        char old[100];
        snprintf(old, sizeof old, "%s/old", b);
        mkdir(old, 0755);
        say("child: pivot_root onto b: %s\n", RES(syscall(SYS_pivot_root, b, old)));
        say("child: the new root has b's file: %d, the old root under /old: %d\n", access("/inner", F_OK) == 0,
            access(sub("/old", base), F_OK) == 0);
        say("child: pivot_root not a mount: %s\n", RES(syscall(SYS_pivot_root, "/old/tmp", "/old/tmp")));
        say("child: umount the old root: %s\n", RES(umount2("/old", MNT_DETACH)));
        say("child: /old now empty: %d\n", access(sub("/old", "tmp"), F_OK) != 0);
        fchdir(here);
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

    /* propagation */
    snprintf(s, sizeof s, "%s/s", base);
    mkdir(s, 0755);
    say("mount tmpfs on s: %s\n", RES(mount("s", s, "tmpfs", 0, NULL)));
    mkdir(sub(s, "p1"), 0755), mkdir(sub(s, "c1"), 0755), mkdir(sub(s, "c2"), 0755), mkdir(sub(s, "p2"), 0755);
    say("make s shared: %s\n", RES(mount("none", s, NULL, MS_SHARED, NULL)));
    say("mountinfo shows it shared: %d\n", shared_in_mountinfo(s));
    pid = fork();
    if (pid == 0) {
        unshare(CLONE_NEWNS);
        signal_peer(to_parent[1]);
        wait_peer(to_child[0]);                     /* the parent mounted p1 */
        say("peer: sees the parent's p1: %d\n", listed("/proc/self/mounts", sub(s, "p1")));
        say("peer: mount c1: %s\n", RES(mount("c1", sub(s, "c1"), "tmpfs", 0, NULL)));
        say("peer: make s a slave: %s\n", RES(mount("none", s, NULL, MS_SLAVE, NULL)));
        say("slave: mount c2: %s\n", RES(mount("c2", sub(s, "c2"), "tmpfs", 0, NULL)));
        signal_peer(to_parent[1]);
        wait_peer(to_child[0]);                     /* the parent mounted p2 and unmounted p1 */
        say("slave: sees p2: %d, p1 gone: %d\n", listed("/proc/self/mounts", sub(s, "p2")),
            !listed("/proc/self/mounts", sub(s, "p1")));
        _exit(0);
    }
    wait_peer(to_parent[0]);
    say("parent: mount p1: %s\n", RES(mount("p1", sub(s, "p1"), "tmpfs", 0, NULL)));
    signal_peer(to_child[1]);
    wait_peer(to_parent[0]);
    say("parent: sees the peer's c1: %d, not the slave's c2: %d\n", listed("/proc/self/mounts", sub(s, "c1")),
        !listed("/proc/self/mounts", sub(s, "c2")));
    say("parent: mount p2: %s\n", RES(mount("p2", sub(s, "p2"), "tmpfs", 0, NULL)));
    say("parent: umount p1: %s\n", RES(umount(sub(s, "p1"))));
    signal_peer(to_child[1]);
    waitpid(pid, NULL, 0);
    umount(sub(s, "p2"));
    umount(sub(s, "c1"));
    say("make s unbindable: %s\n", RES(mount("none", s, NULL, MS_UNBINDABLE, NULL)));
    say("bind it: %s\n", RES(mount(s, b, NULL, MS_BIND, NULL)));
    say("make s private: %s\n", RES(mount("none", s, NULL, MS_PRIVATE, NULL)));
    say("umount s: %s\n", RES(umount(s)));
    rmdir(sub(s, "p1")), rmdir(sub(s, "c1")), rmdir(sub(s, "c2")), rmdir(sub(s, "p2")), rmdir(s);
    say("umount a: %s\n", RES(umount(a)));
    snprintf(path, sizeof path, "%s/outer", a);
    unlink(path);
    rmdir(a);
    rmdir(b);
    rmdir(base);
    say("ALL DONE\n");
    return 0;
}
