/* fstat_std: the file type of stdin/stdout/stderr as the test set them up (pipes, a regular file, /dev/null),
   plus fstat error cases.  For a regular-file stdin the size is printed too. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "errname.h"

static const char *kind(mode_t m)
{
    switch (m & S_IFMT) {
    case S_IFIFO: return "fifo";
    case S_IFCHR: return "chr";
    case S_IFDIR: return "dir";
    case S_IFBLK: return "blk";
    case S_IFREG: return "reg";
    case S_IFLNK: return "lnk";
    case S_IFSOCK: return "sock";
    default: return "unknown";
    }
}

int main(void)
{
    char line[200];
    for (int fd = 0; fd < 3; fd++) {
        struct stat st;
        memset(&st, 0xff, sizeof st);
        int r = fstat(fd, &st);
        if (r != 0) {
            snprintf(line, sizeof line, "fd %d: fstat failed %s\n", fd, errname(errno));
        } else if (S_ISREG(st.st_mode)) {
            snprintf(line, sizeof line, "fd %d: reg size=%lld nlink>0=%d blksize>0=%d\n", fd, (long long)st.st_size,
                     st.st_nlink > 0, st.st_blksize > 0);
        } else {
            snprintf(line, sizeof line, "fd %d: %s nlink>0=%d\n", fd, kind(st.st_mode), st.st_nlink > 0);
        }
        write(1, line, strlen(line));
    }
    struct stat st;
    errno = 0;
    int r = fstat(99, &st);
    snprintf(line, sizeof line, "fstat(99): %d %s\n", r, errname(errno));
    write(1, line, strlen(line));
    errno = 0;
    r = fstat(-1, &st);
    snprintf(line, sizeof line, "fstat(-1): %d %s\n", r, errname(errno));
    write(1, line, strlen(line));
    return 0;
}
