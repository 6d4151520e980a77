/* UTS namespaces: unshare and clone with CLONE_NEWUTS, a private hostname, nsfs inodes and links, setns back
 * into the first namespace, the NS_GET_* ioctls on a UTS namespace file, and EPERM without privilege. */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include "errname.h"
#include "say.h"
#include "ns_util.h"

static char outer[65];

static int child_in_clone(void *arg)
{
    char name[65] = "";
    say("clone child: sethostname: %s\n", RES(sethostname("cloned", 6)));
    gethostname(name, sizeof name);
    say("clone child: hostname %s\n", name);
    return 0;
}

int main(void)
{
    gethostname(outer, sizeof outer);
    unsigned long first = ns_ino(0, "uts");
    say("uts link text matches its inode: %d\n", ns_link_ok("uts"));
    int self = open("/proc/self/ns/uts", O_RDONLY);
    say("open ns file: %s, same inode as the link: %d\n", RES(self), fd_ino(self) == first);
    say("NS_GET_NSTYPE: %s\n", ioctl(self, NS_GET_NSTYPE) == CLONE_NEWUTS ? "CLONE_NEWUTS" : "other");
    say("NS_GET_PARENT of uts: %s\n", RES(ioctl(self, NS_GET_PARENT)));
    int owner = ioctl(self, NS_GET_USERNS);
    say("NS_GET_USERNS: %s, the user namespace: %d\n", RES(owner), fd_ino(owner) == ns_ino(0, "user"));
    uid_t uid;
    say("NS_GET_OWNER_UID of uts: %s\n", RES(ioctl(self, NS_GET_OWNER_UID, &uid)));

    pid_t pid = fork();
    if (pid == 0) {
        say("child: same namespace as parent: %d\n", ns_ino(0, "uts") == first);
        say("child: unshare CLONE_NEWUTS: %s\n", RES(unshare(CLONE_NEWUTS)));
        say("child: new namespace: %d, link ok: %d\n", ns_ino(0, "uts") != first && ns_ino(0, "uts") != 0,
            ns_link_ok("uts"));
        char name[65] = "";
        gethostname(name, sizeof name);
        say("child: hostname inherited: %d\n", strcmp(name, outer) == 0);
        say("child: sethostname inner: %s\n", RES(sethostname("inner", 5)));
        struct utsname u;
        uname(&u);
        say("child: uname nodename %s\n", u.nodename);
        say("child: setns wrong type: %s\n", RES(setns(self, CLONE_NEWNET)));
        say("child: setns not a ns file: %s\n", RES(setns(1, 0)));
        say("child: setns back: %s\n", RES(setns(self, CLONE_NEWUTS)));
        gethostname(name, sizeof name);
        say("child: back in the first: %d, hostname the outer one: %d\n", ns_ino(0, "uts") == first,
            strcmp(name, outer) == 0);
        unshare(CLONE_NEWUTS);
        int pidfd = syscall(434 /* pidfd_open */, getppid(), 0);
        say("child: setns pidfd, no type: %s\n", RES(setns(pidfd, 0)));
        say("child: setns pidfd CLONE_NEWUTS: %s\n", RES(setns(pidfd, CLONE_NEWUTS)));
        say("child: in the parent's again: %d\n", ns_ino(0, "uts") == first);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    char name[65] = "";
    gethostname(name, sizeof name);
    say("parent: hostname unchanged: %d\n", strcmp(name, outer) == 0);

    static char stack[65536];
    pid = clone(child_in_clone, stack + sizeof stack, CLONE_NEWUTS | SIGCHLD, NULL);
    const char *res = RES(pid);
    waitpid(pid, NULL, 0);
    say("clone CLONE_NEWUTS: %s\n", res);
    gethostname(name, sizeof name);
    say("parent: hostname still unchanged: %d\n", strcmp(name, outer) == 0);
    say("clone CLONE_NEWUTS|CLONE_THREAD... : %s\n",
        RES(syscall(SYS_clone, CLONE_NEWPID | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM, stack + 4096, 0, 0, 0)));

    pid = fork();
    if (pid == 0) {
        setuid(1000);
        say("user: unshare CLONE_NEWUTS: %s\n", RES(unshare(CLONE_NEWUTS)));
        say("user: setns: %s\n", RES(setns(self, CLONE_NEWUTS)));
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    say("ALL DONE\n");
    return 0;
}
