/* User namespaces: an unprivileged unshare(CLONE_NEWUSER), ids unmapped (65534) until /proc/self/uid_map and
 * gid_map are written, the write rules (once, one line of the writer's own id for an unprivileged writer,
 * gid_map only after setgroups "deny", which cannot be undone; EINVAL for bad lines), capabilities inside
 * (new UTS and mount namespaces), a privileged parent writing a child's maps, and the NS_GET_* ioctls. */
#define _GNU_SOURCE
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "errname.h"
#include "say.h"
#include "ns_util.h"

static const char *write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY);
    if (fd < 0)
        return errname(errno);
    ssize_t n = write(fd, text, strlen(text));
    int err = errno;
    close(fd);
    return n < 0 ? errname(err) : "ok";
}

static void show(const char *label, const char *path)
{
    char buf[512];
    int fd = open(path, O_RDONLY);
    int n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = 0;
    say("%s: [%s]\n", label, buf);
}

int main(void)
{
    unsigned long init_user = ns_ino(0, "user");
    say("user link ok: %d\n", ns_link_ok("user"));
    int to_child[2], to_parent[2];
    pipe(to_child);
    pipe(to_parent);
    pid_t pid = fork();
    if (pid == 0) {
        setgroups(0, NULL);
        setgid(1000);
        setuid(1000);
        prctl(PR_SET_DUMPABLE, 1);                  /* (else its /proc files belong to root: EACCES) */
        say("user 1000: unshare CLONE_NEWUTS: %s\n", RES(unshare(CLONE_NEWUTS)));
        say("unshare CLONE_NEWUSER: %s\n", RES(unshare(CLONE_NEWUSER)));
        say("new user namespace: %d\n", ns_ino(0, "user") != init_user);
        say("unmapped: uid %d euid %d gid %d\n", getuid(), geteuid(), getgid());
        show("uid_map", "/proc/self/uid_map");
        say("uid_map two lines: %s\n", write_file("/proc/self/uid_map", "0 1000 1\n1 1001 1\n"));
        say("uid_map another uid: %s\n", write_file("/proc/self/uid_map", "0 0 1\n"));
        say("uid_map bad line: %s\n", write_file("/proc/self/uid_map", "zero 1000 1\n"));
        say("uid_map count 0: %s\n", write_file("/proc/self/uid_map", "0 1000 0\n"));
        say("uid_map own uid: %s\n", write_file("/proc/self/uid_map", "0 1000 1\n"));
        say("uid_map again: %s\n", write_file("/proc/self/uid_map", "0 1000 1\n"));
        show("uid_map", "/proc/self/uid_map");
        say("now: uid %d euid %d\n", getuid(), geteuid());
        show("setgroups", "/proc/self/setgroups");
        say("gid_map before setgroups deny: %s\n", write_file("/proc/self/gid_map", "0 1000 1\n"));
        say("setgroups bad word: %s\n", write_file("/proc/self/setgroups", "maybe"));
        say("setgroups deny: %s\n", write_file("/proc/self/setgroups", "deny\n"));
        say("setgroups allow after deny: %s\n", write_file("/proc/self/setgroups", "allow"));
        say("gid_map own gid: %s\n", write_file("/proc/self/gid_map", "0 1000 1\n"));
        say("setgroups deny after gid_map: %s\n", write_file("/proc/self/setgroups", "deny"));
        show("setgroups", "/proc/self/setgroups");
        say("now: gid %d egid %d\n", getgid(), getegid());
        say("setgroups(2) denied: %s\n", RES(setgroups(0, NULL)));
        say("capable inside: unshare CLONE_NEWUTS|CLONE_NEWNS: %s\n", RES(unshare(CLONE_NEWUTS | CLONE_NEWNS)));
        say("sethostname in its own UTS namespace: %s\n", RES(sethostname("userns", 6)));
        const char *res = RES(setuid(0));
        say("setuid(0) inside: %s, uid %d\n", res, getuid());
        say("setuid(5) unmapped: %s\n", RES(setuid(5)));
        int uts = open("/proc/self/ns/uts", O_RDONLY);
        int owner = ioctl(uts, NS_GET_USERNS);
        say("NS_GET_USERNS of the new uts: ours: %d\n", fd_ino(owner) == ns_ino(0, "user"));
        int user = open("/proc/self/ns/user", O_RDONLY);
        uid_t uid = 7;
        res = RES(ioctl(user, NS_GET_OWNER_UID, &uid));
        say("NS_GET_OWNER_UID: %s, %d\n", res, (int)uid);
        int parent = ioctl(user, NS_GET_PARENT);
        res = RES(parent);
        say("NS_GET_PARENT: %s, the first one: %d\n", res, fd_ino(parent) == init_user);
        say("NS_GET_PARENT of the first: %s\n", RES(ioctl(parent, NS_GET_PARENT)));
        say("NS_GET_USERNS of the first: %s\n", RES(ioctl(parent, NS_GET_USERNS)));
        say("setns back into the first: %s\n", RES(setns(parent, CLONE_NEWUSER)));
        say("setns into its own: %s\n", RES(setns(user, CLONE_NEWUSER)));
        _exit(0);
    }
    waitpid(pid, NULL, 0);

    pid = fork();                                   /* a privileged parent maps a child's ids */
    if (pid == 0) {
        say("root child: unshare CLONE_NEWUSER: %s\n", RES(unshare(CLONE_NEWUSER)));
        signal_peer(to_parent[1]);
        wait_peer(to_child[0]);
        say("root child: uid %d gid %d\n", getuid(), getgid());
        show("uid_map", "/proc/self/uid_map");
        _exit(0);
    }
    wait_peer(to_parent[0]);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/uid_map", pid);
    say("parent: child's uid_map, two lines: %s\n", write_file(path, "0 1000 1\n1 2000 10\n"));
    snprintf(path, sizeof path, "/proc/%d/gid_map", pid);
    say("parent: child's gid_map: %s\n", write_file(path, "0 3000 5\n"));
    snprintf(path, sizeof path, "/proc/%d/uid_map", pid);
    show("the child's uid_map seen by the parent", path);
    signal_peer(to_child[1]);
    waitpid(pid, NULL, 0);
    say("ALL DONE\n");
    return 0;
}
