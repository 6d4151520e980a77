/* loop_dev: loop devices through their ioctls -- /dev/loop-control (LOOP_CTL_ADD/REMOVE/GET_FREE) and a loop
   device over a scratch file (LOOP_SET_FD, LOOP_SET_STATUS64 offset/sizelimit, LOOP_GET_STATUS64, reads and
   writes through the device, BLKGETSIZE64/BLKSSZGET/BLKROGET, LOOP_SET_CAPACITY, LOOP_CLR_FD, LOOP_CONFIGURE
   read-only).  Needs root and loop support (natively: the host's loop driver); device numbers are never
   printed, only whether they agree.  Usage: loop_dev SCRATCH-DIR */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/loop.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "errname.h"

#define TRY(label, expr) do { errno = 0; long r_ = (long)(expr); \
    printf("%s: %s\n", label, r_ < 0 ? errname(errno) : "ok"); } while (0)

static int open_loop(int n, int flags)
{
    char name[32];
    snprintf(name, sizeof name, "/dev/loop%d", n);
    return open(name, flags);
}

int main(int argc, char **argv)
{
    char path[512];
    snprintf(path, sizeof path, "%s/loop-backing-%d", argc > 1 ? argv[1] : "/tmp", (int)getpid());
    int file = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    char block[4096];
    for (int i = 0; i < 64; i++) {                       /* 256 KiB; every 4 KiB block starts with its index */
        memset(block, 'a' + i % 26, sizeof block);
        snprintf(block, 16, "block-%02d", i);
        if (write(file, block, sizeof block) != sizeof block)
            return 1;
    }
    int ctl = open("/dev/loop-control", O_RDWR);
    if (ctl < 0) {
        printf("no loop-control: %s\n", errname(errno));
        return 1;
    }
    /* a device of our own, high enough not to meet anyone else's */
    int mine = -1;
    for (int n = 200; n < 240 && mine < 0; n++)
        if (ioctl(ctl, LOOP_CTL_ADD, n) == n)
            mine = n;
    printf("LOOP_CTL_ADD: %s\n", mine >= 0 ? "ok" : errname(errno));
    TRY("LOOP_CTL_ADD again", ioctl(ctl, LOOP_CTL_ADD, mine));
    int dev = open_loop(mine, O_RDWR);
    printf("open new device: %s\n", dev >= 0 ? "ok" : errname(errno));
    struct loop_info64 info;
    TRY("GET_STATUS64 unbound", ioctl(dev, LOOP_GET_STATUS64, &info));
    uint64_t size = 1;
    TRY("BLKGETSIZE64 unbound", ioctl(dev, BLKGETSIZE64, &size));
    printf("  size %llu\n", (unsigned long long)size);
    TRY("LOOP_SET_FD", ioctl(dev, LOOP_SET_FD, file));
    TRY("LOOP_SET_FD again", ioctl(dev, LOOP_SET_FD, file));
    TRY("LOOP_CTL_REMOVE bound", ioctl(ctl, LOOP_CTL_REMOVE, mine));
    TRY("BLKGETSIZE64", ioctl(dev, BLKGETSIZE64, &size));
    printf("  size %llu\n", (unsigned long long)size);
    memset(&info, 0, sizeof info);
    info.lo_offset = 8192;
    info.lo_sizelimit = 65536;
    info.lo_flags = LO_FLAGS_AUTOCLEAR;
    strcpy((char *)info.lo_file_name, "backing-name");
    TRY("SET_STATUS64 offset/sizelimit", ioctl(dev, LOOP_SET_STATUS64, &info));
    memset(&info, 0, sizeof info);
    TRY("GET_STATUS64", ioctl(dev, LOOP_GET_STATUS64, &info));
    struct stat fs;
    fstat(file, &fs);
    printf("  offset %llu sizelimit %llu flags %#x name %s number-matches %d inode-matches %d\n",
           (unsigned long long)info.lo_offset, (unsigned long long)info.lo_sizelimit, info.lo_flags,
           info.lo_file_name, info.lo_number == (unsigned)mine, info.lo_inode == fs.st_ino);
    TRY("BLKGETSIZE64", ioctl(dev, BLKGETSIZE64, &size));
    printf("  size %llu\n", (unsigned long long)size);
    int ss = 0;
    TRY("BLKSSZGET", ioctl(dev, BLKSSZGET, &ss));
    printf("  sector size %d\n", ss);
    char buf[16] = {0};
    printf("pread at 0: %zd [%.8s]\n", pread(dev, buf, 8, 0), buf);
    printf("pread at 61440: %zd [%.8s]\n", pread(dev, buf, 8, 61440), buf);
    printf("pread at the end: %zd\n", pread(dev, buf, 8, 65536));
    printf("lseek SEEK_END: %lld\n", (long long)lseek(dev, 0, SEEK_END));
    printf("pwrite at 4096: %zd\n", pwrite(dev, "WRITTEN!", 8, 4096));
    TRY("fsync", fsync(dev));
    char back[9] = {0};
    pread(file, back, 8, 8192 + 4096);
    printf("in the file at 12288: [%s]\n", back);
    TRY("ftruncate backing to 16 KiB", ftruncate(file, 16384));
    TRY("LOOP_SET_CAPACITY", ioctl(dev, LOOP_SET_CAPACITY, 0));
    TRY("BLKGETSIZE64", ioctl(dev, BLKGETSIZE64, &size));
    printf("  size %llu\n", (unsigned long long)size);
    TRY("LOOP_CLR_FD", ioctl(dev, LOOP_CLR_FD, 0));
    close(dev);
    dev = open_loop(mine, O_RDWR);
    TRY("GET_STATUS64 after clear", ioctl(dev, LOOP_GET_STATUS64, &info));
    TRY("LOOP_CLR_FD unbound", ioctl(dev, LOOP_CLR_FD, 0));

    /* LOOP_CONFIGURE on a read-only descriptor: a read-only device */
    int rofile = open(path, O_RDONLY);
    struct loop_config config;
    memset(&config, 0, sizeof config);
    config.fd = rofile;
    TRY("LOOP_CONFIGURE", ioctl(dev, LOOP_CONFIGURE, &config));
    int ro = -1;
    TRY("BLKROGET", ioctl(dev, BLKROGET, &ro));
    printf("  read-only %d\n", ro);
    memset(&info, 0, sizeof info);
    ioctl(dev, LOOP_GET_STATUS64, &info);
    printf("  flags %#x\n", info.lo_flags);
    errno = 0;
    ssize_t written = pwrite(dev, "x", 1, 0);
    printf("pwrite on read-only: %zd %s\n", written, errname(errno));
    TRY("LOOP_CLR_FD", ioctl(dev, LOOP_CLR_FD, 0));
    close(dev);
    TRY("LOOP_CTL_REMOVE", ioctl(ctl, LOOP_CTL_REMOVE, mine));
    TRY("LOOP_CTL_REMOVE again", ioctl(ctl, LOOP_CTL_REMOVE, mine));
    int free_dev = ioctl(ctl, LOOP_CTL_GET_FREE);
    printf("LOOP_CTL_GET_FREE: %s\n", free_dev >= 0 ? "ok" : errname(errno));
    close(rofile);
    close(file);
    unlink(path);
    return 0;
}
