/* A tmpfs mounted without size= is half of the machine's memory (shmem_default_max_blocks), and statfs says so
 * (df of /dev/shm): f_blocks * f_bsize against sysinfo's totalram; size= is taken in bytes, rounded up to pages.
 * Needs root (mount), as the tests run it natively and under pynix. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/sysinfo.h>
#include <unistd.h>
#include "errname.h"

static void show(const char *dir, const char *options, unsigned long long ram)
{
    if (mount("none", dir, "tmpfs", 0, options) != 0) {
        printf("mount %s: %s\n", options ? options : "(default)", errname(errno));
        return;
    }
    struct statfs sb;
    statfs(dir, &sb);
    unsigned long long bytes = (unsigned long long)sb.f_blocks * sb.f_bsize;
    printf("%s: bsize %ld, half of RAM %d, bytes %llu\n", options ? options : "(default)", (long)sb.f_bsize,
           bytes == ram / 2 / 4096 * 4096, options ? bytes : 0);
    umount(dir);
}

int main(void)
{
    char dir[] = "/tmp/tmpfs_size.XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    struct sysinfo si;
    sysinfo(&si);
    unsigned long long ram = (unsigned long long)si.totalram * si.mem_unit;
    show(dir, NULL, ram);
    show(dir, "size=1m", ram);
    show(dir, "size=10000", ram);
    rmdir(dir);
    return 0;
}
