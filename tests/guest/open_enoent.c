/* open_enoent: openat(AT_FDCWD, ...) of a missing file (also used by the --strace test). */
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include "errname.h"

int main(void)
{
    errno = 0;
    int fd = openat(AT_FDCWD, "/nonexistent-pynix-test", O_RDONLY);
    printf("openat: %d %s\n", fd, errname(errno));
    errno = 0;
    fd = openat(AT_FDCWD, "/nonexistent-pynix-test/sub", O_RDONLY);
    printf("openat below a missing directory: %d %s\n", fd, errname(errno));
    return fd == -1 ? 0 : 1;
}
