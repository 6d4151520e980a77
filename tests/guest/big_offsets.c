/* Large offsets and sizes (issue 12): ftruncate/truncate to 1 TiB, pwrite/pwritev/lseek+write at 2^40 and 2^62 on
 * a tmpfs file (/dev/shm), a memfd and /dev/null, reads of holes, the offset limits (EINVAL past 2^63-1), and
 * reads of /dev/zero into buffers far larger than the memory behind them (a short read at the first bad page).
 * Linux keeps such files sparse: st_blocks counts only the pages written. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include "errname.h"

#define TIB (1LL << 40)
#define E62 (1LL << 62)
#define MAXOFF 0x7fffffffffffffffLL
#if defined(__riscv)
#define ZLEN (1LL << 36)     /* riscv64's SV39 user space is 256 GiB: a 2^40 buffer cannot lie in it (EFAULT) */
#else
#define ZLEN TIB
#endif

static void result(const char *what, long r) {
    printf("%-44s %ld %s\n", what, r, r < 0 ? errname(errno) : "");
}

static void show(const char *what, int fd) {
    struct stat st;
    fstat(fd, &st);
    printf("%-44s size=%lld blocks=%lld\n", what, (long long)st.st_size, (long long)st.st_blocks);
}

static void file_cases(const char *name, int fd) {
    char buf[16];
    printf("== %s\n", name);
    result("ftruncate 1 TiB", ftruncate(fd, TIB));
    show("  after", fd);
    memset(buf, 'q', sizeof buf);
    result("pread in the hole at 2^39", pread(fd, buf, 8, 1LL << 39));
    printf("  hole bytes: %d %d\n", buf[0], buf[7]);
    result("pread at the end (1 TiB)", pread(fd, buf, 8, TIB));
    result("pwrite 1 byte at 2^40", pwrite(fd, "x", 1, TIB));
    show("  after", fd);
    result("pread it back", pread(fd, buf, 4, TIB));
    printf("  read: %c\n", buf[0]);
    struct iovec iov[2] = {{"ab", 2}, {"cd", 2}};
    result("pwritev 4 bytes at 2^40+4096", pwritev(fd, iov, 2, TIB + 4096));
    result("pwrite 3 bytes at 2^62", pwrite(fd, "big", 3, E62));
    show("  after", fd);
    result("pwritev at 2^62+8", pwritev(fd, iov, 2, E62 + 8));
    result("lseek to 2^62+100", lseek(fd, E62 + 100, SEEK_SET));
    result("write there", write(fd, "w", 1));
    result("lseek SEEK_CUR", lseek(fd, 0, SEEK_CUR));
    show("  after", fd);
    result("pread at 2^62", pread(fd, buf, 16, E62));
    printf("  read: %.3s %d %.4s\n", buf, buf[3], buf + 8);
    result("pwrite 1 byte at 2^63-1", pwrite(fd, "x", 1, MAXOFF));
    result("pwrite 0 bytes at 2^63-1", pwrite(fd, "x", 0, MAXOFF));
    result("pwrite at -1", pwrite(fd, "x", 1, -1));
    result("pwrite 2 bytes at 2^63-2", pwrite(fd, "xy", 2, MAXOFF - 1));
    result("lseek to 2^63-1", lseek(fd, MAXOFF, SEEK_SET));
    result("write 1 byte there", write(fd, "x", 1));
    result("pread 1 byte at 2^63-1", pread(fd, buf, 1, MAXOFF));
    result("ftruncate -1", ftruncate(fd, -1));
    result("ftruncate 1 TiB again", ftruncate(fd, TIB));
    show("  after", fd);
    result("ftruncate 0", ftruncate(fd, 0));
    show("  after", fd);
}

int main(void) {
    const char *path = "/dev/shm/pynix-big-offsets";
    unlink(path);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    file_cases("tmpfs file", fd);
    result("truncate(path) 1 TiB", truncate(path, TIB));
    show("  after", fd);
    close(fd);
    unlink(path);

    int mfd = (int)syscall(SYS_memfd_create, "big", 0);
    file_cases("memfd", mfd);
    close(mfd);

    printf("== /dev/null\n");
    int null = open("/dev/null", O_RDWR);
    result("pwrite at 2^62", pwrite(null, "x", 1, E62));
    result("pwrite at 2^63-1", pwrite(null, "x", 1, MAXOFF));
    result("pwrite at -1", pwrite(null, "x", 1, -1));
    result("lseek to 2^62", lseek(null, E62, SEEK_SET));
    result("write", write(null, "abc", 3));
    result("ftruncate", ftruncate(null, TIB));

    printf("== /dev/zero\n");
    int zero = open("/dev/zero", O_RDONLY);
    /* three pages, then a page that may not be written: the read stops there */
    char *area = mmap((void *)0x200000000, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                      -1, 0);
    mprotect(area + 3 * 4096, 4096, PROT_READ);
    memset(area, 1, 3 * 4096);
    struct iovec big = {area, ZLEN};
    result("preadv iov_len 2^40", preadv(zero, &big, 1, 0));
    printf("  zeroed: %d %d\n", area[0], area[3 * 4096 - 1]);
    memset(area, 1, 3 * 4096);
    result("readv iov_len 2^40", readv(zero, &big, 1));
    result("read count 2^40", read(zero, area + 100, ZLEN));
    result("read into the read-only page", read(zero, area + 3 * 4096, 10));
    struct iovec two[2] = {{area, 4096}, {area + 3 * 4096, 4096}};
    result("readv: good then read-only", readv(zero, two, 2));
    result("pread at 2^62", pread(zero, area, 10, E62));
    return 0;
}
