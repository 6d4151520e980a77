/* An unimplemented system call is -ENOSYS, and the kernel says so in its log (read back through syslog(2)). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/klog.h>
#include <unistd.h>
#include <sys/syscall.h>
#include "errname.h"

int main(void) {
    static char all[1 << 20];
    long ret = syscall(1000);
    printf("syscall 1000: %ld %s\n", ret, ret < 0 ? errname(errno) : "");
    int n = klogctl(3, all, sizeof all - 1);
    all[n > 0 ? n : 0] = 0;
    printf("logged: %d\n", strstr(all, "syscall_1000") != 0);
    return 0;
}
