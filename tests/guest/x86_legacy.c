/* x86_64-only calls: protection keys on a CPU without PKU, ustat and sysfs.  Output through write(2) only. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"

#define RES(r) ((r) < 0 ? errname(errno) : "ok")

struct ustat_buf { int f_tfree; unsigned long f_tinode; char f_fname[6], f_fpack[6]; };

#ifndef __x86_64__
int main(void)                      /* riscv64 has none of these calls; the test skips it (this keeps the build) */
{
    say("not an x86_64 program\n");
    return 0;
}
#else
int main(void)
{
    say("pkey_alloc: %s\n", RES(syscall(SYS_pkey_alloc, 0, 0)));
    say("pkey_alloc flags: %s\n", RES(syscall(SYS_pkey_alloc, 1, 0)));
    say("pkey_alloc init_val: %s\n", RES(syscall(SYS_pkey_alloc, 0, 4)));
    say("pkey_free 0: %s\n", RES(syscall(SYS_pkey_free, 0)));
    char *area = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    say("pkey_mprotect key -1: %s\n", RES(syscall(SYS_pkey_mprotect, area, 4096, PROT_READ | PROT_WRITE, -1)));
    area[0] = 1;
    say("written\n");
    say("pkey_mprotect key 0: %s\n", RES(syscall(SYS_pkey_mprotect, area, 4096, PROT_READ, 0)));
    say("pkey_mprotect key 0 length 0: %s\n", RES(syscall(SYS_pkey_mprotect, area, 0, PROT_READ, 0)));
    say("pkey_mprotect unaligned: %s\n", RES(syscall(SYS_pkey_mprotect, area + 1, 4096, PROT_READ, 0)));

    struct stat sb;
    stat("/proc/self", &sb);
    struct ustat_buf u;
    memset(&u, 0, sizeof u);
    say("ustat of /proc: %s\n", RES(syscall(SYS_ustat, sb.st_dev, &u)));
    say("ustat of no device: %s\n", RES(syscall(SYS_ustat, 0x7ff00, &u)));

    long idx = syscall(SYS_sysfs, 1, "proc");
    char name[64] = "";
    long r = syscall(SYS_sysfs, 2, idx, name);
    say("sysfs proc: index ok %d, back to %s (%s)\n", idx >= 0, name, RES(r));
    say("sysfs unknown name: %s\n", RES(syscall(SYS_sysfs, 1, "no-such-fs")));
    long count = syscall(SYS_sysfs, 3);
    say("sysfs count > index: %d\n", count > idx);
    say("sysfs past the last: %s\n", RES(syscall(SYS_sysfs, 2, count, name)));
    say("sysfs option 4: %s\n", RES(syscall(SYS_sysfs, 4)));
    say("ALL DONE\n");
    return 0;
}
#endif
