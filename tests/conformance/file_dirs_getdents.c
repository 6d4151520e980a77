/* Directories: mkdir/rmdir errors, readdir listing (sorted here: the order is filesystem-defined) with d_type,
 * "." and "..", rewinddir, getdents64 on a non-directory, seeing entries created after opendir... */
#include "conf.h"

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void list(const char *label, const char *path)
{
    DIR *d = opendir(path);
    if (!d) { printf("%s: opendir %s\n", label, errname(errno)); return; }
    char *names[64];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 64) {
        char type = de->d_type == DT_DIR ? 'd' : de->d_type == DT_REG ? 'f' : de->d_type == DT_LNK ? 'l' :
                    de->d_type == DT_FIFO ? 'p' : de->d_type == DT_UNKNOWN ? '?' : 'o';
        names[n] = malloc(strlen(de->d_name) + 3);
        sprintf(names[n++], "%s:%c", de->d_name, type);
    }
    closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    printf("%s:", label);
    for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); }
    printf("\n");
}

int main(void)
{
    scratch();
    list("empty", ".");
    SHOW("mkdir", mkdir("d", 0755));
    SHOW("mkdir existing", mkdir("d", 0755));
    SHOW("mkdir in missing parent", mkdir("x/y", 0755));
    SHOW("mkdir with trailing slash", mkdir("e/", 0755));
    put_file("d/file", "x");
    SHOW("mkdir over a file", mkdir("d/file", 0755));
    SHOW("mkdir under a file", mkdir("d/file/sub", 0755));
    MUST(symlink("file", "d/link"));
    MUST(mkfifo("d/fifo", 0644));
    MUST(mkdir("d/sub", 0755));
    for (int i = 0; i < 20; i++) {
        char name[32];
        snprintf(name, sizeof name, "d/n%02d", i);
        put_file(name, "");
    }
    list("d", "d");
    list("d/sub", "d/sub");

    SHOW("rmdir non-empty", rmdir("d"));
    SHOW("rmdir a file", rmdir("d/file"));
    SHOW("rmdir missing", rmdir("d/missing"));
    SHOW("rmdir .", rmdir("d/sub/."));
    SHOW("rmdir ..", rmdir("d/sub/.."));
    SHOW("rmdir a symlink", rmdir("d/link"));
    SHOW("unlink a directory", unlink("d/sub"));
    SHOW("rmdir empty", rmdir("d/sub"));
    SHOW("rmdir again", rmdir("d/sub"));

    /* rewinddir sees the same entries; an entry removed before the rewind is gone */
    DIR *d = opendir("d");
    int first = 0, second = 0;
    while (readdir(d)) first++;
    unlink("d/n00");
    rewinddir(d);
    while (readdir(d)) second++;
    closedir(d);
    printf("entries: %d, after unlink and rewind: %d\n", first, second);

    /* getdents64 directly */
    int fd = open("d", O_RDONLY | O_DIRECTORY);
    char buf[8192];
    long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
    int entries = 0;
    for (long off = 0; off < n;) {
        unsigned short reclen = *(unsigned short *)(buf + off + 16);
        entries++;
        off += reclen;
    }
    printf("getdents64 entries in one call: %d\n", entries);
    SHOW("getdents64 at the end", syscall(SYS_getdents64, fd, buf, sizeof buf));
    SHOW("getdents64 tiny buffer", (lseek(fd, 0, SEEK_SET), syscall(SYS_getdents64, fd, buf, 8)));
    int f = open("d/file", O_RDONLY);
    SHOW("getdents64 on a file", syscall(SYS_getdents64, f, buf, sizeof buf));
    SHOW("getdents64 bad fd", syscall(SYS_getdents64, 99, buf, sizeof buf));
    SHOW("opendir on a file", opendir("d/file") ? 0 : -1);

    /* a directory's mode and nested creation */
    MUST(mkdir("a", 0700));
    MUST(mkdir("a/b", 0700));
    MUST(mkdir("a/b/c", 0700));
    list("a/b", "a/b");
    SHOW("chdir into it", chdir("a/b/c"));
    list("relative ..", "..");
    SHOW("mkdirat relative to a dirfd", (chdir(".."), mkdirat(open(".", O_RDONLY), "m", 0700)));
    list("after mkdirat", ".");
    return 0;
}
