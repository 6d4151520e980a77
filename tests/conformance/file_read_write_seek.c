/* read/write/lseek on a regular file: offsets, EOF, holes, SEEK_END, pread/pwrite not moving the offset,
 * readv/writev, ftruncate/truncate growing and shrinking, errors. */
#include "conf.h"
#include <sys/uio.h>

static void show_file(const char *label, int fd)
{
    char buf[128];
    ssize_t n = pread(fd, buf, sizeof buf, 0);
    printf("%s: %zd bytes [", label, n);
    for (ssize_t i = 0; i < n; i++) putchar(buf[i] ? buf[i] : '.');
    printf("]\n");
}

int main(void)
{
    scratch();
    int fd = open("f", O_RDWR | O_CREAT, 0644);
    if (fd < 0) { printf("open: %s\n", errname(errno)); return 1; }
    SHOW("write", write(fd, "abcdefghij", 10));
    SHOW("offset", lseek(fd, 0, SEEK_CUR));
    char buf[64];
    SHOW("read at EOF", read(fd, buf, sizeof buf));
    SHOW("seek set 2", lseek(fd, 2, SEEK_SET));
    SHOW("read 3", read(fd, buf, 3));
    SHOW("seek cur +1", lseek(fd, 1, SEEK_CUR));
    SHOW("seek end -2", lseek(fd, -2, SEEK_END));
    SHOW("read 10 near EOF", read(fd, buf, 10));
    SHOW("seek negative", lseek(fd, -100, SEEK_SET));
    SHOW("seek cur negative past start", lseek(fd, -100, SEEK_CUR));
    SHOW("seek bad whence", lseek(fd, 0, 42));
    SHOW("seek past end", lseek(fd, 20, SEEK_SET));
    SHOW("write after a hole", write(fd, "Z", 1));
    show_file("with hole", fd);
    SHOW("SEEK_END is new size", lseek(fd, 0, SEEK_END));

    SHOW("pwrite at 0", pwrite(fd, "AB", 2, 0));
    SHOW("offset unchanged by pwrite", lseek(fd, 0, SEEK_CUR));
    SHOW("pread at 1", pread(fd, buf, 3, 1));
    printf("pread data: %.3s\n", buf);
    SHOW("pread beyond EOF", pread(fd, buf, 3, 1000));
    SHOW("pread negative offset", pread(fd, buf, 3, -1));

    lseek(fd, 0, SEEK_SET);
    struct iovec iov[3] = {{"one ", 4}, {"", 0}, {"two", 3}};
    SHOW("writev", writev(fd, iov, 3));
    char a[3], b[5];
    struct iovec riov[2] = {{a, 3}, {b, 5}};
    lseek(fd, 0, SEEK_SET);
    SHOW("readv", readv(fd, riov, 2));
    printf("readv pieces: %.3s|%.4s\n", a, b);
    SHOW("writev iovcnt -1", writev(fd, iov, -1));
    SHOW("writev iovcnt 1025", writev(fd, iov, 1025));

    SHOW("ftruncate to 5", ftruncate(fd, 5));
    show_file("truncated", fd);
    SHOW("offset kept past new end", lseek(fd, 0, SEEK_CUR));
    SHOW("ftruncate to 12 (zero fill)", ftruncate(fd, 12));
    show_file("extended", fd);
    SHOW("ftruncate negative", ftruncate(fd, -1));
    SHOW("truncate by path", truncate("f", 3));
    show_file("truncate by path", fd);
    SHOW("truncate a missing file", truncate("missing", 0));
    MUST(mkdir("d", 0755));
    SHOW("truncate a directory", truncate("d", 0));
    int ro = open("f", O_RDONLY);
    SHOW("ftruncate read-only fd", ftruncate(ro, 0));
    SHOW("write zero bytes", write(fd, buf, 0));
    SHOW("write to a bad fd", write(99, buf, 1));
    SHOW("read into a bad buffer", read(ro, (void *)16, 1));
    SHOW("read from a directory fd", read(open("d", O_RDONLY), buf, 1));

    /* O_APPEND and pwrite: Linux appends regardless of the offset (documented bug) */
    int ap = open("f", O_WRONLY | O_APPEND);
    SHOW("pwrite on O_APPEND", pwrite(ap, "P", 1, 0));
    show_file("after pwrite on O_APPEND", fd);

    /* a bigger file in odd-sized chunks, read back with another descriptor */
    int big = open("big", O_RDWR | O_CREAT | O_TRUNC, 0644);
    unsigned sum_w = 0, sum_r = 0;
    static char chunk[7777];
    for (int i = 0; i < 100; i++) {
        for (size_t j = 0; j < sizeof chunk; j++) { chunk[j] = (char)(i + j); sum_w += (unsigned char)chunk[j]; }
        if (write(big, chunk, sizeof chunk) != sizeof chunk) { printf("short write\n"); break; }
    }
    int rd = open("big", O_RDONLY);
    ssize_t got;
    long total = 0;
    while ((got = read(rd, chunk, 4096)) > 0) {
        total += got;
        for (ssize_t j = 0; j < got; j++) sum_r += (unsigned char)chunk[j];
    }
    printf("big file: %ld bytes, checksums equal: %d\n", total, sum_w == sum_r);
    return 0;
}
