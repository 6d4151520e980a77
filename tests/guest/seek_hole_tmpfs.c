/* SEEK_DATA/SEEK_HOLE on tmpfs (/dev/shm), as cp --sparse, tar -S and fallocate -d use them: the holes are
 * the pages never written (or punched), the end of the file is a hole, ENXIO at or past the end. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "errname.h"

static int fd;

static void seek(const char *what, off_t offset, int whence)
{
    off_t got = lseek(fd, offset, whence);
    if (got < 0)
        printf("%s from %lld: %s\n", what, (long long)offset, errname(errno));
    else
        printf("%s from %lld: %lld\n", what, (long long)offset, (long long)got);
}

static void both(off_t offset)
{
    seek("SEEK_DATA", offset, SEEK_DATA);
    seek("SEEK_HOLE", offset, SEEK_HOLE);
}

int main(void)
{
    char path[] = "/dev/shm/seek_hole.XXXXXX";
    fd = mkstemp(path);
    unlink(path);
    pwrite(fd, "x", 1, (10 << 20) + 5);
    printf("one byte at 10 MiB + 5\n");
    both(0);
    both(10 << 20);
    both((10 << 20) + 3);
    both((10 << 20) + 6);
    pwrite(fd, "abc", 3, 5000);
    printf("three bytes at 5000\n");
    both(0);
    both(4096);
    both(8192);
    fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 4096);
    printf("page 1 punched\n");
    both(0);
    ftruncate(fd, 20 << 20);
    printf("extended to 20 MiB\n");
    both((10 << 20) + 1);
    both(-1);
    return 0;
}
