/* A file read through one path and changed through another (argv[1], argv[2]: natively the same file; under
 * pynix the host file through the default root's read-only lower layer and through a --mount rw): the reader
 * sees every change at once -- its page cache is revalidated against the file's size and mtime. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void show(int fd, const char *what) {
    char buf[64] = {0};
    long n = pread(fd, buf, sizeof buf - 1, 0);
    printf("%-36s %ld [%s]\n", what, n, buf);
}

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    int w = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0644);
    write(w, "first contents", 14);
    int r = open(argv[1], O_RDONLY);
    show(r, "read through the other path");
    struct timespec pause = {0, 20 * 1000 * 1000};
    nanosleep(&pause, NULL);                  /* a later mtime even on coarse host clocks */
    pwrite(w, "FIRST", 5, 0);
    show(r, "after an overwrite (same size)");
    write(w, " and more", 9);
    show(r, "after an append");
    ftruncate(w, 5);
    show(r, "after a truncate");
    char buf[8];
    lseek(r, 0, SEEK_SET);
    printf("read() at the old end: %ld\n", (long)pread(r, buf, 8, 10));
    close(r);
    close(w);
    return 0;
}
