/* rename/renameat2/link/unlink: replacing files, directories over directories, the error matrix, open files
 * that outlive their names, hard link counts. */
#include "conf.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#endif

static void cat(const char *label, const char *path)
{
    char buf[64];
    int fd = open(path, O_RDONLY);
    if (fd < 0) { printf("%s: %s\n", label, errname(errno)); return; }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    close(fd);
    printf("%s: %s\n", label, buf);
}

static long renameat2_(const char *a, const char *b, unsigned flags)
{
    return syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, flags);
}

int main(void)
{
    scratch();
    put_file("a", "A");
    put_file("b", "B");
    SHOW("rename a -> c", rename("a", "c"));
    SHOW("old name gone", access("a", F_OK));
    cat("c", "c");
    SHOW("rename c over b", rename("c", "b"));
    cat("b", "b");
    SHOW("rename missing", rename("missing", "x"));
    SHOW("rename to itself", rename("b", "b"));
    cat("b still", "b");

    MUST(mkdir("d1", 0755));
    MUST(mkdir("d2", 0755));
    MUST(mkdir("full", 0755));
    put_file("full/x", "x");
    SHOW("rename file over directory", rename("b", "d1"));
    SHOW("rename directory over file", rename("d1", "b"));
    SHOW("rename directory over non-empty directory", rename("d1", "full"));
    SHOW("rename directory over empty directory", rename("d1", "d2"));
    SHOW("d1 gone", access("d1", F_OK));
    SHOW("rename directory into itself", rename("d2", "d2/inner"));
    SHOW("rename . ", rename(".", "dot"));
    SHOW("rename into a missing directory", rename("b", "nodir/b"));
    SHOW("rename with trailing slash on a file", rename("b", "b2/"));

    put_file("n1", "one");
    put_file("n2", "two");
    SHOW("renameat2 NOREPLACE onto existing", renameat2_("n1", "n2", RENAME_NOREPLACE));
    SHOW("renameat2 NOREPLACE onto new", renameat2_("n1", "n3", RENAME_NOREPLACE));
    SHOW("renameat2 EXCHANGE", renameat2_("n2", "n3", RENAME_EXCHANGE));
    cat("n2 after exchange", "n2");
    cat("n3 after exchange", "n3");
    SHOW("renameat2 EXCHANGE with missing", renameat2_("n2", "missing", RENAME_EXCHANGE));
    SHOW("renameat2 bad flags", renameat2_("n2", "n4", 0x100));
    SHOW("renameat2 NOREPLACE|EXCHANGE", renameat2_("n2", "n3", RENAME_NOREPLACE | RENAME_EXCHANGE));

    /* an open file survives unlink */
    put_file("tmp", "still here");
    int fd = open("tmp", O_RDONLY);
    SHOW("unlink open file", unlink("tmp"));
    SHOW("name gone", access("tmp", F_OK));
    char buf[32] = {0};
    read(fd, buf, sizeof buf - 1);
    struct stat sb;
    fstat(fd, &sb);
    printf("read after unlink: %s, nlink %ld\n", buf, (long)sb.st_nlink);
    close(fd);
    SHOW("unlink missing", unlink("tmp"));
    SHOW("unlink a directory", unlink("d2"));
    SHOW("unlink through a file", unlink("n2/x"));

    /* hard links */
    SHOW("link", link("n2", "n2-link"));
    stat("n2", &sb);
    printf("nlink after link: %ld\n", (long)sb.st_nlink);
    SHOW("link onto existing", link("n2", "n3"));
    SHOW("link a directory", link("d2", "d2-link"));
    SHOW("link missing", link("missing", "x"));
    SHOW("unlink one name", unlink("n2"));
    stat("n2-link", &sb);
    printf("nlink after unlink: %ld\n", (long)sb.st_nlink);
    cat("other name", "n2-link");
    SHOW("rename a link onto the same inode's other name", (link("n2-link", "n5"), rename("n5", "n2-link")));
    SHOW("both names remain (rename of hard links to one inode does nothing)", access("n5", F_OK));

    /* unlinkat */
    SHOW("unlinkat AT_REMOVEDIR on a file", unlinkat(AT_FDCWD, "n3", AT_REMOVEDIR));
    SHOW("unlinkat AT_REMOVEDIR on a directory", unlinkat(AT_FDCWD, "d2", AT_REMOVEDIR));
    SHOW("unlinkat bad flag", unlinkat(AT_FDCWD, "n3", 0x1));
    return 0;
}
