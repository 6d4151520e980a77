/* read() of a regular file: sizes around page boundaries, offsets, end of file, a file that grows, and a user
 * buffer that runs into unmapped memory (Linux copies what fits and returns the short count). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static unsigned char data[3 * 4096 + 100];

static long check(const unsigned char *buf, long n, long at) {
    for (long i = 0; i < n; i++)
        if (buf[i] != data[at + i]) return -1 - i;
    return n;
}

int main(void) {
    for (unsigned i = 0; i < sizeof data; i++) data[i] = (unsigned char)(i * 7 + i / 4096);
    const char *path = "/tmp/pynix-read-paths";
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
    write(fd, data, sizeof data);
    static unsigned char buf[1 << 20];
    long sizes[] = {0, 1, 100, 4095, 4096, 4097, 8192, 12388, 12389, 1 << 20};
    long offsets[] = {0, 1, 4095, 4096, 12000, 12388, 20000};
    for (unsigned o = 0; o < sizeof offsets / sizeof *offsets; o++)
        for (unsigned s = 0; s < sizeof sizes / sizeof *sizes; s++) {
            lseek(fd, offsets[o], SEEK_SET);
            long n = read(fd, buf, sizes[s]);
            long pos = lseek(fd, 0, SEEK_CUR);
            printf("off %ld size %ld -> %ld (%ld) pos %ld\n", offsets[o], sizes[s], n,
                   n > 0 ? check(buf, n, offsets[o]) : 0, pos);
        }
    /* the file grows while open: the next read sees it */
    lseek(fd, 0, SEEK_END);
    write(fd, "tail", 4);
    lseek(fd, sizeof data, SEEK_SET);
    long n = read(fd, buf, 100);
    printf("after growing: %ld [%.*s]\n", n, (int)(n > 0 ? n : 0), buf);

    /* a buffer whose second page is unmapped */
    unsigned char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(two + 4096, 4096);
    lseek(fd, 0, SEEK_SET);
    n = read(fd, two + 4000, 1000);
    printf("into a buffer running off the mapping: %ld (%ld) pos %ld\n", n, n > 0 ? check(two + 4000, n, 0) : 0,
           (long)lseek(fd, 0, SEEK_CUR));
    lseek(fd, 0, SEEK_SET);
    errno = 0;
    n = read(fd, two + 4096, 10);
    printf("into unmapped memory: %ld %s pos %ld\n", n, strerror(errno), (long)lseek(fd, 0, SEEK_CUR));
    errno = 0;
    n = read(fd, (void *)0xffffffffffff0000UL, 10);
    printf("into a kernel address: %ld %s\n", n, strerror(errno));
    close(fd);
    unlink(path);
    return 0;
}
