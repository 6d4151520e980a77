/* ETXTBSY: a file open for writing cannot be executed, and a file a process runs cannot be opened for writing
 * (O_WRONLY, O_RDWR, O_TRUNC) or truncated -- until the writer closes it / the process ends.  Reading stays
 * possible.  A memfd is no such file (a pseudo file: its write access is not counted), so a writable memfd
 * can be run with fexecve. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "errname.h"

extern char **environ;

static const char *result(int r) { return r < 0 ? errname(errno) : "ok"; }

static const char *open_result(const char *path, int flags)
{
    int fd = open(path, flags);
    if (fd >= 0)
        close(fd);
    return result(fd);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 3 && strcmp(argv[1], "run") == 0) {       /* the copy, running: say so, then wait for EOF */
        int go = atoi(argv[2]);
        char c;
        if (write(1, "  the copy runs\n", 16) != 16 || read(go, &c, 1) != 0)
            return 1;
        return 0;
    }
    printf("open /proc/self/exe for writing: %s\n", open_result("/proc/self/exe", O_WRONLY));

    char dir[] = "/tmp/etxtbsy.XXXXXX", copy[64];
    if (!mkdtemp(dir))
        return 2;
    snprintf(copy, sizeof copy, "%s/prog", dir);
    int in = open("/proc/self/exe", O_RDONLY), out = open(copy, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, n) != n)
            return 2;
    close(in);

    char *args[] = {copy, "run", "-1", NULL};
    pid_t pid = fork();
    if (pid == 0) {
        execv(copy, args);
        printf("exec while it is open for writing: %s\n", errname(errno));
        _exit(1);
    }
    waitpid(pid, NULL, 0);
    close(out);

    int go[2];
    if (pipe(go) != 0)
        return 2;
    char fdarg[16];
    snprintf(fdarg, sizeof fdarg, "%d", go[0]);
    args[2] = fdarg;
    int started[2];
    if (pipe(started) != 0)
        return 2;
    pid = fork();
    if (pid == 0) {
        close(go[1]);
        dup2(started[1], 1);
        execv(copy, args);
        _exit(1);
    }
    close(go[0]);
    close(started[1]);
    n = read(started[0], buf, sizeof buf);
    printf("%.*s", (int)(n > 0 ? n : 0), buf);
    printf("while it runs: open O_WRONLY %s, O_RDWR %s, O_RDONLY|O_TRUNC %s, O_RDONLY %s, truncate %s\n",
           open_result(copy, O_WRONLY), open_result(copy, O_RDWR), open_result(copy, O_RDONLY | O_TRUNC),
           open_result(copy, O_RDONLY), result(truncate(copy, 0)));
    close(go[1]);                                  /* the copy ends */
    int status;
    waitpid(pid, &status, 0);
    printf("the copy exited with %d\n", WEXITSTATUS(status));
    printf("after it ended: open O_WRONLY %s, truncate %s\n", open_result(copy, O_WRONLY), result(truncate(copy, 0)));

    int memfd = memfd_create("prog", 0);
    in = open("/proc/self/exe", O_RDONLY);
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(memfd, buf, n) != n)
            return 2;
    close(in);
    char *memfd_args[] = {"prog", "run", fdarg, NULL};
    if (pipe(go) != 0)
        return 2;
    snprintf(fdarg, sizeof fdarg, "%d", go[0]);
    pid = fork();
    if (pid == 0) {
        close(go[1]);
        fexecve(memfd, memfd_args, environ);
        printf("fexecve of a writable memfd: %s\n", errname(errno));
        _exit(1);
    }
    close(go[0]);
    close(go[1]);
    waitpid(pid, &status, 0);
    printf("fexecve of a writable memfd: exit %d\n", WEXITSTATUS(status));
    unlink(copy);
    rmdir(dir);
    return 0;
}
