/* Symbolic links: creation, readlink (no NUL, truncation), lstat vs stat, dangling links, loops (ELOOP),
 * links to directories in the middle of a path, relative targets resolved from the link's directory. */
#include "conf.h"

static void rl(const char *label, const char *path, size_t size)
{
    char buf[128];
    memset(buf, '#', sizeof buf);
    ssize_t n = readlink(path, buf, size);
    if (n < 0) { printf("%s: %s\n", label, errname(errno)); return; }
    printf("%s: %zd [%.*s] next byte untouched: %d\n", label, n, (int)n, buf, buf[n] == '#');
}

int main(void)
{
    scratch();
    put_file("target", "data");
    MUST(mkdir("dir", 0755));
    put_file("dir/inner", "inner data");
    SHOW("symlink", symlink("target", "l1"));
    SHOW("symlink existing name", symlink("x", "l1"));
    SHOW("symlink empty target", symlink("", "lempty"));
    SHOW("symlink in missing dir", symlink("x", "nodir/l"));
    rl("readlink l1", "l1", 128);
    rl("readlink truncated", "l1", 3);
    rl("readlink not a link", "target", 128);
    rl("readlink missing", "missing", 128);
    SHOW("readlink size 0", readlink("l1", (char[8]){0}, 0));

    SHOW("dangling", symlink("does-not-exist", "dangling"));
    struct stat sb;
    SHOW("stat dangling", stat("dangling", &sb));
    SHOW("lstat dangling", lstat("dangling", &sb));
    SHOW("access dangling", access("dangling", F_OK));
    int fd = open("dangling", O_WRONLY | O_CREAT, 0644);
    printf("O_CREAT through a dangling link: %s\n", fd >= 0 ? "created" : errname(errno));
    close(fd);
    SHOW("target now exists", access("does-not-exist", F_OK));
    SHOW("O_CREAT|O_EXCL through a link", open("dangling", O_WRONLY | O_CREAT | O_EXCL, 0644));

    MUST(symlink("loop2", "loop1"));
    MUST(symlink("loop1", "loop2"));
    SHOW("stat loop", stat("loop1", &sb));
    SHOW("open loop", open("loop1", O_RDONLY));
    SHOW("lstat loop", lstat("loop1", &sb));
    MUST(symlink("self", "self"));
    SHOW("open self loop", open("self", O_RDONLY));

    /* a chain of 40 links resolves; 41 is too many (Linux's MAXSYMLINKS is 40) */
    char prev[32] = "target", name[32];
    for (int i = 0; i < 41; i++) {
        snprintf(name, sizeof name, "chain%02d", i);
        symlink(prev, name);
        strcpy(prev, name);
    }
    SHOW("stat through 40 links", stat("chain39", &sb));
    SHOW("stat through 41 links", stat("chain40", &sb));

    SHOW("link to a directory", symlink("dir", "dlink"));
    fd = open("dlink/inner", O_RDONLY);
    char buf[32] = {0};
    read(fd, buf, sizeof buf - 1);
    printf("read through a directory link: %s\n", buf);
    close(fd);
    SHOW("chdir through the link", chdir("dlink"));
    char cwd[4096];
    getcwd(cwd, sizeof cwd);
    printf("cwd ends in /dir (links resolved): %d\n", strlen(cwd) >= 4 && !strcmp(cwd + strlen(cwd) - 4, "/dir"));
    SHOW("relative link made here", symlink("../target", "up"));
    fd = open("up", O_RDONLY);
    memset(buf, 0, sizeof buf);
    read(fd, buf, sizeof buf - 1);
    printf("relative target resolved from the link's directory: %s\n", buf);
    chdir("..");
    SHOW("lstat with trailing slash follows", lstat("dlink/", &sb));
    printf("  is directory: %d\n", S_ISDIR(sb.st_mode));
    SHOW("unlink the link, not the directory", unlink("dlink"));
    SHOW("directory still there", access("dir/inner", F_OK));
    SHOW("rmdir through a link with slash", (symlink("dir", "dl2"), rmdir("dl2/")));

    SHOW("symlinkat with a dirfd", symlinkat("inner", open("dir", O_RDONLY), "il"));
    rl("readlinkat result", "dir/il", 128);
    SHOW("readlinkat AT_EMPTY_PATH style (fd of O_PATH|O_NOFOLLOW)",
         readlinkat(open("l1", O_PATH | O_NOFOLLOW), "", buf, sizeof buf));
    return 0;
}
