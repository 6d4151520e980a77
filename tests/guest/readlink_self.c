/* readlink_self: /proc/self/exe names this program by an absolute path ending in argv[0]'s basename. */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "errname.h"

int main(int argc, char **argv)
{
    (void)argc;
    char buf[PATH_MAX + 1];
    memset(buf, 'X', sizeof buf);
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n < 0) {
        printf("readlink(/proc/self/exe) failed: %s\n", errname(errno));
        return 1;
    }
    printf("readlink returned a positive length: %s\n", n > 0 ? "yes" : "no");
    printf("result not NUL-terminated by readlink: %s\n", buf[n] == 'X' ? "yes" : "no");
    buf[n] = 0;
    printf("absolute: %s\n", buf[0] == '/' ? "yes" : "no");
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    size_t bl = strlen(base);
    int ends = (size_t)n > bl && strcmp(buf + n - bl, base) == 0 && buf[n - bl - 1] == '/';
    printf("ends with /%s: %s\n", base, ends ? "yes" : "no");
    printf("names an existing file: %s\n", access(buf, F_OK) == 0 ? "yes" : "no");

    char small[4];
    memset(small, 'X', sizeof small);
    ssize_t m = readlink("/proc/self/exe", small, sizeof small);
    printf("readlink into 4 bytes returns %zd, prefix matches: %s\n", m, memcmp(small, buf, 4) == 0 ? "yes" : "no");
    errno = 0;
    m = readlink("/nonexistent-pynix-test/link", buf, sizeof buf);
    printf("readlink of a missing path: %zd %s\n", m, errname(errno));
    return 0;
}
