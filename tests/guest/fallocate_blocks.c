/* fallocate on tmpfs (/dev/shm) allocates the range at once, as shmem_fallocate: st_blocks counts the pages
 * (fallocate -l 1M shows 2048), a punched hole gives them back, KEEP_SIZE past the end adds pages without
 * growing the size, and truncating to 0 frees them all. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "errname.h"

static void show(int fd, const char *what, int rc)
{
    struct stat sb;
    fstat(fd, &sb);
    printf("%s: %s, size %lld blocks %lld\n", what, rc ? errname(errno) : "0", (long long)sb.st_size,
           (long long)sb.st_blocks);
}

int main(void)
{
    char path[] = "/dev/shm/fallocate_blocks.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 1;
    unlink(path);
    show(fd, "fallocate 1 MiB", fallocate(fd, 0, 0, 1 << 20));
    show(fd, "punch 8 KiB at 4096", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 8192));
    show(fd, "fallocate the hole again", fallocate(fd, 0, 0, 16384));
    show(fd, "KEEP_SIZE 8 KiB past the end", fallocate(fd, FALLOC_FL_KEEP_SIZE, 1 << 20, 8192));
    show(fd, "fallocate 10 bytes at 5000", fallocate(fd, 0, 5000, 10));
    show(fd, "ftruncate 0", ftruncate(fd, 0));
    show(fd, "fallocate 100 bytes at 10000", fallocate(fd, 0, 10000, 100));
    return 0;
}
