/* execveat and fexecve: a program run through a descriptor (AT_EMPTY_PATH, which fexecve uses), through a
 * directory descriptor and a relative name, refused with the errors Linux gives (AT_SYMLINK_NOFOLLOW on a
 * symlink: ELOOP; "" without AT_EMPTY_PATH: ENOENT; a bad descriptor: EBADF; a file as the directory:
 * ENOTDIR; unknown flags: EINVAL; "" naming the working directory: EACCES); AT_EXECFN is /dev/fd/N[/name]; a
 * #! script found through a descriptor runs unless the descriptor is close-on-exec (ENOENT); and execve with
 * an empty argv gives the program argc 1 and argv[0] "" (Linux 5.18+). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

extern char **environ;

static long execveat_(int dirfd, const char *path, char *const argv[], int flags)
{
    return syscall(SYS_execveat, dirfd, path, argv, environ, flags);
}

/* Run `what` in a child and report how it ended (an exec error is printed by the child itself). */
static void run(const char *label, void (*what)(void *), void *arg)
{
    pid_t pid = fork();
    if (pid == 0) {
        what(arg);
        _exit(99);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("%s: exit %d\n", label, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

struct at { int dirfd; const char *path; int flags; };

static void exec_at(void *arg)
{
    struct at *at = arg;
    char *argv[] = {"exec_at", "child", NULL};
    long r = execveat_(at->dirfd, at->path, argv, at->flags);
    printf("  execveat: %ld %s\n", r, errname(errno));
    _exit(1);
}

static void exec_fexecve(void *arg)
{
    char *argv[] = {"exec_at", "child", "extra", NULL};
    fexecve(*(int *)arg, argv, environ);
    printf("  fexecve: %s\n", errname(errno));
    _exit(1);
}

static void exec_empty_argv(void *arg)
{
    char *argv[] = {NULL};
    execve((const char *)arg, argv, environ);
    printf("  execve: %s\n", errname(errno));
    _exit(1);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 1 && argv[0][0] == '\0') {
        printf("  empty argv became: argc %d, argv[0] \"%s\"\n", argc, argv[0]);
        return 5;
    }
    if (argc >= 2 && strcmp(argv[1], "child") == 0) {
        /* AT_EXECFN, with this program's path (which differs between builds) shown as SELF, its name as NAME */
        const char *execfn = (const char *)getauxval(AT_EXECFN);
        char self[4096], name[4096];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        self[n > 0 ? n : 0] = '\0';
        strcpy(name, self);
        const char *base = basename(name);
        size_t len = strlen(execfn), blen = strlen(base);
        if (strcmp(execfn, self) == 0)
            printf("  child: argc %d, AT_EXECFN SELF\n", argc);
        else if (len > blen && strcmp(execfn + len - blen, base) == 0 && execfn[len - blen - 1] == '/')
            printf("  child: argc %d, AT_EXECFN %.*sNAME\n", argc, (int)(len - blen), execfn);
        else
            printf("  child: argc %d, AT_EXECFN %s\n", argc, execfn);
        return 3;
    }
    if (argc >= 2 && strcmp(argv[1], "script-mode") == 0) {   /* the interpreter of a #! script */
        printf("  interpreter of %s: argc %d\n", argv[2], argc);
        return 4;
    }

    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0)
        return 2;
    self[n] = '\0';
    char dir[4096], base[4096];
    strcpy(dir, self);
    strcpy(base, self);
    int exe = open(self, O_RDONLY);
    int dirfd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
    char tmp[] = "/tmp/exec_at.XXXXXX";
    if (exe != 3 || dirfd != 4 || !mkdtemp(tmp))
        return 2;
    int tmpfd = open(tmp, O_RDONLY | O_DIRECTORY);

    run("fexecve", exec_fexecve, &exe);
    struct at empty = {exe, "", AT_EMPTY_PATH};
    run("execveat(fd, \"\", AT_EMPTY_PATH)", exec_at, &empty);
    struct at relative = {dirfd, basename(base), 0};
    run("execveat(dirfd, name)", exec_at, &relative);
    struct at absolute = {12345, self, 0};
    run("execveat(bad fd, absolute path)", exec_at, &absolute);

    char link[4096];
    snprintf(link, sizeof link, "%s/link", tmp);
    if (symlink(self, link) != 0)
        return 2;
    struct at nofollow = {tmpfd, "link", AT_SYMLINK_NOFOLLOW};
    run("execveat(dirfd, symlink, AT_SYMLINK_NOFOLLOW)", exec_at, &nofollow);
    struct at follow = {tmpfd, "link", 0};
    run("execveat(dirfd, symlink)", exec_at, &follow);
    struct at no_empty = {exe, "", 0};
    run("execveat(fd, \"\") without AT_EMPTY_PATH", exec_at, &no_empty);
    struct at bad_fd = {12345, "name", 0};
    run("execveat(bad fd, name)", exec_at, &bad_fd);
    struct at not_dir = {exe, "name", 0};
    run("execveat(file fd, name)", exec_at, &not_dir);
    struct at bad_flags = {exe, "", AT_EMPTY_PATH | 1};
    run("execveat(unknown flag)", exec_at, &bad_flags);
    struct at cwd = {AT_FDCWD, "", AT_EMPTY_PATH};
    run("execveat(AT_FDCWD, \"\", AT_EMPTY_PATH)", exec_at, &cwd);

    char script[4096];
    snprintf(script, sizeof script, "%s/script", tmp);
    FILE *f = fopen(script, "w");
    fprintf(f, "#!%s script-mode\n", self);
    fclose(f);
    chmod(script, 0755);
    int sfd = open(script, O_RDONLY);
    run("fexecve of a script", exec_fexecve, &sfd);
    fcntl(sfd, F_SETFD, FD_CLOEXEC);
    run("fexecve of a script, close-on-exec", exec_fexecve, &sfd);

    run("execve with an empty argv", exec_empty_argv, self);
    unlink(script);
    unlink(link);
    rmdir(tmp);
    return 0;
}
