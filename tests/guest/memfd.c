/* memfd_create: an anonymous tmpfs file -- read/write/lseek/ftruncate/fstat, /proc/self/fd name, MAP_PRIVATE,
   MFD_CLOEXEC, and seals (F_ADD_SEALS / F_GET_SEALS). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"

#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 1
#define F_SEAL_SHRINK 2
#define F_SEAL_GROW 4
#define F_SEAL_WRITE 8
#endif


static int mfd(const char *name, unsigned flags)
{
    return syscall(SYS_memfd_create, name, flags);
}

#define TRY(expr) do { long r_ = (long)(expr); say("%-40s = %ld %s\n", #expr, r_, r_ < 0 ? errname(errno) : ""); } while (0)

int main(void)
{
    int fd = mfd("hello", 1 /* MFD_CLOEXEC */);
    say("fd ok %d cloexec %d acc %d\n", fd >= 0, fcntl(fd, F_GETFD), fcntl(fd, F_GETFL) & O_ACCMODE);
    TRY(write(fd, "abcdef", 6));
    TRY(lseek(fd, 1, SEEK_SET));
    char buf[32] = {0};
    TRY(read(fd, buf, 3));
    say("read '%s'\n", buf);
    TRY(ftruncate(fd, 8192));
    struct stat sb;
    fstat(fd, &sb);
    say("size %lld reg %d mode %o nlink %ld\n", (long long)sb.st_size, S_ISREG(sb.st_mode), sb.st_mode & 0777,
        (long)sb.st_nlink);
    char path[64], link[128] = {0};
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    readlink(path, link, sizeof link - 1);
    say("link %s\n", link);
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    say("map ok %d '%.6s' tail %d\n", p != MAP_FAILED, p, p[8000]);
    p[0] = 'X';
    pread(fd, buf, 1, 0);
    say("private write not in file: %c\n", buf[0]);
    TRY(fcntl(fd, F_GET_SEALS));
    TRY(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
    TRY(mfd("bad", 0x100));
    char longname[300];
    memset(longname, 'n', sizeof longname);
    longname[249] = 0;
    int ok = mfd(longname, 0);
    say("249-char name ok %d\n", ok >= 0);
    longname[249] = 'n';
    longname[250] = 0;
    TRY(mfd(longname, 0));
    close(fd);

    fd = mfd("sealed", 2 /* MFD_ALLOW_SEALING */);
    say("cloexec %d\n", fcntl(fd, F_GETFD));
    TRY(fcntl(fd, F_GET_SEALS));
    TRY(write(fd, "0123456789", 10));
    TRY(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW));
    TRY(fcntl(fd, F_GET_SEALS));
    TRY(ftruncate(fd, 5));
    TRY(ftruncate(fd, 20));
    TRY(ftruncate(fd, 10));
    TRY(pwrite(fd, "ABCDEF", 6, 7));
    TRY(pwrite(fd, "Z", 1, 10));
    TRY(pwrite(fd, "ab", 2, 0));
    TRY(fcntl(fd, F_ADD_SEALS, 0x1000));
    TRY(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SEAL));
    TRY(pwrite(fd, "q", 1, 0));
    TRY(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
    memset(buf, 0, sizeof buf);
    TRY(pread(fd, buf, 20, 0));
    say("content '%s'\n", buf);
    int fd2 = dup(fd);
    TRY(fcntl(fd2, F_GET_SEALS));
    TRY(fcntl(fd2, F_ADD_SEALS, F_SEAL_SEAL));
    TRY(fcntl(0, F_GET_SEALS) < 0 ? -1 : 0);
    return 0;
}
