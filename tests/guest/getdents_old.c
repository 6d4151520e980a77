/* The old getdents (x86_64's struct linux_dirent, d_type in the record's last byte); riscv64 has only
   getdents64, which prints the same.  Names are sorted (filesystems order entries differently). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(void)
{
    char dir[128], path[256];
    snprintf(dir, sizeof dir, "/tmp/pynix-getdents-%d", getpid());
    mkdir(dir, 0755);
    const char *files[] = {"a", "bb", "a-much-longer-name-than-the-others"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        close(open(path, O_WRONLY | O_CREAT, 0644));
    }
    snprintf(path, sizeof path, "%s/sub", dir);
    mkdir(path, 0755);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    char buf[4096] __attribute__((aligned(8)));
    char *names[16];
    int n = 0, calls = 0;
    for (;;) {
#ifdef SYS_getdents
        long got = syscall(SYS_getdents, fd, buf, 64);   /* small: several calls */
#else
        long got = syscall(SYS_getdents64, fd, buf, 64);
#endif
        if (got < 0) {
            say("getdents: %s\n", errname(errno));
            break;
        }
        if (got == 0)
            break;
        calls++;
        for (long pos = 0; pos < got;) {
#ifdef SYS_getdents
            unsigned short reclen = *(unsigned short *)(buf + pos + 16);
            const char *name = buf + pos + 18;
            int type = buf[pos + reclen - 1];
#else
            struct { uint64_t ino; int64_t off; unsigned short d_reclen; unsigned char d_type; char d_name[]; }
                *d = (void *)(buf + pos);
            unsigned short reclen = d->d_reclen;
            const char *name = d->d_name;
            int type = d->d_type;
#endif
            char *entry = malloc(300);
            snprintf(entry, 300, "%s type %d reclen%%8 %d", name, type, reclen % 8);
            names[n++] = entry;
            pos += reclen;
        }
    }
    qsort(names, n, sizeof names[0], cmp);
    for (int i = 0; i < n; i++)
        say("%s\n", names[i]);
    say("several calls: %d\n", calls > 1);
#ifdef SYS_getdents
    long r = syscall(SYS_getdents, fd, buf, 10);
#else
    long r = syscall(SYS_getdents64, fd, buf, 10);
#endif
    say("at the end: %ld\n", r);
    lseek(fd, 0, SEEK_SET);
#ifdef SYS_getdents
    r = syscall(SYS_getdents, fd, buf, 10);
#else
    r = syscall(SYS_getdents64, fd, buf, 10);
#endif
    say("buffer too small: %s\n", r < 0 ? errname(errno) : "ok");
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/sub", dir);
    rmdir(path);
    rmdir(dir);
    say("ALL DONE\n");
    return 0;
}
