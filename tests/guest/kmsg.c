/* The kernel log as guests read it: syslog(2) (klogctl, busybox dmesg) and /dev/kmsg (util-linux dmesg). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/klog.h>
#include <unistd.h>
#include "errname.h"

static void report(const char *what, long ret) {
    if (ret < 0)
        printf("%s: -1 %s\n", what, errname(errno));
    else
        printf("%s: %ld\n", what, ret);
}

int main(void) {
    static char all[1 << 20], rec[8192];
    char small[4];
    long n;
    printf("size_buffer positive: %d\n", klogctl(10, 0, 0) > 0);
    report("bad type", klogctl(99, 0, 0));
#ifndef __riscv   /* the riscv64 reference, qemu-user, checks these itself and differs from Linux (0, EFAULT) */
    report("read_all NULL", klogctl(3, 0, 10));
    report("read_all len -1", klogctl(3, all, -1));
#endif
    report("read_all len 0", klogctl(3, all, 0));
    report("console_level 0", klogctl(8, 0, 0));

    int fd = open("/dev/kmsg", O_RDWR | O_NONBLOCK);
    if (fd < 0) { printf("open /dev/kmsg: %s\n", errname(errno)); return 1; }
    const char *msg = "<5>pynix-kmsg-test: hello\n";
    report("write", write(fd, msg, strlen(msg)));
    report("lseek 1 SEEK_SET", lseek(fd, 1, SEEK_SET));
    report("lseek 0 SEEK_CUR", lseek(fd, 0, SEEK_CUR));
    report("lseek 0 SEEK_SET", lseek(fd, 0, SEEK_SET));
    report("read into 4 bytes", read(fd, small, sizeof small));
    int found = 0;
    while ((n = read(fd, rec, sizeof rec - 1)) > 0 || (n < 0 && errno == EPIPE)) {
        if (n < 0)
            continue;
        rec[n] = 0;
        char *text = strchr(rec, ';');
        if (text && strcmp(text, ";pynix-kmsg-test: hello\n") == 0 && !found++) {   /* earlier runs' too */
            printf("record: prefix %.2s, one line %d\n", rec, strchr(rec, '\n') == rec + n - 1);
        }
    }
    printf("at the end: %s\n", errname(errno));
    printf("found through /dev/kmsg: %d\n", found > 0);
    report("lseek 0 SEEK_END", lseek(fd, 0, SEEK_END));
    report("read after SEEK_END", read(fd, rec, sizeof rec));

    n = klogctl(3, all, sizeof all - 1);
    all[n > 0 ? n : 0] = 0;
    char *line = strstr(all, "pynix-kmsg-test: hello");
    printf("found through syslog: %d\n", line != 0);
    if (line) {
        char *start = line;
        while (start > all && start[-1] != '\n')
            start--;
        printf("syslog line: prefix %.4s, timestamp %d\n", start, start[4] == '[' && line[-2] == ']');
    }
    return 0;
}
