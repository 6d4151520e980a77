/* User and group ids: getres[ug]id, set[ug]id, setre[ug]id, setres[ug]id, setfs[ug]id, get/setgroups, and
 * the permission checks that follow a dropped privilege.  Run as root natively (the CI machines are) or not:
 * the output is compared with the reference either way. */
#define _GNU_SOURCE
#include <errno.h>
#include "errname.h"
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

static void ids(const char *when) {
    uid_t r, e, s;
    gid_t gr, ge, gs;
    getresuid(&r, &e, &s);
    getresgid(&gr, &ge, &gs);
    int fsuid = setfsuid(-1), fsgid = setfsgid(-1);
    printf("%s: uid %u/%u/%u gid %u/%u/%u fsuid %d fsgid %d\n", when, r, e, s, gr, ge, gs, fsuid, fsgid);
}

static void fsid(const char *what, int old) {    /* the call happens before setfsuid(-1) reads back */
    printf("%s -> %d, then %d\n", what, old, setfsuid(-1));
}

static void result(const char *what, int rc) {
    printf("%s = %d%s%s\n", what, rc, rc < 0 ? " " : "", rc < 0 ? errname(errno) : "");
}

int main(void) {
    ids("start");
    if (geteuid() != 0) {
        result("setuid(12345)", setuid(12345));
        result("setgroups(0)", setgroups(0, NULL));
        return 0;
    }
    gid_t groups[] = {300, 100, 200};
    result("setgroups(3)", setgroups(3, groups));
    gid_t got[8];
    int n = getgroups(8, got);
    printf("getgroups -> %d:", n);
    for (int i = 0; i < n; i++) printf(" %u", got[i]);
    printf("\ngetgroups(0) -> %d, getgroups(1) -> %d\n", getgroups(0, NULL), getgroups(1, got));
    result("setgroups(-1)", setgroups(-1, groups));

    int fd = open("/tmp/creds_root_only", O_CREAT | O_WRONLY | O_TRUNC, 0600);
    close(fd);
    result("setresgid(10, 20, 30)", setresgid(10, 20, 30));
    result("setreuid(1000, 2000)", setreuid(1000, 2000));
    ids("after setreuid");
    result("open root-only file", open("/tmp/creds_root_only", O_RDONLY));
    result("setuid(0)", setuid(0));
    result("setuid(1000)", setuid(1000));
    ids("after setuid(1000)");
    result("seteuid(2000)", seteuid(2000));
    result("setresuid(-1, 1000, -1)", setresuid(-1, 1000, -1));
    result("setreuid(-1, 2000)", setreuid(-1, 2000));
    result("setresuid(7, -1, -1)", setresuid(7, -1, -1));
    fsid("setfsuid(5)", setfsuid(5));
    fsid("setfsuid(1000)", setfsuid(1000));
    result("setgid(20)", setgid(20));
    result("setgid(99)", setgid(99));
    result("setgroups(0)", setgroups(0, NULL));
    result("setuid(-1)", setuid(-1));
    ids("end");
    return 0;
}
