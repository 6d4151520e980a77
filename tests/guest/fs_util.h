/* fs_util: shared helpers of the fs_*.c programs -- output through write(2) (safe around fork, say.h), errno
   names (errname.h), a private scratch directory under /dev/shm (a tmpfs both natively and under pynix) and
   its removal.  Include it after `#define _GNU_SOURCE`. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include "errname.h"
#include "say.h"


/* "label: result errno-name" of a call that may fail */
#define TRY(label, expr) do { errno = 0; long r_ = (long)(expr); \
    say("%s: %ld %s\n", label, r_ < 0 ? -1L : r_, r_ < 0 ? errname(errno) : "ok"); } while (0)

static char scratch[256];

/* mkdir BASE/pynix-NAME-PID and make it the cwd (the pid keeps concurrent native runs apart; it is never
   printed).  $FS_SCRATCH, when set, is used instead of BASE (to run the same checks on another filesystem: an
   ext2 mount under pynix). */
static void setup_in(const char *base, const char *name)
{
    const char *scratch_base = getenv("FS_SCRATCH");
    umask(022);
    snprintf(scratch, sizeof scratch, "%s/pynix-%s-%d", scratch_base ? scratch_base : base, name, (int)getpid());
    if (mkdir(scratch, 0755) != 0 || chdir(scratch) != 0) {
        say("setup %s failed: %s\n", name, errname(errno));
        exit(1);
    }
}

/* the scratch directory under /dev/shm: a tmpfs both natively and under pynix */
__attribute__((unused)) static void setup(const char *name)
{
    setup_in("/dev/shm", name);
}

static void rm_tree(const char *path)
{
    struct stat s;
    if (lstat(path, &s) != 0)
        return;
    if (S_ISDIR(s.st_mode)) {
        chmod(path, 0700);
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            char sub[1024];
            while ((e = readdir(d)) != NULL) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                    continue;
                snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
                rm_tree(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void cleanup(void)
{
    if (chdir("/") == 0)
        rm_tree(scratch);
}

static char type_char(mode_t m)
{
    return S_ISREG(m) ? '-' : S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISFIFO(m) ? 'p' : S_ISCHR(m) ? 'c'
         : S_ISBLK(m) ? 'b' : S_ISSOCK(m) ? 's' : '?';
}

/* type, permission bits, link count and (not for directories, whose size is filesystem-specific) size */
static void show(const char *path)
{
    struct stat s;
    if (lstat(path, &s) != 0) {
        say("  %s: %s\n", path, errname(errno));
        return;
    }
    if (S_ISDIR(s.st_mode))
        say("  %s: %c%04o nlink=%lu\n", path, type_char(s.st_mode), (unsigned)(s.st_mode & 07777),
            (unsigned long)s.st_nlink);
    else
        say("  %s: %c%04o nlink=%lu size=%lld\n", path, type_char(s.st_mode), (unsigned)(s.st_mode & 07777),
            (unsigned long)s.st_nlink, (long long)s.st_size);
}

/* the names in a directory, sorted, on one line */
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *path)
{
    char *names[256];
    int n = 0;
    DIR *d = opendir(path);
    if (!d) {
        say("  ls %s: %s\n", path, errname(errno));
        return;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 256)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_str);
    say("  ls %s:", path);
    for (int i = 0; i < n; i++) {
        say(" %s", names[i]);
        free(names[i]);
    }
    say("\n");
}

static int make_file(const char *path, const char *content, mode_t mode)
{
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, mode);
    if (fd < 0)
        return -1;
    if (content)
        write(fd, content, strlen(content));
    close(fd);
    return 0;
}
