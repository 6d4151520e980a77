/* Scheduling calls: sched_yield, affinity masks (the current CPU set is non-empty; an empty set is EINVAL),
 * nice values (raising niceness is always allowed), scheduler policy queries. */
#include "conf.h"
#include <sched.h>
#include <sys/resource.h>

int main(void)
{
    SHOW("sched_yield", sched_yield());
    cpu_set_t set;
    CPU_ZERO(&set);
    SHOW("sched_getaffinity", sched_getaffinity(0, sizeof set, &set) == 0 ? 0 : -1);
    printf("cpus in mask >= 1: %d\n", CPU_COUNT(&set) >= 1);
    SHOW("sched_setaffinity same mask", sched_setaffinity(0, sizeof set, &set));
    cpu_set_t empty;
    CPU_ZERO(&empty);
    SHOW("sched_setaffinity empty mask", sched_setaffinity(0, sizeof empty, &empty));
    SHOW("raw sched_getaffinity tiny size", syscall(SYS_sched_getaffinity, 0, 1, &set));
    SHOW("raw sched_getaffinity no such pid", syscall(SYS_sched_getaffinity, 0x3ffffff0, sizeof set, &set));

    errno = 0;
    int nice0 = getpriority(PRIO_PROCESS, 0);
    printf("getpriority: %s\n", errno ? errname(errno) : "ok");
    SHOW("setpriority +1", setpriority(PRIO_PROCESS, 0, nice0 + 1));
    printf("nice raised by 1: %d\n", getpriority(PRIO_PROCESS, 0) == nice0 + 1);
    errno = 0;
    int n = nice(2);
    printf("nice(2) returns the new value: %d %s\n", n == nice0 + 3, errname(errno));
    SHOW("setpriority bad which", setpriority(42, 0, 0));
    SHOW("getpriority no such process", getpriority(PRIO_PROCESS, 0x3ffffff0));
    SHOW("setpriority above 19 clamps", setpriority(PRIO_PROCESS, 0, 100));
    printf("clamped to 19: %d\n", getpriority(PRIO_PROCESS, 0) == 19);
    pid_t pid = xfork();
    if (pid == 0) _exit(getpriority(PRIO_PROCESS, 0));
    reap("child inherits nice 19 (exit status)", pid);

    SHOW("sched_getscheduler", sched_getscheduler(0));
    struct sched_param sp;
    SHOW("sched_getparam", sched_getparam(0, &sp));
    printf("priority 0: %d\n", sp.sched_priority == 0);
    SHOW("sched_get_priority_max SCHED_FIFO", sched_get_priority_max(SCHED_FIFO));
    SHOW("sched_get_priority_min SCHED_OTHER", sched_get_priority_min(SCHED_OTHER));
    SHOW("sched_get_priority_max bad policy", sched_get_priority_max(42));
    SHOW("sched_getcpu ok", sched_getcpu() >= 0 ? 0 : -1);
    return 0;
}
