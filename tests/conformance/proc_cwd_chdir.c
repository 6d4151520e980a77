/* The working directory: getcwd (sizes, ERANGE), chdir/fchdir and their errors, relative paths after chdir,
 * the cwd inherited by children and private to each process, chroot refused or allowed only when privileged
 * (not tested), a removed cwd. */
#include "conf.h"

static void pwd(const char *label)
{
    char buf[4096];
    if (!getcwd(buf, sizeof buf)) { printf("%s: %s\n", label, errname(errno)); return; }
    printf("%s: %s\n", label, buf);
}

int main(void)
{
    SHOW("chdir /", chdir("/"));
    pwd("cwd");
    SHOW("chdir /etc/../usr/./bin", chdir("/etc/../usr/./bin"));
    pwd("cwd");
    SHOW("chdir ..", chdir(".."));
    pwd("cwd");
    SHOW("chdir missing", chdir("/nonexistent"));
    SHOW("chdir to a file", chdir("/etc/passwd"));
    SHOW("chdir empty", chdir(""));
    pwd("unchanged");
    char small[4];
    errno = 0;
    printf("getcwd into 4 bytes: %s %s\n", getcwd(small, sizeof small) ? "ok" : "NULL", errname(errno));
    SHOW("raw getcwd size 0", syscall(SYS_getcwd, small, 0));
    SHOW("raw getcwd returns length+1 for /usr", syscall(SYS_getcwd, (char[64]){0}, 64));

    int fd = open("/etc", O_RDONLY | O_DIRECTORY);
    SHOW("fchdir /etc", fchdir(fd));
    pwd("cwd");
    SHOW("open relative passwd", open("passwd", O_RDONLY) >= 0 ? 0 : -1);
    int f = open("/etc/passwd", O_RDONLY);
    SHOW("fchdir to a file", fchdir(f));
    SHOW("fchdir bad fd", fchdir(99));

    pid_t pid = xfork();
    if (pid == 0) {
        pwd("child inherits");
        chdir("/");
        pwd("child moved");
        _exit(0);
    }
    reap("child", pid);
    pwd("parent unaffected");

    /* a removed working directory */
    scratch();
    MUST(mkdir("gone", 0755));
    SHOW("chdir gone", chdir("gone"));
    SHOW("rmdir the cwd", rmdir("../gone"));
    errno = 0;
    char buf[4096];
    char *r = getcwd(buf, sizeof buf);
    printf("getcwd after removal: %s %s\n", r ? "ok" : "NULL", errname(errno));
    SHOW("create in a removed directory", open("x", O_CREAT | O_WRONLY, 0644));
    SHOW("chdir .. from a removed directory", chdir(".."));
    return 0;
}
