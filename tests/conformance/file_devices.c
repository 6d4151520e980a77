/* The standard character devices: /dev/null (reads EOF, swallows writes), /dev/zero, /dev/full (ENOSPC),
 * /dev/urandom; their stat types; lseek on them. */
#include "conf.h"

int main(void)
{
    char buf[256];
    int fd = open("/dev/null", O_RDWR);
    printf("open /dev/null: %s\n", fd >= 0 ? "ok" : errname(errno));
    SHOW("read /dev/null", read(fd, buf, sizeof buf));
    SHOW("write /dev/null", write(fd, buf, sizeof buf));
    SHOW("lseek /dev/null", lseek(fd, 100, SEEK_SET));
    close(fd);

    fd = open("/dev/zero", O_RDONLY);
    printf("open /dev/zero: %s\n", fd >= 0 ? "ok" : errname(errno));
    memset(buf, 1, sizeof buf);
    SHOW("read /dev/zero", read(fd, buf, sizeof buf));
    int zero = 1;
    for (size_t i = 0; i < sizeof buf; i++) zero &= buf[i] == 0;
    printf("all zero: %d\n", zero);
    close(fd);

    fd = open("/dev/full", O_WRONLY);
    printf("open /dev/full: %s\n", fd >= 0 ? "ok" : errname(errno));
    SHOW("write /dev/full", write(fd, "x", 1));
    close(fd);

    fd = open("/dev/urandom", O_RDONLY);
    printf("open /dev/urandom: %s\n", fd >= 0 ? "ok" : errname(errno));
    unsigned char a[32], b[32];
    SHOW("read /dev/urandom", read(fd, a, sizeof a));
    read(fd, b, sizeof b);
    printf("two reads differ: %d\n", memcmp(a, b, sizeof a) != 0);
    close(fd);

    struct stat sb;
    const char *devs[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/urandom", "/dev/random", "/dev/tty"};
    for (int i = 0; i < 6; i++) {
        if (stat(devs[i], &sb)) { printf("stat %s: %s\n", devs[i], errname(errno)); continue; }
        printf("stat %s: char device %d, mode %04o\n", devs[i], S_ISCHR(sb.st_mode), (unsigned)(sb.st_mode & 0777));
    }

    /* /dev/null as a write target through dup2, the way shells silence programs */
    int saved = dup(1);
    fd = open("/dev/null", O_WRONLY);
    dup2(fd, 1);
    printf("this line goes nowhere\n");
    dup2(saved, 1);
    printf("back on stdout\n");
    return 0;
}
