/* uname and friends: sysname "Linux", machine matching the ISA, fields NUL-terminated, release looks like
 * a version; gethostname equals nodename; sysinfo sane; the auxv page size. */
#include "conf.h"
#include <sys/auxv.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <ctype.h>

int main(void)
{
    struct utsname u;
    SHOW("uname", uname(&u));
    printf("sysname: %s\n", u.sysname);
    printf("machine: %s\n", u.machine);
    printf("release starts with a digit and has a dot: %d\n", isdigit((unsigned char)u.release[0]) && strchr(u.release, '.') != NULL);
    printf("nodename non-empty: %d\n", u.nodename[0] != 0);
    printf("version non-empty: %d\n", u.version[0] != 0);
    char host[128];
    SHOW("gethostname", gethostname(host, sizeof host));
    printf("hostname equals nodename: %d\n", !strcmp(host, u.nodename));
    SHOW("uname bad pointer", syscall(SYS_uname, (void *)16));

    struct sysinfo si;
    SHOW("sysinfo", sysinfo(&si));
    printf("uptime > 0: %d, totalram > 0: %d, freeram <= totalram: %d, procs > 0: %d, mem_unit > 0: %d\n",
           si.uptime > 0, si.totalram > 0, si.freeram <= si.totalram, si.procs > 0, si.mem_unit > 0);

    printf("AT_PAGESZ: %lu\n", getauxval(AT_PAGESZ));
    printf("AT_UID matches getuid: %d\n", getauxval(AT_UID) == getuid());
    printf("AT_SECURE: %lu\n", getauxval(AT_SECURE));
    printf("AT_RANDOM present: %d\n", getauxval(AT_RANDOM) != 0);
    printf("sysconf page size: %ld, clock ticks: %ld\n", sysconf(_SC_PAGESIZE), sysconf(_SC_CLK_TCK));
    printf("nprocs >= 1: %d\n", sysconf(_SC_NPROCESSORS_ONLN) >= 1);
    return 0;
}
