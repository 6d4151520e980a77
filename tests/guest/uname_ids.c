/* uname_ids: stable facts from uname(2) and the id syscalls (values that differ between runs are not printed). */
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(void)
{
    struct utsname u;
    memset(&u, 0, sizeof u);
    if (uname(&u) != 0) {
        printf("uname failed\n");
        return 1;
    }
    printf("sysname=%s\n", u.sysname);
    printf("machine=%s\n", u.machine);
    printf("release non-empty: %s\n", u.release[0] ? "yes" : "no");
    printf("release starts with a digit: %s\n", u.release[0] >= '0' && u.release[0] <= '9' ? "yes" : "no");
    printf("version non-empty: %s\n", u.version[0] ? "yes" : "no");
    printf("nodename non-empty: %s\n", u.nodename[0] ? "yes" : "no");
    printf("fields NUL-terminated: %s\n",
           memchr(u.sysname, 0, sizeof u.sysname) && memchr(u.release, 0, sizeof u.release) &&
           memchr(u.machine, 0, sizeof u.machine) ? "yes" : "no");

    uid_t uid = getuid(), euid = geteuid();
    gid_t gid = getgid(), egid = getegid();
    printf("uid==euid: %s\n", uid == euid ? "yes" : "no");
    printf("gid==egid: %s\n", gid == egid ? "yes" : "no");
    printf("uid is root: %s\n", uid == 0 ? "yes" : "no");
    pid_t pid = getpid();
    printf("getpid()>0: %s\n", pid > 0 ? "yes" : "no");
    printf("getpid() stable: %s\n", getpid() == pid ? "yes" : "no");
    printf("gettid()==getpid(): %s\n", (pid_t)syscall(SYS_gettid) == pid ? "yes" : "no");
    printf("getppid()!=getpid(): %s\n", getppid() != pid ? "yes" : "no");
    printf("getpgrp()>0: %s\n", getpgrp() > 0 ? "yes" : "no");

    struct sysinfo si;
    memset(&si, 0xff, sizeof si);
    printf("sysinfo: %d\n", sysinfo(&si));
    printf("sysinfo memory sane: %s\n", si.mem_unit >= 1 && si.totalram > 0 && si.freeram <= si.totalram &&
           si.freeswap <= si.totalswap ? "yes" : "no");
    printf("sysinfo procs>=1: %s\n", si.procs >= 1 ? "yes" : "no");
    printf("sysinfo uptime>=0: %s\n", si.uptime >= 0 ? "yes" : "no");
    return 0;
}
