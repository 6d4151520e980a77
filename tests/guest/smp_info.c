/* What a program sees of the machine's CPUs (issue 18, SMP): the online count by every route (sysconf,
 * sched_getaffinity, /proc/cpuinfo, /proc/stat, /sys/devices/system/cpu/online), then for each CPU, pinned
 * there with sched_setaffinity, whether sched_getcpu() names it. */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int count_lines(const char *path, const char *prefix, int digit_after) {
    FILE *f = fopen(path, "r");
    char line[512];
    int n = 0;
    size_t len = strlen(prefix);
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, prefix, len) == 0 && (!digit_after || (line[len] >= '0' && line[len] <= '9')))
            n++;
    fclose(f);
    return n;
}

int main(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    sched_getaffinity(0, sizeof set, &set);
    int n = (int)sysconf(_SC_NPROCESSORS_ONLN);
    printf("sysconf online %d\n", n);
    printf("affinity %d\n", CPU_COUNT(&set));
    printf("cpuinfo processors %d\n", count_lines("/proc/cpuinfo", "processor", 0));
    printf("stat cpu lines %d\n", count_lines("/proc/stat", "cpu", 1));
    char online[64] = "";
    FILE *f = fopen("/sys/devices/system/cpu/online", "r");
    if (f) {
        if (fgets(online, sizeof online, f))
            online[strcspn(online, "\n")] = 0;
        fclose(f);
    }
    printf("sys online %s\n", online);
    for (int cpu = 0; cpu < n && cpu < 8; cpu++) {
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
        if (sched_setaffinity(0, sizeof set, &set) != 0) {
            perror("sched_setaffinity");
            return 1;
        }
        int ok = 1;
        for (volatile long i = 0; i < 2000000; i++)   /* some computing: a preemption may migrate it */
            if ((i & 0xffff) == 0 && sched_getcpu() != cpu)
                ok = 0;
        printf("pinned to %d: %s\n", cpu, ok ? "runs there" : "ran elsewhere");
    }
    CPU_ZERO(&set);
    CPU_SET(n, &set);                                 /* no such CPU */
    printf("affinity to an offline cpu: %s\n", sched_setaffinity(0, sizeof set, &set) ? "EINVAL" : "accepted");
    return 0;
}
